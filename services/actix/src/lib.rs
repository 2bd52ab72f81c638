//! The account service on actix-web 4.

use std::time::Duration;

use actix_web::dev::{HttpServiceFactory, Server};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::middleware::DefaultHeaders;
use actix_web::{App, HttpResponse, HttpServer, guard, web};
use footprint_core::{AccountService, Boot, Config, HEALTH_BODY, Problem};

#[cfg(any(feature = "log", feature = "metrics", feature = "tracing"))]
pub mod rung;

/// The stack's name, in the ready line and the `Server` header.
pub const STACK: &str = "actix";

/// How long a client may take to send a request head; actix-web's default, stated.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(5);

/// Routes and error answers, on top of any actix `App`.
pub fn configure(config: &mut web::ServiceConfig) {
    configure_with(config, web::to(account));
}

/// The routes with `accounts` answering `/accounts/{id}`.
fn configure_with(config: &mut web::ServiceConfig, accounts: actix_web::Route) {
    config
        .service(known_path("/health", web::to(health)))
        .service(known_path("/accounts/{id}", accounts))
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

/// The server's settings shared by the stack and its landscape variant (workers, signals, the
/// stop's grace, the head timeout), then bound, announced as `$name` and run: a macro, as
/// `HttpServer`'s type names its app factory.
macro_rules! serve {
    ($server:expr, $config:expr, $boot:expr, $name:expr) => {{
        let server = $server
            .workers($config.workers.get())
            // SIGINT must be as graceful as SIGTERM (actix's own handler stops at once on
            // SIGINT).
            .disable_signals()
            .shutdown_timeout(footprint_core::shutdown::GRACE.as_secs().max(1))
            .client_request_timeout($crate::HEAD_TIMEOUT)
            .bind($config.addr())?;
        if let Some(addr) = server.addrs().first() {
            $boot.announce($name, *addr);
        }
        Ok(server.run())
    }};
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
    });
    serve!(server, config, boot, STACK)
}

/// A rung's server (`actix@log`, `actix@metrics`), announced as `name`: the same, with the
/// rung's observer around each request once its answer is made, which also answers
/// `GET /metrics` when the rung exposes metrics.
#[cfg(any(feature = "log", feature = "metrics", feature = "tracing"))]
pub fn server_observed(
    config: Config,
    boot: Boot,
    service: web::Data<AccountService>,
    observer: std::sync::Arc<footprint_core::observe::Observer>,
    name: &'static str,
) -> std::io::Result<Server> {
    use actix_web::dev::Service as _;
    use futures_util::future::Either;

    let server = HttpServer::new(move || {
        let observer = std::sync::Arc::clone(&observer);
        App::new()
            .app_data(service.clone())
            .wrap(server_header())
            .configure(configure)
            .wrap_fn(move |request, service| {
                let started = std::time::Instant::now();
                let method = request.method().clone();
                let path = request.path().to_owned();
                let answer = match observer.exposition(method.as_str(), &path) {
                    Some(text) => {
                        let response = HttpResponse::Ok()
                            .insert_header((
                                header::CONTENT_TYPE,
                                footprint_core::observe::EXPOSITION_TYPE,
                            ))
                            .insert_header((header::SERVER, STACK))
                            .body(text);
                        Either::Left(std::future::ready(Ok(request.into_response(response))))
                    }
                    None => Either::Right(service.call(request)),
                };
                let observer = std::sync::Arc::clone(&observer);
                async move {
                    let answer = answer.await;
                    let status = match &answer {
                        Ok(response) => response.status(),
                        Err(e) => e.as_response_error().status_code(),
                    };
                    observer.answered(method.as_str(), &path, status.as_u16(), started.elapsed());
                    answer
                }
            })
    });
    serve!(server, config, boot, name)
}

/// Runs the server `make` returns (inside actix's system, which it needs) until `SIGTERM` or
/// `SIGINT`, then stops accepting at once, gives in-flight requests the grace period and
/// stops. (`stop(true)` alone was seen to drop a connection whose request was half received
/// when the stop began.)
pub fn run_until_signal(make: impl FnOnce() -> std::io::Result<Server>) -> std::io::Result<()> {
    actix_web::rt::System::new().block_on(async move {
        let server = make()?;
        let handle = server.handle();
        actix_web::rt::spawn(async move {
            footprint_core::shutdown::signal().await;
            handle.pause().await;
            actix_web::rt::time::sleep(footprint_core::shutdown::GRACE).await;
            handle.stop(false).await;
        });
        server.await
    })
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

/// The landscape variant (`actix+quotes`): each seeded account answer carries a quote from the
/// quotes service, fetched with awc (actix's own client: one per worker, as awc's clients are
/// not shared between threads, each with its kept-alive connection pool), one timeout over
/// the whole call, and the core's breaker, shared by the workers. Each change of the breaker's
/// state is one line on stderr: `breaker stack=<stack> from=<state> to=<state>`.
#[cfg(feature = "quotes")]
pub mod landscape {
    use std::sync::Arc;
    use std::time::Instant;

    use actix_web::{App, HttpResponse, HttpServer, web};
    use footprint_core::breaker::{Admission, Breaker, Transition};
    use footprint_core::{
        AccountService, AccountWithQuote, Boot, Config, Quote, QuoteFailure, QuotesConfig,
    };

    use super::{configure_with, error, server_header};

    /// The variant's name, in its ready line.
    pub const VARIANT: &str = "actix+quotes";

    /// Largest quotes answer read; a longer one is a bad answer.
    pub const MAX_ANSWER: usize = 16 * 1024;

    /// What the workers share: the settings and the breaker.
    #[derive(Debug)]
    pub struct Shared {
        config: QuotesConfig,
        breaker: Breaker,
    }

    impl Shared {
        /// The shared part for `config`.
        pub fn new(config: QuotesConfig) -> Arc<Self> {
            Arc::new(Self {
                breaker: Breaker::new(config.breaker),
                config,
            })
        }
    }

    /// One worker's quotes client.
    pub struct Quotes {
        shared: Arc<Shared>,
        client: awc::Client,
    }

    impl Quotes {
        /// A worker's client: awc's connector with the timeout as its connect timeout.
        pub fn new(shared: Arc<Shared>) -> Self {
            let connector = awc::Connector::new().timeout(shared.config.timeout);
            let client = awc::Client::builder()
                .connector(connector)
                .timeout(shared.config.timeout)
                .disable_redirects()
                .finish();
            Self { shared, client }
        }

        /// One quote, or why there is none; never waits longer than the timeout.
        pub async fn fetch(&self) -> Result<Quote, QuoteFailure> {
            let breaker = &self.shared.breaker;
            let (admission, change) = breaker.admit(Instant::now());
            log(change);
            if admission == Admission::Rejected {
                return Err(QuoteFailure::CircuitOpen);
            }
            let result = tokio::time::timeout(self.shared.config.timeout, self.call())
                .await
                .unwrap_or(Err(QuoteFailure::TimedOut));
            log(breaker.record(admission, result.is_ok(), Instant::now()));
            result
        }

        async fn call(&self) -> Result<Quote, QuoteFailure> {
            let mut response = self
                .client
                .get(&self.shared.config.url)
                .insert_header((
                    actix_web::http::header::HOST,
                    self.shared.config.authority.as_str(),
                ))
                .send()
                .await
                .map_err(|e| match e {
                    awc::error::SendRequestError::Connect(_) => QuoteFailure::Unreachable,
                    awc::error::SendRequestError::Timeout => QuoteFailure::TimedOut,
                    _ => QuoteFailure::BadAnswer,
                })?;
            if response.status() != actix_web::http::StatusCode::OK {
                return Err(QuoteFailure::BadAnswer);
            }
            let body = response
                .body()
                .limit(MAX_ANSWER)
                .await
                .map_err(|_| QuoteFailure::BadAnswer)?;
            Quote::parse(&body)
        }
    }

    fn log(change: Option<Transition>) {
        if let Some(t) = change {
            eprintln!(
                "breaker stack={VARIANT} from={} to={}",
                t.from.word(),
                t.to.word()
            );
        }
    }

    async fn account(
        service: web::Data<AccountService>,
        quotes: web::Data<Quotes>,
        id: web::Path<String>,
    ) -> HttpResponse {
        match service.find(&id) {
            Ok(account) => {
                let quote = quotes.fetch().await;
                HttpResponse::Ok().json(AccountWithQuote::new(account, quote))
            }
            Err(e) => error(e.into()),
        }
    }

    /// Binds, prints the ready line and returns the running variant; it stops when told to.
    pub fn server(
        config: Config,
        boot: Boot,
        service: web::Data<AccountService>,
        shared: Arc<Shared>,
    ) -> std::io::Result<actix_web::dev::Server> {
        let server = HttpServer::new(move || {
            App::new()
                .app_data(service.clone())
                .app_data(web::Data::new(Quotes::new(Arc::clone(&shared))))
                .wrap(server_header())
                .configure(|c| configure_with(c, web::to(account)))
        });
        serve!(server, config, boot, VARIANT)
    }
}
