//! Renderers: how each model is shown. The models (a run's [`Summary`], the [`CostReport`], the
//! [`Comparison`] of two runs, a [`Calibration`]) know nothing of tables or HTML; a renderer
//! takes one and gives what people read:
//!
//! | model          | [`TerminalTable`]          | [`Html`]                        |
//! |----------------|----------------------------|---------------------------------|
//! | [`Summary`]    | the table after a run      | -                               |
//! | [`CostReport`] | `harness cost`             | the report's cost section       |
//! | [`Comparison`] | `harness compare`          | the compare page                |
//! | [`Calibration`]| `harness calibrate`        | -                               |
//! | [`ReportPage`] | -                          | the report of a run             |
//!
//! This module holds the trait and the terminal's implementations; the HTML ones live in
//! [`crate::report`], beside their templates, so that the arrows point one way: `report`
//! uses this module, never the reverse.
//!
//! ```
//! use harness::render::{Renderer, TerminalTable};
//!
//! fn show(report: &harness::cost::CostReport) {
//!     print!("{}", TerminalTable.render(report));
//! }
//! ```
//!
//! [`ReportPage`]: crate::report::ReportPage

use crate::calibrate::Calibration;
use crate::compare::Comparison;
use crate::cost::CostReport;
use crate::model::Summary;
use crate::table;

/// Shows a model of type `M`.
pub trait Renderer<M: ?Sized> {
    /// What the renderer makes: text, or HTML that may fail in its template.
    type Output;
    /// Shows `model`.
    fn render(&self, model: &M) -> Self::Output;
}

/// Plain text for a terminal: aligned columns, notes below.
#[derive(Debug, Clone, Copy, Default)]
pub struct TerminalTable;

/// Self-contained HTML from the templates in `harness/templates/`, with a typed context.
#[derive(Debug, Clone, Copy, Default)]
pub struct Html;

impl Renderer<Summary> for TerminalTable {
    type Output = String;
    fn render(&self, summary: &Summary) -> String {
        table::render(summary)
    }
}

impl Renderer<CostReport> for TerminalTable {
    type Output = String;
    fn render(&self, report: &CostReport) -> String {
        table::cost(report)
    }
}

impl Renderer<Comparison> for TerminalTable {
    type Output = String;
    fn render(&self, comparison: &Comparison) -> String {
        table::compare(comparison)
    }
}

impl Renderer<Calibration> for TerminalTable {
    type Output = String;
    fn render(&self, calibration: &Calibration) -> String {
        crate::calibrate::render(calibration)
    }
}
