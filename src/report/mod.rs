//! The report (everything a run found) and its renderers, each writing to any `io::Write`.

pub mod json;
pub mod table;
pub mod transcript;

use std::time::Duration;

use crate::model::{Endpoint, Observation};
use crate::verdict::{Finding, Severity};

/// What the user asked to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetInfo {
    /// The target as typed.
    pub input: String,
    /// `host`, `ip` (later: `domain`, `address`).
    pub kind: &'static str,
}

/// A whole run: the input, every observation in a stable order, and the findings.
#[derive(Debug, Clone)]
pub struct Report {
    /// What was checked.
    pub target: TargetInfo,
    /// Wall-clock time of the run.
    pub duration: Duration,
    /// One per endpoint, sorted by port, then address.
    pub observations: Vec<Observation>,
    /// Findings, in the order the rules produced them.
    pub findings: Vec<Finding>,
}

impl Report {
    /// Number of findings of this severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// Findings about one endpoint.
    pub fn findings_for<'a>(
        &'a self,
        endpoint: &'a Endpoint,
    ) -> impl Iterator<Item = &'a Finding> + 'a {
        let label = endpoint.label();
        self.findings.iter().filter(move |f| {
            f.endpoint.as_deref() == Some(label.as_str()) && f.ip == Some(endpoint.ip)
        })
    }

    /// Findings about the run as a whole.
    pub fn general_findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.endpoint.is_none())
    }
}
