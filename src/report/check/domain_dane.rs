//! The DANE block of a mail domain's human report: who validated DNSSEC and from which trust
//! anchor, the state of the MX answer, and per MX host its TLSA records, whether they bind
//! senders, and how each matched the chain each endpoint presented.

use std::io::{self, Write};

use crate::dns::{Dnssec, Tlsa};
use crate::report::text::{Tone, clean, field, wrapped};
use crate::run::outcome::CheckReport;
use crate::verdict::dane::{Effect, HostAssessment, RecordMatch, assess};

/// How many hex digits of a record's data the table shows.
const DATA_SHOWN: usize = 16;

/// The block, when the run looked DANE up (a mail domain).
pub(super) fn write(report: &CheckReport, out: &mut dyn Write, color: bool) -> io::Result<()> {
    let Some(dane) = &report.discovery.dane else {
        return Ok(());
    };
    writeln!(out)?;
    let title = "DANE (RFC 7672): TLSA records that tell senders which certificate the MX hosts must present";
    writeln!(out, "{}", wrapped(title, color, Tone::Bold))?;
    let anchor = match dane.trust_anchor.as_str() {
        "root" => "the root's keys".to_string(),
        file => format!("--trust-anchor {}", clean(file)),
    };
    // Whether anything could be validated through this DNS server (asked when an answer was
    // bogus: the trust anchor's own zone).
    let validation = match dane.path {
        Some(path) if path != Dnssec::Secure => format!(
            "not possible through this DNS server: even the trust anchor's zone comes out {} (it strips DNSSEC records); DANE not checked",
            path.as_str()
        ),
        _ => format!("DNSSEC validated by smtp-doctor itself, from {anchor}"),
    };
    field(out, "validation", &[validation], color, None)?;
    if let Some(mx) = dane.mx {
        field(
            out,
            "MX answer",
            &[mx.describe().to_string()],
            color,
            tone(mx),
        )?;
    }
    let assessments = assess(dane, &report.observations);
    if assessments.is_empty() {
        field(
            out,
            "MX hosts",
            &["none to look at".to_string()],
            color,
            None,
        )?;
    }
    for assessment in &assessments {
        write_host(assessment, out, color)?;
    }
    Ok(())
}

fn tone(state: Dnssec) -> Option<Tone> {
    match state {
        Dnssec::Secure => Some(Tone::Green),
        Dnssec::Bogus => Some(Tone::Red),
        Dnssec::Insecure | Dnssec::Indeterminate => Some(Tone::Yellow),
    }
}

fn write_host(a: &HostAssessment<'_>, out: &mut dyn Write, color: bool) -> io::Result<()> {
    let host = a.host;
    let (status, status_tone) = match a.effect {
        Effect::InEffect => ("in effect: senders that use DANE insist on it", Tone::Green),
        Effect::NoRecords => ("no TLSA records", Tone::Dim),
        Effect::Void => ("ignored by senders: not DNSSEC-validated", Tone::Yellow),
        Effect::Bogus => ("DNSSEC validation fails (bogus)", Tone::Red),
        Effect::Undecided => ("unknown: the TLSA answer fails validation", Tone::Red),
        Effect::Unvalidated => (
            "not checked: this DNS server does not pass DNSSEC records on",
            Tone::Dim,
        ),
    };
    let text = format!(
        "{} ({}, {}): {status}",
        clean(&host.host),
        clean(&host.tlsa_name),
        host.tlsa_dnssec.describe()
    );
    field(out, "host", &[text], color, Some(status_tone))?;
    if let Some(addresses) = host.addresses {
        let text = format!("addresses {}", addresses.describe());
        field(out, "", &[text], color, tone(addresses))?;
    }
    for record in host.records() {
        field(out, "TLSA", &[record_text(record)], color, None)?;
    }
    if host.records().is_empty() {
        return Ok(());
    }
    for endpoint in &a.endpoints {
        let ip = endpoint.observation.endpoint.ip;
        if !endpoint.has_tls() {
            let text = format!("{ip}: no TLS in this run, nothing to match");
            field(out, "match", &[text], color, Some(Tone::Red))?;
            continue;
        }
        for (record, m) in host.records().iter().zip(&endpoint.matches) {
            let text = format!("{ip}: {}: {}", short(record), m.describe());
            let tone = match m {
                RecordMatch::Leaf | RecordMatch::TrustAnchor { .. } => Tone::Green,
                RecordMatch::Unusable(_) => Tone::Dim,
                _ => Tone::Red,
            };
            field(out, "match", &[text], color, Some(tone))?;
        }
    }
    Ok(())
}

/// `3 1 1 0123456789abcdef…` (the data shortened).
fn short(record: &Tlsa) -> String {
    let data = hex::encode(&record.data);
    let shown: String = data.chars().take(DATA_SHOWN).collect();
    let more = if data.len() > DATA_SHOWN { "…" } else { "" };
    format!(
        "{} {} {} {shown}{more}",
        record.usage, record.selector, record.matching
    )
}

fn record_text(record: &Tlsa) -> String {
    let usage = match record.usage {
        0 => "PKIX-TA",
        1 => "PKIX-EE",
        2 => "DANE-TA",
        3 => "DANE-EE",
        _ => "unknown usage",
    };
    match crate::verdict::dane::unusable(record) {
        Some(why) => format!("{} ({usage}; unusable: {why})", short(record)),
        None => format!("{} ({usage})", short(record)),
    }
}
