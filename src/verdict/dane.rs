//! DANE verdicts (RFC 7672, SMTP security via opportunistic DANE TLS): whether a mail domain's
//! TLSA records are in effect (DNSSEC-validated, the MX answer and the host's addresses secure
//! too), whether each usable record matches the chain each MX endpoint presented in this run,
//! and which records will stop matching at the next certificate renewal. Pure functions over
//! [`DaneFacts`] and observations; the renderers show [`assess`]'s results.

use crate::dns::{Dnssec, Tlsa};
use crate::model::{CertFacts, DaneFacts, DaneHost, Discovery, Observation, TlsFacts};
use crate::verdict::{Finding, FindingId, Severity};

/// How one TLSA record fared against the chain one endpoint presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordMatch {
    /// DANE-EE (usage 3): the record matches the leaf. Names and dates do not matter (RFC 7672
    /// section 3.1.1).
    Leaf,
    /// DANE-TA (usage 2): the record matches the certificate at `depth` of the presented chain,
    /// each certificate below it is signed by the next, and the leaf names the MX host (RFC 7672
    /// sections 3.1.2 and 3.2.2).
    TrustAnchor {
        /// Where in the presented chain (0 is the leaf).
        depth: usize,
    },
    /// DANE-TA: the record matches a certificate of the chain, but the chain from the leaf up
    /// to it does not hold, or the leaf does not name the MX host.
    TrustAnchorBroken {
        /// Where in the presented chain.
        depth: usize,
        /// Why it does not count.
        why: &'static str,
    },
    /// The record matches no certificate the endpoint presented.
    NoMatch,
    /// Senders skip the record (RFC 7672 section 3.1.3, RFC 6698 section 2.1).
    Unusable(&'static str),
}

impl RecordMatch {
    /// Whether a DANE sender would accept the endpoint on this record.
    pub fn matches(self) -> bool {
        matches!(self, RecordMatch::Leaf | RecordMatch::TrustAnchor { .. })
    }

    /// The name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordMatch::Leaf => "match_leaf",
            RecordMatch::TrustAnchor { .. } => "match_trust_anchor",
            RecordMatch::TrustAnchorBroken { .. } => "trust_anchor_chain_broken",
            RecordMatch::NoMatch => "no_match",
            RecordMatch::Unusable(_) => "unusable",
        }
    }

    /// In words, as the table shows it.
    pub fn describe(self) -> String {
        match self {
            RecordMatch::Leaf => "matches the server certificate".to_string(),
            RecordMatch::TrustAnchor { depth } => {
                format!("matches the issuer certificate at depth {depth}")
            }
            RecordMatch::TrustAnchorBroken { depth, why } => {
                format!("matches the certificate at depth {depth}, but {why}")
            }
            RecordMatch::NoMatch => "matches no certificate presented".to_string(),
            RecordMatch::Unusable(why) => format!("unusable: {why}"),
        }
    }
}

/// Why a record is unusable, if it is.
pub fn unusable(record: &Tlsa) -> Option<&'static str> {
    match record.usage {
        0 | 1 => return Some("usages 0 and 1 (PKIX-TA, PKIX-EE) are not used for SMTP"),
        2 | 3 => {}
        _ => return Some("unknown certificate usage"),
    }
    let expected_len = match record.matching {
        0 => None,
        1 => Some(32),
        2 => Some(64),
        _ => return Some("unknown matching type"),
    };
    if record.selector > 1 {
        return Some("unknown selector");
    }
    match expected_len {
        Some(len) if record.data.len() != len => {
            Some("the association data has the wrong length for its matching type")
        }
        None if record.data.is_empty() => Some("the association data is empty"),
        _ => None,
    }
}

/// Whether a usable record's data is this certificate's (selector, matching type). An exact
/// match (matching type 0) compares SHA-512 digests: the DER itself is not kept.
fn digest_matches(record: &Tlsa, cert: &CertFacts) -> bool {
    let digests = &cert.digests;
    let data = record.data.as_slice();
    match (record.selector, record.matching) {
        (0, 0) => openssl::sha::sha512(data).as_slice() == digests.cert_sha512.as_slice(),
        (0, 1) => hex::decode(&cert.sha256).is_ok_and(|d| d == data),
        (0, 2) => data == digests.cert_sha512.as_slice(),
        (1, 0) => openssl::sha::sha512(data).as_slice() == digests.spki_sha512.as_slice(),
        (1, 1) => data == digests.spki_sha256.as_slice(),
        (1, 2) => data == digests.spki_sha512.as_slice(),
        _ => false,
    }
}

/// One record against the chain one endpoint presented (RFC 6698 section 2.1, RFC 7672
/// section 3.1).
pub fn match_record(record: &Tlsa, tls: &TlsFacts) -> RecordMatch {
    if let Some(why) = unusable(record) {
        return RecordMatch::Unusable(why);
    }
    let chain = &tls.chain;
    if record.usage == 3 {
        return match chain.first() {
            Some(leaf) if digest_matches(record, leaf) => RecordMatch::Leaf,
            _ => RecordMatch::NoMatch,
        };
    }
    // DANE-TA: a certificate the server sent above the leaf (RFC 7672 section 3.1.2 asks the
    // server to include it).
    let Some(depth) = (1..chain.len()).find(|&d| digest_matches(record, &chain[d])) else {
        return RecordMatch::NoMatch;
    };
    let linked = chain[..depth]
        .iter()
        .all(|c| c.digests.issued_by_next == Some(true));
    if !linked {
        let why = "the certificates below it are not each signed by the next";
        return RecordMatch::TrustAnchorBroken { depth, why };
    }
    if tls.verification.hostname_match != Some(true) {
        let why = "the server certificate does not name the MX host";
        return RecordMatch::TrustAnchorBroken { depth, why };
    }
    RecordMatch::TrustAnchor { depth }
}

/// Whether an MX host's TLSA records bind senders, and if not, why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Secure TLSA records under a secure MX answer and secure addresses: DANE senders insist
    /// on them.
    InEffect,
    /// No TLSA records (or the look-up failed).
    NoRecords,
    /// Records exist but senders ignore them: the TLSA answer, the MX answer or the host's
    /// addresses are not secure (RFC 7672 section 2.2).
    Void,
    /// An answer DANE depends on is bogus: validating senders defer mail.
    Bogus,
    /// The TLSA answer failed validation while the trust anchor's zone validates through the
    /// same DNS server: the zone's signatures are broken, and whether records exist is unknown.
    Undecided,
    /// Nothing could be validated: the DNS server this run asks does not pass DNSSEC records
    /// on (even the trust anchor's own zone is bogus through it). Says nothing of the domain.
    Unvalidated,
}

impl Effect {
    /// The name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::InEffect => "in_effect",
            Effect::NoRecords => "no_records",
            Effect::Void => "ignored",
            Effect::Bogus => "bogus",
            Effect::Undecided => "undecided",
            Effect::Unvalidated => "unvalidated",
        }
    }
}

/// An MX host's DANE state with every probed port 25 endpoint's record matches.
#[derive(Debug, Clone)]
pub struct HostAssessment<'a> {
    /// The look-ups.
    pub host: &'a DaneHost,
    /// Whether the records bind senders.
    pub effect: Effect,
    /// One per probed endpoint of the host on port 25.
    pub endpoints: Vec<EndpointAssessment<'a>>,
}

/// The records of a host against one endpoint's presented chain.
#[derive(Debug, Clone)]
pub struct EndpointAssessment<'a> {
    /// The probe.
    pub observation: &'a Observation,
    /// One per TLSA record, in record order; empty when the endpoint presented no chain.
    pub matches: Vec<RecordMatch>,
}

impl EndpointAssessment<'_> {
    /// Whether TLS was negotiated (a chain to match against).
    pub fn has_tls(&self) -> bool {
        self.observation.tls.is_some()
    }
}

/// Each DANE host with its effect and matches.
pub fn assess<'a>(dane: &'a DaneFacts, observations: &'a [Observation]) -> Vec<HostAssessment<'a>> {
    dane.hosts
        .iter()
        .map(|host| HostAssessment {
            host,
            effect: effect(dane, host),
            endpoints: observations
                .iter()
                .filter(|o| o.endpoint.host == host.host && o.endpoint.port == 25)
                .map(|observation| EndpointAssessment {
                    observation,
                    matches: observation.tls.as_ref().map_or(Vec::new(), |tls| {
                        host.records()
                            .iter()
                            .map(|r| match_record(r, tls))
                            .collect()
                    }),
                })
                .collect(),
        })
        .collect()
}

fn effect(dane: &DaneFacts, host: &DaneHost) -> Effect {
    let unknown = Dnssec::Indeterminate;
    let states = [
        dane.mx.unwrap_or(unknown),
        host.addresses.unwrap_or(unknown),
        host.tlsa_dnssec,
    ];
    let bogus = states.contains(&Dnssec::Bogus);
    if bogus && !dane.validates_here() {
        return Effect::Unvalidated;
    }
    if host.records().is_empty() {
        if host.tlsa_dnssec == Dnssec::Bogus {
            return Effect::Undecided;
        }
        return Effect::NoRecords;
    }
    if bogus {
        Effect::Bogus
    } else if states.iter().all(|s| *s == Dnssec::Secure) {
        Effect::InEffect
    } else {
        Effect::Void
    }
}

/// The DANE findings of a mail domain.
pub fn judge(discovery: &Discovery, observations: &[Observation]) -> Vec<Finding> {
    let Some(dane) = &discovery.dane else {
        return Vec::new();
    };
    let domain = discovery.domain.as_deref().unwrap_or("the domain");
    let mut out = Vec::new();
    let mut unvalidated: Vec<&str> = Vec::new();
    for assessment in assess(dane, observations) {
        // One finding for the run: it is about the DNS server, not the hosts.
        if assessment.effect == Effect::Unvalidated {
            unvalidated.push(&assessment.host.host);
            continue;
        }
        host_findings(domain, dane, &assessment, &mut out);
    }
    if !unvalidated.is_empty() {
        out.push(unvalidated_finding(domain, dane, &unvalidated));
    }
    out
}

/// `dane.unvalidated`: nothing validates through this DNS server, so the DANE of these hosts
/// was not checked.
fn unvalidated_finding(domain: &str, dane: &DaneFacts, hosts: &[&str]) -> Finding {
    let zone = match dane.trust_anchor.as_str() {
        "root" => "the root zone".to_string(),
        file => format!("the zone of --trust-anchor {file}"),
    };
    finding(
        FindingId::DaneUnvalidated,
        Severity::Info,
        None,
        format!(
            "DANE of {} could not be checked: the DNS server this run asks does not pass on the DNSSEC records validation needs (even {zone} does not validate through it), so no answer could be validated.",
            hosts.join(", ")
        ),
        format!(
            "To check DANE, run again with --resolver pointing at a DNS server that passes DNSSEC records on (most public resolvers and a local unbound do). Senders ask their own resolvers, so this says nothing about {domain}'s records."
        ),
    )
}

fn finding(
    id: FindingId,
    severity: Severity,
    observation: Option<&Observation>,
    message: String,
    advice: String,
) -> Finding {
    Finding {
        id,
        severity,
        endpoint: observation.map(|o| o.endpoint.label()),
        ip: observation.map(|o| o.endpoint.ip),
        message,
        advice,
    }
}

fn host_findings(domain: &str, dane: &DaneFacts, a: &HostAssessment<'_>, out: &mut Vec<Finding>) {
    let host = a.host;
    let name = &host.host;
    let owner = &host.tlsa_name;
    match a.effect {
        Effect::NoRecords => out.push(no_records(domain, a)),
        Effect::Bogus => out.push(finding(
            FindingId::DaneBogus,
            Severity::Error,
            None,
            format!(
                "DNSSEC validation fails (bogus) for {}: validating senders cannot trust the answers DANE for {name} depends on, and defer mail to it.",
                bogus_parts(dane, host)
            ),
            format!(
                "Fix the signatures of the zone (expired RRSIGs, a DS at the parent for a key no longer in use) so that {owner}, the MX answer of {domain} and the addresses of {name} validate."
            ),
        )),
        Effect::Undecided => out.push(finding(
            FindingId::DaneBogus,
            Severity::Error,
            None,
            format!(
                "The TLSA look-up of {owner} fails DNSSEC validation (bogus), while DNSSEC validates through the same DNS server: the signatures or DS records of {name}'s zone are broken, and senders that validate DNSSEC defer mail to {name} (RFC 7672 section 2.2)."
            ),
            format!(
                "Fix the DNSSEC of {name}'s zone (expired RRSIGs, a DS at the parent for a key no longer in use) so that {owner} validates; check with a validating resolver (`dig +dnssec TLSA {owner}`)."
            ),
        )),
        // Said once for the run, by `judge`.
        Effect::Unvalidated => {}
        Effect::Void => out.push(void(domain, dane, host)),
        Effect::InEffect => in_effect(a, out),
    }
}

fn bogus_parts(dane: &DaneFacts, host: &DaneHost) -> String {
    let mut parts = Vec::new();
    if dane.mx == Some(Dnssec::Bogus) {
        parts.push("the MX answer".to_string());
    }
    if host.addresses == Some(Dnssec::Bogus) {
        parts.push(format!("the addresses of {}", host.host));
    }
    if host.tlsa_dnssec == Dnssec::Bogus {
        parts.push(host.tlsa_name.clone());
    }
    parts.join(", ")
}

fn no_records(domain: &str, a: &HostAssessment<'_>) -> Finding {
    let host = a.host;
    let name = &host.host;
    let owner = &host.tlsa_name;
    if let Err(failure) = &host.tlsa
        && !failure.is_negative()
    {
        return finding(
            FindingId::DaneLookupFailed,
            Severity::Warning,
            None,
            format!("The TLSA look-up of {owner} failed: {failure}."),
            format!(
                "Make the DNS servers of {name}'s zone answer TLSA queries (NOERROR with no records when there are none): a sender that validates DNSSEC defers mail to a host whose TLSA look-up fails (RFC 7672 section 2.2)."
            ),
        );
    }
    // The record to publish for the key the host presents now, when a probe saw it.
    let current = a
        .endpoints
        .iter()
        .filter_map(|e| e.observation.tls.as_ref())
        .find_map(|tls| tls.chain.first())
        .map(|leaf| {
            format!(
                " such as `{owner}. IN TLSA 3 1 1 {}`",
                hex::encode(&leaf.digests.spki_sha256)
            )
        })
        .unwrap_or_default();
    // A signed denial of the TLSA records says the zone is signed already.
    let signed = host.tlsa_dnssec == Dnssec::Secure;
    let advice = if signed {
        format!(
            "Optional: to make senders insist on TLS with this server's key, publish a TLSA record{current} (DANE-EE, SHA-256 of the public key), and one for the next key before each key change."
        )
    } else {
        format!(
            "Optional: DANE needs DNSSEC; sign the zones of {domain} and {name}, then publish a TLSA record{current}."
        )
    };
    finding(
        FindingId::DaneNoTlsa,
        Severity::Info,
        None,
        format!(
            "{name} publishes no TLSA records at {owner}: senders do not authenticate its certificate with DANE."
        ),
        advice,
    )
}

fn void(domain: &str, dane: &DaneFacts, host: &DaneHost) -> Finding {
    let name = &host.host;
    let owner = &host.tlsa_name;
    let message = if host.tlsa_dnssec != Dnssec::Secure {
        format!(
            "{owner} has TLSA records, but the answer is not DNSSEC-validated ({}): senders ignore them.",
            host.tlsa_dnssec.describe()
        )
    } else if dane.mx != Some(Dnssec::Secure) {
        format!(
            "{owner} has signed TLSA records, but the MX answer of {domain} is not DNSSEC-validated ({}): DANE is void, senders never look the records up (RFC 7672 section 2.2.1).",
            dane.mx.unwrap_or(Dnssec::Indeterminate).describe()
        )
    } else {
        format!(
            "{owner} has signed TLSA records, but the addresses of {name} are not DNSSEC-validated ({}): senders do not use DANE for it (RFC 7672 section 2.2.3).",
            host.addresses.unwrap_or(Dnssec::Indeterminate).describe()
        )
    };
    finding(
        FindingId::DaneNotDnssec,
        Severity::Warning,
        None,
        message,
        format!(
            "Sign the zones of {domain} and {name} with DNSSEC (with the DS record at each parent), or remove the TLSA records, which protect nothing without it."
        ),
    )
}

fn in_effect(a: &HostAssessment<'_>, out: &mut Vec<Finding>) {
    let host = a.host;
    let owner = &host.tlsa_name;
    let records = host.records();
    let unusable_records: Vec<String> = records
        .iter()
        .filter_map(|r| unusable(r).map(|why| format!("`{r}` ({why})")))
        .collect();
    if !unusable_records.is_empty() {
        out.push(finding(
            FindingId::DaneUnusableRecord,
            Severity::Warning,
            None,
            format!(
                "Senders skip {} of the TLSA records at {owner}: {}.",
                unusable_records.len(),
                unusable_records.join(", ")
            ),
            "Publish DANE-EE (3 1 1) or DANE-TA (2 1 1) records; SMTP senders ignore usages 0 and 1 and unknown values (RFC 7672 section 3.1.3).".to_string(),
        ));
    }
    let usable = records.iter().any(|r| unusable(r).is_none());
    for endpoint in &a.endpoints {
        endpoint_findings(host, endpoint, usable, out);
    }
}

fn endpoint_findings(
    host: &DaneHost,
    endpoint: &EndpointAssessment<'_>,
    usable: bool,
    out: &mut Vec<Finding>,
) {
    let obs = endpoint.observation;
    let owner = &host.tlsa_name;
    let label = obs.endpoint.describe();
    let Some(tls) = &obs.tls else {
        out.push(finding(
            FindingId::DaneNoStarttls,
            Severity::Error,
            Some(obs),
            format!(
                "{owner} publishes TLSA records, but {label} did not complete STARTTLS and TLS in this run: senders that use DANE will not deliver to it."
            ),
            "Offer STARTTLS on port 25 with the certificate the TLSA records name (RFC 7672 section 2.2: with TLSA records, TLS is mandatory).".to_string(),
        ));
        return;
    };
    if !usable {
        return;
    }
    let records = host.records();
    let matching: Vec<&Tlsa> = records
        .iter()
        .zip(&endpoint.matches)
        .filter(|(_, m)| m.matches())
        .map(|(r, _)| r)
        .collect();
    if matching.is_empty() {
        let broken: Vec<String> = endpoint
            .matches
            .iter()
            .filter(|m| matches!(m, RecordMatch::TrustAnchorBroken { .. }))
            .map(|m| m.describe())
            .collect();
        let detail = if broken.is_empty() {
            String::new()
        } else {
            format!(" (a DANE-TA record {})", broken.join("; "))
        };
        let key = tls
            .chain
            .first()
            .map(|leaf| {
                format!(
                    " For the key it presents now that is `{owner}. IN TLSA 3 1 1 {}`.",
                    hex::encode(&leaf.digests.spki_sha256)
                )
            })
            .unwrap_or_default();
        out.push(finding(
            FindingId::DaneNoMatch,
            Severity::Error,
            Some(obs),
            format!(
                "No usable TLSA record at {owner} matches the certificate chain {label} presented{detail}: senders that use DANE will not deliver to it."
            ),
            format!(
                "Publish a TLSA record for the certificate or key the server presents, or put back the certificate the records name.{key}"
            ),
        ));
        return;
    }
    let shown: Vec<String> = matching.iter().map(|r| format!("`{r}`")).collect();
    out.push(finding(
        FindingId::DaneMatch,
        Severity::Info,
        Some(obs),
        format!(
            "DANE: {} at {owner} matches the certificate chain {label} presented; senders that use DANE deliver to it over authenticated TLS.",
            shown.join(", ")
        ),
        "Nothing to do; before changing the certificate or key, publish a TLSA record for the new one first.".to_string(),
    ));
    renewal(host, &matching, obs, out);
}

/// Records that stop matching at the next certificate renewal: a `3 0 x` record names this one
/// certificate; `3 1 x` records hold only while the key is kept.
fn renewal(host: &DaneHost, matching: &[&Tlsa], obs: &Observation, out: &mut Vec<Finding>) {
    let owner = &host.tlsa_name;
    let records = host.records();
    let usable: Vec<&Tlsa> = records.iter().filter(|r| unusable(r).is_none()).collect();
    let by_ta = matching.iter().any(|r| r.usage == 2);
    if by_ta {
        return;
    }
    if matching.iter().all(|r| r.selector == 0) {
        out.push(finding(
            FindingId::DaneBreaksOnRenewal,
            Severity::Warning,
            Some(obs),
            format!(
                "Only a full-certificate record (DANE-EE, selector 0) at {owner} matches: the next certificate will not match it, even with the same key, and senders that use DANE will stop delivering."
            ),
            "Publish a 3 1 1 record (SHA-256 of the public key, which survives renewals that keep the key), or a 2 1 1 record for the issuing CA, and update the records before each certificate change.".to_string(),
        ));
        return;
    }
    let spare = usable.len() > matching.len();
    if !spare {
        out.push(finding(
            FindingId::DaneKeyPinned,
            Severity::Info,
            Some(obs),
            format!(
                "The TLSA records at {owner} match only the current key: a renewal that keeps the key is fine, a new key breaks delivery from senders that use DANE until the records change."
            ),
            "Before a key change, publish a second 3 1 1 record for the next key (or a 2 1 1 record for the issuing CA), wait for the TTL, then switch.".to_string(),
        ));
    }
}

#[cfg(test)]
#[path = "dane/tests.rs"]
mod tests;
