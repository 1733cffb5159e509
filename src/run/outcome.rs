//! What a command found: plain data, the only thing the renderers read. A check gives a
//! [`CheckReport`], a `ports` run a [`PortsReport`].

use std::time::Duration;

use crate::dns::Query;
use crate::model::{CredentialCheck, Discovery, Endpoint, Observation, TargetKind, UserConfig};
use crate::providers::MatchReason;
use crate::verdict::network::{Class, Conclusion, Fact};
use crate::verdict::provider::Settings;
use crate::verdict::recommend::Recommendation;
use crate::verdict::{Finding, Severity};

/// What the user asked to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetInfo {
    /// The target as typed.
    pub input: String,
    /// What it turned out to be: a server name, an address, a mail domain, an e-mail address.
    pub kind: TargetKind,
    /// The host name (an address's domain) in ASCII form, as DNS, SNI and the certificate
    /// check used it; `None` for an IP address.
    pub host: Option<String>,
    /// The host name's Unicode form, when it differs from `host` (an international name).
    pub unicode: Option<String>,
    /// The user's settings, when the target was a URL or DSN read as such (never a password).
    pub config: Option<UserConfig>,
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
pub struct CheckReport {
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
    /// Settings to type into a client, from what was seen, when no provider preset applies
    /// (a preset's block is in `provider`).
    pub recommended: Option<Recommendation>,
    /// The credential check and test message (`--user`, `--send-to`), when asked for.
    pub credentials: Option<CredentialCheck>,
}

impl CheckReport {
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

/// One probe of a control endpoint and its class.
#[derive(Debug, Clone)]
pub struct PortProbe {
    /// The control host.
    pub host: String,
    /// The port.
    pub port: u16,
    /// Who runs the host.
    pub operator: String,
    /// Its preset.
    pub preset: Option<String>,
    /// Built in, or named with `--control`.
    pub builtin: bool,
    /// What the probe showed.
    pub class: Class,
    /// Why, in words.
    pub reason: String,
    /// The address looked up and its answers (empty for an address literal).
    pub dns: Vec<Query>,
    /// The probe itself; `None` when the name did not resolve.
    pub observation: Option<Observation>,
}

impl PortProbe {
    /// What the conclusions need of this probe.
    pub fn fact(&self) -> Fact {
        Fact {
            host: self.host.clone(),
            operator: self.operator.clone(),
            port: self.port,
            class: self.class,
            reason: self.reason.clone(),
        }
    }
}

/// A whole `ports` run.
#[derive(Debug, Clone)]
pub struct PortsReport {
    /// The ports, in the order shown.
    pub ports: Vec<u16>,
    /// Wall-clock time of the run.
    pub duration: Duration,
    /// One per (control host, port), in control then port order.
    pub probes: Vec<PortProbe>,
    /// Run-wide conclusions first, then per port.
    pub conclusions: Vec<Conclusion>,
    /// The findings the conclusions raise.
    pub findings: Vec<Finding>,
}

impl PortsReport {
    /// Number of findings of this severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// The probe of `host` on `port`, if there was one.
    pub fn probe(&self, host: &str, port: u16) -> Option<&PortProbe> {
        self.probes
            .iter()
            .find(|p| p.host == host && p.port == port)
    }
}

/// What `smtp-doctor explain` made of a text.
#[derive(Debug, Clone)]
pub struct ExplainReport {
    /// The text as read: bounded, secrets replaced by `***` (not yet cleaned for a terminal).
    pub input: String,
    /// The explanations, most specific kind first.
    pub explanations: Vec<crate::explain::Explanation>,
    /// `smtp-doctor check ...` for the servers the text names.
    pub next_commands: Vec<String>,
}

impl ExplainReport {
    /// Whether anything in the text was recognised (exit code 0; 1 otherwise).
    pub fn recognised(&self) -> bool {
        !self.explanations.is_empty()
    }
}

/// How one line ended.
#[derive(Debug)]
pub enum Outcome {
    /// Checked: its report, as a single check's.
    Checked(Box<CheckReport>),
    /// Not a usable target (the reason, as `check TARGET` would say it).
    Invalid(String),
    /// A usable target whose run could not start (the reason).
    Failed(String),
}

/// One line's result.
#[derive(Debug)]
pub struct BatchResult {
    /// 1-based line number in the input.
    pub line: usize,
    /// The line as given.
    pub input: String,
    /// How it ended.
    pub outcome: Outcome,
    /// How long it took (zero for an invalid line).
    pub duration: Duration,
}

/// A snapshot of `serve`'s own counters, for `/metrics`.
#[derive(Debug, Clone, Default)]
pub struct ExporterStats {
    /// The exporter's version.
    pub version: &'static str,
    /// When it started, in Unix seconds.
    pub started_unix: i64,
    /// How many checks may run at once.
    pub limit: u64,
    /// How many run now.
    pub running: u64,
    /// Requests answered, by path and status code.
    pub requests: Vec<RequestCount>,
    /// Checks run, by module.
    pub checks: Vec<CheckCount>,
}

/// Requests answered on one path with one status code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestCount {
    /// `/probe`, `/metrics`, `/-/healthy`, `/`, or `other`.
    pub path: String,
    /// The HTTP status code.
    pub code: u16,
    /// How many.
    pub count: u64,
}

/// The checks of one module.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CheckCount {
    /// The module's name.
    pub module: String,
    /// Checks without an error finding.
    pub success: u64,
    /// Checks with at least one.
    pub failure: u64,
    /// Their time in all.
    pub seconds: Duration,
}
