//! The dialogue per endpoint, as swaks shows it: `->`/`<-` sent and received in plain text,
//! `~>`/`<~` inside TLS, `===` our notes, `***` our errors, each with the time since the
//! endpoint's probe started. In a transcript of its own ([`write`]) the findings follow each
//! dialogue; before the table ([`write_dialogue`]) only the dialogue is shown, since the table
//! has the findings.
//!
//! Lines are printed verbatim except for control characters, which are escaped (see
//! [`super::table`]): a transcript is for reading what the server said, not for replaying it.

use std::io::{self, Write};

use super::overview::summary_line;
use crate::model::{Direction, Observation, State, TranscriptLine};
use crate::report::text::{Tone, clean, endpoint_title, paint, width, wrapped, write_finding};
use crate::run::outcome::CheckReport;

/// Writes the transcript of every endpoint, its findings, the general findings and the verdict;
/// ANSI colour only when `color` is true.
pub fn write(report: &CheckReport, out: &mut dyn Write, color: bool) -> io::Result<()> {
    write_endpoints(report, out, color, true)?;
    let mut general = report.general_findings().peekable();
    if general.peek().is_some() {
        writeln!(out)?;
        writeln!(out, "{}", paint("=== general", color, Tone::Bold))?;
        for finding in general {
            write_finding(out, finding, color, 0)?;
        }
    }
    writeln!(out)?;
    writeln!(out, "{}", summary_line(report, color))
}

/// Writes the dialogue of every endpoint and nothing else: what precedes the table, which has
/// the findings and the verdict.
pub fn write_dialogue(report: &CheckReport, out: &mut dyn Write, color: bool) -> io::Result<()> {
    write_endpoints(report, out, color, false)
}

fn write_endpoints(
    report: &CheckReport,
    out: &mut dyn Write,
    color: bool,
    findings: bool,
) -> io::Result<()> {
    for (i, observation) in report.observations.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        write_endpoint(report, observation, out, color, findings)?;
    }
    Ok(())
}

/// One endpoint: header, dialogue, and its findings when `findings`; a skipped endpoint is one
/// line.
fn write_endpoint(
    report: &CheckReport,
    observation: &Observation,
    out: &mut dyn Write,
    color: bool,
    findings: bool,
) -> io::Result<()> {
    let header = format!("=== {}", endpoint_title(&observation.endpoint));
    if observation.state == State::Skipped {
        let reason = observation.error.as_ref().map_or_else(
            || "no route for this address family here".to_owned(),
            |e| clean(&e.message).into_owned(),
        );
        let line = format!("{header}: skipped ({reason})");
        return writeln!(out, "{}", wrapped(&line, color, Tone::Yellow));
    }
    writeln!(out, "{}", wrapped(&header, color, Tone::Bold))?;
    if observation.transcript.is_empty() {
        writeln!(
            out,
            "{}",
            paint("=== no dialogue recorded", color, Tone::Dim)
        )?;
    }
    for line in &observation.transcript {
        writeln!(out, "{}", format_line(line, color))?;
    }
    // The credential check's own connection, right after the probe's.
    for attempt in super::auth::attempts_at(report, &observation.endpoint) {
        for line in &attempt.transcript {
            writeln!(out, "{}", format_line(line, color))?;
        }
    }
    if findings {
        for finding in report.findings_for(&observation.endpoint) {
            write_finding(out, finding, color, 0)?;
        }
    }
    Ok(())
}

/// `[   12 ms] <- 220 mail.test ESMTP`; a line longer than the layout width goes on under the
/// text, indented past the time and the marker.
fn format_line(line: &TranscriptLine, color: bool) -> String {
    let stamp = format!("[{:>5} ms]", line.at.as_millis());
    let marker = marker(line.dir, line.tls);
    let indent = stamp.chars().count() + marker.chars().count() + 2;
    let pieces = split_at_width(&clean(&line.line), width().saturating_sub(indent).max(20));
    let tone = match line.dir {
        Direction::Error => Some(Tone::Red),
        _ => None,
    };
    let marker_tone = match line.dir {
        Direction::Error => Tone::Red,
        Direction::Info => Tone::Cyan,
        Direction::Send => Tone::Green,
        Direction::Recv => Tone::Bold,
    };
    let text = |piece: &str| {
        let piece = piece.trim_end();
        tone.map_or_else(|| piece.to_owned(), |t| paint(piece, color, t))
    };
    let mut out = format!(
        "{} {} {}",
        paint(&stamp, color, Tone::Dim),
        paint(marker, color, marker_tone),
        text(pieces.first().map_or("", String::as_str))
    );
    for piece in pieces.iter().skip(1) {
        out.push('\n');
        out.push_str(&" ".repeat(indent));
        out.push_str(&text(piece));
    }
    out
}

/// Splits a line into pieces of at most `width` characters, as sent: each piece ends after a
/// space where there is one in its last third (so words stay whole), else at `width`; joined
/// again, the pieces are the line exactly.
fn split_at_width(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let chars: Vec<char> = text.chars().collect();
    let mut pieces = Vec::new();
    let mut start = 0;
    while chars.len() - start > width {
        let end = start + width;
        let window = chars.get(start + width * 2 / 3..end).unwrap_or_default();
        let cut = window
            .iter()
            .rposition(|c| *c == ' ')
            .map_or(end, |at| start + width * 2 / 3 + at + 1);
        pieces.push(chars.get(start..cut).unwrap_or_default().iter().collect());
        start = cut;
    }
    pieces.push(chars.get(start..).unwrap_or_default().iter().collect());
    pieces
}

/// The swaks marker for who sent a line and whether it travelled inside TLS.
fn marker(dir: Direction, tls: bool) -> &'static str {
    match (dir, tls) {
        (Direction::Send, false) => "->",
        (Direction::Recv, false) => "<-",
        (Direction::Send, true) => "~>",
        (Direction::Recv, true) => "<~",
        (Direction::Info, _) => "===",
        (Direction::Error, _) => "***",
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::model::TargetKind;
    use crate::model::{Observation, Security};
    use crate::report::check::table::tests::{endpoint, finding, ip};
    use crate::run::outcome::TargetInfo;
    use crate::verdict::Severity;

    fn line(ms: u64, dir: Direction, tls: bool, text: &str) -> TranscriptLine {
        TranscriptLine {
            at: Duration::from_millis(ms),
            dir,
            tls,
            line: text.to_owned(),
        }
    }

    fn report() -> CheckReport {
        let mut good = Observation::new(endpoint("mail.test", ip(1), 587, Security::Starttls));
        good.transcript = vec![
            line(0, Direction::Info, false, "connected to 192.0.2.1:587"),
            line(12, Direction::Recv, false, "220 mail.test ESMTP"),
            line(13, Direction::Send, false, "EHLO client.test"),
            line(
                20,
                Direction::Info,
                false,
                "TLS TLSv1.3 TLS_AES_256_GCM_SHA384",
            ),
            line(21, Direction::Send, true, "EHLO client.test"),
            line(22, Direction::Recv, true, "250 mail.test"),
            line(30, Direction::Error, true, "read timed out"),
        ];
        let mut skipped = Observation::new(endpoint(
            "mail.test",
            "2001:db8::1".parse().unwrap(),
            25,
            Security::Starttls,
        ));
        skipped.state = State::Skipped;
        let findings = vec![
            finding(
                "starttls.missing",
                Severity::Error,
                Some(&good.endpoint),
                "Enable STARTTLS.",
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
            duration: Duration::from_millis(40),
            observations: vec![good, skipped],
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
    fn markers_for_each_direction_and_layer() {
        assert_eq!(marker(Direction::Send, false), "->");
        assert_eq!(marker(Direction::Recv, false), "<-");
        assert_eq!(marker(Direction::Send, true), "~>");
        assert_eq!(marker(Direction::Recv, true), "<~");
        assert_eq!(marker(Direction::Info, false), "===");
        assert_eq!(marker(Direction::Info, true), "===");
        assert_eq!(marker(Direction::Error, false), "***");
        assert_eq!(marker(Direction::Error, true), "***");
    }

    #[test]
    fn dialogue_lines_with_time_and_marker() {
        let text = render(&report(), false);
        let expected = "\
=== mail.test 192.0.2.1:587 (STARTTLS)
[    0 ms] === connected to 192.0.2.1:587
[   12 ms] <- 220 mail.test ESMTP
[   13 ms] -> EHLO client.test
[   20 ms] === TLS TLSv1.3 TLS_AES_256_GCM_SHA384
[   21 ms] ~> EHLO client.test
[   22 ms] <~ 250 mail.test
[   30 ms] *** read timed out
✗ starttls.missing: starttls.missing was seen.
  → Enable STARTTLS.
";
        assert!(text.starts_with(expected), "{text}");
    }

    #[test]
    fn skipped_endpoint_general_findings_and_summary() {
        let text = render(&report(), false);
        assert!(
            text.contains(
                "\n\n=== mail.test [2001:db8::1]:25 (STARTTLS): skipped \
                 (no route for this address family here)\n\n=== general\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("i dns.no_submission: dns.no_submission was seen.\n  → Nothing to do.\n")
        );
        assert!(text.ends_with("1 error, 0 warnings. Problems found: starttls.missing.\n"));
    }

    #[test]
    fn colour_only_when_asked_and_server_escapes_neutralised() {
        let mut report = report();
        if let Some(o) = report.observations.first_mut() {
            o.transcript
                .push(line(31, Direction::Recv, false, "\x1b]0;pwned\x07"));
        }
        let plain = render(&report, false);
        assert!(!plain.contains('\x1b'), "{plain}");
        assert!(plain.contains("<- \\u{1b}]0;pwned\\u{7}"), "{plain}");
        assert!(render(&report, true).contains("\x1b["));
    }

    #[test]
    fn empty_transcript_says_so() {
        let mut report = report();
        if let Some(o) = report.observations.first_mut() {
            o.transcript.clear();
        }
        let text = render(&report, false);
        assert!(
            text.contains("(STARTTLS)\n=== no dialogue recorded\n"),
            "{text}"
        );
    }

    #[test]
    fn long_lines_split_after_a_space_and_join_back_exactly() {
        let line = "certificate 0: subject CN=mail.example.test; issuer CN=Demo CA, O=Demo CA; SAN mail.example.test; expires 2026-12-08T10:47:40Z (9 days)";
        let pieces = split_at_width(line, 85);
        assert_eq!(pieces.concat(), line);
        assert!(pieces.iter().all(|p| p.chars().count() <= 85), "{pieces:?}");
        assert!(pieces[0].ends_with(' '), "{pieces:?}");
        let word = "x".repeat(50);
        assert_eq!(split_at_width(&word, 20).concat(), word);
        assert_eq!(split_at_width("", 20), vec![String::new()]);
    }
}
