//! Provider presets end to end: look-alike servers on loopback under the providers' host names
//! (mapped by the test DNS server, never the machine's resolver; ports mapped with
//! `--port-map`), judged against the built-in presets; `smtp-doctor providers`; user presets.

use serde_json::Value;
use tempfile::TempDir;

use crate::support::dns::TestDns;
use crate::support::pki::{TestCa, Validity};
use crate::support::server::{Scenario, Starttls, TestServer};
use crate::support::{finding, finding_ids, run_check, run_raw};

/// Gmail's EHLO keywords (providers-facts.md, observed in public transcripts).
const GMAIL_BEFORE_TLS: &[&str] = &[
    "SIZE 35882577",
    "8BITMIME",
    "ENHANCEDSTATUSCODES",
    "PIPELINING",
    "CHUNKING",
    "SMTPUTF8",
];
const GMAIL_AFTER_TLS: &[&str] = &[
    "SIZE 35882577",
    "8BITMIME",
    "AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH",
    "ENHANCEDSTATUSCODES",
    "PIPELINING",
    "CHUNKING",
    "SMTPUTF8",
];

struct Lab {
    _dir: TempDir,
    ca_file: String,
    ca: TestCa,
}

impl Lab {
    fn new() -> Lab {
        let dir = tempfile::tempdir().expect("tempdir");
        let ca = TestCa::new("Lab Root CA");
        let ca_file = ca.write_to(dir.path()).display().to_string();
        Lab {
            _dir: dir,
            ca_file,
            ca,
        }
    }
}

/// A server that looks like Gmail's submission service.
fn gmail_like(lab: &Lab, implicit: bool) -> Scenario {
    let scenario = Scenario::new()
        .identity(lab.ca.leaf(&["smtp.gmail.com"], Validity::Good))
        .greeting(220, &["smtp.gmail.com ESMTP a1b2c3d4e5f6.7 - gsmtp"])
        .ehlo_domain("smtp.gmail.com")
        .ehlo_keywords(GMAIL_BEFORE_TLS)
        .ehlo_tls_keywords(GMAIL_AFTER_TLS);
    if implicit {
        scenario.implicit_tls()
    } else {
        scenario
    }
}

/// `check NAME` with the test DNS as resolver, ports mapped to the test servers, JSON.
fn check(
    lab: &Lab,
    dns: &TestDns,
    name: &str,
    maps: &[(u16, u16)],
    extra: &[&str],
) -> (i32, Value) {
    let resolver = dns.addr().to_string();
    let mut args: Vec<String> = [
        "check",
        name,
        "--host",
        "--resolver",
        &resolver,
        "--ca-file",
        &lab.ca_file,
        "--connect-timeout",
        "1s",
        "--timeout",
        "2s",
        "--json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for (from, to) in maps {
        args.push("--port-map".into());
        args.push(format!("{from}={to}"));
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, doc, stderr) = run_check(&refs);
    if std::env::var_os("SMTP_DOCTOR_TEST_DUMP").is_some() {
        eprintln!("exit {code}\n{doc:#}\nstderr: {stderr}");
    }
    (code, doc)
}

fn errors(doc: &Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["severity"] == "error")
        .map(|f| f["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn seen(doc: &Value, port: u64) -> String {
    doc["provider"]["settings"]["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["port"] == port)
        .map(|p| p["seen"].as_str().unwrap_or_default().to_string())
        .unwrap_or_default()
}

#[test]
fn gmail_look_alike_is_recognised_and_healthy() {
    let lab = Lab::new();
    let starttls = TestServer::start(gmail_like(&lab, false));
    let implicit = TestServer::start(gmail_like(&lab, true));
    let dns = TestDns::new().a("smtp.gmail.com", "127.0.0.1");
    let (code, doc) = check(
        &lab,
        &dns,
        "smtp.gmail.com",
        &[(587, starttls.port()), (465, implicit.port())],
        &[],
    );
    assert_eq!(errors(&doc), Vec::<String>::new(), "{doc:#}");
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["provider"]["id"], "gmail");
    assert_eq!(doc["provider"]["matched_by"]["kind"], "host");
    assert_eq!(doc["provider"]["matched_by"]["detail"], "smtp.gmail.com");
    // 25, 587 and 465 are probed (what users ask about), the preset's in its modes.
    let ports: Vec<(u64, String)> = doc["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["port"].as_u64().unwrap(),
                e["security"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(ports.contains(&(465, "implicit_tls".into())), "{ports:?}");
    assert!(ports.contains(&(587, "starttls".into())), "{ports:?}");
    assert!(ports.iter().any(|(p, _)| *p == 25), "{ports:?}");
    // Nothing answers on 25 here: probed only to inform, and 465 works securely, so it is a
    // warning that says why, and the exit code is 0.
    let refused = finding(&doc, "port.refused").unwrap_or_else(|| panic!("{doc:#}"));
    assert_eq!(refused["severity"], "warning", "{doc:#}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap_or_default()
            .contains("probed only to inform"),
        "{refused:#}"
    );
    let settings = &doc["provider"]["settings"];
    assert_eq!(settings["host"], "smtp.gmail.com");
    assert_eq!(settings["port"], 465);
    assert_eq!(settings["security"], "implicit_tls");
    assert_eq!(seen(&doc, 465), "working");
    assert_eq!(seen(&doc, 587), "working");
    assert!(
        settings["requirements"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str().unwrap_or_default().contains("app password")),
        "{settings:#}"
    );
    // Only port 25, which the preset does not document, gets a provider finding: the way
    // Gmail offers instead.
    for f in doc["findings"].as_array().unwrap() {
        let id = f["id"].as_str().unwrap_or_default();
        if id.starts_with("provider.") {
            assert_eq!(id, "provider.port_unsupported", "{doc:#}");
            assert_eq!(f["endpoint"], "smtp.gmail.com:25", "{doc:#}");
            assert_eq!(f["severity"], "warning", "{doc:#}");
        }
    }
}

#[test]
fn gmail_name_answered_by_someone_else_is_intercepted() {
    let mut lab = Lab::new();
    // Another CA, as an antivirus or a corporate proxy would use, and another banner.
    let other_ca = TestCa::new("Antivirus Mail Shield CA");
    let dir = tempfile::tempdir().unwrap();
    let both = dir.path().join("both.pem");
    std::fs::write(&both, format!("{}{}", lab.ca.cert_pem, other_ca.cert_pem)).unwrap();
    let proxy = TestServer::start(
        Scenario::new()
            .identity(other_ca.leaf(&["smtp.gmail.com"], Validity::Good))
            .greeting(220, &["mailshield.local ESMTP ready"])
            .ehlo_domain("mailshield.local")
            .ehlo_keywords(GMAIL_BEFORE_TLS)
            .ehlo_tls_keywords(GMAIL_AFTER_TLS),
    );
    let dns = TestDns::new().a("smtp.gmail.com", "127.0.0.1");
    // Both CAs trusted: the finding must come from the fingerprint, not from trust.
    lab.ca_file = both.display().to_string();
    let (code, doc) = check(
        &lab,
        &dns,
        "smtp.gmail.com",
        &[(587, proxy.port())],
        &["--port", "587"],
    );
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(doc["provider"]["id"], "gmail");
    let f = finding(&doc, "provider.intercepted").unwrap_or_else(|| panic!("{doc:#}"));
    assert_eq!(f["severity"], "error");
    let message = f["message"].as_str().unwrap_or_default();
    assert!(message.contains("mailshield.local"), "{message}");
}

#[test]
fn gmail_without_starttls_is_stripped() {
    let lab = Lab::new();
    let stripped = TestServer::start(gmail_like(&lab, false).starttls(Starttls::NotOffered));
    let dns = TestDns::new().a("smtp.gmail.com", "127.0.0.1");
    let (code, doc) = check(
        &lab,
        &dns,
        "smtp.gmail.com",
        &[(587, stripped.port())],
        &["--port", "587"],
    );
    assert_eq!(code, 1, "{doc:#}");
    let ids = finding_ids(&doc);
    assert!(
        ids.contains(&"provider.starttls_stripped".to_string()),
        "{ids:?}"
    );
    // The provider finding explains the generic one; it is not reported twice.
    assert!(!ids.contains(&"starttls.missing".to_string()), "{ids:?}");
    assert_eq!(seen(&doc, 587), "failing");
}

#[test]
fn office365_on_465_is_a_port_it_does_not_offer() {
    let lab = Lab::new();
    let server = TestServer::start(
        Scenario::new()
            .identity(lab.ca.leaf(&["smtp.office365.com"], Validity::Good))
            .implicit_tls(),
    );
    let dns = TestDns::new().a("smtp.office365.com", "127.0.0.1");
    let (_code, doc) = check(
        &lab,
        &dns,
        "smtp.office365.com",
        &[(465, server.port())],
        &["--port", "465"],
    );
    assert_eq!(doc["provider"]["id"], "office365");
    let f = finding(&doc, "provider.port_unsupported").unwrap_or_else(|| panic!("{doc:#}"));
    let advice = f["advice"].as_str().unwrap_or_default();
    assert!(
        advice.contains("587") && advice.contains("STARTTLS"),
        "{advice}"
    );
    assert_eq!(seen(&doc, 587), "not_probed");
}

#[test]
fn forced_provider_on_an_address() {
    let lab = Lab::new();
    let server = TestServer::start(
        Scenario::new().identity(lab.ca.leaf(&["smtp.office365.com"], Validity::Good)),
    );
    let target = format!("127.0.0.1:{}", server.port());
    let (code, doc, _) = run_check(&[
        "check",
        &target,
        "--provider",
        "office365",
        "--servername",
        "smtp.office365.com",
        "--ca-file",
        &lab.ca_file,
        "--timeout",
        "2s",
        "--json",
    ]);
    assert_eq!(doc["provider"]["id"], "office365", "{doc:#}");
    assert_eq!(doc["provider"]["matched_by"]["kind"], "forced");
    // A random port is not one Office 365 documents.
    assert!(
        finding(&doc, "provider.port_unsupported").is_some(),
        "{doc:#}"
    );
    assert_eq!(code, 0, "a warning only: {doc:#}");

    let run = run_raw(&["check", "127.0.0.1", "--provider", "nope", "--json"], &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("unknown provider"), "{}", run.stderr);
}

#[test]
fn providers_command_lists_and_shows() {
    let run = run_raw(&["providers", "--color", "never"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for id in [
        "gmail",
        "office365",
        "amazon-ses",
        "resend",
        "proton-bridge",
    ] {
        assert!(run.stdout.contains(id), "{id} missing:\n{}", run.stdout);
    }
    let run = run_raw(&["providers", "gmail", "--json"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(doc["id"], "gmail");
    assert_eq!(doc["hosts"][0], "smtp.gmail.com");
    let run = run_raw(&["providers", "--json"], &[]);
    let doc: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert!(doc["providers"].as_array().unwrap().len() >= 28);
    let run = run_raw(&["providers", "no-such-provider"], &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("unknown provider"), "{}", run.stderr);
}

#[test]
fn user_preset_file_adds_a_relay_and_bad_files_say_where() {
    let lab = Lab::new();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("acme.toml");
    std::fs::write(
        &file,
        r#"
[[provider]]
id = "acme"
name = "ACME mail relay"
hosts = ["smtp.acme.test"]
ports = [{ port = 587, security = "starttls", recommended = true }]
auth_mechanisms = ["PLAIN"]
requirements = ["The relay accepts mail only from the office network."]
"#,
    )
    .unwrap();
    let server = TestServer::start(
        Scenario::new().identity(lab.ca.leaf(&["smtp.acme.test"], Validity::Good)),
    );
    let dns = TestDns::new().a("smtp.acme.test", "127.0.0.1");
    let file_arg = file.display().to_string();
    let (code, doc) = check(
        &lab,
        &dns,
        "smtp.acme.test",
        &[(587, server.port())],
        &["--providers", &file_arg],
    );
    assert_eq!(doc["provider"]["id"], "acme", "{doc:#}");
    assert_eq!(doc["provider"]["origin"], file_arg.as_str());
    assert_eq!(seen(&doc, 587), "working");
    assert_eq!(code, 0, "{doc:#}");

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[[provider]]\nid = \"x\"\nname = \"X\"\nports = [{ port = 587, security = \"tls-ish\" }]\n").unwrap();
    let run = run_raw(
        &["providers", "--providers", &bad.display().to_string()],
        &[],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("bad.toml:4"), "{}", run.stderr);
    assert!(run.stderr.contains("security"), "{}", run.stderr);
}
