//! The JSON shapes every document shares (`check`, `ports`, `providers`): the tool, replies,
//! EHLO, STARTTLS, TLS and certificates, timings, transcript lines, findings and the summary.
//! Built `From` the engine's types, so the engine can change without breaking the schema
//! (`schema_version` 1, README). It imports no renderer.

use std::io::{self, Write};
use std::time::Duration;

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};

use crate::model::{
    CertFacts, PhaseError, StarttlsObservation, Timings, TlsFacts, TranscriptLine, WrongMode,
};
use crate::smtp::{Ehlo, Reply};
use crate::verdict::{Finding, Severity};

/// The schema version of this output; raised only when a field is renamed or changes meaning.
pub const SCHEMA_VERSION: u32 = 1;

/// Writes one JSON document, pretty-printed and newline-terminated. An I/O error keeps its
/// kind (a closed pipe stays `BrokenPipe`), so the caller can tell a reader that went away
/// from a real failure.
pub(crate) fn write_document(out: &mut dyn Write, doc: &impl Serialize) -> io::Result<()> {
    let mut serializer =
        serde_json::Serializer::with_formatter(&mut *out, Escaping(PrettyFormatter::new()));
    doc.serialize(&mut serializer).map_err(io::Error::from)?;
    writeln!(out)
}

/// Writes one JSON document on one line, newline-terminated (a line of NDJSON), with the same
/// escaping and error kinds as [`write_document`].
pub(crate) fn write_line(out: &mut dyn Write, doc: &impl Serialize) -> io::Result<()> {
    let mut serializer =
        serde_json::Serializer::with_formatter(&mut *out, Escaping(CompactFormatter));
    doc.serialize(&mut serializer).map_err(io::Error::from)?;
    writeln!(out)
}

/// serde_json's pretty layout, escaping also DEL and the C1 controls (U+007F to U+009F), which
/// JSON allows raw but which act on a terminal that shows the document; serde_json escapes only
/// the controls below U+0020.
struct Escaping<F>(F);

impl<F: Formatter> Formatter for Escaping<F> {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (at, c) in fragment.char_indices() {
            if ('\u{7f}'..='\u{9f}').contains(&c) {
                writer.write_all(fragment.get(start..at).unwrap_or_default().as_bytes())?;
                write!(writer, "\\u{:04x}", u32::from(c))?;
                start = at + c.len_utf8();
            }
        }
        writer.write_all(fragment.get(start..).unwrap_or_default().as_bytes())
    }

    fn begin_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_array(writer)
    }

    fn end_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_array(writer)
    }

    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_array_value(writer, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_array_value(writer)
    }

    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_object(writer)
    }

    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object(writer)
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_object_key(writer, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_object_value(writer)
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object_value(writer)
    }
}

#[derive(Serialize)]
pub(crate) struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
pub(crate) struct ErrorJson<'a> {
    phase: &'static str,
    message: &'a str,
    run_deadline: bool,
}

#[derive(Serialize)]
pub(crate) struct ReplyJson<'a> {
    code: u16,
    enhanced: Option<String>,
    lines: &'a [String],
}

#[derive(Serialize)]
pub(crate) struct EhloJson<'a> {
    code: u16,
    domain: &'a str,
    greeting: &'a str,
    helo: bool,
    keywords: Vec<KeywordJson<'a>>,
    lines: &'a [String],
}

#[derive(Serialize)]
pub(crate) struct KeywordJson<'a> {
    name: &'a str,
    params: &'a [String],
}

#[derive(Serialize)]
pub(crate) struct StarttlsJson<'a> {
    offered: bool,
    reply: Option<ReplyJson<'a>>,
    injected_bytes: usize,
}

#[derive(Serialize)]
pub(crate) struct TlsJson<'a> {
    version: &'a str,
    cipher: &'a str,
    key_exchange: Option<&'a str>,
    chain: Vec<CertJson<'a>>,
    verification: VerificationJson<'a>,
}

#[derive(Serialize)]
pub(crate) struct CertJson<'a> {
    subject: &'a str,
    issuer: &'a str,
    san: &'a [String],
    not_before: &'a str,
    not_after: &'a str,
    days_left: i64,
    key: &'a str,
    signature_algorithm: &'a str,
    serial: &'a str,
    sha256: &'a str,
    self_issued: bool,
    is_ca: bool,
}

#[derive(Serialize)]
pub(crate) struct VerificationJson<'a> {
    trusted: bool,
    hostname_match: Option<bool>,
    checked_name: Option<&'a str>,
    errors: Vec<VerifyErrorJson<'a>>,
}

#[derive(Serialize)]
pub(crate) struct VerifyErrorJson<'a> {
    depth: u32,
    code: i32,
    message: &'a str,
}

#[derive(Serialize)]
pub(crate) struct TimingsJson {
    connect: Option<u64>,
    banner: Option<u64>,
    ehlo: Option<u64>,
    starttls: Option<u64>,
    tls: Option<u64>,
    ehlo_tls: Option<u64>,
    total: Option<u64>,
}

#[derive(Serialize)]
pub(crate) struct LineJson<'a> {
    t_ms: u64,
    dir: &'static str,
    tls: bool,
    line: &'a str,
}

#[derive(Serialize)]
pub(crate) struct FindingJson<'a> {
    id: &'static str,
    severity: &'static str,
    endpoint: Option<&'a str>,
    ip: Option<String>,
    message: &'a str,
    advice: &'a str,
}

#[derive(Serialize)]
pub(crate) struct Summary {
    errors: usize,
    warnings: usize,
    infos: usize,
}

impl Summary {
    /// Counts of the findings by severity.
    pub(crate) fn of(findings: &[Finding]) -> Summary {
        let count = |severity| findings.iter().filter(|f| f.severity == severity).count();
        Summary {
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            infos: count(Severity::Info),
        }
    }
}

pub(crate) fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl<'a> From<&'a Reply> for ReplyJson<'a> {
    fn from(r: &'a Reply) -> Self {
        ReplyJson {
            code: r.code,
            enhanced: r.enhanced.map(|e| e.to_string()),
            lines: &r.lines,
        }
    }
}

impl<'a> From<&'a Ehlo> for EhloJson<'a> {
    fn from(e: &'a Ehlo) -> Self {
        EhloJson {
            code: e.code,
            domain: &e.domain,
            greeting: &e.greeting,
            helo: e.helo,
            keywords: e
                .keywords
                .iter()
                .map(|k| KeywordJson {
                    name: &k.name,
                    params: &k.params,
                })
                .collect(),
            lines: &e.lines,
        }
    }
}

impl<'a> From<&'a StarttlsObservation> for StarttlsJson<'a> {
    fn from(s: &'a StarttlsObservation) -> Self {
        StarttlsJson {
            offered: s.offered,
            reply: s.reply.as_ref().map(ReplyJson::from),
            injected_bytes: s.injected.len(),
        }
    }
}

impl<'a> From<&'a TlsFacts> for TlsJson<'a> {
    fn from(t: &'a TlsFacts) -> Self {
        TlsJson {
            version: &t.version,
            cipher: &t.cipher,
            key_exchange: t.key_exchange.as_deref(),
            chain: t.chain.iter().map(CertJson::from).collect(),
            verification: VerificationJson {
                trusted: t.verification.trusted,
                hostname_match: t.verification.hostname_match,
                checked_name: t.verification.checked_name.as_deref(),
                errors: t
                    .verification
                    .errors
                    .iter()
                    .map(|e| VerifyErrorJson {
                        depth: e.depth,
                        code: e.code,
                        message: &e.message,
                    })
                    .collect(),
            },
        }
    }
}

impl<'a> From<&'a CertFacts> for CertJson<'a> {
    fn from(c: &'a CertFacts) -> Self {
        CertJson {
            subject: &c.subject,
            issuer: &c.issuer,
            san: &c.san,
            not_before: &c.not_before,
            not_after: &c.not_after,
            days_left: c.days_left,
            key: &c.key,
            signature_algorithm: &c.signature_algorithm,
            serial: &c.serial,
            sha256: &c.sha256,
            self_issued: c.self_issued,
            is_ca: c.is_ca,
        }
    }
}

impl From<&Timings> for TimingsJson {
    fn from(t: &Timings) -> Self {
        TimingsJson {
            connect: t.connect.map(ms),
            banner: t.banner.map(ms),
            ehlo: t.ehlo.map(ms),
            starttls: t.starttls.map(ms),
            tls: t.tls.map(ms),
            ehlo_tls: t.ehlo_tls.map(ms),
            total: t.total.map(ms),
        }
    }
}

impl<'a> From<&'a Finding> for FindingJson<'a> {
    fn from(f: &'a Finding) -> Self {
        FindingJson {
            id: f.id.as_str(),
            severity: f.severity.as_str(),
            endpoint: f.endpoint.as_deref(),
            ip: f.ip.map(|ip| ip.to_string()),
            message: &f.message,
            advice: &f.advice,
        }
    }
}

impl Tool {
    /// This program's name and version.
    pub(crate) fn current() -> Tool {
        Tool {
            name: "smtp-doctor",
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

impl<'a> From<&'a PhaseError> for ErrorJson<'a> {
    fn from(e: &'a PhaseError) -> Self {
        ErrorJson {
            phase: e.phase.as_str(),
            message: &e.message,
            run_deadline: e.run_deadline,
        }
    }
}

impl<'a> From<&'a TranscriptLine> for LineJson<'a> {
    fn from(l: &'a TranscriptLine) -> Self {
        LineJson {
            t_ms: ms(l.at),
            dir: l.dir.as_str(),
            tls: l.tls,
            line: &l.line,
        }
    }
}

/// The name of a wrong TLS mode in JSON.
pub(crate) fn wrong_mode_name(mode: WrongMode) -> &'static str {
    match mode {
        WrongMode::ImplicitTlsOnStarttlsPort => "implicit_tls_on_starttls_port",
        WrongMode::PlainOnTlsPort => "plain_on_tls_port",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Doc<'a> {
        text: &'a str,
        list: Vec<u32>,
    }

    #[test]
    fn del_and_c1_controls_are_escaped_and_the_layout_is_pretty() {
        let mut out = Vec::new();
        let doc = Doc {
            text: "a\u{7f}b\u{85}c\u{9f}d\u{a0}e\u{1b}\"é",
            list: vec![1, 2],
        };
        write_document(&mut out, &doc).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains(r#""a\u007fb\u0085c\u009fd"#), "{text}");
        // U+00A0 is printable, ESC was already escaped by serde_json, quotes too.
        assert!(text.contains("d\u{a0}e\\u001b\\\"é"), "{text}");
        assert!(
            !text.chars().any(|c| ('\u{7f}'..='\u{9f}').contains(&c)),
            "{text}"
        );
        assert!(
            text.contains("\n  \"list\": [\n    1,\n    2\n  ]\n}"),
            "{text}"
        );
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["text"], doc.text);
    }
}
