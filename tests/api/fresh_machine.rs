//! The built binary on a fresh machine: started in an empty folder with no `CANCER_REGISTRY_*`
//! variable (and no `../shared` in reach), it is ready with every component built in, and a
//! registrar's case goes from creation through staging, edits and review to complete, and a
//! research table is built, exactly as the README walk-through says.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::faults::{free_port, http};
use crate::support::{patient_items, tumor_items};

const BIN: &str = env!("CARGO_BIN_EXE_cancer-registry");

/// The binary run in `dir` with nothing but PATH in its environment.
fn bare(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("RUST_LOG", "info");
    cmd
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn call(port: u16, method: &str, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    let bytes = body.map(|b| b.to_string()).unwrap_or_default();
    let ct = (!bytes.is_empty()).then_some("application/json");
    let (status, raw) = http(port, method, path, Some(token), ct, bytes.as_bytes()).unwrap();
    let v = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    (status, v)
}

/// A PUT naming the version it changes.
fn put_at(port: u16, path: &str, token: &str, version: i64, body: Value) -> (u16, Value) {
    let tag = format!("\"{version}\"");
    let (status, raw) = crate::faults::http_with(
        port,
        "PUT",
        path,
        Some(token),
        Some("application/json"),
        &[("If-Match", &tag)],
        body.to_string().as_bytes(),
    )
    .unwrap();
    (status, serde_json::from_slice(&raw).unwrap_or(Value::Null))
}

fn token(dir: &Path, args: &[&str]) -> String {
    let out = bare(dir).arg("token").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "token {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn serves_everything_with_nothing_configured() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();

    // Before the service made a secret, `token` refuses rather than inventing one the server
    // would not accept.
    let out = bare(elsewhere.path())
        .args([
            "token",
            "--sub",
            "ann",
            "--role",
            "registrar",
            "--facility",
            "0000000001",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("start the service first"), "{err}");
    assert_eq!(
        std::fs::read_dir(elsewhere.path()).unwrap().count(),
        0,
        "nothing created"
    );

    let port = free_port();
    let log = dir.path().join("..").join(format!("fresh-{port}.log"));
    let server = Server(
        bare(dir.path())
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(90);
    let ready = loop {
        if let Ok((status, body)) = http(port, "GET", "/health/ready", None, None, b"") {
            break (status, serde_json::from_slice::<Value>(&body).unwrap());
        }
        assert!(
            Instant::now() < deadline,
            "not started: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(ready.0, 200, "{}", ready.1);
    let components: Vec<&str> = ready.1["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(c["status"], "ok", "{c}");
            c["name"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        components,
        ["database", "staging", "edits", "siteRecode", "dictionaries"]
    );
    let staging = &ready.1["components"][1];
    assert_eq!(staging["source"], "embedded data/algorithms");
    assert_eq!(
        staging["versions"],
        json!(["cs 02.05.50", "eod_public 3.3", "pediatric 1.3", "tnm 2.1"])
    );
    let log_text = std::fs::read_to_string(&log).unwrap();
    assert!(log_text.contains("staging: cs 02.05.50"), "{log_text}");
    // What holds names and SSNs is readable by the service's user alone.
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |name: &str| {
            std::fs::metadata(dir.path().join(name))
                .unwrap()
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode("cancer-registry.db"), 0o600);
        assert_eq!(mode("cancer-registry.db-wal"), 0o600);
        assert_eq!(mode("cancer-registry.db-shm"), 0o600);
        assert_eq!(mode("cancer-registry.db.jwt-secret"), 0o600);
        assert_eq!(mode("cancer-registry.db.files"), 0o700);
    }

    // Tokens name registered facilities only: `token` refuses an unknown one (it can read the
    // database here), a manager registers it, then the registrar's token is minted.
    let manager = token(dir.path(), &["--sub", "max", "--role", "manager"]);
    let registrar_args = [
        "--sub",
        "ann",
        "--role",
        "registrar",
        "--facility",
        "0000000001",
    ];
    let out = bare(dir.path())
        .arg("token")
        .args(registrar_args)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("0000000001 is not registered"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (s, body) = call(
        port,
        "POST",
        "/api/v1/facilities",
        &manager,
        Some(json!({ "id": "0000000001", "name": "General Hospital", "state": "NY" })),
    );
    assert_eq!(s, 201, "{body}");
    let registrar = token(dir.path(), &registrar_args);
    let reviewer = token(
        dir.path(),
        &[
            "--sub",
            "rita",
            "--role",
            "reviewer",
            "--facility",
            "0000000001",
        ],
    );
    let researcher = token(dir.path(), &["--sub", "rae", "--role", "researcher"]);

    let (s, patient) = call(
        port,
        "POST",
        "/api/v1/patients",
        &registrar,
        Some(json!({ "items": patient_items() })),
    );
    assert_eq!(s, 201, "{patient}");
    let (s, tumor) = call(
        port,
        "POST",
        &format!(
            "/api/v1/patients/{}/tumors",
            patient["id"].as_str().unwrap()
        ),
        &registrar,
        Some(json!({ "items": tumor_items() })),
    );
    assert_eq!(s, 201, "{tumor}");
    let id = tumor["id"].as_str().unwrap().to_string();
    assert_ne!(tumor["editStatus"], "not-run", "edits ran: {tumor}");

    let (s, staged) = call(
        port,
        "POST",
        &format!("/api/v1/tumors/{id}/stage"),
        &registrar,
        None,
    );
    assert_eq!(s, 200, "{staged}");
    assert_eq!(staged["staging"][0]["result"], "STAGED", "{staged}");
    assert_eq!(
        staged["tumor"]["items"]["derivedSummaryStage2018"], "1",
        "{staged}"
    );

    let (s, edits) = call(
        port,
        "POST",
        &format!("/api/v1/tumors/{id}/edits"),
        &registrar,
        None,
    );
    assert_eq!(s, 200, "{edits}");
    assert!(edits["failures"].is_array(), "{edits}");

    let status = format!("/api/v1/tumors/{id}/status");
    let (s, current) = call(
        port,
        "GET",
        &format!("/api/v1/tumors/{id}"),
        &registrar,
        None,
    );
    assert_eq!(s, 200, "{current}");
    let (s, body) = put_at(
        port,
        &status,
        &registrar,
        current["version"].as_i64().unwrap(),
        json!({"status": "review"}),
    );
    assert_eq!(s, 200, "{body}");
    let (s, body) = put_at(
        port,
        &status,
        &reviewer,
        body["version"].as_i64().unwrap(),
        json!({"status": "complete"}),
    );
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["status"], "complete");

    let (s, request) = call(
        port,
        "POST",
        "/api/v1/research-requests",
        &researcher,
        Some(json!({
            "title": "Breast cancer stage at diagnosis", "investigator": "Dr. R. Searcher",
            "institution": "State University", "purpose": "Stage distribution",
            "irbApprovalId": "IRB-2026-001", "irbApprovalDate": "2026-01-15",
            "items": ["primarySite", "sexAssignedAtBirth", "dateOfDiagnosis"],
            "selection": { "dxYearFrom": 2020, "sites": ["C50"] }
        })),
    );
    assert_eq!(s, 201, "{request}");
    let rid = request["id"].as_str().unwrap().to_string();
    let (s, body) = call(
        port,
        "POST",
        &format!("/api/v1/research-requests/{rid}/approve"),
        &manager,
        Some(json!({ "expiresOn": "2099-12-31", "reason": "IRB verified" })),
    );
    assert_eq!(s, 200, "{body}");
    let (s, table) = call(
        port,
        "GET",
        &format!("/api/v1/research-requests/{rid}/tables?groupBy=siteRecode"),
        &researcher,
        None,
    );
    assert_eq!(s, 200, "{table}");
    // The access log names paths, never query strings (patient numbers, searched names,
    // tokens some clients put there).
    let (s, _) = call(
        port,
        "GET",
        "/api/v1/patients?patientIdNumber=00000042",
        &registrar,
        None,
    );
    assert_eq!(s, 200);
    let (s, _) = call(
        port,
        "GET",
        "/api/v1/tumors?access_token=not-a-real-token",
        &registrar,
        None,
    );
    assert_eq!(s, 400, "unknown query parameters are refused");
    // Access lines are written every few milliseconds, not as each request ends.
    for _ in 0..100 {
        if std::fs::read_to_string(&log).is_ok_and(|t| t.contains("GET /api/v1/tumors\" 400")) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    drop(server);
    let log_text = std::fs::read_to_string(&log).unwrap();
    assert!(
        log_text.contains("\"GET /api/v1/patients\" 200"),
        "{log_text}"
    );
    assert!(!log_text.contains("00000042"), "{log_text}");
    assert!(!log_text.contains("access_token"), "{log_text}");
}
