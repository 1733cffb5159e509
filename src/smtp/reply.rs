//! Reply reader: turns received bytes into SMTP replies (RFC 5321 section 4.2), within bounds.

use std::fmt;

/// An enhanced status code (RFC 3463), e.g. `5.7.8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnhancedCode {
    /// 2, 4 or 5.
    pub class: u8,
    /// Subject.
    pub subject: u16,
    /// Detail.
    pub detail: u16,
}

impl fmt::Display for EnhancedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// One SMTP reply: a three-digit code and one or more lines of text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The three-digit code.
    pub code: u16,
    /// The enhanced status code at the start of the first line's text, when present.
    pub enhanced: Option<EnhancedCode>,
    /// The text of each line after `NNN-` / `NNN `, without CRLF; non-UTF-8 bytes replaced.
    pub lines: Vec<String>,
}

impl Reply {
    /// The class: the code's first digit (2 positive, 3 intermediate, 4 transient failure,
    /// 5 permanent failure).
    pub fn class(&self) -> u8 {
        // Codes come from three digits, so this fits; saturate rather than wrap for odd
        // hand-built values.
        u8::try_from(self.code / 100).unwrap_or(u8::MAX)
    }

    /// A 2xx reply: the command was accepted.
    pub fn is_positive(&self) -> bool {
        self.class() == 2
    }

    /// A 3xx reply: the server waits for more (e.g. after DATA or during AUTH).
    pub fn is_intermediate(&self) -> bool {
        self.class() == 3
    }

    /// A 4xx reply: a failure worth retrying later.
    pub fn is_transient(&self) -> bool {
        self.class() == 4
    }

    /// A 5xx reply: a failure that will not go away by retrying.
    pub fn is_permanent(&self) -> bool {
        self.class() == 5
    }

    /// All text lines joined with a single space, for one-sentence messages. Multi-line
    /// error replies (`530-5.7.0 Must issue` / `530 5.7.0 a STARTTLS command`) are usually one
    /// sentence split over lines, so a space reads better than a newline. Use `lines` when the
    /// line structure matters.
    pub fn text(&self) -> String {
        self.lines.join(" ")
    }
}

impl fmt::Display for Reply {
    /// The reply as it looks on the wire, lines separated by `\n` without a trailing newline:
    /// `250-mail.test` / `250 SIZE`. A final line with empty text is the bare code.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some((last, first)) = self.lines.split_last() else {
            return write!(f, "{:03}", self.code);
        };
        for line in first {
            writeln!(f, "{:03}-{line}", self.code)?;
        }
        if last.is_empty() {
            write!(f, "{:03}", self.code)
        } else {
            write!(f, "{:03} {last}", self.code)
        }
    }
}

/// Bounds on what the reader accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyLimits {
    /// Longest accepted line in bytes, CRLF included.
    pub max_line: usize,
    /// Most lines in one reply.
    pub max_lines: usize,
}

impl Default for ReplyLimits {
    fn default() -> Self {
        ReplyLimits {
            max_line: 4096,
            max_lines: 200,
        }
    }
}

/// A reply with the lines exactly as received (for transcripts) and what was odd about them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedReply {
    /// The reply.
    pub reply: Reply,
    /// Each line as received, without its line ending; non-UTF-8 bytes replaced.
    pub raw_lines: Vec<String>,
    /// Some line ended in a bare LF instead of CRLF.
    pub bare_lf: bool,
}

/// Why bytes could not be read as a reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    /// A line longer than the limit (no line end within `limit` bytes).
    #[error("reply line longer than {limit} bytes")]
    LineTooLong {
        /// The limit.
        limit: usize,
    },
    /// More lines in one reply than the limit.
    #[error("reply of more than {limit} lines")]
    TooManyLines {
        /// The limit.
        limit: usize,
    },
    /// A line that does not start with a three-digit code.
    #[error("not an SMTP reply: {line:?}")]
    NotSmtp {
        /// The offending line (truncated, lossy UTF-8).
        line: String,
    },
    /// A continuation line with another code than the first line.
    #[error("reply lines disagree on the code ({first} then {line:?})")]
    CodeMismatch {
        /// The first line's code.
        first: u16,
        /// The offending line.
        line: String,
    },
}

/// Incremental reader: feed bytes, take complete replies.
///
/// Lenient where real servers are sloppy, strict where the bytes are not SMTP at all:
/// - CRLF and bare LF both end a line (bare LF is flagged in [`ParsedReply::bare_lf`]); a CR
///   not followed by LF stays in the text.
/// - A bare code line (`250`) is a final line with empty text.
/// - A code followed by neither space nor `-` (`250text`, a missing space) is read as a final
///   line with the rest as text (`text`), as most clients do.
/// - A line that does not start with three digits, the first one 2 to 5, is
///   [`ReplyError::NotSmtp`] (this catches HTTP, SSH and TLS on the wrong port).
///
/// Memory stays within the limits: at most `max_lines` parsed lines of at most `max_line`
/// bytes each, plus whatever the caller fed beyond the current reply. Errors are final: the
/// offending bytes are not consumed, so asking again returns the same error.
#[derive(Debug, Clone)]
pub struct ReplyParser {
    limits: ReplyLimits,
    /// Bytes not yet part of a returned reply.
    buf: Vec<u8>,
    /// How many bytes at the start of `buf` are already parsed into `partial`.
    scanned: usize,
    /// The lines of the reply being read, before its final line arrived.
    partial: Partial,
}

/// The lines of a reply read so far.
#[derive(Debug, Clone, Default)]
struct Partial {
    code: Option<u16>,
    lines: Vec<String>,
    raw_lines: Vec<String>,
    bare_lf: bool,
}

/// One line split into its parts.
struct Line {
    code: u16,
    /// `NNN-`: more lines follow.
    more: bool,
    text: String,
}

/// How much of an offending line goes into an error.
const ERROR_LINE_CHARS: usize = 100;

impl Default for ReplyParser {
    fn default() -> Self {
        ReplyParser::new(ReplyLimits::default())
    }
}

impl ReplyParser {
    /// A reader with these bounds.
    pub fn new(limits: ReplyLimits) -> ReplyParser {
        ReplyParser {
            limits,
            buf: Vec::new(),
            scanned: 0,
            partial: Partial::default(),
        }
    }

    /// The bounds this reader enforces.
    pub fn limits(&self) -> ReplyLimits {
        self.limits
    }

    /// Appends received bytes.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete reply, `Ok(None)` when more bytes are needed.
    ///
    /// Bytes after the returned reply stay buffered (see [`ReplyParser::buffered`]).
    ///
    /// # Errors
    ///
    /// [`ReplyError`] when the bytes break a limit or are not an SMTP reply. Errors are final:
    /// the same error comes back on every later call until [`ReplyParser::take_buffered`].
    pub fn next_reply(&mut self) -> Result<Option<ParsedReply>, ReplyError> {
        loop {
            let rest = self.buf.get(self.scanned..).unwrap_or_default();
            if rest.is_empty() {
                return Ok(None);
            }
            // Look for the line end only within the limit, so an endless line costs at most
            // `max_line` bytes of scanning and is refused as soon as that many arrived.
            let Some(lf) = rest
                .iter()
                .take(self.limits.max_line)
                .position(|&b| b == b'\n')
            else {
                if rest.len() >= self.limits.max_line {
                    return Err(ReplyError::LineTooLong {
                        limit: self.limits.max_line,
                    });
                }
                return Ok(None);
            };
            let raw = rest.get(..lf).unwrap_or_default();
            let (content, bare_lf) = match raw.strip_suffix(b"\r") {
                Some(content) => (content, false),
                None => (raw, true),
            };
            let line = parse_line(content)?;
            let raw_line = String::from_utf8_lossy(content).into_owned();
            self.accept(line.code, line.more, &raw_line)?;

            let partial = &mut self.partial;
            partial.code = Some(line.code);
            partial.lines.push(line.text);
            partial.raw_lines.push(raw_line);
            partial.bare_lf |= bare_lf;
            self.scanned += lf + 1;

            if !line.more {
                return Ok(Some(self.finish(line.code)));
            }
        }
    }

    /// Checks a parsed line against the reply read so far and the line limit.
    fn accept(&self, code: u16, more: bool, raw_line: &str) -> Result<(), ReplyError> {
        if let Some(first) = self.partial.code
            && first != code
        {
            return Err(ReplyError::CodeMismatch {
                first,
                line: truncate(raw_line),
            });
        }
        let count = self.partial.lines.len() + 1;
        // A continuation line as the last allowed line means the reply will exceed the limit:
        // say so now instead of waiting for (and buffering) the next line.
        if count > self.limits.max_lines || (more && count >= self.limits.max_lines) {
            return Err(ReplyError::TooManyLines {
                limit: self.limits.max_lines,
            });
        }
        Ok(())
    }

    /// Hands out the completed reply and drops its bytes from the buffer.
    fn finish(&mut self, code: u16) -> ParsedReply {
        let partial = std::mem::take(&mut self.partial);
        self.buf.drain(..self.scanned.min(self.buf.len()));
        self.scanned = 0;
        let enhanced = partial
            .lines
            .first()
            .and_then(|text| parse_enhanced(code, text));
        ParsedReply {
            reply: Reply {
                code,
                enhanced,
                lines: partial.lines,
            },
            raw_lines: partial.raw_lines,
            bare_lf: partial.bare_lf,
        }
    }

    /// Bytes received but not yet part of a returned reply.
    pub fn buffered(&self) -> &[u8] {
        &self.buf
    }

    /// Removes and returns the bytes not yet part of a returned reply; a reply that was half
    /// read is forgotten with them.
    pub fn take_buffered(&mut self) -> Vec<u8> {
        self.scanned = 0;
        self.partial = Partial::default();
        std::mem::take(&mut self.buf)
    }
}

/// Splits a line (without its line ending) into code, continuation mark and text.
fn parse_line(content: &[u8]) -> Result<Line, ReplyError> {
    let not_smtp = || ReplyError::NotSmtp {
        line: truncate(&String::from_utf8_lossy(content)),
    };
    let (digits, after) = content.split_first_chunk::<3>().ok_or_else(not_smtp)?;
    if !digits.iter().all(u8::is_ascii_digit) || !(b'2'..=b'5').contains(&digits[0]) {
        return Err(not_smtp());
    }
    let code = digits
        .iter()
        .fold(0u16, |code, digit| code * 10 + u16::from(digit - b'0'));
    let (more, text) = match after.split_first() {
        Some((b'-', text)) => (true, text),
        Some((b' ', text)) => (false, text),
        // A bare code (`250`) is a final line with empty text. A code glued to its text
        // (`250text`, a missing space) is read as a final line too, rather than refused.
        _ => (false, after),
    };
    Ok(Line {
        code,
        more,
        text: String::from_utf8_lossy(text).into_owned(),
    })
}

/// An RFC 3463 enhanced status code at the start of `text`: `class.subject.detail` followed
/// by whitespace or the end, its class equal to the reply code's first digit.
fn parse_enhanced(code: u16, text: &str) -> Option<EnhancedCode> {
    let token = text
        .split(|c: char| c.is_ascii_whitespace())
        .next()
        .unwrap_or_default();
    let mut parts = token.split('.');
    let (class, subject, detail) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let class = number(class, 1)?;
    if !matches!(class, 2 | 4 | 5) || class != code / 100 {
        return None;
    }
    Some(EnhancedCode {
        class: u8::try_from(class).ok()?,
        subject: number(subject, 3)?,
        detail: number(detail, 3)?,
    })
}

/// A decimal of 1 to `max_digits` ASCII digits (at most 3, so it fits in a `u16`).
fn number(text: &str, max_digits: usize) -> Option<u16> {
    if text.is_empty() || text.len() > max_digits || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// An offending line shortened for an error message.
fn truncate(line: &str) -> String {
    let mut chars = line.chars();
    let mut short: String = chars.by_ref().take(ERROR_LINE_CHARS).collect();
    if chars.next().is_some() {
        short.push_str("...");
    }
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parser() -> ReplyParser {
        ReplyParser::new(ReplyLimits::default())
    }

    /// Feeds everything at once and expects exactly one complete reply, nothing left over.
    fn one(bytes: &[u8]) -> ParsedReply {
        let mut p = parser();
        p.feed(bytes);
        let parsed = p.next_reply().unwrap().expect("a complete reply");
        assert!(p.buffered().is_empty(), "left over: {:?}", p.buffered());
        parsed
    }

    fn error(bytes: &[u8]) -> ReplyError {
        let mut p = parser();
        p.feed(bytes);
        p.next_reply().unwrap_err()
    }

    fn lines(reply: &Reply) -> Vec<&str> {
        reply.lines.iter().map(String::as_str).collect()
    }

    #[test]
    fn single_line() {
        let parsed = one(b"220 mail.test ESMTP ready\r\n");
        assert_eq!(parsed.reply.code, 220);
        assert_eq!(lines(&parsed.reply), ["mail.test ESMTP ready"]);
        assert_eq!(parsed.raw_lines, ["220 mail.test ESMTP ready"]);
        assert!(!parsed.bare_lf);
        assert_eq!(parsed.reply.enhanced, None);
    }

    #[test]
    fn multi_line() {
        let parsed = one(b"250-mail.test\r\n250-SIZE 1000\r\n250 HELP\r\n");
        assert_eq!(parsed.reply.code, 250);
        assert_eq!(lines(&parsed.reply), ["mail.test", "SIZE 1000", "HELP"]);
        assert_eq!(
            parsed.raw_lines,
            ["250-mail.test", "250-SIZE 1000", "250 HELP"]
        );
    }

    #[test]
    fn rfc5321_ehlo_example() {
        // RFC 5321 section 4.1.1.1 / appendix D style EHLO reply.
        let parsed = one(b"250-foo.com greets bar.com\r\n\
              250-8BITMIME\r\n\
              250-SIZE\r\n\
              250-DSN\r\n\
              250 HELP\r\n");
        assert_eq!(parsed.reply.code, 250);
        assert_eq!(
            lines(&parsed.reply),
            ["foo.com greets bar.com", "8BITMIME", "SIZE", "DSN", "HELP"]
        );
        assert!(parsed.reply.is_positive());
    }

    #[test]
    fn rfc5321_appendix_d_replies() {
        // A scenario's server side (RFC 5321 appendix D.1), pipelined into one buffer.
        let mut p = parser();
        p.feed(
            b"220 foo.com Simple Mail Transfer Service Ready\r\n\
              250 OK\r\n\
              550 No such user here\r\n\
              354 Start mail input; end with <CRLF>.<CRLF>\r\n\
              221 foo.com Service closing transmission channel\r\n",
        );
        let codes: Vec<u16> = std::iter::from_fn(|| p.next_reply().unwrap())
            .map(|parsed| parsed.reply.code)
            .collect();
        assert_eq!(codes, [220, 250, 550, 354, 221]);
        assert!(p.buffered().is_empty());
    }

    #[test]
    fn bare_code_is_final_line_with_empty_text() {
        let parsed = one(b"250\r\n");
        assert_eq!(parsed.reply.code, 250);
        assert_eq!(lines(&parsed.reply), [""]);
        let parsed = one(b"250-first\r\n250\r\n");
        assert_eq!(lines(&parsed.reply), ["first", ""]);
    }

    #[test]
    fn empty_continuation_text() {
        let parsed = one(b"250-\r\n250 last\r\n");
        assert_eq!(lines(&parsed.reply), ["", "last"]);
    }

    #[test]
    fn bare_lf() {
        let parsed = one(b"250-mail.test\n250 HELP\n");
        assert!(parsed.bare_lf);
        assert_eq!(lines(&parsed.reply), ["mail.test", "HELP"]);
        // One bare LF among CRLF lines is enough to flag it.
        let parsed = one(b"250-mail.test\r\n250 HELP\n");
        assert!(parsed.bare_lf);
    }

    #[test]
    fn lone_cr_stays_in_text() {
        let parsed = one(b"250 a\rb\r\n");
        assert_eq!(lines(&parsed.reply), ["a\rb"]);
        assert!(!parsed.bare_lf);
        // Only one CR belongs to the line end.
        let parsed = one(b"250 a\r\r\n");
        assert_eq!(lines(&parsed.reply), ["a\r"]);
        // A CR at the end of a bare-LF line would look like CRLF; a CR alone never ends a line.
        let mut p = parser();
        p.feed(b"250 a\r");
        assert_eq!(p.next_reply().unwrap(), None);
    }

    #[test]
    fn split_at_every_byte_position() {
        let wire: &[u8] = b"250-mail.test greets you\r\n250-SIZE 1000\r\n250 HELP\r\n";
        let whole = one(wire);
        for split in 0..=wire.len() {
            let (a, b) = wire.split_at(split);
            let mut p = parser();
            p.feed(a);
            let early = p.next_reply().unwrap();
            if split < wire.len() {
                assert_eq!(early, None, "complete too early at {split}");
            }
            p.feed(b);
            let parsed = early.or_else(|| p.next_reply().unwrap());
            assert_eq!(parsed.as_ref(), Some(&whole), "split at {split}");
            assert!(p.buffered().is_empty(), "split at {split}");
        }
    }

    #[test]
    fn one_byte_at_a_time() {
        let wire: &[u8] = b"220-one\r\n220-two\r\n220 three\r\n250 next\r\n";
        let mut p = parser();
        let mut replies = Vec::new();
        for byte in wire {
            p.feed(std::slice::from_ref(byte));
            while let Some(parsed) = p.next_reply().unwrap() {
                replies.push(parsed.reply);
            }
        }
        assert_eq!(replies.len(), 2);
        assert_eq!(lines(&replies[0]), ["one", "two", "three"]);
        assert_eq!(replies[1].code, 250);
    }

    #[test]
    fn crlf_split_between_cr_and_lf() {
        let mut p = parser();
        p.feed(b"250 ok\r");
        assert_eq!(p.next_reply().unwrap(), None);
        p.feed(b"\n");
        let parsed = p.next_reply().unwrap().unwrap();
        assert_eq!(lines(&parsed.reply), ["ok"]);
        assert!(!parsed.bare_lf);
    }

    #[test]
    fn overlong_line_without_line_end_fails_at_the_limit() {
        let limits = ReplyLimits {
            max_line: 16,
            max_lines: 10,
        };
        let mut p = ReplyParser::new(limits);
        p.feed(b"250 0123456789a");
        // 15 bytes: a 16-byte line with its LF could still come.
        assert_eq!(p.next_reply().unwrap(), None);
        p.feed(b"b");
        // 16 bytes and no line end: the line is longer than 16 bytes whatever follows.
        assert_eq!(p.next_reply(), Err(ReplyError::LineTooLong { limit: 16 }));
        // Errors are final.
        assert_eq!(p.next_reply(), Err(ReplyError::LineTooLong { limit: 16 }));
    }

    #[test]
    fn line_limit_counts_the_line_ending() {
        let limits = ReplyLimits {
            max_line: 16,
            max_lines: 10,
        };
        // 14 bytes of text + CRLF = 16: fits exactly.
        let mut p = ReplyParser::new(limits);
        p.feed(b"250 0123456789\r\n");
        assert!(p.next_reply().unwrap().is_some());
        // 15 + CRLF = 17: too long, even though the line end arrived in the same feed.
        let mut p = ReplyParser::new(limits);
        p.feed(b"250 0123456789a\r\n");
        assert_eq!(p.next_reply(), Err(ReplyError::LineTooLong { limit: 16 }));
        // 15 + LF = 16: fits.
        let mut p = ReplyParser::new(limits);
        p.feed(b"250 0123456789a\n");
        assert!(p.next_reply().unwrap().is_some());
    }

    #[test]
    fn overlong_continuation_line() {
        let limits = ReplyLimits {
            max_line: 32,
            max_lines: 10,
        };
        let mut p = ReplyParser::new(limits);
        p.feed(b"250-short\r\n250-");
        p.feed(&[b'x'; 100]);
        assert_eq!(p.next_reply(), Err(ReplyError::LineTooLong { limit: 32 }));
    }

    #[test]
    fn endless_line_in_one_big_feed() {
        let mut p = parser();
        p.feed(&vec![b'2'; 1_000_000]);
        assert_eq!(p.next_reply(), Err(ReplyError::LineTooLong { limit: 4096 }));
    }

    #[test]
    fn too_many_lines() {
        let limits = ReplyLimits {
            max_line: 100,
            max_lines: 3,
        };
        // Three lines is the limit and fine.
        let mut p = ReplyParser::new(limits);
        p.feed(b"250-a\r\n250-b\r\n250 c\r\n");
        assert_eq!(p.next_reply().unwrap().unwrap().reply.lines.len(), 3);
        // A third line that announces a fourth fails without waiting for it.
        let mut p = ReplyParser::new(limits);
        p.feed(b"250-a\r\n250-b\r\n250-c\r\n");
        assert_eq!(p.next_reply(), Err(ReplyError::TooManyLines { limit: 3 }));
    }

    #[test]
    fn endless_continuation_stays_bounded() {
        let mut p = parser();
        let mut result = Ok(None);
        for _ in 0..10_000 {
            p.feed(b"250-again\r\n");
            result = p.next_reply();
            if result.is_err() {
                break;
            }
        }
        assert_eq!(result, Err(ReplyError::TooManyLines { limit: 200 }));
        assert!(p.partial.lines.len() < 200);
    }

    #[test]
    fn zero_limits_never_panic() {
        let mut p = ReplyParser::new(ReplyLimits {
            max_line: 0,
            max_lines: 0,
        });
        assert_eq!(p.next_reply(), Ok(None));
        p.feed(b"250 ok\r\n");
        assert_eq!(p.next_reply(), Err(ReplyError::LineTooLong { limit: 0 }));
        let mut p = ReplyParser::new(ReplyLimits {
            max_line: 100,
            max_lines: 0,
        });
        p.feed(b"250 ok\r\n");
        assert_eq!(p.next_reply(), Err(ReplyError::TooManyLines { limit: 0 }));
    }

    #[test]
    fn missing_space_is_a_final_line() {
        let parsed = one(b"250text\r\n");
        assert_eq!(parsed.reply.code, 250);
        assert_eq!(lines(&parsed.reply), ["text"]);
        // It ends a multi-line reply, too.
        let parsed = one(b"250-mail.test\r\n250HELP\r\n");
        assert_eq!(lines(&parsed.reply), ["mail.test", "HELP"]);
    }

    #[test]
    fn non_utf8_is_replaced() {
        let parsed = one(b"220 caf\xe9 \xff\xfe ready\r\n");
        assert_eq!(lines(&parsed.reply), ["caf\u{fffd} \u{fffd}\u{fffd} ready"]);
        assert_eq!(parsed.raw_lines, ["220 caf\u{fffd} \u{fffd}\u{fffd} ready"]);
        // Valid UTF-8 passes through.
        let parsed = one("220 grüße\r\n".as_bytes());
        assert_eq!(lines(&parsed.reply), ["grüße"]);
    }

    #[test]
    fn http_is_not_smtp() {
        let err = error(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(
            err,
            ReplyError::NotSmtp {
                line: "HTTP/1.1 400 Bad Request".into()
            }
        );
    }

    #[test]
    fn ssh_is_not_smtp() {
        let err = error(b"SSH-2.0-OpenSSH_9.6p1 Debian-4\r\n");
        assert_eq!(
            err,
            ReplyError::NotSmtp {
                line: "SSH-2.0-OpenSSH_9.6p1 Debian-4".into()
            }
        );
    }

    #[test]
    fn first_digit_outside_2_to_5_is_not_smtp() {
        for wire in [
            &b"100 x\r\n"[..],
            b"199 x\r\n",
            b"600 x\r\n",
            b"999 x\r\n",
            b"000\r\n",
        ] {
            assert!(
                matches!(error(wire), ReplyError::NotSmtp { .. }),
                "{wire:?}"
            );
        }
        for wire in [&b"200 x\r\n"[..], b"599 x\r\n"] {
            assert!(one(wire).reply.code >= 200);
        }
    }

    #[test]
    fn short_and_odd_lines_are_not_smtp() {
        for wire in [
            &b"\r\n"[..],
            b"\n",
            b"25\r\n",
            b"2x0 ok\r\n",
            b" 250 ok\r\n",
            b"\x16\x03\x01\x00\xa5\n",
        ] {
            assert!(
                matches!(error(wire), ReplyError::NotSmtp { .. }),
                "{wire:?}"
            );
        }
    }

    #[test]
    fn not_smtp_line_is_truncated() {
        let mut wire = b"GET /".to_vec();
        wire.extend_from_slice(&[b'a'; 500]);
        wire.extend_from_slice(b"\xff\r\n");
        let ReplyError::NotSmtp { line } = error(&wire) else {
            panic!("expected NotSmtp");
        };
        assert_eq!(line.chars().count(), 103);
        assert!(line.starts_with("GET /aaa"));
        assert!(line.ends_with("a..."));
    }

    #[test]
    fn code_mismatch() {
        let err = error(b"250-mail.test\r\n251 HELP\r\n");
        assert_eq!(
            err,
            ReplyError::CodeMismatch {
                first: 250,
                line: "251 HELP".into()
            }
        );
    }

    #[test]
    fn not_smtp_continuation_line() {
        let err = error(b"250-mail.test\r\nHELP\r\n");
        assert_eq!(
            err,
            ReplyError::NotSmtp {
                line: "HELP".into()
            }
        );
    }

    #[test]
    fn two_replies_in_one_feed() {
        let mut p = parser();
        p.feed(b"250 OK\r\n250-mail.test\r\n250 HELP\r\n");
        let first = p.next_reply().unwrap().unwrap();
        assert_eq!(lines(&first.reply), ["OK"]);
        assert_eq!(p.buffered(), b"250-mail.test\r\n250 HELP\r\n");
        let second = p.next_reply().unwrap().unwrap();
        assert_eq!(lines(&second.reply), ["mail.test", "HELP"]);
        assert_eq!(p.next_reply().unwrap(), None);
        assert!(p.buffered().is_empty());
    }

    #[test]
    fn injected_bytes_after_starttls_stay_buffered() {
        // A 220 to STARTTLS followed by bytes a man in the middle injected (CVE-2011-0411
        // style): they must not be parsed away.
        let mut p = parser();
        p.feed(b"220 2.0.0 Ready to start TLS\r\n250-evil\r\n250 AUTH PLAIN\r\n");
        let parsed = p.next_reply().unwrap().unwrap();
        assert_eq!(parsed.reply.code, 220);
        assert_eq!(p.buffered(), b"250-evil\r\n250 AUTH PLAIN\r\n");
        assert_eq!(p.take_buffered(), b"250-evil\r\n250 AUTH PLAIN\r\n");
        assert!(p.buffered().is_empty());
        assert_eq!(p.next_reply().unwrap(), None);
    }

    #[test]
    fn half_read_reply_stays_in_buffered() {
        let mut p = parser();
        p.feed(b"220 ready\r\n250-part\r\n250-ial");
        assert_eq!(p.next_reply().unwrap().unwrap().reply.code, 220);
        // Reading on parses a line of the next reply, yet the bytes still count as buffered.
        assert_eq!(p.next_reply().unwrap(), None);
        assert_eq!(p.buffered(), b"250-part\r\n250-ial");
        // Taking them forgets the half reply too.
        assert_eq!(p.take_buffered(), b"250-part\r\n250-ial");
        p.feed(b"221 bye\r\n");
        let parsed = p.next_reply().unwrap().unwrap();
        assert_eq!(parsed.reply.code, 221);
        assert_eq!(lines(&parsed.reply), ["bye"]);
    }

    #[test]
    fn enhanced_code() {
        let reply = one(b"535 5.7.8 Authentication credentials invalid\r\n").reply;
        assert_eq!(
            reply.enhanced,
            Some(EnhancedCode {
                class: 5,
                subject: 7,
                detail: 8
            })
        );
        assert_eq!(reply.enhanced.unwrap().to_string(), "5.7.8");
        // The text keeps the enhanced code.
        assert_eq!(reply.text(), "5.7.8 Authentication credentials invalid");

        let reply = one(b"250 2.0.0\r\n").reply;
        assert_eq!(
            reply.enhanced.map(|e| e.to_string()).as_deref(),
            Some("2.0.0")
        );
        let reply = one(b"452 4.123.999 full\r\n").reply;
        assert_eq!(
            reply.enhanced.map(|e| e.to_string()).as_deref(),
            Some("4.123.999")
        );
        // Only the first line counts.
        let reply = one(b"530-5.7.0 Must issue a STARTTLS\r\n530 5.7.0 command first\r\n").reply;
        assert_eq!(
            reply.enhanced.map(|e| e.to_string()).as_deref(),
            Some("5.7.0")
        );
    }

    #[test]
    fn not_enhanced_codes() {
        for wire in [
            &b"550 4.7.1 class differs from the code\r\n"[..],
            b"354 3.0.0 no class 3\r\n",
            b"250 mail.test\r\n",
            b"250 2.0 too short\r\n",
            b"250 2.0.0.0 too long\r\n",
            b"250 2.1000.0 subject too long\r\n",
            b"250 2.0.1000 detail too long\r\n",
            b"250 2..0 empty subject\r\n",
            b"250 2.0. empty detail\r\n",
            b"250 2.0.0x glued\r\n",
            b"250 2.0.0, comma\r\n",
            b"250 +2.0.0 sign\r\n",
            b"250 2.+0.0 sign\r\n",
            b"250 22.0.0 two digit class\r\n",
            b"250  2.0.0 leading space\r\n",
            b"250 \xff.0.0 junk\r\n",
            b"250\r\n",
        ] {
            assert_eq!(one(wire).reply.enhanced, None, "{wire:?}");
        }
    }

    #[test]
    fn reply_helpers() {
        let reply = one(b"250-mail.test\r\n250-SIZE 1000\r\n250 HELP\r\n").reply;
        assert_eq!(reply.class(), 2);
        assert!(reply.is_positive());
        assert!(!reply.is_transient() && !reply.is_permanent() && !reply.is_intermediate());
        assert_eq!(reply.text(), "mail.test SIZE 1000 HELP");
        assert_eq!(reply.to_string(), "250-mail.test\n250-SIZE 1000\n250 HELP");

        let reply = one(b"421 closing\r\n").reply;
        assert!(reply.is_transient() && !reply.is_positive());
        assert_eq!(reply.to_string(), "421 closing");
        let reply = one(b"354 go ahead\r\n").reply;
        assert!(reply.is_intermediate());
        let reply = one(b"554 no\r\n").reply;
        assert!(reply.is_permanent());
        assert_eq!(reply.class(), 5);
    }

    #[test]
    fn display_edge_cases() {
        assert_eq!(one(b"250\r\n").reply.to_string(), "250");
        assert_eq!(one(b"250-\r\n250 x\r\n").reply.to_string(), "250-\n250 x");
        let empty = Reply {
            code: 250,
            enhanced: None,
            lines: Vec::new(),
        };
        assert_eq!(empty.to_string(), "250");
        assert_eq!(empty.text(), "");
    }

    #[test]
    fn hostile_bytes_never_panic() {
        // A cheap deterministic fuzz: pseudo-random bytes biased toward SMTP-ish ones,
        // fed in pseudo-random chunks.
        let alphabet = b"0123456789 -\r\n\xff\x00A.25";
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..2_000 {
            let mut p = ReplyParser::new(ReplyLimits {
                max_line: 40,
                max_lines: 5,
            });
            for _ in 0..20 {
                let len = (next() % 16) as usize;
                let chunk: Vec<u8> = (0..len)
                    .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                    .collect();
                p.feed(&chunk);
                match p.next_reply() {
                    Ok(Some(parsed)) => {
                        assert!(!parsed.reply.lines.is_empty());
                        assert!(parsed.reply.lines.len() <= 5);
                        assert_eq!(parsed.reply.lines.len(), parsed.raw_lines.len());
                    }
                    Ok(None) => {}
                    Err(_) => break,
                }
            }
        }
    }
}
