//! The check's overview: one row per endpoint (mode, state, TLS, certificate, time) and the
//! closing line with the counts and a plain verdict. The certificate cell reads the endpoint's
//! findings; it holds no rules of its own.

use comfy_table::{Attribute, Cell, CellAlignment, Color as CellColor, Table};

use crate::model::{Observation, State};
use crate::report::text::{
    Tone, clean, closing_line, format_ms, host_is_address, mode_name, plural_i64, problems_found,
    table_style,
};
use crate::run::outcome::CheckReport;
use crate::verdict::{FindingId, Severity};

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

/// The certificate in a few words, and how to colour them (`None`: no colour): the short
/// labels of the endpoint's certificate findings, coloured by the worst of them; "trusted" when
/// there are none.
pub(super) fn certificate_verdict(
    report: &CheckReport,
    observation: &Observation,
) -> (String, Option<Tone>) {
    let Some(tls) = &observation.tls else {
        return ("-".to_owned(), None);
    };
    let mut labels = Vec::new();
    let mut worst: Option<Severity> = None;
    for finding in report.findings_for(&observation.endpoint) {
        let Some(label) = finding.id.short_label() else {
            continue;
        };
        let label = match (finding.id, tls.chain.first()) {
            (FindingId::CertExpiringSoon, Some(leaf)) => {
                format!("expires in {}", plural_i64(leaf.days_left, "day", "days"))
            }
            _ => label.to_owned(),
        };
        if !labels.contains(&label) {
            labels.push(label);
        }
        worst = Some(worst.map_or(finding.severity, |w| w.min(finding.severity)));
    }
    let tone = match worst {
        None => return ("trusted".to_owned(), Some(Tone::Green)),
        Some(Severity::Error) => Tone::Red,
        Some(Severity::Warning) => Tone::Yellow,
        Some(Severity::Info) => Tone::Green,
    };
    (labels.join(", "), Some(tone))
}

/// The closing line: counts and a plain verdict.
pub(super) fn summary_line(report: &CheckReport, color: bool) -> String {
    let errors = report.count(Severity::Error);
    let warnings = report.count(Severity::Warning);
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
    closing_line(errors, warnings, &verdict, tone, color)
}
