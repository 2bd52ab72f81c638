//! The account service on actix-web 4.

use std::time::Duration;

use actix_web::dev::{HttpServiceFactory, Server};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::middleware::DefaultHeaders;
use actix_web::{App, HttpResponse, HttpServer, guard, web};
use footprint_core::{AccountService, Boot, Config, HEALTH_BODY, Problem};

/// The stack's name, in the ready line and the `Server` header.
pub const STACK: &str = "actix";

/// How long a client may take to send a request head; actix-web's default, stated.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(5);

/// Routes and error answers, on top of any actix `App`.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(known_path("/health", web::to(health)))
        .service(known_path("/accounts/{id}", web::to(account)))
        .default_service(web::to(no_such_path));
}

/// A path that answers `GET` and `HEAD`, and `405` to any other method.
fn known_path(path: &str, handler: actix_web::Route) -> impl HttpServiceFactory + use<> {
    web::resource(path)
        .route(handler.guard(guard::Any(guard::Get()).or(guard::Head())))
        .default_service(web::to(method_not_allowed))
}

/// The `Server` header every response carries.
pub fn server_header() -> DefaultHeaders {
    DefaultHeaders::new().add((header::SERVER, STACK))
}

/// Binds, prints the ready line and returns the running server; it stops when told to.
pub fn server(
    config: Config,
    boot: Boot,
    service: web::Data<AccountService>,
) -> std::io::Result<Server> {
    let server = HttpServer::new(move || {
        App::new()
            .app_data(service.clone())
            .wrap(server_header())
            .configure(configure)
    })
    .workers(config.workers.get())
    // SIGINT must be as graceful as SIGTERM (actix's own handler stops at once on SIGINT).
    .disable_signals()
    .shutdown_timeout(footprint_core::shutdown::GRACE.as_secs().max(1))
    .client_request_timeout(HEAD_TIMEOUT)
    .bind(config.addr())?;
    if let Some(addr) = server.addrs().first() {
        boot.announce(STACK, *addr);
    }
    Ok(server.run())
}

async fn health() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(HEALTH_BODY)
}

async fn account(service: web::Data<AccountService>, id: web::Path<String>) -> HttpResponse {
    match service.find(&id) {
        Ok(account) => HttpResponse::Ok().json(account),
        Err(e) => error(e.into()),
    }
}

async fn method_not_allowed() -> HttpResponse {
    error(Problem::MethodNotAllowed)
}

async fn no_such_path() -> HttpResponse {
    error(Problem::NoSuchPath)
}

fn error(problem: Problem) -> HttpResponse {
    let status = StatusCode::from_u16(problem.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = HttpResponse::build(status);
    if problem == Problem::MethodNotAllowed {
        response.insert_header((header::ALLOW, footprint_core::ALLOW));
    }
    response.json(problem.body())
}
