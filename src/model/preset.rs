//! A run's provider decision as plain data: which preset, and why. The catalogue
//! (`crate::providers`) makes the decision; the plan, discovery and the report carry it.

use std::fmt;

/// Why a preset was chosen; the report shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchReason {
    /// `--provider ID`.
    Forced,
    /// The host name typed is one of the preset's hosts.
    HostName(String),
    /// The address domain is one the provider hosts.
    Domain(String),
    /// The domain's MX host belongs to the provider.
    Mx(String),
    /// The greeting matches the preset's banner fingerprint (the first line, as sent).
    Banner(String),
    /// The EHLO domain matches the preset's EHLO fingerprint.
    Ehlo(String),
    /// The certificate names the provider (the name that matched).
    Certificate(String),
}

impl MatchReason {
    /// One word for JSON: `forced`, `host`, `domain`, `mx`, `banner`, `ehlo`, `certificate`.
    pub fn kind(&self) -> &'static str {
        match self {
            MatchReason::Forced => "forced",
            MatchReason::HostName(_) => "host",
            MatchReason::Domain(_) => "domain",
            MatchReason::Mx(_) => "mx",
            MatchReason::Banner(_) => "banner",
            MatchReason::Ehlo(_) => "ehlo",
            MatchReason::Certificate(_) => "certificate",
        }
    }

    /// What matched (the host, domain, banner line ...), `None` when forced.
    pub fn detail(&self) -> Option<&str> {
        match self {
            MatchReason::Forced => None,
            MatchReason::HostName(s)
            | MatchReason::Domain(s)
            | MatchReason::Mx(s)
            | MatchReason::Banner(s)
            | MatchReason::Ehlo(s)
            | MatchReason::Certificate(s) => Some(s),
        }
    }
}

impl fmt::Display for MatchReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MatchReason::Forced => f.write_str("chosen with --provider"),
            MatchReason::HostName(h) => write!(f, "matched by host name {h}"),
            MatchReason::Domain(d) => write!(f, "matched by address domain {d}"),
            MatchReason::Mx(m) => write!(f, "matched by MX host {m}"),
            MatchReason::Banner(b) => write!(f, "matched by banner {b:?}"),
            MatchReason::Ehlo(e) => write!(f, "matched by EHLO name {e}"),
            MatchReason::Certificate(c) => write!(f, "matched by certificate name {c}"),
        }
    }
}

/// A run's provider decision as plain data (the preset's id and why), carried from the plan and
/// discovery to the verdicts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// The preset's id.
    pub id: String,
    /// Why it was chosen.
    pub reason: MatchReason,
}
