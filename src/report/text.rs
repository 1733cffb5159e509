//! The human toolkit every text renderer shares: tones and colour, cleaning what a server sent
//! before it reaches a terminal, wrapping to the layout width, labelled fields, marked entries
//! (findings, conclusions), and the small formatters (plurals, durations, mode names, endpoint
//! titles). It imports no renderer.

use std::borrow::Cow;
use std::cell::Cell;
use std::io::{self, Write};
use std::net::IpAddr;
use std::time::Duration;

use comfy_table::{ContentArrangement, Table, presets};

use crate::model::{Endpoint, Security};
use crate::verdict::{Finding, Severity};

/// The width the output is laid out for when nothing says otherwise (not a terminal, no
/// `COLUMNS`).
pub const WIDTH: usize = 100;

/// The narrowest layout: below it, labels and values no longer fit side by side.
pub const MIN_WIDTH: usize = 40;

/// The widest layout: longer lines are harder to read, however wide the terminal.
pub const MAX_WIDTH: usize = 120;

thread_local! {
    /// The layout width of the output this thread writes ([`set_width`]).
    static LAYOUT_WIDTH: Cell<usize> = const { Cell::new(WIDTH) };
}

/// The width to lay the output out for: the terminal's when stdout is one, else `COLUMNS`
/// when set, else [`WIDTH`]; kept within [`MIN_WIDTH`] and [`MAX_WIDTH`].
pub fn output_width(stdout_is_terminal: bool) -> usize {
    let terminal = stdout_is_terminal
        .then(|| terminal_size::terminal_size_of(io::stdout()))
        .flatten()
        .map(|(terminal_size::Width(w), _)| usize::from(w));
    let columns = || {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<usize>().ok())
    };
    terminal
        .or_else(columns)
        .filter(|w| *w > 0)
        .unwrap_or(WIDTH)
        .clamp(MIN_WIDTH, MAX_WIDTH)
}

/// Lays out what this thread writes from now on for `width` columns (the writer path sets it
/// once, from [`output_width`], before a renderer runs).
pub fn set_width(width: usize) {
    LAYOUT_WIDTH.with(|w| w.set(width.clamp(MIN_WIDTH, MAX_WIDTH)));
}

/// The layout width of this thread's output: no line a renderer writes is longer.
pub fn width() -> usize {
    LAYOUT_WIDTH.with(Cell::get)
}

/// Column where values of the details block start (two spaces, a 12-wide label, a space).
const LABEL_WIDTH: usize = 12;

const VALUE_COLUMN: usize = 2 + LABEL_WIDTH + 1;

/// A report's closing line: the counts in bold, then `verdict` in `tone`, wrapped to the
/// layout width (the counts always fit on the first line).
pub fn closing_line(
    errors: usize,
    warnings: usize,
    verdict: &str,
    tone: Tone,
    color: bool,
) -> String {
    let counts = format!(
        "{}, {}.",
        plural(errors, "error", "errors"),
        plural(warnings, "warning", "warnings")
    );
    let lines = wrap(&format!("{counts} {verdict}"), width());
    let mut out = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        match line.strip_prefix(counts.as_str()).filter(|_| i == 0) {
            Some(rest) => out.push(format!(
                "{}{}",
                paint(&counts, color, Tone::Bold),
                paint(rest, color, tone)
            )),
            None => out.push(paint(line, color, tone)),
        }
    }
    out.join("\n")
}

/// A heading in bold, wrapped to the layout width.
pub fn heading(text: &str, color: bool) -> String {
    wrapped(text, color, Tone::Bold)
}

/// `text` wrapped to the layout width, each line in `tone`.
pub fn wrapped(text: &str, color: bool, tone: Tone) -> String {
    wrap(text, width())
        .iter()
        .map(|line| paint(line, color, tone))
        .collect::<Vec<_>>()
        .join("\n")
}

/// "Problems found: " and the distinct ids of the error findings, in order.
pub fn problems_found(findings: &[Finding]) -> String {
    let mut ids: Vec<&str> = Vec::new();
    for finding in findings.iter().filter(|f| f.severity == Severity::Error) {
        if !ids.contains(&finding.id.as_str()) {
            ids.push(finding.id.as_str());
        }
    }
    format!("Problems found: {}.", ids.join(", "))
}

/// One labelled value of the details block; each value line wraps under the value column.
pub fn field(
    out: &mut dyn Write,
    label: &str,
    values: &[String],
    color: bool,
    tone: Option<Tone>,
) -> io::Result<()> {
    let mut label = Some(label);
    for value in values {
        for line in wrap(value, width().saturating_sub(VALUE_COLUMN)) {
            let text = match tone {
                Some(tone) => paint(&line, color, tone),
                None => line,
            };
            let shown_label = label.take().unwrap_or("");
            writeln!(out, "  {} {text}", paint_label(shown_label, color))?;
        }
    }
    Ok(())
}

/// The label padded to its column, dimmed when colour is on (the padding stays outside the
/// escape sequence, which would otherwise count towards the width).
fn paint_label(label: &str, color: bool) -> String {
    let padding = " ".repeat(LABEL_WIDTH.saturating_sub(label.chars().count()));
    format!("{}{padding}", paint(label, color, Tone::Dim))
}

/// A finding: severity marker, id and message, then the advice on the next line, indented.
pub fn write_finding(
    out: &mut dyn Write,
    finding: &Finding,
    color: bool,
    indent: usize,
) -> io::Result<()> {
    let marker = match finding.severity {
        Severity::Error => ("✗", Tone::Red),
        Severity::Warning => ("!", Tone::Yellow),
        Severity::Info => ("i", Tone::Cyan),
    };
    let text = format!("{}: {}", finding.id, clean(&finding.message));
    write_marked(out, indent, marker, &text, &finding.advice, color)
}

/// A marked entry: the marker and `text` wrapped under it, then `advice` (when there is any)
/// after an arrow on the next line, indented one step more.
pub fn write_marked(
    out: &mut dyn Write,
    indent: usize,
    (marker, tone): (&str, Tone),
    text: &str,
    advice: &str,
    color: bool,
) -> io::Result<()> {
    let pad = " ".repeat(indent);
    for (i, line) in wrap(text, width().saturating_sub(indent + 2))
        .iter()
        .enumerate()
    {
        if i == 0 {
            writeln!(out, "{pad}{} {line}", paint(marker, color, tone))?;
        } else {
            writeln!(out, "{pad}  {line}")?;
        }
    }
    if advice.is_empty() {
        return Ok(());
    }
    for (i, line) in wrap(&clean(advice), width().saturating_sub(indent + 4))
        .iter()
        .enumerate()
    {
        if i == 0 {
            writeln!(out, "{pad}  {} {line}", paint("→", color, Tone::Green))?;
        } else {
            writeln!(out, "{pad}    {line}")?;
        }
    }
    Ok(())
}

/// `host [ip]:port (mode)`, or `[ip]:port (mode)` when the host is that address.
pub fn endpoint_title(endpoint: &Endpoint) -> String {
    let mode = mode_name(endpoint.security);
    if host_is_address(endpoint) {
        format!("{} ({mode})", endpoint.address_label())
    } else {
        format!(
            "{} {} ({mode})",
            clean(&endpoint.host),
            endpoint.address_label()
        )
    }
}

/// Whether the host as typed is just the address (so showing both says nothing).
pub fn host_is_address(endpoint: &Endpoint) -> bool {
    let host = endpoint.host.trim_start_matches('[').trim_end_matches(']');
    host.parse::<IpAddr>().is_ok_and(|ip| ip == endpoint.ip)
}

/// The security mode as people say it.
pub fn mode_name(security: Security) -> &'static str {
    match security {
        Security::Starttls => "STARTTLS",
        Security::ImplicitTls => "implicit TLS",
        Security::Plain => "plain",
    }
}

/// Whole milliseconds, e.g. `12 ms`.
pub fn format_ms(duration: Duration) -> String {
    format!("{} ms", duration.as_millis())
}

/// Milliseconds below a second, seconds with two decimals above.
pub fn format_duration(duration: Duration) -> String {
    if duration < Duration::from_secs(1) {
        format_ms(duration)
    } else {
        format!("{:.2} s", duration.as_secs_f64())
    }
}

/// `1 error`, `2 errors`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// [`plural`] for signed counts.
pub fn plural_i64(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Text that can be printed safely: control characters (ESC, CR, ...) and bidirectional
/// overrides from a server are shown as `\u{..}` escapes instead of acting on the terminal;
/// tabs become spaces.
pub fn clean(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c == '\t' || needs_escape(c)) {
        return Cow::Borrowed(text);
    }
    let mut cleaned = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c == '\t' {
            cleaned.push(' ');
        } else if needs_escape(c) {
            cleaned.extend(c.escape_unicode());
        } else {
            cleaned.push(c);
        }
    }
    Cow::Owned(cleaned)
}

/// Characters that would act on a terminal or reorder the text around them.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// Splits `text` at spaces into lines of at most `width` characters (at least 20); a longer
/// word is cut into pieces of that length. Leading spaces are kept as an indent on every line.
/// Never returns an empty list.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let body = text.trim_start_matches(' ');
    let indent = &text[..text.len() - body.len()];
    let width = width.saturating_sub(indent.len()).max(20);
    let mut lines = Vec::new();
    let mut line = String::from(indent);
    let mut len = 0;
    // A word longer than a line (a long host name, a hash) is cut into line-long pieces.
    let words = body.split(' ').filter(|w| !w.is_empty()).flat_map(|word| {
        let chars: Vec<char> = word.chars().collect();
        chars
            .chunks(width)
            .map(|piece| piece.iter().collect::<String>())
            .collect::<Vec<_>>()
    });
    for word in words {
        let word = word.as_str();
        let word_len = word.chars().count();
        if len > 0 && len + 1 + word_len > width {
            lines.push(std::mem::replace(&mut line, String::from(indent)));
            len = 0;
        }
        if len > 0 {
            line.push(' ');
            len += 1;
        }
        line.push_str(word);
        len += word_len;
    }
    if len > 0 || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Colours and emphasis used by the human renderers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Headings.
    Bold,
    /// Labels and notes.
    Dim,
    /// Errors.
    Red,
    /// Warnings, skipped endpoints.
    Yellow,
    /// Healthy.
    Green,
    /// Information.
    Cyan,
}

/// `text` wrapped in the ANSI sequence for `tone` when `color` is true, else unchanged.
///
/// The escape codes come from `colored`'s colour table, but the decision is ours: `colored`'s
/// own `Display` consults a process-wide switch fed by the environment and stdout, which must
/// not overrule `--color` (and would make tests depend on how they are run).
pub fn paint(text: &str, color: bool, tone: Tone) -> String {
    if !color || text.is_empty() {
        return text.to_owned();
    }
    let code: Cow<'static, str> = match tone {
        Tone::Bold => "1".into(),
        Tone::Dim => "2".into(),
        Tone::Red => colored::Color::Red.to_fg_str(),
        Tone::Yellow => colored::Color::Yellow.to_fg_str(),
        Tone::Green => colored::Color::Green.to_fg_str(),
        Tone::Cyan => colored::Color::Cyan.to_fg_str(),
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// A grid table laid out for [`width`] columns; styled (colours, bold) only when `color`.
pub fn table_style(color: bool) -> Table {
    let mut table = Table::new();
    table
        .load_style(presets::UTF8_FULL_CONDENSED)
        // The caller decides about colour and the width; comfy-table must not look at stdout.
        .force_no_tty()
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(u16::try_from(width()).unwrap_or(u16::MAX));
    if color {
        table.enforce_styling();
    }
    table
}
