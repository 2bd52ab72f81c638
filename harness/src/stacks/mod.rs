//! The stacks the harness knows: what each is, whether it can run here, how it is built and
//! how it is launched.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

mod rungs;

pub use rungs::RUNGS;
#[cfg(test)]
use rungs::{PROMETHEUS_CLIENT, SLOG};

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

/// A stack the harness can measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
}

pub(super) const SPRING_PACKAGES: &[&str] = &[
    "libspring-web-servlet-java",
    "libspring-context-java",
    "libtomcat9-java",
    "libjackson2-databind-java",
];
pub(super) const SPRING_JARS: &[&str] = &[
    "spring3-web.servlet.jar",
    "spring3-context.jar",
    "tomcat9-catalina.jar",
    "jackson-databind.jar",
];
const SPRING: Build = Build::Java {
    dir: "services/jvm-spring",
    jar: "footprint-jvm-spring.jar",
    packages: SPRING_PACKAGES,
    jars: SPRING_JARS,
    flags: &[],
};
/// The Spring service built with its landscape sources (`build.sh OUT --quotes`).
const SPRING_QUOTES: Build = Build::Java {
    dir: "services/jvm-spring",
    jar: "footprint-jvm-spring-quotes.jar",
    packages: SPRING_PACKAGES,
    jars: SPRING_JARS,
    flags: &["--quotes"],
};

/// JVM options of `jvm-spring-tuned`: the smallest footprint a careful team would configure
/// (a small fixed heap, the serial collector, smaller thread stacks, no JIT tier 2 compiler
/// threads beyond C1, class data sharing on).
pub const TUNED_JVM: &[&str] = &[
    "-Xms16m",
    "-Xmx64m",
    "-XX:+UseSerialGC",
    "-Xss256k",
    "-XX:MaxMetaspaceSize=64m",
    "-XX:ReservedCodeCacheSize=32m",
    "-XX:TieredStopAtLevel=1",
    "-Xshare:auto",
];

/// Every stack, in the default order of a run.
pub const STACKS: [Stack; 8] = [
    Stack {
        name: "floor",
        about: "standard library only, a thread per connection: the reference line",
        workers: "nothing (a thread per connection)",
        build: Build::Cargo {
            package: "footprint-floor",
            bin: "footprint-floor",
            features: &[],
        },
        jvm_options: &[],
    },
    Stack {
        name: "hyper",
        about: "hyper 1.x with hyper-util, routed by hand, on tokio",
        workers: "tokio worker threads",
        build: Build::Cargo {
            package: "footprint-hyper",
            bin: "footprint-hyper",
            features: &[],
        },
        jvm_options: &[],
    },
    Stack {
        name: "axum",
        about: "axum 0.8 on hyper 1.x and tokio",
        workers: "tokio worker threads",
        build: Build::Cargo {
            package: "footprint-axum",
            bin: "footprint-axum",
            features: &[],
        },
        jvm_options: &[],
    },
    Stack {
        name: "actix",
        about: "actix-web 4 with its own server",
        workers: "actix workers (one single-threaded runtime each)",
        build: Build::Cargo {
            package: "footprint-actix",
            bin: "footprint-actix",
            features: &[],
        },
        jvm_options: &[],
    },
    Stack {
        name: "go",
        about: "the blog's accountservice: Go net/http and encoding/json, hand routing",
        workers: "GOMAXPROCS",
        build: Build::Go {
            dir: "services/go",
            bin: "footprint-go",
            tags: &[],
            libs: &[],
        },
        jvm_options: &[],
    },
    Stack {
        name: "jvm-plain",
        about: "the JDK's built-in com.sun.net.httpserver, no framework, JDK 17",
        workers: "the HTTP server's executor threads; -XX:ActiveProcessorCount",
        build: Build::Java {
            dir: "services/jvm-plain",
            jar: "footprint-jvm-plain.jar",
            packages: &[],
            jars: &[],
            flags: &[],
        },
        jvm_options: &[],
    },
    Stack {
        name: "jvm-spring",
        about: "Spring Web MVC on embedded Tomcat with Jackson, JDK 17, the JVM's own ergonomics",
        workers: "Tomcat's request threads; -XX:ActiveProcessorCount",
        build: SPRING,
        jvm_options: &[],
    },
    Stack {
        name: "jvm-spring-tuned",
        about: "the same Spring service with a small fixed heap, serial GC and small stacks",
        workers: "Tomcat's request threads; -XX:ActiveProcessorCount",
        build: SPRING,
        jvm_options: TUNED_JVM,
    },
];

/// The stack called `name`.
pub fn find(name: &str) -> Option<&'static Stack> {
    STACKS.iter().find(|s| s.name == name)
}

/// The landscape variants: a stack whose account answer carries a quote from the quotes
/// service (contract L1-L6), built from the same code with the `quotes` feature or tag. A run
/// measures one only with a scenario's `[downstream]`, which deploys [`QUOTES`] beside it.
pub const VARIANTS: [Stack; 6] = [
    Stack {
        name: "hyper+quotes",
        about: "hyper, each account with a quote: hyper-util's pooled client, a timeout, a breaker",
        workers: "tokio worker threads",
        build: Build::Cargo {
            package: "footprint-hyper",
            bin: "footprint-hyper-quotes",
            features: &["quotes"],
        },
        jvm_options: &[],
    },
    Stack {
        name: "axum+quotes",
        about: "axum, each account with a quote: hyper-util's pooled client, a timeout, a breaker",
        workers: "tokio worker threads",
        build: Build::Cargo {
            package: "footprint-axum",
            bin: "footprint-axum-quotes",
            features: &["quotes"],
        },
        jvm_options: &[],
    },
    Stack {
        name: "actix+quotes",
        about: "actix-web, each account with a quote: awc's pooled client per worker, a timeout, a breaker",
        workers: "actix workers (one single-threaded runtime each)",
        build: Build::Cargo {
            package: "footprint-actix",
            bin: "footprint-actix-quotes",
            features: &["quotes"],
        },
        jvm_options: &[],
    },
    Stack {
        name: "go+quotes",
        about: "the blog's accountservice, each account with a quote: net/http's client, a timeout, a breaker",
        workers: "GOMAXPROCS",
        build: Build::Go {
            dir: "services/go",
            bin: "footprint-go-quotes",
            tags: &["quotes"],
            libs: &[],
        },
        jvm_options: &[],
    },
    Stack {
        name: "jvm-spring+quotes",
        about: "Spring, each account with a quote: the JDK's HttpClient and its pool, a timeout, a breaker",
        workers: "Tomcat's request threads; -XX:ActiveProcessorCount",
        build: SPRING_QUOTES,
        jvm_options: &[],
    },
    Stack {
        name: "jvm-spring-tuned+quotes",
        about: "the tuned Spring service, each account with a quote, as jvm-spring+quotes",
        workers: "Tomcat's request threads; -XX:ActiveProcessorCount",
        build: SPRING_QUOTES,
        jvm_options: TUNED_JVM,
    },
];

/// What separates a stack from its rung in a rung's name: `axum@log`.
pub const RUNG_SEPARATOR: char = '@';

/// The landscape variant called `name`.
pub fn find_variant(name: &str) -> Option<&'static Stack> {
    VARIANTS.iter().find(|s| s.name == name)
}

/// The stack or landscape variant called `name`: what a run can measure.
pub fn lookup(name: &str) -> Option<&'static Stack> {
    find(name)
        .or_else(|| find_variant(name))
        .or_else(|| RUNGS.iter().find(|s| s.name == name))
}

/// Every name a run takes: the stacks, the landscape variants, then the ladder's rungs.
pub fn known_names() -> Vec<&'static str> {
    STACKS
        .iter()
        .chain(VARIANTS.iter())
        .chain(RUNGS.iter())
        .map(|s| s.name)
        .collect()
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
    let mut all: Vec<String> = Vec::with_capacity(names.len() * 3);
    let mut added = Vec::new();
    for name in names {
        if !all.contains(name) {
            all.push(name.clone());
        }
        for rung in RUNGS.iter().filter(|r| r.base_name() == name) {
            let rung = rung.name.to_owned();
            if !names.contains(&rung) && !all.contains(&rung) {
                all.push(rung.clone());
                added.push(rung);
            }
        }
    }
    (all, added)
}

/// The suffix of a landscape variant's name: `axum+quotes` is `axum` calling quotes.
pub const VARIANT_SUFFIX: &str = "+quotes";

/// The downstream the landscape variants call (contract Q1-Q3): deployed by a scenario's
/// `[downstream]`, built and imaged like a stack, measured apart from the account service.
pub const QUOTES: Stack = Stack {
    name: "quotes",
    about: "the blog's quotes service, on hyper: the landscape's downstream",
    workers: "tokio worker threads",
    build: Build::Cargo {
        package: "footprint-quotes",
        bin: "footprint-quotes",
        features: &[],
    },
    jvm_options: &[],
};

/// The OTLP receiver a tracing rung exports to on the container backends, where the
/// harness's own 127.0.0.1 is out of the rung's reach: the harness's binary running
/// `harness otlp-receiver` in a container on the run's network, its image built like a
/// stack's; the harness reads its counts through its published port.
pub const RECEIVER: Stack = Stack {
    name: "otlp-receiver",
    about: "the harness's OTLP/HTTP receiver, in a container beside a tracing rung",
    workers: "one thread per connection",
    build: Build::Harness {
        args: &["otlp-receiver"],
    },
    jvm_options: &[],
};

/// A load worker: the harness's own binary running `harness worker` as a swarm service,
/// sending a share of each step and reporting to the coordinator (`--load-workers`).
pub const WORKER: Stack = Stack {
    name: "harness-worker",
    about: "the harness's load driver alone, as a load worker of a swarm service",
    workers: "the load runtime's threads, one per CPU",
    build: Build::Harness { args: &["worker"] },
    jvm_options: &[],
};

impl Stack {
    /// Whether it calls the quotes service (a landscape variant).
    pub fn calls_downstream(&self) -> bool {
        self.name.ends_with(VARIANT_SUFFIX)
    }

    /// The stack a landscape variant or a rung is built from (`axum` for `axum+quotes` and
    /// `axum@log`), itself for a stack.
    pub fn base_name(&self) -> &'static str {
        match self.name.split_once(RUNG_SEPARATOR) {
            Some((base, _)) => base,
            None => self.name.strip_suffix(VARIANT_SUFFIX).unwrap_or(self.name),
        }
    }

    /// The ladder's rung it is (`log` for `axum@log`), `None` for a stack or a variant.
    pub fn rung(&self) -> Option<&'static str> {
        self.name.split_once(RUNG_SEPARATOR).map(|(_, rung)| rung)
    }

    /// Whether a Prometheus server scrapes it while it is measured (the `metrics` rung).
    pub fn is_scraped(&self) -> bool {
        matches!(self.rung(), Some("metrics" | "all"))
    }

    /// The share of traces a `tracing` rung keeps, `None` for anything that exports no span.
    pub fn span_ratio(&self) -> Option<f64> {
        match self.rung() {
            Some("tracing" | "all") => Some(1.0),
            Some("tracing-10") => Some(0.1),
            _ => None,
        }
    }

    /// Its family.
    pub fn family(&self) -> crate::model::Family {
        use crate::model::Family;
        match self.build {
            Build::Cargo { .. } => Family::Rust,
            Build::Go { .. } => Family::Go,
            Build::Java { .. } => Family::Jvm,
            Build::Harness { .. } => Family::Other,
        }
    }

    /// Its role in the comparison.
    pub fn role(&self) -> Option<crate::model::Role> {
        match self.name {
            "jvm-spring" => Some(crate::model::Role::Baseline),
            "floor" => Some(crate::model::Role::Floor),
            _ => None,
        }
    }

    /// Whether it runs on a JVM.
    pub fn is_jvm(&self) -> bool {
        matches!(self.build, Build::Java { .. })
    }

    /// How long it may take from start to the first `200` from `/health`.
    pub fn boot_timeout(&self) -> Duration {
        if self.is_jvm() {
            Duration::from_secs(90)
        } else {
            Duration::from_secs(30)
        }
    }

    /// Where its build output goes.
    fn out_dir(&self, root: &Path) -> PathBuf {
        let dir = match self.build {
            Build::Cargo { package, .. } => package,
            Build::Go { dir, .. } => dir.rsplit('/').next().unwrap_or(dir),
            // One folder per jar: a variant's classpath.txt is not its base's.
            Build::Java { jar, .. } => jar.strip_suffix(".jar").unwrap_or(jar),
            Build::Harness { .. } => "harness",
        };
        target_dir(root).join("stacks").join(dir)
    }
}

/// Whether a stack can be built and run here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    /// Everything it needs is here.
    Ready {
        /// The toolchain found, with its version.
        toolchain: String,
    },
    /// Something is missing.
    Missing {
        /// What.
        what: String,
        /// How to get it.
        install: String,
    },
}

/// The command that installs what the stacks lack here, as the skip lines and `harness list`
/// name it.
pub const SETUP_COMMAND: &str = "cargo run -p harness -- setup";

/// The Debian package of the JDK the JVM stacks build and run with.
pub const JDK_PACKAGE: &str = "openjdk-17-jdk-headless";

/// The Debian package of the Go toolchain.
pub const GO_PACKAGE: &str = "golang-go";

/// What a stack lacks here, as data: [`check`] words it, `harness setup` installs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lack {
    /// What is missing, in words.
    pub what: String,
    /// The Debian packages that provide it; empty when apt cannot (Rust comes from rustup).
    pub packages: Vec<String>,
    /// How to get it: `harness setup` and the `apt-get` line, or the other way.
    pub install: String,
}

impl Lack {
    /// Something Debian packages provide.
    fn apt(what: String, packages: Vec<String>) -> Self {
        let install = format!(
            "run `{SETUP_COMMAND}` (or: sudo apt-get install {})",
            packages.join(" ")
        );
        Self {
            what,
            packages,
            install,
        }
    }

    /// Something apt does not install, and how to get it instead.
    fn other(what: &str, install: &str) -> Self {
        Self {
            what: what.to_owned(),
            packages: Vec::new(),
            install: install.to_owned(),
        }
    }
}

/// Checks what `stack` needs.
pub fn check(stack: &Stack) -> Availability {
    match probe(stack) {
        Ok(toolchain) => Availability::Ready { toolchain },
        Err(Lack { what, install, .. }) => Availability::Missing { what, install },
    }
}

/// What `stack` lacks here, `None` when it can be built and run.
pub fn lack(stack: &Stack) -> Option<Lack> {
    probe(stack).err()
}

/// The toolchain `stack` is built with, with its version, or what it lacks: its build's, and
/// the Prometheus server for a rung that is scraped.
fn probe(stack: &Stack) -> Result<String, Lack> {
    let toolchain = probe_build(stack)?;
    if stack.is_scraped() && version_of(crate::scrape::PROGRAM, "--version").is_none() {
        return Err(Lack::apt(
            format!(
                "Prometheus (`{}`), which scrapes the metrics rung while it is measured",
                crate::scrape::PROGRAM
            ),
            vec![crate::scrape::PACKAGE.to_owned()],
        ));
    }
    Ok(toolchain)
}

/// The toolchain `stack` is built with, with its version, or what it lacks.
fn probe_build(stack: &Stack) -> Result<String, Lack> {
    match stack.build {
        Build::Harness { .. } => Ok(format!("harness {}", env!("CARGO_PKG_VERSION"))),
        Build::Cargo { .. } => version_of(&cargo(), "--version").ok_or_else(|| {
            Lack::other(
                "cargo (the Rust toolchain)",
                "install Rust with rustup: https://rustup.rs",
            )
        }),
        Build::Go { libs, .. } => {
            let go = version_of("go", "version");
            let missing: Vec<&GoLib> = libs
                .iter()
                .filter(|lib| {
                    !Path::new(DEBIAN_GOPATH)
                        .join("src")
                        .join(lib.import)
                        .is_dir()
                })
                .collect();
            match (go, missing.is_empty()) {
                (Some(version), true) => Ok(version),
                (go, _) => {
                    let mut what: Vec<String> = Vec::new();
                    let mut packages: Vec<String> = Vec::new();
                    if go.is_none() {
                        what.push("the Go toolchain (`go`)".into());
                        packages.push(GO_PACKAGE.to_owned());
                    }
                    for lib in missing {
                        what.push(format!("{DEBIAN_GOPATH}/src/{}", lib.import));
                        packages.push(lib.package.to_owned());
                    }
                    Err(Lack::apt(what.join(" and "), packages))
                }
            }
        }
        Build::Java { packages, jars, .. } => {
            let javac = match (
                version_of("javac", "-version"),
                version_of("java", "-version"),
            ) {
                (Some(javac), Some(_)) => Some(javac),
                _ => None,
            };
            let present = |jar: &str| Path::new("/usr/share/java").join(jar).exists();
            match java_lack(javac.is_some(), packages, jars, present) {
                Some(lack) => Err(lack),
                None => Ok(javac.unwrap_or_default()),
            }
        }
    }
}

/// What a JVM stack lacks: the JDK unless `jdk`, and the packages of the jars (`jars[i]` comes
/// with `packages[i]`) that are not `present`.
fn java_lack(
    jdk: bool,
    packages: &[&str],
    jars: &[&str],
    present: impl Fn(&str) -> bool,
) -> Option<Lack> {
    let missing: Vec<(&str, &str)> = jars
        .iter()
        .zip(packages)
        .filter(|(jar, _)| !present(jar))
        .map(|(jar, package)| (*jar, *package))
        .collect();
    let jars_what = (!missing.is_empty()).then(|| {
        let names: Vec<&str> = missing.iter().map(|(jar, _)| *jar).collect();
        format!("/usr/share/java/{{{}}}", names.join(","))
    });
    let what = match (jdk, jars_what) {
        (true, None) => return None,
        (true, Some(jars)) => jars,
        (false, None) => "a JDK 17 (`javac`, `java`)".to_owned(),
        (false, Some(jars)) => format!("a JDK 17 (`javac`, `java`) and {jars}"),
    };
    let packages = (!jdk)
        .then_some(JDK_PACKAGE)
        .into_iter()
        .chain(missing.iter().map(|(_, package)| *package))
        .map(str::to_owned)
        .collect();
    Some(Lack::apt(what, packages))
}

/// A built stack, ready to be started: a program, its arguments and environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    /// The program.
    pub program: PathBuf,
    /// Its arguments (JVM options, class path and main class for the JVM stacks).
    pub args: Vec<String>,
    /// Its environment beyond `PORT`, `BIND` and `WORKERS`.
    pub env: Vec<(String, String)>,
    /// What is deployed besides the runtime: the binary, or the jar and the jars on its class
    /// path (the JDK itself is not counted).
    pub artifacts: Vec<PathBuf>,
}

impl Launch {
    /// Total size of the artifacts, bytes; `None` if one cannot be read.
    pub fn size_bytes(&self) -> Option<u64> {
        self.artifacts
            .iter()
            .map(|a| std::fs::metadata(a).ok().map(|m| m.len()))
            .sum()
    }

    /// Size of the runtime the program belongs to, bytes, when the program is not one of the
    /// artifacts (the JVM stacks start `java`): the Java home it sits in (`<home>/bin/java`,
    /// found on `PATH` and its links followed; a home is recognised by its `release` file),
    /// every regular file under it summed, symbolic links not followed. `None` for a static
    /// binary, or when no such home can be read.
    pub fn runtime_bytes(&self) -> Option<u64> {
        if self.artifacts.contains(&self.program) {
            return None;
        }
        let program = on_path(&self.program)?.canonicalize().ok()?;
        let home = program.parent()?.parent()?;
        home.join("release").is_file().then(|| folder_bytes(home))
    }

    /// The command line, for the record.
    pub fn command_line(&self) -> String {
        std::iter::once(self.program.display().to_string())
            .chain(self.args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Arguments with `WORKERS` applied where the runtime needs it on its command line (the
    /// JVM sizes its pools from `-XX:ActiveProcessorCount`, not from the environment).
    pub fn args_for_workers(&self, stack: &Stack, workers: Option<usize>) -> Vec<String> {
        match workers {
            Some(n) if stack.is_jvm() => std::iter::once(format!("-XX:ActiveProcessorCount={n}"))
                .chain(self.args.iter().cloned())
                .collect(),
            _ => self.args.clone(),
        }
    }
}

/// `program` as the shell finds it: itself when it names a folder, else the first match on
/// `PATH`.
fn on_path(program: &Path) -> Option<PathBuf> {
    if program.components().count() > 1 {
        return Some(program.to_owned());
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// The regular files under `dir`, bytes; links are not followed, unreadable entries skipped.
fn folder_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.file_type() {
            Ok(kind) if kind.is_dir() => folder_bytes(&entry.path()),
            Ok(kind) if kind.is_file() => entry.metadata().map_or(0, |m| m.len()),
            _ => 0,
        })
        .sum()
}

/// Builds `stack` once per process and returns how the contract suite starts it: the same
/// program, arguments and environment a run uses. Panics when the stack cannot be built here,
/// naming what to install: a test that needs a stack must fail without it, never skip.
pub fn contract_target(name: &str) -> footprint_contract::Target {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};

    static BUILT: OnceLock<Mutex<HashMap<String, Launch>>> = OnceLock::new();
    let stack = lookup(name).unwrap_or_else(|| panic!("no stack or variant named {name}"));
    let launch = {
        let mut built = BUILT
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if !built.contains_key(name) {
            if let Availability::Missing { what, install } = check(stack) {
                panic!("{name} cannot be built here: {what} is missing; {install}");
            }
            let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
            let launch =
                prepare(stack, &root, true).unwrap_or_else(|e| panic!("building {name}: {e}"));
            built.insert(name.to_owned(), launch);
        }
        built[name].clone()
    };
    let mut target = footprint_contract::Target::new(name, launch.program);
    target.args = launch.args;
    target.env = launch.env;
    target.ready_timeout = stack.boot_timeout();
    target
}

/// Why a stack could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The build tool could not be started.
    #[error("cannot run {tool}: {source}")]
    Tool {
        /// The tool.
        tool: String,
        /// Why.
        source: std::io::Error,
    },
    /// The build failed.
    #[error("`{command}` failed ({status}); its errors are printed above")]
    Failed {
        /// The command line.
        command: String,
        /// Its exit status.
        status: String,
    },
    /// The build succeeded but left no executable or no launch files.
    #[error("`{command}` did not produce {what}")]
    NoOutput {
        /// The command line.
        command: String,
        /// What was expected.
        what: String,
    },
}

/// Builds `stack` in `root` and says how to launch it. Build tools print their progress to
/// stderr unless `quiet`.
pub fn prepare(stack: &Stack, root: &Path, quiet: bool) -> Result<Launch, BuildError> {
    let out = stack.out_dir(root);
    match stack.build {
        Build::Cargo {
            package,
            bin,
            features,
        } => {
            let program = cargo_build(package, bin, features, root, quiet)?;
            Ok(Launch {
                artifacts: vec![program.clone()],
                program,
                args: Vec::new(),
                env: Vec::new(),
            })
        }
        Build::Go {
            dir,
            bin,
            tags,
            libs,
        } => {
            let program = out.join(bin);
            let mut command = Command::new("go");
            command
                .current_dir(root.join(dir))
                .env("CGO_ENABLED", "0")
                .args(["build", "-trimpath", "-ldflags=-s -w"]);
            if !libs.is_empty() {
                // Debian's Go libraries are a GOPATH, not modules: the module file is set
                // aside and the imports are found under /usr/share/gocode.
                command
                    .env("GO111MODULE", "off")
                    .env("GOPATH", DEBIAN_GOPATH)
                    .env("GOFLAGS", "");
            }
            if !tags.is_empty() {
                command.arg(format!("-tags={}", tags.join(",")));
            }
            command.arg("-o").arg(&program).arg(".");
            run_tool(command, "go", quiet)?;
            Ok(Launch {
                artifacts: vec![program.clone()],
                program,
                args: Vec::new(),
                env: Vec::new(),
            })
        }
        Build::Harness { args } => {
            let program = std::env::current_exe().map_err(|source| BuildError::Tool {
                tool: "the harness's own executable".to_owned(),
                source,
            })?;
            Ok(Launch {
                artifacts: vec![program.clone()],
                program,
                args: args.iter().map(|a| (*a).to_owned()).collect(),
                env: Vec::new(),
            })
        }
        Build::Java {
            dir, jar, flags, ..
        } => {
            let mut command = Command::new("sh");
            command
                .current_dir(root)
                .arg(Path::new(dir).join("build.sh"))
                .arg(&out)
                .args(flags);
            let shown = run_tool(command, "sh", quiet)?;
            let read = |name: &str| {
                std::fs::read_to_string(out.join(name))
                    .ok()
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| BuildError::NoOutput {
                        command: shown.clone(),
                        what: out.join(name).display().to_string(),
                    })
            };
            let classpath = read("classpath.txt")?;
            let main_class = read("main-class.txt")?;
            let mut artifacts: Vec<PathBuf> = classpath.split(':').map(PathBuf::from).collect();
            if !artifacts.contains(&out.join(jar)) {
                artifacts.push(out.join(jar));
            }
            let args = stack
                .jvm_options
                .iter()
                .map(|o| (*o).to_owned())
                .chain(["-cp".to_owned(), classpath, main_class])
                .collect();
            Ok(Launch {
                program: PathBuf::from("java"),
                args,
                // The base's name: a variant's jar adds `+quotes` to its ready line itself,
                // and `Server` stays the stack's (contract L6).
                env: vec![("STACK_NAME".to_owned(), stack.base_name().to_owned())],
                artifacts,
            })
        }
    }
}

/// Runs a build command, its output on stderr (or nowhere when `quiet`); returns it as shown.
fn run_tool(mut command: Command, tool: &str, quiet: bool) -> Result<String, BuildError> {
    let shown = format!("{command:?}").replace('"', "");
    command
        .stdout(if quiet {
            Stdio::null()
        } else {
            Stdio::inherit()
        })
        .stderr(if quiet {
            Stdio::null()
        } else {
            Stdio::inherit()
        });
    let status = command.status().map_err(|source| BuildError::Tool {
        tool: tool.to_owned(),
        source,
    })?;
    if status.success() {
        Ok(shown)
    } else {
        Err(BuildError::Failed {
            command: shown,
            status: status.to_string(),
        })
    }
}

/// The variable naming another cargo profile for the Rust stacks than `release`.
pub const PROFILE_VAR: &str = "FOOTPRINT_PROFILE";

/// The cargo profile the Rust stacks are built with: `release` (fat LTO, one codegen unit:
/// the configuration every figure is of), or what `FOOTPRINT_PROFILE` names. The test suite
/// names `stack-test` (the release profile without its LTO, which takes most of a release
/// build's time): its runs check what the harness does, not what the stacks cost, and a run
/// built so says so in `env.json`, at its start and in its report.
pub fn build_profile() -> String {
    std::env::var(PROFILE_VAR)
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "release".to_owned())
}

/// `cargo build --profile <build_profile()>` of one binary; returns the path of the
/// executable.
fn cargo_build(
    package: &str,
    bin: &str,
    features: &[&str],
    root: &Path,
    quiet: bool,
) -> Result<PathBuf, BuildError> {
    let cargo = cargo();
    let profile = build_profile();
    let mut command = Command::new(&cargo);
    command.current_dir(root).args([
        "build",
        "--profile",
        &profile,
        "--package",
        package,
        "--bin",
        bin,
    ]);
    if !features.is_empty() {
        command.arg(format!("--features={}", features.join(",")));
    }
    command
        .arg("--message-format=json-render-diagnostics")
        .stdout(Stdio::piped())
        .stderr(if quiet {
            Stdio::null()
        } else {
            Stdio::inherit()
        });
    if quiet {
        command.arg("--quiet");
    }
    let shown = if features.is_empty() {
        format!("cargo build --profile {profile} -p {package} --bin {bin}")
    } else {
        format!(
            "cargo build --profile {profile} -p {package} --bin {bin} --features {}",
            features.join(",")
        )
    };
    let mut child = command.spawn().map_err(|source| BuildError::Tool {
        tool: cargo.clone(),
        source,
    })?;
    let mut executable = None;
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(path) = artifact_executable(&line, bin) {
                executable = Some(path);
            }
        }
    }
    let status = child.wait().map_err(|source| BuildError::Tool {
        tool: cargo,
        source,
    })?;
    if !status.success() {
        return Err(BuildError::Failed {
            command: shown,
            status: status.to_string(),
        });
    }
    executable.ok_or(BuildError::NoOutput {
        command: shown,
        what: format!("an executable named {bin}"),
    })
}

/// The executable of a `compiler-artifact` message for binary `bin`, if this line is one.
fn artifact_executable(line: &str, bin: &str) -> Option<PathBuf> {
    let message: serde_json::Value = serde_json::from_str(line).ok()?;
    if message["reason"] != "compiler-artifact" || message["target"]["name"] != bin {
        return None;
    }
    message["executable"].as_str().map(PathBuf::from)
}

/// The cargo that runs us (`$CARGO` under `cargo run`), or the one on `PATH`.
fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// The project's target folder (`CARGO_TARGET_DIR` honoured).
fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

/// The first line a tool prints for `flag`, or `None` when it cannot be run.
pub fn version_of(tool: &str, flag: &str) -> Option<String> {
    let output = Command::new(tool).arg(flag).output().ok()?;
    if !output.status.success() {
        return None;
    }
    let text = if output.stdout.is_empty() {
        output.stderr
    } else {
        output.stdout
    };
    String::from_utf8_lossy(&text)
        .lines()
        .next()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found() {
        for stack in STACKS {
            assert_eq!(find(stack.name), Some(&stack));
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
        assert!(matches!(check(&STACKS[0]), Availability::Ready { .. }));
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
        let none = |_: &str| false;
        let all = |_: &str| true;
        let lack = java_lack(false, SPRING_PACKAGES, SPRING_JARS, none).unwrap();
        assert_eq!(lack.packages[0], JDK_PACKAGE);
        assert_eq!(lack.packages[1..], *SPRING_PACKAGES);
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
        let lack = java_lack(true, SPRING_PACKAGES, SPRING_JARS, only_tomcat).unwrap();
        assert_eq!(lack.packages, ["libtomcat9-java"]);
        assert_eq!(lack.what, "/usr/share/java/{tomcat9-catalina.jar}");

        let lack = java_lack(false, &[], &[], none).unwrap();
        assert_eq!(lack.packages, [JDK_PACKAGE]);
        assert_eq!(lack.what, "a JDK 17 (`javac`, `java`)");

        assert_eq!(java_lack(true, SPRING_PACKAGES, SPRING_JARS, all), None);
    }

    #[test]
    fn every_jar_comes_with_its_package() {
        for stack in STACKS {
            if let Build::Java { packages, jars, .. } = stack.build {
                assert_eq!(packages.len(), jars.len(), "{}", stack.name);
            }
        }
    }

    #[test]
    fn check_and_lack_agree() {
        for stack in &STACKS {
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
            TUNED_JVM
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
        for rung in RUNGS {
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
        assert_eq!((tags, libs), (&["log"][..], &[SLOG][..]));
        let Build::Go { libs, .. } = lookup("go@metrics").unwrap().build else {
            panic!("go@metrics is a Go build");
        };
        assert_eq!(libs, &[PROMETHEUS_CLIENT][..]);
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
        for variant in VARIANTS {
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
            STACKS.len() + VARIANTS.len() + RUNGS.len()
        );
    }
}
