//! Judges a mail domain's inbound transport policies from discovery data: MTA-STS (RFC 8461)
//! and TLS-RPT (RFC 8460). Pure: no I/O. Each finding says what senders such as Gmail and
//! Microsoft make of what was seen, and what the domain owner should change.

use crate::model::{Discovery, MtaSts, MxTls, POLICY_SIZE_LIMIT, Policies, PolicyFetch, TxtLookup};
use crate::smtp::sts::{MAX_AGE_LIMIT, Mode};
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

/// Whether the policy host's certificate is valid for its name: trusted, naming the host, in
/// its dates (RFC 8461 section 3.3 requires a valid certificate for `mta-sts.<domain>`).
fn certificate_problem(fetch: &PolicyFetch) -> Option<String> {
    let tls = fetch.tls.as_ref()?;
    let v = &tls.verification;
    let dated = v.errors.iter().find(|e| matches!(e.code, 9 | 10));
    if !v.trusted {
        let reason = v
            .errors
            .iter()
            .find(|e| !matches!(e.code, 9 | 10 | 62..=64))
            .map_or("not trusted", |e| e.message.as_str());
        return Some(format!("is not trusted ({reason})"));
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
        return Some(format!(
            "is not valid for {} (it names {names})",
            fetch.host
        ));
    }
    dated.map(|e| format!("is out of its dates ({})", e.message))
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
                    "The MTA-STS record {text:?} is not valid: {}; senders ignore it.",
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
    let mut ok = true;
    if let Some(problem) = certificate_problem(fetch) {
        ok = false;
        out.push(finding(
            FindingId::MtaStsPolicyCertificate,
            Severity::Error,
            format!("The certificate of {} {problem}; senders refuse a policy fetched over it.", fetch.host),
            format!("Give the web server of {} a certificate from a public CA that names {} (a wildcard for the domain does too).", fetch.host, fetch.host),
        ));
    }
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
                "The TLS-RPT record {text:?} is not valid: {}; senders send no reports.",
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
