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

/// Item id -> dictionary index for the reader's hot path: open addressing with a hash
/// fingerprint in each slot, keys in one small arena compared a word at a time (hashing with
/// `HashMap` plus a library `memcmp` call per lookup showed in profiles).
#[derive(Default)]
pub(crate) struct IdTable {
    /// `fingerprint << 32 | (index + 1)`; 0 is empty.
    slots: Vec<u64>,
    arena: Vec<u8>,
    keys: Vec<(u32, u32)>,
}

impl IdTable {
    /// The table for `keys`, whose position is the value looked up.
    pub(crate) fn new<'a>(keys: impl IntoIterator<Item = &'a str>) -> IdTable {
        let mut t = IdTable::default();
        for k in keys {
            let start = t.arena.len() as u32;
            t.arena.extend_from_slice(k.as_bytes());
            t.keys.push((start, k.len() as u32));
        }
        let size = (t.keys.len() * 2).next_power_of_two().max(16);
        t.slots = vec![0u64; size];
        for i in 0..t.keys.len() {
            let (s, n) = t.keys[i];
            let h = Self::hash(&t.arena[s as usize..(s + n) as usize]);
            let mut at = h as usize & (size - 1);
            while t.slots[at] != 0 {
                at = (at + 1) & (size - 1);
            }
            t.slots[at] = (h >> 32) << 32 | (i as u64 + 1);
        }
        t
    }

    pub(crate) fn hash(bytes: &[u8]) -> u64 {
        use std::hash::Hasher;
        let mut h = IdHasher::default();
        h.write(bytes);
        h.finish().rotate_left(32)
    }

    pub(crate) fn get(&self, id: &[u8]) -> Option<usize> {
        self.get_hashed(Self::hash(id), id)
    }

    /// [`IdTable::get`] with `h == IdTable::hash(id)` computed beforehand.
    pub(crate) fn get_hashed(&self, h: u64, id: &[u8]) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let fp = h >> 32;
        let mut at = h as usize & mask;
        loop {
            let s = self.slots[at];
            if s == 0 {
                return None;
            }
            if s >> 32 == fp {
                let k = (s as u32 - 1) as usize;
                let (start, n) = self.keys[k];
                if same(&self.arena[start as usize..(start + n) as usize], id) {
                    return Some(k);
                }
            }
            at = (at + 1) & mask;
        }
    }
}

fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let word = |s: &[u8]| {
        let mut w = [0u8; 8];
        w.copy_from_slice(s);
        u64::from_le_bytes(w)
    };
    let n = a.len();
    if n < 8 {
        return a.iter().zip(b).all(|(x, y)| x == y);
    }
    let mut i = 0;
    while i + 8 <= n {
        if word(&a[i..i + 8]) != word(&b[i..i + 8]) {
            return false;
        }
        i += 8;
    }
    word(&a[n - 8..]) == word(&b[n - 8..])
}

#[cfg(test)]
mod tests {
    use super::IdTable;

    #[test]
    fn id_table_finds_every_key() {
        let d = super::super::Dictionary::v260();
        let t = IdTable::new(d.items().iter().map(|i| i.id.as_str()));
        for (n, i) in d.items().iter().enumerate() {
            assert_eq!(t.get(i.id.as_bytes()), Some(n));
        }
        assert_eq!(t.get(b"primarySitX"), None);
        assert_eq!(t.get(b""), None);
        assert_eq!(IdTable::default().get(b"x"), None);
    }
}
