//! The JSON of a mail domain's inbound transport policies, under `domain`: `mta_sts` (the TXT
//! look-up and its records, the policy fetch, the parsed policy, each MX host against it) and
//! `tls_rpt` (the TXT look-up and its records). README "JSON output" lists the fields.

use serde::Serialize;

use crate::dns::LookupFailure;
use crate::model::{MtaSts, MxPolicyCheck, PolicyFetch, TxtLookup};
use crate::report::schema::{TlsJson, ms};
use crate::smtp::sts::Policy;

/// `domain.mta_sts`.
#[derive(Serialize)]
pub(super) struct MtaStsJson<'a> {
    txt: TxtJson<'a>,
    records: Vec<StsRecordJson<'a>>,
    fetch: Option<FetchJson<'a>>,
    policy: Option<PolicyJson<'a>>,
    mx: Vec<MxJson<'a>>,
}

/// `domain.tls_rpt`.
#[derive(Serialize)]
pub(super) struct TlsRptJson<'a> {
    txt: TxtJson<'a>,
    records: Vec<RptRecordJson<'a>>,
}

#[derive(Serialize)]
struct TxtJson<'a> {
    name: &'a str,
    answer: Option<&'a [String]>,
    error: Option<&'static str>,
    message: Option<String>,
}

#[derive(Serialize)]
struct StsRecordJson<'a> {
    text: &'a str,
    id: Option<String>,
    valid: bool,
    problems: Vec<String>,
}

#[derive(Serialize)]
struct RptRecordJson<'a> {
    text: &'a str,
    rua: Vec<String>,
    valid: bool,
    problems: Vec<String>,
}

#[derive(Serialize)]
struct FetchJson<'a> {
    url: &'a str,
    host: &'a str,
    addresses: Vec<String>,
    ip: Option<String>,
    port: u16,
    error: Option<FetchErrorJson<'a>>,
    tls: Option<TlsJson<'a>>,
    status: Option<u16>,
    location: Option<&'a str>,
    content_type: Option<&'a str>,
    text_plain: bool,
    body_bytes: usize,
    too_large: bool,
    timings_ms: FetchTimingsJson,
}

#[derive(Serialize)]
struct FetchErrorJson<'a> {
    phase: &'static str,
    message: &'a str,
    timed_out: bool,
}

#[derive(Serialize)]
struct FetchTimingsJson {
    connect: Option<u64>,
    tls: Option<u64>,
    response: Option<u64>,
    body: Option<u64>,
    total: u64,
}

#[derive(Serialize)]
struct PolicyJson<'a> {
    version: Option<&'a str>,
    mode: Option<&'static str>,
    mx: &'a [String],
    max_age: Option<u64>,
    valid: bool,
    problems: Vec<ProblemJson<'a>>,
    unknown_keys: Vec<UnknownJson<'a>>,
}

#[derive(Serialize)]
struct ProblemJson<'a> {
    line: Option<usize>,
    message: &'a str,
}

#[derive(Serialize)]
struct UnknownJson<'a> {
    line: usize,
    key: &'a str,
}

#[derive(Serialize)]
struct MxJson<'a> {
    host: &'a str,
    pattern: Option<&'a str>,
    matches: bool,
    tls: Vec<MxTlsJson<'a>>,
}

#[derive(Serialize)]
struct MxTlsJson<'a> {
    ip: String,
    result: &'static str,
    reason: Option<&'a str>,
}

impl<'a> From<&'a TxtLookup> for TxtJson<'a> {
    fn from(t: &'a TxtLookup) -> Self {
        TxtJson {
            name: &t.name,
            answer: t.answer.as_deref().ok(),
            error: t.answer.as_ref().err().map(LookupFailure::as_str),
            message: t.answer.as_ref().err().map(ToString::to_string),
        }
    }
}

impl<'a> From<&'a MtaSts> for MtaStsJson<'a> {
    fn from(sts: &'a MtaSts) -> Self {
        MtaStsJson {
            txt: TxtJson::from(&sts.txt),
            records: sts
                .txt
                .sts_records()
                .into_iter()
                .map(|(text, r)| StsRecordJson {
                    text,
                    valid: r.is_valid(),
                    id: r.id,
                    problems: r.problems,
                })
                .collect(),
            fetch: sts.fetch.as_ref().map(FetchJson::from),
            policy: sts.policy().map(PolicyJson::from),
            mx: sts.mx.iter().map(MxJson::from).collect(),
        }
    }
}

impl<'a> From<&'a TxtLookup> for TlsRptJson<'a> {
    fn from(t: &'a TxtLookup) -> Self {
        TlsRptJson {
            txt: TxtJson::from(t),
            records: t
                .tlsrpt_records()
                .into_iter()
                .map(|(text, r)| RptRecordJson {
                    text,
                    valid: r.is_valid(),
                    rua: r.rua,
                    problems: r.problems,
                })
                .collect(),
        }
    }
}

impl<'a> From<&'a PolicyFetch> for FetchJson<'a> {
    fn from(f: &'a PolicyFetch) -> Self {
        FetchJson {
            url: &f.url,
            host: &f.host,
            addresses: f.addresses.iter().map(ToString::to_string).collect(),
            ip: f.ip.map(|ip| ip.to_string()),
            port: f.port,
            error: f.error.as_ref().map(|e| FetchErrorJson {
                phase: e.phase.as_str(),
                message: &e.message,
                timed_out: e.timed_out,
            }),
            tls: f.tls.as_ref().map(TlsJson::from),
            status: f.status,
            location: f.location.as_deref(),
            content_type: f.content_type.as_deref(),
            text_plain: f.is_text_plain(),
            body_bytes: f.body_bytes,
            too_large: f.too_large,
            timings_ms: FetchTimingsJson {
                connect: f.timings.connect.map(ms),
                tls: f.timings.tls.map(ms),
                response: f.timings.response.map(ms),
                body: f.timings.body.map(ms),
                total: ms(f.timings.total),
            },
        }
    }
}

impl<'a> From<&'a Policy> for PolicyJson<'a> {
    fn from(p: &'a Policy) -> Self {
        PolicyJson {
            version: p.version.as_deref(),
            mode: p.mode.map(|m| m.as_str()),
            mx: &p.mx,
            max_age: p.max_age,
            valid: p.is_valid(),
            problems: p
                .problems
                .iter()
                .map(|x| ProblemJson {
                    line: x.line,
                    message: &x.message,
                })
                .collect(),
            unknown_keys: p
                .unknown
                .iter()
                .map(|(line, key)| UnknownJson { line: *line, key })
                .collect(),
        }
    }
}

impl<'a> From<&'a MxPolicyCheck> for MxJson<'a> {
    fn from(m: &'a MxPolicyCheck) -> Self {
        MxJson {
            host: &m.host,
            pattern: m.pattern.as_deref(),
            matches: m.pattern.is_some(),
            tls: m
                .tls
                .iter()
                .map(|(ip, tls)| MxTlsJson {
                    ip: ip.to_string(),
                    result: tls.as_str(),
                    reason: tls.reason(),
                })
                .collect(),
        }
    }
}
