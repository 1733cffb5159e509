//! The human report's blocks for a mail domain's inbound transport policies: one for MTA-STS
//! (its record, the policy fetch, the policy, each MX host against it) and one for TLS-RPT (its
//! record). Facts only: the findings below the report say what they mean.

use std::io::{self, Write};

use crate::model::{MtaSts, MxTls, PolicyFetch, TxtLookup, certificate_problem};
use crate::report::text::{Tone, clean, field, format_ms, wrapped};
use crate::run::outcome::CheckReport;

/// The two policy blocks, after the domain's sections.
pub(super) fn write_blocks(
    report: &CheckReport,
    out: &mut dyn Write,
    color: bool,
) -> io::Result<()> {
    let Some(policies) = &report.discovery.policies else {
        return Ok(());
    };
    writeln!(out)?;
    let title = format!("MTA-STS (RFC 8461): {}", clean(&policies.mta_sts.txt.name));
    writeln!(out, "{}", wrapped(&title, color, Tone::Bold))?;
    write_mta_sts(&policies.mta_sts, out, color)?;
    writeln!(out)?;
    let title = format!("TLS-RPT (RFC 8460): {}", clean(&policies.tls_rpt.name));
    writeln!(out, "{}", wrapped(&title, color, Tone::Bold))?;
    write_tls_rpt(&policies.tls_rpt, out, color)
}

/// The TXT answer when it holds none of the policy's records: "none (NXDOMAIN)".
fn no_record(lookup: &TxtLookup) -> String {
    match &lookup.answer {
        Ok(_) => "none".to_owned(),
        Err(failure) => format!("none: {failure}"),
    }
}

fn write_mta_sts(sts: &MtaSts, out: &mut dyn Write, color: bool) -> io::Result<()> {
    let records = sts.txt.sts_records();
    if records.is_empty() {
        return field(
            out,
            "record",
            &[no_record(&sts.txt)],
            color,
            Some(Tone::Dim),
        );
    }
    for (text, record) in &records {
        let (verdict, tone) = if record.is_valid() {
            ("valid".to_owned(), None)
        } else {
            (
                format!("invalid: {}", record.problems.join("; ")),
                Some(Tone::Red),
            )
        };
        let value = format!("{} ({verdict})", clean(text));
        field(out, "record", &[value], color, tone)?;
    }
    let Some(fetch) = &sts.fetch else {
        return Ok(());
    };
    write_fetch(fetch, out, color)?;
    if let Some(policy) = &fetch.policy {
        let mode = policy.mode.map_or("?", |m| m.as_str());
        let age = policy
            .max_age
            .map_or("?".to_owned(), |a| format!("{a} s ({} days)", a / 86_400));
        let mut text = format!("mode {mode}, max_age {age}");
        if !policy.mx.is_empty() {
            let patterns: Vec<String> = policy.mx.iter().map(|p| clean(p).into_owned()).collect();
            text.push_str(&format!(", mx {}", patterns.join(", ")));
        }
        field(out, "policy", &[text], color, None)?;
        for problem in &policy.problems {
            let at = problem
                .line
                .map_or(String::new(), |l| format!("line {l}: "));
            let value = format!("{at}{}", clean(&problem.message));
            field(out, "problem", &[value], color, Some(Tone::Red))?;
        }
        for (line, key) in &policy.unknown {
            let value = format!("line {line}: unknown key `{}` (ignored)", clean(key));
            field(out, "note", &[value], color, Some(Tone::Dim))?;
        }
    }
    for check in &sts.mx {
        let matched = match &check.pattern {
            Some(pattern) => format!("matches {}", clean(pattern)),
            None => "matches no mx pattern".to_owned(),
        };
        let mut tone = check.pattern.is_none().then_some(Tone::Red);
        let mut parts = vec![matched];
        for (ip, tls) in &check.tls {
            let text = match tls {
                MxTls::Valid => "certificate valid".to_owned(),
                other => {
                    if !matches!(other, MxTls::Unknown(_)) {
                        tone = Some(Tone::Red);
                    }
                    format!(
                        "{}: {}",
                        other.as_str(),
                        clean(other.reason().unwrap_or(""))
                    )
                }
            };
            parts.push(format!("{ip} {text}"));
        }
        let value = format!("{}: {}", clean(&check.host), parts.join(", "));
        field(out, "MX", &[value], color, tone)?;
    }
    Ok(())
}

fn write_fetch(fetch: &PolicyFetch, out: &mut dyn Write, color: bool) -> io::Result<()> {
    let place = match fetch.ip {
        Some(ip) if fetch.port != 443 => format!(" ({ip} port {})", fetch.port),
        Some(ip) => format!(" ({ip})"),
        None => String::new(),
    };
    let (result, tone) = match (&fetch.error, fetch.status) {
        (Some(error), _) => (
            format!(
                "failed ({}): {}",
                error.phase.as_str(),
                clean(&error.message)
            ),
            Some(Tone::Red),
        ),
        (None, Some(status)) => {
            let mut text = format!("HTTP {status}");
            if let Some(location) = &fetch.location {
                text.push_str(&format!(" to {}", clean(location)));
            }
            if let Some(ct) = &fetch.content_type {
                text.push_str(&format!(", {}", clean(ct)));
            }
            if fetch.too_large {
                text.push_str(&format!(", more than {} bytes", fetch.body_bytes));
            } else if fetch.body.is_some() {
                text.push_str(&format!(", {} bytes", fetch.body_bytes));
            }
            let ok = status == 200 && fetch.is_text_plain() && !fetch.too_large;
            (text, (!ok).then_some(Tone::Red))
        }
        (None, None) => ("no response".to_owned(), Some(Tone::Red)),
    };
    let value = format!(
        "{}{place}: {result} in {}",
        clean(&fetch.url),
        format_ms(fetch.timings.total)
    );
    field(out, "fetched", &[value], color, tone)?;
    if let Some(tls) = &fetch.tls {
        let (text, tone) = match certificate_problem(tls, &fetch.host) {
            None => (
                format!("valid for {} ({})", clean(&fetch.host), tls.version),
                None,
            ),
            Some(problem) => (clean(&problem).into_owned(), Some(Tone::Red)),
        };
        field(out, "certificate", &[text], color, tone)?;
    }
    Ok(())
}

fn write_tls_rpt(lookup: &TxtLookup, out: &mut dyn Write, color: bool) -> io::Result<()> {
    let records = lookup.tlsrpt_records();
    if records.is_empty() {
        return field(out, "record", &[no_record(lookup)], color, Some(Tone::Dim));
    }
    for (text, record) in &records {
        let (verdict, tone) = if record.is_valid() {
            ("valid".to_owned(), None)
        } else {
            (
                format!("invalid: {}", record.problems.join("; ")),
                Some(Tone::Yellow),
            )
        };
        let value = format!("{} ({verdict})", clean(text));
        field(out, "record", &[value], color, tone)?;
        if record.is_valid() {
            let rua: Vec<String> = record.rua.iter().map(|u| clean(u).into_owned()).collect();
            field(out, "reports to", &[rua.join(", ")], color, None)?;
        }
    }
    Ok(())
}
