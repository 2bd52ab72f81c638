//! The actix stack's request path in process: the app, its extractors and middleware.
// criterion's macros generate undocumented items.
#![allow(missing_docs)]

use std::hint::black_box;

use actix_web::{App, test, web};
use criterion::{Criterion, criterion_group, criterion_main};
use footprint_actix::{configure, server_header};
use footprint_core::AccountService;

fn request_path(c: &mut Criterion) {
    let system = actix_web::rt::System::new();
    let app = system.block_on(test::init_service(
        App::new()
            .app_data(web::Data::new(AccountService::seeded("bench-host")))
            .wrap(server_header())
            .configure(configure),
    ));
    c.bench_function("actix/GET /accounts/10042", |b| {
        b.iter(|| {
            system.block_on(async {
                let request = test::TestRequest::get()
                    .uri(black_box("/accounts/10042"))
                    .insert_header(("host", "127.0.0.1:6767"))
                    .to_request();
                let response = test::call_service(&app, request).await;
                test::read_body(response).await
            })
        })
    });
}

criterion_group!(benches, request_path);
criterion_main!(benches);
