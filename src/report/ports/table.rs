//! The report of `smtp-doctor ports`: a matrix of control hosts by ports with a coloured class
//! per cell, the reason for every probe that did not simply work, the conclusions with their
//! advice, and a closing line; or the JSON document ([`write_json`]). Everything a server sent
//! is cleaned of control characters before it is printed.

use std::io::{self, Write};

use comfy_table::{Attribute, Cell, Color as CellColor, Table};

use crate::report::text::{
    self, Tone, clean, closing_line, format_duration, paint, plural, problems_found, table_style,
    width, wrap, write_finding, write_marked,
};
use crate::run::outcome::{PortProbe, PortsReport};
use crate::verdict::Severity;
use crate::verdict::network::{Class, Conclusion, Kind};

/// Writes the human report; ANSI colour only when `color` is true.
pub fn write(report: &PortsReport, out: &mut dyn Write, color: bool) -> io::Result<()> {
    writeln!(out, "{}", text::heading(&heading(report), color))?;
    if !report.probes.is_empty() {
        writeln!(out)?;
        for line in matrix(report, color).lines() {
            writeln!(out, "{}", line.trim_end())?;
        }
    }
    write_details(report, out, color)?;
    write_conclusions(report, out, color)?;
    writeln!(out)?;
    writeln!(out, "{}", summary_line(report, color))
}

fn heading(report: &PortsReport) -> String {
    let mut hosts: Vec<&str> = report.probes.iter().map(|p| p.host.as_str()).collect();
    hosts.dedup();
    let ports: Vec<String> = report.ports.iter().map(u16::to_string).collect();
    format!(
        "Outbound SMTP from this network: {} of {} on ports {} in {}",
        plural(report.probes.len(), "probe", "probes"),
        plural(hosts.len(), "control host", "control hosts"),
        ports.join(", "),
        format_duration(report.duration)
    )
}

/// Control hosts by ports, a class per cell.
fn matrix(report: &PortsReport, color: bool) -> Table {
    let mut table = table_style(color);
    let mut header = vec![
        Cell::new("Operator").add_attribute(Attribute::Bold),
        Cell::new("Control host").add_attribute(Attribute::Bold),
    ];
    header.extend(
        report
            .ports
            .iter()
            .map(|p| Cell::new(p).add_attribute(Attribute::Bold)),
    );
    table.set_header(header);
    let mut rows: Vec<(&str, &str)> = Vec::new();
    for probe in &report.probes {
        if !rows.iter().any(|(host, _)| *host == probe.host) {
            rows.push((&probe.host, &probe.operator));
        }
    }
    for (host, operator) in rows {
        let mut cells = vec![Cell::new(clean(operator)), Cell::new(clean(host))];
        for &port in &report.ports {
            cells.push(match report.probe(host, port) {
                Some(probe) => class_cell(probe.class),
                None => Cell::new("-"),
            });
        }
        table.add_row(cells);
    }
    table
}

fn class_cell(class: Class) -> Cell {
    let cell = Cell::new(class_label(class));
    match tone(class) {
        Tone::Green => cell.fg(CellColor::Green),
        Tone::Yellow => cell.fg(CellColor::Yellow),
        Tone::Red => cell.fg(CellColor::Red),
        _ => cell,
    }
}

/// The class as shown in the table.
fn class_label(class: Class) -> &'static str {
    match class {
        Class::NoRoute => "no route",
        other => other.as_str(),
    }
}

fn tone(class: Class) -> Tone {
    match class {
        Class::Open => Tone::Green,
        Class::Throttled | Class::NoRoute | Class::Unresolved => Tone::Yellow,
        Class::Refused
        | Class::Filtered
        | Class::Prohibited
        | Class::Unreachable
        | Class::Intercepted
        | Class::Stripped => Tone::Red,
    }
}

/// Every probe that did not answer as expected, with why.
fn write_details(report: &PortsReport, out: &mut dyn Write, color: bool) -> io::Result<()> {
    let odd: Vec<&PortProbe> = report
        .probes
        .iter()
        .filter(|p| p.class != Class::Open)
        .collect();
    if odd.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "{}", paint("Details", color, Tone::Bold))?;
    for probe in odd {
        let address = probe
            .observation
            .as_ref()
            .map(|o| format!(" ({})", o.endpoint.ip))
            .unwrap_or_default();
        let title = format!(
            "{}:{}{address} {}",
            clean(&probe.host),
            probe.port,
            class_label(probe.class)
        );
        writeln!(out, "  {}", paint(&title, color, tone(probe.class)))?;
        for line in wrap(&clean(&probe.reason), width().saturating_sub(4)) {
            writeln!(out, "    {line}")?;
        }
    }
    Ok(())
}

fn write_conclusions(report: &PortsReport, out: &mut dyn Write, color: bool) -> io::Result<()> {
    if report.conclusions.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "{}", paint("Conclusions", color, Tone::Bold))?;
    for conclusion in &report.conclusions {
        match conclusion.finding() {
            Some(finding) => write_finding(out, &finding, color, 2)?,
            None => write_note(out, conclusion, color)?,
        }
    }
    Ok(())
}

/// A conclusion without a finding (a port that works, a port without control hosts).
fn write_note(out: &mut dyn Write, conclusion: &Conclusion, color: bool) -> io::Result<()> {
    let marker = match conclusion.kind {
        Kind::Open => ("✓", Tone::Green),
        _ => ("i", Tone::Cyan),
    };
    let text = clean(&conclusion.message);
    write_marked(out, 2, marker, &text, &conclusion.advice, color)
}

fn summary_line(report: &PortsReport, color: bool) -> String {
    let errors = report.count(Severity::Error);
    let warnings = report.count(Severity::Warning);
    let (verdict, tone) = if errors > 0 {
        (problems_found(&report.findings), Tone::Red)
    } else if !report.probes.iter().any(|p| p.class.answered()) {
        ("Nothing could be tested.".to_string(), Tone::Yellow)
    } else if warnings > 0 {
        (
            "SMTP gets out of this network; see the warnings above.".to_string(),
            Tone::Green,
        )
    } else {
        (
            "SMTP gets out of this network on every port tested.".to_string(),
            Tone::Green,
        )
    };
    closing_line(errors, warnings, &verdict, tone, color)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::verdict::network::{self, Fact};

    fn probe(host: &str, operator: &str, port: u16, class: Class) -> PortProbe {
        PortProbe {
            host: host.to_string(),
            port,
            operator: operator.to_string(),
            preset: None,
            builtin: true,
            class,
            reason: format!("{} \u{1b}[31mreason", class.as_str()),
            dns: Vec::new(),
            observation: None,
        }
    }

    fn report() -> PortsReport {
        let mut probes = Vec::new();
        for (host, operator) in [("mx.a.test", "A"), ("mx.b.test", "B"), ("mx.c.test", "C")] {
            probes.push(probe(host, operator, 25, Class::Filtered));
        }
        for (host, operator) in [
            ("smtp.a.test", "A"),
            ("smtp.b.test", "B"),
            ("smtp.c.test", "C"),
        ] {
            probes.push(probe(host, operator, 587, Class::Open));
        }
        let facts: Vec<Fact> = probes.iter().map(PortProbe::fact).collect();
        let ports = vec![25, 587];
        let conclusions = network::conclude(&ports, &facts);
        let findings = network::findings(&conclusions);
        PortsReport {
            ports,
            duration: Duration::from_millis(1020),
            probes,
            conclusions,
            findings,
        }
    }

    #[test]
    fn table_shows_the_matrix_details_and_conclusions() {
        let mut out = Vec::new();
        write(&report(), &mut out, false).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with(
            "Outbound SMTP from this network: 6 probes of 6 control hosts on ports 25, 587 in 1.02 s"
        ));
        assert!(
            text.contains("│ A        ┆ mx.a.test    ┆ filtered ┆ -    │"),
            "{text}"
        );
        assert!(text.contains("filtered"), "{text}");
        assert!(
            text.contains("Details\n  mx.a.test:25 filtered\n"),
            "{text}"
        );
        // Server text is cleaned: no raw escape reaches the terminal.
        assert!(!text.contains('\u{1b}'), "{text}");
        assert!(text.contains("✗ network.port_blocked: Outbound port 25 is blocked"));
        assert!(text.contains("✓ Port 587 gets out: 3 of 3 control hosts answer as expected."));
        assert!(text.ends_with("1 error, 0 warnings. Problems found: network.port_blocked.\n"));
    }

    #[test]
    fn colour_only_when_asked() {
        let mut out = Vec::new();
        write(&report(), &mut out, true).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("\u{1b}[31mfiltered") || text.contains("\u{1b}[38;5;9m"),
            "{text}"
        );
    }

    #[test]
    fn json_has_every_probe_and_conclusion() {
        let mut out = Vec::new();
        crate::report::ports::json::write(&report(), &mut out).unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(doc["command"], "ports");
        assert_eq!(doc["probes"].as_array().unwrap().len(), 6);
        assert_eq!(doc["probes"][0]["class"], "filtered");
        let blocked = &doc["conclusions"][0];
        assert_eq!(blocked["kind"], "blocked");
        assert_eq!(blocked["finding"], "network.port_blocked");
        assert_eq!(blocked["evidence"]["classes"]["filtered"], 3);
        assert_eq!(blocked["evidence"]["reached_elsewhere"][0]["port"], 587);
        assert_eq!(doc["summary"]["errors"], 1);
    }
}
