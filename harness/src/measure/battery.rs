//! The bad-input battery of one repeat: idle, then the battery group by group with the
//! sampler running (each case's verdict written to `battery.csv`, the memory each group left
//! read from the next sample), then the settling time; memory around the battery is read
//! from these phases' samples after.

use std::net::SocketAddr;
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use footprint_contract::bad_input::{self, Group};

use super::{Measure, Repeat};
use crate::backend::Instance;
use crate::model::{BatteryCase, BatteryRun, Phase, Sample, StackRun};
use crate::results::{BatteryRow, RowWriter};
use crate::scenario::Battery;

impl Measure<'_> {
    /// Idle, then the bad-input battery group by group, then the settling time, with the
    /// sampler running; memory around the battery is read from these phases' samples after.
    pub(super) fn battery(
        &self,
        instance: &mut dyn Instance,
        repeat: &Repeat<'_>,
        plan: &Battery,
        mut csv: Option<&mut RowWriter<BatteryRow>>,
        run: &mut StackRun,
    ) {
        if !self.idle(repeat.bar, run) {
            return;
        }
        repeat.phase.set(Phase::Battery);
        let addr = instance.addr();
        let sizes = plan.sizes();
        let mut cases = Vec::new();
        let mut after_group_kb = Vec::new();
        for group in Group::ALL {
            if self.cancel.is_cancelled() {
                run.interrupted = Some(format!("battery ({})", group.name()));
                break;
            }
            repeat.bar.phase(&format!("battery: {}", group.name()));
            for case in group_cases(instance, addr, group, &sizes) {
                if let Some(csv) = csv.as_deref_mut() {
                    csv.append(&BatteryRow::new(repeat.name, run.repeat, &case));
                }
                cases.push(case);
            }
            // The next sample shows what the group left.
            if let Some(kb) = self.next_sample_kb(repeat.samples) {
                after_group_kb.push((group.name().to_owned(), kb));
            }
            if let Some(ended) = instance.exited() {
                run.failure = Some(format!(
                    "exited ({ended}) during the battery ({}); stderr: {}",
                    group.name(),
                    instance.stderr_tail()
                ));
                break;
            }
        }
        run.battery = Some(BatteryRun {
            cases,
            before_kb: None,
            during_kb: None,
            after_group_kb,
            after_kb: None,
            settle_seconds: plan.settle.as_secs_f64(),
        });
        if run.failure.is_some() || run.interrupted.is_some() {
            return;
        }
        repeat.phase.set(Phase::Settle);
        repeat.bar.phase("settling");
        if !self.cancel.sleep(plan.settle) {
            run.interrupted = Some("settling".into());
            return;
        }
        // Let the sample that closes the settling arrive.
        thread::sleep(self.scenario.sample_interval + Duration::from_millis(20));
    }

    /// The memory of the first sample to arrive after now, KiB, waiting up to three sample
    /// intervals for it.
    fn next_sample_kb(&self, samples: &Mutex<Vec<Sample>>) -> Option<u64> {
        let taken = samples.lock().map_or(0, |s| s.len());
        let deadline = Instant::now() + 3 * self.scenario.sample_interval;
        while Instant::now() < deadline {
            thread::sleep(Duration::from_millis(5));
            let latest = samples
                .lock()
                .ok()
                .and_then(|s| (s.len() > taken).then(|| s.last().map(|l| l.service.rss_kb))?);
            if latest.is_some() {
                return latest;
            }
        }
        None
    }
}

/// The cases of one group of the battery against the service at `addr`, its health checked
/// between cases (an exited service fails the check).
fn group_cases(
    instance: &mut dyn Instance,
    addr: SocketAddr,
    group: Group,
    sizes: &bad_input::Sizes,
) -> Vec<BatteryCase> {
    let verdicts = {
        let mut check = || match instance.exited() {
            Some(ended) => Err(format!("exited ({ended})")),
            None => bad_input::health(addr),
        };
        bad_input::run_group(addr, group, sizes, &mut check)
    };
    verdicts
        .into_iter()
        .map(|v| BatteryCase {
            group: group.name().to_owned(),
            case: v.case,
            outcome: v.outcome,
            passed: v.passed,
            concern: v.concern,
            millis: v.millis,
            down_after: v.down_after,
        })
        .collect()
}
