//! `smtp-doctor explain`: the explanations for people. A heading, the text as read, then each
//! explanation (most specific first) with what matched, what it means, the likely causes, the
//! fix and the check to run; then the next step. Laid out for the output width; everything from
//! the user's text cleaned of control characters.

use std::io::{self, Write};

use crate::explain::{Explanation, Kind};
use crate::report::text::{self, Tone, clean, field, plural, wrap};
use crate::run::outcome::ExplainReport;

/// Most lines of the input shown.
const INPUT_LINES: usize = 6;

/// Longest input line shown, in characters.
const INPUT_LINE_CHARS: usize = 300;

/// Where [`field`] starts its values: two spaces, the 12-wide label, a space.
const VALUE_COLUMN: usize = 15;

/// Writes the human report; ANSI colour only when `color` is true.
pub fn write(report: &ExplainReport, out: &mut dyn Write, color: bool) -> io::Result<()> {
    if report.recognised() {
        let heading = format!(
            "{} recognised in the text, most specific first",
            plural(report.explanations.len(), "explanation", "explanations")
        );
        writeln!(out, "{}", text::heading(&heading, color))?;
    } else {
        let heading =
            "Nothing in this text is an SMTP reply or an error message smtp-doctor knows.";
        writeln!(out, "{}", text::wrapped(heading, color, Tone::Yellow))?;
    }
    writeln!(out)?;
    field(out, "text", &input_lines(&report.input), color, None)?;
    for (n, explanation) in report.explanations.iter().enumerate() {
        writeln!(out)?;
        write_explanation(out, n + 1, explanation, report, color)?;
    }
    writeln!(out)?;
    write_next(out, report, color)
}

/// The first lines of the input, cleaned and cut, with a note of what is left out.
fn input_lines(input: &str) -> Vec<String> {
    let lines: Vec<&str> = input.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut shown: Vec<String> = lines
        .iter()
        .take(INPUT_LINES)
        .map(|line| {
            let line = clean(line.trim());
            if line.chars().count() > INPUT_LINE_CHARS {
                let cut: String = line.chars().take(INPUT_LINE_CHARS).collect();
                format!("{cut}...")
            } else {
                line.into_owned()
            }
        })
        .collect();
    if lines.len() > INPUT_LINES {
        shown.push(format!(
            "({} more)",
            plural(lines.len() - INPUT_LINES, "line", "lines")
        ));
    }
    if shown.is_empty() {
        shown.push("(only blank lines)".to_string());
    }
    shown
}

/// `1. Known reply of Microsoft 365 / Exchange Online (office365)` and its fields.
fn write_explanation(
    out: &mut dyn Write,
    n: usize,
    e: &Explanation,
    report: &ExplainReport,
    color: bool,
) -> io::Result<()> {
    writeln!(
        out,
        "{}",
        text::heading(&format!("{n}. {}", title(e)), color)
    )?;
    // A text that is just the reply is shown once, above.
    if e.matched != report.input.trim() {
        field(
            out,
            "matched",
            &[clean(&e.matched).into_owned()],
            color,
            None,
        )?;
    }
    field(
        out,
        "meaning",
        &[clean(&e.meaning).into_owned()],
        color,
        None,
    )?;
    field(out, "causes", &bullets(&e.causes), color, None)?;
    field(
        out,
        "fix",
        &[clean(&e.fix).into_owned()],
        color,
        Some(Tone::Green),
    )?;
    if !e.check_flags.is_empty() {
        let mut target = first_target(report);
        // A port in the target means that port only: `--port` would be ignored.
        if e.check_flags.iter().any(|f| f.starts_with("--port")) {
            target = without_port(&target);
        }
        let command = format!("smtp-doctor check {target} {}", e.check_flags.join(" "));
        field(
            out,
            "check with",
            &[clean(&command).into_owned()],
            color,
            None,
        )?;
    }
    Ok(())
}

/// Each cause as `- ...`, its further lines indented under its text.
fn bullets(causes: &[String]) -> Vec<String> {
    let width = text::width().saturating_sub(VALUE_COLUMN + 2);
    let mut lines = Vec::new();
    for cause in causes {
        for (i, line) in wrap(&clean(cause), width).into_iter().enumerate() {
            let marker = if i == 0 { "- " } else { "  " };
            lines.push(format!("{marker}{line}"));
        }
    }
    lines
}

/// What explains it, in words.
fn title(e: &Explanation) -> String {
    let source = clean(&e.source);
    match e.kind {
        Kind::ProviderReply => match &e.provider {
            Some(provider) => format!("Known reply of {} ({source})", clean(provider)),
            None => format!("Known reply ({source})"),
        },
        Kind::ClientLibrary => format!("{source} error"),
        Kind::EnhancedCode => match e.enhanced {
            Some(code) => format!("Enhanced status code {code} ({source})"),
            None => format!("Enhanced status code ({source})"),
        },
        Kind::Reply => match e.code {
            Some(code) => format!("Reply code {code} ({source})"),
            None => format!("Reply code ({source})"),
        },
    }
}

/// The target of the first check the text names, else `HOST`.
fn first_target(report: &ExplainReport) -> String {
    report
        .next_commands
        .first()
        .and_then(|c| c.strip_prefix("smtp-doctor check "))
        .unwrap_or("HOST")
        .to_string()
}

/// `host:587` as `host`, `[::1]:587` as `::1`, `smtps://host:465` as `smtps://host`.
fn without_port(target: &str) -> String {
    let Some((host, port)) = target.rsplit_once(':') else {
        return target.to_string();
    };
    let bare = host.rsplit_once("://").map_or(host, |(_, h)| h);
    let v6_unbracketed = bare.contains(':') && !bare.starts_with('[');
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) || v6_unbracketed {
        return target.to_string();
    }
    match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => v6.to_string(),
        None => host.to_string(),
    }
}

/// The checks to run next: those the text names, else the general one.
fn write_next(out: &mut dyn Write, report: &ExplainReport, color: bool) -> io::Result<()> {
    let commands: Vec<String> = if report.next_commands.is_empty() {
        vec![
            "smtp-doctor check HOST, with your mail server's name in place of HOST: it shows what the server offers on ports 25, 587 and 465 and what is wrong.".to_string(),
        ]
    } else {
        report
            .next_commands
            .iter()
            .map(|c| clean(c).into_owned())
            .collect()
    };
    field(out, "next step", &commands, color, Some(Tone::Bold))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_come_off_targets() {
        assert_eq!(without_port("smtp.example.com:465"), "smtp.example.com");
        assert_eq!(without_port("[::1]:465"), "::1");
        assert_eq!(
            without_port("smtps://smtp.example.com:465"),
            "smtps://smtp.example.com"
        );
        assert_eq!(
            without_port("smtps://smtp.example.com"),
            "smtps://smtp.example.com"
        );
        assert_eq!(without_port("::1"), "::1");
        assert_eq!(without_port("fe80::1:2"), "fe80::1:2");
        assert_eq!(without_port("HOST"), "HOST");
    }
}
