//! The plan written back in the scenario file format ([`Scenario::to_toml`]), every default
//! written out.

use std::time::Duration;

use super::{Scenario, quote};

impl Scenario {
    /// The plan in the scenario file format, every default written out, so that a results
    /// folder can keep the scenario as run. Parsing it under the same file name gives this plan
    /// back. Durations are written in the file's units (seconds, or milliseconds for
    /// `sample_interval_ms` and `pause_ms`), rounded up; the warm-up always ramps over 1 s.
    pub fn to_toml(&self) -> String {
        let mut lines = self.top_keys();
        self.machine(&mut lines);
        self.warmup_table(&mut lines);
        self.experiments(&mut lines);
        self.downstream_table(&mut lines);
        self.step_tables(&mut lines);
        let mut text = lines.join("\n");
        text.push('\n');
        text
    }

    /// The comment that heads the file, and the keys of its top level.
    fn top_keys(&self) -> Vec<String> {
        let mut lines = vec![
            format!(
                "# The {} scenario as run, every default written out.",
                quote(&self.name)
            ),
            format!("description = {}", quote(&self.description)),
            format!(
                "stacks = [{}]",
                self.stacks
                    .iter()
                    .map(|stack| quote(stack))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            format!("rungs = {}", self.rungs),
            format!("repeat = {}", self.repeat),
            format!("sample_interval_ms = {}", millis(self.sample_interval)),
        ];
        if let Some(workers) = self.workers {
            lines.push(format!("workers = {workers}"));
        }
        lines.extend([
            format!("idle_seconds = {}", seconds(self.idle)),
            format!("load = {}", quote(self.load.as_str())),
        ]);
        lines
    }

    /// `[placement]`, `[ids]`, `[boot]` and `[container]`: where and how the service runs.
    fn machine(&self, lines: &mut Vec<String>) {
        lines.extend([
            String::new(),
            "[placement]".to_owned(),
            format!("service_cpus = {}", numbers(&self.placement.service_cpus)),
            format!("harness_cpus = {}", numbers(&self.placement.harness_cpus)),
            String::new(),
            "[ids]".to_owned(),
            format!("seeded = {:?}", self.ids.seeded),
            format!("unknown = {:?}", self.ids.unknown),
            format!("malformed = {:?}", self.ids.malformed),
            String::new(),
            "[boot]".to_owned(),
            format!("starts = {}", self.boot_starts),
        ]);
        if let Some(timeout) = self.boot_timeout {
            lines.push(format!("timeout_seconds = {}", seconds(timeout)));
        }
        lines.extend([
            String::new(),
            "[container]".to_owned(),
            format!("memory_mb = {}", self.container.memory_mb),
        ]);
        if let Some(millicpus) = self.container.millicpus {
            lines.push(format!("millicpus = {millicpus}"));
        }
        lines.extend([
            format!("pids = {}", self.container.pids),
            format!("replicas = {}", self.container.replicas),
        ]);
    }

    /// `[warmup]`; `seconds = 0` without one.
    fn warmup_table(&self, lines: &mut Vec<String>) {
        lines.extend([String::new(), "[warmup]".to_owned()]);
        match &self.warmup {
            None => lines.push("seconds = 0".to_owned()),
            Some(warmup) => {
                lines.push(format!("seconds = {}", seconds(warmup.hold)));
                lines.push(format!("users = {}", warmup.users));
                if let Some(rate) = warmup.rate {
                    lines.push(format!("rate = {rate}"));
                }
                lines.push(format!("pause_ms = {}", pause(warmup.pause)));
            }
        }
    }

    /// `[battery]`, `[capacity]`, `[fit]` and `[density]`, those the plan has.
    fn experiments(&self, lines: &mut Vec<String>) {
        if let Some(battery) = &self.battery {
            lines.extend([
                String::new(),
                "[battery]".to_owned(),
                format!("pipelined = {}", battery.pipelined),
                format!("stalled = {}", battery.stalled),
                format!("burst = {}", battery.burst),
                format!("settle_seconds = {}", seconds(battery.settle)),
            ]);
        }
        if let Some(capacity) = &self.capacity {
            lines.extend([
                String::new(),
                "[capacity]".to_owned(),
                format!("slo_p99_ms = {}", millis(capacity.slo_p99)),
                format!("max_error_ratio = {:?}", capacity.max_error_ratio),
                format!("start_rps = {}", capacity.start_rps),
                format!("max_rps = {}", capacity.max_rps),
                format!("probe_seconds = {}", seconds(capacity.probe)),
                format!("resolution = {:?}", capacity.resolution),
                format!("users = {}", capacity.users),
            ]);
        }
        if let Some(fit) = &self.fit {
            lines.extend([
                String::new(),
                "[fit]".to_owned(),
                format!("max_mib = {}", fit.max_mib),
                format!("min_mib = {}", fit.min_mib),
                format!("resolution_mib = {}", fit.resolution_mib),
                format!("latency_factor = {:?}", fit.latency_factor),
                format!("latency_floor_ms = {}", millis(fit.latency_floor)),
                format!("max_error_ratio = {:?}", fit.max_error_ratio),
                format!("probe_timeout_seconds = {}", seconds(fit.probe_timeout)),
            ]);
        }
        if let Some(density) = &self.density {
            lines.extend([
                String::new(),
                "[density]".to_owned(),
                format!("node_mib = {}", density.node_mib),
                format!("max_replicas = {}", density.max_replicas),
            ]);
            if let Some(limit) = density.limit_mib {
                lines.push(format!("limit_mib = {limit}"));
            }
        }
    }

    /// `[downstream]`, when the plan has one.
    fn downstream_table(&self, lines: &mut Vec<String>) {
        if let Some(downstream) = &self.downstream {
            lines.extend([
                String::new(),
                "[downstream]".to_owned(),
                format!("service = {}", quote(&downstream.service)),
                format!("replicas = {}", downstream.replicas),
                format!("slow_ms = {}", millis(downstream.slow)),
                format!("probe_ms = {}", millis(downstream.probe)),
                format!("bases = {}", downstream.bases),
            ]);
        }
    }

    /// One `[[step]]` per step, with the fault its downstream is given from it.
    fn step_tables(&self, lines: &mut Vec<String>) {
        for step in &self.steps {
            lines.extend([
                String::new(),
                "[[step]]".to_owned(),
                format!("name = {}", quote(&step.name)),
                format!("users = {}", step.users),
            ]);
            if let Some(fault) = self
                .downstream
                .as_ref()
                .and_then(|d| d.fault_at(&step.name))
            {
                lines.push(format!("downstream = {}", quote(fault.as_str())));
            }
            if let Some(rate) = step.rate {
                lines.push(format!("rate = {rate}"));
            }
            lines.extend([
                format!("seconds = {}", seconds(step.hold)),
                format!("ramp_seconds = {}", seconds(step.ramp)),
                format!("pause_ms = {}", pause(step.pause)),
            ]);
        }
    }
}

/// A list of numbers, as TOML writes it.
fn numbers(values: &[usize]) -> String {
    let values: Vec<String> = values.iter().map(usize::to_string).collect();
    format!("[{}]", values.join(", "))
}

/// Whole seconds, rounded up.
fn seconds(duration: Duration) -> u64 {
    duration.as_secs() + u64::from(duration.subsec_nanos() > 0)
}

/// Whole milliseconds, rounded up.
fn millis(duration: Duration) -> u128 {
    let whole = duration.as_millis();
    whole + u128::from(Duration::from_millis(whole as u64) < duration)
}

/// A pause range, in milliseconds.
fn pause((min, max): (Duration, Duration)) -> String {
    format!("[{}, {}]", millis(min), millis(max))
}
