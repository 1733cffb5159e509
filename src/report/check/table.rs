//! The human report: a heading, a summary table with one row per endpoint, a details block per
//! endpoint (banner, capabilities before and after TLS, TLS and certificate, timings, findings
//! with advice), the findings about the whole run, and a one-line verdict.
//!
//! Everything a server sent is cleaned of control characters before it is printed, so a hostile
//! banner cannot drive the terminal. Colour is decided by the caller alone (`color`), never by
//! the environment or by whether stdout is a terminal.

use std::io::{self, Write};

use super::overview::{summary_line, summary_table};
use crate::model::{
    CertFacts, Observation, Security, StarttlsObservation, State, Timings, TlsFacts, WrongMode,
};
use crate::report::text::{
    self, Tone, clean, endpoint_title, field, format_duration, format_ms, paint, plural,
    plural_i64, write_finding,
};
use crate::run::outcome::CheckReport;
use crate::smtp::{Ehlo, Keyword, Reply};

/// How many subject alternative names the details block lists before "+N more".
const SAN_SHOWN: usize = 4;

/// How many verification errors the details block lists.
const VERIFY_ERRORS_SHOWN: usize = 3;

/// Writes the human report for `report`; ANSI colour only when `color` is true.
pub fn write(report: &CheckReport, out: &mut dyn Write, color: bool) -> io::Result<()> {
    writeln!(out, "{}", text::heading(&heading(report), color))?;
    super::config::write_config(report, out, color)?;
    if !report.discovery.sections.is_empty() {
        // A mail domain: one overview per section (sending, receiving).
        super::domain::write_sections(report, out, color)?;
    } else if !report.observations.is_empty() {
        writeln!(out)?;
        let all: Vec<&Observation> = report.observations.iter().collect();
        for line in summary_table(report, &all, color).lines() {
            writeln!(out, "{}", line.trim_end())?;
        }
    }
    for observation in &report.observations {
        writeln!(out)?;
        write_details(report, observation, out, color)?;
    }
    write_general_findings(report, out, color)?;
    if let Some(info) = &report.provider {
        super::settings::write_settings(info, out, color)?;
    }
    if let Some(recommended) = &report.recommended {
        super::settings::write_recommended(recommended, out, color)?;
    }
    writeln!(out)?;
    writeln!(out, "{}", summary_line(report, color))
}

/// The first line: what was checked and how long it took.
fn heading(report: &CheckReport) -> String {
    let count = report.observations.len();
    format!(
        "Checked {}{}{}: {} in {}",
        clean(&report.target.input),
        super::config::other_name_form(report),
        super::domain::kind_suffix(report),
        plural(count, "endpoint", "endpoints"),
        format_duration(report.duration)
    )
}

/// The details block of one endpoint; a skipped endpoint gets one line.
fn write_details(
    report: &CheckReport,
    observation: &Observation,
    out: &mut dyn Write,
    color: bool,
) -> io::Result<()> {
    let endpoint = &observation.endpoint;
    if observation.state == State::Skipped {
        let reason = observation.error.as_ref().map_or_else(
            || "no route for this address family here".to_owned(),
            |e| clean(&e.message).into_owned(),
        );
        let line = format!("{}: skipped ({reason})", endpoint_title(endpoint));
        return writeln!(out, "{}", text::wrapped(&line, color, Tone::Yellow));
    }

    writeln!(
        out,
        "{}",
        text::wrapped(&endpoint_title(endpoint), color, Tone::Bold)
    )?;
    if let Some(banner) = &observation.banner {
        field(out, "banner", &reply_lines(banner), color, None)?;
    }
    if let Some(ehlo) = observation.ehlo.as_ref().or(observation.ehlo_tls.as_ref()) {
        field(out, "EHLO", &[ehlo_summary(ehlo)], color, None)?;
    }
    write_capabilities(observation, out, color)?;
    if let Some(starttls) = &observation.starttls {
        let tone = starttls_tone(starttls);
        field(out, "STARTTLS", &[starttls_summary(starttls)], color, tone)?;
    }
    if let Some(tls) = &observation.tls {
        field(out, "TLS", &[tls_summary(tls)], color, None)?;
        field(out, "certificate", &certificate_lines(tls), color, None)?;
    }
    let timings = timings_summary(&observation.timings);
    if !timings.is_empty() {
        field(out, "timings", &[timings], color, None)?;
    }
    if let Some(error) = &observation.error {
        let text = format!("in phase {}: {}", error.phase, clean(&error.message));
        field(out, "error", &[text], color, Some(Tone::Red))?;
    }
    if let Some(other) = &observation.not_smtp {
        let text = format!("answered by {}, not an SMTP server", clean(other));
        field(out, "not SMTP", &[text], color, Some(Tone::Red))?;
    }
    if let Some(wrong_mode) = observation.wrong_mode {
        let text = wrong_mode_text(wrong_mode).to_owned();
        field(out, "wrong mode", &[text], color, Some(Tone::Red))?;
    }
    super::domain::write_fields(report, endpoint, out, color)?;
    super::auth::write_fields(report, endpoint, out, color)?;
    for finding in report.findings_for(endpoint) {
        write_finding(out, finding, color, 2)?;
    }
    Ok(())
}

/// The capability lines: before TLS, and after TLS as a difference.
fn write_capabilities(
    observation: &Observation,
    out: &mut dyn Write,
    color: bool,
) -> io::Result<()> {
    match (&observation.ehlo, &observation.ehlo_tls) {
        (Some(before), Some(after)) => {
            field(out, "before TLS", &[capability_list(before)], color, None)?;
            let changes = capability_changes(before, after);
            let mut parts: Vec<String> = Vec::new();
            if !changes.added.is_empty() {
                parts.push(format!("+ {}", changes.added.join(", ")));
            }
            if !changes.removed.is_empty() {
                parts.push(format!("- {}", changes.removed.join(", ")));
            }
            for (was, now) in &changes.changed {
                parts.push(format!("~ {now} (was {was})"));
            }
            let changes = parts;
            let text = if changes.is_empty() {
                "unchanged".to_owned()
            } else {
                changes.join(", ")
            };
            field(out, "after TLS", &[text], color, None)
        }
        (Some(before), None) => {
            let label = if observation.endpoint.security == Security::Plain {
                "capabilities"
            } else {
                "before TLS"
            };
            field(out, label, &[capability_list(before)], color, None)
        }
        (None, Some(after)) => field(out, "capabilities", &[capability_list(after)], color, None),
        (None, None) => Ok(()),
    }
}

/// How the EHLO keywords changed from `before` to `after` (each as `NAME params...`).
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Changes {
    /// Keywords only after.
    pub(super) added: Vec<String>,
    /// Keywords only before.
    pub(super) removed: Vec<String>,
    /// Keywords on both sides whose parameters changed: (before, after), e.g. `AUTH` becoming
    /// `AUTH PLAIN LOGIN` inside TLS.
    pub(super) changed: Vec<(String, String)>,
}

/// Keywords gained, lost and changed from `before` to `after`. Names compare
/// case-insensitively; a keyword present on both sides with other parameters is changed, not
/// lost and gained.
pub(super) fn capability_changes(before: &Ehlo, after: &Ehlo) -> Changes {
    let has_name =
        |list: &[Keyword], name: &str| list.iter().any(|k| k.name.eq_ignore_ascii_case(name));
    let mut changes = Changes::default();
    for text in missing_from(&after.keywords, &before.keywords) {
        let name = text.split(' ').next().unwrap_or_default();
        if !has_name(&before.keywords, name) {
            changes.added.push(text);
        }
    }
    for text in missing_from(&before.keywords, &after.keywords) {
        let name = text.split(' ').next().unwrap_or_default();
        if !has_name(&after.keywords, name) {
            changes.removed.push(text);
            continue;
        }
        let now = after
            .keywords
            .iter()
            .find(|k| k.name.eq_ignore_ascii_case(name))
            .map(keyword_text)
            .unwrap_or_default();
        changes.changed.push((text, now));
    }
    changes
}

/// Keywords of `these` that `others` lacks, rendered, without duplicates.
fn missing_from(these: &[Keyword], others: &[Keyword]) -> Vec<String> {
    let mut missing: Vec<String> = Vec::new();
    for keyword in these {
        let present = others.iter().any(|other| {
            other.name.eq_ignore_ascii_case(&keyword.name) && other.params == keyword.params
        });
        let text = keyword_text(keyword);
        if !present && !missing.contains(&text) {
            missing.push(text);
        }
    }
    missing
}

/// `NAME param param`.
fn keyword_text(keyword: &Keyword) -> String {
    let mut text = clean(&keyword.name).into_owned();
    for param in &keyword.params {
        text.push(' ');
        text.push_str(&clean(param));
    }
    text
}

/// All keywords, comma separated.
fn capability_list(ehlo: &Ehlo) -> String {
    if ehlo.helo {
        return "none (HELO only, EHLO was refused)".to_owned();
    }
    if ehlo.keywords.is_empty() {
        return "none".to_owned();
    }
    ehlo.keywords
        .iter()
        .map(keyword_text)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The domain the server named, with its greeting.
fn ehlo_summary(ehlo: &Ehlo) -> String {
    let mut text = format!("{} {}", ehlo.code, clean(&ehlo.domain));
    if !ehlo.greeting.is_empty() {
        text.push_str(&format!(" ({})", clean(&ehlo.greeting)));
    }
    if ehlo.helo {
        text.push_str(" [HELO fallback]");
    }
    text
}

/// A reply as `code first-line`, further lines indented under the text.
fn reply_lines(reply: &Reply) -> Vec<String> {
    let mut lines = reply.lines.iter();
    let first = match lines.next() {
        Some(line) => format!("{} {}", reply.code, clean(line)),
        None => reply.code.to_string(),
    };
    std::iter::once(first)
        .chain(lines.map(|line| format!("    {}", clean(line))))
        .collect()
}

/// The STARTTLS step in a sentence.
fn starttls_summary(starttls: &StarttlsObservation) -> String {
    let mut text = match (starttls.offered, &starttls.reply) {
        (true, Some(reply)) => format!("offered; reply {}", first_reply_line(reply)),
        (false, Some(reply)) => format!(
            "not offered, tried anyway; reply {}",
            first_reply_line(reply)
        ),
        (true, None) => "offered, not used".to_owned(),
        (false, None) => "not offered".to_owned(),
    };
    if !starttls.injected.is_empty() {
        text.push_str(&format!(
            "; {} sent before the handshake (discarded)",
            plural(starttls.injected.len(), "byte", "bytes")
        ));
    }
    text
}

/// Red when STARTTLS failed or was abused, else no colour.
fn starttls_tone(starttls: &StarttlsObservation) -> Option<Tone> {
    let refused = starttls.reply.as_ref().is_some_and(|r| r.code != 220);
    (refused || !starttls.injected.is_empty()).then_some(Tone::Red)
}

/// `code text` of a reply's first line.
fn first_reply_line(reply: &Reply) -> String {
    match reply.lines.first() {
        Some(line) => format!("{} {}", reply.code, clean(line)),
        None => reply.code.to_string(),
    }
}

/// Version, cipher and key exchange.
fn tls_summary(tls: &TlsFacts) -> String {
    let mut text = format!("{}, {}", clean(&tls.version), clean(&tls.cipher));
    if let Some(kx) = &tls.key_exchange {
        text.push_str(&format!(", key exchange {}", clean(kx)));
    }
    text
}

/// The leaf certificate, the chain and the verification result, one aspect a line.
fn certificate_lines(tls: &TlsFacts) -> Vec<String> {
    let Some(leaf) = tls.chain.first() else {
        return vec!["none presented".to_owned()];
    };
    let mut lines = vec![format!("subject {}", clean(&leaf.subject))];
    if !leaf.san.is_empty() {
        lines.push(format!("SAN {}", san_summary(&leaf.san)));
    }
    lines.push(format!("issuer {}", clean(&leaf.issuer)));
    lines.push(validity(leaf));
    lines.push(format!(
        "key {}, chain of {} as sent",
        clean(&leaf.key),
        plural(tls.chain.len(), "certificate", "certificates")
    ));
    lines.push(trust_summary(tls, leaf));
    let verification = &tls.verification;
    lines.push(
        match (verification.hostname_match, &verification.checked_name) {
            (Some(true), Some(name)) => format!("name matches {}", clean(name)),
            (Some(true), None) => "name matches".to_owned(),
            (Some(false), Some(name)) => format!("name does NOT match {}", clean(name)),
            (Some(false), None) => "name does NOT match".to_owned(),
            (None, _) => "name not checked (address target; use --servername NAME)".to_owned(),
        },
    );
    for error in verification.errors.iter().take(VERIFY_ERRORS_SHOWN) {
        lines.push(format!(
            "error at depth {}: {} ({})",
            error.depth,
            clean(&error.message),
            error.code
        ));
    }
    if verification.errors.len() > VERIFY_ERRORS_SHOWN {
        lines.push(format!(
            "and {} more",
            plural(
                verification.errors.len() - VERIFY_ERRORS_SHOWN,
                "error",
                "errors"
            )
        ));
    }
    lines
}

/// The first few names, and how many more.
fn san_summary(san: &[String]) -> String {
    let shown: Vec<String> = san
        .iter()
        .take(SAN_SHOWN)
        .map(|name| clean(name).into_owned())
        .collect();
    let mut text = shown.join(", ");
    if san.len() > SAN_SHOWN {
        text.push_str(&format!(" (+{} more)", san.len() - SAN_SHOWN));
    }
    text
}

/// Validity end with the days left (or since expiry), and the start when not yet valid.
fn validity(leaf: &CertFacts) -> String {
    let days = if leaf.days_left < 0 {
        format!("expired {} ago", plural_i64(-leaf.days_left, "day", "days"))
    } else {
        format!("{} left", plural_i64(leaf.days_left, "day", "days"))
    };
    let mut text = format!("valid until {} ({days})", clean(&leaf.not_after));
    if leaf.not_yet_valid_secs > 0 {
        text.push_str(&format!(", not valid before {}", clean(&leaf.not_before)));
    }
    text
}

/// Whether the chain verified.
fn trust_summary(tls: &TlsFacts, leaf: &CertFacts) -> String {
    if tls.verification.trusted {
        "trusted".to_owned()
    } else if leaf.self_issued {
        "NOT trusted (self-signed)".to_owned()
    } else {
        "NOT trusted".to_owned()
    }
}

/// Time per phase that ran, in order.
fn timings_summary(timings: &Timings) -> String {
    let phases = [
        ("connect", timings.connect),
        ("banner", timings.banner),
        ("ehlo", timings.ehlo),
        ("starttls", timings.starttls),
        ("tls", timings.tls),
        ("ehlo_tls", timings.ehlo_tls),
        ("total", timings.total),
    ];
    phases
        .iter()
        // No-break spaces keep "connect 12 ms" together when the line wraps.
        .filter_map(|(name, time)| {
            time.map(|t| format!("{name}\u{a0}{}", format_ms(t).replace(' ', "\u{a0}")))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the wrong mode means, and what to use instead.
fn wrong_mode_text(wrong_mode: WrongMode) -> &'static str {
    match wrong_mode {
        WrongMode::ImplicitTlsOnStarttlsPort => {
            "this port speaks implicit TLS (use --security tls / SSL/TLS), not STARTTLS"
        }
        WrongMode::PlainOnTlsPort => {
            "this port greets in plain text (use STARTTLS / --security starttls), not implicit TLS"
        }
    }
}

/// Findings about the run as a whole, under their own heading.
fn write_general_findings(
    report: &CheckReport,
    out: &mut dyn Write,
    color: bool,
) -> io::Result<()> {
    let mut general = report.general_findings().peekable();
    if general.peek().is_none() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "{}", paint("General", color, Tone::Bold))?;
    for finding in general {
        write_finding(out, finding, color, 2)?;
    }
    Ok(())
}

#[cfg(test)]
pub(super) mod tests {
    use std::net::{IpAddr, Ipv4Addr};
    use std::time::Duration;

    use super::super::overview::certificate_verdict;
    use super::*;
    use crate::model::TargetKind;
    use crate::model::{Endpoint, Phase, PhaseError, Verification, VerifyError};
    use crate::report::text::{MIN_WIDTH, WIDTH, set_width, wrap};
    use crate::run::outcome::TargetInfo;
    use crate::verdict::{Finding, FindingId, Severity};

    pub(crate) fn ip(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))
    }

    pub(crate) fn endpoint(host: &str, ip: IpAddr, port: u16, security: Security) -> Endpoint {
        Endpoint {
            host: host.to_owned(),
            ip,
            port,
            security,
        }
    }

    pub(crate) fn keyword(name: &str, params: &[&str]) -> Keyword {
        Keyword {
            name: name.to_owned(),
            params: params.iter().map(|p| (*p).to_owned()).collect(),
        }
    }

    pub(crate) fn ehlo(keywords: Vec<Keyword>) -> Ehlo {
        Ehlo {
            code: 250,
            domain: "mail.test".to_owned(),
            greeting: "Hello".to_owned(),
            keywords,
            lines: Vec::new(),
            helo: false,
        }
    }

    pub(crate) fn reply(code: u16, lines: &[&str]) -> Reply {
        Reply {
            code,
            enhanced: None,
            lines: lines.iter().map(|l| (*l).to_owned()).collect(),
        }
    }

    pub(crate) fn leaf() -> CertFacts {
        CertFacts {
            subject: "CN=mail.test".to_owned(),
            issuer: "CN=Test CA".to_owned(),
            san: [
                "mail.test",
                "a.test",
                "b.test",
                "c.test",
                "d.test",
                "e.test",
            ]
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
            not_before: "2025-01-01T00:00:00Z".to_owned(),
            not_after: "2026-01-01T00:00:00Z".to_owned(),
            days_left: 120,
            not_yet_valid_secs: -1000,
            key: "EC P-256".to_owned(),
            signature_algorithm: "ecdsa-with-SHA256".to_owned(),
            rsa_bits: None,
            signature_digest: Some("SHA-256".into()),
            serial: "01".to_owned(),
            sha256: "00".to_owned(),
            self_issued: false,
            is_ca: false,
            digests: Default::default(),
        }
    }

    pub(crate) fn tls(leaf: CertFacts, trusted: bool) -> TlsFacts {
        TlsFacts {
            version: "TLSv1.3".to_owned(),
            cipher: "TLS_AES_256_GCM_SHA384".to_owned(),
            key_exchange: Some("X25519".to_owned()),
            chain: vec![leaf],
            verification: Verification {
                trusted,
                hostname_match: Some(true),
                checked_name: Some("mail.test".to_owned()),
                errors: Vec::new(),
            },
        }
    }

    pub(crate) fn finding(
        id: &'static str,
        severity: Severity,
        endpoint: Option<&Endpoint>,
        advice: &str,
    ) -> Finding {
        Finding {
            id: FindingId::parse(id).expect("a known finding id"),
            severity,
            endpoint: endpoint.map(Endpoint::label),
            ip: endpoint.map(|e| e.ip),
            message: format!("{id} was seen."),
            advice: advice.to_owned(),
        }
    }

    /// A healthy STARTTLS endpoint.
    pub(crate) fn good_starttls() -> Observation {
        let mut o = Observation::new(endpoint("mail.test", ip(1), 587, Security::Starttls));
        o.banner = Some(reply(220, &["mail.test ESMTP ready", "second line"]));
        o.ehlo = Some(ehlo(vec![
            keyword("PIPELINING", &[]),
            keyword("SIZE", &["35882577"]),
            keyword("STARTTLS", &[]),
        ]));
        o.starttls = Some(StarttlsObservation {
            offered: true,
            reply: Some(reply(220, &["2.0.0 Ready to start TLS"])),
            injected: Vec::new(),
        });
        o.tls = Some(tls(leaf(), true));
        o.ehlo_tls = Some(ehlo(vec![
            keyword("PIPELINING", &[]),
            keyword("SIZE", &["35882577"]),
            keyword("AUTH", &["PLAIN", "LOGIN"]),
        ]));
        o.timings = Timings {
            connect: Some(Duration::from_millis(1)),
            banner: Some(Duration::from_millis(2)),
            total: Some(Duration::from_millis(42)),
            ..Timings::default()
        };
        o
    }

    fn sample_report() -> CheckReport {
        let good = good_starttls();
        let mut refused = Observation::new(endpoint("mail.test", ip(1), 25, Security::Starttls));
        refused.state = State::Refused;
        refused.error = Some(PhaseError {
            phase: Phase::Connect,
            message: "connection refused".to_owned(),
            run_deadline: false,
        });
        let mut skipped = Observation::new(endpoint(
            "mail.test",
            "2001:db8::1".parse().unwrap(),
            465,
            Security::ImplicitTls,
        ));
        skipped.state = State::Skipped;
        let findings = vec![
            finding(
                "port.refused",
                Severity::Error,
                Some(&refused.endpoint),
                "Open port 25 in the firewall.",
            ),
            finding(
                "cert.expiring_soon",
                Severity::Warning,
                Some(&good.endpoint),
                "Renew the certificate.",
            ),
            finding("dns.no_submission", Severity::Info, None, "Nothing to do."),
        ];
        CheckReport {
            target: TargetInfo {
                input: "mail.test".to_owned(),
                kind: TargetKind::Host,
                host: None,
                unicode: None,
                config: None,
            },
            duration: Duration::from_millis(1234),
            observations: vec![refused, good, skipped],
            findings,
            discovery: Default::default(),
            provider: None,
            recommended: None,
            credentials: None,
        }
    }

    fn render(report: &CheckReport, color: bool) -> String {
        let mut out = Vec::new();
        write(report, &mut out, color).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn capability_changes_lists_gained_and_lost_keywords() {
        let o = good_starttls();
        let changes = capability_changes(o.ehlo.as_ref().unwrap(), o.ehlo_tls.as_ref().unwrap());
        assert_eq!(changes.added, vec!["AUTH PLAIN LOGIN".to_owned()]);
        assert_eq!(changes.removed, vec!["STARTTLS".to_owned()]);
    }

    #[test]
    fn capability_changes_show_changed_parameters_as_changed() {
        let before = ehlo(vec![keyword("SIZE", &["1000"]), keyword("8BITMIME", &[])]);
        let after = ehlo(vec![keyword("size", &["2000"]), keyword("8bitmime", &[])]);
        let changes = capability_changes(&before, &after);
        assert_eq!(
            changes.changed,
            vec![("SIZE 1000".to_owned(), "size 2000".to_owned())]
        );
        assert!(changes.added.is_empty() && changes.removed.is_empty());
        assert_eq!(capability_changes(&before, &before), Changes::default());
        // Dovecot: a bare AUTH before TLS, the mechanisms inside.
        let before = ehlo(vec![keyword("AUTH", &[]), keyword("STARTTLS", &[])]);
        let after = ehlo(vec![
            keyword("AUTH", &["PLAIN", "LOGIN"]),
            keyword("SIZE", &[]),
        ]);
        let changes = capability_changes(&before, &after);
        assert_eq!(
            changes.changed,
            vec![("AUTH".to_owned(), "AUTH PLAIN LOGIN".to_owned())]
        );
        assert_eq!(changes.added, vec!["SIZE".to_owned()]);
        assert_eq!(changes.removed, vec!["STARTTLS".to_owned()]);
    }

    #[test]
    fn table_has_a_row_per_endpoint_and_the_heading() {
        let text = render(&sample_report(), false);
        assert!(
            text.starts_with("Checked mail.test: 3 endpoints in 1.23 s\n"),
            "{text}"
        );
        assert!(text.contains("192.0.2.1:587 (mail.test)"), "{text}");
        assert!(text.contains("192.0.2.1:25 (mail.test)"), "{text}");
        assert!(text.contains("[2001:db8::1]:465 (mail.test)"), "{text}");
        assert!(text.contains("refused"));
        assert!(text.contains("TLSv1.3"));
        assert!(text.contains("42 ms"));
        assert!(text.contains("expires in 120 days"), "{text}");
    }

    #[test]
    fn details_show_banner_capabilities_and_certificate() {
        let text = render(&sample_report(), false);
        assert!(
            text.contains("banner       220 mail.test ESMTP ready\n"),
            "{text}"
        );
        assert!(text.contains("                   second line\n"), "{text}");
        assert!(
            text.contains("after TLS    + AUTH PLAIN LOGIN, - STARTTLS\n"),
            "{text}"
        );
        assert!(text.contains("before TLS   PIPELINING, SIZE 35882577, STARTTLS\n"));
        assert!(text.contains("STARTTLS     offered; reply 220 2.0.0 Ready to start TLS"));
        assert!(text.contains("TLSv1.3, TLS_AES_256_GCM_SHA384, key exchange X25519"));
        assert!(
            text.contains("SAN mail.test, a.test, b.test, c.test (+2 more)"),
            "{text}"
        );
        assert!(text.contains("valid until 2026-01-01T00:00:00Z (120 days left)"));
        assert!(text.contains("name matches mail.test"));
        assert!(
            text.contains("connect\u{a0}1\u{a0}ms, banner\u{a0}2\u{a0}ms, total\u{a0}42\u{a0}ms"),
            "{text}"
        );
        assert!(text.contains("error        in phase connect: connection refused"));
    }

    #[test]
    fn findings_show_marker_and_advice() {
        let text = render(&sample_report(), false);
        assert!(
            text.contains("  ✗ port.refused: port.refused was seen.\n"),
            "{text}"
        );
        assert!(
            text.contains("    → Open port 25 in the firewall.\n"),
            "{text}"
        );
        assert!(text.contains("  ! cert.expiring_soon: cert.expiring_soon was seen.\n"));
        assert!(text.contains(
            "General\n  i dns.no_submission: dns.no_submission was seen.\n    → Nothing to do.\n"
        ));
    }

    #[test]
    fn skipped_endpoint_is_one_line() {
        let text = render(&sample_report(), false);
        let title = "mail.test [2001:db8::1]:465 (implicit TLS): skipped";
        let lines: Vec<&str> = text.lines().collect();
        let at = lines.iter().position(|l| l.starts_with(title)).unwrap();
        assert_eq!(lines[at + 1], "", "{text}");
        assert_eq!(
            text.matches("2001:db8::1").count(),
            2,
            "table row and one line"
        );
    }

    #[test]
    fn summary_line_counts_and_judges() {
        let text = render(&sample_report(), false);
        assert!(
            text.ends_with("1 error, 1 warning. Problems found: port.refused.\n"),
            "{text}"
        );

        let healthy = CheckReport {
            target: TargetInfo {
                input: "mail.test".to_owned(),
                kind: TargetKind::Host,
                host: None,
                unicode: None,
                config: None,
            },
            duration: Duration::from_millis(5),
            observations: vec![good_starttls()],
            findings: Vec::new(),
            discovery: Default::default(),
            provider: None,
            recommended: None,
            credentials: None,
        };
        assert_eq!(
            summary_line(&healthy, false),
            "0 errors, 0 warnings. All checked endpoints are healthy."
        );
    }

    #[test]
    fn no_escapes_without_color_and_some_with() {
        let mut report = sample_report();
        // A hostile banner must not reach the terminal as an escape sequence either.
        if let Some(o) = report.observations.get_mut(1) {
            o.banner = Some(reply(220, &["evil \x1b[31mred\x1b[0m \r done"]));
        }
        let plain = render(&report, false);
        assert!(!plain.contains('\x1b'), "{plain}");
        assert!(plain.contains("evil \\u{1b}[31mred"), "{plain}");
        let colored = render(&report, true);
        assert!(colored.contains("\x1b["));
    }

    #[test]
    fn lines_fit_the_layout_width() {
        let mut report = sample_report();
        report.findings.push(Finding {
            id: FindingId::CertUntrusted,
            severity: Severity::Error,
            endpoint: Some(report.observations[1].endpoint.label()),
            ip: Some(ip(1)),
            message: "word ".repeat(60),
            advice: "advice ".repeat(40),
        });
        report.target.input = format!("{}.example", "long-label".repeat(6));
        for width in [WIDTH, 80, MIN_WIDTH + 20] {
            set_width(width);
            let text = render(&report, false);
            set_width(WIDTH);
            for line in text.lines() {
                assert!(
                    line.chars().count() <= width,
                    "wider than {width}: {line:?}"
                );
            }
        }
    }

    #[test]
    fn certificate_cell_reads_the_findings() {
        let mut o = good_starttls();
        let mut report = CheckReport {
            target: TargetInfo {
                input: "mail.test".to_owned(),
                kind: TargetKind::Host,
                host: None,
                unicode: None,
                config: None,
            },
            duration: Duration::ZERO,
            observations: Vec::new(),
            findings: Vec::new(),
            discovery: Default::default(),
            provider: None,
            recommended: None,
            credentials: None,
        };
        assert_eq!(certificate_verdict(&report, &o).0, "trusted");

        let mut self_signed = leaf();
        self_signed.self_issued = true;
        let mut facts = tls(self_signed, false);
        facts.verification.hostname_match = Some(false);
        facts.verification.errors.push(VerifyError {
            depth: 0,
            code: 18,
            message: "self-signed certificate".to_owned(),
        });
        o.tls = Some(facts);
        // The facts alone make no label: the cell reads the verdicts' findings.
        assert_eq!(certificate_verdict(&report, &o).0, "trusted");
        report.findings = crate::verdict::judge_endpoint(&o);
        assert_eq!(
            certificate_verdict(&report, &o),
            ("self-signed, name mismatch".to_owned(), Some(Tone::Red))
        );

        report.findings.clear();
        report.findings.push(finding(
            "cert.expired",
            Severity::Error,
            Some(&o.endpoint),
            "Renew.",
        ));
        assert_eq!(certificate_verdict(&report, &o).0, "expired");

        o.tls = None;
        assert_eq!(certificate_verdict(&report, &o).0, "-");
    }

    #[test]
    fn odd_endpoints_helo_injection_wrong_mode() {
        let mut helo_only = Observation::new(endpoint("mail.test", ip(2), 25, Security::Starttls));
        let mut helo = ehlo(Vec::new());
        helo.helo = true;
        helo_only.ehlo = Some(helo);
        helo_only.starttls = Some(StarttlsObservation {
            offered: false,
            reply: Some(reply(454, &["4.7.0 TLS not available"])),
            injected: b"250 injected\r\n".to_vec(),
        });
        let mut implicit =
            Observation::new(endpoint("mail.test", ip(3), 465, Security::ImplicitTls));
        implicit.state = State::TlsError;
        implicit.banner = Some(reply(220, &["plain greeting"]));
        implicit.wrong_mode = Some(WrongMode::PlainOnTlsPort);
        implicit.ehlo_tls = Some(ehlo(vec![keyword("AUTH", &["PLAIN"])]));
        let mut ssh = Observation::new(endpoint("mail.test", ip(4), 587, Security::Starttls));
        ssh.state = State::ProtocolError;
        ssh.not_smtp = Some("an SSH server".to_owned());
        let report = CheckReport {
            target: TargetInfo {
                input: "mail.test".to_owned(),
                kind: TargetKind::Host,
                host: None,
                unicode: None,
                config: None,
            },
            duration: Duration::from_millis(5),
            observations: vec![helo_only, implicit, ssh],
            findings: Vec::new(),
            discovery: Default::default(),
            provider: None,
            recommended: None,
            credentials: None,
        };
        let text = render(&report, false);
        assert!(
            text.contains("EHLO         250 mail.test (Hello) [HELO fallback]"),
            "{text}"
        );
        assert!(
            text.contains("before TLS   none (HELO only, EHLO was refused)"),
            "{text}"
        );
        assert!(text.contains(
            "STARTTLS     not offered, tried anyway; reply 454 4.7.0 TLS not available; 14 bytes"
        ));
        assert!(text.contains("tls_error, wrong mode"), "{text}");
        assert!(
            text.contains("wrong mode   this port greets in plain text"),
            "{text}"
        );
        assert!(text.contains("capabilities AUTH PLAIN"), "{text}");
        assert!(text.contains("not SMTP     answered by an SSH server, not an SMTP server"));
        assert!(text.ends_with("0 errors, 0 warnings. All checked endpoints are healthy.\n"));
    }

    #[test]
    fn wrap_breaks_at_spaces_and_cuts_long_words() {
        assert_eq!(wrap("", 30), vec![String::new()]);
        let long = "x".repeat(50);
        let lines = wrap(&format!("aaa bbb {long} ccc"), 30);
        assert_eq!(
            lines,
            vec![
                "aaa bbb".to_owned(),
                "x".repeat(30),
                format!("{} ccc", "x".repeat(20))
            ]
        );
        let indented = wrap("    one two three", 24);
        assert_eq!(indented, vec!["    one two three".to_owned()]);
        let indented = wrap(&format!("  {}", "word ".repeat(10)), 22);
        assert!(
            indented
                .iter()
                .all(|l| l.starts_with("  w") && l.len() <= 22),
            "{indented:?}"
        );
    }

    #[test]
    fn title_omits_host_when_it_is_the_address() {
        let e = endpoint("192.0.2.1", ip(1), 25, Security::Plain);
        assert_eq!(endpoint_title(&e), "192.0.2.1:25 (plain)");
        let e = endpoint("mail.test", ip(1), 465, Security::ImplicitTls);
        assert_eq!(endpoint_title(&e), "mail.test 192.0.2.1:465 (implicit TLS)");
    }
}
