//! Interop tests against three more real implementations, each started by the test from a
//! temporary directory on loopback with a STARTTLS port and an implicit-TLS port, certificates
//! from the test CA and AUTH PLAIN/LOGIN inside TLS: Dovecot's submission service
//! (`support/dovecot.rs`), aiosmtpd (`support/aiosmtpd.rs`) and Exim (`support/exim.rs`). For
//! each: a healthy run on both ports (exit 0, TLS facts, the EHLO keywords as the server sends
//! them, no error, no provider preset), the credential check accepted on both ports and a
//! wrong password refused with the server's own reply, and deliberate faults configured for
//! real. Ignored by a plain `cargo test` (root and the servers are needed); `.ci/run`
//! installs them and runs these with `cargo test --tests -- --ignored`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::Value;
use smtp_doctor::secret::{self, Secret};
use tempfile::TempDir;

use crate::support::aiosmtpd::{Aiosmtpd, Listener, Mode};
use crate::support::dns::TestDns;
use crate::support::dovecot::Dovecot;
use crate::support::exim::{Exim, Fault};
use crate::support::pki::{Leaf, TestCa, Validity};
use crate::support::{Run, finding, finding_ids, run_raw};

/// The name on every server's certificate and in its greeting.
const NAME: &str = "mail.test";
const USER: &str = "alice@mail.test";
const PASSWORD: &str = "interop-Passw0rd with spaces";
const WRONG: &str = "interop-wrong-passw0rd";
const ENV: &str = "SMTP_DOCTOR_INTEROP_SECRET";
const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// The test CA (as a file for `--ca-file`) and a DNS server for `--resolver`, so that no
/// look-up of a run leaves the machine.
struct Pki {
    ca: TestCa,
    ca_file: PathBuf,
    _ca_dir: TempDir,
    dns: TestDns,
}

impl Pki {
    fn new() -> Pki {
        let ca = TestCa::new("smtp-doctor interop CA");
        let ca_dir = tempfile::tempdir().unwrap();
        let ca_file = ca.write_to(ca_dir.path());
        Pki {
            ca,
            ca_file,
            _ca_dir: ca_dir,
            dns: TestDns::new(),
        }
    }

    fn leaf(&self, validity: Validity) -> Leaf {
        self.ca.leaf(&[NAME], validity)
    }

    /// `check --json --transcript` of one endpoint: `--security`, `--servername mail.test`,
    /// the test CA, short timeouts (`--timeout 5s` unless `extra` has its own), `extra` last,
    /// `secret` in [`ENV`]. Checks that no form of a test secret appears in the output.
    fn check(
        &self,
        addr: SocketAddr,
        security: &str,
        secret: &str,
        extra: &[&str],
        log: &dyn Fn() -> String,
    ) -> Checked {
        let target = addr.to_string();
        let ca = self.ca_file.display().to_string();
        let resolver = self.dns.addr().to_string();
        let mut args = vec![
            "check",
            &target,
            "--resolver",
            &resolver,
            "--security",
            security,
            "--servername",
            NAME,
            "--ca-file",
            &ca,
            "--connect-timeout",
            "2s",
            "--json",
            "--transcript",
        ];
        if !extra.contains(&"--timeout") {
            args.extend(["--timeout", "5s"]);
        }
        args.extend_from_slice(extra);
        let run = run_raw(&args, &[(ENV, secret)]);
        assert_no_secret(&run);
        let report: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
            panic!(
                "smtp-doctor {args:?}: not JSON ({e}), exit {}\n{}\n{}\n--- server log ---\n{}",
                run.code,
                run.stdout,
                run.stderr,
                log()
            )
        });
        let context = format!(
            "smtp-doctor {args:?}\nexit {}\nstderr:\n{}\nreport:\n{report:#}\n--- server log ---\n{}",
            run.code,
            run.stderr,
            log()
        );
        let endpoints = report["endpoints"].as_array().cloned().unwrap_or_default();
        assert_eq!(endpoints.len(), 1, "one endpoint expected\n{context}");
        Checked {
            code: run.code,
            endpoint: endpoints[0].clone(),
            report,
            context,
        }
    }

    /// [`Pki::check`] with the credential check: `--user alice@mail.test --password-env`.
    fn login(
        &self,
        addr: SocketAddr,
        security: &str,
        password: &str,
        extra: &[&str],
        log: &dyn Fn() -> String,
    ) -> Checked {
        let mut args = vec!["--user", USER, "--password-env", ENV];
        args.extend_from_slice(extra);
        self.check(addr, security, password, &args, log)
    }
}

/// Fails when any form of a test secret (plain, base64 of PLAIN and LOGIN, ...) leaked.
fn assert_no_secret(run: &Run) {
    for value in [PASSWORD, WRONG] {
        for form in secret::forms(&Secret::new(value.to_string()), USER) {
            assert!(
                !run.stdout.contains(&form) && !run.stderr.contains(&form),
                "a form of a secret ({form:?}) leaked:\n{}\n{}",
                run.stdout,
                run.stderr
            );
        }
    }
}

/// One run of `check` against one endpoint, with everything needed for a failure message.
struct Checked {
    code: i32,
    report: Value,
    endpoint: Value,
    context: String,
}

impl Checked {
    /// Ids of the findings of severity error.
    fn errors(&self) -> Vec<&str> {
        self.report["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|f| f["severity"] == "error")
            .filter_map(|f| f["id"].as_str())
            .collect()
    }

    #[track_caller]
    fn finding(&self, id: &str) -> &Value {
        finding(&self.report, id).unwrap_or_else(|| {
            panic!(
                "finding {id} expected, got {:?}\n{}",
                finding_ids(&self.report),
                self.context
            )
        })
    }

    #[track_caller]
    fn assert_no_finding(&self, id: &str) {
        assert!(
            finding(&self.report, id).is_none(),
            "finding {id} not expected\n{}",
            self.context
        );
    }

    /// The credential check's one attempt.
    fn attempt(&self) -> &Value {
        let attempts = self.report["auth"]["attempts"].as_array();
        assert_eq!(
            attempts.map(Vec::len),
            Some(1),
            "one AUTH attempt expected\n{}",
            self.context
        );
        &self.report["auth"]["attempts"][0]
    }
}

/// The keywords of an EHLO object as the server sent them: the name, then its parameters.
fn keywords(ehlo: &Value) -> Vec<String> {
    ehlo["keywords"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|k| {
            let mut words = vec![k["name"].as_str().unwrap_or_default().to_string()];
            words.extend(
                k["params"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_string),
            );
            words.join(" ")
        })
        .collect()
}

/// A healthy endpoint: state `ok`, TLS 1.2 or 1.3 with a chain verified through the test CA
/// that names [`NAME`], no error finding, no provider preset, exit 0; the EHLO keywords before
/// TLS (`None` on an implicit-TLS port) and inside TLS are exactly these.
#[track_caller]
fn assert_healthy(c: &Checked, security: &str, before: Option<&[&str]>, after: &[&str]) {
    let e = &c.endpoint;
    let ctx = &c.context;
    assert_eq!(e["state"], "ok", "{ctx}");
    assert_eq!(e["security"], security, "{ctx}");
    assert_eq!(e["error"], Value::Null, "{ctx}");
    assert_eq!(e["wrong_mode"], Value::Null, "{ctx}");
    assert_eq!(e["banner"]["code"], 220, "{ctx}");
    match before {
        Some(before) => {
            assert_eq!(e["ehlo"]["code"], 250, "{ctx}");
            assert_eq!(keywords(&e["ehlo"]), before, "EHLO before TLS\n{ctx}");
            assert_eq!(e["starttls"]["offered"], true, "{ctx}");
            assert_eq!(e["starttls"]["reply"]["code"], 220, "{ctx}");
            assert_eq!(e["starttls"]["injected_bytes"], 0, "{ctx}");
        }
        None => assert_eq!(e["starttls"], Value::Null, "{ctx}"),
    }
    assert_eq!(e["ehlo_tls"]["code"], 250, "{ctx}");
    assert_eq!(keywords(&e["ehlo_tls"]), after, "EHLO inside TLS\n{ctx}");
    let tls = &e["tls"];
    let version = tls["version"].as_str().unwrap_or_default();
    assert!(
        matches!(version, "TLSv1.2" | "TLSv1.3"),
        "TLS version {version:?}\n{ctx}"
    );
    assert!(
        tls["cipher"].as_str().is_some_and(|c| !c.is_empty()),
        "{ctx}"
    );
    assert_eq!(tls["verification"]["trusted"], true, "{ctx}");
    assert_eq!(tls["verification"]["hostname_match"], true, "{ctx}");
    assert_eq!(tls["verification"]["checked_name"], NAME, "{ctx}");
    assert_eq!(
        tls["verification"]["errors"],
        serde_json::json!([]),
        "{ctx}"
    );
    assert_eq!(tls["chain"][0]["subject"], format!("CN={NAME}"), "{ctx}");
    assert_eq!(tls["chain"][0]["san"], serde_json::json!([NAME]), "{ctx}");
    assert_eq!(c.errors(), Vec::<&str>::new(), "{ctx}");
    // No preset: the settings block is built from what the run saw, this very port.
    assert_eq!(c.report["provider"], Value::Null, "{ctx}");
    let recommended = &c.report["recommended"];
    assert_eq!(recommended["port"], e["port"], "{ctx}");
    assert_eq!(recommended["security"], security, "{ctx}");
    let auth: Vec<&str> = after
        .iter()
        .find_map(|k| k.strip_prefix("AUTH "))
        .map(|m| m.split(' ').collect())
        .unwrap_or_default();
    assert_eq!(recommended["auth"], serde_json::json!(auth), "{ctx}");
    assert_eq!(c.code, 0, "{ctx}");
}

/// The credential check logged in: `auth.ok`, 235, exit 0.
#[track_caller]
fn assert_logged_in(c: &Checked, mechanism: &str, offered: &[&str]) {
    let ctx = &c.context;
    let a = c.attempt();
    assert_eq!(a["outcome"], "authenticated", "{ctx}");
    assert_eq!(a["mechanism"], mechanism, "{ctx}");
    assert_eq!(a["tls"], true, "{ctx}");
    assert_eq!(a["offered"], serde_json::json!(offered), "{ctx}");
    assert_eq!(a["reply"]["code"], 235, "{ctx}");
    c.finding("auth.ok");
    assert_eq!(c.errors(), Vec::<&str>::new(), "{ctx}");
    assert_eq!(c.report["provider"], Value::Null, "{ctx}");
    assert_eq!(c.code, 0, "{ctx}");
}

/// The credential check was refused with `reply` (code and text as the server sends them),
/// which the `auth.failed` finding quotes; exit 1.
#[track_caller]
fn assert_refused(c: &Checked, code: u16, text: &str) {
    let ctx = &c.context;
    let a = c.attempt();
    assert_eq!(a["outcome"], "rejected", "{ctx}");
    assert_eq!(a["reply"]["code"], code, "{ctx}");
    let lines: Vec<&str> = a["reply"]["lines"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let reply = format!("{code} {}", lines.join(" "));
    assert_eq!(reply, format!("{code} {text}"), "{ctx}");
    let f = c.finding("auth.failed");
    assert_eq!(f["severity"], "error", "{ctx}");
    let message = f["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(text),
        "auth.failed does not quote {text:?}: {message}\n{ctx}"
    );
    assert_eq!(c.report["provider"], Value::Null, "{ctx}");
    assert_eq!(c.code, 1, "{ctx}");
}

// ---------------------------------------------------------------------------------------------
// Dovecot submission

const DOVECOT_BEFORE_TLS: &[&str] = &[
    "8BITMIME",
    "AUTH",
    "BURL imap",
    "CHUNKING",
    "ENHANCEDSTATUSCODES",
    "SIZE",
    "STARTTLS",
    "PIPELINING",
];
const DOVECOT_IN_TLS: &[&str] = &[
    "8BITMIME",
    "AUTH PLAIN LOGIN",
    "BURL imap",
    "CHUNKING",
    "ENHANCEDSTATUSCODES",
    "SIZE",
    "PIPELINING",
];

fn dovecot(pki: &Pki, validity: Validity) -> Dovecot {
    let leaf = pki.leaf(validity);
    Dovecot::start(&leaf.chain_pem, &leaf.key_pem, &[(USER, PASSWORD)])
        .unwrap_or_else(|e| panic!("could not start Dovecot: {e}"))
}

#[test]
#[ignore = "needs root, dovecot-core and dovecot-submissiond; run by .ci/run"]
fn dovecot_starttls_port_is_healthy_and_its_bare_auth_is_no_warning() {
    let pki = Pki::new();
    let d = dovecot(&pki, Validity::Good);
    let c = pki.check(
        SocketAddr::new(d.ip, d.starttls_port),
        "starttls",
        "",
        &[],
        &|| d.log(),
    );
    assert_healthy(&c, "starttls", Some(DOVECOT_BEFORE_TLS), DOVECOT_IN_TLS);
    let ctx = &c.context;
    let banner = c.endpoint["banner"]["lines"][0]
        .as_str()
        .unwrap_or_default();
    assert_eq!(banner, "mail.test Dovecot (Debian) ready.", "{ctx}");
    // Before TLS Dovecot sends `AUTH` with no mechanism (disable_plaintext_auth): nothing a
    // client could send a password with, so no auth.before_tls.
    assert!(
        c.endpoint["ehlo"]["lines"].as_array().is_some_and(|l| l
            .iter()
            .any(|l| l.as_str().is_some_and(|l| l.trim() == "AUTH"))),
        "{ctx}"
    );
    c.assert_no_finding("auth.before_tls");
    assert_eq!(c.report["summary"]["warnings"], 0, "{ctx}");
}

#[test]
#[ignore = "needs root, dovecot-core and dovecot-submissiond; run by .ci/run"]
fn dovecot_implicit_tls_port_is_healthy() {
    let pki = Pki::new();
    let d = dovecot(&pki, Validity::Good);
    let c = pki.check(SocketAddr::new(d.ip, d.tls_port), "tls", "", &[], &|| {
        d.log()
    });
    assert_healthy(&c, "implicit_tls", None, DOVECOT_IN_TLS);
    assert_eq!(c.report["summary"]["warnings"], 0, "{}", c.context);
}

#[test]
#[ignore = "needs root, dovecot-core and dovecot-submissiond; run by .ci/run"]
fn dovecot_same_address_client_is_offered_auth_in_clear() {
    // From 127.0.0.1 to 127.0.0.1 Dovecot counts the connection as secured and offers AUTH
    // PLAIN LOGIN before TLS: a client could log in in clear text here, which is what
    // auth.before_tls says (a warning: the port still works and TLS is fine).
    let pki = Pki::new();
    let d = dovecot(&pki, Validity::Good);
    let c = pki.check(
        SocketAddr::new(LOCALHOST, d.same_address_port),
        "starttls",
        "",
        &[],
        &|| d.log(),
    );
    let ctx = &c.context;
    let before = keywords(&c.endpoint["ehlo"]);
    assert!(before.iter().any(|k| k == "AUTH PLAIN LOGIN"), "{ctx}");
    let f = c.finding("auth.before_tls");
    assert_eq!(f["severity"], "warning", "{ctx}");
    assert_eq!(c.errors(), Vec::<&str>::new(), "{ctx}");
    assert_eq!(c.code, 0, "{ctx}");
}

#[test]
#[ignore = "needs root, dovecot-core and dovecot-submissiond; run by .ci/run"]
fn dovecot_accepts_good_credentials_on_both_ports() {
    let pki = Pki::new();
    let d = dovecot(&pki, Validity::Good);
    let mut logins = 0;
    for (port, security) in [(d.starttls_port, "starttls"), (d.tls_port, "tls")] {
        for mechanism in ["PLAIN", "LOGIN"] {
            let c = pki.login(
                SocketAddr::new(d.ip, port),
                security,
                PASSWORD,
                &["--auth-mech", mechanism],
                &|| d.log(),
            );
            assert_logged_in(&c, mechanism, &["PLAIN", "LOGIN"]);
            assert_eq!(c.attempt()["reply"]["enhanced"], "2.7.0", "{}", c.context);
            logins += 1;
        }
    }
    // Each login starts Dovecot's submission process, which connects to its relay.
    let start = Instant::now();
    while d.relay_connections() < logins && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(d.relay_connections() >= logins, "{}", d.log());
}

#[test]
#[ignore = "needs root, dovecot-core and dovecot-submissiond; run by .ci/run"]
fn dovecot_refuses_a_wrong_password() {
    let pki = Pki::new();
    let d = dovecot(&pki, Validity::Good);
    for (port, security) in [(d.starttls_port, "starttls"), (d.tls_port, "tls")] {
        // Dovecot delays each failure (auth_failure_delay, 2 s) and, after one, every further
        // attempt from the same address (its auth penalty): 5 to 6 s here for the second.
        let c = pki.login(
            SocketAddr::new(d.ip, port),
            security,
            WRONG,
            &["--timeout", "15s"],
            &|| d.log(),
        );
        assert_refused(&c, 535, "5.7.8 Authentication failed.");
        assert_eq!(c.attempt()["reply"]["enhanced"], "5.7.8", "{}", c.context);
    }
}

#[test]
#[ignore = "needs root, dovecot-core and dovecot-submissiond; run by .ci/run"]
fn dovecot_with_an_expired_certificate_is_cert_expired() {
    let pki = Pki::new();
    let d = dovecot(&pki, Validity::Expired);
    for (port, security) in [(d.starttls_port, "starttls"), (d.tls_port, "tls")] {
        let c = pki.check(SocketAddr::new(d.ip, port), security, "", &[], &|| d.log());
        let ctx = &c.context;
        let f = c.finding("cert.expired");
        assert_eq!(f["severity"], "error", "{ctx}");
        let tls = &c.endpoint["tls"];
        assert_eq!(tls["verification"]["hostname_match"], true, "{ctx}");
        assert!(
            tls["chain"][0]["days_left"].as_i64().is_some_and(|d| d < 0),
            "{ctx}"
        );
        // X509_V_ERR_CERT_HAS_EXPIRED at the leaf.
        assert!(
            tls["verification"]["errors"]
                .as_array()
                .is_some_and(|e| e.iter().any(|e| e["code"] == 10 && e["depth"] == 0)),
            "{ctx}"
        );
        c.assert_no_finding("cert.name_mismatch");
        assert_eq!(c.report["provider"], Value::Null, "{ctx}");
        assert_eq!(c.code, 1, "{ctx}");
    }
}

// ---------------------------------------------------------------------------------------------
// aiosmtpd

const AIOSMTPD_BEFORE_TLS: &[&str] = &["SIZE 33554432", "8BITMIME", "SMTPUTF8", "STARTTLS", "HELP"];
const AIOSMTPD_IN_TLS: &[&str] = &[
    "SIZE 33554432",
    "8BITMIME",
    "SMTPUTF8",
    "AUTH LOGIN PLAIN",
    "HELP",
];

fn aiosmtpd(pki: &Pki, listeners: &[Listener]) -> Aiosmtpd {
    let leaf = pki.leaf(Validity::Good);
    Aiosmtpd::start(
        &leaf.chain_pem,
        &leaf.key_pem,
        &[(USER, PASSWORD)],
        listeners,
    )
    .unwrap_or_else(|e| panic!("could not start aiosmtpd: {e}"))
}

#[test]
#[ignore = "needs aiosmtpd (pip); run by .ci/run"]
fn aiosmtpd_starttls_and_implicit_tls_ports_are_healthy() {
    let pki = Pki::new();
    let a = aiosmtpd(&pki, &[Listener::starttls(), Listener::implicit_tls()]);
    let c = pki.check(
        SocketAddr::new(LOCALHOST, a.ports[0]),
        "starttls",
        "",
        &[],
        &|| a.log(),
    );
    assert_healthy(&c, "starttls", Some(AIOSMTPD_BEFORE_TLS), AIOSMTPD_IN_TLS);
    let banner = c.endpoint["banner"]["lines"][0]
        .as_str()
        .unwrap_or_default();
    assert!(
        banner.starts_with("mail.test Python SMTP "),
        "{banner:?}\n{}",
        c.context
    );
    assert_eq!(c.report["summary"]["warnings"], 0, "{}", c.context);

    let c = pki.check(
        SocketAddr::new(LOCALHOST, a.ports[1]),
        "tls",
        "",
        &[],
        &|| a.log(),
    );
    assert_healthy(&c, "implicit_tls", None, AIOSMTPD_IN_TLS);
    assert_eq!(c.report["summary"]["warnings"], 0, "{}", c.context);
}

#[test]
#[ignore = "needs aiosmtpd (pip); run by .ci/run"]
fn aiosmtpd_accepts_good_credentials_and_refuses_a_wrong_password() {
    let pki = Pki::new();
    let a = aiosmtpd(&pki, &[Listener::starttls(), Listener::implicit_tls()]);
    for (port, security) in [(a.ports[0], "starttls"), (a.ports[1], "tls")] {
        let addr = SocketAddr::new(LOCALHOST, port);
        for mechanism in ["PLAIN", "LOGIN"] {
            let c = pki.login(
                addr,
                security,
                PASSWORD,
                &["--auth-mech", mechanism],
                &|| a.log(),
            );
            assert_logged_in(&c, mechanism, &["LOGIN", "PLAIN"]);
        }
        let c = pki.login(addr, security, WRONG, &[], &|| a.log());
        assert_refused(&c, 535, "5.7.8 Authentication credentials invalid");
    }
}

#[test]
#[ignore = "needs aiosmtpd (pip); run by .ci/run"]
fn aiosmtpd_without_starttls_on_the_submission_port_is_starttls_missing() {
    let pki = Pki::new();
    let a = aiosmtpd(
        &pki,
        &[Listener {
            mode: Mode::Plain,
            auth_require_tls: true,
        }],
    );
    let c = pki.check(
        SocketAddr::new(LOCALHOST, a.ports[0]),
        "auto",
        "",
        &[],
        &|| a.log(),
    );
    let ctx = &c.context;
    let f = c.finding("starttls.missing");
    assert_eq!(f["severity"], "error", "{ctx}");
    assert_eq!(
        keywords(&c.endpoint["ehlo"]),
        ["SIZE 33554432", "8BITMIME", "SMTPUTF8", "HELP"],
        "{ctx}"
    );
    assert_eq!(c.endpoint["tls"], Value::Null, "{ctx}");
    assert_eq!(c.report["provider"], Value::Null, "{ctx}");
    assert_eq!(c.code, 1, "{ctx}");
}

#[test]
#[ignore = "needs aiosmtpd (pip); run by .ci/run"]
fn aiosmtpd_implicit_tls_with_auth_require_tls_offers_no_auth() {
    // aiosmtpd counts only STARTTLS as TLS for auth_require_tls: on a port with the
    // controller's ssl_context it then offers no AUTH at all, inside TLS.
    let pki = Pki::new();
    let a = aiosmtpd(
        &pki,
        &[Listener {
            mode: Mode::ImplicitTls,
            auth_require_tls: true,
        }],
    );
    let c = pki.login(
        SocketAddr::new(LOCALHOST, a.ports[0]),
        "tls",
        PASSWORD,
        &[],
        &|| a.log(),
    );
    let ctx = &c.context;
    assert_eq!(
        keywords(&c.endpoint["ehlo_tls"]),
        ["SIZE 33554432", "8BITMIME", "SMTPUTF8", "HELP"],
        "{ctx}"
    );
    assert_eq!(c.endpoint["tls"]["verification"]["trusted"], true, "{ctx}");
    assert_eq!(c.attempt()["outcome"], "mechanism_unsupported", "{ctx}");
    let f = c.finding("auth.mechanism_unsupported");
    assert_eq!(f["severity"], "error", "{ctx}");
    c.assert_no_finding("auth.ok");
    assert_eq!(c.code, 1, "{ctx}");
}

// ---------------------------------------------------------------------------------------------
// Exim

const EXIM_BEFORE_TLS: &[&str] = &[
    "SIZE 52428800",
    "8BITMIME",
    "PIPELINING",
    "PIPECONNECT",
    "CHUNKING",
    "STARTTLS",
    "SMTPUTF8",
    "HELP",
];
const EXIM_IN_TLS: &[&str] = &[
    "SIZE 52428800",
    "8BITMIME",
    "PIPELINING",
    "PIPECONNECT",
    "AUTH PLAIN LOGIN",
    "CHUNKING",
    "SMTPUTF8",
    "HELP",
];

fn exim(pki: &Pki, fault: Fault) -> Exim {
    let leaf = pki.leaf(Validity::Good);
    Exim::start(&leaf.chain_pem, &leaf.key_pem, &[(USER, PASSWORD)], fault)
        .unwrap_or_else(|e| panic!("could not start Exim: {e}"))
}

#[test]
#[ignore = "needs root and Exim (unpacked exim4-daemon-light); run by .ci/run"]
fn exim_starttls_and_implicit_tls_ports_are_healthy() {
    let pki = Pki::new();
    let x = exim(&pki, Fault::None);
    let c = pki.check(
        SocketAddr::new(LOCALHOST, x.starttls_port),
        "starttls",
        "",
        &[],
        &|| x.log(),
    );
    assert_healthy(&c, "starttls", Some(EXIM_BEFORE_TLS), EXIM_IN_TLS);
    let banner = c.endpoint["banner"]["lines"][0]
        .as_str()
        .unwrap_or_default();
    assert!(
        banner.starts_with("mail.test ESMTP Exim 4."),
        "{banner:?}\n{}",
        c.context
    );
    assert_eq!(c.report["summary"]["warnings"], 0, "{}", c.context);

    let c = pki.check(
        SocketAddr::new(LOCALHOST, x.tls_port),
        "tls",
        "",
        &[],
        &|| x.log(),
    );
    assert_healthy(&c, "implicit_tls", None, EXIM_IN_TLS);
    assert_eq!(c.report["summary"]["warnings"], 0, "{}", c.context);
}

#[test]
#[ignore = "needs root and Exim (unpacked exim4-daemon-light); run by .ci/run"]
fn exim_accepts_good_credentials_and_refuses_a_wrong_password() {
    let pki = Pki::new();
    let x = exim(&pki, Fault::None);
    for (port, security) in [(x.starttls_port, "starttls"), (x.tls_port, "tls")] {
        let addr = SocketAddr::new(LOCALHOST, port);
        for mechanism in ["PLAIN", "LOGIN"] {
            let c = pki.login(
                addr,
                security,
                PASSWORD,
                &["--auth-mech", mechanism],
                &|| x.log(),
            );
            assert_logged_in(&c, mechanism, &["PLAIN", "LOGIN"]);
        }
        let c = pki.login(addr, security, WRONG, &[], &|| x.log());
        // Exim offers no ENHANCEDSTATUSCODES, and its reply has none.
        assert_refused(&c, 535, "Incorrect authentication data");
        assert_eq!(
            c.attempt()["reply"]["enhanced"],
            Value::Null,
            "{}",
            c.context
        );
    }
    assert!(
        x.log().contains("authenticator failed"),
        "Exim did not log the failure\n{}",
        x.log()
    );
}

#[test]
#[ignore = "needs root and Exim (unpacked exim4-daemon-light); run by .ci/run"]
fn exim_tls_on_connect_on_the_submission_port_is_wrong_mode() {
    let pki = Pki::new();
    let x = exim(&pki, Fault::TlsOnConnectEverywhere);
    // Exim waits silently for a ClientHello there: the banner wait must end (short
    // --timeout) before the second connection tries TLS.
    let c = pki.check(
        SocketAddr::new(LOCALHOST, x.starttls_port),
        "starttls",
        "",
        &["--timeout", "2s"],
        &|| x.log(),
    );
    let ctx = &c.context;
    let f = c.finding("tls.wrong_mode");
    assert_eq!(f["severity"], "error", "{ctx}");
    assert_eq!(
        c.endpoint["wrong_mode"], "implicit_tls_on_starttls_port",
        "{ctx}"
    );
    // The TLS facts come from the second connection.
    assert_eq!(c.endpoint["tls"]["verification"]["trusted"], true, "{ctx}");
    assert_eq!(c.report["provider"], Value::Null, "{ctx}");
    assert_eq!(c.code, 1, "{ctx}");
}

#[test]
#[ignore = "needs root and Exim (unpacked exim4-daemon-light); run by .ci/run"]
fn exim_with_an_unreadable_key_refuses_starttls() {
    let pki = Pki::new();
    let x = exim(&pki, Fault::KeyUnreadable);
    let c = pki.check(
        SocketAddr::new(LOCALHOST, x.starttls_port),
        "starttls",
        "",
        &[],
        &|| x.log(),
    );
    let ctx = &c.context;
    let f = c.finding("starttls.refused");
    assert_eq!(f["severity"], "error", "{ctx}");
    let reply = &c.endpoint["starttls"]["reply"];
    assert_eq!(reply["code"], 454, "{ctx}");
    assert_eq!(
        reply["lines"],
        serde_json::json!(["TLS currently unavailable"]),
        "{ctx}"
    );
    assert!(
        f["message"]
            .as_str()
            .is_some_and(|m| m.contains("454 TLS currently unavailable")),
        "{ctx}"
    );
    assert_eq!(c.endpoint["tls"], Value::Null, "{ctx}");
    assert!(x.log().contains("TLS error"), "{}", x.log());
    assert_eq!(c.report["provider"], Value::Null, "{ctx}");
    assert_eq!(c.code, 1, "{ctx}");
}
