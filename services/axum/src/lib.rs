//! The account service on axum 0.8.

use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::header::{ALLOW, SERVER};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router, middleware};
use footprint_core::{AccountService, HEALTH_BODY, Problem};

#[cfg(any(feature = "log", feature = "metrics", feature = "tracing"))]
pub mod rung;

/// The stack's name, in the ready line and the `Server` header.
pub const STACK: &str = "axum";

/// The application: routes, error answers and the `Server` header.
pub fn app(service: Arc<AccountService>) -> Router {
    routes(get(account)).with_state(service)
}

/// The landscape variant's application: the account answer also carries a quote.
#[cfg(feature = "quotes")]
pub fn app_with_quotes(
    service: Arc<AccountService>,
    quotes: Arc<footprint_serve::quotes::Quotes>,
) -> Router {
    routes(get(landscape::account)).with_state(landscape::Landscape { service, quotes })
}

/// A rung's application (`axum@log`, `axum@metrics`): the same, with the rung's observer
/// around each request in a middleware, which also answers `GET /metrics` when the rung
/// exposes metrics.
#[cfg(any(feature = "log", feature = "metrics", feature = "tracing"))]
pub fn app_observed(
    service: Arc<AccountService>,
    observer: Arc<footprint_core::observe::Observer>,
) -> Router {
    app(service).layer(middleware::from_fn(move |request, next| {
        observed(Arc::clone(&observer), request, next)
    }))
}

/// Observes each request once its answer is made, whatever answered it (a route, a fallback,
/// the exposition).
#[cfg(any(feature = "log", feature = "metrics", feature = "tracing"))]
async fn observed(
    observer: Arc<footprint_core::observe::Observer>,
    request: axum::extract::Request,
    next: middleware::Next,
) -> Response {
    let started = std::time::Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = match observer.exposition(method.as_str(), &path) {
        Some(text) => (
            [
                (
                    axum::http::header::CONTENT_TYPE,
                    footprint_core::observe::EXPOSITION_TYPE,
                ),
                (SERVER, STACK),
            ],
            text,
        )
            .into_response(),
        None => next.run(request).await,
    };
    observer.answered(
        method.as_str(),
        &path,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// Every route but the account's answer, which `accounts` gives.
fn routes<S: Clone + Send + Sync + 'static>(accounts: axum::routing::MethodRouter<S>) -> Router<S> {
    Router::new()
        .route("/health", get(health))
        .route("/accounts/{id}", accounts)
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(no_such_path)
        .layer(middleware::map_response(server_header))
}

/// The landscape variant's account handler.
#[cfg(feature = "quotes")]
mod landscape {
    use super::*;
    use footprint_core::AccountWithQuote;
    use footprint_serve::quotes::Quotes;

    /// The variant's state: the accounts and the quotes client.
    #[derive(Clone)]
    pub struct Landscape {
        pub service: Arc<AccountService>,
        pub quotes: Arc<Quotes>,
    }

    pub async fn account(
        State(state): State<Landscape>,
        id: Result<Path<String>, PathRejection>,
    ) -> Response {
        let Ok(Path(id)) = id else {
            return ApiError(Problem::InvalidId).into_response();
        };
        match state.service.find(&id) {
            Ok(account) => {
                let quote = state.quotes.fetch().await;
                Json(AccountWithQuote::new(account, quote)).into_response()
            }
            Err(e) => ApiError(e.into()).into_response(),
        }
    }
}

async fn health() -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, footprint_core::JSON)],
        HEALTH_BODY,
    )
}

async fn account(
    State(service): State<Arc<AccountService>>,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    // A segment that does not decode to UTF-8 is a malformed id, not a framework error page.
    let Ok(Path(id)) = id else {
        return ApiError(Problem::InvalidId).into_response();
    };
    match service.find(&id) {
        Ok(account) => Json(account).into_response(),
        Err(e) => ApiError(e.into()).into_response(),
    }
}

async fn method_not_allowed() -> ApiError {
    ApiError(Problem::MethodNotAllowed)
}

async fn no_such_path() -> ApiError {
    ApiError(Problem::NoSuchPath)
}

async fn server_header(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(SERVER, HeaderValue::from_static(STACK));
    response
}

/// A contract error as an axum response: status and `{"error":...}` body.
struct ApiError(Problem);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::BAD_REQUEST);
        let mut response = (status, Json(self.0.body())).into_response();
        if self.0 == Problem::MethodNotAllowed {
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static(footprint_core::ALLOW));
        }
        response
    }
}
