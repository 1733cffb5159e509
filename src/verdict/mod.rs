//! Verdicts: pure functions from observations to findings. No I/O.

pub mod auth;
pub mod config;
pub mod dane;
pub mod dns;
pub mod id;
pub mod monitor;
pub mod network;
pub mod provider;
pub mod recommend;
pub mod smtputf8;
pub mod sts;
pub mod weight;

pub use id::FindingId;

use std::fmt;
use std::net::IpAddr;

use crate::model::{Observation, Phase, Security, State, TlsFacts, Verification, WrongMode};

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
    /// What it is about; its dotted id (`cert.expired`) is stable.
    pub id: FindingId,
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
/// OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_EMAIL_MISMATCH and
/// X509_V_ERR_IP_ADDRESS_MISMATCH: the name check, judged as `cert.name_mismatch`.
const NAME_MISMATCHES: std::ops::RangeInclusive<i32> = 62..=64;

/// Why a chain is not trusted, in OpenSSL's words: its first error that is not about dates or
/// the name (those have findings of their own).
fn untrusted_reason(v: &Verification) -> &str {
    v.errors
        .iter()
        .find(|e| {
            e.code != NOT_YET_VALID && e.code != EXPIRED && !NAME_MISMATCHES.contains(&e.code)
        })
        .map_or("it does not chain to a trusted root", |e| {
            e.message.as_str()
        })
}

/// Ports where a mail client submits mail (RFC 6409, RFC 8314, common alternatives); on these
/// missing STARTTLS is an error and AUTH in clear text is a warning.
fn is_submission_port(port: u16) -> bool {
    port != 25
}

/// All findings for a run's observations, endpoint by endpoint, in order.
pub fn judge(observations: &[Observation]) -> Vec<Finding> {
    let mut findings: Vec<Finding> = observations.iter().flat_map(judge_endpoint).collect();
    // Skipped endpoints are not the server's fault; but a run that could probe nothing has
    // checked nothing, and must not pass as healthy.
    if !observations.is_empty() && observations.iter().all(|o| o.state == State::Skipped) {
        findings.push(Finding {
            id: FindingId::NetworkNoRoute,
            severity: Severity::Error,
            endpoint: None,
            ip: None,
            message: "Nothing was probed: this machine has no route to any address of the target."
                .to_string(),
            advice: "Check this machine's network connection (is it online, does it have IPv6 if the target is IPv6-only?).".to_string(),
        });
    }
    findings
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
    fn add(&mut self, id: FindingId, severity: Severity, message: String, advice: &str) {
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

/// A step the run's own deadline (`--max-time`) ended: said as such, not blamed on the server.
fn run_deadline(out: &mut Findings<'_>, phase: Option<Phase>, detail: &str) {
    let addr = out.obs.endpoint.describe();
    let id = match phase {
        Some(Phase::Connect) => FindingId::PortTimeout,
        Some(Phase::Banner) => FindingId::SmtpNoBanner,
        _ => FindingId::SmtpTimeout,
    };
    let step = phase.map_or_else(|| "the probe".to_string(), |p| p.to_string());
    out.add(
        id,
        Severity::Error,
        format!(
            "The run's deadline ended the wait for {addr} during {step}, not the server: {detail}. It had not answered yet, which says nothing about whether it would have."
        ),
        "Give the run more time with --max-time (or probe fewer ports), then check again.",
    );
}

/// Text to end a sentence with: without its own final full stops and spaces, since the
/// sentence adds one (a server's "Logged in." quoted in a finding would read "Logged in..").
pub(crate) fn clause(text: &str) -> &str {
    text.trim_end_matches(|c: char| c == '.' || c.is_whitespace())
}

/// What to do about a failed handshake, by the TLS alert the server sent (RFC 8446 section 6.2
/// says what each means) or what OpenSSL saw; OpenSSL names an alert as `tlsv1 alert internal
/// error`, `sslv3 alert handshake failure`, ...
fn tls_failure_advice(detail: &str) -> &'static str {
    let d = detail.to_ascii_lowercase();
    let has = |s: &str| d.contains(s);
    if has("internal error") {
        "The server failed on its own side (TLS alert internal_error): usually its certificate or key cannot be loaded or do not match. If it is yours, check the mail server's TLS certificate and key files and its log."
    } else if has("protocol version") || has("unsupported protocol") {
        "The server and this client share no TLS version (alert protocol_version): the server offers only versions the client refuses, or the other way round. Servers should offer TLS 1.2 and 1.3."
    } else if has("handshake failure") || has("insufficient security") || has("no shared cipher") {
        "The server and this client could not agree on a cipher or key exchange (alert handshake_failure or insufficient_security): the server's cipher list or certificate type is too narrow or too old. Offer the modern TLS 1.2 and 1.3 suites."
    } else if has("unrecognized name") {
        "The server has no certificate for the name this client asked for (SNI, alert unrecognized_name): use the host name the server is configured for, or give --servername NAME."
    } else if has("certificate required") || has("unknown ca") || has("bad certificate") {
        "The server wants a client certificate, or refused the one offered (alert certificate_required, unknown_ca or bad_certificate): this port is for clients with certificates; mail clients use 587 or 465 with a password."
    } else if has("access denied") {
        "The server refused this client at the TLS layer (alert access_denied): an access rule on the server, or something in the path, turns this address away."
    } else if has("wrong version number") || has("packet length too long") || has("not tls") {
        "What answered is not speaking TLS: check the port and the TLS mode (STARTTLS on 587 and 25, implicit TLS on 465), and whether something in the path (a proxy, an antivirus) answers instead."
    } else if has("closed") || has("reset") || has("eof") {
        "The server hung up during the handshake: its TLS set-up may be broken (no certificate configured for this port), or it refuses this client; check the mail server's log."
    } else {
        "The server and this client could not complete TLS; check the server's certificate and key, the TLS versions and ciphers it allows, and its log."
    }
}

/// A greeting slower than this is a warning: applications commonly give up after 5 to 10 s.
pub const SLOW_GREETING: std::time::Duration = std::time::Duration::from_secs(5);

/// RSA keys shorter than this are refused at OpenSSL security level 2, the default of Debian
/// and Ubuntu (and of many clients built on them).
const RSA_LEVEL_2_BITS: u32 = 2048;

/// Weak keys and signatures in the chain as sent. A self-signed certificate at the end of the
/// chain is a trust anchor: its own signature is not checked by clients, so its digest does
/// not count (its key does).
fn weak_chain(out: &mut Findings<'_>, tls: &TlsFacts) {
    let addr = out.obs.endpoint.describe();
    let last = tls.chain.len().saturating_sub(1);
    for (depth, cert) in tls.chain.iter().enumerate() {
        if let Some(bits) = cert.rsa_bits.filter(|b| *b < RSA_LEVEL_2_BITS) {
            out.add(
                FindingId::CertWeakKey,
                Severity::Error,
                format!(
                    "The certificate of {addr} (depth {depth}, {}) has an RSA key of {bits} bits: clients at OpenSSL security level 2 (the default on Debian and Ubuntu) refuse keys under 2048 bits{}.",
                    cert.subject,
                    if bits < 1024 { ", and every current client refuses it" } else { "" }
                ),
                "Issue a new certificate with an RSA key of 2048 bits or more (or an EC P-256 key).",
            );
        }
        let anchor = depth == last && depth > 0 && cert.self_issued;
        let weak = cert
            .signature_digest
            .as_deref()
            .filter(|d| matches!(*d, "MD2" | "MD5" | "SHA-1"));
        if let (Some(digest), false) = (weak, anchor) {
            out.add(
                FindingId::CertWeakSignature,
                Severity::Error,
                format!(
                    "The certificate of {addr} (depth {depth}, {}) is signed with {digest} ({}): OpenSSL 3 at its default security level 1 refuses SHA-1 signatures, and every current client refuses MD5.",
                    cert.subject, cert.signature_algorithm
                ),
                "Have the certificate (and any intermediate signed this way) reissued with a SHA-256 signature.",
            );
        }
    }
}

/// How far the connection got: refused, silent, unreachable, not SMTP, wrong TLS mode.
#[expect(
    clippy::too_many_lines,
    reason = "a rule table: one arm per way a connection can end"
)]
fn connection(out: &mut Findings<'_>) {
    let obs = out.obs;
    let addr = obs.endpoint.describe();
    let port = obs.endpoint.port;
    let error = obs.error.as_ref();
    let phase = error.map(|e| e.phase);
    let detail = error.map_or("", |e| clause(&e.message));

    if obs.state == State::Timeout && error.is_some_and(|e| e.run_deadline) {
        run_deadline(out, phase, detail);
        return;
    }
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
        out.add(FindingId::TlsWrongMode, Severity::Error, message, advice);
        return;
    }
    if let Some(what) = &obs.not_smtp {
        out.add(
            FindingId::SmtpNotSmtp,
            Severity::Error,
            format!("Port {port} at {addr} is answered by {what}, not by a mail server."),
            "Check the host name and port in the client's settings; the usual SMTP ports are 587 (STARTTLS), 465 (implicit TLS) and 25 (server to server).",
        );
        return;
    }
    match (obs.state, phase) {
        (State::Skipped, _) => out.add(
            FindingId::PortSkipped,
            Severity::Info,
            format!("{addr} was not probed: {detail}."),
            "Nothing to fix on the server; probe from a network with this address family, or use -4 / -6 to leave it out.",
        ),
        (State::Refused, _) => out.add(
            FindingId::PortRefused,
            Severity::Error,
            format!("The connection to {addr} was refused: nothing listens on port {port}, or a firewall rejects it."),
            "Check that the server offers this port; if it should, check the server's service and firewall. Otherwise use a port the provider documents.",
        ),
        (State::Timeout, Some(Phase::Connect)) => out.add(
            FindingId::PortTimeout,
            Severity::Error,
            format!("No answer from {addr}: {detail}."),
            "A firewall drops the packets on the way (often an ISP or network blocking outbound port 25), or the host is down; try port 587 or 465, or another network.",
        ),
        (State::Unreachable, _) => out.add(
            FindingId::PortUnreachable,
            Severity::Error,
            format!("{addr} cannot be reached: {detail}."),
            "A router or firewall refuses the path to this host and port; check the network's firewall rules or try another network.",
        ),
        (State::Timeout, Some(Phase::Banner)) => out.add(
            FindingId::SmtpNoBanner,
            Severity::Error,
            format!("{addr} accepted the connection but sent no greeting: {detail}."),
            "The server may be overloaded, or something in the path holds the connection (a proxy or firewall); if it is yours, check the mail server's logs and its DNS (slow reverse look-ups delay greetings).",
        ),
        (State::Timeout, Some(p)) => out.add(
            FindingId::SmtpTimeout,
            Severity::Error,
            format!("{addr} stopped answering during {p}: {detail}."),
            "Retry later; if it persists, the server or something in the path (a proxy, an antivirus) stalls the dialogue.",
        ),
        (State::Closed, Some(p)) => out.add(
            FindingId::SmtpClosed,
            Severity::Error,
            format!("{addr} closed the connection during {p}: {detail}."),
            "The server may limit connections or dislike this client's address; check its logs, or whether the address is on a block list.",
        ),
        (State::ProtocolError, Some(p)) => out.add(
            FindingId::SmtpProtocolError,
            Severity::Error,
            format!("{addr} broke the SMTP protocol during {p}: {detail}."),
            "This is not a working SMTP server, or something in the path rewrites the traffic; check the host and port.",
        ),
        (State::Rejected, Some(Phase::Banner)) => out.add(
            FindingId::SmtpGreetingRefused,
            Severity::Error,
            format!("{addr} refused the session: {detail}."),
            "Read the server's reason: it often names a block list, a rate limit or an access rule; from another address or later it may work.",
        ),
        (State::Rejected, _) => out.add(
            FindingId::SmtpEhloRefused,
            Severity::Error,
            format!("{addr} refused the client's greeting: {detail}."),
            "Set a fully qualified host name for the client (--ehlo NAME); some servers refuse address literals or unknown names.",
        ),
        (State::TlsError, _) => out.add(
            FindingId::TlsHandshakeFailed,
            Severity::Error,
            format!("The TLS handshake with {addr} failed: {detail}."),
            tls_failure_advice(detail),
        ),
        _ => {}
    }
}

/// How the greeting came: slowly, or with replies nobody asked for.
fn greeting(out: &mut Findings<'_>) {
    let obs = out.obs;
    let addr = obs.endpoint.describe();
    if let Some(waited) = obs.timings.banner.filter(|t| *t >= SLOW_GREETING)
        && obs.banner.is_some()
    {
        out.add(
            FindingId::SmtpSlowGreeting,
            Severity::Warning,
            format!(
                "{addr} took {:.1} s to greet: clients with a shorter greeting timeout give up before it answers.",
                waited.as_secs_f64()
            ),
            "Common client defaults: nodemailer waits 30 s for the greeting, .NET's SmtpClient 100 s in all, and many applications set 5 to 10 s. If the server is yours, look for slow reverse DNS or block-list look-ups at connect, or a deliberate greeting delay (Postfix postscreen_greet_wait, a tarpit).",
        );
    }
    if !obs.unsolicited.is_empty() {
        out.add(
            FindingId::SmtpUnsolicitedReply,
            Severity::Warning,
            format!(
                "{addr} sent {} bytes of replies nobody asked for, with or right after its greeting and before the client spoke; they were discarded.",
                obs.unsolicited.len()
            ),
            "Clients that read one reply per command get out of step with this server and misread its answers; if it is yours, check for a proxy, a banner script or a greeting with a stray line end.",
        );
    }
}

/// What the dialogue showed: HELO only, STARTTLS missing or refused, injection, AUTH in clear.
fn dialogue(out: &mut Findings<'_>) {
    let obs = out.obs;
    let addr = obs.endpoint.describe();
    let port = obs.endpoint.port;
    if obs.wrong_mode.is_some() {
        return;
    }
    greeting(out);
    if let Some(ehlo) = &obs.ehlo {
        if ehlo.helo {
            out.add(
                FindingId::SmtpHeloOnly,
                Severity::Warning,
                format!("{addr} refused EHLO and accepted only HELO: it offers no SMTP extensions (no STARTTLS, no AUTH, no SIZE)."),
                "Use a server that supports ESMTP; without EHLO there is no encryption and no authentication.",
            );
        }
        // `AUTH` with no mechanism (Dovecot before TLS) offers nothing to send a password with.
        if !ehlo.helo
            && !ehlo.auth_mechanisms().is_empty()
            && is_submission_port(port)
            && obs.endpoint.security != Security::ImplicitTls
        {
            out.add(
                FindingId::AuthBeforeTls,
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
            FindingId::StarttlsMissing,
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
            FindingId::StarttlsRefused,
            Severity::Error,
            format!("{addr} answered STARTTLS with {}.", clause(&reply.to_string())),
            "The server's TLS is broken or temporarily unavailable (often a missing or unreadable certificate or key); check its TLS configuration and logs.",
        );
    }
    if !starttls.injected.is_empty() {
        out.add(
            FindingId::StarttlsInjection,
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
        let addr = out.obs.endpoint.describe();
        out.add(
            FindingId::TlsLegacyVersion,
            Severity::Error,
            format!("{addr} negotiated {}, an outdated protocol (RFC 8996 deprecates TLS 1.0 and 1.1).", tls.version),
            "Enable TLS 1.2 or 1.3 on the server; current clients and providers refuse older versions.",
        );
    }
}

fn certificate(out: &mut Findings<'_>, tls: &TlsFacts) {
    let addr = out.obs.endpoint.describe();
    let v = &tls.verification;
    let Some(leaf) = tls.chain.first() else {
        out.add(
            FindingId::CertUntrusted,
            Severity::Error,
            format!("{addr} presented no certificate."),
            "Configure a certificate for the server's host name (for example from Let's Encrypt).",
        );
        return;
    };
    let self_signed = v.errors.iter().any(|e| e.code == DEPTH_ZERO_SELF_SIGNED);
    if self_signed {
        out.add(
            FindingId::CertSelfSigned,
            Severity::Error,
            format!("{addr} presented a self-signed certificate ({}).", leaf.subject),
            "Install a certificate from a public CA (for example Let's Encrypt); clients that verify will refuse this one.",
        );
    } else if !v.trusted {
        let reason = untrusted_reason(v);
        out.add(
            FindingId::CertUntrusted,
            Severity::Error,
            format!("The certificate of {addr} is not trusted: {reason} (issuer {}).", leaf.issuer),
            "Send the full chain (leaf plus intermediates) from a public CA; if a private CA is intended, pass it with --ca-file. An unexpected issuer can mean something intercepts the connection.",
        );
    }
    for error in v.errors.iter().filter(|e| e.code == EXPIRED) {
        let cert = tls.chain.get(error.depth as usize).unwrap_or(leaf);
        out.add(
            FindingId::CertExpired,
            Severity::Error,
            format!("The certificate of {addr} (depth {}, {}) expired on {}.", error.depth, cert.subject, cert.not_after),
            "Renew the certificate and reload the mail server; check that automatic renewal also reloads it.",
        );
    }
    for error in v.errors.iter().filter(|e| e.code == NOT_YET_VALID) {
        let cert = tls.chain.get(error.depth as usize).unwrap_or(leaf);
        out.add(
            FindingId::CertNotYetValid,
            Severity::Error,
            format!("The certificate of {addr} (depth {}, {}) is not valid before {}.", error.depth, cert.subject, cert.not_before),
            "Check the clocks of the server and of this machine; if both are right, the certificate was issued with a future start date.",
        );
    }
    weak_chain(out, tls);
    if (0..EXPIRY_WARNING_DAYS).contains(&leaf.days_left) {
        out.add(
            FindingId::CertExpiringSoon,
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
            FindingId::CertNameMismatch,
            Severity::Error,
            format!(
                "The certificate of {addr} does not name {name}; it names {}.",
                if leaf.san.is_empty() { leaf.subject.clone() } else { leaf.san.join(", ") }
            ),
            "Use a host name the certificate names in the client's settings, or install a certificate that covers this name.",
        ),
        (None, _) => out.add(
            FindingId::CertNameNotChecked,
            Severity::Info,
            format!("The certificate of {addr} was not checked against a host name, because the target is an address."),
            "Give the name clients use with --servername NAME to check it.",
        ),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        CertFacts, Endpoint, PhaseError, StarttlsObservation, Verification, VerifyError,
    };
    use crate::smtp::{Ehlo, Keyword, Reply};

    fn endpoint(port: u16, security: Security) -> Endpoint {
        Endpoint {
            host: "mail.test".into(),
            ip: "192.0.2.1".parse().unwrap(),
            port,
            security,
        }
    }

    fn ehlo(keywords: &[&str]) -> Ehlo {
        Ehlo {
            code: 250,
            domain: "mail.test".into(),
            greeting: String::new(),
            keywords: keywords
                .iter()
                .map(|k| {
                    let mut words = k.split_whitespace();
                    Keyword {
                        name: words.next().unwrap_or_default().to_string(),
                        params: words.map(str::to_string).collect(),
                    }
                })
                .collect(),
            lines: Vec::new(),
            helo: false,
        }
    }

    fn reply(code: u16, text: &str) -> Reply {
        Reply {
            code,
            enhanced: None,
            lines: vec![text.to_string()],
        }
    }

    fn cert(days_left: i64) -> CertFacts {
        CertFacts {
            subject: "CN=mail.test".into(),
            issuer: "CN=Test CA".into(),
            san: vec!["mail.test".into()],
            not_before: "2026-01-01T00:00:00Z".into(),
            not_after: "2027-01-01T00:00:00Z".into(),
            days_left,
            not_yet_valid_secs: -86400,
            key: "EC P-256".into(),
            signature_algorithm: "ecdsa-with-SHA256".into(),
            rsa_bits: None,
            signature_digest: Some("SHA-256".into()),
            serial: "01".into(),
            sha256: "00".into(),
            self_issued: false,
            is_ca: false,
            digests: Default::default(),
        }
    }

    fn tls(version: &str, days_left: i64, errors: &[i32], name_match: Option<bool>) -> TlsFacts {
        let errors: Vec<VerifyError> = errors
            .iter()
            .map(|&code| VerifyError {
                depth: 0,
                code,
                message: format!("error {code}"),
            })
            .collect();
        let trusted = errors.iter().all(|e| matches!(e.code, 9 | 10 | 62..=64));
        TlsFacts {
            version: version.into(),
            cipher: "TLS_AES_128_GCM_SHA256".into(),
            key_exchange: Some("X25519".into()),
            chain: vec![cert(days_left)],
            verification: Verification {
                trusted,
                hostname_match: name_match,
                checked_name: name_match.map(|_| "mail.test".to_string()),
                errors,
            },
        }
    }

    /// A healthy STARTTLS submission endpoint.
    fn healthy(port: u16) -> Observation {
        let mut o = Observation::new(endpoint(port, Security::Starttls));
        o.banner = Some(reply(220, "mail.test ESMTP"));
        o.ehlo = Some(ehlo(&["PIPELINING", "SIZE 10240000", "STARTTLS"]));
        o.starttls = Some(StarttlsObservation {
            offered: true,
            reply: Some(reply(220, "2.0.0 Ready to start TLS")),
            injected: Vec::new(),
        });
        o.tls = Some(tls("TLSv1.3", 200, &[], Some(true)));
        o.ehlo_tls = Some(ehlo(&["PIPELINING", "AUTH PLAIN LOGIN"]));
        o
    }

    fn failed(state: State, phase: Phase) -> Observation {
        let mut o = Observation::new(endpoint(587, Security::Starttls));
        o.state = state;
        o.error = Some(PhaseError {
            phase,
            message: "details".into(),
            run_deadline: false,
        });
        o
    }

    fn ids(o: &Observation) -> Vec<(&'static str, Severity)> {
        judge_endpoint(o)
            .into_iter()
            .map(|f| (f.id.as_str(), f.severity))
            .collect()
    }

    #[test]
    fn healthy_endpoints_have_no_findings() {
        assert_eq!(ids(&healthy(587)), vec![]);
        assert_eq!(ids(&healthy(25)), vec![]);
        let mut implicit = Observation::new(endpoint(465, Security::ImplicitTls));
        implicit.banner = Some(reply(220, "mail.test ESMTP"));
        implicit.tls = Some(tls("TLSv1.2", 90, &[], Some(true)));
        implicit.ehlo_tls = Some(ehlo(&["AUTH PLAIN"]));
        assert_eq!(ids(&implicit), vec![]);
    }

    #[test]
    fn connection_states() {
        use Severity::*;
        let cases = [
            (State::Refused, Phase::Connect, "port.refused", Error),
            (State::Timeout, Phase::Connect, "port.timeout", Error),
            (
                State::Unreachable,
                Phase::Connect,
                "port.unreachable",
                Error,
            ),
            (State::Skipped, Phase::Connect, "port.skipped", Info),
            (State::Timeout, Phase::Banner, "smtp.no_banner", Error),
            (State::Timeout, Phase::Ehlo, "smtp.timeout", Error),
            (State::Closed, Phase::Ehlo, "smtp.closed", Error),
            (
                State::ProtocolError,
                Phase::Ehlo,
                "smtp.protocol_error",
                Error,
            ),
            (
                State::Rejected,
                Phase::Banner,
                "smtp.greeting_refused",
                Error,
            ),
            (State::Rejected, Phase::Ehlo, "smtp.ehlo_refused", Error),
            (State::TlsError, Phase::Tls, "tls.handshake_failed", Error),
        ];
        for (state, phase, id, severity) in cases {
            assert_eq!(
                ids(&failed(state, phase)),
                vec![(id, severity)],
                "{state} {phase}"
            );
        }
    }

    #[test]
    fn wrong_mode_and_not_smtp_explain_the_failure_alone() {
        let mut o = failed(State::Timeout, Phase::Banner);
        o.wrong_mode = Some(WrongMode::ImplicitTlsOnStarttlsPort);
        o.tls = Some(tls("TLSv1.3", 200, &[], Some(true)));
        assert_eq!(ids(&o), vec![("tls.wrong_mode", Severity::Error)]);
        let f = judge_endpoint(&o);
        assert!(f[0].message.contains("implicit TLS"), "{}", f[0].message);

        let mut o = failed(State::TlsError, Phase::Tls);
        o.endpoint.security = Security::ImplicitTls;
        o.wrong_mode = Some(WrongMode::PlainOnTlsPort);
        let f = judge_endpoint(&o);
        assert_eq!(f.len(), 1);
        assert!(f[0].advice.contains("STARTTLS"), "{}", f[0].advice);

        let mut o = failed(State::ProtocolError, Phase::Banner);
        o.not_smtp = Some("an SSH server".into());
        let f = judge_endpoint(&o);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].id, "smtp.not_smtp");
        assert!(f[0].message.contains("an SSH server"));
    }

    #[test]
    fn starttls_rules() {
        let mut o = healthy(587);
        o.ehlo = Some(ehlo(&["PIPELINING"]));
        o.starttls = Some(StarttlsObservation {
            offered: false,
            reply: None,
            injected: Vec::new(),
        });
        o.tls = None;
        o.ehlo_tls = None;
        assert_eq!(ids(&o), vec![("starttls.missing", Severity::Error)]);
        o.endpoint.port = 25;
        assert_eq!(ids(&o), vec![("starttls.missing", Severity::Warning)]);
        // Plain mode was asked for: no complaint.
        o.endpoint.security = Security::Plain;
        assert_eq!(ids(&o), vec![]);

        let mut o = healthy(587);
        o.starttls = Some(StarttlsObservation {
            offered: true,
            reply: Some(reply(454, "4.7.0 TLS not available")),
            injected: Vec::new(),
        });
        o.tls = None;
        o.ehlo_tls = None;
        assert_eq!(ids(&o), vec![("starttls.refused", Severity::Error)]);

        let mut o = healthy(587);
        if let Some(s) = o.starttls.as_mut() {
            s.injected = b"250 injected\r\n".to_vec();
        }
        assert_eq!(ids(&o), vec![("starttls.injection", Severity::Error)]);
    }

    #[test]
    fn helo_only_and_auth_in_clear() {
        let mut o = healthy(587);
        let mut helo = ehlo(&[]);
        helo.helo = true;
        o.ehlo = Some(helo);
        o.starttls = Some(StarttlsObservation {
            offered: false,
            reply: None,
            injected: Vec::new(),
        });
        o.tls = None;
        o.ehlo_tls = None;
        assert_eq!(
            ids(&o),
            vec![
                ("smtp.helo_only", Severity::Warning),
                ("starttls.missing", Severity::Error)
            ]
        );

        let mut o = healthy(587);
        o.ehlo = Some(ehlo(&["AUTH LOGIN PLAIN", "STARTTLS"]));
        assert_eq!(ids(&o), vec![("auth.before_tls", Severity::Warning)]);
        // Port 25 is server to server: AUTH there is not a submission concern.
        o.endpoint.port = 25;
        assert_eq!(ids(&o), vec![]);
    }

    #[test]
    fn tls_and_certificate_rules() {
        use Severity::*;
        type Case<'a> = (
            &'a str,
            i64,
            &'a [i32],
            Option<bool>,
            &'a [(&'a str, Severity)],
        );
        let cases: [Case<'_>; 9] = [
            (
                "TLSv1",
                200,
                &[],
                Some(true),
                &[("tls.legacy_version", Error)],
            ),
            (
                "TLSv1.1",
                200,
                &[],
                Some(true),
                &[("tls.legacy_version", Error)],
            ),
            (
                "TLSv1.3",
                200,
                &[18],
                Some(true),
                &[("cert.self_signed", Error)],
            ),
            (
                "TLSv1.3",
                200,
                &[20, 21],
                Some(true),
                &[("cert.untrusted", Error)],
            ),
            ("TLSv1.3", -3, &[10], Some(true), &[("cert.expired", Error)]),
            (
                "TLSv1.3",
                200,
                &[9],
                Some(true),
                &[("cert.not_yet_valid", Error)],
            ),
            (
                "TLSv1.3",
                20,
                &[],
                Some(true),
                &[("cert.expiring_soon", Warning)],
            ),
            (
                "TLSv1.3",
                200,
                &[62],
                Some(false),
                &[("cert.name_mismatch", Error)],
            ),
            (
                "TLSv1.3",
                200,
                &[],
                None,
                &[("cert.name_not_checked", Info)],
            ),
        ];
        for (version, days, errors, name_match, expected) in cases {
            let mut o = healthy(587);
            o.tls = Some(tls(version, days, errors, name_match));
            assert_eq!(ids(&o), expected.to_vec(), "{version} {days} {errors:?}");
        }
        // 21 days left is not "soon".
        let mut o = healthy(587);
        o.tls = Some(tls("TLSv1.3", EXPIRY_WARNING_DAYS, &[], Some(true)));
        assert_eq!(ids(&o), vec![]);
    }

    #[test]
    fn a_run_of_only_skipped_endpoints_is_an_error() {
        let skipped = failed(State::Skipped, Phase::Connect);
        let ids: Vec<_> = judge(&[skipped.clone(), skipped.clone()])
            .into_iter()
            .map(|f| (f.id.as_str(), f.severity))
            .collect();
        assert_eq!(
            ids,
            vec![
                ("port.skipped", Severity::Info),
                ("port.skipped", Severity::Info),
                ("network.no_route", Severity::Error)
            ]
        );
        // One endpoint probed: the skipped one stays information.
        let ids: Vec<_> = judge(&[skipped, healthy(587)])
            .into_iter()
            .map(|f| f.id.as_str())
            .collect();
        assert_eq!(ids, vec!["port.skipped"]);
    }

    #[test]
    fn findings_name_their_endpoint() {
        let f = judge(&[failed(State::Refused, Phase::Connect)]);
        assert_eq!(f[0].endpoint.as_deref(), Some("mail.test:587"));
        assert_eq!(f[0].ip, Some("192.0.2.1".parse().unwrap()));
        assert!(
            f[0].message.contains("mail.test:587 (192.0.2.1)"),
            "{}",
            f[0].message
        );
        let mut by_address = failed(State::Refused, Phase::Connect);
        by_address.endpoint.host = "192.0.2.1".into();
        let f = judge(&[by_address]);
        assert!(
            f[0].message.contains("to 192.0.2.1:587 was"),
            "{}",
            f[0].message
        );
        assert!(!f[0].advice.is_empty());
    }

    #[test]
    fn weak_keys_and_signatures_below_the_root() {
        let mut o = Observation::new(endpoint(465, Security::ImplicitTls));
        let mut facts = tls("TLSv1.3", 90, &[], Some(true));
        let mut leaf = facts.chain[0].clone();
        leaf.rsa_bits = Some(1024);
        leaf.signature_digest = Some("SHA-1".into());
        let mut root = leaf.clone();
        root.self_issued = true;
        root.rsa_bits = Some(4096);
        // A trust anchor's own signature is not checked: MD5 on the root is no finding.
        root.signature_digest = Some("MD5".into());
        facts.chain = vec![leaf, root];
        o.tls = Some(facts);
        o.state = State::Ok;
        let found = judge_endpoint(&o);
        let ids: Vec<&str> = found.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(
            ids.iter().filter(|i| **i == "cert.weak_key").count(),
            1,
            "{found:#?}"
        );
        assert_eq!(
            ids.iter().filter(|i| **i == "cert.weak_signature").count(),
            1,
            "{found:#?}"
        );
        let weak_key = found.iter().find(|f| f.id == "cert.weak_key").unwrap();
        assert_eq!(weak_key.severity, Severity::Error);
        assert!(
            weak_key.message.contains("1024 bits"),
            "{}",
            weak_key.message
        );
        assert!(
            weak_key.message.contains("security level 2"),
            "{}",
            weak_key.message
        );
        let weak_sig = found
            .iter()
            .find(|f| f.id == "cert.weak_signature")
            .unwrap();
        assert!(weak_sig.message.contains("depth 0"), "{}", weak_sig.message);
        assert!(weak_sig.message.contains("SHA-1"), "{}", weak_sig.message);

        // 2048 bits and SHA-256 are fine.
        let mut ok = o.clone();
        if let Some(tls) = &mut ok.tls {
            for cert in &mut tls.chain {
                cert.rsa_bits = Some(2048);
                cert.signature_digest = Some("SHA-256".into());
            }
        }
        assert!(
            judge_endpoint(&ok)
                .iter()
                .all(|f| !f.id.as_str().starts_with("cert.weak")),
        );
    }

    #[test]
    fn a_slow_greeting_is_a_warning() {
        let mut o = healthy(587);
        o.timings.banner = Some(std::time::Duration::from_millis(8200));
        let found = judge_endpoint(&o);
        let slow = found
            .iter()
            .find(|f| f.id == "smtp.slow_greeting")
            .unwrap_or_else(|| panic!("{found:#?}"));
        assert_eq!(slow.severity, Severity::Warning);
        assert!(slow.message.contains("8.2 s"), "{}", slow.message);
        assert!(slow.advice.contains("nodemailer"), "{}", slow.advice);
        o.timings.banner = Some(std::time::Duration::from_millis(4900));
        assert!(
            judge_endpoint(&o)
                .iter()
                .all(|f| f.id != "smtp.slow_greeting")
        );
    }

    #[test]
    fn auth_without_mechanisms_before_tls_is_not_offered_in_clear() {
        let mut o = healthy(587);
        o.ehlo = Some(ehlo(&["AUTH", "STARTTLS"]));
        assert!(judge_endpoint(&o).iter().all(|f| f.id != "auth.before_tls"));
        o.ehlo = Some(ehlo(&["AUTH PLAIN LOGIN", "STARTTLS"]));
        assert!(judge_endpoint(&o).iter().any(|f| f.id == "auth.before_tls"));
    }

    #[test]
    fn unsolicited_replies_are_a_warning() {
        let mut o = healthy(587);
        o.unsolicited = b"250 surprise\r\n".to_vec();
        let found = judge_endpoint(&o);
        let f = found
            .iter()
            .find(|f| f.id == "smtp.unsolicited_reply")
            .unwrap_or_else(|| panic!("{found:#?}"));
        assert_eq!(f.severity, Severity::Warning);
        assert!(f.message.contains("14 bytes"), "{}", f.message);
    }

    #[test]
    fn tls_failures_get_advice_by_their_class() {
        let cases = [
            ("tlsv1 alert internal error", "certificate and key files"),
            ("tlsv1 alert protocol version", "TLS 1.2 and 1.3"),
            ("unsupported protocol", "share no TLS version"),
            ("sslv3 alert handshake failure", "agree on a cipher"),
            ("tlsv1 unrecognized name", "SNI"),
            ("tlsv13 alert certificate required", "client certificate"),
            ("tlsv1 alert access denied", "access rule"),
            ("wrong version number", "not speaking TLS"),
            ("Connection reset by peer (os error 104)", "hung up"),
            ("something new", "could not complete TLS"),
        ];
        for (detail, advice) in cases {
            let mut o = failed(State::TlsError, Phase::Tls);
            if let Some(e) = &mut o.error {
                e.message = format!("TLS handshake failed: {detail}");
            }
            let found = judge_endpoint(&o);
            let f = found
                .iter()
                .find(|f| f.id == "tls.handshake_failed")
                .unwrap_or_else(|| panic!("{detail}: {found:#?}"));
            assert!(f.advice.contains(advice), "{detail}: {}", f.advice);
        }
    }

    #[test]
    fn server_text_ending_in_a_full_stop_gets_no_second_one() {
        let mut o = failed(State::Rejected, Phase::Banner);
        if let Some(e) = &mut o.error {
            e.message = "the server refused the session: 554 No service here.".into();
        }
        let found = judge_endpoint(&o);
        assert!(
            found.iter().all(|f| !f.message.contains("..")),
            "{found:#?}"
        );
        assert!(
            found
                .iter()
                .any(|f| f.message.ends_with("554 No service here.")),
            "{found:#?}"
        );
    }

    #[test]
    fn severities_have_stable_names() {
        assert_eq!(Severity::Error.as_str(), "error");
        assert_eq!(Severity::Warning.as_str(), "warning");
        assert_eq!(Severity::Info.as_str(), "info");
        assert_eq!(Severity::Warning.to_string(), "warning");
    }

    #[test]
    fn the_untrusted_reason_skips_date_and_name_errors() {
        let error = |code: i32, message: &str| VerifyError {
            depth: 0,
            code,
            message: message.to_string(),
        };
        let verification = |errors: Vec<VerifyError>| Verification {
            trusted: false,
            hostname_match: Some(false),
            checked_name: Some("mail.test".into()),
            errors,
        };
        // Dates and names have findings of their own: the reason is the next error.
        for skipped in [NOT_YET_VALID, EXPIRED, 62, 63, 64] {
            let v = verification(vec![
                error(skipped, "skipped"),
                error(20, "unable to get local issuer certificate"),
            ]);
            assert_eq!(
                untrusted_reason(&v),
                "unable to get local issuer certificate",
                "{skipped}"
            );
        }
        // Only such errors: the chain itself is the reason.
        let v = verification(vec![error(EXPIRED, "certificate has expired")]);
        assert_eq!(untrusted_reason(&v), "it does not chain to a trusted root");
        let v = verification(vec![error(
            19,
            "self-signed certificate in certificate chain",
        )]);
        assert_eq!(
            untrusted_reason(&v),
            "self-signed certificate in certificate chain"
        );
    }

    #[test]
    fn tls_alerts_each_get_their_advice() {
        let cases = [
            ("tlsv1 alert internal error", "failed on its own side"),
            ("tlsv1 alert protocol version", "share no TLS version"),
            ("unsupported protocol", "share no TLS version"),
            ("sslv3 alert handshake failure", "agree on a cipher"),
            ("tlsv1 alert insufficient security", "agree on a cipher"),
            ("no shared cipher", "agree on a cipher"),
            ("tlsv13 alert certificate required", "client certificate"),
            ("tlsv1 alert unknown ca", "client certificate"),
            ("sslv3 alert bad certificate", "client certificate"),
            ("tlsv1 alert unrecognized name", "SNI"),
            ("tlsv1 alert access denied", "access rule"),
            ("wrong version number", "not speaking TLS"),
            ("packet length too long", "not speaking TLS"),
            ("unexpected eof while reading", "hung up"),
            ("something else", "could not complete TLS"),
        ];
        for (detail, advice) in cases {
            assert!(
                tls_failure_advice(detail).contains(advice),
                "{detail}: {}",
                tls_failure_advice(detail)
            );
        }
    }

    #[test]
    fn a_step_the_runs_deadline_ended_is_not_blamed_on_the_server() {
        for (phase, id) in [
            (Phase::Connect, FindingId::PortTimeout),
            (Phase::Banner, FindingId::SmtpNoBanner),
            (Phase::Ehlo, FindingId::SmtpTimeout),
        ] {
            let mut o = Observation::new(endpoint(587, Security::Starttls));
            o.state = State::Timeout;
            o.error = Some(PhaseError {
                phase,
                message: "the run's time limit was reached".into(),
                run_deadline: true,
            });
            let found = judge_endpoint(&o);
            let f = found.iter().find(|f| f.id == id).unwrap_or_else(|| {
                panic!("{phase:?}: {found:#?}");
            });
            assert!(
                f.message.contains("The run's deadline ended the wait"),
                "{}",
                f.message
            );
            assert!(f.advice.contains("--max-time"), "{}", f.advice);
        }
    }

    #[test]
    fn only_a_self_issued_root_at_the_end_is_exempt_from_the_signature_check() {
        let sha1 = |self_issued: bool| {
            let mut c = cert(90);
            c.signature_digest = Some("SHA-1".into());
            c.self_issued = self_issued;
            c
        };
        let weak_signatures = |chain: Vec<CertFacts>| {
            let mut o = Observation::new(endpoint(465, Security::ImplicitTls));
            let mut facts = tls("TLSv1.3", 90, &[], Some(true));
            facts.chain = chain;
            o.tls = Some(facts);
            o.state = State::Ok;
            judge_endpoint(&o)
                .iter()
                .filter(|f| f.id == FindingId::CertWeakSignature)
                .count()
        };
        // A self-signed leaf alone: its signature is what the client checks.
        assert_eq!(weak_signatures(vec![sha1(true)]), 1);
        // A self-issued certificate in the middle of the chain is no anchor.
        assert_eq!(weak_signatures(vec![cert(90), sha1(true), cert(90)]), 1);
        // The root at the end is.
        assert_eq!(weak_signatures(vec![cert(90), sha1(true)]), 0);
    }
}
