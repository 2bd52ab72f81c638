//! Cost projection: what a fleet of N services at R requests per second each costs on EC2 in
//! each stack, from a run's figures and the price table in `data/ec2-prices.csv`.
//!
//! Everything here is arithmetic on a [`Summary`] and a list of [`Price`]s, except
//! [`load_prices`], which reads the CSV. The conventions (a 730-hour month, the sustained CPU of
//! a burstable instance, aarch64 rows only for aarch64 builds) are those of `data/README.md`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::model::{StackSummary, Status, Summary};
use crate::table;

/// Version of the [`CostReport`] model; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;
/// The price table, relative to the project's root.
pub const PRICES_FILE: &str = "data/ec2-prices.csv";
/// Hours in a month, the convention cost tools use (`data/README.md`).
pub const HOURS_PER_MONTH: f64 = 730.0;
/// The stack every other is compared with: the blog's Spring Boot service.
pub const BASELINE_STACK: &str = "jvm-spring";
/// Fargate, x86, us-east-1: USD per vCPU-hour (third-party summary, `data/README.md`).
pub const FARGATE_USD_PER_VCPU_HOUR: f64 = 0.04048;
/// Fargate, x86, us-east-1: USD per GB-hour of task memory (third-party summary).
pub const FARGATE_USD_PER_GB_HOUR: f64 = 0.004445;
/// Default fleet size: services, one replica each.
pub const DEFAULT_SERVICES: u32 = 10;
/// Default load on each service, requests per second.
pub const DEFAULT_RPS: f64 = 100.0;
/// Default headroom on memory and CPU, percent.
pub const DEFAULT_HEADROOM_PCT: f64 = 25.0;
/// Default memory the OS and container runtime keep on every instance, MiB.
pub const DEFAULT_OS_RESERVE_MIB: u64 = 256;

/// The columns of the price table, in order.
const COLUMNS: [&str; 8] = [
    "instance_type",
    "arch",
    "vcpu",
    "memory_gib",
    "usd_per_hour_2017_02",
    "usd_per_hour_2026_07",
    "burstable",
    "baseline_cpu_per_vcpu_pct",
];

/// CPU architecture of an instance type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Arch {
    /// Intel and AMD.
    #[serde(rename = "x86_64")]
    X86_64,
    /// AWS Graviton.
    #[serde(rename = "aarch64")]
    Aarch64,
}

impl Arch {
    /// The name used in the price table.
    pub fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
        }
    }
}

/// One row of the price table: an EC2 instance type, its size and its on-demand price.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Price {
    /// EC2 instance type (`t3.micro`).
    pub instance_type: String,
    /// CPU architecture.
    pub arch: Arch,
    /// vCPUs.
    pub vcpu: u32,
    /// Memory, GiB.
    pub memory_gib: f64,
    /// USD per hour in February 2017 (t2 only: later families did not exist).
    pub usd_per_hour_2017: Option<f64>,
    /// USD per hour in July 2026.
    pub usd_per_hour_2026: f64,
    /// A T-family instance, which earns CPU credits.
    pub burstable: bool,
    /// CPU per vCPU the instance may use without spending credits, percent (100 if fixed).
    pub baseline_cpu_per_vcpu_pct: f64,
}

impl Price {
    /// CPU the instance sustains, in vCPUs: `vcpu × baseline / 100` (t3.large: 0.6).
    pub fn sustained_vcpu(&self) -> f64 {
        f64::from(self.vcpu) * self.baseline_cpu_per_vcpu_pct / 100.0
    }
}

/// Why the price table could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PriceError {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A field (or a header cell) holds something other than what its column needs.
    #[error("{}: line {line}, column {column} ({name}): expected {expected}, found {found:?}", path.display())]
    Field {
        /// The file.
        path: PathBuf,
        /// Line, from 1.
        line: usize,
        /// Column, from 1.
        column: usize,
        /// The column's name.
        name: &'static str,
        /// What the column needs.
        expected: String,
        /// What it holds.
        found: String,
    },
    /// A row has too few or too many fields.
    #[error("{}: line {line}, column {column}: expected {} fields, found {found}", path.display(), COLUMNS.len())]
    Columns {
        /// The file.
        path: PathBuf,
        /// Line, from 1.
        line: usize,
        /// The first missing or extra column, from 1.
        column: usize,
        /// Fields on the line.
        found: usize,
    },
    /// An instance type is listed twice.
    #[error("{}: line {line}, column 1 (instance_type): {instance_type} is already listed on line {first}", path.display())]
    Duplicate {
        /// The file.
        path: PathBuf,
        /// Line of the second listing.
        line: usize,
        /// The instance type.
        instance_type: String,
        /// Line of the first listing.
        first: usize,
    },
    /// No instance type at all.
    #[error("{}: no instance types (a header and at least one row are needed)", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
}

/// Reads and checks the price table at `path`.
pub fn load_prices(path: &Path) -> Result<Vec<Price>, PriceError> {
    let text = std::fs::read_to_string(path).map_err(|source| PriceError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse_prices(&text, path)
}

/// Parses the price table `text` (read from `path`, which errors name): a header with the
/// columns of `data/README.md` in order, then one instance type per line. Blank lines are
/// ignored; fields are plain (the table needs no quoting).
pub fn parse_prices(text: &str, path: &Path) -> Result<Vec<Price>, PriceError> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((header_line, header)) = lines.next() else {
        return Err(PriceError::Empty {
            path: path.to_owned(),
        });
    };
    let cells = split_row(header, header_line, path)?;
    for (i, (&cell, &name)) in cells.iter().zip(COLUMNS.iter()).enumerate() {
        if cell != name {
            return Err(PriceError::Field {
                path: path.to_owned(),
                line: header_line,
                column: i + 1,
                name,
                expected: format!("the header {name:?}"),
                found: cell.to_owned(),
            });
        }
    }
    let mut prices: Vec<(usize, Price)> = Vec::new();
    for (line, text) in lines {
        let fields = split_row(text, line, path)?;
        let price = parse_row(&fields, line, path)?;
        if let Some((first, _)) = prices
            .iter()
            .find(|(_, p)| p.instance_type == price.instance_type)
        {
            return Err(PriceError::Duplicate {
                path: path.to_owned(),
                line,
                instance_type: price.instance_type,
                first: *first,
            });
        }
        prices.push((line, price));
    }
    if prices.is_empty() {
        return Err(PriceError::Empty {
            path: path.to_owned(),
        });
    }
    Ok(prices.into_iter().map(|(_, p)| p).collect())
}

fn split_row<'a>(text: &'a str, line: usize, path: &Path) -> Result<Vec<&'a str>, PriceError> {
    let fields: Vec<&str> = text.split(',').map(str::trim).collect();
    if fields.len() != COLUMNS.len() {
        return Err(PriceError::Columns {
            path: path.to_owned(),
            line,
            column: fields.len().min(COLUMNS.len()) + 1,
            found: fields.len(),
        });
    }
    Ok(fields)
}

fn parse_row(fields: &[&str], line: usize, path: &Path) -> Result<Price, PriceError> {
    let bad = |column: usize, expected: &str| PriceError::Field {
        path: path.to_owned(),
        line,
        column: column + 1,
        name: COLUMNS[column],
        expected: expected.to_owned(),
        found: fields[column].to_owned(),
    };
    let number = |column: usize, ok: fn(f64) -> bool, expected: &str| {
        fields[column]
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && ok(*v))
            .ok_or_else(|| bad(column, expected))
    };
    let instance_type = fields[0];
    if instance_type.is_empty() || instance_type.contains(char::is_whitespace) {
        return Err(bad(0, "an instance type such as t3.micro"));
    }
    let arch = match fields[1] {
        "x86_64" => Arch::X86_64,
        "aarch64" => Arch::Aarch64,
        _ => return Err(bad(1, "x86_64 or aarch64")),
    };
    let vcpu = fields[2]
        .parse::<u32>()
        .ok()
        .filter(|&v| v > 0)
        .ok_or_else(|| bad(2, "a whole number of vCPUs, at least 1"))?;
    let memory_gib = number(3, |v| v > 0.0, "memory in GiB, above 0")?;
    let usd_per_hour_2017 = if fields[4].is_empty() {
        None
    } else {
        Some(number(
            4,
            |v| v > 0.0,
            "USD per hour above 0, or nothing where there was no price",
        )?)
    };
    let usd_per_hour_2026 = number(5, |v| v > 0.0, "USD per hour, above 0")?;
    let burstable = match fields[6] {
        "true" => true,
        "false" => false,
        _ => return Err(bad(6, "true or false")),
    };
    let baseline_cpu_per_vcpu_pct = number(
        7,
        |v| v > 0.0 && v <= 100.0,
        "a percentage above 0 and at most 100",
    )?;
    Ok(Price {
        instance_type: instance_type.to_owned(),
        arch,
        vcpu,
        memory_gib,
        usd_per_hour_2017,
        usd_per_hour_2026,
        burstable,
        baseline_cpu_per_vcpu_pct,
    })
}

/// Why a choice of instance types was refused.
#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    /// Not in the price table.
    #[error("unknown instance type {name:?}; known types: {}", known.join(", "))]
    Unknown {
        /// What was asked for.
        name: String,
        /// Every type in the price table.
        known: Vec<String>,
    },
    /// An aarch64 type asked for without asking for aarch64.
    #[error(
        "{name} is an aarch64 type and the stacks are built for x86_64; pass --aarch64 to project onto aarch64 types anyway"
    )]
    Aarch64 {
        /// What was asked for.
        name: String,
    },
}

/// The instance types to project onto, in the price table's order: `wanted` (every type when
/// `None`), x86_64 only unless `aarch64`.
pub fn select(
    prices: &[Price],
    wanted: Option<&[String]>,
    aarch64: bool,
) -> Result<Vec<Price>, SelectError> {
    let arch_ok = |p: &Price| aarch64 || p.arch == Arch::X86_64;
    let Some(wanted) = wanted else {
        return Ok(prices.iter().filter(|p| arch_ok(p)).cloned().collect());
    };
    for name in wanted {
        match prices.iter().find(|p| &p.instance_type == name) {
            None => {
                return Err(SelectError::Unknown {
                    name: name.clone(),
                    known: prices.iter().map(|p| p.instance_type.clone()).collect(),
                });
            }
            Some(p) if !arch_ok(p) => {
                return Err(SelectError::Aarch64 { name: name.clone() });
            }
            Some(_) => {}
        }
    }
    Ok(prices
        .iter()
        .filter(|p| wanted.contains(&p.instance_type))
        .cloned()
        .collect())
}

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
    /// The kernel's high-water mark over the run.
    Peak,
    /// The median under load (no peak was recorded).
    Load,
}

impl MemorySource {
    /// A word for tables.
    pub fn word(self) -> &'static str {
        match self {
            MemorySource::Peak => "peak",
            MemorySource::Load => "load",
        }
    }
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
}

/// A stack's figures for projection: memory = `peak_kb`, else `load_kb`; CPU per request =
/// `cpu_ms_per_1000 / 1000`. `Err` says which figure is missing.
pub fn stack_input(stack: &StackSummary) -> Result<StackInput, &'static str> {
    let (kb, memory_source) = match (stack.peak_kb, stack.load_kb) {
        (Some(kb), _) => (kb, MemorySource::Peak),
        (None, Some(kb)) => (kb, MemorySource::Load),
        (None, None) => return Err("no memory figure"),
    };
    if kb == 0 {
        return Err("memory figure is 0");
    }
    let cpu = stack
        .cpu_ms_per_1000
        .filter(|c| c.is_finite() && *c >= 0.0)
        .ok_or("no CPU figure")?;
    Ok(StackInput {
        memory_mib: kb as f64 / 1024.0,
        memory_source,
        cpu_ms_per_request: cpu / 1000.0,
    })
}

/// What one replica is planned to need, headroom included.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Need {
    /// Memory, MiB: measured × (1 + headroom).
    pub memory_mib: f64,
    /// CPU, cores: R × CPU ms per request / 1000 × (1 + headroom).
    pub cpu_vcpu: f64,
}

/// What one replica of `input` needs in `fleet`.
pub fn need(input: &StackInput, fleet: &Fleet) -> Need {
    Need {
        memory_mib: input.memory_mib * fleet.factor(),
        cpu_vcpu: fleet.rps_per_service * input.cpu_ms_per_request / 1000.0 * fleet.factor(),
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

impl Bound {
    /// A word for tables.
    pub fn word(self) -> &'static str {
        match self {
            Bound::Memory => "memory",
            Bound::Cpu => "CPU",
        }
    }
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
    /// The stack ratios are taken against.
    pub baseline: String,
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

    let baseline = stacks.iter().find(|s| s.stack == BASELINE_STACK);
    let (baseline_usd, baseline_note) = match baseline {
        None => (None, Some(format!("{BASELINE_STACK} is not in this run"))),
        Some(StackCost {
            projection: None,
            status,
            ..
        }) => (
            None,
            Some(format!(
                "{BASELINE_STACK} has no figures ({})",
                status_word(*status)
            )),
        ),
        Some(StackCost {
            projection: Some(p),
            ..
        }) => match &p.cheapest {
            Some(c) => (Some(c.usd_per_month), None),
            None => (
                None,
                Some(format!(
                    "{BASELINE_STACK} fits none of the instance types considered"
                )),
            ),
        },
    };
    let baseline_note = baseline_note.map(|n| format!("{n}: the ratio to it is unavailable"));
    for stack in &mut stacks {
        if let Some(p) = &mut stack.projection {
            p.ratio_to_baseline = baseline_usd
                .zip(p.cheapest.as_ref())
                .map(|(base, c)| c.usd_per_month / base);
        }
    }

    let aarch64 = prices.iter().any(|p| p.arch == Arch::Aarch64);
    let mut notes = vec![if aarch64 {
        "aarch64 types included on request: aarch64 rows apply only to stacks built for aarch64; these figures come from x86_64 builds, so those rows assume the same memory and CPU on Graviton, which was not measured".to_owned()
    } else {
        "x86_64 types only: the stacks are built for x86_64, and aarch64 rows apply only to stacks built for aarch64 (--aarch64 includes them anyway)".to_owned()
    }];
    notes.push(
        "figures are taken as measured at the run's own load: CPU per replica scales with R at the measured CPU per request, and memory per replica does not change with R".to_owned(),
    );
    notes.push(
        "burstable types are planned within their baseline CPU (vCPU × baseline %), where they run without spending credits".to_owned(),
    );
    notes.push(format!(
        "Fargate: third-party price summaries (2026), not checked against AWS: {FARGATE_USD_PER_VCPU_HOUR} USD per vCPU-hour, {FARGATE_USD_PER_GB_HOUR} USD per GB-hour (x86, us-east-1); one task per service, the smallest valid task size holding one replica with headroom, no OS reserve taken from the task"
    ));
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
        baseline: BASELINE_STACK.to_owned(),
        baseline_note,
        fargate_usd_per_vcpu_hour: FARGATE_USD_PER_VCPU_HOUR,
        fargate_usd_per_gb_hour: FARGATE_USD_PER_GB_HOUR,
        stacks,
        notes,
    }
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

fn status_word(status: Status) -> &'static str {
    match status {
        Status::Ok => "ok",
        Status::Skipped => "skipped",
        Status::Failed => "failed",
        Status::Interrupted => "partial",
        Status::Pending => "not run",
    }
}

/// `x` to three significant digits, trailing zeros dropped (0.00625, 0.05, 12.3).
fn sig3(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let decimals = (2 - x.abs().log10().floor() as i32).clamp(0, 9) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

fn usd(v: Option<f64>) -> String {
    v.map_or("-".to_owned(), |v| format!("{v:.2}"))
}

/// The report for a terminal: per stack the cheapest choice, its 2017 t2 counterpart, the ratio
/// to the baseline and Fargate; then each stack's detail on every instance type; then the notes.
pub fn render_table(report: &CostReport) -> String {
    let fleet = &report.fleet;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Cost projection of run {} (scenario {}, backend {})",
        report.run_id, report.scenario, report.backend
    );
    let _ = writeln!(
        out,
        "fleet: {} services, one replica each, {} req/s each; planned at {}% of what was measured (headroom {}%); {} MiB per instance kept for the OS and container runtime",
        fleet.services,
        sig3(fleet.rps_per_service),
        sig3(fleet.factor() * 100.0),
        sig3(fleet.headroom_pct),
        fleet.os_reserve_mib
    );
    let _ = writeln!(
        out,
        "memory per replica: peak {counter} (high-water mark) where measured, else median {counter} under load; CPU per request: CPU ms per 1000 requests / 1000",
        counter = report.memory_counter
    );
    let _ = writeln!(
        out,
        "prices: EC2 on-demand, Linux, us-east-1 ({}): 2026-07, and 2017-02 for t2 (the blog's comparison); a month is {} h",
        report.prices_file, report.hours_per_month
    );
    out.push('\n');

    let baseline_header = format!("vs {}", report.baseline);
    let headers = [
        "stack",
        "status",
        "memory/replica",
        "CPU/request",
        "cheapest (2026)",
        "USD/month",
        baseline_header.as_str(),
        "t2 at 2017 prices",
        "USD/month",
        "Fargate (x86)",
        "USD/month",
    ];
    let rows: Vec<Vec<String>> = report
        .stacks
        .iter()
        .map(|s| {
            let mut row = vec![s.stack.clone(), status_word(s.status).to_owned()];
            let Some(p) = &s.projection else {
                row.push("no figures".to_owned());
                row.extend(std::iter::repeat_n("-".to_owned(), headers.len() - 3));
                return row;
            };
            let choice = |c: &Option<Choice>| {
                c.as_ref()
                    .map_or(("does not fit".to_owned(), "-".to_owned()), |c| {
                        (
                            format!("{} × {}", c.instances, c.instance_type),
                            usd(Some(c.usd_per_month)),
                        )
                    })
            };
            let (now, now_usd) = choice(&p.cheapest);
            let (then, then_usd) = choice(&p.cheapest_2017);
            let then = if p.rows.iter().any(|r| r.usd_per_hour_2017.is_some()) {
                then
            } else {
                "-".to_owned()
            };
            let (fargate, fargate_usd) =
                p.fargate
                    .map_or(("does not fit".to_owned(), "-".to_owned()), |f| {
                        (
                            format!(
                                "{} × {} vCPU/{} GB",
                                f.tasks,
                                sig3(f.task_vcpu),
                                sig3(f.task_gb)
                            ),
                            usd(Some(f.usd_per_month)),
                        )
                    });
            row.extend([
                format!(
                    "{:.1} MiB {}",
                    p.input.memory_mib,
                    p.input.memory_source.word()
                ),
                format!("{} ms", sig3(p.input.cpu_ms_per_request)),
                now,
                now_usd,
                p.ratio_to_baseline
                    .map_or("-".to_owned(), |r| format!("{r:.2}×")),
                then,
                then_usd,
                fargate,
                fargate_usd,
            ]);
            row
        })
        .collect();
    table::grid(&mut out, "", &headers, &rows, "llrrlrrlrlr");
    for s in &report.stacks {
        if s.projection.is_none() {
            let why = s.reason.as_deref().or(s.missing.as_deref()).unwrap_or("");
            let _ = writeln!(
                out,
                "no figures for {} ({}): {why}",
                s.stack,
                status_word(s.status)
            );
        }
    }
    if let Some(note) = &report.baseline_note {
        let _ = writeln!(out, "{note}");
    }

    for s in &report.stacks {
        let Some(p) = &s.projection else { continue };
        out.push('\n');
        let _ = writeln!(
            out,
            "{}: {:.1} MiB ({}) and {} ms CPU per request -> planned per replica: {:.1} MiB and {} vCPU at {} req/s",
            s.stack,
            p.input.memory_mib,
            p.input.memory_source.word(),
            sig3(p.input.cpu_ms_per_request),
            p.need.memory_mib,
            sig3(p.need.cpu_vcpu),
            sig3(fleet.rps_per_service)
        );
        let rows: Vec<Vec<String>> = p
            .rows
            .iter()
            .map(|r| {
                let fits = r.fits();
                vec![
                    r.instance_type.clone(),
                    r.vcpu.to_string(),
                    sig3(r.memory_gib),
                    sig3(r.sustained_vcpu),
                    r.replicas_by_memory.to_string(),
                    r.replicas_by_cpu
                        .map_or("no limit".to_owned(), |n| n.to_string()),
                    r.bound.word().to_owned(),
                    r.instances
                        .map_or("does not fit".to_owned(), |n| n.to_string()),
                    if fits {
                        usd(r.usd_per_month_2026)
                    } else {
                        "-".to_owned()
                    },
                    if fits {
                        usd(r.usd_per_month_2017)
                    } else {
                        "-".to_owned()
                    },
                ]
            })
            .collect();
        table::grid(
            &mut out,
            "  ",
            &[
                "instance",
                "vCPU",
                "GiB",
                "sustained vCPU",
                "by memory",
                "by CPU",
                "bound",
                "instances",
                "USD/month 2026",
                "USD/month 2017",
            ],
            &rows,
            "lrrrrrlrrr",
        );
    }
    out.push('\n');
    for note in &report.notes {
        let _ = writeln!(out, "note: {note}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::HarnessCost;

    fn price(t: &str, vcpu: u32, gib: f64, p2017: Option<f64>, p2026: f64, base: f64) -> Price {
        Price {
            instance_type: t.to_owned(),
            arch: if t.starts_with("t4g") {
                Arch::Aarch64
            } else {
                Arch::X86_64
            },
            vcpu,
            memory_gib: gib,
            usd_per_hour_2017: p2017,
            usd_per_hour_2026: p2026,
            burstable: base < 100.0,
            baseline_cpu_per_vcpu_pct: base,
        }
    }

    fn t2_nano() -> Price {
        price("t2.nano", 1, 0.5, Some(0.0059), 0.0058, 5.0)
    }
    fn t3_nano() -> Price {
        price("t3.nano", 2, 0.5, None, 0.0052, 5.0)
    }
    fn t3_micro() -> Price {
        price("t3.micro", 2, 1.0, None, 0.0104, 10.0)
    }
    fn t3_small() -> Price {
        price("t3.small", 2, 2.0, None, 0.0208, 20.0)
    }
    fn m6i_large() -> Price {
        price("m6i.large", 2, 8.0, None, 0.096, 100.0)
    }

    /// A stack measured at `peak_mib` peak and `cpu_ms_per_1000` ms CPU per 1000 requests.
    fn measured(name: &str, peak_mib: u64, cpu_ms_per_1000: f64) -> StackSummary {
        let mut s = StackSummary::new(name, Status::Ok, None);
        s.peak_kb = Some(peak_mib * 1024);
        s.load_kb = Some(peak_mib * 1024 / 2);
        s.cpu_ms_per_1000 = Some(cpu_ms_per_1000);
        s
    }

    fn summary(stacks: Vec<StackSummary>) -> Summary {
        Summary {
            schema_version: crate::model::SCHEMA_VERSION,
            run_id: "20260720-100000".to_owned(),
            scenario: "steady".to_owned(),
            backend: "local".to_owned(),
            memory_counter: "RSS".to_owned(),
            started: "2026-07-20T10:00:00Z".parse().unwrap(),
            finished: None,
            complete: true,
            interrupted: false,
            stacks,
            harness: HarnessCost::default(),
            cleanup: Vec::new(),
            left_behind: Vec::new(),
            backend_traits: None,
        }
    }

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
        let r = row(&measured("jvm-spring", 300, 200.0), &t3_nano(), &fleet);
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
    fn cheapest_and_ratio_to_jvm_spring() {
        let prices = [t3_micro(), t3_small()];
        let report = project(
            &summary(vec![
                measured("axum", 20, 50.0),
                measured("jvm-spring", 200, 200.0),
            ]),
            &prices,
            &Fleet::default(),
        );
        assert_eq!(report.baseline_note, None);
        // axum: t3.micro 1 instance, 7.592 (worked example). t3.small: memory
        // floor((2048 - 256) / 25) = 71, CPU floor(0.4 / 0.00625) = 64 -> 1 instance,
        // 0.0208 × 730 = 15.184. Cheapest: t3.micro.
        let axum = report.stacks[0].projection.as_ref().unwrap();
        let c = axum.cheapest.as_ref().unwrap();
        assert_eq!((c.instance_type.as_str(), c.instances), ("t3.micro", 1));
        assert!(close(c.usd_per_month, 7.592));
        // jvm-spring: 200 × 1.25 = 250 MiB, 100 × 0.2 / 1000 × 1.25 = 0.025 cores.
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
        let mut go = StackSummary::new(
            "go",
            Status::Skipped,
            Some("go is missing; apt-get install golang-go".to_owned()),
        );
        go.binary_bytes = Some(1);
        let jvm = StackSummary::new("jvm-spring", Status::Failed, Some("did not start".into()));
        let mut actix = measured("actix", 20, 50.0);
        actix.cpu_ms_per_1000 = None;
        let report = project(
            &summary(vec![measured("axum", 20, 50.0), go, jvm, actix]),
            &[t3_micro()],
            &Fleet::default(),
        );
        let names: Vec<&str> = report.stacks.iter().map(|s| s.stack.as_str()).collect();
        assert_eq!(names, ["axum", "go", "jvm-spring", "actix"]);
        let go = &report.stacks[1];
        assert_eq!(go.status, Status::Skipped);
        assert!(go.projection.is_none());
        assert_eq!(go.missing.as_deref(), Some("no memory figure"));
        let axum = report.stacks[0].projection.as_ref().unwrap();
        assert!(axum.cheapest.is_some());
        assert_eq!(axum.ratio_to_baseline, None);
        let note = report.baseline_note.as_deref().unwrap();
        assert!(
            note.contains("jvm-spring has no figures (failed)"),
            "{note}"
        );
        assert!(note.contains("unavailable"), "{note}");

        let table = render_table(&report);
        assert!(
            table.contains("no figures for go (skipped): go is missing; apt-get install golang-go"),
            "{table}"
        );
        assert!(
            table.contains("no figures for jvm-spring (failed): did not start"),
            "{table}"
        );
        assert!(
            table.contains("no figures for actix (ok): no CPU figure"),
            "{table}"
        );

        let without = project(
            &summary(vec![measured("axum", 20, 50.0)]),
            &[t3_micro()],
            &Fleet::default(),
        );
        assert!(
            without
                .baseline_note
                .unwrap()
                .contains("jvm-spring is not in this run")
        );
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
    fn csv_errors_name_the_line_and_the_column() {
        let path = Path::new("data/ec2-prices.csv");
        let header = COLUMNS.join(",");
        let good = "t3.micro,x86_64,2,1,,0.0104,true,10";
        let parse = |body: &str| parse_prices(&format!("{header}\n{body}\n"), path);

        let prices = parse(&format!(
            "t2.micro,x86_64,1,1,0.012,0.0116,true,10\r\n\n{good}"
        ))
        .unwrap();
        assert_eq!(prices.len(), 2);
        assert_eq!(prices[0].usd_per_hour_2017, Some(0.012));
        assert_eq!(prices[1].usd_per_hour_2017, None);
        assert!(close(prices[1].sustained_vcpu(), 0.2));

        let message = |body: &str| parse(body).unwrap_err().to_string();
        let e = message(&format!("{good}\nt3.small,x86_64,2,2,,cheap,true,20"));
        assert_eq!(
            e,
            "data/ec2-prices.csv: line 3, column 6 (usd_per_hour_2026_07): expected USD per hour, above 0, found \"cheap\""
        );
        let e = message("t3.small,x86_64,2,2,,0.0208,yes,20");
        assert!(e.contains("line 2, column 7 (burstable)"), "{e}");
        let e = message("t3.small,sparc,2,2,,0.0208,true,20");
        assert!(e.contains("line 2, column 2 (arch)"), "{e}");
        let e = message("t3.small,x86_64,2,2,,0.0208,true,120");
        assert!(
            e.contains("line 2, column 8 (baseline_cpu_per_vcpu_pct)"),
            "{e}"
        );
        let e = message("t3.small,x86_64,0,2,,0.0208,true,20");
        assert!(e.contains("line 2, column 3 (vcpu)"), "{e}");
        let e = message("t3.small,x86_64,2,2,,0.0208,true");
        assert!(
            e.contains("line 2, column 8: expected 8 fields, found 7"),
            "{e}"
        );
        let e = message(&format!("{good}\n{good}"));
        assert!(
            e.contains("line 3, column 1 (instance_type): t3.micro is already listed on line 2"),
            "{e}"
        );

        let e = parse_prices("instance_type,arch,cpus,memory_gib,a,b,c,d\n", path)
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 1, column 3 (vcpu)"), "{e}");
        assert!(e.contains("found \"cpus\""), "{e}");
        assert!(matches!(
            parse_prices(&format!("{header}\n"), path),
            Err(PriceError::Empty { .. })
        ));
    }

    #[test]
    fn the_project_price_table_parses() {
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/ec2-prices.csv");
        let prices = load_prices(&file).unwrap();
        assert_eq!(prices.len(), 33);
        let find = |t: &str| prices.iter().find(|p| p.instance_type == t).unwrap();
        assert!(close(find("t3.large").sustained_vcpu(), 0.6));
        assert_eq!(find("t2.micro").usd_per_hour_2017, Some(0.012));
        assert_eq!(find("t3.micro").usd_per_hour_2017, None);
        assert_eq!(find("m7g.large").arch, Arch::Aarch64);
        assert!(close(find("m6i.large").sustained_vcpu(), 2.0));
        let missing = load_prices(Path::new("/no/such/prices.csv")).unwrap_err();
        assert!(missing.to_string().contains("/no/such/prices.csv"));
    }

    #[test]
    fn instance_types_are_chosen_by_name_and_architecture() {
        let prices = [t3_micro(), price("t4g.micro", 2, 1.0, None, 0.0084, 10.0)];
        let names =
            |v: Vec<Price>| -> Vec<String> { v.into_iter().map(|p| p.instance_type).collect() };
        assert_eq!(names(select(&prices, None, false).unwrap()), ["t3.micro"]);
        assert_eq!(
            names(select(&prices, None, true).unwrap()),
            ["t3.micro", "t4g.micro"]
        );
        let e = select(&prices, Some(&["t3.mega".to_owned()]), false)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "unknown instance type \"t3.mega\"; known types: t3.micro, t4g.micro"
        );
        let e = select(&prices, Some(&["t4g.micro".to_owned()]), false).unwrap_err();
        assert!(matches!(e, SelectError::Aarch64 { .. }));
        assert!(e.to_string().contains("--aarch64"));
        let report = project(
            &summary(vec![measured("axum", 20, 50.0)]),
            &select(&prices, None, true).unwrap(),
            &Fleet::default(),
        );
        assert!(report.aarch64);
        assert!(report.notes[0].contains("apply only to stacks built for aarch64"));
    }

    #[test]
    fn the_table_has_the_cheapest_line_and_the_detail() {
        let report = project(
            &summary(vec![
                measured("axum", 20, 50.0),
                measured("jvm-spring", 300, 200.0),
            ]),
            &[t2_nano(), t3_nano(), t3_micro()],
            &Fleet::default(),
        );
        let table = render_table(&report);
        // axum: t2.nano 2 × 0.0058 × 730 = 8.468; t3.nano: memory 10, CPU 0.1 / 0.00625 = 16
        // -> 10 per instance, 1 instance, 0.0052 × 730 = 3.796; t3.micro 7.592 -> t3.nano.
        // jvm-spring (375 MiB, 0.025 cores): t2.nano and t3.nano do not fit; t3.micro:
        // floor(768 / 375) = 2, floor(0.2 / 0.025) = 8 -> 2, 5 instances, 5 × 0.0104 × 730 =
        // 37.96. Ratio 3.796 / 37.96 = 0.10. The 2017 t2 figure for axum: 2 × 0.0059 × 730 = 8.61.
        let axum = table.lines().find(|l| l.starts_with("axum ")).unwrap();
        for cell in [
            "20.0 MiB peak",
            "0.05 ms",
            "1 × t3.nano",
            "3.80",
            "0.10×",
            "2 × t2.nano",
            "8.61",
            "10 × 0.25 vCPU/0.5 GB",
            "90.10",
        ] {
            assert!(axum.contains(cell), "{cell:?} not in {axum:?}");
        }
        let jvm = table
            .lines()
            .find(|l| l.starts_with("jvm-spring "))
            .unwrap();
        for cell in ["5 × t3.micro", "37.96", "1.00×", "does not fit"] {
            assert!(jvm.contains(cell), "{cell:?} not in {jvm:?}");
        }
        assert!(
            table.contains("planned per replica: 375.0 MiB and 0.025 vCPU"),
            "{table}"
        );
        let detail = table
            .lines()
            .find(|l| l.trim_start().starts_with("t3.nano") && l.contains("does not fit"))
            .unwrap();
        assert!(detail.contains("memory"), "{detail}");
        assert!(table.contains("not checked against AWS"), "{table}");
        assert!(table.contains("x86_64 types only"), "{table}");
    }

    #[test]
    fn three_significant_digits() {
        assert_eq!(sig3(0.00625), "0.00625");
        assert_eq!(sig3(0.05), "0.05");
        assert_eq!(sig3(0.2), "0.2");
        assert_eq!(sig3(125.0), "125");
        assert_eq!(sig3(12.345), "12.3");
        assert_eq!(sig3(0.0), "0");
    }
}
