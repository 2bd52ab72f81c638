//! The report's cost section: the cost projection's cells (the same as the terminal table's,
//! from [`table::cost_table`]) laid out by `templates/cost.html`.

use super::ReportError;
use crate::cost::CostReport;
use crate::render::{Html, Renderer};
use crate::table::{self, CostTable};

/// The cost section's context: `cost` in `report.html` and `cost.html`.
pub fn section(report: &CostReport) -> CostTable {
    table::cost_table(report)
}

/// The cost section alone, as `report.html` includes it.
pub fn render(report: &CostReport) -> Result<String, ReportError> {
    super::render(
        "cost.html",
        &minijinja::context! { cost => section(report) },
    )
}

impl Renderer<CostReport> for Html {
    type Output = Result<String, ReportError>;
    fn render(&self, cost: &CostReport) -> Self::Output {
        render(cost)
    }
}
