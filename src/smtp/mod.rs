//! Sans-IO SMTP pieces: the reply reader, EHLO parsing and command formatting, and the
//! inbound transport policies' texts (MTA-STS in [`sts`], TLS-RPT in [`tlsrpt`]).
//! No sockets and no tokio here; the probe feeds bytes in and takes replies out.

mod ehlo;
pub mod message;
mod reply;
pub mod sasl;
pub mod sts;
pub mod tlsrpt;

pub use ehlo::{Ehlo, Keyword};
pub use reply::{EnhancedCode, ParsedReply, Reply, ReplyError, ReplyLimits, ReplyParser};

/// Formats a command line with its CRLF.
pub fn command(line: &str) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(line.len() + 2);
    bytes.extend_from_slice(line.as_bytes());
    bytes.extend_from_slice(b"\r\n");
    bytes
}
