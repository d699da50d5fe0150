//! Just enough of the ZIP format to read the SEER staging archive (stored or deflated
//! entries, no ZIP64): the generator needs a few hundred small JSON files from it, and the
//! crate already has `flate2` for the deflate part.

use std::collections::BTreeMap;
use std::io::Read;

/// Where one entry's data lives in the archive.
#[derive(Debug, Clone, Copy)]
struct Entry {
    method: u16,
    compressed: usize,
    size: usize,
    local_header: usize,
}

/// An archive held in memory with its central directory parsed.
pub struct Archive {
    bytes: Vec<u8>,
    entries: BTreeMap<String, Entry>,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

impl Archive {
    /// Parses the central directory; `Err` carries a reason for the error message.
    pub fn parse(bytes: Vec<u8>) -> Result<Archive, String> {
        // the end-of-central-directory record sits in the last 22 + 65535 bytes
        let min = bytes.len().saturating_sub(22 + 65_535);
        let eocd = (min..bytes.len().saturating_sub(21))
            .rev()
            .find(|&i| u32_at(&bytes, i) == Some(0x0605_4b50))
            .ok_or("no end-of-central-directory record (not a ZIP file?)")?;
        let count = u16_at(&bytes, eocd + 10).ok_or("truncated directory record")?;
        let mut at = u32_at(&bytes, eocd + 16).ok_or("truncated directory record")? as usize;
        let mut entries = BTreeMap::new();
        for _ in 0..count {
            if u32_at(&bytes, at) != Some(0x0201_4b50) {
                return Err(format!("bad central directory entry at byte {at}"));
            }
            let field = |off: usize| u16_at(&bytes, at + off).ok_or("truncated entry");
            let word = |off: usize| u32_at(&bytes, at + off).ok_or("truncated entry");
            let method = field(10)?;
            let compressed = word(20)? as usize;
            let size = word(24)? as usize;
            let name_len = usize::from(field(28)?);
            let extra_len = usize::from(field(30)?);
            let comment_len = usize::from(field(32)?);
            let local_header = word(42)? as usize;
            let name = bytes
                .get(at + 46..at + 46 + name_len)
                .ok_or("truncated entry name")?;
            entries.insert(
                String::from_utf8_lossy(name).into_owned(),
                Entry {
                    method,
                    compressed,
                    size,
                    local_header,
                },
            );
            at += 46 + name_len + extra_len + comment_len;
        }
        Ok(Archive { bytes, entries })
    }

    /// Entry names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// The uncompressed content of an entry.
    pub fn read(&self, name: &str) -> Result<Vec<u8>, String> {
        let e = self
            .entries
            .get(name)
            .ok_or_else(|| format!("entry {name} not in the archive"))?;
        let h = e.local_header;
        if u32_at(&self.bytes, h) != Some(0x0403_4b50) {
            return Err(format!("bad local header for {name}"));
        }
        let name_len = usize::from(u16_at(&self.bytes, h + 26).ok_or("truncated header")?);
        let extra_len = usize::from(u16_at(&self.bytes, h + 28).ok_or("truncated header")?);
        let start = h + 30 + name_len + extra_len;
        let data = self
            .bytes
            .get(start..start + e.compressed)
            .ok_or_else(|| format!("entry {name} is truncated"))?;
        match e.method {
            0 => Ok(data.to_vec()),
            8 => {
                let mut out = Vec::with_capacity(e.size);
                flate2::read::DeflateDecoder::new(data)
                    .read_to_end(&mut out)
                    .map_err(|err| format!("cannot inflate {name}: {err}"))?;
                Ok(out)
            }
            m => Err(format!(
                "entry {name} uses unsupported compression method {m}"
            )),
        }
    }
}
