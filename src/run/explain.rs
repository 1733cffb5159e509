//! The `explain` pipeline: reads the plan's text with the provider catalogue
//! ([`crate::explain`]) and returns what it found. No I/O: the command line read the text.

use crate::explain;
use crate::run::outcome::ExplainReport;
use crate::run::plan::ExplainPlan;

/// Explains the plan's text.
pub fn run(plan: &ExplainPlan) -> ExplainReport {
    let diagnosis = explain::explain(&plan.text, &plan.catalog);
    ExplainReport {
        input: diagnosis.input,
        explanations: diagnosis.explanations,
        next_commands: diagnosis.next_commands,
    }
}
