//! Tests of the catalogue: the built-in data's consistency, load errors, overrides, matching.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::io::Write as _;

use super::*;
use crate::model::{Endpoint, TlsFacts, Verification};

/// The 28 providers of issue 3.
const ISSUE_IDS: [&str; 28] = [
    "gmail",
    "google-relay",
    "office365",
    "office365-legacy",
    "outlook",
    "yahoo",
    "aol",
    "icloud",
    "zoho",
    "fastmail",
    "proton-bridge",
    "proton",
    "gmx",
    "webde",
    "yandex",
    "mailru",
    "sendgrid",
    "mailgun",
    "amazon-ses",
    "postmark",
    "mailjet",
    "brevo",
    "sparkpost",
    "smtp2go",
    "smtpcom",
    "mandrill",
    "elastic-email",
    "resend",
];

/// Presets whose sources disagree on every port, so none is recommended.
const NO_RECOMMENDED_PORT: [&str; 1] = ["aol"];

fn builtin() -> Catalog {
    Catalog::builtin().unwrap()
}

fn file_with(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new()
        .prefix("presets-")
        .suffix(".toml")
        .tempfile()
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f
}

#[test]
fn builtin_has_every_issue_provider_with_provenance() {
    let catalog = builtin();
    assert!(catalog.presets().len() >= 28);
    for id in ISSUE_IDS {
        assert!(catalog.get(id).is_some(), "{id} missing");
    }
    let ids: BTreeSet<&str> = catalog.presets().iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids.len(), catalog.presets().len(), "duplicate ids");
    for p in catalog.presets() {
        assert_eq!(p.origin, Origin::Builtin);
        assert!(
            p.docs.as_deref().is_some_and(|d| d.starts_with("https://")),
            "{}: docs",
            p.id
        );
        assert_eq!(p.checked.as_deref(), Some("2026-11"), "{}: checked", p.id);
        assert!(!p.sources.is_empty(), "{}: sources", p.id);
        assert!(
            !p.hosts.is_empty() || p.settings_host.is_some(),
            "{}: no host to show",
            p.id
        );
    }
}

#[test]
fn builtin_ports_are_complete() {
    let catalog = builtin();
    for p in catalog.presets() {
        assert!(!p.ports.is_empty(), "{}: no ports", p.id);
        let recommended = p.ports.iter().filter(|s| s.recommended).count();
        let expected = usize::from(!NO_RECOMMENDED_PORT.contains(&p.id.as_str()));
        assert_eq!(recommended, expected, "{}: recommended ports", p.id);
    }
    // The built-in file states every port's mode instead of relying on the default.
    let raw: toml::Table = toml::from_str(BUILTIN_TOML).unwrap();
    let providers = raw["provider"].as_array().unwrap();
    for provider in providers {
        let id = provider["id"].as_str().unwrap();
        for port in provider["ports"].as_array().unwrap() {
            assert!(
                port.get("security").is_some(),
                "{id}: port {:?} without security",
                port["port"]
            );
        }
    }
}

#[test]
fn builtin_patterns_select_their_own_preset() {
    let catalog = builtin();
    for p in catalog.presets() {
        for host in p.hosts.iter().filter(|h| h.is_literal()) {
            let m = catalog.by_host(host.as_str()).unwrap();
            assert_eq!(m.preset.id, p.id, "host {host}");
        }
        for domain in &p.domains {
            let m = catalog.by_domain(domain.as_str()).unwrap();
            assert_eq!(m.preset.id, p.id, "domain {domain}");
        }
        for mx in p.mx.iter().filter(|m| m.is_literal()) {
            let m = catalog.by_mx(&[mx.as_str()]).unwrap();
            assert_eq!(m.preset.id, p.id, "mx {mx}");
        }
        for line in &p.requirements {
            assert!(line.ends_with('.'), "{}: {line:?} is not a sentence", p.id);
        }
        for e in &p.errors {
            assert!(
                e.meaning.ends_with('.') && e.advice.ends_with('.'),
                "{}",
                p.id
            );
        }
    }
}

#[test]
fn builtin_control_endpoints_are_diverse_and_documented() {
    let catalog = builtin();
    for p in catalog.presets() {
        for c in &p.control {
            for &port in &c.ports {
                if port == 25 {
                    assert!(
                        p.mx.iter().any(|m| m.matches(&c.host)),
                        "{}: control {} on 25 is not an MX host of the preset",
                        p.id,
                        c.host
                    );
                } else {
                    assert!(p.matches_host(&c.host), "{}: {}", p.id, c.host);
                    assert!(p.port(port).is_some(), "{}: {} {port}", p.id, c.host);
                }
            }
        }
    }
    let mut operators: BTreeMap<u16, BTreeSet<&str>> = BTreeMap::new();
    for port in [25, 587, 465] {
        for e in catalog.control_endpoints(port) {
            operators
                .entry(port)
                .or_default()
                .insert(e.preset.operator());
        }
        let count = operators.get(&port).map_or(0, BTreeSet::len);
        assert!(count >= 3, "port {port}: only {count} operators");
    }
    // Gmail and Google relay share an operator; Yahoo and AOL too.
    assert_eq!(catalog.get("aol").unwrap().operator(), "Yahoo");
    assert_eq!(catalog.get("fastmail").unwrap().operator(), "Fastmail");
}

#[test]
fn builtin_generic_errors() {
    let catalog = builtin();
    let starttls_first = Reply {
        code: 530,
        enhanced: Some(EnhancedCode {
            class: 5,
            subject: 7,
            detail: 0,
        }),
        lines: vec!["5.7.0 Must issue a STARTTLS command first. x1-20020a".into()],
    };
    let known = catalog.generic_error(&starttls_first).unwrap();
    assert!(known.advice.contains("587"));
    let mechanism = Reply {
        code: 504,
        enhanced: Some(EnhancedCode {
            class: 5,
            subject: 7,
            detail: 4,
        }),
        lines: vec!["5.7.4 Unrecognized authentication type".into()],
    };
    assert!(catalog.generic_error(&mechanism).is_some());
    let other = Reply {
        code: 250,
        enhanced: None,
        lines: vec!["OK".into()],
    };
    assert!(catalog.generic_error(&other).is_none());
}

fn enhanced(class: u8, subject: u16, detail: u16) -> Option<EnhancedCode> {
    Some(EnhancedCode {
        class,
        subject,
        detail,
    })
}

#[test]
fn known_errors_match_code_enhanced_and_text() {
    let catalog = builtin();
    let gmail = catalog.get("gmail").unwrap();
    // A multi-line Gmail reply, as the reply reader hands it over.
    let app_password = Reply {
        code: 534,
        enhanced: enhanced(5, 7, 9),
        lines: vec![
            "5.7.9 Application-specific password required. Learn more at".into(),
            "5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor x1-20020a".into(),
        ],
    };
    let e = gmail.known_error(&app_password).unwrap();
    assert!(e.advice.contains("app password"), "{}", e.advice);
    // Same text, another enhanced code: not this entry.
    let mut wrong = app_password.clone();
    wrong.enhanced = enhanced(5, 7, 8);
    assert!(gmail.known_error(&wrong).is_none());
    // Text is case-insensitive; an entry without text matches on the codes alone.
    let blocked = Reply {
        code: 534,
        enhanced: enhanced(5, 7, 14),
        lines: vec!["5.7.14 <https://accounts.google.com/signin/continue?...>".into()],
    };
    assert!(gmail.known_error(&blocked).is_some());

    let o365 = catalog.get("office365").unwrap();
    let reply = |text: &str| Reply {
        code: 535,
        enhanced: enhanced(5, 7, 139),
        lines: vec![format!("5.7.139 Authentication unsuccessful, {text}")],
    };
    let e = o365
        .known_error(&reply(
            "SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled",
        ))
        .unwrap();
    assert!(e.advice.contains("Set-CASMailbox"), "{}", e.advice);
    let e = o365
        .known_error(&reply("the request did not meet the criteria to be authenticated successfully. Contact your administrator. Security defaults policy"))
        .unwrap();
    assert!(e.advice.contains("Conditional Access"), "{}", e.advice);
    let e = o365
        .known_error(&reply("BASIC AUTHENTICATION IS DISABLED."))
        .unwrap();
    assert!(e.advice.contains("XOAUTH2"), "{}", e.advice);
    assert!(o365.known_error(&reply("something new")).is_none());
}

#[test]
fn most_specific_known_error_wins() {
    let text = r#"
[[provider]]
id = "x"
name = "X"
[[provider.error]]
code = 550
meaning = "Any 550."
advice = "General."
[[provider.error]]
code = 550
enhanced = "5.7.1"
text = "relay denied"
meaning = "Relay denied."
advice = "Specific."
"#;
    let catalog = Catalog::from_toml(text, Origin::Builtin).unwrap();
    let preset = catalog.get("x").unwrap();
    let reply = Reply {
        code: 550,
        enhanced: enhanced(5, 7, 1),
        lines: vec!["5.7.1 Relay denied".into()],
    };
    assert_eq!(preset.known_error(&reply).unwrap().advice, "Specific.");
    let other = Reply {
        code: 550,
        enhanced: None,
        lines: vec!["mailbox unavailable".into()],
    };
    assert_eq!(preset.known_error(&other).unwrap().advice, "General.");
}

/// The commented example at the top of providers.toml, uncommented.
fn example() -> String {
    let start = BUILTIN_TOML.find("# --- example start ---\n").unwrap();
    let end = BUILTIN_TOML.find("# --- example end ---").unwrap();
    BUILTIN_TOML[start..end]
        .lines()
        .skip(1)
        .map(|l| l.strip_prefix("# ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_ten_line_example_parses() {
    let text = example();
    assert_eq!(text.lines().filter(|l| !l.trim().is_empty()).count(), 10);
    let catalog = Catalog::from_toml(&text, Origin::File("example.toml".into())).unwrap();
    let acme = catalog.get("acme").unwrap();
    assert_eq!(acme.ports.len(), 2);
    assert_eq!(acme.recommended().unwrap().port, 587);
    assert_eq!(
        acme.port(25).unwrap().security,
        SecurityMode::PlainOrStarttls
    );
    assert_eq!(acme.auth_mechanisms, vec!["PLAIN", "LOGIN"]);
    assert!(catalog.by_host("smtp2.acme.example").is_some());
    assert_eq!(acme.fingerprint.banner.len(), 1);
}

#[test]
fn minimal_preset_uses_defaults() {
    let text =
        "[[provider]]\nid = \"tiny\"\nname = \"Tiny\"\nports = [{ port = 465 }, { port = 2525 }]\n";
    let catalog = Catalog::from_toml(text, Origin::File("tiny.toml".into())).unwrap();
    let p = catalog.get("tiny").unwrap();
    assert_eq!(p.port(465).unwrap().security, SecurityMode::ImplicitTls);
    assert_eq!(p.port(2525).unwrap().security, SecurityMode::Starttls);
    assert!(p.recommended().is_none());
    assert_eq!(p.preferred().unwrap().port, 465);
    assert!(p.fingerprint.is_empty());
}

/// (what, file text, line, field fragment, message fragment)
type ErrorCase = (&'static str, String, usize, &'static str, &'static str);

const HEAD: &str = "[[provider]]\nid = \"acme\"\nname = \"ACME\"\n";

/// Cases that add lines to a valid three-line preset, so the problem is on line 4 or later.
#[expect(clippy::too_many_lines, reason = "a case table")]
fn after_head() -> Vec<ErrorCase> {
    let cases: [(&str, &str, usize, &str, &str); 17] = [
        (
            "unknown security mode",
            "ports = [{ port = 587, security = \"startls\" }]\n",
            4,
            "security",
            "startls",
        ),
        (
            "port 0",
            "ports = [{ port = 0 }]\n",
            4,
            "ports[0].port",
            "port 0",
        ),
        (
            "port out of range",
            "ports = [{ port = 70000 }]\n",
            4,
            "port",
            "",
        ),
        (
            "port twice",
            "ports = [{ port = 587 }, { port = 587 }]\n",
            4,
            "ports[1].port",
            "twice",
        ),
        (
            "two recommended",
            "ports = [{ port = 587, recommended = true },\n  { port = 465, recommended = true }]\n",
            5,
            "ports[1].recommended",
            "only one",
        ),
        (
            "bad host pattern",
            "hosts = [\"smtp.acme.example\", \"smtp acme\"]\n",
            4,
            "hosts[1]",
            "bad pattern",
        ),
        (
            "match-everything pattern",
            "mx = [\"*\"]\n",
            4,
            "mx",
            "match everything",
        ),
        (
            "unknown field",
            "hsots = [\"smtp.acme.example\"]\n",
            4,
            "",
            "unknown field `hsots`",
        ),
        (
            "unknown fingerprint field",
            "fingerprint = { baner = [\"x\"] }\n",
            4,
            "",
            "unknown field `baner`",
        ),
        ("bad min_tls", "min_tls = \"1.4\"\n", 4, "min_tls", "1.4"),
        (
            "bad checked date",
            "checked = \"November\"\n",
            4,
            "checked",
            "YYYY-MM",
        ),
        (
            "bad docs",
            "docs = \"support.example\"\n",
            4,
            "docs",
            "https://",
        ),
        (
            "bad mechanism",
            "auth_mechanisms = [\"PLAIN\", \"X OAUTH\"]\n",
            4,
            "auth_mechanisms[1]",
            "SASL",
        ),
        (
            "control pattern",
            "control = [{ host = \"*.acme.example\", ports = [25] }]\n",
            4,
            "control[0].host",
            "no `*`",
        ),
        (
            "bad enhanced code",
            "[[provider.error]]\ncode = 535\nenhanced = \"4.7.1\"\nmeaning = \"m.\"\nadvice = \"a.\"\n",
            6,
            "error[0].enhanced",
            "class 5",
        ),
        (
            "error without advice",
            "[[provider.error]]\ncode = 535\nmeaning = \"m.\"\n",
            4,
            "",
            "missing field `advice`",
        ),
        (
            "syntax error",
            "hosts = [\"smtp.acme.example\"\n",
            4,
            "",
            "unclosed array",
        ),
    ];
    cases
        .into_iter()
        .map(|(what, tail, line, field, message)| {
            (what, format!("{HEAD}{tail}"), line, field, message)
        })
        .collect()
}

/// Cases with a whole file of their own.
fn whole_files() -> Vec<ErrorCase> {
    let cases: [(&str, &str, usize, &str, &str); 4] = [
        (
            "missing id",
            "[[provider]]\nname = \"ACME\"\n",
            1,
            "",
            "missing field `id`",
        ),
        (
            "bad id",
            "[[provider]]\nid = \"ACME Relay\"\nname = \"ACME\"\n",
            2,
            "provider[0].id",
            "not a usable id",
        ),
        (
            "empty name",
            "[[provider]]\nid = \"acme\"\nname = \"  \"\n",
            3,
            "name",
            "empty",
        ),
        (
            "duplicate id",
            "[[provider]]\nid = \"acme\"\nname = \"A\"\n\n[[provider]]\nid = \"acme\"\nname = \"B\"\n",
            6,
            "provider[1].id",
            "duplicate id",
        ),
    ];
    cases
        .into_iter()
        .map(|(what, text, line, field, message)| (what, text.to_string(), line, field, message))
        .collect()
}

#[test]
fn load_errors_name_file_line_and_field() {
    let all = after_head().into_iter().chain(whole_files());
    for (what, text, line, field, message) in all {
        let file = file_with(&text);
        let err = Catalog::load(&[file.path().to_path_buf()]).unwrap_err();
        let shown = err.to_string();
        let LoadError::Invalid {
            file: name,
            line: got_line,
            field: got_field,
            message: got_message,
            ..
        } = &err
        else {
            panic!("{what}: {err:?}");
        };
        assert_eq!(name, &file.path().display().to_string(), "{what}");
        assert!(
            shown.starts_with(&format!("{}:{line}:", file.path().display())),
            "{what}: {shown}"
        );
        assert_eq!(*got_line, line, "{what}: {shown}");
        assert!(
            got_field.contains(field),
            "{what}: field {got_field:?} in {shown}"
        );
        assert!(got_message.contains(message), "{what}: {shown}");
    }
}

#[test]
fn load_error_fields_name_the_preset() {
    let file = file_with(&format!("{HEAD}ports = [{{ port = 0 }}]\n"));
    let shown = Catalog::load(&[file.path().to_path_buf()])
        .unwrap_err()
        .to_string();
    assert!(
        shown.contains("ports[0].port in provider \"acme\""),
        "{shown}"
    );
    assert!(shown.contains(":4:"), "{shown}");
}

#[test]
fn unreadable_file_is_named() {
    let missing = PathBuf::from("/nonexistent/smtp-doctor/providers.toml");
    let err = Catalog::load(std::slice::from_ref(&missing)).unwrap_err();
    assert!(matches!(err, LoadError::Read { .. }));
    assert!(
        err.to_string()
            .contains("/nonexistent/smtp-doctor/providers.toml")
    );
}

#[test]
fn user_files_add_and_override_by_id() {
    let builtin_count = builtin().presets().len();
    let first = file_with(
        r#"
[[provider]]
id = "gmail"
name = "Gmail through the company proxy"
hosts = ["smtp.gmail.com"]
ports = [{ port = 587, security = "starttls", recommended = true }]

[[provider]]
id = "acme"
name = "ACME relay"
hosts = ["smtp.acme.example"]

[[generic_error]]
code = 554
meaning = "Company policy."
advice = "Ask IT."
"#,
    );
    let second = file_with("[[provider]]\nid = \"acme\"\nname = \"ACME relay, second file\"\n");
    let catalog =
        Catalog::load(&[first.path().to_path_buf(), second.path().to_path_buf()]).unwrap();
    assert_eq!(catalog.presets().len(), builtin_count + 1);
    let gmail = catalog.get("gmail").unwrap();
    assert_eq!(gmail.name, "Gmail through the company proxy");
    assert_eq!(gmail.origin, Origin::File(first.path().to_path_buf()));
    // Replaced whole: nothing of the built-in preset survives.
    assert!(gmail.port(465).is_none());
    assert!(gmail.fingerprint.is_empty());
    assert!(gmail.errors.is_empty());
    // Position kept: still where the built-in one was.
    assert_eq!(catalog.presets()[0].id, "gmail");
    let acme = catalog.get("acme").unwrap();
    assert_eq!(acme.name, "ACME relay, second file");
    assert!(acme.hosts.is_empty());
    // User generic errors come first; built-in ones stay.
    assert_eq!(catalog.generic_errors()[0].code, 554);
    assert!(catalog.generic_errors().iter().any(|e| e.code == 530));
}

#[test]
fn user_presets_win_ties_and_literals_win_over_wildcards() {
    let file = file_with(
        r#"
[[provider]]
id = "my-gmail"
name = "My Gmail"
hosts = ["smtp.gmail.com"]

[[provider]]
id = "my-wildcard"
name = "Everything at gmail.com"
hosts = ["*.gmail.com"]
"#,
    );
    let catalog = Catalog::load(&[file.path().to_path_buf()]).unwrap();
    assert_eq!(
        catalog.by_host("smtp.gmail.com").unwrap().preset.id,
        "my-gmail"
    );
    assert_eq!(
        catalog.by_host("smtp-relay.gmail.com").unwrap().preset.id,
        "google-relay"
    );
    assert_eq!(
        catalog.by_host("other.gmail.com").unwrap().preset.id,
        "my-wildcard"
    );
}

#[test]
fn matching_by_host_domain_and_mx() {
    let catalog = builtin();
    let m = catalog.by_host("SMTP.Gmail.com.").unwrap();
    assert_eq!(m.preset.id, "gmail");
    assert_eq!(m.reason, MatchReason::HostName("smtp.gmail.com".into()));
    assert_eq!(m.reason.to_string(), "matched by host name smtp.gmail.com");
    assert_eq!(
        catalog
            .by_host("email-smtp.eu-central-1.amazonaws.com")
            .unwrap()
            .preset
            .id,
        "amazon-ses"
    );
    assert_eq!(
        catalog.by_host("smtp.zoho.com.au").unwrap().preset.id,
        "zoho"
    );
    assert_eq!(
        catalog
            .by_host("contoso-com.mail.protection.outlook.com")
            .unwrap()
            .preset
            .id,
        "office365-direct-send"
    );
    assert!(catalog.by_host("mail.example.test").is_none());
    assert!(catalog.by_host("127.0.0.1").is_none());

    let m = catalog.by_domain("Someone@GMAIL.com").unwrap();
    assert_eq!(m.preset.id, "gmail");
    assert_eq!(m.reason.kind(), "domain");
    assert_eq!(m.reason.detail(), Some("gmail.com"));
    assert_eq!(
        catalog.by_domain("hotmail.com").unwrap().preset.id,
        "outlook"
    );
    assert!(catalog.by_domain("example.test").is_none());

    let m = catalog
        .by_mx(&["mx.example.test", "alt3.aspmx.l.google.com."])
        .unwrap();
    assert_eq!(m.preset.id, "gmail");
    assert_eq!(m.reason, MatchReason::Mx("alt3.aspmx.l.google.com".into()));
    assert_eq!(
        catalog
            .by_mx(&["contoso-com.mail.protection.outlook.com"])
            .unwrap()
            .preset
            .id,
        "office365"
    );
    assert_eq!(
        catalog
            .by_mx(&["example-com.olc.protection.outlook.com"])
            .unwrap()
            .preset
            .id,
        "outlook"
    );
    assert!(catalog.by_mx::<&str>(&[]).is_none());

    let m = catalog.forced("Office365").unwrap();
    assert_eq!(m.preset.id, "office365");
    assert_eq!(m.reason, MatchReason::Forced);
    assert!(catalog.forced("nope").is_none());
}

fn observation(host: &str) -> Observation {
    Observation::new(Endpoint {
        host: host.into(),
        ip: "192.0.2.7".parse().unwrap(),
        port: 587,
        security: Security::Starttls,
    })
}

fn leaf(san: &[&str]) -> CertFacts {
    CertFacts {
        subject: "CN=x".into(),
        issuer: "C=US, O=Google Trust Services, CN=WR2".into(),
        san: san.iter().map(|s| s.to_string()).collect(),
        not_before: String::new(),
        not_after: String::new(),
        days_left: 60,
        not_yet_valid_secs: -1,
        key: String::new(),
        signature_algorithm: String::new(),
        rsa_bits: None,
        signature_digest: Some("SHA-256".into()),
        serial: String::new(),
        sha256: String::new(),
        self_issued: false,
        is_ca: false,
        digests: Default::default(),
    }
}

fn with_cert(mut obs: Observation, san: &[&str]) -> Observation {
    obs.tls = Some(TlsFacts {
        version: "TLSv1.3".into(),
        cipher: String::new(),
        key_exchange: None,
        chain: vec![leaf(san)],
        verification: Verification::default(),
    });
    obs
}

#[test]
fn matching_by_fingerprint() {
    let catalog = builtin();
    let mut obs = observation("192.0.2.7");
    obs.banner = Some(Reply {
        code: 220,
        enhanced: None,
        lines: vec!["smtp.gmail.com ESMTP 5b1f17b1804b1-4 - gsmtp".into()],
    });
    let m = catalog.by_fingerprint(&obs).unwrap();
    assert_eq!(m.preset.id, "gmail");
    assert_eq!(m.reason.kind(), "banner");
    assert!(m.reason.to_string().contains("gsmtp"));

    // A certificate naming a preset's host identifies it, wildcard names included.
    let m = catalog
        .by_fingerprint(&with_cert(observation("192.0.2.7"), &["smtp.fastmail.com"]))
        .unwrap();
    assert_eq!(m.preset.id, "fastmail");
    assert_eq!(
        m.reason,
        MatchReason::Certificate("smtp.fastmail.com".into())
    );
    let m = catalog
        .by_fingerprint(&with_cert(observation("192.0.2.7"), &["*.gmail.com"]))
        .unwrap();
    assert_eq!(m.preset.id, "gmail");

    assert!(catalog.by_fingerprint(&observation("192.0.2.7")).is_none());
    assert!(
        catalog
            .by_fingerprint(&with_cert(observation("192.0.2.7"), &["mail.example.test"]))
            .is_none()
    );

    // The host typed comes first.
    let m = catalog
        .identify("smtp.mail.yahoo.com", &[obs.clone()])
        .unwrap();
    assert_eq!(m.preset.id, "yahoo");
    assert_eq!(
        catalog.identify("192.0.2.7", &[obs]).unwrap().preset.id,
        "gmail"
    );
}

#[test]
fn fingerprint_helpers() {
    let text = r#"
[[provider]]
id = "x"
name = "X"
fingerprint = { banner = ["mx.x.example ESMTP*"], ehlo = ["*.x.example"], cert_san = ["smtp.x.example"], cert_issuer = ["X Trust*"] }
"#;
    let catalog = Catalog::from_toml(text, Origin::Builtin).unwrap();
    let fp = &catalog.get("x").unwrap().fingerprint;
    assert!(fp.banner_match("mx.x.example ESMTP Postfix").is_some());
    assert!(fp.ehlo_match("a.x.example").is_some());
    assert!(fp.ehlo_match("x.example").is_none());
    let mut cert = leaf(&["*.x.example"]);
    assert_eq!(fp.san_match(&cert), Some("*.x.example"));
    assert!(!fp.issuer_matches(&cert));
    cert.issuer = "C=DE, O=X Trust Services GmbH, CN=X CA 1".into();
    assert!(fp.issuer_matches(&cert));
    assert_eq!(issuer_organisation("CN=Test Root"), None);
    // A wildcard certificate covers one label only.
    let p = Pattern::name("a.b.x.example").unwrap();
    assert!(!name_covers(&p, "*.x.example"));
    assert!(name_covers(&p, "*.b.x.example"));
}

#[test]
fn security_modes() {
    use crate::model::Security::*;
    let cases = [
        (SecurityMode::Starttls, [true, false, false]),
        (SecurityMode::ImplicitTls, [false, true, false]),
        (SecurityMode::PlainOrStarttls, [true, false, true]),
    ];
    for (mode, allowed) in cases {
        assert_eq!(
            [
                mode.allows(Starttls),
                mode.allows(ImplicitTls),
                mode.allows(Plain)
            ],
            allowed,
            "{mode}"
        );
    }
    assert_eq!(
        SecurityMode::default_for_port(2465),
        SecurityMode::ImplicitTls
    );
    assert_eq!(SecurityMode::default_for_port(2525), SecurityMode::Starttls);
    assert_eq!(SecurityMode::PlainOrStarttls.probe_security(), Starttls);
    assert!(TlsVersion::from_negotiated("TLSv1") < Some(TlsVersion::Tls12));
    assert!(TlsVersion::from_negotiated("SSLv3") < TlsVersion::from_negotiated("TLSv1"));
    assert_eq!(TlsVersion::from_negotiated("QUIC"), None);
}

#[test]
fn user_file_location() {
    let os = |s: &'static str| Some(OsStr::new(s));
    let cases = [
        (
            os("/xdg"),
            os("/home/u"),
            Some("/xdg/smtp-doctor/providers.toml"),
        ),
        (
            None,
            os("/home/u"),
            Some("/home/u/.config/smtp-doctor/providers.toml"),
        ),
        // Relative and empty XDG_CONFIG_HOME are ignored (XDG base directory spec).
        (
            os("relative"),
            os("/home/u"),
            Some("/home/u/.config/smtp-doctor/providers.toml"),
        ),
        (
            os(""),
            os("/home/u"),
            Some("/home/u/.config/smtp-doctor/providers.toml"),
        ),
        (None, None, None),
        (None, os(""), None),
    ];
    for (xdg, home, expected) in cases {
        assert_eq!(
            user_file_path(xdg, home),
            expected.map(PathBuf::from),
            "{xdg:?} {home:?}"
        );
    }
    // The environment-reading wrapper agrees with the rule.
    if let Some(found) = user_file() {
        assert!(found.path.ends_with("smtp-doctor/providers.toml"));
        assert_eq!(found.exists, found.path.is_file());
    }
}
