//! The human report of a mail domain: its two sections (sending, receiving), each with the
//! hosts it considered and where they came from, then its overview table, then its inbound
//! policies (MTA-STS, TLS-RPT: [`super::sts`]); and per endpoint,
//! where it came from, where `--port-map` sent the connection and its reverse DNS.

use std::io::{self, Write};

use super::overview::summary_table;
use crate::dns::ReverseDns;
use crate::model::{Candidate, Endpoint, Observation, Role, Section, Source, TargetKind};
use crate::report::text::{Tone, clean, field, mode_name, wrapped};
use crate::run::outcome::CheckReport;

/// What the heading adds after the target: ` (mail domain)`, ` (e-mail address at example.com)`.
pub(super) fn kind_suffix(report: &CheckReport) -> String {
    match (report.discovery.kind, &report.discovery.domain) {
        (TargetKind::Domain, _) => " (mail domain)".to_owned(),
        (TargetKind::Address, Some(domain)) => {
            format!(" (e-mail address at {})", clean(domain))
        }
        _ => String::new(),
    }
}

/// The sections of a domain, each a heading, the hosts considered and an overview table.
pub(super) fn write_sections(
    report: &CheckReport,
    out: &mut dyn Write,
    color: bool,
) -> io::Result<()> {
    let domain = report.discovery.domain.as_deref().unwrap_or("");
    for section in &report.discovery.sections {
        writeln!(out)?;
        let title = match section.role {
            Role::Submission => format!(
                "Sending (submission): where a mail client of {} sends",
                clean(domain)
            ),
            Role::Inbound => format!(
                "Receiving (inbound): where other servers deliver mail for {}",
                clean(domain)
            ),
        };
        writeln!(out, "{}", wrapped(&title, color, Tone::Bold))?;
        if section.role == Role::Inbound {
            write_mx(report, out, color)?;
        }
        write_candidates(section, out, color)?;
        for note in &section.notes {
            field(out, "note", &[clean(note).into_owned()], color, None)?;
        }
        let observations: Vec<&Observation> = report
            .observations
            .iter()
            .filter(|o| {
                report
                    .discovery
                    .origin(&o.endpoint)
                    .is_some_and(|p| p.role == Some(section.role))
            })
            .collect();
        if observations.is_empty() {
            field(out, "probed", &["nothing".to_owned()], color, None)?;
            continue;
        }
        for line in summary_table(report, &observations, color).lines() {
            writeln!(out, "{}", line.trim_end())?;
        }
    }
    super::sts::write_blocks(report, out, color)?;
    super::domain_dane::write(report, out, color)
}

/// The MX records as DNS gave them (by preference), or why there are none.
fn write_mx(report: &CheckReport, out: &mut dyn Write, color: bool) -> io::Result<()> {
    let text = match &report.discovery.mx {
        Some(Ok(records)) => records
            .iter()
            .map(|m| format!("{} {}", m.preference, clean(&m.exchange)))
            .collect::<Vec<_>>()
            .join(", "),
        Some(Err(failure)) => format!("none: {failure}"),
        None => return Ok(()),
    };
    field(out, "MX", &[text], color, None)
}

/// The hosts a section considered: where each came from, its ports, and why it was not
/// probed. MX hosts that were probed are in the MX line and the table already.
fn write_candidates(section: &Section, out: &mut dyn Write, color: bool) -> io::Result<()> {
    for candidate in &section.candidates {
        let probed_mx = candidate.source == Source::Mx && candidate.not_probed.is_none();
        if probed_mx {
            continue;
        }
        let mut text = format!("{} ({})", clean(&candidate.host), origin_text(candidate));
        if candidate.not_probed.is_none() && candidate.source != Source::ImplicitMx {
            let ports: Vec<String> = candidate
                .ports
                .iter()
                .map(|(port, security)| format!("{port} {}", mode_name(*security)))
                .collect();
            text.push_str(&format!(": {}", ports.join(", ")));
        }
        let tone = match &candidate.not_probed {
            Some(reason) => {
                text.push_str(&format!(": not probed, {}", reason.describe()));
                Some(Tone::Dim)
            }
            None => None,
        };
        field(out, "host", &[text], color, tone)?;
    }
    Ok(())
}

/// Where a candidate came from, in words.
fn origin_text(candidate: &Candidate) -> String {
    let detail = candidate.detail.as_deref().map(clean);
    match (candidate.source, detail) {
        (Source::Guess, _) => "guess: a usual name".to_owned(),
        (_, Some(detail)) => detail.into_owned(),
        (source, None) => source.as_str().to_owned(),
    }
}

/// The details-block lines discovery adds to an endpoint: where it came from (for a domain),
/// where `--port-map` sent the connection, and the reverse DNS of its address.
pub(super) fn write_fields(
    report: &CheckReport,
    endpoint: &Endpoint,
    out: &mut dyn Write,
    color: bool,
) -> io::Result<()> {
    let discovery = &report.discovery;
    if let Some(planned) = discovery.origin(endpoint)
        && let Some(role) = planned.role
    {
        let candidate = discovery
            .section(role)
            .and_then(|s| s.candidates.iter().find(|c| c.host == endpoint.host));
        let section = match role {
            Role::Submission => "sending",
            Role::Inbound => "receiving",
        };
        let text = match candidate {
            Some(candidate) => format!("{} ({section})", origin_text(candidate)),
            None => format!("{} ({section})", planned.source.as_str()),
        };
        field(out, "found by", &[text], color, None)?;
    }
    if let Some(port) = discovery.mapped_port(endpoint.port) {
        let text = format!("port {port} (--port-map {}={port})", endpoint.port);
        field(out, "connected", &[text], color, None)?;
    }
    if let Some(reverse) = discovery.reverse.get(&endpoint.ip) {
        let (text, tone) = reverse_text(reverse);
        field(out, "reverse DNS", &[text], color, tone)?;
    }
    Ok(())
}

/// A PTR result in a few words, and its colour (only port 25 findings make it a problem, so
/// no red here).
fn reverse_text(reverse: &ReverseDns) -> (String, Option<Tone>) {
    match reverse {
        ReverseDns::Confirmed { name } => (format!("{} (forward-confirmed)", clean(name)), None),
        ReverseDns::Mismatch(checks) => {
            let names: Vec<String> = checks.iter().map(|c| clean(&c.name).into_owned()).collect();
            (
                format!(
                    "{} (does not resolve back to this address)",
                    names.join(", ")
                ),
                Some(Tone::Yellow),
            )
        }
        ReverseDns::Missing(failure) => (format!("none: {failure}"), Some(Tone::Yellow)),
    }
}
