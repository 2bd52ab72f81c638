//! The density run of one repeat, after the fit search: replicas of the stack at its limit
//! (the fit's, or the one given) up to the node's memory budget, started together, warmed and
//! loaded at once through the driver, each judged as a fit probe is; one row per replica goes
//! to `density.csv`.

use std::net::SocketAddr;
use std::time::Duration;

use super::jvm::{jvm_heap_max_mib, with_heap_log};
use super::{Measure, describe};
use crate::aggregate;
use crate::backend::{ENGINE_MIN_MIB, Instance, ServiceSpec};
use crate::boot;
use crate::driver::LoadError;
use crate::fit;
use crate::model::{Density, Fit, FitProbe, FitVerdict, LimitFrom, ReplicaRecord, StepLoad};
use crate::progress::StackBar;
use crate::results::{DensityRow, RowWriter};
use crate::scenario::{DensityPlan, FitPlan, Step};

/// The phase name of the density run's load in `memory.csv` and `cpu.csv`.
pub const DENSITY_PHASE: &str = "density";

impl Measure<'_> {
    /// Replicas at the stack's limit up to the node's budget, all loaded at once.
    pub(super) fn density(
        &self,
        plan: &DensityPlan,
        fit: Option<&Fit>,
        (spec, step, boot_timeout): (&ServiceSpec, &Step, Duration),
        mut csv: Option<&mut RowWriter<DensityRow>>,
        repeat: u32,
        bar: &StackBar,
    ) -> Density {
        let mut density = match packing(plan, fit) {
            Ok(density) => density,
            Err(unpacked) => return unpacked,
        };
        let (limit_mib, limit_from, replicas) =
            (density.limit_mib, density.limit_from, density.replicas);
        let spec = ServiceSpec {
            memory_mib: Some(limit_mib),
            env: with_heap_log(&spec.env, &spec.stack),
            ..spec.clone()
        };
        bar.phase(&format!(
            "density: starting {replicas} replicas of {limit_mib} MiB ({})",
            limit_from.words()
        ));
        let mut instances = self.start_replicas(&spec, replicas, &mut density);
        let ready = self.ready(&mut instances, boot_timeout, &density, bar);
        let replica_step = Step {
            name: DENSITY_PHASE.to_owned(),
            users: share(step.users, instances.len()),
            rate: step.rate.map(|r| share(r as usize, instances.len()) as u32),
            ..step.clone()
        };
        density.rate_per_replica = replica_step.rate;
        let targets: Vec<_> = instances
            .iter()
            .zip(&ready)
            .filter(|(_, ready)| **ready)
            .map(|(instance, _)| instance.addr())
            .collect();
        let loads = self.load_replicas(&targets, &replica_step, instances.len(), &density, bar);
        let mut loads = loads.into_iter();
        let judge = Judge {
            reference: fit::Reference {
                p99_us: fit.and_then(|f| f.reference_p99_us),
                jvm_heap_max_mib: fit
                    .and_then(|f| f.probes.first())
                    .and_then(|p| p.jvm_heap_max_mib),
            },
            plan: self.scenario.fit.unwrap_or_default(),
            harness_cpus: self.placement.harness_cpus.len(),
            limit_mib,
            step: &replica_step,
        };
        let mut used_total = 0;
        for (index, (instance, ready)) in instances.iter_mut().zip(&ready).enumerate() {
            let used = instance.source().read().ok().map(|r| r.rss_kb);
            used_total += used.unwrap_or(0);
            let load = if *ready { loads.next() } else { None };
            let record = judge.replica(index, instance.as_mut(), used, *ready, load);
            if record.verdict == Some(FitVerdict::Holds) {
                density.held += 1;
            }
            if let Some(csv) = csv.as_deref_mut()
                && let Err(e) = csv.write(&DensityRow::new(&spec.stack, repeat, limit_mib, &record))
            {
                self.reporter.warn(&format!("{}: {e}", spec.stack));
            }
            density.per_replica.push(record);
        }
        density.node_used_kb = (used_total > 0).then_some(used_total);
        bar.phase(&format!("density: stopping {} replicas", instances.len()));
        for mut instance in instances {
            instance.stop();
        }
        bar.println(&format!(
            "{} #{repeat} density: {} of {} replicas of {limit_mib} MiB held under load ({}), node \
             used {} MiB of {}",
            spec.stack,
            density.held,
            density.replicas,
            limit_from.words(),
            density
                .node_used_kb
                .map_or("-".to_owned(), |kb| (kb / 1024).to_string()),
            plan.node_mib
        ));
        density
    }

    /// Starts `replicas` services of `spec`, one after the other, until the run is cancelled
    /// or one cannot be started (`density` then says which and why).
    fn start_replicas(
        &self,
        spec: &ServiceSpec,
        replicas: u32,
        density: &mut Density,
    ) -> Vec<Box<dyn Instance>> {
        let mut instances: Vec<Box<dyn Instance>> = Vec::new();
        for index in 0..replicas {
            if self.cancel.is_cancelled() {
                break;
            }
            match self.backend.start(spec) {
                Ok(instance) => instances.push(instance),
                Err(e) => {
                    density.failure = Some(format!("replica {} of {replicas}: {e}", index + 1));
                    break;
                }
            }
        }
        instances
    }

    /// Whether each replica became ready, each within the stack's allowance from now (they
    /// started together); none is waited for once the run failed or was cancelled.
    fn ready(
        &self,
        instances: &mut [Box<dyn Instance>],
        boot_timeout: Duration,
        density: &Density,
        bar: &StackBar,
    ) -> Vec<bool> {
        let replicas = density.replicas;
        let mut ready = Vec::new();
        for (index, instance) in instances.iter_mut().enumerate() {
            if density.failure.is_some() || self.cancel.is_cancelled() {
                ready.push(false);
                continue;
            }
            bar.phase(&format!(
                "density: replica {} of {replicas} ready?",
                index + 1
            ));
            ready.push(
                boot::wait_healthy(instance.as_mut(), boot_timeout, self.health, self.cancel)
                    .is_ok(),
            );
        }
        ready
    }

    /// The scenario's warm-up (its share for each of `replicas`) then `step`, on every
    /// address of `targets` at once; the loads of the step in the order of `targets`, none
    /// when the run failed or was cancelled first.
    fn load_replicas(
        &self,
        targets: &[SocketAddr],
        step: &Step,
        replicas: usize,
        density: &Density,
        bar: &StackBar,
    ) -> Vec<Result<StepLoad, LoadError>> {
        if let Some(warmup) = &self.scenario.warmup
            && density.failure.is_none()
            && !self.cancel.is_cancelled()
        {
            let warmup = Step {
                users: share(warmup.users, replicas),
                rate: warmup.rate.map(|r| share(r as usize, replicas) as u32),
                ..warmup.clone()
            };
            bar.phase(&format!("density: warm-up, {}", describe(&warmup)));
            // Only the replicas warm; a failure shows in the measured load after.
            let _ = self.driver.run_steps(targets, &warmup, self.cancel);
        }
        if density.failure.is_none() && !self.cancel.is_cancelled() {
            bar.phase(&format!(
                "density: {} replicas at once, {}",
                targets.len(),
                describe(step)
            ));
            self.driver.run_steps(targets, step, self.cancel)
        } else {
            Vec::new()
        }
    }
}

/// The run's record before any replica starts: the limit, where it came from, and how many
/// replicas the node's budget holds; `Err` with the failure when there is nothing to pack.
fn packing(plan: &DensityPlan, fit: Option<&Fit>) -> Result<Density, Density> {
    let (limit_mib, limit_from) = limit(plan, fit);
    let mut density = Density {
        node_mib: plan.node_mib,
        limit_mib,
        limit_from,
        replicas: 0,
        held: 0,
        node_used_kb: None,
        rate_per_replica: None,
        per_replica: Vec::new(),
        failure: None,
    };
    if limit_mib == 0 {
        density.failure = Some(
            "no fit limit: the fit search found none under its largest limit, so there is \
             nothing to pack"
                .into(),
        );
        return Err(density);
    }
    let replicas = (plan.node_mib / limit_mib).min(plan.max_replicas);
    if replicas == 0 {
        density.failure = Some(format!(
            "the node's budget ({} MiB) is smaller than one replica ({limit_mib} MiB)",
            plan.node_mib
        ));
        return Err(density);
    }
    density.replicas = replicas;
    Ok(density)
}

/// A replica's share of `total` (users, requests per second) over `replicas`: at least 1.
fn share(total: usize, replicas: usize) -> usize {
    (total / replicas.max(1)).max(1)
}

/// The limit the replicas run under, and where it came from: the one given, else the fit's
/// (the engine's minimum when the fit is under it, or when the search held down to it and so
/// was stopped by it, not by the stack); 0 without either.
fn limit(plan: &DensityPlan, fit: Option<&Fit>) -> (u32, LimitFrom) {
    // A search that held down to the engine's minimum was stopped by it, not by the stack.
    let at_minimum = fit.is_some_and(|f| f.limit == crate::model::FitLimit::Minimum);
    match (plan.limit_mib, fit.and_then(|f| f.fit_mib)) {
        (Some(given), _) => (given, LimitFrom::Given),
        (None, Some(fit)) if fit < ENGINE_MIN_MIB || (at_minimum && fit == ENGINE_MIN_MIB) => {
            (ENGINE_MIN_MIB, LimitFrom::EngineMinimum)
        }
        (None, Some(fit)) => (fit, LimitFrom::Fit),
        (None, None) => (0, LimitFrom::Fit),
    }
}

/// How a loaded replica is judged: as a fit probe under the same limit, against the fit's
/// reference.
struct Judge<'s> {
    /// The fit search's reference probe.
    reference: fit::Reference,
    /// The scenario's fit plan (its thresholds).
    plan: FitPlan,
    /// CPUs of the load generator.
    harness_cpus: usize,
    /// The replicas' limit, MiB.
    limit_mib: u32,
    /// The step each replica was given.
    step: &'s Step,
}

impl Judge<'_> {
    /// The record of replica `index`, which used `used` KiB, was `ready` and got `load`: its
    /// verdict (exited, not ready, or judged by its figures) and why it did not hold.
    fn replica(
        &self,
        index: usize,
        instance: &mut dyn Instance,
        used: Option<u64>,
        ready: bool,
        load: Option<Result<StepLoad, LoadError>>,
    ) -> ReplicaRecord {
        let name = format!("replica-{} ({})", index + 1, instance.addr());
        let mut record = ReplicaRecord {
            name,
            ..ReplicaRecord::default()
        };
        record.used_kb = used;
        let events = instance.memory_events();
        match (ready, load, instance.exited()) {
            (_, _, Some(ended)) => {
                record.verdict = Some(if events.oom_killed {
                    FitVerdict::OomKilled
                } else {
                    FitVerdict::Exited
                });
                record.reason = Some(format!("exited ({ended}); {}", instance.stderr_tail()));
            }
            (false, _, None) => {
                record.verdict = Some(FitVerdict::Refused);
                record.reason = Some("not ready in time".into());
            }
            (true, Some(Ok(load)), None) => {
                let summary = aggregate::step_summary(
                    self.step,
                    false,
                    &load,
                    (0.0, 0.0),
                    &[],
                    self.harness_cpus,
                );
                let figures = aggregate::probe_record(&summary, self.harness_cpus);
                let probe = FitProbe {
                    limit_mib: self.limit_mib,
                    failcnt: events.failcnt,
                    charged_max_kb: events.max_usage_kb,
                    jvm_heap_max_mib: jvm_heap_max_mib(&instance.stderr_tail()),
                    requests: figures.requests,
                    errors: figures.errors,
                    achieved_rps: figures.achieved_rps,
                    p50_us: Some(figures.intended_p50_us.unwrap_or(figures.p50_us)),
                    p99_us: Some(figures.intended_p99_us.unwrap_or(figures.p99_us)),
                    ..FitProbe::default()
                };
                record.verdict = Some(fit::verdict(&probe, self.reference, &self.plan));
                (record.requests, record.errors, record.achieved_rps) =
                    (probe.requests, probe.errors, probe.achieved_rps);
                (record.p50_us, record.p99_us) = (probe.p50_us, probe.p99_us);
                record.sent_p99_us = Some(figures.p99_us);
                record.generator_late_p99_us = figures.generator_late_p99_us;
                if record.verdict != Some(FitVerdict::Holds) {
                    record.reason = Some(why_not(&record, figures.generator_late));
                }
            }
            (true, Some(Err(e)), None) => {
                record.verdict = Some(FitVerdict::Errors);
                record.reason = Some(e.to_string());
            }
            (true, None, None) => {
                record.verdict = Some(FitVerdict::Errors);
                record.reason = Some("not loaded (the run stopped)".into());
            }
        }
        record
    }
}

/// Why a loaded replica did not hold, in figures: its p99 from when each request was due and
/// from its send, and the generator's own lateness when its clock was behind.
fn why_not(record: &ReplicaRecord, generator_late: bool) -> String {
    let ms = |us: Option<u64>| us.map_or("-".to_owned(), |us| format!("{:.2}", us as f64 / 1000.0));
    let mut why = format!(
        "{} errors of {}; p99 {} ms from when due, {} ms from the send",
        record.errors,
        record.requests,
        ms(record.p99_us),
        ms(record.sent_p99_us)
    );
    if generator_late {
        why.push_str(&format!(
            "; the load generator's clock was {} ms late at its p99: part of the delay is the \
             generator's",
            ms(record.generator_late_p99_us)
        ));
    }
    why
}
