//! `harness clean`: finds what crashed or killed runs left behind and removes it: service
//! processes of the `local` backend, found by the marker in their environment, are stopped;
//! services, containers and images on the Docker daemon, found by the run label, are removed.
//! What belongs to a run whose harness is still alive is left alone: a run's lock
//! ([`crate::lock`]) says so, whatever PID namespace its harness runs in. A run's own last
//! resort (a second stop signal) removes what that one run made, by the same code.

use std::collections::HashMap;
use std::fs;
use std::os::fd::OwnedFd;
use std::thread;
use std::time::{Duration, Instant};

use bollard::query_parameters::{
    ListContainersOptionsBuilder, ListImagesOptionsBuilder, ListServicesOptions,
    ListServicesOptionsBuilder, RemoveImageOptionsBuilder,
};
use rustix::io::Errno;
use rustix::process::{Pid, PidfdFlags, Signal, pidfd_open, pidfd_send_signal};

use super::container::remove_container;
use super::daemon::{
    Daemon, DaemonError, LABEL_GWBRIDGE_BEFORE, LABEL_KEEP, LABEL_MADE_BY, LABEL_RUN, LABEL_STACK,
    api_message, label_filter,
};
use super::firewall;
#[cfg(test)]
use super::local::ENV_HARNESS_PID;
use super::local::{ENV_RUN, ENV_STACK, STOP_TIMEOUT};
use super::swarm::tasks::remove_service;
use crate::lock::{self, Liveness};
use crate::sample::start_ticks;

/// How long a process may take to go after `SIGKILL`.
const KILL_WAIT: Duration = Duration::from_secs(1);

/// Why the processes could not be looked through.
#[derive(Debug, thiserror::Error)]
pub enum CleanError {
    /// `/proc` cannot be listed.
    #[error("cannot list the processes in /proc: {0}")]
    Proc(std::io::Error),
}

/// One object found, and what was done with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// `process`, `service`, `container`, `image` or `cgroup`.
    pub kind: &'static str,
    /// Its id (short); a process's pid.
    pub id: String,
    /// Its run.
    pub run: String,
    /// Its stack.
    pub stack: String,
    /// What was done: removed, or why not.
    pub outcome: String,
}

/// Whose leftovers a clean removes.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// Every run whose harness has ended, as its lock in `locks` says; with `force`, also runs
    /// with no lock there (made by a harness that does not share the folder).
    Ended {
        /// The folder of the runs' locks.
        locks: &'a std::path::Path,
        /// Also runs whose liveness is unknown.
        force: bool,
    },
    /// One run, whatever its lock says: the run's own last resort.
    Run(&'a str),
}

impl Scope<'_> {
    /// Whether run `run`'s objects are to go, or why not.
    fn verdict(&self, run: &str) -> Result<(), String> {
        match *self {
            Scope::Run(this) if this == run => Ok(()),
            Scope::Run(_) => Err("left: another run's".to_owned()),
            Scope::Ended { locks, force } => match lock::liveness(locks, run) {
                Liveness::Ended => Ok(()),
                Liveness::Unknown if force => Ok(()),
                Liveness::Alive => Err(format!(
                    "left: its run is still going (its lock in {} is held)",
                    locks.display()
                )),
                Liveness::Unknown => Err(format!(
                    "left: no lock of its run in {} (a harness that does not share the folder \
                     made it, and may still run); --force removes it",
                    locks.display()
                )),
            },
        }
    }

    /// The daemon's label filter for the objects in scope.
    fn filter(&self) -> HashMap<String, Vec<String>> {
        match self {
            Scope::Run(run) => label_filter(LABEL_RUN, Some(run)),
            Scope::Ended { .. } => label_filter(LABEL_RUN, None),
        }
    }
}

fn found(kind: &'static str, id: &str, labels: &HashMap<String, String>, outcome: String) -> Found {
    Found {
        kind,
        id: id.chars().take(12).collect(),
        run: labels.get(LABEL_RUN).cloned().unwrap_or_default(),
        stack: labels.get(LABEL_STACK).cloned().unwrap_or_default(),
        outcome,
    }
}

/// Removes the leftovers on the daemon of runs whose harness is gone (or lists them with
/// `dry_run`); images kept on purpose (`--keep-images`) stay unless `images`.
pub fn clean(
    daemon: &Daemon,
    scope: Scope<'_>,
    dry_run: bool,
    images: bool,
) -> Result<Vec<Found>, DaemonError> {
    let filter = scope.filter();
    let verdict = |labels: &HashMap<String, String>| {
        let run = labels.get(LABEL_RUN).map_or("", String::as_str);
        scope.verdict(run)?;
        if dry_run {
            Err("would be removed".to_owned())
        } else {
            Ok(())
        }
    };
    let mut all = Vec::new();

    // Swarm services first: their task containers go with them. A daemon outside a swarm
    // answers this call with an error, which means there are none.
    let options = ListServicesOptionsBuilder::default()
        .filters(&filter)
        .build();
    let services = daemon
        .block_on(daemon.docker.list_services(Some(options)))
        .unwrap_or_default();
    for service in services {
        let id = service.id.unwrap_or_default();
        let labels = service.spec.and_then(|s| s.labels).unwrap_or_default();
        let outcome = match verdict(&labels) {
            Ok(()) => {
                remove_service(daemon, &id);
                "removed".to_owned()
            }
            Err(why) => why,
        };
        all.push(found("service", &id, &labels, outcome));
    }

    let options = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filter)
        .build();
    for container in daemon.block_on(daemon.docker.list_containers(Some(options)))? {
        let id = container.id.unwrap_or_default();
        let labels = container.labels.unwrap_or_default();
        let outcome = match verdict(&labels) {
            Ok(()) => match remove_container(daemon, &id) {
                Ok(()) => "removed".to_owned(),
                Err(e) => format!("not removed: {}", e.why),
            },
            Err(why) => why,
        };
        all.push(found("container", &id, &labels, outcome));
    }

    // Networks after the containers that were on them.
    let options = bollard::query_parameters::ListNetworksOptionsBuilder::default()
        .filters(&filter)
        .build();
    for network in daemon.block_on(daemon.docker.list_networks(Some(options)))? {
        let id = network.id.unwrap_or_default();
        let labels = network.labels.unwrap_or_default();
        let outcome = match verdict(&labels) {
            Ok(()) => match daemon.block_on(daemon.docker.remove_network(&id)) {
                Ok(()) => "removed".to_owned(),
                Err(e) => format!("not removed: {}", api_message(&e)),
            },
            Err(why) => why,
        };
        all.push(found("network", &id, &labels, outcome));
    }

    let options = ListImagesOptionsBuilder::default().filters(&filter).build();
    for image in daemon.block_on(daemon.docker.list_images(Some(options)))? {
        let labels = image.labels;
        let id = image.id.trim_start_matches("sha256:").to_owned();
        let kept = labels.get(LABEL_KEEP).is_some_and(|k| k == "true");
        let outcome = if kept && !images {
            "left: kept on purpose (--images removes it)".to_owned()
        } else {
            match verdict(&labels) {
                Ok(()) => {
                    let options = RemoveImageOptionsBuilder::default().force(true).build();
                    match daemon.block_on(daemon.docker.remove_image(&id, Some(options), None)) {
                        Ok(_) => "removed".to_owned(),
                        Err(e) => format!("not removed: {}", api_message(&e)),
                    }
                }
                Err(why) => why,
            }
        };
        all.push(found("image", &id, &labels, outcome));
    }
    all.extend(swarm_made_by_a_run(daemon, scope, dry_run));
    Ok(all)
}

/// The swarm a run made (`--init-swarm` labels it, [`super::daemon::LABEL_MADE_BY`]), left
/// once the run is in scope and the swarm holds no service at all (one of another run or of
/// anyone else keeps it), with `docker_gwbridge` when the daemon made it for that swarm.
fn swarm_made_by_a_run(daemon: &Daemon, scope: Scope<'_>, dry_run: bool) -> Option<Found> {
    let labels = daemon.swarm_labels()?;
    let run = labels.get(LABEL_MADE_BY)?.clone();
    let mut row = Found {
        kind: "swarm",
        id: daemon.host.clone(),
        run: run.clone(),
        stack: String::new(),
        outcome: String::new(),
    };
    if let Err(why) = scope.verdict(&run) {
        row.outcome = why;
        return Some(row);
    }
    // Services of runs in scope are removed above (or would be, in a dry run): the others
    // keep the swarm.
    let services: Vec<_> = daemon
        .block_on(daemon.docker.list_services(None::<ListServicesOptions>))
        .unwrap_or_default()
        .into_iter()
        .filter(|s| {
            let labels = s.spec.as_ref().and_then(|spec| spec.labels.as_ref());
            let run = labels.and_then(|l| l.get(LABEL_RUN));
            !(dry_run && run.is_some_and(|run| scope.verdict(run).is_ok()))
        })
        .collect();
    if !services.is_empty() {
        let names: Vec<String> = services
            .iter()
            .take(3)
            .map(|s| {
                s.spec
                    .as_ref()
                    .and_then(|spec| spec.name.clone())
                    .unwrap_or_default()
            })
            .collect();
        row.outcome = format!(
            "left: it holds {} service(s) ({}{})",
            services.len(),
            names.join(", "),
            if services.len() > 3 { ", ..." } else { "" }
        );
        return Some(row);
    }
    if dry_run {
        row.outcome = "would be removed (the daemon would leave the swarm)".to_owned();
        return Some(row);
    }
    let gwbridge_before = labels
        .get(LABEL_GWBRIDGE_BEFORE)
        .is_some_and(|v| v == "true");
    row.outcome = match daemon.leave_swarm() {
        Ok(()) => {
            let left = "removed (the daemon left the swarm)";
            if gwbridge_before {
                left.to_owned()
            } else {
                super::swarm::remove_gwbridge(daemon)
                    .map_or_else(|why| format!("{left}; {why}"), |()| left.to_owned())
            }
        }
        Err(e) => format!("not removed: the daemon could not leave the swarm: {e}"),
    };
    Some(row)
}

/// Removes the firewall rules ([`super::firewall`]) of the runs in scope (or lists them with
/// `dry_run`). Needs no daemon.
pub fn firewall_rules(scope: Scope<'_>, dry_run: bool) -> Vec<Found> {
    firewall::marked_rules()
        .into_iter()
        .map(|rule| {
            let outcome = match scope.verdict(&rule.run) {
                Err(why) => why,
                Ok(()) if dry_run => "would be removed".to_owned(),
                Ok(()) => match firewall::remove(&rule) {
                    Ok(()) => "removed".to_owned(),
                    Err(why) => format!("not removed: {why}"),
                },
            };
            let port = rule
                .line
                .split_whitespace()
                .skip_while(|w| *w != "--ctorigdstport")
                .nth(1)
                .unwrap_or("?");
            Found {
                kind: "firewall",
                id: format!("port {port}"),
                run: rule.run,
                stack: String::new(),
                outcome,
            }
        })
        .collect()
}

/// Removes the lock files of ended runs of which nothing in `found` is left.
pub fn forget_ended_runs(locks: &std::path::Path, found: &[Found]) {
    let Ok(entries) = fs::read_dir(locks.join("runs")) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(run) = name.to_str().and_then(|n| n.strip_suffix(".lock")) else {
            continue;
        };
        let left = found.iter().any(|f| {
            f.run == run
                && ["left:", "not ", "would "]
                    .iter()
                    .any(|still| f.outcome.starts_with(still))
        });
        if !left {
            lock::forget(locks, run);
        }
    }
}

/// A run's last resort, on a second stop signal: stops its service processes and removes what
/// it made on the daemon (with `daemon`), whatever its lock says, each thing said on stderr.
pub fn last_resort(run_id: &str, daemon: bool) {
    let scope = Scope::Run(run_id);
    let mut found = processes(scope, false).unwrap_or_default();
    if daemon {
        match Daemon::connect() {
            Ok(daemon) => match clean(&daemon, scope, false, false) {
                Ok(more) => found.extend(more),
                Err(e) => eprintln!("{run_id}: the daemon's objects not removed: {e}"),
            },
            Err(e) => eprintln!("{run_id}: the daemon's objects not removed: {e}"),
        }
    }
    // After the services whose ports they keep.
    found.extend(firewall_rules(scope, false));
    for f in &found {
        eprintln!("{} {} ({}): {}", f.kind, f.id, f.stack, f.outcome);
    }
}

/// The marker a service process of the `local` backend carries in its environment.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Marker {
    run: String,
    stack: String,
}

/// The marker in a process's environment, given as `/proc/<pid>/environ` holds it (`KEY=value`
/// entries, each ended by a NUL); `None` without a run id. Where a variable
/// appears twice the first counts, as for `getenv`.
fn marker(environ: &[u8]) -> Option<Marker> {
    let var = |name: &str| {
        environ
            .split(|&b| b == 0)
            .find_map(|entry| entry.strip_prefix(name.as_bytes())?.strip_prefix(b"="))
            .map(|value| String::from_utf8_lossy(value).into_owned())
    };
    Some(Marker {
        run: var(ENV_RUN).filter(|run| !run.is_empty())?,
        stack: var(ENV_STACK).unwrap_or_default(),
    })
}

/// A process's state letter and start time (clock ticks after boot), from
/// `/proc/<pid>/stat`; `None` when there is no such process.
fn stat(pid: u32) -> Option<(char, u64)> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_comm = &stat[stat.rfind(')')? + 1..];
    let state = after_comm.split_whitespace().next()?.chars().next()?;
    Some((state, start_ticks(&stat)?))
}

/// Whether a state letter is that of a process that has exited (a zombie not yet reaped, or
/// dead).
fn exited_state(state: char) -> bool {
    matches!(state, 'Z' | 'X' | 'x')
}

/// Whether the process `pid` that started at `start` has exited: gone, a zombie, or its pid
/// now another process's.
fn exited(pid: u32, start: u64) -> bool {
    !stat(pid).is_some_and(|(state, started)| started == start && !exited_state(state))
}

/// A marked process found running.
struct Marked {
    pid: u32,
    start: u64,
    marker: Marker,
}

/// The running processes carrying the marker, of those whose environment this user may read
/// (the others are skipped), by pid.
fn marked_processes() -> Result<Vec<Marked>, CleanError> {
    let me = std::process::id();
    let mut all = Vec::new();
    for entry in fs::read_dir("/proc").map_err(CleanError::Proc)? {
        let pid = entry
            .ok()
            .and_then(|e| e.file_name().to_str()?.parse::<u32>().ok());
        let Some(pid) = pid.filter(|&pid| pid != me) else {
            continue;
        };
        let Some((_, start)) = stat(pid) else {
            continue;
        };
        let Ok(environ) = fs::read(format!("/proc/{pid}/environ")) else {
            continue;
        };
        // Read again after the environment: the same process throughout, still running.
        if let Some(marker) = marker(&environ)
            && !exited(pid, start)
        {
            all.push(Marked { pid, start, marker });
        }
    }
    all.sort_by_key(|m| m.pid);
    Ok(all)
}

/// Stops the service processes of the `local` backend whose harness is gone (or lists them
/// with `dry_run`): `SIGTERM`, then `SIGKILL` if one has not exited within 5 s. Only
/// processes carrying the marker are ever signalled.
pub fn processes(scope: Scope<'_>, dry_run: bool) -> Result<Vec<Found>, CleanError> {
    processes_where(scope, dry_run, |_| true)
}

/// Removes the memory cgroups a killed harness left (see [`super::cgroup`]), once empty: a
/// cgroup that still holds a process is left as it is (the kernel refuses to remove it), and
/// said so. Run after the processes and containers are gone.
pub fn cgroups(dry_run: bool) -> Vec<Found> {
    let root = std::path::Path::new(super::cgroup::ROOT);
    super::cgroup::leftovers(root)
        .into_iter()
        .map(|name| {
            let outcome = if dry_run {
                "would be removed (when empty)".to_owned()
            } else {
                match super::cgroup::remove_leftover(root, &name) {
                    Ok(()) => "removed".to_owned(),
                    Err(why) => format!("left: {why}"),
                }
            };
            Found {
                kind: "cgroup",
                id: name.clone(),
                run: String::new(),
                stack: String::new(),
                outcome,
            }
        })
        .collect()
}

/// [`processes`], limited to the markers `select` accepts.
fn processes_where(
    scope: Scope<'_>,
    dry_run: bool,
    select: impl Fn(&Marker) -> bool,
) -> Result<Vec<Found>, CleanError> {
    let mut all = Vec::new();
    let mut stopping = Vec::new();
    for process in marked_processes()?
        .into_iter()
        .filter(|p| select(&p.marker))
    {
        let Marked { pid, start, marker } = process;
        let outcome = if let Err(why) = scope.verdict(&marker.run) {
            why
        } else if dry_run {
            "would be removed".to_owned()
        } else {
            match terminate(pid, start) {
                Ok(Some(pidfd)) => {
                    stopping.push(Stopping {
                        index: all.len(),
                        pidfd,
                        pid,
                        start,
                    });
                    String::new()
                }
                Ok(None) => "already gone".to_owned(),
                Err(e) => format!("not removed: {e}"),
            }
        };
        all.push(Found {
            kind: "process",
            id: pid.to_string(),
            run: marker.run,
            stack: marker.stack,
            outcome,
        });
    }
    // All at once (a run of many stacks may have left several), and as long as the backend
    // gives its own services.
    wait_for_exit(&stopping, STOP_TIMEOUT);
    let (stopped, mut killed): (Vec<_>, Vec<_>) = stopping.into_iter().partition(Stopping::exited);
    for process in stopped {
        all[process.index].outcome = "removed".to_owned();
    }
    killed.retain(
        |process| match pidfd_send_signal(&process.pidfd, Signal::KILL) {
            Ok(()) | Err(Errno::SRCH) => true,
            Err(e) => {
                all[process.index].outcome = format!("not removed: SIGKILL failed: {e}");
                false
            }
        },
    );
    wait_for_exit(&killed, KILL_WAIT);
    for process in killed {
        all[process.index].outcome = if process.exited() {
            format!("stopped (SIGKILL after {} s)", STOP_TIMEOUT.as_secs())
        } else {
            "not removed: still running after SIGKILL".to_owned()
        };
    }
    Ok(all)
}

/// A process sent `SIGTERM`: its row in the list, and the pidfd that names it.
struct Stopping {
    index: usize,
    pidfd: OwnedFd,
    pid: u32,
    start: u64,
}

impl Stopping {
    fn exited(&self) -> bool {
        exited(self.pid, self.start)
    }
}

/// Sends `SIGTERM` to the process `pid` that started at `start`, through a pidfd so that no
/// later process given the same pid can receive it; the pidfd, or `None` if it has exited.
fn terminate(pid: u32, start: u64) -> Result<Option<OwnedFd>, Errno> {
    let Some(raw) = i32::try_from(pid).ok().and_then(Pid::from_raw) else {
        return Ok(None);
    };
    let pidfd = match pidfd_open(raw, PidfdFlags::empty()) {
        Ok(pidfd) => pidfd,
        Err(Errno::SRCH) => return Ok(None),
        Err(e) => return Err(e),
    };
    // The pidfd names one process for good; the start time says it is the one found.
    if exited(pid, start) {
        return Ok(None);
    }
    match pidfd_send_signal(&pidfd, Signal::TERM) {
        Ok(()) => Ok(Some(pidfd)),
        Err(Errno::SRCH) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Waits until every process in `stopping` has exited, or `timeout` has passed.
fn wait_for_exit(stopping: &[Stopping], timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline && !stopping.iter().all(Stopping::exited) {
        thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Child, Command, Stdio};

    use super::*;

    fn environ(vars: &[&str]) -> Vec<u8> {
        vars.iter()
            .flat_map(|v| [v.as_bytes(), b"\0"].concat())
            .collect()
    }

    #[test]
    fn reads_the_marker_among_other_variables() {
        let env = environ(&[
            "PATH=/usr/bin",
            "FOOTPRINT_RUN=20260101T000000Z-idle",
            "PORT=4000",
            "FOOTPRINT_STACK=floor",
            "FOOTPRINT_HARNESS_PID=4242",
            "FOOTPRINT_HARNESS_START=987654",
        ]);
        assert_eq!(
            marker(&env),
            Some(Marker {
                run: "20260101T000000Z-idle".into(),
                stack: "floor".into(),
            })
        );
    }

    #[test]
    fn a_marker_needs_a_run() {
        assert_eq!(marker(b""), None, "a zombie's environment reads empty");
        assert_eq!(marker(&environ(&["PATH=/usr/bin"])), None);
        assert_eq!(marker(&environ(&["FOOTPRINT_RUN="])), None);
        // A longer name that begins like the marker's is another variable.
        assert_eq!(marker(&environ(&["FOOTPRINT_RUNNER=r"])), None);
        let bare = marker(b"FOOTPRINT_HARNESS_PID=7\0FOOTPRINT_RUN=r").unwrap();
        assert_eq!((bare.run.as_str(), bare.stack.as_str()), ("r", ""));
    }

    #[test]
    fn the_first_of_a_repeated_variable_counts() {
        let env = environ(&["FOOTPRINT_RUN=first", "FOOTPRINT_RUN=second"]);
        assert_eq!(marker(&env).unwrap().run, "first");
    }

    /// A child process, killed and reaped however the test ends.
    struct Guard(Child);

    impl Drop for Guard {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    /// `sleep 30` with `run`'s marker, started by a shell that runs `setup` first; returned
    /// once it sleeps (mid-`exec`, a process's environment can read empty).
    fn marked(run: &str, setup: &str) -> Guard {
        let mut command = Command::new("sh");
        command
            .args(["-c", &format!("{setup} exec sleep 30")])
            .env(ENV_RUN, run)
            .env(ENV_STACK, "floor")
            .env(ENV_HARNESS_PID, "1")
            .stdin(Stdio::null());
        let child = Guard(command.spawn().unwrap());
        let comm = format!("/proc/{}/comm", child.0.id());
        // Bounded, not timed: on a busy machine a shell can take seconds to exec.
        let deadline = Instant::now() + Duration::from_secs(60);
        while fs::read_to_string(&comm).unwrap() != "sleep\n" {
            assert!(Instant::now() < deadline, "the shell never ran sleep");
            thread::sleep(Duration::from_millis(5));
        }
        child
    }

    fn run_id(test: &str) -> String {
        format!("unit-{}-{test}", std::process::id())
    }

    /// A folder of locks in which `run` has ended (its lock taken and released).
    fn ended(run: &str) -> tempfile::TempDir {
        let locks = tempfile::tempdir().unwrap();
        drop(lock::acquire(locks.path(), run, false, |_| {}).unwrap());
        locks
    }

    fn of(locks: &tempfile::TempDir, run: &str, dry_run: bool) -> Vec<Found> {
        let scope = Scope::Ended {
            locks: locks.path(),
            force: false,
        };
        processes_where(scope, dry_run, |m| m.run == run).unwrap()
    }

    #[test]
    fn stops_a_marked_process_whose_harness_is_gone() {
        let run = run_id("gone");
        let locks = ended(&run);
        let mut service = marked(&run, "");
        let pid = service.0.id().to_string();

        let listed = of(&locks, &run, true);
        assert_eq!(listed.len(), 1, "{listed:?}");
        assert_eq!(
            (
                listed[0].kind,
                listed[0].id.as_str(),
                listed[0].stack.as_str()
            ),
            ("process", pid.as_str(), "floor")
        );
        assert_eq!(listed[0].outcome, "would be removed");
        assert!(
            service.0.try_wait().unwrap().is_none(),
            "a dry run stops nothing"
        );

        let cleaned = of(&locks, &run, false);
        assert_eq!(cleaned.len(), 1, "{cleaned:?}");
        assert_eq!(cleaned[0].outcome, "removed");
        let status = service.0.try_wait().unwrap().expect("stopped");
        assert_eq!(status.signal(), Some(Signal::TERM.as_raw()));
        assert!(of(&locks, &run, true).is_empty(), "nothing left of the run");
    }

    #[test]
    fn kills_a_marked_process_that_ignores_sigterm() {
        let run = run_id("stubborn");
        let locks = ended(&run);
        // An ignored signal stays ignored across `exec`.
        let mut service = marked(&run, "trap '' TERM;");
        let cleaned = of(&locks, &run, false);
        assert_eq!(cleaned.len(), 1, "{cleaned:?}");
        assert_eq!(cleaned[0].outcome, "stopped (SIGKILL after 5 s)");
        let status = service.0.try_wait().unwrap().expect("killed");
        assert_eq!(status.signal(), Some(Signal::KILL.as_raw()));
    }

    #[test]
    fn leaves_a_process_whose_run_holds_its_lock() {
        // Whatever the process that holds it is called, in whatever PID namespace: a harness
        // named otherwise, or in a container, was taken for dead by a check of names.
        let locks = tempfile::tempdir().unwrap();
        let run = run_id("alive");
        let held = lock::acquire(locks.path(), &run, false, |_| {}).unwrap();
        let service = marked(&run, "");
        let found = of(&locks, &run, true);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].outcome.starts_with("left: its run is still going"),
            "{found:?}"
        );
        // Its own last resort removes it all the same.
        let scope = Scope::Run(&run);
        let own = processes_where(scope, true, |m| m.run == run).unwrap();
        assert_eq!(own[0].outcome, "would be removed");

        drop(held);
        let found = of(&locks, &run, true);
        assert_eq!(found[0].outcome, "would be removed", "{found:?}");
        drop(service);
    }

    #[test]
    fn a_run_with_no_lock_here_is_left_unless_forced() {
        let locks = tempfile::tempdir().unwrap();
        let run = run_id("elsewhere");
        let _service = marked(&run, "");
        let found = of(&locks, &run, true);
        assert!(
            found[0].outcome.starts_with("left: no lock of its run"),
            "{found:?}"
        );
        assert!(found[0].outcome.contains("--force"), "{found:?}");
        let forced = Scope::Ended {
            locks: locks.path(),
            force: true,
        };
        let found = processes_where(forced, true, |m| m.run == run).unwrap();
        assert_eq!(found[0].outcome, "would be removed");
    }
}
