//! The axes of a plot: each axis's range and labelled ticks ([`Ticks`]: whole decades on a log
//! axis, round steps on a linear one), and the [`Frame`] that maps values onto the plot area
//! and draws the area, its grid, ticks and the axes' names.

use std::fmt::Write as _;

use super::{Axis, GRID, INK, MARGIN, PAD, SIZE, Scale, XAxis, escape};

/// An axis's range and its labelled ticks.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Ticks {
    scale: Scale,
    /// The axis's lowest value.
    pub(super) low: f64,
    high: f64,
    /// Labelled ticks, low to high.
    at: Vec<f64>,
}

impl Ticks {
    /// The range and ticks that hold every one of `values`, with room for a marker at the top.
    pub(super) fn fit(scale: Scale, values: &[f64]) -> Self {
        let finite = values.iter().copied().filter(|v| v.is_finite());
        let (min, max) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
        match scale {
            Scale::Log => {
                let (min, max) = if min.is_finite() && min > 0.0 {
                    (min, max)
                } else {
                    (1.0, 10.0)
                };
                // Whole decades, and a little head room so the highest marker stays inside.
                let low = 10f64.powf((min / 1.08).log10().floor());
                let high = 10f64.powf((max * 1.08).log10().ceil()).max(low * 10.0);
                let decades = (high / low).log10().round() as i32;
                let mut at = Vec::new();
                for d in 0..=decades {
                    let decade = low * 10f64.powi(d);
                    at.push(decade);
                    if decades <= 2 && d < decades {
                        at.extend([2.0 * decade, 5.0 * decade]);
                    }
                }
                Self {
                    scale,
                    low,
                    high,
                    at,
                }
            }
            Scale::Zero | Scale::Linear => {
                let (mut min, mut max) = if min.is_finite() {
                    (min, max)
                } else {
                    (0.0, 1.0)
                };
                if scale == Scale::Zero {
                    min = min.min(0.0);
                    max = max.max(0.0);
                }
                if max - min < f64::EPSILON * max.abs().max(1.0) {
                    max = min + min.abs().max(1.0);
                }
                let span = (max - min) * 1.05;
                let step = nice_step(span / 6.0);
                let low = (min / step).floor() * step;
                let high = ((min + span) / step).ceil() * step;
                let count = ((high - low) / step).round() as usize;
                let at = (0..=count).map(|i| low + step * i as f64).collect();
                Self {
                    scale,
                    low,
                    high,
                    at,
                }
            }
        }
    }

    /// Where `v` falls, 0 at `low` to 1 at `high`.
    fn share(&self, v: f64) -> f64 {
        match self.scale {
            Scale::Log => {
                (v.max(self.low * 1e-3).log10() - self.low.log10())
                    / (self.high.log10() - self.low.log10())
            }
            Scale::Zero | Scale::Linear => (v - self.low) / (self.high - self.low),
        }
    }
}

/// 1, 2 or 5 times a power of ten, at least `raw`.
fn nice_step(raw: f64) -> f64 {
    let raw = if raw > 0.0 && raw.is_finite() {
        raw
    } else {
        1.0
    };
    let power = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| *s >= raw * 0.999)
        .unwrap_or(10.0 * power)
}

/// A tick's label: short, and exact at decades.
fn tick_label(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 && (v / 1e6).fract().abs() < 1e-9 {
        format!("{}M", v / 1e6)
    } else if a >= 1e4 && (v / 1e3).fract().abs() < 1e-9 {
        format!("{}k", v / 1e3)
    } else if a >= 1.0 || a == 0.0 {
        let text = format!("{v:.2}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        // Enough decimals for 0.5, 0.01, 0.002 …
        let decimals = (-a.log10()).ceil() as usize + 1;
        let text = format!("{v:.decimals$}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// The horizontal mapping: categories in bands, or values.
pub(super) enum Horizontal {
    Categories(usize),
    Values(Ticks),
}

/// Where the plot area sits and how values map onto it.
pub(super) struct Frame {
    /// The plot area's left edge.
    pub(super) left: f64,
    /// Its right edge.
    pub(super) right: f64,
    top: f64,
    bottom: f64,
    x: Horizontal,
    /// The vertical axis's range and ticks.
    pub(super) y: Ticks,
}

impl Frame {
    /// The frame of a plot with these axes whose area begins `top` from the top.
    pub(super) fn new(x: Horizontal, y: Ticks, top: f64) -> Self {
        let (w, h) = SIZE;
        Self {
            left: MARGIN.0,
            right: w - MARGIN.1,
            top,
            bottom: h - MARGIN.3,
            x,
            y,
        }
    }

    /// The width of one category's band (the whole width for a value axis).
    pub(super) fn band(&self) -> f64 {
        match self.x {
            Horizontal::Categories(n) => (self.right - self.left) / n as f64,
            Horizontal::Values(_) => self.right - self.left,
        }
    }

    /// Where `v` falls across the plot area.
    pub(super) fn x(&self, v: f64) -> f64 {
        match &self.x {
            Horizontal::Categories(_) => self.left + (v + 0.5) * self.band(),
            Horizontal::Values(t) => {
                self.left + PAD + t.share(v) * (self.right - self.left - 2.0 * PAD)
            }
        }
    }

    /// Where `v` falls down the plot area.
    pub(super) fn y(&self, v: f64) -> f64 {
        self.bottom - PAD - self.y.share(v) * (self.bottom - self.top - 2.0 * PAD)
    }

    /// The plot area, grid, ticks and their labels, and the axes' names.
    pub(super) fn draw_axes(&self, svg: &mut String, x: &XAxis, y: &Axis) {
        let (l, r, t, b) = (self.left, self.right, self.top, self.bottom);
        let scale = match y.scale {
            Scale::Log => "log",
            Scale::Zero | Scale::Linear => "linear",
        };
        let _ = write!(
            svg,
            r##"<rect x="0" y="0" width="{}" height="{}" fill="#ffffff"/><rect class="plot-area" x="{l}" y="{t}" width="{}" height="{}" fill="#fbfcfd" stroke="{GRID}" data-y-scale="{scale}"/>"##,
            SIZE.0,
            SIZE.1,
            r - l,
            b - t
        );
        svg.push_str(r#"<g class="axis y">"#);
        for &v in &self.y.at {
            let py = self.y(v);
            let _ = write!(
                svg,
                r#"<line x1="{l}" y1="{py:.1}" x2="{r}" y2="{py:.1}" stroke="{GRID}"/><text class="tick y" x="{:.1}" y="{:.1}" text-anchor="end" fill="{INK}">{}</text>"#,
                l - 8.0,
                py + 4.5,
                tick_label(v)
            );
        }
        let _ = write!(
            svg,
            r#"<text class="axis-label" transform="translate(16 {:.1}) rotate(-90)" text-anchor="middle" fill="{INK}">{}</text></g>"#,
            (t + b) / 2.0,
            escape(&y.label)
        );
        svg.push_str(r#"<g class="axis x">"#);
        let _ = write!(
            svg,
            r#"<line x1="{l}" y1="{b}" x2="{r}" y2="{b}" stroke="{INK}"/><line x1="{l}" y1="{t}" x2="{l}" y2="{b}" stroke="{INK}"/>"#
        );
        match (x, &self.x) {
            (XAxis::Categories { names, groups }, _) => {
                for (i, name) in names.iter().enumerate() {
                    let _ = write!(
                        svg,
                        r#"<text class="tick x" x="{:.1}" y="{:.1}" text-anchor="middle" fill="{INK}">{}</text>"#,
                        self.x(i as f64),
                        b + 20.0,
                        escape(name)
                    );
                }
                for (name, first, last) in groups {
                    let (from, to) = (
                        self.x(*first as f64 - 0.5) + 6.0,
                        self.x(*last as f64 + 0.5) - 6.0,
                    );
                    let _ = write!(
                        svg,
                        r#"<line x1="{from:.1}" y1="{:.1}" x2="{to:.1}" y2="{:.1}" stroke="{GRID}" stroke-width="2"/><text x="{:.1}" y="{:.1}" text-anchor="middle" fill="{INK}" font-size="12" font-weight="600">{}</text>"#,
                        b + 32.0,
                        b + 32.0,
                        (from + to) / 2.0,
                        b + 48.0,
                        escape(name)
                    );
                }
            }
            (XAxis::Values(axis), Horizontal::Values(ticks)) => {
                for &v in &ticks.at {
                    let px = self.x(v);
                    let _ = write!(
                        svg,
                        r#"<line x1="{px:.1}" y1="{t}" x2="{px:.1}" y2="{b}" stroke="{GRID}"/><text class="tick x" x="{px:.1}" y="{:.1}" text-anchor="middle" fill="{INK}">{}</text>"#,
                        b + 20.0,
                        tick_label(v)
                    );
                }
                let _ = write!(
                    svg,
                    r#"<text class="axis-label" x="{:.1}" y="{:.1}" text-anchor="middle" fill="{INK}">{}</text>"#,
                    (l + r) / 2.0,
                    b + 44.0,
                    escape(&axis.label)
                );
            }
            (XAxis::Values(_), Horizontal::Categories(_)) => {}
        }
        svg.push_str("</g>");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_axes_span_whole_decades_and_label_each() {
        let t = Ticks::fit(Scale::Log, &[1.6, 250.0]);
        assert_eq!((t.low, t.high), (1.0, 1000.0));
        assert_eq!(t.at, [1.0, 10.0, 100.0, 1000.0]);
        // Within one decade the 2s and 5s are labelled too: never a single label.
        let t = Ticks::fit(Scale::Log, &[1.3, 2.0]);
        assert_eq!(t.at, [1.0, 2.0, 5.0, 10.0]);
        // A value on a decade gets head room above it.
        let t = Ticks::fit(Scale::Log, &[100.0]);
        assert!(t.high > 100.0 && t.low < 100.0, "{t:?}");
    }

    #[test]
    fn linear_axes_hold_the_highest_value_with_round_ticks() {
        let t = Ticks::fit(Scale::Zero, &[99.0, 1514.0, 2000.0]);
        assert_eq!(t.low, 0.0);
        assert!(t.high >= 2000.0 * 1.05, "{t:?}");
        assert!(
            t.at.windows(2)
                .all(|w| ((w[1] - w[0]) - 500.0).abs() < 1e-9),
            "{t:?}"
        );
        let flat = Ticks::fit(Scale::Linear, &[5.0, 5.0]);
        assert!(flat.low <= 5.0 && flat.high > 5.0);
    }

    #[test]
    fn tick_labels_are_short() {
        assert_eq!(tick_label(1000.0), "1000");
        assert_eq!(tick_label(10_000.0), "10k");
        assert_eq!(tick_label(1_000_000.0), "1M");
        assert_eq!(tick_label(0.1), "0.1");
        assert_eq!(tick_label(2.5), "2.5");
        assert_eq!(tick_label(0.0), "0");
    }
}
