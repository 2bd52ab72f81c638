//! The `tracing` rungs' rule (contract F3) against the real `footprint-actix-tracing` and
//! `footprint-actix-tracing-10` binaries, exporting to the contract's OTLP receiver.

mod every_span {
    footprint_contract::spans_suite!(footprint_contract::Target::new(
        "actix@tracing",
        env!("CARGO_BIN_EXE_footprint-actix-tracing")
    ));
}

mod one_in_ten {
    footprint_contract::spans_suite!(
        footprint_contract::Target::new(
            "actix@tracing-10",
            env!("CARGO_BIN_EXE_footprint-actix-tracing-10")
        ),
        ratio = 0.1
    );
}
