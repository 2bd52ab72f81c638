//! The account service on hyper 1.x: no framework, routing by hand.

use bytes::Bytes;
use footprint_core::{
    ACCOUNTS_PREFIX, ALLOW, AccountService, HEALTH_BODY, HEALTH_PATH, JSON, Problem,
};
use http_body_util::Full;
use hyper::body::Body as _;
use hyper::header::{ALLOW as ALLOW_HEADER, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue, SERVER};
use hyper::{Method, Request, Response, StatusCode};
use serde::Serialize;

#[cfg(any(feature = "log", feature = "metrics", feature = "tracing"))]
pub mod rung;

/// The stack's name, in the ready line and the `Server` header.
pub const STACK: &str = "hyper";

/// Answers one request. The request body is never needed; hyper discards it.
pub fn handle<B>(service: &AccountService, request: &Request<B>) -> Response<Full<Bytes>> {
    finish(
        request,
        route(service, request.method(), request.uri().path()),
    )
}

/// The landscape variant's answer: a seeded account also carries a quote.
#[cfg(feature = "quotes")]
pub async fn handle_with_quotes<B>(
    service: &AccountService,
    quotes: &footprint_serve::quotes::Quotes,
    request: &Request<B>,
) -> Response<Full<Bytes>> {
    let routed = match route_account(service, request.method(), request.uri().path()) {
        Ok(Some(account)) => {
            let quote = quotes.fetch().await;
            Ok(json(
                StatusCode::OK,
                to_json(&footprint_core::AccountWithQuote::new(account, quote)),
            ))
        }
        Ok(None) => route(service, request.method(), request.uri().path()),
        Err(problem) => Err(problem),
    };
    finish(request, routed)
}

/// The account a `GET` or `HEAD` of `/accounts/{id}` names, `None` for any other request
/// (which [`route`] answers).
#[cfg(feature = "quotes")]
fn route_account<'s>(
    service: &'s AccountService,
    method: &Method,
    path: &str,
) -> Result<Option<footprint_core::AccountView<'s>>, Problem> {
    match account_segment(path) {
        Some(raw) if method == Method::GET || method == Method::HEAD => {
            Ok(Some(service.find_raw(raw)?))
        }
        _ => Ok(None),
    }
}

/// The `Server` header, and for `HEAD` the same head as `GET` without the body.
fn finish<B>(
    request: &Request<B>,
    routed: Result<Response<Full<Bytes>>, Problem>,
) -> Response<Full<Bytes>> {
    let head = request.method() == Method::HEAD;
    let mut response = match routed {
        Ok(response) => response,
        Err(problem) => problem_response(problem),
    };
    response
        .headers_mut()
        .insert(SERVER, HeaderValue::from_static(STACK));
    if head {
        // Same status and headers as GET, `Content-Length` included; no body.
        let length = response.body().size_hint().exact().unwrap_or(0);
        response
            .headers_mut()
            .insert(CONTENT_LENGTH, HeaderValue::from(length));
        *response.body_mut() = Full::new(Bytes::new());
    }
    response
}

/// The raw id segment of an `/accounts/{id}` path: one non-empty segment, nothing after it.
fn account_segment(path: &str) -> Option<&str> {
    path.strip_prefix(ACCOUNTS_PREFIX)
        .filter(|id| !id.is_empty() && !id.contains('/'))
}

fn route(
    service: &AccountService,
    method: &Method,
    path: &str,
) -> Result<Response<Full<Bytes>>, Problem> {
    let id = account_segment(path);
    if path != HEALTH_PATH && id.is_none() {
        return Err(Problem::NoSuchPath);
    }
    if method != Method::GET && method != Method::HEAD {
        return Err(Problem::MethodNotAllowed);
    }
    match id {
        None => Ok(json(
            StatusCode::OK,
            Bytes::from_static(HEALTH_BODY.as_bytes()),
        )),
        Some(raw) => {
            let account = service.find_raw(raw)?;
            Ok(json(StatusCode::OK, to_json(&account)))
        }
    }
}

fn problem_response(problem: Problem) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(problem.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = json(status, to_json(&problem.body()));
    if problem == Problem::MethodNotAllowed {
        response
            .headers_mut()
            .insert(ALLOW_HEADER, HeaderValue::from_static(ALLOW));
    }
    response
}

fn json(status: StatusCode, body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(JSON));
    response
}

fn to_json(value: &impl Serialize) -> Bytes {
    // Serialising these plain structs cannot fail.
    serde_json::to_vec(value)
        .map(Bytes::from)
        .unwrap_or_default()
}
