//! The JSON document of `smtp-doctor ports`: every probe (with what the probe saw, in the same
//! shapes as the endpoints of `check`), every conclusion with its evidence, the findings.

use std::io::{self, Write};

use serde::Serialize;

use crate::dns::Query;
use crate::model::{Observation, Unreachable};
use crate::report::schema::{
    EhloJson, ErrorJson, FindingJson, LineJson, ReplyJson, SCHEMA_VERSION, StarttlsJson, Summary,
    TimingsJson, TlsJson, Tool, ms, write_document, wrong_mode_name,
};
use crate::run::outcome::{PortProbe, PortsReport};
use crate::verdict::FindingId;
use crate::verdict::network::{Conclusion, Evidence};

/// Writes the report as one JSON document (pretty-printed, newline-terminated).
pub fn write(report: &PortsReport, out: &mut dyn Write) -> io::Result<()> {
    let doc = Document::new(report);
    write_document(out, &doc)
}

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    tool: Tool,
    command: &'static str,
    duration_ms: u64,
    ports: &'a [u16],
    probes: Vec<ProbeJson<'a>>,
    conclusions: Vec<ConclusionJson<'a>>,
    findings: Vec<FindingJson<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct ProbeJson<'a> {
    host: &'a str,
    port: u16,
    operator: &'a str,
    provider: Option<&'a str>,
    source: &'static str,
    class: &'static str,
    reason: &'a str,
    dns: Vec<QueryJson<'a>>,
    ip: Option<String>,
    security: Option<&'static str>,
    state: Option<&'static str>,
    error: Option<ErrorJson<'a>>,
    unreachable: Option<IcmpJson>,
    wrong_mode: Option<&'static str>,
    not_smtp: Option<&'a str>,
    banner: Option<ReplyJson<'a>>,
    ehlo: Option<EhloJson<'a>>,
    starttls: Option<StarttlsJson<'a>>,
    tls: Option<TlsJson<'a>>,
    ehlo_tls: Option<EhloJson<'a>>,
    timings_ms: Option<TimingsJson>,
    transcript: Vec<LineJson<'a>>,
}

#[derive(Serialize)]
struct QueryJson<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    record_type: &'static str,
    addresses: Option<Vec<String>>,
    error: Option<String>,
    elapsed_ms: u64,
}

/// Who refused the connection at the network level.
#[derive(Serialize)]
struct IcmpJson {
    /// `icmp`, `icmpv6`, or `local_firewall`.
    source: &'static str,
    #[serde(rename = "type")]
    icmp_type: Option<u8>,
    code: Option<u8>,
    from: Option<String>,
    meaning: Option<String>,
}

#[derive(Serialize)]
struct ConclusionJson<'a> {
    kind: &'static str,
    port: Option<u16>,
    severity: &'static str,
    finding: Option<&'static str>,
    message: &'a str,
    advice: &'a str,
    evidence: EvidenceJson<'a>,
}

#[derive(Serialize)]
struct EvidenceJson<'a> {
    probes: usize,
    matching: usize,
    classes: serde_json::Map<String, serde_json::Value>,
    hosts: &'a [String],
    reached_elsewhere: Vec<ReachedJson<'a>>,
}

#[derive(Serialize)]
struct ReachedJson<'a> {
    port: u16,
    operators: &'a [String],
}

impl<'a> Document<'a> {
    fn new(report: &'a PortsReport) -> Document<'a> {
        Document {
            schema_version: SCHEMA_VERSION,
            tool: Tool::current(),
            command: "ports",
            duration_ms: ms(report.duration),
            ports: &report.ports,
            probes: report.probes.iter().map(ProbeJson::new).collect(),
            conclusions: report
                .conclusions
                .iter()
                .map(ConclusionJson::from)
                .collect(),
            findings: report.findings.iter().map(FindingJson::from).collect(),
            summary: Summary::of(&report.findings),
        }
    }
}

impl<'a> ProbeJson<'a> {
    fn new(probe: &'a PortProbe) -> ProbeJson<'a> {
        let obs: Option<&'a Observation> = probe.observation.as_ref();
        ProbeJson {
            host: &probe.host,
            port: probe.port,
            operator: &probe.operator,
            provider: probe.preset.as_deref(),
            source: if probe.builtin { "builtin" } else { "user" },
            class: probe.class.as_str(),
            reason: &probe.reason,
            dns: probe.dns.iter().map(QueryJson::from).collect(),
            ip: obs.map(|o| o.endpoint.ip.to_string()),
            security: obs.map(|o| o.endpoint.security.as_str()),
            state: obs.map(|o| o.state.as_str()),
            error: obs.and_then(|o| o.error.as_ref()).map(ErrorJson::from),
            unreachable: obs.and_then(|o| o.unreachable).map(IcmpJson::from),
            wrong_mode: obs.and_then(|o| o.wrong_mode).map(wrong_mode_name),
            not_smtp: obs.and_then(|o| o.not_smtp.as_deref()),
            banner: obs.and_then(|o| o.banner.as_ref()).map(ReplyJson::from),
            ehlo: obs.and_then(|o| o.ehlo.as_ref()).map(EhloJson::from),
            starttls: obs
                .and_then(|o| o.starttls.as_ref())
                .map(StarttlsJson::from),
            tls: obs.and_then(|o| o.tls.as_ref()).map(TlsJson::from),
            ehlo_tls: obs.and_then(|o| o.ehlo_tls.as_ref()).map(EhloJson::from),
            timings_ms: obs.map(|o| TimingsJson::from(&o.timings)),
            transcript: obs
                .map(|o| o.transcript.iter().map(LineJson::from).collect())
                .unwrap_or_default(),
        }
    }
}

impl<'a> From<&'a Query> for QueryJson<'a> {
    fn from(q: &'a Query) -> Self {
        let (addresses, error) = match &q.answer {
            Ok(ips) => (Some(ips.iter().map(ToString::to_string).collect()), None),
            Err(failure) => (None, Some(failure.to_string())),
        };
        QueryJson {
            name: &q.name,
            record_type: q.record_type,
            addresses,
            error,
            elapsed_ms: ms(q.elapsed),
        }
    }
}

impl From<Unreachable> for IcmpJson {
    fn from(u: Unreachable) -> Self {
        match u {
            Unreachable::Icmp(icmp) => IcmpJson {
                source: if icmp.v6 { "icmpv6" } else { "icmp" },
                icmp_type: Some(icmp.icmp_type),
                code: Some(icmp.code),
                from: icmp.from.map(|ip| ip.to_string()),
                meaning: Some(icmp.describe()),
            },
            Unreachable::LocalFirewall => IcmpJson {
                source: "local_firewall",
                icmp_type: None,
                code: None,
                from: None,
                meaning: None,
            },
        }
    }
}

impl<'a> From<&'a Conclusion> for ConclusionJson<'a> {
    fn from(c: &'a Conclusion) -> Self {
        ConclusionJson {
            kind: c.kind.as_str(),
            port: c.port,
            severity: c.severity.as_str(),
            finding: c.kind.finding_id().map(FindingId::as_str),
            message: &c.message,
            advice: &c.advice,
            evidence: EvidenceJson::from(&c.evidence),
        }
    }
}

impl<'a> From<&'a Evidence> for EvidenceJson<'a> {
    fn from(e: &'a Evidence) -> Self {
        EvidenceJson {
            probes: e.probes,
            matching: e.matching,
            classes: e
                .classes
                .iter()
                .map(|(class, n)| (class.as_str().to_string(), serde_json::Value::from(*n)))
                .collect(),
            hosts: &e.hosts,
            reached_elsewhere: e
                .reached_elsewhere
                .iter()
                .map(|(port, operators)| ReachedJson {
                    port: *port,
                    operators,
                })
                .collect(),
        }
    }
}
