//! HTML reports: made from a results folder alone, self-contained (inline CSS, SVG and a few
//! lines of script to sort tables; no network), from template files with a typed context. Only
//! this module knows HTML.
//!
//! A report is one section per template block of `report.html`; each section's context comes
//! from its own module: [`scorecard`] (the headline), [`tables`] (stacks, steps, noise),
//! [`figures`] drawn by [`plots`], [`capacity`], [`fit`] (fit and density), [`battery`],
//! [`cost`]; [`index`] lists the runs. The stacks every figure is read against (the baseline
//! and the floor) are found by the role their declaration gives them, in `roles`, never by
//! name.

pub mod battery;
pub mod calibration;
pub mod capacity;
pub mod compare;
pub mod cost;
mod figure;
pub mod figures;
pub mod fit;
pub mod index;
pub mod ladder;
pub mod landscape;
pub mod plots;
pub(crate) mod roles;
pub mod scorecard;
pub mod spectrum;
pub mod tables;

use battery::battery_view;
pub use battery::{BatteryCaseRow, BatteryRow, BatteryView};
pub use compare::{write_compare, write_compare_rungs};
pub use figure::Figure;
use figures::figures;
pub use index::write_index;
pub use scorecard::Scorecard;
pub use tables::{Cell, Group, Noise, StackRow, StepRow};

use std::collections::BTreeMap;
use std::fs;
use std::path::{Component, Path, PathBuf};

use minijinja::Environment;
use serde::Serialize;

use crate::backend::traits_of;
use crate::cost::{Fleet, Price, PriceError, project};
use crate::env::Environment as RunEnvironment;
use crate::model::{BackendTraits, StackRun, StackSummary, Summary};
use crate::render::{Html, Renderer};
use crate::results;
use crate::table::{self, CostTable};

const REPORT_TEMPLATE: &str = include_str!("../../templates/report.html");
const INDEX_TEMPLATE: &str = include_str!("../../templates/index.html");
const COMPARE_TEMPLATE: &str = include_str!("../../templates/compare.html");
const COST_TEMPLATE: &str = include_str!("../../templates/cost.html");
const CALIBRATION_TEMPLATE: &str = include_str!("../../templates/calibration.html");
const STYLE: &str = include_str!("../../templates/style.css");
const SORT_SCRIPT: &str = include_str!("../../templates/sort.js");

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The results folder could not be read.
    #[error("{0}")]
    Results(results::RecordError),
    /// The report could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A template failed (a bug: templates are part of the binary).
    #[error("template {0}")]
    Template(#[from] minijinja::Error),
}

/// The context of `report.html`.
#[derive(Debug, Serialize)]
pub struct ReportPage {
    /// The run's id.
    pub run_id: String,
    /// Scenario name.
    pub scenario: String,
    /// Backend.
    pub backend: String,
    /// When it started (UTC).
    pub started: String,
    /// Whether it ran to its end.
    pub complete: bool,
    /// Whether it was interrupted.
    pub interrupted: bool,
    /// The blog's claim tested on this run: the verdict and the scorecard.
    pub scorecard: Scorecard,
    /// The memory counter every memory figure uses.
    pub memory_counter: String,
    /// Whether the services ran in containers (image sizes, boot from container start).
    pub containers: bool,
    /// What the backend is and how its figures are to be read (its caveats listed).
    pub backend_traits: BackendTraits,
    /// The environment, as label and value.
    pub environment: Vec<(String, String)>,
    /// The stacks, grouped Rust, Go, JVM.
    pub groups: Vec<Group>,
    /// The size column's header.
    pub size_header: String,
    /// What the size column counts on this backend, beneath its header.
    pub size_note: Option<String>,
    /// The figures whose repeats disagree, per stack.
    pub noise: Vec<Noise>,
    /// One row per stack and measured step.
    pub steps: Vec<StepRow>,
    /// The figures, in the report's order.
    pub figures: Vec<Figure>,
    /// Links to the raw files (relative to the report).
    pub files: Vec<(String, String)>,
    /// What the brackets after figures mean, when there are several repeats.
    pub repeats_note: Option<String>,
    /// What the harness cost.
    pub harness: String,
    /// The EC2 and Fargate projection at the default fleet: the cost table's cells.
    pub cost: Option<CostTable>,
    /// Why there is no projection.
    pub cost_error: Option<String>,
    /// Files of the run that could not be read, with why (their figures are not shown).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unread: Vec<String>,
    /// The bad-input battery, when the scenario ran it.
    pub battery: Option<BatteryView>,
    /// The capacity search, when the scenario ran one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<capacity::CapacityView>,
    /// The fit search and the density run, when the scenario ran them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fit: Option<fit::FitView>,
    /// The landscape variants beside their base stacks, and their resilience, when the run
    /// deployed a downstream.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub landscape: Option<landscape::LandscapeView>,
    /// The ladder's rungs beside their base stacks, when the run measured a rung.
    pub ladder: Option<ladder::LadderView>,
    /// The load workers and each one's part of each step, when load workers sent the load.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load_workers: Option<LoadWorkersView>,
    /// What the backend could not remove at the end, and why.
    pub left_behind: Vec<String>,
    /// The index of the site the page is published in, relative to the page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_index: Option<String>,
}

/// Writes `<reports_dir>/<run-id>.html` from the results folder `dir` (with the cost
/// projection at the default fleet when `prices` could be read) and refreshes
/// `<reports_dir>/index.html`; returns the report's path.
pub fn write(
    dir: &Path,
    reports_dir: &Path,
    prices: Result<&[Price], &PriceError>,
) -> Result<PathBuf, ReportError> {
    let (summary, page) = build(dir, &relative(reports_dir, dir), prices)?;
    let html = Html.render(&page)?;
    fs::create_dir_all(reports_dir).map_err(|source| ReportError::Write {
        path: reports_dir.to_owned(),
        source,
    })?;
    let path = reports_dir.join(format!("{}.html", summary.run_id));
    fs::write(&path, html).map_err(|source| ReportError::Write {
        path: path.clone(),
        source,
    })?;
    if let Some(results_root) = dir.parent() {
        write_index(results_root, reports_dir)?;
    }
    Ok(path)
}

/// The report of the results folder `dir`, its raw files linked through `to_results` (the
/// folder as seen from the page: `""` when the page sits in it), with the cost projection at
/// the default fleet when `prices` could be read. What cannot be read is in `page.unread`.
pub fn build(
    dir: &Path,
    to_results: &str,
    prices: Result<&[Price], &PriceError>,
) -> Result<(Summary, ReportPage), ReportError> {
    let summary = results::load_summary(dir).map_err(ReportError::Results)?;
    // What cannot be read is said on the page, never dropped in silence.
    let mut unread = Vec::new();
    let env_path = dir.join("env.json");
    let env: Option<RunEnvironment> = match fs::read_to_string(&env_path) {
        Ok(text) => serde_json::from_str(&text)
            .map_err(|e| unread.push(format!("{}: {e}", env_path.display())))
            .ok(),
        Err(e) => {
            unread.push(format!("{}: {e}", env_path.display()));
            None
        }
    };
    let memory = try_read_memory(&dir.join("memory.csv")).unwrap_or_else(|e| {
        unread.push(e.to_string());
        MemorySeries::new()
    });
    let mut page = page(&summary, env.as_ref(), &memory, to_results);
    page.files.retain(|(name, _)| dir.join(name).is_file());
    // Then every other file the run wrote (histograms, scrapes, ...), by name.
    let mut others: Vec<String> = fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .filter(|e| e.path().is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    others.retain(|f| !f.ends_with(".html") && !page.files.iter().any(|(n, _)| n == f));
    others.sort();
    page.files.extend(
        others
            .into_iter()
            .map(|f| (f.clone(), link(to_results, &f))),
    );
    page.unread = unread;
    page.landscape = landscape::landscape_view(&summary, dir);
    page.ladder = ladder::ladder_view(&summary);
    // Runs written before histograms.csv existed have no spectrum.
    match spectrum::read(dir) {
        Ok(None) => {}
        Ok(Some(spectra)) => page.figures.push(spectrum::figure(&summary, Ok(&spectra))),
        Err(e) => page.figures.push(spectrum::figure(&summary, Err(&e))),
    }
    match prices {
        Ok(prices) => {
            page.cost = Some(cost::section(&project(&summary, prices, &Fleet::default())));
        }
        Err(e) => page.cost_error = Some(e.to_string()),
    }
    Ok((summary, page))
}

impl Renderer<ReportPage> for Html {
    type Output = Result<String, ReportError>;
    fn render(&self, page: &ReportPage) -> Self::Output {
        render("report.html", page)
    }
}

impl ReportPage {
    /// Every figure of the page, in its order: the stacks', then each section's.
    pub fn figures_mut(&mut self) -> impl Iterator<Item = &mut Figure> {
        let capacity = self.capacity.iter_mut().flat_map(|c| c.figures.iter_mut());
        let fit = self.fit.iter_mut().flat_map(|f| {
            let density = f.density.iter_mut().flat_map(|d| d.figures.iter_mut());
            f.figures.iter_mut().chain(density)
        });
        let landscape = self.landscape.iter_mut().flat_map(|l| l.figures.iter_mut());
        let ladder = self.ladder.iter_mut().flat_map(|l| l.figures.iter_mut());
        self.figures
            .iter_mut()
            .chain(capacity)
            .chain(fit)
            .chain(landscape)
            .chain(ladder)
    }
}

/// Builds the report's context.
pub fn page(
    summary: &Summary,
    env: Option<&RunEnvironment>,
    memory: &MemorySeries,
    to_results: &str,
) -> ReportPage {
    let traits = traits_of(summary);
    let containers = traits.containers;
    ReportPage {
        run_id: summary.run_id.clone(),
        scenario: summary.scenario.clone(),
        backend: summary.backend.clone(),
        started: summary.started.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        complete: summary.complete,
        interrupted: summary.interrupted,
        scorecard: scorecard::scorecard(summary, containers),
        memory_counter: summary.memory_counter.clone(),
        containers,
        size_header: if containers {
            "image MiB".to_owned()
        } else {
            "size MiB".to_owned()
        },
        size_note: (!containers).then(|| "binary, or JDK + jars".to_owned()),
        backend_traits: traits,
        environment: env.map(environment_rows).unwrap_or_default(),
        groups: tables::stack_groups(summary, containers),
        noise: tables::noise(summary),
        steps: tables::step_rows(summary),
        figures: figures(summary, memory, env.map(|e| e.sample_interval_ms)),
        files: files(summary, to_results),
        harness: harness_cost(summary),
        repeats_note: summary
            .stacks
            .iter()
            .filter_map(|s| s.estimates.as_ref()?.idle_kb.map(|e| e.n))
            .max()
            .filter(|&n| n > 1)
            .map(table::repeats_note),
        cost: None,
        cost_error: None,
        unread: Vec::new(),
        battery: battery_view(summary),
        capacity: capacity::capacity_view(summary),
        fit: fit::fit_view(summary),
        landscape: None,
        ladder: None,
        load_workers: load_workers_view(summary),
        left_behind: summary.left_behind.clone(),
        site_index: None,
    }
}

/// The run's raw files a page links to, in the page's order, as name and link (those the run
/// wrote only for a battery, a capacity, fit or density search or a downstream when it had one).
fn files(summary: &Summary, to_results: &str) -> Vec<(String, String)> {
    let any = |has: fn(&StackSummary) -> bool| summary.stacks.iter().any(has);
    let any_run = |has: fn(&StackRun) -> bool| any_stack_run(summary, has);
    let mut names = vec![
        "summary.json",
        "env.json",
        "scenario.toml",
        "memory.csv",
        "cpu.csv",
        "latency.csv",
        "boot.csv",
    ];
    let optional = [
        (any_run(|r| r.battery.is_some()), "battery.csv"),
        (any(|s| s.capacity.is_some()), "capacity.csv"),
        (any_run(|r| r.fit.is_some()), "fit.csv"),
        (any_run(|r| r.density.is_some()), "density.csv"),
    ];
    names.extend(optional.iter().filter(|(has, _)| *has).map(|(_, f)| *f));
    if summary.downstream.is_some() {
        names.extend(["downstream.csv", "breaker.csv"]);
    }
    names
        .into_iter()
        .map(|f| (f.to_owned(), link(to_results, f)))
        .collect()
}

/// Whether any repeat of any stack of `summary` has what `has` looks for.
fn any_stack_run(summary: &Summary, has: fn(&StackRun) -> bool) -> bool {
    summary.stacks.iter().any(|s| s.runs.iter().any(has))
}

/// What the harness cost, in a sentence.
fn harness_cost(summary: &Summary) -> String {
    let h = &summary.harness;
    format!(
        "{} samples; the sampler used {} µs of CPU per sample ({} of a core at the run's interval); the whole harness used {} of a core while services sat idle; the harness's peak RSS was {}.",
        h.samples,
        h.sampler_cpu_us_per_sample
            .map_or("-".into(), |v| format!("{v:.0}")),
        h.sampler_core_pct
            .map_or("-".into(), |v| format!("{v:.2} %")),
        h.idle_core_pct.map_or("-".into(), |v| format!("{v:.2} %")),
        h.harness_peak_kb
            .map_or("-".into(), |kb| format!("{:.1} MiB", kb as f64 / 1024.0)),
    )
}

/// The load workers' section: who they were, and each one's part of each measured step.
#[derive(Debug, Clone, Serialize)]
pub struct LoadWorkersView {
    /// Their service, where it ran, where they reported.
    pub service: String,
    /// See `service`.
    pub placement: String,
    /// See `service`.
    pub coordinator: String,
    /// The workers: name, node, CPUs.
    pub workers: Vec<String>,
    /// One row per stack, repeat, step and worker (the terminal table's cells).
    pub rows: Vec<[String; 11]>,
    /// The steps whose figures are partial: stack, repeat, step and why.
    pub partial: Vec<String>,
}

fn load_workers_view(summary: &Summary) -> Option<LoadWorkersView> {
    let info = summary.load_workers.as_ref()?;
    let partial = summary
        .stacks
        .iter()
        .flat_map(|s| {
            s.runs.iter().flat_map(move |r| {
                r.steps.iter().filter_map(move |step| {
                    let why = step.partial.as_ref()?;
                    Some(format!("{} #{} {}: {why}", s.stack, r.repeat, step.name))
                })
            })
        })
        .collect();
    Some(LoadWorkersView {
        service: info.service.clone(),
        placement: info.placement.clone(),
        coordinator: info.coordinator.clone(),
        workers: info
            .workers
            .iter()
            .map(|w| format!("{} on {} ({} CPUs)", w.name, w.node, w.cpus))
            .collect(),
        rows: table::worker_rows(summary),
        partial,
    })
}

/// RSS over time per stack (first repeat): seconds since its first sample, MiB.
pub type MemorySeries = BTreeMap<String, Vec<(f64, f64)>>;

/// Reads `memory.csv` into per-stack series; a missing or broken file gives no series.
pub fn read_memory(path: &Path) -> MemorySeries {
    try_read_memory(path).unwrap_or_default()
}

/// Reads `memory.csv` into per-stack series, or says why it cannot.
pub fn try_read_memory(path: &Path) -> Result<MemorySeries, results::RecordError> {
    let mut series = MemorySeries::new();
    let rows = results::read_rows::<results::MemoryRow>(path)?;
    let mut start: BTreeMap<String, f64> = BTreeMap::new();
    for row in rows.iter().filter(|r| r.repeat == 1) {
        let t = row.t_ms as f64;
        let t0 = *start.entry(row.stack.clone()).or_insert(t);
        series
            .entry(row.stack.clone())
            .or_default()
            .push(((t - t0) / 1000.0, row.rss_kb as f64 / 1024.0));
    }
    Ok(series)
}

pub(crate) fn environment_rows(env: &RunEnvironment) -> Vec<(String, String)> {
    vec![
        (
            "CPU".into(),
            format!(
                "{} ({} online; available {:?})",
                env.cpu_model, env.cpus_online, env.cpus_available
            ),
        ),
        (
            "Memory".into(),
            format!("{:.1} GiB", env.memory_kb as f64 / (1024.0 * 1024.0)),
        ),
        ("Kernel, OS".into(), format!("{}, {}", env.kernel, env.os)),
        (
            "Load average at start".into(),
            format!("{:?}", env.load_average),
        ),
        (
            "Placement".into(),
            match &env.placement.note {
                Some(note) => note.clone(),
                None => format!(
                    "service on CPUs {:?}, harness and load generator on CPUs {:?}",
                    env.placement.service_cpus, env.placement.harness_cpus
                ),
            },
        ),
        (
            "Workers".into(),
            env.workers
                .map_or("each service's default (the CPUs it may use)".into(), |w| {
                    w.to_string()
                }),
        ),
        (
            "Sampling".into(),
            format!("every {} ms", env.sample_interval_ms),
        ),
        (
            "Load generator".into(),
            format!(
                "{}; coordinated omission: {}",
                env.load_generator, env.coordinated_omission
            ),
        ),
        ("Toolchain".into(), format!("{}; {}", env.rustc, env.cargo)),
        (
            "Rust stacks built with".into(),
            if env.build_profile == "release" {
                "the release profile (fat LTO, one codegen unit, stripped)".to_owned()
            } else {
                format!(
                    "the {} profile (FOOTPRINT_PROFILE), not release: not the measured configuration",
                    env.build_profile
                )
            },
        ),
        ("Project commit".into(), env.project_commit.clone()),
        ("Harness".into(), env.harness_version.clone()),
    ]
}

/// Renders the template `name` with `context`; every template can include the others.
pub(crate) fn render<S: Serialize>(name: &str, context: &S) -> Result<String, ReportError> {
    let mut env = Environment::new();
    env.add_template("report.html", REPORT_TEMPLATE)?;
    env.add_template("index.html", INDEX_TEMPLATE)?;
    env.add_template("compare.html", COMPARE_TEMPLATE)?;
    env.add_template("cost.html", COST_TEMPLATE)?;
    env.add_template("calibration.html", CALIBRATION_TEMPLATE)?;
    env.add_global("style", STYLE);
    env.add_global("sort_script", SORT_SCRIPT);
    Ok(env.get_template(name)?.render(context)?)
}

/// `file` as seen from a page that sees its folder as `folder` (`""`: the page's own).
fn link(folder: &str, file: &str) -> String {
    if folder.is_empty() {
        file.to_owned()
    } else {
        format!("{folder}/{file}")
    }
}

/// `to` as seen from `from` (both folders), for links between reports and results.
pub(crate) fn relative(from: &Path, to: &Path) -> String {
    let absolute = |p: &Path| {
        p.canonicalize().unwrap_or_else(|_| {
            std::env::current_dir()
                .map(|d| d.join(p))
                .unwrap_or_else(|_| p.to_owned())
        })
    };
    let (from, to) = (absolute(from), absolute(to));
    let from: Vec<Component> = from.components().collect();
    let to: Vec<Component> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_owned(); from.len() - common];
    parts.extend(
        to[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::{
        BatteryCase, BatteryRun, BootRecord, HarnessCost, StackRun, StackSummary, Status,
        StepSummary,
    };
    use crate::model::{Family, KindResult, Role};
    use crate::stats::spread;
    use chrono::{TimeZone, Utc};

    /// A measured stack with one repeat of one step, for the report's tests.
    pub(crate) fn stack(name: &str, idle_kb: u64, load_kb: u64, boot_ms: f64) -> StackSummary {
        let mut s = StackSummary::new(name, Status::Ok, None);
        s.idle_kb = Some(idle_kb);
        s.load_kb = Some(load_kb);
        s.peak_kb = Some(load_kb + 100);
        s.boot_ms = spread(&[boot_ms]);
        s.cpu_ms_per_1000 = Some(40.0);
        s.runs.push(StackRun {
            repeat: 1,
            position: 1,
            workers: "1".into(),
            boots: vec![BootRecord {
                start: 1,
                boot_ms,
                self_boot_us: Some(100),
                from_container_start_ms: None,
            }],
            idle_kb: Some(idle_kb),
            idle_pss_kb: None,
            load_kb: Some(load_kb),
            load_pss_kb: None,
            peak_kb: Some(load_kb + 100),
            drift_kb_per_min: None,
            threads: Some(2),
            steps: vec![StepSummary {
                name: "users-4".into(),
                warmup: false,
                users: 4,
                target_rps: Some(250),
                seconds: 10.0,
                requests: 2500,
                achieved_rps: 250.0,
                errors: 0,
                kinds: vec![KindResult {
                    kind: "seeded".into(),
                    requests: 2500,
                    statuses: [(200, 2500)].into(),
                    errors: 0,
                    p50_us: 500,
                    p90_us: 800,
                    p99_us: 1200,
                    p999_us: 2000,
                    max_us: 3000,
                    mean_us: 550,
                    intended: None,
                    ..KindResult::default()
                }],
                rss_kb: Some(load_kb),
                cpu_ms_per_1000: Some(40.0),
                service_cores: Some(0.01),
                harness_cores: Some(0.2),
                load_generator_bound: false,
                coordinated_omission: "disabled".into(),
                ..StepSummary::default()
            }],
            ended: Some("exit status: 0".into()),
            failure: None,
            interrupted: None,
            steal_pct: None,
            load_average: Vec::new(),
            battery: None,
            idle_cores: None,
            capacity: None,
            fit: None,
            landscape: None,
            density: None,
            scrapes: None,
            spans: None,
        });
        s
    }

    /// `s` declared in `family`.
    pub(crate) fn of(family: Family, mut s: StackSummary) -> StackSummary {
        s.family = family;
        s
    }

    /// `s` declared as the baseline, a JVM stack.
    pub(crate) fn baseline(s: StackSummary) -> StackSummary {
        let mut s = of(Family::Jvm, s);
        s.role = Some(Role::Baseline);
        s
    }

    /// `s` declared as the floor, a Rust stack.
    pub(crate) fn floor(s: StackSummary) -> StackSummary {
        let mut s = of(Family::Rust, s);
        s.role = Some(Role::Floor);
        s
    }

    /// `s` declared as built on `base`: a ladder's `rung`, or a landscape variant without one.
    pub(crate) fn built_on(mut s: StackSummary, base: &str, rung: Option<&str>) -> StackSummary {
        s.base = Some(base.to_owned());
        s.rung = rung.map(str::to_owned);
        s
    }

    /// A complete local run of `stacks`, for the report's tests.
    pub(crate) fn summary(scenario: &str, stacks: Vec<StackSummary>) -> Summary {
        Summary {
            schema_version: crate::model::SCHEMA_VERSION,
            run_id: "20260101T000000Z-test".into(),
            scenario: scenario.into(),
            backend: crate::backend::local::NAME.into(),
            memory_counter: "RSS".into(),
            started: Utc.timestamp_opt(1_767_225_600, 0).unwrap(),
            finished: None,
            complete: true,
            interrupted: false,
            stacks,
            harness: HarnessCost::default(),
            cleanup: Vec::new(),
            left_behind: Vec::new(),
            backend_traits: None,
            downstream: None,
            load_workers: None,
        }
    }

    #[test]
    fn the_headline_states_the_verdict_over_its_scorecard() {
        let s = summary(
            "ramp",
            vec![
                of(Family::Rust, stack("axum", 1800, 2048, 1.6)),
                baseline(stack("spring-like", 120 * 1024, 200 * 1024, 1500.0)),
            ],
        );
        let html = render("report.html", &page(&s, None, &MemorySeries::new(), ".")).unwrap();
        let headline =
            &html[html.find("id=\"headline\"").unwrap()..html.find("id=\"stacks\"").unwrap()];
        assert!(headline.contains("held on this run"), "{headline}");
        assert!(
            headline.contains("axum under load: 2.0 MiB, 60× less than spring-like idle"),
            "{headline}"
        );
        assert!(headline.contains("id=\"scorecard\""));
        assert!(
            headline.contains("938× faster"),
            "boot against spring-like's: {headline}"
        );
        assert!(
            headline.contains("Beneath each figure: its multiple of spring-like (memory: of spring-like at idle, the blog&#x27;s baseline); this run did not measure the floor"),
            "{headline}"
        );
        let without = summary(
            "ramp",
            vec![of(Family::Rust, stack("axum", 1800, 2048, 1.6))],
        );
        let html = render(
            "report.html",
            &page(&without, None, &MemorySeries::new(), "."),
        )
        .unwrap();
        assert!(html.contains("cannot be tested on this run"), "{html}");
    }

    #[test]
    fn repeats_show_their_spread_and_noise_with_its_cause() {
        let mut axum = stack("axum", 1800, 2048, 1.6);
        let first = axum.runs[0].clone();
        for (repeat, p99) in [(2, 1200), (3, 4000)] {
            let mut run = first.clone();
            run.repeat = repeat;
            run.steps[0].kinds[0].p99_us = p99;
            run.steps[0].load_generator_bound = repeat == 3;
            axum.runs.push(run);
        }
        crate::aggregate::fold_runs(&mut axum, 2);
        let page = page(
            &summary("ramp", vec![axum]),
            None,
            &MemorySeries::new(),
            "../results/x",
        );
        let row = &page.groups[0].rows[0];
        assert_eq!(row.idle.text, "1.8");
        assert_eq!(row.idle.spread.as_deref(), Some("(1.8–1.8)"));
        assert_eq!(
            (row.p50.text.as_str(), row.p99.text.as_str()),
            ("500", "1200*")
        );
        assert_eq!(row.p99.spread.as_deref(), Some("(1200–4000)"));
        assert_eq!(page.noise.len(), 1);
        assert_eq!(page.noise[0].figures, ["users-4 p99"]);
        assert_eq!(
            page.noise[0].causes,
            ["load generator saturated in repeat #3"]
        );
        assert!(page.repeats_note.as_deref().unwrap().contains("75 %"));
        let html = render("report.html", &page).unwrap();
        let noise = &html[html
            .find("<details class=\"noise\"")
            .expect("one folded note")..];
        let noise = &noise[..noise.find("</details>").unwrap()];
        assert!(
            noise.contains("<strong>axum</strong>: users-4 p99; likely cause: load generator saturated in repeat #3"),
            "the note says which figure and why: {noise}"
        );
        assert_eq!(html.matches("<details class=\"noise\"").count(), 1);
        assert!(
            html.contains("1200*<span class=\"spread\">(1200–4000)</span>"),
            "the cell keeps its star"
        );
        assert!(html.contains("over 3 repeats: median (min-max)"));
    }

    #[test]
    fn the_report_has_every_section_and_figure() {
        let mut skipped = StackSummary::new(
            "go",
            Status::Skipped,
            Some("the Go toolchain (`go`) is missing".into()),
        );
        skipped.runs.clear();
        let s = summary(
            "ramp",
            vec![
                stack("thin", 1200, 1300, 1.5),
                stack("axum", 1800, 2048, 1.6),
                skipped,
            ],
        );
        let html = render(
            "report.html",
            &page(&s, None, &MemorySeries::new(), "../results/x"),
        )
        .unwrap();
        for id in [
            "headline",
            "stacks",
            "figures",
            "steps",
            "environment",
            "files",
        ] {
            assert!(html.contains(&format!("id=\"{id}\"")), "section {id}");
        }
        assert_eq!(html.matches("<svg").count(), 6, "six figures");
        assert!(html.contains("the Go toolchain (`go`) is missing"));
        // Attribute values are entity-escaped (`/` as `&#x2f;`); browsers decode them.
        assert!(
            html.replace("&#x2f;", "/")
                .contains("href=\"../results/x/memory.csv\"")
        );
        let outside = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
        assert!(
            !outside.contains("http://") && !outside.contains("https://"),
            "no network"
        );
        assert!(!html.contains("<script src"), "no script from elsewhere");
        assert_eq!(html.matches("<script>").count(), 1, "the sorting, inline");
        assert_eq!(
            html.matches("class=\"sortable").count(),
            3,
            "scorecard, stacks, steps"
        );
    }

    #[test]
    fn the_backend_says_how_to_read_its_figures() {
        let mut s = summary("ramp", vec![stack("thin", 1200, 1300, 1.5)]);
        s.backend = crate::backend::swarm::NAME.into();
        s.memory_counter = "container memory".into();
        let html = render(
            "report.html",
            &page(&s, None, &MemorySeries::new(), "../results/x"),
        )
        .unwrap();
        assert!(
            html.contains("id=\"backend\""),
            "the caveats have their place"
        );
        assert!(html.contains("DOCKER-USER") && html.contains("cpuset"));
        assert!(html.contains("from the service&#x27;s creation"), "boot");
        let table = table::render(&s);
        assert!(table.contains("from the service's creation"), "{table}");
        assert!(table.contains("highest sample; usage minus inactive file cache"));
        // Recorded traits win over the name's.
        s.backend_traits = Some(BackendTraits {
            boot_from: "the moment of record".into(),
            ..crate::backend::traits_for(crate::backend::swarm::NAME)
        });
        assert!(table::render(&s).contains("from the moment of record"));
        // A local run has no caveats section, and counts boot from the spawn.
        let local = summary("ramp", vec![stack("thin", 1200, 1300, 1.5)]);
        let html = render(
            "report.html",
            &page(&local, None, &MemorySeries::new(), "../results/x"),
        )
        .unwrap();
        assert!(!html.contains("id=\"backend\"") && html.contains("from the spawn"));
        assert!(table::render(&local).contains("kernel high-water mark"));
    }

    #[test]
    fn report_model_snapshot() {
        let s = summary(
            "ramp",
            vec![
                floor(stack("thin", 1200, 1300, 1.5)),
                baseline(stack("spring-like", 120 * 1024, 200 * 1024, 1500.0)),
            ],
        );
        let mut memory = MemorySeries::new();
        memory.insert("thin".into(), vec![(0.0, 1.2), (0.1, 1.3)]);
        let mut page = page(&s, None, &memory, "../results/20260101T000000Z-test");
        // The SVG itself is checked by the plot tests; here only that each figure was drawn.
        for figure in &mut page.figures {
            figure.svg = figure
                .svg
                .as_ref()
                .map(|svg| format!("<svg> ({} elements)", svg.matches('<').count().min(1)));
        }
        insta::assert_json_snapshot!(page);
    }

    #[test]
    fn the_cost_section_is_a_table_from_the_template() {
        use crate::cost::fixtures::{t2_nano, t3_micro, t3_nano};
        let mut go = StackSummary::new("go", Status::Skipped, Some("no <go> here".into()));
        go.runs.clear();
        let s = summary(
            "ramp",
            vec![
                stack("axum", 1800, 2048, 1.6),
                baseline(stack("spring-like", 120 * 1024, 200 * 1024, 1500.0)),
                go,
            ],
        );
        let report = project(&s, &[t2_nano(), t3_nano(), t3_micro()], &Fleet::default());
        let mut page = page(&s, None, &MemorySeries::new(), ".");
        page.cost = Some(cost::section(&report));
        let html = Html.render(&page).unwrap();
        assert!(!html.contains("<pre"), "no terminal text in the page");
        let section =
            &html[html.find("id=\"cost\"").unwrap()..html.find("id=\"environment\"").unwrap()];
        assert!(section.contains("<table class=\"cost\">"), "{section}");
        // The same cells as the terminal table, one per <td>.
        let terminal = table::cost(&report);
        let cells = table::cost_table(&report);
        for row in &cells.stacks.rows {
            assert!(terminal.contains(&row[4]), "{}", row[4]);
            assert!(section.contains(&format!(">{}</td>", row[4])), "{}", row[4]);
        }
        assert!(section.contains("<th>vs spring-like</th>"), "{section}");
        assert!(
            section.contains("no figures for go (skipped): no &lt;go&gt; here"),
            "{section}"
        );
        assert_eq!(section.matches("<table class=\"cost-detail\">").count(), 2);
        let escaped = |t: &str| {
            t.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('\'', "&#x27;")
                .replace('/', "&#x2f;")
        };
        for note in &report.notes {
            assert!(
                section.contains(&format!("<li>{}</li>", escaped(note))),
                "{note}"
            );
        }
        // The section alone is the same template.
        let alone = Html.render(&report).unwrap();
        assert!(alone.contains("<table class=\"cost\">"));
        assert!(
            section.contains(alone.trim()),
            "the page includes cost.html"
        );
    }

    #[test]
    fn without_prices_the_report_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("results").join("r1");
        fs::create_dir_all(&run).unwrap();
        let s = summary("ramp", vec![stack("axum", 1800, 2048, 1.6)]);
        fs::write(run.join("summary.json"), serde_json::to_vec(&s).unwrap()).unwrap();
        let error = crate::cost::parse_prices("", Path::new("data/ec2-prices.csv")).unwrap_err();
        let path = write(&run, &dir.path().join("reports"), Err(&error)).unwrap();
        let html = fs::read_to_string(path).unwrap();
        assert!(html.contains("No cost projection: data"), "{html}");
        assert!(html.contains("no instance types"), "{html}");
    }

    #[test]
    fn names_with_markup_render_as_text() {
        let s = summary(
            "<script>alert(1)</script>",
            vec![stack("<b>bold</b>", 1, 2, 1.0)],
        );
        let html = render("report.html", &page(&s, None, &MemorySeries::new(), ".")).unwrap();
        assert!(!html.contains("<script>alert"), "scenario name escaped");
        assert!(!html.contains("<b>bold"), "stack name escaped");
        assert!(
            html.replace("&#x2f;", "/")
                .contains("&lt;script&gt;alert(1)&lt;/script&gt;")
        );
    }

    fn battery_case(group: &str, case: &str, outcome: &str, passed: bool) -> BatteryCase {
        BatteryCase {
            group: group.into(),
            case: case.into(),
            outcome: outcome.into(),
            passed,
            concern: None,
            millis: 1.0,
            down_after: None,
        }
    }

    #[test]
    fn the_battery_gets_a_robustness_section_with_every_case() {
        let mut a = stack("a", 1024, 2048, 1.0);
        let mut b = stack("b", 1024, 2048, 1.0);
        let mut kept = battery_case("smuggling", "GET <i>x</i>", "200, then 200", true);
        kept.concern = Some("kept the connection".into());
        a.runs[0].battery = Some(BatteryRun {
            cases: vec![
                battery_case("malformed", "GARBAGE", "400", true),
                battery_case("smuggling", "GET <i>x</i>", "400, then closed", true),
            ],
            before_kb: Some(1024),
            during_kb: Some(4096),
            after_group_kb: Vec::new(),
            after_kb: Some(1536),
            settle_seconds: 10.0,
        });
        b.runs[0].battery = Some(BatteryRun {
            cases: vec![battery_case("malformed", "GARBAGE", "200", false), kept],
            before_kb: Some(1024),
            during_kb: Some(8192),
            after_group_kb: vec![("malformed".into(), 1024), ("smuggling".into(), 4096)],
            after_kb: Some(4096),
            settle_seconds: 10.0,
        });
        let s = summary("robustness", vec![a, b]);
        let view = page(&s, None, &MemorySeries::new(), ".").battery.unwrap();
        assert_eq!(view.stacks, ["a", "b"]);
        let row = |i: usize| &view.rows[i];
        assert_eq!(
            (row(0).passed.as_str(), row(0).near_idle.as_str()),
            ("2 of 2", "yes")
        );
        assert_eq!(row(1).passed, "1 of 2");
        assert_eq!(
            (row(1).retained_mib.as_str(), row(1).near_idle.as_str()),
            ("+3.0", "no")
        );
        assert_eq!(row(1).concerns, 1);
        assert_eq!(
            (row(0).grew_most.as_str(), row(1).grew_most.as_str()),
            ("-", "smuggling (+3.0)")
        );
        let classes: Vec<Vec<&str>> = view
            .cases
            .iter()
            .map(|c| c.cells.iter().map(|cell| cell.1.as_str()).collect())
            .collect();
        assert_eq!(classes, [["pass", "fail"], ["pass", "concern"]]);

        let html = render("report.html", &page(&s, None, &MemorySeries::new(), ".")).unwrap();
        assert!(html.contains("id=\"robustness\""));
        assert!(html.contains("battery.csv"));
        assert!(!html.contains("<i>x"), "case text escaped");
        // A run without a battery has no such section.
        let plain = summary("ramp", vec![stack("a", 1, 2, 1.0)]);
        let html = render(
            "report.html",
            &page(&plain, None, &MemorySeries::new(), "."),
        )
        .unwrap();
        assert!(!html.contains("id=\"robustness\""));
    }

    #[test]
    fn memory_series_start_at_each_stacks_first_sample() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("memory.csv");
        fs::write(
            &path,
            "stack,repeat,t_ms,phase,rss_kb,pss_kb,hwm_kb,threads,harness_rss_kb\n\
             axum,1,1000,idle,2048,,2048,2,1\naxum,1,1500,idle,3072,,3072,2,1\naxum,2,9000,idle,1,,1,2,1\ngo,1,5000,idle,1024,,1024,2,1\n",
        )
        .unwrap();
        let series = read_memory(&path);
        assert_eq!(series["axum"], vec![(0.0, 2.0), (0.5, 3.0)]);
        assert_eq!(series["go"], vec![(0.0, 1.0)]);
    }

    #[test]
    fn links_between_reports_and_results_are_relative() {
        let dir = tempfile::tempdir().unwrap();
        let reports = dir.path().join("reports");
        let run = dir.path().join("results").join("r1");
        fs::create_dir_all(&reports).unwrap();
        fs::create_dir_all(&run).unwrap();
        assert_eq!(relative(&reports, &run), "../results/r1");
    }
}
