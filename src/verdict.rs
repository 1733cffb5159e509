//! Verdicts: pure functions from observations to findings. No I/O.

use std::fmt;
use std::net::IpAddr;

/// How bad a finding is. Any `Error` makes the exit code 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Something is broken or unsafe; sending will fail or is at risk.
    Error,
    /// Works, but is fragile, outdated or unusual.
    Warning,
    /// Worth knowing; nothing to fix.
    Info,
}

impl Severity {
    /// The name used in JSON and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One judgement: what was seen, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Stable dotted id, e.g. `cert.expired`.
    pub id: &'static str,
    /// How bad.
    pub severity: Severity,
    /// `host:port` the finding is about, `None` for the whole run.
    pub endpoint: Option<String>,
    /// The address of that endpoint (a host may have several).
    pub ip: Option<IpAddr>,
    /// One sentence: what was seen.
    pub message: String,
    /// One sentence: what to do.
    pub advice: String,
}
