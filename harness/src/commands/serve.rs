//! The commands a container of the harness's own image runs: `harness worker`, a load
//! worker, and `harness otlp-receiver`, the receiver a tracing rung exports to.

use std::process::ExitCode;

use crate::cancel::Exit;

/// `harness worker`: one load worker, told where to report by its environment.
pub(crate) fn worker() -> ExitCode {
    use crate::fleet::worker::{COORDINATOR_VAR, CPUS_VAR, NAME_VAR, NODE_VAR, TOKEN_VAR, serve};
    let coordinator = match std::env::var(COORDINATOR_VAR).map(|v| v.parse()) {
        Ok(Ok(addr)) => addr,
        Ok(Err(e)) => {
            eprintln!("error: {COORDINATOR_VAR}: expected HOST:PORT of the coordinator: {e}");
            return Exit::Usage.into();
        }
        Err(_) => {
            eprintln!(
                "error: {COORDINATOR_VAR} is not set: a load worker reports to the coordinator \
                 of a run started with --load-workers, which sets it"
            );
            return Exit::Usage.into();
        }
    };
    let Ok(token) = std::env::var(TOKEN_VAR) else {
        eprintln!(
            "error: {TOKEN_VAR} is not set: the coordinator of a run started with \
             --load-workers sets it, and refuses a hello without it"
        );
        return Exit::Usage.into();
    };
    let host = || {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .unwrap_or_else(|_| "worker".into())
    };
    let name = std::env::var(NAME_VAR).unwrap_or_else(|_| host());
    let node = std::env::var(NODE_VAR).unwrap_or_else(|_| host());
    let cpus: Vec<usize> = match std::env::var(CPUS_VAR) {
        Err(_) => Vec::new(),
        Ok(list) => match list.split(',').map(|c| c.trim().parse()).collect() {
            Ok(cpus) => cpus,
            Err(e) => {
                eprintln!("error: {CPUS_VAR}={list:?}: expected CPU numbers, e.g. 0,1: {e}");
                return Exit::Usage.into();
            }
        },
    };
    eprintln!("load worker {name} on {node}, reporting to {coordinator}");
    match serve(coordinator, &token, &name, &node, &cpus) {
        Ok(()) => Exit::Ok.into(),
        Err(e) => {
            eprintln!("error: load worker {name}: {e}");
            Exit::Failed.into()
        }
    }
}

/// `harness otlp-receiver`: the receiver on `BIND`:`PORT` until SIGTERM or SIGINT.
pub(crate) fn otlp_receiver() -> ExitCode {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let var = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    let (bind, port) = (var("BIND", "127.0.0.1"), var("PORT", "4318"));
    let addr: std::net::SocketAddr = match format!("{bind}:{port}").parse() {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("error: BIND={bind} PORT={port} is not an address to listen on: {e}");
            return Exit::Usage.into();
        }
    };
    // Before listening: a signal that comes as soon as it answers is not lost.
    let mut signals = match signal_hook::iterator::Signals::new([SIGTERM, SIGINT]) {
        Ok(signals) => signals,
        Err(e) => {
            eprintln!("error: cannot wait for SIGTERM: {e}");
            return Exit::Failed.into();
        }
    };
    let receiver = match footprint_contract::otlp::Receiver::listen(addr) {
        Ok(receiver) => receiver,
        Err(e) => {
            eprintln!("error: cannot listen on {addr}: {e}");
            return Exit::Failed.into();
        }
    };
    println!("otlp receiver on {}", receiver.endpoint());
    let _ = signals.forever().next();
    let got = receiver.received();
    eprintln!(
        "otlp receiver: {} exports, {} spans, {} bytes, {} refused",
        got.exports, got.spans, got.bytes, got.refused
    );
    Exit::Ok.into()
}
