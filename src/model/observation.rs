//! Plain data that flows through the pipeline: endpoints, observations of a probe, TLS and
//! certificate facts. No I/O here; the probe fills these, verdicts and renderers read them.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use crate::smtp::{Ehlo, Reply};

/// How a connection to an endpoint is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Security {
    /// Plain connection, upgraded with the STARTTLS command (RFC 3207).
    Starttls,
    /// TLS from the first byte (RFC 8314 "implicit TLS", ports 465 and 2465).
    ImplicitTls,
    /// Plain text only; STARTTLS is not attempted.
    Plain,
}

impl Security {
    /// The name used in JSON and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Security::Starttls => "starttls",
            Security::ImplicitTls => "implicit_tls",
            Security::Plain => "plain",
        }
    }

    /// What a mail client's settings call it: `STARTTLS`, `SSL/TLS (implicit TLS)`, or
    /// `no encryption`.
    pub fn client_label(self) -> &'static str {
        match self {
            Security::Starttls => "STARTTLS",
            Security::ImplicitTls => "SSL/TLS (implicit TLS)",
            Security::Plain => "no encryption",
        }
    }

    /// The mode a port conventionally uses: implicit TLS on 465 and 2465, STARTTLS elsewhere.
    pub fn default_for_port(port: u16) -> Security {
        match port {
            465 | 2465 => Security::ImplicitTls,
            _ => Security::Starttls,
        }
    }
}

impl fmt::Display for Security {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One (address, port) pair to probe, with the name the user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The host name as typed (or the address literal when an address was typed).
    pub host: String,
    /// The address this endpoint connects to.
    pub ip: IpAddr,
    /// TCP port.
    pub port: u16,
    /// The security mode the probe uses.
    pub security: Security,
}

impl Endpoint {
    /// `host:port` (with brackets for an IPv6 literal host), as used in findings.
    pub fn label(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// How findings name the endpoint: `host:port (ip)`, or `ip:port` when the host typed was
    /// the address itself.
    pub fn describe(&self) -> String {
        if self.host.parse::<IpAddr>().ok() == Some(self.ip) {
            self.address_label()
        } else {
            format!("{} ({})", self.label(), self.ip)
        }
    }

    /// `ip:port` with brackets for IPv6.
    pub fn address_label(&self) -> String {
        match self.ip {
            IpAddr::V4(ip) => format!("{ip}:{}", self.port),
            IpAddr::V6(ip) => format!("[{ip}]:{}", self.port),
        }
    }
}

/// A step of the dialogue; errors and timeouts name the one they happened in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// TCP connect.
    Connect,
    /// Waiting for the 220 greeting.
    Banner,
    /// EHLO (or the HELO fallback) before TLS.
    Ehlo,
    /// The STARTTLS command and its reply.
    Starttls,
    /// The TLS handshake.
    Tls,
    /// EHLO inside TLS.
    EhloTls,
    /// QUIT.
    Quit,
    /// The AUTH exchange of the credential check (`--user`).
    Auth,
    /// MAIL, RCPT and DATA of the test message (`--send-to`).
    Send,
}

impl Phase {
    /// The name used in JSON and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Connect => "connect",
            Phase::Banner => "banner",
            Phase::Ehlo => "ehlo",
            Phase::Starttls => "starttls",
            Phase::Tls => "tls",
            Phase::EhloTls => "ehlo_tls",
            Phase::Quit => "quit",
            Phase::Auth => "auth",
            Phase::Send => "send",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How far a probe got, in one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// The dialogue completed (findings may still flag problems).
    Ok,
    /// The TCP connection was actively refused (RST).
    Refused,
    /// Nothing answered within a deadline (see the error's phase).
    Timeout,
    /// The network said it cannot deliver (ICMP unreachable, prohibited, no route).
    Unreachable,
    /// The server closed the connection before the dialogue completed.
    Closed,
    /// The server answered with something that is not valid SMTP, or exceeded a read bound.
    ProtocolError,
    /// The TLS handshake failed.
    TlsError,
    /// The server answered but refused the session (a greeting or EHLO reply other than 2xx).
    Rejected,
    /// Not probed: this machine has no route for the address family.
    Skipped,
}

impl State {
    /// The name used in JSON and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Ok => "ok",
            State::Refused => "refused",
            State::Timeout => "timeout",
            State::Unreachable => "unreachable",
            State::Closed => "closed",
            State::ProtocolError => "protocol_error",
            State::TlsError => "tls_error",
            State::Rejected => "rejected",
            State::Skipped => "skipped",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What went wrong, and in which phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhaseError {
    /// The phase the error happened in.
    pub phase: Phase,
    /// What happened, in plain words.
    pub message: String,
    /// The run's own deadline (`--max-time`) ended this step, not the server nor a step
    /// timeout: the server had not answered yet, which says nothing about whether it would.
    pub run_deadline: bool,
}

/// The STARTTLS step as seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StarttlsObservation {
    /// Whether the EHLO reply advertised STARTTLS.
    pub offered: bool,
    /// The reply to our STARTTLS command, when one was sent.
    pub reply: Option<Reply>,
    /// Bytes the server sent after its 220 and before the handshake (discarded; response
    /// injection when non-empty).
    pub injected: Vec<u8>,
}

/// A mismatch between the security mode used and what the server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrongMode {
    /// A STARTTLS (plain) port that stays silent but completes a TLS handshake: implicit TLS.
    ImplicitTlsOnStarttlsPort,
    /// An implicit-TLS port that greets in plain text: it wants STARTTLS or plain SMTP.
    PlainOnTlsPort,
}

/// Who refused a connection attempt at the network level (not the server's TCP reset).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unreachable {
    /// An ICMP error arrived (Linux reports which one through `IP_RECVERR`).
    Icmp(IcmpError),
    /// This machine refused to send it: `connect` failed with EPERM or EACCES (a local
    /// firewall rule).
    LocalFirewall,
}

/// An ICMP error that ended a connection attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IcmpError {
    /// ICMPv6 rather than ICMP for IPv4.
    pub v6: bool,
    /// The ICMP type (3, destination unreachable, for IPv4; 1 for ICMPv6).
    pub icmp_type: u8,
    /// The ICMP code.
    pub code: u8,
    /// Who sent it: a router on the way, or the host itself.
    pub from: Option<IpAddr>,
}

/// What an ICMP error says, in the terms that matter for a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IcmpKind {
    /// Administratively prohibited (or another policy code): a firewall forbids the path.
    Prohibited,
    /// Port unreachable: for TCP a firewall's reject (a host answers a closed TCP port with
    /// a reset, not ICMP).
    PortUnreachable,
    /// Host or address unreachable.
    HostUnreachable,
    /// Network unreachable, no route.
    NetUnreachable,
    /// Any other ICMP error.
    Other,
}

impl IcmpError {
    /// What the type and code mean (RFC 792, RFC 1812 section 5.2.7.1, RFC 4443 section 3.1).
    pub fn kind(&self) -> IcmpKind {
        match (self.v6, self.icmp_type, self.code) {
            (false, 3, 9 | 10 | 13 | 14 | 15) | (true, 1, 1 | 5 | 6) => IcmpKind::Prohibited,
            (false, 3, 3) | (true, 1, 4) => IcmpKind::PortUnreachable,
            (false, 3, 1 | 7 | 12) | (true, 1, 3) => IcmpKind::HostUnreachable,
            (false, 3, 0 | 6 | 11) | (true, 1, 0 | 2) => IcmpKind::NetUnreachable,
            _ => IcmpKind::Other,
        }
    }

    /// `ICMP administratively prohibited (type 3, code 13) from 192.0.2.1`.
    pub fn describe(&self) -> String {
        let what = match self.kind() {
            IcmpKind::Prohibited => "administratively prohibited",
            IcmpKind::PortUnreachable => "port unreachable",
            IcmpKind::HostUnreachable => "host unreachable",
            IcmpKind::NetUnreachable => "network unreachable",
            IcmpKind::Other => "error",
        };
        let family = if self.v6 { "ICMPv6" } else { "ICMP" };
        let from = self
            .from
            .map(|ip| format!(" from {ip}"))
            .unwrap_or_default();
        format!(
            "{family} {what} (type {}, code {}){from}",
            self.icmp_type, self.code
        )
    }
}

/// One entry of the verification result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyError {
    /// 0 is the leaf certificate.
    pub depth: u32,
    /// OpenSSL's X509_V_ERR_* code.
    pub code: i32,
    /// OpenSSL's text for the code.
    pub message: String,
}

/// Whether the presented chain is trusted and names the host.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Verification {
    /// The chain verified against the trust store (system plus `--ca-file`), ignoring the name.
    pub trusted: bool,
    /// The leaf names the host; `None` when no name was checked (an IP literal without
    /// `--servername`).
    pub hostname_match: Option<bool>,
    /// The name the certificate was checked against (and sent as SNI).
    pub checked_name: Option<String>,
    /// Every error OpenSSL reported, in the order reported.
    pub errors: Vec<VerifyError>,
}

/// Facts about one X.509 certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertFacts {
    /// Subject distinguished name, RFC 4514 style.
    pub subject: String,
    /// Issuer distinguished name, RFC 4514 style.
    pub issuer: String,
    /// Subject alternative names: DNS names as is, addresses as `IP:...`.
    pub san: Vec<String>,
    /// Start of validity, RFC 3339.
    pub not_before: String,
    /// End of validity, RFC 3339.
    pub not_after: String,
    /// Whole days from the time of the probe until `not_after` (negative when expired).
    pub days_left: i64,
    /// Seconds from the time of the probe until `not_before` (positive when not yet valid).
    pub not_yet_valid_secs: i64,
    /// Key type and size, e.g. `RSA 2048`, `EC P-256`, `Ed25519`.
    pub key: String,
    /// Signature algorithm name, e.g. `sha256WithRSAEncryption`.
    pub signature_algorithm: String,
    /// The RSA modulus size in bits, for an RSA key.
    pub rsa_bits: Option<u32>,
    /// The digest of the issuer's signature over this certificate (`MD5`, `SHA-1`, `SHA-256`,
    /// ...), when the algorithm names one.
    pub signature_digest: Option<String>,
    /// Serial number, colon-free lower-case hex.
    pub serial: String,
    /// SHA-256 fingerprint of the DER encoding, lower-case hex.
    pub sha256: String,
    /// Subject equals issuer (a self-issued certificate).
    pub self_issued: bool,
    /// Basic constraints say CA.
    pub is_ca: bool,
    /// What DANE matching needs (kept out of the JSON, which shows the match instead).
    pub digests: crate::model::CertDigests,
}

impl CertFacts {
    /// `not_after` as Unix seconds (the certificate's own end of validity, not a count from
    /// the probe); `None` when the stored text is not RFC 3339.
    pub fn not_after_unix(&self) -> Option<i64> {
        rfc3339_unix(&self.not_after)
    }
}

/// Unix seconds of an RFC 3339 date-time (`2026-12-08T10:47:39Z`, `...39.5+02:00`); fractions
/// of a second are dropped. `None` for anything else.
pub fn rfc3339_unix(text: &str) -> Option<i64> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(time::OffsetDateTime::unix_timestamp)
}

/// What the TLS handshake negotiated and presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFacts {
    /// Protocol version, e.g. `TLSv1.3`.
    pub version: String,
    /// Cipher suite, standard (IANA) name when OpenSSL knows it.
    pub cipher: String,
    /// Key exchange group or type, e.g. `X25519`, when known.
    pub key_exchange: Option<String>,
    /// The chain as the server sent it, leaf first.
    pub chain: Vec<CertFacts>,
    /// Verification result.
    pub verification: Verification,
}

/// Time spent per phase; `None` where the phase did not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timings {
    /// TCP connect.
    pub connect: Option<Duration>,
    /// Waiting for the greeting.
    pub banner: Option<Duration>,
    /// EHLO before TLS.
    pub ehlo: Option<Duration>,
    /// STARTTLS command and reply.
    pub starttls: Option<Duration>,
    /// TLS handshake.
    pub tls: Option<Duration>,
    /// EHLO inside TLS.
    pub ehlo_tls: Option<Duration>,
    /// Whole probe of this endpoint.
    pub total: Option<Duration>,
}

/// Who sent a transcript line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The server sent it.
    Recv,
    /// We sent it.
    Send,
    /// A note of ours (TLS facts, steps).
    Info,
    /// An error of ours.
    Error,
}

impl Direction {
    /// The name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Recv => "recv",
            Direction::Send => "send",
            Direction::Info => "info",
            Direction::Error => "error",
        }
    }
}

/// One line of the dialogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscriptLine {
    /// Time since the endpoint's probe started.
    pub at: Duration,
    /// Who sent it.
    pub dir: Direction,
    /// Whether it travelled inside TLS.
    pub tls: bool,
    /// The line, without CRLF; non-UTF-8 bytes replaced.
    pub line: String,
}

/// Everything the probe saw at one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// Where.
    pub endpoint: Endpoint,
    /// How far it got.
    pub state: State,
    /// The error that ended the probe, with its phase.
    pub error: Option<PhaseError>,
    /// The greeting.
    pub banner: Option<Reply>,
    /// EHLO (or HELO) before TLS (for implicit TLS: none; the first EHLO is inside TLS).
    pub ehlo: Option<Ehlo>,
    /// The STARTTLS step, for STARTTLS endpoints that got as far as EHLO.
    pub starttls: Option<StarttlsObservation>,
    /// TLS facts when a handshake completed.
    pub tls: Option<TlsFacts>,
    /// EHLO inside TLS.
    pub ehlo_tls: Option<Ehlo>,
    /// The server speaks another security mode than the one used.
    pub wrong_mode: Option<WrongMode>,
    /// What answered instead of an SMTP server (e.g. "an SSH server"), when something did.
    pub not_smtp: Option<String>,
    /// Who said the endpoint cannot be reached, when a connect failed that way (an ICMP
    /// error, or this machine's firewall).
    pub unreachable: Option<Unreachable>,
    /// Bytes the server sent with or right after its greeting, before the client spoke
    /// (unsolicited replies); discarded so that replies stay aligned with commands.
    pub unsolicited: Vec<u8>,
    /// Time per phase.
    pub timings: Timings,
    /// The dialogue.
    pub transcript: Vec<TranscriptLine>,
}

impl Observation {
    /// An observation with nothing seen yet.
    pub fn new(endpoint: Endpoint) -> Observation {
        Observation {
            endpoint,
            state: State::Ok,
            error: None,
            banner: None,
            ehlo: None,
            starttls: None,
            tls: None,
            ehlo_tls: None,
            wrong_mode: None,
            not_smtp: None,
            unreachable: None,
            unsolicited: Vec::new(),
            timings: Timings::default(),
            transcript: Vec::new(),
        }
    }

    /// The last EHLO seen: inside TLS when there was one, else the plain one.
    pub fn final_ehlo(&self) -> Option<&Ehlo> {
        self.ehlo_tls.as_ref().or(self.ehlo.as_ref())
    }
}

// The credential check (`--user`) and the test message (`--send-to`). They run after the
// probes, on a new connection, and only when the user asked for them.

/// How the credential check at one endpoint ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthOutcome {
    /// `235`: the credentials work.
    Authenticated,
    /// Refused with a 5xx reply.
    Rejected,
    /// Refused with a 4xx reply: the server could not check them now.
    TemporaryFailure,
    /// No usable mechanism: the one asked for is not offered, none fits the kind of secret,
    /// or the server offers no AUTH at all. Nothing secret was sent.
    MechanismUnsupported,
    /// Not attempted: the connection is not encrypted (and `--allow-plaintext-auth` was not
    /// given). Nothing secret was sent.
    PlaintextRefused,
    /// Not attempted: the server's certificate failed verification (and
    /// `--allow-plaintext-auth` was not given). Nothing secret was sent.
    UntrustedRefused,
    /// The dialogue broke before a verdict (connection, timeout, protocol).
    Error,
    /// No endpoint completed the SMTP dialogue, so there was nowhere to try.
    NotAttempted,
}

impl AuthOutcome {
    /// The name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthOutcome::Authenticated => "authenticated",
            AuthOutcome::Rejected => "rejected",
            AuthOutcome::TemporaryFailure => "temporary_failure",
            AuthOutcome::MechanismUnsupported => "mechanism_unsupported",
            AuthOutcome::PlaintextRefused => "plaintext_refused",
            AuthOutcome::UntrustedRefused => "untrusted_refused",
            AuthOutcome::Error => "error",
            AuthOutcome::NotAttempted => "not_attempted",
        }
    }
}

/// What a server's reply means and what to do about it (filled in by the verdict).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// What it means, one sentence.
    pub cause: String,
    /// What to do, one sentence.
    pub advice: String,
    /// Where the knowledge comes from: a provider's name, `RFC 4954`, `RFC 3463`, ...
    pub source: String,
}

/// One AUTH attempt at one endpoint (or the reason there was none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthAttempt {
    /// Where; `None` when no endpoint could be tried.
    pub endpoint: Option<Endpoint>,
    /// The connection was encrypted when AUTH was (or would have been) sent.
    pub tls: bool,
    /// Mechanisms the server offered (EHLO `AUTH` inside TLS), as advertised.
    pub offered: Vec<String>,
    /// The mechanism used.
    pub mechanism: Option<crate::smtp::sasl::Mechanism>,
    /// How it ended.
    pub outcome: AuthOutcome,
    /// The server's final reply to the exchange.
    pub reply: Option<Reply>,
    /// The error a token mechanism explained before its final reply (decoded JSON).
    pub detail: Option<String>,
    /// Why there was no verdict from the server (refusal, unsupported mechanism, broken
    /// dialogue), and in which phase.
    pub error: Option<PhaseError>,
    /// Wall-clock time of the whole session (connect to QUIT).
    pub duration: Option<Duration>,
    /// The dialogue of the session, secrets redacted.
    pub transcript: Vec<TranscriptLine>,
    /// Cause and advice for a refusal (set by the verdict).
    pub explanation: Option<Explanation>,
}

impl AuthAttempt {
    /// An attempt that ended before any connection: refused or nowhere to go.
    pub fn not_sent(
        endpoint: Option<Endpoint>,
        outcome: AuthOutcome,
        message: impl Into<String>,
    ) -> AuthAttempt {
        AuthAttempt {
            endpoint,
            tls: false,
            offered: Vec::new(),
            mechanism: None,
            outcome,
            reply: None,
            detail: None,
            error: Some(PhaseError {
                phase: Phase::Auth,
                message: message.into(),
                run_deadline: false,
            }),
            duration: None,
            transcript: Vec::new(),
            explanation: None,
        }
    }
}

/// A command of the test message's transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SendCommand {
    /// `MAIL FROM:<...>`.
    MailFrom,
    /// `RCPT TO:<...>`.
    RcptTo,
    /// `DATA`.
    Data,
    /// The message content and its end-of-data line; the reply is the final verdict.
    EndOfData,
}

impl SendCommand {
    /// The name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            SendCommand::MailFrom => "mail_from",
            SendCommand::RcptTo => "rcpt_to",
            SendCommand::Data => "data",
            SendCommand::EndOfData => "end_of_data",
        }
    }

    /// How messages name it: `MAIL FROM`, `RCPT TO`, `DATA`, `the end of the message`.
    pub fn label(self) -> &'static str {
        match self {
            SendCommand::MailFrom => "MAIL FROM",
            SendCommand::RcptTo => "RCPT TO",
            SendCommand::Data => "DATA",
            SendCommand::EndOfData => "the end of the message",
        }
    }
}

/// One command of the transaction and the server's reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendStep {
    /// What was sent.
    pub command: SendCommand,
    /// The reply.
    pub reply: Reply,
}

/// How the test message ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SendOutcome {
    /// The final reply was 2xx: the server took responsibility for the message.
    Accepted,
    /// A 5xx reply at some step.
    Rejected,
    /// A 4xx reply at some step.
    TemporaryFailure,
    /// The dialogue broke (connection, timeout, protocol) or the message could not be made.
    Error,
    /// Not sent: no AUTH attempt succeeded.
    Skipped,
}

impl SendOutcome {
    /// The name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            SendOutcome::Accepted => "accepted",
            SendOutcome::Rejected => "rejected",
            SendOutcome::TemporaryFailure => "temporary_failure",
            SendOutcome::Error => "error",
            SendOutcome::Skipped => "skipped",
        }
    }
}

/// The test message (`--send-to`), sent after a successful AUTH on the same connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendAttempt {
    /// Where it was sent; `None` when it was not.
    pub endpoint: Option<Endpoint>,
    /// Envelope and header sender.
    pub from: String,
    /// Envelope and header recipient.
    pub to: String,
    /// The message's `Message-ID` (`<...>`), when it was made.
    pub message_id: Option<String>,
    /// Its `Date`, RFC 3339 in UTC.
    pub date: Option<String>,
    /// Bytes of content sent after `354` (dot-stuffed, with the end-of-data line).
    pub size: Option<usize>,
    /// Each command and its reply, in order.
    pub steps: Vec<SendStep>,
    /// How it ended.
    pub outcome: SendOutcome,
    /// The queue id in the final reply (`queued as 4ABC123`), when one could be found.
    pub queue_id: Option<String>,
    /// Why there was no reply verdict (skipped, broken dialogue), and in which phase.
    pub error: Option<PhaseError>,
    /// Cause and advice for a refusal (set by the verdict).
    pub explanation: Option<Explanation>,
}

impl SendAttempt {
    /// The step whose reply was a refusal, if any.
    pub fn refused_step(&self) -> Option<&SendStep> {
        self.steps
            .iter()
            .find(|s| !s.reply.is_positive() && !s.reply.is_intermediate())
    }
}

/// The credential check of a run: who, with what, every attempt and the test message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialCheck {
    /// The user name (never the secret).
    pub user: String,
    /// The kind of secret supplied.
    pub credential: crate::smtp::sasl::CredentialKind,
    /// The mechanism asked for with `--auth-mech`.
    pub forced: Option<crate::smtp::sasl::Mechanism>,
    /// One per endpoint tried (one by default, several with `--auth-all`).
    pub attempts: Vec<AuthAttempt>,
    /// The test message, when `--send-to` was given.
    pub send: Option<SendAttempt>,
}

#[cfg(test)]
mod tests {
    use super::rfc3339_unix;

    #[test]
    fn rfc3339_to_unix_seconds() {
        // Checked with `date -u -d ... +%s`.
        for (text, secs) in [
            ("1970-01-01T00:00:00Z", 0),
            ("2026-12-08T10:47:39Z", 1_796_726_859),
            ("2000-02-29T23:59:59Z", 951_868_799),
            ("2038-01-19T03:14:08Z", 2_147_483_648),
            ("1969-12-31T23:59:59Z", -1),
            ("2026-12-08T12:47:39.25+02:00", 1_796_726_859),
            ("2026-12-08t05:47:39-05:00", 1_796_726_859),
        ] {
            assert_eq!(rfc3339_unix(text), Some(secs), "{text}");
        }
        for bad in [
            "",
            "2026-12-08",
            "2026-12-08T10:47:39",
            "2026-13-08T10:47:39Z",
            "2025-02-29T10:47:39Z",
            "2026-12-08T24:00:00Z",
            "2026-12-08T10:47:39+2:00",
            "2026-12-08T10:47:39.Z",
            "+026-12-08T10:47:39Z",
            "2026-12-08T10:47:39Zjunk",
            "Dec  8 10:47:39 2026 GMT",
        ] {
            assert_eq!(rfc3339_unix(bad), None, "{bad}");
        }
    }
}
