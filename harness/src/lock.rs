//! One run at a time on a host, and each run's proof of life.
//!
//! Two runs at once would spoil each other's figures (they pin the same CPUs and share the
//! machine's memory and network), so a run holds the host's lock (`host.lock`, an exclusive
//! `flock`) from before it starts anything until it has closed what it made. A second run
//! finds the lock held and refuses at once, naming the first run's id and pid (or, with
//! `--wait`, queues until it is free).
//!
//! A run also holds `runs/<run-id>.lock` for its whole life. That lock is how `harness clean`
//! tells a live run from a dead one: the kernel releases a `flock` when its holder dies
//! however it dies, and the lock is seen by any process that opens the same file, in any PID
//! namespace (a harness in a container shares the folder with a bind mount of
//! [`DIR_VAR`]'s folder). The file of a run that ended stays, unlocked, until `clean` finds
//! nothing of that run left and removes it.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

/// The environment variable naming the folder of the locks, instead of [`DEFAULT_DIR`].
pub const DIR_VAR: &str = "FOOTPRINT_LOCK_DIR";
/// The folder of the locks unless [`DIR_VAR`] names another: outlives a reboot (so `clean`
/// still knows the runs whose leftovers survived one) and is shared by the host's users.
pub const DEFAULT_DIR: &str = "/var/tmp/footprint";

/// The folder of the locks: [`DIR_VAR`] or [`DEFAULT_DIR`].
pub fn dir() -> PathBuf {
    std::env::var_os(DIR_VAR)
        .filter(|d| !d.is_empty())
        .map_or_else(|| PathBuf::from(DEFAULT_DIR), PathBuf::from)
}

/// Why a run could not take its locks.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another run holds the host.
    #[error(
        "another run is in progress on this host: {holder} (lock {path}); two runs at once \
         would spoil each other's figures: wait for it to end, or pass --wait to queue"
    )]
    Busy {
        /// Who holds it, as its lock file says.
        holder: Holder,
        /// The lock file.
        path: PathBuf,
    },
    /// A lock file could not be made or locked.
    #[error("cannot use the lock file {path}: {source} (set {DIR_VAR} to a writable folder)")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Who holds a lock, as written in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// The run's id; empty when the file says nothing (its holder has not written it yet).
    pub run_id: String,
    /// The harness's process id, in its own PID namespace.
    pub pid: Option<u32>,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.run_id.is_empty(), self.pid) {
            (true, _) => f.write_str("a run that has not said its id yet"),
            (false, Some(pid)) => write!(f, "run {} (harness pid {pid})", self.run_id),
            (false, None) => write!(f, "run {}", self.run_id),
        }
    }
}

impl Holder {
    fn parse(text: &str) -> Self {
        let mut words = text.split_whitespace();
        Self {
            run_id: words.next().unwrap_or_default().to_owned(),
            pid: words.next().and_then(|p| p.parse().ok()),
        }
    }
}

/// The locks of a live run: released when dropped (or when the process dies).
#[derive(Debug)]
pub struct RunLock {
    _host: File,
    _run: File,
    run_file: PathBuf,
    /// Whether the run's lock file stays once released (until `clean` finds nothing of the
    /// run left): yes unless the run said it closed everything it made.
    keep_file: bool,
}

impl RunLock {
    /// The run's own lock file.
    pub fn run_file(&self) -> &Path {
        &self.run_file
    }

    /// The run closed everything it made: its lock file goes with the lock.
    pub fn closed_everything(&mut self) {
        self.keep_file = false;
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // Removed while still held: `clean` never sees it free with the run's objects still
        // being closed.
        if !self.keep_file {
            let _ = fs::remove_file(&self.run_file);
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> LockError + '_ {
    move |source| LockError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Makes `dir` (and `dir/runs`) writable by every user of the host, as `/tmp` is: runs of
/// several users share the host's lock.
fn make_dir(dir: &Path) -> Result<PathBuf, LockError> {
    use std::os::unix::fs::PermissionsExt as _;
    let runs = dir.join("runs");
    for folder in [dir, runs.as_path()] {
        if !folder.is_dir() {
            fs::create_dir_all(folder).map_err(io(folder))?;
            // Another user's folder is left as it is.
            let _ = fs::set_permissions(folder, fs::Permissions::from_mode(0o1777));
        }
    }
    Ok(runs)
}

fn open(path: &Path) -> Result<File, LockError> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(io(path))
}

fn read_holder(file: &mut File) -> Holder {
    let mut text = String::new();
    let _ = file.seek(SeekFrom::Start(0));
    let _ = file.read_to_string(&mut text);
    Holder::parse(&text)
}

fn write_holder(file: &mut File, run_id: &str) -> std::io::Result<()> {
    file.set_len(0)?;
    file.seek(SeekFrom::Start(0))?;
    writeln!(file, "{run_id} {}", std::process::id())?;
    file.flush()
}

/// Takes the host's lock and the run's own for `run_id`, in `dir`. When another run holds the
/// host: with `wait`, `waiting` is called once with who holds it and the call blocks until
/// the lock is free; without, [`LockError::Busy`] at once.
pub fn acquire(
    dir: &Path,
    run_id: &str,
    wait: bool,
    waiting: impl FnOnce(&Holder),
) -> Result<RunLock, LockError> {
    let runs = make_dir(dir)?;
    let host_path = dir.join("host.lock");
    let mut host = open(&host_path)?;
    match host.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let holder = read_holder(&mut host);
            if !wait {
                return Err(LockError::Busy {
                    holder,
                    path: host_path,
                });
            }
            waiting(&holder);
            host.lock().map_err(io(&host_path))?;
        }
        Err(TryLockError::Error(e)) => return Err(io(&host_path)(e)),
    }
    write_holder(&mut host, run_id).map_err(io(&host_path))?;
    let run_file = runs.join(format!("{run_id}.lock"));
    let mut run = open(&run_file)?;
    match run.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            return Err(LockError::Busy {
                holder: read_holder(&mut run),
                path: run_file,
            });
        }
        Err(TryLockError::Error(e)) => return Err(io(&run_file)(e)),
    }
    write_holder(&mut run, run_id).map_err(io(&run_file))?;
    Ok(RunLock {
        _host: host,
        _run: run,
        run_file,
        keep_file: true,
    })
}

/// What the locks say of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    /// Its lock is held: its harness runs.
    Alive,
    /// Its lock file is here and free: its harness has ended (or died).
    Ended,
    /// No lock file of it here: a harness that does not share this folder made it.
    Unknown,
}

/// Whether run `run_id`'s harness is alive, from its lock in `dir`.
pub fn liveness(dir: &Path, run_id: &str) -> Liveness {
    if !plain_name(run_id) {
        return Liveness::Unknown;
    }
    let path = dir.join("runs").join(format!("{run_id}.lock"));
    let Ok(file) = OpenOptions::new().read(true).open(&path) else {
        return Liveness::Unknown;
    };
    match file.try_lock_shared() {
        Ok(()) => Liveness::Ended,
        Err(TryLockError::WouldBlock) => Liveness::Alive,
        Err(TryLockError::Error(_)) => Liveness::Unknown,
    }
}

/// Removes the lock file of an ended run (once nothing of it is left); a held one stays.
pub fn forget(dir: &Path, run_id: &str) {
    if liveness(dir, run_id) == Liveness::Ended {
        let _ = fs::remove_file(dir.join("runs").join(format!("{run_id}.lock")));
    }
}

/// Whether `name` can be a file name of its own: not empty, no path separator, not `.` or
/// `..`, printable ASCII letters, digits and `-_.+@` only (what run ids and stack names use).
pub fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && name.len() <= 200
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+' | '@'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_run_is_refused_naming_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let first = acquire(dir.path(), "20260101T000000Z-steady-ab12", false, |_| {}).unwrap();
        let err = acquire(dir.path(), "20260101T000001Z-ramp-cd34", false, |_| {}).unwrap_err();
        let LockError::Busy { holder, .. } = &err else {
            panic!("{err}")
        };
        assert_eq!(holder.run_id, "20260101T000000Z-steady-ab12");
        assert_eq!(holder.pid, Some(std::process::id()));
        let said = err.to_string();
        assert!(said.contains("20260101T000000Z-steady-ab12"), "{said}");
        assert!(said.contains("--wait"), "{said}");
        drop(first);
        acquire(dir.path(), "20260101T000001Z-ramp-cd34", false, |_| {}).unwrap();
    }

    #[test]
    fn a_waiting_run_starts_when_the_first_ends() {
        let dir = tempfile::tempdir().unwrap();
        let first = acquire(dir.path(), "one", false, |_| {}).unwrap();
        let (told, heard) = std::sync::mpsc::channel();
        let path = dir.path().to_owned();
        let second = std::thread::spawn(move || {
            acquire(&path, "two", true, |holder| {
                told.send(holder.run_id.clone()).unwrap()
            })
            .map(|_| ())
        });
        // Told who it waits for, it is still waiting: the first holds the lock.
        assert_eq!(heard.recv().unwrap(), "one");
        assert!(!second.is_finished());
        drop(first);
        second.join().unwrap().unwrap();
    }

    #[test]
    fn a_run_lock_tells_alive_from_ended() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(liveness(dir.path(), "r1"), Liveness::Unknown);
        let lock = acquire(dir.path(), "r1", false, |_| {}).unwrap();
        assert_eq!(liveness(dir.path(), "r1"), Liveness::Alive);
        forget(dir.path(), "r1");
        assert!(lock.run_file().exists(), "a live run's file is kept");
        drop(lock);
        assert_eq!(liveness(dir.path(), "r1"), Liveness::Ended);
        forget(dir.path(), "r1");
        assert_eq!(liveness(dir.path(), "r1"), Liveness::Unknown);

        // A run that closed everything takes its lock file with it.
        let mut lock = acquire(dir.path(), "r2", false, |_| {}).unwrap();
        lock.closed_everything();
        drop(lock);
        assert_eq!(liveness(dir.path(), "r2"), Liveness::Unknown);
    }

    #[test]
    fn plain_names_only() {
        for good in ["20261207T101010Z-steady-1a2b", "axum+quotes", "go@log"] {
            assert!(plain_name(good), "{good}");
        }
        for bad in ["", ".", "..", "../../x", "a/b", "a\\b", "a b", "x\0"] {
            assert!(!plain_name(bad), "{bad:?}");
        }
    }
}
