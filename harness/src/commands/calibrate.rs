//! `harness calibrate`: the load drivers against independent tools, against one stack.

use std::path::Path;
use std::process::ExitCode;

use crate::calibrate;
use crate::cancel::Exit;
use crate::cli::CalibrateArgs;
use crate::plan;
use crate::render::{Renderer as _, TerminalTable};

/// `harness calibrate`: checks the stack and backend asked for, runs the calibration and
/// prints its table.
pub(crate) fn calibrate(args: CalibrateArgs, root: &Path) -> ExitCode {
    if let Err(e) = plan::check_calibration(&args.stack, args.backend.kind(), args.init_swarm) {
        eprintln!("error: {e}");
        return Exit::Usage.into();
    }
    let options = calibrate::Options {
        stack: args.stack,
        users: args.users as usize,
        rate: args.rate,
        seconds: args.seconds,
        warmup: args.warmup,
        rounds: args.rounds,
        out: args.out.unwrap_or_else(|| root.join("results")),
        root: root.to_owned(),
        service_cpus: vec![1],
        harness_cpus: vec![0],
        backend: args.backend.kind(),
        init_swarm: args.init_swarm,
        quiet: args.quiet,
        wait: args.wait,
        cancel: crate::cancel::Cancel::new(),
    };
    crate::cancel::install_interrupt(&options.cancel);
    match calibrate::run(&options) {
        Ok((dir, calibration)) => {
            print!("{}", TerminalTable.render(&calibration));
            println!("results: {}", dir.display());
            Exit::Ok.into()
        }
        Err(e @ calibrate::CalibrateError::Setup(_)) => {
            eprintln!("error: {e}");
            Exit::Usage.into()
        }
        Err(e) => {
            eprintln!("error: {e}");
            Exit::Failed.into()
        }
    }
}
