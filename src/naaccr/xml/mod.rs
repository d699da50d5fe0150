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

/// Item id -> dictionary index for the reader's and the writer's hot path: open addressing
/// whose slots hold the key itself as its length and first and last eight bytes, so an id of
/// up to 16 bytes is found with one slot load and three compares (a fingerprint table with
/// the keys in an arena, three dependent loads and a byte loop, was 13% of reading).
#[derive(Default)]
pub(crate) struct IdTable {
    slots: Vec<IdSlot>,
    /// Keys longer than 16 bytes, compared in full after the words match.
    arena: Vec<u8>,
    long: Vec<(u32, u32)>,
    shift: u32,
}

#[derive(Clone, Copy, Default)]
struct IdSlot {
    head: u64,
    tail: u64,
    len: u32,
    /// Index + 1; 0 is empty.
    index: u32,
}

/// The words a key is compared and hashed by: for 8 bytes or more the first and last eight
/// (overlapping when shorter than 16), for 4 to 7 the first and last four in one word, and
/// below that the bytes themselves. Together with the length they determine keys of up to
/// 16 bytes.
fn id_words(b: &[u8]) -> (u64, u64) {
    let n = b.len();
    let w8 = |s: &[u8]| {
        let mut w = [0u8; 8];
        w.copy_from_slice(s);
        u64::from_le_bytes(w)
    };
    let w4 = |s: &[u8]| {
        let mut w = [0u8; 4];
        w.copy_from_slice(s);
        u64::from(u32::from_le_bytes(w))
    };
    if n >= 8 {
        (w8(&b[..8]), w8(&b[n - 8..]))
    } else if n >= 4 {
        (w4(&b[..4]) | w4(&b[n - 4..]) << 32, 0)
    } else {
        (b.iter().fold(0u64, |acc, &c| acc << 8 | u64::from(c)), 0)
    }
}

/// Whether two keys of the same length over 16 bytes, whose first and last eight bytes are
/// equal, are equal: word compares (a `memcmp` call was 5% of reading).
fn same_middle(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() || n < 16 {
        return a == b;
    }
    let word = |s: &[u8], j: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[j..j + 8]);
        u64::from_le_bytes(w)
    };
    let mut i = 8;
    while i < n - 8 {
        let j = i.min(n - 16);
        if word(a, j) != word(b, j) {
            return false;
        }
        i += 8;
    }
    true
}

impl IdTable {
    /// The table for `keys`, whose position is the value looked up; of equal keys the first
    /// is found.
    pub(crate) fn new<'a>(keys: impl IntoIterator<Item = &'a str>) -> IdTable {
        let keys: Vec<&str> = keys.into_iter().collect();
        let size = (keys.len() * 2).next_power_of_two().max(16);
        let mut t = IdTable {
            slots: vec![IdSlot::default(); size],
            shift: 64 - size.trailing_zeros(),
            ..IdTable::default()
        };
        for (i, k) in keys.iter().enumerate() {
            let b = k.as_bytes();
            let (head, tail) = id_words(b);
            let mut at = t.start(head, tail, b.len());
            while t.slots[at].index != 0 {
                at = (at + 1) & (size - 1);
            }
            t.slots[at] = IdSlot {
                head,
                tail,
                len: b.len() as u32,
                index: i as u32 + 1,
            };
            if b.len() > 16 {
                t.long.resize(i + 1, (0, 0));
                t.long[i] = (t.arena.len() as u32, b.len() as u32);
                t.arena.extend_from_slice(b);
            }
        }
        t
    }

    fn start(&self, head: u64, tail: u64, len: usize) -> usize {
        let h = (head ^ (len as u64).rotate_left(56)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let h = (h.rotate_left(29) ^ tail).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        (h >> self.shift) as usize
    }

    pub(crate) fn get(&self, id: &[u8]) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let (head, tail) = id_words(id);
        let mut at = self.start(head, tail, id.len());
        loop {
            let s = self.slots[at];
            if s.index == 0 {
                return None;
            }
            if s.head == head && s.tail == tail && s.len as usize == id.len() {
                let k = (s.index - 1) as usize;
                if id.len() <= 16 || self.long_key(k).is_some_and(|key| same_middle(key, id)) {
                    return Some(k);
                }
            }
            at = (at + 1) & mask;
        }
    }

    fn long_key(&self, k: usize) -> Option<&[u8]> {
        let &(start, n) = self.long.get(k)?;
        self.arena.get(start as usize..(start + n) as usize)
    }
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
        // Every length class, and long keys that differ only in the middle.
        let keys = [
            "",
            "a",
            "ab",
            "abc",
            "abcd",
            "abcde",
            "abcdefg",
            "abcdefgh",
            "abcdefghi",
            "abcdefghijklmnop",
            "abcdefghijklmnopq",
            "abcdefghXjklmnopq",
            "abcdefghYjklmnopq",
            "same",
            "same",
            "abcdefghijklmnopqrstuvwxyz0123456789",
        ];
        let t = IdTable::new(keys);
        for (n, k) in keys.iter().enumerate().take(13) {
            assert_eq!(t.get(k.as_bytes()), Some(n), "{k}");
        }
        assert_eq!(t.get(b"same"), Some(13));
        assert_eq!(t.get(b"abcdefghijklmnopqrstuvwxyz0123456789"), Some(15));
        for i in 8..28 {
            let mut k = *b"abcdefghijklmnopqrstuvwxyz0123456789";
            k[i] = b'_';
            assert_eq!(t.get(&k), None);
        }
        for k in [
            "b",
            "abdc",
            "abcdefghZjklmnopq",
            "abcdefghijklmnopqr",
            "bcdefghi",
        ] {
            assert_eq!(t.get(k.as_bytes()), None, "{k}");
        }
    }
}
