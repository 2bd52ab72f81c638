//! The table printed at the end of a run.

use std::fmt::Write as _;

use crate::results::Summary;

/// The summary as a plain-text table, one row per stack, with skip and failure reasons below.
pub fn render(summary: &Summary) -> String {
    let counter = &summary.memory_counter;
    let headers = [
        "stack".to_owned(),
        "status".to_owned(),
        format!("idle {counter} MiB"),
        format!("load {counter} MiB"),
        "peak MiB".to_owned(),
        "boot ms".to_owned(),
        "p50 µs".to_owned(),
        "p99 µs".to_owned(),
        "rps".to_owned(),
        "CPU ms/1k req".to_owned(),
    ];
    let mib =
        |kb: Option<u64>| kb.map_or("-".to_owned(), |kb| format!("{:.1}", kb as f64 / 1024.0));
    let num = |v: Option<u64>| v.map_or("-".to_owned(), |v| v.to_string());
    let rows: Vec<Vec<String>> = summary
        .stacks
        .iter()
        .map(|s| {
            vec![
                s.stack.clone(),
                s.status.word().to_owned(),
                mib(s.idle_kb),
                mib(s.load_kb),
                mib(s.peak_kb),
                s.boot_ms
                    .map_or("-".to_owned(), |b| format!("{:.1}", b.median)),
                num(s.p50_us),
                num(s.p99_us),
                s.achieved_rps.map_or("-".to_owned(), |r| format!("{r:.0}")),
                s.cpu_ms_per_1000
                    .map_or("-".to_owned(), |c| format!("{c:.1}")),
            ]
        })
        .collect();
    let widths: Vec<usize> = (0..headers.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([headers[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    let mut line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (cell, &w))| {
                let pad = w.saturating_sub(cell.chars().count());
                if i < 2 {
                    format!("{cell}{}", " ".repeat(pad))
                } else {
                    format!("{}{cell}", " ".repeat(pad))
                }
            })
            .collect();
        let _ = writeln!(out, "{}", padded.join("  ").trim_end());
    };
    line(&headers);
    for row in &rows {
        line(row);
    }
    for s in &summary.stacks {
        if let Some(reason) = &s.reason {
            let _ = writeln!(out, "{} {}: {reason}", s.status.word(), s.stack);
        }
    }
    let (memory, from) = match summary.backend.as_str() {
        "local" => ("kernel high-water mark", "the spawn"),
        "swarm" => (
            "highest sample; usage minus inactive file cache, as docker stats counts it",
            "the service's creation",
        ),
        _ => (
            "highest sample; usage minus inactive file cache, as docker stats counts it",
            "the start call",
        ),
    };
    let _ = writeln!(
        out,
        "memory: {counter} (median idle, median under load, {memory}); boot: median of {} start(s) from {from} to the first 200 from /health; p50/p99/rps: seeded ids, last step",
        summary
            .stacks
            .iter()
            .filter_map(|s| s.boot_ms.map(|b| b.n))
            .max()
            .unwrap_or(0)
    );
    out
}
