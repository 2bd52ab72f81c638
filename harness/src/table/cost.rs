//! The cost projection as a table: the cells ([`CostTable`]) the terminal prints and the HTML
//! report lays out, so both show the same figures in the same columns.

use std::fmt::Write as _;

use serde::Serialize;

use super::{Grid, sig3};
use crate::cost::{
    Bound, Choice, CostReport, CpuSource, Fleet, MemorySource, Projection, StackCost, StackInput,
};

/// The cost projection as text for people: what the terminal prints and the HTML report lays
/// out, so both show the same figures in the same columns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostTable {
    /// Which run, scenario and backend.
    pub title: String,
    /// The fleet, where memory and CPU come from, and the prices, a line each.
    pub about: Vec<String>,
    /// Per stack: the cheapest choice, its 2017 t2 counterpart, the ratio to the baseline and
    /// Fargate.
    pub stacks: Grid,
    /// Stacks without figures, and why.
    pub missing: Vec<String>,
    /// Why the ratio to the baseline is unavailable, if it is.
    pub baseline_note: Option<String>,
    /// Per stack with figures: every instance type.
    pub details: Vec<CostDetail>,
    /// Assumptions and sources.
    pub notes: Vec<String>,
}

/// One stack on every instance type.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostDetail {
    /// The stack.
    pub stack: String,
    /// What was measured and what is planned per replica.
    pub heading: String,
    /// One row per instance type.
    pub grid: Grid,
}

fn usd(v: Option<f64>) -> String {
    v.map_or("-".to_owned(), |v| format!("{v:.2}"))
}

fn memory_source_word(source: MemorySource) -> &'static str {
    source.word()
}

/// CPU per request as the projection took it: `0.05 ms`, or from a capacity search
/// `0.05 ms (capacity 20000/core)`, `≤` before it when that capacity was a lower bound.
fn cpu_cell(input: &StackInput) -> String {
    let ms = sig3(input.cpu_ms_per_request);
    match (input.cpu_source, input.capacity_rps_per_core) {
        (CpuSource::Capacity, Some(per_core)) => format!(
            "{}{ms} ms (capacity {}{per_core:.0}/core)",
            if input.capacity_at_least { "≤ " } else { "" },
            if input.capacity_at_least { "≥ " } else { "" },
        ),
        _ => format!("{ms} ms"),
    }
}

fn bound_word(bound: Bound) -> &'static str {
    match bound {
        Bound::Memory => "memory",
        Bound::Cpu => "CPU",
    }
}

/// The cells of a cost report.
pub fn cost_table(report: &CostReport) -> CostTable {
    let baseline_header = format!("vs {}", report.baseline.as_deref().unwrap_or("baseline"));
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
    let rows: Vec<Vec<String>> = report.stacks.iter().map(stack_row).collect();
    let missing = report
        .stacks
        .iter()
        .filter(|s| s.projection.is_none())
        .map(|s| {
            let why = s.reason.as_deref().or(s.missing.as_deref()).unwrap_or("");
            format!("no figures for {} ({}): {why}", s.stack, s.status.word())
        })
        .collect();
    let details = report
        .stacks
        .iter()
        .filter_map(|s| Some(detail(s, s.projection.as_ref()?, &report.fleet)))
        .collect();
    CostTable {
        title: format!(
            "Cost projection of run {} (scenario {}, backend {})",
            report.run_id, report.scenario, report.backend
        ),
        about: about(report),
        stacks: Grid::new(&headers, rows, "llrrlrrlrlr"),
        missing,
        baseline_note: report.baseline_note.clone(),
        details,
        notes: report.notes.clone(),
    }
}

/// What was priced, a line each: the fleet, where memory and CPU come from, the prices.
fn about(report: &CostReport) -> Vec<String> {
    let fleet = &report.fleet;
    vec![
        format!(
            "fleet: {} services, one replica each, {} req/s each; planned at {}% of what was measured (headroom {}%); {} MiB per instance kept for the OS and container runtime",
            fleet.services,
            sig3(fleet.rps_per_service),
            sig3(fleet.factor() * 100.0),
            sig3(fleet.headroom_pct),
            fleet.os_reserve_mib
        ),
        format!(
            "memory per replica: peak {counter} (high-water mark) where measured, else median {counter} under load; CPU per request: CPU ms per 1000 requests / 1000",
            counter = report.memory_counter
        ),
        format!(
            "prices: EC2 on-demand, Linux, us-east-1 ({}): 2026-07, and 2017-02 for t2 (the blog's comparison); a month is {} h",
            report.prices_file, report.hours_per_month
        ),
    ]
}

/// The columns of a stack's line after its memory per replica: a stack without figures has a
/// dash in each.
const PRICED_COLUMNS: usize = 8;

/// A stack's line: its cheapest choice, its 2017 t2 counterpart, the ratio to the baseline and
/// Fargate; `no figures` and dashes without a projection.
fn stack_row(s: &StackCost) -> Vec<String> {
    let mut row = vec![s.stack.clone(), s.status.word().to_owned()];
    let Some(p) = &s.projection else {
        row.push("no figures".to_owned());
        row.extend(std::iter::repeat_n("-".to_owned(), PRICED_COLUMNS));
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
            memory_source_word(p.input.memory_source)
        ),
        cpu_cell(&p.input),
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
}

/// A stack with figures on every instance type: what was measured and planned, then a row per
/// type.
fn detail(s: &StackCost, p: &Projection, fleet: &Fleet) -> CostDetail {
    let rows = p
        .rows
        .iter()
        .map(|r| {
            let fits = r.fits();
            let monthly = |usd_per_month: Option<f64>| {
                if fits {
                    usd(usd_per_month)
                } else {
                    "-".to_owned()
                }
            };
            vec![
                r.instance_type.clone(),
                r.vcpu.to_string(),
                sig3(r.memory_gib),
                sig3(r.sustained_vcpu),
                r.replicas_by_memory.to_string(),
                r.replicas_by_cpu
                    .map_or("no limit".to_owned(), |n| n.to_string()),
                bound_word(r.bound).to_owned(),
                r.instances
                    .map_or("does not fit".to_owned(), |n| n.to_string()),
                monthly(r.usd_per_month_2026),
                monthly(r.usd_per_month_2017),
            ]
        })
        .collect();
    CostDetail {
        stack: s.stack.clone(),
        heading: format!(
            "{}: {:.1} MiB ({}) and {} CPU per request{} -> planned per replica: {:.1} MiB and {} vCPU at {} req/s",
            s.stack,
            p.input.memory_mib,
            memory_source_word(p.input.memory_source),
            cpu_cell(&p.input),
            p.input
                .idle_vcpu
                .map(|idle| format!(" plus {} vCPU at idle", sig3(idle)))
                .unwrap_or_default(),
            p.need.memory_mib,
            sig3(p.need.cpu_vcpu),
            sig3(fleet.rps_per_service)
        ),
        grid: Grid::new(
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
            rows,
            "lrrrrrlrrr",
        ),
    }
}

/// The cost report for a terminal: the title and what was priced; per stack the cheapest
/// choice, its 2017 t2 counterpart, the ratio to the baseline and Fargate; then each stack's
/// detail on every instance type; then the notes.
pub fn cost(report: &CostReport) -> String {
    let t = cost_table(report);
    let mut out = String::new();
    let _ = writeln!(out, "{}", t.title);
    for line in &t.about {
        let _ = writeln!(out, "{line}");
    }
    out.push('\n');
    t.stacks.write(&mut out, "");
    for line in t.missing.iter().chain(&t.baseline_note) {
        let _ = writeln!(out, "{line}");
    }
    for d in &t.details {
        out.push('\n');
        let _ = writeln!(out, "{}", d.heading);
        d.grid.write(&mut out, "  ");
    }
    out.push('\n');
    for note in &t.notes {
        let _ = writeln!(out, "note: {note}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::fixtures::{
        baseline, measured, partly_measured, summary, t2_nano, t3_micro, t3_nano,
    };
    use crate::cost::{Fleet, project};

    #[test]
    fn the_cost_table_says_which_cpu_figure_it_used() {
        use crate::cost::fixtures::with_capacity;
        use crate::model::CapacityLimit;
        let report = project(
            &summary(vec![
                with_capacity(
                    measured("axum", 20, 50.0),
                    4000,
                    CapacityLimit::Slo,
                    Some(0.01),
                ),
                with_capacity(
                    measured("hyper", 20, 50.0),
                    8000,
                    CapacityLimit::Generator,
                    None,
                ),
                measured("go", 20, 50.0),
            ]),
            &[t3_micro()],
            &Fleet::default(),
        );
        let t = cost(&report);
        assert!(t.contains("0.25 ms (capacity 4000/core)"), "{t}");
        assert!(t.contains("≤ 0.125 ms (capacity ≥ 8000/core)"), "{t}");
        assert!(
            t.contains(" 0.05 ms "),
            "go at its measured CPU per request: {t}"
        );
        assert!(
            t.contains("0.25 ms (capacity 4000/core) CPU per request plus 0.01 vCPU at idle"),
            "{t}"
        );
    }

    #[test]
    fn the_cost_table_has_the_cheapest_line_and_the_detail() {
        let report = project(
            &summary(vec![
                measured("axum", 20, 50.0),
                baseline(measured("spring-like", 300, 200.0)),
            ]),
            &[t2_nano(), t3_nano(), t3_micro()],
            &Fleet::default(),
        );
        let table = cost(&report);
        // axum: t2.nano 2 × 0.0058 × 730 = 8.468; t3.nano: memory 10, CPU 0.1 / 0.00625 = 16
        // -> 10 per instance, 1 instance, 0.0052 × 730 = 3.796; t3.micro 7.592 -> t3.nano.
        // spring-like (375 MiB, 0.025 cores): t2.nano and t3.nano do not fit; t3.micro:
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
            .find(|l| l.starts_with("spring-like "))
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
        insta::assert_snapshot!(table);
    }

    #[test]
    fn the_cost_table_says_why_a_stack_has_no_figures() {
        let report = project(&partly_measured(), &[t3_micro()], &Fleet::default());
        let table = cost(&report);
        assert!(
            table.contains("no figures for go (skipped): go is missing; apt-get install golang-go"),
            "{table}"
        );
        assert!(
            table.contains("no figures for spring-like (failed): did not start"),
            "{table}"
        );
        assert!(
            table.contains("no figures for actix (ok): no CPU figure"),
            "{table}"
        );
        assert!(
            table.contains("spring-like has no figures (failed): the ratio to it is unavailable"),
            "{table}"
        );
    }
}
