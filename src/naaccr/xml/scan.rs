//! A streaming XML tokenizer specialised for NAACCR XML: general enough for any well-formed
//! document (namespaces with prefixes, attributes, entity and character references, CDATA,
//! comments, processing instructions), strict where the format needs it (DOCTYPE, duplicated
//! attributes, unbalanced tags), and with a fused fast path for the `<Item naaccrId="x">v</Item>`
//! shape that makes up nearly all of a file.
//!
//! A general-purpose parser spends most of its time producing one event per tag and per text
//! run; on NAACCR data that overhead alone was below the throughput target, hence this.
//!
//! The scanner owns one buffer that always holds the whole current token: a token longer than
//! `max_event` bytes is a `limit` error, so memory stays bounded whatever the input.

use std::io::Read;
use std::ops::Range;

use super::error::{rules, XmlError};
use super::NAACCR_NS;

/// Where a name resolved to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Ns {
    Naaccr,
    Other,
    None,
}

/// How an attribute name resolved.
pub(crate) enum AttrNs<'a> {
    /// A namespace declaration (`xmlns`, `xmlns:p`).
    Binding,
    Unbound,
    Bound(&'a [u8]),
    Unknown(&'a [u8]),
}

pub(crate) struct Attr {
    pub qname: Range<usize>,
    /// Length of the prefix (without the colon); 0 when unprefixed.
    pub prefix_len: usize,
    pub value: Range<usize>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Tok {
    Start {
        empty: bool,
    },
    End,
    /// A text run up to the next markup; `ws` when it is only XML whitespace.
    Text {
        ws: bool,
    },
    CData,
    /// Comment, processing instruction or XML declaration.
    Misc,
    Eof,
}

struct Binding {
    prefix: Box<[u8]>,
    uri: Box<[u8]>,
}

struct Open {
    name: Range<usize>,
    bindings: usize,
    default_ns: Ns,
}

/// An `<Item naaccrId="...">value</Item>` recognised by [`Scanner::fast_item`].
pub(crate) struct FastItem {
    pub id: Range<usize>,
    pub value: Range<usize>,
    /// The value has references, CR or non-ASCII bytes: decode it with [`decode_text`].
    pub needs_decode: bool,
    pub line: u64,
    pub column: u64,
}

pub(crate) struct Scanner<R> {
    input: R,
    pub buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// Absolute offset of `buf[0]` in the (UTF-8) input.
    base: u64,
    eof: bool,
    line: u64,
    /// Absolute offset where the current line starts.
    line_start: u64,
    max_event: usize,
    /// Position of the last token.
    pub tok_line: u64,
    pub tok_col: u64,
    /// The last start or end tag: qualified name, local name, namespace, attributes.
    pub name: Range<usize>,
    pub local: Range<usize>,
    pub ns: Ns,
    pub attrs: Vec<Attr>,
    /// Raw content of the last text or CDATA token.
    pub text: Range<usize>,
    open: Vec<Open>,
    names: Vec<u8>,
    bindings: Vec<Binding>,
    /// Namespace of unprefixed elements at the current depth.
    pub default_ns: Ns,
    /// An empty element's bindings are dropped when the next token is read.
    pending_pop: bool,
    empty_bindings: usize,
    empty_default: Ns,
    started: bool,
}

const FAST_OPEN: &[u8] = b"<Item naaccrId=\"";
const FAST_CLOSE: &[u8] = b"</Item>";

enum Fast {
    Item(FastItem),
    No,
    /// The element may go on past the buffered bytes (offset of the value from `pos`).
    NeedMore(usize),
}

const WS: [bool; 256] = {
    let mut t = [false; 256];
    t[b' ' as usize] = true;
    t[b'\t' as usize] = true;
    t[b'\n' as usize] = true;
    t[b'\r' as usize] = true;
    t
};

fn is_ws(b: u8) -> bool {
    WS[usize::from(b)]
}

/// Bytes that end a name inside a tag.
fn name_end(b: u8) -> bool {
    is_ws(b) || matches!(b, b'/' | b'>' | b'=' | b'<' | b'"' | b'\'')
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// The end of a fast-path id: the first `"` in `b`, or `None` when a byte comes first that
/// the general path would treat differently (`&` for references, `<`, blanks and controls for
/// normalisation, non-ASCII for the UTF-8 check). Eight bytes at a time, checking the id in
/// the same pass (ids are short: cheaper than a `memchr` call).
fn find_quote(b: &[u8]) -> Option<usize> {
    let ok = |c: u8| (0x21..0x80).contains(&c) && !matches!(c, b'&' | b'<');
    // Sixteen bytes a step: most ids end in the first, which saves a mispredicted loop exit.
    const LO2: u128 = (LO as u128) << 64 | LO as u128;
    const HI2: u128 = (HI as u128) << 64 | HI as u128;
    let mut i = 0;
    while i + 16 <= b.len() {
        let mut w = [0u8; 16];
        w.copy_from_slice(&b[i..i + 16]);
        let x = u128::from_le_bytes(w);
        let eq = |c: u8| {
            let y = x ^ (LO2 * u128::from(c));
            y.wrapping_sub(LO2) & !y
        };
        // Borrows only run upwards, so the lowest flagged byte is a true hit.
        let m = (eq(b'"') | eq(b'&') | eq(b'<') | (x.wrapping_sub(LO2 * 0x21) & !x) | x) & HI2;
        if m != 0 {
            let j = i + (m.trailing_zeros() / 8) as usize;
            return (b[j] == b'"').then_some(j);
        }
        i += 16;
    }
    while i < b.len() {
        let c = b[i];
        if c == b'"' {
            return Some(i);
        }
        if !ok(c) {
            return None;
        }
        i += 1;
    }
    None
}

/// `b.starts_with(p)` for the fast-path tags (4 to 16 bytes) as word compares: the library
/// call it compiles to was 4% of reading.
#[inline(always)]
fn starts_with_word(b: &[u8], p: &[u8]) -> bool {
    let n = p.len();
    if b.len() < n || !(4..=16).contains(&n) {
        return b.starts_with(p);
    }
    let word = |s: &[u8], i: usize| -> u64 {
        if n >= 8 {
            let mut w = [0u8; 8];
            w.copy_from_slice(&s[i..i + 8]);
            u64::from_le_bytes(w)
        } else {
            let mut w = [0u8; 4];
            w.copy_from_slice(&s[i..i + 4]);
            u64::from(u32::from_le_bytes(w))
        }
    };
    let k = if n >= 8 { 8 } else { 4 };
    word(b, 0) == word(p, 0) && word(b, n - k) == word(p, n - k)
}

/// The end of an item value (its `<`) and whether the value holds a control character, `&`
/// or a non-ASCII byte (the cases that need decoding or a closer look), eight bytes at a time.
/// `None` when no `<` is buffered yet.
pub(crate) fn value_end(b: &[u8]) -> Option<(usize, bool)> {
    let special = |c: u8| c < 0x20 || c == b'&' || c >= 0x80;
    let rest = |i: usize| memchr::memchr(b'<', &b[i..]).map(|k| (i + k, true));
    let mut i = 0;
    while i + 8 <= b.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[i..i + 8]);
        let x = u64::from_le_bytes(w);
        let lt = x ^ (LO * u64::from(b'<'));
        let amp = x ^ (LO * u64::from(b'&'));
        // Borrows only run upwards, so the lowest flagged byte is a true hit.
        let m = ((lt.wrapping_sub(LO) & !lt)
            | (amp.wrapping_sub(LO) & !amp)
            | (x.wrapping_sub(LO * 0x20) & !x)
            | x)
            & HI;
        if m != 0 {
            let j = i + (m.trailing_zeros() / 8) as usize;
            return if b[j] == b'<' {
                Some((j, false))
            } else {
                rest(j)
            };
        }
        i += 8;
    }
    while i < b.len() {
        let c = b[i];
        if c == b'<' {
            return Some((i, false));
        }
        if special(c) {
            return rest(i);
        }
        i += 1;
    }
    None
}

impl<R: Read> Scanner<R> {
    pub fn new(input: R, max_event: usize) -> Scanner<R> {
        let size = (max_event.saturating_add(1)).clamp(64, 256 * 1024);
        Scanner {
            input,
            buf: vec![0; size],
            pos: 0,
            end: 0,
            base: 0,
            eof: false,
            line: 1,
            line_start: 0,
            max_event,
            tok_line: 1,
            tok_col: 1,
            name: 0..0,
            local: 0..0,
            ns: Ns::None,
            attrs: Vec::new(),
            text: 0..0,
            open: Vec::new(),
            names: Vec::new(),
            bindings: Vec::new(),
            default_ns: Ns::None,
            pending_pop: false,
            empty_bindings: 0,
            empty_default: Ns::None,
            started: false,
        }
    }

    fn column_at(&self, pos: usize) -> u64 {
        (self.base + pos as u64).saturating_sub(self.line_start) + 1
    }

    fn err(&self, rule: &'static str, m: impl Into<String>) -> XmlError {
        XmlError::fatal(rule, m).at(self.tok_line, self.tok_col)
    }

    /// Moves the unread bytes to the front and reads more; `false` at the end of input. Fails
    /// when the token being read no longer fits in `max_event` bytes.
    fn more(&mut self) -> Result<bool, XmlError> {
        if self.eof {
            return Ok(false);
        }
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.base += self.pos as u64;
            self.end -= self.pos;
            self.pos = 0;
        }
        if self.end == self.buf.len() {
            if self.buf.len() > self.max_event {
                return Err(self.err(
                    rules::LIMIT,
                    format!(
                        "XML error: a single XML event is larger than {} bytes",
                        self.max_event
                    ),
                ));
            }
            let size = (self.buf.len() * 2).min(self.max_event.saturating_add(1));
            self.buf.resize(size, 0);
        }
        let before = self.end;
        while self.end < self.buf.len() {
            let n = loop {
                match self.input.read(&mut self.buf[self.end..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        let rule = if e.kind() == std::io::ErrorKind::InvalidData {
                            rules::ENCODING
                        } else {
                            rules::IO
                        };
                        let (line, col) = (self.line, self.column_at(self.end));
                        return Err(XmlError::fatal(rule, format!("read error: {e}")).at(line, col));
                    }
                }
            };
            if n == 0 {
                self.eof = true;
                break;
            }
            self.end += n;
            // Enough for the token at hand more often than not; a pipe need not fill it.
            if self.end - before >= 32 * 1024 {
                break;
            }
        }
        Ok(self.end > before)
    }

    /// Counts the lines of `buf[from..to]`, which is being consumed.
    fn lines(&mut self, from: usize, to: usize) {
        let bytes = &self.buf[from..to];
        let mut last = None;
        for i in memchr::memchr_iter(b'\n', bytes) {
            self.line += 1;
            last = Some(i);
        }
        if let Some(i) = last {
            self.line_start = self.base + (from + i + 1) as u64;
        }
    }

    fn consume(&mut self, to: usize) {
        let from = self.pos;
        self.lines(from, to);
        self.pos = to;
    }

    /// Finds `needle` at or after `buf[from]`, reading more when needed. Returns the absolute
    /// buffer index (valid until the next call that may refill) or `None` at the end of input.
    /// `from` is relative to `self.pos`, so it survives compaction.
    fn find(&mut self, needle: &[u8], from: usize) -> Result<Option<usize>, XmlError> {
        let mut searched = from;
        loop {
            let hay = &self.buf[self.pos + searched..self.end];
            let found = if needle.len() == 1 {
                memchr::memchr(needle[0], hay)
            } else {
                memchr::memmem::find(hay, needle)
            };
            if let Some(i) = found {
                return Ok(Some(self.pos + searched + i));
            }
            searched = (self.end - self.pos)
                .saturating_sub(needle.len() - 1)
                .max(searched);
            if !self.more()? {
                return Ok(None);
            }
        }
    }

    /// Ensures `n` bytes from `pos` are buffered when the input has them.
    fn have(&mut self, n: usize) -> Result<bool, XmlError> {
        while self.end - self.pos < n {
            if !self.more()? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Skips XML whitespace, which is what separates the elements of a NAACCR file. Stops at
    /// the first other byte or the end of input.
    pub fn skip_ws(&mut self) -> Result<(), XmlError> {
        let mut run = 0usize;
        loop {
            let start = self.pos;
            let mut i = start;
            let end = self.end;
            let mut nl = None;
            // The usual separator: a line feed and an indent of spaces.
            if i < end && self.buf[i] == b'\n' {
                self.line += 1;
                nl = Some(i);
                i += 1;
                while i + 8 <= end && self.buf[i..i + 8] == [b' '; 8] {
                    i += 8;
                }
            }
            while i < end {
                let b = self.buf[i];
                if !is_ws(b) {
                    break;
                }
                if b == b'\n' {
                    self.line += 1;
                    nl = Some(i);
                }
                i += 1;
            }
            if let Some(n) = nl {
                self.line_start = self.base + n as u64 + 1;
            }
            run += i - start;
            self.pos = i;
            if run > self.max_event {
                self.tok_line = self.line;
                self.tok_col = self.column_at(i);
                return Err(self.err(
                    rules::LIMIT,
                    format!(
                        "XML error: a single XML event is larger than {} bytes",
                        self.max_event
                    ),
                ));
            }
            if i < end || !self.more()? {
                return Ok(());
            }
        }
    }

    /// Recognises `<Item naaccrId="id">value</Item>` (or `<Item naaccrId="id"/>`) at the current
    /// position, unprefixed, with nothing unusual in it, and consumes it. Anything else leaves
    /// the position unchanged and returns `None`: the general tokenizer then handles it.
    pub fn fast_item(&mut self) -> Result<Option<FastItem>, XmlError> {
        if self.pending_pop {
            return Ok(None);
        }
        // Most elements are short: one refill check up front instead of one per step.
        if self.end - self.pos < 512 && !self.eof {
            self.have(512)?;
        }
        for attempt in 0..2 {
            match self.fast_item_at() {
                Fast::Item(it) => return Ok(Some(it)),
                Fast::No => return Ok(None),
                Fast::NeedMore(rel) => {
                    // A long value: buffer the whole element, then look again once.
                    if attempt == 1 || self.find(FAST_CLOSE, rel)?.is_none() {
                        return Ok(None);
                    }
                }
            }
        }
        Ok(None)
    }

    fn fast_item_at(&mut self) -> Fast {
        let b = &self.buf[self.pos..self.end];
        if !starts_with_word(b, FAST_OPEN) {
            return Fast::No;
        }
        let id_start = FAST_OPEN.len();
        let Some(id_len) = find_quote(&b[id_start..]) else {
            return Fast::No;
        };
        let id_end = id_start + id_len;
        if id_len == 0 {
            return Fast::No;
        }
        let (line, column) = (self.line, self.column_at(self.pos));
        let base = self.pos;
        match (b.get(id_end + 1), b.get(id_end + 2)) {
            (Some(b'>'), _) => {}
            (Some(b'/'), Some(b'>')) => {
                self.pos = base + id_end + 3;
                return Fast::Item(FastItem {
                    id: base + id_start..base + id_end,
                    value: 0..0,
                    needs_decode: false,
                    line,
                    column,
                });
            }
            _ => return Fast::No,
        }
        let v_start = id_end + 2;
        let Some((lt, needs_decode)) = value_end(&b[v_start..]).map(|(i, d)| (v_start + i, d))
        else {
            return Fast::NeedMore(v_start);
        };
        if b.len() - lt < FAST_CLOSE.len() {
            return Fast::NeedMore(v_start);
        }
        if !starts_with_word(&b[lt..], FAST_CLOSE) {
            return Fast::No;
        }
        if needs_decode {
            self.lines(base + v_start, base + lt);
        }
        self.pos = base + lt + FAST_CLOSE.len();
        Fast::Item(FastItem {
            id: base + id_start..base + id_end,
            value: base + v_start..base + lt,
            needs_decode,
            line,
            column,
        })
    }

    /// The next token. Positions (`tok_line`, `tok_col`) and ranges (`name`, `attrs`, `text`)
    /// describe it until the next call.
    pub fn next(&mut self) -> Result<Tok, XmlError> {
        if self.pending_pop {
            self.pending_pop = false;
            self.pop_bindings_of_empty();
        }
        if self.pos >= self.end && !self.more()? {
            self.tok_line = self.line;
            self.tok_col = self.column_at(self.pos);
            return Ok(Tok::Eof);
        }
        self.tok_line = self.line;
        self.tok_col = self.column_at(self.pos);
        let first = !self.started;
        self.started = true;
        if self.buf[self.pos] != b'<' {
            return self.text_token();
        }
        if !self.have(2)? {
            return Err(self.err(
                rules::NOT_WELL_FORMED,
                "XML error: unexpected end of file after '<'",
            ));
        }
        match self.buf[self.pos + 1] {
            b'/' => self.end_tag(),
            b'!' => self.bang(),
            b'?' => {
                let Some(close) = self.find(b"?>", 2)? else {
                    return Err(self.err(
                        rules::NOT_WELL_FORMED,
                        "XML error: unclosed processing instruction",
                    ));
                };
                let target_end = self.buf[self.pos + 2..close]
                    .iter()
                    .position(|&b| is_ws(b))
                    .map_or(close, |i| self.pos + 2 + i);
                let target = &self.buf[self.pos + 2..target_end];
                if target.is_empty() {
                    return Err(self.err(
                        rules::NOT_WELL_FORMED,
                        "XML error: processing instruction without a target",
                    ));
                }
                if target.eq_ignore_ascii_case(b"xml") && (!first || target != b"xml") {
                    return Err(self.err(
                        rules::NOT_WELL_FORMED,
                        "XML error: the XML declaration is only allowed at the start of the document",
                    ));
                }
                self.consume(close + 2);
                Ok(Tok::Misc)
            }
            _ => self.start_tag(),
        }
    }

    fn text_token(&mut self) -> Result<Tok, XmlError> {
        let end = match self.find(b"<", 0)? {
            Some(i) => i,
            None => self.end,
        };
        let start = self.pos;
        let ws = self.buf[start..end].iter().all(|&b| is_ws(b));
        self.text = start..end;
        self.consume(end);
        Ok(Tok::Text { ws })
    }

    fn bang(&mut self) -> Result<Tok, XmlError> {
        self.have(9)?;
        let b = &self.buf[self.pos..self.end];
        if b.starts_with(b"<!--") {
            let Some(close) = self.find(b"-->", 4)? else {
                return Err(self.err(rules::NOT_WELL_FORMED, "XML error: unclosed comment"));
            };
            let body = &self.buf[self.pos + 4..close];
            if memchr::memmem::find(body, b"--").is_some() || body.last() == Some(&b'-') {
                return Err(self.err(
                    rules::NOT_WELL_FORMED,
                    "XML error: '--' is not allowed inside a comment",
                ));
            }
            self.consume(close + 3);
            Ok(Tok::Misc)
        } else if b.starts_with(b"<![CDATA[") {
            let Some(close) = self.find(b"]]>", 9)? else {
                return Err(self.err(rules::NOT_WELL_FORMED, "XML error: unclosed CDATA section"));
            };
            self.text = self.pos + 9..close;
            self.consume(close + 3);
            Ok(Tok::CData)
        } else if b.len() >= 9 && b[..9].eq_ignore_ascii_case(b"<!DOCTYPE") {
            Err(self.err(
                rules::DOCTYPE,
                "DOCTYPE declarations are not allowed in NAACCR XML (no DTDs or entities)",
            ))
        } else {
            Err(self.err(
                rules::NOT_WELL_FORMED,
                "XML error: invalid markup after '<!'",
            ))
        }
    }

    fn end_tag(&mut self) -> Result<Tok, XmlError> {
        let Some(close) = self.find(b">", 2)? else {
            return Err(self.err(rules::NOT_WELL_FORMED, "XML error: unclosed end tag"));
        };
        let start = self.pos + 2;
        let name_len = self.buf[start..close]
            .iter()
            .position(|&b| is_ws(b))
            .unwrap_or(close - start);
        let name = start..start + name_len;
        if !self.buf[name.end..close].iter().all(|&b| is_ws(b)) || name.is_empty() {
            return Err(self.err(rules::NOT_WELL_FORMED, "XML error: malformed end tag"));
        }
        let Some(open) = self.open.pop() else {
            return Err(self.err(
                rules::NOT_WELL_FORMED,
                format!(
                    "XML error: unexpected end tag </{}>",
                    String::from_utf8_lossy(&self.buf[name])
                ),
            ));
        };
        if self.names[open.name.clone()] != self.buf[name.clone()] {
            return Err(self.err(
                rules::NOT_WELL_FORMED,
                format!(
                    "XML error: expected </{}>, found </{}>",
                    String::from_utf8_lossy(&self.names[open.name.clone()]),
                    String::from_utf8_lossy(&self.buf[name])
                ),
            ));
        }
        self.names.truncate(open.name.start);
        self.bindings.truncate(open.bindings);
        self.default_ns = open.default_ns;
        self.name = name.clone();
        self.local = match memchr::memchr(b':', &self.buf[name.clone()]) {
            Some(i) => name.start + i + 1..name.end,
            None => name,
        };
        self.consume(close + 1);
        Ok(Tok::End)
    }

    fn start_tag(&mut self) -> Result<Tok, XmlError> {
        // The whole tag must be buffered: find its `>` outside quoted values.
        let mut i = self.pos + 1;
        let mut quote = 0u8;
        let close = loop {
            if i >= self.end {
                let rel = i - self.pos;
                if !self.more()? {
                    return Err(self.err(rules::NOT_WELL_FORMED, "XML error: unclosed tag"));
                }
                i = self.pos + rel;
                continue;
            }
            let b = self.buf[i];
            if quote != 0 {
                if b == quote {
                    quote = 0;
                }
            } else if b == b'"' || b == b'\'' {
                quote = b;
            } else if b == b'>' {
                break i;
            } else if b == b'<' {
                return Err(self.err(rules::NOT_WELL_FORMED, "XML error: '<' inside a tag"));
            }
            i += 1;
        };
        let start = self.pos + 1;
        let mut i = start;
        while i < close && !name_end(self.buf[i]) {
            i += 1;
        }
        let name = start..i;
        if name.is_empty() || !valid_name(&self.buf[name.clone()]) {
            return Err(self.err(
                rules::NOT_WELL_FORMED,
                format!(
                    "XML error: invalid element name {:?}",
                    String::from_utf8_lossy(&self.buf[name])
                ),
            ));
        }
        self.attrs.clear();
        let mut empty = false;
        loop {
            let had_ws = i < close && is_ws(self.buf[i]);
            while i < close && is_ws(self.buf[i]) {
                i += 1;
            }
            if i == close {
                break;
            }
            if self.buf[i] == b'/' {
                if i + 1 == close {
                    empty = true;
                    break;
                }
                return Err(self.err(rules::NOT_WELL_FORMED, "XML error: '/' inside a tag"));
            }
            if !had_ws {
                return Err(self.err(
                    rules::NOT_WELL_FORMED,
                    "XML error: attributes must be separated by whitespace",
                ));
            }
            let a = i;
            while i < close && !name_end(self.buf[i]) {
                i += 1;
            }
            let qname = a..i;
            if qname.is_empty() || !valid_name(&self.buf[qname.clone()]) {
                return Err(self.err(rules::NOT_WELL_FORMED, "XML error: invalid attribute name"));
            }
            while i < close && is_ws(self.buf[i]) {
                i += 1;
            }
            if i == close || self.buf[i] != b'=' {
                return Err(self.err(
                    rules::NOT_WELL_FORMED,
                    format!(
                        "bad attribute: expected '=' after {}",
                        String::from_utf8_lossy(&self.buf[qname])
                    ),
                ));
            }
            i += 1;
            while i < close && is_ws(self.buf[i]) {
                i += 1;
            }
            let q = if i < close { self.buf[i] } else { 0 };
            if q != b'"' && q != b'\'' {
                return Err(self.err(
                    rules::NOT_WELL_FORMED,
                    "bad attribute: value must be quoted",
                ));
            }
            let v = i + 1;
            let Some(e) = memchr::memchr(q, &self.buf[v..close]) else {
                return Err(self.err(rules::NOT_WELL_FORMED, "bad attribute: unclosed value"));
            };
            let value = v..v + e;
            i = v + e + 1;
            let qn = &self.buf[qname.clone()];
            if self.attrs.iter().any(|x| self.buf[x.qname.clone()] == *qn) {
                return Err(self.err(
                    rules::NOT_WELL_FORMED,
                    format!(
                        "XML error: duplicated attribute {}",
                        String::from_utf8_lossy(qn)
                    ),
                ));
            }
            let prefix_len = memchr::memchr(b':', qn).unwrap_or(0);
            self.attrs.push(Attr {
                qname,
                prefix_len,
                value,
            });
        }
        // Namespace declarations of this element, in scope for its own name.
        let bindings_before = self.bindings.len();
        let default_before = self.default_ns;
        for k in 0..self.attrs.len() {
            let a = &self.attrs[k];
            let qn = &self.buf[a.qname.clone()];
            let prefix: &[u8] = if qn == b"xmlns" {
                b""
            } else if a.prefix_len == 5 && qn.starts_with(b"xmlns:") {
                &qn[6..]
            } else {
                continue;
            };
            let mut uri = String::new();
            decode_text(&self.buf[a.value.clone()], &mut uri, true)
                .map_err(|(rule, m)| self.err(rule, m))?;
            if !prefix.is_empty() && uri.is_empty() {
                return Err(self.err(
                    rules::NAMESPACE,
                    format!(
                        "namespace prefix {} cannot be bound to an empty URI",
                        String::from_utf8_lossy(prefix)
                    ),
                ));
            }
            if prefix.is_empty() {
                self.default_ns = if uri.is_empty() {
                    Ns::None
                } else if uri == NAACCR_NS {
                    Ns::Naaccr
                } else {
                    Ns::Other
                };
            }
            self.bindings.push(Binding {
                prefix: prefix.into(),
                uri: uri.into_bytes().into_boxed_slice(),
            });
        }
        let qn = &self.buf[name.clone()];
        let (ns, local) = match memchr::memchr(b':', qn) {
            None => (self.default_ns, name.clone()),
            Some(c) => {
                let prefix = &qn[..c];
                let ns = match self.lookup(prefix) {
                    Some(uri) if uri == NAACCR_NS.as_bytes() => Ns::Naaccr,
                    Some(_) => Ns::Other,
                    None => {
                        return Err(self.err(
                            rules::NAMESPACE,
                            format!(
                                "undeclared namespace prefix {}",
                                String::from_utf8_lossy(prefix)
                            ),
                        ))
                    }
                };
                (ns, name.start + c + 1..name.end)
            }
        };
        self.ns = ns;
        self.name = name.clone();
        self.local = local;
        if empty {
            self.pending_pop = true;
            self.empty_bindings = bindings_before;
            self.empty_default = default_before;
        } else {
            let s = self.names.len();
            self.names.extend_from_slice(&self.buf[name]);
            self.open.push(Open {
                name: s..self.names.len(),
                bindings: bindings_before,
                default_ns: default_before,
            });
        }
        self.consume(close + 1);
        Ok(Tok::Start { empty })
    }

    fn pop_bindings_of_empty(&mut self) {
        self.bindings.truncate(self.empty_bindings);
        self.default_ns = self.empty_default;
    }

    fn lookup(&self, prefix: &[u8]) -> Option<&[u8]> {
        if prefix == b"xml" {
            return Some(b"http://www.w3.org/XML/1998/namespace");
        }
        self.bindings
            .iter()
            .rev()
            .find(|b| &*b.prefix == prefix)
            .map(|b| &*b.uri)
    }

    /// Resolves an attribute of the last start tag.
    pub fn attr_ns(&self, a: &Attr) -> AttrNs<'_> {
        let qn = &self.buf[a.qname.clone()];
        if qn == b"xmlns" || (a.prefix_len == 5 && qn.starts_with(b"xmlns:")) {
            return AttrNs::Binding;
        }
        if a.prefix_len == 0 {
            return AttrNs::Unbound;
        }
        let prefix = &qn[..a.prefix_len];
        match self.lookup(prefix) {
            Some(uri) => AttrNs::Bound(uri),
            None => AttrNs::Unknown(prefix),
        }
    }

    /// The local part of an attribute name.
    pub fn attr_local(&self, a: &Attr) -> &[u8] {
        let qn = &self.buf[a.qname.clone()];
        if a.prefix_len == 0 {
            qn
        } else {
            &qn[a.prefix_len + 1..]
        }
    }

    /// The decoded value of an attribute.
    pub fn attr_value(&self, a: &Attr) -> Result<String, XmlError> {
        let mut s = String::new();
        decode_text(&self.buf[a.value.clone()], &mut s, true).map_err(|(rule, m)| {
            self.err(
                rule,
                if rule == rules::ENCODING {
                    m
                } else {
                    format!("bad attribute value: {m}")
                },
            )
        })?;
        Ok(s)
    }

    /// Decodes the last text or CDATA token onto `out`.
    pub fn text_into(&self, cdata: bool, out: &mut String) -> Result<(), XmlError> {
        let raw = &self.buf[self.text.clone()];
        let r = if cdata {
            decode_cdata(raw, out)
        } else {
            decode_text(raw, out, false)
        };
        r.map_err(|(rule, m)| self.err(rule, m))
    }

    pub fn qname(&self) -> &[u8] {
        &self.buf[self.name.clone()]
    }

    pub fn local_name(&self) -> &[u8] {
        &self.buf[self.local.clone()]
    }
}

/// Name characters are not checked one by one (any non-ASCII byte is allowed, as in names of
/// other scripts); what can never start a name is refused.
fn valid_name(n: &[u8]) -> bool {
    let first = n[0];
    !(first.is_ascii_digit() || matches!(first, b'-' | b'.' | b':'))
        && n.iter().all(|&b| {
            b >= 0x80 || b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':')
        })
        && memchr::memchr_iter(b':', n).count() <= 1
        && n.last() != Some(&b':')
}

pub(crate) type DecodeError = (&'static str, String);

fn utf8(raw: &[u8]) -> Result<&str, DecodeError> {
    std::str::from_utf8(raw).map_err(|e| (rules::ENCODING, format!("invalid text: {e}")))
}

/// CDATA content: UTF-8 check and line-end normalisation.
pub(crate) fn decode_cdata(raw: &[u8], out: &mut String) -> Result<(), DecodeError> {
    let s = utf8(raw)?;
    push_normalised(s, out);
    Ok(())
}

/// XML 1.0 line ends: CR LF and a lone CR both read as LF.
fn push_normalised(s: &str, out: &mut String) {
    let mut rest = s;
    while let Some(i) = memchr::memchr(b'\r', rest.as_bytes()) {
        out.push_str(&rest[..i]);
        out.push('\n');
        rest = &rest[i + 1..];
        if rest.starts_with('\n') {
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
}

/// Text or attribute content: UTF-8 check, references resolved, line ends normalised.
pub(crate) fn decode_text(
    raw: &[u8],
    out: &mut String,
    attribute: bool,
) -> Result<(), DecodeError> {
    let s = utf8(raw)?;
    if attribute && memchr::memchr(b'<', raw).is_some() {
        return Err((
            rules::NOT_WELL_FORMED,
            "'<' is not allowed in an attribute value".into(),
        ));
    }
    let mut rest = s;
    while let Some(i) = memchr::memchr(b'&', rest.as_bytes()) {
        push_normalised(&rest[..i], out);
        let after = &rest[i + 1..];
        let Some(semi) = memchr::memchr(b';', &after.as_bytes()[..after.len().min(13)]) else {
            return Err((
                rules::NOT_WELL_FORMED,
                "XML error: '&' must start an entity or character reference".into(),
            ));
        };
        let name = &after[..semi];
        let c = match name {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "apos" => '\'',
            "quot" => '"',
            _ => char_ref(name)?,
        };
        out.push(c);
        rest = &after[semi + 1..];
    }
    push_normalised(rest, out);
    Ok(())
}

/// `#65;` or `#x41;` (without `&` and `;`).
fn char_ref(name: &str) -> Result<char, DecodeError> {
    let Some(num) = name.strip_prefix('#') else {
        return Err((rules::NOT_WELL_FORMED, format!("undefined entity &{name};")));
    };
    let code = match num.strip_prefix('x') {
        Some(hex) if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
            u32::from_str_radix(hex, 16).ok()
        }
        None if !num.is_empty() && num.bytes().all(|b| b.is_ascii_digit()) => {
            num.parse::<u32>().ok()
        }
        _ => None,
    };
    code.filter(|&c| c != 0)
        .and_then(char::from_u32)
        .ok_or_else(|| {
            (
                rules::NOT_WELL_FORMED,
                format!("bad character reference: &{name};"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_prefixes() {
        assert!(starts_with_word(b"<Item naaccrId=\"x\">", FAST_OPEN));
        assert!(!starts_with_word(b"<Item naaccrID=\"x\">", FAST_OPEN));
        assert!(!starts_with_word(b"<Item naaccrId=", FAST_OPEN));
        assert!(starts_with_word(b"</Item>\n", FAST_CLOSE));
        assert!(!starts_with_word(b"</Itex>\n", FAST_CLOSE));
        assert!(!starts_with_word(b"</Iten>", FAST_CLOSE));
        assert!(!starts_with_word(b"<Item", FAST_CLOSE));
    }

    #[test]
    fn fast_ids() {
        assert_eq!(find_quote(b"primarySite\">C504"), Some(11));
        assert_eq!(find_quote(b"x\""), Some(1));
        assert_eq!(find_quote(b"abc_def-ghi.jk\""), Some(14));
        for bad in [
            &b"a&amp;b\""[..],
            b"long id with blank\"",
            b" lead\"",
            b"tab\there\"",
            b"caf\xc3\xa9 long name\"",
            b"a<b\"",
            b"no quote at all here",
        ] {
            assert_eq!(find_quote(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn value_ends() {
        assert_eq!(
            value_end(b"plain ascii text, quite long</Item>"),
            Some((28, false))
        );
        assert_eq!(value_end(b"ascii text &amp; more</Item>"), Some((21, true)));
        assert_eq!(
            value_end(b"line\nbreak in a long enough value<"),
            Some((33, true))
        );
        assert_eq!(
            value_end("caf\u{e9} in a long enough<".as_bytes()),
            Some((22, true))
        );
        assert_eq!(value_end(b"ab\r<"), Some((3, true)));
        assert_eq!(value_end(b"~~~~~~~~~~~~~~~~<"), Some((16, false)));
        assert_eq!(value_end(b"no end in sight"), None);
        assert_eq!(value_end(b"<"), Some((0, false)));
    }

    #[test]
    fn decodes_references_and_line_ends() {
        let mut s = String::new();
        decode_text(b"a&amp;b&#65;&#x42;\r\nc\rd", &mut s, false).unwrap();
        assert_eq!(s, "a&bAB\nc\nd");
        assert!(decode_text(b"&foo;", &mut s, false).is_err());
        assert!(decode_text(b"&#0;", &mut s, false).is_err());
        assert!(decode_text(b"a & b", &mut s, false).is_err());
    }
}
