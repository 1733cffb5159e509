//! The `domain.dane` part of the JSON document: what the DANE look-ups found (the TLSA records
//! of each MX host and the DNSSEC state of every answer DANE depends on, as this run validated
//! it) and how each record fared against the chain each MX endpoint presented.

use serde::Serialize;

use crate::dns::{LookupFailure, Tlsa};
use crate::model::{DaneFacts, Observation};
use crate::verdict::dane::{EndpointAssessment, HostAssessment, RecordMatch, assess, unusable};

/// `domain.dane`.
#[derive(Serialize)]
pub(super) struct DaneJson<'a> {
    /// Who validated DNSSEC: always this tool (an upstream AD bit is never taken as validation).
    validated_by: &'static str,
    trust_anchor: &'a str,
    /// `null` when not asked (no MX host has TLSA records).
    mx_dnssec: Option<&'static str>,
    /// The trust anchor zone's own denial through this DNS server (asked when something was
    /// bogus): `secure` when validation works here at all.
    path_dnssec: Option<&'static str>,
    hosts: Vec<HostJson<'a>>,
}

#[derive(Serialize)]
struct HostJson<'a> {
    host: &'a str,
    tlsa_name: &'a str,
    address_dnssec: Option<&'static str>,
    tlsa_dnssec: &'static str,
    tlsa_error: Option<&'static str>,
    status: &'static str,
    records: Vec<RecordJson>,
    endpoints: Vec<EndpointJson>,
}

#[derive(Serialize)]
struct RecordJson {
    usage: u8,
    selector: u8,
    matching: u8,
    data: String,
    usable: bool,
    unusable_reason: Option<&'static str>,
}

#[derive(Serialize)]
struct EndpointJson {
    ip: String,
    port: u16,
    tls: bool,
    matched: bool,
    matches: Vec<MatchJson>,
}

#[derive(Serialize)]
struct MatchJson {
    record: String,
    result: &'static str,
    depth: Option<usize>,
    detail: String,
}

impl<'a> DaneJson<'a> {
    pub(super) fn new(dane: &'a DaneFacts, observations: &'a [Observation]) -> DaneJson<'a> {
        DaneJson {
            validated_by: "smtp-doctor",
            trust_anchor: &dane.trust_anchor,
            mx_dnssec: dane.mx.map(|d| d.as_str()),
            path_dnssec: dane.path.map(|d| d.as_str()),
            hosts: assess(dane, observations)
                .iter()
                .map(HostJson::from)
                .collect(),
        }
    }
}

impl<'a> From<&HostAssessment<'a>> for HostJson<'a> {
    fn from(a: &HostAssessment<'a>) -> Self {
        let host = a.host;
        HostJson {
            host: &host.host,
            tlsa_name: &host.tlsa_name,
            address_dnssec: host.addresses.map(|d| d.as_str()),
            tlsa_dnssec: host.tlsa_dnssec.as_str(),
            tlsa_error: host.tlsa.as_ref().err().map(LookupFailure::as_str),
            status: a.effect.as_str(),
            records: host.records().iter().map(RecordJson::from).collect(),
            endpoints: a
                .endpoints
                .iter()
                .map(|e| EndpointJson::new(e, host.records()))
                .collect(),
        }
    }
}

impl From<&Tlsa> for RecordJson {
    fn from(r: &Tlsa) -> Self {
        let why = unusable(r);
        RecordJson {
            usage: r.usage,
            selector: r.selector,
            matching: r.matching,
            data: hex::encode(&r.data),
            usable: why.is_none(),
            unusable_reason: why,
        }
    }
}

impl EndpointJson {
    fn new(e: &EndpointAssessment<'_>, records: &[Tlsa]) -> Self {
        EndpointJson {
            ip: e.observation.endpoint.ip.to_string(),
            port: e.observation.endpoint.port,
            tls: e.has_tls(),
            matched: e.matches.iter().any(|m| m.matches()),
            matches: records
                .iter()
                .zip(&e.matches)
                .map(|(record, m)| MatchJson {
                    record: record.to_string(),
                    result: m.as_str(),
                    depth: match m {
                        RecordMatch::Leaf => Some(0),
                        RecordMatch::TrustAnchor { depth }
                        | RecordMatch::TrustAnchorBroken { depth, .. } => Some(*depth),
                        _ => None,
                    },
                    detail: m.describe(),
                })
                .collect(),
        }
    }
}
