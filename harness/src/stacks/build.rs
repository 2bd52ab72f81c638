//! Building a stack and launching what was built: the program, its arguments and environment.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::doctor::{Availability, check};
use super::tools::cargo;
use super::{BIND_VALUE, Build, DEBIAN_GOPATH, PORT_VALUE, Stack, lookup};

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
    /// An executable alone: no arguments, no environment of its own.
    fn program(program: PathBuf) -> Self {
        Self {
            artifacts: vec![program.clone()],
            program,
            args: Vec::new(),
            env: Vec::new(),
        }
    }

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
        let program = super::tools::on_path(&self.program)?.canonicalize().ok()?;
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
    target_of(stack, launch)
}

/// How the contract suite starts `stack` from what its build made: the program, arguments and
/// environment a run uses; a user's stack, which may print no ready line, is also found ready
/// by its health path.
pub fn target_of(stack: &Stack, launch: Launch) -> footprint_contract::Target {
    let mut target = footprint_contract::Target::new(stack.name, launch.program);
    target.args = launch.args;
    target.env = launch.env;
    target.ready_timeout = stack.boot_timeout();
    if stack.is_users() {
        target.health = Some(stack.service.health.to_owned());
    }
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
    let mut launch = build(stack, root, quiet)?;
    let service = stack.service;
    launch
        .args
        .extend(service.args.iter().map(|a| (*a).to_owned()));
    launch.env.extend(
        service
            .env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    if let Some(port) = service.port_variable {
        launch.env.push((port.to_owned(), PORT_VALUE.to_owned()));
    }
    if let Some(bind) = service.bind_variable {
        launch.env.push((bind.to_owned(), BIND_VALUE.to_owned()));
    }
    Ok(launch)
}

/// The environment of a launch with the port and address the backend chose put where the
/// stack's declaration asks for them ([`PORT_VALUE`], [`BIND_VALUE`]).
pub fn resolve_env(env: &[(String, String)], port: &str, bind: &str) -> Vec<(String, String)> {
    env.iter()
        .map(|(k, v)| {
            let value = match v.as_str() {
                PORT_VALUE => port.to_owned(),
                BIND_VALUE => bind.to_owned(),
                _ => v.clone(),
            };
            (k.clone(), value)
        })
        .collect()
}

/// Runs `stack`'s build and says what it made.
fn build(stack: &Stack, root: &Path, quiet: bool) -> Result<Launch, BuildError> {
    match stack.build {
        Build::Command {
            command,
            folder,
            output,
        } => {
            let mut tool = Command::new(command[0]);
            tool.current_dir(folder).args(&command[1..]);
            let shown = run_tool(tool, command[0], quiet)?;
            if !output.is_file() {
                return Err(BuildError::NoOutput {
                    command: shown,
                    what: output.display().to_string(),
                });
            }
            Ok(Launch::program(output.to_owned()))
        }
        Build::Binary { path } => Ok(Launch::program(path.to_owned())),
        Build::Cargo {
            package,
            bin,
            features,
        } => Ok(Launch::program(cargo_build(
            package, bin, features, root, quiet,
        )?)),
        Build::Go {
            dir,
            bin,
            tags,
            libs,
        } => go_build(stack, root, (dir, bin, tags, libs), quiet),
        Build::Harness { args } => {
            let program = std::env::current_exe().map_err(|source| BuildError::Tool {
                tool: "the harness's own executable".to_owned(),
                source,
            })?;
            let mut launch = Launch::program(program);
            launch.args = args.iter().map(|a| (*a).to_owned()).collect();
            Ok(launch)
        }
        Build::Java {
            dir, jar, flags, ..
        } => java_build(stack, root, (dir, jar, flags), quiet),
    }
}

/// A Go module's `go build` (static, stripped; in GOPATH mode against Debian's tree when it
/// imports Debian's libraries).
fn go_build(
    stack: &Stack,
    root: &Path,
    (dir, bin, tags, libs): (&str, &str, &[&str], &[super::GoLib]),
    quiet: bool,
) -> Result<Launch, BuildError> {
    let program = stack.out_dir(root).join(bin);
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
    Ok(Launch::program(program))
}

/// A JVM service's own `build.sh OUT [FLAGS]`, and its launch: `java`, the stack's JVM options,
/// the class path and the main class the build wrote.
fn java_build(
    stack: &Stack,
    root: &Path,
    (dir, jar, flags): (&str, &str, &[&str]),
    quiet: bool,
) -> Result<Launch, BuildError> {
    let out = stack.out_dir(root);
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
pub(super) fn artifact_executable(line: &str, bin: &str) -> Option<PathBuf> {
    let message: serde_json::Value = serde_json::from_str(line).ok()?;
    if message["reason"] != "compiler-artifact" || message["target"]["name"] != bin {
        return None;
    }
    message["executable"].as_str().map(PathBuf::from)
}
