//! Whether a stack can be built and run here: what it lacks, as words and as Debian packages.

use std::path::Path;
use std::process::Command;

use super::tools::{cargo, on_path};
use super::{Build, DEBIAN_GOPATH, GoLib, Stack};

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

/// The Prometheus server that scrapes a `metrics` rung, found on `PATH`.
pub const PROMETHEUS_PROGRAM: &str = "prometheus";

/// The Debian package that installs it.
pub const PROMETHEUS_PACKAGE: &str = "prometheus";

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
    pub(super) fn apt(what: String, packages: Vec<String>) -> Self {
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
    if stack.is_scraped() && version_of(PROMETHEUS_PROGRAM, "--version").is_none() {
        return Err(Lack::apt(
            format!(
                "Prometheus (`{}`), which scrapes the metrics rung while it is measured",
                PROMETHEUS_PROGRAM
            ),
            vec![PROMETHEUS_PACKAGE.to_owned()],
        ));
    }
    Ok(toolchain)
}

/// The toolchain `stack` is built with, with its version, or what it lacks.
fn probe_build(stack: &Stack) -> Result<String, Lack> {
    match stack.build {
        Build::Harness { .. } => Ok(format!("harness {}", env!("CARGO_PKG_VERSION"))),
        Build::Command {
            command, folder, ..
        } => {
            let program = Path::new(command[0]);
            let found = if program.components().count() > 1 {
                folder.join(program).is_file()
            } else {
                on_path(program).is_some()
            };
            if found {
                Ok(format!("its build command ({})", command.join(" ")))
            } else {
                Err(Lack::other(
                    &format!(
                        "{} (the first word of {}'s build.command)",
                        command[0], stack.name
                    ),
                    "install it, or change build.command in the stack file",
                ))
            }
        }
        Build::Binary { path } => {
            if path.is_file() {
                Ok(format!("a ready executable ({})", path.display()))
            } else {
                Err(Lack::other(
                    &format!("{} ({}'s build.binary)", path.display(), stack.name),
                    "build it first, or change build.binary in the stack file (relative to its folder)",
                ))
            }
        }
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
pub(super) fn java_lack(
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
