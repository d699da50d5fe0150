//! Request bodies follow the contract's types: where it gives an object, a JSON array is 422 on
//! every operation (serde alone reads a struct from an array of its fields).

use actix_web::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::support::*;
use cancer_registry::auth::Role;

/// Operations whose JSON request body the contract gives as an object.
fn object_bodies(doc: &Value) -> Vec<(Method, String)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(schema) = op
                .pointer("/requestBody/content/application~1json/schema")
                .cloned()
            else {
                continue;
            };
            let schema = match schema["$ref"].as_str() {
                Some(r) => doc
                    .pointer(&r.replace("#/", "/").replace("~", "~0"))
                    .cloned()
                    .unwrap_or(Value::Null),
                None => schema,
            };
            if schema["type"] != "object" {
                continue;
            }
            let concrete = path.replace(['{', '}'], "");
            out.push((method.to_uppercase().parse().unwrap(), concrete));
        }
    }
    out
}

async fn arrays_for_objects_are_422(app: TestApp) {
    let doc = serde_json::to_value(cancer_registry::api::openapi()).unwrap();
    let ops = object_bodies(&doc);
    assert!(ops.len() >= 10, "{ops:?}");
    let token = app.token(Role::Manager, None);
    for (method, path) in &ops {
        for body in [json!([]), json!([{"items": {}}])] {
            let r = app
                .call(
                    method.clone(),
                    path,
                    Some(&token),
                    Some(body.clone()),
                    &[("If-Match", "\"1\"")],
                )
                .await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{method} {path} with {body}: {}",
                r.body
            );
        }
    }
    // Nested: the patient of an edit check given as an array.
    let r = app
        .post(
            "/api/v1/edits/check",
            &app.registrar(),
            json!({ "patient": [{ "items": {} }] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.to_string().contains("object"), "{}", r.body);
    // The same body as an object is still read.
    let r = app
        .post(
            "/api/v1/edits/check",
            &app.registrar(),
            json!({ "patient": { "items": {} } }),
        )
        .await;
    assert_ne!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
}
both_backends!(arrays_for_objects_are_422, arrays_for_objects_are_422);
