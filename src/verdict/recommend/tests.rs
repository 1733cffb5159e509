use std::net::IpAddr;

use super::*;
use crate::model::{Endpoint, TlsFacts, Verification};
use crate::smtp::{Ehlo, Reply};

fn ehlo(lines: &[&str]) -> Ehlo {
    let mut all = vec!["mail.test".to_string()];
    all.extend(lines.iter().map(|l| (*l).to_string()));
    Ehlo::parse(
        &Reply {
            code: 250,
            enhanced: None,
            lines: all,
        },
        false,
    )
}

/// An endpoint of mail.test on `port`: TLS when `tls` (verified when `trusted`), AUTH inside
/// TLS when `auth` is not empty.
fn seen(port: u16, tls: bool, trusted: bool, auth: &[&str]) -> Observation {
    let mut o = Observation::new(Endpoint {
        host: "mail.test".into(),
        ip: IpAddr::from([192, 0, 2, 5]),
        port,
        security: Security::default_for_port(port),
    });
    o.state = State::Ok;
    o.ehlo = Some(ehlo(if tls { &["STARTTLS"] } else { &[] }));
    if tls {
        o.tls = Some(TlsFacts {
            version: "TLSv1.3".into(),
            cipher: "TLS_AES_128_GCM_SHA256".into(),
            key_exchange: None,
            chain: Vec::new(),
            verification: Verification {
                trusted,
                hostname_match: Some(true),
                checked_name: Some("mail.test".into()),
                errors: Vec::new(),
            },
        });
        let keywords: Vec<String> = auth.iter().map(|m| format!("AUTH {m}")).collect();
        let refs: Vec<&str> = keywords.iter().map(String::as_str).collect();
        o.ehlo_tls = Some(ehlo(&refs));
    }
    o
}

#[test]
fn implicit_tls_on_465_first_when_everything_works() {
    let run = [
        seen(25, true, true, &[]),
        seen(587, true, true, &["PLAIN LOGIN"]),
        seen(465, true, true, &["PLAIN LOGIN"]),
    ];
    let r = recommend(&run, &[]).unwrap();
    assert_eq!(r.port, Some(465));
    assert_eq!(r.security, Some(Security::ImplicitTls));
    assert_eq!(r.auth, vec!["PLAIN".to_string(), "LOGIN".to_string()]);
    assert!(r.why.contains("certificate verifies"), "{}", r.why);
    assert!(r.why.contains("AUTH PLAIN LOGIN"), "{}", r.why);
    assert_eq!(
        r.also,
        vec![
            "587 with STARTTLS".to_string(),
            "25 with STARTTLS".to_string()
        ]
    );
}

#[test]
fn never_a_port_without_tls_while_one_with_tls_works() {
    // 587 answers in clear (no STARTTLS) and offers AUTH; 25 has TLS.
    let mut plain_587 = seen(587, false, false, &[]);
    plain_587.ehlo = Some(ehlo(&["AUTH PLAIN LOGIN"]));
    let run = [plain_587, seen(25, true, true, &[])];
    let r = recommend(&run, &[]).unwrap();
    assert_eq!(r.port, Some(25));
    assert!(r.why.contains("no AUTH is offered"), "{}", r.why);
}

#[test]
fn never_a_failing_certificate_while_another_verifies() {
    let run = [
        seen(465, true, false, &["PLAIN"]),
        seen(587, true, true, &["PLAIN"]),
    ];
    let r = recommend(&run, &[]).unwrap();
    assert_eq!(r.port, Some(587));
    assert!(r.also.is_empty(), "{:?}", r.also);
    // Only unverified ones: recommended, with the warning said.
    let run = [seen(465, true, false, &["PLAIN"])];
    let r = recommend(&run, &[]).unwrap();
    assert_eq!(r.port, Some(465));
    assert!(r.why.contains("does not verify"), "{}", r.why);
}

#[test]
fn an_error_of_its_own_rules_a_port_out_and_none_can_be_empty() {
    let run = [
        seen(465, true, true, &["PLAIN"]),
        seen(587, true, true, &["PLAIN"]),
    ];
    let injected = Finding {
        id: FindingId::StarttlsInjection,
        severity: Severity::Error,
        endpoint: Some(run[0].endpoint.label()),
        ip: Some(run[0].endpoint.ip),
        message: String::new(),
        advice: String::new(),
    };
    let r = recommend(&run, &[injected]).unwrap();
    assert_eq!(r.port, Some(587));
    let none = recommend(&[seen(587, false, false, &[])], &[]).unwrap();
    assert_eq!(none.port, None);
    assert!(none.why.contains("none can be recommended"), "{}", none.why);
    assert_eq!(recommend(&[], &[]), None);
}

#[test]
fn a_refused_login_does_not_rule_a_port_out() {
    let run = [seen(587, true, true, &["PLAIN"])];
    let failed = Finding {
        id: FindingId::AuthFailed,
        severity: Severity::Error,
        endpoint: Some(run[0].endpoint.label()),
        ip: Some(run[0].endpoint.ip),
        message: String::new(),
        advice: String::new(),
    };
    let r = recommend(&run, &[failed]).unwrap();
    assert_eq!(r.port, Some(587));
}

#[test]
fn an_expired_certificate_does_not_verify() {
    let mut expired = seen(465, true, true, &["PLAIN"]);
    if let Some(tls) = &mut expired.tls {
        tls.verification.errors.push(crate::model::VerifyError {
            depth: 0,
            code: 10,
            message: "certificate has expired".into(),
        });
    }
    let r = recommend(&[expired.clone(), seen(587, true, true, &["PLAIN"])], &[]).unwrap();
    assert_eq!(r.port, Some(587));
    let r = recommend(&[expired], &[]).unwrap();
    assert!(
        r.why.contains("does not verify (certificate has expired)"),
        "{}",
        r.why
    );
}

#[test]
fn a_starttls_port_that_speaks_implicit_tls_is_recommended_as_such() {
    let mut wrong = seen(587, true, true, &["PLAIN"]);
    wrong.state = State::Timeout;
    wrong.wrong_mode = Some(WrongMode::ImplicitTlsOnStarttlsPort);
    let r = recommend(&[wrong], &[]).unwrap();
    assert_eq!(r.port, Some(587));
    assert_eq!(r.security, Some(Security::ImplicitTls));
    assert!(r.why.contains("the port speaks it"), "{}", r.why);
}

#[test]
fn tls_without_the_ehlo_inside_it_is_not_a_working_setting() {
    // 587 finished the handshake, then nothing answered EHLO inside TLS.
    let mut broken = seen(587, true, true, &["PLAIN"]);
    broken.ehlo_tls = None;
    // 25 offers no AUTH either, so only the missing EHLO can rule 587 out.
    let run = [broken, seen(25, true, true, &[])];
    let r = recommend(&run, &[]).unwrap();
    assert_eq!(r.port, Some(25));
}

#[test]
fn the_submission_port_before_other_ports_and_those_before_25() {
    // Listed first, the less preferred port would win a tie: the order of ports decides.
    let run = [
        seen(2525, true, true, &["PLAIN"]),
        seen(587, true, true, &["PLAIN"]),
    ];
    assert_eq!(recommend(&run, &[]).unwrap().port, Some(587));
    let run = [
        seen(25, true, true, &["PLAIN"]),
        seen(2525, true, true, &["PLAIN"]),
    ];
    assert_eq!(recommend(&run, &[]).unwrap().port, Some(2525));
}
