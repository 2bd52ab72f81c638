//! `harness setup`: installs the Debian packages that the stacks which cannot run here need
//! (the Go toolchain, a JDK, Debian's Spring and Tomcat jars), with `apt-get`, through `sudo`
//! unless already root.
//!
//! What to install is planned from [`stacks::lack`] first and printed; the commands run behind
//! the [`Installer`] trait, so that tests check the plan without installing anything.

use std::io::Write;
use std::process::Command;

use crate::stacks::{self, Lack};

/// Why `harness setup` failed.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// A command could not be started (no `sudo`, no `apt-get`).
    #[error("cannot run `{command}`: {source}")]
    Start {
        /// The command line.
        command: String,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A command ran and failed.
    #[error("`{command}` failed ({status}); its output is above")]
    Failed {
        /// The command line.
        command: String,
        /// Its exit status.
        status: String,
    },
    /// The plan could not be printed.
    #[error("cannot write to the terminal: {0}")]
    Output(#[from] std::io::Error),
}

/// Runs the commands of a setup.
pub trait Installer {
    /// Runs `program` with `args`, its output shown as it comes; an error unless it succeeds.
    fn run(&self, program: &str, args: &[String]) -> Result<(), SetupError>;
}

/// The real thing: a child process sharing the terminal.
#[derive(Debug, Clone, Copy, Default)]
pub struct System;

impl Installer for System {
    fn run(&self, program: &str, args: &[String]) -> Result<(), SetupError> {
        let command = shown(program, args);
        let status = Command::new(program)
            .args(args)
            .status()
            .map_err(|source| SetupError::Start {
                command: command.clone(),
                source,
            })?;
        if status.success() {
            Ok(())
        } else {
            Err(SetupError::Failed {
                command,
                status: status.to_string(),
            })
        }
    }
}

/// One command of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The program (`sudo` or `apt-get`).
    pub program: String,
    /// Its arguments.
    pub args: Vec<String>,
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&shown(&self.program, &self.args))
    }
}

/// A stack that cannot run here, and what it lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    /// The stack's name.
    pub stack: String,
    /// What it lacks.
    pub lack: Lack,
}

/// What `harness setup` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The Debian packages to install, sorted, each once.
    pub packages: Vec<String>,
    /// The stacks they are for, in the order of a run.
    pub stacks: Vec<String>,
    /// Stacks lacking something apt does not install (the Rust toolchain).
    pub elsewhere: Vec<Need>,
    /// The commands, in order: `apt-get update`, then `apt-get install`; none when there is
    /// nothing to install.
    pub steps: Vec<Step>,
}

/// What every known stack, variant and rung lacks here, in the order of a run.
pub fn needs() -> Vec<Need> {
    stacks::stacks()
        .into_iter()
        .chain(stacks::variants())
        .chain(stacks::rungs())
        .filter_map(|stack| {
            stacks::lack(stack).map(|lack| Need {
                stack: stack.name.to_owned(),
                lack,
            })
        })
        .collect()
}

/// Whether this process runs as root (then `apt-get` runs without `sudo`).
pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// The plan for `needs`: their packages sorted and each once, and the commands to install
/// them, through `sudo` unless `root`.
pub fn plan(needs: &[Need], root: bool) -> Plan {
    let mut packages: Vec<String> = needs
        .iter()
        .flat_map(|need| need.lack.packages.iter().cloned())
        .collect();
    packages.sort();
    packages.dedup();
    let stacks = needs
        .iter()
        .filter(|need| !need.lack.packages.is_empty())
        .map(|need| need.stack.clone())
        .collect();
    let elsewhere = needs
        .iter()
        .filter(|need| need.lack.packages.is_empty())
        .cloned()
        .collect();
    let steps = if packages.is_empty() {
        Vec::new()
    } else {
        let update = vec!["update".to_owned()];
        let install = ["install", "-y", "--no-install-recommends"]
            .into_iter()
            .map(str::to_owned)
            .chain(packages.iter().cloned())
            .collect();
        [update, install]
            .into_iter()
            .map(|args| apt_get(args, root))
            .collect()
    };
    Plan {
        packages,
        stacks,
        elsewhere,
        steps,
    }
}

/// `apt-get ARGS`, behind `sudo` unless `root`.
fn apt_get(args: Vec<String>, root: bool) -> Step {
    if root {
        Step {
            program: "apt-get".to_owned(),
            args,
        }
    } else {
        Step {
            program: "sudo".to_owned(),
            args: std::iter::once("apt-get".to_owned()).chain(args).collect(),
        }
    }
}

/// Prints `plan` to `out`, then (unless `dry_run`) runs its commands with `installer`, each
/// printed before it runs; stops at the first that fails.
pub fn execute(
    plan: &Plan,
    installer: &dyn Installer,
    dry_run: bool,
    out: &mut dyn Write,
) -> Result<(), SetupError> {
    for need in &plan.elsewhere {
        writeln!(
            out,
            "{}: {} is missing, which apt does not install; {}",
            need.stack, need.lack.what, need.lack.install
        )?;
    }
    if plan.steps.is_empty() {
        if plan.elsewhere.is_empty() {
            writeln!(
                out,
                "nothing to install: every stack can be built and run here"
            )?;
        } else {
            writeln!(out, "no Debian package to install")?;
        }
        return Ok(());
    }
    writeln!(
        out,
        "will install: {} (for {})",
        plan.packages.join(" "),
        plan.stacks.join(", ")
    )?;
    if dry_run {
        writeln!(out, "would run (--dry-run: nothing is run):")?;
        for step in &plan.steps {
            writeln!(out, "  {step}")?;
        }
        return Ok(());
    }
    for step in &plan.steps {
        writeln!(out, "$ {step}")?;
        out.flush()?;
        installer.run(&step.program, &step.args)?;
    }
    Ok(())
}

/// A command line as shown to the user.
fn shown(program: &str, args: &[String]) -> String {
    std::iter::once(program)
        .chain(args.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    /// Records the commands instead of running them; fails the one named `fail`.
    #[derive(Default)]
    struct Fake {
        ran: RefCell<Vec<String>>,
        fail: Option<&'static str>,
    }

    impl Installer for Fake {
        fn run(&self, program: &str, args: &[String]) -> Result<(), SetupError> {
            let command = shown(program, args);
            self.ran.borrow_mut().push(command.clone());
            if self.fail.is_some_and(|fail| command.contains(fail)) {
                return Err(SetupError::Failed {
                    command,
                    status: "exit status: 100".to_owned(),
                });
            }
            Ok(())
        }
    }

    fn need(stack: &str, packages: &[&str]) -> Need {
        Need {
            stack: stack.to_owned(),
            lack: Lack {
                what: format!("what {stack} needs"),
                packages: packages.iter().map(|p| (*p).to_owned()).collect(),
                install: if packages.is_empty() {
                    "install it some other way".to_owned()
                } else {
                    format!("sudo apt-get install {}", packages.join(" "))
                },
            },
        }
    }

    fn typical() -> Vec<Need> {
        vec![
            need("go", &["golang-go"]),
            need("jvm-plain", &["openjdk-17-jdk-headless"]),
            need(
                "jvm-spring",
                &[
                    "openjdk-17-jdk-headless",
                    "libtomcat9-java",
                    "libspring-context-java",
                ],
            ),
            need(
                "jvm-spring-tuned",
                &[
                    "openjdk-17-jdk-headless",
                    "libtomcat9-java",
                    "libspring-context-java",
                ],
            ),
        ]
    }

    fn printed(plan: &Plan, installer: &Fake, dry_run: bool) -> (Result<(), SetupError>, String) {
        let mut out = Vec::new();
        let result = execute(plan, installer, dry_run, &mut out);
        (result, String::from_utf8(out).unwrap())
    }

    #[test]
    fn packages_are_sorted_and_each_named_once() {
        let plan = plan(&typical(), true);
        assert_eq!(
            plan.packages,
            [
                "golang-go",
                "libspring-context-java",
                "libtomcat9-java",
                "openjdk-17-jdk-headless"
            ]
        );
        assert_eq!(
            plan.stacks,
            ["go", "jvm-plain", "jvm-spring", "jvm-spring-tuned"]
        );
        assert!(plan.elsewhere.is_empty());
    }

    #[test]
    fn root_runs_apt_get_itself() {
        let plan = plan(&typical(), true);
        let steps: Vec<String> = plan.steps.iter().map(Step::to_string).collect();
        assert_eq!(
            steps,
            [
                "apt-get update",
                "apt-get install -y --no-install-recommends golang-go libspring-context-java \
                 libtomcat9-java openjdk-17-jdk-headless"
            ]
        );
    }

    #[test]
    fn others_go_through_sudo() {
        let plan = plan(&[need("go", &["golang-go"])], false);
        assert_eq!(plan.steps[0].program, "sudo");
        assert_eq!(plan.steps[0].args, ["apt-get", "update"]);
        assert_eq!(
            plan.steps[1].to_string(),
            "sudo apt-get install -y --no-install-recommends golang-go"
        );
    }

    #[test]
    fn runs_the_plan_in_order_and_says_what_for() {
        let plan = plan(&typical(), false);
        let fake = Fake::default();
        let (result, out) = printed(&plan, &fake, false);
        result.unwrap();
        assert_eq!(
            *fake.ran.borrow(),
            plan.steps.iter().map(Step::to_string).collect::<Vec<_>>()
        );
        assert!(
            out.starts_with(
                "will install: golang-go libspring-context-java libtomcat9-java \
                 openjdk-17-jdk-headless (for go, jvm-plain, jvm-spring, jvm-spring-tuned)\n"
            ),
            "{out}"
        );
        assert!(out.contains("$ sudo apt-get update\n"), "{out}");
    }

    #[test]
    fn dry_run_runs_nothing_and_lists_the_commands() {
        let plan = plan(&typical(), false);
        let fake = Fake::default();
        let (result, out) = printed(&plan, &fake, true);
        result.unwrap();
        assert!(fake.ran.borrow().is_empty());
        assert!(out.contains("will install: golang-go "), "{out}");
        assert!(out.contains("\n  sudo apt-get update\n"), "{out}");
        assert!(
            out.contains(
                "\n  sudo apt-get install -y --no-install-recommends golang-go \
                 libspring-context-java libtomcat9-java openjdk-17-jdk-headless\n"
            ),
            "{out}"
        );
    }

    #[test]
    fn nothing_missing_runs_nothing() {
        let plan = plan(&[], false);
        assert!(plan.steps.is_empty() && plan.packages.is_empty());
        let fake = Fake::default();
        let (result, out) = printed(&plan, &fake, false);
        result.unwrap();
        assert!(fake.ran.borrow().is_empty());
        assert_eq!(
            out,
            "nothing to install: every stack can be built and run here\n"
        );
    }

    #[test]
    fn what_apt_cannot_install_is_named_not_installed() {
        let plan = plan(&[need("floor", &[]), need("go", &["golang-go"])], true);
        assert_eq!(plan.packages, ["golang-go"]);
        assert_eq!(plan.stacks, ["go"]);
        assert_eq!(plan.elsewhere.len(), 1);
        let fake = Fake::default();
        let (result, out) = printed(&plan, &fake, true);
        result.unwrap();
        assert!(
            out.starts_with(
                "floor: what floor needs is missing, which apt does not install; install it \
                 some other way\n"
            ),
            "{out}"
        );

        let plan = super::plan(&[need("floor", &[])], true);
        assert!(plan.steps.is_empty());
        let (result, out) = printed(&plan, &fake, false);
        result.unwrap();
        assert!(out.ends_with("no Debian package to install\n"), "{out}");
        assert!(fake.ran.borrow().is_empty());
    }

    #[test]
    fn a_failing_command_stops_the_setup_and_is_named() {
        let plan = plan(&typical(), true);
        let fake = Fake {
            fail: Some("update"),
            ..Fake::default()
        };
        let (result, _) = printed(&plan, &fake, false);
        let error = result.unwrap_err();
        assert_eq!(
            error.to_string(),
            "`apt-get update` failed (exit status: 100); its output is above"
        );
        assert_eq!(
            fake.ran.borrow().len(),
            1,
            "install must not run after update failed"
        );
    }

    #[test]
    fn a_command_that_cannot_start_is_named() {
        let error = System
            .run("/nonexistent/apt-get", &["update".to_owned()])
            .unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("cannot run `/nonexistent/apt-get update`: "),
            "{error}"
        );
    }
}
