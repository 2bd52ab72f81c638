//! The projection: what a fleet of N services at R requests per second each costs on EC2 in
//! each stack, from a run's figures and a list of [`Price`]s. Arithmetic only: the renderers
//! (`crate::render`) turn the [`CostReport`] into a table or a page.
//!
//! The conventions (a 730-hour month, the sustained CPU of a burstable instance, aarch64 rows
//! only for aarch64 builds) are those of `data/README.md`.

use super::prices::{Arch, Price};
use super::{
    DEFAULT_HEADROOM_PCT, DEFAULT_OS_RESERVE_MIB, DEFAULT_RPS, DEFAULT_SERVICES,
    FARGATE_USD_PER_GB_HOUR, FARGATE_USD_PER_VCPU_HOUR, HOURS_PER_MONTH, PRICES_FILE,
    SCHEMA_VERSION,
};
use crate::model::{Role, StackSummary, Status, Summary};

/// The fleet to price: N services, one replica each, each taking R requests per second.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Fleet {
    /// Services (N), one replica each.
    pub services: u32,
    /// Requests per second each service takes (R).
    pub rps_per_service: f64,
    /// Memory and CPU are planned at (1 + headroom/100) of what was measured.
    pub headroom_pct: f64,
    /// Memory the OS and container runtime keep on every instance, MiB.
    pub os_reserve_mib: u64,
}

impl Default for Fleet {
    fn default() -> Self {
        Self {
            services: DEFAULT_SERVICES,
            rps_per_service: DEFAULT_RPS,
            headroom_pct: DEFAULT_HEADROOM_PCT,
            os_reserve_mib: DEFAULT_OS_RESERVE_MIB,
        }
    }
}

impl Fleet {
    /// What measured figures are multiplied by: 1 + headroom.
    pub fn factor(&self) -> f64 {
        1.0 + self.headroom_pct / 100.0
    }
}

/// Which memory figure a stack's projection uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MemorySource {
    /// A density run: the node's budget over the replicas it held under load.
    Density,
    /// A fit search: the smallest memory limit the service held its load under.
    Fit,
    /// The kernel's high-water mark over the run.
    Peak,
    /// The median under load (no peak was recorded).
    Load,
}

impl MemorySource {
    /// The word tables and pages show.
    pub fn word(self) -> &'static str {
        match self {
            MemorySource::Density => "density",
            MemorySource::Fit => "fit",
            MemorySource::Peak => "peak",
            MemorySource::Load => "load",
        }
    }
}

/// Which CPU figure a stack's projection uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CpuSource {
    /// The CPU per request measured at the run's own load, extrapolated to R.
    PerRequest,
    /// The capacity per core a capacity search found (CPU per request = 1 / capacity): what a
    /// core serves within the latency objective, queueing included.
    Capacity,
}

/// What one replica of a stack was measured to use.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct StackInput {
    /// Memory per replica, MiB.
    pub memory_mib: f64,
    /// Where that figure comes from.
    pub memory_source: MemorySource,
    /// CPU per request, ms.
    pub cpu_ms_per_request: f64,
    /// Where that figure comes from.
    pub cpu_source: CpuSource,
    /// The capacity per core it comes from, requests per second ([`CpuSource::Capacity`]).
    pub capacity_rps_per_core: Option<f64>,
    /// Whether that capacity is a lower bound (the search stopped before the service's
    /// limit): the CPU planned is then an upper bound.
    pub capacity_at_least: bool,
    /// CPU a replica uses with no request (JIT, GC, timers), cores: the service's CPU over
    /// the run's idle phase; `None` when not measured, counted as 0.
    pub idle_vcpu: Option<f64>,
}

/// A stack's figures for projection: memory = the node's budget over the replicas a density
/// run held, else the fit limit, else `peak_kb`, else `load_kb`; CPU per request = 1000 / the
/// capacity per core where the run searched for one, else `cpu_ms_per_1000 / 1000`, else the
/// fit's at its largest limit; the CPU at idle = `idle_cores`. `Err` says which figure is
/// missing.
pub fn stack_input(stack: &StackSummary) -> Result<StackInput, &'static str> {
    let density = stack.density.as_ref().and_then(|d| {
        d.replicas_per_node()
            .map(|n| (u64::from(d.node_mib) << 10) / u64::from(n))
    });
    let fit = stack
        .fit
        .as_ref()
        .and_then(|f| f.fit_mib)
        .map(|mib| u64::from(mib) << 10);
    let (kb, memory_source) = match (density, fit, stack.peak_kb, stack.load_kb) {
        (Some(kb), ..) => (kb, MemorySource::Density),
        (None, Some(kb), ..) => (kb, MemorySource::Fit),
        (None, None, Some(kb), _) => (kb, MemorySource::Peak),
        (None, None, None, Some(kb)) => (kb, MemorySource::Load),
        (None, None, None, None) => return Err("no memory figure"),
    };
    if kb == 0 {
        return Err("memory figure is 0");
    }
    let capacity = stack.capacity.as_ref().and_then(|c| {
        let per_core = c.rps_per_core.as_ref()?.median;
        (per_core.is_finite() && per_core > 0.0).then_some((per_core, c.at_least))
    });
    let (cpu_ms_per_request, cpu_source) = match capacity {
        Some((per_core, _)) => (1000.0 / per_core, CpuSource::Capacity),
        None => {
            let cpu = stack
                .cpu_ms_per_1000
                .or_else(|| {
                    stack
                        .fit
                        .as_ref()
                        .and_then(|f| f.cpu_ms_per_request)
                        .map(|ms| ms * 1000.0)
                })
                .filter(|c| c.is_finite() && *c >= 0.0)
                .ok_or("no CPU figure")?;
            (cpu / 1000.0, CpuSource::PerRequest)
        }
    };
    Ok(StackInput {
        memory_mib: kb as f64 / 1024.0,
        memory_source,
        cpu_ms_per_request,
        cpu_source,
        capacity_rps_per_core: capacity.map(|(per_core, _)| per_core),
        capacity_at_least: capacity.is_some_and(|(_, at_least)| at_least),
        idle_vcpu: stack.idle_cores.filter(|c| c.is_finite() && *c >= 0.0),
    })
}

/// What one replica is planned to need, headroom included.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Need {
    /// Memory, MiB: measured × (1 + headroom).
    pub memory_mib: f64,
    /// CPU, cores: (CPU at idle + R × CPU ms per request / 1000) × (1 + headroom).
    pub cpu_vcpu: f64,
}

/// What one replica of `input` needs in `fleet`.
pub fn need(input: &StackInput, fleet: &Fleet) -> Need {
    let idle = input.idle_vcpu.unwrap_or(0.0);
    Need {
        memory_mib: input.memory_mib * fleet.factor(),
        cpu_vcpu: (idle + fleet.rps_per_service * input.cpu_ms_per_request / 1000.0)
            * fleet.factor(),
    }
}

/// The limit that decided how many replicas fit an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Bound {
    /// Memory (also on a tie, and whenever CPU sets no limit).
    Memory,
    /// Sustained CPU.
    Cpu,
}

/// One stack on one instance type.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct InstanceRow {
    /// EC2 instance type.
    pub instance_type: String,
    /// Its architecture.
    pub arch: Arch,
    /// Its vCPUs.
    pub vcpu: u32,
    /// Its memory, GiB.
    pub memory_gib: f64,
    /// CPU it sustains, vCPUs (burstable baseline honoured).
    pub sustained_vcpu: f64,
    /// Replicas that fit by memory: floor((GiB × 1024 − reserve) / need).
    pub replicas_by_memory: u64,
    /// Replicas that fit by CPU: floor(sustained / need); `None` when a replica needs no CPU.
    pub replicas_by_cpu: Option<u64>,
    /// The smaller of the two; 0 means not even one replica fits.
    pub replicas_per_instance: u64,
    /// Which limit decided.
    pub bound: Bound,
    /// Instances for the fleet: ceil(N / replicas per instance); `None` if one does not fit.
    pub instances: Option<u64>,
    /// Its price in 2026, USD per hour.
    pub usd_per_hour_2026: f64,
    /// Its price in 2017, USD per hour, where the table has one (t2).
    pub usd_per_hour_2017: Option<f64>,
    /// Monthly cost at 2026 prices, USD.
    pub usd_per_month_2026: Option<f64>,
    /// Monthly cost at 2017 prices, USD, where the table has one (t2).
    pub usd_per_month_2017: Option<f64>,
}

impl InstanceRow {
    /// Whether at least one replica fits.
    pub fn fits(&self) -> bool {
        self.replicas_per_instance > 0
    }
}

/// `floor(x)` forgiving the last bits of binary floating point: 0.2 / 0.00625 is 32, where
/// plain `floor` may say 31.
fn whole(x: f64) -> u64 {
    (x * (1.0 + 1e-9)).floor().max(0.0) as u64
}

/// How a replica needing `need` fits `price`, and what the fleet costs on it.
pub fn project_instance(need: &Need, price: &Price, fleet: &Fleet) -> InstanceRow {
    let usable_mib = price.memory_gib * 1024.0 - fleet.os_reserve_mib as f64;
    let replicas_by_memory = if usable_mib > 0.0 {
        whole(usable_mib / need.memory_mib)
    } else {
        0
    };
    let sustained_vcpu = price.sustained_vcpu();
    let replicas_by_cpu = (need.cpu_vcpu > 0.0).then(|| whole(sustained_vcpu / need.cpu_vcpu));
    let (replicas_per_instance, bound) = match replicas_by_cpu {
        Some(cpu) if cpu < replicas_by_memory => (cpu, Bound::Cpu),
        _ => (replicas_by_memory, Bound::Memory),
    };
    let instances = (replicas_per_instance > 0)
        .then(|| u64::from(fleet.services).div_ceil(replicas_per_instance));
    let monthly = |usd_per_hour: f64| instances.map(|n| n as f64 * usd_per_hour * HOURS_PER_MONTH);
    InstanceRow {
        instance_type: price.instance_type.clone(),
        arch: price.arch,
        vcpu: price.vcpu,
        memory_gib: price.memory_gib,
        sustained_vcpu,
        replicas_by_memory,
        replicas_by_cpu,
        replicas_per_instance,
        bound,
        instances,
        usd_per_hour_2026: price.usd_per_hour_2026,
        usd_per_hour_2017: price.usd_per_hour_2017,
        usd_per_month_2026: monthly(price.usd_per_hour_2026),
        usd_per_month_2017: price.usd_per_hour_2017.and_then(monthly),
    }
}

/// The cheapest instance type for a stack.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Choice {
    /// EC2 instance type.
    pub instance_type: String,
    /// Instances for the fleet.
    pub instances: u64,
    /// Which limit decided.
    pub bound: Bound,
    /// Monthly cost, USD.
    pub usd_per_month: f64,
}

/// The cheapest of `rows` by `cost` (rows without a cost are left out); on a tie (to a
/// millionth of a dollar) the fewer instances, then the first in the table.
fn cheapest(rows: &[InstanceRow], cost: impl Fn(&InstanceRow) -> Option<f64>) -> Option<Choice> {
    rows.iter()
        .filter_map(|r| Some((r, cost(r)?, r.instances?)))
        .min_by_key(|&(_, usd, instances)| ((usd * 1e6).round() as i64, instances))
        .map(|(r, usd, instances)| Choice {
            instance_type: r.instance_type.clone(),
            instances,
            bound: r.bound,
            usd_per_month: usd,
        })
}

/// Fargate for the fleet: one task per service, the smallest task size that holds a replica.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct FargateLine {
    /// vCPUs of each task.
    pub task_vcpu: f64,
    /// Memory of each task, GB as Fargate counts it (1 GB = 1024 MiB of task memory).
    pub task_gb: f64,
    /// Tasks: one per service.
    pub tasks: u32,
    /// USD per task-hour: vCPU × 0.04048 + GB × 0.004445.
    pub usd_per_task_hour: f64,
    /// Monthly cost, USD: tasks × USD per task-hour × 730.
    pub usd_per_month: f64,
}

/// Valid Fargate task sizes, (vCPU, GB): 0.25 vCPU with 0.5, 1 or 2 GB; 0.5 with 1-4 GB;
/// 1 with 2-8; 2 with 4-16; 4 with 8-30 (whole GB from 1 GB up).
pub fn fargate_sizes() -> Vec<(f64, f64)> {
    let mut sizes = vec![(0.25, 0.5), (0.25, 1.0), (0.25, 2.0)];
    for (vcpu, from, to) in [(0.5, 1, 4), (1.0, 2, 8), (2.0, 4, 16), (4.0, 8, 30)] {
        sizes.extend((from..=to).map(|gb| (vcpu, f64::from(gb))));
    }
    sizes
}

/// The cheapest Fargate task size that holds one replica needing `need` (no OS reserve: the
/// task's size is taken as what the replica may use); `None` if even 4 vCPU / 30 GB is too small.
pub fn fargate(need: &Need, fleet: &Fleet) -> Option<FargateLine> {
    let hourly =
        |(vcpu, gb): (f64, f64)| vcpu * FARGATE_USD_PER_VCPU_HOUR + gb * FARGATE_USD_PER_GB_HOUR;
    let (task_vcpu, task_gb) = fargate_sizes()
        .into_iter()
        .filter(|&(vcpu, gb)| vcpu >= need.cpu_vcpu && gb * 1024.0 >= need.memory_mib)
        .min_by(|&a, &b| hourly(a).total_cmp(&hourly(b)))?;
    let usd_per_task_hour = hourly((task_vcpu, task_gb));
    Some(FargateLine {
        task_vcpu,
        task_gb,
        tasks: fleet.services,
        usd_per_task_hour,
        usd_per_month: f64::from(fleet.services) * usd_per_task_hour * HOURS_PER_MONTH,
    })
}

/// One stack's projection, made when it has figures.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Projection {
    /// What one replica was measured to use.
    pub input: StackInput,
    /// What one replica is planned to need.
    pub need: Need,
    /// Every instance type considered, in the price table's order.
    pub rows: Vec<InstanceRow>,
    /// The cheapest type at 2026 prices; `None` if no type holds a replica.
    pub cheapest: Option<Choice>,
    /// The cheapest type at 2017 prices (t2 only: the blog's own comparison).
    pub cheapest_2017: Option<Choice>,
    /// This stack's cheapest monthly cost over the baseline's (both 2026 prices).
    pub ratio_to_baseline: Option<f64>,
    /// Fargate as an alternative; `None` if no task size holds a replica.
    pub fargate: Option<FargateLine>,
}

/// One stack of the run, with or without figures.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StackCost {
    /// The stack.
    pub stack: String,
    /// How its part of the run ended.
    pub status: Status,
    /// Why it was skipped or failed, from the run.
    pub reason: Option<String>,
    /// Which figure is missing when there is no projection.
    pub missing: Option<String>,
    /// The projection; `None`: no figures.
    pub projection: Option<Projection>,
}

/// The whole projection of one run: every stack, every instance type, and the notes any
/// rendering of it must carry.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CostReport {
    /// Model version ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// The run projected.
    pub run_id: String,
    /// Its scenario.
    pub scenario: String,
    /// The backend it ran on.
    pub backend: String,
    /// The memory counter of its figures.
    pub memory_counter: String,
    /// The fleet priced.
    pub fleet: Fleet,
    /// Hours in a month.
    pub hours_per_month: f64,
    /// The price table.
    pub prices_file: String,
    /// Instance types considered, in the price table's order.
    pub instance_types: Vec<String>,
    /// Whether aarch64 types are among them.
    pub aarch64: bool,
    /// The stack ratios are taken against: the one declared as the baseline, when the run
    /// measured it.
    pub baseline: Option<String>,
    /// Why ratios are unavailable, if they are.
    pub baseline_note: Option<String>,
    /// Fargate USD per vCPU-hour used.
    pub fargate_usd_per_vcpu_hour: f64,
    /// Fargate USD per GB-hour used.
    pub fargate_usd_per_gb_hour: f64,
    /// Every stack of the run, in its order.
    pub stacks: Vec<StackCost>,
    /// Assumptions and sources, to print with the figures.
    pub notes: Vec<String>,
}

/// Projects every stack of `summary` onto `prices` for `fleet`.
pub fn project(summary: &Summary, prices: &[Price], fleet: &Fleet) -> CostReport {
    let mut stacks: Vec<StackCost> = summary
        .stacks
        .iter()
        .map(|s| {
            let (projection, missing) = match stack_input(s) {
                Ok(input) => (Some(project_stack(&input, prices, fleet)), None),
                Err(why) => (None, Some(why.to_owned())),
            };
            StackCost {
                stack: s.stack.clone(),
                status: s.status,
                reason: s.reason.clone(),
                missing,
                projection,
            }
        })
        .collect();
    // The stacks are in the run's order: the baseline's cost is at its place in the run.
    let baseline = summary
        .stacks
        .iter()
        .position(|s| s.role == Some(Role::Baseline))
        .map(|i| &stacks[i]);
    let (baseline_usd, baseline_note) = baseline_cost(baseline);
    let baseline = baseline.map(|b| b.stack.clone());
    for stack in &mut stacks {
        if let Some(p) = &mut stack.projection {
            p.ratio_to_baseline = baseline_usd
                .zip(p.cheapest.as_ref())
                .map(|(base, c)| c.usd_per_month / base);
        }
    }
    let aarch64 = prices.iter().any(|p| p.arch == Arch::Aarch64);
    let inputs: Vec<&StackInput> = stacks
        .iter()
        .filter_map(|s| s.projection.as_ref().map(|p| &p.input))
        .collect();
    let notes = notes(aarch64, &inputs);
    CostReport {
        schema_version: SCHEMA_VERSION,
        run_id: summary.run_id.clone(),
        scenario: summary.scenario.clone(),
        backend: summary.backend.clone(),
        memory_counter: summary.memory_counter.clone(),
        fleet: *fleet,
        hours_per_month: HOURS_PER_MONTH,
        prices_file: PRICES_FILE.to_owned(),
        instance_types: prices.iter().map(|p| p.instance_type.clone()).collect(),
        aarch64,
        baseline,
        baseline_note,
        fargate_usd_per_vcpu_hour: FARGATE_USD_PER_VCPU_HOUR,
        fargate_usd_per_gb_hour: FARGATE_USD_PER_GB_HOUR,
        stacks,
        notes,
    }
}

/// The baseline's cheapest monthly cost, or why there is none to take ratios against.
fn baseline_cost(baseline: Option<&StackCost>) -> (Option<f64>, Option<String>) {
    let (usd, why) = match baseline {
        None => (
            None,
            Some(
                "the baseline (the stack declared with role = \"baseline\") was not among this run's stacks"
                    .to_owned(),
            ),
        ),
        Some(StackCost {
            projection: None,
            stack,
            status,
            ..
        }) => (
            None,
            Some(format!("{stack} has no figures ({})", status.word())),
        ),
        Some(StackCost {
            projection: Some(p),
            stack,
            ..
        }) => match &p.cheapest {
            Some(c) => (Some(c.usd_per_month), None),
            None => (
                None,
                Some(format!(
                    "{stack} fits none of the instance types considered"
                )),
            ),
        },
    };
    (
        usd,
        why.map(|n| format!("{n}: the ratio to it is unavailable")),
    )
}

/// The assumptions and sources behind the figures of `inputs`, to print with them.
fn notes(aarch64: bool, inputs: &[&StackInput]) -> Vec<String> {
    let mut notes = vec![if aarch64 {
        "aarch64 types included on request: aarch64 rows apply only to stacks built for aarch64; these figures come from x86_64 builds, so those rows assume the same memory and CPU on Graviton, which was not measured".to_owned()
    } else {
        "x86_64 types only: the stacks are built for x86_64, and aarch64 rows apply only to stacks built for aarch64 (--aarch64 includes them anyway)".to_owned()
    }];
    if inputs.is_empty() || inputs.iter().any(|i| i.cpu_source == CpuSource::PerRequest) {
        notes.push(
            "figures are taken as measured at the run's own load: CPU per replica scales with R at the measured CPU per request, and memory per replica does not change with R".to_owned(),
        );
    }
    if inputs.iter().any(|i| i.cpu_source == CpuSource::Capacity) {
        notes.push(
            "where the run searched for capacity (CPU per request marked \"capacity\"), CPU per replica is R over the requests per second one core held within the latency objective, instead of the CPU per request measured at one load; a capacity the load generator could not reach (≥) is a lower bound, so that CPU is planned high".to_owned(),
        );
    }
    notes.extend(packing_notes(inputs));
    if inputs.iter().any(|i| i.idle_vcpu.is_some()) {
        notes.push(
            "CPU per replica starts from the service's CPU while it sat idle in the run (JIT, garbage collection, timers), added before R × CPU per request".to_owned(),
        );
    }
    notes.push(
        "burstable types are planned within their baseline CPU (vCPU × baseline %), where they run without spending credits".to_owned(),
    );
    notes.push(format!(
        "Fargate: third-party price summaries (2026), not checked against AWS: {FARGATE_USD_PER_VCPU_HOUR} USD per vCPU-hour, {FARGATE_USD_PER_GB_HOUR} USD per GB-hour (x86, us-east-1); one task per service, the smallest valid task size holding one replica with headroom, no OS reserve taken from the task"
    ));
    notes
}

/// How the replicas of `inputs` were packed, a note per memory source used.
fn packing_notes(inputs: &[&StackInput]) -> Vec<String> {
    let packed_by = |source: MemorySource| inputs.iter().any(|i| i.memory_source == source);
    let mut notes = Vec::new();
    if packed_by(MemorySource::Density) {
        notes.push(
            "packed by measured density (memory from density): memory per replica is the node's budget over the replicas that all served under load at once, each limited and reserved at its fit; headroom is added on top".to_owned(),
        );
    }
    if packed_by(MemorySource::Fit) {
        notes.push(
            "packed by the fit (memory from fit): memory per replica is the smallest memory limit, swap off, under which the service served its load; headroom is added on top".to_owned(),
        );
    }
    if packed_by(MemorySource::Peak) || packed_by(MemorySource::Load) {
        notes.push(
            "packed by one process's own memory (memory from peak or load): no fit or density was measured in this run, so the packing is an extrapolation; the fit and density scenarios measure it".to_owned(),
        );
    }
    notes
}

/// One stack with figures on every type of `prices`; the ratio is filled in by [`project`].
fn project_stack(input: &StackInput, prices: &[Price], fleet: &Fleet) -> Projection {
    let need = need(input, fleet);
    let rows: Vec<InstanceRow> = prices
        .iter()
        .map(|p| project_instance(&need, p, fleet))
        .collect();
    Projection {
        input: *input,
        need,
        cheapest: cheapest(&rows, |r| r.usd_per_month_2026),
        cheapest_2017: cheapest(&rows, |r| r.usd_per_month_2017),
        ratio_to_baseline: None,
        fargate: fargate(&need, fleet),
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::fixtures::{
        baseline, m6i_large, measured, partly_measured, price, summary, t2_nano, t3_micro, t3_nano,
        t3_small, with_capacity,
    };
    use crate::model::CapacityLimit;

    fn row(stack: &StackSummary, p: &Price, fleet: &Fleet) -> InstanceRow {
        project_instance(&need(&stack_input(stack).unwrap(), fleet), p, fleet)
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn the_worked_example_on_t3_micro() {
        // 20 MiB peak, 50 ms per 1000 requests = 0.05 ms per request, 100 req/s, headroom 25 %,
        // reserve 256 MiB. t3.micro: 1 GiB, 2 vCPU × 10 % = 0.2 vCPU sustained.
        // memory: floor((1024 - 256) / (20 × 1.25)) = floor(768 / 25) = floor(30.72) = 30
        // CPU: 100 × 0.05 / 1000 × 1.25 = 0.00625 cores; floor(0.2 / 0.00625) = 32
        // min(30, 32) = 30, bound by memory; ceil(10 / 30) = 1 instance; 1 × 0.0104 × 730 = 7.592
        let fleet = Fleet::default();
        let r = row(&measured("axum", 20, 50.0), &t3_micro(), &fleet);
        assert!(close(r.sustained_vcpu, 0.2));
        assert_eq!(r.replicas_by_memory, 30);
        assert_eq!(r.replicas_by_cpu, Some(32));
        assert_eq!(r.replicas_per_instance, 30);
        assert_eq!(r.bound, Bound::Memory);
        assert_eq!(r.instances, Some(1));
        assert!(close(r.usd_per_month_2026.unwrap(), 7.592));
        assert_eq!(r.usd_per_month_2017, None, "t3 had no 2017 price");
    }

    #[test]
    fn burstable_instances_sustain_only_their_baseline() {
        // At 1000 req/s: 1000 × 0.05 / 1000 × 1.25 = 0.0625 cores per replica.
        // t3.micro sustains 2 × 10 % = 0.2 vCPU: floor(0.2 / 0.0625) = floor(3.2) = 3 (with its
        // 2 raw vCPUs it would be 32); memory still 30 -> bound by CPU, 3 per instance,
        // ceil(10 / 3) = 4 instances, 4 × 0.0104 × 730 = 30.368.
        let fleet = Fleet {
            rps_per_service: 1000.0,
            ..Fleet::default()
        };
        let stack = measured("axum", 20, 50.0);
        let r = row(&stack, &t3_micro(), &fleet);
        assert_eq!(r.replicas_by_cpu, Some(3));
        assert_eq!(r.bound, Bound::Cpu);
        assert_eq!(r.replicas_per_instance, 3);
        assert_eq!(r.instances, Some(4));
        assert!(close(r.usd_per_month_2026.unwrap(), 30.368));
        // m6i.large is not burstable: all 2 vCPU, floor(2 / 0.0625) = 32; memory
        // floor((8192 - 256) / 25) = floor(317.44) = 317 -> 32 per instance, bound by CPU,
        // 1 instance, 0.096 × 730 = 70.08.
        let r = row(&stack, &m6i_large(), &fleet);
        assert!(close(r.sustained_vcpu, 2.0));
        assert_eq!(r.replicas_by_memory, 317);
        assert_eq!(r.replicas_by_cpu, Some(32));
        assert_eq!(r.bound, Bound::Cpu);
        assert_eq!(r.instances, Some(1));
        assert!(close(r.usd_per_month_2026.unwrap(), 70.08));
    }

    #[test]
    fn t2_rows_carry_the_2017_price_too() {
        // t2.nano at 100 req/s: sustained 1 × 5 % = 0.05 vCPU, floor(0.05 / 0.00625) = 8;
        // memory floor((512 - 256) / 25) = floor(10.24) = 10 -> 8, bound by CPU;
        // ceil(10 / 8) = 2 instances; 2026: 2 × 0.0058 × 730 = 8.468; 2017: 2 × 0.0059 × 730 = 8.614
        let r = row(&measured("go", 20, 50.0), &t2_nano(), &Fleet::default());
        assert_eq!((r.replicas_by_memory, r.replicas_by_cpu), (10, Some(8)));
        assert_eq!(r.bound, Bound::Cpu);
        assert_eq!(r.instances, Some(2));
        assert!(close(r.usd_per_month_2026.unwrap(), 8.468));
        assert!(close(r.usd_per_month_2017.unwrap(), 8.614));
    }

    #[test]
    fn a_type_too_small_for_one_replica_does_not_fit() {
        let fleet = Fleet::default();
        // 300 MiB × 1.25 = 375 MiB; t3.nano has 512 - 256 = 256 MiB: floor(256 / 375) = 0.
        let r = row(&measured("spring-like", 300, 200.0), &t3_nano(), &fleet);
        assert_eq!(r.replicas_by_memory, 0);
        assert!(!r.fits());
        assert_eq!(r.bound, Bound::Memory);
        assert_eq!((r.instances, r.usd_per_month_2026), (None, None));
        // 2 ms per request: 100 × 2 / 1000 × 1.25 = 0.25 cores > t3.micro's 0.2 sustained:
        // floor(0.2 / 0.25) = 0, bound by CPU.
        let r = row(&measured("slow", 20, 2000.0), &t3_micro(), &fleet);
        assert_eq!(r.replicas_by_cpu, Some(0));
        assert_eq!(r.bound, Bound::Cpu);
        assert!(!r.fits());
        assert_eq!(r.instances, None);
        // A reserve larger than the instance leaves nothing: 1024 - 2048 < 0.
        let greedy = Fleet {
            os_reserve_mib: 2048,
            ..fleet
        };
        assert!(!row(&measured("axum", 20, 50.0), &t3_micro(), &greedy).fits());
    }

    #[test]
    fn packs_by_density_else_fit_else_peak_and_says_which() {
        use crate::model::{Density, FitLimit, FitSummary, LimitFrom};
        let fit = FitSummary {
            fit_mib: Some(8),
            limit: FitLimit::Service,
            used_kb: Some(3 << 10),
            below: None,
            below_mib: None,
            jvm_heap_max_mib: None,
            cpu_ms_per_request: Some(0.05),
        };
        let density = |replicas: u32, held: u32| Density {
            node_mib: 512,
            limit_mib: 6,
            limit_from: LimitFrom::EngineMinimum,
            replicas,
            held,
            node_used_kb: Some(100 << 10),
            rate_per_replica: Some(10),
            per_replica: Vec::new(),
            failure: None,
        };
        // A fit run alone: memory from the fit, CPU from its largest-limit probe.
        let mut s = StackSummary::new("axum", Status::Ok, None);
        s.fit = Some(fit.clone());
        let input = stack_input(&s).unwrap();
        assert_eq!(input.memory_source, MemorySource::Fit);
        assert!(close(input.memory_mib, 8.0));
        assert!(close(input.cpu_ms_per_request, 0.05));
        // With a density where every replica held: the node over the replicas.
        s.density = Some(density(85, 85));
        let input = stack_input(&s).unwrap();
        assert_eq!(input.memory_source, MemorySource::Density);
        assert!(
            (input.memory_mib - 512.0 / 85.0).abs() < 0.01,
            "{}",
            input.memory_mib
        );
        // A density where a replica failed supports no packing: back to the fit.
        s.density = Some(density(85, 84));
        assert_eq!(stack_input(&s).unwrap().memory_source, MemorySource::Fit);
        // And the report says which, once per source used.
        let mut peak = measured("spring-like", 300, 200.0);
        peak.fit = None;
        s.density = Some(density(85, 85));
        let report = project(&summary(vec![s, peak]), &[t3_micro()], &Fleet::default());
        let says = |what: &str| report.notes.iter().filter(|n| n.contains(what)).count();
        assert_eq!(says("packed by measured density"), 1);
        assert_eq!(says("packed by one process's own memory"), 1);
        assert_eq!(says("packed by the fit"), 0);
    }

    #[test]
    fn no_cpu_per_request_means_memory_bound() {
        // 0 CPU per request: no CPU limit; memory floor(768 / 25) = 30.
        let r = row(&measured("idle", 20, 0.0), &t3_micro(), &Fleet::default());
        assert_eq!(r.replicas_by_cpu, None);
        assert_eq!(r.bound, Bound::Memory);
        assert_eq!(r.replicas_per_instance, 30);
    }

    #[test]
    fn memory_is_the_peak_else_the_load_median() {
        let mut s = measured("axum", 20, 50.0);
        let input = stack_input(&s).unwrap();
        assert_eq!(input.memory_source, MemorySource::Peak);
        assert!(close(input.memory_mib, 20.0));
        assert!(close(input.cpu_ms_per_request, 0.05));
        s.peak_kb = None;
        let input = stack_input(&s).unwrap();
        assert_eq!(input.memory_source, MemorySource::Load);
        assert!(close(input.memory_mib, 10.0));
        s.load_kb = None;
        assert_eq!(stack_input(&s), Err("no memory figure"));
        let mut s = measured("axum", 20, 50.0);
        s.cpu_ms_per_1000 = None;
        assert_eq!(stack_input(&s), Err("no CPU figure"));
    }

    #[test]
    fn a_capacity_and_the_idle_cpu_decide_the_cpu_per_replica() {
        // axum: 20 MiB peak and 50 ms per 1000 requests at the run's load; a search found 4000
        // rps per core (the SLO's limit); 0.01 core at idle. CPU per request from the capacity:
        // 1000 / 4000 = 0.25 ms (not 0.05). Per replica at 100 req/s:
        // (0.01 + 100 × 0.25 / 1000) × 1.25 = 0.035 × 1.25 = 0.04375 vCPU.
        // t3.micro sustains 0.2: floor(0.2 / 0.04375) = floor(4.57) = 4 by CPU (30 by memory),
        // bound by CPU, ceil(10 / 4) = 3 instances.
        let stack = with_capacity(
            measured("axum", 20, 50.0),
            4000,
            CapacityLimit::Slo,
            Some(0.01),
        );
        let input = stack_input(&stack).unwrap();
        assert_eq!(input.cpu_source, CpuSource::Capacity);
        assert!(close(input.cpu_ms_per_request, 0.25));
        assert_eq!(
            (
                input.capacity_rps_per_core,
                input.capacity_at_least,
                input.idle_vcpu
            ),
            (Some(4000.0), false, Some(0.01))
        );
        let fleet = Fleet::default();
        let n = need(&input, &fleet);
        assert!(close(n.cpu_vcpu, 0.04375), "{n:?}");
        let r = project_instance(&n, &t3_micro(), &fleet);
        assert_eq!(
            (r.replicas_by_cpu, r.bound, r.instances),
            (Some(4), Bound::Cpu, Some(3))
        );
        // Without the search: the CPU per request at the run's load, the idle CPU still added:
        // (0.01 + 100 × 0.05 / 1000) × 1.25 = 0.01875.
        let mut plain = stack.clone();
        plain.capacity = None;
        let input = stack_input(&plain).unwrap();
        assert_eq!(input.cpu_source, CpuSource::PerRequest);
        assert!(close(need(&input, &fleet).cpu_vcpu, 0.01875));
        // A run with a search and no steps has no CPU per request but its capacity; one the
        // generator could not reach is a lower bound.
        let mut searched = with_capacity(
            measured("hyper", 5, 1.0),
            8000,
            CapacityLimit::Generator,
            None,
        );
        searched.cpu_ms_per_1000 = None;
        let input = stack_input(&searched).unwrap();
        assert!(close(input.cpu_ms_per_request, 0.125) && input.capacity_at_least);
        assert_eq!(input.idle_vcpu, None, "no idle figure: none added");
        // The report says which figures it used.
        let report = project(
            &summary(vec![stack, measured("go", 20, 50.0)]),
            &[t3_micro()],
            &fleet,
        );
        let notes = report.notes.join("\n");
        assert!(notes.contains("searched for capacity"), "{notes}");
        assert!(notes.contains("sat idle"), "{notes}");
        assert!(
            notes.contains("at the measured CPU per request"),
            "go: {notes}"
        );
        let only = project(&summary(vec![searched]), &[t3_micro()], &fleet);
        assert!(
            !only
                .notes
                .join(" ")
                .contains("at the measured CPU per request"),
            "{:?}",
            only.notes
        );
    }

    #[test]
    fn cheapest_and_ratio_to_the_baseline() {
        let prices = [t3_micro(), t3_small()];
        let report = project(
            &summary(vec![
                measured("axum", 20, 50.0),
                baseline(measured("spring-like", 200, 200.0)),
            ]),
            &prices,
            &Fleet::default(),
        );
        assert_eq!(report.baseline_note, None);
        assert_eq!(report.baseline.as_deref(), Some("spring-like"));
        // axum: t3.micro 1 instance, 7.592 (worked example). t3.small: memory
        // floor((2048 - 256) / 25) = 71, CPU floor(0.4 / 0.00625) = 64 -> 1 instance,
        // 0.0208 × 730 = 15.184. Cheapest: t3.micro.
        let axum = report.stacks[0].projection.as_ref().unwrap();
        let c = axum.cheapest.as_ref().unwrap();
        assert_eq!((c.instance_type.as_str(), c.instances), ("t3.micro", 1));
        assert!(close(c.usd_per_month, 7.592));
        // spring-like: 200 × 1.25 = 250 MiB, 100 × 0.2 / 1000 × 1.25 = 0.025 cores.
        // t3.micro: floor(768 / 250) = 3, floor(0.2 / 0.025) = 8 -> 3, ceil(10 / 3) = 4,
        // 4 × 0.0104 × 730 = 30.368. t3.small: floor(1792 / 250) = 7, floor(0.4 / 0.025) = 16
        // -> 7, ceil(10 / 7) = 2, 2 × 0.0208 × 730 = 30.368. A tie: fewer instances win.
        let jvm = report.stacks[1].projection.as_ref().unwrap();
        let c = jvm.cheapest.as_ref().unwrap();
        assert_eq!((c.instance_type.as_str(), c.instances), ("t3.small", 2));
        assert!(close(c.usd_per_month, 30.368));
        // 7.592 / 30.368 = 0.25
        assert!(close(axum.ratio_to_baseline.unwrap(), 0.25));
        assert!(close(jvm.ratio_to_baseline.unwrap(), 1.0));
    }

    #[test]
    fn stacks_without_figures_are_kept_and_the_ratio_says_why_it_is_missing() {
        let report = project(&partly_measured(), &[t3_micro()], &Fleet::default());
        let names: Vec<&str> = report.stacks.iter().map(|s| s.stack.as_str()).collect();
        assert_eq!(names, ["axum", "go", "spring-like", "actix"]);
        let go = &report.stacks[1];
        assert_eq!(go.status, Status::Skipped);
        assert!(go.projection.is_none());
        assert_eq!(go.missing.as_deref(), Some("no memory figure"));
        let axum = report.stacks[0].projection.as_ref().unwrap();
        assert!(axum.cheapest.is_some());
        assert_eq!(axum.ratio_to_baseline, None);
        let note = report.baseline_note.as_deref().unwrap();
        assert!(
            note.contains("spring-like has no figures (failed)"),
            "{note}"
        );
        assert!(note.contains("unavailable"), "{note}");

        let without = project(
            &summary(vec![measured("axum", 20, 50.0)]),
            &[t3_micro()],
            &Fleet::default(),
        );
        assert!(
            without
                .baseline_note
                .unwrap()
                .contains("the baseline (the stack declared with role = \"baseline\") was not among this run's stacks: the ratio to it is unavailable")
        );
        // A stack is the baseline by its declaration, never by its name.
        let named = project(
            &summary(vec![
                measured("axum", 20, 50.0),
                measured("spring-like", 200, 200.0),
            ]),
            &[t3_micro()],
            &Fleet::default(),
        );
        assert_eq!(named.baseline, None);
    }

    #[test]
    fn fargate_takes_the_smallest_task_that_holds_a_replica() {
        let fleet = Fleet::default();
        // 25 MiB and 0.00625 vCPU fit 0.25 vCPU / 0.5 GB: 0.25 × 0.04048 + 0.5 × 0.004445
        // = 0.01012 + 0.0022225 = 0.0123425 per task-hour; × 10 tasks × 730 h = 90.10025.
        let small = Need {
            memory_mib: 25.0,
            cpu_vcpu: 0.00625,
        };
        let f = fargate(&small, &fleet).unwrap();
        assert_eq!((f.task_vcpu, f.task_gb, f.tasks), (0.25, 0.5, 10));
        assert!(close(f.usd_per_task_hour, 0.0123425));
        assert!(close(f.usd_per_month, 90.10025));
        // 1536 MiB needs 2 GB; 0.25 vCPU / 2 GB (0.01012 + 0.00889 = 0.01901) is cheaper than
        // 0.5 vCPU / 2 GB (0.02024 + 0.00889 = 0.02913).
        let big = Need {
            memory_mib: 1536.0,
            cpu_vcpu: 0.1,
        };
        let f = fargate(&big, &fleet).unwrap();
        assert_eq!((f.task_vcpu, f.task_gb), (0.25, 2.0));
        assert!(close(f.usd_per_task_hour, 0.01901));
        // 0.3 vCPU needs 0.5 vCPU, whose smallest memory is 1 GB.
        let busy = Need {
            memory_mib: 25.0,
            cpu_vcpu: 0.3,
        };
        assert_eq!(
            fargate(&busy, &fleet).map(|f| (f.task_vcpu, f.task_gb)),
            Some((0.5, 1.0))
        );
        // Beyond 4 vCPU or 30 GB nothing fits.
        let too_busy = Need {
            memory_mib: 25.0,
            cpu_vcpu: 4.5,
        };
        assert_eq!(fargate(&too_busy, &fleet), None);
        let too_big = Need {
            memory_mib: 31.0 * 1024.0,
            cpu_vcpu: 0.1,
        };
        assert_eq!(fargate(&too_big, &fleet), None);
        // 3 + 4 + 7 + 13 + 23 sizes.
        assert_eq!(fargate_sizes().len(), 50);
    }

    #[test]
    fn aarch64_types_carry_their_caveat() {
        let prices = [t3_micro(), price("t4g.micro", 2, 1.0, None, 0.0084, 10.0)];
        let report = project(
            &summary(vec![measured("axum", 20, 50.0)]),
            &prices,
            &Fleet::default(),
        );
        assert!(report.aarch64);
        assert!(report.notes[0].contains("apply only to stacks built for aarch64"));
    }
}
