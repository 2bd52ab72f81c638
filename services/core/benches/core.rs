//! The service's own work per request, without any HTTP: id rules, lookup and JSON.
// criterion's macros generate undocumented items.
#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use footprint_core::{AccountService, Problem};
use std::hint::black_box;

fn lookup_and_json(c: &mut Criterion) {
    let service = AccountService::seeded("bench-host");
    c.bench_function("core/find_raw+json (seeded id)", |b| {
        b.iter(|| {
            let view = service.find_raw(black_box("10042")).unwrap();
            serde_json::to_vec(&view).unwrap()
        })
    });
    c.bench_function("core/find_raw+json (unknown id)", |b| {
        b.iter(|| {
            let problem = Problem::from(service.find_raw(black_box("20000")).unwrap_err());
            serde_json::to_vec(&problem.body()).unwrap()
        })
    });
    c.bench_function("core/find_raw (percent-encoded)", |b| {
        b.iter(|| {
            service
                .find_raw(black_box("%31%30%30%34%32"))
                .unwrap()
                .id
                .len()
        })
    });
}

criterion_group!(benches, lookup_and_json);
criterion_main!(benches);
