//! The report's figures: what each shows, drawn by [`plots`](super::plots).

use serde::Serialize;

use super::MemorySeries;
use super::plots;
use crate::model::Summary;

/// One figure: inline SVG, or the reason it could not be drawn.
#[derive(Debug, Serialize)]
pub struct Figure {
    /// Anchor.
    pub id: &'static str,
    /// Title.
    pub title: &'static str,
    /// How to read it.
    pub caption: String,
    /// The SVG (generated here, never from user text).
    pub svg: Option<String>,
    /// Why it is missing.
    pub error: Option<String>,
}

pub(super) fn figures(
    summary: &Summary,
    memory: &MemorySeries,
    interval_ms: Option<u64>,
) -> Vec<Figure> {
    let counter = &summary.memory_counter;
    let names: Vec<String> = summary.stacks.iter().map(|s| s.stack.clone()).collect();
    let mib = |kb: Option<u64>| kb.map(|kb| kb as f64 / 1024.0);
    let bars: Vec<(String, [Option<f64>; 3])> = summary
        .stacks
        .iter()
        .map(|s| {
            (
                s.stack.clone(),
                [mib(s.idle_kb), mib(s.load_kb), mib(s.peak_kb)],
            )
        })
        .collect();
    let floor = summary
        .stacks
        .iter()
        .find(|s| s.stack == "floor")
        .and_then(|s| mib(s.load_kb.or(s.idle_kb)));
    let series: Vec<(String, Vec<(f64, f64)>)> = names
        .iter()
        .map(|n| (n.clone(), memory.get(n).cloned().unwrap_or_default()))
        .collect();
    let step_names: Vec<String> = summary
        .stacks
        .iter()
        .filter_map(|s| s.runs.first())
        .find(|r| !r.steps.is_empty())
        .map(|r| {
            r.steps
                .iter()
                .filter(|s| !s.warmup)
                .map(|s| s.name.clone())
                .collect()
        })
        .unwrap_or_default();
    let latency = per_step(summary, &step_names, |st| {
        let k = st.kinds.iter().find(|k| k.kind == "seeded")?;
        Some((k.p50_us as f64, k.p99_us as f64))
    });
    let throughput = per_step(summary, &step_names, |st| {
        Some((st.achieved_rps, st.load_generator_bound))
    });
    let targets: Vec<Option<f64>> = step_names
        .iter()
        .map(|name| {
            summary
                .stacks
                .iter()
                .filter_map(|s| s.runs.first())
                .flat_map(|r| r.steps.iter())
                .find(|st| &st.name == name)
                .and_then(|st| st.target_rps.map(f64::from))
        })
        .collect();
    let boots: Vec<(String, Vec<f64>)> = summary
        .stacks
        .iter()
        .map(|s| {
            (
                s.stack.clone(),
                s.runs
                    .iter()
                    .flat_map(|r| r.boots.iter().map(|b| b.boot_ms))
                    .collect(),
            )
        })
        .collect();
    let cpu: Vec<(String, Option<f64>)> = summary
        .stacks
        .iter()
        .map(|s| (s.stack.clone(), s.cpu_ms_per_1000))
        .collect();
    let figure = |id, title, caption: String, drawn: Result<String, plots::PlotError>| match drawn {
        Ok(svg) => Figure {
            id,
            title,
            caption,
            svg: Some(svg),
            error: None,
        },
        Err(e) => Figure {
            id,
            title,
            caption,
            svg: None,
            error: Some(e.to_string()),
        },
    };
    vec![
        figure(
            "memory",
            "Memory per stack",
            format!("{counter} of the service: idle (light), median under load (medium), peak (dark), MiB. The dashed line is the floor stack under load: the cost of a process and a socket."),
            plots::memory_bars(&bars, floor),
        ),
        figure(
            "memory-time",
            "Memory through the scenario",
            format!(
                "{counter} of each service from its start to its stop (first repeat){}.",
                interval_ms.map(|ms| format!(", sampled every {ms} ms")).unwrap_or_default()
            ),
            plots::memory_over_time(&series),
        ),
        figure(
            "latency",
            "Latency per load step",
            "Seeded ids: p50 (solid, dots) and p99 (dashed), µs, log scale, to the response head as the load generator sees it.".to_owned(),
            plots::latency_by_step(&step_names, &latency),
        ),
        figure(
            "throughput",
            "Achieved throughput against the target",
            "Requests per second achieved per step (lines) against the target rate (grey dashed). A cross marks a step where the load generator was saturated: there the figure describes the generator, not the service.".to_owned(),
            plots::throughput(&step_names, &targets, &throughput),
        ),
        figure(
            "boot",
            "Boot time",
            "Every cold start: ms from the start call to the first 200 from /health, polled every millisecond (log scale).".to_owned(),
            plots::boot_times(&boots),
        ),
        figure(
            "cpu",
            "CPU per 1000 requests",
            "Service CPU time over the measured steps divided by the requests served, ms per 1000 requests.".to_owned(),
            plots::cpu_per_1000(&cpu),
        ),
    ]
}

/// Per stack, `pick` of each named measured step of its first repeat (`None` where it has no
/// such step).
fn per_step<T>(
    summary: &Summary,
    step_names: &[String],
    pick: impl Fn(&crate::model::StepSummary) -> Option<T>,
) -> Vec<(String, Vec<Option<T>>)> {
    summary
        .stacks
        .iter()
        .map(|s| {
            let steps = s
                .runs
                .first()
                .map(|r| r.steps.as_slice())
                .unwrap_or_default();
            let values = step_names
                .iter()
                .map(|name| {
                    steps
                        .iter()
                        .find(|st| !st.warmup && &st.name == name)
                        .and_then(&pick)
                })
                .collect();
            (s.stack.clone(), values)
        })
        .collect()
}
