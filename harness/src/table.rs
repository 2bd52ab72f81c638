//! The table printed at the end of a run.

use std::fmt::Write as _;

use crate::backend::traits_of;
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
            if let Some(e) = &s.estimates {
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
                    put(6, last.p50_us.as_ref(), 1.0, 0);
                    put(7, last.p99_us.as_ref(), 1.0, 0);
                    put(8, last.achieved_rps.as_ref(), 1.0, 0);
                }
                put(9, e.cpu_ms_per_1000.as_ref(), 1.0, 1);
            }
            row
        })
        .collect();
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
    let corrected: Vec<String> = summary
        .stacks
        .iter()
        .filter_map(|s| {
            let last = s.estimates.as_ref()?.steps.last()?;
            let (p50, p99) = (
                last.intended_p50_us.as_ref()?,
                last.intended_p99_us.as_ref()?,
            );
            Some(format!(
                "{} {} / {}",
                s.stack,
                figure(p50, 1.0, 0),
                figure(p99, 1.0, 0)
            ))
        })
        .collect();
    if !corrected.is_empty() {
        let _ = writeln!(
            out,
            "constant-rate: the p50 and p99 above count from each request's send (raw); from when it was due (corrected for coordinated omission), p50 / p99 µs: {}",
            corrected.join(", ")
        );
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
    let traits = traits_of(summary);
    let _ = writeln!(
        out,
        "memory: {counter} (median idle, median under load, {}); boot: median of {} start(s) from {} to the first 200 from /health; p50/p99/rps: seeded ids, last step",
        traits.peak_counter,
        summary
            .stacks
            .iter()
            .filter_map(|s| s.boot_ms.map(|b| b.n))
            .max()
            .unwrap_or(0),
        traits.boot_from
    );
    out
}

/// The bad-input battery in a few lines, when the run had one: per stack (its first repeat
/// with a battery) the cases passed, concerns, whether it stayed up and its memory around it.
pub fn battery(summary: &Summary) -> Option<String> {
    let headers = [
        "stack",
        "passed",
        "concerns",
        "stayed up",
        "idle MiB",
        "during MiB",
        "after MiB",
        "after - idle",
        "near idle",
        "grew most after",
    ];
    let mib =
        |kb: Option<u64>| kb.map_or("-".to_owned(), |kb| format!("{:.1}", kb as f64 / 1024.0));
    let rows: Vec<Vec<String>> = summary
        .stacks
        .iter()
        .filter_map(|s| {
            let b = s.runs.iter().find_map(|r| r.battery.as_ref())?;
            let f = crate::aggregate::battery_figures(b);
            Some(vec![
                s.stack.clone(),
                format!("{} of {}", f.passed, f.cases),
                f.concerns.to_string(),
                if f.stayed_up { "yes" } else { "no" }.to_owned(),
                mib(b.before_kb),
                mib(b.during_kb),
                mib(b.after_kb),
                f.retained_kb
                    .map_or("-".to_owned(), |kb| format!("{:+.1}", kb as f64 / 1024.0)),
                f.near_idle
                    .map_or("-".to_owned(), |n| if n { "yes" } else { "no" }.to_owned()),
                f.grew_most.map_or("-".to_owned(), |(group, kb)| {
                    format!("{group} +{:.1}", kb as f64 / 1024.0)
                }),
            ])
        })
        .collect();
    if rows.is_empty() {
        return None;
    }
    let mut out = String::from("robustness: the bad-input battery (every case in battery.csv)\n");
    grid(&mut out, "", &headers, &rows, "lrrrrrrrrr");
    Some(out)
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

#[cfg(test)]
mod tests {
    use super::*;
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
}
