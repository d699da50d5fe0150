//! Packs `data/` (the published reference files the service reads at run time) into one blob
//! that `src/refdata` embeds, so the binary works from any folder with nothing configured.
//! Text files are deflated here; ZIPs are already compressed and go in as they are.

use std::io::Write;
use std::path::{Path, PathBuf};

fn main() {
    // Embedded migrations are read at compile time; without this an incremental build could ship
    // a stale migration list.
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=data");
    let root = Path::new("data");
    let mut files = Vec::new();
    collect(root, &mut files);
    files.sort();

    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    let mut blob = Vec::new();
    let mut index = String::from("&[\n");
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let rel = path
            .strip_prefix(root)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/");
        // Documentation and licences ship in the repository, not in the binary; the
        // multiple-primary tables are compiled into `src/mph` itself.
        if rel.ends_with("README.md") || rel.starts_with("LICENSES/") || rel.starts_with("mph/") {
            continue;
        }
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let deflate = !rel.ends_with(".zip") && !rel.ends_with(".gz");
        let stored = if deflate {
            let mut enc =
                flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
            enc.write_all(&bytes)
                .unwrap_or_else(|e| panic!("{rel}: {e}"));
            enc.finish().unwrap_or_else(|e| panic!("{rel}: {e}"))
        } else {
            bytes.clone()
        };
        index.push_str(&format!(
            "    EmbeddedFile {{ path: {rel:?}, offset: {}, stored_len: {}, len: {}, deflated: {deflate} }},\n",
            blob.len(),
            stored.len(),
            bytes.len(),
        ));
        blob.extend_from_slice(&stored);
    }
    index.push(']');
    std::fs::write(out.join("refdata.bin"), &blob).unwrap_or_else(|e| panic!("refdata.bin: {e}"));
    std::fs::write(out.join("refdata_index.rs"), index)
        .unwrap_or_else(|e| panic!("refdata_index.rs: {e}"));
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        // Links stand for a file `data/` holds once (the EOD ZIP in the published layouts of
        // the reference and generator folders); `src/refdata` resolves them as aliases.
        if kind.is_dir() {
            collect(&path, files);
        } else if kind.is_file() {
            files.push(path);
        }
    }
}
