//! What discovery found for a target: its kind, the sections of a mail domain (sending and
//! receiving) with every host considered, where each probed endpoint came from, reverse DNS and
//! every DNS query of the run. Filled by `run::discover`, judged by `verdict::dns`, shown by the
//! renderers.

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::dns::{Exchange, LookupFailure, Mx, Query, ReverseDns};
use crate::model::{Choice, Endpoint, Security};

/// How many MX hosts (by preference) are probed at most; the rest are listed, not probed.
pub const MX_PROBE_LIMIT: usize = 5;

/// How a target is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// An e-mail address is a domain; a bare name is a domain when it has MX records (or a null
    /// MX) naming other hosts, else a server.
    #[default]
    Auto,
    /// `--host`: the name is a server, whatever its MX records say.
    Host,
    /// `--inbound`: the name is a domain, and only its receiving side is checked.
    Inbound,
}

/// The discovery settings of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveryOptions {
    /// How to read the target.
    pub mode: Mode,
    /// `--port` for a domain: only endpoints on these ports are probed (empty: all).
    pub port_filter: Vec<u16>,
    /// `--security` other than `auto`: every endpoint of a domain uses it.
    pub security: Option<Security>,
    /// How many MX hosts are probed at most.
    pub mx_limit: usize,
}

impl Default for DiscoveryOptions {
    fn default() -> Self {
        DiscoveryOptions {
            mode: Mode::Auto,
            port_filter: Vec::new(),
            security: None,
            mx_limit: MX_PROBE_LIMIT,
        }
    }
}

/// What the target turned out to be, as in the JSON's `target.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TargetKind {
    /// A server name.
    #[default]
    Host,
    /// An IP address.
    Ip,
    /// A mail domain.
    Domain,
    /// An e-mail address (its domain is checked).
    Address,
}

impl TargetKind {
    /// The name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Host => "host",
            TargetKind::Ip => "ip",
            TargetKind::Domain => "domain",
            TargetKind::Address => "address",
        }
    }
}

/// Which question an endpoint answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Where a mail client sends (submission, 587 and 465).
    Submission,
    /// Where other servers deliver the domain's mail (MX, port 25).
    Inbound,
}

impl Role {
    /// The name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Submission => "submission",
            Role::Inbound => "inbound",
        }
    }
}

/// Where a host to probe came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// Typed by the user.
    Typed,
    /// An MX record of the domain.
    Mx,
    /// The domain itself, having no MX records (RFC 5321 section 5.1).
    ImplicitMx,
    /// An RFC 6186 SRV record.
    Srv,
    /// A provider preset matching the domain or its MX hosts.
    Preset,
    /// A usual name (`smtp.<domain>`, `mail.<domain>`) that resolves.
    Guess,
}

impl Source {
    /// The name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Typed => "typed",
            Source::Mx => "mx",
            Source::ImplicitMx => "implicit_mx",
            Source::Srv => "srv",
            Source::Preset => "preset",
            Source::Guess => "guess",
        }
    }
}

/// One host a section considered, whether or not it was probed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The host name (for an MX written as an address, the record as written).
    pub host: String,
    /// Where it came from.
    pub source: Source,
    /// Where exactly, in words: `MX 10`, `SRV _submissions._tcp.example.com`, `preset gmail
    /// (address domain gmail.com)`.
    pub detail: Option<String>,
    /// The ports it is probed on, with the security of each.
    pub ports: Vec<(u16, Security)>,
    /// Its addresses (of the chosen family).
    pub addresses: Vec<IpAddr>,
    /// Why it was not probed (no address, beyond the MX limit, ...); `None` when it was.
    pub not_probed: Option<NotProbed>,
}

/// One section of a domain's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Which question it answers.
    pub role: Role,
    /// The hosts considered, in the order they are shown.
    pub candidates: Vec<Candidate>,
    /// Remarks about the section as a whole (a capped MX list, an SRV record saying "not
    /// offered").
    pub notes: Vec<String>,
}

/// One probed endpoint and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// The endpoint.
    pub endpoint: Endpoint,
    /// Its section (`None` for a typed server).
    pub role: Option<Role>,
    /// Where its host came from.
    pub source: Source,
}

/// What discovery found: the target's kind, the sections of a domain, where each endpoint came
/// from, the reverse DNS of every probed address, and every DNS query of the run.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    /// What the target turned out to be.
    pub kind: TargetKind,
    /// The mail domain, for a domain or an address.
    pub domain: Option<String>,
    /// The MX answer of the domain, when it was asked (also of a bare name then checked as a
    /// server).
    pub mx: Option<Result<Vec<Mx>, LookupFailure>>,
    /// Submission, then inbound (only inbound with `--inbound`); empty for a server.
    pub sections: Vec<Section>,
    /// One entry per probed endpoint.
    pub planned: Vec<Planned>,
    /// Reverse DNS of each probed address, by address.
    pub reverse: BTreeMap<IpAddr, ReverseDns>,
    /// Every DNS query of the run, in the order sent.
    pub queries: Vec<Exchange>,
    /// The run's provider decision for a domain: `--provider`, the address domain, or its MX
    /// hosts; `None` for a typed server (the plan holds that decision).
    pub preset: Option<Choice>,
    /// The look-ups of the typed server, or of a domain's probed MX hosts, in order.
    pub lookups: Vec<HostLookup>,
    /// SRV look-ups that failed (not "no records"): the owner name and the failure.
    pub srv_failures: Vec<(String, LookupFailure)>,
    /// `--port-map` as given (FROM, TO).
    pub port_map: Vec<(u16, u16)>,
    /// A mail domain's inbound transport policies (MTA-STS, TLS-RPT); `None` for a server.
    pub policies: Option<crate::model::Policies>,
    /// DANE (RFC 7672) of a mail domain's MX hosts; `None` for a typed server.
    pub dane: Option<crate::model::DaneFacts>,
}

impl Discovery {
    /// Where an endpoint came from.
    pub fn origin(&self, endpoint: &Endpoint) -> Option<&Planned> {
        self.planned.iter().find(|p| &p.endpoint == endpoint)
    }

    /// Whether an endpoint is one of a domain's MX hosts (where other servers deliver), not a
    /// place a mail client sends to.
    pub fn is_inbound(&self, endpoint: &Endpoint) -> bool {
        self.origin(endpoint)
            .is_some_and(|p| p.role == Some(Role::Inbound))
    }

    /// The section of a role, when the run has one.
    pub fn section(&self, role: Role) -> Option<&Section> {
        self.sections.iter().find(|s| s.role == role)
    }

    /// The port a probe of `port` connected to, when `--port-map` changed it.
    pub fn mapped_port(&self, port: u16) -> Option<u16> {
        self.port_map
            .iter()
            .find(|(from, to)| *from == port && to != from)
            .map(|(_, to)| *to)
    }
}

/// Why a host a section considered was not probed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotProbed {
    /// A usual name (`smtp.<domain>`) that does not resolve.
    DoesNotResolve,
    /// A usual name whose address look-up got no proper answer: the DNS server did not answer
    /// in time (`timed_out`) or failed (SERVFAIL, REFUSED, ...). Whether it exists is unknown.
    LookupFailed {
        /// No answer in time, rather than an error answer.
        timed_out: bool,
    },
    /// The name resolved to no address of the chosen family.
    NoAddress,
    /// An MX record names an IP address where a host name belongs.
    IpLiteral,
    /// An MX host beyond the first `limit` (by preference).
    BeyondMxLimit {
        /// How many MX hosts are probed at most.
        limit: usize,
    },
    /// None of its ports is among `--port`.
    PortFiltered,
}

impl NotProbed {
    /// A stable token for JSON (`not_probed_reason`).
    pub fn as_str(self) -> &'static str {
        match self {
            NotProbed::DoesNotResolve => "does_not_resolve",
            NotProbed::LookupFailed { timed_out: true } => "dns_timeout",
            NotProbed::LookupFailed { timed_out: false } => "dns_failure",
            NotProbed::NoAddress => "no_address",
            NotProbed::IpLiteral => "ip_literal",
            NotProbed::BeyondMxLimit { .. } => "beyond_mx_limit",
            NotProbed::PortFiltered => "port_filtered",
        }
    }

    /// In words, as the table and JSON's `not_probed` show it.
    pub fn describe(self) -> String {
        match self {
            NotProbed::DoesNotResolve => "does not resolve".to_string(),
            NotProbed::LookupFailed { timed_out: true } => "its DNS look-up timed out".to_string(),
            NotProbed::LookupFailed { timed_out: false } => {
                "its DNS look-up failed (the DNS server answered with an error)".to_string()
            }
            NotProbed::NoAddress => "no address".to_string(),
            NotProbed::IpLiteral => "an IP address where a host name belongs".to_string(),
            NotProbed::BeyondMxLimit { limit } => format!("beyond the first {limit} MX hosts"),
            NotProbed::PortFiltered => "none of its ports is among --port".to_string(),
        }
    }
}

/// The address look-up of a host whose DNS is judged: the typed server, or each MX host a
/// domain's receiving side probes (within the MX limit, IP literals included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostLookup {
    /// The host name (for an MX written as an address, the record as written).
    pub host: String,
    /// Its addresses of the chosen family.
    pub addresses: Vec<IpAddr>,
    /// The A/AAAA queries behind them (empty when not looked up: an IP literal).
    pub queries: Vec<Query>,
    /// The CNAME target, when the name is an alias (asked for MX hosts only).
    pub alias: Option<String>,
}
