//! The records of a landscape run: the downstream deployed beside a variant, what it used
//! during each step, and the breaker as the probe saw it.

/// The downstream a run deployed beside its landscape variants.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DownstreamInfo {
    /// The service (`quotes`).
    pub service: String,
    /// Its replicas.
    pub replicas: u32,
    /// Where the backend ran it and how the variants reached it.
    pub placement: String,
    /// Its binary's size, bytes.
    pub binary_bytes: Option<u64>,
    /// Its image's size, bytes, on the container backends.
    pub image_bytes: Option<u64>,
}

/// What the downstream used during one step, sampled apart from the account service.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DownstreamStep {
    /// Median memory over the step, KiB (RSS, or container memory).
    pub rss_kb: Option<u64>,
    /// CPU over the step, cores.
    pub cores: Option<f64>,
    /// Its CPU per 1000 account requests served in the step, ms: what each account answer
    /// costs downstream.
    pub cpu_ms_per_1000: Option<f64>,
}

/// The breaker of a variant as its answers show it (contract L3-L5): a quote, a warning that
/// the call failed, or the warning that the circuit is open and no call was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Observed {
    /// The answer carried a quote: the call was made and succeeded.
    Closed,
    /// `"quote": null` with a timeout, unreachable or bad-answer warning: the call was made
    /// and failed (the breaker counts it).
    Failing,
    /// `"quote": null` with the circuit-open warning: no call was made.
    Open,
    /// The account itself failed (no answer, not a `200`, or a body that is not an account):
    /// a broken contract, never expected.
    Broken,
}

impl Observed {
    /// The name in results.
    pub fn as_str(self) -> &'static str {
        match self {
            Observed::Closed => "closed",
            Observed::Failing => "failing",
            Observed::Open => "open",
            Observed::Broken => "broken",
        }
    }

    /// What an account answer (its status and body) says of the breaker.
    pub fn of_answer(status: u16, body: &[u8]) -> Observed {
        if status != 200 {
            return Observed::Broken;
        }
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
            return Observed::Broken;
        };
        match (&value["quote"], value["warning"].as_str()) {
            (serde_json::Value::Object(_), _) => Observed::Closed,
            (serde_json::Value::Null, Some(w)) if w.contains("circuit open") => Observed::Open,
            (serde_json::Value::Null, Some(_)) => Observed::Failing,
            _ => Observed::Broken,
        }
    }
}

/// One probe of a variant: a seeded account asked on a fresh connection.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BreakerProbe {
    /// Seconds since the run's epoch.
    pub at_s: f64,
    /// The step it fell in (`idle`, `warmup` or the step's name).
    pub step: String,
    /// Connect to the last byte of the answer, µs; `None` without an answer.
    pub latency_us: Option<u64>,
    /// What the answer showed.
    pub observed: Observed,
}

/// A change of what the probes saw.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BreakerChange {
    /// Seconds since the run's epoch.
    pub at_s: f64,
    /// The step it happened in.
    pub step: String,
    /// Before.
    pub from: Observed,
    /// After.
    pub to: Observed,
}

/// A fault the harness gave the downstream.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FaultRecord {
    /// Seconds since the run's epoch.
    pub at_s: f64,
    /// The step it started.
    pub step: String,
    /// The fault (`slow`, `down`, ...).
    pub fault: String,
    /// What giving it took, or why it failed.
    pub outcome: String,
}

/// One repeat of a variant with its downstream.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LandscapeRun {
    /// The address the variant was given (`QUOTES_URL`).
    pub url: String,
    /// The downstream's median memory while the variant idled, KiB.
    pub idle_kb: Option<u64>,
    /// The faults given, in order.
    pub faults: Vec<FaultRecord>,
    /// Probes sent.
    pub probes: u64,
    /// Probes by what they saw, in [`Observed`] order: closed, failing, open, broken.
    pub seen: [u64; 4],
    /// The changes the probes saw, in order.
    pub changes: Vec<BreakerChange>,
    /// The slowest probe answer, µs.
    pub probe_max_us: Option<u64>,
}

impl LandscapeRun {
    /// Folds one probe into the counts and changes; `last` is what the probe before saw.
    pub fn add(&mut self, probe: &BreakerProbe, last: Option<Observed>) {
        self.probes += 1;
        let index = match probe.observed {
            Observed::Closed => 0,
            Observed::Failing => 1,
            Observed::Open => 2,
            Observed::Broken => 3,
        };
        self.seen[index] += 1;
        self.probe_max_us = self.probe_max_us.max(probe.latency_us);
        if let Some(from) = last.filter(|&from| from != probe.observed) {
            self.changes.push(BreakerChange {
                at_s: probe.at_s,
                step: probe.step.clone(),
                from,
                to: probe.observed,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_say_what_the_breaker_did() {
        let quote =
            br#"{"id":"10000","name":"a","quote":{"quote":"q","ipAddress":"h","language":"en"}}"#;
        assert_eq!(Observed::of_answer(200, quote), Observed::Closed);
        let failing = br#"{"id":"10000","quote":null,"warning":"quotes timed out"}"#;
        assert_eq!(Observed::of_answer(200, failing), Observed::Failing);
        let open = br#"{"id":"10000","quote":null,"warning":"quotes circuit open"}"#;
        assert_eq!(Observed::of_answer(200, open), Observed::Open);
        assert_eq!(Observed::of_answer(500, quote), Observed::Broken);
        assert_eq!(Observed::of_answer(200, b"not json"), Observed::Broken);
        assert_eq!(
            Observed::of_answer(200, br#"{"id":"10000"}"#),
            Observed::Broken
        );
    }

    fn probe(at_s: f64, observed: Observed) -> BreakerProbe {
        BreakerProbe {
            at_s,
            step: "s".into(),
            latency_us: Some(100),
            observed,
        }
    }

    #[test]
    fn probes_are_counted_and_changes_kept() {
        let mut run = LandscapeRun {
            faults: vec![FaultRecord {
                at_s: 10.0,
                step: "down".into(),
                fault: "down".into(),
                outcome: "stopped".into(),
            }],
            ..LandscapeRun::default()
        };
        let mut last = None;
        for (at, seen) in [
            (9.0, Observed::Closed),
            (10.1, Observed::Failing),
            (10.2, Observed::Failing),
            (10.6, Observed::Open),
            (16.0, Observed::Closed),
        ] {
            run.add(&probe(at, seen), last);
            last = Some(seen);
        }
        assert_eq!(run.probes, 5);
        assert_eq!(run.seen, [2, 2, 1, 0]);
        assert_eq!(run.changes.len(), 3);
        let to: Vec<(f64, Observed)> = run.changes.iter().map(|c| (c.at_s, c.to)).collect();
        assert_eq!(
            to,
            [
                (10.1, Observed::Failing),
                (10.6, Observed::Open),
                (16.0, Observed::Closed)
            ]
        );
    }
}
