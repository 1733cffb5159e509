//! Case-insensitive `*` patterns for host names, banners and reply texts in providers.toml.
//!
//! Deliberately tiny: `*` stands for any run of characters (dots included, so `smtp.zoho.*`
//! covers `smtp.zoho.com.au`), everything else is literal and compared ASCII
//! case-insensitively. No `?`, no classes, no escapes: a preset author should never have to
//! think about regular-expression syntax, and a server's text can never make matching slow
//! (the matcher is linear in practice and at worst pattern length times text length).

use std::fmt;

/// What a pattern is matched against; decides which characters it may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PatternKind {
    /// A DNS name (host, address domain, MX host, certificate name): letters, digits, `-`,
    /// `_`, `.` and `*`; matched against the whole name.
    Name,
    /// Free text (a banner, an EHLO greeting, a reply text, an issuer organisation): any
    /// printable characters.
    Text,
}

/// A validated pattern, kept as written for display.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Pattern {
    source: String,
    kind: PatternKind,
}

/// Why a pattern was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// Nothing but wildcards, or nothing at all.
    #[error("the pattern is empty or only `*`, which would match everything")]
    Empty,
    /// A character a DNS name cannot contain.
    #[error(
        "{0:?} cannot appear in a host name pattern (letters, digits, `-`, `_`, `.` and `*` only)"
    )]
    BadNameChar(char),
    /// `..`, or a dot at either end.
    #[error("a host name pattern cannot start or end with `.` or contain `..`")]
    BadDots,
    /// A control character in a text pattern.
    #[error("a text pattern cannot contain control characters")]
    ControlChar,
    /// Longer than any name or reply line we would compare it with.
    #[error("the pattern is longer than {0} characters")]
    TooLong(usize),
}

/// Longest DNS name (RFC 1035).
const MAX_NAME: usize = 253;
/// Longest text pattern; reply lines are at most 512 octets (RFC 5321 section 4.5.3.1.5).
const MAX_TEXT: usize = 512;

impl Pattern {
    /// A DNS-name pattern such as `email-smtp.*.amazonaws.com`.
    pub fn name(source: &str) -> Result<Pattern, PatternError> {
        let source = source.trim();
        if source.len() > MAX_NAME {
            return Err(PatternError::TooLong(MAX_NAME));
        }
        if let Some(c) = source
            .chars()
            .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '*')))
        {
            return Err(PatternError::BadNameChar(c));
        }
        if source.starts_with('.') || source.ends_with('.') || source.contains("..") {
            return Err(PatternError::BadDots);
        }
        Pattern::checked(source, PatternKind::Name)
    }

    /// A text pattern such as `smtp.gmail.com ESMTP * - gsmtp`.
    pub fn text(source: &str) -> Result<Pattern, PatternError> {
        if source.chars().count() > MAX_TEXT {
            return Err(PatternError::TooLong(MAX_TEXT));
        }
        if source.chars().any(char::is_control) {
            return Err(PatternError::ControlChar);
        }
        Pattern::checked(source.trim(), PatternKind::Text)
    }

    fn checked(source: &str, kind: PatternKind) -> Result<Pattern, PatternError> {
        if source.chars().all(|c| c == '*') {
            return Err(PatternError::Empty);
        }
        Ok(Pattern {
            source: source.to_string(),
            kind,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Name or text.
    pub fn kind(&self) -> PatternKind {
        self.kind
    }

    /// No `*`: the pattern names exactly one thing (a host the tool may connect to).
    pub fn is_literal(&self) -> bool {
        !self.source.contains('*')
    }

    /// Whether the whole of `candidate` matches, ASCII case-insensitively. A name candidate
    /// may carry the root's trailing dot (`smtp.gmail.com.`), as DNS answers do.
    pub fn matches(&self, candidate: &str) -> bool {
        let candidate = match self.kind {
            PatternKind::Name => candidate.strip_suffix('.').unwrap_or(candidate),
            PatternKind::Text => candidate.trim(),
        };
        glob(self.source.as_bytes(), candidate.as_bytes())
    }

    /// Whether the pattern occurs anywhere in `text` (as if it began and ended with `*`);
    /// for reply texts, where servers add ids and links around the stable words.
    pub fn occurs_in(&self, text: &str) -> bool {
        let mut wrapped = Vec::with_capacity(self.source.len() + 2);
        wrapped.push(b'*');
        wrapped.extend_from_slice(self.source.as_bytes());
        wrapped.push(b'*');
        glob(&wrapped, text.as_bytes())
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// Anchored wildcard match over bytes. `*` matches any run of bytes; other bytes compare
/// ASCII case-insensitively. Greedy with a single backtrack point: when a later literal run
/// fails, the last `*` absorbs one more byte. That is enough for `*`-only globs and never
/// recurses, so hostile input costs at most `pattern.len() * text.len()` steps.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    // Position of the last `*` seen and the text position it currently absorbs up to.
    let mut backtrack: Option<(usize, usize)> = None;
    while let Some(&c) = text.get(t) {
        match pattern.get(p) {
            Some(b'*') => {
                backtrack = Some((p, t));
                p += 1;
            }
            Some(&want) if want.eq_ignore_ascii_case(&c) => {
                p += 1;
                t += 1;
            }
            _ => match backtrack {
                Some((star, absorbed)) => {
                    p = star + 1;
                    t = absorbed + 1;
                    backtrack = Some((star, absorbed + 1));
                }
                None => return false,
            },
        }
    }
    pattern.iter().skip(p).all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_patterns_match_whole_names_case_insensitively() {
        let cases = [
            ("smtp.gmail.com", "smtp.gmail.com", true),
            ("smtp.gmail.com", "SMTP.Gmail.COM", true),
            ("smtp.gmail.com", "smtp.gmail.com.", true),
            ("smtp.gmail.com", "xsmtp.gmail.com", false),
            ("smtp.gmail.com", "smtp.gmail.com.evil.test", false),
            (
                "email-smtp.*.amazonaws.com",
                "email-smtp.eu-west-1.amazonaws.com",
                true,
            ),
            (
                "email-smtp.*.amazonaws.com",
                "email-smtp.amazonaws.com",
                false,
            ),
            ("smtp.zoho.*", "smtp.zoho.com.au", true),
            (
                "*.mail.protection.outlook.com",
                "contoso-com.mail.protection.outlook.com",
                true,
            ),
            (
                "*.mail.protection.outlook.com",
                "mail.protection.outlook.com",
                false,
            ),
            ("alt*.aspmx.l.google.com", "alt4.aspmx.l.google.com", true),
            ("alt*.aspmx.l.google.com", "aspmx.l.google.com", false),
            ("a*b*c", "aXXbYYbZZc", true),
            ("a*b*c", "aXXbYYbZZ", false),
        ];
        for (pattern, candidate, expected) in cases {
            let p = Pattern::name(pattern).unwrap();
            assert_eq!(p.matches(candidate), expected, "{pattern} vs {candidate}");
        }
    }

    #[test]
    fn text_patterns() {
        let banner = Pattern::text("smtp.gmail.com ESMTP * - gsmtp").unwrap();
        assert!(banner.matches("smtp.gmail.com ESMTP abc123 - gsmtp"));
        assert!(banner.matches("SMTP.GMAIL.COM esmtp 5b1f17b1804b1-42 - gsmtp"));
        assert!(!banner.matches("smtp.gmail.com ESMTP Postfix"));
        assert!(!banner.matches("mx.example.test ESMTP abc - gsmtp"));

        let reply = Pattern::text("Application-specific password required").unwrap();
        assert!(reply.occurs_in(
            "5.7.9 Application-specific password required. Learn more at 5.7.9 https://x"
        ));
        assert!(!reply.matches("5.7.9 Application-specific password required."));
        let spaced = Pattern::text("SmtpClientAuthentication * disabled").unwrap();
        assert!(spaced.occurs_in("5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant."));
    }

    #[test]
    fn bad_patterns_are_refused() {
        assert_eq!(Pattern::name(""), Err(PatternError::Empty));
        assert_eq!(Pattern::name("*"), Err(PatternError::Empty));
        assert_eq!(
            Pattern::name("smtp gmail.com"),
            Err(PatternError::BadNameChar(' '))
        );
        assert_eq!(
            Pattern::name("smtp/gmail"),
            Err(PatternError::BadNameChar('/'))
        );
        assert_eq!(Pattern::name(".gmail.com"), Err(PatternError::BadDots));
        assert_eq!(Pattern::name("smtp..gmail.com"), Err(PatternError::BadDots));
        assert_eq!(Pattern::text("**"), Err(PatternError::Empty));
        assert_eq!(Pattern::text("a\tb"), Err(PatternError::ControlChar));
        assert!(matches!(
            Pattern::name(&"a".repeat(300)),
            Err(PatternError::TooLong(_))
        ));
    }

    #[test]
    fn hostile_input_stays_cheap() {
        // Many stars against a long near-miss: quadratic at worst, never exponential.
        let p = Pattern::text(&"a*".repeat(100)).unwrap();
        let text = "a".repeat(99) + &"b".repeat(400);
        assert!(!p.occurs_in(&text));
        assert!(!p.matches(&"b".repeat(500)));
    }
}
