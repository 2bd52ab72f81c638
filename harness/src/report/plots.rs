//! The report's figures: one function per figure, inline SVG, shared colours and sizes.
//!
//! Plotters draws with its SVG backend only (no font libraries: text is left to the browser).

use plotters::prelude::*;

/// Per stack, one value (or none) per load step.
pub type PerStep<T> = [(String, Vec<Option<T>>)];

/// Width and height of every figure, pixels.
pub const SIZE: (u32, u32) = (760, 340);
pub(super) const FONT: &str = "sans-serif";
/// The fine grid.
pub(super) const LIGHT: RGBColor = RGBColor(0xf2, 0xf3, 0xf5);
/// Reference lines (the floor stack, the target rate).
pub(super) const REFERENCE: RGBColor = RGBColor(0x75, 0x75, 0x75);

/// One colour per stack position, the same in every figure.
const PALETTE: [RGBColor; 8] = [
    RGBColor(0x4e, 0x79, 0xa7),
    RGBColor(0xf2, 0x8e, 0x2b),
    RGBColor(0xe1, 0x57, 0x59),
    RGBColor(0x76, 0xb7, 0xb2),
    RGBColor(0x59, 0xa1, 0x4f),
    RGBColor(0xed, 0xc9, 0x48),
    RGBColor(0xb0, 0x7a, 0xa1),
    RGBColor(0x9c, 0x75, 0x5f),
];

/// The colour of the stack at `index` in the report's order.
pub fn colour(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

/// The colour as CSS, for legends drawn in HTML.
pub fn css_colour(index: usize) -> String {
    let RGBColor(r, g, b) = colour(index);
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// A figure that could not be drawn.
#[derive(Debug, thiserror::Error)]
#[error("cannot draw {figure}: {message}")]
pub struct PlotError {
    /// Which figure.
    pub figure: &'static str,
    /// What went wrong.
    pub message: String,
}

pub(super) fn fail<E: std::fmt::Debug>(figure: &'static str) -> impl Fn(E) -> PlotError {
    move |e| PlotError {
        figure,
        message: format!("{e:?}"),
    }
}

/// Idle, under-load and peak memory per stack (grouped bars, MiB), with the floor stack's
/// under-load figure as a dashed reference line.
pub fn memory_bars(
    stacks: &[(String, [Option<f64>; 3])],
    floor: Option<f64>,
) -> Result<String, PlotError> {
    const FIGURE: &str = "memory per stack";
    let err = fail(FIGURE);
    let top = stacks
        .iter()
        .flat_map(|(_, v)| v.iter().flatten())
        .copied()
        .fold(1.0f64, f64::max)
        * 1.15;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(&err)?;
        let n = stacks.len().max(1) as f64;
        let names: Vec<String> = stacks.iter().map(|(s, _)| s.clone()).collect();
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(-0.5f64..n - 0.5, 0f64..top)
            .map_err(&err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(stacks.len().max(1) * 2 + 1)
            .x_label_formatter(&|x| label_at(&names, *x))
            .y_desc("MiB")
            .light_line_style(LIGHT)
            .label_style((FONT, 13))
            .draw()
            .map_err(&err)?;
        let shades = [0.35, 0.7, 1.0];
        for (i, (_, values)) in stacks.iter().enumerate() {
            for (j, value) in values.iter().enumerate() {
                let Some(value) = value else { continue };
                let x0 = i as f64 - 0.36 + j as f64 * 0.24;
                let style = colour(i).mix(shades[j]).filled();
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(x0, 0.0), (x0 + 0.22, *value)],
                        style,
                    )))
                    .map_err(&err)?;
            }
        }
        if let Some(floor) = floor {
            chart
                .draw_series(DashedLineSeries::new(
                    [(-0.5, floor), (n - 0.5, floor)],
                    6,
                    4,
                    REFERENCE.stroke_width(1),
                ))
                .map_err(&err)?;
        }
        root.present().map_err(&err)?;
    }
    Ok(svg)
}

/// The service's memory through the scenario, one line per stack (seconds since its start, MiB).
pub fn memory_over_time(series: &[(String, Vec<(f64, f64)>)]) -> Result<String, PlotError> {
    lines(
        "memory over time",
        series,
        "seconds since the service started",
        "RSS MiB",
        false,
    )
}

/// Latency per load step: p50 (solid) and p99 (thin) of seeded ids, µs, on a log scale.
pub fn latency_by_step(
    steps: &[String],
    stacks: &PerStep<(f64, f64)>,
) -> Result<String, PlotError> {
    const FIGURE: &str = "latency per step";
    let err = fail(FIGURE);
    let values: Vec<f64> = stacks
        .iter()
        .flat_map(|(_, v)| v.iter().flatten().flat_map(|(a, b)| [*a, *b]))
        .filter(|v| *v > 0.0)
        .collect();
    let low = values
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min)
        .min(100.0)
        * 0.8;
    let high = values.iter().copied().fold(1.0, f64::max).max(low * 10.0) * 1.25;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(&err)?;
        let n = steps.len().max(1) as f64;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(-0.3f64..n - 0.7, (low..high).log_scale())
            .map_err(&err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(steps.len().max(1) * 2 + 1)
            .x_label_formatter(&|x| label_at(steps, *x))
            .y_desc("µs (log scale)")
            .y_labels(6)
            .y_label_formatter(&|v| format!("{v:.0}"))
            .light_line_style(LIGHT)
            .label_style((FONT, 13))
            .draw()
            .map_err(&err)?;
        for (i, (_, per_step)) in stacks.iter().enumerate() {
            let p50: Vec<(f64, f64)> = points(per_step, |(p50, _)| p50);
            let p99: Vec<(f64, f64)> = points(per_step, |(_, p99)| p99);
            chart
                .draw_series(LineSeries::new(p50.clone(), colour(i).stroke_width(2)))
                .map_err(&err)?;
            chart
                .draw_series(
                    p50.iter()
                        .map(|&(x, y)| Circle::new((x, y), 3, colour(i).filled())),
                )
                .map_err(&err)?;
            chart
                .draw_series(DashedLineSeries::new(p99, 5, 3, colour(i).stroke_width(1)))
                .map_err(&err)?;
        }
        root.present().map_err(&err)?;
    }
    Ok(svg)
}

/// Achieved requests per second per step, one line per stack, the target as a grey dashed
/// line; steps where the load generator was saturated are marked with a cross.
pub fn throughput(
    steps: &[String],
    targets: &[Option<f64>],
    stacks: &PerStep<(f64, bool)>,
) -> Result<String, PlotError> {
    const FIGURE: &str = "throughput";
    let err = fail(FIGURE);
    let top = stacks
        .iter()
        .flat_map(|(_, v)| v.iter().flatten().map(|(r, _)| *r))
        .chain(targets.iter().flatten().copied())
        .fold(1.0f64, f64::max)
        * 1.15;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(&err)?;
        let n = steps.len().max(1) as f64;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(-0.3f64..n - 0.7, 0f64..top)
            .map_err(&err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(steps.len().max(1) * 2 + 1)
            .x_label_formatter(&|x| label_at(steps, *x))
            .y_desc("requests per second")
            .light_line_style(LIGHT)
            .label_style((FONT, 13))
            .draw()
            .map_err(&err)?;
        let target: Vec<(f64, f64)> = targets
            .iter()
            .enumerate()
            .filter_map(|(i, t)| t.map(|t| (i as f64, t)))
            .collect();
        chart
            .draw_series(DashedLineSeries::new(
                target,
                6,
                4,
                REFERENCE.stroke_width(2),
            ))
            .map_err(&err)?;
        for (i, (_, per_step)) in stacks.iter().enumerate() {
            let achieved: Vec<(f64, f64)> = points(per_step, |(rps, _)| rps);
            chart
                .draw_series(LineSeries::new(achieved, colour(i).stroke_width(2)))
                .map_err(&err)?;
            let bound = per_step.iter().enumerate().filter_map(|(x, v)| {
                v.filter(|(_, bound)| *bound)
                    .map(|(rps, _)| (x as f64, rps))
            });
            chart
                .draw_series(bound.map(|p| Cross::new(p, 6, colour(i).stroke_width(2))))
                .map_err(&err)?;
        }
        root.present().map_err(&err)?;
    }
    Ok(svg)
}

/// Every cold start per stack (ms from start to the first 200 from `/health`), as dots.
pub fn boot_times(stacks: &[(String, Vec<f64>)]) -> Result<String, PlotError> {
    const FIGURE: &str = "boot time";
    let err = fail(FIGURE);
    let values: Vec<f64> = stacks.iter().flat_map(|(_, v)| v.iter().copied()).collect();
    let high = values.iter().copied().fold(1.0f64, f64::max) * 1.6;
    let low = values
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min)
        .min(high / 20.0)
        * 0.7;
    let names: Vec<String> = stacks.iter().map(|(s, _)| s.clone()).collect();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(&err)?;
        let n = stacks.len().max(1) as f64;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(-0.5f64..n - 0.5, (low.max(0.01)..high).log_scale())
            .map_err(&err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(stacks.len().max(1) * 2 + 1)
            .x_label_formatter(&|x| label_at(&names, *x))
            .y_desc("ms (log scale)")
            .y_labels(6)
            .y_label_formatter(&|v| format!("{v:.1}"))
            .light_line_style(LIGHT)
            .label_style((FONT, 13))
            .draw()
            .map_err(&err)?;
        for (i, (_, boots)) in stacks.iter().enumerate() {
            let spread = boots.len().max(1) as f64;
            chart
                .draw_series(boots.iter().enumerate().map(|(k, &ms)| {
                    // Spread the dots sideways by start number so equal values stay visible.
                    let x = i as f64 - 0.2 + 0.4 * (k as f64 + 0.5) / spread;
                    Circle::new((x, ms), 3, colour(i).filled())
                }))
                .map_err(&err)?;
        }
        root.present().map_err(&err)?;
    }
    Ok(svg)
}

/// Service CPU per 1000 requests per stack, ms (bars).
pub fn cpu_per_1000(stacks: &[(String, Option<f64>)]) -> Result<String, PlotError> {
    const FIGURE: &str = "CPU per 1000 requests";
    let err = fail(FIGURE);
    let top = stacks.iter().filter_map(|(_, v)| *v).fold(1.0f64, f64::max) * 1.15;
    let names: Vec<String> = stacks.iter().map(|(s, _)| s.clone()).collect();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(&err)?;
        let n = stacks.len().max(1) as f64;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(-0.5f64..n - 0.5, 0f64..top)
            .map_err(&err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(stacks.len().max(1) * 2 + 1)
            .x_label_formatter(&|x| label_at(&names, *x))
            .y_desc("CPU ms per 1000 requests")
            .light_line_style(LIGHT)
            .label_style((FONT, 13))
            .draw()
            .map_err(&err)?;
        for (i, (_, value)) in stacks.iter().enumerate() {
            let Some(value) = value else { continue };
            let x = i as f64;
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x - 0.3, 0.0), (x + 0.3, *value)],
                    colour(i).filled(),
                )))
                .map_err(&err)?;
        }
        root.present().map_err(&err)?;
    }
    Ok(svg)
}

fn lines(
    figure: &'static str,
    series: &[(String, Vec<(f64, f64)>)],
    x_desc: &str,
    y_desc: &str,
    zero_based_x: bool,
) -> Result<String, PlotError> {
    let err = fail(figure);
    let points = series.iter().flat_map(|(_, p)| p.iter());
    let (mut x_max, mut y_max) = (1.0f64, 1.0f64);
    let mut x_min = if zero_based_x { 0.0 } else { f64::INFINITY };
    for &(x, y) in points {
        x_max = x_max.max(x);
        x_min = x_min.min(x);
        y_max = y_max.max(y);
    }
    if !x_min.is_finite() {
        x_min = 0.0;
    }
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(&err)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(x_min.min(0.0)..x_max, 0f64..y_max * 1.15)
            .map_err(&err)?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .light_line_style(LIGHT)
            .label_style((FONT, 13))
            .draw()
            .map_err(&err)?;
        for (i, (_, p)) in series.iter().enumerate() {
            chart
                .draw_series(LineSeries::new(
                    p.iter().copied(),
                    colour(i).stroke_width(2),
                ))
                .map_err(&err)?;
        }
        root.present().map_err(&err)?;
    }
    Ok(svg)
}

/// The label of the category at whole-number `x`, nothing between categories.
pub(super) fn label_at(names: &[String], x: f64) -> String {
    let i = x.round();
    if (x - i).abs() > 0.01 || i < 0.0 {
        return String::new();
    }
    names.get(i as usize).cloned().unwrap_or_default()
}

fn points<T: Copy>(values: &[Option<T>], pick: impl Fn(T) -> f64) -> Vec<(f64, f64)> {
    values
        .iter()
        .enumerate()
        .filter_map(|(x, v)| v.map(|v| (x as f64, pick(v))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_figure_is_an_svg_with_its_data() {
        let stacks = vec![
            ("floor".to_owned(), [Some(1.2), Some(1.5), Some(2.0)]),
            ("axum".to_owned(), [Some(1.8), Some(2.0), None]),
        ];
        let svg = memory_bars(&stacks, Some(1.5)).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("floor") && svg.contains("axum"));
        assert_eq!(
            svg.matches("<rect").count(),
            1 + 5,
            "background and five bars"
        );
        let steps = vec!["s1".to_owned(), "s2".to_owned()];
        let svg =
            latency_by_step(&steps, &[("axum".into(), vec![Some((300.0, 900.0)), None])]).unwrap();
        assert!(svg.contains("s1") && svg.contains("<circle"));
        let svg = throughput(
            &steps,
            &[Some(100.0), Some(200.0)],
            &[(
                "axum".into(),
                vec![Some((99.0, false)), Some((150.0, true))],
            )],
        )
        .unwrap();
        assert!(svg.contains("<polyline") || svg.contains("<path") || svg.contains("<line"));
        let svg = boot_times(&[("axum".into(), vec![1.5, 1.6, 2.0])]).unwrap();
        assert_eq!(svg.matches("<circle").count(), 3);
        let svg = cpu_per_1000(&[("axum".into(), Some(36.0)), ("go".into(), None)]).unwrap();
        assert_eq!(svg.matches("<rect").count(), 2);
        let svg = memory_over_time(&[("axum".into(), vec![(0.0, 1.8), (1.0, 2.0)])]).unwrap();
        assert!(svg.contains("seconds since the service started"));
    }

    #[test]
    fn empty_data_still_draws_an_empty_figure() {
        assert!(memory_bars(&[], None).is_ok());
        assert!(latency_by_step(&[], &[]).is_ok());
        assert!(boot_times(&[]).is_ok());
        assert!(memory_over_time(&[]).is_ok());
    }

    #[test]
    fn category_labels_only_on_whole_numbers() {
        let names = vec!["a".to_owned(), "b".to_owned()];
        assert_eq!(label_at(&names, 1.0), "b");
        assert_eq!(label_at(&names, 0.5), "");
        assert_eq!(label_at(&names, 2.0), "");
    }
}
