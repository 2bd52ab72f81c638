//! Memory and CPU of a process, read from `/proc`, and the thread that samples them.
//!
//! The sampler only produces timestamped records; the run loop aggregates them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::model::{PhaseCell, Reading, Sample};
use std::sync::mpsc::Sender;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Why a process could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    /// The `/proc` file could not be read (the process has exited, usually).
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file did not hold what it should.
    #[error("{path}: no {field}")]
    Missing {
        /// The file.
        path: String,
        /// The field.
        field: &'static str,
    },
}

/// Where readings come from: a process's `/proc` entry, or a test double.
pub trait Source: Send {
    /// Reads the process now.
    fn read(&mut self) -> Result<Reading, SampleError>;
}

/// A process read through `/proc/<pid>` (or `/proc/self`).
#[derive(Debug, Clone)]
pub struct ProcSource {
    dir: String,
    ticks_per_second: u64,
    pss: bool,
    /// Per-thread CPU in nanoseconds, for sub-tick precision; `None` to use ticks alone.
    threads: Option<ThreadClock>,
    /// The calling process: its CPU from the process clock (`CLOCK_PROCESS_CPUTIME_ID`),
    /// nanosecond resolution at no more cost than reading ticks.
    own_clock: bool,
    /// Another process's CPU clock (`clock_getcpuclockid`): one call per sample whatever the
    /// number of threads, where the per-thread walk costs about 25 µs a thread.
    cpu_clock: Option<nix::time::ClockId>,
}

/// CPU time of a process at nanosecond resolution, from the `schedstat` of each live thread
/// plus the last value seen of each thread that has ended (at most one interval of an ended
/// thread's time is lost; the tick-based total of `stat` bounds it from below).
#[derive(Debug, Clone, Default)]
struct ThreadClock {
    last: std::collections::HashMap<u32, u64>,
    ended_ns: u64,
}

impl ThreadClock {
    fn read(&mut self, dir: &str) -> Option<u64> {
        let mut now = std::collections::HashMap::with_capacity(self.last.len());
        for entry in std::fs::read_dir(format!("{dir}/task")).ok()?.flatten() {
            let Some(tid) = entry
                .file_name()
                .to_str()
                .and_then(|t| t.parse::<u32>().ok())
            else {
                continue;
            };
            let Ok(text) = std::fs::read_to_string(entry.path().join("schedstat")) else {
                continue;
            };
            if let Some(ns) = text.split_whitespace().next().and_then(|n| n.parse().ok()) {
                now.insert(tid, ns);
            }
        }
        if now.is_empty() {
            return None;
        }
        for (tid, ns) in &self.last {
            if !now.contains_key(tid) {
                self.ended_ns += ns;
            }
        }
        self.last = now;
        Some(self.ended_ns + self.last.values().sum::<u64>())
    }
}

impl ProcSource {
    /// Reads process `pid`, its CPU time at nanosecond resolution: from the kernel's CPU clock
    /// of the process (one call, every thread counted, ended ones included), or where that
    /// clock cannot be had, from the `schedstat` of each thread.
    pub fn pid(pid: u32) -> Self {
        let clock = i32::try_from(pid)
            .ok()
            .and_then(|p| nix::time::clock_getcpuclockid(nix::unistd::Pid::from_raw(p)).ok());
        Self {
            threads: clock.is_none().then(ThreadClock::default),
            cpu_clock: clock,
            ..Self::at(format!("/proc/{pid}"))
        }
    }

    /// Reads the calling process, without PSS: walking the harness's own (large) address
    /// space would be most of the sampler's cost, and nothing uses the figure.
    pub fn current() -> Self {
        Self {
            pss: false,
            own_clock: true,
            ..Self::at("/proc/self".to_owned())
        }
    }

    fn at(dir: String) -> Self {
        Self {
            dir,
            ticks_per_second: rustix::param::clock_ticks_per_second().max(1),
            pss: true,
            threads: None,
            own_clock: false,
            cpu_clock: None,
        }
    }

    fn file(&self, name: &str) -> Result<(String, String), SampleError> {
        let path = format!("{}/{name}", self.dir);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok((path, text)),
            Err(source) => Err(SampleError::Read { path, source }),
        }
    }
}

impl Source for ProcSource {
    fn read(&mut self) -> Result<Reading, SampleError> {
        let (status_path, status) = self.file("status")?;
        let (stat_path, stat) = self.file("stat")?;
        let field = |name: &'static str| {
            kib_field(&status, name).ok_or(SampleError::Missing {
                path: status_path.clone(),
                field: name,
            })
        };
        let rss_kb = field("VmRSS:")?;
        let hwm_kb = field("VmHWM:")?;
        let threads = field("Threads:")?;
        let ticks = cpu_ticks(&stat).ok_or(SampleError::Missing {
            path: stat_path,
            field: "utime and stime",
        })?;
        // smaps_rollup may be unreadable (permissions, old kernels): PSS is then absent.
        let pss_kb = if self.pss {
            match self.file("smaps_rollup") {
                Ok((_, text)) => kib_field(&text, "Pss:"),
                Err(_) => {
                    self.pss = false;
                    None
                }
            }
        } else {
            None
        };
        let tick_us = ticks.saturating_mul(1_000_000) / self.ticks_per_second;
        // Ticks are 10 ms here: too coarse for a light step, so the thread clocks lead.
        let precise_us = if self.own_clock {
            let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
            Some(
                u64::try_from(t.tv_sec).unwrap_or(0) * 1_000_000
                    + u64::try_from(t.tv_nsec).unwrap_or(0) / 1000,
            )
        } else if let Some(clock) = self.cpu_clock {
            nix::time::clock_gettime(clock).ok().map(|t| {
                u64::try_from(t.tv_sec()).unwrap_or(0) * 1_000_000
                    + u64::try_from(t.tv_nsec()).unwrap_or(0) / 1000
            })
        } else {
            self.threads
                .as_mut()
                .and_then(|clock| clock.read(&self.dir))
                .map(|ns| ns / 1000)
        };
        Ok(Reading {
            rss_kb,
            pss_kb,
            hwm_kb,
            cpu_us: precise_us.unwrap_or(tick_us),
            cpu_tick_us: tick_us,
            threads,
        })
    }
}

/// The value of a `Name:   1234 kB` line.
pub fn kib_field(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix(name))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// `utime + stime` from `/proc/<pid>/stat`, in clock ticks (fields 14 and 15, counted after
/// the command name, which may itself hold spaces and parentheses).
pub fn cpu_ticks(stat: &str) -> Option<u64> {
    let after_comm = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_comm.split_whitespace();
    // After ")": state is field 3, so utime (14) is the 12th and stime (15) the 13th.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// When a process started, in clock ticks after boot, from `/proc/<pid>/stat` (field 22): with
/// the pid, what tells a process from a later one given the same pid.
pub fn start_ticks(stat: &str) -> Option<u64> {
    let after_comm = &stat[stat.rfind(')')? + 1..];
    // After ")": state is field 3, so starttime (22) is the 20th.
    after_comm.split_whitespace().nth(19)?.parse().ok()
}

/// A running sampler thread; it stops when dropped or when the service can no longer be read.
pub struct Sampler {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Sampler {
    /// Samples `service` and `harness` every `interval` from now, tagging each sample with the
    /// value of `phase`, and sends them to `out`.
    pub fn spawn(
        mut service: Box<dyn Source>,
        mut harness: Box<dyn Source>,
        interval: Duration,
        epoch: Instant,
        phase: Arc<PhaseCell>,
        out: Sender<Sample>,
    ) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let handle = thread::Builder::new()
            .name("sampler".into())
            .spawn(move || {
                let mut next = Instant::now();
                let mut thread_cpu = ThreadCpu;
                while !stopped.load(Ordering::Relaxed) {
                    let before = thread_cpu.now_us();
                    let at = epoch.elapsed();
                    let (Ok(service), Ok(harness)) = (service.read(), harness.read()) else {
                        break;
                    };
                    let cost_us = thread_cpu.now_us().saturating_sub(before);
                    let sample = Sample {
                        at,
                        phase: phase.get(),
                        service,
                        harness,
                        cost_us,
                    };
                    if out.send(sample).is_err() {
                        break;
                    }
                    next += interval;
                    let now = Instant::now();
                    if next > now {
                        thread::sleep(next - now);
                    } else {
                        // Fell behind (a stalled machine): skip, never burst.
                        next = now;
                    }
                }
            })?;
        Ok(Self {
            stop,
            handle: Some(handle),
        })
    }

    /// Stops the thread and waits for it.
    pub fn stop(mut self) {
        self.finish();
    }

    fn finish(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.finish();
    }
}

/// CPU time of the calling thread, to measure what sampling itself costs.
#[derive(Debug, Default)]
struct ThreadCpu;

impl ThreadCpu {
    fn now_us(&mut self) -> u64 {
        let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
        u64::try_from(t.tv_sec).unwrap_or(0) * 1_000_000
            + u64::try_from(t.tv_nsec).unwrap_or(0) / 1000
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Phase;

    #[test]
    fn reads_status_fields() {
        let status = "Name:\tx\nVmHWM:\t    2048 kB\nVmRSS:\t    1800 kB\nThreads:\t3\n";
        assert_eq!(kib_field(status, "VmRSS:"), Some(1800));
        assert_eq!(kib_field(status, "VmHWM:"), Some(2048));
        assert_eq!(kib_field(status, "Threads:"), Some(3));
        assert_eq!(kib_field(status, "VmSwap:"), None);
    }

    #[test]
    fn reads_cpu_and_start_ticks_past_odd_command_names() {
        let stat = "4242 (we (ir) d) S 1 4242 4242 0 -1 4194560 120 0 0 0 17 5 0 0 20 0 3 0 9 1 2";
        assert_eq!(cpu_ticks(stat), Some(22));
        assert_eq!(start_ticks(stat), Some(9));
        assert_eq!(cpu_ticks("garbage"), None);
        assert_eq!(start_ticks("garbage"), None);
    }

    #[test]
    fn reads_this_process_like_proc_status_does() {
        let mut source = ProcSource::current();
        let reading = source.read().unwrap();
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let rss = kib_field(&status, "VmRSS:").unwrap();
        // Two reads a moment apart: within 2 % (or one page) of each other.
        let diff = reading.rss_kb.abs_diff(rss);
        assert!(
            diff * 50 <= rss.max(1) || diff <= 4,
            "{} vs {rss}",
            reading.rss_kb
        );
        assert!(reading.hwm_kb >= reading.rss_kb.min(rss));
        assert!(reading.threads >= 1);
    }

    /// Spends `cpu` of this thread's CPU time, by the thread's own CPU clock: on a busy
    /// machine a wall-clock loop can be descheduled for most of its time and burn less.
    fn burn_cpu(cpu: Duration) {
        let thread_cpu = || {
            let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
            Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
        };
        let start = thread_cpu();
        let mut x = 0u64;
        while thread_cpu() - start < cpu {
            for _ in 0..1000 {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            }
        }
        std::hint::black_box(x);
    }

    #[test]
    fn the_harness_reads_its_own_cpu_below_a_tick() {
        let mut source = ProcSource::current();
        let before = source.read().unwrap().cpu_us;
        burn_cpu(Duration::from_millis(3));
        let after = source.read().unwrap().cpu_us;
        // About 3 ms burnt: a tick-based reading would move by 0 or 10 ms.
        assert!(after - before >= 2_000, "{before} -> {after}");
        assert_ne!(
            (after - before) % 10_000,
            0,
            "a whole number of 10 ms ticks"
        );
    }

    #[test]
    fn cpu_time_of_a_busy_process_has_sub_tick_resolution() {
        let mut source = ProcSource::pid(std::process::id());
        let before = source.read().unwrap().cpu_us;
        // Burn about 3 ms of CPU: less than one 10 ms tick.
        burn_cpu(Duration::from_millis(3));
        let after = source.read().unwrap().cpu_us;
        assert!(after > before, "{before} -> {after}");
        assert!(
            after - before >= 2_000,
            "{before} -> {after}: a 3 ms busy loop"
        );
    }

    #[test]
    fn sampler_emits_tagged_samples_until_stopped() {
        struct Fake(u64);
        impl Source for Fake {
            fn read(&mut self) -> Result<Reading, SampleError> {
                self.0 += 1;
                Ok(Reading {
                    rss_kb: self.0,
                    ..Reading::default()
                })
            }
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let phase = Arc::new(PhaseCell::new(Phase::Step(7)));
        let sampler = Sampler::spawn(
            Box::new(Fake(0)),
            Box::new(Fake(100)),
            Duration::from_millis(5),
            Instant::now(),
            phase,
            tx,
        )
        .unwrap();
        let first: Vec<Sample> = rx.iter().take(3).collect();
        sampler.stop();
        assert_eq!(
            first.iter().map(|s| s.service.rss_kb).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        assert!(
            first
                .iter()
                .all(|s| s.phase == Phase::Step(7) && s.harness.rss_kb > 100)
        );
        assert!(first.windows(2).all(|w| w[0].at < w[1].at));
    }
}
