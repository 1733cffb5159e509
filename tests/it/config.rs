//! International names and the user's own settings as a URL or DSN, against the in-process
//! test servers: a Unicode host pinned with `--resolve` (DNS, SNI and the certificate check use
//! the A-label), an address at an international domain and one whose local part needs
//! SMTPUTF8 (against the test DNS server), a DSN in `--dsn-env` whose password logs in (and
//! appears nowhere), `smtps://` against a STARTTLS port, `?encryption=ssl` on an implicit-TLS
//! port, and a password typed on the command line refused.
//!
//! Other ports than the settings' are given with `-p` and pointed at test servers with
//! `--port-map`, so no run touches a real service on this machine.

use std::path::PathBuf;

use serde_json::Value;
use smtp_doctor::secret::{self, Secret};
use tempfile::TempDir;

use crate::support::dns::TestDns;
use crate::support::pki::{TestCa, Validity};
use crate::support::server::{Auth, Scenario, TestServer};
use crate::support::{Invocation, Run, assert_finding, assert_no_finding, finding};

/// The test host name, and its A-label form.
const UNICODE: &str = "münchen.example";
const A_LABEL: &str = "xn--mnchen-3ya.example";
/// The name of the plain test certificates.
const NAME: &str = "mail.test";
const USER: &str = "alice@mail.test";
/// A password with characters a DSN must percent-encode.
const PASSWORD: &str = "p@ss w:rd/ünï";
const PASSWORD_ENCODED: &str = "p%40ss%20w%3Ard%2F%C3%BCn%C3%AF";
/// The variable the tests pass DSNs in.
const DSN_VAR: &str = "SMTP_DOCTOR_TEST_DSN";

/// A test CA, its `--ca-file`, and a test DNS server for `--resolver`.
struct Lab {
    _dir: TempDir,
    ca: TestCa,
    ca_file: PathBuf,
    dns: TestDns,
}

impl Lab {
    fn new(dns: TestDns) -> Lab {
        let dir = tempfile::tempdir().expect("tempdir");
        let ca = TestCa::new("smtp-doctor config test CA");
        let ca_file = ca.write_to(dir.path());
        Lab {
            _dir: dir,
            ca,
            ca_file,
            dns,
        }
    }

    /// A STARTTLS server with a certificate for `name`.
    fn starttls(&self, name: &str, scenario: Scenario) -> TestServer {
        TestServer::start(scenario.identity(self.ca.leaf(&[name], Validity::Good)))
    }

    /// An implicit-TLS server with a certificate for `name`.
    fn implicit(&self, name: &str) -> TestServer {
        self.starttls(name, Scenario::new().implicit_tls())
    }

    /// `check` with the CA, the test DNS server and short deadlines, then `args`.
    fn args(&self, args: &[&str]) -> Vec<String> {
        let mut all: Vec<String> = vec!["check".into()];
        all.extend(args.iter().map(|a| a.to_string()));
        all.extend(
            [
                "--ca-file",
                &self.ca_file.display().to_string(),
                "--resolver",
                &self.dns.addr().to_string(),
                "--connect-timeout",
                "1s",
                "--timeout",
                "2s",
                "--color",
                "never",
            ]
            .iter()
            .map(|s| s.to_string()),
        );
        all
    }
}

/// Runs `smtp-doctor` with `args` and `envs`; fails when the password, in any form a SASL
/// exchange or JSON could produce, is in its output.
fn run(args: &[String], envs: &[(&str, &str)]) -> Run {
    let run = Invocation::new(args).env_remove(DSN_VAR).envs(envs).run();
    for form in secret::forms(&Secret::new(PASSWORD.to_string()), USER) {
        for (name, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
            assert!(
                !text.contains(form.as_str()),
                "a form of the password ({form:?}) is in {name} of {args:?}:\n{text}"
            );
        }
    }
    assert!(!run.stdout.contains(PASSWORD_ENCODED) && !run.stderr.contains(PASSWORD_ENCODED));
    // For debugging: SMTP_DOCTOR_TEST_DUMP=1 cargo test --test it config:: -- --nocapture
    if std::env::var_os("SMTP_DOCTOR_TEST_DUMP").is_some() {
        eprintln!("{args:?}\nexit {}\n{}{}", run.code, run.stdout, run.stderr);
    }
    run
}

/// The same run as JSON (stdout parsed) and as the table.
fn both(args: &[String], envs: &[(&str, &str)]) -> (Run, Value, Run) {
    let mut json_args = args.to_vec();
    json_args.push("--json".into());
    let json = run(&json_args, envs);
    let doc = json.json();
    let table = run(args, envs);
    (json, doc, table)
}

/// The text with every run of white space (a wrapped line's break and indent) as one space.
fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn endpoints(doc: &Value) -> &Vec<Value> {
    doc["endpoints"].as_array().expect("endpoints")
}

#[track_caller]
fn the_finding(doc: &Value, id: &str) -> Value {
    assert_finding(doc, id);
    finding(doc, id).cloned().unwrap_or_default()
}

/// A Unicode host name pinned with `--resolve`: DNS, SNI and the certificate check use the
/// A-label, and the report shows both forms.
#[test]
fn a_unicode_host_is_probed_by_its_a_label() {
    let lab = Lab::new(TestDns::new());
    let server = lab.starttls(A_LABEL, Scenario::new());
    let target = format!("{UNICODE}:{}", server.port());
    let pin = format!("{UNICODE}:127.0.0.1");
    let args = lab.args(&[&target, "--resolve", &pin]);
    let (json, doc, table) = both(&args, &[]);
    assert_eq!(json.code, 0, "{doc:#}");
    assert_eq!(doc["target"]["input"], target.as_str());
    assert_eq!(doc["target"]["host"], A_LABEL);
    assert_eq!(doc["target"]["unicode"], UNICODE);
    let e = &endpoints(&doc)[0];
    assert_eq!(e["host"], A_LABEL);
    assert_eq!(e["tls"]["verification"]["checked_name"], A_LABEL);
    assert_eq!(e["tls"]["verification"]["hostname_match"], true);
    assert_no_finding(&doc, "cert.name_mismatch");
    // The server saw the A-label as SNI, in every handshake.
    let sessions = server.sessions();
    assert!(!sessions.is_empty());
    for session in sessions.iter().filter(|s| s.tls_established) {
        assert_eq!(session.sni.as_deref(), Some(A_LABEL), "{session:?}");
    }
    assert_eq!(table.code, 0, "{}", table.stdout);
    let heading = table.stdout.lines().next().unwrap_or_default();
    assert!(
        heading.starts_with(&format!("Checked {target} [{A_LABEL}]: 1 endpoint")),
        "{}",
        table.stdout
    );
    // The A-label typed: the Unicode form in brackets.
    let typed = format!("{A_LABEL}:{}", server.port());
    let (_, _, table) = both(&lab.args(&[&typed, "--resolve", &pin]), &[]);
    assert!(
        table
            .stdout
            .starts_with(&format!("Checked {typed} [{UNICODE}]:")),
        "{}",
        table.stdout
    );
}

/// An address at an international domain: MX and DNS by the A-label. A local part beyond
/// ASCII needs SMTPUTF8: said as a warning where the MX host lacks it, as information where
/// it offers it.
#[test]
fn addresses_at_international_domains_and_smtputf8() {
    let mx = format!("mx.{A_LABEL}");
    let lab = Lab::new(TestDns::new().mx(A_LABEL, 10, &mx).a(&mx, "127.0.0.1"));
    let plain = lab.starttls(&mx, Scenario::new());
    let keywords = ["PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES", "SMTPUTF8"];
    let utf8 = lab.starttls(
        &mx,
        Scenario::new()
            .ehlo_keywords(&keywords)
            .ehlo_tls_keywords(&keywords),
    );
    let map = |server: &TestServer| format!("25={}", server.port());

    let (json, doc, table) = both(
        &lab.args(&[
            "alice@münchen.example",
            "--inbound",
            "--port-map",
            &map(&plain),
        ]),
        &[],
    );
    assert_eq!(json.code, 0, "{doc:#}");
    assert_eq!(doc["target"]["kind"], "address");
    assert_eq!(doc["target"]["domain"], A_LABEL);
    assert_eq!(doc["target"]["unicode"], UNICODE);
    assert_eq!(doc["domain"]["inbound"]["mx"][0]["exchange"], mx.as_str());
    let e = &endpoints(&doc)[0];
    assert_eq!(
        (e["host"].as_str(), e["state"].as_str()),
        (Some(mx.as_str()), Some("ok"))
    );
    assert_eq!(e["tls"]["verification"]["hostname_match"], true);
    let asked = doc["dns"]["queries"]
        .as_array()
        .is_some_and(|q| q.iter().any(|q| q["name"] == A_LABEL && q["type"] == "MX"));
    assert!(asked, "{doc:#}");
    assert_no_finding(&doc, "smtp.smtputf8_missing");
    assert_no_finding(&doc, "smtp.smtputf8");
    // The heading names the domain's A-label already: no second form.
    assert!(
        table.stdout.starts_with(&format!(
            "Checked alice@münchen.example (e-mail address at {A_LABEL})"
        )),
        "{}",
        table.stdout
    );

    let address = "müller@münchen.example";
    let (json, doc, _) = both(
        &lab.args(&[address, "--inbound", "--port-map", &map(&plain)]),
        &[],
    );
    assert_eq!(json.code, 0, "a warning only: {doc:#}");
    let f = the_finding(&doc, "smtp.smtputf8_missing");
    assert_eq!(f["severity"], "warning");
    let message = f["message"].as_str().unwrap_or_default();
    assert!(message.contains("RFC 6531"), "{message}");
    assert!(message.contains(&format!("MX host {mx}:25")), "{message}");

    let (json, doc, _) = both(
        &lab.args(&[address, "--inbound", "--port-map", &map(&utf8)]),
        &[],
    );
    assert_eq!(json.code, 0, "{doc:#}");
    assert_no_finding(&doc, "smtp.smtputf8_missing");
    assert_eq!(the_finding(&doc, "smtp.smtputf8")["severity"], "info");
}

/// A DSN in `--dsn-env` with a user and a percent-encoded password: the settings are checked
/// as given, the login uses the DSN's user and password on the DSN's port, and neither the
/// password nor the variable's value is printed.
#[test]
fn a_dsn_from_the_environment_logs_in_as_the_app_would() {
    let lab = Lab::new(TestDns::new());
    let server = lab.starttls(
        NAME,
        Scenario::new().auth(Auth::new().password(USER, PASSWORD)),
    );
    let port = server.port().to_string();
    let dsn = format!(
        "smtp://alice%40mail.test:{PASSWORD_ENCODED}@{NAME}:{port}?encryption=tls&timeout=5"
    );
    let pin = format!("{NAME}:127.0.0.1");
    // `-p` with the settings' own port: nothing else is probed.
    let args = lab.args(&["--dsn-env", DSN_VAR, "--resolve", &pin, "-p", &port]);
    let (json, doc, table) = both(&args, &[(DSN_VAR, &dsn)]);
    assert_eq!(json.code, 0, "{doc:#}\n{}", json.stderr);
    let settings = &doc["target"]["settings"];
    assert_eq!(settings["host"], NAME);
    assert_eq!(settings["port"], server.port());
    assert_eq!(settings["security"], "starttls");
    assert_eq!(settings["user"], USER);
    assert_eq!(settings["source"], "env");
    assert_eq!(settings["variable"], DSN_VAR);
    assert!(settings.get("password").is_none(), "{settings:#}");
    assert_eq!(
        doc["target"]["input"],
        format!("smtp://alice%40mail.test@{NAME}:{port}").as_str()
    );
    assert_eq!(endpoints(&doc).len(), 1, "{doc:#}");
    let attempts = doc["auth"]["attempts"].as_array().expect("auth attempts");
    assert_eq!(attempts.len(), 1, "{doc:#}");
    assert_eq!(attempts[0]["outcome"], "authenticated");
    assert_eq!(doc["auth"]["user"], USER);
    let ok = the_finding(&doc, "config.ok");
    assert_eq!(ok["severity"], "info");
    assert!(
        ok["message"]
            .as_str()
            .unwrap_or_default()
            .contains(&format!("accepted the login of {USER}")),
        "{ok:#}"
    );
    // The server checked the DSN's user and password, inside TLS.
    let tried: Vec<_> = server
        .sessions()
        .into_iter()
        .flat_map(|s| s.auth_attempts)
        .collect();
    assert_eq!(tried.len(), 2, "one per run (JSON and table): {tried:?}");
    assert!(tried.iter().all(|a| a.success && a.tls), "{tried:?}");
    assert!(
        tried.iter().all(|a| a.user.as_deref() == Some(USER)),
        "{tried:?}"
    );
    // The table: the settings near the top, without the password.
    assert_eq!(table.code, 0, "{}", table.stdout);
    assert!(
        words(&table.stdout).contains(&format!(
            "Your settings (from environment variable {DSN_VAR}): {NAME}, port {port} with STARTTLS, user {USER}"
        )),
        "{}",
        table.stdout
    );
    assert!(table.stdout.contains("note: ignored"), "{}", table.stdout);
    assert!(!table.stdout.contains(&dsn));
}

/// `smtps://` against a port that speaks STARTTLS: `config.tls_mode`, with the advice to set
/// STARTTLS there or use the port seen working with implicit TLS. The DSN's user has no
/// password anywhere, so the login is not checked, and a note says so.
#[test]
fn smtps_against_a_starttls_port_is_the_wrong_mode() {
    let lab = Lab::new(TestDns::new());
    let starttls = lab.starttls(NAME, Scenario::new());
    let implicit = lab.implicit(NAME);
    let dsn = format!("smtps://alice@{NAME}:{}", starttls.port());
    let pin = format!("{NAME}:127.0.0.1");
    let to_465 = format!("465={}", implicit.port());
    let args = lab.args(&[&dsn, "--resolve", &pin, "-p", "465", "--port-map", &to_465]);
    let (json, doc, table) = both(&args, &[]);
    assert_eq!(json.code, 1, "{doc:#}");
    let settings = &doc["target"]["settings"];
    assert_eq!(settings["security"], "implicit_tls");
    assert_eq!(settings["source"], "target");
    assert!(
        settings["notes"]
            .as_array()
            .is_some_and(|n| n.iter().any(|n| n
                .as_str()
                .is_some_and(|n| n.contains("the login was not checked")))),
        "{settings:#}"
    );
    assert!(doc["auth"].is_null(), "{doc:#}");
    let f = the_finding(&doc, "config.tls_mode");
    assert_eq!(f["severity"], "error");
    assert_eq!(
        doc["findings"][0]["id"], "config.tls_mode",
        "the settings' finding first"
    );
    let advice = f["advice"].as_str().unwrap_or_default();
    assert!(advice.starts_with("Set STARTTLS for this port"), "{advice}");
    assert!(
        advice.contains("or use 465 with SSL/TLS (implicit TLS), which this run saw working"),
        "{advice}"
    );
    let message = f["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&format!(
            "port {} with SSL/TLS (implicit TLS)",
            starttls.port()
        )),
        "{message}"
    );
    assert!(
        table.stdout.contains("Problems found: config.tls_mode"),
        "{}",
        table.stdout
    );
    assert!(
        words(&table.stdout).contains(&format!(
            "Your settings (from TARGET): {NAME}, port {} with SSL/TLS (implicit TLS), user alice",
            starttls.port()
        )),
        "{}",
        table.stdout
    );
}

/// `?encryption=ssl` on a port that speaks implicit TLS: the settings work as given. The
/// other port probed (587, pointed at a server that refuses) only informs: its error weighs
/// as a warning, and the run passes.
#[test]
fn encryption_ssl_on_an_implicit_tls_port_works() {
    let lab = Lab::new(TestDns::new());
    let implicit = lab.implicit(NAME);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed_port = closed.local_addr().expect("addr").port();
    drop(closed);
    let dsn = format!("smtp://{NAME}:{}?encryption=ssl", implicit.port());
    let pin = format!("{NAME}:127.0.0.1");
    let to_587 = format!("587={closed_port}");
    let args = lab.args(&[&dsn, "--resolve", &pin, "-p", "587", "--port-map", &to_587]);
    let (json, doc, table) = both(&args, &[]);
    assert_eq!(json.code, 0, "{doc:#}");
    assert_eq!(doc["target"]["settings"]["security"], "implicit_tls");
    assert!(doc["target"]["settings"]["user"].is_null());
    let f = the_finding(&doc, "config.ok");
    assert_eq!(f["severity"], "info");
    let ports: Vec<(u64, &str, &str)> = endpoints(&doc)
        .iter()
        .map(|e| {
            (
                e["port"].as_u64().unwrap_or(0),
                e["security"].as_str().unwrap_or(""),
                e["state"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert!(
        ports.contains(&(u64::from(implicit.port()), "implicit_tls", "ok")),
        "{ports:?}"
    );
    assert!(ports.contains(&(587, "starttls", "refused")), "{ports:?}");
    assert_eq!(the_finding(&doc, "port.refused")["severity"], "warning");
    assert_eq!(table.code, 0, "{}", table.stdout);
    assert!(
        table
            .stdout
            .contains("config.ok: Your settings work as given"),
        "{}",
        table.stdout
    );
}

/// A password in a DSN typed as TARGET is refused before anything runs (exit 2), with the
/// reason, and the message does not repeat it.
#[test]
fn a_password_on_the_command_line_is_refused() {
    let lab = Lab::new(TestDns::new());
    let dsn = format!("smtp://alice:{PASSWORD_ENCODED}@{NAME}:587?encryption=tls");
    for target in [dsn.as_str(), "smtp://alice:hunter2@mail.test:99999/x"] {
        let out = run(&lab.args(&[target]), &[]);
        assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
        assert!(out.stdout.is_empty(), "{}", out.stdout);
        assert!(out.stderr.contains("holds a password"), "{}", out.stderr);
        assert!(out.stderr.contains("process list"), "{}", out.stderr);
        assert!(out.stderr.contains("--dsn-env"), "{}", out.stderr);
        assert!(!out.stderr.contains("hunter2"), "{}", out.stderr);
        assert_eq!(out.stderr.trim().lines().count(), 1, "{}", out.stderr);
    }
    // And a DSN variable that is not set is a usage error naming the variable only.
    let out = run(&lab.args(&["--dsn-env", DSN_VAR]), &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!("{DSN_VAR} is not set")),
        "{}",
        out.stderr
    );
}
