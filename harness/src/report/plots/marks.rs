//! What a plot's marks look like in SVG: each [`Marker`] shape with its title, line dashes, and
//! the legend.

use std::fmt::Write as _;

use super::{INK, Key, Line, Marker, escape};

/// The dash pattern attribute of a line style.
pub(super) fn dash(line: Line) -> &'static str {
    match line {
        Line::Dashed => r#" stroke-dasharray="6 4""#,
        Line::Solid | Line::None => "",
    }
}

/// Writes the legend, each key at the place the plot laid it out.
pub(super) fn draw_legend(svg: &mut String, placed: &[(&Key, f64, f64)]) {
    if placed.is_empty() {
        return;
    }
    svg.push_str(r#"<g class="legend">"#);
    for (key, x, y) in placed {
        let (x, y) = (*x, *y);
        if key.line != Line::None {
            let _ = write!(
                svg,
                r#"<line x1="{x}" y1="{y}" x2="{}" y2="{y}" stroke="{}" stroke-width="2"{}/>"#,
                x + 22.0,
                key.colour,
                dash(key.line)
            );
        }
        marker(svg, key.marker, x + 11.0, y, &key.colour, None, "");
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" fill="{INK}">{}</text>"#,
            x + 28.0,
            y + 4.5,
            escape(&key.label)
        );
    }
    svg.push_str("</g>");
}

/// Writes one marker at (`x`, `y`), with its title.
pub(super) fn marker(
    svg: &mut String,
    kind: Marker,
    x: f64,
    y: f64,
    colour: &str,
    title: Option<&str>,
    class: &str,
) {
    let title = title
        .map(|t| format!("<title>{}</title>", escape(t)))
        .unwrap_or_default();
    let class = if class.is_empty() {
        String::new()
    } else {
        format!(r#" class="{class}""#)
    };
    let _ = match kind {
        Marker::Dot => write!(
            svg,
            r#"<circle{class} cx="{x:.1}" cy="{y:.1}" r="4" fill="{colour}">{title}</circle>"#
        ),
        Marker::Ring => write!(
            svg,
            r#"<circle{class} cx="{x:.1}" cy="{y:.1}" r="4" fill="white" stroke="{colour}" stroke-width="2">{title}</circle>"#
        ),
        Marker::Hidden => write!(
            svg,
            r#"<circle{class} cx="{x:.1}" cy="{y:.1}" r="3" fill="{colour}" fill-opacity="0">{title}</circle>"#
        ),
        Marker::Dash => write!(
            svg,
            r#"<rect{class} x="{:.1}" y="{:.1}" width="14" height="3" fill="{colour}">{title}</rect>"#,
            x - 7.0,
            y - 1.5
        ),
        Marker::Cross => write!(
            svg,
            r#"<path{class} d="M{:.1} {:.1}L{:.1} {:.1}M{:.1} {:.1}L{:.1} {:.1}" stroke="{colour}" stroke-width="2.5">{title}</path>"#,
            x - 6.0,
            y - 6.0,
            x + 6.0,
            y + 6.0,
            x - 6.0,
            y + 6.0,
            x + 6.0,
            y - 6.0
        ),
        Marker::Square => write!(
            svg,
            r#"<rect{class} x="{:.1}" y="{:.1}" width="8" height="8" fill="white" stroke="{colour}" stroke-width="2">{title}</rect>"#,
            x - 4.0,
            y - 4.0
        ),
        Marker::Triangle => write!(
            svg,
            r#"<path{class} d="M{x:.1} {:.1}L{:.1} {:.1}L{:.1} {:.1}Z" fill="white" stroke="{colour}" stroke-width="2" stroke-linejoin="round">{title}</path>"#,
            y - 5.5,
            x + 5.0,
            y + 4.0,
            x - 5.0,
            y + 4.0
        ),
        Marker::Diamond => write!(
            svg,
            r#"<path{class} d="M{x:.1} {:.1}L{:.1} {y:.1}L{x:.1} {:.1}L{:.1} {y:.1}Z" fill="white" stroke="{colour}" stroke-width="2" stroke-linejoin="round">{title}</path>"#,
            y - 5.5,
            x + 5.5,
            y + 5.5,
            x - 5.5
        ),
    };
}
