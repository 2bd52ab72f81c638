//! `oha` as a load driver: the independent rate-limited tool the harness's drivers are
//! calibrated against at a given rate. It runs as a child process from the calling thread (so
//! it inherits the harness's CPUs), with keep-alive, `-q` requests per second over `-c`
//! connections for `-z` seconds, asking for seeded ids at random (`--rand-regex-url`), and
//! prints its figures as JSON (`--output-format json`).
//!
//! oha's rate limit hands out one ticket per `1 / rate` seconds to whichever connection is
//! free. Without `--latency-correction` a request is timed from when it leaves; with it, from
//! when its ticket was issued, so a request that waited for a free connection carries the wait
//! (coordinated omission corrected, as the constant-rate driver's `intended` figures are). One
//! run gives one or the other, so the calibration runs oha twice: [`Oha::raw`] and
//! [`Oha::corrected`].
//!
//! At the end of `-z` oha aborts the requests still in flight and counts them as "aborted due
//! to deadline"; they are the tool's stop, not the service's failures, and are left out here
//! as oha itself leaves them out of its success rate.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::{Command, Stdio};

use chrono::Utc;
use serde::Deserialize;

use super::{LoadDriver, LoadError};
use crate::cancel::Cancel;
use crate::model::{KindResult, StepLoad};
use crate::scenario::Step;

/// The path oha asks for: a seeded id at random, `/accounts/10000` to `/accounts/10099`, as
/// the harness's drivers and the wrk script ask for them (`--rand-regex-url` syntax).
pub const SEEDED_PATH_REGEX: &str = "/accounts/100[0-9][0-9]";

/// How oha names the requests it aborted when its duration ran out (`ClientError::Deadline`).
pub const DEADLINE_ERROR: &str = "aborted due to deadline";

/// How to install oha, said when it cannot be run.
pub const INSTALL: &str = "install it with: cargo install --locked oha";

/// What oha printed, in the project's units.
#[derive(Debug, Clone, PartialEq)]
pub struct OhaFigures {
    /// Seconds it ran (`summary.total`).
    pub seconds: f64,
    /// Responses by status.
    pub statuses: BTreeMap<u16, u64>,
    /// Requests that got no response, by oha's error message, the deadline's aborts left out.
    pub failed: BTreeMap<String, u64>,
    /// Requests aborted at the end of the duration (not counted anywhere else).
    pub aborted_at_deadline: u64,
    /// Median latency, µs (from the send, or with `--latency-correction` from the ticket).
    pub p50_us: u64,
    /// 90th percentile, µs.
    pub p90_us: u64,
    /// 99th percentile, µs.
    pub p99_us: u64,
    /// 99.9th percentile, µs.
    pub p999_us: u64,
    /// Slowest, µs.
    pub max_us: u64,
    /// Mean, µs.
    pub mean_us: u64,
}

impl OhaFigures {
    /// Requests counted: every response and every failure, the deadline's aborts left out.
    pub fn requests(&self) -> u64 {
        self.statuses.values().sum::<u64>() + self.failed.values().sum::<u64>()
    }

    /// Requests that were not answered with a `200`.
    pub fn errors(&self) -> u64 {
        self.requests() - self.statuses.get(&200).copied().unwrap_or(0)
    }
}

/// The part of oha's JSON read here (`oha --output-format json`, its `schema.json`); every
/// duration is in seconds. Percentiles are `null` when nothing was answered.
#[derive(Debug, Deserialize)]
struct Json {
    summary: Summary,
    #[serde(rename = "latencyPercentiles")]
    latency_percentiles: BTreeMap<String, Option<f64>>,
    #[serde(rename = "statusCodeDistribution")]
    status_code_distribution: BTreeMap<String, u64>,
    #[serde(rename = "errorDistribution")]
    error_distribution: BTreeMap<String, u64>,
}

#[derive(Debug, Deserialize)]
struct Summary {
    total: f64,
    slowest: Option<f64>,
    average: Option<f64>,
}

/// Parses what `oha --output-format json` printed.
pub fn parse(stdout: &str) -> Result<OhaFigures, String> {
    let json: Json = serde_json::from_str(stdout.trim())
        .map_err(|e| format!("its JSON could not be read ({e}): {stdout}"))?;
    let us = |seconds: Option<f64>| {
        seconds
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map_or(0, |s| (s * 1e6).round() as u64)
    };
    let percentile = |key: &str| us(json.latency_percentiles.get(key).copied().flatten());
    let mut statuses = BTreeMap::new();
    for (code, n) in &json.status_code_distribution {
        let code: u16 = code
            .parse()
            .map_err(|_| format!("status {code:?} in statusCodeDistribution is not a number"))?;
        statuses.insert(code, *n);
    }
    let mut failed = json.error_distribution;
    let aborted_at_deadline = failed.remove(DEADLINE_ERROR).unwrap_or(0);
    Ok(OhaFigures {
        seconds: json.summary.total,
        statuses,
        failed,
        aborted_at_deadline,
        p50_us: percentile("p50"),
        p90_us: percentile("p90"),
        p99_us: percentile("p99"),
        p999_us: percentile("p99.9"),
        max_us: us(json.summary.slowest),
        mean_us: us(json.summary.average),
    })
}

/// oha's version line (`oha 1.16.0`), or why it cannot be run.
pub fn version() -> Result<String, LoadError> {
    let output = Command::new("oha")
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| LoadError::Tool {
            tool: "oha",
            why: format!("cannot be run ({e}); {INSTALL}"),
        })?;
    let text = String::from_utf8_lossy(&output.stdout);
    match text.lines().find(|l| l.starts_with("oha ")) {
        Some(line) if output.status.success() => Ok(line.trim().to_owned()),
        _ => Err(LoadError::Tool {
            tool: "oha",
            why: format!(
                "`oha --version` printed no version ({}): {text}{}; {INSTALL}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ),
        }),
    }
}

/// oha at a step's rate, connections and duration, with or without its latency correction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Oha {
    corrected: bool,
}

impl Oha {
    /// Latency from when each request leaves.
    pub fn raw() -> Self {
        Self { corrected: false }
    }

    /// `--latency-correction`: latency from when each request's ticket was issued.
    pub fn corrected() -> Self {
        Self { corrected: true }
    }

    /// The command line for `step` against `addr`. A step needs a rate: oha is the rate-limited
    /// reference (wrk is the unthrottled one).
    pub fn args(&self, addr: SocketAddr, step: &Step) -> Result<Vec<String>, LoadError> {
        let rate = step.rate.ok_or_else(|| LoadError::Tool {
            tool: "oha",
            why: format!(
                "step {}: the calibration runs oha rate-limited and needs a rate",
                step.name
            ),
        })?;
        let mut args = vec![
            "--no-tui".to_owned(),
            "--output-format".to_owned(),
            "json".to_owned(),
            "-c".to_owned(),
            step.users.max(1).to_string(),
            "-z".to_owned(),
            format!("{}s", step.hold.as_secs().max(1)),
            "-q".to_owned(),
            rate.to_string(),
        ];
        if self.corrected {
            args.push("--latency-correction".to_owned());
        }
        args.push("--rand-regex-url".to_owned());
        args.push(format!("http://{addr}{SEEDED_PATH_REGEX}"));
        Ok(args)
    }
}

impl LoadDriver for Oha {
    fn describe(&self) -> String {
        if self.corrected {
            "oha (rate-limited, --latency-correction: latency from each request's ticket)"
        } else {
            "oha (rate-limited, latency from each request's send)"
        }
        .to_owned()
    }

    fn run_step(
        &self,
        addr: SocketAddr,
        step: &Step,
        _cancel: &Cancel,
    ) -> Result<StepLoad, LoadError> {
        let fail = |why: String| LoadError::Tool { tool: "oha", why };
        let window_start = Utc::now();
        let output = Command::new("oha")
            .args(self.args(addr, step)?)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| fail(format!("cannot be run ({e}); {INSTALL}")))?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            return Err(fail(format!(
                "failed ({}): {}{}",
                output.status,
                stdout,
                String::from_utf8_lossy(&output.stderr)
            )));
        }
        let f = parse(&stdout).map_err(fail)?;
        Ok(step_load(&f, self.corrected, window_start))
    }

    fn cpu_seconds(&self) -> Option<f64> {
        super::wrk::children_cpu()
    }
}

/// oha's figures as a step's load: one kind (`seeded`), failures without a response as
/// status 0. With `corrected` the percentiles are the corrected ones and also go to
/// `intended`, the field for figures corrected for coordinated omission.
pub fn step_load(f: &OhaFigures, corrected: bool, window_start: chrono::DateTime<Utc>) -> StepLoad {
    let mut statuses = f.statuses.clone();
    let failed: u64 = f.failed.values().sum();
    if failed > 0 {
        *statuses.entry(0).or_insert(0) += failed;
    }
    let percentiles = crate::model::Percentiles {
        p50_us: f.p50_us,
        p90_us: f.p90_us,
        p99_us: f.p99_us,
        p999_us: f.p999_us,
        max_us: f.max_us,
    };
    StepLoad {
        kinds: vec![KindResult {
            kind: "seeded".to_owned(),
            requests: f.requests(),
            statuses,
            errors: f.errors(),
            p50_us: f.p50_us,
            p90_us: f.p90_us,
            p99_us: f.p99_us,
            p999_us: f.p999_us,
            max_us: f.max_us,
            mean_us: f.mean_us,
            intended: corrected.then_some(percentiles),
            ..KindResult::default()
        }],
        window_start,
        window_end: window_start + chrono::Duration::microseconds((f.seconds * 1e6).round() as i64),
        coordinated_omission: if corrected {
            "oha: --latency-correction (from each request's ticket)"
        } else {
            "oha: none (from each request's send)"
        }
        .to_owned(),
        generator_late_us: None,
        answered: None,
        ..StepLoad::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// What `oha 1.16.0 --no-tui --output-format json -c 4 -z 1s -q 200 --rand-regex-url
    /// http://127.0.0.1:PORT/accounts/100[0-9][0-9]` printed against the `floor` stack.
    const SAMPLE: &str = r#"{
  "summary": {
    "successRate": 1.0,
    "total": 1.001655844,
    "slowest": 0.005590023,
    "fastest": 0.000058227,
    "average": 0.00020691785000000014,
    "requestsPerSec": 200.6677255506533,
    "totalData": 9774,
    "sizePerRequest": 48,
    "sizePerSec": 9757.842534985499
  },
  "metrics": {
    "success_rate": 1.0,
    "requests_per_sec": 200.6677255506533,
    "latency_ms": {
      "min": 0.058,
      "mean": 0.207,
      "p50": 0.097,
      "p95": 0.505,
      "p99": 3.761,
      "max": 5.59
    }
  },
  "responseTimeHistogram": {
    "0.000058227": 1,
    "0.0006114066": 190,
    "0.0011645862": 3,
    "0.0017177657999999998": 1,
    "0.0022709454": 1,
    "0.0028241250000000002": 0,
    "0.0033773046": 0,
    "0.0039304842": 3,
    "0.0044836638": 0,
    "0.0050368434": 0,
    "0.005590023": 1
  },
  "latencyPercentiles": {
    "p10": 0.00006672,
    "p25": 0.000069434,
    "p50": 0.000097064,
    "p75": 0.00011438,
    "p90": 0.000154801,
    "p95": 0.000504963,
    "p99": 0.003761247,
    "p99.9": 0.005590023,
    "p99.99": 0.005590023
  },
  "firstByteHistogram": {
    "0.000058027": 1,
    "0.0006111253999999999": 190,
    "0.0011642237999999999": 3,
    "0.0017173222": 1,
    "0.0022704205999999998": 1,
    "0.0028235189999999996": 0,
    "0.0033766174": 0,
    "0.0039297158": 3,
    "0.0044828142": 0,
    "0.0050359126": 0,
    "0.005589011": 1
  },
  "firstBytePercentiles": {
    "p10": 0.000066279,
    "p25": 0.000068983,
    "p50": 0.000096714,
    "p75": 0.00011403,
    "p90": 0.00015447,
    "p95": 0.000504552,
    "p99": 0.003760806,
    "p99.9": 0.005589011,
    "p99.99": 0.005589011
  },
  "rps": {
    "mean": 198.76216717356473,
    "stddev": 20.882474980183765,
    "max": 312.8666405944482,
    "min": 112.944973547723,
    "percentiles": {
      "p10": 191.0525505324428,
      "p25": 191.9265335937643,
      "p50": 193.0482551140414,
      "p75": 210.51007327539676,
      "p90": 213.0627947191114,
      "p95": 213.51019948898337,
      "p99": 308.4651314871181,
      "p99.9": 312.8666405944482,
      "p99.99": 312.8666405944482
    }
  },
  "details": {
    "DNSDialup": {
      "average": 0.00152749925,
      "fastest": 0.000096644,
      "slowest": 0.005265268
    },
    "DNSLookup": {
      "average": 0.00001920575,
      "fastest": 7.08e-6,
      "slowest": 0.000034171
    },
    "firstByte": {
      "average": 0.00020655547000000013,
      "fastest": 0.000058027,
      "slowest": 0.005589011
    }
  },
  "statusCodeDistribution": {
    "200": 200
  },
  "errorDistribution": {
    "aborted due to deadline": 1
  }
}"#;

    fn step(rate: Option<u32>) -> Step {
        Step {
            name: "oha".into(),
            users: 4,
            rate,
            ramp: Duration::ZERO,
            hold: Duration::from_secs(2),
            pause: (Duration::ZERO, Duration::ZERO),
        }
    }

    #[test]
    fn reads_what_oha_printed() {
        let f = parse(SAMPLE).unwrap();
        assert_eq!(f.seconds, 1.001655844);
        assert_eq!(f.statuses, BTreeMap::from([(200, 200)]));
        assert_eq!(f.failed, BTreeMap::new());
        assert_eq!(f.aborted_at_deadline, 1);
        assert_eq!(
            (f.p50_us, f.p90_us, f.p99_us, f.p999_us, f.max_us, f.mean_us),
            (97, 155, 3761, 5590, 5590, 207)
        );
        assert_eq!((f.requests(), f.errors()), (200, 0));
        let load = step_load(&f, false, Utc::now());
        assert_eq!(load.requests(), 200);
        assert_eq!(load.kinds[0].statuses, BTreeMap::from([(200, 200)]));
        assert_eq!(load.kinds[0].intended, None);
        assert!((load.seconds() - f.seconds).abs() < 1e-5);
    }

    #[test]
    fn counts_failures_and_leaves_the_deadline_out() {
        let json = r#"{
          "summary": {"successRate": 0.5, "total": 2.0, "slowest": 0.004, "fastest": 0.0001,
                      "average": 0.001, "requestsPerSec": 4.0},
          "latencyPercentiles": {"p10": 0.0002, "p50": 0.0005, "p90": 0.001, "p99": 0.003,
                                 "p99.9": 0.0035, "p99.99": 0.004},
          "statusCodeDistribution": {"200": 5, "404": 1},
          "errorDistribution": {"connection refused": 2, "aborted due to deadline": 3}
        }"#;
        let f = parse(json).unwrap();
        assert_eq!(
            (f.p50_us, f.p99_us, f.p999_us, f.max_us),
            (500, 3000, 3500, 4000)
        );
        assert_eq!(f.aborted_at_deadline, 3);
        assert_eq!((f.requests(), f.errors()), (8, 3));
        let load = step_load(&f, true, Utc::now());
        let kind = &load.kinds[0];
        assert_eq!(kind.statuses, BTreeMap::from([(0, 2), (200, 5), (404, 1)]));
        assert_eq!((kind.requests, kind.errors), (8, 3));
        assert_eq!(
            kind.intended.map(|p| (p.p50_us, p.p99_us)),
            Some((500, 3000))
        );
    }

    #[test]
    fn nothing_answered_gives_zero_percentiles_not_an_error() {
        let json = r#"{"summary": {"total": 1.0, "slowest": null, "average": null},
          "latencyPercentiles": {"p50": null, "p99": null},
          "statusCodeDistribution": {}, "errorDistribution": {"connection refused": 9}}"#;
        let f = parse(json).unwrap();
        assert_eq!((f.p50_us, f.requests(), f.errors()), (0, 9, 9));
        assert!(parse("not json").unwrap_err().contains("not json"));
    }

    #[test]
    fn the_command_asks_for_the_step_at_its_rate() {
        let addr: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let args = Oha::raw().args(addr, &step(Some(300))).unwrap().join(" ");
        assert_eq!(
            args,
            "--no-tui --output-format json -c 4 -z 2s -q 300 --rand-regex-url \
             http://127.0.0.1:8080/accounts/100[0-9][0-9]"
        );
        let corrected = Oha::corrected().args(addr, &step(Some(300))).unwrap();
        assert!(corrected.contains(&"--latency-correction".to_owned()));
        assert!(Oha::raw().args(addr, &step(None)).is_err());
    }
}
