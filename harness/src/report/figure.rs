//! One figure of a report: its anchor, title and caption, and its plot drawn as inline SVG or
//! the reason it could not be drawn. Every section's figures are of this type.

use serde::Serialize;

use super::plots::PlotError;

/// One figure: inline SVG, or the reason it could not be drawn.
#[derive(Debug, Serialize)]
pub struct Figure {
    /// Anchor.
    pub id: &'static str,
    /// Title.
    pub title: &'static str,
    /// How to read it.
    pub caption: String,
    /// The SVG (generated here, never from user text).
    pub svg: Option<String>,
    /// Why it is missing.
    pub error: Option<String>,
    /// Its plots as standalone SVG files, relative to the page, when the page was published.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
}

impl Figure {
    /// A figure called `title` at anchor `id`, drawn or with the reason it could not be.
    pub(super) fn new(
        id: &'static str,
        title: &'static str,
        caption: String,
        drawn: Result<String, PlotError>,
    ) -> Self {
        let (svg, error) = match drawn {
            Ok(svg) => (Some(svg), None),
            Err(e) => (None, Some(e.to_string())),
        };
        Self {
            id,
            title,
            caption,
            svg,
            error,
            files: Vec::new(),
        }
    }
}
