//! Judges a mail domain's inbound transport policies from discovery data: MTA-STS (RFC 8461)
//! and TLS-RPT (RFC 8460). Pure: no I/O. Each finding says what senders such as Gmail and
//! Microsoft make of what was seen, and what the domain owner should change.

use crate::model::{
    Discovery, MtaSts, MxTls, POLICY_SIZE_LIMIT, Policies, PolicyFetch, TxtLookup,
    certificate_problem,
};
use crate::smtp::sts::{MAX_AGE_LIMIT, Mode, excerpt};
use crate::verdict::{Finding, FindingId, Severity};

/// A `max_age` below this (one day) makes the policy lapse between a sender's visits, so a
/// downgrade attack can wait it out (RFC 8461 section 3.2 suggests weeks).
pub const MAX_AGE_SHORT: u64 = 86_400;

/// The policy findings of a domain (none for a typed server).
pub fn judge(discovery: &Discovery) -> Vec<Finding> {
    let Some(policies) = &discovery.policies else {
        return Vec::new();
    };
    let domain = discovery.domain.as_deref().unwrap_or("");
    let mut out = Vec::new();
    mta_sts(domain, &policies.mta_sts, &mut out);
    tls_rpt(domain, policies, &mut out);
    out
}

fn finding(id: FindingId, severity: Severity, message: String, advice: String) -> Finding {
    Finding {
        id,
        severity,
        endpoint: None,
        ip: None,
        message,
        advice,
    }
}

/// The MTA-STS findings, in the order a sender meets the problems.
fn mta_sts(domain: &str, sts: &MtaSts, out: &mut Vec<Finding>) {
    let name = &sts.txt.name;
    if let Some(failure) = sts.txt.failed() {
        out.push(finding(
            FindingId::MtaStsLookupFailed,
            Severity::Warning,
            format!("The TXT look-up of {name} failed: {failure}."),
            "Make sure the domain's DNS servers answer TXT queries for that name; senders that cannot read it treat the domain as having no MTA-STS policy.".into(),
        ));
        return;
    }
    let records = sts.txt.sts_records();
    if !record_findings(domain, name, &records, out) {
        return;
    }
    let Some(fetch) = &sts.fetch else {
        return;
    };
    let served = policy_served(fetch, out);
    let Some(policy) = &fetch.policy else {
        return;
    };
    if !policy.is_valid() {
        let problems: Vec<String> = policy
            .problems
            .iter()
            .map(|p| match p.line {
                Some(line) => format!("line {line}: {}", p.message),
                None => p.message.clone(),
            })
            .collect();
        out.push(finding(
            FindingId::MtaStsPolicyInvalid,
            Severity::Error,
            format!(
                "The policy at {} is not valid: {}; senders ignore it.",
                fetch.url,
                problems.join("; ")
            ),
            format!(
                "Serve lines `version: STSv1`, `mode: enforce` (or testing, none), one `mx: <host or *.domain>` per MX host and `max_age: <seconds, at most {MAX_AGE_LIMIT}>` (RFC 8461 section 3.2)."
            ),
        ));
        return;
    }
    let records_ok = records.len() == 1 && records.iter().all(|(_, r)| r.is_valid());
    let in_effect = served && records_ok;
    let mode = policy.mode.unwrap_or(Mode::None);
    match mode {
        Mode::Testing => out.push(finding(
            FindingId::MtaStsModeTesting,
            Severity::Info,
            format!("The MTA-STS policy of {domain} is in mode testing: senders report TLS failures (to the TLS-RPT address) but deliver anyway."),
            "Once the TLS-RPT reports show no failures, switch to `mode: enforce` (and change the id in the TXT record).".into(),
        )),
        Mode::None => {
            out.push(finding(
                FindingId::MtaStsModeNone,
                Severity::Info,
                format!("The MTA-STS policy of {domain} is in mode none: it withdraws the policy, senders apply none."),
                "If that is not meant as a withdrawal, set `mode: testing` or `mode: enforce`; to withdraw, keep mode none until the old max_age has passed, then remove the record.".into(),
            ));
            return;
        }
        Mode::Enforce => {}
    }
    if let Some(age) = policy.max_age
        && age < MAX_AGE_SHORT
    {
        out.push(finding(
            FindingId::MtaStsMaxAgeShort,
            Severity::Warning,
            format!("The policy's max_age is {age} seconds (under a day): senders forget it between visits, and an attacker who blocks the fetch meanwhile can downgrade delivery."),
            "Use a max_age of weeks, e.g. `max_age: 1209600` (two weeks) or more.".into(),
        ));
    }
    mx_findings(domain, sts, mode, in_effect, out);
}

/// The findings about the `_mta-sts` records; `false` when there is none (nothing more to
/// judge).
fn record_findings(
    domain: &str,
    name: &str,
    records: &[(&str, crate::smtp::sts::Record)],
    out: &mut Vec<Finding>,
) -> bool {
    match records {
        [] => {
            out.push(finding(
                FindingId::MtaStsAbsent,
                Severity::Info,
                format!("{domain} publishes no MTA-STS record ({name})."),
                "To make senders insist on TLS with a valid certificate when they deliver to your MX hosts, publish an MTA-STS policy (RFC 8461): a TXT record `v=STSv1; id=...` at _mta-sts and the policy file at https://mta-sts.<domain>/.well-known/mta-sts.txt; start in mode testing with a TLS-RPT record.".into(),
            ));
            return false;
        }
        [_] => {}
        several => {
            out.push(finding(
                FindingId::MtaStsRecordMultiple,
                Severity::Error,
                format!(
                    "{name} has {} MTA-STS records; RFC 8461 section 3.1 makes senders treat the domain as having no policy then.",
                    several.len()
                ),
                "Keep exactly one TXT record starting with `v=STSv1;` at that name; delete the others (change its id when the policy changes, rather than adding a record).".into(),
            ));
        }
    }
    for (text, record) in records {
        if !record.is_valid() {
            out.push(finding(
                FindingId::MtaStsRecordInvalid,
                Severity::Error,
                format!(
                    "The MTA-STS record \"{}\" is not valid: {}; senders ignore it.",
                    excerpt(text),
                    record.problems.join("; ")
                ),
                "Write it as `v=STSv1; id=20240101T000000` (RFC 8461 section 3.1): the id 1 to 32 letters and digits, changed whenever the policy changes.".into(),
            ));
        }
    }
    true
}

/// The findings about how the policy is served; `true` when senders can use it (no fetch
/// error, a valid certificate, status 200, `text/plain`, within the size bound).
fn policy_served(fetch: &PolicyFetch, out: &mut Vec<Finding>) -> bool {
    let url = &fetch.url;
    if let Some(error) = &fetch.error {
        out.push(finding(
            FindingId::MtaStsPolicyUnreachable,
            Severity::Error,
            format!(
                "The MTA-STS record is there, but the policy at {url} could not be fetched ({} step): {}.",
                error.phase.as_str(),
                error.message
            ),
            format!(
                "Serve the policy over HTTPS at {url} (port 443, a certificate valid for {}); senders that cannot fetch it use no policy, or a cached one that may have run out.",
                fetch.host
            ),
        ));
        return false;
    }
    let certificate = certificate_finding(fetch);
    let mut ok = certificate.is_none();
    out.extend(certificate);
    match fetch.status {
        Some(200) => {}
        Some(status) if (300..400).contains(&status) => {
            ok = false;
            let to = fetch
                .location
                .as_deref()
                .map_or(String::new(), |l| format!(" to {l}"));
            out.push(finding(
                FindingId::MtaStsPolicyRedirect,
                Severity::Error,
                format!("{url} answers {status}, a redirect{to}; RFC 8461 section 3.3 forbids following it, so senders get no policy."),
                "Serve the policy file itself at that URL with status 200 (no redirect to https://www..., no trailing-slash rewrite).".into(),
            ));
        }
        Some(status) => {
            ok = false;
            out.push(finding(
                FindingId::MtaStsPolicyStatus,
                Severity::Error,
                format!("{url} answers HTTP {status}, not 200; senders get no policy."),
                "Put the policy file at /.well-known/mta-sts.txt on the policy host and make it answer 200.".into(),
            ));
        }
        None => ok = false,
    }
    if fetch.status == Some(200) {
        if !fetch.is_text_plain() {
            ok = false;
            let given = fetch.content_type.as_deref().unwrap_or("no Content-Type");
            out.push(finding(
                FindingId::MtaStsPolicyContentType,
                Severity::Error,
                format!("{url} is served as {given}, not text/plain; RFC 8461 section 3.3 makes senders reject it."),
                "Serve the file with `Content-Type: text/plain` (a web server's default page or an HTML error page is not a policy).".into(),
            ));
        }
        if fetch.too_large {
            ok = false;
            out.push(finding(
                FindingId::MtaStsPolicyTooLarge,
                Severity::Error,
                format!(
                    "The body of {url} is larger than {} KiB; a policy is a few lines, and this tool (like senders) stops reading.",
                    POLICY_SIZE_LIMIT / 1024
                ),
                "Serve only the policy lines at that URL.".into(),
            ));
        }
    }
    ok
}

/// `mta_sts.policy_certificate` when the policy host's certificate is not valid for its name.
fn certificate_finding(fetch: &PolicyFetch) -> Option<Finding> {
    let host = &fetch.host;
    let problem = certificate_problem(fetch.tls.as_ref()?, host)?;
    Some(finding(
        FindingId::MtaStsPolicyCertificate,
        Severity::Error,
        format!("The certificate of {host} is {problem}; senders refuse a policy fetched over it."),
        format!(
            "Give the web server of {host} a certificate from a public CA that names {host} (a wildcard for the domain does too)."
        ),
    ))
}

/// Every MX host against the policy: it must match an `mx` pattern (RFC 8461 section 4.1) and
/// offer STARTTLS with a certificate valid for its name (section 4.2). In mode enforce, with
/// the policy in effect, a failure means senders will not deliver there: an error.
fn mx_findings(domain: &str, sts: &MtaSts, mode: Mode, in_effect: bool, out: &mut Vec<Finding>) {
    let severity = if mode == Mode::Enforce && in_effect {
        Severity::Error
    } else {
        Severity::Warning
    };
    let consequence = if mode == Mode::Enforce {
        "senders that apply the policy (mode enforce) will not deliver to it"
    } else {
        "senders report it (mode testing) but still deliver"
    };
    let patterns: Vec<&str> = sts
        .policy()
        .map(|p| p.mx.iter().map(String::as_str).collect())
        .unwrap_or_default();
    let mut all_good = !sts.mx.is_empty();
    for check in &sts.mx {
        if check.pattern.is_none() {
            all_good = false;
            out.push(finding(
                FindingId::MtaStsMxNotCovered,
                severity,
                format!(
                    "The MX host {} of {domain} matches none of the policy's mx patterns ({}); {consequence}.",
                    check.host,
                    patterns.join(", ")
                ),
                format!(
                    "Add `mx: {}` (or a `*.` pattern for its parent) to the policy and change the id in the TXT record, or point the MX record at a covered host.",
                    check.host
                ),
            ));
        }
        for (ip, tls) in &check.tls {
            let reason = match tls {
                MxTls::Valid => continue,
                MxTls::Unknown(_) => {
                    all_good = false;
                    continue;
                }
                MxTls::Invalid(reason) => format!("its certificate is {reason}"),
                MxTls::NoTls(reason) => format!("it gives no TLS ({reason})"),
            };
            all_good = false;
            out.push(finding(
                FindingId::MtaStsMxCertificate,
                severity,
                format!(
                    "The MX host {} ({ip}) fails the policy's TLS demand: {reason}; {consequence}.",
                    check.host
                ),
                format!(
                    "Offer STARTTLS on port 25 of {} with a certificate from a public CA that names {} (RFC 8461 section 4.2).",
                    check.host, check.host
                ),
            ));
        }
    }
    if all_good && in_effect {
        out.push(finding(
            FindingId::MtaStsOk,
            Severity::Info,
            format!(
                "{domain} has a valid MTA-STS policy (mode {}) and every MX host matches it with a valid certificate.",
                mode.as_str()
            ),
            "Nothing to change; when MX hosts change, update the policy and its id first.".into(),
        ));
    }
}

/// The TLS-RPT findings (RFC 8460 section 3).
fn tls_rpt(domain: &str, policies: &Policies, out: &mut Vec<Finding>) {
    let lookup: &TxtLookup = &policies.tls_rpt;
    let name = &lookup.name;
    if let Some(failure) = lookup.failed() {
        out.push(finding(
            FindingId::TlsRptLookupFailed,
            Severity::Warning,
            format!("The TXT look-up of {name} failed: {failure}."),
            "Make sure the domain's DNS servers answer TXT queries for that name.".into(),
        ));
        return;
    }
    let records = lookup.tlsrpt_records();
    match records.as_slice() {
        [] => out.push(finding(
            FindingId::TlsRptAbsent,
            Severity::Info,
            format!("{domain} publishes no TLS-RPT record ({name}): senders cannot tell it when TLS delivery to its MX hosts fails."),
            "Publish a TXT record `v=TLSRPTv1; rua=mailto:tls-reports@<domain>` at _smtp._tls to get daily reports of delivery failures (RFC 8460).".into(),
        )),
        [(text, record)] if !record.is_valid() => out.push(finding(
            FindingId::TlsRptInvalid,
            Severity::Warning,
            format!(
                "The TLS-RPT record \"{}\" is not valid: {}; senders send no reports.",
                excerpt(text),
                record.problems.join("; ")
            ),
            "Write it as `v=TLSRPTv1; rua=mailto:tls-reports@<domain>` (one or more mailto: or https: addresses, comma-separated; RFC 8460 section 3).".into(),
        )),
        [(_, record)] => out.push(finding(
            FindingId::TlsRptOk,
            Severity::Info,
            format!(
                "{domain} asks for TLS reports at {}.",
                record.rua.join(", ")
            ),
            "Read those reports: they show senders' TLS failures before they turn into lost mail.".into(),
        )),
        several => out.push(finding(
            FindingId::TlsRptMultiple,
            Severity::Warning,
            format!(
                "{name} has {} TLS-RPT records; RFC 8460 section 3 makes senders treat the domain as having none.",
                several.len()
            ),
            "Keep exactly one TXT record starting with `v=TLSRPTv1;`, listing every report address in its rua (comma-separated).".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::LookupFailure;
    use crate::model::{
        Candidate, Endpoint, MxPolicyCheck, Observation, Security, Source, StarttlsObservation,
        TlsFacts, Verification, VerifyError,
    };
    use crate::smtp::sts::parse_policy;

    const GOOD: &str = "version: STSv1\nmode: enforce\nmx: mx1.example.test\nmax_age: 604800\n";

    fn txt(name: &str, records: &[&str]) -> TxtLookup {
        TxtLookup {
            name: name.to_string(),
            answer: if records.is_empty() {
                Err(LookupFailure::NxDomain)
            } else {
                Ok(records.iter().map(|r| r.to_string()).collect())
            },
        }
    }

    fn tls(trusted: bool, hostname_match: bool, errors: &[(i32, &str)]) -> TlsFacts {
        TlsFacts {
            version: "TLSv1.3".into(),
            cipher: "TLS_AES_128_GCM_SHA256".into(),
            key_exchange: None,
            chain: Vec::new(),
            verification: Verification {
                trusted,
                hostname_match: Some(hostname_match),
                checked_name: Some("mta-sts.example.test".into()),
                errors: errors
                    .iter()
                    .map(|(code, message)| VerifyError {
                        depth: 0,
                        code: *code,
                        message: message.to_string(),
                    })
                    .collect(),
            },
        }
    }

    /// A fetch that got `status`, `content_type` and `body` over a valid certificate.
    fn fetched(status: u16, content_type: &str, body: &str) -> PolicyFetch {
        let mut fetch = PolicyFetch::new("example.test", 443);
        fetch.tls = Some(tls(true, true, &[]));
        fetch.status = Some(status);
        fetch.content_type = Some(content_type.into());
        if status == 200 {
            fetch.body = Some(body.into());
            fetch.policy = Some(parse_policy(body));
        }
        fetch
    }

    /// The MX host's port 25 probe: STARTTLS with a certificate `valid` or not.
    fn mx_probe(valid: bool) -> Observation {
        let mut obs = Observation::new(Endpoint {
            host: "mx1.example.test".into(),
            ip: "192.0.2.1".parse().expect("ip"),
            port: 25,
            security: Security::Starttls,
        });
        obs.starttls = Some(StarttlsObservation {
            offered: true,
            reply: None,
            injected: Vec::new(),
        });
        obs.tls = Some(tls(
            true,
            valid,
            if valid {
                &[]
            } else {
                &[(62, "hostname mismatch")]
            },
        ));
        obs
    }

    fn discovery(
        records: &[&str],
        fetch: Option<PolicyFetch>,
        mx_valid: bool,
        rpt: &[&str],
    ) -> Discovery {
        let mut policies = Policies {
            mta_sts: MtaSts {
                txt: txt("_mta-sts.example.test", records),
                fetch,
                mx: Vec::new(),
            },
            tls_rpt: txt("_smtp._tls.example.test", rpt),
        };
        let candidate = Candidate {
            host: "mx1.example.test".into(),
            source: Source::Mx,
            detail: None,
            ports: vec![(25, Security::Starttls)],
            addresses: Vec::new(),
            not_probed: None,
        };
        let probe = mx_probe(mx_valid);
        policies.check_mx(&[candidate], std::iter::once(&probe));
        Discovery {
            domain: Some("example.test".into()),
            policies: Some(policies),
            ..Discovery::default()
        }
    }

    fn ids(discovery: &Discovery) -> Vec<(&'static str, Severity)> {
        judge(discovery)
            .into_iter()
            .map(|f| (f.id.as_str(), f.severity))
            .collect()
    }

    const STS: &str = "v=STSv1; id=1";
    const RPT: &str = "v=TLSRPTv1; rua=mailto:r@example.test";

    /// (what the case is, the discovery, the findings expected in order).
    type Case = (&'static str, Discovery, Vec<(&'static str, Severity)>);

    #[test]
    #[expect(clippy::too_many_lines, reason = "one row per rule")]
    fn the_rules_as_a_table() {
        use Severity::{Error, Info, Warning};
        let policy = |text: &str| Some(fetched(200, "text/plain", text));
        let cases: Vec<Case> = vec![
            (
                "nothing published",
                discovery(&[], None, true, &[]),
                vec![("mta_sts.absent", Info), ("tls_rpt.absent", Info)],
            ),
            (
                "all good",
                discovery(&[STS], policy(GOOD), true, &[RPT]),
                vec![("mta_sts.ok", Info), ("tls_rpt.ok", Info)],
            ),
            (
                "two records: no policy in effect, the MX only warned about",
                discovery(&[STS, "v=STSv1; id=2"], policy(GOOD), false, &[RPT]),
                vec![
                    ("mta_sts.record_multiple", Error),
                    ("mta_sts.mx_certificate", Warning),
                    ("tls_rpt.ok", Info),
                ],
            ),
            (
                "an invalid record",
                discovery(&["v=STSv1; id=a-b"], policy(GOOD), true, &[RPT]),
                vec![("mta_sts.record_invalid", Error), ("tls_rpt.ok", Info)],
            ),
            (
                "enforce, MX certificate for another name",
                discovery(&[STS], policy(GOOD), false, &[RPT]),
                vec![("mta_sts.mx_certificate", Error), ("tls_rpt.ok", Info)],
            ),
            (
                "enforce, MX outside the patterns",
                discovery(&[STS], policy(&GOOD.replace("mx1.", "mail.")), true, &[RPT]),
                vec![("mta_sts.mx_not_covered", Error), ("tls_rpt.ok", Info)],
            ),
            (
                "testing, MX outside the patterns",
                discovery(
                    &[STS],
                    policy(&GOOD.replace("mx1.", "mail.").replace("enforce", "testing")),
                    true,
                    &[RPT],
                ),
                vec![
                    ("mta_sts.mode_testing", Info),
                    ("mta_sts.mx_not_covered", Warning),
                    ("tls_rpt.ok", Info),
                ],
            ),
            (
                "mode none: nothing about the MX",
                discovery(
                    &[STS],
                    policy(&GOOD.replace("enforce", "none")),
                    false,
                    &[RPT],
                ),
                vec![("mta_sts.mode_none", Info), ("tls_rpt.ok", Info)],
            ),
            (
                "a short max_age",
                discovery(
                    &[STS],
                    policy(&GOOD.replace("604800", "3600")),
                    true,
                    &[RPT],
                ),
                vec![
                    ("mta_sts.max_age_short", Warning),
                    ("mta_sts.ok", Info),
                    ("tls_rpt.ok", Info),
                ],
            ),
            (
                "a max_age of exactly a day is not short",
                discovery(
                    &[STS],
                    policy(&GOOD.replace("604800", "86400")),
                    true,
                    &[RPT],
                ),
                vec![("mta_sts.ok", Info), ("tls_rpt.ok", Info)],
            ),
            (
                "two records, the MX fine: still no policy in effect, so not ok",
                discovery(&[STS, "v=STSv1; id=2"], policy(GOOD), true, &[RPT]),
                vec![("mta_sts.record_multiple", Error), ("tls_rpt.ok", Info)],
            ),
            (
                "an invalid policy",
                discovery(
                    &[STS],
                    policy("version: STSv1\nmode: enforce\n"),
                    true,
                    &[RPT],
                ),
                vec![("mta_sts.policy_invalid", Error), ("tls_rpt.ok", Info)],
            ),
            (
                "served as HTML",
                discovery(&[STS], Some(fetched(200, "text/html", GOOD)), true, &[RPT]),
                vec![("mta_sts.policy_content_type", Error), ("tls_rpt.ok", Info)],
            ),
            (
                "a redirect",
                discovery(&[STS], Some(fetched(302, "text/html", "")), true, &[RPT]),
                vec![("mta_sts.policy_redirect", Error), ("tls_rpt.ok", Info)],
            ),
            (
                "a server error",
                discovery(&[STS], Some(fetched(500, "text/plain", "")), true, &[RPT]),
                vec![("mta_sts.policy_status", Error), ("tls_rpt.ok", Info)],
            ),
            (
                "a bad TLS-RPT record",
                discovery(&[], None, true, &["v=TLSRPTv1; rua=r@example.test"]),
                vec![("mta_sts.absent", Info), ("tls_rpt.invalid", Warning)],
            ),
            (
                "two TLS-RPT records",
                discovery(&[], None, true, &[RPT, RPT]),
                vec![("mta_sts.absent", Info), ("tls_rpt.multiple", Warning)],
            ),
        ];
        for (name, discovery, expected) in cases {
            assert_eq!(ids(&discovery), expected, "{name}");
        }
    }

    #[test]
    fn fetch_failures_and_certificates() {
        use Severity::{Error, Info, Warning};
        let mut unreachable = PolicyFetch::new("example.test", 443);
        unreachable.error = Some(crate::model::FetchError {
            phase: crate::model::FetchPhase::Connect,
            message: "connection refused".into(),
            timed_out: false,
        });
        assert_eq!(
            ids(&discovery(&[STS], Some(unreachable), true, &[RPT])),
            [("mta_sts.policy_unreachable", Error), ("tls_rpt.ok", Info)]
        );
        for (facts, words) in [
            (
                tls(true, false, &[(62, "hostname mismatch")]),
                "not valid for",
            ),
            (
                tls(
                    false,
                    true,
                    &[
                        (10, "certificate has expired"),
                        (20, "unable to get local issuer certificate"),
                    ],
                ),
                "not trusted (unable to get local issuer certificate)",
            ),
            (
                tls(true, true, &[(10, "certificate has expired")]),
                "out of its dates",
            ),
        ] {
            let mut fetch = fetched(200, "text/plain", GOOD);
            fetch.tls = Some(facts);
            let discovery = discovery(&[STS], Some(fetch), false, &[RPT]);
            let findings = judge(&discovery);
            let cert = findings
                .iter()
                .find(|f| f.id == FindingId::MtaStsPolicyCertificate)
                .expect("mta_sts.policy_certificate");
            assert!(cert.message.contains(words), "{}", cert.message);
            // The policy is not in effect: its MX findings are warnings.
            assert!(
                findings
                    .iter()
                    .any(|f| f.id == FindingId::MtaStsMxCertificate && f.severity == Warning)
            );
        }
        let mut large = fetched(200, "text/plain", GOOD);
        large.too_large = true;
        large.policy = None;
        assert_eq!(
            ids(&discovery(&[STS], Some(large), true, &[])),
            [
                ("mta_sts.policy_too_large", Error),
                ("tls_rpt.absent", Info)
            ]
        );
    }

    #[test]
    fn the_mx_messages_say_what_senders_do_by_mode() {
        let message = |policy: &str| {
            let d = discovery(&[STS], Some(fetched(200, "text/plain", policy)), false, &[]);
            judge(&d)
                .into_iter()
                .find(|f| f.id == FindingId::MtaStsMxCertificate)
                .map(|f| f.message)
                .unwrap_or_default()
        };
        assert!(message(GOOD).contains("will not deliver"));
        assert!(message(&GOOD.replace("enforce", "testing")).contains("still deliver"));
    }

    #[test]
    fn failed_look_ups_are_warnings() {
        let mut d = discovery(&[], None, true, &[]);
        if let Some(p) = &mut d.policies {
            p.mta_sts.txt.answer = Err(LookupFailure::ServFail("SERVFAIL".into()));
            p.tls_rpt.answer = Err(LookupFailure::Timeout);
        }
        assert_eq!(
            ids(&d),
            [
                ("mta_sts.lookup_failed", Severity::Warning),
                ("tls_rpt.lookup_failed", Severity::Warning)
            ]
        );
        assert!(judge(&Discovery::default()).is_empty());
    }

    #[test]
    fn mx_tls_of_a_probe() {
        assert_eq!(MxTls::of(&mx_probe(true)), MxTls::Valid);
        assert!(
            matches!(MxTls::of(&mx_probe(false)), MxTls::Invalid(r) if r.contains("not valid for"))
        );
        let mut no_tls = mx_probe(true);
        no_tls.tls = None;
        no_tls.starttls = Some(StarttlsObservation {
            offered: false,
            reply: None,
            injected: Vec::new(),
        });
        assert!(matches!(MxTls::of(&no_tls), MxTls::NoTls(_)));
        let mut refused = mx_probe(true);
        refused.tls = None;
        refused.state = crate::model::State::Refused;
        assert!(matches!(MxTls::of(&refused), MxTls::Unknown(_)));
        let check =
            MxPolicyCheck::new("MX1.example.test.", &parse_policy(GOOD), std::iter::empty());
        assert_eq!(check.pattern.as_deref(), Some("mx1.example.test"));
    }
}
