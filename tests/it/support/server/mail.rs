//! MAIL, RCPT and DATA in the test server: configurable replies at each step, and the message
//! content kept exactly as received (before and after dot-unstuffing).

use std::io;
use std::sync::Mutex;

use tokio::io::{AsyncRead, AsyncWrite};

use super::{Answer, Conn, Flow, LineBuf, RawLine, Session, Shared, reply1, write_bounded};

/// How the server takes mail. Built from [`Mail::new`].
#[derive(Clone, Debug)]
pub struct Mail {
    /// When the scenario has AUTH: MAIL before a successful AUTH is answered
    /// `530 5.7.0 Authentication required`, as submission servers do.
    pub require_auth: bool,
    /// The reply to MAIL FROM.
    pub mail_reply: Answer,
    /// The reply to every RCPT TO.
    pub rcpt_reply: Answer,
    /// The reply to DATA; content is read only after a `354`.
    pub data_reply: Answer,
    /// The reply after the end-of-data line.
    pub final_reply: Answer,
    /// How long the server "scans" the content before that reply.
    pub final_delay: std::time::Duration,
    /// Most content bytes read; beyond it `552` and the connection ends.
    pub max_size: usize,
}

impl Mail {
    /// Accepts everything with Postfix-like replies; the final one carries a queue id.
    pub fn new() -> Mail {
        Mail {
            require_auth: true,
            mail_reply: Answer::new(250, &["2.1.0 Ok"]),
            rcpt_reply: Answer::new(250, &["2.1.5 Ok"]),
            data_reply: Answer::new(354, &["End data with <CR><LF>.<CR><LF>"]),
            final_reply: Answer::new(250, &["2.0.0 Ok: queued as 4TESTQUEUE1"]),
            final_delay: std::time::Duration::ZERO,
            max_size: 1024 * 1024,
        }
    }

    /// Take MAIL without a prior AUTH.
    pub fn no_auth_required(mut self) -> Mail {
        self.require_auth = false;
        self
    }

    /// Answer MAIL FROM with this, e.g. `(550, &["5.7.60 SMTP; Client does not have
    /// permissions to send as this sender"])`.
    pub fn mail_reply(mut self, code: u16, lines: &[&str]) -> Mail {
        self.mail_reply = Answer::new(code, lines);
        self
    }

    /// Answer every RCPT TO with this, e.g. `(554, &["5.7.1 Relay access denied"])`.
    pub fn rcpt_reply(mut self, code: u16, lines: &[&str]) -> Mail {
        self.rcpt_reply = Answer::new(code, lines);
        self
    }

    /// Answer DATA with this (anything but 354 refuses the content).
    pub fn data_reply(mut self, code: u16, lines: &[&str]) -> Mail {
        self.data_reply = Answer::new(code, lines);
        self
    }

    /// Answer the end of data with this.
    pub fn final_reply(mut self, code: u16, lines: &[&str]) -> Mail {
        self.final_reply = Answer::new(code, lines);
        self
    }

    /// Wait this long before the reply to the end of data, like a content scanner.
    pub fn final_delay(mut self, delay: std::time::Duration) -> Mail {
        self.final_delay = delay;
        self
    }
}

impl Default for Mail {
    fn default() -> Mail {
        Mail::new()
    }
}

/// A message whose content the server read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// Inside TLS.
    pub tls: bool,
    /// The MAIL FROM address (between the angle brackets).
    pub mail_from: String,
    /// The accepted RCPT TO addresses.
    pub rcpt_to: Vec<String>,
    /// Every byte after the `354`, up to and including the end-of-data line, as received.
    pub raw: Vec<u8>,
    /// The content: `raw` without the end-of-data line and with one leading `.` removed from
    /// each line that had one (RFC 5321 section 4.5.2). Line ends are kept as received.
    pub content: Vec<u8>,
    /// The end-of-data line arrived (false: the client went away or sent too much).
    pub complete: bool,
}

/// The transaction in progress.
pub(super) struct Envelope {
    from: String,
    rcpts: Vec<String>,
}

/// The address in `FROM:<addr> params` / `TO:<addr> params` after the verb, or `None` when
/// the syntax is wrong. A space after the colon is tolerated, as most servers do.
fn path<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = line.split_once(' ')?.1;
    let head = rest.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = rest.get(prefix.len()..)?.trim_start();
    let inner = rest.strip_prefix('<')?;
    let end = inner.find('>')?;
    inner.get(..end)
}

pub(super) fn mail_from(line: &str, conn: &mut Conn, shared: &Shared) -> Vec<u8> {
    let Some(mail) = &shared.scenario.mail else {
        return reply1(503, "5.5.1 Not in this test server");
    };
    if mail.require_auth && shared.scenario.auth.is_some() && !conn.authenticated {
        return reply1(530, "5.7.0 Authentication required");
    }
    if conn.envelope.is_some() {
        return reply1(503, "5.5.1 Error: nested MAIL command");
    }
    let Some(from) = path(line, "FROM:") else {
        return reply1(501, "5.5.4 Syntax: MAIL FROM:<address>");
    };
    if mail.mail_reply.code / 100 == 2 {
        conn.envelope = Some(Envelope {
            from: from.to_string(),
            rcpts: Vec::new(),
        });
    }
    mail.mail_reply.to_bytes()
}

pub(super) fn rcpt_to(line: &str, conn: &mut Conn, shared: &Shared) -> Vec<u8> {
    let Some(mail) = &shared.scenario.mail else {
        return reply1(503, "5.5.1 Not in this test server");
    };
    let Some(envelope) = conn.envelope.as_mut() else {
        return reply1(503, "5.5.1 Error: need MAIL command");
    };
    let Some(to) = path(line, "TO:") else {
        return reply1(501, "5.5.4 Syntax: RCPT TO:<address>");
    };
    if mail.rcpt_reply.code / 100 == 2 {
        envelope.rcpts.push(to.to_string());
    }
    mail.rcpt_reply.to_bytes()
}

pub(super) async fn data<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    buf: &mut LineBuf,
    tls: bool,
    conn: &mut Conn,
    shared: &Shared,
    session: &Mutex<Session>,
) -> io::Result<Flow> {
    let Some(mail) = &shared.scenario.mail else {
        write_bounded(stream, &reply1(503, "5.5.1 Not in this test server")).await?;
        return Ok(Flow::Continue);
    };
    let refusal = match &conn.envelope {
        None => Some(reply1(503, "5.5.1 Error: need MAIL command")),
        Some(envelope) if envelope.rcpts.is_empty() => {
            Some(reply1(554, "5.5.1 Error: no valid recipients"))
        }
        Some(_) => None,
    };
    if let Some(refusal) = refusal {
        write_bounded(stream, &refusal).await?;
        return Ok(Flow::Continue);
    }
    write_bounded(stream, &mail.data_reply.to_bytes()).await?;
    let Some(envelope) = conn.envelope.take() else {
        return Ok(Flow::Continue);
    };
    if mail.data_reply.code != 354 {
        return Ok(Flow::Continue);
    }
    let mut received = Received {
        tls,
        mail_from: envelope.from,
        rcpt_to: envelope.rcpts,
        raw: Vec::new(),
        content: Vec::new(),
        complete: false,
    };
    let too_big = loop {
        let left = mail.max_size.saturating_sub(received.raw.len());
        let line = match buf.read_raw_line(stream, left).await? {
            RawLine::Bytes(line) => line,
            RawLine::Eof => break false,
            RawLine::TooLong => break true,
        };
        received.raw.extend_from_slice(&line);
        // The end-of-data line; a bare-LF one is taken too (and visible in `raw`).
        if line == b".\r\n" || line == b".\n" {
            received.complete = true;
            break false;
        }
        if received.raw.len() > mail.max_size {
            break true;
        }
        let unstuffed = line.strip_prefix(b".").unwrap_or(&line);
        received.content.extend_from_slice(unstuffed);
    };
    let complete = received.complete;
    session.lock().expect("session").messages.push(received);
    if too_big {
        write_bounded(
            stream,
            &reply1(552, "5.3.4 Message size exceeds fixed limit"),
        )
        .await?;
        return Ok(Flow::Close);
    }
    if !complete {
        return Ok(Flow::Close);
    }
    tokio::time::sleep(mail.final_delay).await;
    write_bounded(stream, &mail.final_reply.to_bytes()).await?;
    Ok(Flow::Continue)
}
