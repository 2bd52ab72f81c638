//! The Goose driver: one Goose attack per step, against one service on 127.0.0.1.
//!
//! Requests are named by the kind of id they ask for (`seeded`, `unknown`, `malformed`), so all
//! ids of a kind aggregate and each kind's statuses can be checked against what it should get.
//!
//! Latency: Goose times each request from when it passes the throttle to when reqwest's
//! `execute()` returns, that is when the response head has arrived (goose 0.19,
//! `GooseUser::request`); the body is read afterwards by the transaction, outside the timing,
//! and a connection reqwest has to open first is inside it. The constant-rate driver times
//! from the request's first byte, after any reconnect, to the body's last byte. The two
//! definitions differ by the body's transfer (small here: the contract's bodies are a few
//! dozen bytes) and by reconnects; making them one would take a lean closed-loop driver of
//! our own in place of Goose, which is not done.
//!
//! Coordinated omission: with the scenario's `coordinated_omission` set to a mitigation
//! (`average`, `maximum`, `minimum`), Goose back-fills copies of the requests a slow loop held
//! back into a second distribution (`coordinated_omission_data` of each request aggregate,
//! goose 0.19). Each kind's percentiles stay the raw ones (one time per request made), and the
//! mitigated ones go to `intended`, the field for figures corrected for coordinated omission
//! (the constant-rate driver puts its figures counted from each request's slot there). With
//! `disabled`, `intended` is empty.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use std::time::Duration;

use chrono::Utc;
use goose::config::GooseConfiguration;
use goose::metrics::{
    GooseCoordinatedOmissionMitigation, GooseMetrics, GooseRequestMetricAggregate,
    GooseRequestMetricTimingData,
};
use goose::prelude::*;
use goose::test_plan::TestPlanStepAction;
use rand::Rng;

use super::{LoadDriver, LoadError, co_label};
use crate::cancel::Cancel;
use crate::model::{KINDS, KindResult, Percentiles, StepLoad};
use crate::scenario::{CoMitigation, IdMix, Step};

/// Malformed ids the load draws from: each one a rule of the contract.
const MALFORMED: [&str; 6] = [
    "abc",
    "%2B10001",
    "-10001",
    "10000.5",
    "1e4",
    "123456789012",
];

/// The Goose closed-loop driver, on the harness's load runtime.
pub struct Goose {
    runtime: Arc<tokio::runtime::Runtime>,
    ids: IdMix,
    co: CoMitigation,
}

impl Goose {
    /// A driver asking for `ids`, with Goose's coordinated-omission setting `co`.
    pub fn new(runtime: Arc<tokio::runtime::Runtime>, ids: IdMix, co: CoMitigation) -> Self {
        Self { runtime, ids, co }
    }
}

impl LoadDriver for Goose {
    fn describe(&self) -> String {
        "goose 0.19 (closed loop)".to_owned()
    }

    fn run_step(
        &self,
        addr: SocketAddr,
        step: &Step,
        cancel: &Cancel,
    ) -> Result<StepLoad, LoadError> {
        self.runtime
            .block_on(run_step(addr, step, self.ids, self.co, cancel))
    }
}

impl From<GooseError> for LoadError {
    fn from(e: GooseError) -> Self {
        LoadError::Goose(e.to_string())
    }
}

/// Runs one step against `addr` and returns its figures.
pub async fn run_step(
    addr: SocketAddr,
    step: &Step,
    ids: IdMix,
    co: CoMitigation,
    cancel: &Cancel,
) -> Result<StepLoad, LoadError> {
    let mut config = GooseConfiguration::default();
    config.host = Some(format!("http://{addr}"));
    config.users = Some(step.users);
    // Users per second; a zero ramp starts them all within 50 ms.
    let ramp = step.ramp.as_secs_f64().max(0.05);
    config.increase_rate = Some(format!("{:.3}", step.users as f64 / ramp));
    config.run_time = Some(step.hold.as_secs().max(1).to_string());
    config.no_telnet = true;
    config.quiet = 1;
    config.no_print_metrics = true;
    config.co_mitigation = Some(match co {
        CoMitigation::Disabled => GooseCoordinatedOmissionMitigation::Disabled,
        CoMitigation::Average => GooseCoordinatedOmissionMitigation::Average,
        CoMitigation::Maximum => GooseCoordinatedOmissionMitigation::Maximum,
        CoMitigation::Minimum => GooseCoordinatedOmissionMitigation::Minimum,
    });
    if let Some(rate) = step.rate {
        config.throttle_requests = Some(rate as usize);
    }
    let mut scenario = scenario!("accounts").register_transaction(account_transaction(ids));
    if !step.pause.1.is_zero() {
        scenario = scenario.set_wait_time(step.pause.0, step.pause.1)?;
    }
    let attack = GooseAttack::initialize_with_config(config)?.register_scenario(scenario);
    let metrics = with_abort_watch(attack.execute(), cancel).await?;
    let mut load = summarise(&metrics, co);
    load.coordinated_omission = co_label(co);
    Ok(load)
}

/// Runs an attack while re-triggering Goose's stop switch whenever `cancel` is set (Goose
/// clears the switch as each attack starts, so a Ctrl-C between steps must be re-sent).
async fn with_abort_watch<F: Future<Output = Result<GooseMetrics, GooseError>>>(
    attack: F,
    cancel: &Cancel,
) -> Result<GooseMetrics, GooseError> {
    let watching = Arc::new(AtomicBool::new(true));
    let watch = {
        let watching = Arc::clone(&watching);
        let cancel = cancel.clone();
        tokio::spawn(async move {
            while watching.load(Ordering::Relaxed) {
                if cancel.is_cancelled() {
                    goose::trigger_killswitch("interrupted");
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let result = attack.await;
    watching.store(false, Ordering::Relaxed);
    let _ = watch.await;
    result
}

fn account_transaction(ids: IdMix) -> Transaction {
    let run: TransactionFunction = Arc::new(move |user| {
        Box::pin(async move {
            let (kind, path, expected) = pick(ids);
            let request = GooseRequest::builder()
                .path(path.as_str())
                .name(kind)
                .build();
            let mut goose = user.request(request).await?;
            let status = match goose.response {
                // Read the body so the connection is kept alive and reused.
                Ok(response) => {
                    let status = response.status().as_u16();
                    let _ = response.bytes().await;
                    Some(status)
                }
                Err(_) => None,
            };
            if status == Some(expected) && expected != 200 {
                // The contract's answer to this id: not a failure of the service.
                user.set_success(&mut goose.request)?;
            }
            Ok(())
        })
    });
    Transaction::new(run).set_name("account")
}

/// Picks the kind of id by the mix, then an id of that kind.
pub fn pick(ids: IdMix) -> (&'static str, String, u16) {
    let mut rng = rand::rng();
    let roll: f64 = rng.random();
    if roll < ids.seeded {
        let id = rng.random_range(10_000..10_100);
        ("seeded", format!("/accounts/{id}"), 200)
    } else if roll < ids.seeded + ids.unknown {
        let id = rng.random_range(10_100..100_000);
        ("unknown", format!("/accounts/{id}"), 404)
    } else {
        let id = MALFORMED[rng.random_range(0..MALFORMED.len())];
        ("malformed", format!("/accounts/{id}"), 400)
    }
}

/// Turns Goose's metrics into per-kind figures.
pub fn summarise(metrics: &GooseMetrics, co: CoMitigation) -> StepLoad {
    let kinds = KINDS
        .iter()
        .filter_map(|&(kind, expected)| {
            let aggregate = metrics.requests.get(&format!("GET {kind}"))?;
            Some(kind_result(kind, expected, aggregate, co))
        })
        .collect();
    let at = |action: TestPlanStepAction| {
        metrics
            .history
            .iter()
            .find(|h| std::mem::discriminant(&h.action) == std::mem::discriminant(&action))
            .map(|h| h.timestamp)
    };
    let window_start = at(TestPlanStepAction::Maintaining)
        .or_else(|| metrics.history.first().map(|h| h.timestamp))
        .unwrap_or_else(Utc::now);
    let window_end = at(TestPlanStepAction::Decreasing)
        .or_else(|| at(TestPlanStepAction::Canceling))
        .or_else(|| at(TestPlanStepAction::Finished))
        .unwrap_or_else(Utc::now);
    StepLoad {
        kinds,
        window_start,
        window_end,
        coordinated_omission: String::new(),
        generator_late_us: None,
    }
}

/// One kind's figures from Goose's aggregate of its requests: the percentiles from the raw
/// times (one per request that was made), and, when `co` is a mitigation, `intended` from
/// Goose's mitigated times (see [`mitigated`]). `requests` counts the requests made, never the
/// back-filled copies.
pub fn kind_result(
    kind: &str,
    expected: u16,
    aggregate: &GooseRequestMetricAggregate,
    co: CoMitigation,
) -> KindResult {
    let data = &aggregate.raw_data;
    let statuses: BTreeMap<u16, u64> = aggregate
        .status_code_counts
        .iter()
        .map(|(&status, &count)| (status, count as u64))
        .collect();
    let requests = statuses.values().sum::<u64>().max(data.counter as u64);
    let good = statuses.get(&expected).copied().unwrap_or(0);
    KindResult {
        kind: kind.to_owned(),
        requests,
        errors: requests - good.min(requests),
        statuses,
        p50_us: data.percentile_us(0.50),
        p90_us: data.percentile_us(0.90),
        p99_us: data.percentile_us(0.99),
        p999_us: data.percentile_us(0.999),
        max_us: data.maximum_time_us,
        mean_us: data
            .total_time_us
            .checked_div(data.counter as u64)
            .unwrap_or(0),
        intended: mitigated(
            &aggregate.raw_data,
            aggregate.coordinated_omission_data.as_ref(),
            co,
        )
        .map(percentiles),
        ..KindResult::default()
    }
}

/// The times corrected for coordinated omission under Goose's setting `co`: none when it is
/// `disabled`; otherwise Goose's `coordinated_omission_data` (the raw times plus the copies it
/// back-filled), or the raw times when it back-filled nothing (Goose creates that data with
/// the first copy).
pub fn mitigated<'a>(
    raw: &'a GooseRequestMetricTimingData,
    co_data: Option<&'a GooseRequestMetricTimingData>,
    co: CoMitigation,
) -> Option<&'a GooseRequestMetricTimingData> {
    match co {
        CoMitigation::Disabled => None,
        _ => Some(co_data.unwrap_or(raw)),
    }
}

fn percentiles(data: &GooseRequestMetricTimingData) -> Percentiles {
    Percentiles {
        p50_us: data.percentile_us(0.50),
        p90_us: data.percentile_us(0.90),
        p99_us: data.percentile_us(0.99),
        p999_us: data.percentile_us(0.999),
        max_us: data.maximum_time_us,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Timing data holding `times` (µs, each the floor of its bucket) with their counts.
    fn timing(times: &[(u64, usize)]) -> GooseRequestMetricTimingData {
        GooseRequestMetricTimingData {
            times_us: times.iter().copied().collect(),
            minimum_time_us: times.first().map_or(0, |t| t.0),
            maximum_time_us: times.last().map_or(0, |t| t.0),
            total_time_us: times.iter().map(|&(us, n)| us * n as u64).sum(),
            counter: times.iter().map(|t| t.1).sum(),
        }
    }

    /// 100 seeded requests of 1 ms, one user stalled: Goose back-filled 20 copies of 128 ms.
    fn stalled() -> GooseRequestMetricAggregate {
        GooseRequestMetricAggregate {
            path: "/accounts/10001".into(),
            method: GooseMethod::Get,
            raw_data: timing(&[(1024, 99), (131_072, 1)]),
            coordinated_omission_data: Some(timing(&[(1024, 99), (131_072, 21)])),
            status_code_counts: HashMap::from([(200, 100)]),
            status_code_timings: HashMap::new(),
            success_count: 100,
            fail_count: 0,
            load_test_hash: 0,
            custom_method: String::new(),
        }
    }

    #[test]
    fn co_mitigated_percentiles_are_recorded_beside_the_raw_ones() {
        let k = kind_result("seeded", 200, &stalled(), CoMitigation::Average);
        // Raw: what the requests measured; the stall is one sample in a hundred.
        assert_eq!(k.requests, 100, "back-filled copies are not requests");
        assert!(k.p99_us < 2_000, "{k:?}");
        let co = k.intended.expect("mitigated figures recorded");
        assert!(co.p99_us >= 100_000, "{co:?}");
        assert!(co.p90_us >= 100_000, "21 of 120 are back-filled: {co:?}");
        assert_eq!(co.max_us, 131_072);
    }

    #[test]
    fn no_back_fill_means_the_mitigated_figures_are_the_raw_ones() {
        let mut quiet = stalled();
        quiet.coordinated_omission_data = None;
        let k = kind_result("seeded", 200, &quiet, CoMitigation::Maximum);
        let co = k
            .intended
            .expect("mitigation ran and found nothing to fill");
        assert_eq!((co.p50_us, co.p99_us), (k.p50_us, k.p99_us));
    }

    #[test]
    fn disabled_mitigation_records_no_corrected_figures() {
        let k = kind_result("seeded", 200, &stalled(), CoMitigation::Disabled);
        assert_eq!(k.intended, None);
        assert!(k.p99_us < 2_000);
    }
}
