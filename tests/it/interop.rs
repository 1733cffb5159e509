//! Interop tests: the real binary against a real Postfix on loopback (STARTTLS port and
//! implicit-TLS port, certificate from the test CA). Ignored by a plain `cargo test` because
//! they need root and the Debian `postfix` package; `.ci/run` runs them with
//! `cargo test -- --ignored`.

use std::path::PathBuf;

use serde_json::Value;
use tempfile::TempDir;

use crate::support::mta::Postfix;
use crate::support::pki::{TestCa, Validity};
use crate::support::{finding, finding_ids, run_check, run_raw};

/// The name on Postfix's certificate and in its banner (`myhostname`).
const NAME: &str = "mail.test";

/// A Postfix serving a leaf for [`NAME`] from a fresh test CA, and that CA as a file.
struct Lab {
    postfix: Postfix,
    ca_file: PathBuf,
    _ca_dir: TempDir,
}

impl Lab {
    fn new() -> Lab {
        let ca = TestCa::new("smtp-doctor interop CA");
        let leaf = ca.leaf(&[NAME], Validity::Good);
        let ca_dir = tempfile::tempdir().unwrap();
        let ca_file = ca.write_to(ca_dir.path());
        let postfix = Postfix::start(&leaf.chain_pem, &leaf.key_pem)
            .unwrap_or_else(|e| panic!("could not start Postfix: {e}"));
        Lab {
            postfix,
            ca_file,
            _ca_dir: ca_dir,
        }
    }

    /// The arguments of `check` for one port: `--security`, `--servername`, our CA, short
    /// timeouts (`--timeout 5s` unless `extra` has its own); `extra` goes last.
    fn args(&self, port: u16, security: &str, servername: &str, extra: &[&str]) -> Vec<String> {
        let timeout = if extra.contains(&"--timeout") {
            &[][..]
        } else {
            &["--timeout", "5s"][..]
        };
        let mut args: Vec<String> = [
            "check",
            &format!("127.0.0.1:{port}"),
            "--security",
            security,
            "--servername",
            servername,
            "--ca-file",
            &self.ca_file.display().to_string(),
            "--json",
            "--connect-timeout",
            "2s",
        ]
        .iter()
        .chain(timeout)
        .map(|s| s.to_string())
        .collect();
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    }

    /// Runs `check` and returns (exit code, report, the one endpoint).
    fn check(&self, port: u16, security: &str, servername: &str, extra: &[&str]) -> Checked {
        let args = self.args(port, security, servername, extra);
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, report, stderr) = run_check(&argv);
        let endpoints = report["endpoints"].as_array().cloned().unwrap_or_default();
        let context = format!(
            "smtp-doctor {argv:?}\nexit {code}\nstderr:\n{stderr}\nreport:\n{}\n--- Postfix log ---\n{}",
            serde_json::to_string_pretty(&report).unwrap_or_default(),
            self.postfix.log()
        );
        assert_eq!(
            endpoints.len(),
            1,
            "expected exactly one endpoint\n{context}"
        );
        let endpoint = endpoints[0].clone();
        Checked {
            code,
            report,
            endpoint,
            context,
        }
    }
}

/// One run of `check` against one port, with everything needed for a failure message.
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

    fn assert_finding(&self, id: &str) {
        assert!(
            finding(&self.report, id).is_some(),
            "expected finding {id}, got {:?}\n{}",
            finding_ids(&self.report),
            self.context
        );
    }
}

/// The keyword names of an EHLO object.
fn keywords(ehlo: &Value) -> Vec<String> {
    ehlo["keywords"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|k| k["name"].as_str())
        .map(str::to_ascii_uppercase)
        .collect()
}

#[test]
#[ignore = "needs root and Postfix; run by .ci/run"]
fn starttls_port_is_healthy() {
    let lab = Lab::new();
    let c = lab.check(lab.postfix.starttls_port, "starttls", NAME, &[]);
    let e = &c.endpoint;
    let ctx = &c.context;

    assert_eq!(e["state"], "ok", "{ctx}");
    assert_eq!(e["security"], "starttls", "{ctx}");
    assert_eq!(e["error"], Value::Null, "{ctx}");
    assert_eq!(e["wrong_mode"], Value::Null, "{ctx}");

    assert_eq!(e["banner"]["code"], 220, "{ctx}");
    let banner = e["banner"]["lines"][0].as_str().unwrap_or_default();
    assert!(
        banner.contains("mail.test ESMTP Postfix"),
        "banner {banner:?}\n{ctx}"
    );

    let before = keywords(&e["ehlo"]);
    assert_eq!(e["ehlo"]["code"], 250, "{ctx}");
    assert!(
        before.iter().any(|k| k == "STARTTLS"),
        "EHLO {before:?}\n{ctx}"
    );
    assert!(
        before.iter().any(|k| k == "PIPELINING"),
        "EHLO {before:?}\n{ctx}"
    );

    assert_eq!(e["starttls"]["offered"], true, "{ctx}");
    assert_eq!(e["starttls"]["reply"]["code"], 220, "{ctx}");
    assert_eq!(e["starttls"]["injected_bytes"], 0, "{ctx}");

    let tls = &e["tls"];
    let version = tls["version"].as_str().unwrap_or_default();
    assert!(
        matches!(version, "TLSv1.2" | "TLSv1.3"),
        "TLS version {version:?}\n{ctx}"
    );
    assert_eq!(tls["verification"]["trusted"], true, "{ctx}");
    assert_eq!(tls["verification"]["hostname_match"], true, "{ctx}");
    assert_eq!(tls["verification"]["checked_name"], NAME, "{ctx}");
    let san = &tls["chain"][0]["san"];
    assert!(
        san.as_array().is_some_and(|s| s.iter().any(|n| n == NAME)),
        "leaf SAN {san}\n{ctx}"
    );

    // Postfix stops offering STARTTLS (and starts offering nothing new) once TLS is up.
    let after = keywords(&e["ehlo_tls"]);
    assert_eq!(e["ehlo_tls"]["code"], 250, "{ctx}");
    assert!(
        !after.iter().any(|k| k == "STARTTLS"),
        "EHLO in TLS {after:?}\n{ctx}"
    );
    assert!(
        after.iter().any(|k| k == "PIPELINING"),
        "EHLO in TLS {after:?}\n{ctx}"
    );

    assert_eq!(c.errors(), Vec::<&str>::new(), "{ctx}");
    assert_eq!(c.report["summary"]["errors"], 0, "{ctx}");
    assert_eq!(c.code, 0, "{ctx}");
}

#[test]
#[ignore = "needs root and Postfix; run by .ci/run"]
fn implicit_tls_port_is_healthy() {
    let lab = Lab::new();
    let c = lab.check(lab.postfix.tls_port, "tls", NAME, &[]);
    let e = &c.endpoint;
    let ctx = &c.context;

    assert_eq!(e["state"], "ok", "{ctx}");
    assert_eq!(e["security"], "implicit_tls", "{ctx}");
    assert_eq!(e["wrong_mode"], Value::Null, "{ctx}");
    assert!(e["tls"].is_object(), "{ctx}");
    let version = e["tls"]["version"].as_str().unwrap_or_default();
    assert!(
        matches!(version, "TLSv1.2" | "TLSv1.3"),
        "TLS version {version:?}\n{ctx}"
    );
    assert_eq!(e["tls"]["verification"]["trusted"], true, "{ctx}");
    assert_eq!(e["tls"]["verification"]["hostname_match"], true, "{ctx}");
    // The greeting comes inside TLS.
    assert_eq!(e["banner"]["code"], 220, "{ctx}");
    assert_eq!(c.errors(), Vec::<&str>::new(), "{ctx}");
    assert_eq!(c.code, 0, "{ctx}");
}

#[test]
#[ignore = "needs root and Postfix; run by .ci/run"]
fn other_servername_is_name_mismatch() {
    let lab = Lab::new();
    let c = lab.check(lab.postfix.starttls_port, "starttls", "other.test", &[]);
    let e = &c.endpoint;
    let ctx = &c.context;

    c.assert_finding("cert.name_mismatch");
    // The chain itself is fine: only the name is wrong.
    assert_eq!(e["tls"]["verification"]["trusted"], true, "{ctx}");
    assert_eq!(e["tls"]["verification"]["hostname_match"], false, "{ctx}");
    assert_eq!(
        e["tls"]["verification"]["checked_name"], "other.test",
        "{ctx}"
    );
    assert!(!c.errors().contains(&"cert.untrusted"), "{ctx}");
    assert_eq!(c.code, 1, "{ctx}");
}

#[test]
#[ignore = "needs root and Postfix; run by .ci/run"]
fn implicit_tls_against_starttls_port_is_wrong_mode() {
    let lab = Lab::new();
    let c = lab.check(lab.postfix.starttls_port, "tls", NAME, &[]);
    let e = &c.endpoint;
    let ctx = &c.context;

    c.assert_finding("tls.wrong_mode");
    assert_eq!(e["wrong_mode"], "plain_on_tls_port", "{ctx}");
    assert_eq!(e["state"], "tls_error", "{ctx}");
    // Postfix's plain greeting is what the handshake ran into.
    assert_eq!(e["banner"]["code"], 220, "{ctx}");
    assert_eq!(c.code, 1, "{ctx}");
}

#[test]
#[ignore = "needs root and Postfix; run by .ci/run"]
fn starttls_against_implicit_tls_port_is_wrong_mode() {
    let lab = Lab::new();
    // Postfix in wrapper mode waits silently for a ClientHello: the banner wait must time out
    // (short --timeout) before the second connection tries TLS.
    let c = lab.check(lab.postfix.tls_port, "starttls", NAME, &["--timeout", "2s"]);
    let e = &c.endpoint;
    let ctx = &c.context;

    c.assert_finding("tls.wrong_mode");
    assert_eq!(e["wrong_mode"], "implicit_tls_on_starttls_port", "{ctx}");
    // TLS facts come from the second connection.
    assert!(e["tls"].is_object(), "{ctx}");
    assert_eq!(e["tls"]["verification"]["trusted"], true, "{ctx}");
    assert_eq!(c.code, 1, "{ctx}");
}

#[test]
#[ignore = "needs root and Postfix; run by .ci/run"]
fn transcript_has_starttls_and_quit() {
    let lab = Lab::new();
    let c = lab.check(
        lab.postfix.starttls_port,
        "starttls",
        NAME,
        &["--transcript"],
    );
    let ctx = &c.context;
    let transcript = c.endpoint["transcript"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let sent = |line: &str, tls: bool| {
        transcript.iter().any(|t| {
            t["dir"] == "send"
                && t["tls"] == tls
                && t["line"]
                    .as_str()
                    .is_some_and(|l| l.eq_ignore_ascii_case(line))
        })
    };
    assert!(sent("STARTTLS", false), "no STARTTLS sent in clear\n{ctx}");
    // After a good STARTTLS, QUIT goes inside TLS.
    assert!(sent("QUIT", true), "no QUIT sent inside TLS\n{ctx}");
    assert!(
        transcript.iter().any(
            |t| t["dir"] == "recv" && t["line"].as_str().is_some_and(|l| l.starts_with("220 "))
        ),
        "no 220 received\n{ctx}"
    );
    assert_eq!(c.code, 0, "{ctx}");

    // The human-readable transcript shows the same dialogue.
    let args = lab.args(
        lab.postfix.starttls_port,
        "starttls",
        NAME,
        &["--transcript"],
    );
    let argv: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| *a != "--json")
        .collect();
    let run = run_raw(&argv, &[("NO_COLOR", "1")]);
    assert!(
        run.stdout.contains("STARTTLS") && run.stdout.contains("QUIT"),
        "text transcript without STARTTLS/QUIT (exit {}):\n{}\nstderr:\n{}",
        run.code,
        run.stdout,
        run.stderr
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
}
