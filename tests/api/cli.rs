//! The command line: import, export, edits and token, run as a user would.

use std::process::Command;

use crate::support::*;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cancer-registry"));
    c.env_remove("DATABASE_URL").env("RUST_BACKTRACE", "0");
    c
}

#[test]
fn import_then_export_and_edits() {
    let Some(sample) = shared_file("naaccr/samples/naaccr-xml-sample-v250-incidence-100.xml.gz")
    else {
        return;
    };
    let Some(invalid) =
        shared_file("naaccr/validity/invalid_library_only/invalid_value-to-long-1.xml")
    else {
        return;
    };
    let Some(dicts) = shared_file("naaccr/dictionaries") else {
        return;
    };
    let Some(reference) = shared_file("reference") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    let run = |args: &[&str]| {
        bin()
            .current_dir(dir.path())
            .env("DATABASE_URL", &db)
            // The sample names facilities nobody registered: a first load.
            .env("CANCER_REGISTRY_ACCEPT_UNKNOWN_FACILITIES", "true")
            .env("CANCER_REGISTRY_DICTIONARIES", &dicts)
            .env("CANCER_REGISTRY_REFERENCE", &reference)
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&[
        "import",
        invalid.to_str().unwrap(),
        "--facility",
        "0000000001",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("patientIdNumber") && err.contains("line"),
        "{err}"
    );
    let out = run(&[
        "import",
        sample.to_str().unwrap(),
        "--facility",
        "0000000001",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["tumorsCreated"], 100);
    let xml = dir.path().join("out.xml");
    let out = run(&[
        "export",
        "--record-type",
        "I",
        "--out",
        xml.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("93 patients, 100 tumors"));
    let text = std::fs::read_to_string(&xml).unwrap();
    assert_eq!(text.matches("<Tumor>").count(), 100);
    assert!(!dir.path().join("out.part").exists());
    let out = run(&["edits", xml.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the sample fails error-level edits"
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("93 patients, 100 tumors"));
    let Some(garbage) = shared_file("naaccr/validity/invalid/invalid_garbage-1.xml") else {
        return;
    };
    let out = run(&["edits", garbage.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unreadable file is not an edit failure"
    );
}

#[test]
fn token_command_signs_with_the_generated_secret() {
    let dir = tempfile::tempdir().unwrap();
    let mint = |args: &[&str]| {
        bin()
            .current_dir(dir.path())
            .arg("token")
            .args(args)
            .output()
            .unwrap()
    };
    let registrar = [
        "--sub",
        "ann",
        "--role",
        "registrar",
        "--facility",
        FACILITY_A,
        "--ttl",
        "1h",
    ];
    // No secret yet: the command says to start the service instead of making one up.
    let out = mint(&registrar);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("start the service first"));
    let secret = dir.path().join("cancer-registry.db.jwt-secret");
    assert!(!secret.exists(), "token never creates a secret");
    // The service creates it at its first start (the same key loading).
    let config = cancer_registry::auth::KeyConfig {
        secret: None,
        secret_file: secret.clone(),
        ..key_config()
    };
    cancer_registry::auth::Keys::load(&config).unwrap();
    let out = mint(&registrar);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Researchers and auditors are not facility-scoped; registrars and reviewers are.
    for role in ["researcher", "auditor"] {
        assert!(
            mint(&["--sub", "r", "--role", role]).status.success(),
            "{role}"
        );
    }
    assert!(!mint(&["--sub", "r", "--role", "reviewer"]).status.success());
    let century = mint(&["--sub", "r", "--role", "auditor", "--ttl", "36500d"]);
    assert!(
        !century.status.success(),
        "no token past the maximum lifetime"
    );
    assert!(String::from_utf8_lossy(&century.stderr).contains("CANCER_REGISTRY_JWT_MAX_LIFETIME"));
    assert!(
        !mint(&["--sub", "r", "--role", "registrar", "--facility", "*"])
            .status
            .success()
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert_eq!(token.split('.').count(), 3);
    let caller = cancer_registry::auth::Keys::load(&config)
        .unwrap()
        .verify(&token)
        .unwrap();
    assert_eq!(caller.sub, "ann");
    let out = bin()
        .current_dir(dir.path())
        .args(["token", "--sub", "x", "--role", "registrar"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "a registrar token needs a facility");
    let out = bin()
        .current_dir(dir.path())
        .args(["token", "--sub", "x", "--role", "wizard", "--facility", "1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}
