//! The capacity search of one repeat: probes at rising rates, each a constant-rate step
//! through the driver while the sampler runs, judged by [`crate::capacity`], which picks the
//! next rate; each probe's row goes to `capacity.csv` and its line to the terminal.

use std::sync::Mutex;
use std::thread;
use std::time::Duration;

use super::{Measure, Repeat, describe};
use crate::aggregate;
use crate::backend::Instance;
use crate::capacity::{self, Stop};
use crate::model::{CapacityLimit, Phase, PhaseCell, ProbeRecord, Sample, StackRun, Verdict};
use crate::progress::StackBar;
use crate::results::{CapacityRow, RowWriter};
use crate::scenario::CapacityPlan;

impl Measure<'_> {
    /// The capacity search, after the warm-up and any steps: probes until the search has
    /// found the stack's limit, recorded in `run` (an interrupted or failed search too).
    pub(super) fn capacity(
        &self,
        instance: &mut dyn Instance,
        repeat: &Repeat<'_>,
        plan: &CapacityPlan,
        csv: Option<&mut RowWriter<CapacityRow>>,
        run: &mut StackRun,
    ) {
        let mut prober = Prober {
            measure: self,
            instance,
            phase: repeat.phase,
            samples: repeat.samples,
            csv,
            name: repeat.name,
            repeat: run.repeat,
            bar: repeat.bar,
            plan,
            rest: false,
        };
        let service_cpus = capacity::service_cpus(self.placement.service_cpus.len());
        let search = capacity::search(plan, service_cpus, &mut prober);
        match search.limit {
            CapacityLimit::Interrupted => {
                run.interrupted = Some(capacity::probe_name(search.probes.len()));
            }
            CapacityLimit::Failed => run.failure = search.failure.clone(),
            _ => {}
        }
        run.capacity = Some(search);
    }
}

/// How long the service is left alone after a probe that did not hold, so a backlog it built
/// is not charged to the next probe.
const REST_AFTER_OVERLOAD: Duration = Duration::from_secs(1);

/// The probes of one stack's capacity search: each a constant-rate step through the driver
/// while the sampler runs, its figures from `aggregate`, its row written and its line shown
/// once the search has judged it.
struct Prober<'p, 'a> {
    measure: &'p Measure<'a>,
    instance: &'p mut dyn Instance,
    phase: &'p PhaseCell,
    samples: &'p Mutex<Vec<Sample>>,
    csv: Option<&'p mut RowWriter<CapacityRow>>,
    name: &'p str,
    repeat: u32,
    bar: &'p StackBar,
    plan: &'p CapacityPlan,
    /// The last probe did not hold: rest before the next.
    rest: bool,
}

impl capacity::Probe for Prober<'_, '_> {
    fn run(&mut self, index: usize, rate: u32) -> Result<ProbeRecord, Stop> {
        let m = self.measure;
        let exited = |instance: &mut dyn Instance, when: &str| {
            instance.exited().map(|ended| {
                Stop::Failed(format!(
                    "exited ({ended}) {when} {}; stderr: {}",
                    capacity::probe_name(index),
                    instance.stderr_tail()
                ))
            })
        };
        if let Some(stop) = exited(&mut *self.instance, "before") {
            return Err(stop);
        }
        if self.rest {
            self.phase.set(Phase::Settle);
            self.bar.phase("resting after a probe that did not hold");
            if !m.cancel.sleep(REST_AFTER_OVERLOAD) {
                return Err(Stop::Interrupted);
            }
        }
        if m.cancel.is_cancelled() {
            return Err(Stop::Interrupted);
        }
        let step = self.plan.step(capacity::probe_name(index), rate);
        self.phase.set(Phase::Step(index));
        self.bar.phase(&describe(&step));
        let load = m
            .driver
            .run_step(self.instance.addr(), &step, m.cancel)
            .map_err(|e| Stop::Failed(format!("{}: {e}", step.name)))?;
        if let Some(partial) = &load.partial {
            // A probe with a load worker's part missing is not judged.
            return Err(Stop::Failed(format!("{}: {partial}", step.name)));
        }
        if m.cancel.is_cancelled() {
            // A probe cut short is not judged.
            return Err(Stop::Interrupted);
        }
        // Let the sample that closes the window arrive.
        thread::sleep(m.scenario.sample_interval + Duration::from_millis(20));
        let window = (
            m.epoch.seconds(load.window_start),
            m.epoch.seconds(load.window_end),
        );
        let harness_cpus = m.placement.harness_cpus.len();
        let summary = {
            let samples = self.samples.lock().unwrap_or_else(|e| e.into_inner());
            aggregate::step_summary(&step, false, &load, window, &samples, harness_cpus)
        };
        if let Some(stop) = exited(&mut *self.instance, "during") {
            return Err(stop);
        }
        Ok(aggregate::probe_record(&summary, harness_cpus))
    }

    fn judged(&mut self, index: usize, probe: &ProbeRecord) {
        if let Some(csv) = self.csv.as_deref_mut()
            && let Err(e) = csv.write(&CapacityRow::new(self.name, self.repeat, index, probe))
        {
            self.measure.reporter.warn(&format!("{}: {e}", self.name));
        }
        self.rest = probe.verdict != Some(Verdict::Holds);
        let ms =
            |us: Option<u64>| us.map_or("-".to_owned(), |us| format!("{:.2}", us as f64 / 1000.0));
        self.bar.println(&format!(
            "{} #{} {}: {} rps -> {:.0} served, p99 {} ms ({} raw), {} errors, generator {} busy and {} ms late (p99): {}",
            self.name,
            self.repeat,
            capacity::probe_name(index),
            probe.rate,
            probe.achieved_rps,
            ms(probe.intended_p99_us),
            ms(Some(probe.p99_us)),
            probe.errors,
            probe
                .generator_cpu_share
                .map_or("-".to_owned(), |s| format!("{:.0} %", s * 100.0)),
            ms(probe.generator_late_p99_us),
            probe.verdict.map_or("-", |v| v.word()),
        ));
    }
}
