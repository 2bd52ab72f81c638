//! The quotes service's contract (Q1-Q3) against the real `footprint-quotes` binary.

use std::time::{Duration, Instant};

use footprint_contract::Target;
use footprint_contract::checks::start;
use footprint_contract::client::fetch;
use footprint_core::quote::{QUOTE_PATH, QUOTES, Quote};
use footprint_core::{HEALTH_BODY, host};

fn target() -> Target {
    Target::new("quotes", env!("CARGO_BIN_EXE_footprint-quotes"))
}

#[test]
fn quotes_are_served_in_turn_with_the_host_name() {
    let service = start(&target());
    assert_eq!(service.ready().stack, "quotes");
    let mut seen = Vec::new();
    for _ in 0..QUOTES.len() {
        let r = fetch(service.addr(), "GET", QUOTE_PATH).expect("GET /api/quote");
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.header("server"), Some("quotes"));
        assert_eq!(r.header("content-type"), Some("application/json"));
        let quote = Quote::parse(&r.body).expect("a quote");
        assert_eq!(
            (quote.ip_address.as_str(), quote.language.as_str()),
            (host::hostname().as_str(), "en")
        );
        assert!(
            r.text().starts_with(r#"{"quote":"#),
            "key order: {}",
            r.text()
        );
        seen.push(quote.quote);
    }
    assert_eq!(seen, QUOTES, "every quote, in turn");
    let r = fetch(service.addr(), "GET", "/health").expect("GET /health");
    assert_eq!((r.status, r.text().as_str()), (200, HEALTH_BODY));
    let r = fetch(service.addr(), "GET", "/api/other").expect("GET /api/other");
    assert_eq!(r.status, 404);
    let r = fetch(service.addr(), "POST", "/api/quote").expect("POST /api/quote");
    assert_eq!(r.status, 405);
}

#[test]
fn the_fault_control_makes_it_slow_failing_or_garbled_and_well_again() {
    let service = start(&target());
    let put = |query: &str| {
        fetch(service.addr(), "PUT", &format!("/admin/fault?{query}"))
            .expect("PUT /admin/fault")
            .status
    };
    assert_eq!(put("answer=error"), 204);
    assert_eq!(
        fetch(service.addr(), "GET", QUOTE_PATH).unwrap().status,
        500
    );
    assert_eq!(put("answer=garbage"), 204);
    let r = fetch(service.addr(), "GET", QUOTE_PATH).unwrap();
    assert_eq!(r.status, 200);
    assert!(
        Quote::parse(&r.body).is_err(),
        "garbage parsed: {}",
        r.text()
    );
    assert_eq!(put("delay_ms=400"), 204);
    let sent = Instant::now();
    let r = fetch(service.addr(), "GET", QUOTE_PATH).unwrap();
    assert!(Quote::parse(&r.body).is_ok());
    assert!(
        sent.elapsed() >= Duration::from_millis(400),
        "the delay was not kept"
    );
    assert_eq!(put("speed=fast"), 400, "an unknown key is refused");
    // /health is never delayed: probes and readiness checks still see it up.
    let sent = Instant::now();
    assert_eq!(fetch(service.addr(), "GET", "/health").unwrap().status, 200);
    assert!(sent.elapsed() < Duration::from_millis(400));
    assert_eq!(put(""), 204, "no key: well again");
    let r = fetch(service.addr(), "GET", QUOTE_PATH).unwrap();
    assert!(Quote::parse(&r.body).is_ok());
}

#[test]
fn the_fault_delay_is_bounded() {
    let service = start(&target());
    let put = |query: &str| {
        fetch(service.addr(), "PUT", &format!("/admin/fault?{query}")).expect("PUT /admin/fault")
    };
    let r = put("delay_ms=60001");
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(
        r.text().contains("60000"),
        "the limit is named: {}",
        r.text()
    );
    let r = put("delay_ms=18446744073709551615");
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(
        put("delay_ms=60000").status,
        204,
        "the limit itself is allowed"
    );
}
