//! What the coordinator and its load workers say to each other: one JSON object per line over
//! the TCP connection each worker opens to the coordinator, and how a step is shared out.
//!
//! A worker says `hello` once; then, per step, the coordinator sends its share (`step`, with
//! the instant to start at) and the worker answers with its `report` (its figures, its
//! HdrHistograms in V2 serialisation, its lateness, its CPU) or `failed`; `cancel` stops a
//! step early (Ctrl-C), `done` ends the worker. A connection that closes is a worker lost.

use std::net::SocketAddr;
use std::time::Duration;

use crate::driver::record;
use crate::model::{KindHistograms, StepLoad};
use crate::scenario::{IdMix, LoadMode, Step};

/// The longest line the coordinator reads from a worker, bytes; a peer that sends more without
/// a newline is dropped. The longest legitimate line is a report: 3 kinds' raw and intended
/// histograms and the lateness histogram, 7 histograms, with a few KiB of figures around them.
/// A report whose every count is random and at its longest varint takes about 1.7 MB (the
/// test below); the most [`record::decode`] accepts, 7 times [`record::max_encoded_len`], is
/// about 3.8 MiB. 8 MiB leaves room above both without letting a peer hold much.
pub const MAX_LINE: usize = 8 << 20;

/// The longest hello the coordinator reads, bytes: a name, a node, a version and a token are
/// well under it; a connection that sends more before its hello is dropped.
pub const MAX_HELLO: usize = 4 << 10;

/// A run's secret: the coordinator makes it, the backend hands it to each worker in its
/// environment, and a hello without it is refused, since any process that reaches the
/// coordinator's port could otherwise take a worker's place and send made-up figures.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// 128 random bits in hex, from `rand`'s thread generator (a CSPRNG seeded by the OS).
    pub fn random() -> Self {
        Self(format!("{:032x}", rand::random::<u128>()))
    }

    /// The token as a worker's environment carries it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `presented` is this token, compared in a time that does not say where they
    /// first differ.
    pub fn admits(&self, presented: &str) -> bool {
        let (ours, theirs) = (self.0.as_bytes(), presented.as_bytes());
        ours.len() == theirs.len()
            && ours
                .iter()
                .zip(theirs)
                .fold(0u8, |differ, (a, b)| differ | (a ^ b))
                == 0
    }
}

/// Kept out of logs and error messages.
impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(..)")
    }
}

/// What a worker sends.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FromWorker {
    /// Its first line: who it is.
    Hello {
        /// Its name (`<service>.<slot>`).
        name: String,
        /// Its node.
        node: String,
        /// CPUs its load generator may use.
        cpus: usize,
        /// The harness version it runs; it must be the coordinator's.
        version: String,
        /// The run's [`Token`], from its environment; a worker of an older harness sends none.
        #[serde(default)]
        token: String,
    },
    /// What it measured in its share of a step.
    Report(Box<Report>),
    /// Its load generator could not send its share.
    Failed {
        /// Why.
        why: String,
    },
}

/// What the coordinator sends.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ToWorker {
    /// A share of a step to send.
    Step(Assignment),
    /// Stop the step now and report what was measured.
    Cancel,
    /// No more steps: exit.
    Done,
}

/// One worker's share of a step.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Assignment {
    /// The step's name.
    pub step: String,
    /// Where to send it: the service as the worker reaches it.
    pub target: SocketAddr,
    /// Its users.
    pub users: usize,
    /// Its rate, requests per second (`None`: as fast as its users go).
    pub rate: Option<u32>,
    /// The step's ramp, hold and pauses, ms.
    pub ramp_ms: u64,
    /// See `ramp_ms`.
    pub hold_ms: u64,
    /// See `ramp_ms`.
    pub pause_ms: (u64, u64),
    /// How load is sent (closed loop or constant rate).
    pub load: LoadMode,
    /// The ids' mix.
    pub ids: IdMix,
    /// When to start, µs since the Unix epoch (every worker's clock).
    pub start_unix_us: i64,
}

impl Assignment {
    /// The share as a step for the worker's driver.
    pub fn step(&self) -> Step {
        Step {
            name: self.step.clone(),
            users: self.users,
            rate: self.rate,
            ramp: Duration::from_millis(self.ramp_ms),
            hold: Duration::from_millis(self.hold_ms),
            pause: (
                Duration::from_millis(self.pause_ms.0),
                Duration::from_millis(self.pause_ms.1),
            ),
        }
    }
}

/// A worker's figures for its share of a step.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Report {
    /// What its driver measured (percentiles its own; the histograms are beside).
    pub load: StepLoad,
    /// Each kind's histograms, in the order of `load.kinds`: raw and intended.
    pub histograms: Vec<(String, Option<String>)>,
    /// Its clock's lateness, a histogram (constant-rate steps).
    pub late: Option<String>,
    /// CPU its process used over the share, seconds.
    pub cpu_seconds: Option<f64>,
    /// How far past the start instant it began, µs.
    pub start_late_us: u64,
}

impl Report {
    /// A driver's result as a report: the histograms taken out of the kinds and encoded.
    pub fn of(mut load: StepLoad, cpu_seconds: Option<f64>, start_late_us: u64) -> Self {
        let histograms = load
            .kinds
            .iter_mut()
            .map(|k| match k.histograms.take() {
                Some(h) => (
                    record::encode(&h.raw),
                    h.intended.as_ref().map(record::encode),
                ),
                None => (String::new(), None),
            })
            .collect();
        let late = load.late_histogram.take().as_ref().map(record::encode);
        Self {
            load,
            histograms,
            late,
            cpu_seconds,
            start_late_us,
        }
    }

    /// The driver's result back, its histograms decoded; an error names the kind whose
    /// histogram does not read.
    pub fn into_load(self) -> Result<StepLoad, String> {
        let mut load = self.load;
        if load.kinds.len() != self.histograms.len() {
            return Err(format!(
                "{} kinds but {} histograms",
                load.kinds.len(),
                self.histograms.len()
            ));
        }
        for (kind, (raw, intended)) in load.kinds.iter_mut().zip(self.histograms) {
            let what = |e: String| format!("{}: {e}", kind.kind);
            kind.histograms = Some(KindHistograms {
                raw: record::decode(&raw).map_err(what)?,
                intended: intended
                    .map(|h| record::decode(&h))
                    .transpose()
                    .map_err(what)?,
            });
        }
        load.late_histogram = self
            .late
            .map(|h| record::decode(&h))
            .transpose()
            .map_err(|e| format!("lateness: {e}"))?;
        Ok(load)
    }
}

/// Each of `workers` workers' share of `users` and `rate`: as even as whole numbers allow,
/// the first ones taking one more. A share without a user (more workers than users), or
/// without a rate when the step has one, sends nothing.
pub fn split(users: usize, rate: Option<u32>, workers: usize) -> Vec<(usize, Option<u32>)> {
    let n = workers.max(1);
    (0..n)
        .map(|i| {
            let users = users / n + usize::from(i < users % n);
            let rate = rate.map(|r| r / n as u32 + u32::from((i as u32) < r % n as u32));
            (users, rate)
        })
        .collect()
}

/// How far after the step's start instant worker `index` starts its schedule: the workers'
/// constant-rate schedules interleaved (worker `i` shifted by `i / total rate`), as one
/// generator's connections are, rather than all sending on the same instants.
pub fn offset_us(index: usize, rate: Option<u32>) -> i64 {
    match rate {
        Some(r) if r > 0 => (index as f64 * 1e6 / f64::from(r)).round() as i64,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up_to_the_step() {
        for (users, rate, n) in [(10, Some(1000), 3), (1, Some(7), 2), (64, None, 4)] {
            let shares = split(users, rate, n);
            assert_eq!(shares.len(), n);
            assert_eq!(shares.iter().map(|s| s.0).sum::<usize>(), users);
            if let Some(rate) = rate {
                assert_eq!(shares.iter().map(|s| s.1.unwrap()).sum::<u32>(), rate);
            }
            let most = shares.iter().map(|s| s.0).max().unwrap();
            let least = shares.iter().map(|s| s.0).min().unwrap();
            assert!(most - least <= 1, "{shares:?}");
        }
        assert_eq!(split(1, Some(7), 2), vec![(1, Some(4)), (0, Some(3))]);
        assert_eq!(offset_us(0, Some(1000)), 0);
        assert_eq!(offset_us(1, Some(1000)), 1000);
        assert_eq!(offset_us(3, None), 0);
    }

    /// Externally tagged: serde's internally tagged enums buffer their content, which loses
    /// the JSON map keys' conversion to numbers (a report's statuses).
    #[test]
    fn messages_are_one_line_each_and_read_back() {
        let hello = FromWorker::Hello {
            name: "svc.1".into(),
            node: "n".into(),
            cpus: 2,
            version: "0.1.0".into(),
            token: Token::random().as_str().into(),
        };
        let line = serde_json::to_string(&hello).unwrap();
        assert!(
            !line.contains('\n') && line.starts_with("{\"hello\":"),
            "{line}"
        );
        assert_eq!(serde_json::from_str::<FromWorker>(&line).unwrap(), hello);
        let cancel = serde_json::to_string(&ToWorker::Cancel).unwrap();
        assert_eq!(cancel, r#""cancel""#);
    }

    #[test]
    fn tokens_are_128_random_bits_and_admit_only_themselves() {
        let (a, b) = (Token::random(), Token::random());
        assert_eq!(a.as_str().len(), 32);
        assert!(a.as_str().bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
        assert!(a.admits(a.as_str()));
        assert!(!a.admits(b.as_str()) && !a.admits("") && !a.admits(&a.as_str()[1..]));
        assert_eq!(format!("{a:?}"), "Token(..)");
    }

    /// The largest report a worker can send, every count of every histogram at its longest
    /// varint, fits in a line the coordinator reads.
    #[test]
    fn the_largest_report_fits_in_a_line() {
        assert!(7 * record::max_encoded_len() + (64 << 10) < MAX_LINE);
        let mut full = record::histogram();
        let mut value = 1;
        while value < record::HIGHEST_US {
            // Random, so DEFLATE finds little to take out.
            full.record_n(value, (1 << 62) | (rand::random::<u64>() >> 2))
                .unwrap();
            value = full.next_non_equivalent(value);
        }
        let kinds = crate::model::KINDS
            .iter()
            .map(|&(kind, _)| crate::model::KindResult {
                kind: kind.into(),
                histograms: Some(KindHistograms {
                    raw: full.clone(),
                    intended: Some(full.clone()),
                }),
                ..Default::default()
            })
            .collect();
        let load = StepLoad {
            kinds,
            late_histogram: Some(full.clone()),
            ..StepLoad::default()
        };
        let line = serde_json::to_string(&FromWorker::Report(Box::new(Report::of(load, None, 0))))
            .unwrap();
        assert!(line.len() < MAX_LINE, "{} bytes", line.len());
        let FromWorker::Report(report) = serde_json::from_str(&line).unwrap() else {
            panic!("a report")
        };
        assert_eq!(
            report.into_load().unwrap().kinds[0]
                .histograms
                .as_ref()
                .unwrap()
                .raw,
            full
        );
    }
}
