//! The settings verdict as a table: what the settings say, what each port showed, which
//! finding comes out, and what its advice names.

use super::*;
use crate::model::{
    CertFacts, ConfigOrigin, Endpoint, PhaseError, StarttlsObservation, TlsFacts, Verification,
};
use crate::smtp::{Ehlo, Keyword};

fn config(port: u16, security: ConfigSecurity) -> UserConfig {
    UserConfig {
        host: "mail.test".into(),
        port,
        port_given: true,
        security,
        user: Some("alice".into()),
        origin: ConfigOrigin::Target,
        verify_peer: true,
        notes: Vec::new(),
    }
}

fn ehlo(keywords: &[&str]) -> Ehlo {
    Ehlo {
        code: 250,
        domain: "mail.test".into(),
        greeting: String::new(),
        keywords: keywords
            .iter()
            .map(|k| Keyword {
                name: (*k).into(),
                params: Vec::new(),
            })
            .collect(),
        lines: Vec::new(),
        helo: false,
    }
}

fn tls() -> TlsFacts {
    TlsFacts {
        version: "TLSv1.3".into(),
        cipher: "TLS_AES_128_GCM_SHA256".into(),
        key_exchange: None,
        chain: vec![CertFacts {
            subject: "CN=mail.test".into(),
            issuer: "CN=CA".into(),
            san: vec!["mail.test".into()],
            not_before: String::new(),
            not_after: String::new(),
            days_left: 300,
            not_yet_valid_secs: -1,
            key: String::new(),
            signature_algorithm: String::new(),
            rsa_bits: None,
            signature_digest: None,
            serial: String::new(),
            sha256: String::new(),
            self_issued: false,
            is_ca: false,
            digests: Default::default(),
        }],
        verification: Verification {
            trusted: true,
            hostname_match: Some(true),
            checked_name: Some("mail.test".into()),
            errors: Vec::new(),
        },
    }
}

fn endpoint(port: u16, security: Security) -> Endpoint {
    Endpoint {
        host: "mail.test".into(),
        ip: "192.0.2.1".parse().unwrap(),
        port,
        security,
    }
}

/// What a port showed.
#[derive(Clone, Copy)]
enum Seen {
    /// STARTTLS offered and working.
    Starttls,
    /// Implicit TLS working.
    Implicit,
    /// Plain text, STARTTLS offered (probed without TLS).
    PlainOffering,
    /// Plain text, no STARTTLS.
    PlainOnly,
    /// Probed with STARTTLS, the port speaks implicit TLS.
    ImplicitOnStarttls,
    /// Probed with implicit TLS, the port greets in plain text.
    PlainOnImplicit,
    /// Connection refused.
    Refused,
}

fn observe(port: u16, probe: Security, seen: Seen) -> Observation {
    let mut o = Observation::new(endpoint(port, probe));
    match seen {
        Seen::Starttls => {
            o.ehlo = Some(ehlo(&["STARTTLS"]));
            o.starttls = Some(StarttlsObservation {
                offered: true,
                reply: None,
                injected: Vec::new(),
            });
            o.tls = Some(tls());
            o.ehlo_tls = Some(ehlo(&["AUTH"]));
        }
        Seen::Implicit => {
            o.tls = Some(tls());
            o.ehlo_tls = Some(ehlo(&["AUTH"]));
        }
        Seen::PlainOffering => o.ehlo = Some(ehlo(&["STARTTLS", "AUTH"])),
        Seen::PlainOnly => {
            o.ehlo = Some(ehlo(&["AUTH"]));
            o.starttls = Some(StarttlsObservation {
                offered: false,
                reply: None,
                injected: Vec::new(),
            });
        }
        Seen::ImplicitOnStarttls => {
            o.state = State::Timeout;
            o.wrong_mode = Some(WrongMode::ImplicitTlsOnStarttlsPort);
        }
        Seen::PlainOnImplicit => {
            o.state = State::TlsError;
            o.wrong_mode = Some(WrongMode::PlainOnTlsPort);
        }
        Seen::Refused => {
            o.state = State::Refused;
            o.error = Some(PhaseError {
                phase: Phase::Connect,
                message: "connection refused".into(),
                run_deadline: false,
            });
        }
    }
    o
}

/// The verdict for settings against 587 (STARTTLS) and 465 (implicit TLS) as `others`, plus
/// the settings' own port as `seen`; findings are the generic verdicts'.
fn verdict(config: &UserConfig, seen: Seen, others: &[(u16, Security, Seen)]) -> Finding {
    let mut observations = vec![observe(config.port, config.security.probe(), seen)];
    observations.extend(
        others
            .iter()
            .map(|&(port, security, seen)| observe(port, security, seen)),
    );
    let findings = crate::verdict::judge(&observations);
    judge(config, &observations, &findings)
}

const BOTH_WORK: [(u16, Security, Seen); 2] = [
    (587, Security::Starttls, Seen::Starttls),
    (465, Security::ImplicitTls, Seen::Implicit),
];

#[test]
fn the_rule_table() {
    use ConfigSecurity::{ImplicitTls, OpportunisticStarttls, Plain, Starttls};
    #[rustfmt::skip]
    let cases: &[(u16, ConfigSecurity, Seen, FindingId, Severity, &str)] = &[
        (465, Starttls, Seen::ImplicitOnStarttls, FindingId::ConfigTlsMode, Severity::Error,
         "Set SSL/TLS (implicit TLS) for this port: smtps://, smtp+ssl:// or encryption=ssl, or use 587 with STARTTLS, which this run saw working."),
        (587, ImplicitTls, Seen::PlainOnImplicit, FindingId::ConfigTlsMode, Severity::Error,
         "Set STARTTLS for this port: smtp+tls://, submission:// or encryption=tls, or use 465 with SSL/TLS (implicit TLS), which this run saw working."),
        (2525, Starttls, Seen::Refused, FindingId::ConfigPortClosed, Severity::Error,
         "Use 587 with STARTTLS or 465 with SSL/TLS (implicit TLS), which this run saw working (set the port and its security together)."),
        (2525, Plain, Seen::PlainOffering, FindingId::ConfigNoTls, Severity::Error,
         "Turn TLS on: encryption=tls (or smtp+tls://, submission://) for STARTTLS on port 2525."),
        (2525, Plain, Seen::PlainOnly, FindingId::ConfigNoTls, Severity::Error,
         "Use 587 with STARTTLS, which this run saw working; if this is your server, enable STARTTLS on it."),
        (2525, OpportunisticStarttls, Seen::PlainOnly, FindingId::ConfigNoTls, Severity::Error,
         "Use 587 with STARTTLS, which this run saw working; if this is your server, enable STARTTLS on it."),
        (2525, Starttls, Seen::PlainOnly, FindingId::ConfigBroken, Severity::Error,
         "Fix what those findings say, or use 587 with STARTTLS, which this run saw working."),
        (2525, OpportunisticStarttls, Seen::Starttls, FindingId::ConfigOk, Severity::Info,
         "Nothing to change."),
        (2465, ImplicitTls, Seen::Implicit, FindingId::ConfigOk, Severity::Info,
         "Nothing to change."),
    ];
    for &(port, security, seen, id, severity, advice) in cases {
        let config = config(port, security);
        let f = verdict(&config, seen, &BOTH_WORK);
        assert_eq!(
            (f.id, f.severity),
            (id, severity),
            "{port} {security:?}: {f:?}"
        );
        assert_eq!(f.advice, advice, "{port} {security:?}");
        assert!(
            f.message.starts_with("Your settings"),
            "{port} {security:?}: {}",
            f.message
        );
        assert!(f.endpoint.is_none());
    }
}

#[test]
fn messages_say_what_was_set_and_seen() {
    let f = verdict(
        &config(465, ConfigSecurity::Starttls),
        Seen::ImplicitOnStarttls,
        &BOTH_WORK,
    );
    assert_eq!(
        f.message,
        "Your settings: mail.test, port 465 with STARTTLS; port 465 speaks implicit TLS (SSL/TLS), not STARTTLS, so the app cannot connect."
    );
    let f = verdict(&config(2525, ConfigSecurity::Starttls), Seen::Refused, &[]);
    assert!(
        f.message.ends_with("the connection is refused."),
        "{}",
        f.message
    );
    assert!(
        f.advice.starts_with("Check the host name and the port"),
        "{}",
        f.advice
    );
    let f = verdict(
        &config(2525, ConfigSecurity::Starttls),
        Seen::PlainOnly,
        &[],
    );
    assert!(f.message.contains("starttls.missing"), "{}", f.message);
    assert_eq!(f.advice, "Fix what those findings say.");
}

#[test]
fn a_login_and_verify_peer_show_in_ok() {
    let settings = config(587, ConfigSecurity::Starttls);
    let observations = vec![observe(587, Security::Starttls, Seen::Starttls)];
    let mut findings = crate::verdict::judge(&observations);
    findings.push(Finding {
        id: FindingId::AuthOk,
        severity: Severity::Info,
        endpoint: Some(observations[0].endpoint.label()),
        ip: Some(observations[0].endpoint.ip),
        message: String::new(),
        advice: String::new(),
    });
    let f = judge(&settings, &observations, &findings);
    assert_eq!(
        f.message,
        "Your settings work as given: mail.test, port 587 with STARTTLS, and the server accepted the login of alice."
    );
    // A certificate error breaks the settings, unless they turn verification off.
    let mut bad = observations.clone();
    if let Some(tls) = bad[0].tls.as_mut() {
        tls.verification.hostname_match = Some(false);
    }
    let findings = crate::verdict::judge(&bad);
    assert_eq!(
        judge(&settings, &bad, &findings).id,
        FindingId::ConfigBroken
    );
    let lax = UserConfig {
        verify_peer: false,
        ..settings
    };
    let f = judge(&lax, &bad, &findings);
    assert_eq!(f.id, FindingId::ConfigOk);
    assert!(f.message.contains("verify_peer=0"), "{}", f.message);
    assert!(f.message.contains("cert.name_mismatch"), "{}", f.message);
}

#[test]
fn other_ports_weigh_as_warnings() {
    let settings = config(587, ConfigSecurity::Starttls);
    let observations = vec![
        observe(587, Security::Starttls, Seen::Starttls),
        observe(25, Security::Starttls, Seen::Refused),
        observe(465, Security::ImplicitTls, Seen::Refused),
    ];
    let mut findings = crate::verdict::judge(&observations);
    findings.push(finding(
        FindingId::ConfigOk,
        Severity::Info,
        String::new(),
        String::new(),
    ));
    let mut on_587 = findings.clone();
    on_587.push(Finding {
        id: FindingId::AuthFailed,
        severity: Severity::Error,
        endpoint: Some(observations[0].endpoint.label()),
        ip: Some(observations[0].endpoint.ip),
        message: String::new(),
        advice: String::new(),
    });
    crate::verdict::weight::weigh(
        &mut on_587,
        &observations,
        crate::verdict::weight::Named {
            ports: &[settings.port],
            credentials: true,
        },
    );
    let errors: Vec<&str> = on_587
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.id.as_str())
        .collect();
    assert_eq!(errors, vec!["auth.failed"]);
    assert_eq!(
        on_587
            .iter()
            .filter(|f| f.id == FindingId::PortRefused)
            .map(|f| f.severity)
            .collect::<Vec<_>>(),
        vec![Severity::Warning, Severity::Warning]
    );
}

#[test]
fn a_connect_timeout_is_a_closed_port_a_later_timeout_is_not() {
    let config = config(2525, ConfigSecurity::Starttls);
    let timed_out = |phase: Phase| {
        let mut o = Observation::new(endpoint(2525, Security::Starttls));
        o.state = State::Timeout;
        o.error = Some(PhaseError {
            phase,
            message: "no answer".into(),
            run_deadline: false,
        });
        o
    };
    for (phase, id) in [
        (Phase::Connect, FindingId::ConfigPortClosed),
        (Phase::Banner, FindingId::ConfigBroken),
    ] {
        let mut observations = vec![timed_out(phase)];
        observations.extend(
            BOTH_WORK
                .iter()
                .map(|&(port, security, seen)| observe(port, security, seen)),
        );
        let findings = crate::verdict::judge(&observations);
        let f = judge(&config, &observations, &findings);
        assert_eq!(f.id, id, "{phase:?}: {f:?}");
    }
}

#[test]
fn alternatives_are_working_tls_ports_other_than_the_settings_usual_ones_first() {
    let settings = config(2600, ConfigSecurity::Starttls);
    let good = |port: u16, security: Security| {
        let seen = if security == Security::ImplicitTls {
            Seen::Implicit
        } else {
            Seen::Starttls
        };
        observe(port, security, seen)
    };
    let mut timed_out_in_tls = good(2602, Security::Starttls);
    timed_out_in_tls.state = State::Timeout;
    let mut wrong_mode = good(2605, Security::Starttls);
    wrong_mode.wrong_mode = Some(WrongMode::ImplicitTlsOnStarttlsPort);
    let observations = vec![
        good(25, Security::Starttls),
        good(2525, Security::Starttls),
        good(465, Security::ImplicitTls),
        good(587, Security::Starttls),
        // The settings' own port, and ports that do not work: none is an alternative.
        good(2600, Security::Starttls),
        observe(2601, Security::Starttls, Seen::Refused),
        timed_out_in_tls,
        observe(2603, Security::Starttls, Seen::PlainOnly),
        good(2604, Security::Starttls),
        wrong_mode,
    ];
    let error = Finding {
        id: FindingId::StarttlsInjection,
        severity: Severity::Error,
        endpoint: Some(endpoint(2604, Security::Starttls).label()),
        ip: Some(endpoint(2604, Security::Starttls).ip),
        message: String::new(),
        advice: String::new(),
    };
    assert_eq!(
        alternatives(&settings, &observations, &[error]),
        vec![
            (587, Security::Starttls),
            (465, Security::ImplicitTls),
            (2525, Security::Starttls),
            (25, Security::Starttls),
        ]
    );
}

#[test]
fn clear_text_settings_say_whether_the_port_offers_starttls() {
    let settings = config(2525, ConfigSecurity::Plain);
    let f = verdict(&settings, Seen::PlainOffering, &BOTH_WORK);
    assert!(
        f.message
            .contains("they turn TLS off although port 2525 offers STARTTLS"),
        "{}",
        f.message
    );
    let f = verdict(&settings, Seen::PlainOnly, &BOTH_WORK);
    assert!(
        f.message
            .contains("they turn TLS off, and port 2525 offers no STARTTLS either"),
        "{}",
        f.message
    );
}

#[test]
fn a_port_that_never_greeted_is_broken_not_clear_text() {
    // Connected, then no greeting: nothing is known about TLS there.
    for security in [ConfigSecurity::Plain, ConfigSecurity::OpportunisticStarttls] {
        let settings = config(2525, security);
        let mut silent = Observation::new(endpoint(2525, security.probe()));
        silent.state = State::Timeout;
        silent.error = Some(PhaseError {
            phase: Phase::Banner,
            message: "no greeting".into(),
            run_deadline: false,
        });
        let mut observations = vec![silent];
        observations.extend(
            BOTH_WORK
                .iter()
                .map(|&(port, security, seen)| observe(port, security, seen)),
        );
        let findings = crate::verdict::judge(&observations);
        let f = judge(&settings, &observations, &findings);
        assert_eq!(f.id, FindingId::ConfigBroken, "{security:?}: {f:?}");
    }
}

#[test]
fn a_login_elsewhere_is_not_a_login_with_these_settings() {
    let settings = config(587, ConfigSecurity::Starttls);
    let observations = vec![
        observe(587, Security::Starttls, Seen::Starttls),
        observe(465, Security::ImplicitTls, Seen::Implicit),
    ];
    let mut findings = crate::verdict::judge(&observations);
    // The login worked on 465; on 587 there is only an informational finding.
    for (port, id) in [(465, FindingId::AuthOk), (587, FindingId::CertExpiringSoon)] {
        findings.push(Finding {
            id,
            severity: Severity::Info,
            endpoint: Some(endpoint(port, Security::Starttls).label()),
            ip: Some(endpoint(port, Security::Starttls).ip),
            message: String::new(),
            advice: String::new(),
        });
    }
    let f = judge(&settings, &observations, &findings);
    assert_eq!(f.id, FindingId::ConfigOk);
    assert!(!f.message.contains("accepted the login"), "{}", f.message);
}
