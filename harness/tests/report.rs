//! The report's figures, read back as a reader's browser would get them: a report made from the
//! committed fixture run (and from the same run with a JVM stack added as the baseline, so
//! memory and boot span orders of magnitude), every SVG parsed. No mark leaves its plot area, every log axis is
//! labelled at two ticks or more, every mark says its value on hover, and the crosses of the
//! throughput figure are exactly the saturated steps. With a fit search and a density run added,
//! the fit section draws a mark per probe and a bar per stack.

use std::fs;
use std::path::{Path, PathBuf};

use roxmltree::{Document, Node};
use serde_json::Value;

/// The committed fixture run.
fn fixture() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/results-v1");
    fs::read_dir(root).unwrap().next().unwrap().unwrap().path()
}

/// A copy of the fixture run under `dir/results/<id>`, its summary passed through `edit`.
fn copy(dir: &Path, id: &str, edit: impl Fn(&mut Value)) -> PathBuf {
    let run = dir.join("results").join(id);
    fs::create_dir_all(&run).unwrap();
    for entry in fs::read_dir(fixture()).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), run.join(entry.file_name())).unwrap();
    }
    let mut summary: Value =
        serde_json::from_str(&fs::read_to_string(run.join("summary.json")).unwrap()).unwrap();
    summary["run_id"] = id.into();
    edit(&mut summary);
    fs::write(run.join("summary.json"), summary.to_string()).unwrap();
    run
}

/// The fixture with a `spring-like` stack made from its `hyper` (memory ×100, boot ×500,
/// latency ×40), declared as the baseline, and `hyper`'s last step marked saturated.
fn with_jvm(summary: &mut Value) {
    let stacks = summary["stacks"].as_array_mut().unwrap();
    let mut jvm = stacks[1].clone();
    jvm["stack"] = "spring-like".into();
    jvm["family"] = "JVM".into();
    jvm["role"] = "baseline".into();
    jvm["estimates"] = Value::Null;
    for key in ["idle_kb", "load_kb", "peak_kb"] {
        jvm[key] = (jvm[key].as_u64().unwrap() * 100).into();
    }
    jvm["boot_ms"]["median"] = 1500.0.into();
    for run in jvm["runs"].as_array_mut().unwrap() {
        for boot in run["boots"].as_array_mut().unwrap() {
            boot["boot_ms"] = (boot["boot_ms"].as_f64().unwrap() * 500.0).into();
        }
        for step in run["steps"].as_array_mut().unwrap() {
            for kind in step["kinds"].as_array_mut().unwrap() {
                for p in ["p50_us", "p99_us"] {
                    kind[p] = (kind[p].as_u64().unwrap() * 40).into();
                }
            }
        }
    }
    let steps = stacks[1]["runs"][0]["steps"].as_array_mut().unwrap();
    let last = steps.len() - 1;
    steps[last]["load_generator_bound"] = true.into();
    stacks.push(jvm);
}

/// Every plot of the report at `path`: its figure's id and its SVG text (a figure may hold
/// several plots, the spectrum one per step).
fn figures(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("<figure id=\"figure-") {
        rest = &rest[at + 19..];
        let id = rest[..rest.find('"').unwrap()].to_owned();
        let mut inside = &rest[..rest.find("</figure>").unwrap()];
        let before = out.len();
        while let (Some(start), Some(end)) = (inside.find("<svg"), inside.find("</svg>")) {
            out.push((id.clone(), inside[start..end + 6].to_owned()));
            inside = &inside[end + 6..];
        }
        assert!(out.len() > before, "figure {id} has no SVG");
    }
    out
}

/// Writes `histograms.csv` into `run` as the drivers would have: for every stack and measured
/// step of its summary, seeded ids from 50 µs to a tail of 20 ms.
fn with_histograms(run: &Path) {
    use harness::driver::record::Recorder;
    use harness::results::{HistogramRow, Row as _, RowWriter};
    let summary = harness::results::load_summary(run).unwrap();
    let mut writer = RowWriter::create(run.join(HistogramRow::FILE)).unwrap();
    for stack in &summary.stacks {
        for repeat in &stack.runs {
            for step in repeat.steps.iter().filter(|s| !s.warmup) {
                let mut recorder = Recorder::new(false);
                for i in 0..2000u64 {
                    let us = if i % 100 == 0 { 20_000 } else { 50 + i % 300 };
                    recorder.sent(0, 200, us, None, None);
                }
                for kind in recorder.results() {
                    for row in HistogramRow::of(&stack.stack, repeat.repeat, step, &kind) {
                        writer.write(&row).unwrap();
                    }
                }
            }
        }
    }
}

fn number(node: Node, name: &str) -> f64 {
    node.attribute(name)
        .unwrap_or_else(|| panic!("<{}> without {name}", node.tag_name().name()))
        .parse()
        .unwrap()
}

/// The points a mark covers.
fn extent(node: Node) -> Vec<(f64, f64)> {
    let n = |name| number(node, name);
    match node.tag_name().name() {
        "circle" => {
            let (x, y, r) = (n("cx"), n("cy"), n("r"));
            vec![(x - r, y - r), (x + r, y + r)]
        }
        "rect" => vec![
            (n("x"), n("y")),
            (n("x") + n("width"), n("y") + n("height")),
        ],
        "line" => vec![(n("x1"), n("y1")), (n("x2"), n("y2"))],
        "polyline" | "path" => {
            let text = node
                .attribute("points")
                .or(node.attribute("d"))
                .unwrap_or_default();
            let values: Vec<f64> = text
                .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
                .filter(|s| !s.is_empty())
                .map(|s| s.parse().unwrap())
                .collect();
            values.chunks(2).map(|p| (p[0], p[1])).collect()
        }
        _ => Vec::new(),
    }
}

/// A tick label's value: `10`, `10k`, `1M`, `0.1`.
fn tick_value(text: &str) -> f64 {
    let (digits, scale) = match text.strip_suffix('k') {
        Some(d) => (d, 1e3),
        None => match text.strip_suffix('M') {
            Some(d) => (d, 1e6),
            None => (text, 1.0),
        },
    };
    digits
        .parse::<f64>()
        .unwrap_or_else(|_| panic!("tick label {text:?}"))
        * scale
}

fn has_class(node: Node, class: &str) -> bool {
    node.attribute("class")
        .is_some_and(|c| c.split(' ').any(|c| c == class))
}

/// Checks one figure; returns how many saturated-step crosses it holds.
fn check_figure(id: &str, svg: &str) -> usize {
    let doc = Document::parse(svg).unwrap_or_else(|e| panic!("{id}: not XML: {e}"));
    let area = doc
        .descendants()
        .find(|n| has_class(*n, "plot-area"))
        .unwrap_or_else(|| panic!("{id}: no plot area"));
    let (left, top) = (number(area, "x"), number(area, "y"));
    let (right, bottom) = (left + number(area, "width"), top + number(area, "height"));
    let mut marks = 0;
    for group in doc
        .descendants()
        .filter(|n| has_class(*n, "series") || has_class(*n, "bars") || has_class(*n, "reference"))
    {
        for mark in group
            .children()
            .filter(|n| n.is_element() && n.tag_name().name() != "text")
        {
            marks += 1;
            for (x, y) in extent(mark) {
                assert!(
                    (left - 0.6..=right + 0.6).contains(&x)
                        && (top - 0.6..=bottom + 0.6).contains(&y),
                    "{id}: a mark of {:?} at ({x}, {y}) leaves the plot area ({left}, {top})-({right}, {bottom})",
                    group.attribute("data-name")
                );
            }
            let title = mark
                .children()
                .find(|c| c.tag_name().name() == "title")
                .and_then(|t| t.text())
                .unwrap_or_default();
            assert!(
                !title.is_empty(),
                "{id}: a <{}> without a title",
                mark.tag_name().name()
            );
        }
    }
    assert!(marks > 0, "{id}: nothing drawn");
    if area.attribute("data-y-scale") == Some("log") {
        let ticks: Vec<f64> = doc
            .descendants()
            .filter(|n| has_class(*n, "tick") && has_class(*n, "y"))
            .map(|n| tick_value(n.text().unwrap_or_default()))
            .collect();
        assert!(ticks.len() >= 2, "{id}: a log axis labelled at {ticks:?}");
        assert!(
            ticks
                .iter()
                .any(|t| (t.log10() - t.log10().round()).abs() < 1e-9)
                && ticks.windows(2).all(|w| w[0] < w[1]),
            "{id}: log ticks not at decades, or out of order: {ticks:?}"
        );
    }
    doc.descendants()
        .filter(|n| n.tag_name().name() == "path" && has_class(*n, "saturated"))
        .count()
}

fn report(run: &Path, dir: &Path) -> String {
    let no_prices = harness::cost::PriceError::Read {
        path: "prices.csv".into(),
        source: std::io::Error::other("not needed here"),
    };
    let page = harness::report::write(run, &dir.join("reports"), Err(&no_prices)).unwrap();
    fs::read_to_string(page).unwrap()
}

#[test]
fn no_series_leaves_its_plot_and_every_log_axis_is_labelled() {
    let dir = tempfile::tempdir().unwrap();
    for (id, edit) in [
        ("plain", (|_: &mut Value| {}) as fn(&mut Value)),
        ("with-jvm", with_jvm),
        ("with-histograms", with_jvm),
    ] {
        let run = copy(dir.path(), id, edit);
        if id == "with-histograms" {
            with_histograms(&run);
        }
        let html = report(&run, dir.path());
        let figures = figures(&html);
        let mut ids: Vec<&str> = figures.iter().map(|(id, _)| id.as_str()).collect();
        ids.dedup();
        let mut expected = vec![
            "memory",
            "memory-time",
            "latency",
            "throughput",
            "boot",
            "cpu",
        ];
        if id == "with-histograms" {
            expected.push("spectrum");
            let plots = figures.iter().filter(|(f, _)| f == "spectrum").count();
            assert_eq!(plots, 4, "one spectrum plot per measured step");
        }
        assert_eq!(ids, expected, "{id}");
        let mut crosses = 0;
        for (figure, svg) in &figures {
            crosses += check_figure(&format!("{id}/{figure}"), svg);
            let log = svg.contains("data-y-scale=\"log\"");
            let should = matches!(
                figure.as_str(),
                "memory" | "memory-time" | "latency" | "boot" | "spectrum"
            );
            assert_eq!(log, should, "{id}/{figure}: log axis");
        }
        let summary: Value =
            serde_json::from_str(&fs::read_to_string(run.join("summary.json")).unwrap()).unwrap();
        let saturated = summary["stacks"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| {
                s["runs"][0]["steps"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .filter(|st| st["warmup"] == false && st["load_generator_bound"] == true)
            .count();
        assert_eq!(crosses, saturated, "{id}: one cross per saturated step");
        if id != "plain" {
            assert_eq!(saturated, 1);
            // Two orders of magnitude apart, both on the memory figure's axis.
            let memory = &figures[0].1;
            assert!(
                memory.contains(">1<") && memory.contains(">100<"),
                "{memory}"
            );
            assert!(html.contains("held on this run"), "the headline's verdict");
        } else {
            assert!(html.contains("cannot be tested on this run"));
            assert!(html.contains(
                "with the baseline (the stack declared with role = &quot;baseline&quot;) among its stacks (--stacks)"
            ));
        }
    }
}

/// The fixture with a fit search and a density run for each stack: `floor` fits in 4 MiB (2
/// refused) and packs 341 replicas at the engine's minimum; `hyper` fits in 56 MiB (52 killed,
/// 48 with errors, 32 too slow) and packs 36.
fn with_fit(summary: &mut Value) {
    use harness::model::{
        Density, Fit, FitLimit, FitProbe, FitVerdict, LimitBy, LimitFrom, ReplicaRecord, StackRun,
    };
    let probe = |limit_mib: u32, verdict, p99_ms: Option<f64>| FitProbe {
        limit_mib,
        limit_by: p99_ms.map(|_| {
            if limit_mib < 6 {
                LimitBy::Cgroup
            } else {
                LimitBy::Engine
            }
        }),
        verdict: Some(verdict),
        reason: p99_ms.is_none().then(|| "did not serve".to_owned()),
        requests: 1000,
        p99_us: p99_ms.map(|ms| (ms * 1000.0) as u64),
        peak_kb: p99_ms.map(|_| u64::from(limit_mib) * 600),
        ..FitProbe::default()
    };
    use FitVerdict::{Errors, Holds, Latency, OomKilled, Refused};
    let plans = [
        (
            vec![
                probe(512, Holds, Some(0.9)),
                probe(8, Holds, Some(1.1)),
                probe(4, Holds, Some(1.3)),
                probe(2, Refused, None),
            ],
            (6, LimitFrom::EngineMinimum),
        ),
        (
            vec![
                probe(512, Holds, Some(2.0)),
                probe(256, Holds, Some(2.2)),
                probe(128, Holds, Some(2.5)),
                probe(64, Holds, Some(3.0)),
                probe(32, Latency, Some(9.0)),
                probe(48, Errors, Some(5.0)),
                probe(56, Holds, Some(3.5)),
                probe(52, OomKilled, None),
            ],
            (56, LimitFrom::Fit),
        ),
    ];
    let stacks = summary["stacks"].as_array_mut().unwrap();
    for (stack, (probes, (limit_mib, limit_from))) in stacks.iter_mut().zip(plans) {
        let mut run: StackRun = serde_json::from_value(stack["runs"][0].clone()).unwrap();
        let held = |p: &&FitProbe| p.verdict == Some(Holds);
        let at = probes
            .iter()
            .filter(held)
            .min_by_key(|p| p.limit_mib)
            .cloned();
        let fit_mib = at.as_ref().map(|p| p.limit_mib);
        run.fit = Some(Fit {
            max_mib: 512,
            min_mib: 1,
            latency_factor: 2.0,
            latency_floor_us: 1000,
            reference_p99_us: probes[0].p99_us,
            fit_mib,
            limit: FitLimit::Service,
            below: probes
                .iter()
                .filter(|p| !held(p) && Some(p.limit_mib) < fit_mib)
                .max_by_key(|p| p.limit_mib)
                .cloned(),
            at,
            probes,
            failure: None,
        });
        let replicas = 2048 / limit_mib;
        let density = Density {
            node_mib: 2048,
            limit_mib,
            limit_from,
            replicas,
            held: replicas,
            node_used_kb: Some(u64::from(replicas * limit_mib) * 600),
            rate_per_replica: Some(2000 / replicas),
            per_replica: (1..=replicas)
                .map(|i| ReplicaRecord {
                    name: format!("replica-{i}"),
                    p99_us: Some(1500),
                    verdict: Some(Holds),
                    ..ReplicaRecord::default()
                })
                .collect(),
            failure: None,
        };
        run.density = Some(density.clone());
        stack["fit"] = serde_json::to_value(harness::aggregate::fit_summary(&[&run])).unwrap();
        stack["density"] = serde_json::to_value(density).unwrap();
        stack["runs"][0] = serde_json::to_value(run).unwrap();
    }
}

/// The marks of a plot's series and bars (its lines apart).
fn marks(svg: &str) -> usize {
    let doc = Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| has_class(*n, "series") || has_class(*n, "bars"))
        .flat_map(|g| g.children().filter(|n| n.is_element()))
        .filter(|n| n.tag_name().name() != "polyline")
        .count()
}

#[test]
fn the_fit_section_draws_every_probe_and_the_replicas_per_node() {
    let dir = tempfile::tempdir().unwrap();
    let run = copy(dir.path(), "with-fit", with_fit);
    let html = report(&run, dir.path());
    let figures = figures(&html);
    let ids: Vec<&str> = figures.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "memory",
            "memory-time",
            "latency",
            "throughput",
            "boot",
            "cpu",
            "fit-probes",
            "density"
        ]
    );
    for (figure, svg) in &figures {
        check_figure(&format!("with-fit/{figure}"), svg);
    }
    let probes = &figures[6].1;
    assert_eq!(marks(probes), 4 + 8, "every probe of both stacks");
    assert!(probes.contains("data-y-scale=\"log\""));
    let doc = Document::parse(probes).unwrap();
    let x_ticks: Vec<f64> = doc
        .descendants()
        .filter(|n| has_class(*n, "tick") && has_class(*n, "x"))
        .map(|n| tick_value(n.text().unwrap_or_default()))
        .collect();
    assert_eq!(
        x_ticks,
        [1.0, 10.0, 100.0, 1000.0],
        "the limit on a log axis"
    );
    assert_eq!(marks(&figures[7].1), 2, "a bar per stack");
    let section = &html[html.find("<h2 id=\"fit\"").unwrap()..html.find("id=\"cost\"").unwrap()];
    assert!(
        section
            .contains("<p class=\"verdict\">floor: 341 replicas per 2048 MiB node, hyper: 36.</p>"),
        "{section}"
    );
    assert!(section.contains("the engine&#x27;s minimum (the stack fits in 4 MiB)"));
    // The summary alone: the report links only the files the folder holds.
    assert!(!html.contains(">fit.csv</a>") && !html.contains(">density.csv</a>"));
    fs::write(run.join("fit.csv"), "").unwrap();
    fs::write(run.join("density.csv"), "").unwrap();
    let html = report(&run, dir.path());
    assert!(html.contains(">fit.csv</a>") && html.contains(">density.csv</a>"));
    // A run without a fit has no such section.
    let plain = report(&copy(dir.path(), "plain", |_| {}), dir.path());
    assert!(!plain.contains("id=\"fit\"") && !plain.contains("fit.csv"));
}

/// A broken `memory.csv` or `env.json` is said on the page, naming the file, never dropped in
/// silence; a summary whose run id is a path is refused before anything is written.
#[test]
fn what_cannot_be_read_is_said_and_a_run_id_never_leaves_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let run = copy(dir.path(), "broken", |_| {});
    fs::write(run.join("memory.csv"), "not,the,header\n1,2,3\n").unwrap();
    fs::write(run.join("env.json"), "{ cut short").unwrap();
    let page = report(&run, dir.path());
    assert!(
        page.contains("Not shown, as it cannot be read:") && page.contains("memory.csv"),
        "the page says memory.csv is unread"
    );
    assert!(
        page.contains("env.json:"),
        "the page says env.json is unread"
    );

    let escaping = copy(dir.path(), "escaping", |s| s["run_id"] = "../../x".into());
    let no_prices = harness::cost::PriceError::Read {
        path: "prices.csv".into(),
        source: std::io::Error::other("not needed here"),
    };
    let reports = dir.path().join("deep").join("reports");
    let err = harness::report::write(&escaping, &reports, Err(&no_prices)).unwrap_err();
    assert!(err.to_string().contains("not a plain name"), "{err}");
    assert!(!dir.path().join("x.html").exists());
}
