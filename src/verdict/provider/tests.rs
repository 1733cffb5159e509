//! Table-driven tests for the provider verdicts: every finding id, positive and negative.

use super::*;
use crate::model::{CertFacts, Endpoint, PhaseError, StarttlsObservation, TlsFacts, Verification};
use crate::providers::Catalog;
use crate::smtp::{Ehlo, Keyword, Reply};

use Severity::{Error, Warning};

fn catalog() -> Catalog {
    Catalog::builtin().unwrap()
}

fn reply(code: u16, text: &str) -> Reply {
    Reply {
        code,
        enhanced: None,
        lines: vec![text.to_string()],
    }
}

fn ehlo(domain: &str, keywords: &[&str]) -> Ehlo {
    Ehlo {
        code: 250,
        domain: domain.into(),
        greeting: "at your service".into(),
        keywords: keywords
            .iter()
            .map(|k| {
                let mut words = k.split_whitespace();
                Keyword {
                    name: words.next().unwrap().to_string(),
                    params: words.map(str::to_string).collect(),
                }
            })
            .collect(),
        lines: Vec::new(),
        helo: false,
    }
}

fn cert(san: &[&str], issuer: &str) -> CertFacts {
    CertFacts {
        subject: format!("CN={}", san.first().copied().unwrap_or("unnamed")),
        issuer: issuer.into(),
        san: san.iter().map(|s| s.to_string()).collect(),
        not_before: "2026-10-01T00:00:00Z".into(),
        not_after: "2026-12-24T00:00:00Z".into(),
        days_left: 50,
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

fn tls(version: &str, leaf: CertFacts, host: &str) -> TlsFacts {
    TlsFacts {
        version: version.into(),
        cipher: "TLS_AES_256_GCM_SHA384".into(),
        key_exchange: Some("X25519".into()),
        chain: vec![leaf],
        verification: Verification {
            trusted: true,
            hostname_match: Some(true),
            checked_name: Some(host.into()),
            errors: Vec::new(),
        },
    }
}

const GMAIL_PLAIN: &[&str] = &[
    "SIZE 35882577",
    "8BITMIME",
    "STARTTLS",
    "ENHANCEDSTATUSCODES",
    "PIPELINING",
    "CHUNKING",
    "SMTPUTF8",
];
const GMAIL_TLS: &[&str] = &[
    "SIZE 35882577",
    "8BITMIME",
    "AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH",
    "ENHANCEDSTATUSCODES",
    "PIPELINING",
    "CHUNKING",
    "SMTPUTF8",
];

/// A STARTTLS endpoint that completed the whole dialogue.
fn starttls_obs(
    host: &str,
    port: u16,
    banner: &str,
    plain: &[&str],
    after_tls: &[&str],
) -> Observation {
    let mut o = Observation::new(Endpoint {
        host: host.into(),
        ip: "192.0.2.1".parse().unwrap(),
        port,
        security: Security::Starttls,
    });
    o.banner = Some(reply(220, banner));
    o.ehlo = Some(ehlo(host, plain));
    o.starttls = Some(StarttlsObservation {
        offered: true,
        reply: Some(reply(220, "2.0.0 Ready to start TLS")),
        injected: Vec::new(),
    });
    o.tls = Some(tls(
        "TLSv1.3",
        cert(&[host], "C=US, O=Test CA, CN=Test Issuer"),
        host,
    ));
    o.ehlo_tls = Some(ehlo(host, after_tls));
    o
}

/// An implicit-TLS endpoint that completed the whole dialogue.
fn implicit_obs(host: &str, port: u16, banner: &str, after_tls: &[&str]) -> Observation {
    let mut o = starttls_obs(host, port, banner, &[], after_tls);
    o.endpoint.security = Security::ImplicitTls;
    o.ehlo = None;
    o.starttls = None;
    o
}

const GMAIL_BANNER: &str = "smtp.gmail.com ESMTP abc123 - gsmtp";

fn gmail(port: u16) -> Observation {
    starttls_obs("smtp.gmail.com", port, GMAIL_BANNER, GMAIL_PLAIN, GMAIL_TLS)
}

fn gmail_implicit() -> Observation {
    implicit_obs("smtp.gmail.com", 465, GMAIL_BANNER, GMAIL_TLS)
}

fn office365(port: u16, after_tls: &[&str]) -> Observation {
    starttls_obs(
        "smtp.office365.com",
        port,
        "AM0PR01CA0001.outlook.office365.com Microsoft ESMTP MAIL Service ready",
        &["SIZE 157286400", "PIPELINING", "STARTTLS"],
        after_tls,
    )
}

fn failed(mut o: Observation, state: State, phase: Phase) -> Observation {
    o.state = state;
    o.error = Some(PhaseError {
        phase,
        message: "details".into(),
        run_deadline: false,
    });
    o.banner = None;
    o.ehlo = None;
    o.starttls = None;
    o.tls = None;
    o.ehlo_tls = None;
    o
}

fn ids(findings: &[Finding]) -> Vec<(&'static str, Severity)> {
    findings
        .iter()
        .map(|f| (f.id.as_str(), f.severity))
        .collect()
}

/// One case: what it shows, the preset, the observation, the findings expected.
type Case = (
    &'static str,
    &'static str,
    Observation,
    &'static [(&'static str, Severity)],
);

#[expect(clippy::too_many_lines, reason = "a case table")]
fn cases() -> Vec<Case> {
    let mut cases: Vec<Case> = Vec::new();

    // Healthy endpoints: nothing to say.
    cases.push(("healthy gmail 587", "gmail", gmail(587), &[]));
    cases.push(("healthy gmail 465", "gmail", gmail_implicit(), &[]));
    let mut wildcard = gmail(587);
    wildcard.tls = Some(tls(
        "TLSv1.3",
        cert(&["*.gmail.com"], "O=Test CA"),
        "smtp.gmail.com",
    ));
    cases.push((
        "wildcard certificate covers the host",
        "gmail",
        wildcard,
        &[],
    ));

    // provider.intercepted
    let mut banner = gmail(587);
    banner.banner = Some(reply(220, "mail.isp.example ESMTP Postfix"));
    cases.push((
        "another banner",
        "gmail",
        banner,
        &[("provider.intercepted", Error)],
    ));
    let mut proxy = gmail(587);
    proxy.banner = Some(reply(220, "proxy.antivirus.example ESMTP ready"));
    proxy.tls = Some(tls(
        "TLSv1.3",
        cert(&["proxy.antivirus.example"], "O=Antivirus Root CA"),
        "smtp.gmail.com",
    ));
    cases.push((
        "another banner and another certificate issuer",
        "gmail",
        proxy,
        &[("provider.intercepted", Error)],
    ));
    let mut san = gmail_implicit();
    san.tls = Some(tls(
        "TLSv1.3",
        cert(&["mail.example.test"], "O=Test CA"),
        "smtp.gmail.com",
    ));
    cases.push((
        "certificate for another name",
        "gmail",
        san,
        &[("provider.intercepted", Error)],
    ));
    let mut address = gmail(587);
    address.endpoint.host = "192.0.2.1".into();
    address.banner = Some(reply(220, "mail.isp.example ESMTP Postfix"));
    cases.push((
        "an address typed: a mismatch is not interception",
        "gmail",
        address,
        &[],
    ));
    let mut no_fingerprint = office365(587, &["AUTH LOGIN XOAUTH2"]);
    no_fingerprint.banner = Some(reply(220, "anything ESMTP"));
    cases.push((
        "no fingerprint in the preset: nothing to compare",
        "office365",
        no_fingerprint,
        &[],
    ));

    // provider.port_unsupported
    cases.push((
        "465 at Office 365",
        "office365",
        implicit_obs(
            "smtp.office365.com",
            465,
            "ESMTP ready",
            &["AUTH LOGIN XOAUTH2"],
        ),
        &[("provider.port_unsupported", Warning)],
    ));
    cases.push((
        "465 at Office 365, refused: still explained",
        "office365",
        failed(
            implicit_obs("smtp.office365.com", 465, "x", &[]),
            State::Timeout,
            Phase::Connect,
        ),
        &[("provider.port_unsupported", Warning)],
    ));
    cases.push((
        "587 at Office 365 is documented",
        "office365",
        office365(587, &["AUTH LOGIN XOAUTH2"]),
        &[],
    ));
    let mut skipped = failed(gmail(25), State::Skipped, Phase::Connect);
    skipped.endpoint.port = 25;
    cases.push(("skipped endpoints are not judged", "gmail", skipped, &[]));

    // Not connected: the generic rules' business.
    cases.push((
        "refused documented port",
        "gmail",
        failed(gmail(587), State::Refused, Phase::Connect),
        &[],
    ));

    // provider.mode_mismatch
    let mut plain = gmail(587);
    plain.endpoint.security = Security::Plain;
    plain.starttls = None;
    plain.tls = None;
    plain.ehlo_tls = None;
    cases.push((
        "plain text where STARTTLS is documented",
        "gmail",
        plain,
        &[("provider.mode_mismatch", Error)],
    ));
    let mut starttls_on_465 = failed(gmail(465), State::Timeout, Phase::Banner);
    starttls_on_465.wrong_mode = Some(WrongMode::ImplicitTlsOnStarttlsPort);
    starttls_on_465.tls = gmail(465).tls;
    cases.push((
        "STARTTLS tried where implicit TLS is documented",
        "gmail",
        starttls_on_465,
        &[("provider.mode_mismatch", Error)],
    ));
    let mut implicit_on_587 = failed(gmail(587), State::Timeout, Phase::Banner);
    implicit_on_587.wrong_mode = Some(WrongMode::ImplicitTlsOnStarttlsPort);
    implicit_on_587.tls = gmail(587).tls;
    cases.push((
        "587 answers implicit TLS although STARTTLS is documented",
        "gmail",
        implicit_on_587,
        &[("provider.mode_mismatch", Error)],
    ));
    let mut sendgrid_plain = starttls_obs(
        "smtp.sendgrid.net",
        587,
        "SG ESMTP service ready",
        &["STARTTLS", "AUTH PLAIN LOGIN"],
        &[],
    );
    sendgrid_plain.endpoint.security = Security::Plain;
    sendgrid_plain.starttls = None;
    sendgrid_plain.tls = None;
    sendgrid_plain.ehlo_tls = None;
    cases.push((
        "plain text where plain is allowed",
        "sendgrid",
        sendgrid_plain,
        &[],
    ));

    // provider.starttls_stripped
    let mut stripped = gmail(587);
    stripped.ehlo = Some(ehlo("smtp.gmail.com", &["SIZE 35882577", "PIPELINING"]));
    stripped.starttls = Some(StarttlsObservation {
        offered: false,
        reply: None,
        injected: Vec::new(),
    });
    stripped.tls = None;
    stripped.ehlo_tls = None;
    cases.push((
        "STARTTLS missing on the path",
        "gmail",
        stripped,
        &[("provider.starttls_stripped", Error)],
    ));
    let mut relay = starttls_obs(
        "smtp.sendgrid.net",
        25,
        "SG ESMTP service ready",
        &["PIPELINING"],
        &[],
    );
    relay.starttls = Some(StarttlsObservation {
        offered: false,
        reply: None,
        injected: Vec::new(),
    });
    relay.tls = None;
    relay.ehlo_tls = None;
    cases.push((
        "STARTTLS missing where it is optional but offered",
        "sendgrid",
        relay,
        &[("provider.starttls_stripped", Error)],
    ));

    // provider.auth_mechanisms
    cases.push((
        "XOAUTH2 missing after TLS",
        "office365",
        office365(587, &["SIZE 157286400", "AUTH LOGIN"]),
        &[("provider.auth_mechanisms", Warning)],
    ));
    cases.push((
        "no AUTH at all after TLS",
        "office365",
        office365(587, &["SIZE 157286400"]),
        &[("provider.auth_mechanisms", Warning)],
    ));
    cases.push((
        "extra mechanisms are fine",
        "office365",
        office365(587, &["AUTH LOGIN XOAUTH2 NTLM"]),
        &[],
    ));

    // provider.tls_too_old
    let mut old = office365(587, &["AUTH LOGIN XOAUTH2"]);
    if let Some(t) = old.tls.as_mut() {
        t.version = "TLSv1.1".into();
    }
    cases.push((
        "TLS 1.1 at Office 365",
        "office365",
        old,
        &[("provider.tls_too_old", Error)],
    ));
    let mut legacy = starttls_obs(
        "smtp-legacy.office365.com",
        587,
        "ready",
        &["STARTTLS"],
        &["AUTH LOGIN XOAUTH2"],
    );
    if let Some(t) = legacy.tls.as_mut() {
        t.version = "TLSv1".into();
    }
    cases.push((
        "TLS 1.0 at the legacy endpoint is allowed",
        "office365-legacy",
        legacy,
        &[],
    ));
    let mut tls12 = office365(587, &["AUTH LOGIN XOAUTH2"]);
    if let Some(t) = tls12.tls.as_mut() {
        t.version = "TLSv1.2".into();
    }
    cases.push(("TLS 1.2 at Office 365", "office365", tls12, &[]));

    cases
}

#[test]
fn every_finding_id_positive_and_negative() {
    let catalog = catalog();
    for (what, id, obs, expected) in cases() {
        let preset = catalog.get(id).unwrap();
        let found = judge_endpoint(&obs, preset);
        assert_eq!(ids(&found), expected.to_vec(), "{what}: {found:#?}");
        for f in &found {
            assert!(!f.message.is_empty() && !f.advice.is_empty(), "{what}");
            assert_eq!(f.endpoint.as_deref(), Some(obs.endpoint.label().as_str()));
        }
    }
}

#[test]
fn the_cases_cover_every_finding_id() {
    let covered: Vec<&str> = cases()
        .iter()
        .flat_map(|(_, _, _, expected)| expected.iter().map(|(id, _)| *id))
        .collect();
    for id in [
        "provider.port_unsupported",
        "provider.mode_mismatch",
        "provider.auth_mechanisms",
        "provider.intercepted",
        "provider.starttls_stripped",
        "provider.tls_too_old",
    ] {
        assert!(covered.contains(&id), "{id} has no case");
    }
}

#[test]
fn healthy_gmail_run_has_no_error_at_all() {
    let catalog = catalog();
    let gmail_preset = catalog.get("gmail").unwrap();
    let run = [gmail(587), gmail_implicit()];
    assert_eq!(judge(&run, gmail_preset), vec![]);
    let generic: Vec<Finding> = run.iter().flat_map(super::super::judge_endpoint).collect();
    assert!(generic.iter().all(|f| f.severity != Error), "{generic:#?}");
    // And the catalogue recognises it by host name and by banner alone.
    assert_eq!(
        catalog
            .identify("smtp.gmail.com", &run)
            .unwrap()
            .preset
            .id
            .as_str(),
        "gmail"
    );
    let mut by_ip = gmail(587);
    by_ip.endpoint.host = "192.0.2.1".into();
    let m = catalog.identify("192.0.2.1", &[by_ip]).unwrap();
    assert_eq!(m.preset.id.as_str(), "gmail");
    assert_eq!(m.reason.kind(), "banner");
}

#[test]
fn messages_say_what_to_do() {
    let catalog = catalog();
    let o365 = catalog.get("office365").unwrap();
    let f = judge_endpoint(&implicit_obs("smtp.office365.com", 465, "x", &[]), o365);
    assert_eq!(f.len(), 1);
    assert!(f[0].message.contains("465"), "{}", f[0].message);
    assert!(
        f[0].advice.contains("587") && f[0].advice.contains("STARTTLS"),
        "{}",
        f[0].advice
    );

    let gmail_preset = catalog.get("gmail").unwrap();
    let mut o = gmail(587);
    o.banner = Some(reply(220, "mail.isp.example ESMTP Postfix"));
    let f = judge_endpoint(&o, gmail_preset);
    assert!(
        f[0].message.contains("mail.isp.example ESMTP Postfix"),
        "{}",
        f[0].message
    );
    assert!(f[0].advice.contains("antivirus"), "{}", f[0].advice);

    let mut o = gmail(587);
    o.endpoint.security = Security::Plain;
    o.tls = None;
    o.ehlo_tls = None;
    o.starttls = None;
    let f = judge_endpoint(&o, gmail_preset);
    assert!(f[0].advice.contains("STARTTLS"), "{}", f[0].advice);

    let mut o = gmail(587);
    o.ehlo = Some(ehlo("smtp.gmail.com", &["PIPELINING"]));
    o.tls = None;
    o.ehlo_tls = None;
    let f = judge_endpoint(&o, gmail_preset);
    assert!(f[0].advice.contains("465"), "{}", f[0].advice);

    let f = judge_endpoint(&office365(587, &["AUTH LOGIN"]), o365);
    assert!(f[0].message.contains("XOAUTH2"), "{}", f[0].message);
}

#[test]
fn settings_for_gmail() {
    let catalog = catalog();
    let preset = catalog.get("gmail").unwrap();
    let s = settings(&[gmail(587)], preset);
    assert_eq!(s.provider, "gmail");
    assert_eq!(s.host.as_deref(), Some("smtp.gmail.com"));
    assert_eq!(s.port, Some(465));
    assert_eq!(s.security, Some(SecurityMode::ImplicitTls));
    assert_eq!(s.username.as_deref(), Some("your full e-mail address"));
    assert!(s.authentication.is_some());
    assert!(s.requirements.iter().any(|r| r.contains("app password")));
    let seen: Vec<(u16, bool, Seen)> = s
        .ports
        .iter()
        .map(|p| (p.port, p.recommended, p.seen))
        .collect();
    assert_eq!(
        seen,
        vec![(465, true, Seen::NotProbed), (587, false, Seen::Working)]
    );

    // An intercepted path is not "working", nor is a refused one.
    let mut intercepted = gmail(587);
    intercepted.banner = Some(reply(220, "proxy ESMTP"));
    let refused = failed(gmail_implicit(), State::Refused, Phase::Connect);
    let s = settings(&[intercepted, refused], preset);
    let seen: Vec<Seen> = s.ports.iter().map(|p| p.seen).collect();
    assert_eq!(seen, vec![Seen::Failing, Seen::Failing]);

    // Working needs TLS: a plain-only run of a plain-or-STARTTLS port is not enough.
    let sendgrid = catalog.get("sendgrid").unwrap();
    let mut plain = starttls_obs("smtp.sendgrid.net", 587, "SG", &["STARTTLS"], &[]);
    plain.endpoint.security = Security::Plain;
    plain.tls = None;
    plain.ehlo_tls = None;
    plain.starttls = None;
    let s = settings(&[plain], sendgrid);
    let p587 = s.ports.iter().find(|p| p.port == 587).unwrap();
    assert_eq!(p587.seen, Seen::Failing);
}

#[test]
fn settings_host_follows_what_was_typed() {
    let catalog = catalog();
    let ses = catalog.get("amazon-ses").unwrap();
    let typed = starttls_obs(
        "email-smtp.eu-west-1.amazonaws.com",
        587,
        "ready",
        &["STARTTLS"],
        &[],
    );
    assert_eq!(
        settings(&[typed], ses).host.as_deref(),
        Some("email-smtp.eu-west-1.amazonaws.com")
    );
    assert_eq!(
        settings(&[], ses).host.as_deref(),
        Some("email-smtp.<region>.amazonaws.com")
    );
    let bridge = catalog.get("proton-bridge").unwrap();
    let s = settings(&[], bridge);
    assert_eq!(s.host.as_deref(), Some("127.0.0.1"));
    assert_eq!(s.port, Some(1025));
    // AOL: sources disagree, nothing recommended; the first documented port is shown.
    let aol = catalog.get("aol").unwrap();
    let s = settings(&[], aol);
    assert_eq!(s.port, Some(465));
    assert!(s.ports.iter().all(|p| !p.recommended));
}

#[test]
fn a_run_is_judged_endpoint_by_endpoint() {
    let catalog = catalog();
    let o365 = catalog.get("office365").unwrap();
    let run = [
        office365(587, &["AUTH LOGIN XOAUTH2"]),
        implicit_obs("smtp.office365.com", 465, "x", &[]),
    ];
    let found = judge(&run, o365);
    assert_eq!(ids(&found), vec![("provider.port_unsupported", Warning)]);
    assert_eq!(
        found[0].endpoint.as_deref(),
        Some(run[1].endpoint.label().as_str())
    );
}

#[test]
fn the_mode_a_port_answers_in_against_the_documented_one() {
    let catalog = catalog();
    let gmail_preset = catalog.get("gmail").unwrap();
    // 587 (STARTTLS) answers with implicit TLS.
    let mut implicit_on_587 = gmail(587);
    implicit_on_587.wrong_mode = Some(WrongMode::ImplicitTlsOnStarttlsPort);
    let found = judge_endpoint(&implicit_on_587, gmail_preset);
    assert_eq!(ids(&found), vec![("provider.mode_mismatch", Error)]);
    assert!(
        found[0]
            .message
            .starts_with("Port 587 answers with implicit TLS, but"),
        "{}",
        found[0].message
    );
    // 465 (implicit TLS) greets in plain text.
    let mut plain_on_465 = gmail_implicit();
    plain_on_465.wrong_mode = Some(WrongMode::PlainOnTlsPort);
    let found = judge_endpoint(&plain_on_465, gmail_preset);
    assert_eq!(ids(&found), vec![("provider.mode_mismatch", Error)]);
    assert!(
        found[0]
            .message
            .starts_with("Port 465 answers with plain text"),
        "{}",
        found[0].message
    );
    // 587 probed with implicit TLS greets in plain text, as documented: only the probe's mode
    // was wrong.
    let mut tried_tls_on_587 = gmail(587);
    tried_tls_on_587.endpoint.security = Security::ImplicitTls;
    tried_tls_on_587.wrong_mode = Some(WrongMode::PlainOnTlsPort);
    let found = judge_endpoint(&tried_tls_on_587, gmail_preset);
    assert_eq!(ids(&found), vec![("provider.mode_mismatch", Error)]);
    assert!(
        found[0].message.starts_with("Port 587 was tried with"),
        "{}",
        found[0].message
    );
}

#[test]
fn no_stripping_is_claimed_where_the_plain_ehlo_says_nothing() {
    let catalog = catalog();
    let gmail_preset = catalog.get("gmail").unwrap();
    // An EHLO without STARTTLS, but the port answered in another mode, or was probed with
    // implicit TLS: nothing was stripped.
    let mut wrong_mode = gmail(587);
    wrong_mode.ehlo = Some(ehlo("smtp.gmail.com", &["SIZE 35882577"]));
    wrong_mode.wrong_mode = Some(WrongMode::ImplicitTlsOnStarttlsPort);
    let mut probed_implicit = gmail(587);
    probed_implicit.ehlo = Some(ehlo("smtp.gmail.com", &["SIZE 35882577"]));
    probed_implicit.endpoint.security = Security::ImplicitTls;
    for obs in [wrong_mode, probed_implicit] {
        let found = judge_endpoint(&obs, gmail_preset);
        assert!(
            !ids(&found).contains(&("provider.starttls_stripped", Error)),
            "{found:#?}"
        );
    }
}

#[test]
fn a_helo_reply_inside_tls_is_not_judged_for_mechanisms() {
    let catalog = catalog();
    let o365 = catalog.get("office365").unwrap();
    let mut helo = office365(587, &[]);
    if let Some(e) = helo.ehlo_tls.as_mut() {
        e.helo = true;
    }
    let found = judge_endpoint(&helo, o365);
    assert!(
        !ids(&found)
            .iter()
            .any(|(id, _)| *id == "provider.auth_mechanisms"),
        "{found:#?}"
    );
}

#[test]
fn a_certificate_from_another_issuer_is_an_interception() {
    let text = r#"
[[provider]]
id = "acme"
name = "ACME relay"
hosts = ["smtp.acme.example"]
ports = [{ port = 587, security = "starttls" }]
fingerprint = { cert_issuer = ["ACME Trust"] }
"#;
    let catalog = Catalog::from_toml(text, crate::providers::Origin::Builtin).unwrap();
    let preset = catalog.get("acme").unwrap();
    let mut seen = starttls_obs("smtp.acme.example", 587, "hi", &["STARTTLS"], &[]);
    if let Some(tls) = seen.tls.as_mut() {
        tls.chain = vec![cert(
            &["smtp.acme.example"],
            "C=US, O=Mail Shield Antivirus, CN=Scan",
        )];
    }
    let found = judge_endpoint(&seen, preset);
    assert_eq!(ids(&found), vec![("provider.intercepted", Error)]);
    assert!(
        found[0].message.contains("a certificate issued by"),
        "{}",
        found[0].message
    );
    if let Some(tls) = seen.tls.as_mut() {
        tls.chain = vec![cert(
            &["smtp.acme.example"],
            "C=US, O=ACME Trust, CN=Issuing CA",
        )];
    }
    assert_eq!(judge_endpoint(&seen, preset), vec![]);
}

#[test]
fn seen_has_stable_json_names() {
    assert_eq!(Seen::Working.as_str(), "working");
    assert_eq!(Seen::Failing.as_str(), "failing");
    assert_eq!(Seen::NotProbed.as_str(), "not_probed");
}

#[test]
fn a_provider_finding_replaces_the_generic_one_it_explains_on_its_endpoint_only() {
    let about = |id: FindingId, port: u16, last: u8| Finding {
        id,
        severity: Error,
        endpoint: Some(format!("smtp.gmail.com:{port}")),
        ip: Some(std::net::IpAddr::from([192, 0, 2, last])),
        message: format!("{id} on {port}"),
        advice: String::new(),
    };
    let mut findings = vec![
        // Explained by the provider finding below: dropped.
        about(FindingId::TlsWrongMode, 587, 1),
        // Same id, another address, another port: kept.
        about(FindingId::TlsWrongMode, 587, 2),
        about(FindingId::TlsWrongMode, 465, 1),
        // Same endpoint, an id the provider finding does not explain: kept.
        about(FindingId::StarttlsMissing, 587, 1),
    ];
    let provider = vec![about(FindingId::ProviderModeMismatch, 587, 1)];
    add_explaining(&mut findings, provider);
    let kept: Vec<String> = findings.iter().map(|f| f.message.clone()).collect();
    assert_eq!(
        kept,
        vec![
            "tls.wrong_mode on 587".to_string(),
            "tls.wrong_mode on 465".to_string(),
            "starttls.missing on 587".to_string(),
            "provider.mode_mismatch on 587".to_string(),
        ]
    );
    assert_eq!(findings[0].ip, Some(std::net::IpAddr::from([192, 0, 2, 2])));
}
