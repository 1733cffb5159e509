//! Verdicts: pure functions from observations to findings. No I/O.

use std::fmt;
use std::net::IpAddr;

use crate::model::{Observation, Phase, Security, State, TlsFacts, WrongMode};

/// How bad a finding is. Any `Error` makes the exit code 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Something is broken or unsafe; sending will fail or is at risk.
    Error,
    /// Works, but is fragile, outdated or unusual.
    Warning,
    /// Worth knowing; nothing to fix.
    Info,
}

impl Severity {
    /// The name used in JSON and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One judgement: what was seen, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Stable dotted id, e.g. `cert.expired`.
    pub id: &'static str,
    /// How bad.
    pub severity: Severity,
    /// `host:port` the finding is about, `None` for the whole run.
    pub endpoint: Option<String>,
    /// The address of that endpoint (a host may have several).
    pub ip: Option<IpAddr>,
    /// One sentence: what was seen.
    pub message: String,
    /// One sentence: what to do.
    pub advice: String,
}

/// Days of certificate validity left below which `cert.expiring_soon` is raised.
pub const EXPIRY_WARNING_DAYS: i64 = 21;

/// OpenSSL's X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT.
const DEPTH_ZERO_SELF_SIGNED: i32 = 18;
/// OpenSSL's X509_V_ERR_CERT_NOT_YET_VALID and X509_V_ERR_CERT_HAS_EXPIRED.
const NOT_YET_VALID: i32 = 9;
const EXPIRED: i32 = 10;

/// Ports where a mail client submits mail (RFC 6409, RFC 8314, common alternatives); on these
/// missing STARTTLS is an error and AUTH in clear text is a warning.
fn is_submission_port(port: u16) -> bool {
    port != 25
}

/// All findings for a run's observations, endpoint by endpoint, in order.
pub fn judge(observations: &[Observation]) -> Vec<Finding> {
    observations.iter().flat_map(judge_endpoint).collect()
}

/// Findings for one endpoint.
pub fn judge_endpoint(obs: &Observation) -> Vec<Finding> {
    let mut out = Findings {
        obs,
        list: Vec::new(),
    };
    connection(&mut out);
    dialogue(&mut out);
    if let Some(tls) = &obs.tls {
        tls_version(&mut out, tls);
        certificate(&mut out, tls);
    }
    out.list
}

struct Findings<'a> {
    obs: &'a Observation,
    list: Vec<Finding>,
}

impl Findings<'_> {
    fn add(&mut self, id: &'static str, severity: Severity, message: String, advice: &str) {
        self.list.push(Finding {
            id,
            severity,
            endpoint: Some(self.obs.endpoint.label()),
            ip: Some(self.obs.endpoint.ip),
            message,
            advice: advice.to_string(),
        });
    }
}

/// How far the connection got: refused, silent, unreachable, not SMTP, wrong TLS mode.
fn connection(out: &mut Findings<'_>) {
    let obs = out.obs;
    let addr = obs.endpoint.address_label();
    let port = obs.endpoint.port;
    let error = obs.error.as_ref();
    let phase = error.map(|e| e.phase);
    let detail = error.map(|e| e.message.as_str()).unwrap_or("");

    if let Some(mode) = obs.wrong_mode {
        let (message, advice) = match mode {
            WrongMode::ImplicitTlsOnStarttlsPort => (
                format!(
                    "Port {port} at {addr} does not greet in plain text but answers a TLS handshake: it speaks implicit TLS (SSL/TLS), not STARTTLS."
                ),
                "Set the client's security to SSL/TLS (implicit TLS) for this port, or use the port the provider documents for STARTTLS (usually 587).",
            ),
            WrongMode::PlainOnTlsPort => (
                format!(
                    "Port {port} at {addr} greets in plain text instead of starting TLS: it expects STARTTLS or plain SMTP, not implicit TLS."
                ),
                "Set the client's security to STARTTLS for this port, or use the provider's implicit-TLS port (usually 465).",
            ),
        };
        out.add("tls.wrong_mode", Severity::Error, message, advice);
        return;
    }
    if let Some(what) = &obs.not_smtp {
        out.add(
            "smtp.not_smtp",
            Severity::Error,
            format!("Port {port} at {addr} is answered by {what}, not by a mail server."),
            "Check the host name and port in the client's settings; the usual SMTP ports are 587 (STARTTLS), 465 (implicit TLS) and 25 (server to server).",
        );
        return;
    }
    match (obs.state, phase) {
        (State::Skipped, _) => out.add(
            "port.skipped",
            Severity::Info,
            format!("{addr} was not probed: {detail}."),
            "Nothing to fix on the server; probe from a network with this address family, or use -4 / -6 to leave it out.",
        ),
        (State::Refused, _) => out.add(
            "port.refused",
            Severity::Error,
            format!("The connection to {addr} was refused: nothing listens on port {port}, or a firewall rejects it."),
            "Check that the server offers this port; if it should, check the server's service and firewall. Otherwise use a port the provider documents.",
        ),
        (State::Timeout, Some(Phase::Connect)) => out.add(
            "port.timeout",
            Severity::Error,
            format!("No answer from {addr}: {detail}."),
            "A firewall drops the packets on the way (often an ISP or network blocking outbound port 25), or the host is down; try port 587 or 465, or another network.",
        ),
        (State::Unreachable, _) => out.add(
            "port.unreachable",
            Severity::Error,
            format!("{addr} cannot be reached: {detail}."),
            "A router or firewall refuses the path to this host and port; check the network's firewall rules or try another network.",
        ),
        (State::Timeout, Some(Phase::Banner)) => out.add(
            "smtp.no_banner",
            Severity::Error,
            format!("{addr} accepted the connection but sent no greeting: {detail}."),
            "The server may be overloaded, or something in the path holds the connection (a proxy or firewall); if it is yours, check the mail server's logs and its DNS (slow reverse look-ups delay greetings).",
        ),
        (State::Timeout, Some(p)) => out.add(
            "smtp.timeout",
            Severity::Error,
            format!("{addr} stopped answering during {p}: {detail}."),
            "Retry later; if it persists, the server or something in the path (a proxy, an antivirus) stalls the dialogue.",
        ),
        (State::Closed, Some(p)) => out.add(
            "smtp.closed",
            Severity::Error,
            format!("{addr} closed the connection during {p}: {detail}."),
            "The server may limit connections or dislike this client's address; check its logs, or whether the address is on a block list.",
        ),
        (State::ProtocolError, Some(p)) => out.add(
            "smtp.protocol_error",
            Severity::Error,
            format!("{addr} broke the SMTP protocol during {p}: {detail}."),
            "This is not a working SMTP server, or something in the path rewrites the traffic; check the host and port.",
        ),
        (State::Rejected, Some(Phase::Banner)) => out.add(
            "smtp.greeting_refused",
            Severity::Error,
            format!("{addr} refused the session: {detail}."),
            "Read the server's reason: it often names a block list, a rate limit or an access rule; from another address or later it may work.",
        ),
        (State::Rejected, _) => out.add(
            "smtp.ehlo_refused",
            Severity::Error,
            format!("{addr} refused the client's greeting: {detail}."),
            "Set a fully qualified host name for the client (--ehlo NAME); some servers refuse address literals or unknown names.",
        ),
        (State::TlsError, _) => out.add(
            "tls.handshake_failed",
            Severity::Error,
            format!("The TLS handshake with {addr} failed: {detail}."),
            "The server and this client share no protocol version or cipher, or the server's TLS setup is broken; check its certificate and key and the TLS versions it allows.",
        ),
        _ => {}
    }
}

/// What the dialogue showed: HELO only, STARTTLS missing or refused, injection, AUTH in clear.
fn dialogue(out: &mut Findings<'_>) {
    let obs = out.obs;
    let addr = obs.endpoint.address_label();
    let port = obs.endpoint.port;
    if obs.wrong_mode.is_some() {
        return;
    }
    if let Some(ehlo) = &obs.ehlo {
        if ehlo.helo {
            out.add(
                "smtp.helo_only",
                Severity::Warning,
                format!("{addr} refused EHLO and accepted only HELO: it offers no SMTP extensions (no STARTTLS, no AUTH, no SIZE)."),
                "Use a server that supports ESMTP; without EHLO there is no encryption and no authentication.",
            );
        }
        if !ehlo.helo
            && ehlo.has("AUTH")
            && is_submission_port(port)
            && obs.endpoint.security != Security::ImplicitTls
        {
            out.add(
                "auth.before_tls",
                Severity::Warning,
                format!("{addr} offers AUTH ({}) before TLS: a client could send its password in clear text.", ehlo.auth_mechanisms().join(" ")),
                "Server side: offer AUTH only after STARTTLS (Postfix: smtpd_tls_auth_only = yes). Client side: always enable STARTTLS.",
            );
        }
    }
    let Some(starttls) = &obs.starttls else {
        return;
    };
    if obs.endpoint.security == Security::Starttls && !starttls.offered && starttls.reply.is_none()
    {
        let severity = if is_submission_port(port) {
            Severity::Error
        } else {
            Severity::Warning
        };
        out.add(
            "starttls.missing",
            severity,
            format!("{addr} does not offer STARTTLS: mail and passwords on this port would travel unencrypted."),
            if is_submission_port(port) {
                "Use the provider's TLS port (587 with STARTTLS or 465 with implicit TLS); if this is your server, enable STARTTLS. If the provider does offer it, something on the path strips it."
            } else {
                "Enable STARTTLS on the server (it needs a certificate); other servers may refuse or downgrade mail that cannot be encrypted."
            },
        );
    }
    if let Some(reply) = &starttls.reply
        && reply.code != 220
    {
        out.add(
            "starttls.refused",
            Severity::Error,
            format!("{addr} answered STARTTLS with {reply}."),
            "The server's TLS is broken or temporarily unavailable (often a missing or unreadable certificate or key); check its TLS configuration and logs.",
        );
    }
    if !starttls.injected.is_empty() {
        out.add(
            "starttls.injection",
            Severity::Error,
            format!("{addr} sent {} bytes after its STARTTLS reply and before TLS started; they were discarded.", starttls.injected.len()),
            "Something injects plain-text data before the encryption starts (a broken server or a machine in the middle); do not trust this path until it is fixed.",
        );
    }
}

fn tls_version(out: &mut Findings<'_>, tls: &TlsFacts) {
    if matches!(
        tls.version.as_str(),
        "TLSv1" | "TLSv1.1" | "SSLv3" | "SSLv2"
    ) {
        let addr = out.obs.endpoint.address_label();
        out.add(
            "tls.legacy_version",
            Severity::Error,
            format!("{addr} negotiated {}, an outdated protocol (RFC 8996 deprecates TLS 1.0 and 1.1).", tls.version),
            "Enable TLS 1.2 or 1.3 on the server; current clients and providers refuse older versions.",
        );
    }
}

fn certificate(out: &mut Findings<'_>, tls: &TlsFacts) {
    let addr = out.obs.endpoint.address_label();
    let v = &tls.verification;
    let Some(leaf) = tls.chain.first() else {
        out.add(
            "cert.untrusted",
            Severity::Error,
            format!("{addr} presented no certificate."),
            "Configure a certificate for the server's host name (for example from Let's Encrypt).",
        );
        return;
    };
    let self_signed = v.errors.iter().any(|e| e.code == DEPTH_ZERO_SELF_SIGNED);
    if self_signed {
        out.add(
            "cert.self_signed",
            Severity::Error,
            format!("{addr} presented a self-signed certificate ({}).", leaf.subject),
            "Install a certificate from a public CA (for example Let's Encrypt); clients that verify will refuse this one.",
        );
    } else if !v.trusted {
        let reason = v
            .errors
            .iter()
            .find(|e| !matches!(e.code, 9 | 10 | 62..=64))
            .map(|e| e.message.as_str())
            .unwrap_or("it does not chain to a trusted root");
        out.add(
            "cert.untrusted",
            Severity::Error,
            format!("The certificate of {addr} is not trusted: {reason} (issuer {}).", leaf.issuer),
            "Send the full chain (leaf plus intermediates) from a public CA; if a private CA is intended, pass it with --ca-file. An unexpected issuer can mean something intercepts the connection.",
        );
    }
    for error in v.errors.iter().filter(|e| e.code == EXPIRED) {
        let cert = tls.chain.get(error.depth as usize).unwrap_or(leaf);
        out.add(
            "cert.expired",
            Severity::Error,
            format!("The certificate of {addr} (depth {}, {}) expired on {}.", error.depth, cert.subject, cert.not_after),
            "Renew the certificate and reload the mail server; check that automatic renewal also reloads it.",
        );
    }
    for error in v.errors.iter().filter(|e| e.code == NOT_YET_VALID) {
        let cert = tls.chain.get(error.depth as usize).unwrap_or(leaf);
        out.add(
            "cert.not_yet_valid",
            Severity::Error,
            format!("The certificate of {addr} (depth {}, {}) is not valid before {}.", error.depth, cert.subject, cert.not_before),
            "Check the clocks of the server and of this machine; if both are right, the certificate was issued with a future start date.",
        );
    }
    if (0..EXPIRY_WARNING_DAYS).contains(&leaf.days_left) {
        out.add(
            "cert.expiring_soon",
            Severity::Warning,
            format!(
                "The certificate of {addr} expires in {} days ({}).",
                leaf.days_left, leaf.not_after
            ),
            "Renew it now, and check that automatic renewal works and reloads the mail server.",
        );
    }
    match (v.hostname_match, &v.checked_name) {
        (Some(false), Some(name)) => out.add(
            "cert.name_mismatch",
            Severity::Error,
            format!(
                "The certificate of {addr} does not name {name}; it names {}.",
                if leaf.san.is_empty() { leaf.subject.clone() } else { leaf.san.join(", ") }
            ),
            "Use a host name the certificate names in the client's settings, or install a certificate that covers this name.",
        ),
        (None, _) => out.add(
            "cert.name_not_checked",
            Severity::Info,
            format!("The certificate of {addr} was not checked against a host name, because the target is an address."),
            "Give the name clients use with --servername NAME to check it.",
        ),
        _ => {}
    }
}
