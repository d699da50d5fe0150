//! Facilities a token or a write names must be registered (issue 22): a token naming an
//! unknown facility is 403 `/problems/unknown-facility`, a patient or tumor written for one is
//! 422 `unknown-facility`; the `token` and `import` commands hold to the same rule, and a file
//! the `import` command refuses is in the import log as an upload's is.

use std::process::Command;
use std::time::Duration;

use actix_web::http::StatusCode;
use serde_json::json;

use crate::both_backends;
use crate::both_backends_sync;
use crate::support::*;
use cancer_registry::auth::Role;
use cancer_registry::db::{Db, PoolOptions};
use cancer_registry::facilities::{self, NewFacility};

const UNREGISTERED: &str = "0000000009";

fn register(db: &Db, id: &str) {
    let mut conn = db.conn().unwrap();
    let new = NewFacility {
        id: id.into(),
        name: format!("Hospital {id}"),
        npi: None,
        state: None,
    };
    facilities::create(&mut conn, &new, "test").unwrap();
}

async fn tokens_and_writes_name_registered_facilities(app: TestApp) {
    let backend = app.backend;
    drop(app);
    let app = TestApp::with_facilities(backend, false).await.unwrap();
    let manager = app.token(Role::Manager, None);
    let r = app
        .post(
            "/api/v1/facilities",
            &manager,
            json!({ "id": FACILITY_A, "name": "General Hospital" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

    // A token naming a facility nobody registered: 403 on any operation, naming it.
    let stranger = app.token(Role::Registrar, Some(&[FACILITY_B]));
    for path in ["/api/v1/session", "/api/v1/tumors"] {
        let r = app.get(path, &stranger).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.body);
        assert_eq!(r.body["type"], "/problems/unknown-facility", "{}", r.body);
        assert!(
            r.body["detail"].as_str().unwrap().contains(FACILITY_B),
            "{}",
            r.body
        );
        assert_eq!(
            r.header("content-type").as_deref(),
            Some("application/problem+json")
        );
    }
    // One unknown facility among known ones is enough.
    let mixed = app.token(Role::Registrar, Some(&[FACILITY_A, UNREGISTERED]));
    let r = app.get("/api/v1/session", &mixed).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body["detail"].as_str().unwrap().contains(UNREGISTERED));
    assert!(!r.body["detail"].as_str().unwrap().contains(FACILITY_A));

    // A registered facility's token works.
    let registrar = app.registrar();
    let patient = app.patient(&registrar, patient_items()).await;
    let tumor = app.tumor(&registrar, &patient, tumor_items()).await;
    let tumor_id = tumor["id"].as_str().unwrap().to_string();

    // Direct writes naming an unknown facility: 422 unknown-facility naming it, nothing stored.
    let mut items = patient_items();
    items["patientIdNumber"] = json!("00000777");
    let r = app
        .post(
            "/api/v1/patients",
            &manager,
            json!({ "facilityId": FACILITY_B, "items": items }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["errors"][0]["item"], "facilityId", "{}", r.body);
    assert_eq!(
        r.body["errors"][0]["rule"], "unknown-facility",
        "{}",
        r.body
    );
    assert!(r.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains(FACILITY_B));
    let mut items = tumor_items();
    items["reportingFacility"] = json!(FACILITY_B);
    let r = app
        .post(
            &format!("/api/v1/patients/{patient}/tumors"),
            &manager,
            json!({ "items": items }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["errors"][0]["item"], "reportingFacility");
    assert_eq!(r.body["errors"][0]["rule"], "unknown-facility");
    let r = app
        .patch(
            &format!("/api/v1/tumors/{tumor_id}"),
            &manager,
            "\"1\"",
            json!({ "items": { "reportingFacility": FACILITY_B } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["errors"][0]["rule"], "unknown-facility");
    let r = app.get("/api/v1/tumors?limit=10", &manager).await;
    assert_eq!(r.body["data"].as_array().unwrap().len(), 1, "{}", r.body);
    assert_eq!(r.body["data"][0]["facilityId"], FACILITY_A, "{}", r.body);

    // Registered through the API: the cache learns it at once.
    let r = app
        .post(
            "/api/v1/facilities",
            &manager,
            json!({ "id": FACILITY_B, "name": "County Hospital" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = app.get("/api/v1/session", &stranger).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .post(
            &format!("/api/v1/patients/{patient}/tumors"),
            &manager,
            json!({ "items": items }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

    // Registered by another instance (straight into the database): a miss is looked up before
    // it is refused.
    register(&app.db, UNREGISTERED);
    let r = app.get("/api/v1/session", &mixed).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}
both_backends!(
    tokens_and_writes_name_registered_facilities,
    tokens_and_writes_name_registered_facilities
);

/// The switch for a first load turns every check off (the rest of the suite runs so).
async fn accepting_unknown_facilities(app: TestApp) {
    let stranger = app.token(Role::Registrar, Some(&[UNREGISTERED]));
    let r = app.get("/api/v1/session", &stranger).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mut items = patient_items();
    items["patientIdNumber"] = json!("00000778");
    let r = app
        .post("/api/v1/patients", &stranger, json!({ "items": items }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}
both_backends!(accepting_unknown_facilities, accepting_unknown_facilities);

fn bin(url: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cancer-registry"));
    c.env_remove("CANCER_REGISTRY_ACCEPT_UNKNOWN_FACILITIES")
        .env("DATABASE_URL", url)
        .env("CANCER_REGISTRY_JWT_SECRET", SECRET)
        .env("RUST_BACKTRACE", "0");
    c
}

fn open(url: &str) -> Db {
    Db::open(
        url,
        &PoolOptions {
            max_size: 2,
            connection_timeout: Duration::from_secs(10),
        },
    )
    .unwrap()
}

/// `token` refuses a facility the database it reaches does not know.
fn token_command_names_registered_facilities(backend: Backend) {
    let Some(tdb) = test_db(backend) else { return };
    let db = open(&tdb.url);
    let dir = tempfile::tempdir().unwrap();
    let mint = || {
        bin(&tdb.url)
            .current_dir(dir.path())
            .args(["token", "--sub", "ann", "--role", "registrar"])
            .args(["--facility", FACILITY_A, "--ttl", "1h"])
            .output()
            .unwrap()
    };
    let out = mint();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("{FACILITY_A} is not registered")),
        "{err}"
    );
    register(&db, FACILITY_A);
    let out = mint();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
both_backends_sync!(
    token_command_names_registered_facilities,
    token_command_names_registered_facilities
);

fn imports_logged(db: &Db) -> Vec<(String, String)> {
    use cancer_registry::db::schema::imports;
    use diesel::prelude::*;
    let mut conn = db.conn().unwrap();
    imports::table
        .select((imports::status, imports::report))
        .order(imports::created_at.asc())
        .load::<(String, String)>(&mut *conn)
        .unwrap()
}

/// `import` refuses a file naming an unknown facility, or with invalid items, and records
/// either refusal in the import log with its problems, as `POST /imports` does.
fn import_command_records_refused_files(backend: Backend) {
    let Some(tdb) = test_db(backend) else { return };
    let db = open(&tdb.url);
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, number: &str| {
        let path = dir.path().join(name);
        let patient: &[(&str, &str)] = &[("patientIdNumber", number), ("dateOfBirth", "19500101")];
        let tumor: &[(&str, &str)] = &[
            ("reportingFacility", FACILITY_A),
            ("primarySite", "C509"),
            ("dateOfDiagnosis", "2025"),
        ];
        std::fs::write(&path, crate::intake::naaccr_file(&[(patient, vec![tumor])])).unwrap();
        path
    };
    let import = |path: &std::path::Path| {
        bin(&tdb.url)
            .current_dir(dir.path())
            .arg("import")
            .arg(path)
            .output()
            .unwrap()
    };
    let good = file("good.xml", "00000001");
    let out = import(&good);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown-facility") && err.contains(FACILITY_A),
        "{err}"
    );
    let log = imports_logged(&db);
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].0, "refused");
    let report: serde_json::Value = serde_json::from_str(&log[0].1).unwrap();
    assert_eq!(report["fileName"], "good.xml", "{report}");
    assert_eq!(
        report["problems"][0]["rule"], "unknown-facility",
        "{report}"
    );

    register(&db, FACILITY_A);
    let bad = file("bad.xml", "not a number");
    let out = import(&bad);
    assert!(!out.status.success());
    let log = imports_logged(&db);
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[1].0, "refused");
    let report: serde_json::Value = serde_json::from_str(&log[1].1).unwrap();
    assert_eq!(report["problems"][0]["item"], "patientIdNumber", "{report}");

    let out = import(&good);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = imports_logged(&db);
    assert_eq!(log.len(), 3, "{log:?}");
    assert_eq!(log[2].0, "done");
}
both_backends_sync!(
    import_command_records_refused_files,
    import_command_records_refused_files
);
