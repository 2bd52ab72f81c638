//! Tables for a terminal: the stacks of a run (printed at its end) and the comparison of two
//! runs here; the robustness [`battery`], the load [`workers`], the [`searches`] (capacity,
//! fit, density) and the [`cost`] projection each in its own module.

mod battery;
mod cost;
mod searches;
mod workers;

pub use battery::battery;
pub use cost::{CostDetail, CostTable, cost, cost_table};
pub use searches::{capacity, density, fit, probe_cell};
pub use workers::{load_workers, worker_rows};

use std::fmt::Write as _;

use serde::Serialize;

use crate::backend::traits_of;
use crate::compare::Comparison;
use crate::model::{StackSummary, Summary};
use crate::stats::Estimate;

/// A figure over the repeats as table text: `median` for one repeat; `median [low-high]` with
/// a 95 % interval for the median; `median (min-max)` when the repeats are too few for one;
/// `*` after a noisy figure. `scale` turns the stored unit into the shown one.
pub fn figure(e: &Estimate, scale: f64, decimals: usize) -> String {
    let v = |x: f64| format!("{:.*}", decimals, x * scale);
    let mut text = v(e.median);
    if let Some(ci) = e.ci95 {
        text = format!("{text} [{}-{}]", v(ci.low), v(ci.high));
    } else if e.n > 1 {
        text = format!("{text} ({}-{})", v(e.min), v(e.max));
    }
    if e.noisy {
        text.push('*');
    }
    text
}

/// The noisy figures of a stack and their likely causes, as one line; `None` when quiet.
pub fn noise_line(stack: &StackSummary) -> Option<String> {
    let e = stack.estimates.as_ref()?;
    if e.noisy.is_empty() {
        return None;
    }
    let cause = if e.causes.is_empty() {
        "the run recorded no cause (no saturation, steal or busy machine seen)".to_owned()
    } else {
        format!("likely cause: {}", e.causes.join("; "))
    };
    Some(format!(
        "noisy {}: {}; {cause}",
        stack.stack,
        e.noisy.join(", ")
    ))
}

/// Every table the terminal shows at the end of a run, each followed by a blank line: the
/// stacks' (but for a fit or density run, which has no steps of its own), then the battery's,
/// the load workers', capacity's, fit's and density's where the run has them.
pub fn all(summary: &Summary) -> String {
    let searched_memory = summary
        .stacks
        .iter()
        .any(|s| s.fit.is_some() || s.density.is_some());
    let mut out = String::new();
    let tables = [
        (!searched_memory).then(|| render(summary)),
        battery(summary),
        load_workers(summary),
        capacity(summary),
        fit(summary),
        density(summary),
    ];
    for table in tables.into_iter().flatten() {
        out.push_str(&table);
        out.push('\n');
    }
    out
}

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
    let rows: Vec<Vec<String>> = summary.stacks.iter().map(run_row).collect();
    let mut out = String::new();
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    grid(&mut out, "", &headers, &rows, "llrrrrrrrr");
    for s in &summary.stacks {
        if let Some(reason) = &s.reason {
            let _ = writeln!(out, "{} {}: {reason}", s.status.word(), s.stack);
        }
    }
    for s in &summary.stacks {
        if let Some(line) = noise_line(s) {
            let _ = writeln!(out, "{line}");
        }
    }
    if let Some(raw) = raw_percentiles(summary) {
        let _ = writeln!(out, "{raw}");
    }
    let repeats = summary
        .stacks
        .iter()
        .filter_map(|s| s.estimates.as_ref()?.idle_kb.map(|e| e.n))
        .max()
        .unwrap_or(0);
    if repeats > 1 {
        let _ = writeln!(out, "{}", repeats_note(repeats));
    }
    let _ = writeln!(out, "{}", what_figures_are(summary));
    out
}

/// One stack's row: its plain figures, or over its repeats where it has estimates (the last
/// step's latency corrected for coordinated omission where the driver gave both).
fn run_row(s: &StackSummary) -> Vec<String> {
    let mib =
        |kb: Option<u64>| kb.map_or("-".to_owned(), |kb| format!("{:.1}", kb as f64 / 1024.0));
    let num = |v: Option<u64>| v.map_or("-".to_owned(), |v| v.to_string());
    let mut row = vec![
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
    ];
    let Some(e) = &s.estimates else {
        return row;
    };
    let mut put = |i: usize, est: Option<&Estimate>, scale: f64, decimals: usize| {
        if let Some(est) = est {
            row[i] = figure(est, scale, decimals);
        }
    };
    let to_mib = 1.0 / 1024.0;
    put(2, e.idle_kb.as_ref(), to_mib, 1);
    put(3, e.load_kb.as_ref(), to_mib, 1);
    put(4, e.peak_kb.as_ref(), to_mib, 1);
    put(5, e.boot_ms.as_ref(), 1.0, 1);
    if let Some(last) = e.steps.last() {
        // Corrected for coordinated omission where the driver gave both; the raw figures then
        // go below the table.
        put(
            6,
            last.intended_p50_us.as_ref().or(last.p50_us.as_ref()),
            1.0,
            0,
        );
        put(
            7,
            last.intended_p99_us.as_ref().or(last.p99_us.as_ref()),
            1.0,
            0,
        );
        put(8, last.achieved_rps.as_ref(), 1.0, 0);
    }
    put(9, e.cpu_ms_per_1000.as_ref(), 1.0, 1);
    row
}

/// The raw p50 and p99 (from each send) of the stacks whose table figures are corrected for
/// coordinated omission, in a line; `None` when no figure was corrected.
fn raw_percentiles(summary: &Summary) -> Option<String> {
    let raw: Vec<String> = summary
        .stacks
        .iter()
        .filter_map(|s| {
            let last = s.estimates.as_ref()?.steps.last()?;
            last.intended_p50_us.as_ref()?;
            let (p50, p99) = (last.p50_us.as_ref()?, last.p99_us.as_ref()?);
            Some(format!(
                "{} {} / {}",
                s.stack,
                figure(p50, 1.0, 0),
                figure(p99, 1.0, 0)
            ))
        })
        .collect();
    (!raw.is_empty()).then(|| {
        format!(
            "p50 and p99 above are corrected for coordinated omission (counted from when each request was due, or with the load generator's back-filled times); raw, from each send, p50 / p99 µs: {}",
            raw.join(", ")
        )
    })
}

/// What the run table's figures are, as the run's backend measured them.
fn what_figures_are(summary: &Summary) -> String {
    let traits = traits_of(summary);
    format!(
        "memory: {} (median idle, median under load, {}); boot: median of {} start(s) from {} to the first 200 from /health; p50/p99: seeded ids, rps: every request served, last step",
        summary.memory_counter,
        traits.peak_counter,
        summary
            .stacks
            .iter()
            .filter_map(|s| s.boot_ms.map(|b| b.n))
            .max()
            .unwrap_or(0),
        traits.boot_from
    )
}

/// Appends a table: `align` holds `l` or `r` per column.
pub fn grid(out: &mut String, indent: &str, headers: &[&str], rows: &[Vec<String>], align: &str) {
    let align: Vec<char> = align.chars().collect();
    let widths: Vec<usize> = (0..headers.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([headers[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let headers: Vec<String> = headers.iter().map(|h| (*h).to_owned()).collect();
    for cells in std::iter::once(&headers).chain(rows) {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (cell, &w))| {
                let pad = " ".repeat(w.saturating_sub(cell.chars().count()));
                if align.get(i) == Some(&'r') {
                    format!("{pad}{cell}")
                } else {
                    format!("{cell}{pad}")
                }
            })
            .collect();
        let _ = writeln!(out, "{indent}{}", padded.join("  ").trim_end());
    }
}

/// What the brackets after a figure mean, for `repeats` repeats.
pub fn repeats_note(repeats: usize) -> String {
    let e = crate::stats::estimate(&vec![0.0; repeats]);
    let coverage = e.map_or(0.0, |e| e.range_coverage) * 100.0;
    if repeats >= 6 {
        format!(
            "over {repeats} repeats: median [95 % confidence interval for the median, from order statistics]; * noisy: the repeats' coefficient of variation is above 10 %"
        )
    } else {
        format!(
            "over {repeats} repeats: median (min-max); no 95 % interval for the median from fewer than 6 repeats: min-max holds it with {coverage:.0} % confidence; * noisy: the repeats' coefficient of variation is above 10 %"
        )
    }
}

/// Rows of cells under a header, and how each column is aligned: the shape both the terminal
/// and the HTML report give a table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Grid {
    /// Column headers.
    pub headers: Vec<String>,
    /// One row of cells per line.
    pub rows: Vec<Vec<String>>,
    /// Per column: text (left-aligned, `true`) or a figure (right-aligned).
    pub text: Vec<bool>,
}

impl Grid {
    fn new(headers: &[&str], rows: Vec<Vec<String>>, align: &str) -> Self {
        Self {
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            rows,
            text: align.chars().map(|c| c == 'l').collect(),
        }
    }

    /// Appends the grid to `out`, each line after `indent`.
    pub fn write(&self, out: &mut String, indent: &str) {
        let headers: Vec<&str> = self.headers.iter().map(String::as_str).collect();
        let align: String = self
            .text
            .iter()
            .map(|&t| if t { 'l' } else { 'r' })
            .collect();
        grid(out, indent, &headers, &self.rows, &align);
    }
}

/// `x` to three significant digits, trailing zeros dropped (0.00625, 0.05, 12.3).
pub fn sig3(x: f64) -> String {
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

/// The comparison of two runs for a terminal.
pub fn compare(c: &Comparison) -> String {
    let mut out = format!(
        "A: {} ({})\nB: {} ({})\n\n",
        c.a.run_id, c.a.scenario, c.b.run_id, c.b.scenario
    );
    for w in &c.warnings {
        let _ = writeln!(out, "note: {w}");
    }
    if !c.warnings.is_empty() {
        out.push('\n');
    }
    let num = crate::compare::format_value;
    let _ = writeln!(
        out,
        "{:<18} {:<26} {:>12} {:>12} {:>7} {:>7}  verdict",
        "stack", "metric", "A", "B", "B/A", "noise"
    );
    for r in &c.rows {
        let _ = writeln!(
            out,
            "{:<18} {:<26} {:>12} {:>12} {:>7} {:>7}  {}",
            r.stack,
            r.metric,
            num(r.a),
            num(r.b),
            r.ratio.map_or("-".to_owned(), |x| format!("{x:.2}")),
            r.noise
                .map_or("-".to_owned(), |n| format!("{:.0}%", n * 100.0)),
            r.verdict.word()
        );
    }
    out.push_str("\nnoise: the larger (max - min) / median over either run's repeats; a ratio further from 1 than that is \"changed\".\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::fixtures::summary;
    use crate::model::{StackSummary, Status};
    use crate::stats::estimate;

    #[test]
    fn figures_show_interval_range_or_nothing() {
        assert_eq!(
            figure(&estimate(&[2048.0]).unwrap(), 1.0 / 1024.0, 1),
            "2.0"
        );
        assert_eq!(
            figure(&estimate(&[100.0, 104.0, 98.0]).unwrap(), 1.0, 0),
            "100 (98-104)"
        );
        assert_eq!(
            figure(&estimate(&[100.0, 150.0, 98.0]).unwrap(), 1.0, 0),
            "100 (98-150)*"
        );
        let ten: Vec<f64> = (1..=10).map(|v| 100.0 + f64::from(v)).collect();
        assert_eq!(
            figure(&estimate(&ten).unwrap(), 1.0, 1),
            "105.5 [102.0-109.0]"
        );
    }

    #[test]
    fn the_note_says_what_three_repeats_can_tell() {
        assert!(repeats_note(3).contains("min-max holds it with 75 % confidence"));
        assert!(repeats_note(6).contains("[95 % confidence interval"));
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

    #[test]
    fn the_headline_shows_corrected_percentiles_and_the_raw_ones_below() {
        let mut stack = StackSummary::new("hyper", Status::Ok, None);
        stack.estimates = Some(crate::model::Estimates {
            steps: vec![crate::model::StepEstimate {
                name: "steady".into(),
                p50_us: estimate(&[70.0]),
                p99_us: estimate(&[160.0]),
                intended_p50_us: estimate(&[140.0]),
                intended_p99_us: estimate(&[570.0]),
                achieved_rps: estimate(&[2000.0]),
            }],
            ..Default::default()
        });
        let text = render(&summary(vec![stack]));
        let row = text.lines().find(|l| l.contains("hyper")).unwrap();
        assert!(row.contains("140") && row.contains("570"), "{row}");
        assert!(!row.contains(" 70 "), "{row}");
        assert!(
            text.contains("raw, from each send, p50 / p99 µs: hyper 70 / 160"),
            "{text}"
        );
    }
}
