//! The service contract and the bad-input battery against the `jvm-spring` stack, built and launched
//! exactly as the harness does. CI installs its toolchain: a missing one fails here, it is not
//! skipped.

use std::sync::OnceLock;

use footprint_contract::Target;
use harness::stacks;

fn target() -> Target {
    static LAUNCH: OnceLock<stacks::Launch> = OnceLock::new();
    let stack = stacks::find("jvm-spring").expect("a known stack");
    let launch = LAUNCH.get_or_init(|| {
        if let stacks::Availability::Missing { what, install } = stacks::check(stack) {
            panic!("jvm-spring cannot be built here: {what} is missing; {install}");
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        stacks::prepare(stack, &root, true).unwrap_or_else(|e| panic!("building jvm-spring: {e}"))
    });
    let mut target = Target::new("jvm-spring", &launch.program);
    target.args = launch.args.clone();
    target.env = launch.env.clone();
    target.ready_timeout = stack.boot_timeout();
    target
}

footprint_contract::contract_suite!(target(), max_parallel = 3);
