//! The published reference data the service reads at run time (`data/` in the repository),
//! embedded in the binary so that staging, edits, lookups, site recodes, older dictionaries and
//! the generator work from any folder with nothing configured. A configured folder replaces one
//! part (a newer algorithm release, a state's own tables); [`Source`] reads either the same way.

use std::borrow::Cow;
use std::io::Read;
use std::path::{Path, PathBuf};

mod exe;

mod embedded {
    pub struct EmbeddedFile {
        pub path: &'static str,
        pub offset: usize,
        pub stored_len: usize,
        pub len: usize,
        pub deflated: bool,
    }
    pub static BLOB: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/refdata.bin"));
    pub static FILES: &[EmbeddedFile] = include!(concat!(env!("OUT_DIR"), "/refdata_index.rs"));
}

/// Where a part of the reference data comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The copy embedded in the binary, under this folder of `data/` (`reference`, `algorithms`).
    Embedded(&'static str),
    /// A folder configured by a variable or a flag.
    Folder(PathBuf),
}

/// Files that `data/` holds once but that loaders look for in more than one folder, mirroring the
/// layout of the published trees (the EOD ZIP sits beside the edit tables and the generator's).
const ALIASES: &[(&str, &str)] = &[
    (
        "reference/staging/eod_public-3.3.zip",
        "algorithms/eod_public-3.3.zip",
    ),
    (
        "generator-tables/staging/eod_public-3.3.zip",
        "algorithms/eod_public-3.3.zip",
    ),
];

fn embedded_file(path: &str) -> Option<&'static embedded::EmbeddedFile> {
    let path = ALIASES
        .iter()
        .find(|(alias, _)| *alias == path)
        .map_or(path, |(_, real)| real);
    embedded::FILES
        .binary_search_by(|f| f.path.cmp(path))
        .ok()
        .and_then(|i| embedded::FILES.get(i))
}

fn embedded_bytes(file: &embedded::EmbeddedFile) -> std::io::Result<Cow<'static, [u8]>> {
    let mapped = embedded::BLOB
        .get(file.offset..file.offset + file.stored_len)
        .ok_or_else(|| std::io::Error::other(format!("{}: embedded data truncated", file.path)))?;
    let stored = match exe::read(embedded::BLOB, file.offset, file.stored_len) {
        Some(read) => Cow::Owned(read),
        None => Cow::Borrowed(mapped),
    };
    if !file.deflated {
        return Ok(stored);
    }
    let mut out = Vec::with_capacity(file.len);
    flate2::read::DeflateDecoder::new(&*stored).read_to_end(&mut out)?;
    if out.len() != file.len {
        return Err(std::io::Error::other(format!(
            "{}: embedded data inflates to {} bytes, expected {}",
            file.path,
            out.len(),
            file.len
        )));
    }
    Ok(Cow::Owned(out))
}

impl Source {
    /// The folder named by `variable` when it is set and not blank, else the embedded `part`.
    pub fn from_env(variable: &str, part: &'static str) -> Source {
        match std::env::var_os(variable) {
            Some(v) if !v.is_empty() => Source::Folder(PathBuf::from(v)),
            _ => Source::Embedded(part),
        }
    }

    /// `folder` when given, else [`Source::from_env`].
    pub fn folder_or_env(folder: Option<PathBuf>, variable: &str, part: &'static str) -> Source {
        folder.map_or_else(|| Source::from_env(variable, part), Source::Folder)
    }

    /// The folder holding the source's files: a configured folder, or for the embedded copy its
    /// origin in the checkout the binary was built from (`data/<part>`); for tests and benches
    /// that read the published files themselves.
    pub fn folder(&self) -> PathBuf {
        match self {
            Source::Embedded(part) => Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("data")
                .join(part),
            Source::Folder(dir) => dir.clone(),
        }
    }

    /// Whether this source can be read at all (an embedded part always can).
    pub fn exists(&self) -> bool {
        match self {
            Source::Embedded(_) => true,
            Source::Folder(dir) => dir.is_dir(),
        }
    }

    /// A path naming `rel` in messages (`<embedded>/reference/...` for the embedded copy).
    pub fn path(&self, rel: &str) -> PathBuf {
        match self {
            Source::Embedded(part) => Path::new("<embedded>").join(part).join(rel),
            Source::Folder(dir) => dir.join(rel),
        }
    }

    /// What is loaded, for logs and the readiness answer.
    pub fn describe(&self) -> String {
        match self {
            Source::Embedded(part) => format!("embedded data/{part}"),
            Source::Folder(dir) => dir.display().to_string(),
        }
    }

    /// The bytes of `rel` (a `/`-separated path below the source).
    pub fn read(&self, rel: &str) -> std::io::Result<Cow<'static, [u8]>> {
        match self {
            Source::Embedded(part) => {
                let full = format!("{part}/{rel}");
                let file = embedded_file(&full).ok_or_else(|| {
                    std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        format!("{full} is not in the embedded data"),
                    )
                })?;
                embedded_bytes(file)
            }
            Source::Folder(dir) => std::fs::read(dir.join(rel)).map(Cow::Owned),
        }
    }

    /// The text of `rel` (UTF-8).
    pub fn read_to_string(&self, rel: &str) -> std::io::Result<String> {
        let bytes = self.read(rel)?.into_owned();
        String::from_utf8(bytes).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{rel}: not UTF-8: {e}"),
            )
        })
    }

    /// Names of the files directly in folder `rel` (`""` for the top) ending in `ext`
    /// (compared without case), sorted.
    pub fn list(&self, rel: &str, ext: &str) -> std::io::Result<Vec<String>> {
        let ext = ext.to_ascii_lowercase();
        let wanted = |name: &str| name.to_ascii_lowercase().ends_with(&ext);
        let mut names: Vec<String> = match self {
            Source::Embedded(part) => {
                let prefix = if rel.is_empty() {
                    format!("{part}/")
                } else {
                    format!("{part}/{}/", rel.trim_end_matches('/'))
                };
                embedded::FILES
                    .iter()
                    .filter_map(|f| f.path.strip_prefix(prefix.as_str()))
                    .filter(|name| !name.contains('/') && wanted(name))
                    .map(str::to_string)
                    .collect()
            }
            Source::Folder(dir) => {
                let mut names = Vec::new();
                for entry in std::fs::read_dir(dir.join(rel))? {
                    let entry = entry?;
                    if !entry.path().is_file() {
                        continue;
                    }
                    if let Some(name) = entry.file_name().to_str() {
                        if wanted(name) {
                            names.push(name.to_string());
                        }
                    }
                }
                names
            }
        };
        names.sort();
        Ok(names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_files_read_back_whole() {
        let source = Source::Embedded("reference");
        let text = source
            .read_to_string("icdo3/behaviorCodeIcdO3.csv")
            .unwrap();
        assert!(text.lines().any(|l| l.starts_with('3')), "{text}");
        let zips = Source::Embedded("algorithms").list("", ".zip").unwrap();
        assert_eq!(
            zips,
            [
                "cs-02.05.50.zip",
                "eod_public-3.3.zip",
                "pediatric-1.3.zip",
                "tnm-2.1.zip"
            ]
        );
        // The alias reads the one copy of the EOD ZIP.
        let eod = source.read("staging/eod_public-3.3.zip").unwrap();
        assert_eq!(
            eod.len(),
            Source::Embedded("algorithms")
                .read("eod_public-3.3.zip")
                .unwrap()
                .len()
        );
        assert!(source.read("no/such.csv").is_err());
    }

    #[test]
    fn every_embedded_file_matches_data_folder() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
        let mut n = 0;
        for f in embedded::FILES {
            let on_disk = std::fs::read(root.join(f.path)).unwrap();
            let (part, rel) = f.path.split_once('/').unwrap();
            let part: &'static str = Box::leak(part.to_string().into_boxed_str());
            assert_eq!(
                Source::Embedded(part).read(rel).unwrap().as_ref(),
                on_disk.as_slice(),
                "{}",
                f.path
            );
            n += 1;
        }
        assert!(n > 400, "only {n} embedded files");
    }
}
