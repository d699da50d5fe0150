//! The real `cancer-registry serve` over a test database, and JSON calls to it.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{TestDb, SECRET};
use crate::webdriver::request;

pub struct Server {
    child: Child,
    pub port: u16,
    pub log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the binary with the shared reference tables and staging algorithms.
pub fn start(db: &TestDb, reference: &Path, algorithms: &Path) -> Server {
    let port = free_port();
    let log = db.files.path().join("server.log");
    let child = Command::new(env!("CARGO_BIN_EXE_cancer-registry"))
        .arg("serve")
        .env("DATABASE_URL", &db.url)
        .env("CANCER_REGISTRY_BIND", format!("127.0.0.1:{port}"))
        .env("CANCER_REGISTRY_JWT_SECRET", SECRET)
        .env("CANCER_REGISTRY_DATA_DIR", db.files.path())
        .env("CANCER_REGISTRY_REFERENCE", reference)
        .env("CANCER_REGISTRY_ALGORITHMS", algorithms)
        .env("CANCER_REGISTRY_CURRENT_YEAR", "2026")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let server = Server { child, port, log };
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if let Ok((200, _, _)) = request(port, "GET", "/health/ready", &[], None) {
            return server;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!(
        "the server did not start: {}",
        std::fs::read_to_string(&server.log).unwrap_or_default()
    );
}

impl Server {
    /// A JSON call with a bearer token (and If-Match); status, ETag and body.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        if_match: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Option<String>, Value) {
        let auth = format!("Bearer {token}");
        let mut headers = vec![("Authorization", auth.as_str())];
        if let Some(e) = if_match {
            headers.push(("If-Match", e));
        }
        let (status, head, v) = request(self.port, method, path, &headers, body.as_ref()).unwrap();
        let etag = head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("etag").then(|| v.trim().to_string())
        });
        (status, etag, v)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}
