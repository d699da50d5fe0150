//! Test harness: `TestApp` (the real app over a fresh database), tokens per role, requests.

use std::sync::Arc;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::test;
use actix_web::web;
use diesel::connection::SimpleConnection;
use diesel::Connection;
use jsonwebtoken::Algorithm;
use serde_json::Value;

use cancer_registry::api::{self, AppState};
use cancer_registry::auth::{KeyConfig, Keys, Role};
use cancer_registry::db::{Db, PoolOptions};
use cancer_registry::edits::ReferenceTables;
use cancer_registry::naaccr::dictionary_xml::DictionarySet;

pub const SECRET: &str = "test-secret-test-secret-test-secret-0123";
pub const FACILITY_A: &str = "0000000001";
pub const FACILITY_B: &str = "0000000002";

/// Which database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh database; dropped (schema removed) with the test.
pub struct TestDb {
    pub url: String,
    /// Submission files and uploads of this test.
    pub files: tempfile::TempDir,
    _dir: Option<tempfile::TempDir>,
    /// (admin URL, schema) of a PostgreSQL test database.
    pub pg_schema: Option<(String, String)>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin_url, schema)) = &self.pg_schema {
            if let Ok(mut c) = diesel::pg::PgConnection::establish(admin_url) {
                let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
            }
        }
    }
}

/// The PostgreSQL URL for tests, if set. Under `CI=true` it must be.
pub fn pg_url() -> Option<String> {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!(
                    "CI=true but TEST_DATABASE_URL is not set: the PostgreSQL suite must run in CI"
                );
            }
            None
        }
    }
}

/// A fresh database of the backend, or `None` (with a loud note) when PostgreSQL is not set.
pub fn test_db(backend: Backend) -> Option<TestDb> {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = dir.path().join("test.db").to_string_lossy().to_string();
            Some(TestDb {
                url,
                files: tempfile::tempdir().unwrap(),
                _dir: Some(dir),
                pg_schema: None,
            })
        }
        Backend::Postgres => {
            let Some(admin_url) = pg_url() else {
                eprintln!("SKIP PostgreSQL test: TEST_DATABASE_URL is not set");
                return None;
            };
            let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
            let mut c = diesel::pg::PgConnection::establish(&admin_url)
                .unwrap_or_else(|e| panic!("cannot connect to TEST_DATABASE_URL: {e}"));
            c.batch_execute(&format!("CREATE SCHEMA {schema}")).unwrap();
            let sep = if admin_url.contains('?') { '&' } else { '?' };
            let url = format!("{admin_url}{sep}options=-csearch_path%3D{schema}");
            Some(TestDb {
                url,
                files: tempfile::tempdir().unwrap(),
                _dir: None,
                pg_schema: Some((admin_url, schema)),
            })
        }
    }
}

pub fn key_config() -> KeyConfig {
    KeyConfig {
        algorithm: Algorithm::HS256,
        secret: Some(SECRET.to_string()),
        secret_file: std::env::temp_dir().join("unused-secret"),
        public_key_pem: None,
        private_key_pem: None,
        issuer: "cancer-registry".into(),
        audience: "cancer-registry".into(),
    }
}

type ResponseFuture =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<ServiceResponse, actix_web::Error>>>>;

type AppService = dyn Service<
    actix_http::Request,
    Response = ServiceResponse<actix_web::body::BoxBody>,
    Error = actix_web::Error,
    Future = ResponseFuture,
>;

/// The app under test.
pub struct TestApp {
    #[allow(dead_code)]
    pub backend: Backend,
    pub db: Db,
    pub keys: Arc<Keys>,
    /// The app's job limits (4 at once, 3 per user), shared: a test may hold slots.
    pub slots: cancer_registry::submissions::slots::JobSlots,
    service: Box<AppService>,
    _db: TestDb,
}

/// A response: status, headers and JSON body (Null when empty or not JSON).
pub struct Resp {
    pub status: StatusCode,
    pub headers: header::HeaderMap,
    pub body: Value,
    pub raw: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(String::from)
    }
}

/// A write transaction holding what an import committing its audit rows holds: the chain's
/// head (on PostgreSQL its row lock; on SQLite the database's write lock and this process's
/// write gate), until [`HeldHead::release`].
pub struct HeldHead {
    release: std::sync::mpsc::Sender<()>,
    writer: actix_web::rt::task::JoinHandle<Result<(), cancer_registry::db::DbError>>,
}

impl HeldHead {
    /// Lets the transaction commit and waits for it.
    pub async fn release(self) {
        self.release.send(()).unwrap();
        self.writer.await.unwrap().unwrap();
    }
}

impl TestApp {
    /// A fresh app, or `None` when the backend is not available here. It accepts imports
    /// naming facilities that are not registered, as the tests' files name many.
    pub async fn new(backend: Backend) -> Option<TestApp> {
        Self::with_facilities(backend, true).await
    }

    /// A fresh app that refuses imports naming unregistered facilities unless `accept_unknown`.
    pub async fn with_facilities(backend: Backend, accept_unknown: bool) -> Option<TestApp> {
        let tdb = test_db(backend)?;
        let db = Db::open(
            &tdb.url,
            &PoolOptions {
                max_size: 4,
                connection_timeout: Duration::from_secs(10),
            },
        )
        .unwrap();
        let keys = Arc::new(Keys::load(&key_config()).unwrap());
        let edit_tables = Ok(edit_tables());
        let slots = cancer_registry::submissions::slots::JobSlots::new(4, 3);
        let builds = cancer_registry::submissions::runner::Builds {
            db: db.clone(),
            store: Arc::new(cancer_registry::submissions::files::FileStore::new(
                cancer_registry::submissions::files::StoreKind::default_for(db.backend()),
                tdb.files.path().to_path_buf(),
            )),
            lease: Arc::new(
                cancer_registry::submissions::leases::Lease::for_this_instance(
                    Duration::from_secs(60),
                ),
            ),
            tables: edit_tables.as_ref().ok().cloned(),
        };
        let state = web::Data::new(AppState {
            db: db.clone(),
            keys: keys.clone(),
            max_body_bytes: 64 * 1024,
            edit_tables,
            dictionaries: Arc::new(dictionaries()),
            data_dir: tdb.files.path().to_path_buf(),
            client_timeout: std::time::Duration::from_secs(30),
            max_import_bytes: 64 * 1024 * 1024,
            import_limits: cancer_registry::submissions::import_limits::FileLimits {
                expanded_bytes: 8 * 1024 * 1024,
                patients: 2_000,
                tumors: 4_000,
            },
            job_slots: slots.clone(),
            builds,
            staging: staging(),
            current_year: 2026,
            site_recode: Ok(site_recode()),
            suppression_threshold: 16,
            registered_facilities: Arc::new(cancer_registry::facilities::Registered::new(
                accept_unknown,
            )),
        });
        let svc = test::init_service(api::app(state)).await;
        let service = Box::new(BoxedService(svc));
        Some(TestApp {
            backend,
            db,
            keys,
            slots,
            service,
            _db: tdb,
        })
    }

    /// A token for one role and facilities (`None`: all facilities).
    pub fn token(&self, role: Role, facilities: Option<&[&str]>) -> String {
        self.keys
            .sign(
                &format!("{}-user", role.as_str()),
                &[role],
                facilities.map(|f| f.iter().map(|s| s.to_string()).collect()),
                Duration::from_secs(600),
            )
            .unwrap()
    }

    pub fn registrar(&self) -> String {
        self.token(Role::Registrar, Some(&[FACILITY_A]))
    }

    /// The ETag of the tumor or patient a path names (`/api/v1/tumors/{id}/status` names the
    /// tumor), read from the database so no audit row is written; `None` for other paths.
    pub fn current_etag(&self, path: &str) -> Option<String> {
        use diesel::prelude::*;
        let rest = path.split('?').next()?.strip_prefix("/api/v1/")?;
        let mut parts = rest.split('/');
        let table = match parts.next()? {
            "tumors" => "tumors",
            "patients" => "patients",
            _ => return None,
        };
        let id = parts.next()?;
        #[derive(QueryableByName)]
        struct Version {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            version: i64,
        }
        let mut conn = self.db.conn().ok()?;
        let query = if self.db.backend().is_sqlite() {
            format!("SELECT version FROM {table} WHERE id = ?")
        } else {
            format!("SELECT version FROM {table} WHERE id = $1")
        };
        let v: Version = diesel::sql_query(query)
            .bind::<diesel::sql_types::Text, _>(id)
            .get_result(&mut *conn)
            .ok()?;
        Some(format!("\"{}\"", v.version))
    }

    /// A write at the current version of the record the path names (`If-Match` sent as a
    /// client that just read it would), for tests about something other than concurrency.
    pub async fn write(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        match self.current_etag(path) {
            Some(tag) => {
                self.call(method, path, token, body, &[("If-Match", &tag)])
                    .await
            }
            None => self.call(method, path, token, body, &[]).await,
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        extra: &[(&str, &str)],
    ) -> Resp {
        let mut req = test::TestRequest::default().method(method).uri(path);
        if let Some(t) = token {
            req = req.insert_header((header::AUTHORIZATION, format!("Bearer {t}")));
        }
        for (k, v) in extra {
            req = req.insert_header((*k, *v));
        }
        if let Some(b) = body {
            req = req.set_json(b);
        }
        let res = self.service.call(req.to_request()).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let raw = test::read_body(res).await.to_vec();
        let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            body,
            raw,
        }
    }

    /// A request with a raw body and content type.
    pub async fn call_raw(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: &'static str,
    ) -> Resp {
        self.call_bytes(
            method,
            path,
            token,
            "application/json",
            body.as_bytes().to_vec(),
        )
        .await
    }

    /// A request with a raw body of a content type.
    pub async fn call_bytes(
        &self,
        method: Method,
        path: &str,
        token: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Resp {
        let req = test::TestRequest::default()
            .method(method)
            .uri(path)
            .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
            .insert_header((header::CONTENT_TYPE, content_type.to_string()))
            .set_payload(body);
        let res = self.service.call(req.to_request()).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let raw = test::read_body(res).await.to_vec();
        let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            body,
            raw,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.call(Method::GET, path, Some(token), None, &[]).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call(Method::POST, path, Some(token), Some(body), &[])
            .await
    }

    pub async fn patch(&self, path: &str, token: &str, etag: &str, body: Value) -> Resp {
        self.call(
            Method::PATCH,
            path,
            Some(token),
            Some(body),
            &[("If-Match", etag)],
        )
        .await
    }

    /// Creates a patient (as a registrar of facility A unless a token is given) and returns its id.
    pub async fn patient(&self, token: &str, items: Value) -> String {
        let r = self
            .post(
                "/api/v1/patients",
                token,
                serde_json::json!({ "items": items }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.body["id"].as_str().unwrap().to_string()
    }

    /// The id of the recipient named `name`, created (by a manager, of `kind`, taking record
    /// type `record_type`, no facilities: all) if there is none yet.
    pub async fn recipient(&self, name: &str, kind: &str, record_type: &str) -> String {
        let manager = self.token(Role::Manager, None);
        let list = self.get("/api/v1/recipients", &manager).await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        if let Some(r) = list.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
        {
            return r["id"].as_str().unwrap().to_string();
        }
        let r = self
            .post(
                "/api/v1/recipients",
                &manager,
                serde_json::json!({ "name": name, "kind": kind, "recordType": record_type }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.body["id"].as_str().unwrap().to_string()
    }

    /// Creates a tumor for a patient and returns the response body.
    pub async fn tumor(&self, token: &str, patient: &str, items: Value) -> Value {
        let r = self
            .post(
                &format!("/api/v1/patients/{patient}/tumors"),
                token,
                serde_json::json!({ "items": items }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.body
    }

    /// Counts audit rows matching action, entity and entity id.
    /// Holds the audit chain's head in a write transaction (see [`HeldHead`]); returns once held.
    pub async fn hold_audit_head(&self) -> HeldHead {
        use diesel::RunQueryDsl;
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let (holding, held) = std::sync::mpsc::channel::<()>();
        let db = self.db.clone();
        let writer = actix_web::rt::spawn(async move {
            db.write(move |c| {
                diesel::sql_query("UPDATE audit_chain SET seq = seq WHERE id = 1").execute(c)?;
                holding.send(()).ok();
                hold.recv().ok();
                Ok::<_, cancer_registry::db::DbError>(())
            })
            .await
        });
        // Waited for without blocking the test's executor, which runs the spawned write.
        let mut waited = 0;
        while held.try_recv().is_err() {
            assert!(waited < 2000, "the write transaction did not start");
            actix_web::rt::time::sleep(Duration::from_millis(10)).await;
            waited += 1;
        }
        HeldHead { release, writer }
    }

    pub async fn audit_count(&self, action: &str, entity: &str, entity_id: Option<&str>) -> usize {
        let filter = cancer_registry::audit::Filter {
            action: Some(action.into()),
            entity: Some(entity.into()),
            entity_id: entity_id.map(String::from),
            ..Default::default()
        };
        // Reads' rows reach the chain a moment after their answers, as in the audit listing.
        self.db.flush_audit().await.unwrap();
        let mut conn = self.db.conn().unwrap();
        cancer_registry::audit::list(&mut conn, &filter, None, 10_000)
            .unwrap()
            .0
            .len()
    }
}

struct BoxedService<S>(S);

impl<S, B> Service<actix_http::Request> for BoxedService<S>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<actix_web::body::BoxBody>;
    type Error = actix_web::Error;
    type Future = ResponseFuture;

    actix_web::dev::always_ready!();

    fn call(&self, req: actix_http::Request) -> Self::Future {
        let fut = self.0.call(req);
        Box::pin(async move { Ok(fut.await?.map_into_boxed_body()) })
    }
}

/// A realistic patient.
pub fn patient_items() -> Value {
    serde_json::json!({
        "patientIdNumber": "00000042",
        "nameLast": "TESTPERSON",
        "nameFirst": "ALEX",
        "dateOfBirth": "19550314",
        "sexAssignedAtBirth": "2",
        "race1": "01",
        "spanishHispanicOrigin": "0",
        "socialSecurityNumber": "123456789",
        "vitalStatus": "1",
        "dateOfLastContact": "20250110"
    })
}

/// A complete breast case of facility A: the documented example (every item the CoC set
/// requires), aged as the tests' patient ([`patient_items`], born 1955-03-14) was at diagnosis.
pub fn tumor_items() -> Value {
    let mut tumor =
        cancer_registry::api::items::example(cancer_registry::naaccr::Level::Tumor, false);
    tumor["ageAtDiagnosis"] = serde_json::json!("069");
    tumor
}

/// Runs an async test body on SQLite and on PostgreSQL, as two tests.
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[actix_rt::test]
            async fn sqlite() {
                let app = $crate::support::TestApp::new($crate::support::Backend::Sqlite)
                    .await
                    .unwrap();
                ($body)(app).await;
            }

            #[actix_rt::test]
            async fn postgres() {
                if let Some(app) =
                    $crate::support::TestApp::new($crate::support::Backend::Postgres).await
                {
                    ($body)(app).await;
                }
            }
        }
    };
}

/// Runs a blocking test body on SQLite and on PostgreSQL, as two tests.
#[macro_export]
macro_rules! both_backends_sync {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[test]
            fn sqlite() {
                ($body)($crate::support::Backend::Sqlite);
            }

            #[test]
            fn postgres() {
                ($body)($crate::support::Backend::Postgres);
            }
        }
    };
}

/// The staging algorithms built into the service, loaded once for the whole suite.
pub fn staging() -> Result<Arc<cancer_registry::staging::Registry>, String> {
    static REGISTRY: std::sync::OnceLock<Result<Arc<cancer_registry::staging::Registry>, String>> =
        std::sync::OnceLock::new();
    REGISTRY
        .get_or_init(|| {
            cancer_registry::config::load_staging(&cancer_registry::refdata::Source::Embedded(
                "algorithms",
            ))
            .map(Arc::new)
        })
        .clone()
}

/// The edits' reference tables built into the service, loaded once.
pub fn edit_tables() -> Arc<ReferenceTables> {
    static TABLES: std::sync::OnceLock<Arc<ReferenceTables>> = std::sync::OnceLock::new();
    TABLES
        .get_or_init(|| {
            Arc::new(
                ReferenceTables::load_source(&cancer_registry::refdata::Source::Embedded(
                    "reference",
                ))
                .unwrap(),
            )
        })
        .clone()
}

/// The SEER site recode built into the service, loaded once.
pub fn site_recode() -> Arc<cancer_registry::research::SiteRecodeTable> {
    static TABLE: std::sync::OnceLock<Arc<cancer_registry::research::SiteRecodeTable>> =
        std::sync::OnceLock::new();
    TABLE
        .get_or_init(|| {
            Arc::new(
                cancer_registry::research::SiteRecodeTable::load_source(
                    &cancer_registry::refdata::Source::Embedded("reference"),
                )
                .unwrap(),
            )
        })
        .clone()
}

/// The built-in dictionaries plus the older base dictionaries built into the service.
pub fn dictionaries() -> DictionarySet {
    DictionarySet::with_embedded().unwrap()
}

/// A file of the shared reference folder (`CANCER_REGISTRY_SHARED`, default `../shared`).
/// Absent: a loud skip, or a failure under `CI=true`.
pub fn shared_file(relative: &str) -> Option<std::path::PathBuf> {
    let base = std::env::var("CANCER_REGISTRY_SHARED")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let path = base.join(relative);
    if path.exists() {
        return Some(path);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "CI=true but the shared reference file {} is missing",
            path.display()
        );
    }
    eprintln!("SKIP: shared reference file {} is absent", path.display());
    None
}
