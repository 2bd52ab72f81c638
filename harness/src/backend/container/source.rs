//! Memory and CPU of containers, as `docker stats` counts memory (usage minus the inactive
//! file cache, `total_inactive_file` on cgroup v1, `inactive_file` on v2): read from their
//! cgroup files where the daemon runs on this machine, else from the daemon's stats call.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bollard::query_parameters::StatsOptionsBuilder;
use futures_util::StreamExt;

use super::inspect::{state, task_containers};
use crate::backend::daemon::{Daemon, api_message};
use crate::model::Reading;
use crate::sample::{SampleError, Source};

/// Why a container's figures could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The stats call ended without an answer.
    #[error("container {id}: no stats")]
    NoStats {
        /// The container.
        id: String,
    },
    /// The stats call failed.
    #[error("container {id}: {why}")]
    Api {
        /// The container.
        id: String,
        /// The daemon's message.
        why: String,
    },
    /// The stats carried no memory usage.
    #[error("container {id}: no memory usage (has it exited?)")]
    NoMemory {
        /// The container.
        id: String,
    },
    /// Its cgroup files could not be read.
    #[error("container {id}: {source}")]
    Cgroup {
        /// The container.
        id: String,
        /// Why.
        source: std::io::Error,
    },
}

/// Which containers a source reads.
pub enum Containers {
    /// These.
    Fixed(Vec<String>),
    /// The running task containers of a swarm service, looked up again when one is gone.
    Service {
        /// The service's id.
        service: String,
        /// The ids found last.
        found: Vec<String>,
        /// When they were looked up.
        at: Option<Instant>,
    },
}

/// Memory and CPU of one or more containers (summed): from their cgroup files where the daemon
/// runs on this machine, else from the daemon's stats call; the same figures either way.
pub struct ContainerSource {
    daemon: Arc<Daemon>,
    containers: Containers,
    peak_kb: u64,
    /// Last CPU time read of each container, ns: a container that has gone keeps its share,
    /// so the total never steps back.
    last: HashMap<String, u64>,
    /// Each container's cgroup on this machine (`None`: read through the stats call).
    cgroups: HashMap<String, Option<Cgroup>>,
}

impl ContainerSource {
    /// Reads `containers` through `daemon`.
    pub fn new(daemon: Arc<Daemon>, containers: Containers) -> Self {
        Self {
            daemon,
            containers,
            peak_kb: 0,
            last: HashMap::new(),
            cgroups: HashMap::new(),
        }
    }

    fn read_one(&mut self, id: &str) -> Result<ContainerReading, ReadError> {
        if !self.cgroups.contains_key(id) {
            let found = cgroup_of(&self.daemon, id);
            self.cgroups.insert(id.to_owned(), found);
        }
        match self.cgroups.get(id).cloned().flatten() {
            Some(cgroup) => cgroup.read().map_err(|source| ReadError::Cgroup {
                id: id.to_owned(),
                source,
            }),
            None => read_container(&self.daemon, id),
        }
    }

    fn ids(&mut self) -> Vec<String> {
        match &mut self.containers {
            Containers::Fixed(ids) => ids.clone(),
            Containers::Service { service, found, at } => {
                if found.is_empty() || at.is_none_or(|t| t.elapsed() > Duration::from_secs(1)) {
                    *found = task_containers(&self.daemon, service);
                    *at = Some(Instant::now());
                }
                found.clone()
            }
        }
    }
}

/// One container's figures from a stats answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ContainerReading {
    /// Usage minus inactive file cache, bytes.
    pub memory_bytes: u64,
    /// CPU time, ns.
    pub cpu_ns: u64,
    /// Tasks (threads) in the container's cgroup.
    pub pids: u64,
}

/// Memory as `docker stats` counts it: usage minus the inactive file cache
/// (`total_inactive_file` on cgroup v1, `inactive_file` on v2), never below zero.
pub fn working_set(usage: u64, stats: &HashMap<String, u64>) -> u64 {
    let inactive = stats
        .get("total_inactive_file")
        .or_else(|| stats.get("inactive_file"))
        .copied()
        .unwrap_or(0);
    usage.saturating_sub(inactive)
}

/// A container's cgroup files on this machine: read directly, they give the figures of the
/// daemon's stats at any rate (the stats call answers about once a second).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cgroup {
    /// cgroup v1: one folder per controller.
    V1 {
        /// `memory` controller folder.
        memory: PathBuf,
        /// `cpuacct` controller folder.
        cpuacct: PathBuf,
        /// `pids` controller folder.
        pids: PathBuf,
    },
    /// cgroup v2: one folder.
    V2(PathBuf),
}

impl Cgroup {
    /// The cgroup of process `pid`, from `/proc/<pid>/cgroup`, under `root` (`/sys/fs/cgroup`).
    pub fn of_process(pid: u32, root: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
        Self::parse(&text, root)
    }

    /// The cgroup named by the text of a `/proc/<pid>/cgroup` file, under `root`.
    pub fn parse(text: &str, root: &Path) -> Option<Self> {
        let mut v1: HashMap<&str, PathBuf> = HashMap::new();
        let mut v2 = None;
        for line in text.lines() {
            let mut parts = line.splitn(3, ':');
            let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
            let path = path.trim_start_matches('/');
            if controllers.is_empty() {
                v2 = Some(root.join(path));
                continue;
            }
            for controller in controllers.split(',') {
                let joined = root.join(controllers).join(path);
                let alone = root.join(controller).join(path);
                v1.insert(controller, if joined.is_dir() { joined } else { alone });
            }
        }
        match (v1.remove("memory"), v1.remove("cpuacct"), v1.remove("pids")) {
            (Some(memory), Some(cpuacct), Some(pids)) => Some(Self::V1 {
                memory,
                cpuacct,
                pids,
            }),
            _ => v2
                .filter(|dir| dir.join("memory.current").is_file())
                .map(Self::V2),
        }
    }

    /// Its memory controller's counters now (hits of the limit, OOM kills, highest usage).
    pub fn memory_counters(&self) -> crate::backend::cgroup::Counters {
        use crate::backend::cgroup::{Version, counters_at};
        match self {
            Self::V1 { memory, .. } => counters_at(memory, Version::V1),
            Self::V2(dir) => counters_at(dir, Version::V2),
        }
    }

    /// Reads memory (as `docker stats` counts it), CPU and tasks now.
    pub fn read(&self) -> std::io::Result<ContainerReading> {
        let number = |path: PathBuf| -> std::io::Result<u64> {
            std::fs::read_to_string(&path)?
                .trim()
                .parse()
                .map_err(|e| std::io::Error::other(format!("{}: {e}", path.display())))
        };
        let stat = |path: PathBuf| -> std::io::Result<HashMap<String, u64>> {
            Ok(std::fs::read_to_string(path)?
                .lines()
                .filter_map(|l| {
                    let (k, v) = l.split_once(' ')?;
                    Some((k.to_owned(), v.trim().parse().ok()?))
                })
                .collect())
        };
        match self {
            Self::V1 {
                memory,
                cpuacct,
                pids,
            } => Ok(ContainerReading {
                memory_bytes: working_set(
                    number(memory.join("memory.usage_in_bytes"))?,
                    &stat(memory.join("memory.stat"))?,
                ),
                cpu_ns: number(cpuacct.join("cpuacct.usage"))?,
                pids: number(pids.join("pids.current"))?,
            }),
            Self::V2(dir) => Ok(ContainerReading {
                memory_bytes: working_set(
                    number(dir.join("memory.current"))?,
                    &stat(dir.join("memory.stat"))?,
                ),
                cpu_ns: stat(dir.join("cpu.stat"))?
                    .get("usage_usec")
                    .copied()
                    .unwrap_or(0)
                    * 1000,
                pids: number(dir.join("pids.current"))?,
            }),
        }
    }
}

/// The cgroup of a running container, when its process is on this machine.
pub fn cgroup_of(daemon: &Daemon, id: &str) -> Option<Cgroup> {
    let pid = u32::try_from(state(daemon, id)?.pid?)
        .ok()
        .filter(|&p| p > 0)?;
    Cgroup::of_process(pid, Path::new("/sys/fs/cgroup"))
}

/// One container's figures from the daemon's stats call (about one answer a second).
pub fn read_container(daemon: &Daemon, id: &str) -> Result<ContainerReading, ReadError> {
    let options = StatsOptionsBuilder::default()
        .stream(false)
        .one_shot(true)
        .build();
    let stats = daemon
        .block_on(async { daemon.docker.stats(id, Some(options)).next().await })
        .ok_or_else(|| ReadError::NoStats { id: id.to_owned() })?
        .map_err(|e| ReadError::Api {
            id: id.to_owned(),
            why: api_message(&e),
        })?;
    let memory = stats.memory_stats.unwrap_or_default();
    let usage = memory
        .usage
        .ok_or_else(|| ReadError::NoMemory { id: id.to_owned() })?;
    let memory_bytes = working_set(usage, &memory.stats.unwrap_or_default());
    let cpu_ns = stats
        .cpu_stats
        .and_then(|c| c.cpu_usage)
        .and_then(|u| u.total_usage)
        .unwrap_or(0);
    let pids = stats.pids_stats.and_then(|p| p.current).unwrap_or(0);
    Ok(ContainerReading {
        memory_bytes,
        cpu_ns,
        pids,
    })
}

impl Source for ContainerSource {
    fn read(&mut self) -> Result<Reading, SampleError> {
        let ids = self.ids();
        let mut memory = 0;
        let mut pids = 0;
        let mut read_any = false;
        let mut failure = None;
        for id in &ids {
            match self.read_one(id) {
                Ok(reading) => {
                    read_any = true;
                    memory += reading.memory_bytes;
                    pids += reading.pids;
                    self.last.insert(id.clone(), reading.cpu_ns);
                }
                Err(e) => failure = Some(e.to_string()),
            }
        }
        if !read_any {
            return Err(SampleError::Read {
                path: failure.unwrap_or_else(|| "no container to read".into()),
                source: std::io::Error::other("stats"),
            });
        }
        let cpu_us = self.last.values().sum::<u64>() / 1000;
        let kb = memory / 1024;
        self.peak_kb = self.peak_kb.max(kb);
        Ok(Reading {
            rss_kb: kb,
            pss_kb: None,
            hwm_kb: self.peak_kb,
            cpu_us,
            cpu_tick_us: cpu_us,
            threads: pids,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgroup_paths_v1_and_v2() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let v1 = "4:memory:/docker/abc\n2:cpuacct:/docker/abc\n1:cpu:/docker/abc\n\
                  8:pids:/docker/abc\n0::/docker/abc\n";
        assert_eq!(
            Cgroup::parse(v1, root),
            Some(Cgroup::V1 {
                memory: root.join("memory/docker/abc"),
                cpuacct: root.join("cpuacct/docker/abc"),
                pids: root.join("pids/docker/abc"),
            })
        );
        // Controllers mounted together (`cpu,cpuacct`) are found in their joint folder.
        std::fs::create_dir_all(root.join("cpu,cpuacct/docker/abc")).unwrap();
        let joint = "4:memory:/docker/abc\n2:cpu,cpuacct:/docker/abc\n8:pids:/docker/abc\n";
        let Some(Cgroup::V1 { cpuacct, .. }) = Cgroup::parse(joint, root) else {
            panic!("v1 expected");
        };
        assert_eq!(cpuacct, root.join("cpu,cpuacct/docker/abc"));
        // v2: one folder, which must hold the memory controller's files.
        let v2 = "0::/system.slice/docker-abc.scope\n";
        assert_eq!(Cgroup::parse(v2, root), None);
        let scope = root.join("system.slice/docker-abc.scope");
        std::fs::create_dir_all(&scope).unwrap();
        std::fs::write(scope.join("memory.current"), "1048576\n").unwrap();
        std::fs::write(scope.join("memory.stat"), "anon 1\ninactive_file 4096\n").unwrap();
        std::fs::write(scope.join("cpu.stat"), "usage_usec 1500\nuser_usec 1000\n").unwrap();
        std::fs::write(scope.join("pids.current"), "3\n").unwrap();
        let cgroup = Cgroup::parse(v2, root).unwrap();
        assert_eq!(cgroup, Cgroup::V2(scope));
        assert_eq!(
            cgroup.read().unwrap(),
            ContainerReading {
                memory_bytes: 1_048_576 - 4096,
                cpu_ns: 1_500_000,
                pids: 3,
            }
        );
    }

    #[test]
    fn working_set_is_usage_minus_inactive_file() {
        let v1 = HashMap::from([
            ("total_inactive_file".to_owned(), 300),
            ("inactive_file".to_owned(), 100),
        ]);
        assert_eq!(
            working_set(1000, &v1),
            700,
            "cgroup v1 uses the hierarchy total"
        );
        let v2 = HashMap::from([("inactive_file".to_owned(), 250)]);
        assert_eq!(working_set(1000, &v2), 750);
        assert_eq!(working_set(1000, &HashMap::new()), 1000);
        assert_eq!(working_set(100, &v2), 0, "never below zero");
    }
}
