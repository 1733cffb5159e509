//! The check's overview: one row per endpoint (mode, state, TLS, certificate, time) and the
//! closing line with the counts and a plain verdict. The certificate cell reads the endpoint's
//! findings; it holds no rules of its own.

use comfy_table::{Attribute, Cell, CellAlignment, Color as CellColor, Table};

use crate::model::{Observation, State, TlsFacts};
use crate::report::text::{
    Tone, clean, format_ms, host_is_address, mode_name, paint, plural, plural_i64, problems_found,
    table_style,
};
use crate::run::outcome::CheckReport;
use crate::verdict::Severity;

/// The overview: one row per endpoint of `observations`.
pub(super) fn summary_table(
    report: &CheckReport,
    observations: &[&Observation],
    color: bool,
) -> Table {
    let mut table = table_style(color);
    let header = ["Endpoint", "Mode", "State", "TLS", "Certificate", "Time"];
    table.set_header(
        header
            .iter()
            .map(|title| Cell::new(title).add_attribute(Attribute::Bold)),
    );
    for observation in observations {
        table.add_row(summary_row(report, observation));
    }
    if let Some(column) = table.column_mut(5) {
        column.set_cell_alignment(CellAlignment::Right);
    }
    table
}

/// One row of the overview.
fn summary_row(report: &CheckReport, observation: &Observation) -> Vec<Cell> {
    let endpoint = &observation.endpoint;
    let address = if host_is_address(endpoint) {
        endpoint.address_label()
    } else {
        format!("{} ({})", endpoint.address_label(), clean(&endpoint.host))
    };

    let mut state = observation.state.as_str().to_owned();
    if observation.wrong_mode.is_some() {
        state.push_str(", wrong mode");
    }
    let state_color = match (observation.state, observation.wrong_mode) {
        (State::Ok, None) => CellColor::Green,
        (State::Skipped, _) => CellColor::Yellow,
        _ => CellColor::Red,
    };

    let version = observation
        .tls
        .as_ref()
        .map_or_else(|| "-".to_owned(), |tls| clean(&tls.version).into_owned());
    let (cert_text, cert_tone) = certificate_verdict(report, observation);
    let cert_cell = match cert_tone {
        Some(Tone::Green) => Cell::new(cert_text).fg(CellColor::Green),
        Some(Tone::Yellow) => Cell::new(cert_text).fg(CellColor::Yellow),
        Some(Tone::Red) => Cell::new(cert_text).fg(CellColor::Red),
        _ => Cell::new(cert_text),
    };
    let time = observation
        .timings
        .total
        .map_or_else(|| "-".to_owned(), format_ms);

    vec![
        Cell::new(address),
        Cell::new(mode_name(endpoint.security)),
        Cell::new(state).fg(state_color),
        Cell::new(version),
        cert_cell,
        Cell::new(time),
    ]
}

/// The certificate in a few words, and how to colour them (`None`: no colour).
///
/// The findings of the endpoint decide when there are any about the certificate; without them
/// (verdicts not run) the facts do.
pub(super) fn certificate_verdict(
    report: &CheckReport,
    observation: &Observation,
) -> (String, Option<Tone>) {
    let Some(tls) = &observation.tls else {
        return ("-".to_owned(), None);
    };
    let leaf = tls.chain.first();
    let mut labels = Vec::new();
    let mut worst: Option<Severity> = None;
    for finding in report.findings_for(&observation.endpoint) {
        let label = match finding.id {
            "cert.expired" => "expired".to_owned(),
            "cert.not_yet_valid" => "not yet valid".to_owned(),
            "cert.self_signed" => "self-signed".to_owned(),
            "cert.untrusted" => "untrusted".to_owned(),
            "cert.name_mismatch" => "name mismatch".to_owned(),
            "cert.expiring_soon" => match leaf {
                Some(cert) => format!("expires in {}", plural_i64(cert.days_left, "day", "days")),
                None => "expiring soon".to_owned(),
            },
            _ => continue,
        };
        if !labels.contains(&label) {
            labels.push(label);
        }
        worst = Some(worst.map_or(finding.severity, |w| w.min(finding.severity)));
    }
    if labels.is_empty() {
        labels = labels_from_facts(tls);
        if !labels.is_empty() {
            worst = Some(Severity::Error);
        }
    }
    if labels.is_empty() {
        return ("trusted".to_owned(), Some(Tone::Green));
    }
    let tone = match worst {
        Some(Severity::Error) => Tone::Red,
        Some(Severity::Warning) => Tone::Yellow,
        _ => Tone::Green,
    };
    (labels.join(", "), Some(tone))
}

/// Certificate problems read from the TLS facts alone.
fn labels_from_facts(tls: &TlsFacts) -> Vec<String> {
    let Some(leaf) = tls.chain.first() else {
        return vec!["none".to_owned()];
    };
    let mut labels = Vec::new();
    if leaf.days_left < 0 {
        labels.push("expired".to_owned());
    }
    if leaf.not_yet_valid_secs > 0 {
        labels.push("not yet valid".to_owned());
    }
    if !tls.verification.trusted {
        if leaf.self_issued {
            labels.push("self-signed".to_owned());
        } else if labels.is_empty() {
            labels.push("untrusted".to_owned());
        }
    }
    if tls.verification.hostname_match == Some(false) {
        labels.push("name mismatch".to_owned());
    }
    labels
}

/// The closing line: counts and a plain verdict.
pub(super) fn summary_line(report: &CheckReport, color: bool) -> String {
    let errors = report.count(Severity::Error);
    let warnings = report.count(Severity::Warning);
    let counts = format!(
        "{}, {}.",
        plural(errors, "error", "errors"),
        plural(warnings, "warning", "warnings")
    );
    let probed = report
        .observations
        .iter()
        .any(|o| o.state != State::Skipped);
    let (verdict, tone) = if errors > 0 {
        (problems_found(&report.findings), Tone::Red)
    } else if !probed {
        ("Nothing could be checked.".to_owned(), Tone::Yellow)
    } else if warnings > 0 {
        (
            "All checked endpoints are healthy; see the warnings above.".to_owned(),
            Tone::Green,
        )
    } else {
        ("All checked endpoints are healthy.".to_owned(), Tone::Green)
    };
    format!(
        "{} {}",
        paint(&counts, color, Tone::Bold),
        paint(&verdict, color, tone)
    )
}
