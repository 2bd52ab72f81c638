//! The scenario's load of one repeat: idle, then the warm-up and the measured steps through
//! the load driver while the sampler runs, each step's figures made by `aggregate` and
//! written to `latency.csv` and `histograms.csv` as it ends; then the capacity search, when
//! the scenario has one.

use std::thread;
use std::time::Duration;

use super::landscape::{self, Downstream};
use super::{Measure, Repeat, describe};
use crate::aggregate;
use crate::backend::Instance;
use crate::model::{Phase, StackRun, StepSummary};
use crate::results::{CapacityRow, HistogramRow, LatencyRow, RowWriter};
use crate::scenario::Step;

/// The files a step's rows go to: `latency.csv` and `histograms.csv`.
pub(super) type StepFiles<'f> = (
    &'f mut RowWriter<LatencyRow>,
    &'f mut RowWriter<HistogramRow>,
);

impl Measure<'_> {
    /// Idle, warm-up and the measured steps (or the capacity search), with the sampler
    /// running; step rows go to `latency.csv`, probe rows to `capacity.csv`.
    pub(super) fn steps(
        &self,
        instance: &mut dyn Instance,
        repeat: &Repeat<'_>,
        (latency, histograms): StepFiles<'_>,
        capacity_csv: Option<&mut RowWriter<CapacityRow>>,
        mut downstream: Option<&mut Downstream<'_, '_>>,
        run: &mut StackRun,
    ) {
        let scenario = self.scenario;
        if !self.idle(repeat.bar, run) {
            return;
        }
        if let Some(downstream) = downstream.as_deref()
            && let Err(why) = landscape::check_reachable(instance.addr(), &downstream.url)
        {
            run.failure = Some(why);
            return;
        }
        let loads = scenario
            .warmup
            .iter()
            .map(|w| (Phase::Warmup, w, true))
            .chain(
                scenario
                    .steps
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (Phase::Step(i), s, false)),
            );
        for load in loads {
            let files = (&mut *latency, &mut *histograms);
            if !self.step(
                instance,
                repeat,
                load,
                files,
                downstream.as_deref_mut(),
                run,
            ) {
                return;
            }
        }
        if let Some(plan) = &scenario.capacity {
            self.capacity(instance, repeat, plan, capacity_csv, run);
        }
    }

    /// One load phase (the warm-up, or a measured step, `warmup` says which) through the
    /// driver, its figures recorded in `run` and its rows written; `false` when the repeat
    /// ends with it (the service exited, the load failed or was cut short, a load worker's
    /// part is missing).
    fn step(
        &self,
        instance: &mut dyn Instance,
        repeat: &Repeat<'_>,
        (index, step, warmup): (Phase, &Step, bool),
        files: StepFiles<'_>,
        mut downstream: Option<&mut Downstream<'_, '_>>,
        run: &mut StackRun,
    ) -> bool {
        if let Some(ended) = instance.exited() {
            run.failure = Some(format!(
                "exited ({ended}) before {}; stderr: {}",
                step.name,
                instance.stderr_tail()
            ));
            return false;
        }
        if let Some(downstream) = downstream.as_deref_mut() {
            downstream.before_step(&step.name);
        }
        repeat.phase.set(index);
        repeat.bar.phase(&describe(step));
        let load = match self.driver.run_step(instance.addr(), step, self.cancel) {
            Ok(load) => load,
            Err(e) => {
                run.failure = Some(format!("{}: {e}", step.name));
                return false;
            }
        };
        // Let the sample that closes the window arrive.
        thread::sleep(self.scenario.sample_interval + Duration::from_millis(20));
        let window = (
            self.epoch.seconds(load.window_start),
            self.epoch.seconds(load.window_end),
        );
        let mut summary = {
            let samples = repeat.samples.lock().unwrap_or_else(|e| e.into_inner());
            aggregate::step_summary(
                step,
                warmup,
                &load,
                window,
                &samples,
                self.placement.harness_cpus.len(),
            )
        };
        if let Some(downstream) = downstream.as_deref() {
            let served = summary.requests.saturating_sub(summary.errors);
            summary.downstream = Some(downstream.step(window, served));
        }
        write_step(files, repeat.name, run.repeat, &mut summary);
        // A load worker's part missing: the step's figures are recorded, marked partial,
        // and the stack fails with the worker named.
        let partial = summary.partial.clone();
        run.steps.push(summary);
        if let Some(partial) = partial {
            run.failure = Some(format!("{}: {partial}", step.name));
            return false;
        }
        if self.cancel.is_cancelled() {
            run.interrupted = Some(step.name.clone());
            return false;
        }
        if let Some(ended) = instance.exited() {
            run.failure = Some(format!(
                "exited ({ended}) during {}; stderr: {}",
                step.name,
                instance.stderr_tail()
            ));
            return false;
        }
        true
    }
}

/// Writes a step's rows (one per kind to `latency.csv`, its histograms to `histograms.csv`),
/// then drops its histograms from `summary`.
fn write_step(
    (latency, histograms): StepFiles<'_>,
    name: &str,
    repeat: u32,
    summary: &mut StepSummary,
) {
    for kind in &summary.kinds {
        latency.append(&LatencyRow::new(name, repeat, summary, kind));
        for row in HistogramRow::of(name, repeat, summary, kind) {
            histograms.append(&row);
        }
    }
    // Kept in histograms.csv now: a histogram is a few hundred KiB once copied, and
    // the harness's own memory is measured, so the run does not hold them.
    for kind in &mut summary.kinds {
        kind.histograms = None;
    }
}
