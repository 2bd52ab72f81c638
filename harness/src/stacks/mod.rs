//! The stacks the harness knows: what each is (declared as data in `stacks/*.toml`, and in a
//! user's own file given with `--stacks-file`), whether it can run here, how it is built and
//! how it is launched.

use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::Duration;

use crate::model::{Family, Role};

mod build;
mod declare;
mod doctor;
mod tools;

pub use build::{
    BuildError, Launch, PROFILE_VAR, build_profile, contract_target, prepare, resolve_env,
    target_of,
};
pub use declare::StackFileError;
pub use doctor::{
    Availability, GO_PACKAGE, JDK_PACKAGE, Lack, PROMETHEUS_PACKAGE, PROMETHEUS_PROGRAM,
    SETUP_COMMAND, check, lack, version_of,
};

/// How a stack is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Build {
    /// A binary of this workspace, built by cargo (release, static).
    Cargo {
        /// The package.
        package: &'static str,
        /// The binary.
        bin: &'static str,
        /// Cargo features it needs (a landscape variant's `quotes`).
        features: &'static [&'static str],
    },
    /// A Go module built by Debian's Go toolchain with `CGO_ENABLED=0` into a static binary.
    Go {
        /// The module's folder in the project.
        dir: &'static str,
        /// The binary's name.
        bin: &'static str,
        /// Build tags (a landscape variant's `quotes`, a rung's `log`).
        tags: &'static [&'static str],
        /// Go packages it imports from Debian's `/usr/share/gocode` (a rung's logger): when
        /// there are any, it is built in GOPATH mode against that tree.
        libs: &'static [GoLib],
    },
    /// Java sources compiled by the service's own `build.sh OUT`, which leaves the jar,
    /// `OUT/classpath.txt` and `OUT/main-class.txt`.
    Java {
        /// The service's folder in the project.
        dir: &'static str,
        /// The jar the build makes (its size is reported).
        jar: &'static str,
        /// Debian packages the build and the service need.
        packages: &'static [&'static str],
        /// Jars of `/usr/share/java` that must be there (one per package above).
        jars: &'static [&'static str],
        /// Arguments of `build.sh` after `OUT` (a landscape variant's `--quotes`).
        flags: &'static [&'static str],
    },
    /// A user's own build: a command run in its stack file's folder, which leaves an
    /// executable there.
    Command {
        /// The program and its arguments.
        command: &'static [&'static str],
        /// Where it runs: the stack file's folder.
        folder: &'static Path,
        /// The executable it leaves.
        output: &'static Path,
    },
    /// A user's ready executable: nothing to build.
    Binary {
        /// The executable.
        path: &'static Path,
    },
    /// The running harness's own executable (static, as the Rust stacks' are), for what the
    /// harness runs in a container of its own: the OTLP receiver ([`RECEIVER`]), the load
    /// workers ([`WORKER`]).
    Harness {
        /// Its arguments (`otlp-receiver`).
        args: &'static [&'static str],
    },
}

/// A Go package of Debian's, found under `/usr/share/gocode/src`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GoLib {
    /// Its import path.
    pub import: &'static str,
    /// The Debian package that installs it.
    pub package: &'static str,
}

/// Where Debian installs Go packages' sources (a GOPATH).
pub const DEBIAN_GOPATH: &str = "/usr/share/gocode";

/// What goes into a stack's image on the container backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageRecipe {
    /// The static executable alone, `FROM scratch` (`docker/static.Dockerfile`).
    Static,
    /// A `jlink` runtime, the libraries it links and the jars (`docker/jvm.Dockerfile`).
    Jvm,
}

/// How a kind of program runs (`stacks/runtimes.toml`): its image, its boot allowance, and how
/// it takes its worker count and extra options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Runtime {
    /// Its name in the stack files (`native`, `jvm`).
    pub name: &'static str,
    /// One line on what it is.
    pub about: &'static str,
    /// What its image holds.
    pub image: ImageRecipe,
    /// How long a service may take from its start to the first `200` from its health path.
    pub boot_allowance: Duration,
    /// The command-line option that sets the worker count (`{workers}` replaced), where the
    /// `WORKERS` variable is not enough (the JVM sizes its pools from its own option).
    pub workers_option: Option<&'static str>,
    /// The variable the runtime reads extra options from, where a command line is not the
    /// harness's to change (an image's own).
    pub options_variable: Option<&'static str>,
    /// The option that makes it print the heap it chose, once at start on stderr.
    pub heap_log_option: Option<&'static str>,
}

impl Runtime {
    /// The option giving it `workers` workers, where it takes one.
    pub fn workers_arg(&self, workers: usize) -> Option<String> {
        self.workers_option
            .map(|option| option.replace("{workers}", &workers.to_string()))
    }
}

/// The runtime of what the harness builds for itself (the downstream, the receiver, the
/// workers): a static executable.
const HARNESS_NATIVE: Runtime = Runtime {
    name: "native",
    about: "a static executable",
    image: ImageRecipe::Static,
    boot_allowance: Duration::from_secs(30),
    workers_option: None,
    options_variable: None,
    heap_log_option: None,
};

/// The path every stack of this project answers its health on.
pub const HEALTH_PATH: &str = "/health";

/// How a service is reached and configured beyond the contract's defaults: a user's stack may
/// read its port from another variable, answer its health elsewhere, want its own environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service {
    /// The variable it reads its port from besides `PORT`, which is always set.
    pub port_variable: Option<&'static str>,
    /// The variable it reads its listening address from besides `BIND`.
    pub bind_variable: Option<&'static str>,
    /// The path that answers `200` once it serves.
    pub health: &'static str,
    /// Its own environment.
    pub env: &'static [(&'static str, &'static str)],
    /// Its arguments.
    pub args: &'static [&'static str],
}

/// A service of this project: `PORT`, `BIND`, `/health`.
const CONTRACT_SERVICE: Service = Service {
    port_variable: None,
    bind_variable: None,
    health: HEALTH_PATH,
    env: &[],
    args: &[],
};

/// Where a launch's environment takes the port and address the backend chose: a value of
/// exactly this is replaced when the service starts (as the contract suite does).
pub use footprint_contract::{BIND_VALUE, PORT_VALUE};

/// A stack the harness can measure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stack {
    /// Its name, as in the ready line and results.
    pub name: &'static str,
    /// One line on what it is.
    pub about: &'static str,
    /// What `WORKERS` controls in it.
    pub workers: &'static str,
    /// How it is built.
    pub build: Build,
    /// JVM options (JVM stacks only), recorded with every result.
    pub jvm_options: &'static [&'static str],
    /// Its family.
    pub family: Family,
    /// Its role in the comparison (the baseline, the floor), if any.
    pub role: Option<Role>,
    /// How it runs.
    pub runtime: &'static Runtime,
    /// The stack a landscape variant or a rung is built on.
    pub base: Option<&'static str>,
    /// The feature ladder's rung it is.
    pub rung: Option<&'static str>,
    /// Whether it calls the quotes service (a landscape variant).
    pub downstream: bool,
    /// Whether a Prometheus server scrapes it while it is measured (a `metrics` rung).
    pub scraped: bool,
    /// The share of traces it exports (a `tracing` rung).
    pub spans: Option<f64>,
    /// How it is reached and configured.
    pub service: Service,
}

/// What separates a stack from its rung in a rung's name: `axum@log`.
pub const RUNG_SEPARATOR: char = '@';

/// The suffix of a landscape variant's name: `axum+quotes` is `axum` calling quotes.
pub const VARIANT_SUFFIX: &str = "+quotes";

/// The stacks known to this process: the project's files, then the user's.
#[derive(Default)]
struct Registry {
    runtimes: Vec<&'static Runtime>,
    /// `[[stack]]` entries: what a run measures by default.
    stacks: Vec<&'static Stack>,
    /// `[[variant]]` entries: the landscape variants.
    variants: Vec<&'static Stack>,
    /// `[[rung]]` entries: the feature ladder.
    rungs: Vec<&'static Stack>,
}

impl Registry {
    fn all(&self) -> Vec<&'static Stack> {
        self.stacks
            .iter()
            .chain(&self.variants)
            .chain(&self.rungs)
            .copied()
            .collect()
    }

    /// Adds one file's entries; nothing is added when it has an error.
    fn add(
        &mut self,
        path: &str,
        text: &str,
        folder: &Path,
    ) -> Result<Vec<&'static Stack>, StackFileError> {
        let all = self.all();
        let known = declare::Known {
            runtimes: &self.runtimes,
            stacks: &all,
        };
        let [stacks, variants, rungs] = declare::parse(path, text, folder, &known)?;
        let added: Vec<&'static Stack> = stacks
            .iter()
            .chain(&variants)
            .chain(&rungs)
            .copied()
            .collect();
        self.stacks.extend(stacks);
        self.variants.extend(variants);
        self.rungs.extend(rungs);
        Ok(added)
    }

    /// The project's own files. They are compiled in and checked by the tests: an error here
    /// is the project's, not the user's.
    fn bundled() -> Self {
        let (path, text) = declare::RUNTIMES;
        let mut registry = Registry {
            runtimes: declare::runtimes(path, text).unwrap_or_else(|e| panic!("{e}")),
            ..Registry::default()
        };
        for (path, text) in declare::BUNDLED {
            registry
                .add(path, text, Path::new("."))
                .unwrap_or_else(|e| panic!("{e}"));
        }
        registry
    }
}

static REGISTRY: RwLock<Option<Registry>> = RwLock::new(None);

fn with_registry<R>(f: impl FnOnce(&Registry) -> R) -> R {
    {
        let read = REGISTRY.read().unwrap_or_else(|e| e.into_inner());
        if let Some(registry) = read.as_ref() {
            return f(registry);
        }
    }
    let mut write = REGISTRY.write().unwrap_or_else(|e| e.into_inner());
    f(write.get_or_insert_with(Registry::bundled))
}

/// Adds the stacks a user declares in `path` (the same form as `stacks/*.toml`; a build
/// command and paths relative to the file's folder) to this process's; returns their names.
pub fn add_file(path: &Path) -> Result<Vec<&'static str>, StackFileError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| StackFileError::Read {
        path: shown.clone(),
        source,
    })?;
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let folder = folder.canonicalize().unwrap_or_else(|_| folder.to_owned());
    let mut write = REGISTRY.write().unwrap_or_else(|e| e.into_inner());
    let registry = write.get_or_insert_with(Registry::bundled);
    let added = registry.add(&shown, &text, &folder)?;
    Ok(added.iter().map(|s| s.name).collect())
}

/// Every stack a run measures by default, in order: the project's, then a user's.
pub fn stacks() -> Vec<&'static Stack> {
    with_registry(|r| r.stacks.clone())
}

/// The landscape variants: a stack whose account answer carries a quote from the quotes
/// service (contract L1-L6). A run measures one only with a scenario's `[downstream]`, which
/// deploys [`QUOTES`] beside it.
pub fn variants() -> Vec<&'static Stack> {
    with_registry(|r| r.variants.clone())
}

/// The feature ladder's rungs: a stack with one added concern, named `<stack>@<rung>`.
pub fn rungs() -> Vec<&'static Stack> {
    with_registry(|r| r.rungs.clone())
}

/// The runtimes the stack files may name.
pub fn runtimes() -> Vec<&'static Runtime> {
    with_registry(|r| r.runtimes.clone())
}

/// The stack called `name` (not a variant or a rung).
pub fn find(name: &str) -> Option<&'static Stack> {
    with_registry(|r| r.stacks.iter().find(|s| s.name == name).copied())
}

/// The landscape variant called `name`.
pub fn find_variant(name: &str) -> Option<&'static Stack> {
    with_registry(|r| r.variants.iter().find(|s| s.name == name).copied())
}

/// The stack, landscape variant or rung called `name`: what a run can measure.
pub fn lookup(name: &str) -> Option<&'static Stack> {
    with_registry(|r| r.all().into_iter().find(|s| s.name == name))
}

/// Every name a run takes: the stacks, the landscape variants, then the ladder's rungs.
pub fn known_names() -> Vec<&'static str> {
    with_registry(|r| r.all().iter().map(|s| s.name).collect())
}

/// `names` with the base of each landscape variant inserted before it when the list lacks it
/// (`axum+quotes` becomes `axum, axum+quotes`), and the bases so added.
pub fn with_bases(names: &[String]) -> (Vec<String>, Vec<String>) {
    let mut all: Vec<String> = Vec::with_capacity(names.len() * 2);
    let mut added = Vec::new();
    for name in names {
        if let Some(variant) = lookup(name).filter(|s| s.calls_downstream()) {
            let base = variant.base_name().to_owned();
            if !names.contains(&base) && !all.contains(&base) {
                all.push(base.clone());
                added.push(base);
            }
        }
        all.push(name.clone());
    }
    (all, added)
}

/// `names` with the rungs built on each stack inserted after it when the list lacks them
/// (`axum, go` becomes `axum, axum@log, axum@metrics, go, go@log, go@metrics`), and the rungs
/// so added. A stack no rung is built on stays alone.
pub fn with_rungs(names: &[String]) -> (Vec<String>, Vec<String>) {
    let rungs = rungs();
    let mut all: Vec<String> = Vec::with_capacity(names.len() * 3);
    let mut added = Vec::new();
    for name in names {
        if !all.contains(name) {
            all.push(name.clone());
        }
        for rung in rungs.iter().filter(|r| r.base_name() == name) {
            let rung = rung.name.to_owned();
            if !names.contains(&rung) && !all.contains(&rung) {
                all.push(rung.clone());
                added.push(rung);
            }
        }
    }
    (all, added)
}

/// A stack the harness builds for itself, not one it compares.
const fn own(
    name: &'static str,
    about: &'static str,
    workers: &'static str,
    build: Build,
) -> Stack {
    Stack {
        name,
        about,
        workers,
        build,
        jvm_options: &[],
        family: Family::Other,
        role: None,
        runtime: &HARNESS_NATIVE,
        base: None,
        rung: None,
        downstream: false,
        scraped: false,
        spans: None,
        service: CONTRACT_SERVICE,
    }
}

/// The downstream the landscape variants call (contract Q1-Q3): deployed by a scenario's
/// `[downstream]`, built and imaged like a stack, measured apart from the account service.
pub const QUOTES: Stack = own(
    "quotes",
    "the blog's quotes service, on hyper: the landscape's downstream",
    "tokio worker threads",
    Build::Cargo {
        package: "footprint-quotes",
        bin: "footprint-quotes",
        features: &[],
    },
);

/// The OTLP receiver a tracing rung exports to on the container backends, where the
/// harness's own 127.0.0.1 is out of the rung's reach: the harness's binary running
/// `harness otlp-receiver` in a container on the run's network, its image built like a
/// stack's; the harness reads its counts through its published port.
pub const RECEIVER: Stack = own(
    "otlp-receiver",
    "the harness's OTLP/HTTP receiver, in a container beside a tracing rung",
    "one thread per connection",
    Build::Harness {
        args: &["otlp-receiver"],
    },
);

/// A load worker: the harness's own binary running `harness worker` as a swarm service,
/// sending a share of each step and reporting to the coordinator (`--load-workers`).
pub const WORKER: Stack = own(
    "harness-worker",
    "the harness's load driver alone, as a load worker of a swarm service",
    "the load runtime's threads, one per CPU",
    Build::Harness { args: &["worker"] },
);

impl Stack {
    /// Whether it calls the quotes service (a landscape variant).
    pub fn calls_downstream(&self) -> bool {
        self.downstream
    }

    /// The stack a landscape variant or a rung is built from (`axum` for `axum+quotes` and
    /// `axum@log`), itself for a stack.
    pub fn base_name(&self) -> &'static str {
        self.base.unwrap_or(self.name)
    }

    /// The ladder's rung it is (`log` for `axum@log`), `None` for a stack or a variant.
    pub fn rung(&self) -> Option<&'static str> {
        self.rung
    }

    /// Whether a Prometheus server scrapes it while it is measured (the `metrics` rung).
    pub fn is_scraped(&self) -> bool {
        self.scraped
    }

    /// The share of traces a `tracing` rung keeps, `None` for anything that exports no span.
    pub fn span_ratio(&self) -> Option<f64> {
        self.spans
    }

    /// Its family.
    pub fn family(&self) -> Family {
        self.family
    }

    /// Its role in the comparison.
    pub fn role(&self) -> Option<Role> {
        self.role
    }

    /// Whether a user declared it (a build command or a ready executable): such a service
    /// need not print the contract's ready line, and is found ready by its health path.
    pub fn is_users(&self) -> bool {
        matches!(self.build, Build::Command { .. } | Build::Binary { .. })
    }

    /// Whether it runs on a JVM.
    pub fn is_jvm(&self) -> bool {
        self.runtime.image == ImageRecipe::Jvm
    }

    /// How long it may take from start to the first `200` from its health path.
    pub fn boot_timeout(&self) -> Duration {
        self.runtime.boot_allowance
    }

    /// Where its build output goes.
    pub(super) fn out_dir(&self, root: &Path) -> PathBuf {
        let dir = match self.build {
            Build::Cargo { package, .. } => package,
            Build::Go { dir, .. } => dir.rsplit('/').next().unwrap_or(dir),
            // One folder per jar: a variant's classpath.txt is not its base's.
            Build::Java { jar, .. } => jar.strip_suffix(".jar").unwrap_or(jar),
            Build::Harness { .. } => "harness",
            Build::Command { .. } | Build::Binary { .. } => self.name,
        };
        tools::target_dir(root).join("stacks").join(dir)
    }
}

#[cfg(test)]
mod tests {
    use super::build::artifact_executable;
    use super::doctor::java_lack;
    use super::*;

    #[test]
    fn names_are_unique_and_found() {
        for stack in stacks() {
            assert_eq!(find(stack.name), Some(stack));
        }
        assert!(find("cobol").is_none());
    }

    #[test]
    fn reads_cargo_artifact_messages() {
        let line = r#"{"reason":"compiler-artifact","target":{"name":"footprint-axum","kind":["bin"]},"executable":"/x/footprint-axum"}"#;
        assert_eq!(
            artifact_executable(line, "footprint-axum"),
            Some(PathBuf::from("/x/footprint-axum"))
        );
        assert_eq!(artifact_executable(line, "footprint-hyper"), None);
        assert_eq!(artifact_executable("Compiling x", "footprint-axum"), None);
    }

    #[test]
    fn cargo_is_found_here() {
        assert!(matches!(check(stacks()[0]), Availability::Ready { .. }));
    }

    #[test]
    fn workers_reach_the_jvm_on_its_command_line() {
        let launch = Launch {
            program: "java".into(),
            args: vec!["-cp".into(), "x.jar".into(), "Main".into()],
            env: Vec::new(),
            artifacts: vec!["x.jar".into()],
        };
        let spring = find("jvm-spring").unwrap();
        assert_eq!(
            launch.args_for_workers(spring, Some(2))[0],
            "-XX:ActiveProcessorCount=2"
        );
        assert_eq!(launch.args_for_workers(spring, None), launch.args);
        assert_eq!(
            launch.args_for_workers(find("go").unwrap(), Some(2)),
            launch.args
        );
    }

    #[test]
    fn missing_packages_are_data_and_the_hint_names_setup() {
        let lack = Lack::apt("the Go toolchain (`go`)".into(), vec![GO_PACKAGE.into()]);
        assert_eq!(lack.packages, ["golang-go"]);
        assert_eq!(
            lack.install,
            "run `cargo run -p harness -- setup` (or: sudo apt-get install golang-go)"
        );
    }

    #[test]
    fn a_jvm_stack_lacks_the_jdk_and_the_packages_of_its_missing_jars() {
        let Build::Java { packages, jars, .. } = find("jvm-spring").unwrap().build else {
            panic!("jvm-spring is a Java build");
        };
        let (spring_packages, spring_jars) = (packages, jars);
        let none = |_: &str| false;
        let all = |_: &str| true;
        let lack = java_lack(false, spring_packages, spring_jars, none).unwrap();
        assert_eq!(lack.packages[0], JDK_PACKAGE);
        assert_eq!(lack.packages[1..], *spring_packages);
        assert!(
            lack.what
                .starts_with("a JDK 17 (`javac`, `java`) and /usr/share/java/{")
        );
        assert!(
            lack.install.contains(&format!("`{SETUP_COMMAND}`")),
            "{}",
            lack.install
        );

        let only_tomcat = |jar: &str| jar != "tomcat9-catalina.jar";
        let lack = java_lack(true, spring_packages, spring_jars, only_tomcat).unwrap();
        assert_eq!(lack.packages, ["libtomcat9-java"]);
        assert_eq!(lack.what, "/usr/share/java/{tomcat9-catalina.jar}");

        let lack = java_lack(false, &[], &[], none).unwrap();
        assert_eq!(lack.packages, [JDK_PACKAGE]);
        assert_eq!(lack.what, "a JDK 17 (`javac`, `java`)");

        assert_eq!(java_lack(true, spring_packages, spring_jars, all), None);
    }

    #[test]
    fn every_jar_comes_with_its_package() {
        for stack in stacks().into_iter().chain(variants()).chain(rungs()) {
            if let Build::Java { packages, jars, .. } = stack.build {
                assert_eq!(packages.len(), jars.len(), "{}", stack.name);
            }
        }
    }

    #[test]
    fn check_and_lack_agree() {
        for stack in stacks() {
            match (check(stack), lack(stack)) {
                (Availability::Ready { .. }, None) => {}
                (Availability::Missing { what, install }, Some(lack)) => {
                    assert_eq!((what, install), (lack.what, lack.install));
                }
                (availability, lack) => panic!("{}: {availability:?} but {lack:?}", stack.name),
            }
        }
    }

    #[test]
    fn the_runtime_of_a_jvm_stack_is_its_java_home() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("jdk");
        std::fs::create_dir_all(home.join("bin")).unwrap();
        std::fs::create_dir_all(home.join("lib")).unwrap();
        std::fs::write(home.join("bin/java"), [0u8; 100]).unwrap();
        std::fs::write(home.join("lib/modules"), [0u8; 1000]).unwrap();
        std::fs::write(home.join("release"), [0u8; 10]).unwrap();
        std::os::unix::fs::symlink("/etc", home.join("conf")).unwrap();
        let jar = dir.path().join("service.jar");
        std::fs::write(&jar, [0u8; 7]).unwrap();
        let launch = Launch {
            program: home.join("bin/java"),
            args: Vec::new(),
            env: Vec::new(),
            artifacts: vec![jar],
        };
        assert_eq!(launch.runtime_bytes(), Some(1110), "links are not followed");
        assert_eq!(launch.size_bytes(), Some(7), "the jars apart");
        // A static binary is its own runtime; a program outside a Java home has none.
        let binary = Launch {
            artifacts: vec![home.join("bin/java")],
            ..launch.clone()
        };
        assert_eq!(binary.runtime_bytes(), None);
        std::fs::remove_file(home.join("release")).unwrap();
        assert_eq!(launch.runtime_bytes(), None);
    }

    #[test]
    fn only_the_tuned_jvm_carries_options() {
        assert!(find("jvm-spring").unwrap().jvm_options.is_empty());
        assert!(
            find("jvm-spring-tuned")
                .unwrap()
                .jvm_options
                .contains(&"-XX:+UseSerialGC")
        );
    }

    #[test]
    fn a_jvm_variant_builds_its_own_jar_in_its_own_folder() {
        let root = Path::new("/project");
        let (base, variant) = (
            find("jvm-spring").unwrap(),
            find_variant("jvm-spring+quotes").unwrap(),
        );
        assert_ne!(base.out_dir(root), variant.out_dir(root));
        assert_eq!(
            find("jvm-spring-tuned").unwrap().out_dir(root),
            base.out_dir(root),
            "the tuned stack runs the same jar"
        );
        let Build::Java { flags, jar, .. } = variant.build else {
            panic!("{variant:?}");
        };
        assert_eq!(
            (flags, jar),
            (&["--quotes"][..], "footprint-jvm-spring-quotes.jar")
        );
        assert_eq!(
            find_variant("jvm-spring-tuned+quotes").unwrap().jvm_options,
            find("jvm-spring-tuned").unwrap().jvm_options
        );
    }

    #[test]
    fn a_stack_brings_its_rungs_after_it() {
        let names = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let (all, added) = with_rungs(&names(&["axum", "floor", "go@log", "go"]));
        assert_eq!(
            all,
            names(&[
                "axum",
                "axum@log",
                "axum@metrics",
                "axum@tracing",
                "axum@tracing-10",
                "axum@all",
                "floor",
                "go@log",
                "go",
                "go@metrics"
            ])
        );
        assert_eq!(
            added,
            names(&[
                "axum@log",
                "axum@metrics",
                "axum@tracing",
                "axum@tracing-10",
                "axum@all",
                "go@metrics"
            ])
        );
    }

    #[test]
    fn rungs_are_found_with_their_base() {
        for rung in rungs() {
            let found = lookup(rung.name).unwrap();
            let name = found.rung().unwrap();
            assert!(
                ["log", "metrics", "tracing", "tracing-10", "all"].contains(&name),
                "{}",
                rung.name
            );
            assert!(!found.calls_downstream());
            let base = find(found.base_name()).unwrap();
            assert_eq!(base.rung(), None);
            assert_eq!(format!("{}{RUNG_SEPARATOR}{name}", base.name), rung.name);
            // Built with the feature, the tag or the flag of the rung's name.
            if let Build::Java { flags, .. } = rung.build {
                assert_eq!(flags, &[format!("--{name}").as_str()][..], "{}", rung.name);
                continue;
            }
            let (Build::Cargo { features: on, .. } | Build::Go { tags: on, .. }) = rung.build
            else {
                panic!("{}: a cargo or Go build", rung.name);
            };
            if name == "all" {
                assert_eq!(on, &["log", "metrics", "tracing"][..], "{}", rung.name);
                assert!(rung.is_scraped() && rung.span_ratio() == Some(1.0));
                continue;
            }
            let feature = name.split('-').next().unwrap();
            assert_eq!(on, &[feature][..], "{}", rung.name);
            assert_eq!(rung.span_ratio().is_some(), feature == "tracing");
            assert_eq!(rung.is_scraped(), feature == "metrics");
        }
        assert!(known_names().contains(&"go@log"));
        let Build::Go { libs, tags, .. } = lookup("go@log").unwrap().build else {
            panic!("go@log is a Go build");
        };
        assert_eq!(
            (tags, libs),
            (
                &["log"][..],
                &[GoLib {
                    import: "golang.org/x/exp/slog",
                    package: "golang-golang-x-exp-dev"
                }][..]
            )
        );
        let Build::Go { libs, .. } = lookup("go@metrics").unwrap().build else {
            panic!("go@metrics is a Go build");
        };
        assert_eq!(
            libs[0].import,
            "github.com/prometheus/client_golang/prometheus"
        );
    }

    #[test]
    fn a_run_of_variants_gains_their_bases() {
        let names = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let (all, added) = with_bases(&names(&["axum+quotes", "go", "go+quotes", "hyper+quotes"]));
        assert_eq!(
            all,
            names(&[
                "axum",
                "axum+quotes",
                "go",
                "go+quotes",
                "hyper",
                "hyper+quotes"
            ])
        );
        assert_eq!(added, names(&["axum", "hyper"]));
        let (all, added) = with_bases(&names(&["go+quotes", "go"]));
        assert_eq!(
            all,
            names(&["go+quotes", "go"]),
            "a base named later stays where it is"
        );
        assert!(added.is_empty());
    }

    #[test]
    fn variants_are_found_with_their_base() {
        for variant in variants() {
            let found = lookup(variant.name).unwrap();
            assert!(found.calls_downstream(), "{}", variant.name);
            let base = find(found.base_name()).unwrap();
            assert!(!base.calls_downstream());
            assert_eq!(format!("{}{VARIANT_SUFFIX}", base.name), variant.name);
        }
        assert!(!QUOTES.calls_downstream());
        assert_eq!(lookup("axum").unwrap().base_name(), "axum");
        assert!(lookup("axum+ads").is_none());
        assert_eq!(
            known_names().len(),
            stacks().len() + variants().len() + rungs().len()
        );
    }
}
