//! The percentile spectrum: each step's whole latency distribution, as HdrHistogram's plotter
//! draws it (latency against the percentile, the percentile axis stretched towards 100 % so
//! the tail gets as much room as the median).
//!
//! The distributions come from `histograms.csv`: per stack and step, seeded ids, the
//! histograms of every repeat added (exact, unlike an average of percentiles); the *intended*
//! series where the step had a schedule (constant-rate), the raw one otherwise. A run written
//! before the file existed has no spectrum, and the report says so.

use std::collections::BTreeMap;
use std::path::Path;

use hdrhistogram::Histogram;

use super::figure::Figure;
use super::plots::{self, Axis, Key, Line, Marker, Plot, Point, Scale, Series, XAxis};
use crate::model::Summary;
use crate::results::{self, HistogramRow, Row as _};

/// Per step (in run order), per stack: the merged distribution and which series it is.
pub type Spectra = Vec<(String, BTreeMap<String, (Histogram<u64>, String)>)>;

/// The step distributions of the run in `dir`, seeded ids, repeats merged, warm-up left out;
/// `None` for a run written before `histograms.csv` existed, `Err` when it cannot be read.
pub fn read(dir: &Path) -> Result<Option<Spectra>, String> {
    let path = dir.join(HistogramRow::FILE);
    if !path.exists() {
        return Ok(None);
    }
    let rows: Vec<HistogramRow> = results::read_rows(&path).map_err(|e| e.to_string())?;
    // The intended series where a stack's step has one, else the raw one.
    let with_intended: std::collections::HashSet<(&str, &str)> = rows
        .iter()
        .filter(|r| r.series == "intended" && !r.warmup)
        .map(|r| (r.stack.as_str(), r.step.as_str()))
        .collect();
    let mut spectra: Spectra = Vec::new();
    for row in &rows {
        if row.warmup || row.kind != "seeded" {
            continue;
        }
        let has_intended = with_intended.contains(&(row.stack.as_str(), row.step.as_str()));
        if (row.series == "intended") != has_intended {
            continue;
        }
        let h = row
            .decode()
            .map_err(|e| format!("{}: {} {}: {e}", path.display(), row.stack, row.step))?;
        let step = match spectra.iter().position(|(name, _)| name == &row.step) {
            Some(i) => i,
            None => {
                spectra.push((row.step.clone(), BTreeMap::new()));
                spectra.len() - 1
            }
        };
        match spectra[step].1.get_mut(&row.stack) {
            Some((merged, _)) => merged.add(&h).map_err(|e| format!("{e:?}"))?,
            None => {
                spectra[step]
                    .1
                    .insert(row.stack.clone(), (h, row.series.clone()));
            }
        }
    }
    Ok((!spectra.is_empty()).then_some(spectra))
}

/// The points of one distribution, (`1 / (1 - q)`, µs) for quantiles `q` from 0 up to where
/// it has data (a histogram of n values says nothing beyond the `1 - 1/n` quantile), 20 per
/// decade of the x axis: 1 is 0 %, 10 is 90 %, 100 is 99 %, 1000 is 99.9 %.
pub fn curve(h: &Histogram<u64>) -> Vec<(f64, f64)> {
    if h.is_empty() {
        return Vec::new();
    }
    let end = (h.len() as f64).log10();
    let mut points: Vec<(f64, f64)> = (0..)
        .map(|i| f64::from(i) * 0.05)
        .take_while(|&x| x <= end)
        .map(|x| {
            let q = 1.0 - 10f64.powf(-x);
            (10f64.powf(x), h.value_at_quantile(q).max(1) as f64)
        })
        .collect();
    points.push((10f64.powf(end), h.max().max(1) as f64));
    points
}

/// The percentile at `x = 1 / (1 - q)`, in words: `99.9 %`.
fn percentile(x: f64) -> String {
    let p = 100.0 * (1.0 - 1.0 / x);
    let text = format!("{p:.4}");
    format!("{} %", text.trim_end_matches('0').trim_end_matches('.'))
}

/// The spectrum figure: one plot per step, a line per stack in the report's colours.
pub fn figure(summary: &Summary, spectra: Result<&Spectra, &String>) -> Figure {
    let caption = "Latency of seeded ids against the percentile, each step's whole distribution \
                   (HdrHistogram, every repeat merged), as HdrHistogram's plotter draws it: the \
                   x axis is 1 / (1 - percentile) on a log scale, so 10 is the 90th percentile, \
                   100 the 99th, 1000 the 99.9th, and each nine gets the same room; latency on a \
                   log scale. Constant-rate steps plot the latency counted from each request's \
                   slot (coordinated omission corrected), closed-loop steps the raw latency. A \
                   line ends where its data ends; hover for the exact values."
        .to_owned();
    let (svg, error) = match spectra.map_err(Clone::clone).and_then(|s| draw(summary, s)) {
        Ok(svg) => (Some(svg), None),
        Err(e) => (None, Some(e)),
    };
    Figure {
        id: "spectrum",
        title: "Latency by percentile, per step",
        caption,
        svg,
        error,
        files: Vec::new(),
    }
}

/// Text made safe for HTML (a step's name comes from a scenario file).
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn draw(summary: &Summary, spectra: &Spectra) -> Result<String, String> {
    let mut html = String::new();
    for (step, stacks) in spectra {
        let mut plot = Plot::new(
            format!("latency by percentile, {step}"),
            XAxis::Values(Axis::new("1 / (1 - percentile), log scale", Scale::Log)),
            Axis::new("latency µs (log scale)", Scale::Log),
        );
        for (i, s) in summary.stacks.iter().enumerate() {
            let Some((h, series)) = stacks.get(&s.stack) else {
                continue;
            };
            let colour = plots::css_colour(i);
            let mut line =
                Series::new(s.stack.clone(), colour.clone(), Line::Solid, Marker::Hidden);
            line.points = curve(h)
                .into_iter()
                .map(|(x, us)| {
                    Point::new(
                        x,
                        us,
                        format!(
                            "{}, {step}: {} at {} ({series}, {} requests)",
                            s.stack,
                            crate::table::sig3(us),
                            percentile(x),
                            h.len()
                        ),
                    )
                })
                .collect();
            plot.legend.push(Key::colour(s.stack.clone(), colour));
            plot.series.push(line);
        }
        let svg = plot.svg().map_err(|e| e.to_string())?;
        html.push_str(&format!("<h4>{}</h4>\n{svg}\n", escape(step)));
    }
    Ok(html)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::record;

    #[test]
    fn the_curve_rises_with_the_percentile_and_stops_at_its_data() {
        let mut h = record::histogram();
        for us in 1..=10_000u64 {
            h.record(us).unwrap();
        }
        let c = curve(&h);
        assert_eq!(c.first().unwrap().0, 1.0);
        assert!(
            (c.last().unwrap().0 - 10_000.0).abs() < 1e-6,
            "10^4 values: to 99.99 %"
        );
        assert!(c.windows(2).all(|w| w[1].1 >= w[0].1), "{c:?}");
        // At x = 10 (90 %) the value is about 9000 µs.
        let at90 = c.iter().find(|p| (p.0 - 10.0).abs() < 1e-6).unwrap().1;
        assert!((at90 - 9000.0).abs() < 20.0, "{at90}");
    }

    #[test]
    fn percentiles_in_words() {
        assert_eq!(percentile(1.0), "0 %");
        assert_eq!(percentile(10.0), "90 %");
        assert_eq!(percentile(1000.0), "99.9 %");
    }

    #[test]
    fn a_run_without_histograms_has_no_spectrum() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read(dir.path()).unwrap().is_none());
        std::fs::write(
            dir.path().join(HistogramRow::FILE),
            "stack,repeat\nfloor,x\n",
        )
        .unwrap();
        let e = read(dir.path()).unwrap_err();
        assert!(e.contains("histograms.csv"), "{e}");
    }

    #[test]
    fn repeats_are_merged_and_the_intended_series_preferred() {
        let dir = tempfile::tempdir().unwrap();
        let mut recorder = record::Recorder::new(true);
        for us in 100..200 {
            recorder.sent(0, 200, us, Some(us * 10), None);
        }
        let kind = &recorder.results()[0];
        let step = crate::model::StepSummary {
            name: "steady".into(),
            ..Default::default()
        };
        let mut w = results::RowWriter::create(dir.path().join(HistogramRow::FILE)).unwrap();
        for repeat in [1, 2] {
            for row in HistogramRow::of("thin", repeat, &step, kind) {
                w.write(&row).unwrap();
            }
        }
        drop(w);
        let spectra = read(dir.path()).unwrap().unwrap();
        assert_eq!(spectra.len(), 1);
        let (h, series) = &spectra[0].1["thin"];
        assert_eq!(series, "intended");
        assert_eq!(h.len(), 200, "two repeats of 100");
        assert!(h.min() >= 1000, "the intended values");
    }
}
