use std::net::IpAddr;

use super::*;
use crate::model::{Endpoint, PhaseError, TlsFacts, Verification};

fn endpoint(port: u16) -> Endpoint {
    Endpoint {
        host: "smtp.example.test".into(),
        ip: IpAddr::from([192, 0, 2, 7]),
        port,
        security: Security::default_for_port(port),
    }
}

fn tls(trusted: bool) -> TlsFacts {
    TlsFacts {
        version: "TLSv1.3".into(),
        cipher: "TLS_AES_256_GCM_SHA384".into(),
        key_exchange: None,
        chain: Vec::new(),
        verification: Verification {
            trusted,
            hostname_match: Some(true),
            checked_name: Some("smtp.example.test".into()),
            errors: Vec::new(),
        },
    }
}

/// A port that answered, with TLS (verified or not).
fn working(port: u16, trusted: bool) -> Observation {
    let mut o = Observation::new(endpoint(port));
    o.state = State::Ok;
    o.tls = Some(tls(trusted));
    o.ehlo_tls = Some(crate::smtp::Ehlo::parse(
        &crate::smtp::Reply {
            code: 250,
            enhanced: None,
            lines: vec!["smtp.example.test".into()],
        },
        false,
    ));
    o
}

fn refused(port: u16) -> Observation {
    let mut o = Observation::new(endpoint(port));
    o.state = State::Refused;
    o.error = Some(PhaseError {
        phase: crate::model::Phase::Connect,
        message: "refused".into(),
        run_deadline: false,
    });
    o
}

fn finding(id: FindingId, severity: Severity, port: Option<u16>) -> Finding {
    Finding {
        id,
        severity,
        endpoint: port.map(|p| endpoint(p).label()),
        ip: port.map(|p| endpoint(p).ip),
        message: format!("{id} was seen."),
        advice: "Do something.".into(),
    }
}

fn severities(findings: &[Finding]) -> Vec<(FindingId, Severity)> {
    findings.iter().map(|f| (f.id, f.severity)).collect()
}

const NOTHING_NAMED: Named<'static> = Named {
    ports: &[],
    credentials: false,
};

#[test]
fn informative_errors_weigh_less_when_a_secure_way_works() {
    let observations = [working(587, true), refused(465), refused(25)];
    let mut findings = vec![
        finding(FindingId::PortRefused, Severity::Error, Some(465)),
        finding(FindingId::PortRefused, Severity::Error, Some(25)),
        finding(FindingId::DnsServfail, Severity::Error, None),
    ];
    weigh(&mut findings, &observations, NOTHING_NAMED);
    assert_eq!(
        severities(&findings),
        vec![
            (FindingId::PortRefused, Severity::Warning),
            (FindingId::PortRefused, Severity::Warning),
            // About the run as a whole: unchanged.
            (FindingId::DnsServfail, Severity::Error),
        ]
    );
    assert!(
        findings[0].message.ends_with(
            "(probed only to inform; smtp.example.test:587 is a secure way that works.)"
        ),
        "{}",
        findings[0].message
    );
}

#[test]
fn without_a_secure_way_every_error_stays() {
    // 587 answers, but its certificate does not verify: no secure way.
    let observations = [working(587, false), refused(465)];
    let mut findings = vec![
        finding(FindingId::CertUntrusted, Severity::Error, Some(587)),
        finding(FindingId::PortRefused, Severity::Error, Some(465)),
    ];
    weigh(&mut findings, &observations, NOTHING_NAMED);
    assert!(findings.iter().all(|f| f.severity == Severity::Error));
    // A working port with an error of its own is no secure way either.
    let observations = [working(587, true), refused(465)];
    let mut findings = vec![
        finding(FindingId::StarttlsInjection, Severity::Error, Some(587)),
        finding(FindingId::PortRefused, Severity::Error, Some(465)),
    ];
    weigh(&mut findings, &observations, NOTHING_NAMED);
    assert!(findings.iter().all(|f| f.severity == Severity::Error));
}

#[test]
fn named_ports_are_judged_strictly_and_decide() {
    let observations = [working(587, true), refused(465), refused(25)];
    let mut findings = vec![
        finding(FindingId::PortRefused, Severity::Error, Some(465)),
        finding(FindingId::PortRefused, Severity::Error, Some(25)),
    ];
    let named = Named {
        ports: &[465],
        credentials: false,
    };
    weigh(&mut findings, &observations, named);
    assert_eq!(
        severities(&findings),
        vec![
            (FindingId::PortRefused, Severity::Error),
            (FindingId::PortRefused, Severity::Warning),
        ]
    );
    assert!(findings[1].message.contains("the ports you named decide"));
    // Everything named: nothing to weigh.
    let mut findings = vec![finding(FindingId::PortRefused, Severity::Error, Some(465))];
    let named = Named {
        ports: &[587, 465, 25],
        credentials: false,
    };
    weigh(&mut findings, &observations, named);
    assert_eq!(findings[0].severity, Severity::Error);
}

#[test]
fn with_credentials_a_secure_way_must_take_the_login() {
    let observations = [working(587, true), working(465, true), refused(25)];
    let named = Named {
        ports: &[],
        credentials: true,
    };
    // AUTH worked on 587: port 25 offering no AUTH (--auth-all) is only information.
    let mut findings = vec![
        finding(FindingId::AuthOk, Severity::Info, Some(587)),
        finding(
            FindingId::AuthMechanismUnsupported,
            Severity::Error,
            Some(25),
        ),
    ];
    weigh(&mut findings, &observations, named);
    assert_eq!(findings[1].severity, Severity::Warning);
    // The login failed everywhere: the credentials the user named are not healthy.
    let mut findings = vec![
        finding(FindingId::AuthFailed, Severity::Error, Some(587)),
        finding(
            FindingId::AuthMechanismUnsupported,
            Severity::Error,
            Some(25),
        ),
    ];
    weigh(&mut findings, &observations, named);
    assert!(findings.iter().all(|f| f.severity == Severity::Error));
}

#[test]
fn a_trusted_certificate_for_another_name_is_no_secure_way() {
    // Trusted, but it does not name the host: a client checking the name refuses it.
    let mut wrong_name = working(587, true);
    if let Some(tls) = wrong_name.tls.as_mut() {
        tls.verification.hostname_match = Some(false);
    }
    let observations = [wrong_name, refused(465)];
    let mut findings = vec![finding(FindingId::PortRefused, Severity::Error, Some(465))];
    weigh(&mut findings, &observations, NOTHING_NAMED);
    assert_eq!(
        severities(&findings),
        vec![(FindingId::PortRefused, Severity::Error)]
    );
}
