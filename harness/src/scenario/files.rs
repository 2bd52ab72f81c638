//! Scenario files found by name or path, read, and listed.

use std::path::{Path, PathBuf};

use super::{Scenario, ScenarioError, parse};

/// Reads and parses the scenario file at `path`.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
        file: path.to_path_buf(),
        source,
    })?;
    parse(&text, path)
}

/// Finds a scenario: a bare name (`ramp`) is `<scenarios_dir>/ramp.toml`; anything containing
/// `/` or ending in `.toml` is a path. A missing file is an error listing the available names.
pub fn resolve(name_or_path: &str, scenarios_dir: &Path) -> Result<PathBuf, ScenarioError> {
    let path = if name_or_path.contains('/') || name_or_path.ends_with(".toml") {
        PathBuf::from(name_or_path)
    } else {
        scenarios_dir.join(format!("{name_or_path}.toml"))
    };
    if path.is_file() {
        Ok(path)
    } else {
        Err(ScenarioError::NotFound {
            file: path,
            available: names(scenarios_dir),
        })
    }
}

/// The scenarios in `scenarios_dir` as (name, description), sorted by name.
///
/// A file that does not load is still listed, with the reason in place of its description.
pub fn available(scenarios_dir: &Path) -> Vec<(String, String)> {
    names(scenarios_dir)
        .into_iter()
        .map(|name| {
            let description = match load(&scenarios_dir.join(format!("{name}.toml"))) {
                Ok(scenario) => scenario.description,
                Err(error) => format!("(cannot be used: {error})"),
            };
            (name, description)
        })
        .collect()
}

/// Stems of the `*.toml` files in `dir`, sorted; none if the directory cannot be read.
pub(super) fn names(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_file() && path.extension().is_some_and(|ext| ext == "toml"))
        .filter_map(|path| path.file_stem()?.to_str().map(str::to_owned))
        .collect();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::test_support::{scenarios_dir, shipped};
    use super::super::{LoadMode, SECOND};
    use super::*;

    #[test]
    fn every_shipped_scenario_parses() {
        let scenarios = shipped();
        let names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
        for expected in [
            "boot",
            "capacity",
            "idle",
            "ramp",
            "robustness",
            "seed",
            "soak",
            "spike",
            "steady",
        ] {
            assert!(
                names.contains(&expected),
                "{expected} missing from {names:?}"
            );
        }
        for scenario in &scenarios {
            assert!(!scenario.description.is_empty());
            assert_eq!(scenario.placement.service_cpus, [1]);
            assert_eq!(scenario.placement.harness_cpus, [0]);
        }
    }

    #[test]
    fn default_ramp_fits_in_four_minutes_for_four_stacks() {
        let ramp = load(&scenarios_dir().join("ramp.toml")).unwrap();
        let load_time: Duration = ramp.idle
            + ramp
                .warmup
                .iter()
                .chain(&ramp.steps)
                .map(|s| s.ramp + s.hold)
                .sum::<Duration>();
        assert!(load_time <= Duration::from_secs(55), "{load_time:?}");
        assert_eq!(ramp.ids.seeded, 0.9);
        assert_eq!(ramp.boot_starts, 1);
    }

    #[test]
    fn shipped_shapes() {
        let dir = scenarios_dir();
        let get = |name: &str| load(&dir.join(format!("{name}.toml"))).unwrap();

        let idle = get("idle");
        assert!(idle.steps.is_empty() && idle.warmup.is_none());
        assert_eq!(idle.idle, Duration::from_secs(30));

        let boot = get("boot");
        assert!(boot.steps.is_empty() && boot.warmup.is_none());
        assert_eq!((boot.idle, boot.boot_starts), (Duration::ZERO, 10));

        let seed = get("seed");
        let step = &seed.steps[0];
        assert_eq!((step.users, step.rate), (1000, None));
        assert_eq!(step.ramp, Duration::from_secs(10));
        assert_eq!(step.hold, Duration::from_secs(30));
        assert_eq!(step.pause, (SECOND, SECOND));
        assert_eq!(seed.ids.seeded, 1.0);
        let warmup = seed.warmup.unwrap();
        assert_eq!(
            (warmup.users, warmup.rate, warmup.pause),
            (100, None, (SECOND, SECOND))
        );

        let spike = get("spike");
        let users: Vec<usize> = spike.steps.iter().map(|s| s.users).collect();
        assert_eq!(users, [8, 128, 8]);
        assert_eq!(spike.steps[1].rate, None);

        let soak = get("soak");
        assert_eq!(soak.steps[0].hold, Duration::from_secs(600));
        let steady = get("steady");
        assert_eq!(
            (steady.steps[0].users, steady.steps[0].rate),
            (32, Some(2000))
        );
        assert_eq!(steady.load, LoadMode::ConstantRate);
        // Three repeats by default, except the ten-minute soak; `--quick` makes it one.
        for name in ["ramp", "steady", "spike", "idle", "boot", "seed"] {
            assert_eq!(get(name).repeat, 3, "{name}");
            assert_eq!(get(name).quick().repeat, 1, "{name}");
        }
        assert_eq!(soak.repeat, 1);

        let capacity = get("capacity");
        let plan = capacity.capacity.unwrap();
        assert!(capacity.steps.is_empty());
        assert_eq!(capacity.load, LoadMode::ConstantRate);
        assert_eq!(capacity.ids.seeded, 1.0, "seeded ids only");
        assert_eq!(plan.slo_p99, Duration::from_millis(10));
        assert_eq!(plan.max_error_ratio, 0.001);
        assert_eq!(capacity.placement.service_cpus, [1], "one core");
        assert_eq!(capacity.repeat, 3);
        let quick = capacity.quick();
        assert_eq!((quick.repeat, quick.capacity.unwrap().probe), (1, SECOND));
    }

    #[test]
    fn available_lists_sorted_names_with_descriptions() {
        let list = available(&scenarios_dir());
        let names: Vec<&str> = list.iter().map(|(name, _)| name.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        assert!(names.contains(&"ramp"));
        assert!(
            list.iter()
                .all(|(_, description)| !description.starts_with("(cannot"))
        );
        assert!(available(Path::new("/nonexistent/scenarios")).is_empty());
    }

    #[test]
    fn resolve_names_and_paths() {
        let dir = scenarios_dir();
        assert_eq!(resolve("ramp", &dir).unwrap(), dir.join("ramp.toml"));
        let path = dir.join("steady.toml");
        let path = path.to_str().unwrap();
        assert_eq!(resolve(path, &dir).unwrap(), PathBuf::from(path));

        let error = resolve("rmap", &dir).unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("rmap.toml: no such scenario; available: "),
            "{message}"
        );
        assert!(
            message.contains(
                "backends, boot, capacity, density, fit, idle, ladder, landscape, ramp, resilience, robustness, seed, soak, soak-rss, spike, steady"
            ),
            "{message}"
        );

        let error = resolve("elsewhere.toml", &dir).unwrap_err();
        assert_eq!(error.file(), Path::new("elsewhere.toml"));
        assert!(
            error.to_string().contains("available: backends, boot"),
            "{error}"
        );
    }

    #[test]
    fn load_reports_unreadable_file() {
        let error = load(Path::new("/nonexistent/x.toml")).unwrap_err();
        assert!(matches!(error, ScenarioError::Read { .. }));
        assert!(
            error
                .to_string()
                .starts_with("/nonexistent/x.toml: cannot read: "),
            "{error}"
        );
    }
}
