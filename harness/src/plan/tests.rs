//! The plan from arguments and scenario texts: the stacks resolved, the flags applied, and
//! every refusal with the words the user reads. No file is read, nothing starts.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use super::*;
use crate::backend::{Backend, BackendError, Instance, ServiceSpec};
use crate::model::BackendTraits;

/// Two steps, no stacks named: every stack runs.
const PLAIN: &str = "description = \"d\"\n[[step]]\nusers = 1\nseconds = 1\n\
                     [[step]]\nusers = 2\nseconds = 1\n";

/// One constant-rate step and a `[fit]` (its `min_mib` follows).
const FIT: &str = "description = \"d\"\nload = \"constant-rate\"\n[[step]]\nusers = 1\nrate = 10\n\
                   seconds = 1\n[fit]\n";

fn parse(text: &str, file: &str) -> Scenario {
    crate::scenario::parse(text, Path::new(file)).unwrap()
}

fn plain() -> Scenario {
    parse(PLAIN, "scenarios/plain.toml")
}

/// A scenario deploying the quotes service, with `downstream` added to its table.
fn landscape(downstream: &str) -> Scenario {
    parse(
        &format!("{PLAIN}[downstream]\nservice = \"quotes\"\n{downstream}"),
        "scenarios/landscape.toml",
    )
}

/// A density scenario (`[fit]` then `[density]` with `density`).
fn density(density: &str) -> Scenario {
    parse(
        &format!("{FIT}min_mib = 6\n[density]\n{density}"),
        "scenarios/density.toml",
    )
}

fn fit(min_mib: u32) -> Scenario {
    parse(&format!("{FIT}min_mib = {min_mib}\n"), "scenarios/fit.toml")
}

fn args(stacks: &[&str]) -> PlanArgs {
    PlanArgs {
        stacks: Some(stacks.iter().map(|s| (*s).to_owned()).collect()),
        root: PathBuf::from("project"),
        ..PlanArgs::default()
    }
}

fn names(plan: &Plan) -> Vec<&'static str> {
    plan.stacks.iter().map(|s| s.name).collect()
}

fn refusal(args: &PlanArgs, scenario: Scenario) -> PlanError {
    build(args, scenario).unwrap_err()
}

#[test]
fn without_stacks_named_the_scenarios_or_every_stack_runs() {
    let plan = build(&PlanArgs::default(), plain()).unwrap();
    let every: Vec<&str> = crate::stacks::stacks().iter().map(|s| s.name).collect();
    assert_eq!(names(&plan), every);
    assert!(plan.notes.is_empty());

    let named = parse(
        &format!("stacks = [\"go\", \"floor\"]\n{PLAIN}"),
        "scenarios/two.toml",
    );
    let plan = build(&PlanArgs::default(), named.clone()).unwrap();
    assert_eq!(names(&plan), ["go", "floor"], "the file's order");
    let plan = build(&args(&["hyper"]), named).unwrap();
    assert_eq!(names(&plan), ["hyper"], "--stacks wins over the file");
    assert_eq!(plan.stack("hyper").map(|s| s.name), Some("hyper"));
    assert!(plan.stack("go").is_none());
    assert_eq!(plan.stack_names(), ["hyper"]);
}

#[test]
fn the_plan_carries_what_the_run_needs() {
    let plan = build(&args(&["floor"]), plain()).unwrap();
    assert_eq!(plan.out, Path::new("project").join("results"));
    assert_eq!(plan.root, Path::new("project"));
    assert_eq!(plan.backend, Kind::Auto);
    assert_eq!(plan.publish, Publish::Host);
    assert!(plan.load_workers.is_none() && plan.registry.is_none());

    let asked = PlanArgs {
        out: Some(PathBuf::from("elsewhere")),
        backend: Kind::Swarm,
        init_swarm: true,
        registry: Some("registry.lan:5000".into()),
        keep_images: true,
        mesh: true,
        expose: true,
        load_workers: Some(3),
        wait: true,
        quiet: true,
        ..args(&["floor"])
    };
    let plan = build(&asked, plain()).unwrap();
    assert_eq!(plan.out, Path::new("elsewhere"));
    assert_eq!(plan.backend, Kind::Swarm);
    assert!(plan.init_swarm && plan.keep_images && plan.expose && plan.wait && plan.quiet);
    assert_eq!(plan.publish, Publish::Mesh);
    assert_eq!(plan.registry.as_deref(), Some("registry.lan:5000"));
    assert_eq!(
        plan.load_workers,
        Some(LoadWorkersPlan {
            count: 3,
            coordinator: SocketAddr::from(([127, 0, 0, 1], 0)),
            spread: true,
        }),
        "a registry spreads the workers over the nodes; the coordinator on a free port here"
    );
    let coordinator: SocketAddr = "10.0.0.1:7000".parse().unwrap();
    let asked = PlanArgs {
        backend: Kind::Swarm,
        load_workers: Some(1),
        coordinator: Some(coordinator),
        ..args(&["floor"])
    };
    let workers = build(&asked, plain()).unwrap().load_workers.unwrap();
    assert_eq!((workers.coordinator, workers.spread), (coordinator, false));
}

#[test]
fn quick_repeat_and_node_mib_change_the_scenario() {
    let asked = PlanArgs {
        quick: true,
        repeat: Some(4),
        ..args(&["floor"])
    };
    let plan = build(&asked, parse(&format!("repeat = 2\n{PLAIN}"), "s.toml")).unwrap();
    let mut quick = parse(&format!("repeat = 2\n{PLAIN}"), "s.toml").quick();
    quick.repeat = 4;
    assert_eq!(plan.scenario.to_toml(), quick.to_toml());
    assert_eq!(build(&args(&["floor"]), plain()).unwrap().scenario, plain());

    let asked = PlanArgs {
        node_mib: Some(512),
        ..args(&["floor"])
    };
    let plan = build(&asked, density("limit_mib = 64\n")).unwrap();
    assert_eq!(plan.scenario.density.unwrap().node_mib, 512);
    let plan = build(&asked, density("")).unwrap();
    assert_eq!(
        plan.scenario.density.unwrap().node_mib,
        512,
        "no limit of its own"
    );
}

#[test]
fn node_mib_needs_a_density_that_holds_one_replica() {
    let asked = PlanArgs {
        node_mib: Some(32),
        ..args(&["floor"])
    };
    let e = refusal(&asked, plain());
    assert_eq!(
        e,
        PlanError::NodeMibWithoutDensity {
            file: PathBuf::from("scenarios/plain.toml")
        }
    );
    assert_eq!(
        e.to_string(),
        "--node-mib needs a scenario with a [density] table (scenarios/plain.toml has none)"
    );
    let e = refusal(&asked, density("limit_mib = 64\n"));
    assert_eq!(
        e,
        PlanError::NodeMibUnderReplica {
            node_mib: 32,
            file: PathBuf::from("scenarios/density.toml"),
            limit: 64,
        }
    );
    assert_eq!(
        e.to_string(),
        "--node-mib 32: smaller than one replica (scenarios/density.toml: density.limit_mib = 64)"
    );
    let asked = PlanArgs {
        node_mib: Some(64),
        ..asked
    };
    assert!(
        build(&asked, density("limit_mib = 64\n")).is_ok(),
        "one replica fits"
    );
}

#[test]
fn an_unknown_stack_is_refused_naming_every_known_one() {
    let e = refusal(&args(&["floor", "cobol", "fortran"]), plain());
    let known = crate::stacks::known_names().join(", ");
    assert_eq!(
        e,
        PlanError::UnknownStack {
            name: "cobol".into(),
            known: known.clone(),
        },
        "the first unknown"
    );
    assert_eq!(
        e.to_string(),
        format!("unknown stack \"cobol\"; known stacks: {known}")
    );
    assert!(known.contains("axum+quotes") && known.contains("axum@log"));
    let named = parse(&format!("stacks = [\"cobol\"]\n{PLAIN}"), "s.toml");
    assert!(matches!(
        refusal(&PlanArgs::default(), named),
        PlanError::UnknownStack { .. }
    ));
}

#[test]
fn a_variant_needs_a_scenario_deploying_its_downstream() {
    let e = refusal(&args(&["floor", "axum+quotes"]), plain());
    assert_eq!(
        e,
        PlanError::VariantWithoutDownstream {
            variant: "axum+quotes".into(),
            file: PathBuf::from("scenarios/plain.toml"),
            base: "axum".into(),
        }
    );
    assert_eq!(
        e.to_string(),
        "axum+quotes calls the quotes service, which scenarios/plain.toml does not deploy: use a \
         scenario with a [downstream] table (landscape, resilience) or the stack axum"
    );
}

#[test]
fn each_variant_brings_its_base_unless_the_scenario_says_not_to() {
    let plan = build(&args(&["axum+quotes", "go", "go+quotes"]), landscape("")).unwrap();
    assert_eq!(names(&plan), ["axum", "axum+quotes", "go", "go+quotes"]);
    assert_eq!(
        plan.notes,
        [
            "measuring axum too: the report sets each landscape variant beside its base \
             (`bases = false` in scenarios/landscape.toml's [downstream] leaves them out)"
        ]
    );
    let plan = build(&args(&["axum", "axum+quotes"]), landscape("")).unwrap();
    assert_eq!(names(&plan), ["axum", "axum+quotes"]);
    assert!(plan.notes.is_empty(), "nothing added, nothing said");
    let plan = build(&args(&["axum+quotes"]), landscape("bases = false\n")).unwrap();
    assert_eq!(names(&plan), ["axum+quotes"]);
    assert!(plan.notes.is_empty());
}

#[test]
fn rungs_come_after_their_stack_from_the_flag_or_the_file() {
    let asked = PlanArgs {
        rungs: true,
        ..args(&["axum", "floor"])
    };
    let plan = build(&asked, plain()).unwrap();
    let rungs: Vec<&str> = crate::stacks::rungs()
        .iter()
        .filter(|r| r.base_name() == "axum")
        .map(|r| r.name)
        .collect();
    assert!(rungs.contains(&"axum@log"), "{rungs:?}");
    let mut expected = vec!["axum"];
    expected.extend(&rungs);
    expected.push("floor");
    assert_eq!(
        names(&plan),
        expected,
        "each rung after its stack; floor has none"
    );
    assert!(plan.scenario.rungs, "the scenario written says so");
    assert_eq!(
        plan.notes,
        [format!(
            "measuring {} too: --rungs measures each stack's rungs beside it",
            rungs.join(", ")
        )]
    );

    let file = parse(&format!("rungs = true\n{PLAIN}"), "scenarios/ladder.toml");
    let plan = build(&args(&["axum"]), file.clone()).unwrap();
    assert_eq!(
        plan.notes,
        [format!(
            "measuring {} too: scenarios/ladder.toml measures each stack's rungs beside it \
             (`rungs = false` leaves them out)",
            rungs.join(", ")
        )]
    );
    let plan = build(&args(&["floor"]), file).unwrap();
    assert_eq!(names(&plan), ["floor"]);
    assert!(plan.notes.is_empty(), "no rung built on it");
}

#[test]
fn bases_and_rungs_together_make_two_notes() {
    let asked = PlanArgs {
        rungs: true,
        ..args(&["axum+quotes"])
    };
    let plan = build(&asked, landscape("")).unwrap();
    assert_eq!(names(&plan)[..2], ["axum", "axum@log"]);
    assert_eq!(names(&plan).last(), Some(&"axum+quotes"));
    assert_eq!(plan.notes.len(), 2);
    assert!(plan.notes[0].starts_with("measuring axum too: "));
    assert!(plan.notes[1].starts_with("measuring axum@log, "));
}

#[test]
fn init_swarm_needs_the_swarm_backend() {
    for backend in [Kind::Auto, Kind::Local, Kind::Docker] {
        let asked = PlanArgs {
            backend,
            init_swarm: true,
            ..args(&["floor"])
        };
        let e = refusal(&asked, plain());
        assert_eq!(e, PlanError::InitSwarmWithoutSwarm);
        assert_eq!(e.to_string(), "--init-swarm needs --backend swarm");
    }
    let asked = PlanArgs {
        backend: Kind::Swarm,
        init_swarm: true,
        ..args(&["floor"])
    };
    assert!(build(&asked, plain()).is_ok());
}

#[test]
fn a_registry_is_host_and_port() {
    for good in ["127.0.0.1:5000", "registry.lan:443", "my-host:1"] {
        let asked = PlanArgs {
            registry: Some(good.into()),
            ..args(&["floor"])
        };
        assert!(build(&asked, plain()).is_ok(), "{good}");
    }
    for bad in [
        "",
        "host",
        ":5000",
        "host:0",
        "host:65536",
        "host:port",
        "a b:5000",
    ] {
        let asked = PlanArgs {
            registry: Some(bad.into()),
            ..args(&["floor"])
        };
        let e = refusal(&asked, plain());
        assert_eq!(
            e,
            PlanError::Registry {
                registry: bad.into()
            }
        );
        assert_eq!(
            e.to_string(),
            format!("--registry {bad:?}: expected HOST:PORT, e.g. 127.0.0.1:5000")
        );
    }
}

#[test]
fn load_workers_need_a_backend_that_runs_them_and_no_density() {
    for (backend, name) in [(Kind::Local, "local"), (Kind::Docker, "docker")] {
        let asked = PlanArgs {
            backend,
            load_workers: Some(2),
            ..args(&["floor"])
        };
        let e = refusal(&asked, plain());
        assert_eq!(
            e,
            PlanError::LoadWorkersBackend {
                count: 2,
                backend: name
            }
        );
        assert_eq!(
            e.to_string(),
            format!(
                "--load-workers 2: the {name} backend cannot run load workers, which are swarm \
                 services: use --backend swarm (--init-swarm makes a single-node swarm)"
            )
        );
    }
    for backend in [Kind::Auto, Kind::Swarm] {
        let asked = PlanArgs {
            backend,
            load_workers: Some(2),
            ..args(&["floor"])
        };
        assert!(
            build(&asked, plain()).is_ok(),
            "known once the backend is chosen"
        );
        let e = refusal(&asked, density(""));
        assert_eq!(
            e,
            PlanError::DensityWithLoadWorkers {
                file: PathBuf::from("scenarios/density.toml")
            }
        );
        assert_eq!(
            e.to_string(),
            "scenarios/density.toml: [density] with --load-workers: a density run loads its \
             replicas at once from one schedule, which the workers do not share; run it without \
             --load-workers"
        );
    }
}

#[test]
fn a_density_on_a_backend_named_without_nodes_is_refused_before_the_run() {
    for (backend, name) in [(Kind::Local, "local"), (Kind::Docker, "docker")] {
        let asked = PlanArgs {
            backend,
            load_workers: Some(2),
            ..args(&["floor"])
        };
        let e = refusal(&asked, density(""));
        assert_eq!(
            e,
            PlanError::DensityWithoutNode {
                file: PathBuf::from("scenarios/density.toml"),
                backend: name,
            },
            "the backend's refusal first, as once it is chosen"
        );
        assert_eq!(
            e.to_string(),
            format!(
                "scenarios/density.toml: [density] on the {name} backend: packing replicas needs \
                 a backend that reserves memory per replica on a node; use --backend swarm"
            )
        );
    }
    for backend in [Kind::Auto, Kind::Swarm] {
        let asked = PlanArgs {
            backend,
            ..args(&["floor"])
        };
        assert!(build(&asked, density("")).is_ok(), "known once chosen");
    }
}

/// A backend as the checks see it: its floor, its node, whether it runs load workers.
struct Abilities {
    floor: Result<u32, String>,
    node: Option<u64>,
    workers: bool,
}

impl Default for Abilities {
    fn default() -> Self {
        Self {
            floor: Ok(6),
            node: None,
            workers: false,
        }
    }
}

impl Backend for Abilities {
    fn name(&self) -> &'static str {
        "test"
    }

    fn start(&self, spec: &ServiceSpec) -> Result<Box<dyn Instance>, BackendError> {
        Err(BackendError::Docker {
            stack: spec.stack.clone(),
            why: "the checks start nothing".into(),
        })
    }

    fn memory_counter(&self) -> &'static str {
        "RSS"
    }

    fn traits(&self) -> BackendTraits {
        crate::backend::local::traits()
    }

    fn memory_floor_mib(&self) -> Result<u32, String> {
        self.floor.clone()
    }

    fn node_memory_mib(&self) -> Option<u64> {
        self.node
    }

    fn runs_load_workers(&self) -> bool {
        self.workers
    }
}

fn checked(scenario: Scenario, workers: Option<u32>, backend: &Abilities) -> Result<(), PlanError> {
    let asked = PlanArgs {
        load_workers: workers,
        ..args(&["floor"])
    };
    build(&asked, scenario).unwrap().check_backend(backend)
}

#[test]
fn a_fit_needs_a_limit_the_chosen_backend_can_enforce() {
    let e = checked(fit(1), None, &Abilities::default()).unwrap_err();
    assert_eq!(
        e,
        PlanError::FitUnderFloor {
            file: PathBuf::from("scenarios/fit.toml"),
            min_mib: 1,
            backend: "test",
            floor: 6,
        }
    );
    assert_eq!(
        e.to_string(),
        "scenarios/fit.toml: fit.min_mib = 1: the test backend cannot enforce a memory limit \
         under 6 MiB; set min_mib = 6 (or, under the engine's 6 MiB minimum, run as root so the \
         harness can write the limit into a cgroup itself)"
    );
    assert_eq!(checked(fit(6), None, &Abilities::default()), Ok(()));
    let none = Abilities {
        floor: Err("no cgroup here".into()),
        ..Abilities::default()
    };
    let e = checked(fit(6), None, &none).unwrap_err();
    assert_eq!(
        e,
        PlanError::FitWithoutLimit {
            file: PathBuf::from("scenarios/fit.toml"),
            backend: "test",
            why: "no cgroup here".into(),
        }
    );
    assert_eq!(
        e.to_string(),
        "scenarios/fit.toml: [fit] on the test backend: no cgroup here"
    );
    assert_eq!(
        checked(plain(), None, &none),
        Ok(()),
        "asked only of a [fit]"
    );
}

#[test]
fn a_density_needs_a_node_as_large_as_its_budget() {
    let e = checked(density("node_mib = 1024\n"), None, &Abilities::default()).unwrap_err();
    assert_eq!(
        e,
        PlanError::DensityWithoutNode {
            file: PathBuf::from("scenarios/density.toml"),
            backend: "test",
        }
    );
    let small = Abilities {
        node: Some(512),
        ..Abilities::default()
    };
    let e = checked(density("node_mib = 1024\n"), None, &small).unwrap_err();
    assert_eq!(
        e,
        PlanError::NodeTooSmall {
            file: PathBuf::from("scenarios/density.toml"),
            node_mib: 1024,
            node_memory_mib: 512,
        }
    );
    assert_eq!(
        e.to_string(),
        "scenarios/density.toml: density.node_mib = 1024: the swarm's node has 512 MiB of \
         memory; set node_mib (or --node-mib) to at most 512"
    );
    let large = Abilities {
        node: Some(1024),
        ..Abilities::default()
    };
    assert_eq!(checked(density("node_mib = 1024\n"), None, &large), Ok(()));
}

#[test]
fn load_workers_need_a_chosen_backend_that_runs_them() {
    let e = checked(plain(), Some(4), &Abilities::default()).unwrap_err();
    assert_eq!(
        e,
        PlanError::LoadWorkersBackend {
            count: 4,
            backend: "test"
        }
    );
    let swarm = Abilities {
        workers: true,
        ..Abilities::default()
    };
    assert_eq!(checked(plain(), Some(4), &swarm), Ok(()));
    assert_eq!(checked(plain(), None, &Abilities::default()), Ok(()));
}

#[test]
fn a_calibration_drives_one_known_stack() {
    assert_eq!(check_calibration("hyper", Kind::Local, false), Ok(()));
    assert_eq!(check_calibration("hyper", Kind::Swarm, true), Ok(()));
    let known: Vec<&str> = crate::stacks::stacks().iter().map(|s| s.name).collect();
    for name in ["cobol", "axum+quotes", "axum@log"] {
        let e = check_calibration(name, Kind::Local, false).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("unknown stack {name:?}; known stacks: {}", known.join(", ")),
            "a variant or a rung is not calibrated"
        );
    }
    assert_eq!(
        check_calibration("hyper", Kind::Docker, true),
        Err(PlanError::InitSwarmWithoutSwarm)
    );
}
