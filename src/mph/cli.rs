//! `cancer-registry mph < pairs.csv > answers.csv`: one answer per pair, in input order.
//!
//! The header must name `year1,month1,day1,site1,hist1,beh1,lat1` and the same seven columns
//! for tumor 2 (`…2`); `histIcdO2_1,behIcdO2_1,histIcdO2_2,behIcdO2_2` are optional. Every input
//! column is written back, followed by `result,rule,group,reason`. Streams: memory does not
//! grow with the file.

use std::io::{BufRead, Write};

use super::{compare, Decision, TableError, TumorFields};

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("line {line}: {message}")]
    Input { line: usize, message: String },
    #[error("{0}")]
    Tables(#[from] TableError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Counts by result.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub pairs: usize,
    pub single: usize,
    pub multiple: usize,
    pub questionable: usize,
    pub invalid: usize,
}

const REQUIRED: [&str; 14] = [
    "year1", "month1", "day1", "site1", "hist1", "beh1", "lat1", "year2", "month2", "day2",
    "site2", "hist2", "beh2", "lat2",
];
const OPTIONAL: [&str; 4] = ["histIcdO2_1", "behIcdO2_1", "histIcdO2_2", "behIcdO2_2"];
const OUTPUT: [&str; 4] = ["result", "rule", "group", "reason"];

/// Splits one CSV record (RFC 4180 quoting). Returns None while a quoted field is still open.
fn split_record(record: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut chars = record.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
        } else if c == '"' && at_start {
            quoted = true;
            at_start = false;
        } else if c == ',' {
            out.push(std::mem::take(&mut field));
            at_start = true;
        } else {
            field.push(c);
            at_start = false;
        }
    }
    if quoted {
        return None;
    }
    out.push(field);
    Some(out)
}

fn write_field(out: &mut impl Write, s: &str) -> std::io::Result<()> {
    if s.contains([',', '"', '\n', '\r']) {
        write!(out, "\"{}\"", s.replace('"', "\"\""))
    } else {
        out.write_all(s.as_bytes())
    }
}

fn write_row<'a>(
    out: &mut impl Write,
    fields: impl IntoIterator<Item = &'a str>,
) -> std::io::Result<()> {
    for (i, f) in fields.into_iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        write_field(out, f)?;
    }
    out.write_all(b"\n")
}

/// Reads records (a record may span lines inside quotes), yielding (first line number, fields).
struct Records<R> {
    input: R,
    line: usize,
}

impl<R: BufRead> Records<R> {
    fn next_record(&mut self) -> Result<Option<(usize, Vec<String>)>, CliError> {
        let mut buf = String::new();
        let start = self.line + 1;
        loop {
            let mut l = String::new();
            if self.input.read_line(&mut l)? == 0 {
                if buf.is_empty() {
                    return Ok(None);
                }
                return Err(CliError::Input {
                    line: start,
                    message: "a quoted field is not closed".into(),
                });
            }
            self.line += 1;
            buf.push_str(&l);
            let trimmed = buf.trim_end_matches(['\n', '\r']);
            if let Some(f) = split_record(trimmed) {
                return Ok(Some((start, f)));
            }
        }
    }
}

/// Answers every pair of `input` into `output`.
pub fn run(
    input: impl BufRead,
    output: impl Write,
    current_year: i64,
) -> Result<Summary, CliError> {
    super::check_tables()?;
    let mut out = std::io::BufWriter::new(output);
    let mut records = Records { input, line: 0 };
    let Some((_, header)) = records.next_record()? else {
        return Err(CliError::Input {
            line: 1,
            message: format!("empty input: expected a header with {}", REQUIRED.join(",")),
        });
    };
    let header: Vec<String> = header.into_iter().map(|h| h.trim().to_string()).collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let mut req = [0usize; 14];
    for (i, name) in REQUIRED.iter().enumerate() {
        req[i] = col(name).ok_or_else(|| CliError::Input {
            line: 1,
            message: format!(
                "the header has no column {name} (required: {})",
                REQUIRED.join(",")
            ),
        })?;
    }
    let opt: Vec<Option<usize>> = OPTIONAL.iter().map(|n| col(n)).collect();
    if let Some(dup) = OUTPUT.iter().find(|n| col(n).is_some()) {
        return Err(CliError::Input {
            line: 1,
            message: format!("the input already has a column {dup}, which the output adds"),
        });
    }
    write_row(
        &mut out,
        header
            .iter()
            .map(String::as_str)
            .chain(OUTPUT.iter().copied()),
    )?;
    let mut summary = Summary::default();
    while let Some((line, rec)) = records.next_record()? {
        if rec.len() == 1 && rec[0].trim().is_empty() {
            continue;
        }
        if rec.len() != header.len() {
            return Err(CliError::Input {
                line,
                message: format!("{} fields, the header has {}", rec.len(), header.len()),
            });
        }
        let f = |i: usize| rec[i].trim();
        let o = |i: usize| opt[i].map(|c| rec[c].trim()).unwrap_or("");
        let t1 = TumorFields {
            year: f(req[0]),
            month: f(req[1]),
            day: f(req[2]),
            site: f(req[3]),
            histology: f(req[4]),
            behavior: f(req[5]),
            laterality: f(req[6]),
            histology_icdo2: o(0),
            behavior_icdo2: o(1),
        };
        let t2 = TumorFields {
            year: f(req[7]),
            month: f(req[8]),
            day: f(req[9]),
            site: f(req[10]),
            histology: f(req[11]),
            behavior: f(req[12]),
            laterality: f(req[13]),
            histology_icdo2: o(2),
            behavior_icdo2: o(3),
        };
        let outcome = compare(&t1, &t2, current_year)?;
        summary.pairs += 1;
        match outcome.decision {
            Decision::SinglePrimary => summary.single += 1,
            Decision::MultiplePrimaries => summary.multiple += 1,
            Decision::Questionable => summary.questionable += 1,
            Decision::InvalidInput => summary.invalid += 1,
        }
        let reason = outcome.reason(&t1, &t2, current_year);
        write_row(
            &mut out,
            rec.iter().map(String::as_str).chain([
                outcome.decision.as_reference(),
                outcome.step.unwrap_or(""),
                outcome.rule_set.map(|g| g.id).unwrap_or(""),
                reason.as_str(),
            ]),
        )?;
    }
    out.flush()?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carries_columns_and_answers_in_order() {
        let input =
            "id,year1,month1,day1,site1,hist1,beh1,lat1,year2,month2,day2,site2,hist2,beh2,lat2\n\
                     a,2019,03,12,C445,8720,3,1,2024,06,02,C445,8720,3,1\n\
                     \"b,1\",2019,03,12,C445,8720,3,1,2019,03,12,C445,8720,3,1\n";
        let mut out = Vec::new();
        let s = run(input.as_bytes(), &mut out, 2026).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.pairs, 2);
        let text = String::from_utf8(out).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].ends_with(",result,rule,group,reason"));
        assert!(lines[1].starts_with("a,2019,"));
        assert!(lines[1].contains(",MULTIPLE_PRIMARIES,M7,str_2021_and_later_cutaneous_melanoma,"));
        assert!(lines[2].starts_with("\"b,1\",2019,"));
        assert!(lines[2].contains(",SINGLE_PRIMARY,"));
    }

    #[test]
    fn missing_column_names_it() {
        let mut out = Vec::new();
        let e = run("year1,month1\n".as_bytes(), &mut out, 2026).err();
        assert!(e.is_some_and(|e| e.to_string().contains("day1")));
    }

    #[test]
    fn ragged_row_names_its_line() {
        let input = format!("{}\n2019,1\n", REQUIRED.join(","));
        let mut out = Vec::new();
        let e = run(input.as_bytes(), &mut out, 2026).err();
        assert!(e.is_some_and(|e| e.to_string().starts_with("line 2:")));
    }
}
