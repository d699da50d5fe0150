//! Authentication (one test per token defect), role boundaries and facility isolation.

use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::http::{Method, StatusCode};
use base64::Engine;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::both_backends;
use crate::support::*;
use cancer_registry::auth::Role;

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn claims() -> serde_json::Value {
    json!({
        "sub": "mallory", "roles": ["registrar"], "facilities": [FACILITY_A],
        "exp": now() + 600, "iat": now(), "iss": "cancer-registry", "aud": "cancer-registry"
    })
}

fn sign(alg: Algorithm, claims: &serde_json::Value, secret: &str) -> String {
    encode(
        &Header::new(alg),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

async fn assert_401(app: &TestApp, token: Option<&str>, why: &str) {
    let r = app
        .call(Method::GET, "/api/v1/tumors", token, None, &[])
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{why}: {}", r.body);
    assert_eq!(
        r.header("content-type").unwrap(),
        "application/problem+json",
        "{why}"
    );
    assert!(
        r.header("www-authenticate").unwrap().starts_with("Bearer"),
        "{why}"
    );
    assert_eq!(r.body["type"], "/problems/unauthenticated");
    if let Some(t) = token {
        assert!(
            !String::from_utf8_lossy(&r.raw).contains(t),
            "the token is never echoed"
        );
    }
}

async fn token_defects(app: TestApp) {
    let good = sign(Algorithm::HS256, &claims(), SECRET);
    let r = app.get("/api/v1/tumors", &good).await;
    assert_eq!(r.status, StatusCode::OK, "the control token works");

    assert_401(&app, None, "missing").await;
    let r = app
        .call(
            Method::GET,
            "/api/v1/tumors",
            None,
            None,
            &[("Authorization", "Basic abc")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "not a bearer token");
    assert_401(&app, Some("not.a.jwt"), "malformed").await;
    assert_401(&app, Some("garbage"), "malformed, one part").await;

    let mut c = claims();
    c["exp"] = json!(now() - 3600);
    assert_401(&app, Some(&sign(Algorithm::HS256, &c, SECRET)), "expired").await;

    // Lifetime: at most 12 h from issue (a token minted for a century is refused), never issued
    // in the future, and a subject that could forge audit lines is refused.
    let mut c = claims();
    c["exp"] = json!(9_223_372_036_854_775_807u64);
    assert_401(
        &app,
        Some(&sign(Algorithm::HS256, &c, SECRET)),
        "exp = 2^63 - 1",
    )
    .await;
    let mut c = claims();
    c["exp"] = json!(now() + 13 * 3600);
    assert_401(
        &app,
        Some(&sign(Algorithm::HS256, &c, SECRET)),
        "13 h lifetime",
    )
    .await;
    let mut c = claims();
    c["iat"] = json!(now() + 3600);
    c["exp"] = json!(now() + 4000);
    assert_401(
        &app,
        Some(&sign(Algorithm::HS256, &c, SECRET)),
        "iat in the future",
    )
    .await;
    let mut c = claims();
    c.as_object_mut().unwrap().remove("iat");
    assert_401(&app, Some(&sign(Algorithm::HS256, &c, SECRET)), "no iat").await;
    let mut c = claims();
    c["sub"] = json!("mallory\n2026-01-01 admin logged in");
    assert_401(
        &app,
        Some(&sign(Algorithm::HS256, &c, SECRET)),
        "newline in sub",
    )
    .await;
    // Any control character: a tab shifts columns of a tab-separated log, ESC starts a
    // terminal sequence that can hide what follows when the log is read in a terminal.
    for (sub, why) in [
        ("mallory\tadmin", "tab in sub"),
        ("mallory\u{1b}[2Kadmin", "ESC in sub"),
        ("mallory\rwho", "CR in sub"),
    ] {
        let mut c = claims();
        c["sub"] = json!(sub);
        assert_401(&app, Some(&sign(Algorithm::HS256, &c, SECRET)), why).await;
    }
    let mut c = claims();
    c["exp"] = json!(now() + 11 * 3600);
    let r = app
        .get("/api/v1/tumors", &sign(Algorithm::HS256, &c, SECRET))
        .await;
    assert_eq!(r.status, StatusCode::OK, "11 h is within the limit");

    let mut c = claims();
    c["nbf"] = json!(now() + 3600);
    assert_401(
        &app,
        Some(&sign(Algorithm::HS256, &c, SECRET)),
        "not yet valid",
    )
    .await;

    let wrong_key = "another-secret-another-secret-another-1";
    assert_401(
        &app,
        Some(&sign(Algorithm::HS256, &claims(), wrong_key)),
        "wrong signature",
    )
    .await;

    let mut c = claims();
    c["iss"] = json!("someone-else");
    assert_401(
        &app,
        Some(&sign(Algorithm::HS256, &c, SECRET)),
        "wrong issuer",
    )
    .await;

    let mut c = claims();
    c["aud"] = json!("another-service");
    assert_401(
        &app,
        Some(&sign(Algorithm::HS256, &c, SECRET)),
        "wrong audience",
    )
    .await;

    let mut c = claims();
    c.as_object_mut().unwrap().remove("aud");
    assert_401(
        &app,
        Some(&sign(Algorithm::HS256, &c, SECRET)),
        "no audience",
    )
    .await;

    // alg: none, with and without a trailing signature part.
    let b64 = |v: &serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
    };
    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&claims())
    );
    assert_401(&app, Some(&none), "alg none").await;
    assert_401(
        &app,
        Some(none.trim_end_matches('.')),
        "alg none, two parts",
    )
    .await;

    // Another algorithm with the right secret: refused, only the configured one is accepted.
    assert_401(
        &app,
        Some(&sign(Algorithm::HS512, &claims(), SECRET)),
        "HS512",
    )
    .await;

    let mut c = claims();
    c["roles"] = json!(["superuser"]);
    assert_401(
        &app,
        Some(&sign(Algorithm::HS256, &c, SECRET)),
        "unknown role",
    )
    .await;
    let mut c = claims();
    c["roles"] = json!([]);
    assert_401(&app, Some(&sign(Algorithm::HS256, &c, SECRET)), "no role").await;
}
both_backends!(token_defects, token_defects);

async fn open_endpoints(app: TestApp) {
    for path in ["/health/live", "/health/ready", "/openapi.json", "/docs/"] {
        let r = app.call(Method::GET, path, None, None, &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
    }
    let r = app.call(Method::GET, "/docs", None, None, &[]).await;
    assert!(r.status.is_redirection());
    for path in [
        "/api/v1/patients",
        "/api/v1/tumors",
        "/api/v1/audit",
        "/api/v1/dictionary/items",
    ] {
        let r = app.call(Method::GET, path, None, None, &[]).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path}");
    }
}
both_backends!(open_endpoints, open_endpoints);

async fn role_boundaries(app: TestApp) {
    let t = app.registrar();
    let p = app.patient(&t, patient_items()).await;
    let tumor = app.tumor(&t, &p, tumor_items()).await;
    let tumor_path = format!("/api/v1/tumors/{}", tumor["id"].as_str().unwrap());
    for role in [Role::Researcher, Role::Auditor] {
        let token = app.token(role, Some(&[FACILITY_A]));
        for path in [
            "/api/v1/patients".to_string(),
            format!("/api/v1/patients/{p}"),
            format!("/api/v1/patients/{p}/tumors"),
            "/api/v1/tumors".to_string(),
            tumor_path.clone(),
        ] {
            let r = app.get(&path, &token).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{role} GET {path}");
            assert_eq!(r.body["type"], "/problems/forbidden");
        }
        let r = app
            .post(
                "/api/v1/patients",
                &token,
                json!({ "items": patient_items() }),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{role} creates a patient");
        let r = app
            .patch(
                &tumor_path,
                &token,
                "\"1\"",
                json!({ "items": { "laterality": "2" } }),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{role} corrects a tumor");
    }
    for role in [
        Role::Registrar,
        Role::Reviewer,
        Role::Manager,
        Role::Researcher,
    ] {
        let token = app.token(
            role,
            if role == Role::Manager {
                None
            } else {
                Some(&[FACILITY_A])
            },
        );
        let r = app.get("/api/v1/audit", &token).await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "{role} reads the audit trail"
        );
    }
    let manager = app.token(Role::Manager, None);
    let r = app.get(&tumor_path, &manager).await;
    assert_eq!(r.status, StatusCode::OK, "a manager sees every facility");
    let researcher = app.token(Role::Researcher, None);
    let r = app.get("/api/v1/dictionary/items", &researcher).await;
    assert_eq!(r.status, StatusCode::OK, "the dictionary is for every role");
}
both_backends!(role_boundaries, role_boundaries);

async fn facility_isolation(app: TestApp) {
    let a = app.registrar();
    let b = app.token(Role::Registrar, Some(&[FACILITY_B]));
    let pa = app.patient(&a, patient_items()).await;
    let ta = app.tumor(&a, &pa, tumor_items()).await;
    let ta_path = format!("/api/v1/tumors/{}", ta["id"].as_str().unwrap());
    let pb = app.patient(&b, patient_items()).await;
    let tb = app.tumor(&b, &pb, tumor_items()).await;
    assert_eq!(tb["facilityId"], FACILITY_B);

    // B cannot see, change or delete A's records: 404, as if they did not exist.
    assert_eq!(app.get(&ta_path, &b).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(&format!("/api/v1/patients/{pa}"), &b).await.status,
        StatusCode::NOT_FOUND
    );
    let r = app
        .patch(
            &ta_path,
            &b,
            "\"1\"",
            json!({ "items": { "laterality": "2" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.write(Method::DELETE, &ta_path, Some(&b), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .post(
            &format!("/api/v1/patients/{pa}/tumors"),
            &b,
            json!({ "items": tumor_items() }),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // ...and the other way round.
    let tb_path = format!("/api/v1/tumors/{}", tb["id"].as_str().unwrap());
    assert_eq!(app.get(&tb_path, &a).await.status, StatusCode::NOT_FOUND);

    let ids = |r: &Resp| -> Vec<String> {
        r.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        ids(&app.get("/api/v1/tumors", &a).await),
        vec![ta["id"].as_str().unwrap()]
    );
    assert_eq!(
        ids(&app.get("/api/v1/tumors", &b).await),
        vec![tb["id"].as_str().unwrap()]
    );
    assert_eq!(
        ids(&app.get("/api/v1/patients", &a).await),
        vec![pa.clone()]
    );
    assert_eq!(
        ids(&app.get("/api/v1/patients", &b).await),
        vec![pb.clone()]
    );

    // Writing into another facility is refused; a tumor cannot be moved out of scope.
    let mut other = tumor_items();
    other["reportingFacility"] = json!(FACILITY_B);
    let r = app
        .post(
            &format!("/api/v1/patients/{pa}/tumors"),
            &a,
            json!({ "items": other }),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .patch(
            &ta_path,
            &a,
            "\"1\"",
            json!({ "items": { "reportingFacility": FACILITY_B } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // A patient becomes visible to a facility when one of its tumors is reported there.
    let both = app.token(Role::Registrar, Some(&[FACILITY_A, FACILITY_B]));
    let mut at_b = tumor_items();
    at_b["reportingFacility"] = json!(FACILITY_B);
    app.tumor(&both, &pa, at_b).await;
    assert_eq!(
        app.get(&format!("/api/v1/patients/{pa}"), &b).await.status,
        StatusCode::OK
    );
    let r = app.get(&format!("/api/v1/patients/{pa}/tumors"), &b).await;
    assert_eq!(
        r.body["data"].as_array().unwrap().len(),
        1,
        "only B's tumor of that patient"
    );
    let patients_b = ids(&app.get("/api/v1/patients", &b).await);
    assert!(patients_b.contains(&pa) && patients_b.contains(&pb));

    // A registrar with several facilities must say which one a new record belongs to.
    let r = app
        .post(
            "/api/v1/patients",
            &both,
            json!({ "items": patient_items() }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["item"], "facilityId");
    // A non-manager token without facilities sees nothing rather than everything.
    let keys = &app.keys;
    let none = keys
        .sign(
            "nobody",
            &[Role::Registrar],
            None,
            std::time::Duration::from_secs(60),
        )
        .unwrap();
    assert_eq!(app.get(&ta_path, &none).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/api/v1/tumors", &none).await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}
both_backends!(facility_isolation, facility_isolation);

async fn body_size_is_limited(app: TestApp) {
    let t = app.registrar();
    let big = "X".repeat(100 * 1024);
    let r = app
        .post(
            "/api/v1/patients",
            &t,
            json!({ "items": { "nameLast": big } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.body["type"], "/problems/payload-too-large");
}
both_backends!(body_size_is_limited, body_size_is_limited);

/// An external identity provider's ES256 key: its tokens are accepted, and an HS256 token
/// "signed" with the public key as a secret (the algorithm-confusion attack) is not.
#[test]
fn es256_public_key_and_algorithm_confusion() {
    use cancer_registry::auth::{KeyConfig, Keys};
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.pem");
    let public = dir.path().join("public.pem");
    let status = std::process::Command::new("openssl")
        .args([
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
        ])
        .arg(&key)
        .status();
    if !status.is_ok_and(|s| s.success()) {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "openssl is needed in CI"
        );
        eprintln!("SKIP: openssl is not available to make an EC key");
        return;
    }
    let pkcs8 = dir.path().join("key8.pem");
    for args in [
        vec![
            "pkcs8",
            "-topk8",
            "-nocrypt",
            "-in",
            key.to_str().unwrap(),
            "-out",
            pkcs8.to_str().unwrap(),
        ],
        vec![
            "ec",
            "-in",
            key.to_str().unwrap(),
            "-pubout",
            "-out",
            public.to_str().unwrap(),
        ],
    ] {
        assert!(std::process::Command::new("openssl")
            .args(&args)
            .status()
            .unwrap()
            .success());
    }
    let config = KeyConfig {
        algorithm: Algorithm::ES256,
        secret: None,
        secret_file: dir.path().join("unused"),
        public_key_pem: Some(public.clone()),
        private_key_pem: Some(pkcs8),
        issuer: "cancer-registry".into(),
        audience: "cancer-registry".into(),
    };
    let keys = Keys::load(&config).unwrap();
    let token = keys
        .sign(
            "idp-user",
            &[Role::Reviewer],
            Some(vec![FACILITY_A.into()]),
            std::time::Duration::from_secs(60),
        )
        .unwrap();
    let caller = keys.verify(&token).unwrap();
    assert_eq!(caller.sub, "idp-user");
    let verify_only = Keys::load(&KeyConfig {
        private_key_pem: None,
        ..config
    })
    .unwrap();
    assert!(verify_only.verify(&token).is_ok());
    let public_bytes = std::fs::read_to_string(&public).unwrap();
    let confused = sign(Algorithm::HS256, &claims(), &public_bytes);
    assert!(verify_only.verify(&confused).is_err());
    assert!(verify_only
        .verify(&sign(Algorithm::HS256, &claims(), SECRET))
        .is_err());
}

/// RS256 with an identity provider's RSA key; a token of the same claims signed with another
/// RSA key is refused, and so is an ES256 token.
#[test]
fn rs256_public_key() {
    use cancer_registry::auth::{KeyConfig, Keys};
    let dir = tempfile::tempdir().unwrap();
    let openssl = |args: &[&str]| {
        std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir.path())
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !openssl(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        "k1.pem",
    ]) {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "openssl is needed in CI"
        );
        eprintln!("SKIP: openssl is not available to make an RSA key");
        return;
    }
    assert!(openssl(&[
        "pkey", "-in", "k1.pem", "-pubout", "-out", "p1.pem"
    ]));
    assert!(openssl(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        "k2.pem"
    ]));
    let config = |private: &str| KeyConfig {
        algorithm: Algorithm::RS256,
        secret: None,
        secret_file: dir.path().join("unused"),
        public_key_pem: Some(dir.path().join("p1.pem")),
        private_key_pem: Some(dir.path().join(private)),
        issuer: "cancer-registry".into(),
        audience: "cancer-registry".into(),
    };
    let ttl = std::time::Duration::from_secs(60);
    let good = Keys::load(&config("k1.pem")).unwrap();
    let token = good.sign("idp", &[Role::Manager], None, ttl).unwrap();
    assert_eq!(good.verify(&token).unwrap().sub, "idp");
    // Signed by a key the service does not trust: the public key is still p1.
    let other = Keys::load(&config("k2.pem")).unwrap();
    let forged = other.sign("idp", &[Role::Manager], None, ttl).unwrap();
    assert!(good.verify(&forged).is_err());
    assert!(good
        .verify(&sign(Algorithm::HS256, &claims(), SECRET))
        .is_err());
}

/// A NUL in a path id or a filter is refused as a bad value on both backends (PostgreSQL
/// cannot store one in text; it used to answer 500).
async fn nul_in_paths_and_filters_is_422(app: TestApp) {
    let t = app.registrar();
    for path in [
        "/api/v1/patients?patientIdNumber=0000%0042",
        "/api/v1/tumors/abc%00def",
        "/api/v1/patients/%00",
    ] {
        let r = app.get(path, &t).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {}",
            r.body
        );
        assert_eq!(r.body["errors"][0]["rule"], "invalid-character", "{path}");
    }
    let r = app
        .get("/api/v1/patients?patientIdNumber=00000042", &t)
        .await;
    assert_eq!(r.status, StatusCode::OK);
}
both_backends!(
    nul_in_paths_and_filters_is_422,
    nul_in_paths_and_filters_is_422
);
