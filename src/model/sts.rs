//! What discovery found about a mail domain's inbound transport policies: MTA-STS (RFC 8461:
//! its TXT record, the policy fetched over HTTPS, each MX host against it) and TLS-RPT (RFC
//! 8460: its TXT record). Plain data, filled by `run::discover` and `probe::sts`, judged by
//! `verdict::sts`, shown by the renderers.

use std::net::IpAddr;
use std::time::Duration;

use crate::dns::LookupFailure;
use crate::model::{Candidate, NotProbed, Observation, Phase, Source, State, TlsFacts};
use crate::smtp::{sts, tlsrpt};

/// The inbound transport policies of a mail domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policies {
    /// MTA-STS.
    pub mta_sts: MtaSts,
    /// TLS-RPT.
    pub tls_rpt: TxtLookup,
}

/// A TXT look-up: the name asked and every TXT string there (or why there was none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxtLookup {
    /// The name asked (`_mta-sts.example.com`).
    pub name: String,
    /// Every TXT string at the name, or why there was none.
    pub answer: Result<Vec<String>, LookupFailure>,
}

impl TxtLookup {
    /// The TXT strings that `is_record` takes for the policy's own (others are discarded).
    pub fn records(&self, is_record: fn(&str) -> bool) -> Vec<&str> {
        match &self.answer {
            Ok(texts) => texts
                .iter()
                .map(String::as_str)
                .filter(|t| is_record(t))
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// The MTA-STS records at the name, parsed (RFC 8461 section 3.1).
    pub fn sts_records(&self) -> Vec<(&str, sts::Record)> {
        self.records(sts::is_record)
            .into_iter()
            .map(|t| (t, sts::parse_record(t)))
            .collect()
    }

    /// The TLS-RPT records at the name, parsed (RFC 8460 section 3).
    pub fn tlsrpt_records(&self) -> Vec<(&str, tlsrpt::Record)> {
        self.records(tlsrpt::is_record)
            .into_iter()
            .map(|t| (t, tlsrpt::parse_record(t)))
            .collect()
    }

    /// Whether the look-up itself failed (not "no records": SERVFAIL, a timeout, ...).
    pub fn failed(&self) -> Option<&LookupFailure> {
        self.answer.as_ref().err().filter(|f| !f.is_negative())
    }
}

/// MTA-STS of a domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MtaSts {
    /// The `_mta-sts` TXT look-up.
    pub txt: TxtLookup,
    /// The policy fetch; `None` when no MTA-STS record was found (senders do not fetch then,
    /// and neither does this tool).
    pub fetch: Option<PolicyFetch>,
    /// Every MX host of the domain against the fetched policy (empty without a policy).
    pub mx: Vec<MxPolicyCheck>,
}

impl MtaSts {
    /// The fetched policy, parsed, when the fetch got a body.
    pub fn policy(&self) -> Option<&sts::Policy> {
        self.fetch.as_ref().and_then(|f| f.policy.as_ref())
    }
}

/// Which step of the policy fetch failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchPhase {
    /// The policy host's addresses.
    Resolve,
    /// The TCP connection.
    Connect,
    /// The TLS handshake.
    Tls,
    /// The HTTP request and the response head.
    Http,
    /// The response body.
    Body,
}

impl FetchPhase {
    /// The name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            FetchPhase::Resolve => "resolve",
            FetchPhase::Connect => "connect",
            FetchPhase::Tls => "tls",
            FetchPhase::Http => "http",
            FetchPhase::Body => "body",
        }
    }
}

/// Why the policy fetch stopped short.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchError {
    /// The step it stopped in.
    pub phase: FetchPhase,
    /// What happened, in plain words.
    pub message: String,
    /// It ran out of time (`--timeout` or the run's deadline).
    pub timed_out: bool,
}

/// Time spent per step of the policy fetch; `None` where the step did not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FetchTimings {
    /// TCP connect (the successful attempt).
    pub connect: Option<Duration>,
    /// TLS handshake.
    pub tls: Option<Duration>,
    /// From the request to the response head.
    pub response: Option<Duration>,
    /// Reading the body.
    pub body: Option<Duration>,
    /// The whole fetch, look-up of the host included.
    pub total: Duration,
}

/// The HTTPS fetch of `https://mta-sts.<domain>/.well-known/mta-sts.txt` (RFC 8461 section 3.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyFetch {
    /// The URL fetched.
    pub url: String,
    /// The policy host (`mta-sts.<domain>`), the name the certificate must be valid for.
    pub host: String,
    /// Its addresses, as the run's resolver (or `--resolve`) gave them.
    pub addresses: Vec<IpAddr>,
    /// The address the fetch connected to.
    pub ip: Option<IpAddr>,
    /// The port it connected to (443, or where `--port-map 443=PORT` sent it).
    pub port: u16,
    /// Why it stopped short; `None` when a response came back in full (whatever its status).
    pub error: Option<FetchError>,
    /// The policy host's TLS facts, its certificate checked against `host`.
    pub tls: Option<TlsFacts>,
    /// The HTTP status code.
    pub status: Option<u16>,
    /// The `Location` header of a redirect (never followed: RFC 8461 section 3.3).
    pub location: Option<String>,
    /// The `Content-Type` header as sent.
    pub content_type: Option<String>,
    /// How many body bytes were read (at most the bound, plus one frame).
    pub body_bytes: usize,
    /// The body went past the bound ([`POLICY_SIZE_LIMIT`]); it was not read further.
    pub too_large: bool,
    /// The body as text, when it was read in full and is UTF-8.
    pub body: Option<String>,
    /// The body parsed as a policy, when it was read in full with status 200.
    pub policy: Option<sts::Policy>,
    /// Time per step.
    pub timings: FetchTimings,
}

/// The bound on a policy body: 64 KiB. RFC 8461 sets no size; a real policy is a few hundred
/// bytes, so anything larger is not a policy (and is not read further).
pub const POLICY_SIZE_LIMIT: usize = 64 * 1024;

impl PolicyFetch {
    /// A fetch that has not started: the URL and host for `domain`.
    pub fn new(domain: &str, port: u16) -> PolicyFetch {
        let host = format!("{}.{domain}", sts::POLICY_HOST_LABEL);
        PolicyFetch {
            url: format!("https://{host}{}", sts::POLICY_PATH),
            host,
            addresses: Vec::new(),
            ip: None,
            port,
            error: None,
            tls: None,
            status: None,
            location: None,
            content_type: None,
            body_bytes: 0,
            too_large: false,
            body: None,
            policy: None,
            timings: FetchTimings::default(),
        }
    }

    /// Whether the content type is `text/plain` (parameters such as `charset` allowed; RFC 8461
    /// section 3.3).
    pub fn is_text_plain(&self) -> bool {
        self.content_type.as_deref().is_some_and(|ct| {
            ct.split(';')
                .next()
                .is_some_and(|media| media.trim().eq_ignore_ascii_case("text/plain"))
        })
    }
}

/// OpenSSL's X509_V_ERR_CERT_NOT_YET_VALID and X509_V_ERR_CERT_HAS_EXPIRED.
const DATE_ERRORS: [i32; 2] = [9, 10];
/// OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH, _EMAIL_MISMATCH and _IP_ADDRESS_MISMATCH.
const NAME_ERRORS: [i32; 3] = [62, 63, 64];

/// Why a certificate is not valid for the name it was checked against (`name` when none was
/// recorded), in words: "not trusted (...)", "not valid for NAME (it names ...)", "out of its
/// dates (...)"; `None` when it is trusted, names it and is within its dates, as MTA-STS
/// demands of the policy host (RFC 8461 section 3.3) and of each MX host (section 4.2).
pub fn certificate_problem(tls: &TlsFacts, name: &str) -> Option<String> {
    let v = &tls.verification;
    if !v.trusted {
        let reason = v
            .errors
            .iter()
            .find(|e| !DATE_ERRORS.contains(&e.code) && !NAME_ERRORS.contains(&e.code))
            .map_or("no chain to a trusted root", |e| e.message.as_str());
        return Some(format!("not trusted ({reason})"));
    }
    if v.hostname_match != Some(true) {
        let names: Vec<&str> = tls
            .chain
            .first()
            .map(|leaf| leaf.san.iter().map(String::as_str).collect())
            .unwrap_or_default();
        let names = if names.is_empty() {
            "no DNS names".to_string()
        } else {
            names.join(", ")
        };
        let checked = v.checked_name.as_deref().unwrap_or(name);
        return Some(format!("not valid for {checked} (it names {names})"));
    }
    v.errors
        .iter()
        .find(|e| DATE_ERRORS.contains(&e.code))
        .map(|e| format!("out of its dates ({})", e.message))
}

/// How one address of an MX host fared on TLS, as the policy demands it (RFC 8461 section
/// 4.2: STARTTLS with a certificate valid for the MX host name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MxTls {
    /// A certificate that is trusted, names the host and is within its dates.
    Valid,
    /// A certificate, but not a valid one (the reason in words).
    Invalid(String),
    /// The server answered but gave no TLS (no STARTTLS, or it failed).
    NoTls(String),
    /// The probe did not get far enough to tell (refused, timed out, not probed).
    Unknown(String),
}

impl MxTls {
    /// The name used in JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            MxTls::Valid => "valid",
            MxTls::Invalid(_) => "invalid",
            MxTls::NoTls(_) => "no_tls",
            MxTls::Unknown(_) => "unknown",
        }
    }

    /// The reason, for all but `Valid`.
    pub fn reason(&self) -> Option<&str> {
        match self {
            MxTls::Valid => None,
            MxTls::Invalid(r) | MxTls::NoTls(r) | MxTls::Unknown(r) => Some(r),
        }
    }

    /// What the port 25 probe of one address says about it.
    pub fn of(obs: &Observation) -> MxTls {
        if let Some(tls) = &obs.tls {
            return match certificate_problem(tls, &obs.endpoint.host) {
                None => MxTls::Valid,
                Some(problem) => MxTls::Invalid(problem),
            };
        }
        if let Some(error) = &obs.error
            && matches!(error.phase, Phase::Starttls | Phase::Tls)
        {
            return MxTls::NoTls(error.message.clone());
        }
        if obs.state == State::Ok && obs.starttls.as_ref().is_none_or(|s| !s.offered) {
            return MxTls::NoTls("STARTTLS is not offered".to_string());
        }
        let why = obs
            .error
            .as_ref()
            .map_or_else(|| obs.state.as_str().to_string(), |e| e.message.clone());
        MxTls::Unknown(why)
    }
}

/// One MX host against the domain's policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MxPolicyCheck {
    /// The MX host name.
    pub host: String,
    /// The policy's pattern it matches, if any (RFC 8461 section 4.1).
    pub pattern: Option<String>,
    /// Its probed addresses on port 25 and how each fared on TLS (empty when not probed).
    pub tls: Vec<(IpAddr, MxTls)>,
}

impl MxPolicyCheck {
    /// An MX host against a policy, with the port 25 observations of its addresses.
    pub fn new<'a>(
        host: &str,
        policy: &sts::Policy,
        observations: impl IntoIterator<Item = &'a Observation>,
    ) -> MxPolicyCheck {
        MxPolicyCheck {
            host: host.to_string(),
            pattern: policy.pattern_for(host).map(str::to_string),
            tls: observations
                .into_iter()
                .filter(|o| o.endpoint.host == host && o.endpoint.port == 25)
                .map(|o| (o.endpoint.ip, MxTls::of(o)))
                .collect(),
        }
    }
}

impl Policies {
    /// Checks every MX host a domain's inbound section considered (its MX records, or the
    /// domain itself as implicit MX) against the fetched policy, with the port 25 probes of its
    /// addresses. Nothing to check without a parsed policy.
    pub fn check_mx<'a>(
        &mut self,
        candidates: &[Candidate],
        observations: impl Iterator<Item = &'a Observation> + Clone,
    ) {
        let Some(policy) = self.mta_sts.policy().cloned() else {
            return;
        };
        self.mta_sts.mx = candidates
            .iter()
            .filter(|c| matches!(c.source, Source::Mx | Source::ImplicitMx))
            .filter(|c| c.not_probed != Some(NotProbed::IpLiteral))
            .map(|c| MxPolicyCheck::new(&c.host, &policy, observations.clone()))
            .collect();
    }
}
