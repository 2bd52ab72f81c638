//! The axum stack's request path in process: the router, its extractors and middleware.
// criterion's macros generate undocumented items.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use criterion::{Criterion, criterion_group, criterion_main};
use footprint_axum::app;
use footprint_core::AccountService;
use tower::ServiceExt;

fn request_path(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let router = app(Arc::new(AccountService::seeded("bench-host")));
    c.bench_function("axum/GET /accounts/10042", |b| {
        b.to_async(&runtime).iter(|| {
            let request = Request::get(black_box("/accounts/10042"))
                .header("host", "127.0.0.1:6767")
                .body(Body::empty())
                .unwrap();
            let router = router.clone();
            async move {
                let response = router.oneshot(request).await.unwrap();
                axum::body::to_bytes(response.into_body(), 1024)
                    .await
                    .unwrap()
            }
        })
    });
}

criterion_group!(benches, request_path);
criterion_main!(benches);
