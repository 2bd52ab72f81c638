//! The stacks the harness knows: what each is, whether it can run here, and how it is built.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// How a stack is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Build {
    /// A binary of this workspace, built by cargo (release, static).
    Cargo {
        /// The package.
        package: &'static str,
        /// The binary.
        bin: &'static str,
    },
}

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
}

/// Every stack, in the default order of a run.
pub const STACKS: [Stack; 4] = [
    Stack {
        name: "floor",
        about: "standard library only, a thread per connection: the reference line",
        workers: "nothing (a thread per connection)",
        build: Build::Cargo {
            package: "footprint-floor",
            bin: "footprint-floor",
        },
    },
    Stack {
        name: "hyper",
        about: "hyper 1.x with hyper-util, routed by hand, on tokio",
        workers: "tokio worker threads",
        build: Build::Cargo {
            package: "footprint-hyper",
            bin: "footprint-hyper",
        },
    },
    Stack {
        name: "axum",
        about: "axum 0.8 on hyper 1.x and tokio",
        workers: "tokio worker threads",
        build: Build::Cargo {
            package: "footprint-axum",
            bin: "footprint-axum",
        },
    },
    Stack {
        name: "actix",
        about: "actix-web 4 with its own server",
        workers: "actix workers (one single-threaded runtime each)",
        build: Build::Cargo {
            package: "footprint-actix",
            bin: "footprint-actix",
        },
    },
];

/// The stack called `name`.
pub fn find(name: &str) -> Option<&'static Stack> {
    STACKS.iter().find(|s| s.name == name)
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

/// Checks what `stack` needs.
pub fn check(stack: &Stack) -> Availability {
    match stack.build {
        Build::Cargo { .. } => match version_of(&cargo(), "--version") {
            Some(version) => Availability::Ready { toolchain: version },
            None => Availability::Missing {
                what: "cargo (the Rust toolchain)".into(),
                install: "install Rust with rustup: https://rustup.rs".into(),
            },
        },
    }
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
    /// The build succeeded but named no executable.
    #[error("`{command}` built no executable named {bin}")]
    NoExecutable {
        /// The command line.
        command: String,
        /// The binary expected.
        bin: String,
    },
}

/// Builds `stack` in `root` (release, static) and returns the path of its executable.
/// Cargo's own progress goes to stderr unless `quiet`.
pub fn build(stack: &Stack, root: &Path, quiet: bool) -> Result<PathBuf, BuildError> {
    let Build::Cargo { package, bin } = stack.build;
    let cargo = cargo();
    let mut command = Command::new(&cargo);
    command
        .current_dir(root)
        .args(["build", "--release", "--package", package, "--bin", bin])
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
    let shown = format!("cargo build --release -p {package} --bin {bin}");
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
    executable.ok_or(BuildError::NoExecutable {
        command: shown,
        bin: bin.into(),
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

/// The first line a tool prints for `flag`, or `None` when it cannot be run.
pub fn version_of(tool: &str, flag: &str) -> Option<String> {
    let output = Command::new(tool).arg(flag).output().ok()?;
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
        assert!(find("jvm").is_none());
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
}
