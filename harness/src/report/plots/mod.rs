//! The report's plotting code: one [`Plot`] (a category or value x axis, a linear or log y
//! axis, and layers of bars, ranges, series and reference lines) written as inline SVG, with the
//! shared colours and sizes. Every figure of a report is a `Plot` filled in by
//! [`figures`](super::figures); other sections draw theirs the same way (for a log-axis line
//! chart: [`line_chart`] with [`Scale::Log`]).
//!
//! The SVG is written here rather than through a plotting crate because the report needs two
//! things plotters' SVG backend cannot give: a `<title>` on every mark (its exact value on
//! hover) and log axes labelled at their decades. What is written is a handful of element
//! kinds whose shape the tests check by parsing: the plot area is `<rect class="plot-area">`
//! (with `data-y-scale`), tick labels are `<text class="tick y">` / `<text class="tick x">`,
//! and every data mark sits in a `<g class="series">`, `<g class="bars">` or
//! `<g class="reference">`.

mod axes;
mod marks;

use std::fmt::Write as _;

use axes::{Frame, Horizontal, Ticks};
use marks::{dash, draw_legend, marker};

/// Width and height of every figure, pixels (the SVG scales to the page's width).
pub const SIZE: (f64, f64) = (1150.0, 400.0);
/// Space around the plot area: left (tick labels and the y axis's name), right, top (the
/// legend), bottom (tick labels, the x axis's name, category groups).
const MARGIN: (f64, f64, f64, f64) = (78.0, 24.0, 40.0, 64.0);
const FONT: &str = "system-ui, sans-serif";
/// Room inside the plot area around the axes' ranges, so a marker at either end stays in it.
const PAD: f64 = 7.0;
/// The legend's first row, and the height of each.
const LEGEND_Y: f64 = 18.0;
const LEGEND_ROW: f64 = 20.0;
/// Ink for axes and labels.
const INK: &str = "#3a4150";
/// The grid.
const GRID: &str = "#e6e9ef";
/// Reference lines with no stack of their own (a target rate).
pub const REFERENCE: &str = "#6b7280";

/// One colour per stack position, the same in every figure and table: the Okabe-Ito palette,
/// told apart by readers with any common form of colour blindness (Okabe and Ito, "Color
/// Universal Design", 2008); yellow, the faintest on white, last.
const PALETTE: [&str; 8] = [
    "#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#000000", "#c9b400",
];

/// The colour of the stack at `index` in the run's order, as CSS.
pub fn css_colour(index: usize) -> String {
    PALETTE[index % PALETTE.len()].to_owned()
}

/// A figure that could not be drawn.
#[derive(Debug, thiserror::Error)]
#[error("cannot draw {figure}: {message}")]
pub struct PlotError {
    /// Which figure.
    pub figure: String,
    /// What went wrong.
    pub message: String,
}

/// How values map onto an axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Linear, from zero up.
    Zero,
    /// Linear, from the data's lowest value.
    Linear,
    /// Logarithmic, labelled at every decade (and at 2 and 5 within short ranges).
    Log,
}

/// A value axis: its name (with the unit) and scale.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// Shown beside the axis, e.g. `MiB (log scale)`.
    pub label: String,
    /// How values map onto it.
    pub scale: Scale,
}

impl Axis {
    /// An axis called `label` on `scale`.
    pub fn new(label: impl Into<String>, scale: Scale) -> Self {
        Self {
            label: label.into(),
            scale,
        }
    }
}

/// The horizontal axis.
#[derive(Debug, Clone, PartialEq)]
pub enum XAxis {
    /// Named categories at x = 0, 1, 2, …, each in a band of its own; marks may sit between
    /// -0.5 and `n - 0.5`. `groups` names runs of categories (first, last index) beneath them.
    Categories {
        /// The categories, left to right.
        names: Vec<String>,
        /// Named runs of categories: name, first and last index.
        groups: Vec<(String, usize, usize)>,
    },
    /// Values.
    Values(Axis),
}

/// What a point of a series looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// Filled circle.
    Dot,
    /// Open circle.
    Ring,
    /// A short horizontal bar.
    Dash,
    /// A cross (a step where something went wrong).
    Cross,
    /// Open square.
    Square,
    /// Open triangle, point up.
    Triangle,
    /// Open diamond.
    Diamond,
    /// Nothing visible; the point still carries its title for hovering.
    Hidden,
}

/// How the points of a series are joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    /// A solid line.
    Solid,
    /// A dashed line.
    Dashed,
    /// Not joined.
    None,
}

/// One data point: where, and what hovering over it says.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// x (a category's index, or a value).
    pub x: f64,
    /// y.
    pub y: f64,
    /// The exact value in words, shown on hover.
    pub title: String,
}

impl Point {
    /// A point at (`x`, `y`) titled `title`.
    pub fn new(x: f64, y: f64, title: impl Into<String>) -> Self {
        Self {
            x,
            y,
            title: title.into(),
        }
    }
}

/// A series of points: a stack's line, or its dots.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Its name (`data-name`, and the line's title).
    pub name: String,
    /// CSS colour.
    pub colour: String,
    /// How points are joined.
    pub line: Line,
    /// How points look.
    pub marker: Marker,
    /// CSS class of its marks (`saturated` for the crosses of saturated steps).
    pub class: Option<&'static str>,
    /// The points, in x order.
    pub points: Vec<Point>,
}

impl Series {
    /// A series called `name` in `colour`, joined by `line`, its points shown as `marker`.
    pub fn new(
        name: impl Into<String>,
        colour: impl Into<String>,
        line: Line,
        marker: Marker,
    ) -> Self {
        Self {
            name: name.into(),
            colour: colour.into(),
            line,
            marker,
            class: None,
            points: Vec::new(),
        }
    }
}

/// A bar from the axis's base up to `value`, in slot `slot` of `slots` within its category.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// The category's index.
    pub category: usize,
    /// Which of the category's bars.
    pub slot: usize,
    /// How many bars the category holds.
    pub slots: usize,
    /// Its height.
    pub value: f64,
    /// CSS colour.
    pub colour: String,
    /// Shown on hover.
    pub title: String,
}

/// A vertical segment at `x` from `low` to `high` (a stack's idle-to-peak range, say).
#[derive(Debug, Clone, PartialEq)]
pub struct Range {
    /// Where.
    pub x: f64,
    /// Its lower end.
    pub low: f64,
    /// Its upper end.
    pub high: f64,
    /// CSS colour.
    pub colour: String,
    /// Shown on hover.
    pub title: String,
}

/// A horizontal dashed line across the plot, labelled at its right end.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    /// Its height.
    pub y: f64,
    /// Written beside it (and its title).
    pub label: String,
    /// CSS colour.
    pub colour: String,
}

/// An entry of the legend above the plot: a swatch or a line style, and its words.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    /// What it stands for.
    pub label: String,
    /// CSS colour.
    pub colour: String,
    /// The line drawn in the legend.
    pub line: Line,
    /// The marker drawn in the legend.
    pub marker: Marker,
}

impl Key {
    /// A stack's colour.
    pub fn colour(label: impl Into<String>, colour: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            colour: colour.into(),
            line: Line::None,
            marker: Marker::Dot,
        }
    }

    /// A line or marker style, in the axes' ink.
    pub fn style(label: impl Into<String>, line: Line, marker: Marker) -> Self {
        Self {
            label: label.into(),
            colour: INK.to_owned(),
            line,
            marker,
        }
    }
}

/// A figure: axes and its layers, drawn bars first, then ranges, references and series.
#[derive(Debug, Clone, PartialEq)]
pub struct Plot {
    /// The figure's name, for errors and the SVG's label.
    pub name: String,
    /// The horizontal axis.
    pub x: XAxis,
    /// The vertical axis.
    pub y: Axis,
    /// Bars.
    pub bars: Vec<Bar>,
    /// Vertical ranges.
    pub ranges: Vec<Range>,
    /// Lines and points.
    pub series: Vec<Series>,
    /// Horizontal reference lines.
    pub references: Vec<Reference>,
    /// The legend, left to right.
    pub legend: Vec<Key>,
}

impl Plot {
    /// An empty figure called `name` on these axes.
    pub fn new(name: impl Into<String>, x: XAxis, y: Axis) -> Self {
        Self {
            name: name.into(),
            x,
            y,
            bars: Vec::new(),
            ranges: Vec::new(),
            series: Vec::new(),
            references: Vec::new(),
            legend: Vec::new(),
        }
    }

    /// Every y value the figure shows: its y axis is fitted to these, so nothing is cut off.
    fn y_values(&self) -> Vec<f64> {
        let mut values: Vec<f64> = self.bars.iter().map(|b| b.value).collect();
        values.extend(self.ranges.iter().flat_map(|r| [r.low, r.high]));
        values.extend(self.references.iter().map(|r| r.y));
        values.extend(
            self.series
                .iter()
                .flat_map(|s| s.points.iter().map(|p| p.y)),
        );
        values
    }

    /// The figure as an SVG element.
    pub fn svg(&self) -> Result<String, PlotError> {
        let error = |message: String| PlotError {
            figure: self.name.clone(),
            message,
        };
        let ys = self.y_values();
        if let Some(bad) = ys.iter().find(|v| !v.is_finite()) {
            return Err(error(format!("a value is not a number ({bad})")));
        }
        if let Some(bad) = ys.iter().find(|v| self.y.scale == Scale::Log && **v <= 0.0) {
            return Err(error(format!(
                "{bad} cannot be shown on a log axis ({})",
                self.y.label
            )));
        }
        let y = Ticks::fit(self.y.scale, &ys);
        let x = match &self.x {
            XAxis::Categories { names, .. } => Horizontal::Categories(names.len().max(1)),
            XAxis::Values(axis) => {
                let xs: Vec<f64> = self
                    .series
                    .iter()
                    .flat_map(|s| s.points.iter().map(|p| p.x))
                    .chain(self.ranges.iter().map(|r| r.x))
                    .collect();
                Horizontal::Values(Ticks::fit(axis.scale, &xs))
            }
        };
        let legend = self.legend_layout();
        let rows = legend
            .last()
            .map_or(0.0, |(_, _, y)| (y - LEGEND_Y) / LEGEND_ROW + 1.0);
        let frame = Frame::new(x, y, MARGIN.2.max(LEGEND_Y + LEGEND_ROW * rows));
        let mut svg = String::new();
        let (w, h) = SIZE;
        let _ = write!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" class="plot" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{}" font-family="{FONT}" font-size="13">"#,
            escape(&self.name)
        );
        frame.draw_axes(&mut svg, &self.x, &self.y);
        draw_legend(&mut svg, &legend);
        self.draw_bars(&mut svg, &frame);
        self.draw_ranges(&mut svg, &frame);
        self.draw_references(&mut svg, &frame);
        self.draw_series(&mut svg, &frame);
        svg.push_str("</svg>");
        Ok(svg)
    }

    /// Where each legend entry goes: left to right, wrapping onto another row at the edge.
    fn legend_layout(&self) -> Vec<(&Key, f64, f64)> {
        let (mut x, mut y) = (MARGIN.0, LEGEND_Y);
        let mut placed = Vec::new();
        for key in &self.legend {
            let width = 28.0 + 7.0 * key.label.chars().count() as f64 + 20.0;
            if x > MARGIN.0 && x + width > SIZE.0 - MARGIN.1 {
                (x, y) = (MARGIN.0, y + LEGEND_ROW);
            }
            placed.push((key, x, y));
            x += width;
        }
        placed
    }

    fn draw_bars(&self, svg: &mut String, frame: &Frame) {
        if self.bars.is_empty() {
            return;
        }
        svg.push_str(r#"<g class="bars">"#);
        let band = frame.band();
        for bar in &self.bars {
            let slots = bar.slots.max(1) as f64;
            let width = band * 0.7 / slots;
            let left = frame.x(bar.category as f64) - band * 0.35 + width * bar.slot as f64;
            let (top, base) = (frame.y(bar.value), frame.y(frame.y.low));
            let _ = write!(
                svg,
                r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{}</title></rect>"#,
                left + width * 0.06,
                top,
                width * 0.88,
                (base - top).max(0.0),
                bar.colour,
                escape(&bar.title)
            );
        }
        svg.push_str("</g>");
    }

    fn draw_ranges(&self, svg: &mut String, frame: &Frame) {
        if self.ranges.is_empty() {
            return;
        }
        svg.push_str(r#"<g class="series ranges">"#);
        for r in &self.ranges {
            let x = frame.x(r.x);
            let _ = write!(
                svg,
                r#"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="{}" stroke-width="3" stroke-opacity="0.45"><title>{}</title></line>"#,
                frame.y(r.low),
                frame.y(r.high),
                r.colour,
                escape(&r.title)
            );
        }
        svg.push_str("</g>");
    }

    fn draw_references(&self, svg: &mut String, frame: &Frame) {
        let (left, right) = (frame.left, frame.right);
        for r in &self.references {
            let y = frame.y(r.y);
            let _ = write!(
                svg,
                r#"<g class="reference"><line x1="{left:.1}" y1="{y:.1}" x2="{right:.1}" y2="{y:.1}" stroke="{}" stroke-width="1.5" stroke-dasharray="7 5"><title>{}</title></line><text x="{:.1}" y="{:.1}" text-anchor="end" fill="{}" font-size="12">{}</text></g>"#,
                r.colour,
                escape(&r.label),
                right - 4.0,
                y - 5.0,
                r.colour,
                escape(&r.label)
            );
        }
    }

    fn draw_series(&self, svg: &mut String, frame: &Frame) {
        for s in &self.series {
            let _ = write!(
                svg,
                r#"<g class="series{}" data-name="{}">"#,
                s.class.map(|c| format!(" {c}")).unwrap_or_default(),
                escape(&s.name)
            );
            if s.line != Line::None && s.points.len() > 1 {
                let points: Vec<String> = s
                    .points
                    .iter()
                    .map(|p| format!("{:.1},{:.1}", frame.x(p.x), frame.y(p.y)))
                    .collect();
                let _ = write!(
                    svg,
                    r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2"{} stroke-linejoin="round"><title>{}</title></polyline>"#,
                    points.join(" "),
                    s.colour,
                    dash(s.line),
                    escape(&s.name)
                );
            }
            for p in &s.points {
                marker(
                    svg,
                    s.marker,
                    frame.x(p.x),
                    frame.y(p.y),
                    &s.colour,
                    Some(&p.title),
                    s.class.unwrap_or(""),
                );
            }
            svg.push_str("</g>");
        }
    }
}

/// A log-axis (or linear) line chart: one series per entry, x by value or category. The
/// function other sections call for a line chart with labelled decades.
pub fn line_chart(
    name: &str,
    x: XAxis,
    y: Axis,
    series: Vec<Series>,
    legend: Vec<Key>,
) -> Result<String, PlotError> {
    let mut plot = Plot::new(name, x, y);
    plot.series = series;
    plot.legend = legend;
    plot.svg()
}

/// Text made safe for SVG.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn categories(names: &[&str]) -> XAxis {
        XAxis::Categories {
            names: names.iter().map(|n| (*n).to_owned()).collect(),
            groups: Vec::new(),
        }
    }

    #[test]
    fn every_mark_has_its_title_and_the_plot_area_is_marked() {
        let mut plot = Plot::new(
            "t",
            categories(&["a", "b"]),
            Axis::new("ms (log scale)", Scale::Log),
        );
        let mut s = Series::new("a", css_colour(0), Line::Solid, Marker::Dot);
        s.points = vec![
            Point::new(0.0, 2.0, "a: 2 ms"),
            Point::new(1.0, 300.0, "b: 300 ms"),
        ];
        plot.series.push(s);
        plot.bars.push(Bar {
            category: 1,
            slot: 0,
            slots: 1,
            value: 40.0,
            colour: css_colour(1),
            title: "b: 40 ms".into(),
        });
        plot.references.push(Reference {
            y: 5.0,
            label: "line 5 ms".into(),
            colour: REFERENCE.into(),
        });
        let svg = plot.svg().unwrap();
        for title in ["a: 2 ms", "b: 300 ms", "b: 40 ms", "line 5 ms"] {
            assert!(svg.contains(&format!("<title>{title}</title>")), "{title}");
        }
        assert!(svg.contains(r#"class="plot-area""#) && svg.contains(r#"data-y-scale="log""#));
        assert_eq!(
            svg.matches(r#"class="tick y""#).count(),
            4,
            "1, 10, 100, 1000"
        );
    }

    #[test]
    fn a_long_legend_wraps_and_pushes_the_plot_down() {
        let area_top = |keys: usize| {
            let mut plot = Plot::new("t", categories(&["a"]), Axis::new("n", Scale::Zero));
            plot.legend = (0..keys)
                .map(|i| Key::colour(format!("spring-like-tuned {i}"), css_colour(i)))
                .collect();
            let svg = plot.svg().unwrap();
            let area = &svg[svg.find(r#"class="plot-area""#).unwrap()..];
            let y = &area[area.find(r#" y=""#).unwrap() + 4..];
            y[..y.find('"').unwrap()].parse::<f64>().unwrap()
        };
        assert_eq!(area_top(2), MARGIN.2);
        assert!(area_top(12) > MARGIN.2 + LEGEND_ROW, "{}", area_top(12));
    }

    #[test]
    fn every_marker_is_a_titled_shape_in_its_colour() {
        let mut plot = Plot::new(
            "t",
            XAxis::Values(Axis::new("MiB", Scale::Log)),
            Axis::new("ms", Scale::Log),
        );
        let kinds = [
            Marker::Dot,
            Marker::Ring,
            Marker::Dash,
            Marker::Cross,
            Marker::Square,
            Marker::Triangle,
            Marker::Diamond,
            Marker::Hidden,
        ];
        for (i, kind) in kinds.into_iter().enumerate() {
            let mut s = Series::new(format!("{kind:?}"), css_colour(i), Line::None, kind);
            s.points.push(Point::new(
                2f64.powi(i as i32),
                1.0,
                format!("{kind:?} mark"),
            ));
            plot.series.push(s);
        }
        let svg = plot.svg().unwrap();
        for (i, kind) in kinds.into_iter().enumerate() {
            let title = format!("<title>{kind:?} mark</title>");
            let at = svg.find(&title).unwrap_or_else(|| panic!("{kind:?}"));
            let mark = &svg[svg[..at].rfind('<').unwrap()..at];
            assert!(mark.contains(&css_colour(i)), "{kind:?}: {mark}");
        }
        assert!(
            svg.contains("Z\" fill=\"white\""),
            "the triangle and diamond are open"
        );
    }

    #[test]
    fn a_value_a_log_axis_cannot_show_is_an_error() {
        let mut plot = Plot::new("t", categories(&["a"]), Axis::new("ms", Scale::Log));
        let mut s = Series::new("a", "#000", Line::None, Marker::Dot);
        s.points.push(Point::new(0.0, 0.0, "zero"));
        plot.series.push(s);
        let e = plot.svg().unwrap_err().to_string();
        assert!(e.contains("cannot draw t") && e.contains("log axis"), "{e}");
    }

    #[test]
    fn text_is_escaped() {
        let svg = line_chart(
            "<x>",
            categories(&["<b>"]),
            Axis::new("a & b", Scale::Zero),
            Vec::new(),
            vec![Key::colour("<i>", "#000")],
        )
        .unwrap();
        assert!(!svg.contains("<b>") && !svg.contains("<i>") && svg.contains("a &amp; b"));
    }

    #[test]
    fn empty_data_still_draws_an_empty_figure() {
        let svg = line_chart(
            "empty",
            XAxis::Values(Axis::new("s", Scale::Zero)),
            Axis::new("MiB", Scale::Log),
            Vec::new(),
            Vec::new(),
        )
        .unwrap();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }
}
