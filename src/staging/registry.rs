//! The set of algorithms loaded from a directory of ZIPs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Algorithm, AlgorithmInfo, Error};

/// Loaded algorithms by id (lower-cased algorithm name from the ZIP, e.g. `eod_public`).
#[derive(Debug, Default)]
pub struct Registry {
    algorithms: BTreeMap<String, (Arc<Algorithm>, PathBuf)>,
    /// Where the algorithms were read from (`embedded data/algorithms` or a folder).
    source: String,
}

impl Registry {
    /// Loads every `*.zip` in `dir` (not recursive). Two ZIPs with the same algorithm id are an error:
    /// silently picking one would make results depend on directory order.
    pub fn load_dir(dir: &Path) -> Result<Registry, Error> {
        let read = std::fs::read_dir(dir).map_err(|e| Error::Io {
            path: dir.display().to_string(),
            source: e,
        })?;
        let mut paths = Vec::new();
        for entry in read {
            let entry = entry.map_err(|e| Error::Io {
                path: dir.display().to_string(),
                source: e,
            })?;
            let path = entry.path();
            let is_zip = path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
            if is_zip && path.is_file() {
                paths.push(path);
            }
        }
        paths.sort();
        let mut reg = Registry {
            source: dir.display().to_string(),
            ..Registry::default()
        };
        for p in paths {
            reg.load_zip(&p)?;
        }
        Ok(reg)
    }

    /// Loads every `*.zip` of a source: the embedded algorithms or a configured folder.
    pub fn load_source(source: &crate::refdata::Source) -> Result<Registry, Error> {
        let dir = match source {
            crate::refdata::Source::Folder(dir) => return Registry::load_dir(dir),
            crate::refdata::Source::Embedded(_) => source.path(""),
        };
        let names = source.list("", ".zip").map_err(|e| Error::Io {
            path: dir.display().to_string(),
            source: e,
        })?;
        let mut reg = Registry {
            source: source.describe(),
            ..Registry::default()
        };
        for name in names {
            let path = source.path(&name);
            let bytes = source.read(&name).map_err(|e| Error::Io {
                path: path.display().to_string(),
                source: e,
            })?;
            let alg = Algorithm::load_zip_bytes(&path.display().to_string(), &bytes)?;
            reg.insert(alg, path)?;
        }
        Ok(reg)
    }

    /// Loads one ZIP into the registry and returns its id.
    pub fn load_zip(&mut self, path: &Path) -> Result<String, Error> {
        let alg = Algorithm::load_zip(path)?;
        self.insert(alg, path.to_path_buf())
    }

    fn insert(&mut self, alg: Algorithm, path: PathBuf) -> Result<String, Error> {
        let id = alg.id().to_string();
        if let Some((_, first)) = self.algorithms.get(&id) {
            return Err(Error::DuplicateAlgorithm {
                id,
                first: first.display().to_string(),
                second: path.display().to_string(),
            });
        }
        self.algorithms.insert(id.clone(), (Arc::new(alg), path));
        Ok(id)
    }

    /// Id, version and size of every loaded algorithm, sorted by id.
    pub fn algorithms(&self) -> Vec<AlgorithmInfo> {
        self.algorithms.values().map(|(a, _)| a.info()).collect()
    }

    /// Where the algorithms were read from.
    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn get(&self, id: &str) -> Option<&Algorithm> {
        self.algorithms.get(id).map(|(a, _)| a.as_ref())
    }

    /// The loaded algorithm read from the ZIP with this digest ([`Algorithm::zip_digest`]), for
    /// callers that would otherwise compile a second copy (the edits' EOD algorithm: about 6 MB).
    pub fn by_digest(&self, digest: &[u8; 32]) -> Option<Arc<Algorithm>> {
        self.algorithms
            .values()
            .map(|(a, _)| a)
            .find(|a| a.digest() == digest)
            .cloned()
    }
}
