//! The robustness section of the report: the bad-input battery per stack, then every case
//! against every stack.

use serde::Serialize;

use super::plots;
use crate::aggregate;
use crate::model::{BatteryRun, StackSummary, Summary};

/// The robustness section: one row per stack, then every case against every stack.
#[derive(Debug, Serialize)]
pub struct BatteryView {
    /// One row per stack that ran the battery.
    pub rows: Vec<BatteryRow>,
    /// The stacks, as the matrix's columns.
    pub stacks: Vec<String>,
    /// One row per case.
    pub cases: Vec<BatteryCaseRow>,
    /// Each group and what passing means for it.
    pub rules: Vec<(String, String)>,
    /// How long memory was sampled after the battery, s.
    pub settle_seconds: String,
    /// The tolerance for "back near idle", in words.
    pub near_idle_rule: String,
    /// Whether there were several repeats (the section shows the first).
    pub first_repeat_only: bool,
}

/// One stack's battery in a line.
#[derive(Debug, Serialize)]
pub struct BatteryRow {
    /// Stack.
    pub name: String,
    /// Its colour.
    pub colour: String,
    /// `passed of cases`.
    pub passed: String,
    /// Whether every case passed.
    pub all_passed: bool,
    /// Cases with a concern.
    pub concerns: usize,
    /// `yes`, or `no` with the first reason.
    pub stayed_up: String,
    /// Memory before (idle), MiB.
    pub before_mib: String,
    /// Highest memory during the battery, MiB.
    pub during_mib: String,
    /// Memory after settling, MiB.
    pub after_mib: String,
    /// After minus before, MiB, signed.
    pub retained_mib: String,
    /// `yes`, `no` or `-`.
    pub near_idle: String,
    /// The group after which memory grew most, and by how much (MiB), or `-`.
    pub grew_most: String,
}

/// One case of the battery against every stack.
#[derive(Debug, Serialize)]
pub struct BatteryCaseRow {
    /// Its group.
    pub group: String,
    /// What was sent.
    pub case: String,
    /// Per stack (in [`BatteryView::stacks`] order): outcome, CSS class (`pass`, `concern`,
    /// `fail`, `none`) and the concern or the reason it failed.
    pub cells: Vec<(String, String, String)>,
}

/// The robustness section from each stack's first repeat that ran the battery.
pub(super) fn battery_view(summary: &Summary) -> Option<BatteryView> {
    use footprint_contract::bad_input::Group;
    let runs: Vec<(usize, &StackSummary, &BatteryRun)> = summary
        .stacks
        .iter()
        .enumerate()
        .filter_map(|(i, s)| Some((i, s, s.runs.iter().find_map(|r| r.battery.as_ref())?)))
        .collect();
    let first = runs.first()?.2;
    let mib =
        |kb: Option<u64>| kb.map_or("-".to_owned(), |kb| format!("{:.1}", kb as f64 / 1024.0));
    let rows = runs
        .iter()
        .map(|(i, s, b)| {
            let f = aggregate::battery_figures(b);
            BatteryRow {
                name: s.stack.clone(),
                colour: plots::css_colour(*i),
                passed: format!("{} of {}", f.passed, f.cases),
                all_passed: f.passed == f.cases,
                concerns: f.concerns,
                stayed_up: match b.cases.iter().find_map(|c| c.down_after.as_ref()) {
                    None => "yes".to_owned(),
                    Some(why) => format!("no: {why}"),
                },
                before_mib: mib(b.before_kb),
                during_mib: mib(b.during_kb),
                after_mib: mib(b.after_kb),
                retained_mib: f
                    .retained_kb
                    .map_or("-".to_owned(), |kb| format!("{:+.1}", kb as f64 / 1024.0)),
                near_idle: f
                    .near_idle
                    .map_or("-".to_owned(), |n| if n { "yes" } else { "no" }.to_owned()),
                grew_most: f.grew_most.map_or("-".to_owned(), |(group, kb)| {
                    format!("{group} (+{:.1})", kb as f64 / 1024.0)
                }),
            }
        })
        .collect();
    let mut keys: Vec<(&str, &str)> = Vec::new();
    for (_, _, b) in &runs {
        for c in &b.cases {
            if !keys.contains(&(c.group.as_str(), c.case.as_str())) {
                keys.push((&c.group, &c.case));
            }
        }
    }
    let cases = keys
        .iter()
        .map(|&(group, case)| BatteryCaseRow {
            group: group.to_owned(),
            case: case.to_owned(),
            cells: runs
                .iter()
                .map(|(_, _, b)| {
                    match b.cases.iter().find(|c| c.group == group && c.case == case) {
                        None => ("-".to_owned(), "none".to_owned(), String::new()),
                        Some(c) if !c.passed => (
                            c.outcome.clone(),
                            "fail".to_owned(),
                            c.down_after.clone().unwrap_or_default(),
                        ),
                        Some(c) if c.down_after.is_some() => (
                            c.outcome.clone(),
                            "fail".to_owned(),
                            c.down_after.clone().unwrap_or_default(),
                        ),
                        Some(c) => match &c.concern {
                            Some(concern) => {
                                (c.outcome.clone(), "concern".to_owned(), concern.clone())
                            }
                            None => (c.outcome.clone(), "pass".to_owned(), String::new()),
                        },
                    }
                })
                .collect(),
        })
        .collect();
    Some(BatteryView {
        rows,
        stacks: runs.iter().map(|(_, s, _)| s.stack.clone()).collect(),
        cases,
        rules: Group::ALL
            .iter()
            .map(|g| (g.name().to_owned(), g.rule().to_owned()))
            .collect(),
        settle_seconds: format!("{:.0}", first.settle_seconds),
        near_idle_rule: format!(
            "within {:.0} % of the idle level or {:.0} MiB, whichever is larger",
            aggregate::NEAR_IDLE_SHARE * 100.0,
            aggregate::NEAR_IDLE_KB as f64 / 1024.0
        ),
        first_repeat_only: summary
            .stacks
            .iter()
            .any(|s| s.runs.iter().filter(|r| r.battery.is_some()).count() > 1),
    })
}
