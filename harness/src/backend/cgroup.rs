//! Memory cgroups the harness makes itself: a limit below the container engine's minimum (the
//! engine refuses limits under 6 MiB), and a limit for a process of the local backend.
//!
//! A cgroup is made under the cgroup file system's root (`/sys/fs/cgroup`) with the limit
//! written before anything runs in it: on cgroup v1 `memory.limit_in_bytes` and then
//! `memory.memsw.limit_in_bytes` (memory plus swap: no swap), on v2 `memory.max` and
//! `memory.swap.max = 0`. A container is placed in it as its cgroup parent (the limit then
//! holds from the container's first instruction, hierarchically), a process joins it between
//! fork and exec. Its counters (`failcnt`, the OOM kills, the highest usage) outlive the
//! container, so they are read after it ended. Making one needs root.
//!
//! The root is a parameter, so the file handling is tested on a folder.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Where the cgroup file systems are mounted.
pub const ROOT: &str = "/sys/fs/cgroup";
/// The prefix of every cgroup the harness makes (`harness clean` finds them by it).
pub const PREFIX: &str = "footprint-";

/// Which cgroup hierarchy the machine has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// One hierarchy per controller; memory under `<root>/memory`.
    V1,
    /// The unified hierarchy.
    V2,
}

/// The hierarchy under `root`, if it has a memory controller.
pub fn detect(root: &Path) -> Option<Version> {
    if root.join("cgroup.controllers").is_file() {
        let controllers = fs::read_to_string(root.join("cgroup.controllers")).ok()?;
        return controllers
            .split_whitespace()
            .any(|c| c == "memory")
            .then_some(Version::V2);
    }
    root.join("memory")
        .join("memory.limit_in_bytes")
        .is_file()
        .then_some(Version::V1)
}

/// Whether the harness can make memory cgroups under `root`, and if not why.
pub fn can_make(root: &Path) -> Result<Version, String> {
    let version = detect(root).ok_or_else(|| {
        format!(
            "no memory cgroup controller under {}: a limit the harness sets itself needs one",
            root.display()
        )
    })?;
    let dir = memory_root(root, version);
    let probe = dir.join(format!("{PREFIX}probe-{}", std::process::id()));
    match fs::create_dir(&probe) {
        Ok(()) => {
            let _ = fs::remove_dir(&probe);
            Ok(version)
        }
        Err(e) => Err(format!(
            "cannot make a memory cgroup in {} ({e}): limits the harness sets itself need root",
            dir.display()
        )),
    }
}

fn memory_root(root: &Path, version: Version) -> PathBuf {
    match version {
        Version::V1 => root.join("memory"),
        Version::V2 => root.to_path_buf(),
    }
}

/// A memory cgroup the harness made, with its limit; removed by [`MemoryCgroup::remove`] (and
/// on drop).
#[derive(Debug)]
pub struct MemoryCgroup {
    root: PathBuf,
    version: Version,
    name: String,
    removed: bool,
}

/// What a memory cgroup counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// How often usage hit the limit (v1 `memory.failcnt`, v2 `memory.events` `max`).
    pub failcnt: Option<u64>,
    /// Processes the OOM killer killed in it (v1 `memory.oom_control` `oom_kill`, v2
    /// `memory.events` `oom_kill`).
    pub oom_kills: Option<u64>,
    /// Highest usage, KiB (v1 `memory.max_usage_in_bytes`, v2 `memory.peak` where the kernel
    /// has it).
    pub max_usage_kb: Option<u64>,
}

impl MemoryCgroup {
    /// Makes the cgroup `name` (which must start with [`PREFIX`]) under `root` with a limit of
    /// `bytes`, swap included.
    pub fn make(root: &Path, name: &str, bytes: u64) -> io::Result<Self> {
        debug_assert!(name.starts_with(PREFIX));
        let version = detect(root).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("no memory cgroup controller under {}", root.display()),
            )
        })?;
        let dir = memory_root(root, version).join(name);
        // Made here or refused: an existing cgroup is never taken over (nor removed on error).
        fs::create_dir(&dir)?;
        let cgroup = Self {
            root: root.to_path_buf(),
            version,
            name: name.to_owned(),
            removed: false,
        };
        let limit = |file: &str, value: String| {
            fs::write(dir.join(file), value)
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.join(file).display())))
        };
        let written = match version {
            Version::V1 => limit("memory.limit_in_bytes", bytes.to_string()).and_then(|()| {
                // Absent when the kernel runs without swap accounting: there is then no swap
                // to count.
                if dir.join("memory.memsw.limit_in_bytes").exists() {
                    limit("memory.memsw.limit_in_bytes", bytes.to_string())
                } else {
                    Ok(())
                }
            }),
            Version::V2 => limit("memory.max", bytes.to_string()).and_then(|()| {
                if dir.join("memory.swap.max").exists() {
                    limit("memory.swap.max", "0".to_owned())
                } else {
                    Ok(())
                }
            }),
        };
        // On error, dropping `cgroup` removes the folder just made.
        written.map(|()| cgroup)
    }

    /// Its folder in the memory hierarchy.
    pub fn dir(&self) -> PathBuf {
        memory_root(&self.root, self.version).join(&self.name)
    }

    /// Its path as a container's cgroup parent (`/<name>`).
    pub fn parent_path(&self) -> String {
        format!("/{}", self.name)
    }

    /// The file a process writes `0` to, to join it.
    pub fn procs_file(&self) -> PathBuf {
        self.dir().join("cgroup.procs")
    }

    /// Its counters now.
    pub fn counters(&self) -> Counters {
        counters_at(&self.dir(), self.version)
    }

    /// Removes it, and what a container engine left in it (the emptied folders of a
    /// container's own cgroups) and beside it in the other controllers of a v1 hierarchy.
    /// Says what it could not remove.
    pub fn remove(&mut self) -> Result<(), String> {
        if self.removed {
            return Ok(());
        }
        let mut dirs = vec![self.dir()];
        if self.version == Version::V1
            && let Ok(controllers) = fs::read_dir(&self.root)
        {
            for controller in controllers.flatten() {
                let dir = controller.path().join(&self.name);
                if dir.is_dir() && !dirs.contains(&dir) {
                    dirs.push(dir);
                }
            }
        }
        let mut left = Vec::new();
        for dir in dirs {
            if let Err(e) = remove_tree(&dir) {
                left.push(format!("{} ({e})", dir.display()));
            }
        }
        self.removed = left.is_empty();
        if left.is_empty() {
            Ok(())
        } else {
            Err(format!("cgroups not removed: {}", left.join(", ")))
        }
    }
}

impl Drop for MemoryCgroup {
    fn drop(&mut self) {
        let _ = self.remove();
    }
}

/// Removes a cgroup folder and the cgroup folders under it, deepest first (a cgroup folder is
/// removed with `rmdir` even though its control files are listed in it).
fn remove_tree(dir: &Path) -> io::Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                remove_tree(&entry.path())?;
            }
        }
    }
    match fs::remove_dir(dir) {
        Ok(()) => Ok(()),
        // A real cgroup folder cannot be emptied of its control files, but a test's folder is
        // an ordinary one: remove its files, then it.
        Err(e) if e.kind() == io::ErrorKind::DirectoryNotEmpty && !dir.starts_with(ROOT) => {
            fs::remove_dir_all(dir)
        }
        Err(e) => Err(e),
    }
}

/// The counters of the memory cgroup folder `dir` of a `version` hierarchy (one the harness
/// made, or a container's own while it runs).
pub fn counters_at(dir: &Path, version: Version) -> Counters {
    let read = |file: &str| fs::read_to_string(dir.join(file)).ok();
    let number = |file: &str| read(file).and_then(|t| t.trim().parse::<u64>().ok());
    let field = |text: Option<String>, key: &str| {
        text.and_then(|t| {
            t.lines().find_map(|line| {
                let (k, v) = line.split_once(' ')?;
                (k == key).then(|| v.trim().parse::<u64>().ok())?
            })
        })
    };
    match version {
        Version::V1 => Counters {
            failcnt: number("memory.failcnt"),
            oom_kills: field(read("memory.oom_control"), "oom_kill"),
            max_usage_kb: number("memory.max_usage_in_bytes").map(|b| b / 1024),
        },
        Version::V2 => {
            let events = read("memory.events");
            Counters {
                failcnt: field(events.clone(), "max"),
                oom_kills: field(events, "oom_kill"),
                max_usage_kb: number("memory.peak").map(|b| b / 1024),
            }
        }
    }
}

/// Cgroups under `root` whose names start with [`PREFIX`], in the memory hierarchy: what a
/// killed harness left.
pub fn leftovers(root: &Path) -> Vec<String> {
    let Some(version) = detect(root) else {
        return Vec::new();
    };
    let mut names: Vec<String> = fs::read_dir(memory_root(root, version))
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|name| name.starts_with(PREFIX))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Removes the leftover cgroup `name` under `root` (see [`leftovers`]).
pub fn remove_leftover(root: &Path, name: &str) -> Result<(), String> {
    let version = detect(root).ok_or("no memory cgroup controller")?;
    MemoryCgroup {
        root: root.to_path_buf(),
        version,
        name: name.to_owned(),
        removed: false,
    }
    .remove()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v1(dir: &Path) {
        let memory = dir.join("memory");
        fs::create_dir_all(&memory).unwrap();
        fs::write(memory.join("memory.limit_in_bytes"), "9223372036854771712").unwrap();
        fs::create_dir_all(dir.join("cpu")).unwrap();
    }

    #[test]
    fn detects_the_hierarchy() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(detect(dir.path()), None);
        v1(dir.path());
        assert_eq!(detect(dir.path()), Some(Version::V1));
        let unified = tempfile::tempdir().unwrap();
        fs::write(unified.path().join("cgroup.controllers"), "cpu io pids").unwrap();
        assert_eq!(detect(unified.path()), None, "no memory controller");
        fs::write(unified.path().join("cgroup.controllers"), "cpu memory pids").unwrap();
        assert_eq!(detect(unified.path()), Some(Version::V2));
    }

    #[test]
    fn v1_limit_counters_and_removal() {
        let dir = tempfile::tempdir().unwrap();
        v1(dir.path());
        let name = "footprint-test-1";
        // The kernel makes the control files; here the swap file stands for it being there.
        let mut cgroup = MemoryCgroup::make(dir.path(), name, 4 << 20).unwrap();
        let folder = dir.path().join("memory").join(name);
        assert_eq!(cgroup.dir(), folder);
        assert_eq!(cgroup.parent_path(), "/footprint-test-1");
        assert_eq!(
            fs::read_to_string(folder.join("memory.limit_in_bytes")).unwrap(),
            "4194304"
        );
        fs::write(folder.join("memory.failcnt"), "17\n").unwrap();
        fs::write(
            folder.join("memory.oom_control"),
            "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n",
        )
        .unwrap();
        fs::write(folder.join("memory.max_usage_in_bytes"), "4190208\n").unwrap();
        assert_eq!(
            cgroup.counters(),
            Counters {
                failcnt: Some(17),
                oom_kills: Some(2),
                max_usage_kb: Some(4092),
            }
        );
        // What an engine leaves: a container's folder inside, the same name in another
        // controller.
        fs::create_dir_all(folder.join("abc123")).unwrap();
        fs::create_dir_all(dir.path().join("cpu").join(name).join("abc123")).unwrap();
        assert_eq!(leftovers(dir.path()), [name]);
        cgroup.remove().unwrap();
        assert!(!folder.exists() && !dir.path().join("cpu").join(name).exists());
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn v2_limit_and_no_swap() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("cgroup.controllers"), "memory").unwrap();
        let name = "footprint-test-2";
        fs::create_dir(dir.path().join(name)).unwrap();
        fs::write(dir.path().join(name).join("memory.swap.max"), "max").unwrap();
        // An existing folder is refused, and left as it was: two probes never share a cgroup.
        assert!(MemoryCgroup::make(dir.path(), name, 1 << 20).is_err());
        assert!(dir.path().join(name).join("memory.swap.max").exists());
        fs::remove_dir_all(dir.path().join(name)).unwrap();
        let cgroup = MemoryCgroup::make(dir.path(), name, 3 << 20).unwrap();
        assert_eq!(
            fs::read_to_string(cgroup.dir().join("memory.max")).unwrap(),
            "3145728"
        );
        fs::write(
            cgroup.dir().join("memory.events"),
            "low 0\nhigh 0\nmax 5\noom 1\noom_kill 1\n",
        )
        .unwrap();
        let counters = cgroup.counters();
        assert_eq!((counters.failcnt, counters.oom_kills), (Some(5), Some(1)));
        assert_eq!(counters.max_usage_kb, None);
        drop(cgroup);
        assert!(!dir.path().join(name).exists(), "removed on drop");
    }

    #[test]
    fn a_root_without_memory_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let why = can_make(dir.path()).unwrap_err();
        assert!(why.contains("no memory cgroup controller"), "{why}");
    }
}
