//! A calibration as text for the terminal: every row per round and over all rounds, the
//! target and achieved rate at a rate, the named ratios, the machine's state and the tools'
//! versions. Shown through [`crate::render::TerminalTable`].

use super::{Calibration, ToolFigures, rounds, tool};

/// Served over asked, percent, from which the constant-rate driver's ceiling run is said not
/// to have reached its ceiling (it served about all it was asked).
pub const CEILING_NOT_REACHED_PCT: f64 = 95.0;

/// Where the service ran: a process or container pinned to its CPUs, or a swarm service with a
/// quota of as many CPUs and no pinning.
fn service_placement(c: &Calibration) -> String {
    let cpus = &c.placement.service_cpus;
    let traits = crate::backend::traits_for(&c.backend);
    if traits.can_pin_cpus {
        let what = if traits.containers {
            "a container"
        } else {
            "a process"
        };
        format!("service {what} on CPUs {cpus:?}")
    } else {
        format!(
            "service on the {} backend, a quota of {} CPU(s), not pinned",
            c.backend,
            cpus.len()
        )
    }
}

/// The figures as a table, the ratios and notes below.
pub fn render(c: &Calibration) -> String {
    let mut out = heading(c);
    out.push_str(&table(c));
    out.push_str(&notes(c));
    out.push_str(&ratios(c));
    out.push_str(&machine(c));
    out
}

/// A figure with `digits` decimals, `-` without one.
fn num(r: Option<f64>, digits: usize) -> String {
    r.map_or("-".to_owned(), |r| format!("{r:.digits$}"))
}

/// The first line: what was driven, how hard, for how long, and where.
fn heading(c: &Calibration) -> String {
    format!(
        "calibration: {} at {}, {} connections, {} s per tool and round, {} round(s), the order of tools alternating ({}, load on CPUs {:?})\n",
        c.stack,
        c.rate
            .map_or("full speed (unthrottled)".to_owned(), |r| format!(
                "{r} requests/s"
            )),
        c.users,
        c.seconds,
        c.rounds,
        service_placement(c),
        c.placement.harness_cpus
    )
}

/// The table: its header, every row per round, then every row over all rounds.
fn table(c: &Calibration) -> String {
    let mut out = format!(
        "{:<24} {:>5} {:>10} {:>10} {:>10} {:>9} {:>8} {:>8} {:>7} {:>10}\n",
        "tool",
        "round",
        "requests",
        "rps",
        "target",
        "achieved",
        "p50 µs",
        "p99 µs",
        "errors",
        "tool cores"
    );
    let line = |round: String, t: &ToolFigures| {
        format!(
            "{:<24} {:>5} {:>10} {:>10.0} {:>10} {:>9} {:>8} {:>8} {:>7} {:>10}\n",
            t.tool,
            round,
            t.requests,
            t.rps,
            num(t.target_rps, 0),
            t.achieved_pct()
                .map_or("-".to_owned(), |p| format!("{p:.1} %")),
            t.p50_us,
            t.p99_us,
            t.errors,
            num(t.tool_cores, 2)
        )
    };
    for t in &c.tools {
        for (i, f) in t.rounds.iter().enumerate() {
            out.push_str(&line((i + 1).to_string(), f));
        }
    }
    for t in &c.tools {
        out.push_str(&line("all".to_owned(), &t.all));
    }
    out
}

/// What the rows count from, and what the constant-rate driver's rows mean.
fn notes(c: &Calibration) -> String {
    let mut out = String::from(
        "latency: from each request's send; in the -corrected rows from when it was due \
         (coordinated omission corrected)\n",
    );
    if c.tool(tool::CONSTANT_RATE_CORRECTED).is_some() {
        out.push_str(
            "constant-rate-corrected: the same runs as constant-rate; oha-corrected: runs of \
             their own, with --latency-correction\n",
        );
    }
    if c.rate.is_none() && c.tool(tool::CONSTANT_RATE).is_some() {
        out.push_str(&format!(
            "constant-rate: asked for {}x wrk's throughput of each round, so its rps is its \
             ceiling, its errors include the slots it could not send, and its latencies are a \
             backlog's\n",
            rounds::CEILING_FACTOR
        ));
        if let Some(pct) = c
            .tool(tool::CONSTANT_RATE)
            .and_then(|t| t.all.achieved_pct())
            .filter(|p| *p >= CEILING_NOT_REACHED_PCT)
        {
            out.push_str(&format!(
                "constant-rate served {pct:.1} % of what it was asked: its ceiling is above \
                 that, not measured\n"
            ));
        }
    }
    out
}

/// The named ratios over all rounds.
fn ratios(c: &Calibration) -> String {
    let mut out = String::from("ratios over all rounds (a_to_b: a's figure / b's):\n");
    for (name, figures) in c.ratios.named() {
        let figures: Vec<String> = figures
            .iter()
            .map(|(what, r)| format!("{what} {}", num(*r, 2)))
            .collect();
        out.push_str(&format!("  {name:<42} {}\n", figures.join("  ")));
    }
    out
}

/// The machine's state, each tool's ceiling when unthrottled, and the external tools'
/// versions.
fn machine(c: &Calibration) -> String {
    let mut out = format!(
        "machine: load average {} at start, CPU steal {} during\n",
        c.load_average
            .iter()
            .map(|l| format!("{l:.2}"))
            .collect::<Vec<_>>()
            .join(" "),
        c.steal_pct.map_or("-".to_owned(), |s| format!("{s:.1} %"))
    );
    if c.rate.is_none() {
        let ceilings: Vec<String> = c
            .tools
            .iter()
            .map(|t| {
                format!(
                    "{} {:.0} rps using {} cores",
                    t.tool,
                    t.all.rps,
                    num(t.all.tool_cores, 2)
                )
            })
            .collect();
        out.push_str(&format!(
            "ceiling on these load CPUs: {}\n",
            ceilings.join(", ")
        ));
    }
    let versions: Vec<&str> = [&c.wrk_version, &c.oha_version]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    out.push_str(&format!("external tools: {}\n", versions.join(", ")));
    out
}

#[cfg(test)]
mod tests {
    use super::super::{Ratios, SCHEMA_VERSION, ToolRuns, combine};
    use super::*;
    use crate::placement::Resolved;

    fn figures(tool: &str, rps: f64, target: Option<f64>, p50: u64) -> ToolFigures {
        ToolFigures {
            tool: tool.into(),
            requests: rps as u64,
            seconds: 1.0,
            rps,
            target_rps: target,
            p50_us: p50,
            p99_us: p50 * 4,
            errors: 0,
            harness_cores: Some(0.5),
            tool_cores: Some(0.25),
        }
    }

    fn calibration(rate: Option<u32>, rows: &[(&str, f64, u64)]) -> Calibration {
        let tools: Vec<ToolRuns> = rows
            .iter()
            .map(|&(name, rps, p50)| {
                let target = rate.map(f64::from);
                let f = figures(name, rps, target, p50);
                ToolRuns {
                    tool: name.into(),
                    driver: "fake".into(),
                    corrected: name.ends_with("-corrected"),
                    rounds: vec![f.clone()],
                    all: combine(name, &[f]),
                }
            })
            .collect();
        Calibration {
            schema_version: SCHEMA_VERSION,
            started: chrono::Utc::now(),
            stack: "hyper".into(),
            rate,
            users: 4,
            seconds: 1,
            warmup: 0,
            rounds: 1,
            placement: Resolved {
                service_cpus: vec![1],
                harness_cpus: vec![0],
                note: None,
            },
            backend: "local".into(),
            wrk_version: rate.is_none().then(|| "wrk 4.1.0".to_owned()),
            oha_version: rate.map(|_| "oha 1.16.0".to_owned()),
            ratios: Ratios::of(&tools),
            tools,
            load_average: vec![0.5, 0.4, 0.3],
            steal_pct: Some(0.0),
        }
    }

    #[test]
    fn at_a_rate_every_row_shows_target_and_achieved_and_every_ratio() {
        let c = calibration(
            Some(2000),
            &[
                ("goose", 1800.0, 200),
                ("constant-rate", 2000.0, 100),
                ("constant-rate-corrected", 2000.0, 120),
                ("oha", 2000.0, 100),
                ("oha-corrected", 2000.0, 80),
            ],
        );
        let text = render(&c);
        assert!(
            text.contains("hyper at 2000 requests/s, 4 connections"),
            "{text}"
        );
        for name in [
            "goose",
            "constant-rate",
            "constant-rate-corrected",
            "oha",
            "oha-corrected",
        ] {
            let rows: Vec<&str> = text
                .lines()
                .filter(|l| l.split_whitespace().next() == Some(name))
                .collect();
            assert_eq!(rows.len(), 2, "{name}: a round and all\n{text}");
            assert!(
                rows.iter().all(|r| r.contains(" 2000 ")),
                "{name}: target\n{text}"
            );
        }
        assert!(
            text.contains(
                "goose                      all       1800       1800       2000    90.0 %"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "goose_to_oha                               rps 0.90  p50 2.00  p99 2.00"
            ),
            "{text}"
        );
        assert!(text.contains("constant_rate_to_oha "), "{text}");
        assert!(
            text.contains("constant_rate_corrected_to_oha_corrected   p50 1.50  p99 1.50"),
            "{text}"
        );
        assert!(text.contains("external tools: oha 1.16.0"), "{text}");
        assert!(!text.contains("ceiling"), "{text}");
    }

    #[test]
    fn unthrottled_shows_the_ceilings_against_wrk() {
        let c = calibration(
            None,
            &[
                ("goose", 9000.0, 300),
                ("wrk", 40000.0, 100),
                ("constant-rate", 20000.0, 9000),
            ],
        );
        let text = render(&c);
        assert!(text.contains("hyper at full speed (unthrottled)"), "{text}");
        assert!(
            text.contains(
                "goose_to_wrk                               rps 0.23  p50 3.00  p99 3.00"
            ),
            "{text}"
        );
        assert!(
            text.contains("constant_rate_to_wrk                       rps 0.50\n"),
            "{text}"
        );
        assert!(text.contains("ceiling on these load CPUs: goose 9000 rps using 0.25 cores, wrk 40000 rps using 0.25 cores, constant-rate 20000 rps"), "{text}");
        assert!(text.contains("asked for 2x wrk's throughput"), "{text}");
        assert!(text.contains("external tools: wrk 4.1.0"), "{text}");
        assert!(!text.contains("ceiling is above"), "{text}");
        let mut served_all = c.clone();
        served_all.tools[2].all.target_rps = Some(20000.0);
        let text = render(&served_all);
        assert!(
            text.contains(
                "constant-rate served 100.0 % of what it was asked: its ceiling is above that"
            ),
            "{text}"
        );
    }
}
