//! Limits of one imported file, counted while it streams: its bytes once decompressed, its
//! patients and its tumors. The upload limit counts what arrives, and a small gzip upload
//! expanded to 49 MB and 300,000 patients; these bound what the check and the write may take.

use std::cell::Cell;
use std::io::{BufRead, Read};
use std::rc::Rc;

use super::import::FileProblem;

/// What one file may hold (defaults sized for a state registry's yearly or full reload).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileLimits {
    /// Bytes of XML after decompression.
    pub expanded_bytes: u64,
    pub patients: u64,
    pub tumors: u64,
}

impl Default for FileLimits {
    fn default() -> Self {
        FileLimits {
            expanded_bytes: 64 * 1024 * 1024 * 1024,
            patients: 5_000_000,
            tumors: 10_000_000,
        }
    }
}

fn refused(line: Option<u64>, rule: &str, message: String) -> FileProblem {
    FileProblem {
        line,
        column: None,
        item: None,
        rule: rule.to_string(),
        message,
        patient_line: None,
    }
}

/// The file's reader, cut off with an error once it has given more than the limit.
pub struct Expanded<R> {
    inner: R,
    read: Rc<Cell<u64>>,
    max: u64,
}

/// How many bytes an [`Expanded`] reader gave, kept after the reader moved into the parser.
#[derive(Clone)]
pub struct ExpandedCount {
    read: Rc<Cell<u64>>,
    max: u64,
}

impl<R: BufRead> Expanded<R> {
    pub fn new(inner: R, max: u64) -> (Expanded<R>, ExpandedCount) {
        let read = Rc::new(Cell::new(0));
        let count = ExpandedCount {
            read: read.clone(),
            max,
        };
        (Expanded { inner, read, max }, count)
    }
}

impl ExpandedCount {
    /// The problem when the file went past the limit (the parser's own error then only says
    /// it was cut off).
    pub fn problem(&self) -> Option<FileProblem> {
        (self.read.get() > self.max).then(|| {
            refused(
                None,
                "file-too-large",
                format!(
                    "the file holds more than {} bytes of XML once decompressed \
                     (CANCER_REGISTRY_MAX_IMPORT_EXPANDED_BYTES); split it",
                    self.max
                ),
            )
        })
    }
}

impl<R: BufRead> Read for Expanded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Expanded<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.read.get() > self.max {
            return Err(std::io::Error::other("the file is larger than allowed"));
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.read.set(self.read.get() + amt as u64);
        self.inner.consume(amt);
    }
}

/// Patients and tumors of the file so far.
#[derive(Debug, Default)]
pub struct Counts {
    patients: u64,
    tumors: u64,
}

impl Counts {
    /// Counts one patient (at `line`, with `tumors`); the problem once a limit is passed.
    pub fn add(&mut self, limits: &FileLimits, line: u64, tumors: usize) -> Option<FileProblem> {
        self.patients += 1;
        self.tumors += tumors as u64;
        if self.patients > limits.patients {
            return Some(refused(
                Some(line),
                "too-many-patients",
                format!(
                    "the file holds more than {} patients (CANCER_REGISTRY_MAX_IMPORT_PATIENTS); split it",
                    limits.patients
                ),
            ));
        }
        if self.tumors > limits.tumors {
            return Some(refused(
                Some(line),
                "too-many-tumors",
                format!(
                    "the file holds more than {} tumors (CANCER_REGISTRY_MAX_IMPORT_TUMORS); split it",
                    limits.tumors
                ),
            ));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expanded_reader_stops_past_the_limit() {
        let data = vec![b'x'; 10_000];
        let (mut r, count) = Expanded::new(std::io::BufReader::with_capacity(64, &data[..]), 1_000);
        let mut out = Vec::new();
        let e = r.read_to_end(&mut out).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::Other);
        assert!(out.len() <= 1_064, "{}", out.len());
        assert_eq!(count.problem().unwrap().rule, "file-too-large");

        let (mut r, count) = Expanded::new(&data[..], 10_000);
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        assert_eq!(out.len(), 10_000);
        assert!(count.problem().is_none());
    }

    #[test]
    fn counts_patients_and_tumors() {
        let limits = FileLimits {
            expanded_bytes: 0,
            patients: 2,
            tumors: 3,
        };
        let mut c = Counts::default();
        assert!(c.add(&limits, 3, 1).is_none());
        assert!(c.add(&limits, 9, 2).is_none());
        let p = c.add(&limits, 15, 0).unwrap();
        assert_eq!((p.rule.as_str(), p.line), ("too-many-patients", Some(15)));
        let mut c = Counts::default();
        assert!(c.add(&limits, 3, 3).is_none());
        assert_eq!(c.add(&limits, 9, 1).unwrap().rule, "too-many-tumors");
    }
}
