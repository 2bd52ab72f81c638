//! One stack, one repeat of a fit search (and of a density run after it): each probe a fresh
//! start of the service under one memory limit, the scenario's warm-up and step through the
//! load driver with the sampler running, judged by [`crate::fit`]; then, with a `[density]`,
//! replicas at the fit limit up to the node's budget, loaded at once. Records only: probe and
//! replica rows, samples; the search decides the next limit.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::{Measure, collect, describe};
use crate::aggregate;
use crate::backend::{ENGINE_MIN_MIB, Instance, ServiceSpec};
use crate::boot;
use crate::cancel::Cancel;
use crate::capacity::Stop;
use crate::fit::{self, FitRunner};
use crate::model::{
    Density, Fit, FitProbe, FitVerdict, LimitFrom, Phase, PhaseCell, ReplicaRecord, Sample,
    StackRun,
};
use crate::progress::StackBar;
use crate::results::{CpuRow, DensityRow, FitRow, MemoryRow, RowWriter, RunDir};
use crate::scenario::{DensityPlan, FitPlan, Step};

/// The phase name of the density run's load in `memory.csv` and `cpu.csv`.
pub const DENSITY_PHASE: &str = "density";

impl Measure<'_> {
    /// The fit search of one stack (when the scenario has a `[fit]`), then its density run
    /// (with a `[density]`); returns every sample taken.
    pub(super) fn fit_and_density(
        &self,
        dir: &mut RunDir,
        spec: &ServiceSpec,
        boot_timeout: Duration,
        run: &mut StackRun,
        bar: &StackBar,
    ) -> Vec<Sample> {
        let scenario = self.scenario;
        let Some(step) = scenario.steps.first() else {
            run.failure = Some("a fit search needs the scenario's one [[step]]".into());
            return Vec::new();
        };
        let mut steps: Vec<String> = (0..fit::MAX_PROBES).map(fit::probe_name).collect();
        steps.push(DENSITY_PHASE.to_owned());
        let RunDir {
            memory,
            cpu,
            fit: fit_csv,
            density: density_csv,
            ..
        } = dir;
        let mut prober = Prober {
            measure: self,
            base: spec,
            boot_timeout,
            step,
            steps: &steps,
            memory,
            cpu,
            csv: fit_csv.as_mut(),
            repeat: run.repeat,
            bar,
            plan: scenario.fit.unwrap_or_default(),
            samples: Vec::new(),
        };
        let fit = scenario
            .fit
            .as_ref()
            .map(|plan| fit::search(plan, &mut prober));
        let mut samples = std::mem::take(&mut prober.samples);
        if let Some(fit) = &fit {
            match fit.limit {
                crate::model::FitLimit::Interrupted => {
                    run.interrupted = Some(fit::probe_name(fit.probes.len()));
                }
                crate::model::FitLimit::Failed => run.failure = fit.failure.clone(),
                _ => {}
            }
        }
        if let Some(plan) = scenario.density
            && run.failure.is_none()
            && run.interrupted.is_none()
        {
            let density = self.density(
                &plan,
                fit.as_ref(),
                (spec, step, boot_timeout),
                density_csv.as_mut(),
                run.repeat,
                bar,
            );
            if self.cancel.is_cancelled() {
                run.interrupted = Some(DENSITY_PHASE.to_owned());
            }
            run.density = Some(density);
        }
        run.fit = fit;
        samples.sort_by_key(|s| s.at);
        samples
    }

    /// Replicas at the stack's limit up to the node's budget, all loaded at once.
    fn density(
        &self,
        plan: &DensityPlan,
        fit: Option<&Fit>,
        (spec, step, boot_timeout): (&ServiceSpec, &Step, Duration),
        mut csv: Option<&mut RowWriter<DensityRow>>,
        repeat: u32,
        bar: &StackBar,
    ) -> Density {
        // A search that held down to the engine's minimum was stopped by it, not by the stack.
        let at_minimum = fit.is_some_and(|f| f.limit == crate::model::FitLimit::Minimum);
        let (limit_mib, limit_from) = match (plan.limit_mib, fit.and_then(|f| f.fit_mib)) {
            (Some(given), _) => (given, LimitFrom::Given),
            (None, Some(fit)) if fit < ENGINE_MIN_MIB || (at_minimum && fit == ENGINE_MIN_MIB) => {
                (ENGINE_MIN_MIB, LimitFrom::EngineMinimum)
            }
            (None, Some(fit)) => (fit, LimitFrom::Fit),
            (None, None) => (0, LimitFrom::Fit),
        };
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
            return density;
        }
        let replicas = (plan.node_mib / limit_mib).min(plan.max_replicas);
        if replicas == 0 {
            density.failure = Some(format!(
                "the node's budget ({} MiB) is smaller than one replica ({limit_mib} MiB)",
                plan.node_mib
            ));
            return density;
        }
        density.replicas = replicas;
        let spec = ServiceSpec {
            memory_mib: Some(limit_mib),
            env: with_heap_log(&spec.env, &spec.stack),
            ..spec.clone()
        };
        bar.phase(&format!(
            "density: starting {replicas} replicas of {limit_mib} MiB ({})",
            limit_from.words()
        ));
        let mut instances: Vec<Box<dyn Instance>> = Vec::new();
        for index in 0..replicas {
            if self.cancel.is_cancelled() {
                break;
            }
            match self.backend.start(&spec) {
                Ok(instance) => instances.push(instance),
                Err(e) => {
                    density.failure = Some(format!("replica {} of {replicas}: {e}", index + 1));
                    break;
                }
            }
        }
        // Ready, each within the stack's allowance from now (they started together).
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
        let share = |total: usize| (total / instances.len().max(1)).max(1);
        let replica_step = Step {
            name: DENSITY_PHASE.to_owned(),
            users: share(step.users),
            rate: step
                .rate
                .map(|r| (r as usize / instances.len().max(1)).max(1) as u32),
            ..step.clone()
        };
        density.rate_per_replica = replica_step.rate;
        let targets: Vec<_> = instances
            .iter()
            .zip(&ready)
            .filter(|(_, ready)| **ready)
            .map(|(instance, _)| instance.addr())
            .collect();
        if let Some(warmup) = &self.scenario.warmup
            && density.failure.is_none()
            && !self.cancel.is_cancelled()
        {
            let warmup = Step {
                users: share(warmup.users),
                rate: warmup
                    .rate
                    .map(|r| (r as usize / instances.len().max(1)).max(1) as u32),
                ..warmup.clone()
            };
            bar.phase(&format!("density: warm-up, {}", describe(&warmup)));
            // Only the replicas warm; a failure shows in the measured load after.
            let _ = self.driver.run_steps(&targets, &warmup, self.cancel);
        }
        let loads = if density.failure.is_none() && !self.cancel.is_cancelled() {
            bar.phase(&format!(
                "density: {} replicas at once, {}",
                targets.len(),
                describe(&replica_step)
            ));
            self.driver.run_steps(&targets, &replica_step, self.cancel)
        } else {
            Vec::new()
        };
        let mut loads = loads.into_iter();
        let reference = fit::Reference {
            p99_us: fit.and_then(|f| f.reference_p99_us),
            jvm_heap_max_mib: fit
                .and_then(|f| f.probes.first())
                .and_then(|p| p.jvm_heap_max_mib),
        };
        let plan_fit = self.scenario.fit.unwrap_or_default();
        let harness_cpus = self.placement.harness_cpus.len();
        let mut used_total = 0;
        for (index, (instance, ready)) in instances.iter_mut().zip(&ready).enumerate() {
            let name = format!("replica-{} ({})", index + 1, instance.addr());
            let mut record = ReplicaRecord {
                name,
                ..ReplicaRecord::default()
            };
            let used = instance.source().read().ok().map(|r| r.rss_kb);
            record.used_kb = used;
            used_total += used.unwrap_or(0);
            let events = instance.memory_events();
            let load = if *ready { loads.next() } else { None };
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
                        &replica_step,
                        false,
                        &load,
                        (0.0, 0.0),
                        &[],
                        harness_cpus,
                    );
                    let figures = aggregate::probe_record(&summary, harness_cpus);
                    let probe = FitProbe {
                        limit_mib,
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
                    record.verdict = Some(fit::verdict(&probe, reference, &plan_fit));
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
}

/// The probes of one stack's fit search: each a start under a limit, the warm-up and the step
/// while the sampler runs, its figures from `aggregate`, its row written and its line shown
/// once the search has judged it.
struct Prober<'p, 'a> {
    measure: &'p Measure<'a>,
    base: &'p ServiceSpec,
    boot_timeout: Duration,
    step: &'p Step,
    steps: &'p [String],
    memory: &'p mut RowWriter<MemoryRow>,
    cpu: &'p mut RowWriter<CpuRow>,
    csv: Option<&'p mut RowWriter<FitRow>>,
    repeat: u32,
    bar: &'p StackBar,
    plan: FitPlan,
    samples: Vec<Sample>,
}

impl FitRunner for Prober<'_, '_> {
    fn run(&mut self, index: usize, limit_mib: u32) -> Result<FitProbe, Stop> {
        let m = self.measure;
        if m.cancel.is_cancelled() {
            return Err(Stop::Interrupted);
        }
        let started = Instant::now();
        let spec = ServiceSpec {
            memory_mib: Some(limit_mib),
            env: with_heap_log(&self.base.env, &self.base.stack),
            ..self.base.clone()
        };
        self.bar.phase(&format!(
            "{}: starting under {limit_mib} MiB",
            fit::probe_name(index)
        ));
        let mut probe = FitProbe {
            limit_mib,
            ..FitProbe::default()
        };
        let mut instance = match m.backend.start(&spec) {
            Ok(instance) => instance,
            Err(e) => {
                probe.verdict = Some(FitVerdict::Refused);
                probe.reason = Some(e.to_string());
                probe.seconds = started.elapsed().as_secs_f64();
                return Ok(probe);
            }
        };
        // The probe's own token: cancelled by the run's, or when the probe outlives its time.
        let token = Cancel::new();
        let done = AtomicBool::new(false);
        let timed_out = AtomicBool::new(false);
        let deadline = started + self.plan.probe_timeout;
        let outcome = thread::scope(|scope| {
            scope.spawn(|| {
                while !done.load(Ordering::Relaxed) {
                    if m.cancel.is_cancelled() {
                        token.cancel();
                        break;
                    }
                    if Instant::now() >= deadline {
                        timed_out.store(true, Ordering::Relaxed);
                        token.cancel();
                        break;
                    }
                    thread::sleep(Duration::from_millis(20));
                }
            });
            let outcome = self.serve(index, instance.as_mut(), &token, &mut probe);
            done.store(true, Ordering::Relaxed);
            outcome
        });
        let events = instance.memory_events();
        probe.limit_by = events.limit_by;
        probe.oom_killed = events.oom_killed;
        probe.oom_kills = events.oom_kills;
        probe.failcnt = events.failcnt;
        probe.charged_max_kb = events.max_usage_kb;
        let stderr = instance.stderr_tail();
        probe.jvm_heap_max_mib = jvm_heap_max_mib(&stderr);
        let exited = instance.exited();
        let ended = instance.stop();
        probe.seconds = started.elapsed().as_secs_f64();
        if m.cancel.is_cancelled() {
            return Err(Stop::Interrupted);
        }
        let last_lines = last_lines(&stderr, 3);
        if let Some(ended) = exited {
            probe.verdict = Some(if events.oom_killed {
                FitVerdict::OomKilled
            } else {
                FitVerdict::Exited
            });
            probe.reason = Some(format!("{ended}; {last_lines}"));
        } else if timed_out.load(Ordering::Relaxed) {
            probe.verdict = Some(FitVerdict::Timeout);
            probe.reason = Some(format!(
                "not done within {} s ({ended})",
                self.plan.probe_timeout.as_secs()
            ));
        } else if let Err(why) = outcome {
            probe.verdict = Some(FitVerdict::Refused);
            probe.reason = Some(format!("{why}; {last_lines}"));
        }
        Ok(probe)
    }

    fn judged(&mut self, index: usize, probe: &FitProbe) {
        let m = self.measure;
        if let Some(csv) = self.csv.as_deref_mut()
            && let Err(e) = csv.write(&FitRow::new(&self.base.stack, self.repeat, index, probe))
        {
            m.reporter.warn(&format!("{}: {e}", self.base.stack));
        }
        let ms =
            |us: Option<u64>| us.map_or("-".to_owned(), |us| format!("{:.2}", us as f64 / 1000.0));
        self.bar.println(&format!(
            "{} #{} {}: {} MiB ({}): {} requests, {} errors, p99 {} ms, peak {} MiB{}: {}{}",
            self.base.stack,
            self.repeat,
            fit::probe_name(index),
            probe.limit_mib,
            probe.limit_by.map_or("not set", |b| b.word()),
            probe.requests,
            probe.errors,
            ms(probe.p99_us),
            probe
                .peak_kb
                .map_or("-".to_owned(), |kb| format!("{:.1}", kb as f64 / 1024.0)),
            probe
                .jvm_heap_max_mib
                .map_or(String::new(), |h| format!(", JVM heap {h} MiB")),
            probe.verdict.map_or("-", |v| v.word()),
            probe
                .reason
                .as_deref()
                .map_or(String::new(), |r| format!(" ({})", first_line(r))),
        ));
    }
}

impl Prober<'_, '_> {
    /// Waits for the service, then gives it the warm-up and the step with the sampler running;
    /// fills the probe's figures. `Err` says why it did not serve.
    fn serve(
        &mut self,
        index: usize,
        instance: &mut dyn Instance,
        token: &Cancel,
        probe: &mut FitProbe,
    ) -> Result<(), String> {
        let m = self.measure;
        let booted = boot::wait_healthy(instance, self.boot_timeout, m.health, token)
            .map_err(|e| format!("not ready: {e}"))?;
        probe.boot_ms = Some(booted.as_secs_f64() * 1000.0);
        let phase = Arc::new(PhaseCell::new(Phase::Step(index)));
        let samples = Mutex::new(Vec::<Sample>::new());
        let (sampler, rx) = m
            .sampler(instance.source(), &phase)
            .map_err(|e| format!("cannot start the sampler: {e}"))?;
        let (name, repeat, steps) = (self.base.stack.as_str(), self.repeat, self.steps);
        let (memory, cpu) = (&mut *self.memory, &mut *self.cpu);
        let load = thread::scope(|scope| {
            let collector = scope.spawn(|| collect(rx, name, repeat, steps, memory, cpu, &samples));
            let load = (|| {
                if let Some(warmup) = &m.scenario.warmup {
                    self.bar
                        .phase(&format!("{}: warm-up", fit::probe_name(index)));
                    m.driver
                        .run_step(instance.addr(), warmup, token)
                        .map_err(|e| format!("warm-up: {e}"))?;
                }
                self.bar.phase(&format!(
                    "{} under {} MiB: {}",
                    fit::probe_name(index),
                    probe.limit_mib,
                    describe(self.step)
                ));
                m.driver
                    .run_step(instance.addr(), self.step, token)
                    .map_err(|e| format!("{}: {e}", self.step.name))
            })();
            // Let the sample that closes the window arrive.
            thread::sleep(m.scenario.sample_interval + Duration::from_millis(20));
            sampler.stop();
            if let Ok(Err(e)) = collector.join() {
                m.reporter
                    .warn(&format!("{name}: samples not written: {e}"));
            }
            load
        })?;
        let samples = samples.into_inner().unwrap_or_else(|e| e.into_inner());
        probe.peak_kb = samples.iter().map(|s| s.service.rss_kb).max();
        let window = (
            m.epoch.seconds(load.window_start),
            m.epoch.seconds(load.window_end),
        );
        let harness_cpus = m.placement.harness_cpus.len();
        let summary =
            aggregate::step_summary(self.step, false, &load, window, &samples, harness_cpus);
        let figures = aggregate::probe_record(&summary, harness_cpus);
        probe.requests = figures.requests;
        probe.errors = figures.errors;
        probe.achieved_rps = figures.achieved_rps;
        probe.p50_us = Some(figures.intended_p50_us.unwrap_or(figures.p50_us));
        probe.p99_us = Some(figures.intended_p99_us.unwrap_or(figures.p99_us));
        probe.cpu_ms_per_request = figures.cpu_ms_per_request;
        self.samples.extend(samples);
        Ok(())
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

/// The service's environment, with a JVM told to print the heap it chose (`-Xlog:gc+init`, on
/// stderr, once at start), added to any `JDK_JAVA_OPTIONS` already there.
fn with_heap_log(env: &[(String, String)], stack: &str) -> Vec<(String, String)> {
    const KEY: &str = "JDK_JAVA_OPTIONS";
    const LOG: &str = "-Xlog:gc+init=info:stderr";
    let mut env = env.to_vec();
    if !crate::stacks::find(stack).is_some_and(|s| s.is_jvm()) {
        return env;
    }
    match env.iter_mut().find(|(k, _)| k == KEY) {
        Some((_, value)) => {
            value.push(' ');
            value.push_str(LOG);
        }
        None => env.push((KEY.to_owned(), LOG.to_owned())),
    }
    env
}

/// The maximum heap from a JVM's `-Xlog:gc+init` line (`Heap Max Capacity: 128M`), MiB.
fn jvm_heap_max_mib(stderr: &str) -> Option<u64> {
    let rest = stderr.split("Heap Max Capacity: ").nth(1)?;
    let token: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    let digits: String = token.chars().take_while(char::is_ascii_digit).collect();
    let value: u64 = digits.parse().ok()?;
    match &token[digits.len()..] {
        "K" => Some(value / 1024),
        "M" => Some(value),
        "G" => Some(value * 1024),
        "B" | "" => Some(value >> 20),
        _ => None,
    }
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join(" | ")
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_heap_the_jvm_chose() {
        let log = "[0.004s][info][gc,init] Version: 17.0.15\n\
                   [0.004s][info][gc,init] Heap Min Capacity: 8M\n\
                   [0.004s][info][gc,init] Heap Max Capacity: 123M\n";
        assert_eq!(jvm_heap_max_mib(log), Some(123));
        assert_eq!(jvm_heap_max_mib("Heap Max Capacity: 2G"), Some(2048));
        assert_eq!(jvm_heap_max_mib("Heap Max Capacity: 8192K"), Some(8));
        assert_eq!(jvm_heap_max_mib("no JVM here"), None);
    }

    #[test]
    fn the_heap_log_joins_the_jvm_options() {
        assert!(with_heap_log(&[], "go").is_empty(), "only a JVM is told");
        let env = with_heap_log(&[], "jvm-plain");
        assert_eq!(
            env,
            [(
                "JDK_JAVA_OPTIONS".to_owned(),
                "-Xlog:gc+init=info:stderr".to_owned()
            )]
        );
        let env = with_heap_log(
            &[(
                "JDK_JAVA_OPTIONS".to_owned(),
                "-XX:ActiveProcessorCount=1".to_owned(),
            )],
            "jvm-spring",
        );
        assert_eq!(
            env[0].1,
            "-XX:ActiveProcessorCount=1 -Xlog:gc+init=info:stderr"
        );
        assert_eq!(last_lines("a\n\nb\nc\nd\n", 2), "c | d");
    }
}
