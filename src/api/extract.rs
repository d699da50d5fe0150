//! Request extractors: the authenticated [`Caller`], the request id, and `If-Match`.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};

use super::error::ApiError;
use super::AppState;
use crate::audit::Actor;
use crate::auth::{AuthError, Caller};

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Caller, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

fn authenticate(req: &HttpRequest) -> Result<Caller, ApiError> {
    let unauthenticated = |m: &str| ApiError::Auth(AuthError::Unauthenticated(m.to_string()));
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| unauthenticated("authentication is not configured"))?;
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| unauthenticated("send a bearer token in the Authorization header"))?;
    let value = value
        .to_str()
        .map_err(|_| unauthenticated("the Authorization header is not valid text"))?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| unauthenticated("the Authorization header must be `Bearer <token>`"))?;
    Ok(state.keys.verify(token)?)
}

/// The id of the request (from a well-formed `X-Request-Id`, or generated), also sent back
/// in the response and written to the audit trail.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Accepts a client's request id only when it is short and plain, so nothing odd reaches logs.
pub(crate) fn request_id_from(req: &actix_web::dev::ServiceRequest) -> String {
    req.headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        })
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

/// The audit actor of a request.
pub fn actor(req: &HttpRequest, caller: &Caller) -> Actor {
    let id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
    Actor::new(caller, id)
}

/// The version an `If-Match` header names, `None` when absent. `*` is refused: it would let a
/// client overwrite a version it never read.
pub fn if_match(req: &HttpRequest) -> Result<Option<i64>, ApiError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| ApiError::BadRequest("If-Match is not valid text".into()))?
        .trim();
    if text == "*" {
        return Err(ApiError::BadRequest(
            "If-Match: * is not accepted; send the ETag of the version you read".into(),
        ));
    }
    let tag = text.strip_prefix("W/").unwrap_or(text);
    let digits = tag
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()));
    // A well-formed ETag too large for any version names a version that does not exist: the
    // precondition fails (412), the request is not malformed.
    let version = digits
        .map(|t| t.parse::<i64>().unwrap_or(i64::MAX))
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "If-Match {text:?} is not an ETag of this service (it looks like \"3\")"
            ))
        })?;
    Ok(Some(version))
}

/// The ETag of a version.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// A requested page size, refused (not clamped) when out of range so a client learns its
/// request was not honoured.
pub fn page_size(limit: Option<i64>, default: i64, max: i64) -> Result<i64, ApiError> {
    match limit {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::Invalid(vec![crate::abstracts::ItemError::new(
            "limit",
            None,
            "range",
            format!("limit {n} is out of range: 1 to {max}"),
        )])),
    }
}

/// A JSON body read as the contract describes it: limits, content type and syntax as
/// `web::Json` (and its configured errors), then every struct inside must be given as an
/// object; an array in its place is 422 (serde alone would take it as the fields in order).
pub struct Json<T>(pub T);

impl<T> Json<T> {
    /// The body.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Json<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: serde::de::DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Json<T>, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let value = web::Json::<serde_json::Value>::from_request(req, payload);
        Box::pin(async move {
            let value = value.await?.into_inner();
            crate::json_input::from_value(value)
                .map(Json)
                .map_err(|e| body_error(&e).into())
        })
    }
}

fn body_error(e: &serde_json::Error) -> ApiError {
    let message = e.to_string();
    if message.contains(crate::json_input::NOT_AN_OBJECT) {
        ApiError::Invalid(vec![crate::abstracts::ItemError::new(
            "body",
            None,
            "type",
            format!("{message}: the contract gives this value as an object"),
        )])
    } else {
        ApiError::BadRequest(format!("malformed JSON body: {message}"))
    }
}

/// A JSON body already read as text (handlers that also take other media types), with the
/// rules of [`Json`].
pub fn json_body<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| ApiError::BadRequest(format!("malformed JSON body: {e}")))?;
    crate::json_input::from_value(value).map_err(|e| body_error(&e))
}
