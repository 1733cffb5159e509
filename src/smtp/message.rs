//! The test message that `--send-to` sends: a small RFC 5322 message, and its DATA form with
//! CRLF line ends, dot-stuffing and the end-of-data line (RFC 5321 section 4.5.2).

use std::fmt;

use time::format_description::well_known::Rfc2822;
use time::{OffsetDateTime, UtcOffset};

/// Longest address accepted (RFC 5321 section 4.5.3.1.3 limits a path to 256 octets with its
/// angle brackets).
pub const MAX_ADDRESS: usize = 254;

/// Why an address cannot be used in `MAIL FROM`, `RCPT TO` and the headers.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// Nothing given.
    #[error("the address is empty")]
    Empty,
    /// Longer than [`MAX_ADDRESS`].
    #[error("the address is longer than {MAX_ADDRESS} characters")]
    TooLong,
    /// Not `local@domain`.
    #[error("{0:?} is not an address of the form name@domain")]
    NotAnAddress(String),
    /// Non-ASCII characters need SMTPUTF8, which the test message does not use.
    #[error("{0:?} has non-ASCII characters (internationalised addresses are not supported)")]
    NonAscii(String),
    /// A space, control character or one of `<>()[],;:\"`: either a typo or something that
    /// would change the meaning of a command or header (CR and LF would inject lines).
    #[error("{0:?} contains a space, a control character or one of <>()[],;:\\\"")]
    Forbidden(String),
}

/// Checks that `address` is a plain `local@domain` that can go into commands and headers
/// unchanged. Quoted local parts and address literals are refused: they are rare, and a
/// test message does not need them.
///
/// # Errors
///
/// [`AddressError`] saying what is wrong.
pub fn check_address(address: &str) -> Result<(), AddressError> {
    if address.is_empty() {
        return Err(AddressError::Empty);
    }
    if address.len() > MAX_ADDRESS {
        return Err(AddressError::TooLong);
    }
    // Shown in error messages: escape so that a control character cannot act on the terminal.
    let shown = || address.escape_debug().to_string();
    if !address.is_ascii() {
        return Err(AddressError::NonAscii(shown()));
    }
    let forbidden = |b: u8| !b.is_ascii_graphic() || br#"<>()[],;:\""#.contains(&b);
    if address.bytes().any(forbidden) {
        return Err(AddressError::Forbidden(shown()));
    }
    match address.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains("..") =>
        {
            Ok(())
        }
        _ => Err(AddressError::NotAnAddress(shown())),
    }
}

/// Why the message could not be made.
#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    /// The sender address.
    #[error("sender: {0}")]
    From(AddressError),
    /// The recipient address.
    #[error("recipient: {0}")]
    To(AddressError),
    /// No random bytes for the Message-ID.
    #[error("cannot make a Message-ID: {0}")]
    Random(#[from] openssl::error::ErrorStack),
    /// The date is outside what RFC 5322 can express (before 1900).
    #[error("cannot format the date: {0}")]
    Date(#[from] time::error::Format),
}

/// The test message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestMessage {
    /// Sender address (checked).
    pub from: String,
    /// Recipient address (checked).
    pub to: String,
    /// When it was made (written in UTC).
    pub date: OffsetDateTime,
    /// `<unique@domain>`.
    pub message_id: String,
    /// The server it is sent through, named in the body.
    pub server: String,
}

/// A body line that starts with a dot, so every test message exercises dot-stuffing
/// (RFC 5321 section 4.5.2) on the way.
pub const DOT_LINE: &str = ". This line starts with a dot, to check that it arrives with one.";

impl TestMessage {
    /// A message from `from` to `to`, sent through `server`, dated `now`, with a random
    /// Message-ID at this machine's host name (or, when that is not a usable domain, at the
    /// sender's domain).
    ///
    /// # Errors
    ///
    /// [`MessageError`]: an address that [`check_address`] refuses, or no randomness.
    pub fn new(
        from: &str,
        to: &str,
        server: &str,
        now: OffsetDateTime,
    ) -> Result<TestMessage, MessageError> {
        let mut unique = [0u8; 16];
        openssl::rand::rand_bytes(&mut unique)?;
        let host = gethostname::gethostname();
        let domain = id_domain(&host.to_string_lossy(), from);
        TestMessage::with_id(
            from,
            to,
            server,
            now,
            &format!("<{}@{domain}>", hex::encode(unique)),
        )
    }

    /// Like [`TestMessage::new`] with a given Message-ID (`<unique@domain>`), for tests.
    ///
    /// # Errors
    ///
    /// [`MessageError`] for a refused address.
    pub fn with_id(
        from: &str,
        to: &str,
        server: &str,
        now: OffsetDateTime,
        message_id: &str,
    ) -> Result<TestMessage, MessageError> {
        check_address(from).map_err(MessageError::From)?;
        check_address(to).map_err(MessageError::To)?;
        // Refuse dates RFC 5322 cannot write now, so that `to_bytes` cannot fail later.
        now.to_offset(UtcOffset::UTC).format(&Rfc2822)?;
        Ok(TestMessage {
            from: from.to_string(),
            to: to.to_string(),
            date: now,
            message_id: message_id.to_string(),
            server: printable(server),
        })
    }

    /// `smtp-doctor test message 2026-03-01 12:34:56 UTC`.
    pub fn subject(&self) -> String {
        let t = self.date.to_offset(UtcOffset::UTC);
        format!(
            "smtp-doctor test message {:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }

    /// The message as RFC 5322 text with CRLF line ends (before dot-stuffing).
    pub fn to_bytes(&self) -> Vec<u8> {
        let date = self
            .date
            .to_offset(UtcOffset::UTC)
            .format(&Rfc2822)
            // Checked in `with_id`; the fallback keeps this infallible.
            .unwrap_or_else(|_| "Thu, 01 Jan 1970 00:00:00 +0000".to_string());
        let version = env!("CARGO_PKG_VERSION");
        let headers = [
            format!("Date: {date}"),
            format!("From: {}", self.from),
            format!("To: {}", self.to),
            format!("Subject: {}", self.subject()),
            format!("Message-ID: {}", self.message_id),
            "MIME-Version: 1.0".to_string(),
            "Content-Type: text/plain; charset=utf-8".to_string(),
            "Content-Transfer-Encoding: 7bit".to_string(),
            // RFC 3834: tells vacation responders and list servers not to answer.
            "Auto-Submitted: auto-generated".to_string(),
            format!("X-Mailer: smtp-doctor {version}"),
        ];
        let body = [
            format!("This message was sent by smtp-doctor {version}, a tool that checks e-mail"),
            format!("sending settings, to test sending through {}.", self.server),
            String::new(),
            "If you can read it, sending works. No reply is needed; you may delete it.".to_string(),
            String::new(),
            // Travels as ".." on the wire: the receiving server must undo the stuffing.
            DOT_LINE.to_string(),
        ];
        let mut text = String::new();
        for line in headers
            .iter()
            .chain([String::new()].iter())
            .chain(body.iter())
        {
            text.push_str(line);
            text.push_str("\r\n");
        }
        text.into_bytes()
    }

    /// The bytes to send after `DATA` is answered 354: [`TestMessage::to_bytes`] through
    /// [`dot_stuff`], ending in `\r\n.\r\n`.
    pub fn data(&self) -> Vec<u8> {
        dot_stuff(&self.to_bytes())
    }
}

impl fmt::Display for TestMessage {
    /// One line for reports: `Message-ID <...> from a@x to b@y`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Message-ID {} from {} to {}",
            self.message_id, self.from, self.to
        )
    }
}

/// Makes `message` ready for the DATA phase (RFC 5321 section 4.5.2 and 2.3.8): every line
/// end becomes CRLF (a bare LF or bare CR too, which servers may refuse), a line starting with
/// `.` gets a second `.`, the last line is ended, and the end-of-data line `.` follows.
pub fn dot_stuff(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + message.len() / 64 + 5);
    let mut line_start = true;
    let mut bytes = message.iter().copied().peekable();
    while let Some(b) = bytes.next() {
        match b {
            b'\r' => {
                // CRLF, or a bare CR: either way one line end.
                bytes.next_if_eq(&b'\n');
                out.extend_from_slice(b"\r\n");
                line_start = true;
            }
            b'\n' => {
                out.extend_from_slice(b"\r\n");
                line_start = true;
            }
            _ => {
                if line_start && b == b'.' {
                    out.push(b'.');
                }
                out.push(b);
                line_start = false;
            }
        }
    }
    if !line_start {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

/// The right side of the Message-ID: the host name when it is a usable domain
/// (`dot-atom-text` of letters, digits and hyphens), else the sender's domain.
fn id_domain(hostname: &str, from: &str) -> String {
    let usable = !hostname.is_empty()
        && hostname.len() <= 253
        && hostname.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if usable {
        return hostname.to_ascii_lowercase();
    }
    from.rsplit_once('@')
        .map(|(_, domain)| domain.to_ascii_lowercase())
        .unwrap_or_else(|| "smtp-doctor.invalid".to_string())
}

/// `text` with anything but printable ASCII replaced by `?`, so that it cannot break a line.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_graphic() { c } else { '?' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-03-01 12:34:56 +01:00 (11:34:56 UTC).
    fn march_first() -> OffsetDateTime {
        let offset = UtcOffset::from_hms(1, 0, 0).unwrap();
        OffsetDateTime::from_unix_timestamp(1_772_364_896)
            .unwrap()
            .to_offset(offset)
    }

    /// 2026-03-01 12:00:00 UTC.
    fn noon() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_772_366_400).unwrap()
    }

    fn message() -> TestMessage {
        TestMessage::with_id(
            "alice@example.com",
            "bob@example.org",
            "smtp.example.com",
            march_first(),
            "<0123abcd@client.example.net>",
        )
        .unwrap()
    }

    #[test]
    fn dot_stuffing_doubles_leading_dots_only() {
        assert_eq!(dot_stuff(b".hidden\r\n"), b"..hidden\r\n.\r\n");
        assert_eq!(dot_stuff(b"a\r\n.\r\nb\r\n"), b"a\r\n..\r\nb\r\n.\r\n");
        assert_eq!(dot_stuff(b"a.b\r\n..two\r\n"), b"a.b\r\n...two\r\n.\r\n");
        assert_eq!(dot_stuff(b"x\r\n. \r\n"), b"x\r\n.. \r\n.\r\n");
    }

    #[test]
    fn dot_stuffing_normalises_line_ends() {
        assert_eq!(dot_stuff(b"a\nb\n"), b"a\r\nb\r\n.\r\n");
        assert_eq!(dot_stuff(b"a\rb\r\n"), b"a\r\nb\r\n.\r\n");
        assert_eq!(dot_stuff(b"a\n.b"), b"a\r\n..b\r\n.\r\n");
        assert_eq!(dot_stuff(b"a\r\n\r\nb"), b"a\r\n\r\nb\r\n.\r\n");
        assert_eq!(dot_stuff(b"a\r\r\nb"), b"a\r\n\r\nb\r\n.\r\n");
        // A lone `.` at the very end, without a line end, is a line too.
        assert_eq!(dot_stuff(b"a\n."), b"a\r\n..\r\n.\r\n");
    }

    #[test]
    fn dot_stuffing_of_nothing() {
        assert_eq!(dot_stuff(b""), b".\r\n");
        assert_eq!(dot_stuff(b"\r\n"), b"\r\n.\r\n");
    }

    #[test]
    fn headers_and_body() {
        let m = message();
        let bytes = m.to_bytes();
        let text = String::from_utf8(bytes.clone()).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let headers: Vec<&str> = head.split("\r\n").collect();
        assert_eq!(
            headers,
            [
                "Date: Sun, 01 Mar 2026 11:34:56 +0000",
                "From: alice@example.com",
                "To: bob@example.org",
                "Subject: smtp-doctor test message 2026-03-01 11:34:56 UTC",
                "Message-ID: <0123abcd@client.example.net>",
                "MIME-Version: 1.0",
                "Content-Type: text/plain; charset=utf-8",
                "Content-Transfer-Encoding: 7bit",
                "Auto-Submitted: auto-generated",
                &format!("X-Mailer: smtp-doctor {}", env!("CARGO_PKG_VERSION")),
            ]
        );
        assert!(body.contains("smtp-doctor"), "{body}");
        assert!(body.contains("through smtp.example.com."), "{body}");
        assert!(body.ends_with("\r\n"));
        // Only CRLF line ends, short lines, ASCII (7bit is true).
        assert!(bytes.is_ascii());
        for (i, &b) in bytes.iter().enumerate() {
            if b == b'\n' {
                assert_eq!(bytes.get(i.wrapping_sub(1)), Some(&b'\r'), "bare LF at {i}");
            }
        }
        for line in text.split("\r\n") {
            assert!(line.len() <= 78, "long line {line:?}");
        }
        assert_eq!(m.data(), dot_stuff(&bytes));
        assert!(m.data().ends_with(b"\r\n.\r\n"));
        assert_eq!(
            m.to_string(),
            "Message-ID <0123abcd@client.example.net> from alice@example.com to bob@example.org"
        );
    }

    #[test]
    fn random_message_ids_differ() {
        let now = noon();
        let a = TestMessage::new("a@example.com", "b@example.com", "s", now).unwrap();
        let b = TestMessage::new("a@example.com", "b@example.com", "s", now).unwrap();
        assert_ne!(a.message_id, b.message_id);
        let id = &a.message_id;
        assert!(id.starts_with('<') && id.ends_with('>'), "{id}");
        let (unique, domain) = id.trim_matches(['<', '>']).split_once('@').unwrap();
        assert_eq!(unique.len(), 32, "{id}");
        assert!(!domain.is_empty(), "{id}");
    }

    #[test]
    fn message_id_domain() {
        assert_eq!(
            id_domain("Build-01.example.net", "a@x.org"),
            "build-01.example.net"
        );
        assert_eq!(id_domain("laptop", "a@x.org"), "laptop");
        assert_eq!(id_domain("", "a@X.org"), "x.org");
        assert_eq!(id_domain("bad host", "a@x.org"), "x.org");
        assert_eq!(id_domain("a..b", "a@x.org"), "x.org");
    }

    #[test]
    fn server_name_cannot_break_lines() {
        let m = TestMessage::with_id(
            "a@example.com",
            "b@example.com",
            "evil\r\n.\r\nMAIL FROM:<x>",
            noon(),
            "<1@h>",
        )
        .unwrap();
        let data = m.data();
        let text = String::from_utf8(data).unwrap();
        assert_eq!(text.matches("\r\n.\r\n").count(), 1, "{text}");
        assert!(text.contains("evil??.??MAIL"), "{text}");
    }

    #[test]
    fn addresses_are_checked() {
        assert_eq!(check_address("alice@example.com"), Ok(()));
        assert_eq!(check_address("a.b+tag@sub.example.co.uk"), Ok(()));
        assert_eq!(check_address(""), Err(AddressError::Empty));
        assert!(matches!(
            check_address("alice"),
            Err(AddressError::NotAnAddress(_))
        ));
        assert!(matches!(
            check_address("@example.com"),
            Err(AddressError::NotAnAddress(_))
        ));
        assert!(matches!(
            check_address("a@b@c"),
            Err(AddressError::NotAnAddress(_))
        ));
        assert!(matches!(
            check_address("a@.com"),
            Err(AddressError::NotAnAddress(_))
        ));
        assert!(matches!(
            check_address("a@x..com"),
            Err(AddressError::NotAnAddress(_))
        ));
        assert!(matches!(
            check_address("a@x.com\r\nRCPT TO:<b@y>"),
            Err(AddressError::Forbidden(_))
        ));
        assert!(matches!(
            check_address("a b@x.com"),
            Err(AddressError::Forbidden(_))
        ));
        assert!(matches!(
            check_address("<a@x.com>"),
            Err(AddressError::Forbidden(_))
        ));
        assert!(matches!(
            check_address("jörg@x.de"),
            Err(AddressError::NonAscii(_))
        ));
        let long = format!("{}@x.com", "a".repeat(MAX_ADDRESS));
        assert_eq!(check_address(&long), Err(AddressError::TooLong));
        let err = TestMessage::with_id("alice", "b@x.com", "s", noon(), "<1@h>").unwrap_err();
        assert_eq!(
            err.to_string(),
            "sender: \"alice\" is not an address of the form name@domain"
        );
        // Control characters are escaped in the message.
        let err = check_address("a\x1b[31m@x.com").unwrap_err().to_string();
        assert!(!err.contains('\x1b'), "{err:?}");
    }
}
