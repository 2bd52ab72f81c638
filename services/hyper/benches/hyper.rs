//! The hyper stack's request path in process: build a request, route it, produce the response.
// criterion's macros generate undocumented items.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use footprint_core::AccountService;
use footprint_hyper::handle;
use hyper::Request;

fn request_path(c: &mut Criterion) {
    let service = AccountService::seeded("bench-host");
    c.bench_function("hyper/GET /accounts/10042", |b| {
        b.iter(|| {
            let request = Request::get(black_box("/accounts/10042"))
                .header("host", "127.0.0.1:6767")
                .body(())
                .unwrap();
            handle(&service, &request)
        })
    });
}

criterion_group!(benches, request_path);
criterion_main!(benches);
