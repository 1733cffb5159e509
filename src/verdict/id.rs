//! Typed finding ids: one variant per kind of finding, its stable dotted id ([`FindingId::as_str`],
//! what JSON, tables and README show), and the rules that belong to an id rather than to a
//! pipeline or a renderer: which generic finding a provider finding explains better
//! ([`FindingId::supersedes`]) and the short label of a certificate finding
//! ([`FindingId::short_label`]). README's finding list is tested against [`FindingId::ALL`].

use std::fmt;

/// What a finding is about. The dotted id ([`FindingId::as_str`]) is part of the JSON contract:
/// stable, lower case, `area.what`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FindingId {
    /// The TCP connection was refused (reset): nothing listens, or a firewall rejects.
    PortRefused,
    /// No answer to the connection attempt: packets dropped on the way (an ISP blocking port 25, a
    /// firewall) or the host is down.
    PortTimeout,
    /// ICMP unreachable or administratively prohibited, no route, or a local firewall.
    PortUnreachable,
    /// Not probed: this machine has no route for that address family.
    PortSkipped,
    /// Every endpoint was skipped: nothing was checked.
    NetworkNoRoute,
    /// `ports`: no control host answers on the port; the message counts how (timeouts, resets,
    /// ICMP) and which other ports reach the same operators.
    NetworkPortBlocked,
    /// `ports`: something else answers in a control host's place on the port (certificate, greeting
    /// or EHLO name not the operator's).
    NetworkPortIntercepted,
    /// `ports`: a control host answers on the port without the STARTTLS its operator offers.
    NetworkStarttlsStripped,
    /// `ports`: control hosts answer but turn this connection away or delay it (421, closed at
    /// once, slow or no greeting).
    NetworkThrottled,
    /// `ports`: some control hosts fail on a port where others answer: their side, not this
    /// network's.
    NetworkHostDown,
    /// `ports`: nothing answers anywhere: no working connection, not a port block.
    NetworkOffline,
    /// `ports`: control host names do not resolve: a DNS failure, not a port block.
    NetworkDnsFailed,
    /// The host name does not exist.
    DnsNxdomain,
    /// The name exists but has no address of the chosen family.
    DnsNoAddress,
    /// The DNS server failed for the name.
    DnsServfail,
    /// The DNS look-up timed out (a warning when it only concerns SRV records, or the MX of a name
    /// then checked as a server).
    DnsTimeout,
    /// The domain has no MX records: mail goes to its own A/AAAA (implicit MX, RFC 5321 section
    /// 5.1), or nowhere.
    DnsNoMx,
    /// The domain publishes a null MX (RFC 7505): it accepts no mail.
    DnsNullMx,
    /// An MX host is an alias (CNAME), which RFC 2181 section 10.3 forbids.
    DnsMxIsCname,
    /// An MX record names an IP address instead of a host name.
    DnsMxIsIp,
    /// An MX host has no A/AAAA record.
    DnsMxUnresolvable,
    /// No preset, no SRV records, and neither `smtp.` nor `mail.` of the domain resolves.
    DnsNoSubmission,
    /// A port 25 address has no reverse DNS (PTR) name, or it could not be read.
    DnsPtrMissing,
    /// A port 25 address's PTR name does not resolve back to it (no forward-confirmed reverse DNS).
    DnsPtrMismatch,
    /// A host has AAAA records, every IPv6 endpoint fails, and IPv4 works.
    DnsIpv6OnlyBroken,
    /// The domain publishes no MTA-STS record (`_mta-sts` TXT): senders deliver with opportunistic TLS.
    MtaStsAbsent,
    /// The `_mta-sts` TXT look-up failed (SERVFAIL, timeout): whether a policy exists is unknown.
    MtaStsLookupFailed,
    /// Several `v=STSv1` TXT records: senders treat the domain as having no policy (RFC 8461 section
    /// 3.1).
    MtaStsRecordMultiple,
    /// The `v=STSv1` TXT record does not follow RFC 8461 section 3.1 (no or a bad `id`, a bad field).
    MtaStsRecordInvalid,
    /// The record is there but the policy could not be fetched over HTTPS (no address, refused,
    /// timed out, TLS handshake failed, no valid HTTP response).
    MtaStsPolicyUnreachable,
    /// The policy host's certificate is not valid for `mta-sts.<domain>` (untrusted, another name,
    /// out of its dates).
    MtaStsPolicyCertificate,
    /// The policy URL answers with a redirect, which senders must not follow (RFC 8461 section 3.3).
    MtaStsPolicyRedirect,
    /// The policy URL answers with an HTTP status other than 200 (and not a redirect).
    MtaStsPolicyStatus,
    /// The policy is served with a content type other than `text/plain` (an HTML page, say).
    MtaStsPolicyContentType,
    /// The policy body is larger than the bound (64 KiB): not a policy.
    MtaStsPolicyTooLarge,
    /// The policy file does not follow RFC 8461 section 3.2; the message names the line.
    MtaStsPolicyInvalid,
    /// The policy is in mode `testing`: failures are reported, mail is still delivered.
    MtaStsModeTesting,
    /// The policy is in mode `none`: the domain withdraws its policy.
    MtaStsModeNone,
    /// The policy's `max_age` is under a day: senders forget it between visits.
    MtaStsMaxAgeShort,
    /// An MX host matches none of the policy's `mx` patterns (an error in mode `enforce`: senders
    /// will not deliver there).
    MtaStsMxNotCovered,
    /// An MX host gives no TLS, or a certificate not valid for its name, on port 25 (an error in mode
    /// `enforce`).
    MtaStsMxCertificate,
    /// The MTA-STS policy is served correctly and every MX host matches it with a valid certificate.
    MtaStsOk,
    /// The domain publishes no TLS-RPT record (`_smtp._tls` TXT): nobody tells it about TLS failures.
    TlsRptAbsent,
    /// The `_smtp._tls` TXT look-up failed (SERVFAIL, timeout).
    TlsRptLookupFailed,
    /// Several `v=TLSRPTv1` records: senders treat the domain as having none (RFC 8460 section 3).
    TlsRptMultiple,
    /// The TLS-RPT record does not follow RFC 8460 section 3 (no `rua`, an address that is not
    /// `mailto:` or `https:`).
    TlsRptInvalid,
    /// The domain asks for TLS reports; the message names where they go.
    TlsRptOk,
    /// An MX host publishes no TLSA records: no DANE (RFC 7672).
    DaneNoTlsa,
    /// TLSA records that senders ignore: the TLSA answer, the MX answer or the host's addresses
    /// are not DNSSEC-validated.
    DaneNotDnssec,
    /// An answer DANE depends on fails DNSSEC validation: validating senders defer mail.
    DaneBogus,
    /// The TLSA look-up failed (SERVFAIL, timeout): validating senders defer mail.
    DaneLookupFailed,
    /// DANE could not be checked: the DNS server this run asks does not pass DNSSEC records on.
    DaneUnvalidated,
    /// TLSA records that SMTP senders skip (usages 0/1, unknown values, bad lengths).
    DaneUnusableRecord,
    /// TLSA records in effect, but the MX endpoint did not complete STARTTLS.
    DaneNoStarttls,
    /// No usable TLSA record matches the chain the MX endpoint presented.
    DaneNoMatch,
    /// A usable TLSA record matches the chain the MX endpoint presented.
    DaneMatch,
    /// Only a full-certificate DANE-EE record (3 0 x) matches: the next certificate breaks it.
    DaneBreaksOnRenewal,
    /// Only 3 1 x records for the current key match: a new key breaks delivery.
    DaneKeyPinned,
    /// An MX host greets or says EHLO with a name that is neither its MX name nor its PTR name.
    SmtpNameMismatch,
    /// Connected, but no greeting within `--timeout` (and no TLS either).
    SmtpNoBanner,
    /// The server stopped answering later in the dialogue.
    SmtpTimeout,
    /// Something else answers: an SSH, web, POP3 or IMAP server, say.
    SmtpNotSmtp,
    /// The greeting is not 220 (e.g. 421 or 554): the server refuses the session.
    SmtpGreetingRefused,
    /// Both EHLO and HELO were refused.
    SmtpEhloRefused,
    /// The server closed the connection mid-dialogue.
    SmtpClosed,
    /// Malformed replies, or a read bound exceeded.
    SmtpProtocolError,
    /// EHLO refused, HELO accepted: no extensions, no STARTTLS, no AUTH.
    SmtpHeloOnly,
    /// The greeting took 5 s or more: clients with short greeting timeouts give up first.
    SmtpSlowGreeting,
    /// The server sent replies nobody asked for, with or right after its greeting and before
    /// the client spoke; they were discarded so that the next reply answers EHLO.
    SmtpUnsolicitedReply,
    /// The e-mail address checked has a non-ASCII local part, and a server checked does not
    /// offer SMTPUTF8 (RFC 6531), which mail to or from it needs; the message names which.
    SmtpSmtputf8Missing,
    /// The e-mail address checked has a non-ASCII local part, and every server checked offers
    /// SMTPUTF8 (RFC 6531), which mail to or from it needs.
    SmtpSmtputf8,
    /// STARTTLS not offered.
    StarttlsMissing,
    /// STARTTLS answered with something other than 220 (e.g. 454).
    StarttlsRefused,
    /// Bytes arrived after the STARTTLS 220 and before TLS (discarded).
    StarttlsInjection,
    /// The TLS handshake failed, with OpenSSL's reason.
    TlsHandshakeFailed,
    /// The port speaks the other TLS mode; the message says which, the advice what to set.
    TlsWrongMode,
    /// TLS 1.0 or 1.1 (or SSLv3) negotiated (RFC 8996).
    TlsLegacyVersion,
    /// The leaf certificate is self-signed.
    CertSelfSigned,
    /// The chain does not lead to a trusted root (or no certificate was sent).
    CertUntrusted,
    /// A certificate of the chain has expired.
    CertExpired,
    /// A certificate of the chain is not valid yet.
    CertNotYetValid,
    /// The leaf expires in less than 21 days.
    CertExpiringSoon,
    /// A certificate of the chain has an RSA key under 2048 bits, which clients at OpenSSL
    /// security level 2 (Debian and Ubuntu's default) refuse.
    CertWeakKey,
    /// A certificate below the root is signed with SHA-1 or MD5, which OpenSSL 3 at its
    /// default security level refuses.
    CertWeakSignature,
    /// The leaf does not name the host (or `--servername`).
    CertNameMismatch,
    /// The target was an address and no `--servername` was given.
    CertNameNotChecked,
    /// AUTH offered in clear text on a submission port (not 25).
    AuthBeforeTls,
    /// `--user`: the server accepted the credentials (`235`).
    AuthOk,
    /// The server refused the credentials (5xx); the message quotes the reply, says what it means
    /// (from the provider's known replies, else RFC 4954) and the advice what to do.
    AuthFailed,
    /// The server could not check the credentials now (4xx, e.g. `454 4.7.0`).
    AuthTemporaryFailure,
    /// The mechanism asked for is not offered, none fits the kind of secret, or no AUTH at all; it
    /// names what the server offers; nothing was sent.
    AuthMechanismUnsupported,
    /// The chosen endpoint has no TLS, so the secret was not sent (`--allow-plaintext-auth` to send
    /// it anyway).
    AuthPlaintextRefused,
    /// The chosen endpoint's certificate failed verification, so the secret was not sent.
    AuthUntrustedRefused,
    /// The credential check's dialogue broke (closed, timed out, the server left the protocol).
    AuthIncomplete,
    /// No endpoint completed the SMTP dialogue, so the credentials were not checked.
    AuthNotAttempted,
    /// `--send-to`: the server accepted the test message; the message gives the reply and queue id.
    SendOk,
    /// The server refused the test message (5xx) at MAIL FROM, RCPT TO, DATA or the end of the
    /// message, with the cause (Send As, relay denied, unverified sender, quota, ...).
    SendRejected,
    /// The server deferred the test message (4xx: greylisting, rate limit).
    SendTemporaryFailure,
    /// The test message's dialogue broke; it may or may not have been delivered.
    SendIncomplete,
    /// The provider does not document this port (e.g. 465 on Office 365); the advice names its port
    /// and mode.
    ProviderPortUnsupported,
    /// The port answers, or was tried, in a mode the provider does not document there.
    ProviderModeMismatch,
    /// AUTH mechanisms the provider offers after TLS (e.g. XOAUTH2) are missing.
    ProviderAuthMechanisms,
    /// The banner, EHLO name or certificate is not the provider's: something in the path answers
    /// instead (an antivirus, an ISP proxy, a home-made CA).
    ProviderIntercepted,
    /// The provider offers STARTTLS here, but this path does not see it (replaces
    /// `starttls.missing`).
    ProviderStarttlsStripped,
    /// The negotiated TLS version is older than the provider accepts (replaces
    /// `tls.legacy_version`).
    ProviderTlsTooOld,
    /// Your settings (a URL or DSN) work as given: the port answers in its mode, TLS and the
    /// certificate check pass, and the login too when it was checked.
    ConfigOk,
    /// Your settings use the other TLS mode than the port speaks (STARTTLS on 465, SSL/TLS on
    /// 587); the advice names the right mode, and a port seen working in the mode given.
    ConfigTlsMode,
    /// Your settings turn TLS off (or use STARTTLS only when offered, and the port offers
    /// none): the password and mail travel in clear text.
    ConfigNoTls,
    /// Nothing answers on your settings' port; the advice names a port seen working.
    ConfigPortClosed,
    /// Your settings' port answers but does not work as given (certificate, STARTTLS, login);
    /// the message names the findings that say why.
    ConfigBroken,
}

impl FindingId {
    /// Every finding id, in README order.
    pub const ALL: &[FindingId] = &[
        FindingId::PortRefused,
        FindingId::PortTimeout,
        FindingId::PortUnreachable,
        FindingId::PortSkipped,
        FindingId::NetworkNoRoute,
        FindingId::NetworkPortBlocked,
        FindingId::NetworkPortIntercepted,
        FindingId::NetworkStarttlsStripped,
        FindingId::NetworkThrottled,
        FindingId::NetworkHostDown,
        FindingId::NetworkOffline,
        FindingId::NetworkDnsFailed,
        FindingId::DnsNxdomain,
        FindingId::DnsNoAddress,
        FindingId::DnsServfail,
        FindingId::DnsTimeout,
        FindingId::DnsNoMx,
        FindingId::DnsNullMx,
        FindingId::DnsMxIsCname,
        FindingId::DnsMxIsIp,
        FindingId::DnsMxUnresolvable,
        FindingId::DnsNoSubmission,
        FindingId::DnsPtrMissing,
        FindingId::DnsPtrMismatch,
        FindingId::DnsIpv6OnlyBroken,
        FindingId::MtaStsAbsent,
        FindingId::MtaStsLookupFailed,
        FindingId::MtaStsRecordMultiple,
        FindingId::MtaStsRecordInvalid,
        FindingId::MtaStsPolicyUnreachable,
        FindingId::MtaStsPolicyCertificate,
        FindingId::MtaStsPolicyRedirect,
        FindingId::MtaStsPolicyStatus,
        FindingId::MtaStsPolicyContentType,
        FindingId::MtaStsPolicyTooLarge,
        FindingId::MtaStsPolicyInvalid,
        FindingId::MtaStsModeTesting,
        FindingId::MtaStsModeNone,
        FindingId::MtaStsMaxAgeShort,
        FindingId::MtaStsMxNotCovered,
        FindingId::MtaStsMxCertificate,
        FindingId::MtaStsOk,
        FindingId::TlsRptAbsent,
        FindingId::TlsRptLookupFailed,
        FindingId::TlsRptMultiple,
        FindingId::TlsRptInvalid,
        FindingId::TlsRptOk,
        FindingId::DaneNoTlsa,
        FindingId::DaneNotDnssec,
        FindingId::DaneBogus,
        FindingId::DaneLookupFailed,
        FindingId::DaneUnvalidated,
        FindingId::DaneUnusableRecord,
        FindingId::DaneNoStarttls,
        FindingId::DaneNoMatch,
        FindingId::DaneMatch,
        FindingId::DaneBreaksOnRenewal,
        FindingId::DaneKeyPinned,
        FindingId::SmtpNameMismatch,
        FindingId::SmtpNoBanner,
        FindingId::SmtpTimeout,
        FindingId::SmtpNotSmtp,
        FindingId::SmtpGreetingRefused,
        FindingId::SmtpEhloRefused,
        FindingId::SmtpClosed,
        FindingId::SmtpProtocolError,
        FindingId::SmtpHeloOnly,
        FindingId::SmtpSlowGreeting,
        FindingId::SmtpUnsolicitedReply,
        FindingId::SmtpSmtputf8Missing,
        FindingId::SmtpSmtputf8,
        FindingId::StarttlsMissing,
        FindingId::StarttlsRefused,
        FindingId::StarttlsInjection,
        FindingId::TlsHandshakeFailed,
        FindingId::TlsWrongMode,
        FindingId::TlsLegacyVersion,
        FindingId::CertSelfSigned,
        FindingId::CertUntrusted,
        FindingId::CertExpired,
        FindingId::CertNotYetValid,
        FindingId::CertExpiringSoon,
        FindingId::CertWeakKey,
        FindingId::CertWeakSignature,
        FindingId::CertNameMismatch,
        FindingId::CertNameNotChecked,
        FindingId::AuthBeforeTls,
        FindingId::AuthOk,
        FindingId::AuthFailed,
        FindingId::AuthTemporaryFailure,
        FindingId::AuthMechanismUnsupported,
        FindingId::AuthPlaintextRefused,
        FindingId::AuthUntrustedRefused,
        FindingId::AuthIncomplete,
        FindingId::AuthNotAttempted,
        FindingId::SendOk,
        FindingId::SendRejected,
        FindingId::SendTemporaryFailure,
        FindingId::SendIncomplete,
        FindingId::ProviderPortUnsupported,
        FindingId::ProviderModeMismatch,
        FindingId::ProviderAuthMechanisms,
        FindingId::ProviderIntercepted,
        FindingId::ProviderStarttlsStripped,
        FindingId::ProviderTlsTooOld,
        FindingId::ConfigOk,
        FindingId::ConfigTlsMode,
        FindingId::ConfigNoTls,
        FindingId::ConfigPortClosed,
        FindingId::ConfigBroken,
    ];

    /// The stable dotted id, e.g. `cert.expired`.
    #[expect(clippy::too_many_lines, reason = "one arm per finding id")]
    pub fn as_str(self) -> &'static str {
        match self {
            FindingId::PortRefused => "port.refused",
            FindingId::PortTimeout => "port.timeout",
            FindingId::PortUnreachable => "port.unreachable",
            FindingId::PortSkipped => "port.skipped",
            FindingId::NetworkNoRoute => "network.no_route",
            FindingId::NetworkPortBlocked => "network.port_blocked",
            FindingId::NetworkPortIntercepted => "network.port_intercepted",
            FindingId::NetworkStarttlsStripped => "network.starttls_stripped",
            FindingId::NetworkThrottled => "network.throttled",
            FindingId::NetworkHostDown => "network.host_down",
            FindingId::NetworkOffline => "network.offline",
            FindingId::NetworkDnsFailed => "network.dns_failed",
            FindingId::DnsNxdomain => "dns.nxdomain",
            FindingId::DnsNoAddress => "dns.no_address",
            FindingId::DnsServfail => "dns.servfail",
            FindingId::DnsTimeout => "dns.timeout",
            FindingId::DnsNoMx => "dns.no_mx",
            FindingId::DnsNullMx => "dns.null_mx",
            FindingId::DnsMxIsCname => "dns.mx_is_cname",
            FindingId::DnsMxIsIp => "dns.mx_is_ip",
            FindingId::DnsMxUnresolvable => "dns.mx_unresolvable",
            FindingId::DnsNoSubmission => "dns.no_submission",
            FindingId::DnsPtrMissing => "dns.ptr_missing",
            FindingId::DnsPtrMismatch => "dns.ptr_mismatch",
            FindingId::DnsIpv6OnlyBroken => "dns.ipv6_only_broken",
            FindingId::MtaStsAbsent => "mta_sts.absent",
            FindingId::MtaStsLookupFailed => "mta_sts.lookup_failed",
            FindingId::MtaStsRecordMultiple => "mta_sts.record_multiple",
            FindingId::MtaStsRecordInvalid => "mta_sts.record_invalid",
            FindingId::MtaStsPolicyUnreachable => "mta_sts.policy_unreachable",
            FindingId::MtaStsPolicyCertificate => "mta_sts.policy_certificate",
            FindingId::MtaStsPolicyRedirect => "mta_sts.policy_redirect",
            FindingId::MtaStsPolicyStatus => "mta_sts.policy_status",
            FindingId::MtaStsPolicyContentType => "mta_sts.policy_content_type",
            FindingId::MtaStsPolicyTooLarge => "mta_sts.policy_too_large",
            FindingId::MtaStsPolicyInvalid => "mta_sts.policy_invalid",
            FindingId::MtaStsModeTesting => "mta_sts.mode_testing",
            FindingId::MtaStsModeNone => "mta_sts.mode_none",
            FindingId::MtaStsMaxAgeShort => "mta_sts.max_age_short",
            FindingId::MtaStsMxNotCovered => "mta_sts.mx_not_covered",
            FindingId::MtaStsMxCertificate => "mta_sts.mx_certificate",
            FindingId::MtaStsOk => "mta_sts.ok",
            FindingId::TlsRptAbsent => "tls_rpt.absent",
            FindingId::TlsRptLookupFailed => "tls_rpt.lookup_failed",
            FindingId::TlsRptMultiple => "tls_rpt.multiple",
            FindingId::TlsRptInvalid => "tls_rpt.invalid",
            FindingId::TlsRptOk => "tls_rpt.ok",
            FindingId::DaneNoTlsa => "dane.no_tlsa",
            FindingId::DaneNotDnssec => "dane.not_dnssec",
            FindingId::DaneBogus => "dane.bogus",
            FindingId::DaneLookupFailed => "dane.lookup_failed",
            FindingId::DaneUnvalidated => "dane.unvalidated",
            FindingId::DaneUnusableRecord => "dane.unusable_record",
            FindingId::DaneNoStarttls => "dane.no_starttls",
            FindingId::DaneNoMatch => "dane.no_match",
            FindingId::DaneMatch => "dane.match",
            FindingId::DaneBreaksOnRenewal => "dane.breaks_on_renewal",
            FindingId::DaneKeyPinned => "dane.key_pinned",
            FindingId::SmtpNameMismatch => "smtp.name_mismatch",
            FindingId::SmtpNoBanner => "smtp.no_banner",
            FindingId::SmtpTimeout => "smtp.timeout",
            FindingId::SmtpNotSmtp => "smtp.not_smtp",
            FindingId::SmtpGreetingRefused => "smtp.greeting_refused",
            FindingId::SmtpEhloRefused => "smtp.ehlo_refused",
            FindingId::SmtpClosed => "smtp.closed",
            FindingId::SmtpProtocolError => "smtp.protocol_error",
            FindingId::SmtpHeloOnly => "smtp.helo_only",
            FindingId::SmtpSlowGreeting => "smtp.slow_greeting",
            FindingId::SmtpUnsolicitedReply => "smtp.unsolicited_reply",
            FindingId::SmtpSmtputf8Missing => "smtp.smtputf8_missing",
            FindingId::SmtpSmtputf8 => "smtp.smtputf8",
            FindingId::StarttlsMissing => "starttls.missing",
            FindingId::StarttlsRefused => "starttls.refused",
            FindingId::StarttlsInjection => "starttls.injection",
            FindingId::TlsHandshakeFailed => "tls.handshake_failed",
            FindingId::TlsWrongMode => "tls.wrong_mode",
            FindingId::TlsLegacyVersion => "tls.legacy_version",
            FindingId::CertSelfSigned => "cert.self_signed",
            FindingId::CertUntrusted => "cert.untrusted",
            FindingId::CertExpired => "cert.expired",
            FindingId::CertNotYetValid => "cert.not_yet_valid",
            FindingId::CertExpiringSoon => "cert.expiring_soon",
            FindingId::CertWeakKey => "cert.weak_key",
            FindingId::CertWeakSignature => "cert.weak_signature",
            FindingId::CertNameMismatch => "cert.name_mismatch",
            FindingId::CertNameNotChecked => "cert.name_not_checked",
            FindingId::AuthBeforeTls => "auth.before_tls",
            FindingId::AuthOk => "auth.ok",
            FindingId::AuthFailed => "auth.failed",
            FindingId::AuthTemporaryFailure => "auth.temporary_failure",
            FindingId::AuthMechanismUnsupported => "auth.mechanism_unsupported",
            FindingId::AuthPlaintextRefused => "auth.plaintext_refused",
            FindingId::AuthUntrustedRefused => "auth.untrusted_refused",
            FindingId::AuthIncomplete => "auth.incomplete",
            FindingId::AuthNotAttempted => "auth.not_attempted",
            FindingId::SendOk => "send.ok",
            FindingId::SendRejected => "send.rejected",
            FindingId::SendTemporaryFailure => "send.temporary_failure",
            FindingId::SendIncomplete => "send.incomplete",
            FindingId::ProviderPortUnsupported => "provider.port_unsupported",
            FindingId::ProviderModeMismatch => "provider.mode_mismatch",
            FindingId::ProviderAuthMechanisms => "provider.auth_mechanisms",
            FindingId::ProviderIntercepted => "provider.intercepted",
            FindingId::ProviderStarttlsStripped => "provider.starttls_stripped",
            FindingId::ProviderTlsTooOld => "provider.tls_too_old",
            FindingId::ConfigOk => "config.ok",
            FindingId::ConfigTlsMode => "config.tls_mode",
            FindingId::ConfigNoTls => "config.no_tls",
            FindingId::ConfigPortClosed => "config.port_closed",
            FindingId::ConfigBroken => "config.broken",
        }
    }

    /// The id named by `text` (`cert.expired`), if there is one.
    pub fn parse(text: &str) -> Option<FindingId> {
        FindingId::ALL
            .iter()
            .copied()
            .find(|id| id.as_str() == text)
    }

    /// The area of the id: the part before the dot (`cert`, `dns`, ...).
    pub fn area(self) -> &'static str {
        self.as_str().split('.').next().unwrap_or("")
    }

    /// The generic finding about the same endpoint that this (provider) finding explains
    /// better, and so replaces.
    pub fn supersedes(self) -> Option<FindingId> {
        match self {
            FindingId::ProviderStarttlsStripped => Some(FindingId::StarttlsMissing),
            FindingId::ProviderTlsTooOld => Some(FindingId::TlsLegacyVersion),
            FindingId::ProviderModeMismatch => Some(FindingId::TlsWrongMode),
            _ => None,
        }
    }

    /// A few words for the certificate cell of the overview, for the findings about the
    /// certificate itself; `None` for every other id.
    pub fn short_label(self) -> Option<&'static str> {
        match self {
            FindingId::CertExpired => Some("expired"),
            FindingId::CertNotYetValid => Some("not yet valid"),
            FindingId::CertSelfSigned => Some("self-signed"),
            FindingId::CertUntrusted => Some("untrusted"),
            FindingId::CertNameMismatch => Some("name mismatch"),
            FindingId::CertExpiringSoon => Some("expiring soon"),
            FindingId::CertWeakKey => Some("weak key"),
            FindingId::CertWeakSignature => Some("weak signature"),
            _ => None,
        }
    }
}

impl fmt::Display for FindingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Lets rules and tests compare an id with its dotted form.
impl PartialEq<&str> for FindingId {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_dotted_and_round_trip() {
        for (n, id) in FindingId::ALL.iter().enumerate() {
            let text = id.as_str();
            let (area, what) = text.split_once('.').expect("dotted");
            assert!(!area.is_empty() && !what.is_empty(), "{text}");
            assert!(
                text.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_'),
                "{text}"
            );
            assert_eq!(FindingId::parse(text), Some(*id));
            assert!(
                !FindingId::ALL[..n].contains(id),
                "{text} listed twice in ALL"
            );
        }
        assert_eq!(FindingId::parse("cert.nope"), None);
    }

    #[test]
    fn supersession_stays_within_one_endpoint_kind() {
        for id in FindingId::ALL {
            if let Some(generic) = id.supersedes() {
                assert_eq!(id.area(), "provider", "{id}");
                assert_ne!(generic.area(), "provider", "{id}");
            }
        }
        assert_eq!(
            FindingId::ProviderModeMismatch.supersedes(),
            Some(FindingId::TlsWrongMode)
        );
        assert_eq!(FindingId::CertExpired.short_label(), Some("expired"));
        assert_eq!(FindingId::PortRefused.short_label(), None);
    }

    #[test]
    fn what_supersedes_what_and_the_certificate_labels() {
        let mut superseding: Vec<(&str, &str)> = FindingId::ALL
            .iter()
            .filter_map(|id| id.supersedes().map(|other| (id.as_str(), other.as_str())))
            .collect();
        superseding.sort_unstable();
        assert_eq!(
            superseding,
            vec![
                ("provider.mode_mismatch", "tls.wrong_mode"),
                ("provider.starttls_stripped", "starttls.missing"),
                ("provider.tls_too_old", "tls.legacy_version"),
            ]
        );
        let labels: Vec<(&str, &str)> = FindingId::ALL
            .iter()
            .filter_map(|id| id.short_label().map(|l| (id.as_str(), l)))
            .collect();
        for expected in [
            ("cert.expired", "expired"),
            ("cert.not_yet_valid", "not yet valid"),
            ("cert.self_signed", "self-signed"),
            ("cert.untrusted", "untrusted"),
            ("cert.name_mismatch", "name mismatch"),
            ("cert.expiring_soon", "expiring soon"),
            ("cert.weak_key", "weak key"),
            ("cert.weak_signature", "weak signature"),
        ] {
            assert!(labels.contains(&expected), "{expected:?} in {labels:?}");
        }
        assert_eq!(labels.len(), 8, "{labels:?}");
    }
}
