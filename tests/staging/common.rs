//! Locating the shared reference data and loading algorithms once per test binary.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use cancer_registry::staging::{Registry, StageOptions};

/// The oracle was computed in 2026; any year up to 2099 gives the same results on the public cases.
pub const OPTIONS: StageOptions = StageOptions { current_year: 2026 };

pub fn shared_dir() -> PathBuf {
    match std::env::var_os("CANCER_REGISTRY_SHARED") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"),
    }
}

pub fn staging_dir() -> PathBuf {
    shared_dir().join("staging")
}

/// Returns the path if it exists. Otherwise prints a loud SKIP, or panics under CI so that missing test
/// data can never turn into a silent green run.
pub fn require(path: &Path) -> Option<PathBuf> {
    if path.exists() {
        return Some(path.to_path_buf());
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    assert!(
        !ci,
        "CI=true and required test data is missing: {}",
        path.display()
    );
    eprintln!(
        "\n********** SKIP: staging test data not found at {} (set CANCER_REGISTRY_SHARED) **********\n",
        path.display()
    );
    None
}

/// Whether the full (slow in debug builds) suites should run instead of a deterministic sample.
pub fn full() -> bool {
    !cfg!(debug_assertions) || std::env::var("STAGING_FULL").is_ok_and(|v| v == "1")
}

pub fn registry() -> Option<&'static Registry> {
    static REG: OnceLock<Option<Registry>> = OnceLock::new();
    // The algorithms the binary carries: the oracle cases check exactly what ships.
    REG.get_or_init(|| {
        match Registry::load_source(&cancer_registry::refdata::Source::Embedded("algorithms")) {
            Ok(r) => Some(r),
            Err(e) => panic!("loading the embedded algorithms: {e}"),
        }
    })
    .as_ref()
}

pub fn gz_lines(path: &Path) -> impl Iterator<Item = String> {
    use std::io::BufRead;
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let reader = std::io::BufReader::with_capacity(
        1 << 16,
        flate2::read::GzDecoder::new(std::io::BufReader::new(file)),
    );
    reader
        .lines()
        .map(|l| l.unwrap_or_else(|e| panic!("reading gz: {e}")))
}

/// The 40 Collaborative Stage outputs (ENGINE.md §1).
pub const CS_OUTPUTS: [&str; 40] = [
    "schema_number",
    "csver_derived",
    "ajcc6_t",
    "ajcc6_tdescriptor",
    "ajcc6_n",
    "ajcc6_ndescriptor",
    "ajcc6_m",
    "ajcc6_mdescriptor",
    "ajcc6_stage",
    "ajcc7_t",
    "ajcc7_tdescriptor",
    "ajcc7_n",
    "ajcc7_ndescriptor",
    "ajcc7_m",
    "ajcc7_mdescriptor",
    "ajcc7_stage",
    "t77",
    "n77",
    "m77",
    "ss77",
    "t2000",
    "n2000",
    "m2000",
    "ss2000",
    "stor_ajcc6_t",
    "stor_ajcc6_tdescriptor",
    "stor_ajcc6_n",
    "stor_ajcc6_ndescriptor",
    "stor_ajcc6_m",
    "stor_ajcc6_mdescriptor",
    "stor_ajcc6_stage",
    "stor_ajcc7_t",
    "stor_ajcc7_tdescriptor",
    "stor_ajcc7_n",
    "stor_ajcc7_ndescriptor",
    "stor_ajcc7_m",
    "stor_ajcc7_mdescriptor",
    "stor_ajcc7_stage",
    "stor_ss77",
    "stor_ss2000",
];
