//! Finding SMTP replies inside a longer text: the three-digit reply code (RFC 5321 section 4.2)
//! and the enhanced status code (RFC 3463 section 2, `class.subject.detail`) wherever a log line
//! put them: `535 5.7.8 ...` at the start of a line, `Invalid login: 535-5.7.8 ...` after a
//! library's words, `(535, b'5.7.8 ...')` in a Python repr with `\n` escapes, `535: 5.7.3 ...`
//! from MailKit, or an enhanced code alone (`The server response was: 5.7.60 ...`). The lines of
//! a multi-line reply (`534-5.7.9 ...` then `534 5.7.9 ...`) make one reply.
//!
//! Numbers that are no reply stay out: a year (`2024`), a port (`587`, `host:25`), an errno
//! (`[Errno 110]`), a line number (`line 421`, `ssl.c:535`), a version (`PHP 5.6.40`).

use crate::smtp::{EnhancedCode, Reply};

use super::codes;

/// Most replies kept from one text.
const MAX_REPLIES: usize = 10;

/// Most lines kept per reply.
const MAX_LINES: usize = 20;

/// Longest text kept per line, in characters.
const MAX_LINE_CHARS: usize = 300;

/// Longest quote of a whole reply, in characters.
const MAX_QUOTE_CHARS: usize = 400;

/// Words after which a bare code (without an enhanced code) is a reply: `error 550 ...`.
const REPLY_WORDS: &[&str] = &[
    "code",
    "reply",
    "response",
    "status",
    "error",
    "said",
    "replied",
    "responded",
    "answered",
    "returned",
    "server",
    "smtp",
    "failed",
];

/// Words after which an enhanced code is a version number, not a status: `PHP 5.6.40`.
const VERSION_WORDS: &[&str] = &["version", "ver", "v", "php", "python", "openssl", "release"];

/// A reply found in the text. The code is missing when only an enhanced code was there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FoundReply {
    /// The three-digit code.
    pub code: Option<u16>,
    /// The enhanced status code.
    pub enhanced: Option<EnhancedCode>,
    /// The text after the codes, one entry per line of the reply.
    pub lines: Vec<String>,
}

impl FoundReply {
    /// The reply as [`Reply`], with `code` standing in when none was found.
    pub fn reply_as(&self, code: u16) -> Reply {
        Reply {
            code,
            enhanced: self.enhanced,
            lines: self.lines.clone(),
        }
    }

    /// `535 5.7.8 Username and Password not accepted. ...` on one line, bounded.
    pub fn quote(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(code) = self.code {
            parts.push(code.to_string());
        }
        if let Some(enhanced) = self.enhanced {
            parts.push(enhanced.to_string());
        }
        parts.extend(self.lines.iter().filter(|l| !l.is_empty()).cloned());
        bounded(&parts.join(" "), MAX_QUOTE_CHARS)
    }
}

/// A code or enhanced code at a place in a line.
struct Hit {
    start: usize,
    /// Where the codes end and the text begins.
    end: usize,
    code: Option<u16>,
    enhanced: Option<EnhancedCode>,
}

/// Every reply in `text`, in order of first appearance.
pub(super) fn find(text: &str) -> Vec<FoundReply> {
    let text = unescape_line_breaks(text);
    let mut replies: Vec<FoundReply> = Vec::new();
    for line in text.lines() {
        let hits = hits(line);
        for (n, hit) in hits.iter().enumerate() {
            let end = hits.get(n + 1).map_or(line.len(), |next| next.start);
            add(&mut replies, hit, reply_text(&line[hit.end..end]));
        }
    }
    replies
}

/// `\n`, `\r\n` and `\r` written out as escapes (Python reprs, JSON logs) as real line breaks.
fn unescape_line_breaks(text: &str) -> String {
    text.replace("\\r\\n", "\n")
        .replace("\\n", "\n")
        .replace("\\r", "\n")
}

/// Adds a hit to the reply it continues (same codes), or as a new reply.
fn add(replies: &mut Vec<FoundReply>, hit: &Hit, text: String) {
    let continues = replies.iter_mut().rev().find(|r| {
        r.enhanced == hit.enhanced
            && (r.code == hit.code || r.code.is_none() || hit.code.is_none())
            && (r.enhanced.is_some() || r.code == hit.code)
    });
    if let Some(reply) = continues {
        reply.code = reply.code.or(hit.code);
        if reply.lines.len() < MAX_LINES && !text.is_empty() {
            reply.lines.push(text);
        }
        return;
    }
    if replies.len() < MAX_REPLIES {
        replies.push(FoundReply {
            code: hit.code,
            enhanced: hit.enhanced,
            lines: if text.is_empty() { vec![] } else { vec![text] },
        });
    }
}

/// Every code in one line, left to right.
fn hits(line: &str) -> Vec<Hit> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < line.len() {
        match code_hit(line, i).or_else(|| enhanced_hit(line, i)) {
            Some(hit) => {
                i = hit.end;
                out.push(hit);
            }
            None => i += 1,
        }
    }
    out
}

/// A byte that belongs to a word, a number or a path: no code starts right after one.
fn joins(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'.' | b'_' | b'-' | b'/' | b'\\' | b'+' | b'#' | b'$' | b'%' | b'@'
        )
}

/// A three-digit reply code at `i`: 2xx, 4xx or 5xx with a second digit of 0 to 5 (RFC 5321
/// section 4.2.1), standing alone; with an enhanced code of the same class right after it, or
/// (a bare code) one the RFCs define, where a reply may begin.
fn code_hit(line: &str, i: usize) -> Option<Hit> {
    let b = line.as_bytes();
    let digits = b.get(i..i + 3)?;
    let plausible = matches!(digits[0], b'2' | b'4' | b'5')
        && (b'0'..=b'5').contains(&digits[1])
        && digits[2].is_ascii_digit();
    if !plausible || b.get(i + 3).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let before = i.checked_sub(1).map(|p| b[p]);
    if before.is_some_and(joins) {
        return None;
    }
    if !matches!(b.get(i + 3), None | Some(b' ' | b'-' | b',' | b':' | b'\t')) {
        return None;
    }
    let code = u16::from(digits[0] - b'0') * 100
        + u16::from(digits[1] - b'0') * 10
        + u16::from(digits[2] - b'0');
    // `535 5.7.8`, `534-5.7.9`, `535, b'5.7.8`, `535: 5.7.3`: at most four bytes between.
    let mut j = i + 3;
    while j < b.len()
        && j < i + 7
        && matches!(b[j], b' ' | b'-' | b',' | b':' | b'\'' | b'"' | b'b' | b'(')
    {
        j += 1;
    }
    if let Some((enhanced, end)) = parse_enhanced(b, j)
        && u16::from(enhanced.class) == code / 100
    {
        return Some(Hit {
            start: i,
            end,
            code: Some(code),
            enhanced: Some(enhanced),
        });
    }
    // A bare code after `:` without a space is a line number or a port (`ssl.c:535`).
    let bare = codes::is_basic(code) && before != Some(b':') && reply_may_start(&line[..i]);
    bare.then_some(Hit {
        start: i,
        end: i + 3,
        code: Some(code),
        enhanced: None,
    })
}

/// An enhanced code alone at `i`: of class 4 or 5 (a success needs no explaining), one the
/// registry defines or one where a server's reply is quoted (`response was: 5.7.57 ...`), and
/// not a version number.
fn enhanced_hit(line: &str, i: usize) -> Option<Hit> {
    let b = line.as_bytes();
    let (enhanced, end) = parse_enhanced(b, i)?;
    if enhanced.class == 2
        || i.checked_sub(1)
            .is_some_and(|p| joins(b[p]) || b[p] == b':')
    {
        return None;
    }
    // `i` is an ASCII digit, so a character boundary.
    let before = &line[..i];
    let words: Vec<String> = last_words(before, 1);
    if words
        .first()
        .is_some_and(|w| VERSION_WORDS.contains(&w.as_str()))
    {
        return None;
    }
    let quoted = before
        .trim_end()
        .ends_with([':', '\'', '"', '(', '=', '[', '>'])
        || words
            .first()
            .is_some_and(|w| REPLY_WORDS.contains(&w.as_str()) || w == "was");
    let known = codes::is_registered(enhanced.subject, enhanced.detail);
    (known || quoted).then_some(Hit {
        start: i,
        end,
        code: None,
        enhanced: Some(enhanced),
    })
}

/// `class.subject.detail` at `i` (class 2, 4 or 5, one to three digits each for subject and
/// detail), not followed by more of a number or a version (`5.7.8.1`, `5.4.0-42`): the code and
/// where it ends.
fn parse_enhanced(b: &[u8], i: usize) -> Option<(EnhancedCode, usize)> {
    let class = *b.get(i)?;
    if !matches!(class, b'2' | b'4' | b'5') || b.get(i + 1) != Some(&b'.') {
        return None;
    }
    let (subject, after_subject) = number(b, i + 2)?;
    if b.get(after_subject) != Some(&b'.') {
        return None;
    }
    let (detail, end) = number(b, after_subject + 1)?;
    let next = b.get(end).copied();
    let then = b.get(end + 1).copied();
    let continues = next.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
        || (matches!(next, Some(b'.' | b'-')) && then.is_some_and(|c| c.is_ascii_digit()));
    if continues {
        return None;
    }
    let code = EnhancedCode {
        class: class - b'0',
        subject,
        detail,
    };
    Some((code, end))
}

/// One to three digits at `i`: the value and where they end.
fn number(b: &[u8], i: usize) -> Option<(u16, usize)> {
    let len = b[i.min(b.len())..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    if len == 0 || len > 3 {
        return None;
    }
    let value = b[i..i + len]
        .iter()
        .fold(0u16, |v, d| v * 10 + u16::from(d - b'0'));
    Some((value, i + len))
}

/// Whether a bare code after `before` starts a reply: at the start of a line, after a
/// punctuation that introduces one (`said: 550`, `(550, ...)`, `<- 550`), or after a word such
/// as `error` or `code`.
fn reply_may_start(before: &str) -> bool {
    let trimmed = before.trim_end();
    if trimmed.is_empty()
        || trimmed.ends_with([
            ':', '(', '[', '{', '"', '\'', '=', '>', '|', ';', ',', '*', '-', '~',
        ])
    {
        return true;
    }
    last_words(before, 1)
        .first()
        .is_some_and(|w| REPLY_WORDS.contains(&w.as_str()))
}

/// The last `n` words of `text`, lower case, last first.
fn last_words(text: &str, n: usize) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric() && c != '_')
        .filter(|w| !w.is_empty())
        .rev()
        .take(n)
        .map(str::to_lowercase)
        .collect()
}

/// The reply's text after its codes: separators, a Python `b'` and closing quotes trimmed.
fn reply_text(segment: &str) -> String {
    let text = segment.trim_start_matches([' ', '-', ':', ',', '\t']);
    let text = text
        .strip_prefix("b'")
        .or_else(|| text.strip_prefix("b\""))
        .unwrap_or(text);
    let text = text.trim_start_matches(['\'', '"', ' ']).trim_end();
    let unquoted = text.trim_end_matches([')', ',', ']', '}']);
    let text = if unquoted.ends_with(['\'', '"']) {
        unquoted.trim_end_matches(['\'', '"'])
    } else {
        text
    };
    bounded(text.trim(), MAX_LINE_CHARS)
}

/// `text` cut to `max` characters, with `...` when cut.
fn bounded(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    format!("{}...", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> FoundReply {
        let found = find(text);
        assert_eq!(found.len(), 1, "{text:?}: {found:?}");
        found.into_iter().next().unwrap()
    }

    fn codes_of(text: &str) -> Vec<String> {
        find(text)
            .iter()
            .map(|r| {
                let code = r.code.map_or("-".to_string(), |c| c.to_string());
                let enhanced = r.enhanced.map_or("-".to_string(), |e| e.to_string());
                format!("{code} {enhanced}")
            })
            .collect()
    }

    #[test]
    fn a_plain_reply() {
        let r = one("535 5.7.8 Error: authentication failed: authentication failure");
        assert_eq!(r.code, Some(535));
        assert_eq!(r.enhanced.unwrap().to_string(), "5.7.8");
        assert_eq!(
            r.lines,
            ["Error: authentication failed: authentication failure"]
        );
    }

    #[test]
    fn codes_inside_longer_lines() {
        assert_eq!(
            codes_of("Error: Invalid login: 535-5.7.8 Username and Password not accepted."),
            ["535 5.7.8"]
        );
        assert_eq!(
            codes_of(
                "MailKit.Security.AuthenticationException: 535: 5.7.3 Authentication unsuccessful"
            ),
            ["535 5.7.3"]
        );
        assert_eq!(
            codes_of(
                "System.Net.Mail.SmtpException: Mailbox unavailable. The server response was: 5.7.60 SMTP; Client does not have permissions"
            ),
            ["- 5.7.60"]
        );
        assert_eq!(
            codes_of(
                "host mx.example.org[192.0.2.1] said: 550 Unrouteable address (in reply to RCPT TO command)"
            ),
            ["550 -"]
        );
        assert_eq!(codes_of("<- 421 4.7.0 Try again later"), ["421 4.7.0"]);
        assert_eq!(
            codes_of("SMTP ERROR: Password command failed: 535 Incorrect authentication data"),
            ["535 -"]
        );
    }

    #[test]
    fn multi_line_replies_make_one() {
        let r = one(
            "534-5.7.9 Application-specific password required. Learn more at\n534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor",
        );
        assert_eq!(r.code, Some(534));
        assert_eq!(r.lines.len(), 2);
        assert!(
            r.quote().starts_with(
                "534 5.7.9 Application-specific password required. Learn more at https://"
            ),
            "{}",
            r.quote()
        );
    }

    #[test]
    fn python_bytes_reprs() {
        let r = one(
            "smtplib.SMTPAuthenticationError: (535, b'5.7.8 Username and Password not accepted. For more information, go to\\n5.7.8  https://support.google.com/mail/?p=BadCredentials a1-20020a170906 - gsmtp')",
        );
        assert_eq!(r.code, Some(535));
        assert_eq!(r.enhanced.unwrap().to_string(), "5.7.8");
        assert_eq!(
            r.lines[0],
            "Username and Password not accepted. For more information, go to"
        );
        assert!(r.lines[1].ends_with("gsmtp"), "{:?}", r.lines);
        let refused = one(
            "smtplib.SMTPRecipientsRefused: {'bob@example.org': (550, b'5.1.1 <bob@example.org>: Recipient address rejected: User unknown')}",
        );
        assert_eq!(refused.code, Some(550));
        assert_eq!(
            refused.lines[0],
            "<bob@example.org>: Recipient address rejected: User unknown"
        );
    }

    #[test]
    fn no_false_codes() {
        for text in [
            "2024-05-01 12:30:45 connect to smtp.office365.com:587 failed",
            "connect ETIMEDOUT 203.0.113.5:465",
            "connecting to smtp.gmail.com port 587 in 2025",
            "TimeoutError: [Errno 110] Connection timed out",
            "File \"/usr/lib/python3.11/smtplib.py\", line 421, in getreply",
            "at ssl.c:535: error",
            "PHP 5.6.40 (cli)",
            "PHP Version 5.4.45",
            "Linux 5.4.0-42-generic",
            "Received 250 bytes from 192.0.2.250",
            "listening on port 2525, 25, 465",
            "192.168.250.1",
        ] {
            assert_eq!(codes_of(text), Vec::<String>::new(), "{text}");
        }
    }

    #[test]
    fn several_replies_in_one_text() {
        let text = "The server response was: 5.7.57 Client not authenticated\nError: 535 5.7.139 Authentication unsuccessful";
        assert_eq!(codes_of(text), ["- 5.7.57", "535 5.7.139"]);
    }

    #[test]
    fn bounded_input_stays_bounded() {
        let long = "550 5.1.1 ".to_string() + &"x".repeat(10_000);
        let r = one(&long);
        assert!(r.lines[0].chars().count() <= MAX_LINE_CHARS + 3);
        let many = "550 5.1.1 a\n421 4.7.0 b\n".repeat(100);
        assert_eq!(find(&many).len(), 2);
        let distinct: String = (0..50).map(|d| format!("550 5.7.{d} x\n")).collect();
        assert_eq!(find(&distinct).len(), MAX_REPLIES);
    }
}
