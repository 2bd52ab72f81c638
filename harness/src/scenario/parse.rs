//! One scenario file's tables turned into the plan: defaults filled in, each key checked,
//! and the rules between keys (a warm-up needs a step or a capacity search, a battery no
//! steps, a constant rate a rate everywhere, a capacity search neither steps nor a battery).
//!
//! The tables as serde reads them are in `raw`, the bounds several share in `bounds`; the
//! steps and the warm-up are read in `load`, the experiments' tables in `experiments`, the
//! `[downstream]` table in `downstream`.

use std::path::Path;
use std::time::Duration;

use toml::Spanned;
use toml::Value;
use toml::de::DeTable;

mod bounds;
mod downstream;
mod experiments;
mod load;
mod raw;

use super::fields::{Bounds, Check, Field};
use super::{
    ContainerLimits, DensityPlan, IdMix, LoadMode, Placement, Scenario, ScenarioError, Step, quote,
};
use bounds::SECONDS;
use raw::{RawBoot, RawContainer, RawIds, RawPlacement, RawScenario};

/// Repeats of a scenario.
const REPEATS: Bounds = Bounds {
    what: "a whole number of repeats",
    min: 1,
    max: 100,
};
/// The sampler's interval.
const SAMPLE_MS: Bounds = Bounds {
    what: "a whole number of milliseconds",
    min: 10,
    max: 10_000,
};
/// The service's workers.
const WORKERS: Bounds = Bounds {
    what: "a whole number of workers",
    min: 1,
    max: 1024,
};

/// Parses and validates scenario text; `source` names the file in errors and gives the name.
pub fn parse(text: &str, source: &Path) -> Result<Scenario, ScenarioError> {
    let check = Check { file: source, text };
    let document = DeTable::parse(text).map_err(|error| ScenarioError::Syntax {
        file: source.to_path_buf(),
        line: error.span().map(|span| check.line(&span)),
        message: error.message().to_owned(),
    })?;
    let raw: RawScenario =
        toml::from_str(text).map_err(|error| check.serde_error(document.get_ref(), &error))?;
    check.scenario(raw)
}

/// The tables of a file, checked one by one, then the rules between them.
impl Check<'_> {
    fn scenario(&self, raw: RawScenario) -> Result<Scenario, ScenarioError> {
        let description = self.description(&raw.description)?;
        let stacks = self.stacks(&raw.stacks)?;
        let rungs = self.rungs(&raw.rungs)?;
        let repeat = self.int_or("repeat", &raw.repeat, &REPEATS, 1)?;
        let sample_interval_ms = self.int_or(
            "sample_interval_ms",
            &raw.sample_interval_ms,
            &SAMPLE_MS,
            100,
        )?;
        let workers = self.int_opt("workers", &raw.workers, &WORKERS)?;
        let idle_seconds = self.int_or("idle_seconds", &raw.idle_seconds, &SECONDS, 3)?;
        self.coordinated_omission(&raw.coordinated_omission)?;
        let load = self.load(&raw)?;
        let placement = self.placement(raw.placement.as_ref())?;
        let ids = self.ids(raw.ids.as_ref())?;
        let (boot_starts, boot_timeout) = self.boot(raw.boot.as_ref())?;
        let container = self.container(raw.container.as_ref())?;
        let battery = self.battery(raw.battery.as_ref())?;
        let steps = self.steps(&raw.step)?;
        self.battery_alone(&raw)?;
        let capacity = self.capacity(raw.capacity.as_ref())?;
        self.capacity_alone(&raw, load)?;
        let fit = self.fit(raw.fit.as_ref())?;
        self.fit_alone(&raw)?;
        let density = self.density(raw.density.as_ref())?;
        self.density_rules(&raw, density.as_ref(), fit.is_some(), load)?;
        let downstream = self.downstream(&raw, &steps)?;
        let first_probe = capacity.map(|c| c.step("probe-1".to_owned(), c.start_rps));
        let warmup = self.warmup(raw.warmup.as_ref(), steps.first().or(first_probe.as_ref()))?;
        if load == LoadMode::ConstantRate {
            self.rated(&raw, &steps, warmup.as_ref())?;
        }
        Ok(Scenario {
            name: self
                .file
                .file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
                .unwrap_or_default(),
            description,
            source: self.file.to_path_buf(),
            stacks,
            rungs,
            sample_interval: Duration::from_millis(sample_interval_ms as u64),
            repeat: repeat as u32,
            workers: workers.map(|workers| workers as usize),
            placement,
            ids,
            boot_starts: boot_starts as u32,
            boot_timeout: boot_timeout.map(|s| Duration::from_secs(s as u64)),
            idle: Duration::from_secs(idle_seconds as u64),
            warmup,
            steps,
            load,
            container,
            battery,
            capacity,
            fit,
            density,
            downstream,
        })
    }

    /// `description`: one sentence, required.
    fn description(&self, value: &Field) -> Result<String, ScenarioError> {
        match value {
            None => Err(self.missing(
                "description",
                None,
                "one sentence saying what the scenario shows".to_owned(),
            )),
            Some(value) => match value.get_ref() {
                Value::String(text) if !text.trim().is_empty() => Ok(text.trim().to_owned()),
                _ => Err(self.invalid(
                    "description",
                    value,
                    "one sentence saying what the scenario shows",
                )),
            },
        }
    }

    /// `rungs`: whether each stack named brings its rungs; false without the key.
    fn rungs(&self, value: &Field) -> Result<bool, ScenarioError> {
        match value {
            None => Ok(false),
            Some(value) => match value.get_ref() {
                Value::Boolean(b) => Ok(*b),
                _ => Err(self.invalid(
                    "rungs",
                    value,
                    "true (each stack named brings the feature ladder's rungs built on it) \
                     or false",
                )),
            },
        }
    }

    /// `coordinated_omission`: Goose's back-fill is gone (the Goose driver records every
    /// request itself, with Goose's own metrics off): only `disabled` is still read, for
    /// older files.
    fn coordinated_omission(&self, value: &Field) -> Result<(), ScenarioError> {
        if let Some(value) = value
            && !matches!(value.get_ref(), Value::String(text) if text == "disabled")
        {
            return Err(self.invalid(
                "coordinated_omission",
                value,
                "\"disabled\" or no key: Goose's back-filled mitigations are no longer \
                 used; for latencies counted from when each request was due, set \
                 load = \"constant-rate\" and give every step a rate",
            ));
        }
        Ok(())
    }

    /// `load`: closed unless given, constant-rate for a capacity search.
    fn load(&self, raw: &RawScenario) -> Result<LoadMode, ScenarioError> {
        Ok(match &raw.load {
            // A capacity search is judged on the constant-rate driver's corrected percentiles.
            None if raw.capacity.is_some() => LoadMode::ConstantRate,
            None => LoadMode::Closed,
            Some(value) => [LoadMode::Closed, LoadMode::ConstantRate]
                .into_iter()
                .find(
                    |mode| matches!(value.get_ref(), Value::String(text) if text == mode.as_str()),
                )
                .ok_or_else(|| {
                    self.invalid("load", value, "one of \"closed\", \"constant-rate\"")
                })?,
        })
    }

    /// `[boot]`: how many cold starts (1 without the table), and how long each may take
    /// (the stack's own allowance without the key).
    fn boot(&self, raw: Option<&Spanned<RawBoot>>) -> Result<(i64, Option<i64>), ScenarioError> {
        let Some(boot) = raw else {
            return Ok((1, None));
        };
        let starts = self.int_or(
            "boot.starts",
            &boot.get_ref().starts,
            &Bounds {
                what: "a whole number of starts",
                min: 1,
                max: 1000,
            },
            1,
        )?;
        let timeout = self.int_opt(
            "boot.timeout_seconds",
            &boot.get_ref().timeout_seconds,
            &Bounds {
                what: "a whole number of seconds",
                min: 1,
                max: 3600,
            },
        )?;
        Ok((starts, timeout))
    }

    /// A battery runs on its own: no steps beside it.
    fn battery_alone(&self, raw: &RawScenario) -> Result<(), ScenarioError> {
        if let (Some(table), Some(step)) = (&raw.battery, raw.step.first()) {
            return Err(self.invalid_found(
                "battery",
                table.span(),
                "a scenario without steps: memory after the battery is compared with the idle \
                 level just before it, so the battery runs on its own",
                format!("[[step]] at line {}", self.line(&step.span())),
            ));
        }
        Ok(())
    }

    /// A capacity search runs without steps or a battery, on a constant-rate load.
    fn capacity_alone(&self, raw: &RawScenario, load: LoadMode) -> Result<(), ScenarioError> {
        let Some(table) = &raw.capacity else {
            return Ok(());
        };
        let other = raw
            .step
            .first()
            .map(|step| format!("[[step]] at line {}", self.line(&step.span())))
            .or_else(|| {
                raw.battery
                    .as_ref()
                    .map(|b| format!("[battery] at line {}", self.line(&b.span())))
            });
        if let Some(other) = other {
            return Err(self.invalid_found(
                "capacity",
                table.span(),
                "a scenario without [[step]] or [battery]: a capacity search chooses its \
                 own rates, so either search or run fixed steps, in separate files",
                other,
            ));
        }
        if load == LoadMode::Closed {
            let span = raw
                .load
                .as_ref()
                .map_or_else(|| table.span(), Spanned::span);
            return Err(self.invalid_found(
                "load",
                span,
                "\"constant-rate\" (or no `load`) with [capacity]: the search judges the \
                 p99 counted from when each request was due",
                quote(load.as_str()),
            ));
        }
        Ok(())
    }

    /// A fit search gives each probe the one step, and runs without another search.
    fn fit_alone(&self, raw: &RawScenario) -> Result<(), ScenarioError> {
        let Some(table) = &raw.fit else {
            return Ok(());
        };
        if raw.step.len() != 1 {
            return Err(self.invalid_found(
                "fit",
                table.span(),
                "exactly one [[step]]: each probe of a fit search gives the service that step",
                format!("{} [[step]] tables", raw.step.len()),
            ));
        }
        if let Some(other) = raw
            .battery
            .as_ref()
            .map(Spanned::span)
            .or_else(|| raw.capacity.as_ref().map(Spanned::span))
        {
            return Err(self.invalid_found(
                "fit",
                table.span(),
                "a scenario without [battery] or [capacity]: a fit search runs its own probes",
                format!("another search at line {}", self.line(&other)),
            ));
        }
        Ok(())
    }

    /// A density run needs a limit (its own or a fit's), one step whose load the replicas
    /// share, and a constant-rate load.
    fn density_rules(
        &self,
        raw: &RawScenario,
        density: Option<&DensityPlan>,
        has_fit: bool,
        load: LoadMode,
    ) -> Result<(), ScenarioError> {
        let (Some(table), Some(plan)) = (&raw.density, density) else {
            return Ok(());
        };
        if plan.limit_mib.is_none() && !has_fit {
            return Err(self.missing(
                "fit",
                Some(table.span()),
                "a [fit] table (the limit of each replica is the stack's fit) or \
                 density.limit_mib"
                    .to_owned(),
            ));
        }
        if raw.step.len() != 1 {
            return Err(self.invalid_found(
                "density",
                table.span(),
                "exactly one [[step]]: its rate and users are shared between the replicas",
                format!("{} [[step]] tables", raw.step.len()),
            ));
        }
        if load == LoadMode::Closed {
            let span = raw
                .load
                .as_ref()
                .map_or_else(|| table.span(), Spanned::span);
            return Err(self.invalid_found(
                "load",
                span,
                "\"constant-rate\" with [density]: each replica is given its share of the \
                 step's rate, all at once",
                quote(load.as_str()),
            ));
        }
        Ok(())
    }

    /// A constant-rate load sends on a schedule: every step, and the warm-up, has a rate.
    fn rated(
        &self,
        raw: &RawScenario,
        steps: &[Step],
        warmup: Option<&Step>,
    ) -> Result<(), ScenarioError> {
        let unrated = steps
            .iter()
            .position(|step| step.rate.is_none())
            .map(|i| (format!("step[{}].rate", i + 1), raw.step[i].span()))
            .or_else(|| {
                warmup.filter(|w| w.rate.is_none()).map(|_| {
                    (
                        "warmup.rate".to_owned(),
                        raw.warmup.as_ref().map_or(0..0, |w| w.span()),
                    )
                })
            });
        if let Some((key, span)) = unrated {
            return Err(self.missing(
                &key,
                Some(span),
                "a rate in requests per second: a constant-rate load sends on a schedule"
                    .to_owned(),
            ));
        }
        Ok(())
    }

    fn container(
        &self,
        raw: Option<&Spanned<RawContainer>>,
    ) -> Result<ContainerLimits, ScenarioError> {
        let defaults = ContainerLimits::default();
        let Some(raw) = raw else {
            return Ok(defaults);
        };
        let table = raw.get_ref();
        let memory_mb = self.int_or(
            "container.memory_mb",
            &table.memory_mb,
            &Bounds {
                what: "a whole number of MiB",
                // The engine refuses less ("Minimum memory limit allowed is 6MB").
                min: i64::from(crate::backend::ENGINE_MIN_MIB),
                max: 1_048_576,
            },
            defaults.memory_mb as i64,
        )?;
        let millicpus = self.int_opt(
            "container.millicpus",
            &table.millicpus,
            &Bounds {
                what: "thousandths of a CPU",
                min: 10,
                max: 1_024_000,
            },
        )?;
        let pids = self.int_or(
            "container.pids",
            &table.pids,
            &Bounds {
                what: "a whole number of tasks",
                min: 16,
                max: 1_000_000,
            },
            defaults.pids as i64,
        )?;
        let replicas = self.int_or(
            "container.replicas",
            &table.replicas,
            &Bounds {
                what: "a whole number of replicas",
                min: 1,
                max: 100,
            },
            1,
        )?;
        Ok(ContainerLimits {
            memory_mb: memory_mb as u64,
            millicpus: millicpus.map(|m| m as u64),
            pids: pids as u64,
            replicas: replicas as u32,
        })
    }

    fn placement(&self, raw: Option<&Spanned<RawPlacement>>) -> Result<Placement, ScenarioError> {
        let Some(raw) = raw else {
            return Ok(Placement {
                service_cpus: vec![1],
                harness_cpus: vec![0],
            });
        };
        let table = raw.get_ref();
        let service_cpus = self.cpus("placement.service_cpus", &table.service_cpus, 1)?;
        let harness_cpus = self.cpus("placement.harness_cpus", &table.harness_cpus, 0)?;
        if let Some(cpu) = harness_cpus.iter().find(|cpu| service_cpus.contains(cpu)) {
            let span = table
                .harness_cpus
                .as_ref()
                .or(table.service_cpus.as_ref())
                .map_or_else(|| raw.span(), Spanned::span);
            return Err(self.invalid_found(
                "placement.harness_cpus",
                span,
                "CPUs apart from placement.service_cpus",
                format!("{cpu} in both"),
            ));
        }
        Ok(Placement {
            service_cpus,
            harness_cpus,
        })
    }

    fn ids(&self, raw: Option<&Spanned<RawIds>>) -> Result<IdMix, ScenarioError> {
        let Some(raw) = raw else {
            return Ok(IdMix {
                seeded: 1.0,
                unknown: 0.0,
                malformed: 0.0,
            });
        };
        let table = raw.get_ref();
        let ids = IdMix {
            seeded: self.share("ids.seeded", &table.seeded, 1.0)?,
            unknown: self.share("ids.unknown", &table.unknown, 0.0)?,
            malformed: self.share("ids.malformed", &table.malformed, 0.0)?,
        };
        let sum = ids.seeded + ids.unknown + ids.malformed;
        if (sum - 1.0).abs() > 1e-6 {
            return Err(self.invalid_found(
                "ids",
                raw.span(),
                "seeded + unknown + malformed = 1",
                format!(
                    "{} + {} + {} = {sum}",
                    ids.seeded, ids.unknown, ids.malformed
                ),
            ));
        }
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::test_support::{ONE_STEP, error, parse_test};
    use super::super::{Battery, CapacityPlan, FitPlan, SECOND};
    use super::*;

    #[test]
    fn defaults() {
        let s = parse_test("description = \"Only a description.\"").unwrap();
        assert_eq!(s.name, "test");
        assert_eq!(s.source, Path::new("scenarios/test.toml"));
        assert_eq!(s.description, "Only a description.");
        assert!(s.stacks.is_empty());
        assert_eq!(s.repeat, 1);
        assert_eq!(s.sample_interval, Duration::from_millis(100));
        assert_eq!(s.workers, None);
        assert_eq!(s.idle, Duration::from_secs(3));
        assert_eq!(s.placement.service_cpus, [1]);
        assert_eq!(s.placement.harness_cpus, [0]);
        assert_eq!(
            s.ids,
            IdMix {
                seeded: 1.0,
                unknown: 0.0,
                malformed: 0.0
            }
        );
        assert_eq!((s.boot_starts, s.boot_timeout), (1, None));
        assert_eq!(s.warmup, None);
        assert!(s.steps.is_empty());
    }

    #[test]
    fn step_and_warmup_defaults() {
        let s = parse_test(
            "description = \"d\"\n\
             [[step]]\nusers = 8\nrate = 1000\nseconds = 20\npause_ms = [5, 10]\n\
             [[step]]\nusers = 16\nseconds = 10\n",
        )
        .unwrap();
        let pause = (Duration::from_millis(5), Duration::from_millis(10));
        assert_eq!(
            s.steps[0],
            Step {
                name: "step-1".to_owned(),
                users: 8,
                rate: Some(1000),
                ramp: SECOND,
                hold: Duration::from_secs(20),
                pause,
            }
        );
        assert_eq!(s.steps[1].name, "step-2");
        assert_eq!(s.steps[1].pause, (Duration::ZERO, Duration::ZERO));
        assert_eq!(
            s.warmup,
            Some(Step {
                name: "warmup".to_owned(),
                users: 8,
                rate: Some(1000),
                ramp: SECOND,
                hold: Duration::from_secs(5),
                pause,
            })
        );
    }

    #[test]
    fn warmup_table_keys_default_one_by_one() {
        let s = parse_test(&format!("{ONE_STEP}[warmup]\nseconds = 7\n")).unwrap();
        let warmup = s.warmup.unwrap();
        assert_eq!((warmup.users, warmup.rate), (8, None));
        assert_eq!(warmup.hold, Duration::from_secs(7));

        let s = parse_test(&format!("{ONE_STEP}[warmup]\nusers = 2\nrate = 10\n")).unwrap();
        let warmup = s.warmup.unwrap();
        assert_eq!((warmup.users, warmup.rate), (2, Some(10)));
        assert_eq!(warmup.hold, Duration::from_secs(5));

        let s = parse_test(&format!("{ONE_STEP}[warmup]\nseconds = 0\n")).unwrap();
        assert_eq!(s.warmup, None);

        let s = parse_test("description = \"d\"\n[warmup]\nseconds = 0\n").unwrap();
        assert_eq!(s.warmup, None);
    }

    #[test]
    fn warmup_needs_a_step() {
        let e = error("description = \"d\"\n[warmup]\nseconds = 5\n");
        assert_eq!(
            e.to_string(),
            "scenarios/test.toml: warmup: a warm-up needs at least one [[step]] or a [capacity] \
             search (line 2)"
        );
        let e = error("description = \"d\"\n[warmup]\nusers = 3\n");
        assert_eq!(e.key(), Some("warmup"));
    }

    #[test]
    fn all_keys_parse() {
        let s = parse_test(
            "description = \"d\"\nstacks = [\"floor\", \"axum\"]\nrepeat = 3\n\
             sample_interval_ms = 250\nworkers = 2\nidle_seconds = 0\n\
             coordinated_omission = \"disabled\"\n\
             [placement]\nservice_cpus = [2, 3]\nharness_cpus = [0, 1]\n\
             [ids]\nseeded = 0.5\nunknown = 0.5\n\
             [boot]\nstarts = 4\ntimeout_seconds = 7\n",
        )
        .unwrap();
        assert_eq!(s.stacks, ["floor", "axum"]);
        assert_eq!((s.repeat, s.workers, s.boot_starts), (3, Some(2), 4));
        assert_eq!(s.boot_timeout, Some(Duration::from_secs(7)));
        assert_eq!(s.sample_interval, Duration::from_millis(250));
        assert_eq!(s.idle, Duration::ZERO);
        assert_eq!(s.placement.service_cpus, [2, 3]);
        assert_eq!(s.placement.harness_cpus, [0, 1]);
        assert_eq!(s.ids.malformed, 0.0);
    }

    #[test]
    fn users_zero_names_the_step() {
        let e = error(
            "description = \"d\"\n\
             [[step]]\nusers = 8\nseconds = 10\n\
             [[step]]\nusers = 0\nseconds = 10\n",
        );
        assert_eq!(
            e.to_string(),
            "scenarios/test.toml: step[2].users: expected a whole number of users from 1 to \
             100000, found 0 (line 6)"
        );
        assert_eq!((e.key(), e.line()), (Some("step[2].users"), Some(6)));
    }

    #[test]
    fn missing_keys() {
        let e = error("stacks = []");
        assert_eq!(
            e.to_string(),
            "scenarios/test.toml: description: missing; expected one sentence saying what the \
             scenario shows"
        );
        let e = error("description = \"d\"\n\n[[step]]\nseconds = 10\n");
        assert_eq!(e.key(), Some("step[1].users"));
        assert!(matches!(e, ScenarioError::Missing { .. }), "{e}");
        assert_eq!(e.line(), Some(3), "{e}");
        let e = error("description = \"d\"\n[[step]]\nusers = 1\n");
        assert_eq!(e.key(), Some("step[1].seconds"));
    }

    #[test]
    fn ids_must_sum_to_one() {
        let e = error("description = \"d\"\n[ids]\nseeded = 0.9\nunknown = 0.08\n");
        assert_eq!(e.key(), Some("ids"));
        assert_eq!(
            e.to_string(),
            "scenarios/test.toml: ids: expected seeded + unknown + malformed = 1, found 0.9 + \
             0.08 + 0 = 0.98 (line 2)"
        );
        let e = error("description = \"d\"\n[ids]\nseeded = 1.5\n");
        assert_eq!(e.key(), Some("ids.seeded"));
        assert!(
            e.to_string()
                .contains("expected a share from 0 to 1, found 1.5"),
            "{e}"
        );
        // Rounding within 1e-6 is accepted.
        parse_test("description = \"d\"\n[ids]\nseeded = 0.7\nunknown = 0.2\nmalformed = 0.1\n")
            .unwrap();
    }

    #[test]
    fn cpus_must_not_overlap() {
        let e =
            error("description = \"d\"\n[placement]\nservice_cpus = [1]\nharness_cpus = [0, 1]\n");
        assert_eq!(
            e.to_string(),
            "scenarios/test.toml: placement.harness_cpus: expected CPUs apart from \
             placement.service_cpus, found 1 in both (line 4)"
        );
        let e = error("description = \"d\"\n[placement]\nharness_cpus = [1]\n");
        assert_eq!(e.key(), Some("placement.harness_cpus"));
        let e = error("description = \"d\"\n[placement]\nservice_cpus = []\n");
        assert_eq!(e.key(), Some("placement.service_cpus"));
        let e = error("description = \"d\"\n[placement]\nservice_cpus = [2, 2]\n");
        assert_eq!(e.key(), Some("placement.service_cpus[2]"));
        let e = error("description = \"d\"\n[placement]\nservice_cpus = [1024]\n");
        assert!(
            e.to_string()
                .contains("expected a CPU number from 0 to 1023, found 1024"),
            "{e}"
        );
    }

    #[test]
    fn battery_table_defaults_bounds_and_no_steps() {
        let s = parse_test("description = \"x\"\n[battery]\n").unwrap();
        assert_eq!(s.battery, Some(Battery::default()));
        let s = parse_test(
            "description = \"x\"\n[battery]\npipelined = 5\nstalled = 3\nburst = 7\nsettle_seconds = 2\n",
        )
        .unwrap();
        let b = s.battery.unwrap();
        assert_eq!((b.pipelined, b.stalled, b.burst), (5, 3, 7));
        assert_eq!(b.settle, Duration::from_secs(2));
        assert_eq!(
            s.clone().quick().battery.unwrap().settle,
            Duration::from_secs(2)
        );
        assert!(
            parse_test("description = \"x\"\n")
                .unwrap()
                .battery
                .is_none()
        );

        let e = error("description = \"x\"\n[battery]\nburst = 0\n");
        assert_eq!((e.key(), e.line()), (Some("battery.burst"), Some(3)));
        let e = error("description = \"x\"\n[battery]\nretries = 2\n");
        assert_eq!(e.key(), Some("battery.retries"), "{e}");

        let e = error("description = \"x\"\n[battery]\n\n[[step]]\nusers = 1\nseconds = 1\n");
        assert_eq!((e.key(), e.line()), (Some("battery"), Some(2)));
        assert!(e.to_string().contains("without steps"), "{e}");
        assert!(e.to_string().contains("[[step]] at line 4"), "{e}");
    }

    const CAPACITY: &str = "description = \"d\"\n[capacity]\n";

    #[test]
    fn capacity_defaults_and_its_warmup() {
        let s = parse_test(CAPACITY).unwrap();
        let c = s.capacity.unwrap();
        assert_eq!(c, CapacityPlan::default());
        assert_eq!(c.slo_p99, Duration::from_millis(10));
        assert_eq!((c.max_error_ratio, c.resolution), (0.001, 0.05));
        assert_eq!((c.start_rps, c.max_rps, c.users), (500, 200_000, 32));
        assert_eq!(c.probe, Duration::from_secs(10));
        assert_eq!(s.load, LoadMode::ConstantRate, "implied by the table");
        assert!(s.steps.is_empty());
        // The warm-up is 5 s of the first probe.
        let warmup = s.warmup.unwrap();
        assert_eq!((warmup.users, warmup.rate), (32, Some(500)));
        assert_eq!(warmup.hold, Duration::from_secs(5));

        let s = parse_test(
            "description = \"d\"\nload = \"constant-rate\"\n[warmup]\nseconds = 0\n\
             [capacity]\nslo_p99_ms = 25\nmax_error_ratio = 0\nstart_rps = 100\nmax_rps = 100\n\
             probe_seconds = 2\nresolution = 0.1\nusers = 4\n",
        )
        .unwrap();
        assert_eq!(s.warmup, None);
        assert_eq!(
            s.capacity,
            Some(CapacityPlan {
                slo_p99: Duration::from_millis(25),
                max_error_ratio: 0.0,
                start_rps: 100,
                max_rps: 100,
                probe: Duration::from_secs(2),
                resolution: 0.1,
                users: 4,
            })
        );
        let q = s.quick();
        let c = q.capacity.unwrap();
        assert_eq!((c.probe, c.resolution), (SECOND, 0.25));
        assert!(
            parse_test("description = \"d\"\n")
                .unwrap()
                .capacity
                .is_none()
        );
    }

    #[test]
    fn capacity_keys_are_checked() {
        for (text, key) in [
            ("slo_p99_ms = 0", "capacity.slo_p99_ms"),
            ("slo_p99_ms = 60001", "capacity.slo_p99_ms"),
            ("max_error_ratio = 1.5", "capacity.max_error_ratio"),
            ("start_rps = 0", "capacity.start_rps"),
            ("max_rps = 1000001", "capacity.max_rps"),
            ("probe_seconds = 0", "capacity.probe_seconds"),
            ("resolution = 0", "capacity.resolution"),
            ("resolution = 0.6", "capacity.resolution"),
            ("users = 0", "capacity.users"),
            ("slo_ms = 10", "capacity.slo_ms"),
        ] {
            assert_eq!(
                error(&format!("{CAPACITY}{text}\n")).key(),
                Some(key),
                "{text}"
            );
        }
        let e = error(&format!("{CAPACITY}resolution = 0.75\n"));
        assert_eq!(
            e.to_string(),
            "scenarios/test.toml: capacity.resolution: expected a share from 0.001 to 0.5 \
             (0.05: within 5 %), found 0.75 (line 3)"
        );
        let e = error(&format!("{CAPACITY}start_rps = 5000\nmax_rps = 4000\n"));
        assert_eq!(
            e.to_string(),
            "scenarios/test.toml: capacity.max_rps: expected a rate at least \
             capacity.start_rps (5000), found 4000 (line 4)"
        );
        let e = error("description = \"d\"\ncapacity = 3\n");
        assert_eq!(e.key(), Some("capacity"));
        assert!(e.to_string().contains("a [capacity] table"), "{e}");
    }

    #[test]
    fn capacity_goes_alone() {
        let e = error(&format!(
            "{CAPACITY}\n[[step]]\nusers = 1\nrate = 5\nseconds = 1\n"
        ));
        assert_eq!((e.key(), e.line()), (Some("capacity"), Some(2)));
        assert!(
            e.to_string().contains("either search or run fixed steps")
                && e.to_string().contains("found [[step]] at line 4"),
            "{e}"
        );
        let e = error(&format!("{CAPACITY}\n[battery]\n"));
        assert_eq!(e.key(), Some("capacity"));
        assert!(e.to_string().contains("found [battery] at line 4"), "{e}");
        let e = error("description = \"d\"\nload = \"closed\"\n[capacity]\n");
        assert_eq!((e.key(), e.line()), (Some("load"), Some(2)));
        assert!(
            e.to_string()
                .contains("\"constant-rate\" (or no `load`) with [capacity]"),
            "{e}"
        );
        // A warm-up asking for users but no rate is still refused under a constant rate.
        let e = error(&format!("{CAPACITY}[warmup]\nusers = 2\n"));
        assert_eq!(e.key(), Some("warmup.rate"));
    }

    const FIT: &str = "description = \"d\"\nload = \"constant-rate\"\n[[step]]\nusers = 4\nrate = 100\nseconds = 2\n[fit]\n";

    #[test]
    fn fit_and_density_defaults_quick_and_toml() {
        let s = parse_test(FIT).unwrap();
        let f = s.fit.unwrap();
        assert_eq!(f, FitPlan::default());
        assert_eq!((f.max_mib, f.min_mib, f.resolution_mib), (512, 1, 1));
        assert_eq!(f.latency_floor, Duration::from_millis(10));
        assert!(s.density.is_none());
        assert_eq!(s.clone().quick().fit.unwrap().resolution_mib, 8, "512 / 64");
        let text = format!(
            "{FIT}max_mib = 64\nmin_mib = 6\nlatency_factor = 1.5\n[density]\nnode_mib = 512\nlimit_mib = 8\n"
        );
        let s = parse_test(&text).unwrap();
        assert_eq!(s.fit.unwrap().latency_factor, 1.5);
        assert_eq!(
            s.density,
            Some(DensityPlan {
                node_mib: 512,
                max_replicas: 400,
                limit_mib: Some(8),
            })
        );
        // The plan written back reads as the same plan.
        assert_eq!(parse_test(&s.to_toml()).unwrap(), s);
    }

    #[test]
    fn fit_and_density_refusals_name_the_key() {
        for (text, key) in [
            ("min_mib = 0", "fit.min_mib"),
            ("max_mib = 0", "fit.max_mib"),
            ("max_mib = 8\nmin_mib = 16", "fit.min_mib"),
            ("resolution_mib = 0", "fit.resolution_mib"),
            ("latency_factor = 0.5", "fit.latency_factor"),
            ("probe_timeout_seconds = 1", "fit.probe_timeout_seconds"),
            ("max_error_ratio = 2", "fit.max_error_ratio"),
            ("[density]\nnode_mib = 5", "density.node_mib"),
            (
                "[density]\nnode_mib = 64\nlimit_mib = 128",
                "density.limit_mib",
            ),
            ("[density]\nlimit_mib = 3", "density.limit_mib"),
        ] {
            assert_eq!(error(&format!("{FIT}{text}\n")).key(), Some(key), "{text}");
        }
        let e = error(&format!("{FIT}min_mib = 16\nmax_mib = 8\n"));
        assert!(e.to_string().contains("at most fit.max_mib (8)"), "{e}");
        let e = error("description = \"d\"\nload = \"constant-rate\"\n[fit]\n");
        assert_eq!(e.key(), Some("fit"));
        assert!(e.to_string().contains("exactly one [[step]]"), "{e}");
        // A density needs a fit (or a limit), and a constant rate to share.
        let e = error(
            "description = \"d\"\nload = \"constant-rate\"\n[[step]]\nusers = 4\nrate = 100\nseconds = 2\n[density]\n",
        );
        assert_eq!(e.key(), Some("fit"));
        assert!(e.to_string().contains("density.limit_mib"), "{e}");
        let e = error(
            "description = \"d\"\n[[step]]\nusers = 4\nrate = 100\nseconds = 2\n[fit]\n[density]\n",
        );
        assert_eq!(e.key(), Some("load"));
        assert!(e.to_string().contains("with [density]"), "{e}");
    }

    #[test]
    fn constant_rate_needs_a_rate_everywhere() {
        let s = parse_test(
            "description = \"d\"\nload = \"constant-rate\"\n[[step]]\nusers = 2\nrate = 10\nseconds = 1\n",
        )
        .unwrap();
        assert_eq!(s.load, LoadMode::ConstantRate);
        assert_eq!(s.warmup.unwrap().rate, Some(10));
        let e = error(
            "description = \"d\"\nload = \"constant-rate\"\n[[step]]\nusers = 2\nrate = 10\nseconds = 1\n\
             [[step]]\nusers = 2\nseconds = 1\n",
        );
        assert_eq!(e.key(), Some("step[2].rate"));
        let e = error(
            "description = \"d\"\nload = \"constant-rate\"\n[warmup]\nusers = 2\n\
             [[step]]\nusers = 2\nrate = 10\nseconds = 1\n",
        );
        assert_eq!(e.key(), Some("warmup.rate"));
        let e = error("description = \"d\"\nload = \"open\"\n");
        assert_eq!(e.key(), Some("load"));
        assert_eq!(
            parse_test("description = \"d\"\n").unwrap().load,
            LoadMode::Closed
        );
    }

    #[test]
    fn coordinated_omission_must_be_known() {
        let e = error("description = \"d\"\ncoordinated_omission = \"average\"\n");
        let text = e.to_string();
        assert!(
            text.starts_with("scenarios/test.toml: coordinated_omission: expected \"disabled\""),
            "{text}"
        );
        assert!(text.contains("load = \"constant-rate\""), "{text}");
        assert!(text.ends_with("found \"average\" (line 2)"), "{text}");
    }

    #[test]
    fn names_are_checked() {
        let e = error(&format!("{ONE_STEP}name = \"Step One\"\n"));
        assert_eq!(
            e.to_string(),
            "scenarios/test.toml: step[1].name: expected a step name matching \
             ^[a-z0-9][a-z0-9-]*$, found \"Step One\" (line 5)"
        );
        let e = error("description = \"d\"\nstacks = [\"axum\", \"-x\"]\n");
        assert_eq!(e.key(), Some("stacks[2]"));
        let e = error("description = \"d\"\nstacks = [\"axum\", \"axum\"]\n");
        assert!(
            e.to_string()
                .contains("expected each stack once, found \"axum\" again"),
            "{e}"
        );
        let e = error(&format!("{ONE_STEP}name = \"warmup\"\n"));
        assert_eq!(e.key(), Some("step[1].name"));
        // An explicit name may not take a later step's default name.
        let e = error(&format!(
            "{ONE_STEP}name = \"step-2\"\n[[step]]\nusers = 1\nseconds = 1\n"
        ));
        assert_eq!(e.key(), Some("step[2].name"));
        assert!(e.to_string().contains("found \"step-2\" again"), "{e}");
    }

    #[test]
    fn ranges_are_checked() {
        for (text, key) in [
            ("repeat = 0", "repeat"),
            ("repeat = 101", "repeat"),
            ("sample_interval_ms = 9", "sample_interval_ms"),
            ("workers = 0", "workers"),
            ("idle_seconds = 3601", "idle_seconds"),
            ("idle_seconds = 1.5", "idle_seconds"),
            ("description = \"  \"", "description"),
            ("stacks = \"axum\"", "stacks"),
            ("[boot]\nstarts = 1001", "boot.starts"),
            ("[boot]\ntimeout_seconds = 0", "boot.timeout_seconds"),
        ] {
            let text = if text.starts_with("description") {
                text.to_owned()
            } else {
                format!("description = \"d\"\n{text}\n")
            };
            assert_eq!(error(&text).key(), Some(key), "{text}");
        }
        for (step, key) in [
            ("rate = 0", "step[1].rate"),
            ("rate = 1000001", "step[1].rate"),
            ("seconds = 0", "step[1].seconds"),
            ("ramp_seconds = -1", "step[1].ramp_seconds"),
            ("pause_ms = [10, 5]", "step[1].pause_ms"),
            ("pause_ms = [0, 600001]", "step[1].pause_ms"),
            ("pause_ms = [5]", "step[1].pause_ms"),
        ] {
            let hold = if step.starts_with("seconds") {
                ""
            } else {
                "seconds = 10\n"
            };
            let text = format!("description = \"d\"\n[[step]]\nusers = 8\n{hold}{step}\n");
            assert_eq!(error(&text).key(), Some(key), "{text}");
        }
        let e = error(&format!("{ONE_STEP}[warmup]\nseconds = 3601\n"));
        assert_eq!(e.key(), Some("warmup.seconds"));
    }
}
