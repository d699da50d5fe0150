//! Mixed read/write load against a running service (issue 10): CLIENTS threads, each on its
//! own keep-alive connection, for SECONDS, drawing operations at random:
//!   45% GET a tumor, 15% filtered tumor list, 10% GET a patient,
//!   20% PATCH a tumor (GET for its ETag, then PATCH with If-Match; 412 when another client won),
//!   10% POST a follow-up contact.
//! Prints per-operation counts, statuses, p50/p99, and fails (exit 1) on any 5xx or transport
//! error. `scripts/mixed-load.sh` prepares a database and a server and runs it.
//!
//!   MIXED_BASE=http://127.0.0.1:8080/api/v1 MIXED_TOKEN=... MIXED_TUMORS=ids.txt \
//!   cargo bench --bench mixed_load -- [clients=100] [seconds=60]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use rand::Rng;

struct Conn {
    host: String,
    reader: BufReader<TcpStream>,
    token: String,
}

struct Reply {
    status: u16,
    etag: Option<String>,
}

impl Conn {
    fn open(host: &str, token: &str) -> std::io::Result<Conn> {
        let s = TcpStream::connect(host)?;
        s.set_nodelay(true)?;
        s.set_read_timeout(Some(Duration::from_secs(60)))?;
        Ok(Conn {
            host: host.to_string(),
            reader: BufReader::new(s),
            token: token.to_string(),
        })
    }

    fn call(
        &mut self,
        method: &str,
        path: &str,
        if_match: Option<&str>,
        body: Option<&str>,
    ) -> std::io::Result<Reply> {
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n",
            self.host, self.token
        );
        if let Some(e) = if_match {
            req.push_str(&format!("If-Match: {e}\r\n"));
        }
        let body = body.unwrap_or("");
        if !body.is_empty() {
            req.push_str("Content-Type: application/json\r\n");
        }
        req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        self.reader.get_mut().write_all(req.as_bytes())?;
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let status = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
        let (mut length, mut chunked, mut etag) = (0usize, false, None);
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
                match k.as_str() {
                    "content-length" => length = v.parse().unwrap_or(0),
                    "transfer-encoding" => chunked = v.eq_ignore_ascii_case("chunked"),
                    "etag" => etag = Some(v.to_string()),
                    _ => {}
                }
            }
        }
        if chunked {
            loop {
                line.clear();
                self.reader.read_line(&mut line)?;
                let size = usize::from_str_radix(line.trim(), 16).unwrap_or(0);
                let mut skip = vec![0; size + 2];
                self.reader.read_exact(&mut skip)?;
                if size == 0 {
                    break;
                }
            }
        } else {
            let mut skip = vec![0; length];
            self.reader.read_exact(&mut skip)?;
        }
        Ok(Reply { status, etag })
    }
}

#[derive(Default)]
struct Tally {
    latencies: BTreeMap<&'static str, Vec<Duration>>,
    statuses: BTreeMap<(&'static str, u16), u64>,
    errors: Vec<String>,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn client(
    base: &str,
    token: &str,
    tumors: &[(String, String)],
    until: Instant,
    seed: u64,
) -> Tally {
    let (host, prefix) = {
        let rest = base.trim_start_matches("http://");
        let (h, p) = rest.split_once('/').unwrap_or((rest, ""));
        (h.to_string(), format!("/{p}"))
    };
    let mut tally = Tally::default();
    let mut conn = match Conn::open(&host, token) {
        Ok(c) => c,
        Err(e) => {
            tally.errors.push(format!("connect: {e}"));
            return tally;
        }
    };
    let mut rng = rand::rng();
    let mut n = seed;
    while Instant::now() < until {
        n += 1;
        let (tumor, patient) = &tumors[rng.random_range(0..tumors.len())];
        let roll = rng.random_range(0..100);
        let started = Instant::now();
        let (op, result) = match roll {
            0..45 => (
                "GET tumor",
                conn.call("GET", &format!("{prefix}/tumors/{tumor}"), None, None),
            ),
            45..60 => (
                "GET list",
                conn.call(
                    "GET",
                    &format!("{prefix}/tumors?dxYearFrom=2018&status=draft&limit=50"),
                    None,
                    None,
                ),
            ),
            60..70 => (
                "GET patient",
                conn.call("GET", &format!("{prefix}/patients/{patient}"), None, None),
            ),
            70..90 => {
                let path = format!("{prefix}/tumors/{tumor}");
                let read = conn.call("GET", &path, None, None);
                match read {
                    Ok(Reply {
                        etag: Some(etag), ..
                    }) => (
                        "GET+PATCH tumor",
                        conn.call(
                            "PATCH",
                            &path,
                            Some(&etag),
                            Some(&format!(
                                r#"{{"items":{{"textRemarks":"load {seed} {n}"}}}}"#
                            )),
                        ),
                    ),
                    Ok(r) => ("GET+PATCH tumor", Ok(r)),
                    Err(e) => ("GET+PATCH tumor", Err(e)),
                }
            }
            _ => (
                "POST contact",
                conn.call(
                    "POST",
                    &format!("{prefix}/patients/{patient}/contacts"),
                    None,
                    Some(r#"{"date":"20260101","vitalStatus":"1","followUpSource":"1"}"#),
                ),
            ),
        };
        let took = started.elapsed();
        match result {
            Ok(r) => {
                tally.latencies.entry(op).or_default().push(took);
                *tally.statuses.entry((op, r.status)).or_default() += 1;
            }
            Err(e) => {
                tally.errors.push(format!("{op}: {e}"));
                match Conn::open(&host, token) {
                    Ok(c) => conn = c,
                    Err(e) => {
                        tally.errors.push(format!("reconnect: {e}"));
                        return tally;
                    }
                }
            }
        }
    }
    tally
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let clients: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(100);
    let seconds: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(60);
    let (Ok(base), Ok(token), Ok(ids)) = (
        std::env::var("MIXED_BASE"),
        std::env::var("MIXED_TOKEN"),
        std::env::var("MIXED_TUMORS"),
    ) else {
        eprintln!(
            "mixed_load: set MIXED_BASE, MIXED_TOKEN and MIXED_TUMORS (a file of 'tumorId patientId' lines); scripts/mixed-load.sh does"
        );
        return;
    };
    let tumors: Vec<(String, String)> = std::fs::read_to_string(&ids)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            l.split_once(' ')
                .map(|(a, b)| (a.to_string(), b.to_string()))
        })
        .collect();
    if tumors.is_empty() {
        eprintln!("mixed_load: no tumor ids in {ids}");
        std::process::exit(2);
    }
    let until = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let tallies: Vec<Tally> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..clients)
            .map(|i| {
                let (base, token, tumors) = (&base, &token, &tumors);
                s.spawn(move || client(base, token, tumors, until, i as u64))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let wall = started.elapsed().as_secs_f64();
    let mut all = Tally::default();
    for t in tallies {
        for (op, mut l) in t.latencies {
            all.latencies.entry(op).or_default().append(&mut l);
        }
        for (k, v) in t.statuses {
            *all.statuses.entry(k).or_default() += v;
        }
        all.errors.extend(t.errors);
    }
    println!("{clients} clients, {wall:.1} s");
    println!(
        "| operation | requests | req/s | p50 ms | p99 ms | statuses |\n|---|---|---|---|---|---|"
    );
    let mut every = Vec::new();
    let mut server_errors = 0;
    for (op, l) in &mut all.latencies {
        l.sort();
        let statuses: Vec<String> = all
            .statuses
            .iter()
            .filter(|((o, _), _)| o == op)
            .map(|((_, s), n)| {
                if *s >= 500 {
                    server_errors += n;
                }
                format!("{s}: {n}")
            })
            .collect();
        println!(
            "| {op} | {} | {:.0} | {:.2} | {:.2} | {} |",
            l.len(),
            l.len() as f64 / wall,
            percentile(l, 0.50).as_secs_f64() * 1e3,
            percentile(l, 0.99).as_secs_f64() * 1e3,
            statuses.join(", ")
        );
        every.extend(l.iter().copied());
    }
    every.sort();
    println!(
        "| all | {} | {:.0} | {:.2} | {:.2} | 5xx: {server_errors}, transport errors: {} |",
        every.len(),
        every.len() as f64 / wall,
        percentile(&every, 0.50).as_secs_f64() * 1e3,
        percentile(&every, 0.99).as_secs_f64() * 1e3,
        all.errors.len()
    );
    for e in all.errors.iter().take(10) {
        eprintln!("error: {e}");
    }
    if server_errors > 0 || !all.errors.is_empty() {
        std::process::exit(1);
    }
}
