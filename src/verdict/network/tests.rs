//! The conclusion table (which mixes of probe classes give which conclusions) and the
//! classification of single observations.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use super::*;
use crate::model::{
    CertFacts, Endpoint, IcmpError, PhaseError, StarttlsObservation, TlsFacts, Verification,
    VerifyError,
};
use crate::providers::Catalog;
use crate::smtp::{Ehlo, Reply};

use Class::{
    Filtered, Intercepted, NoRoute, Open, Prohibited, Refused, Stripped, Throttled, Unresolved,
};

/// Four operators, each with one control host for every port.
const OPERATORS: [&str; 4] = ["google", "yahoo", "zoho", "gmx"];

/// Facts for every operator on `port`, the classes in operator order.
fn row(port: u16, classes: [Class; 4]) -> Vec<Fact> {
    OPERATORS
        .iter()
        .zip(classes)
        .map(|(op, class)| Fact {
            host: format!("{op}-{port}.test"),
            operator: (*op).to_string(),
            port,
            class,
            reason: format!("{} reason", class.as_str()),
        })
        .collect()
}

fn all(port: u16, class: Class) -> Vec<Fact> {
    row(port, [class; 4])
}

/// Every operator on `port` accepts the connection and never greets.
fn silent(port: u16) -> Vec<Fact> {
    all(port, Throttled)
        .into_iter()
        .map(|mut f| {
            f.reason = format!("{NO_GREETING}no greeting within 5000 ms");
            f
        })
        .collect()
}

fn facts(rows: Vec<Vec<Fact>>) -> Vec<Fact> {
    rows.into_iter().flatten().collect()
}

type Expected = Vec<(Kind, Option<u16>)>;

#[test]
#[expect(clippy::too_many_lines, reason = "a case table")]
fn conclusion_table() {
    use Kind as K;
    let ports = [25, 587, 465];
    let cases: Vec<(&str, Vec<Fact>, Expected)> = vec![
        (
            "everything open",
            facts(vec![all(25, Open), all(587, Open), all(465, Open)]),
            vec![
                (K::Open, Some(25)),
                (K::Open, Some(587)),
                (K::Open, Some(465)),
            ],
        ),
        (
            "25 dropped, submission open: 25 blocked",
            facts(vec![all(25, Filtered), all(587, Open), all(465, Open)]),
            vec![
                (K::Blocked, Some(25)),
                (K::Open, Some(587)),
                (K::Open, Some(465)),
            ],
        ),
        (
            "25 reset everywhere: blocked too",
            facts(vec![all(25, Refused), all(587, Open), all(465, Open)]),
            vec![
                (K::Blocked, Some(25)),
                (K::Open, Some(587)),
                (K::Open, Some(465)),
            ],
        ),
        (
            "25 prohibited by ICMP: blocked",
            facts(vec![all(25, Prohibited), all(587, Open), all(465, Open)]),
            vec![
                (K::Blocked, Some(25)),
                (K::Open, Some(587)),
                (K::Open, Some(465)),
            ],
        ),
        (
            "25 mixed failures, nothing answers: blocked",
            facts(vec![
                row(25, [Filtered, Refused, Prohibited, Class::Unreachable]),
                all(587, Open),
                all(465, Open),
            ]),
            vec![
                (K::Blocked, Some(25)),
                (K::Open, Some(587)),
                (K::Open, Some(465)),
            ],
        ),
        (
            "one host times out on 587: that host's side",
            facts(vec![
                all(25, Open),
                row(587, [Open, Open, Filtered, Open]),
                all(465, Open),
            ]),
            vec![
                (K::Open, Some(25)),
                (K::Open, Some(587)),
                (K::HostDown, Some(587)),
                (K::Open, Some(465)),
            ],
        ),
        (
            "two hosts fail on 25: not a blanket block",
            facts(vec![
                row(25, [Open, Filtered, Open, Refused]),
                all(587, Open),
            ]),
            vec![
                (K::Open, Some(25)),
                (K::HostDown, Some(25)),
                (K::Open, Some(587)),
                (K::NoControls, Some(465)),
            ],
        ),
        (
            "nothing answers anywhere: offline, no port conclusions",
            facts(vec![
                all(25, Filtered),
                all(587, Filtered),
                all(465, Filtered),
            ]),
            vec![(K::Offline, None)],
        ),
        (
            "ICMP unreachable and timeouts everywhere: offline",
            facts(vec![
                all(25, Class::Unreachable),
                all(587, Filtered),
                all(465, Class::Unreachable),
            ]),
            vec![(K::Offline, None)],
        ),
        (
            "no route at all: offline",
            facts(vec![all(25, NoRoute), all(587, NoRoute), all(465, NoRoute)]),
            vec![(K::Offline, None)],
        ),
        (
            "resets on every port: a firewall, each port blocked, not offline",
            facts(vec![all(25, Refused), all(587, Refused), all(465, Refused)]),
            vec![
                (K::Blocked, Some(25)),
                (K::Blocked, Some(587)),
                (K::Blocked, Some(465)),
            ],
        ),
        (
            "no name resolves: DNS, not a port block",
            facts(vec![
                all(25, Unresolved),
                all(587, Unresolved),
                all(465, Unresolved),
            ]),
            vec![(K::DnsFailed, None)],
        ),
        (
            "one name does not resolve: a warning, the rest judged",
            facts(vec![
                row(25, [Open, Open, Open, Unresolved]),
                all(587, Open),
                all(465, Open),
            ]),
            vec![
                (K::DnsFailed, None),
                (K::Open, Some(25)),
                (K::Open, Some(587)),
                (K::Open, Some(465)),
            ],
        ),
        (
            "one impostor on 465 is enough",
            facts(vec![
                all(25, Open),
                all(587, Open),
                row(465, [Open, Intercepted, Open, Open]),
            ]),
            vec![
                (K::Open, Some(25)),
                (K::Open, Some(587)),
                (K::Intercepted, Some(465)),
            ],
        ),
        (
            "STARTTLS removed on 587",
            facts(vec![all(25, Open), all(587, Stripped), all(465, Open)]),
            vec![
                (K::Open, Some(25)),
                (K::Stripped, Some(587)),
                (K::Open, Some(465)),
            ],
        ),
        (
            "421 everywhere on 25: throttled, not blocked",
            facts(vec![all(25, Throttled), all(587, Open), all(465, Open)]),
            vec![
                (K::Throttled, Some(25)),
                (K::Open, Some(587)),
                (K::Open, Some(465)),
            ],
        ),
        (
            "every host accepts but none greets: a proxy in the path holds them",
            facts(vec![silent(25), all(587, Open)]),
            vec![
                (K::Blocked, Some(25)),
                (K::Open, Some(587)),
                (K::NoControls, Some(465)),
            ],
        ),
        (
            "a port without control hosts",
            facts(vec![all(25, Open), all(587, Open)]),
            vec![
                (K::Open, Some(25)),
                (K::Open, Some(587)),
                (K::NoControls, Some(465)),
            ],
        ),
    ];
    for (name, facts, expected) in cases {
        let got: Expected = conclude(&ports, &facts)
            .iter()
            .map(|c| (c.kind, c.port))
            .collect();
        assert_eq!(got, expected, "{name}");
    }
}

#[test]
fn blocked_port_counts_the_evidence() {
    let facts = facts(vec![all(25, Filtered), all(587, Open), all(465, Open)]);
    let conclusions = conclude(&[25, 587, 465], &facts);
    let blocked = conclusions.first().unwrap();
    assert_eq!(
        blocked.message,
        "Outbound port 25 is blocked by your network: 4 of 4 control hosts time out on 25 while 587 and 465 reach the same operators."
    );
    assert_eq!(blocked.severity, Severity::Error);
    assert_eq!(blocked.evidence.probes, 4);
    assert_eq!(blocked.evidence.matching, 4);
    assert_eq!(blocked.evidence.classes, vec![(Filtered, 4)]);
    assert_eq!(blocked.evidence.reached_elsewhere.len(), 2);
    assert!(blocked.advice.contains("587"), "{}", blocked.advice);
    let ids: Vec<&str> = findings(&conclusions)
        .iter()
        .map(|f| f.id.as_str())
        .collect();
    assert_eq!(ids, vec!["network.port_blocked"]);
}

#[test]
fn partial_and_mixed_evidence_is_worded_as_seen() {
    // 587 reaches only two of the operators failing on 25.
    let facts = facts(vec![
        row(25, [Filtered, Filtered, Refused, Filtered]),
        row(587, [Open, Open, Filtered, Filtered]),
    ]);
    let conclusions = conclude(&[25, 587], &facts);
    let blocked = conclusions.first().unwrap();
    assert_eq!(
        blocked.message,
        "Outbound port 25 is blocked by your network: 4 of 4 control hosts fail (1 is refused with a TCP reset, 3 time out) on 25 while 587 reaches 2 of those operators."
    );
    // A single failing host is that host's problem.
    let facts = facts_one_down();
    let down = conclude(&[587], &facts)
        .into_iter()
        .find(|c| c.kind == Kind::HostDown)
        .unwrap();
    assert_eq!(
        down.message,
        "Only zoho-587.test fails on port 587 (it times out) while 3 other control hosts answer: the problem is on that server's side, not your network's."
    );
    assert_eq!(down.severity, Severity::Warning);
}

fn facts_one_down() -> Vec<Fact> {
    row(587, [Open, Open, Filtered, Open])
}

#[test]
fn run_wide_conclusions_and_single_ports() {
    let offline = conclude(
        &[25, 587],
        &facts(vec![all(25, Filtered), all(587, Filtered)]),
    );
    assert_eq!(
        offline.first().unwrap().message,
        "Nothing answers on any port (25 and 587): 8 of 8 control hosts time out. This looks like no working connection at all (or a firewall that lets no mail traffic out), not a block of one port."
    );
    // One port alone cannot tell a block from no connection: it is reported as the port's.
    let single = conclude(&[25], &all(25, Filtered));
    assert_eq!(single.len(), 1);
    assert_eq!(single.first().unwrap().kind, Kind::Blocked);
    assert!(
        single
            .first()
            .unwrap()
            .message
            .contains("no other port was tested")
    );
    let dns = conclude(&[25], &all(25, Unresolved));
    let ids: Vec<(&str, Severity)> = findings(&dns)
        .iter()
        .map(|f| (f.id.as_str(), f.severity))
        .collect();
    assert_eq!(ids, vec![("network.dns_failed", Severity::Error)]);
    assert!(dns.first().unwrap().message.contains("not a port block"));
    // Nothing at all to probe.
    let none = conclude(&[2525], &[]);
    assert_eq!(none.first().map(|c| c.kind), Some(Kind::NoControls));
    assert!(findings(&none).is_empty());
}

#[test]
fn every_kind_with_a_finding_has_a_network_id() {
    for kind in [
        Kind::Blocked,
        Kind::Intercepted,
        Kind::Stripped,
        Kind::Throttled,
        Kind::HostDown,
        Kind::Offline,
        Kind::DnsFailed,
    ] {
        let id = kind.finding_id().unwrap();
        assert_eq!(id.area(), "network", "{id}");
    }
}

// Classification of single observations.

fn endpoint(host: &str, port: u16) -> Endpoint {
    Endpoint {
        host: host.to_string(),
        ip: IpAddr::V4(Ipv4Addr::new(198, 18, 0, 10)),
        port,
        security: Security::default_for_port(port),
    }
}

fn reply(code: u16, line: &str) -> Reply {
    Reply {
        code,
        enhanced: None,
        lines: vec![line.to_string()],
    }
}

fn leaf(name: &str, issuer: &str) -> CertFacts {
    CertFacts {
        subject: format!("CN={name}"),
        issuer: issuer.to_string(),
        san: vec![name.to_string()],
        not_before: "2026-01-01T00:00:00Z".to_string(),
        not_after: "2027-01-01T00:00:00Z".to_string(),
        days_left: 200,
        not_yet_valid_secs: 0,
        key: "EC P-256".to_string(),
        signature_algorithm: "ecdsa-with-SHA256".to_string(),
        rsa_bits: None,
        signature_digest: Some("SHA-256".into()),
        serial: "01".to_string(),
        sha256: "00".to_string(),
        self_issued: false,
        is_ca: false,
        digests: Default::default(),
    }
}

fn tls(cert: CertFacts, trusted: bool, name_match: bool) -> TlsFacts {
    TlsFacts {
        version: "TLSv1.3".to_string(),
        cipher: "TLS_AES_256_GCM_SHA384".to_string(),
        key_exchange: None,
        verification: Verification {
            trusted,
            hostname_match: Some(name_match),
            checked_name: None,
            errors: if trusted {
                Vec::new()
            } else {
                vec![VerifyError {
                    depth: 0,
                    code: 20,
                    message: "unable to get local issuer certificate".to_string(),
                }]
            },
        },
        chain: vec![cert],
    }
}

/// A good STARTTLS dialogue with `host` on 587 (or 25), greeting as `banner`.
fn good(host: &str, port: u16, banner: &str) -> Observation {
    let mut o = Observation::new(endpoint(host, port));
    o.banner = Some(reply(220, banner));
    let ehlo = Ehlo::parse(
        &Reply {
            code: 250,
            enhanced: None,
            lines: vec![
                host.to_string(),
                "PIPELINING".to_string(),
                "STARTTLS".to_string(),
            ],
        },
        false,
    );
    o.ehlo = Some(ehlo.clone());
    o.starttls = Some(StarttlsObservation {
        offered: true,
        reply: Some(reply(220, "go ahead")),
        injected: Vec::new(),
    });
    o.tls = Some(tls(leaf(host, "C=US, O=Good CA, CN=Good CA"), true, true));
    o.ehlo_tls = Some(ehlo);
    o.timings.banner = Some(Duration::from_millis(30));
    o
}

fn failed(host: &str, state: State, phase: Phase, message: &str) -> Observation {
    let mut o = Observation::new(endpoint(host, 25));
    o.state = state;
    o.error = Some(PhaseError {
        phase,
        message: message.to_string(),
        run_deadline: false,
    });
    o
}

#[test]
#[expect(clippy::too_many_lines, reason = "a case table")]
fn classification_table() {
    let catalog = Catalog::builtin().unwrap();
    let gmail = catalog.get("gmail");
    let expect = |starttls: bool| Expectation {
        preset: gmail,
        starttls,
        slow_greeting: Duration::from_secs(1),
    };
    let mx = "gmail-smtp-in.l.google.com";
    let submission = "smtp.gmail.com";
    let gmail_banner = "smtp.gmail.com ESMTP a1b2c3 - gsmtp";

    let icmp_from = |v6: bool, code: u8| {
        let mut o = failed(mx, State::Unreachable, Phase::Connect, "icmp");
        o.unreachable = Some(Unreachable::Icmp(IcmpError {
            v6,
            icmp_type: if v6 { 1 } else { 3 },
            code,
            from: None,
        }));
        o
    };
    let icmp = |code: u8| icmp_from(false, code);
    let mut local = failed(mx, State::Unreachable, Phase::Connect, "EPERM");
    local.unreachable = Some(Unreachable::LocalFirewall);

    let mut untrusted = good(mx, 25, "mx.google.com ESMTP");
    untrusted.tls = Some(tls(leaf(mx, "O=Antivirus CA"), false, true));
    let mut wrong_name = good(mx, 25, "mx.google.com ESMTP");
    wrong_name.tls = Some(tls(leaf("proxy.local", "O=Good CA"), true, false));
    let wrong_banner = good(submission, 587, "proxy.local ESMTP ready");
    let mut no_starttls = good(mx, 25, "mx.google.com ESMTP");
    no_starttls.tls = None;
    no_starttls.ehlo_tls = None;
    if let Some(s) = no_starttls.starttls.as_mut() {
        s.offered = false;
        s.reply = None;
    }
    let mut refused_starttls = no_starttls.clone();
    if let Some(s) = refused_starttls.starttls.as_mut() {
        s.offered = true;
        s.reply = Some(reply(454, "TLS not available"));
    }
    let mut greeting_421 = failed(mx, State::Rejected, Phase::Banner, "refused");
    greeting_421.banner = Some(reply(421, "4.7.0 try again later"));
    let mut slow = good(submission, 587, gmail_banner);
    slow.timings.banner = Some(Duration::from_millis(1500));
    let mut not_smtp = failed(mx, State::TlsError, Phase::Tls, "TLS handshake failed");
    not_smtp.not_smtp = Some("a web server".to_string());

    let cases: Vec<(&str, Observation, bool, Class)> = vec![
        ("good MX", good(mx, 25, "mx.google.com ESMTP"), true, Open),
        (
            "good submission host",
            good(submission, 587, gmail_banner),
            true,
            Open,
        ),
        (
            "no route",
            failed(mx, State::Skipped, Phase::Connect, "no route"),
            true,
            NoRoute,
        ),
        (
            "reset",
            failed(mx, State::Refused, Phase::Connect, "refused"),
            true,
            Refused,
        ),
        (
            "connect timeout",
            failed(mx, State::Timeout, Phase::Connect, "no answer"),
            true,
            Filtered,
        ),
        ("ICMP admin prohibited", icmp(13), true, Prohibited),
        ("ICMP host prohibited", icmp(10), true, Prohibited),
        ("ICMP port unreachable", icmp(3), true, Class::Unreachable),
        ("ICMP host unreachable", icmp(1), true, Class::Unreachable),
        (
            "ICMPv6 administratively prohibited",
            icmp_from(true, 1),
            true,
            Prohibited,
        ),
        ("ICMPv6 reject route", icmp_from(true, 6), true, Prohibited),
        (
            "ICMPv6 port unreachable",
            icmp_from(true, 4),
            true,
            Class::Unreachable,
        ),
        (
            "ICMPv6 address unreachable",
            icmp_from(true, 3),
            true,
            Class::Unreachable,
        ),
        ("local firewall", local, true, Prohibited),
        ("untrusted certificate", untrusted, true, Intercepted),
        (
            "certificate for another name",
            wrong_name,
            true,
            Intercepted,
        ),
        ("banner not the preset's", wrong_banner, true, Intercepted),
        ("not SMTP", not_smtp, true, Intercepted),
        (
            "garbage replies",
            failed(mx, State::ProtocolError, Phase::Banner, "not SMTP"),
            true,
            Intercepted,
        ),
        (
            "STARTTLS missing where offered",
            no_starttls.clone(),
            true,
            Stripped,
        ),
        (
            "STARTTLS missing where not expected",
            no_starttls,
            false,
            Open,
        ),
        ("STARTTLS answered 454", refused_starttls, true, Stripped),
        ("421 greeting", greeting_421, true, Throttled),
        (
            "closed right after connect",
            failed(mx, State::Closed, Phase::Banner, "closed"),
            true,
            Throttled,
        ),
        (
            "no greeting",
            failed(
                mx,
                State::Timeout,
                Phase::Banner,
                "no greeting within 2000 ms",
            ),
            true,
            Throttled,
        ),
        (
            "implicit TLS port closed at once",
            failed(
                mx,
                State::TlsError,
                Phase::Tls,
                "TLS handshake failed: the server closed the connection",
            ),
            true,
            Throttled,
        ),
        (
            "TLS broken by something in the path",
            failed(
                mx,
                State::TlsError,
                Phase::Tls,
                "TLS handshake failed: wrong version number",
            ),
            true,
            Intercepted,
        ),
        ("slow greeting", slow, true, Throttled),
    ];
    for (name, obs, starttls, class) in cases {
        let got = classify(&obs, &expect(starttls));
        assert_eq!(got.class, class, "{name}: {}", got.reason);
        assert!(!got.reason.is_empty(), "{name}");
    }
}

/// Cisco ASA/PIX ESMTP inspection: the greeting masked with asterisks, STARTTLS rewritten to
/// XXXXXXXA. Stripped (no STARTTLS gets through), and the reason names the firewall and the fix.
#[test]
fn esmtp_inspection_is_stripping_named_with_its_fix() {
    let catalog = Catalog::builtin().unwrap();
    let expect = Expectation {
        preset: catalog.get("gmail"),
        starttls: true,
        slow_greeting: Duration::from_secs(1),
    };
    let host = "smtp.gmail.com";
    let mut o = good(host, 587, "smtp.gmail.com ESMTP a1b2c3 - gsmtp");
    o.banner = Some(reply(220, "******************************************"));
    let ehlo = Ehlo::parse(
        &Reply {
            code: 250,
            enhanced: None,
            lines: vec![
                host.to_string(),
                "PIPELINING".to_string(),
                "XXXXXXXA".to_string(),
            ],
        },
        false,
    );
    o.ehlo = Some(ehlo);
    o.starttls = Some(StarttlsObservation {
        offered: false,
        reply: None,
        injected: Vec::new(),
    });
    o.tls = None;
    o.ehlo_tls = None;
    let c = classify(&o, &expect);
    assert_eq!(c.class, Class::Stripped, "{}", c.reason);
    assert!(c.reason.contains("Cisco ASA"), "{}", c.reason);
    assert!(c.reason.contains("XXXXXXXA"), "{}", c.reason);
    assert!(c.reason.contains("no inspect esmtp"), "{}", c.reason);
    // The same greeting unmasked, STARTTLS intact: open.
    let c = classify(
        &good(host, 587, "smtp.gmail.com ESMTP a1b2c3 - gsmtp"),
        &expect,
    );
    assert_eq!(c.class, Class::Open, "{}", c.reason);
    // A banner with a few stars in it is no mask (a host of no preset, so no fingerprint).
    let plain = Expectation {
        preset: None,
        starttls: true,
        slow_greeting: Duration::from_secs(1),
    };
    let c = classify(
        &good(
            "mail.example.net",
            587,
            "mail.example.net ESMTP *** welcome ***",
        ),
        &plain,
    );
    assert_eq!(c.class, Class::Open, "{}", c.reason);
}

#[test]
fn a_masked_greeting_is_mostly_asterisks_and_at_least_five() {
    let masked = |text: &str| {
        let mut o = Observation::new(Endpoint {
            host: "smtp.example.test".into(),
            ip: "192.0.2.1".parse().unwrap(),
            port: 25,
            security: Security::Starttls,
        });
        o.banner = Some(reply(220, text));
        esmtp_inspection(&o).is_some()
    };
    assert!(masked("*****"));
    assert!(masked("*****abcde"), "half of the characters");
    assert!(!masked("****"), "four are not enough");
    assert!(!masked("*****abcdef"), "less than half");
    assert!(!masked("mail.example.test ESMTP ready"));
}

#[test]
fn a_greeting_exactly_at_the_slow_limit_is_not_throttling() {
    let expect = Expectation {
        preset: None,
        starttls: true,
        slow_greeting: Duration::from_secs(1),
    };
    let mut o = good("mail.example.net", 587, "mail.example.net ESMTP");
    o.timings.banner = Some(Duration::from_secs(1));
    assert_eq!(classify(&o, &expect).class, Class::Open);
    o.timings.banner = Some(Duration::from_millis(1001));
    assert_eq!(classify(&o, &expect).class, Class::Throttled);
}

#[test]
fn the_inspection_signature_says_which_rewriting_was_seen() {
    let seen = |banner: &str, rewritten: bool| {
        let mut o = Observation::new(Endpoint {
            host: "smtp.example.test".into(),
            ip: "192.0.2.1".parse().unwrap(),
            port: 25,
            security: Security::Starttls,
        });
        o.banner = Some(reply(220, banner));
        let keyword = if rewritten { "XXXXXXXA" } else { "STARTTLS" };
        o.ehlo = Some(Ehlo::parse(
            &Reply {
                code: 250,
                enhanced: None,
                lines: vec!["smtp.example.test".to_string(), keyword.to_string()],
            },
            false,
        ));
        esmtp_inspection(&o)
    };
    let both = seen("**********", true).unwrap_or_default();
    assert!(
        both.contains("masked with asterisks and STARTTLS rewritten"),
        "{both}"
    );
    let masked = seen("**********", false).unwrap_or_default();
    assert!(
        masked.contains("the greeting masked with asterisks;"),
        "{masked}"
    );
    let rewritten = seen("smtp.example.test ESMTP", true).unwrap_or_default();
    assert!(
        rewritten.contains(": STARTTLS rewritten to XXXXXXXA;"),
        "{rewritten}"
    );
    assert_eq!(seen("smtp.example.test ESMTP", false), None);
}

#[test]
fn each_way_of_being_turned_away_has_its_reason() {
    let expect = Expectation {
        preset: None,
        starttls: false,
        slow_greeting: Duration::from_secs(1),
    };
    let stopped = |state: State, phase: Phase, message: &str| {
        let mut o = Observation::new(endpoint("mail.example.net", 587));
        o.state = state;
        o.error = Some(PhaseError {
            phase,
            message: message.to_string(),
            run_deadline: false,
        });
        classify(&o, &expect).reason
    };
    let cases = [
        (
            stopped(
                State::Closed,
                Phase::Banner,
                "the server closed the connection",
            ),
            "closed the connection right after connect, without a greeting",
        ),
        (
            stopped(State::Timeout, Phase::Banner, "no greeting within 1000 ms"),
            "accepted the connection but sent no greeting: no greeting within 1000 ms",
        ),
        (
            stopped(
                State::Timeout,
                Phase::Ehlo,
                "no complete reply within 1000 ms",
            ),
            "stopped during ehlo: no complete reply within 1000 ms",
        ),
        (
            stopped(
                State::Rejected,
                Phase::Ehlo,
                "EHLO was answered with 421 busy",
            ),
            "EHLO was answered with 421 busy",
        ),
    ];
    for (reason, expected) in cases {
        assert!(reason.starts_with(expected), "{reason:?} / {expected:?}");
    }
    let open = classify(
        &good("mail.example.net", 587, "mail.example.net ESMTP"),
        &expect,
    );
    assert_eq!(open.class, Class::Open);
    assert!(
        open.reason.starts_with("answers as expected"),
        "{}",
        open.reason
    );
}

#[test]
fn evidence_names_each_host_once_and_reasons_show_three() {
    let mut on_25 = all(25, Filtered);
    // One operator's host seen twice (two addresses): named once.
    let mut again = on_25[0].clone();
    again.reason = "second address".into();
    on_25.insert(1, again);
    let found = conclude(&[25, 587], &facts(vec![on_25, all(587, Open)]));
    let blocked = found
        .iter()
        .find(|c| c.kind == Kind::Blocked)
        .unwrap_or_else(|| panic!("{found:#?}"));
    assert_eq!(
        blocked.evidence.hosts,
        vec![
            "google-25.test",
            "yahoo-25.test",
            "zoho-25.test",
            "gmx-25.test"
        ]
    );
    let four = all(25, Throttled);
    let refs: Vec<&Fact> = four.iter().collect();
    assert_eq!(
        reasons(&refs),
        "google-25.test: throttled reason; yahoo-25.test: throttled reason; zoho-25.test: throttled reason; 1 more"
    );
    let three: Vec<&Fact> = four.iter().take(3).collect();
    assert!(!reasons(&three).contains("more"), "{}", reasons(&three));
}

#[test]
fn one_silent_host_is_throttling_not_something_in_the_path() {
    // Only one control host answers on 25, and it never greets; the others are dropped.
    let mut on_25 = all(25, Filtered);
    on_25[0].class = Throttled;
    on_25[0].reason = format!("{NO_GREETING}no greeting within 5000 ms");
    let found = conclude(&[25, 587], &facts(vec![on_25, all(587, Open)]));
    assert!(
        !found
            .iter()
            .any(|c| c.message.starts_with("Nothing greets on port 25")),
        "{found:#?}"
    );
}

#[test]
fn a_blocked_port_is_advised_by_what_else_works() {
    let blocked_on = |ports: &[u16], rows: Vec<Vec<Fact>>, port: u16| {
        conclude(ports, &facts(rows))
            .into_iter()
            .find(|c| c.kind == Kind::Blocked && c.port == Some(port))
            .unwrap_or_else(|| panic!("no blocked conclusion for {port}"))
    };
    // 587 dropped, 25 and 465 open: use one of them.
    let c = blocked_on(
        &[25, 587, 465],
        vec![all(25, Open), all(587, Filtered), all(465, Open)],
        587,
    );
    assert!(
        c.advice.starts_with("Use port 25 or 465 instead"),
        "{}",
        c.advice
    );
    // Nothing else open (465 throttled): ask for the port.
    let c = blocked_on(
        &[587, 465],
        vec![all(587, Filtered), all(465, Throttled)],
        587,
    );
    assert!(
        c.advice.starts_with("Ask the network's administrator"),
        "{}",
        c.advice
    );
    // Port 25: the ISP's usual block, and what mail clients use instead.
    let c = blocked_on(&[25, 587], vec![all(25, Filtered), all(587, Open)], 25);
    assert!(c.advice.starts_with("Many ISPs"), "{}", c.advice);
    // Only port 25 tested: nothing to compare.
    let c = blocked_on(&[25], vec![all(25, Filtered)], 25);
    assert!(
        c.message
            .ends_with("no other port was tested to compare (try --port 25,587,465)."),
        "{}",
        c.message
    );
}

#[test]
fn throttling_on_25_is_about_reputation_elsewhere_about_limits() {
    let throttled_on = |port: u16| {
        conclude(
            &[port, 2525],
            &facts(vec![all(port, Throttled), all(2525, Open)]),
        )
        .into_iter()
        .find(|c| c.kind == Kind::Throttled)
        .unwrap_or_else(|| panic!("no throttled conclusion for {port}"))
    };
    assert!(
        throttled_on(25)
            .advice
            .starts_with("Receiving servers limit")
    );
    assert!(
        throttled_on(587)
            .advice
            .starts_with("The servers limit this connection")
    );
}

#[test]
fn no_route_on_one_port_is_offline_and_blocked_ports_say_what_was_compared() {
    // No route is no network at all, even when one port was tested.
    let no_route = conclude(&[25], &all(25, NoRoute));
    assert_eq!(no_route.first().map(|c| c.kind), Some(Kind::Offline));
    assert!(
        no_route[0]
            .message
            .starts_with("This machine has no route to any of the 4 control endpoints"),
        "{}",
        no_route[0].message
    );
    // Every port refused: each is blocked; with other ports tested, they are named as no
    // better; with one port, the message says nothing was compared.
    let two = conclude(
        &[25, 587],
        &facts(vec![all(25, Refused), all(587, Refused)]),
    );
    assert!(
        two[0]
            .message
            .ends_with("and no other port reaches those operators either."),
        "{}",
        two[0].message
    );
    let one = conclude(&[25], &all(25, Refused));
    assert!(
        one[0]
            .message
            .ends_with("no other port was tested to compare (try --port 25,587,465)."),
        "{}",
        one[0].message
    );
}
