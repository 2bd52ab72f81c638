//! A repeat's memory from its samples: medians per phase, the peak, the drift through the
//! last step, the battery's figures; and the service's CPU while idle.

use crate::model::{BatteryRun, Phase, Sample, StackRun};
use crate::stats::{median_u64, rate, slope};

/// Medians of RSS and PSS over the samples taken in `phase`.
pub fn phase_memory(samples: &[Sample], phase: Phase) -> (Option<u64>, Option<u64>) {
    phases_memory(samples, |p| p == phase)
}

/// Medians of RSS and PSS over the samples of every phase `chosen` accepts.
pub fn phases_memory(
    samples: &[Sample],
    chosen: impl Fn(Phase) -> bool,
) -> (Option<u64>, Option<u64>) {
    let chosen: Vec<&Sample> = samples.iter().filter(|s| chosen(s.phase)).collect();
    memory_of(&chosen)
}

fn memory_of(samples: &[&Sample]) -> (Option<u64>, Option<u64>) {
    let rss: Vec<u64> = samples.iter().map(|s| s.service.rss_kb).collect();
    let pss: Vec<u64> = samples.iter().filter_map(|s| s.service.pss_kb).collect();
    (median_u64(&rss), median_u64(&pss))
}

/// Memory after the battery counts as back near idle when it is within this share of the
/// idle level, or within [`NEAR_IDLE_KB`], whichever is larger.
pub const NEAR_IDLE_SHARE: f64 = 0.10;
/// See [`NEAR_IDLE_SHARE`]: 1 MiB, about what an allocator may keep of a freed burst.
pub const NEAR_IDLE_KB: u64 = 1024;

/// What one run of the bad-input battery comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatteryFigures {
    /// Cases run.
    pub cases: usize,
    /// Cases whose outcome met their group's rule.
    pub passed: usize,
    /// Cases with a concern (allowed, but not what a careful server does).
    pub concerns: usize,
    /// Whether `/health` answered after every case.
    pub stayed_up: bool,
    /// Memory after the battery minus memory before, KiB (negative when it went down).
    pub retained_kb: Option<i64>,
    /// Whether memory after is back near the idle level (see [`NEAR_IDLE_SHARE`]).
    pub near_idle: Option<bool>,
    /// The group after which memory grew most, and by how much, KiB.
    pub grew_most: Option<(String, i64)>,
}

/// The figures of one battery run.
pub fn battery_figures(battery: &BatteryRun) -> BatteryFigures {
    let retained_kb = battery
        .before_kb
        .zip(battery.after_kb)
        .map(|(before, after)| after as i64 - before as i64);
    let near_idle = battery
        .before_kb
        .zip(retained_kb)
        .map(|(before, retained)| {
            let tolerance = ((before as f64 * NEAR_IDLE_SHARE) as u64).max(NEAR_IDLE_KB);
            retained <= tolerance as i64
        });
    let mut last = battery.before_kb;
    let mut grew_most: Option<(String, i64)> = None;
    for (group, kb) in &battery.after_group_kb {
        if let Some(before) = last {
            let grew = *kb as i64 - before as i64;
            if grew > grew_most.as_ref().map_or(0, |(_, g)| *g) {
                grew_most = Some((group.clone(), grew));
            }
        }
        last = Some(*kb);
    }
    BatteryFigures {
        cases: battery.cases.len(),
        grew_most,
        passed: battery.cases.iter().filter(|c| c.passed).count(),
        concerns: battery.cases.iter().filter(|c| c.concern.is_some()).count(),
        stayed_up: battery.cases.iter().all(|c| c.down_after.is_none()),
        retained_kb,
        near_idle,
    }
}

/// The highest RSS sampled in any phase `chosen` accepts.
pub fn phases_peak(samples: &[Sample], chosen: impl Fn(Phase) -> bool) -> Option<u64> {
    samples
        .iter()
        .filter(|s| chosen(s.phase))
        .map(|s| s.service.rss_kb)
        .max()
}

/// The highest high-water mark seen.
pub fn peak(samples: &[Sample]) -> Option<u64> {
    samples
        .iter()
        .map(|s| s.service.hwm_kb.max(s.service.rss_kb))
        .max()
}

/// The shortest last step a drift is drawn over, seconds: over less, a line through the
/// samples shows the allocator settling, not a trend.
pub const DRIFT_MIN_SECONDS: f64 = 5.0;

/// How fast memory moved through the last measured step, KiB per minute: the least-squares
/// slope of its RSS samples against time. A leak (a histogram keeping every sample, a queue
/// nobody drains) is a steady positive slope at a steady load; `None` when the step is
/// shorter than [`DRIFT_MIN_SECONDS`].
pub fn drift(samples: &[Sample]) -> Option<f64> {
    let last = samples
        .iter()
        .filter_map(|s| match s.phase {
            Phase::Step(i) => Some(i),
            _ => None,
        })
        .max()?;
    let points: Vec<(f64, f64)> = samples
        .iter()
        .filter(|s| s.phase == Phase::Step(last))
        .map(|s| (s.at.as_secs_f64(), s.service.rss_kb as f64))
        .collect();
    let span = points.last()?.0 - points.first()?.0;
    if span < DRIFT_MIN_SECONDS {
        return None;
    }
    slope(&points).map(|per_second| per_second * 60.0)
}

/// A repeat's memory figures from its samples: idle and under-load medians, the peak, the
/// drift through the last step, the battery's before, during and after, and the service's
/// threads at the end of the load.
pub fn repeat_memory(run: &mut StackRun, samples: &[Sample]) {
    (run.idle_kb, run.idle_pss_kb) = phase_memory(samples, Phase::Idle);
    (run.load_kb, run.load_pss_kb) = phases_memory(samples, Phase::is_step);
    run.peak_kb = peak(samples);
    run.drift_kb_per_min = drift(samples);
    if let Some(battery) = &mut run.battery {
        battery.before_kb = run.idle_kb;
        battery.during_kb = phases_peak(samples, |p| matches!(p, Phase::Battery | Phase::Settle));
        battery.after_kb = phase_memory(samples, Phase::Settle).0;
    }
    run.threads = samples
        .iter()
        .rev()
        .find(|s| s.phase.is_step() || s.phase == Phase::Idle)
        .map(|s| s.service.threads);
}

/// The service's CPU over the idle phase of one repeat's samples, cores: what it burns with no
/// request (JIT compilation, garbage collection, timers).
pub fn idle_cores(samples: &[Sample]) -> Option<f64> {
    let points: Vec<(f64, f64)> = samples
        .iter()
        .filter(|s| s.phase == Phase::Idle)
        .map(|s| (s.at.as_secs_f64(), s.service.cpu_us as f64 / 1e6))
        .collect();
    rate(&points)
}
