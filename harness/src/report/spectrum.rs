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
use plotters::prelude::*;

use super::figures::Figure;
use super::plots::colour;
use crate::model::Summary;
use crate::results::{self, HistogramRow, Row as _};

/// Per step (in run order), per stack: the merged distribution and which series it is.
pub type Spectra = Vec<(String, BTreeMap<String, (Histogram<u64>, String)>)>;

/// The step distributions of the run in `dir`, seeded ids, repeats merged, warm-up left out;
/// `Err` says why there are none.
pub fn read(dir: &Path) -> Result<Spectra, String> {
    let path = dir.join(HistogramRow::FILE);
    if !path.exists() {
        return Err(format!(
            "this run has no {} (written by versions before it existed)",
            HistogramRow::FILE
        ));
    }
    let rows: Vec<HistogramRow> = results::read_rows(&path).map_err(|e| e.to_string())?;
    let mut spectra: Spectra = Vec::new();
    for row in &rows {
        if row.warmup || row.kind != "seeded" {
            continue;
        }
        // The intended series where the step has one, else the raw one.
        let has_intended = rows.iter().any(|r| {
            r.series == "intended" && r.stack == row.stack && r.step == row.step && !r.warmup
        });
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
    if spectra.is_empty() {
        return Err("no measured step of seeded ids in histograms.csv".into());
    }
    Ok(spectra)
}

/// The points of one distribution, (stretched percentile, log10 µs), up to where it has data
/// (a histogram of n values says nothing beyond the 1 - 1/n quantile). The percentile `q` is
/// stretched to `log10(1 / (1 - q))`: 0 at 0 %, 1 at 90 %, 2 at 99 %, ...
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
            (x, (h.value_at_quantile(q).max(1) as f64).log10())
        })
        .collect();
    points.push((end, (h.max().max(1) as f64).log10()));
    points
}

/// The label of a stretched percentile at a whole number: 0 %, 90 %, 99 %, 99.9 %, ...
fn percent_label(x: f64) -> String {
    let nines = x.round() as i32;
    if (x - f64::from(nines)).abs() > 1e-6 {
        return String::new();
    }
    match nines {
        0 => "0%".into(),
        n => format!("{}%", 100.0 - 10f64.powi(2 - n)),
    }
}

/// A latency in µs from its log10, as a readable label at whole decades.
fn latency_label(y: f64) -> String {
    let decade = y.round();
    if (y - decade).abs() > 1e-6 {
        return String::new();
    }
    match 10f64.powf(decade) {
        v if v >= 1_000_000.0 => format!("{} s", v / 1e6),
        v if v >= 1_000.0 => format!("{} ms", v / 1e3),
        v => format!("{v} µs"),
    }
}

/// The spectrum figure: one panel per step, a line per stack in the report's colours.
pub fn figure(summary: &Summary, spectra: Result<&Spectra, &String>) -> Figure {
    let caption = "Latency of seeded ids against the percentile, each step's whole distribution \
                   (HdrHistogram, every repeat merged), the percentile axis stretched so each \
                   nine gets the same room; both axes logarithmic. Constant-rate steps plot the \
                   latency counted from each request's slot (coordinated omission corrected), \
                   closed-loop steps the raw latency. A line ends where its data ends."
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
    }
}

/// A stack's position in the report's order, and its curve.
type StackCurve = (usize, Vec<(f64, f64)>);

fn draw(summary: &Summary, spectra: &Spectra) -> Result<String, String> {
    let err = |e: DrawingAreaErrorKind<_>| format!("cannot draw the spectrum: {e:?}");
    let order: Vec<&str> = summary.stacks.iter().map(|s| s.stack.as_str()).collect();
    let curves: Vec<(&str, Vec<StackCurve>)> = spectra
        .iter()
        .map(|(step, stacks)| {
            let lines = stacks
                .iter()
                .filter_map(|(stack, (h, _))| {
                    let i = order.iter().position(|s| s == stack)?;
                    Some((i, curve(h)))
                })
                .collect();
            (step.as_str(), lines)
        })
        .collect();
    let all = curves
        .iter()
        .flat_map(|(_, l)| l.iter().flat_map(|(_, c)| c.iter()));
    let (mut x_max, mut y_min, mut y_max) = (1.0f64, f64::INFINITY, f64::NEG_INFINITY);
    for &(x, y) in all {
        x_max = x_max.max(x);
        y_min = y_min.min(y);
        y_max = y_max.max(y);
    }
    if !y_min.is_finite() {
        return Err("no data".into());
    }
    let (y_low, y_high) = (y_min.floor(), (y_max.ceil()).max(y_min.floor() + 1.0));
    let columns = 2usize.min(curves.len());
    let rows = curves.len().div_ceil(columns);
    let size = (960u32, 280 * rows as u32);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let panels = root.split_evenly((rows, columns));
        for (panel, (step, lines)) in panels.iter().zip(&curves) {
            let mut chart = ChartBuilder::on(panel)
                .caption(*step, ("sans-serif", 15))
                .margin(10)
                .margin_right(34)
                .x_label_area_size(30)
                .y_label_area_size(60)
                .build_cartesian_2d(0f64..x_max.ceil(), y_low..y_high)
                .map_err(err)?;
            chart
                .configure_mesh()
                .x_labels(x_max.ceil() as usize + 1)
                .x_label_formatter(&|x| percent_label(*x))
                .y_labels((y_high - y_low) as usize + 1)
                .y_label_formatter(&|y| latency_label(*y))
                .label_style(("sans-serif", 12))
                .draw()
                .map_err(err)?;
            for (i, points) in lines {
                chart
                    .draw_series(LineSeries::new(
                        points.iter().copied(),
                        colour(*i).stroke_width(2),
                    ))
                    .map_err(err)?;
            }
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
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
        assert_eq!(c.first().unwrap().0, 0.0);
        assert!(
            (c.last().unwrap().0 - 4.0).abs() < 1e-9,
            "10^4 values: to 99.99 %"
        );
        assert!(c.windows(2).all(|w| w[1].1 >= w[0].1), "{c:?}");
        // At 90 % (x = 1) the value is about 9000 µs.
        let at90 = c.iter().find(|p| (p.0 - 1.0).abs() < 1e-9).unwrap().1;
        assert!((10f64.powf(at90) - 9000.0).abs() < 20.0, "{at90}");
    }

    #[test]
    fn axis_labels_name_percentiles_and_decades() {
        assert_eq!(percent_label(0.0), "0%");
        assert_eq!(percent_label(1.0), "90%");
        assert_eq!(percent_label(2.0), "99%");
        assert_eq!(percent_label(3.0), "99.9%");
        assert_eq!(percent_label(1.5), "");
        assert_eq!(latency_label(2.0), "100 µs");
        assert_eq!(latency_label(3.0), "1 ms");
        assert_eq!(latency_label(6.0), "1 s");
        assert_eq!(latency_label(2.5), "");
    }

    #[test]
    fn a_run_without_histograms_says_why() {
        let dir = tempfile::tempdir().unwrap();
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
            for row in HistogramRow::of("floor", repeat, &step, kind) {
                w.write(&row).unwrap();
            }
        }
        drop(w);
        let spectra = read(dir.path()).unwrap();
        assert_eq!(spectra.len(), 1);
        let (h, series) = &spectra[0].1["floor"];
        assert_eq!(series, "intended");
        assert_eq!(h.len(), 200, "two repeats of 100");
        assert!(h.min() >= 1000, "the intended values");
    }
}
