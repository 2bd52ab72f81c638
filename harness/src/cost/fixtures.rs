//! Prices and runs the cost tests share (the projection's and the renderers').

use super::prices::{Arch, Price};
use crate::model::{
    Capacity, CapacityLimit, Family, HarnessCost, ProbeRecord, Role, StackRun, StackSummary,
    Status, Summary, Verdict,
};

pub fn price(t: &str, vcpu: u32, gib: f64, p2017: Option<f64>, p2026: f64, base: f64) -> Price {
    Price {
        instance_type: t.to_owned(),
        arch: if t.starts_with("t4g") {
            Arch::Aarch64
        } else {
            Arch::X86_64
        },
        vcpu,
        memory_gib: gib,
        usd_per_hour_2017: p2017,
        usd_per_hour_2026: p2026,
        burstable: base < 100.0,
        baseline_cpu_per_vcpu_pct: base,
    }
}

pub fn t2_nano() -> Price {
    price("t2.nano", 1, 0.5, Some(0.0059), 0.0058, 5.0)
}
pub fn t3_nano() -> Price {
    price("t3.nano", 2, 0.5, None, 0.0052, 5.0)
}
pub fn t3_micro() -> Price {
    price("t3.micro", 2, 1.0, None, 0.0104, 10.0)
}
pub fn t3_small() -> Price {
    price("t3.small", 2, 2.0, None, 0.0208, 20.0)
}
pub fn m6i_large() -> Price {
    price("m6i.large", 2, 8.0, None, 0.096, 100.0)
}

/// A stack measured at `peak_mib` peak and `cpu_ms_per_1000` ms CPU per 1000 requests.
pub fn measured(name: &str, peak_mib: u64, cpu_ms_per_1000: f64) -> StackSummary {
    let mut s = StackSummary::new(name, Status::Ok, None);
    s.peak_kb = Some(peak_mib * 1024);
    s.load_kb = Some(peak_mib * 1024 / 2);
    s.cpu_ms_per_1000 = Some(cpu_ms_per_1000);
    s
}

/// `s` declared as the baseline the ratios are taken against, a JVM stack.
pub fn baseline(mut s: StackSummary) -> StackSummary {
    s.family = Family::Jvm;
    s.role = Some(Role::Baseline);
    s
}

pub fn summary(stacks: Vec<StackSummary>) -> Summary {
    Summary {
        schema_version: crate::model::SCHEMA_VERSION,
        run_id: "20260720-100000".to_owned(),
        scenario: "steady".to_owned(),
        backend: "local".to_owned(),
        memory_counter: "RSS".to_owned(),
        started: "2026-07-20T10:00:00Z".parse().unwrap(),
        finished: None,
        complete: true,
        interrupted: false,
        stacks,
        harness: HarnessCost::default(),
        cleanup: Vec::new(),
        left_behind: Vec::new(),
        backend_traits: None,
        downstream: None,
        load_workers: None,
    }
}

/// A run where only some stacks have figures: `axum` measured; `go` skipped; `spring-like`
/// (the baseline) failed; `actix` measured without CPU per request.
pub fn partly_measured() -> Summary {
    let mut go = StackSummary::new(
        "go",
        Status::Skipped,
        Some("go is missing; apt-get install golang-go".to_owned()),
    );
    go.binary_bytes = Some(1);
    let jvm = baseline(StackSummary::new(
        "spring-like",
        Status::Failed,
        Some("did not start".into()),
    ));
    let mut actix = measured("actix", 20, 50.0);
    actix.cpu_ms_per_1000 = None;
    summary(vec![measured("axum", 20, 50.0), go, jvm, actix])
}

/// `stack` with one repeat's capacity search that ended at `rps` on one core for `limit`: probes
/// at a quarter, half and all of it held, one at twice it did not (the service's limit) or
/// found the generator busy; `idle_cores` of CPU at idle.
pub fn with_capacity(
    mut stack: StackSummary,
    rps: u32,
    limit: CapacityLimit,
    idle_cores: Option<f64>,
) -> StackSummary {
    let probe = |rate: u32, p99_ms: u64, verdict| ProbeRecord {
        rate,
        achieved_rps: f64::from(rate),
        requests: u64::from(rate) * 5,
        p50_us: 200,
        p99_us: p99_ms * 500,
        intended_p50_us: Some(300),
        intended_p99_us: Some(p99_ms * 1000),
        generator_cpu_share: Some(0.5),
        service_cores: Some(1.0),
        cpu_ms_per_request: Some(1000.0 / f64::from(rate)),
        verdict: Some(verdict),
        ..ProbeRecord::default()
    };
    let last = match limit {
        CapacityLimit::Slo => Verdict::Slo,
        CapacityLimit::Errors => Verdict::Errors,
        _ => Verdict::GeneratorLimit,
    };
    let probes = vec![
        probe(rps / 4, 1, Verdict::Holds),
        probe(rps / 2, 2, Verdict::Holds),
        probe(rps, 4, Verdict::Holds),
        probe(rps * 2, 40, last),
    ];
    let mut run = StackRun::new(1, 1, "1".into());
    run.idle_cores = idle_cores;
    run.capacity = Some(Capacity {
        slo_p99_ms: 10.0,
        max_error_ratio: 0.001,
        service_cpus: 1,
        rps: Some(rps),
        rps_per_core: Some(f64::from(rps)),
        limit,
        cpu_ms_per_request: Some(1000.0 / f64::from(rps)),
        below: Some(probes[2].clone()),
        above: limit.is_service().then(|| probes[3].clone()),
        probes,
        failure: None,
    });
    stack.capacity = crate::aggregate::capacity_summary(&[&run]);
    stack.idle_cores = idle_cores;
    stack.runs.push(run);
    stack
}
