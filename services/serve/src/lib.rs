//! The connection loop shared by the stacks built on hyper (`hyper`, `axum`).
//!
//! What `axum::serve` does, plus the two things a production service needs and it does not
//! offer: a timeout on reading a request head (slow or stalled clients are closed, not kept
//! forever) and a bound on the graceful stop. Both stacks use the same loop, so the only
//! difference between them is what answers a request.

#[cfg(feature = "quotes")]
pub mod quotes;

use std::future::Future;
use std::time::Duration;

use footprint_core::{Boot, Config, shutdown};
use hyper::body::{Body, Incoming};
use hyper::service::HttpService;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

/// How long a client may take to send a request head before its connection is closed.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(5);

/// Builds the multi-threaded tokio runtime with `WORKERS` worker threads.
pub fn runtime(config: &Config) -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.workers.get())
        .enable_all()
        .build()
}

/// Binds `config.addr()`, prints the ready line, and serves connections with the service
/// `make_service` builds for each, until `SIGTERM` or `SIGINT`.
pub async fn serve<S, B>(
    config: Config,
    boot: Boot,
    stack: &str,
    make_service: impl Fn() -> S,
) -> std::io::Result<()>
where
    S: HttpService<Incoming, ResBody = B> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let listener = TcpListener::bind(config.addr()).await?;
    boot.announce(stack, listener.local_addr()?);
    serve_until(listener, make_service, shutdown::signal()).await;
    Ok(())
}

/// Serves `listener` until `stop` resolves, then gives open connections [`shutdown::GRACE`].
pub async fn serve_until<S, B>(
    listener: TcpListener,
    make_service: impl Fn() -> S,
    stop: impl Future<Output = ()>,
) where
    S: HttpService<Incoming, ResBody = B> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEAD_TIMEOUT);
    let graceful = GracefulShutdown::new();
    tokio::pin!(stop);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors, say: back off instead of spinning.
                    eprintln!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);
        let connection = http.serve_connection(TokioIo::new(stream), make_service());
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A client that resets or sends garbage ends its own connection; nothing to do.
            let _ = connection.await;
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(shutdown::GRACE, graceful.shutdown()).await;
}
