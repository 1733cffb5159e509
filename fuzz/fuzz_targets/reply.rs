//! The sans-IO reply reader (`smtp::ReplyParser`) on arbitrary bytes.
//!
//! Input: `[limits, lines, chunking, wire bytes...]`. The first byte picks the limits (the
//! defaults when its top bit is set, else small ones so the limits are reached), the third one
//! how the wire bytes are cut into chunks.
//!
//! Properties:
//! - never panics;
//! - fed as one piece, fed in chunks (cut at positions derived from the input) and fed one
//!   byte at a time (inputs up to 256 bytes), the reader returns the same replies, ends in
//!   the same state (the same error, or waiting) and keeps the same bytes buffered;
//! - errors are final (asking again, or feeding more, returns the same error) and carry the
//!   reader's limits; offending lines in errors are truncated;
//! - every reply is within the limits: at most `max_lines` lines, each at most `max_line`
//!   bytes with its line ending (checked against the bytes the reply consumed);
//! - a reply is what its bytes say: code, continuation marks, text, raw lines, bare LF flag,
//!   enhanced code; and it survives a round trip through its `Display` form.

#![no_main]

use libfuzzer_sys::fuzz_target;
use smtp_doctor::smtp::{ParsedReply, ReplyError, ReplyLimits, ReplyParser};

/// What a reader did with all the bytes.
#[derive(Debug)]
struct Trace {
    replies: Vec<ParsedReply>,
    /// The reader's error, when it ended in one.
    error: Option<ReplyError>,
    buffered: Vec<u8>,
    /// The length of `buffered` right after each reply (depends on how the bytes were fed).
    buffered_after: Vec<usize>,
}

impl Trace {
    /// What must not depend on how the bytes were fed.
    fn outcome(&self) -> (&[ParsedReply], Option<&ReplyError>, &[u8]) {
        (&self.replies, self.error.as_ref(), &self.buffered)
    }
}

/// Feeds `chunks` in order, taking every complete reply after each feed.
fn run<'a>(limits: ReplyLimits, chunks: impl IntoIterator<Item = &'a [u8]>) -> Trace {
    let mut parser = ReplyParser::new(limits);
    assert_eq!(parser.limits(), limits);
    let mut trace = Trace {
        replies: Vec::new(),
        error: None,
        buffered: Vec::new(),
        buffered_after: Vec::new(),
    };
    // How often to ask again after an error: each answer rebuilds the error (a copy of the
    // offending line), so asking after every one of hundreds of chunks only costs time.
    let mut recheck = 2;
    for chunk in chunks {
        parser.feed(chunk);
        if let Some(error) = &trace.error {
            // Errors are final, whatever arrives after them.
            if recheck > 0 {
                recheck -= 1;
                assert_eq!(parser.next_reply().as_ref(), Err(error));
            }
            continue;
        }
        loop {
            match parser.next_reply() {
                Ok(Some(parsed)) => {
                    trace.buffered_after.push(parser.buffered().len());
                    trace.replies.push(parsed);
                }
                Ok(None) => break,
                Err(error) => {
                    assert_eq!(parser.next_reply().as_ref(), Err(&error), "error not final");
                    trace.error = Some(error);
                    break;
                }
            }
        }
    }
    match &trace.error {
        Some(error) => assert_eq!(parser.next_reply().as_ref(), Err(error)),
        None => assert_eq!(parser.next_reply(), Ok(None)),
    }
    trace.buffered = parser.buffered().to_vec();
    // Taking the buffered bytes resets the reader.
    assert_eq!(parser.take_buffered(), trace.buffered);
    assert!(parser.buffered().is_empty());
    assert_eq!(parser.next_reply(), Ok(None));
    trace
}

/// Cuts `data` into chunks of 1 to 24 bytes (up to a sixteenth of the input for long ones),
/// the sizes drawn from a generator seeded by the input (a xorshift, so the cuts are
/// reproducible from the input alone). Long inputs get longer chunks because the reader scans
/// an incomplete line again on each call: hundreds of tiny chunks of a 4 KiB line only cost
/// time.
fn chunks(data: &[u8], seed: u8) -> Vec<&[u8]> {
    let max_chunk = (data.len() / 16).max(24);
    let mut state = 0x9e37_79b9_7f4a_7c15_u64 ^ u64::from(seed) ^ ((data.len() as u64) << 8);
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let size = match state % 8 {
            // Now and then a large chunk, so several lines arrive together.
            0 => 64.max(max_chunk),
            _ => 1 + (state >> 8) as usize % max_chunk,
        };
        let (chunk, tail) = rest.split_at(size.min(rest.len()));
        out.push(chunk);
        rest = tail;
    }
    out
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Checks one reply against the bytes it consumed from the wire.
fn check_reply(parsed: &ParsedReply, consumed: &[u8], limits: ReplyLimits) {
    let reply = &parsed.reply;
    let segments: Vec<&[u8]> = consumed.split_inclusive(|&b| b == b'\n').collect();
    assert!(consumed.ends_with(b"\n"), "a reply ends at a line end");
    assert!(!reply.lines.is_empty());
    assert_eq!(reply.lines.len(), segments.len());
    assert_eq!(parsed.raw_lines.len(), segments.len());
    // The bounds.
    assert!(
        reply.lines.len() <= limits.max_lines,
        "more lines than the limit"
    );
    for segment in &segments {
        assert!(
            segment.len() <= limits.max_line,
            "line longer than the limit"
        );
    }
    assert!((200..=599).contains(&reply.code));
    let mut bare_lf = false;
    for (i, segment) in segments.iter().enumerate() {
        let without_lf = &segment[..segment.len() - 1];
        let content = match without_lf.strip_suffix(b"\r") {
            Some(content) => content,
            None => {
                bare_lf = true;
                without_lf
            }
        };
        assert_eq!(parsed.raw_lines[i], lossy(content));
        let code = std::str::from_utf8(&content[..3]).unwrap();
        assert_eq!(code.parse::<u16>().unwrap(), reply.code);
        let last = i + 1 == segments.len();
        let after = &content[3..];
        let text = match after.first() {
            Some(b'-') => {
                assert!(!last, "a continuation line ended the reply");
                &after[1..]
            }
            Some(b' ') => {
                assert!(last, "a final line did not end the reply");
                &after[1..]
            }
            _ => {
                assert!(last, "a final line did not end the reply");
                after
            }
        };
        assert_eq!(reply.lines[i], lossy(text));
        assert!(!reply.lines[i].contains('\n'));
    }
    assert_eq!(parsed.bare_lf, bare_lf);
    if let Some(enhanced) = reply.enhanced {
        assert_eq!(u16::from(enhanced.class), reply.code / 100);
        assert!(matches!(enhanced.class, 2 | 4 | 5));
        assert!(enhanced.subject <= 999 && enhanced.detail <= 999);
        // The code is the first word of the first line.
        let first_word = reply.lines[0]
            .split(|c: char| c.is_ascii_whitespace())
            .next()
            .unwrap_or_default();
        let numbers: Vec<u16> = first_word.split('.').map(|n| n.parse().unwrap()).collect();
        assert_eq!(
            numbers,
            [u16::from(enhanced.class), enhanced.subject, enhanced.detail]
        );
    }
    assert_eq!(reply.class(), (reply.code / 100) as u8);
    assert_eq!(reply.text(), reply.lines.join(" "));
    check_display_round_trip(parsed);
}

/// The `Display` form, sent again with CRLF line ends, reads back as the same reply.
fn check_display_round_trip(parsed: &ParsedReply) {
    let mut wire = parsed.reply.to_string().replace('\n', "\r\n").into_bytes();
    wire.extend_from_slice(b"\r\n");
    // The text may have grown (replacement characters, an added space): no limits here.
    let mut parser = ReplyParser::new(ReplyLimits {
        max_line: usize::MAX,
        max_lines: usize::MAX,
    });
    parser.feed(&wire);
    let again = parser
        .next_reply()
        .expect("the display form is a reply")
        .expect("the display form is complete");
    assert_eq!(again.reply, parsed.reply);
    assert!(parser.buffered().is_empty());
}

fn check_error(error: &ReplyError, limits: ReplyLimits) {
    match error {
        ReplyError::LineTooLong { limit } => assert_eq!(*limit, limits.max_line),
        ReplyError::TooManyLines { limit } => assert_eq!(*limit, limits.max_lines),
        ReplyError::NotSmtp { line } | ReplyError::CodeMismatch { line, .. } => {
            assert!(line.chars().count() <= 103, "error line not truncated");
        }
    }
    let _ = error.to_string();
}

fuzz_target!(|input: &[u8]| {
    let [limit_byte, lines_byte, seed, data @ ..] = input else {
        return;
    };
    let limits = if limit_byte & 0x80 != 0 {
        ReplyLimits::default()
    } else {
        ReplyLimits {
            max_line: usize::from(*limit_byte),
            max_lines: usize::from(lines_byte % 16),
        }
    };

    let whole = run(limits, [data]);
    let chunked = run(limits, chunks(data, *seed));
    assert_eq!(
        whole.outcome(),
        chunked.outcome(),
        "chunked reading differs from reading at once"
    );
    if data.len() <= 256 {
        let bytewise = run(limits, data.chunks(1));
        assert_eq!(
            whole.outcome(),
            bytewise.outcome(),
            "byte-at-a-time reading differs"
        );
    }

    // Each reply against the bytes it took from the wire.
    let mut start = 0;
    for (parsed, &left) in whole.replies.iter().zip(&whole.buffered_after) {
        let end = data.len() - left;
        assert!(start < end);
        check_reply(parsed, &data[start..end], limits);
        start = end;
    }
    // What is left is exactly the unread tail.
    assert_eq!(whole.buffered, &data[start..]);
    if let Some(error) = &whole.error {
        check_error(error, limits);
    } else {
        // Waiting for more: the tail holds no complete line within the limit, or the
        // incomplete reply's lines so far.
        let tail = &data[start..];
        let last_lf = tail.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        assert!(tail.len() - last_lf < limits.max_line.max(1));
    }
});
