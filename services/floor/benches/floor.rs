//! The floor's request path in process: parse a request head, route it, write the response.
// criterion's macros generate undocumented items.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::SystemTime;

use criterion::{Criterion, criterion_group, criterion_main};
use footprint_core::AccountService;
use footprint_floor::http::{Head, write_response};
use footprint_floor::route;

fn request_path(c: &mut Criterion) {
    let service = AccountService::seeded("bench-host");
    let request =
        b"GET /accounts/10042 HTTP/1.1\r\nHost: 127.0.0.1:6767\r\nUser-Agent: bench\r\nAccept: */*";
    let mut out = Vec::with_capacity(256);
    c.bench_function("floor/GET /accounts/10042", |b| {
        b.iter(|| {
            let head = Head::parse(black_box(request)).unwrap();
            let response = route(&service, head.method, head.path());
            out.clear();
            write_response(&mut out, &response, true, false, SystemTime::now());
            out.len()
        })
    });
}

criterion_group!(benches, request_path);
criterion_main!(benches);
