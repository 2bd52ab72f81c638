//! The bad-input battery as a terminal table: per stack the cases it passed, its concerns,
//! whether it stayed up and its memory around the battery.

use super::grid;
use crate::model::Summary;

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
