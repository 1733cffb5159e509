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
#[derive(Debug, Clone)]
pub struct ReplyParser {
    limits: ReplyLimits,
    buf: Vec<u8>,
}

impl ReplyParser {
    /// A reader with these bounds.
    pub fn new(limits: ReplyLimits) -> ReplyParser {
        ReplyParser {
            limits,
            buf: Vec::new(),
        }
    }

    /// Appends received bytes.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete reply, `Ok(None)` when more bytes are needed.
    pub fn next_reply(&mut self) -> Result<Option<ParsedReply>, ReplyError> {
        todo!()
    }

    /// Bytes received but not yet part of a returned reply.
    pub fn buffered(&self) -> &[u8] {
        &self.buf
    }

    /// Removes and returns the bytes not yet part of a returned reply.
    pub fn take_buffered(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }
}
