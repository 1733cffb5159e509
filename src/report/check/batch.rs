//! The summary of `check --file` for people: one row per input line (target, verdict, worst
//! finding, TLS, certificate days left, time) and the totals. Each result is reduced to its
//! [`Row`] as it comes, so a batch of thousands keeps only rows, not reports.

use std::io::{self, Write};
use std::time::Duration;

use comfy_table::{Attribute, Cell};

use crate::report::text::{self, Tone, clean, format_duration, paint, plural, table_style};
use crate::run::outcome::{BatchResult, Outcome};
use crate::verdict::Severity;

/// How a line ended, for the verdict column and the totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// No error, no warning.
    Healthy,
    /// Warnings only.
    Warnings,
    /// At least one error finding.
    Errors,
    /// Not a usable target, or its run could not start.
    NotChecked,
}

/// One line of the summary.
#[derive(Debug, Clone)]
pub struct Row {
    line: usize,
    target: String,
    verdict: Verdict,
    /// The first error finding (else the first warning): id and message.
    worst: Option<(String, String)>,
    /// The TLS versions seen, `-` for none.
    tls: String,
    /// The fewest days left of any endpoint's leaf certificate.
    days_left: Option<i64>,
    duration: Duration,
}

impl Row {
    /// The row of one result.
    pub fn new(result: &BatchResult) -> Row {
        let mut row = Row {
            line: result.line,
            target: result.input.clone(),
            verdict: Verdict::NotChecked,
            worst: None,
            tls: "-".to_string(),
            days_left: None,
            duration: result.duration,
        };
        match &result.outcome {
            Outcome::Invalid(reason) | Outcome::Failed(reason) => {
                row.worst = Some(("not checked".to_string(), reason.clone()));
            }
            Outcome::Checked(report) => {
                let first =
                    |severity: Severity| report.findings.iter().find(|f| f.severity == severity);
                let worst = first(Severity::Error).or_else(|| first(Severity::Warning));
                row.verdict = match worst.map(|f| f.severity) {
                    Some(Severity::Error) => Verdict::Errors,
                    Some(_) => Verdict::Warnings,
                    None => Verdict::Healthy,
                };
                row.worst = worst.map(|f| (f.id.as_str().to_string(), f.message.clone()));
                let mut versions: Vec<&str> = report
                    .observations
                    .iter()
                    .filter_map(|o| o.tls.as_ref().map(|t| t.version.as_str()))
                    .collect();
                versions.sort_unstable();
                versions.dedup();
                if !versions.is_empty() {
                    row.tls = versions.join(", ");
                }
                row.days_left = report
                    .observations
                    .iter()
                    .filter_map(|o| o.tls.as_ref()?.chain.first().map(|c| c.days_left))
                    .min();
            }
        }
        row
    }

    /// How the line ended.
    pub fn verdict(&self) -> Verdict {
        self.verdict
    }
}

/// Writes the summary table and the totals; ANSI colour only when `color` is true.
pub fn write(rows: &[Row], elapsed: Duration, out: &mut dyn Write, color: bool) -> io::Result<()> {
    let mut table = table_style(color);
    table.set_header(
        [
            "Line",
            "Target",
            "Verdict",
            "Worst finding",
            "TLS",
            "Cert days",
            "Time",
        ]
        .map(|h| Cell::new(h).add_attribute(Attribute::Bold)),
    );
    for row in rows {
        let (word, tone) = match row.verdict {
            Verdict::Healthy => ("healthy", Tone::Green),
            Verdict::Warnings => ("warnings", Tone::Yellow),
            Verdict::Errors => ("errors", Tone::Red),
            Verdict::NotChecked => ("not checked", Tone::Red),
        };
        let worst = match &row.worst {
            Some((id, message)) => format!("{id}: {}", clean(message)),
            None => "-".to_string(),
        };
        table.add_row(vec![
            Cell::new(row.line),
            Cell::new(clean(&row.target)),
            Cell::new(paint(word, color, tone)),
            Cell::new(worst),
            Cell::new(&row.tls),
            Cell::new(row.days_left.map_or("-".to_string(), |d| d.to_string())),
            Cell::new(format_duration(row.duration)),
        ]);
    }
    writeln!(
        out,
        "{}",
        text::heading(
            &format!(
                "Checked {} in {}",
                plural(rows.len(), "target", "targets"),
                format_duration(elapsed)
            ),
            color
        )
    )?;
    writeln!(out)?;
    for line in table.to_string().lines() {
        writeln!(out, "{}", line.trim_end())?;
    }
    writeln!(out)?;
    let count = |v: Verdict| rows.iter().filter(|r| r.verdict == v).count();
    writeln!(
        out,
        "{} healthy, {} with warnings, {} with errors, {} not checked.",
        count(Verdict::Healthy),
        count(Verdict::Warnings),
        count(Verdict::Errors),
        count(Verdict::NotChecked)
    )
}
