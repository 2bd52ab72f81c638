//! The `tracing` rungs' rule (contract F3) against the real `footprint-axum-tracing` and
//! `footprint-axum-tracing-10` binaries, exporting to the contract's OTLP receiver.

mod every_span {
    footprint_contract::spans_suite!(footprint_contract::Target::new(
        "axum@tracing",
        env!("CARGO_BIN_EXE_footprint-axum-tracing")
    ));
}

mod one_in_ten {
    footprint_contract::spans_suite!(
        footprint_contract::Target::new(
            "axum@tracing-10",
            env!("CARGO_BIN_EXE_footprint-axum-tracing-10")
        ),
        ratio = 0.1
    );
}
