//! The `[downstream]` table and the steps' `downstream` keys: the quotes service deployed
//! beside the landscape variants, and what it does from each step on.

use std::time::Duration;

use toml::Spanned;
use toml::Value;

use super::raw::{RawDownstream, RawScenario};
use crate::scenario::fields::{Bounds, Check};
use crate::scenario::{DownstreamPlan, Fault, ScenarioError, Step};

/// A duration as whole milliseconds, for a default in a file's units.
fn millis_of(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

impl Check<'_> {
    /// The `[downstream]` table and the steps' `downstream` keys.
    pub(super) fn downstream(
        &self,
        raw: &RawScenario,
        steps: &[Step],
    ) -> Result<Option<DownstreamPlan>, ScenarioError> {
        let Some(spanned) = &raw.downstream else {
            self.no_faults_without_downstream(raw)?;
            return Ok(None);
        };
        self.downstream_alone(raw, spanned)?;
        let table = spanned.get_ref();
        let defaults = DownstreamPlan::default();
        let service = self.service(table, &defaults)?;
        let replicas = self.int_or(
            "downstream.replicas",
            &table.replicas,
            &Bounds {
                what: "a whole number of replicas",
                min: 1,
                max: 20,
            },
            1,
        )?;
        let slow_ms = self.int_or(
            "downstream.slow_ms",
            &table.slow_ms,
            &Bounds {
                what: "a whole number of milliseconds",
                min: 1,
                max: 60_000,
            },
            millis_of(defaults.slow),
        )?;
        let probe_ms = self.int_or(
            "downstream.probe_ms",
            &table.probe_ms,
            &Bounds {
                what: "a whole number of milliseconds",
                min: 10,
                max: 10_000,
            },
            millis_of(defaults.probe),
        )?;
        let bases = match &table.bases {
            None => defaults.bases,
            Some(value) => match value.get_ref() {
                Value::Boolean(b) => *b,
                _ => {
                    return Err(self.invalid(
                        "downstream.bases",
                        value,
                        "true (measure each variant's base stack beside it) or false",
                    ));
                }
            },
        };
        let faults = self.faults(raw, steps, replicas)?;
        Ok(Some(DownstreamPlan {
            service,
            replicas: replicas as u32,
            slow: Duration::from_millis(slow_ms as u64),
            probe: Duration::from_millis(probe_ms as u64),
            bases,
            faults,
        }))
    }

    /// Without a `[downstream]` table, no step may have a `downstream` key.
    fn no_faults_without_downstream(&self, raw: &RawScenario) -> Result<(), ScenarioError> {
        if let Some((i, value)) = raw
            .step
            .iter()
            .enumerate()
            .find_map(|(i, s)| s.get_ref().downstream.as_ref().map(|v| (i, v)))
        {
            return Err(self.invalid(
                &format!("step[{}].downstream", i + 1),
                value,
                "no `downstream` key without a [downstream] table: add one (service = \"quotes\") \
                 to deploy the quotes service, or remove the key",
            ));
        }
        Ok(())
    }

    /// A downstream is deployed through fixed steps only: no battery, no search beside it.
    fn downstream_alone(
        &self,
        raw: &RawScenario,
        spanned: &Spanned<RawDownstream>,
    ) -> Result<(), ScenarioError> {
        let other = [
            ("[battery]", raw.battery.as_ref().map(Spanned::span)),
            ("[capacity]", raw.capacity.as_ref().map(Spanned::span)),
            ("[fit]", raw.fit.as_ref().map(Spanned::span)),
            ("[density]", raw.density.as_ref().map(Spanned::span)),
        ]
        .into_iter()
        .find_map(|(table, span)| span.map(|span| format!("{table} at line {}", self.line(&span))));
        if let Some(other) = other {
            return Err(self.invalid_found(
                "downstream",
                spanned.span(),
                "a scenario of [[step]] tables: the downstream is deployed beside a service \
                 through fixed steps only",
                other,
            ));
        }
        Ok(())
    }

    /// `downstream.service`: `quotes`, the default and the only one.
    fn service(
        &self,
        table: &RawDownstream,
        defaults: &DownstreamPlan,
    ) -> Result<String, ScenarioError> {
        match &table.service {
            None => Ok(defaults.service.clone()),
            Some(value) => match value.get_ref() {
                Value::String(text) if text == "quotes" => Ok(text.clone()),
                _ => Err(self.invalid(
                    "downstream.service",
                    value,
                    "\"quotes\", the one downstream the landscape variants call",
                )),
            },
        }
    }

    /// The fault each step's `downstream` key names, with the step's name; a fault needs a
    /// downstream of one replica.
    fn faults(
        &self,
        raw: &RawScenario,
        steps: &[Step],
        replicas: i64,
    ) -> Result<Vec<(String, Fault)>, ScenarioError> {
        let mut faults = Vec::new();
        for (i, (raw_step, step)) in raw.step.iter().zip(steps).enumerate() {
            let Some(value) = &raw_step.get_ref().downstream else {
                continue;
            };
            let key = format!("step[{}].downstream", i + 1);
            let fault = Fault::ALL
                .into_iter()
                .find(|f| matches!(value.get_ref(), Value::String(text) if text == f.as_str()))
                .ok_or_else(|| {
                    let names: Vec<String> = Fault::ALL
                        .iter()
                        .map(|f| format!("\"{}\"", f.as_str()))
                        .collect();
                    self.invalid(&key, value, format!("one of {}", names.join(", ")))
                })?;
            if replicas > 1 {
                return Err(self.invalid(
                    &key,
                    value,
                    format!(
                        "no fault with downstream.replicas = {replicas}: the fault control \
                         reaches one replica through the service's name, so faults need one"
                    ),
                ));
            }
            faults.push((step.name.clone(), fault));
        }
        Ok(faults)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use super::super::super::test_support::{ONE_STEP, error, parse_test};
    use super::super::parse;
    use super::*;

    const LANDSCAPE: &str = "description = \"d\"\nstacks = [\"axum\", \"axum+quotes\"]\n\
        [downstream]\n[[step]]\nname = \"calm\"\nusers = 2\nseconds = 20\n\
        [[step]]\nname = \"dead\"\nusers = 2\nseconds = 20\ndownstream = \"down\"\n";

    #[test]
    fn downstream_defaults_faults_quick_and_toml() {
        let s = parse_test(LANDSCAPE).unwrap();
        assert_eq!(s.stacks, ["axum", "axum+quotes"]);
        let d = s.downstream.clone().unwrap();
        assert_eq!(
            (d.service.as_str(), d.replicas, d.slow, d.probe),
            (
                "quotes",
                1,
                Duration::from_millis(400),
                Duration::from_millis(100)
            )
        );
        assert_eq!(d.faults, [("dead".to_owned(), Fault::Down)]);
        assert!(d.bases, "bases are measured unless the table says not");
        assert_eq!(d.fault_at("dead"), Some(Fault::Down));
        assert_eq!(d.fault_at("calm"), None);
        // With faults, --quick keeps 6 s per step so the breaker can be seen to close.
        let quick = s.clone().quick();
        assert!(
            quick
                .steps
                .iter()
                .all(|st| st.hold == Duration::from_secs(6))
        );
        let back = parse(&s.to_toml(), Path::new("scenarios/test.toml")).unwrap();
        assert_eq!(back, s);
        let alone =
            parse_test(&LANDSCAPE.replace("[downstream]\n", "[downstream]\nbases = false\n"))
                .unwrap();
        assert!(!alone.downstream.clone().unwrap().bases);
        let back = parse(&alone.to_toml(), Path::new("scenarios/test.toml")).unwrap();
        assert_eq!(back, alone);
        // Without faults, --quick holds steps 1 s as ever.
        let calm =
            parse_test("description = \"d\"\n[downstream]\n[[step]]\nusers = 2\nseconds = 20\n")
                .unwrap()
                .quick();
        assert_eq!(calm.steps[0].hold, Duration::from_secs(1));
    }

    #[test]
    fn downstream_refusals_name_the_key() {
        let e = error(&format!("{ONE_STEP}downstream = \"slow\"\n"));
        assert_eq!(e.key(), Some("step[1].downstream"));
        assert!(
            e.to_string().contains("without a [downstream] table"),
            "{e}"
        );
        let e = error(&LANDSCAPE.replace("\"down\"", "\"gone\""));
        assert_eq!(e.key(), Some("step[2].downstream"));
        assert!(e.to_string().contains("\"healthy\", \"slow\""), "{e}");
        let e = error(&LANDSCAPE.replace("[downstream]\n", "[downstream]\nreplicas = 2\n"));
        assert_eq!(e.key(), Some("step[2].downstream"));
        assert!(
            e.to_string().contains("fault control reaches one replica"),
            "{e}"
        );
        let e = error(&LANDSCAPE.replace("[downstream]\n", "[downstream]\nservice = \"ads\"\n"));
        assert_eq!(e.key(), Some("downstream.service"));
        let e = error(&LANDSCAPE.replace("[downstream]\n", "[downstream]\nbases = \"no\"\n"));
        assert_eq!(e.key(), Some("downstream.bases"));
        let e = error(&LANDSCAPE.replace("[downstream]\n", "[downstream]\nprobe_ms = 5\n"));
        assert_eq!(e.key(), Some("downstream.probe_ms"));
        let e = error("description = \"d\"\n[downstream]\n[battery]\n");
        assert_eq!(e.key(), Some("downstream"));
        assert!(e.to_string().contains("[battery] at line 3"), "{e}");
        let e = error("description = \"d\"\nstacks = [\"axum+\"]\n");
        assert_eq!(e.key(), Some("stacks[1]"));
    }
}
