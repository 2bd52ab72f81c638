//! The load workers as a terminal table: each one's part of each measured step (the same
//! cells the HTML report shows).

use super::grid;
use crate::model::Summary;

/// Each load worker's part of each measured step of each repeat, as cells (shared with the
/// HTML report): stack, repeat, step, worker, node, users, rate, requests, p50 / p99 µs (raw,
/// its own), p99 µs intended, cores of CPUs, and what to know (saturated, late, lost).
pub fn worker_rows(summary: &Summary) -> Vec<[String; 11]> {
    let mut rows = Vec::new();
    for stack in &summary.stacks {
        for run in &stack.runs {
            for step in run.steps.iter().filter(|s| !s.warmup) {
                for w in &step.workers {
                    let mut notes: Vec<String> = Vec::new();
                    if w.saturated {
                        notes.push("saturated".into());
                    }
                    if w.late {
                        notes.push(match w.generator_late_p99_us {
                            Some(l) if l > crate::aggregate::GENERATOR_LATE_US => {
                                format!("late: clock {} µs at p99", l)
                            }
                            _ => format!("late: started {} µs after the instant", w.start_late_us),
                        });
                    }
                    if let Some(lost) = &w.lost {
                        notes.push(format!("missing: {lost}"));
                    }
                    rows.push([
                        stack.stack.clone(),
                        run.repeat.to_string(),
                        step.name.clone(),
                        w.name.clone(),
                        w.node.clone(),
                        format!(
                            "{} users{}",
                            w.users,
                            w.target_rps.map_or(String::new(), |r| format!(", {r} rps"))
                        ),
                        w.requests.to_string(),
                        format!("{} / {}", w.p50_us, w.p99_us),
                        w.intended_p99_us.map_or("-".into(), |us| us.to_string()),
                        w.cores
                            .map_or("-".into(), |c| format!("{c:.2} of {}", w.cpus)),
                        if notes.is_empty() {
                            "-".into()
                        } else {
                            notes.join("; ")
                        },
                    ]);
                }
            }
        }
    }
    rows
}

/// The load workers' table: who sent what in each measured step; `None` for a run without
/// load workers.
pub fn load_workers(summary: &Summary) -> Option<String> {
    let info = summary.load_workers.as_ref()?;
    let headers = [
        "stack",
        "repeat",
        "step",
        "worker",
        "node",
        "share",
        "requests",
        "p50 / p99 µs",
        "p99 µs intended",
        "cores",
        "",
    ];
    let rows: Vec<Vec<String>> = worker_rows(summary)
        .into_iter()
        .map(|r| r.to_vec())
        .collect();
    let mut out = format!(
        "load workers: {} of {} ({}), reporting to {}; each step's figures above are their \
         histograms merged, a worker's own percentiles are its alone (never averaged)\n",
        info.workers.len(),
        info.service,
        info.placement,
        info.coordinator
    );
    grid(&mut out, "", &headers, &rows, "lrllllrrrrl");
    Some(out)
}
