//! NAACCR XML data exchange: a streaming reader that validates against the dictionaries a file
//! names, a streaming writer for v26 (or v25) exports, and the input plumbing (gzip, encodings).

pub mod error;
pub mod input;
pub mod reader;
mod scan;
pub mod writer;

pub use error::{rules, XmlError};
pub use input::{maybe_gunzip, open_path};
pub use reader::{
    read_all, read_records, validate_file, FileReport, Limits, MissingDictionary, NaaccrXmlReader,
    NamespaceMode, Patient, PatientRecord, ReaderOptions, RecordItems, RootInfo, Tumor,
    TumorRecord, UnknownItems,
};
pub use writer::{ExportVersion, NaaccrXmlWriter, WriteStats, WriterOptions};

/// The namespace of every standard NAACCR XML element.
pub const NAACCR_NS: &str = "http://naaccr.org/naaccrxml";

/// A small multiplicative hasher for item-id lookups: ids are short trusted-dictionary keys on
/// the hot path of every item, where SipHash dominated the profile.
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Length plus the first and last eight bytes tell NAACCR ids apart well enough;
        // a collision only costs a string comparison.
        let word = |b: &[u8]| {
            let mut w = [0u8; 8];
            w[..b.len()].copy_from_slice(b);
            u64::from_le_bytes(w)
        };
        let n = bytes.len();
        let (a, b) = if n >= 8 {
            (word(&bytes[..8]), word(&bytes[n - 8..]))
        } else {
            (word(bytes), 0)
        };
        let h = (self.0 ^ a ^ (n as u64).rotate_left(56)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = (h.rotate_left(29) ^ b).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

pub(crate) type IdMap<V> =
    std::collections::HashMap<Box<str>, V, std::hash::BuildHasherDefault<IdHasher>>;
