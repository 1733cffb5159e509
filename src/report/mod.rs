//! The report (everything a run found) and its renderers, each writing to any `io::Write`.

pub mod auth;
pub mod domain;
pub mod json;
pub mod ports;
pub mod provider;
pub mod table;
pub mod transcript;

use std::time::Duration;

use crate::discover::Discovery;
use crate::model::{Endpoint, Observation};
use crate::providers::MatchReason;
use crate::verdict::provider::Settings;
use crate::verdict::{Finding, Severity};

/// What the user asked to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetInfo {
    /// The target as typed.
    pub input: String,
    /// `host`, `ip`, `domain` or `address`.
    pub kind: &'static str,
}

/// The provider preset the run was judged against, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderInfo {
    /// Preset id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The provider's documentation.
    pub docs: Option<String>,
    /// Built in, or the file it came from.
    pub origin: String,
    /// Why this preset.
    pub reason: MatchReason,
    /// What to type into the client, and what this run saw of each documented port.
    pub settings: Settings,
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
    /// Where the endpoints came from (a domain's sections), reverse DNS, every DNS query.
    pub discovery: Discovery,
    /// The recognised provider, if any.
    pub provider: Option<ProviderInfo>,
    /// The credential check and test message (`--user`, `--send-to`), when asked for.
    pub credentials: Option<crate::model::CredentialCheck>,
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
