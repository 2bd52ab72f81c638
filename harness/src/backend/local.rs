//! The `local` backend: each service a child process of the harness, pinned to its CPUs, and
//! marked in its environment with its run, its stack and its harness, as containers are with
//! labels, so that `harness clean` can tell what a killed harness left running.

use std::net::{Ipv4Addr, SocketAddr};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use footprint_contract::ReadyLine;
use footprint_contract::service::{Output, free_port};
use rustix::process::{Pid, Signal, kill_process};

use super::cgroup::{self, MemoryCgroup};
use super::{Backend, BackendError, BackendTraits, Instance, MemoryEvents, ServiceSpec};
use crate::model::LimitBy;
use crate::sample::{ProcSource, Source, start_ticks};

/// The backend's name, as results record it.
pub const NAME: &str = "local";

/// How long a stopped service may take before it is killed.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(5);
/// How much of a service's stderr is kept.
const STDERR_KEEP: usize = 8 * 1024;

/// Variable holding the run id in every service's environment.
pub const ENV_RUN: &str = "FOOTPRINT_RUN";
/// Variable holding the stack's name.
pub const ENV_STACK: &str = "FOOTPRINT_STACK";
/// Variable holding the process id of the harness that started the service.
pub const ENV_HARNESS_PID: &str = "FOOTPRINT_HARNESS_PID";
/// Variable holding when that harness started (clock ticks after boot, `/proc/<pid>/stat`
/// field 22), so that a later process given the same pid is not taken for it.
pub const ENV_HARNESS_START: &str = "FOOTPRINT_HARNESS_START";

/// Runs services as child processes of this harness, for one run.
#[derive(Debug, Clone)]
pub struct Local {
    run_id: String,
    harness_pid: u32,
    harness_start: Option<u64>,
}

impl Local {
    /// The backend for run `run_id`: the services it starts carry the run's marker.
    pub fn new(run_id: &str) -> Self {
        Self {
            run_id: run_id.to_owned(),
            harness_pid: std::process::id(),
            harness_start: std::fs::read_to_string("/proc/self/stat")
                .ok()
                .and_then(|stat| start_ticks(&stat)),
        }
    }
}

impl Local {
    /// The marker a process the run starts carries in its environment as `name`, so that
    /// `harness clean` finds it if this harness dies first.
    pub fn marks(&self, name: &str) -> Vec<(&'static str, String)> {
        let mut marks = vec![
            (ENV_RUN, self.run_id.clone()),
            (ENV_STACK, name.to_owned()),
            (ENV_HARNESS_PID, self.harness_pid.to_string()),
        ];
        if let Some(start) = self.harness_start {
            marks.push((ENV_HARNESS_START, start.to_string()));
        }
        marks
    }
}

/// What the `local` backend is: processes, pinned, read from `/proc`, boot from the spawn.
pub fn traits() -> BackendTraits {
    BackendTraits {
        name: "local".to_owned(),
        memory_counter: "RSS".to_owned(),
        memory_explained: "resident set size, VmRSS in /proc/<pid>/status".to_owned(),
        peak_counter: "kernel high-water mark".to_owned(),
        boot_from: "the spawn".to_owned(),
        containers: false,
        can_pin_cpus: true,
        publishes_on_all_interfaces: false,
        caveats: Vec::new(),
    }
}

impl Backend for Local {
    fn name(&self) -> &'static str {
        NAME
    }

    fn memory_counter(&self) -> &'static str {
        "RSS"
    }

    fn traits(&self) -> BackendTraits {
        traits()
    }

    fn reaches_harness(&self) -> bool {
        true
    }

    fn memory_floor_mib(&self) -> Result<u32, String> {
        cgroup::can_make(Path::new(cgroup::ROOT))
            .map(|_| 1)
            .map_err(|why| format!("the local backend limits memory in cgroups it makes: {why}"))
    }

    fn start(&self, spec: &ServiceSpec) -> Result<Box<dyn Instance>, BackendError> {
        let port = match spec.landscape.port {
            Some(port) => port,
            None => free_port().map_err(BackendError::Port)?,
        };
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let cgroup = match spec.memory_mib {
            None => None,
            Some(mib) => {
                let name = format!(
                    "{}{}-{}-{:08x}",
                    cgroup::PREFIX,
                    self.run_id,
                    spec.stack,
                    rand::random::<u32>()
                );
                let made = MemoryCgroup::make(Path::new(cgroup::ROOT), &name, u64::from(mib) << 20)
                    .map_err(|source| BackendError::Spawn {
                        stack: spec.stack.clone(),
                        program: format!("{} (under a {mib} MiB limit)", spec.program.display()),
                        source,
                    })?;
                Some(made)
            }
        };
        let mut command = match &cgroup {
            // A process joins a cgroup by writing to it: a shell does, then execs the program.
            Some(cgroup) => {
                let mut shell = Command::new("/bin/sh");
                shell
                    .arg("-c")
                    .arg(JOIN_AND_EXEC)
                    .arg(cgroup.procs_file())
                    .arg(&spec.program);
                shell
            }
            None => Command::new(&spec.program),
        };
        command
            .args(&spec.args)
            .envs(crate::stacks::resolve_env(
                &spec.env,
                &port.to_string(),
                &addr.ip().to_string(),
            ))
            .env("PORT", port.to_string())
            .env("BIND", addr.ip().to_string())
            // The marker: the environment is the one place a plain process can carry it that
            // outlives the harness (a killed harness cannot take its services with it: they
            // run in their own process group, and a death signal would fire when the
            // short-lived spawning thread ends, not the harness).
            .envs(self.marks(&spec.stack))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group: a Ctrl-C at the terminal reaches the harness only, which
            // then stops the load before the service, in that order.
            .process_group(0);
        let (mut child, started) = spawn_pinned(command, &spec.cpus).map_err(|e| match e {
            SpawnError::Pin(source) => BackendError::Pin {
                stack: spec.stack.clone(),
                cpus: spec.cpus.clone(),
                source,
            },
            SpawnError::Spawn(source) => BackendError::Spawn {
                stack: spec.stack.clone(),
                program: spec.program.display().to_string(),
                source,
            },
        })?;
        let output = Output::watch(&mut child, started, STDERR_KEEP);
        Ok(Box::new(LocalInstance {
            child,
            addr,
            started,
            output,
            ended: None,
            cgroup,
        }))
    }
}

/// The shell line that moves itself into the cgroup whose `cgroup.procs` is its `$0`, then
/// becomes the program (`"$@"`): the program then runs under the limit from its first
/// instruction, with the same process id.
const JOIN_AND_EXEC: &str = "echo 0 > \"$0\" && exec \"$@\"";

enum SpawnError {
    Pin(std::io::Error),
    Spawn(std::io::Error),
}

/// Spawns `command` from a short-lived thread pinned to `cpus`, so the child (and every
/// thread it makes) inherits the mask from its first instruction; the harness's own threads
/// keep theirs.
fn spawn_pinned(mut command: Command, cpus: &[usize]) -> Result<(Child, Instant), SpawnError> {
    let cpus = cpus.to_vec();
    let spawner = thread::spawn(move || {
        if !cpus.is_empty() {
            crate::placement::pin_current_thread(&cpus).map_err(SpawnError::Pin)?;
        }
        let started = Instant::now();
        let child = command.spawn().map_err(SpawnError::Spawn)?;
        Ok((child, started))
    });
    spawner.join().unwrap_or_else(|_| {
        Err(SpawnError::Spawn(std::io::Error::other(
            "spawner thread panicked",
        )))
    })
}

struct LocalInstance {
    child: Child,
    addr: SocketAddr,
    started: Instant,
    output: Output,
    ended: Option<String>,
    /// The memory cgroup holding its limit, when it has one.
    cgroup: Option<MemoryCgroup>,
}

impl Instance for LocalInstance {
    fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn started(&self) -> Instant {
        self.started
    }

    fn pid(&self) -> Option<u32> {
        Some(self.child.id())
    }

    fn source(&self) -> Box<dyn Source> {
        Box::new(ProcSource::pid(self.child.id()))
    }

    fn ready_line(&self) -> Option<ReadyLine> {
        self.output.ready().map(|seen| seen.line)
    }

    fn memory_events(&mut self) -> MemoryEvents {
        let Some(cgroup) = &self.cgroup else {
            return MemoryEvents::default();
        };
        let counters = cgroup.counters();
        MemoryEvents {
            limit_by: Some(LimitBy::Cgroup),
            oom_killed: counters.oom_kills.is_some_and(|n| n > 0),
            oom_kills: counters.oom_kills,
            failcnt: counters.failcnt,
            max_usage_kb: counters.max_usage_kb,
        }
    }

    fn exited(&mut self) -> Option<String> {
        if self.ended.is_none()
            && let Ok(Some(status)) = self.child.try_wait()
        {
            self.ended = Some(status.to_string());
        }
        self.ended.clone()
    }

    fn stderr_tail(&self) -> String {
        self.output.stderr()
    }

    fn stop(&mut self) -> String {
        let ended = self.end();
        match self.cgroup.as_mut().map(MemoryCgroup::remove) {
            Some(Err(why)) => format!("{ended}; {why}"),
            _ => ended,
        }
    }
}

impl LocalInstance {
    /// Stops the process: `SIGTERM`, then `SIGKILL` after [`STOP_TIMEOUT`].
    fn end(&mut self) -> String {
        if let Some(ended) = self.exited() {
            return ended;
        }
        let pid = i32::try_from(self.child.id()).ok().and_then(Pid::from_raw);
        if let Some(pid) = pid {
            let _ = kill_process(pid, Signal::TERM);
        }
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Some(ended) = self.exited() {
                return ended;
            }
            thread::sleep(Duration::from_millis(5));
        }
        let _ = self.child.kill();
        let ended = match self.child.wait() {
            Ok(status) => format!("{status} (killed: no exit within {STOP_TIMEOUT:?} of SIGTERM)"),
            Err(e) => format!("unknown ({e})"),
        };
        self.ended = Some(ended.clone());
        ended
    }
}

impl Drop for LocalInstance {
    fn drop(&mut self) {
        if self.exited().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
