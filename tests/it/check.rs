//! Scenario tests of `smtp-doctor check` against the in-process test server: one scenario per
//! test, asserting the JSON fields, finding ids and exit code of the contract.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use openssl::ssl::SslVersion;
use serde_json::Value;
use tempfile::TempDir;

use crate::support::pki::{self, Leaf, TestCa, Validity};
use crate::support::server::{Blackhole, Flood, FloodAt, Scenario, Starttls, TestServer};
use crate::support::{Invocation, assert_finding, assert_no_finding, finding, run_check, run_raw};

/// The name every test certificate is made for, and the one passed as `--servername`.
const NAME: &str = "mail.test";

/// A test CA written to a temporary `--ca-file`.
struct Pki {
    _dir: TempDir,
    ca: TestCa,
    ca_file: PathBuf,
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().expect("tempdir");
        let ca = TestCa::new("smtp-doctor Test CA");
        let ca_file = ca.write_to(dir.path());
        Pki {
            _dir: dir,
            ca,
            ca_file,
        }
    }

    fn leaf(&self, validity: Validity) -> Leaf {
        self.ca.leaf(&[NAME], validity)
    }

    fn good(&self) -> Leaf {
        self.leaf(Validity::Good)
    }
}

/// Common arguments: one endpoint, short deadlines, JSON.
fn base_args(pki: &Pki, port: u16, timeout: &str) -> Vec<String> {
    [
        "check".to_string(),
        format!("127.0.0.1:{port}"),
        "--servername".to_string(),
        NAME.to_string(),
        "--ca-file".to_string(),
        pki.ca_file.display().to_string(),
        "--connect-timeout".to_string(),
        "1s".to_string(),
        "--timeout".to_string(),
        timeout.to_string(),
    ]
    .to_vec()
}

/// Runs `check --json` with the common arguments plus `extra`, `--timeout 2s`.
fn check(pki: &Pki, port: u16, extra: &[&str]) -> (i32, Value) {
    check_timeout(pki, port, "2s", extra)
}

fn check_timeout(pki: &Pki, port: u16, timeout: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = base_args(pki, port, timeout);
    args.push("--json".to_string());
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, doc, stderr) = run_check(&refs);
    // For debugging a scenario: SMTP_DOCTOR_TEST_DUMP=1 cargo test NAME -- --nocapture
    if std::env::var_os("SMTP_DOCTOR_TEST_DUMP").is_some() {
        eprintln!("exit {code}\n{doc:#}\nstderr: {stderr}");
    }
    (code, doc)
}

/// The single endpoint of a one-port run.
fn endpoint(doc: &Value) -> &Value {
    let endpoints = doc["endpoints"].as_array().expect("endpoints array");
    assert_eq!(endpoints.len(), 1, "one endpoint expected: {doc:#}");
    &endpoints[0]
}

fn keyword_names(ehlo: &Value) -> Vec<String> {
    ehlo["keywords"]
        .as_array()
        .unwrap_or_else(|| panic!("keywords array in {ehlo:#}"))
        .iter()
        .filter_map(|k| k["name"].as_str().map(str::to_ascii_uppercase))
        .collect()
}

#[track_caller]
fn assert_state(doc: &Value, state: &str) {
    assert_eq!(endpoint(doc)["state"], state, "{doc:#}");
}

#[track_caller]
fn assert_exit(code: i32, expected: i32, doc: &Value) {
    assert_eq!(code, expected, "exit code; report:\n{doc:#}");
}

fn error_findings(doc: &Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .filter(|f| f["severity"] == "error")
        .filter_map(|f| f["id"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn good_starttls() {
    let pki = Pki::new();
    let leaf = pki.good();
    let server = TestServer::start(Scenario::new().identity(leaf.clone()));
    let (code, doc) = check(&pki, server.port(), &["--security", "starttls"]);
    let ep = endpoint(&doc);
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(ep["state"], "ok", "{doc:#}");
    assert_eq!(ep["security"], "starttls");
    assert_eq!(ep["port"], server.port());
    assert_eq!(ep["ip"], server.addr().ip().to_string());
    assert!(ep["error"].is_null(), "{doc:#}");
    assert!(ep["wrong_mode"].is_null(), "{doc:#}");
    assert_eq!(ep["banner"]["code"], 220);
    assert_eq!(ep["ehlo"]["code"], 250);
    assert_eq!(ep["ehlo"]["helo"], false);
    assert_eq!(ep["ehlo"]["domain"], NAME);
    assert!(
        keyword_names(&ep["ehlo"]).contains(&"STARTTLS".to_string()),
        "{doc:#}"
    );
    assert!(
        keyword_names(&ep["ehlo"]).contains(&"SIZE".to_string()),
        "{doc:#}"
    );
    assert_eq!(ep["starttls"]["offered"], true);
    assert_eq!(ep["starttls"]["reply"]["code"], 220);
    assert_eq!(ep["starttls"]["injected_bytes"], 0);
    let tls = &ep["tls"];
    assert!(
        tls["version"]
            .as_str()
            .is_some_and(|v| v.starts_with("TLSv1.")),
        "{doc:#}"
    );
    assert!(tls["cipher"].as_str().is_some(), "{doc:#}");
    assert_eq!(tls["verification"]["trusted"], true, "{doc:#}");
    assert_eq!(tls["verification"]["hostname_match"], true, "{doc:#}");
    assert_eq!(tls["verification"]["checked_name"], NAME);
    let sent = &tls["chain"][0];
    assert_eq!(sent["sha256"], sha256_hex(&leaf.cert_pem), "{doc:#}");
    assert!(
        sent["san"]
            .as_array()
            .is_some_and(|s| s.iter().any(|n| n == NAME)),
        "{doc:#}"
    );
    assert_eq!(sent["self_issued"], false);
    assert_eq!(sent["is_ca"], false);
    let tls_keywords = keyword_names(&ep["ehlo_tls"]);
    assert!(tls_keywords.contains(&"AUTH".to_string()), "{doc:#}");
    assert!(!tls_keywords.contains(&"STARTTLS".to_string()), "{doc:#}");
    assert!(
        ep["transcript"].is_null(),
        "transcript only with --transcript: {doc:#}"
    );
    assert!(ep["timings_ms"]["tls"].is_number(), "{doc:#}");
    assert!(error_findings(&doc).is_empty(), "{doc:#}");
    assert_eq!(doc["summary"]["errors"], 0);
    assert_exit(code, 0, &doc);
}

/// SHA-256 of a PEM certificate's DER, lower-case hex (the `sha256` field of the chain).
fn sha256_hex(pem: &str) -> String {
    let cert = openssl::x509::X509::from_pem(pem.as_bytes()).expect("PEM");
    let digest = cert
        .digest(openssl::hash::MessageDigest::sha256())
        .expect("digest");
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn ehlo_domain_and_unknown_keywords_are_kept() {
    let pki = Pki::new();
    let scenario = Scenario::new()
        .identity(pki.good())
        .ehlo_domain("mx.provider.test")
        .ehlo_keywords(&["SIZE 1000", "X-CUSTOM-THING a b", "AUTH=LOGIN PLAIN"])
        .ehlo_tls_keywords(&["SMTPUTF8", "AUTH LOGIN"]);
    let server = TestServer::start(scenario);
    let (code, doc) = check(&pki, server.port(), &["--security", "starttls"]);
    let ep = endpoint(&doc);
    assert_eq!(ep["ehlo"]["domain"], "mx.provider.test", "{doc:#}");
    let custom = ep["ehlo"]["keywords"]
        .as_array()
        .expect("keywords")
        .iter()
        .find(|k| k["name"] == "X-CUSTOM-THING")
        .unwrap_or_else(|| panic!("unknown keyword kept: {doc:#}"));
    assert_eq!(custom["params"], serde_json::json!(["a", "b"]), "{doc:#}");
    let lines = ep["ehlo"]["lines"].as_array().expect("raw lines");
    assert!(
        lines.iter().any(|l| l == "X-CUSTOM-THING a b"),
        "raw line kept: {doc:#}"
    );
    let tls_keywords = keyword_names(&ep["ehlo_tls"]);
    assert!(tls_keywords.contains(&"SMTPUTF8".to_string()), "{doc:#}");
    assert!(!tls_keywords.contains(&"SIZE".to_string()), "{doc:#}");
    assert_exit(code, 0, &doc);
}

#[test]
fn good_implicit_tls() {
    let pki = Pki::new();
    let server = TestServer::start(Scenario::new().implicit_tls().identity(pki.good()));
    let (code, doc) = check(&pki, server.port(), &["--security", "tls"]);
    let ep = endpoint(&doc);
    assert_eq!(ep["state"], "ok", "{doc:#}");
    assert_eq!(ep["security"], "implicit_tls");
    assert!(ep["wrong_mode"].is_null(), "{doc:#}");
    assert_eq!(ep["banner"]["code"], 220);
    assert!(ep["tls"]["version"].is_string(), "{doc:#}");
    assert_eq!(ep["tls"]["verification"]["trusted"], true, "{doc:#}");
    assert_eq!(ep["tls"]["verification"]["hostname_match"], true, "{doc:#}");
    assert!(
        keyword_names(&ep["ehlo_tls"]).contains(&"AUTH".to_string()),
        "{doc:#}"
    );
    assert!(error_findings(&doc).is_empty(), "{doc:#}");
    assert_exit(code, 0, &doc);
}

/// Runs the good STARTTLS dialogue with this certificate.
fn check_cert(pki: &Pki, leaf: Leaf) -> (i32, Value) {
    let server = TestServer::start(Scenario::new().identity(leaf));
    check(pki, server.port(), &["--security", "starttls"])
}

#[test]
fn self_signed_certificate() {
    let pki = Pki::new();
    let (code, doc) = check_cert(&pki, pki::self_signed(&[NAME]));
    assert_state(&doc, "ok");
    assert_eq!(
        endpoint(&doc)["tls"]["verification"]["trusted"],
        false,
        "{doc:#}"
    );
    assert_eq!(
        endpoint(&doc)["tls"]["chain"][0]["self_issued"],
        true,
        "{doc:#}"
    );
    assert_finding(&doc, "cert.self_signed");
    assert_no_finding(&doc, "cert.untrusted");
    assert_exit(code, 1, &doc);
}

#[test]
fn expired_certificate() {
    let pki = Pki::new();
    let (code, doc) = check_cert(&pki, pki.leaf(Validity::Expired));
    assert_state(&doc, "ok");
    assert!(
        endpoint(&doc)["tls"]["chain"][0]["days_left"]
            .as_i64()
            .is_some_and(|d| d < 0),
        "{doc:#}"
    );
    assert_finding(&doc, "cert.expired");
    assert_exit(code, 1, &doc);
}

#[test]
fn wrong_name_certificate() {
    let pki = Pki::new();
    let (code, doc) = check_cert(&pki, pki.ca.leaf(&["other.test"], Validity::Good));
    let verification = &endpoint(&doc)["tls"]["verification"];
    assert_eq!(verification["hostname_match"], false, "{doc:#}");
    assert_eq!(verification["checked_name"], NAME, "{doc:#}");
    assert_eq!(verification["trusted"], true, "{doc:#}");
    assert_finding(&doc, "cert.name_mismatch");
    assert_no_finding(&doc, "cert.untrusted");
    assert_exit(code, 1, &doc);
}

#[test]
fn untrusted_ca() {
    let pki = Pki::new();
    let other = TestCa::new("Some Other CA");
    let (code, doc) = check_cert(&pki, other.leaf(&[NAME], Validity::Good));
    assert_eq!(
        endpoint(&doc)["tls"]["verification"]["trusted"],
        false,
        "{doc:#}"
    );
    assert_finding(&doc, "cert.untrusted");
    assert_no_finding(&doc, "cert.self_signed");
    assert_exit(code, 1, &doc);
}

#[test]
fn not_yet_valid_certificate() {
    let pki = Pki::new();
    let (code, doc) = check_cert(&pki, pki.leaf(Validity::NotYetValid));
    assert_finding(&doc, "cert.not_yet_valid");
    assert_no_finding(&doc, "cert.expired");
    assert_exit(code, 1, &doc);
}

#[test]
fn certificate_expiring_soon_is_a_warning() {
    let pki = Pki::new();
    let (code, doc) = check_cert(&pki, pki.leaf(Validity::EndsInDays(10)));
    let days = endpoint(&doc)["tls"]["chain"][0]["days_left"].as_i64();
    assert!(
        days.is_some_and(|d| (9..=10).contains(&d)),
        "days_left {days:?}: {doc:#}"
    );
    let soon = finding(&doc, "cert.expiring_soon").unwrap_or_else(|| panic!("{doc:#}"));
    assert_eq!(soon["severity"], "warning");
    assert!(error_findings(&doc).is_empty(), "{doc:#}");
    assert_exit(code, 0, &doc);
}

#[test]
fn starttls_not_offered() {
    let pki = Pki::new();
    let scenario = Scenario::new()
        .identity(pki.good())
        .starttls(Starttls::NotOffered);
    let server = TestServer::start(scenario);
    // Default security (auto): STARTTLS mode on a non-465 port, not forced.
    let (code, doc) = check(&pki, server.port(), &[]);
    let ep = endpoint(&doc);
    assert_eq!(ep["state"], "ok", "{doc:#}");
    assert_eq!(ep["starttls"]["offered"], false, "{doc:#}");
    assert!(ep["tls"].is_null(), "{doc:#}");
    assert!(!keyword_names(&ep["ehlo"]).contains(&"STARTTLS".to_string()));
    // Error or warning depends on the port (25 vs submission); the exit code must agree.
    let missing = finding(&doc, "starttls.missing").unwrap_or_else(|| panic!("{doc:#}"));
    let expected = if missing["severity"] == "error" { 1 } else { 0 };
    assert_exit(code, expected, &doc);
}

#[test]
fn starttls_refused_454() {
    let pki = Pki::new();
    let scenario = Scenario::new()
        .identity(pki.good())
        .starttls(Starttls::Refuse {
            code: 454,
            text: "4.7.0 TLS not available due to local problem".to_string(),
        });
    let server = TestServer::start(scenario);
    let (code, doc) = check(&pki, server.port(), &["--security", "starttls"]);
    let ep = endpoint(&doc);
    assert_eq!(ep["starttls"]["offered"], true, "{doc:#}");
    assert_eq!(ep["starttls"]["reply"]["code"], 454, "{doc:#}");
    assert!(ep["tls"].is_null(), "{doc:#}");
    assert_finding(&doc, "starttls.refused");
    assert_exit(code, 1, &doc);
}

#[test]
fn multi_line_banner() {
    let pki = Pki::new();
    let lines = ["mail.test ESMTP first line", "second line", "third line"];
    let scenario = Scenario::new().identity(pki.good()).greeting(220, &lines);
    let server = TestServer::start(scenario);
    let (code, doc) = check(&pki, server.port(), &["--security", "starttls"]);
    let banner = &endpoint(&doc)["banner"];
    assert_eq!(banner["code"], 220, "{doc:#}");
    let got: Vec<&str> = banner["lines"]
        .as_array()
        .expect("banner lines")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(got, lines, "{doc:#}");
    assert_state(&doc, "ok");
    assert_exit(code, 0, &doc);
}

#[test]
fn slow_banner_within_timeout() {
    let pki = Pki::new();
    let scenario = Scenario::new()
        .identity(pki.good())
        .banner_delay(Duration::from_secs(1));
    let server = TestServer::start(scenario);
    let (code, doc) = check_timeout(&pki, server.port(), "3s", &["--security", "starttls"]);
    assert_state(&doc, "ok");
    // The server starts its delay once the connection is up, so connect + banner covers it
    // (the split between the two shifts with scheduling).
    let timings = &endpoint(&doc)["timings_ms"];
    let waited = timings["connect"].as_u64().unwrap_or(0) + timings["banner"].as_u64().unwrap_or(0);
    assert!(waited >= 900, "connect + banner {waited} ms: {doc:#}");
    assert_exit(code, 0, &doc);
}

#[test]
fn banner_never_sent() {
    let pki = Pki::new();
    let server = TestServer::start(Scenario::new().identity(pki.good()).silent());
    // A 1 s timeout: the banner wait, then the TLS attempt on a second connection, each 1 s.
    let (code, doc) = check_timeout(&pki, server.port(), "1s", &["--security", "starttls"]);
    let ep = endpoint(&doc);
    assert_eq!(ep["state"], "timeout", "{doc:#}");
    assert_eq!(ep["error"]["phase"], "banner", "{doc:#}");
    assert!(ep["wrong_mode"].is_null(), "{doc:#}");
    assert!(ep["banner"].is_null(), "{doc:#}");
    assert_finding(&doc, "smtp.no_banner");
    assert_no_finding(&doc, "tls.wrong_mode");
    assert_exit(code, 1, &doc);
    // The second connection (the TLS attempt) was made, and could not succeed.
    let sessions = server.sessions();
    assert_eq!(
        sessions.len(),
        2,
        "banner wait, then a TLS attempt: {sessions:#?}"
    );
    assert!(
        sessions
            .iter()
            .all(|s| s.lines.is_empty() && !s.tls_established)
    );
}

#[test]
fn close_after_banner() {
    let pki = Pki::new();
    let server = TestServer::start(Scenario::new().identity(pki.good()).close_after_banner());
    let (code, doc) = check(&pki, server.port(), &["--security", "starttls"]);
    let ep = endpoint(&doc);
    assert_eq!(ep["state"], "closed", "{doc:#}");
    assert_eq!(ep["error"]["phase"], "ehlo", "{doc:#}");
    assert_eq!(ep["banner"]["code"], 220, "{doc:#}");
    assert_finding(&doc, "smtp.closed");
    assert_exit(code, 1, &doc);
}

#[test]
fn helo_only_server() {
    let pki = Pki::new();
    let server = TestServer::start(Scenario::new().identity(pki.good()).ehlo_refused());
    let (code, doc) = check(&pki, server.port(), &[]);
    let ep = endpoint(&doc);
    assert_eq!(ep["ehlo"]["helo"], true, "{doc:#}");
    assert_eq!(ep["ehlo"]["code"], 250, "{doc:#}");
    let helo_only = finding(&doc, "smtp.helo_only").unwrap_or_else(|| panic!("{doc:#}"));
    assert_eq!(helo_only["severity"], "warning", "{doc:#}");
    assert_eq!(ep["state"], "ok", "{doc:#}");
    // No EHLO, so no STARTTLS: exit 1 only through the error findings that follow from that.
    let expected = if error_findings(&doc).is_empty() {
        0
    } else {
        1
    };
    assert_exit(code, expected, &doc);
}

#[test]
fn implicit_tls_on_starttls_port() {
    let pki = Pki::new();
    let server = TestServer::start(Scenario::new().implicit_tls().identity(pki.good()));
    let (code, doc) = check(&pki, server.port(), &["--security", "starttls"]);
    let ep = endpoint(&doc);
    assert_eq!(ep["wrong_mode"], "implicit_tls_on_starttls_port", "{doc:#}");
    assert!(
        ep["tls"]["version"].is_string(),
        "TLS facts from the 2nd connection: {doc:#}"
    );
    assert_finding(&doc, "tls.wrong_mode");
    assert_no_finding(&doc, "smtp.no_banner");
    assert_exit(code, 1, &doc);
    let sessions = server.sessions();
    assert_eq!(
        sessions.len(),
        2,
        "banner wait, then a TLS attempt: {sessions:#?}"
    );
    assert!(!sessions[0].tls_established, "{sessions:#?}");
    assert!(sessions[1].tls_established, "{sessions:#?}");
}

#[test]
fn plain_smtp_on_tls_port() {
    let pki = Pki::new();
    let server = TestServer::start(Scenario::new().identity(pki.good()));
    let (code, doc) = check(&pki, server.port(), &["--security", "tls"]);
    let ep = endpoint(&doc);
    assert_eq!(ep["security"], "implicit_tls", "{doc:#}");
    assert_eq!(ep["wrong_mode"], "plain_on_tls_port", "{doc:#}");
    assert_eq!(ep["state"], "tls_error", "{doc:#}");
    assert_eq!(ep["banner"]["code"], 220, "banner recorded: {doc:#}");
    assert_finding(&doc, "tls.wrong_mode");
    assert_exit(code, 1, &doc);
}

#[test]
fn legacy_tls_1_0_only_server() {
    let pki = Pki::new();
    let scenario = Scenario::new()
        .identity(pki.good())
        .tls_versions(SslVersion::TLS1, SslVersion::TLS1);
    let server = TestServer::start(scenario);
    let (code, doc) = check(&pki, server.port(), &["--security", "starttls"]);
    assert_eq!(endpoint(&doc)["tls"]["version"], "TLSv1", "{doc:#}");
    assert_finding(&doc, "tls.legacy_version");
    assert_exit(code, 1, &doc);
}

#[test]
fn bytes_injected_after_starttls() {
    let pki = Pki::new();
    let injected = b"250-INJECTED\r\n250 INJECTED\r\n";
    let scenario = Scenario::new()
        .identity(pki.good())
        .inject_after_starttls(injected);
    let server = TestServer::start(scenario);
    let (code, doc) = check(&pki, server.port(), &["--security", "starttls"]);
    let ep = endpoint(&doc);
    let count = ep["starttls"]["injected_bytes"].as_u64();
    assert!(
        count.is_some_and(|n| n > 0),
        "injected_bytes {count:?}: {doc:#}"
    );
    assert_finding(&doc, "starttls.injection");
    // The injected reply must not be taken as the answer to the EHLO inside TLS.
    let ehlo_tls = ep["ehlo_tls"].to_string();
    assert!(
        !ehlo_tls.contains("INJECTED"),
        "injected bytes used inside TLS: {doc:#}"
    );
    if !ep["ehlo_tls"].is_null() {
        assert_eq!(ep["ehlo_tls"]["domain"], NAME, "{doc:#}");
    }
    assert_exit(code, 1, &doc);
}

#[test]
fn oversized_ehlo_reply_many_lines() {
    let pki = Pki::new();
    let scenario = Scenario::new()
        .identity(pki.good())
        .flood(FloodAt::Ehlo, Flood::Lines(100_000));
    let server = TestServer::start(scenario);
    let (code, doc) = check(&pki, server.port(), &["--security", "starttls"]);
    assert_state(&doc, "protocol_error");
    assert_eq!(endpoint(&doc)["error"]["phase"], "ehlo", "{doc:#}");
    assert_finding(&doc, "smtp.protocol_error");
    assert_exit(code, 1, &doc);
}

#[test]
fn oversized_reply_line() {
    let pki = Pki::new();
    let scenario = Scenario::new()
        .identity(pki.good())
        .flood(FloodAt::Banner, Flood::LongLine(1 << 20));
    let server = TestServer::start(scenario);
    let (code, doc) = check(&pki, server.port(), &["--security", "starttls"]);
    assert_state(&doc, "protocol_error");
    assert_eq!(endpoint(&doc)["error"]["phase"], "banner", "{doc:#}");
    assert_exit(code, 1, &doc);
}

#[test]
fn not_smtp_greeting() {
    let pki = Pki::new();
    let scenario = Scenario::new()
        .identity(pki.good())
        .raw_greeting(b"SSH-2.0-OpenSSH_9.2\r\n");
    let server = TestServer::start(scenario);
    let (code, doc) = check(&pki, server.port(), &["--security", "starttls"]);
    assert_finding(&doc, "smtp.not_smtp");
    assert_ne!(endpoint(&doc)["state"], "ok", "{doc:#}");
    assert_exit(code, 1, &doc);
}

#[test]
fn greeting_554_refused() {
    let pki = Pki::new();
    let scenario = Scenario::new()
        .identity(pki.good())
        .greeting(554, &["5.7.1 No SMTP service here"]);
    let server = TestServer::start(scenario);
    let (code, doc) = check(&pki, server.port(), &["--security", "starttls"]);
    assert_eq!(endpoint(&doc)["banner"]["code"], 554, "{doc:#}");
    let refused = finding(&doc, "smtp.greeting_refused").unwrap_or_else(|| panic!("{doc:#}"));
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("No SMTP service here")),
        "the server's text in the message: {doc:#}"
    );
    assert_exit(code, 1, &doc);
}

#[test]
fn greeting_421_refused() {
    let pki = Pki::new();
    let scenario = Scenario::new()
        .identity(pki.good())
        .greeting(421, &["4.3.2 Too busy, try later"]);
    let server = TestServer::start(scenario);
    let (code, doc) = check(&pki, server.port(), &["--security", "starttls"]);
    assert_eq!(endpoint(&doc)["banner"]["code"], 421, "{doc:#}");
    assert_finding(&doc, "smtp.greeting_refused");
    assert_exit(code, 1, &doc);
}

#[test]
fn refused_port() {
    let pki = Pki::new();
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let (code, doc) = check(&pki, port, &[]);
    let ep = endpoint(&doc);
    assert_eq!(ep["state"], "refused", "{doc:#}");
    assert_eq!(ep["error"]["phase"], "connect", "{doc:#}");
    let refused = finding(&doc, "port.refused").unwrap_or_else(|| panic!("{doc:#}"));
    assert_eq!(refused["severity"], "error");
    assert_eq!(refused["ip"], "127.0.0.1", "{doc:#}");
    assert_eq!(refused["endpoint"], format!("127.0.0.1:{port}"), "{doc:#}");
    assert_exit(code, 1, &doc);
}

#[test]
fn blackhole_listener_drops_syns() {
    // The connect-timeout scenario relies on this kernel behaviour; check it directly.
    let hole = Blackhole::new();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], hole.port()));
    let start = Instant::now();
    let result = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(300));
    let err = result.expect_err("a connect to the blackhole must not complete");
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut, "{err}");
    assert!(start.elapsed() >= Duration::from_millis(250));
}

#[test]
fn connect_timeout() {
    let pki = Pki::new();
    let hole = Blackhole::new();
    let started = Instant::now();
    let (code, doc) = check(&pki, hole.port(), &[]);
    let ep = endpoint(&doc);
    assert_eq!(ep["state"], "timeout", "{doc:#}");
    assert_eq!(ep["error"]["phase"], "connect", "{doc:#}");
    assert_finding(&doc, "port.timeout");
    // The engine's own deadline, not the kernel's two minutes of SYN retries. Wall time is
    // only bounded loosely: on a loaded machine process start-up alone can take seconds.
    let connect_ms = ep["timings_ms"]["connect"].as_u64();
    assert!(
        connect_ms.is_some_and(|ms| (900..3000).contains(&ms)),
        "--connect-timeout 1s is honoured: {doc:#}"
    );
    assert!(started.elapsed() < Duration::from_secs(15));
    assert_exit(code, 1, &doc);
}

#[test]
fn transcript_in_json() {
    let pki = Pki::new();
    let server = TestServer::start(Scenario::new().identity(pki.good()));
    let (code, doc) = check(
        &pki,
        server.port(),
        &["--security", "starttls", "--transcript"],
    );
    let lines = endpoint(&doc)["transcript"]
        .as_array()
        .unwrap_or_else(|| panic!("transcript array: {doc:#}"))
        .clone();
    let has = |dir: &str, tls: bool, text: &str| {
        lines.iter().any(|l| {
            l["dir"] == dir
                && l["tls"] == tls
                && l["line"]
                    .as_str()
                    .is_some_and(|s| s.to_ascii_uppercase().contains(text))
        })
    };
    assert!(
        has("recv", false, "220 MAIL.TEST"),
        "plain banner received: {doc:#}"
    );
    assert!(has("send", false, "EHLO"), "plain EHLO sent: {doc:#}");
    assert!(has("send", false, "STARTTLS"), "STARTTLS sent: {doc:#}");
    assert!(has("send", true, "EHLO"), "EHLO inside TLS: {doc:#}");
    assert!(has("recv", true, "250"), "reply inside TLS: {doc:#}");
    assert!(lines.iter().all(|l| l["t_ms"].is_u64()), "{doc:#}");
    // Nothing after the handshake is marked plain: find the STARTTLS reply, then all tls.
    let first_tls = lines
        .iter()
        .position(|l| l["tls"] == true)
        .expect("a tls line");
    let after_plain = lines
        .iter()
        .skip(first_tls)
        .filter(|l| l["dir"] != "info" && l["tls"] == false)
        .count();
    assert_eq!(after_plain, 0, "plain lines after the handshake: {doc:#}");
    assert_exit(code, 0, &doc);
}

#[test]
fn transcript_human_markers() {
    let pki = Pki::new();
    let server = TestServer::start(Scenario::new().identity(pki.good()));
    let mut args = base_args(&pki, server.port(), "2s");
    args.extend(["--security", "starttls", "--transcript"].map(String::from));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = run_raw(&refs, &[("NO_COLOR", "1")]);
    for marker in ["->", "<-", "~>", "<~"] {
        assert!(
            run.stdout.contains(marker),
            "marker {marker} missing:\n{}",
            run.stdout
        );
    }
    assert!(run.stdout.contains("STARTTLS"), "{}", run.stdout);
    if std::env::var_os("SMTP_DOCTOR_TEST_DUMP").is_some() {
        eprintln!("{}", run.stdout);
    }
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
}

#[test]
fn usage_error_exits_2_with_one_line() {
    let run = run_raw(&["check", "127.0.0.1", "--port", "abc"], &[]);
    assert_eq!(
        run.code, 2,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let stderr = run.stderr.trim();
    assert!(!stderr.is_empty(), "a message on stderr");
    assert_eq!(
        stderr.lines().count(),
        1,
        "one line on stderr:\n{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "nothing on stdout: {}", run.stdout);
}

#[test]
fn no_color_table_has_no_escapes() {
    let pki = Pki::new();
    let server = TestServer::start(Scenario::new().identity(pki.good()));
    let mut args = base_args(&pki, server.port(), "2s");
    args.extend(["--security", "starttls"].map(String::from));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = run_raw(&refs, &[("NO_COLOR", "1")]);
    assert!(
        !run.stdout.trim().is_empty(),
        "a table on stdout; stderr: {}",
        run.stderr
    );
    assert!(
        !run.stdout.contains('\x1b'),
        "ANSI escape in:\n{}",
        run.stdout
    );
    assert!(
        !run.stderr.contains('\x1b'),
        "ANSI escape in:\n{}",
        run.stderr
    );
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
}

#[test]
fn probe_never_sends_mail_rcpt_data_auth() {
    let pki = Pki::new();
    let server = TestServer::start(Scenario::new().identity(pki.good()));
    let (code, doc) = check(&pki, server.port(), &["--security", "starttls"]);
    assert_exit(code, 0, &doc);
    // The client may exit right after sending QUIT; give the server a moment to record it.
    let deadline = Instant::now() + Duration::from_secs(2);
    let sessions = loop {
        let sessions = server.sessions();
        let quit = sessions
            .iter()
            .any(|s| s.verbs().iter().any(|v| v == "QUIT"));
        if quit || Instant::now() > deadline {
            break sessions;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(sessions.len(), 1, "one connection: {sessions:#?}");
    let session = &sessions[0];
    assert!(session.tls_established, "{session:#?}");
    let verbs = session.verbs();
    for forbidden in ["MAIL", "RCPT", "DATA", "AUTH"] {
        assert!(
            !verbs.iter().any(|v| v == forbidden),
            "{forbidden} sent: {verbs:?}"
        );
    }
    assert_eq!(verbs.first().map(String::as_str), Some("EHLO"), "{verbs:?}");
    assert!(verbs.iter().any(|v| v == "STARTTLS"), "{verbs:?}");
    let quit = session
        .lines
        .iter()
        .find(|l| l.line.eq_ignore_ascii_case("QUIT"));
    assert!(
        quit.is_some_and(|q| q.tls),
        "QUIT sent inside TLS: {session:#?}"
    );
    let tls_ehlo = session
        .lines
        .iter()
        .any(|l| l.tls && l.line.to_ascii_uppercase().starts_with("EHLO "));
    assert!(tls_ehlo, "EHLO repeated inside TLS: {session:#?}");
}

/// `--resolve NAME:ADDR` pins a name to the test server: the name is the one the certificate is
/// checked against (no `--servername`), and the endpoint's host is the name typed.
#[test]
fn resolve_pins_a_name_and_checks_the_certificate_against_it() {
    let pki = Pki::new();
    let server = TestServer::start(Scenario::new().identity(pki.good()));
    let target = format!("{NAME}:{}", server.port());
    let pin = format!("{NAME}:127.0.0.1");
    let ca = pki.ca_file.display().to_string();
    let (code, doc, _) = run_check(&[
        "check",
        &target,
        "--resolve",
        &pin,
        "--ca-file",
        &ca,
        "--timeout",
        "2s",
        "--json",
    ]);
    assert_exit(code, 0, &doc);
    assert_eq!(doc["target"]["kind"], "host");
    let e = endpoint(&doc);
    assert_eq!(e["host"], NAME);
    assert_eq!(e["ip"], "127.0.0.1");
    assert_eq!(e["tls"]["verification"]["checked_name"], NAME);
    assert_eq!(e["tls"]["verification"]["hostname_match"], true);
    assert_no_finding(&doc, "cert.name_not_checked");

    // The same pin with another name in the certificate's place: a mismatch.
    let other = format!("other.test:{}", server.port());
    let pin = "other.test:127.0.0.1";
    let (code, doc, _) = run_check(&[
        "check",
        &other,
        "--resolve",
        pin,
        "--ca-file",
        &ca,
        "--timeout",
        "2s",
        "--json",
    ]);
    assert_exit(code, 1, &doc);
    assert_finding(&doc, "cert.name_mismatch");
}

/// `--max-time` bounds the whole run even when each step's timeout is longer: the endpoint is
/// reported as a timeout that names the run's limit.
#[test]
fn max_time_bounds_the_run() {
    let pki = Pki::new();
    let server = TestServer::start(Scenario::new().identity(pki.good()).silent());
    let (code, doc) = check_timeout(&pki, server.port(), "20s", &["--max-time", "700ms"]);
    assert_exit(code, 1, &doc);
    let e = endpoint(&doc);
    assert_eq!(e["state"], "timeout");
    assert_eq!(e["error"]["phase"], "banner");
    let message = e["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("--max-time"), "{message}");
    // The user's deadline ended it, and the finding says so instead of blaming the server.
    assert_eq!(e["error"]["run_deadline"], true, "{doc:#}");
    let no_banner = finding(&doc, "smtp.no_banner").unwrap_or_else(|| panic!("{doc:#}"));
    let said = no_banner["message"].as_str().unwrap_or_default();
    assert!(said.contains("run's deadline"), "{said}");
    assert!(!said.contains("overloaded"), "{said}");
    assert!(
        no_banner["advice"]
            .as_str()
            .unwrap_or_default()
            .contains("--max-time"),
        "{no_banner:#}"
    );
    // The engine's own clock, not the test's: the run stopped at the limit, not after 20 s.
    let total = e["timings_ms"]["total"].as_u64().unwrap_or(u64::MAX);
    assert!(total < 10_000, "total {total} ms");
}

/// In a network namespace with only loopback, addresses outside it have no route: such
/// endpoints are `skipped` (info), not failures of the server. Needs root (`unshare -n`).
#[test]
#[ignore = "needs root for unshare -n; run by .ci/run"]
fn no_route_is_skipped_not_failed() {
    let bin = env!("CARGO_BIN_EXE_smtp-doctor");
    // TEST-NET-1 and the IPv6 documentation prefix: never routed, and the namespace has no
    // interface but loopback, so nothing can leave it.
    let script = format!(
        "ip link set lo up && {bin} check 192.0.2.1 -p 25 --json --connect-timeout 1s; \
         echo '--'; {bin} check 2001:db8::1 -p 587 --json --connect-timeout 1s"
    );
    let out = std::process::Command::new("unshare")
        .args(["-n", "sh", "-c", &script])
        .output()
        .expect("run unshare");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let (v4, v6) = stdout.split_once("--\n").unwrap_or_else(|| {
        panic!(
            "two documents expected: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    for text in [v4, v6] {
        let doc: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"));
        let e = endpoint(&doc);
        assert_eq!(e["state"], "skipped", "{doc:#}");
        assert_finding(&doc, "port.skipped");
        assert_eq!(finding(&doc, "port.skipped").unwrap()["severity"], "info");
        // Nothing at all was probed: that is an error of the run, not of the server.
        assert_finding(&doc, "network.no_route");
        assert_eq!(doc["summary"]["errors"], 1, "{doc:#}");
    }
}

/// A reader that goes away (`| head`) is no failure: whether JSON or the table, the run stops
/// writing quietly and exits 0, even when it found errors. The slow greeting makes sure the
/// report is written after the pipe was closed.
#[test]
fn closed_stdout_ends_quietly_with_exit_0() {
    let pki = Pki::new();
    let server = TestServer::start(
        Scenario::new()
            .identity(pki.good())
            .banner_delay(Duration::from_millis(300)),
    );
    // No greeting within the timeout: an error finding, which would exit 1 with a reader.
    let silent = TestServer::start(Scenario::new().identity(pki.good()).silent());
    for (port, timeout, extra) in [
        (server.port(), "2s", vec!["--json", "--transcript"]),
        (server.port(), "2s", vec![]),
        (silent.port(), "300ms", vec!["--json"]),
    ] {
        let mut args = base_args(&pki, port, timeout);
        args.extend(extra.iter().map(|s| s.to_string()));
        let run = Invocation::new(&args).stdout_closed().run();
        assert_eq!(run.code, 0, "{args:?}: stderr {:?}", run.stderr);
        assert_eq!(run.stderr, "", "{args:?}");
    }
    for args in [
        &["providers", "--json"][..],
        &["providers"],
        &["providers", "gmail"],
    ] {
        let run = Invocation::new(args).stdout_closed().run();
        assert_eq!(run.code, 0, "{args:?}: stderr {:?}", run.stderr);
        assert_eq!(run.stderr, "", "{args:?}");
    }
}

/// `--transcript` with the table shows the dialogue, then the table: each finding and the
/// closing line once, not once in each.
#[test]
fn transcript_with_table_says_each_finding_once() {
    let pki = Pki::new();
    let server = TestServer::start(
        Scenario::new()
            .identity(pki.good())
            .starttls(Starttls::NotOffered),
    );
    let mut args = base_args(&pki, server.port(), "2s");
    args.extend([
        "--transcript".to_string(),
        "--color".to_string(),
        "never".to_string(),
    ]);
    let run = Invocation::new(&args).run();
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("<- 220"), "{}", run.stdout);
    let count = |needle: &str| run.stdout.matches(needle).count();
    assert_eq!(count("starttls.missing:"), 1, "{}", run.stdout);
    assert_eq!(count("Problems found:"), 1, "{}", run.stdout);
}

/// Under a real pseudo-terminal of 80 columns (`script` from util-linux, the terminal size set
/// with `stty`), the table fits: no line is longer than 80 characters once colours are left
/// aside. Findings with long messages, a wrong-mode port and the summary table all wrap.
#[test]
fn table_fits_an_80_column_terminal() {
    let pki = Pki::new();
    let server = TestServer::start(
        Scenario::new()
            .identity(pki.good())
            .starttls(Starttls::NotOffered),
    );
    let mut args = base_args(&pki, server.port(), "2s");
    args.push("--transcript".to_string());
    // The table's width is asserted, not the live view's (tests/it/live.rs).
    args.push("--quiet".to_string());
    let bin = env!("CARGO_BIN_EXE_smtp-doctor");
    let quoted: Vec<String> = std::iter::once(bin.to_string())
        .chain(args)
        .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
        .collect();
    for command in [quoted.join(" "), format!("'{bin}' providers")] {
        let shell = format!("stty cols 80 rows 50; exec {command}");
        let run = std::process::Command::new("script")
            .args(["-qec", shell.as_str(), "/dev/null"])
            .env_remove("COLUMNS")
            .env_remove("NO_COLOR")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run script(1) from util-linux");
        let text = strip_ansi(&String::from_utf8_lossy(&run.stdout));
        assert!(text.lines().count() > 5, "{command}: {text}");
        for line in text.lines() {
            let line = line.trim_end_matches('\r');
            assert!(line.chars().count() <= 80, "wider than 80: {line:?}");
        }
    }
}

/// The text without ANSI escape sequences (`ESC [ ... letter`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A submission-only server (587 and 465 answer, nothing listens on 25), as Dovecot
/// submission and many hosting servers run: with the default sweep, 25 is probed only to
/// inform, so its refusal is a warning and the run exits 0; named with `--port`, it is judged
/// strictly and the run exits 1.
#[test]
fn ports_probed_only_to_inform_weigh_less_when_a_secure_way_works() {
    let pki = Pki::new();
    let starttls = TestServer::start(Scenario::new().identity(pki.good()));
    let implicit = TestServer::start(Scenario::new().identity(pki.good()).implicit_tls());
    let nothing = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let maps = [
        format!("25={nothing}"),
        format!("587={}", starttls.port()),
        format!("465={}", implicit.port()),
    ];
    let mut args = vec![
        "check".to_string(),
        "127.0.0.1".to_string(),
        "--servername".to_string(),
        NAME.to_string(),
        "--ca-file".to_string(),
        pki.ca_file.display().to_string(),
        "--timeout".to_string(),
        "2s".to_string(),
        "--json".to_string(),
    ];
    for map in &maps {
        args.extend(["--port-map".to_string(), map.clone()]);
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, doc, _) = run_check(&refs);
    let refused = finding(&doc, "port.refused").unwrap_or_else(|| panic!("{doc:#}"));
    assert_eq!(refused["severity"], "warning", "{doc:#}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap_or_default()
            .contains("secure way that works"),
        "{refused:#}"
    );
    assert_eq!(doc["summary"]["errors"], 0, "{doc:#}");
    assert_eq!(code, 0, "{doc:#}");
    // No preset: the settings to use come from what was seen, implicit TLS on 465 first.
    let recommended = &doc["recommended"];
    assert_eq!(recommended["port"], 465, "{doc:#}");
    assert_eq!(recommended["security"], "implicit_tls", "{doc:#}");
    assert_eq!(recommended["also"][0], "587 with STARTTLS", "{doc:#}");

    // The same ports named: 25 is what the user asked about.
    let mut named = args.clone();
    named.extend(["--port".to_string(), "25,587,465".to_string()]);
    let refs: Vec<&str> = named.iter().map(String::as_str).collect();
    let (code, doc, _) = run_check(&refs);
    let refused = finding(&doc, "port.refused").unwrap_or_else(|| panic!("{doc:#}"));
    assert_eq!(refused["severity"], "error", "{doc:#}");
    assert_eq!(code, 1, "{doc:#}");
}
