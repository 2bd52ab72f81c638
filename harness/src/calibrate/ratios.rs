//! A tool's rounds combined into one figure, and the ratios between tools: pure arithmetic
//! over [`ToolFigures`].
//!
//! Every ratio is named `<a>_to_<b>` and is `a`'s figure over `b`'s, both over all rounds: a
//! latency ratio above 1 means `a` measured slower responses than `b`, a throughput ratio
//! below 1 means `a` got fewer responses per second than `b`. Each compares what is
//! comparable at the calibration's operating point:
//!
//! | ratio | mode | figures |
//! |---|---|---|
//! | `goose_to_wrk` | unthrottled | throughput, p50, p99 |
//! | `constant_rate_to_wrk` | unthrottled | throughput only: the constant-rate driver asked for twice wrk's rate, so what it served is its ceiling and its latencies are those of a backlog |
//! | `goose_to_oha` | `--rate` | throughput, p50, p99 (from each request's send) |
//! | `constant_rate_to_oha` | `--rate` | throughput, p50, p99 (from each request's send) |
//! | `constant_rate_corrected_to_oha_corrected` | `--rate` | p50, p99 from when each request was due (the constant-rate driver's `intended`, oha's `--latency-correction`) |

use super::{ToolFigures, ToolRuns, tool};

/// `a / b`, when both are finite and `b` is above zero.
pub fn ratio(a: f64, b: f64) -> Option<f64> {
    (b > 0.0 && a.is_finite() && b.is_finite()).then(|| a / b)
}

/// One tool over another: throughput, p50 and p99 (`None` where the other's is zero).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Ratio {
    /// Requests served per second, a / b.
    pub rps: Option<f64>,
    /// Median latency, a / b.
    pub p50: Option<f64>,
    /// 99th percentile, a / b.
    pub p99: Option<f64>,
}

impl Ratio {
    /// `a` over `b`.
    pub fn of(a: &ToolFigures, b: &ToolFigures) -> Self {
        Self {
            rps: ratio(a.rps, b.rps),
            p50: ratio(a.p50_us as f64, b.p50_us as f64),
            p99: ratio(a.p99_us as f64, b.p99_us as f64),
        }
    }
}

/// One tool's throughput over another's.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RpsRatio {
    /// Requests served per second, a / b.
    pub rps: Option<f64>,
}

/// One tool's latency over another's.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LatencyRatio {
    /// Median latency, a / b.
    pub p50: Option<f64>,
    /// 99th percentile, a / b.
    pub p99: Option<f64>,
}

/// One figure of a ratio by its name (`rps`, `p50`, `p99`).
pub type Figure = (&'static str, Option<f64>);

/// The ratios of a calibration, over all rounds; each is present in `calibrate.json` when
/// both of its tools ran (see the module's table).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Ratios {
    /// Unthrottled: the Goose driver over wrk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goose_to_wrk: Option<Ratio>,
    /// Unthrottled: the constant-rate driver's ceiling over wrk's throughput.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constant_rate_to_wrk: Option<RpsRatio>,
    /// At a rate: the Goose driver over oha, raw latencies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goose_to_oha: Option<Ratio>,
    /// At a rate: the constant-rate driver over oha, raw latencies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constant_rate_to_oha: Option<Ratio>,
    /// At a rate: the constant-rate driver's corrected latencies over oha's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constant_rate_corrected_to_oha_corrected: Option<LatencyRatio>,
}

impl Ratios {
    /// The ratios between the tools that ran, from their figures over all rounds.
    pub fn of(tools: &[ToolRuns]) -> Self {
        let all = |name: &str| tools.iter().find(|t| t.tool == name).map(|t| &t.all);
        let pair = |a: &str, b: &str| all(a).zip(all(b));
        Self {
            goose_to_wrk: pair(tool::GOOSE, tool::WRK).map(|(a, b)| Ratio::of(a, b)),
            constant_rate_to_wrk: pair(tool::CONSTANT_RATE, tool::WRK).map(|(a, b)| RpsRatio {
                rps: ratio(a.rps, b.rps),
            }),
            goose_to_oha: pair(tool::GOOSE, tool::OHA).map(|(a, b)| Ratio::of(a, b)),
            constant_rate_to_oha: pair(tool::CONSTANT_RATE, tool::OHA)
                .map(|(a, b)| Ratio::of(a, b)),
            constant_rate_corrected_to_oha_corrected: pair(
                tool::CONSTANT_RATE_CORRECTED,
                tool::OHA_CORRECTED,
            )
            .map(|(a, b)| {
                let r = Ratio::of(a, b);
                LatencyRatio {
                    p50: r.p50,
                    p99: r.p99,
                }
            }),
        }
    }

    /// Every ratio present, by its name, with its figures by theirs (`rps`, `p50`, `p99`), in
    /// the order of the module's table: what the terminal shows.
    pub fn named(&self) -> Vec<(&'static str, Vec<Figure>)> {
        let full = |r: &Ratio| vec![("rps", r.rps), ("p50", r.p50), ("p99", r.p99)];
        [
            ("goose_to_wrk", self.goose_to_wrk.as_ref().map(full)),
            (
                "constant_rate_to_wrk",
                self.constant_rate_to_wrk.map(|r| vec![("rps", r.rps)]),
            ),
            ("goose_to_oha", self.goose_to_oha.as_ref().map(full)),
            (
                "constant_rate_to_oha",
                self.constant_rate_to_oha.as_ref().map(full),
            ),
            (
                "constant_rate_corrected_to_oha_corrected",
                self.constant_rate_corrected_to_oha_corrected
                    .map(|r| vec![("p50", r.p50), ("p99", r.p99)]),
            ),
        ]
        .into_iter()
        .filter_map(|(name, figures)| Some((name, figures?)))
        .collect()
    }
}

/// A tool's figures over its rounds: requests and seconds summed (so rps is over all of
/// them), p50 and p99 the median of the rounds', CPU the mean, the target rate the mean of
/// the rounds' targets (they differ only for the constant-rate ceiling, which asks for twice
/// each round's wrk rate).
pub fn combine(tool: &str, rounds: &[ToolFigures]) -> ToolFigures {
    let requests = rounds.iter().map(|r| r.requests).sum();
    let seconds: f64 = rounds.iter().map(|r| r.seconds).sum();
    let median = |pick: fn(&ToolFigures) -> u64| {
        let values: Vec<u64> = rounds.iter().map(pick).collect();
        crate::stats::median_u64(&values).unwrap_or(0)
    };
    let mean = |pick: fn(&ToolFigures) -> Option<f64>| {
        let values: Vec<f64> = rounds.iter().filter_map(pick).collect();
        (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
    };
    ToolFigures {
        tool: tool.to_owned(),
        requests,
        seconds,
        rps: ToolFigures::per_second(requests, seconds),
        target_rps: mean(|r| r.target_rps),
        p50_us: median(|r| r.p50_us),
        p99_us: median(|r| r.p99_us),
        errors: rounds.iter().map(|r| r.errors).sum(),
        harness_cores: mean(|r| r.harness_cores),
        tool_cores: mean(|r| r.tool_cores),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(tool: &str, rps: f64, p50: u64, p99: u64) -> ToolFigures {
        ToolFigures {
            tool: tool.into(),
            requests: 100,
            seconds: 1.0,
            rps,
            target_rps: None,
            p50_us: p50,
            p99_us: p99,
            errors: 0,
            harness_cores: None,
            tool_cores: None,
        }
    }

    fn runs(f: ToolFigures) -> ToolRuns {
        ToolRuns {
            tool: f.tool.clone(),
            driver: "fake".into(),
            corrected: false,
            rounds: vec![f.clone()],
            all: f,
        }
    }

    #[test]
    fn rounds_combine_into_one_figure() {
        let mut a = figures("wrk", 1000.0, 100, 1000);
        let mut b = figures("wrk", 3000.0, 300, 3000);
        (a.seconds, a.requests, a.tool_cores) = (1.0, 1000, Some(0.2));
        (b.seconds, b.requests, b.tool_cores) = (1.0, 3000, Some(0.4));
        (a.target_rps, b.target_rps) = (Some(2000.0), Some(6000.0));
        let all = combine("wrk", &[a, b]);
        assert_eq!((all.requests, all.seconds, all.rps), (4000, 2.0, 2000.0));
        assert_eq!((all.p50_us, all.p99_us), (200, 2000));
        assert!((all.tool_cores.unwrap() - 0.3).abs() < 1e-12);
        assert_eq!(all.target_rps, Some(4000.0));
        assert_eq!(combine("wrk", &[]).rps, 0.0);
    }

    #[test]
    fn unthrottled_ratios_are_goose_and_the_ceiling_over_wrk() {
        let r = Ratios::of(&[
            runs(figures("goose", 500.0, 300, 2000)),
            runs(figures("wrk", 1000.0, 100, 1000)),
            runs(figures("constant-rate", 1500.0, 9000, 90000)),
        ]);
        let goose = r.goose_to_wrk.unwrap();
        assert_eq!(
            (goose.p50, goose.p99, goose.rps),
            (Some(3.0), Some(2.0), Some(0.5))
        );
        assert_eq!(r.constant_rate_to_wrk, Some(RpsRatio { rps: Some(1.5) }));
        assert_eq!(
            (r.goose_to_oha, r.constant_rate_to_oha),
            (None, None),
            "no oha ran"
        );
        let names: Vec<_> = r.named().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["goose_to_wrk", "constant_rate_to_wrk"]);
    }

    #[test]
    fn rate_ratios_pair_raw_with_raw_and_corrected_with_corrected() {
        let r = Ratios::of(&[
            runs(figures("goose", 1990.0, 200, 800)),
            runs(figures("constant-rate", 2000.0, 150, 600)),
            runs(figures("constant-rate-corrected", 2000.0, 160, 1200)),
            runs(figures("oha", 1000.0, 100, 400)),
            runs(figures("oha-corrected", 2000.0, 80, 300)),
        ]);
        assert_eq!(
            r.goose_to_oha,
            Some(Ratio {
                rps: Some(1.99),
                p50: Some(2.0),
                p99: Some(2.0)
            })
        );
        assert_eq!(
            r.constant_rate_to_oha,
            Some(Ratio {
                rps: Some(2.0),
                p50: Some(1.5),
                p99: Some(1.5)
            })
        );
        assert_eq!(
            r.constant_rate_corrected_to_oha_corrected,
            Some(LatencyRatio {
                p50: Some(2.0),
                p99: Some(4.0)
            })
        );
        assert_eq!((r.goose_to_wrk, r.constant_rate_to_wrk), (None, None));
        let json = serde_json::to_value(r).unwrap();
        assert_eq!(json["goose_to_oha"]["rps"], 1.99);
        assert!(json.get("goose_to_wrk").is_none(), "{json}");
        assert_eq!(r.named().len(), 3);
    }

    #[test]
    fn a_zero_denominator_gives_no_ratio() {
        let r = Ratio::of(&figures("goose", 1.0, 1, 1), &figures("wrk", 0.0, 0, 0));
        assert_eq!((r.p50, r.rps), (None, None));
        assert_eq!(ratio(f64::NAN, 1.0), None);
    }
}
