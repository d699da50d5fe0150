//! Byte-level input handling before the XML parser sees anything: gzip detection, the
//! character encoding (BOM, then the XML declaration), transcoding to UTF-8, and a guard that
//! bounds how many bytes the parser may buffer for a single XML event.
//!
//! The parser only ever sees UTF-8: files in Windows-1252 (`Cp1252`) or UTF-16 are transcoded
//! on the fly with `encoding_rs`, so memory stays flat whatever the file size.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::Path;

use encoding_rs::{DecoderResult, Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};

use super::error::{rules, XmlError};

/// Opens a file for reading, transparently gunzipping it when it starts with the gzip magic
/// bytes (the NAACCR samples are `.xml.gz`).
pub fn open_path(path: &Path) -> io::Result<Box<dyn BufRead + Send>> {
    let file = BufReader::with_capacity(64 * 1024, File::open(path)?);
    maybe_gunzip(file)
}

/// Wraps a reader in a gzip decoder when its first bytes are the gzip magic number.
pub fn maybe_gunzip<R: BufRead + Send + 'static>(mut r: R) -> io::Result<Box<dyn BufRead + Send>> {
    let head = r.fill_buf()?;
    if head.starts_with(&[0x1f, 0x8b]) {
        let gz = flate2::bufread::MultiGzDecoder::new(r);
        Ok(Box::new(BufReader::with_capacity(64 * 1024, gz)))
    } else {
        Ok(Box::new(r))
    }
}

type Head<R> = io::Chain<Cursor<Vec<u8>>, R>;

/// The input as UTF-8, whatever the file's own encoding.
pub enum Utf8Input<R: BufRead> {
    /// Already UTF-8 (or ASCII); a UTF-8 BOM has been dropped.
    Utf8(Head<R>),
    /// Transcoded from another encoding.
    Decoded(Transcoder<Head<R>>),
}

/// Detects the encoding from the BOM or the XML declaration and returns a UTF-8 view of the
/// input, plus the name of the encoding found.
pub fn utf8_input<R: BufRead>(mut r: R) -> Result<(Utf8Input<R>, &'static str), XmlError> {
    let mut head = Vec::with_capacity(256);
    // Only the XML declaration is needed; it must be at the very start.
    loop {
        let chunk = r.fill_buf().map_err(io_error)?;
        if chunk.is_empty() {
            break;
        }
        let take = chunk.len().min(1024 - head.len());
        head.extend_from_slice(&chunk[..take]);
        r.consume(take);
        let body = head.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(&head);
        let done = head.len() >= 1024
            || (body.len() >= 5 && !body.starts_with(b"<?xml"))
            || head.windows(2).any(|w| w == b"?>")
            || head.starts_with(&[0xFF, 0xFE])
            || head.starts_with(&[0xFE, 0xFF]);
        if done {
            break;
        }
    }
    let (encoding, skip): (&'static Encoding, usize) = if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        (UTF_8, 3)
    } else if head.starts_with(&[0xFF, 0xFE]) {
        (UTF_16LE, 2)
    } else if head.starts_with(&[0xFE, 0xFF]) {
        (UTF_16BE, 2)
    } else {
        match declared_encoding(&head) {
            None => (UTF_8, 0),
            Some(label) => (
                encoding_for_label(&label).ok_or_else(|| {
                    XmlError::fatal(
                        rules::ENCODING,
                        format!("unsupported encoding {label:?} in the XML declaration"),
                    )
                    .at(1, 1)
                })?,
                0,
            ),
        }
    };
    head.drain(..skip);
    let chained = Cursor::new(head).chain(r);
    if encoding == UTF_8 {
        Ok((Utf8Input::Utf8(chained), "UTF-8"))
    } else {
        Ok((
            Utf8Input::Decoded(Transcoder::new(chained, encoding)),
            encoding.name(),
        ))
    }
}

/// Maps an XML encoding name to a decoder. Java names (`Cp1252`) are accepted besides the
/// WHATWG labels; ASCII is read as UTF-8, its superset, instead of WHATWG's windows-1252.
fn encoding_for_label(label: &str) -> Option<&'static Encoding> {
    let l = label.trim().to_ascii_lowercase();
    match l.as_str() {
        "utf-8" | "utf8" | "us-ascii" | "ascii" => Some(UTF_8),
        "cp1252" | "windows-1252" => Some(WINDOWS_1252),
        _ => Encoding::for_label(l.as_bytes()),
    }
}

/// The `encoding="..."` pseudo-attribute of a leading XML declaration.
fn declared_encoding(head: &[u8]) -> Option<String> {
    let decl = head.strip_prefix(b"<?xml")?;
    let end = decl.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&decl[..end]).ok()?;
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let rest = &rest[1..];
    let close = rest.find(quote)?;
    Some(rest[..close].to_string())
}

pub(crate) fn io_error(e: io::Error) -> XmlError {
    XmlError::fatal(rules::IO, format!("read error: {e}"))
}

impl<R: BufRead> Read for Utf8Input<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // UTF-8 input goes straight through: a large read bypasses the inner buffer.
        if let Utf8Input::Utf8(r) = self {
            return r.read(buf);
        }
        let n = {
            let data = self.fill_buf()?;
            let n = data.len().min(buf.len());
            buf[..n].copy_from_slice(&data[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Utf8Input<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        match self {
            Utf8Input::Utf8(r) => r.fill_buf(),
            Utf8Input::Decoded(r) => r.fill_buf(),
        }
    }

    fn consume(&mut self, amt: usize) {
        match self {
            Utf8Input::Utf8(r) => r.consume(amt),
            Utf8Input::Decoded(r) => r.consume(amt),
        }
    }
}

/// Streams another encoding as UTF-8.
pub struct Transcoder<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    encoding: &'static Encoding,
    out: Vec<u8>,
    pos: usize,
    done: bool,
}

impl<R: BufRead> Transcoder<R> {
    fn new(inner: R, encoding: &'static Encoding) -> Transcoder<R> {
        Transcoder {
            inner,
            decoder: encoding.new_decoder_without_bom_handling(),
            encoding,
            out: Vec::new(),
            pos: 0,
            done: false,
        }
    }
}

impl<R: BufRead> Read for Transcoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = {
            let data = self.fill_buf()?;
            let n = data.len().min(buf.len());
            buf[..n].copy_from_slice(&data[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Transcoder<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos >= self.out.len() && !self.done {
            let input = self.inner.fill_buf()?;
            let last = input.is_empty();
            let cap = self
                .decoder
                .max_utf8_buffer_length_without_replacement(input.len())
                .unwrap_or(input.len() * 4 + 16);
            self.out.resize(cap.max(16), 0);
            let (res, read, written) =
                self.decoder
                    .decode_to_utf8_without_replacement(input, &mut self.out, last);
            if let DecoderResult::Malformed(_, _) = res {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("byte sequence not valid in {}", self.encoding.name()),
                ));
            }
            self.out.truncate(written);
            self.pos = 0;
            self.inner.consume(read);
            self.done = last;
        }
        Ok(&self.out[self.pos..])
    }

    fn consume(&mut self, amt: usize) {
        self.pos = (self.pos + amt).min(self.out.len());
    }
}

/// Bounds the bytes the XML parser consumes for one event, because quick-xml buffers a whole
/// event (text run or tag) in memory: a multi-gigabyte text node must fail, not exhaust memory.
pub struct EventGuard<R> {
    inner: R,
    consumed: usize,
    limit: usize,
    tripped: bool,
}

impl<R: BufRead> EventGuard<R> {
    pub fn new(inner: R, limit: usize) -> EventGuard<R> {
        EventGuard {
            inner,
            consumed: 0,
            limit,
            tripped: false,
        }
    }

    /// Called between events.
    pub fn reset(&mut self) {
        self.consumed = 0;
    }

    /// Whether the last failure came from the limit.
    pub fn tripped(&self) -> bool {
        self.tripped
    }
}

impl<R: BufRead> Read for EventGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = {
            let data = self.fill_buf()?;
            let n = data.len().min(buf.len());
            buf[..n].copy_from_slice(&data[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for EventGuard<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.consumed > self.limit {
            self.tripped = true;
            return Err(io::Error::other(format!(
                "a single XML event is larger than {} bytes",
                self.limit
            )));
        }
        // Never hand out more than the room left, so the limit holds even when the whole
        // input is one in-memory slice.
        let room = self.limit + 1 - self.consumed;
        let data = self.inner.fill_buf()?;
        Ok(&data[..data.len().min(room)])
    }

    fn consume(&mut self, amt: usize) {
        self.consumed += amt;
        self.inner.consume(amt);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> (String, &'static str) {
        let (mut input, enc) = utf8_input(bytes).unwrap();
        let mut s = String::new();
        input.read_to_string(&mut s).unwrap();
        (s, enc)
    }

    #[test]
    fn detects_encodings() {
        let (s, enc) = decode(b"<?xml version=\"1.0\" encoding='Cp1252'?><a>\x93x\x94</a>");
        assert_eq!(enc, "windows-1252");
        assert!(s.ends_with("<a>\u{201c}x\u{201d}</a>"));
        let (s, enc) = decode(b"\xEF\xBB\xBF<?xml version=\"1.0\"?><a/>");
        assert_eq!((s.as_str(), enc), ("<?xml version=\"1.0\"?><a/>", "UTF-8"));
        let (s, _) = decode(b"<a/>");
        assert_eq!(s, "<a/>");
        let (s, enc) = decode(b"\xFF\xFE<\x00a\x00/\x00>\x00");
        assert_eq!((s.as_str(), enc), ("<a/>", "UTF-16LE"));
        assert!(utf8_input(&b"<?xml version=\"1.0\" encoding=\"x-nothing\"?><a/>"[..]).is_err());
    }

    #[test]
    fn guard_stops_huge_events() {
        let data = vec![b'a'; 10_000];
        let mut g = EventGuard::new(&data[..], 100);
        let mut out = Vec::new();
        assert!(g.read_to_end(&mut out).is_err());
        assert!(g.tripped());
    }
}
