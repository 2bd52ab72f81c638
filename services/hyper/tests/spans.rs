//! The `tracing` rungs' rule (contract F3) against the real `footprint-hyper-tracing` and
//! `footprint-hyper-tracing-10` binaries, exporting to the contract's OTLP receiver.

mod every_span {
    footprint_contract::spans_suite!(footprint_contract::Target::new(
        "hyper@tracing",
        env!("CARGO_BIN_EXE_footprint-hyper-tracing")
    ));
}

mod one_in_ten {
    footprint_contract::spans_suite!(
        footprint_contract::Target::new(
            "hyper@tracing-10",
            env!("CARGO_BIN_EXE_footprint-hyper-tracing-10")
        ),
        ratio = 0.1
    );
}
