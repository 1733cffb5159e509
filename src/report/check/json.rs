//! The JSON renderer. Its own output types, built from the engine's, keep the schema
//! (design.md, `schema_version` 1) stable while the internals change.

use std::io::{self, Write};

use serde::Serialize;

use super::json_auth as auth;
use super::json_sts;
use crate::dns::{Exchange, ReverseDns};
use crate::model::{
    Candidate, ConfigOrigin, Discovery, NotProbed, Observation, Section, Security, UserConfig,
};
use crate::report::schema::{
    EhloJson, ErrorJson, FindingJson, LineJson, ReplyJson, SCHEMA_VERSION, StarttlsJson, Summary,
    TimingsJson, TlsJson, Tool, ms, write_document, write_line, wrong_mode_name,
};
use crate::run::outcome::{BatchResult, CheckReport, Outcome, ProviderInfo};
use crate::verdict::recommend::Recommendation;

/// Writes the report as one JSON document (pretty-printed, newline-terminated).
/// `transcript` includes each endpoint's dialogue.
pub fn write(report: &CheckReport, out: &mut dyn Write, transcript: bool) -> io::Result<()> {
    let doc = Document::new(report, transcript);
    write_document(out, &doc)
}

/// One line of `check --file --json` (NDJSON): the single check's document with the input's
/// line number first; a line that could not be checked gets `error` instead of the report.
pub fn write_batch_line(result: &BatchResult, out: &mut dyn Write) -> io::Result<()> {
    match &result.outcome {
        Outcome::Checked(report) => write_line(
            out,
            &Numbered {
                line: result.line,
                doc: Document::new(report, false),
            },
        ),
        Outcome::Invalid(reason) | Outcome::Failed(reason) => write_line(
            out,
            &Unchecked {
                line: result.line,
                schema_version: SCHEMA_VERSION,
                tool: Tool::current(),
                target: UncheckedTarget {
                    input: &result.input,
                },
                duration_ms: ms(result.duration),
                error: UncheckedError {
                    kind: match result.outcome {
                        Outcome::Invalid(_) => "invalid_target",
                        _ => "setup",
                    },
                    message: reason,
                },
            },
        ),
    }
}

#[derive(Serialize)]
struct Numbered<'a> {
    line: usize,
    #[serde(flatten)]
    doc: Document<'a>,
}

#[derive(Serialize)]
struct Unchecked<'a> {
    line: usize,
    schema_version: u32,
    tool: Tool,
    target: UncheckedTarget<'a>,
    duration_ms: u64,
    error: UncheckedError<'a>,
}

#[derive(Serialize)]
struct UncheckedTarget<'a> {
    input: &'a str,
}

#[derive(Serialize)]
struct UncheckedError<'a> {
    /// `invalid_target` (the line is not a target `check` accepts) or `setup`.
    kind: &'static str,
    message: &'a str,
}

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    tool: Tool,
    target: TargetJson<'a>,
    duration_ms: u64,
    provider: Option<ProviderJson<'a>>,
    recommended: Option<RecommendedJson<'a>>,
    domain: Option<DomainJson<'a>>,
    endpoints: Vec<EndpointJson<'a>>,
    dns: DnsJson<'a>,
    findings: Vec<FindingJson<'a>>,
    summary: Summary,
    auth: Option<auth::AuthJson<'a>>,
    send: Option<auth::SendJson<'a>>,
}

/// Settings to use for a server without a preset, from what the run saw.
#[derive(Serialize)]
struct RecommendedJson<'a> {
    host: &'a str,
    port: Option<u16>,
    security: Option<&'static str>,
    auth: &'a [String],
    why: &'a str,
    also: &'a [String],
}

impl<'a> From<&'a Recommendation> for RecommendedJson<'a> {
    fn from(r: &'a Recommendation) -> Self {
        RecommendedJson {
            host: &r.host,
            port: r.port,
            security: r.security.map(Security::as_str),
            auth: &r.auth,
            why: &r.why,
            also: &r.also,
        }
    }
}

#[derive(Serialize)]
struct TargetJson<'a> {
    input: &'a str,
    kind: &'static str,
    domain: Option<&'a str>,
    host: Option<&'a str>,
    unicode: Option<&'a str>,
    settings: Option<ConfigJson<'a>>,
}

/// The user's settings (a URL or DSN): no field for a password.
#[derive(Serialize)]
struct ConfigJson<'a> {
    host: &'a str,
    port: u16,
    port_given: bool,
    security: &'static str,
    user: Option<&'a str>,
    source: &'static str,
    variable: Option<&'a str>,
    verify_peer: bool,
    notes: &'a [String],
}

impl<'a> From<&'a UserConfig> for ConfigJson<'a> {
    fn from(c: &'a UserConfig) -> Self {
        ConfigJson {
            host: &c.host,
            port: c.port,
            port_given: c.port_given,
            security: c.security.as_str(),
            user: c.user.as_deref(),
            source: c.origin.as_str(),
            variable: match &c.origin {
                ConfigOrigin::Env(name) => Some(name),
                ConfigOrigin::Target => None,
            },
            verify_peer: c.verify_peer,
            notes: &c.notes,
        }
    }
}

#[derive(Serialize)]
struct EndpointJson<'a> {
    host: &'a str,
    ip: String,
    port: u16,
    connect_port: Option<u16>,
    security: &'static str,
    role: Option<&'static str>,
    source: &'static str,
    reverse_dns: Option<ReverseJson<'a>>,
    state: &'static str,
    error: Option<ErrorJson<'a>>,
    wrong_mode: Option<&'static str>,
    not_smtp: Option<&'a str>,
    banner: Option<ReplyJson<'a>>,
    unsolicited_bytes: usize,
    ehlo: Option<EhloJson<'a>>,
    starttls: Option<StarttlsJson<'a>>,
    tls: Option<TlsJson<'a>>,
    ehlo_tls: Option<EhloJson<'a>>,
    timings_ms: TimingsJson,
    transcript: Option<Vec<LineJson<'a>>>,
}

impl<'a> Document<'a> {
    fn new(report: &'a CheckReport, transcript: bool) -> Document<'a> {
        Document {
            schema_version: SCHEMA_VERSION,
            tool: Tool::current(),
            target: TargetJson {
                input: &report.target.input,
                kind: report.target.kind.as_str(),
                domain: report.discovery.domain.as_deref(),
                host: report.target.host.as_deref(),
                unicode: report.target.unicode.as_deref(),
                settings: report.target.config.as_ref().map(ConfigJson::from),
            },
            duration_ms: ms(report.duration),
            provider: report.provider.as_ref().map(ProviderJson::from),
            recommended: report.recommended.as_ref().map(RecommendedJson::from),
            domain: DomainJson::new(&report.discovery, &report.observations),
            endpoints: report
                .observations
                .iter()
                .map(|o| EndpointJson::new(o, &report.discovery, transcript))
                .collect(),
            dns: DnsJson {
                queries: report
                    .discovery
                    .queries
                    .iter()
                    .map(QueryJson::from)
                    .collect(),
            },
            findings: report.findings.iter().map(FindingJson::from).collect(),
            summary: Summary::of(&report.findings),
            auth: report
                .credentials
                .as_ref()
                .map(|c| auth::AuthJson::new(c, transcript)),
            send: report
                .credentials
                .as_ref()
                .and_then(|c| c.send.as_ref())
                .map(auth::SendJson::from),
        }
    }
}

impl<'a> EndpointJson<'a> {
    fn new(obs: &'a Observation, discovery: &'a Discovery, transcript: bool) -> EndpointJson<'a> {
        let origin = discovery.origin(&obs.endpoint);
        EndpointJson {
            host: &obs.endpoint.host,
            ip: obs.endpoint.ip.to_string(),
            port: obs.endpoint.port,
            connect_port: discovery.mapped_port(obs.endpoint.port),
            security: obs.endpoint.security.as_str(),
            role: origin.and_then(|o| o.role).map(|r| r.as_str()),
            source: origin.map_or("typed", |o| o.source.as_str()),
            reverse_dns: discovery
                .reverse
                .get(&obs.endpoint.ip)
                .map(ReverseJson::from),
            state: obs.state.as_str(),
            error: obs.error.as_ref().map(ErrorJson::from),
            wrong_mode: obs.wrong_mode.map(wrong_mode_name),
            not_smtp: obs.not_smtp.as_deref(),
            banner: obs.banner.as_ref().map(ReplyJson::from),
            unsolicited_bytes: obs.unsolicited.len(),
            ehlo: obs.ehlo.as_ref().map(EhloJson::from),
            starttls: obs.starttls.as_ref().map(StarttlsJson::from),
            tls: obs.tls.as_ref().map(TlsJson::from),
            ehlo_tls: obs.ehlo_tls.as_ref().map(EhloJson::from),
            timings_ms: TimingsJson::from(&obs.timings),
            transcript: transcript.then(|| obs.transcript.iter().map(LineJson::from).collect()),
        }
    }
}

#[derive(Serialize)]
struct ProviderJson<'a> {
    id: &'a str,
    name: &'a str,
    docs: Option<&'a str>,
    origin: &'a str,
    matched_by: MatchJson<'a>,
    settings: SettingsJson<'a>,
}

#[derive(Serialize)]
struct MatchJson<'a> {
    kind: &'static str,
    detail: Option<&'a str>,
}

#[derive(Serialize)]
struct SettingsJson<'a> {
    host: Option<&'a str>,
    port: Option<u16>,
    security: Option<&'static str>,
    username: Option<&'a str>,
    authentication: Option<&'a str>,
    requirements: &'a [String],
    ports: Vec<PortCheckJson<'a>>,
}

#[derive(Serialize)]
struct PortCheckJson<'a> {
    port: u16,
    security: &'static str,
    recommended: bool,
    note: Option<&'a str>,
    seen: &'static str,
}

impl<'a> From<&'a ProviderInfo> for ProviderJson<'a> {
    fn from(p: &'a ProviderInfo) -> Self {
        let s = &p.settings;
        ProviderJson {
            id: &p.id,
            name: &p.name,
            docs: p.docs.as_deref(),
            origin: &p.origin,
            matched_by: MatchJson {
                kind: p.reason.kind(),
                detail: p.reason.detail(),
            },
            settings: SettingsJson {
                host: s.host.as_deref(),
                port: s.port,
                security: s.security.map(|m| m.as_str()),
                username: s.username.as_deref(),
                authentication: s.authentication.as_deref(),
                requirements: &s.requirements,
                ports: s
                    .ports
                    .iter()
                    .map(|c| PortCheckJson {
                        port: c.port,
                        security: c.security.as_str(),
                        recommended: c.recommended,
                        note: c.note.as_deref(),
                        seen: c.seen.as_str(),
                    })
                    .collect(),
            },
        }
    }
}

// Domains and DNS: the sections of a domain, reverse DNS per endpoint, every query of the run.

#[derive(Serialize)]
struct DomainJson<'a> {
    name: &'a str,
    submission: Option<SectionJson<'a>>,
    inbound: Option<InboundJson<'a>>,
    mta_sts: Option<json_sts::MtaStsJson<'a>>,
    tls_rpt: Option<json_sts::TlsRptJson<'a>>,
    dane: Option<super::json_dane::DaneJson<'a>>,
}

#[derive(Serialize)]
struct InboundJson<'a> {
    mx: Option<Vec<MxJson<'a>>>,
    mx_error: Option<&'static str>,
    #[serde(flatten)]
    section: SectionJson<'a>,
}

#[derive(Serialize)]
struct MxJson<'a> {
    preference: u16,
    exchange: &'a str,
}

#[derive(Serialize)]
struct SectionJson<'a> {
    candidates: Vec<CandidateJson<'a>>,
    notes: &'a [String],
}

#[derive(Serialize)]
struct CandidateJson<'a> {
    host: &'a str,
    source: &'static str,
    detail: Option<&'a str>,
    ports: Vec<PortJson>,
    addresses: Vec<String>,
    probed: bool,
    not_probed: Option<String>,
    not_probed_reason: Option<&'static str>,
}

#[derive(Serialize)]
struct PortJson {
    port: u16,
    security: &'static str,
}

#[derive(Serialize)]
struct ReverseJson<'a> {
    ptr: Vec<&'a str>,
    forward_confirmed: bool,
    error: Option<&'static str>,
}

#[derive(Serialize)]
struct DnsJson<'a> {
    queries: Vec<QueryJson<'a>>,
}

#[derive(Serialize)]
struct QueryJson<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    record_type: &'static str,
    answer: Option<Vec<String>>,
    error: Option<&'static str>,
    message: Option<String>,
    t_ms: u64,
    time_ms: u64,
    /// The DNSSEC state this run validated (DANE's queries only; absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    dnssec: Option<&'static str>,
}

impl<'a> DomainJson<'a> {
    fn new(discovery: &'a Discovery, observations: &'a [Observation]) -> Option<DomainJson<'a>> {
        let name = discovery.domain.as_deref()?;
        let inbound = discovery
            .section(crate::model::Role::Inbound)
            .map(|section| {
                let (mx, mx_error) = match &discovery.mx {
                    Some(Ok(records)) => (
                        Some(
                            records
                                .iter()
                                .map(|m| MxJson {
                                    preference: m.preference,
                                    exchange: &m.exchange,
                                })
                                .collect(),
                        ),
                        None,
                    ),
                    Some(Err(failure)) => (None, Some(failure.as_str())),
                    None => (None, None),
                };
                InboundJson {
                    mx,
                    mx_error,
                    section: SectionJson::from(section),
                }
            });
        Some(DomainJson {
            name,
            submission: discovery
                .section(crate::model::Role::Submission)
                .map(SectionJson::from),
            inbound,
            mta_sts: discovery.policies.as_ref().map(|p| (&p.mta_sts).into()),
            tls_rpt: discovery.policies.as_ref().map(|p| (&p.tls_rpt).into()),
            dane: discovery
                .dane
                .as_ref()
                .map(|d| super::json_dane::DaneJson::new(d, observations)),
        })
    }
}

impl<'a> From<&'a Section> for SectionJson<'a> {
    fn from(section: &'a Section) -> Self {
        SectionJson {
            candidates: section.candidates.iter().map(CandidateJson::from).collect(),
            notes: &section.notes,
        }
    }
}

impl<'a> From<&'a Candidate> for CandidateJson<'a> {
    fn from(c: &'a Candidate) -> Self {
        CandidateJson {
            host: &c.host,
            source: c.source.as_str(),
            detail: c.detail.as_deref(),
            ports: c
                .ports
                .iter()
                .map(|&(port, security)| PortJson {
                    port,
                    security: security.as_str(),
                })
                .collect(),
            addresses: c.addresses.iter().map(ToString::to_string).collect(),
            probed: c.not_probed.is_none(),
            not_probed: c.not_probed.map(NotProbed::describe),
            not_probed_reason: c.not_probed.map(NotProbed::as_str),
        }
    }
}

impl<'a> From<&'a ReverseDns> for ReverseJson<'a> {
    fn from(r: &'a ReverseDns) -> Self {
        match r {
            ReverseDns::Confirmed { name } => ReverseJson {
                ptr: vec![name],
                forward_confirmed: true,
                error: None,
            },
            ReverseDns::Mismatch(checks) => ReverseJson {
                ptr: checks.iter().map(|c| c.name.as_str()).collect(),
                forward_confirmed: false,
                error: None,
            },
            ReverseDns::Missing(failure) => ReverseJson {
                ptr: Vec::new(),
                forward_confirmed: false,
                error: Some(failure.as_str()),
            },
        }
    }
}

impl<'a> From<&'a Exchange> for QueryJson<'a> {
    fn from(e: &'a Exchange) -> Self {
        let (answer, error, message) = match &e.answer {
            Ok(records) => (
                Some(records.iter().map(ToString::to_string).collect()),
                None,
                None,
            ),
            Err(failure) => (None, Some(failure.as_str()), Some(failure.to_string())),
        };
        QueryJson {
            name: &e.name,
            record_type: e.record_type.as_str(),
            answer,
            error,
            message,
            t_ms: ms(e.started),
            time_ms: ms(e.elapsed),
            dnssec: e.dnssec.map(|d| d.as_str()),
        }
    }
}
