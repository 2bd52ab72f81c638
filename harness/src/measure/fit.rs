//! One stack, one repeat of a fit search: each probe a fresh start of the service under one
//! memory limit, the scenario's warm-up and step through the load driver with the sampler
//! running, judged by [`crate::fit`]. Records only: probe rows, samples; the search decides
//! the next limit. The density run after it is in [`super::density`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::density::DENSITY_PHASE;
use super::jvm::{jvm_heap_max_mib, with_heap_log};
use super::{Measure, collect, describe};
use crate::aggregate;
use crate::backend::{Instance, ServiceSpec};
use crate::boot;
use crate::cancel::Cancel;
use crate::capacity::Stop;
use crate::fit::{self, FitRunner};
use crate::model::{Fit, FitProbe, FitVerdict, Phase, PhaseCell, Sample};
use crate::progress::StackBar;
use crate::results::{CpuRow, FitRow, MemoryRow, RowWriter, RunDir};
use crate::scenario::{FitPlan, Step};

impl Measure<'_> {
    /// The fit search of one stack (when the scenario has a `[fit]`): each probe a start of
    /// `spec` under a limit, the warm-up and `step`, ready within `boot_timeout`. Returns the
    /// search and every sample its probes took.
    pub(super) fn fit(
        &self,
        dir: &mut RunDir,
        spec: &ServiceSpec,
        (step, boot_timeout): (&Step, Duration),
        repeat: u32,
        bar: &StackBar,
    ) -> (Option<Fit>, Vec<Sample>) {
        let scenario = self.scenario;
        let mut steps: Vec<String> = (0..fit::MAX_PROBES).map(fit::probe_name).collect();
        steps.push(DENSITY_PHASE.to_owned());
        let RunDir {
            memory,
            cpu,
            fit: fit_csv,
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
            repeat,
            bar,
            plan: scenario.fit.unwrap_or_default(),
            samples: Vec::new(),
        };
        let fit = scenario
            .fit
            .as_ref()
            .map(|plan| fit::search(plan, &mut prober));
        (fit, std::mem::take(&mut prober.samples))
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
    fn the_last_lines_skip_blank_ones() {
        assert_eq!(last_lines("a\n\nb\nc\nd\n", 2), "c | d");
    }
}
