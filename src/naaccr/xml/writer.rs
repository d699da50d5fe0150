//! Streaming NAACCR XML writer (specification 1.8) for v26 exports, or v25 ones for recipients
//! still on NAACCR 25.
//!
//! The dictionary's `recordTypes` are applied as a privacy filter: an item is written only when
//! the target dictionary lists it for the chosen record type (no names or addresses in `I`, no
//! text in `C` or `I`). Items go in dictionary order; values are written as stored and
//! XML-escaped, except that characters XML 1.0 cannot carry (C0 controls other than tab, LF and
//! CR) are removed and counted, since no reader could accept them.

use std::io::Write;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use super::super::convert::item_to_v250;
use super::super::dictionary::{Dictionary, Level, RecordType};
use super::super::Items;
use super::reader::{Patient, PatientRecord, Slot as RecordSlot, UNKNOWN_ID};
use super::{IdTable, NAACCR_NS};

/// The base dictionary of the export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExportVersion {
    #[default]
    V260,
    /// Items are converted back (`sexAssignedAtBirth` -> `sex`); v26-only items are dropped.
    V250,
}

/// Export settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriterOptions {
    pub version: ExportVersion,
    pub record_type: RecordType,
    /// `timeGenerated`; the current UTC time when `None`.
    pub time_generated: Option<String>,
}

impl Default for WriterOptions {
    fn default() -> WriterOptions {
        WriterOptions {
            version: ExportVersion::V260,
            record_type: RecordType::A,
            time_generated: None,
        }
    }
}

/// What the writer did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStats {
    pub patients: u64,
    pub tumors: u64,
    pub items: u64,
    /// Items not written: unknown to the target dictionary, not allowed in the record type,
    /// or stored at another level.
    pub items_filtered: u64,
    /// Control characters removed from values.
    pub characters_removed: u64,
    pub bytes: u64,
}

/// A dictionary item the export may carry, with its `<Item naaccrId="...">` prefix (indent
/// included) ready to copy.
#[derive(Clone)]
struct Slot {
    level: Level,
    prefix: std::ops::Range<usize>,
}

type RecordMap = (Arc<[Box<str>]>, Vec<u32>);

/// The streaming writer: [`NaaccrXmlWriter::new`] writes the root and its items, then
/// [`NaaccrXmlWriter::write_patient`] once per patient, then [`NaaccrXmlWriter::finish`].
pub struct NaaccrXmlWriter<W: Write> {
    out: W,
    buf: Vec<u8>,
    dict: &'static Dictionary,
    v250: bool,
    ids: IdTable,
    /// By dictionary position; `None` when the record type excludes the item.
    slots: Vec<Option<Slot>>,
    prefixes: Vec<u8>,
    /// Items of the element being written: a bit per dictionary position, and per position
    /// the index of its value (positions give dictionary order without sorting).
    present: Vec<u64>,
    value_of: Vec<u32>,
    /// For [`NaaccrXmlWriter::write_record`]: the reader's item names (kept, so the pointer
    /// identifies them) and each one's dictionary position (`u32::MAX`: not in it).
    record_map: Option<RecordMap>,
    stats: WriteStats,
}

const FLUSH_AT: usize = 256 * 1024;
const INDENT: &[u8] = b"            ";

impl<W: Write> NaaccrXmlWriter<W> {
    /// Writes the XML declaration, the `NaaccrData` start tag and the root items.
    pub fn new(
        out: W,
        options: &WriterOptions,
        root_items: &Items,
    ) -> std::io::Result<NaaccrXmlWriter<W>> {
        let dict = match options.version {
            ExportVersion::V260 => Dictionary::v260(),
            ExportVersion::V250 => Dictionary::v250(),
        };
        let rt = options.record_type;
        let mut prefixes = Vec::new();
        let slots = dict
            .items()
            .iter()
            .map(|d| {
                d.record_types.contains(rt).then(|| {
                    let depth = match d.level {
                        Level::Root => 1,
                        Level::Patient => 2,
                        Level::Tumor => 3,
                    };
                    let start = prefixes.len();
                    prefixes.extend_from_slice(&INDENT[..4 * depth]);
                    prefixes.extend_from_slice(b"<Item naaccrId=\"");
                    escape_into(&mut prefixes, d.id.as_bytes(), true);
                    prefixes.extend_from_slice(b"\">");
                    Slot {
                        level: d.level,
                        prefix: start..prefixes.len(),
                    }
                })
            })
            .collect::<Vec<_>>();
        let n = slots.len();
        let mut w = NaaccrXmlWriter {
            out,
            buf: Vec::with_capacity(FLUSH_AT + 8192),
            dict,
            v250: options.version == ExportVersion::V250,
            ids: IdTable::new(dict.items().iter().map(|d| d.id.as_str())),
            slots,
            prefixes,
            present: vec![0; n.div_ceil(64)],
            value_of: vec![0; n],
            record_map: None,
            stats: WriteStats::default(),
        };
        let time = options.time_generated.clone().unwrap_or_else(now_utc);
        w.buf.extend_from_slice(
            b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<NaaccrData baseDictionaryUri=\"",
        );
        escape_into(&mut w.buf, w.dict.uri.as_bytes(), true);
        w.buf.extend_from_slice(b"\"\n            recordType=\"");
        w.buf.extend_from_slice(rt.as_str().as_bytes());
        w.buf.extend_from_slice(
            b"\"\n            specificationVersion=\"1.8\"\n            timeGenerated=\"",
        );
        escape_into(&mut w.buf, time.as_bytes(), true);
        w.buf.extend_from_slice(b"\"\n            xmlns=\"");
        w.buf.extend_from_slice(NAACCR_NS.as_bytes());
        w.buf.extend_from_slice(b"\">\n");
        w.write_items(root_items, Level::Root, 1);
        w.flush_if_full()?;
        Ok(w)
    }

    /// Writes one patient and its tumors.
    pub fn write_patient(&mut self, patient: &Patient) -> std::io::Result<()> {
        self.buf.extend_from_slice(b"    <Patient>\n");
        self.write_items(&patient.items, Level::Patient, 2);
        for t in &patient.tumors {
            self.buf.extend_from_slice(b"        <Tumor>\n");
            self.write_items(&t.items, Level::Tumor, 3);
            self.buf.extend_from_slice(b"        </Tumor>\n");
            self.stats.tumors += 1;
        }
        self.buf.extend_from_slice(b"    </Patient>\n");
        self.stats.patients += 1;
        self.flush_if_full()
    }

    /// Writes one patient as read by [`super::NaaccrXmlReader::next_patient_into`], with the
    /// same output as [`NaaccrXmlWriter::write_patient`] of [`PatientRecord::to_patient`]:
    /// items are matched to the dictionary by the reader's item index (one lookup per id per
    /// dictionary set, not per item) and values are copied from one buffer, no map or string.
    pub fn write_record(&mut self, record: &PatientRecord) -> std::io::Result<()> {
        if self.v250 {
            // The v25 conversion works on ids and values: the map form.
            return self.write_patient(&record.to_patient());
        }
        let map = match self.record_map.take() {
            Some((names, map)) if Arc::ptr_eq(&names, &record.names) => (names, map),
            _ => {
                let map = record
                    .names
                    .iter()
                    .map(|n| self.ids.get(n.as_bytes()).map_or(u32::MAX, |p| p as u32))
                    .collect();
                (record.names.clone(), map)
            }
        };
        self.buf.extend_from_slice(b"    <Patient>\n");
        let patient = record.slots.get(..record.patient_items).unwrap_or(&[]);
        self.write_record_items(record, patient, &map.1, Level::Patient);
        for t in &record.tumors {
            self.buf.extend_from_slice(b"        <Tumor>\n");
            let items = record.slots.get(t.items.clone()).unwrap_or(&[]);
            self.write_record_items(record, items, &map.1, Level::Tumor);
            self.buf.extend_from_slice(b"        </Tumor>\n");
            self.stats.tumors += 1;
        }
        self.buf.extend_from_slice(b"    </Patient>\n");
        self.stats.patients += 1;
        self.record_map = Some(map);
        self.flush_if_full()
    }

    /// Closes the root element and flushes; returns the output and the statistics.
    pub fn finish(mut self) -> std::io::Result<(W, WriteStats)> {
        self.buf.extend_from_slice(b"</NaaccrData>\n");
        self.flush_buf()?;
        self.out.flush()?;
        Ok((self.out, self.stats))
    }

    /// Statistics so far.
    pub fn stats(&self) -> WriteStats {
        self.stats
    }

    fn write_items(&mut self, items: &Items, level: Level, _depth: usize) {
        // Two passes. The first only loads the first byte of each id and value: they are
        // separate heap blocks that are rarely cached, and in this short loop with no
        // data-dependent branches the CPU overlaps their misses, where the lookup loop, one
        // item at a time, waited for each (60% of the lookup time was that one load in
        // profiles). Hashing in this loop too, or touching in a separate loop, measured slower.
        let mut pending: Vec<(&str, &str)> = Vec::with_capacity(items.len());
        let mut touched = 0u8;
        for (id, value) in items {
            if value.is_empty() {
                continue;
            }
            let (id, value): (&str, &str) = if self.v250 {
                match item_to_v250(id, value) {
                    Some(x) => x,
                    None => {
                        self.stats.items_filtered += 1;
                        continue;
                    }
                }
            } else {
                (id.as_str(), value.as_str())
            };
            touched ^= value.as_bytes().first().copied().unwrap_or(0)
                ^ id.as_bytes().first().copied().unwrap_or(0);
            pending.push((id, value));
        }
        std::hint::black_box(touched);
        let mut values: Vec<&[u8]> = Vec::with_capacity(pending.len());
        let mut written = 0u64;
        for &(id, value) in &pending {
            let position = self.ids.get(id.as_bytes());
            self.place(position, level, value.as_bytes(), &mut values, &mut written);
        }
        self.emit(&values);
        self.stats.items += written;
    }

    fn write_record_items(
        &mut self,
        record: &PatientRecord,
        slots: &[RecordSlot],
        map: &[u32],
        level: Level,
    ) {
        let mut values: Vec<&[u8]> = Vec::with_capacity(slots.len());
        let mut written = 0u64;
        for s in slots {
            let value = record.text.get(s.start..s.end).unwrap_or(b"");
            if value.is_empty() {
                continue;
            }
            let position = if s.name & UNKNOWN_ID != 0 {
                record
                    .unknown_names
                    .get((s.name & !UNKNOWN_ID) as usize)
                    .and_then(|n| self.ids.get(n.as_bytes()))
            } else {
                map.get(s.name as usize)
                    .filter(|&&p| p != u32::MAX)
                    .map(|&p| p as usize)
            };
            self.place(position, level, value, &mut values, &mut written);
        }
        self.emit(&values);
        self.stats.items += written;
    }

    /// Notes an item's value at its dictionary position when the export carries it there.
    fn place<'a>(
        &mut self,
        position: Option<usize>,
        level: Level,
        value: &'a [u8],
        values: &mut Vec<&'a [u8]>,
        written: &mut u64,
    ) {
        match position.and_then(|p| self.slots.get(p)?.as_ref().map(|s| (p, s))) {
            Some((p, s)) if s.level == level => {
                // Two ids converted to the same one (v25 `sex`): one item, the later wins.
                if self.present[p / 64] & (1 << (p % 64)) != 0 {
                    self.stats.items_filtered += 1;
                    *written -= 1;
                }
                *written += 1;
                self.present[p / 64] |= 1 << (p % 64);
                self.value_of[p] = values.len() as u32;
                values.push(value);
            }
            _ => self.stats.items_filtered += 1,
        }
    }

    /// Writes the noted items in dictionary order and clears them.
    fn emit(&mut self, values: &[&[u8]]) {
        for w in 0..self.present.len() {
            let mut bits = std::mem::take(&mut self.present[w]);
            while bits != 0 {
                let p = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                if let Some(slot) = &self.slots[p] {
                    self.buf
                        .extend_from_slice(&self.prefixes[slot.prefix.clone()]);
                    let value = values[self.value_of[p] as usize];
                    self.stats.characters_removed += escape_into(&mut self.buf, value, false);
                    self.buf.extend_from_slice(b"</Item>\n");
                }
            }
        }
    }

    fn flush_if_full(&mut self) -> std::io::Result<()> {
        if self.buf.len() >= FLUSH_AT {
            self.flush_buf()?;
        }
        Ok(())
    }

    fn flush_buf(&mut self) -> std::io::Result<()> {
        self.out.write_all(&self.buf)?;
        self.stats.bytes += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// The first byte at or after `from` that may need escaping or removing in text: a control
/// character, `&`, `<`, `>` or a non-ASCII byte (for U+FFFE/U+FFFF). Eight bytes at a time,
/// since values are mostly plain.
fn next_special(b: &[u8], from: usize) -> usize {
    let mut i = from;
    while i + 8 <= b.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[i..i + 8]);
        let x = u64::from_le_bytes(w);
        let eq = |c: u8| {
            let y = x ^ (LO * u64::from(c));
            y.wrapping_sub(LO) & !y
        };
        // Borrows only run upwards, so the lowest flagged byte is a true hit.
        let m = (eq(b'&') | eq(b'<') | eq(b'>') | (x.wrapping_sub(LO * 0x20) & !x) | x) & HI;
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() {
        let c = b[i];
        if !(0x20..0x80).contains(&c) || matches!(c, b'&' | b'<' | b'>') {
            return i;
        }
        i += 1;
    }
    b.len()
}

/// Appends `s` escaped for XML text (or an attribute value); returns the number of characters
/// dropped because XML 1.0 cannot represent them.
fn escape_into(out: &mut Vec<u8>, bytes: &[u8], attribute: bool) -> u64 {
    let mut removed = 0;
    let mut start = 0;
    let mut i = if attribute { 0 } else { next_special(bytes, 0) };
    while i < bytes.len() {
        let b = bytes[i];
        let rep: Option<&[u8]> = match b {
            b'&' => Some(b"&amp;"),
            b'<' => Some(b"&lt;"),
            b'>' => Some(b"&gt;"),
            b'"' if attribute => Some(b"&quot;"),
            // A raw CR would be normalised away by the reader: a reference keeps the value exact.
            b'\r' => Some(b"&#13;"),
            b'\n' if attribute => Some(b"&#10;"),
            b'\t' if attribute => Some(b"&#9;"),
            b'\n' | b'\t' => None,
            c if c < 0x20 => Some(b""),
            // U+FFFE and U+FFFF (EF BF BE / EF BF BF) are not XML characters.
            0xEF if bytes.get(i + 1) == Some(&0xBF)
                && matches!(bytes.get(i + 2), Some(0xBE | 0xBF)) =>
            {
                Some(b"")
            }
            _ => None,
        };
        if let Some(rep) = rep {
            out.extend_from_slice(&bytes[start..i]);
            out.extend_from_slice(rep);
            let len = if b == 0xEF { 3 } else { 1 };
            if rep.is_empty() {
                removed += 1;
            }
            i += len;
            start = i;
        } else {
            i += 1;
        }
        if !attribute {
            i = next_special(bytes, i);
        }
    }
    out.extend_from_slice(&bytes[start..]);
    removed
}

/// Current UTC time as `YYYY-MM-DDThh:mm:ssZ` (civil date from the Unix day count).
fn now_utc() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::super::super::dictionary_xml::DictionarySet;
    use super::super::reader::{read_all, ReaderOptions, Tumor};
    use super::*;

    fn sample() -> Patient {
        let mut p = Patient::default();
        p.items.insert("patientIdNumber".into(), "00000001".into());
        p.items.insert("nameLast".into(), "O'Brien & <Sons>".into());
        p.items.insert("sexAssignedAtBirth".into(), "2".into());
        let mut t = Tumor::default();
        t.items.insert("primarySite".into(), "C504".into());
        t.items
            .insert("textRemarks".into(), "line1\r\nline2\u{7}".into());
        p.tumors.push(t);
        p
    }

    fn write(options: &WriterOptions) -> (String, WriteStats) {
        let mut w = NaaccrXmlWriter::new(Vec::new(), options, &Items::new()).unwrap();
        w.write_patient(&sample()).unwrap();
        let (out, stats) = w.finish().unwrap();
        (String::from_utf8(out).unwrap(), stats)
    }

    #[test]
    fn filters_by_record_type_and_round_trips() {
        let (xml, stats) = write(&WriterOptions::default());
        assert_eq!(stats.characters_removed, 1);
        let mut got = Vec::new();
        let r = read_all(
            xml.as_bytes(),
            &DictionarySet::builtin(),
            ReaderOptions::default(),
            |p| got.push(p.clone()),
        );
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(got[0].items["nameLast"], "O'Brien & <Sons>");
        assert_eq!(got[0].tumors[0].items["textRemarks"], "line1\r\nline2");
        let (xml, stats) = write(&WriterOptions {
            record_type: RecordType::I,
            ..WriterOptions::default()
        });
        assert!(!xml.contains("nameLast") && !xml.contains("textRemarks"));
        assert_eq!(stats.items_filtered, 2);
    }

    #[test]
    fn records_write_like_patients() {
        use super::super::reader::{NaaccrXmlReader, PatientRecord, UnknownItems};
        let mut p = sample();
        p.items.insert("madeUpItem".into(), "x".into());
        p.tumors[0]
            .items
            .insert("nameLast".into(), "wrong level".into());
        p.tumors.push(Tumor::default());
        let mut w =
            NaaccrXmlWriter::new(Vec::new(), &WriterOptions::default(), &Items::new()).unwrap();
        w.write_patient(&p).unwrap();
        let xml = w.finish().unwrap().0;
        for options in [
            WriterOptions::default(),
            WriterOptions {
                record_type: RecordType::I,
                ..WriterOptions::default()
            },
            WriterOptions {
                version: ExportVersion::V250,
                ..WriterOptions::default()
            },
        ] {
            for unknown_items in [UnknownItems::Drop, UnknownItems::Keep] {
                let set = DictionarySet::builtin();
                let read = ReaderOptions {
                    unknown_items,
                    ..ReaderOptions::default()
                };
                let mut r = NaaccrXmlReader::new(&xml[..], &set, read).unwrap();
                let out = |by_record: bool, r: &mut NaaccrXmlReader<&[u8]>| {
                    let mut w = NaaccrXmlWriter::new(Vec::new(), &options, &Items::new()).unwrap();
                    let mut rec = PatientRecord::new();
                    // The same record twice: the second write reuses the id map.
                    assert!(r.next_patient_into(&mut rec).unwrap());
                    for _ in 0..2 {
                        if by_record {
                            w.write_record(&rec).unwrap();
                        } else {
                            w.write_patient(&rec.to_patient()).unwrap();
                        }
                    }
                    let (out, stats) = w.finish().unwrap();
                    (String::from_utf8(out).unwrap(), stats)
                };
                let a = out(false, &mut r);
                let mut r = NaaccrXmlReader::new(&xml[..], &set, read).unwrap();
                let b = out(true, &mut r);
                assert_eq!(a, b);
                assert!(a.0.contains("textRemarks") != (options.record_type == RecordType::I));
            }
        }
    }

    #[test]
    fn v250_export_converts_sex() {
        let (xml, _) = write(&WriterOptions {
            version: ExportVersion::V250,
            ..WriterOptions::default()
        });
        assert!(xml.contains("<Item naaccrId=\"sex\">2</Item>"));
        assert!(xml.contains("naaccr-dictionary-250.xml"));
        assert!(!xml.contains("sexAssignedAtBirth"));
    }

    #[test]
    fn escapes() {
        let esc = |s: &str, a: bool| {
            let mut out = Vec::new();
            let removed = escape_into(&mut out, s.as_bytes(), a);
            (String::from_utf8(out).unwrap(), removed)
        };
        assert_eq!(
            esc("plain text value", false),
            ("plain text value".into(), 0)
        );
        assert_eq!(
            esc("a&b<c>d\"e\r\nf\tg\u{7}h", false),
            ("a&amp;b&lt;c&gt;d\"e&#13;\nf\tg".to_string() + "h", 1)
        );
        assert_eq!(esc("x\"y\nz\t", true), ("x&quot;y&#10;z&#9;".into(), 0));
        assert_eq!(
            esc("caf\u{e9} \u{FFFE}\u{FFFF}\u{F000} long enough", false),
            ("caf\u{e9} \u{F000} long enough".into(), 2)
        );
    }

    #[test]
    fn time_format() {
        let t = now_utc();
        assert_eq!(t.len(), 20);
        assert!(t.ends_with('Z'));
    }
}
