//! Interop tests of the credential check and the test message against a real Postfix with
//! Cyrus SASL (sasldb) on loopback: AUTH success per mechanism, failure, refusal over plain
//! text, and a test message that lands in Postfix's queue. Ignored by a plain `cargo test`
//! (they need root and the Debian `postfix` and `sasl2-bin` packages); `.ci/run` runs them.

use std::path::PathBuf;

use serde_json::Value;
use smtp_doctor::secret::{self, Secret};
use tempfile::TempDir;

use crate::support::dns::TestDns;
use crate::support::mta::Postfix;
use crate::support::pki::{TestCa, Validity};
use crate::support::{Run, finding, finding_ids, run_raw};

const NAME: &str = "mail.test";
const USER: &str = "alice@mail.test";
const PASSWORD: &str = "interop-Passw0rd with spaces";
const WRONG: &str = "interop-wrong-passw0rd";
const ENV: &str = "SMTP_DOCTOR_INTEROP_SECRET";

struct Lab {
    postfix: Postfix,
    ca_file: PathBuf,
    _ca_dir: TempDir,
    /// `--resolver`: the reverse look-ups of 127.0.0.1 never reach the machine's resolver.
    dns: TestDns,
}

impl Lab {
    fn new() -> Lab {
        let ca = TestCa::new("smtp-doctor auth interop CA");
        let leaf = ca.leaf(&[NAME], Validity::Good);
        let ca_dir = tempfile::tempdir().unwrap();
        let ca_file = ca.write_to(ca_dir.path());
        let postfix =
            Postfix::start_with_sasl(&leaf.chain_pem, &leaf.key_pem, &[("alice", PASSWORD)])
                .unwrap_or_else(|e| panic!("could not start Postfix with SASL: {e}"));
        Lab {
            postfix,
            ca_file,
            _ca_dir: ca_dir,
            dns: TestDns::new(),
        }
    }

    /// `check --json --transcript` against one port with the secret in [`ENV`].
    fn check(&self, port: u16, security: &str, secret: &str, extra: &[&str]) -> (Run, Value) {
        let target = format!("127.0.0.1:{port}");
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
            "--timeout",
            "10s",
            "--json",
            "--transcript",
            "--user",
            USER,
            "--password-env",
            ENV,
        ];
        args.extend_from_slice(extra);
        let run = run_raw(&args, &[(ENV, secret)]);
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
        let doc: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {}\n{}\n--- Postfix log ---\n{}",
                run.stdout,
                run.stderr,
                self.postfix.log()
            )
        });
        (run, doc)
    }

    fn context(&self, doc: &Value) -> String {
        format!("{doc:#}\n--- Postfix log ---\n{}", self.postfix.log())
    }
}

fn attempt(doc: &Value) -> &Value {
    &doc["auth"]["attempts"][0]
}

#[test]
#[ignore = "needs root, Postfix and sasl2-bin; run by .ci/run"]
fn postfix_accepts_good_credentials_with_each_mechanism() {
    let lab = Lab::new();
    for (port, security) in [
        (lab.postfix.starttls_port, "starttls"),
        (lab.postfix.tls_port, "tls"),
    ] {
        for mechanism in ["PLAIN", "LOGIN", "CRAM-MD5"] {
            let (run, doc) = lab.check(port, security, PASSWORD, &["--auth-mech", mechanism]);
            let context = lab.context(&doc);
            assert_eq!(
                run.code, 0,
                "{mechanism} on {security}: {}\n{context}",
                run.stderr
            );
            let a = attempt(&doc);
            assert_eq!(a["outcome"], "authenticated", "{context}");
            assert_eq!(a["mechanism"], mechanism);
            assert_eq!(a["reply"]["code"], 235, "{context}");
            let offered: Vec<&str> = a["offered"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(Value::as_str)
                .collect();
            for m in ["PLAIN", "LOGIN", "CRAM-MD5"] {
                assert!(offered.contains(&m), "{offered:?}");
            }
            assert!(finding(&doc, "auth.ok").is_some(), "{context}");
        }
    }
}

#[test]
#[ignore = "needs root, Postfix and sasl2-bin; run by .ci/run"]
fn postfix_refuses_a_wrong_password() {
    let lab = Lab::new();
    for mechanism in ["PLAIN", "LOGIN", "CRAM-MD5"] {
        let (run, doc) = lab.check(
            lab.postfix.starttls_port,
            "starttls",
            WRONG,
            &["--auth-mech", mechanism],
        );
        let context = lab.context(&doc);
        assert_eq!(run.code, 1, "{context}");
        let a = attempt(&doc);
        assert_eq!(a["outcome"], "rejected", "{context}");
        assert_eq!(a["reply"]["code"], 535, "{context}");
        assert_eq!(a["reply"]["enhanced"], "5.7.8", "{context}");
        assert_eq!(a["source"], "RFC 4954", "{context}");
        let f = finding(&doc, "auth.failed").unwrap_or_else(|| panic!("{context}"));
        assert!(f["advice"].as_str().unwrap().contains("user name"), "{f:#}");
        // One attempt, logged as one failure by Postfix.
        assert_eq!(doc["auth"]["attempts"].as_array().unwrap().len(), 1);
    }
    let log = lab.postfix.log();
    assert!(log.matches("authentication failed").count() >= 3, "{log}");
}

#[test]
#[ignore = "needs root, Postfix and sasl2-bin; run by .ci/run"]
fn postfix_plain_text_is_refused_and_offers_no_auth_there() {
    let lab = Lab::new();
    let port = lab.postfix.starttls_port;
    let (run, doc) = lab.check(port, "plain", PASSWORD, &[]);
    assert_eq!(run.code, 1, "{}", lab.context(&doc));
    assert_eq!(
        attempt(&doc)["outcome"],
        "plaintext_refused",
        "{}",
        lab.context(&doc)
    );
    // Allowed: Postfix itself offers AUTH only inside TLS (smtpd_tls_auth_only).
    let (_, doc) = lab.check(port, "plain", PASSWORD, &["--allow-plaintext-auth"]);
    assert_eq!(
        attempt(&doc)["outcome"],
        "mechanism_unsupported",
        "{}",
        lab.context(&doc)
    );
    assert!(
        finding_ids(&doc).contains(&"auth.mechanism_unsupported".to_string()),
        "{}",
        lab.context(&doc)
    );
}

#[test]
#[ignore = "needs root, Postfix and sasl2-bin; run by .ci/run"]
fn postfix_queues_the_test_message() {
    let lab = Lab::new();
    let (run, doc) = lab.check(
        lab.postfix.starttls_port,
        "starttls",
        PASSWORD,
        &["--send-to", "bob@example.org"],
    );
    let context = lab.context(&doc);
    assert_eq!(run.code, 0, "{context}");
    let send = &doc["send"];
    assert_eq!(send["outcome"], "accepted", "{context}");
    let queue_id = send["queue_id"]
        .as_str()
        .unwrap_or_else(|| panic!("queue id in {context}"));
    let queued = lab
        .postfix
        .queued(queue_id)
        .unwrap_or_else(|e| panic!("{e}\n{context}"));
    let message_id = send["message_id"].as_str().unwrap();
    assert!(
        queued.contains(&format!("Message-ID: {message_id}")),
        "{queued}"
    );
    assert!(queued.contains("From: alice@mail.test"), "{queued}");
    assert!(queued.contains("To: bob@example.org"), "{queued}");
    assert!(
        queued.contains("If you can read it, sending works."),
        "{queued}"
    );
    assert!(finding(&doc, "send.ok").is_some(), "{context}");

    // Without AUTH Postfix refuses to relay: the tool says so (wrong password, so no AUTH).
    let (_, doc) = lab.check(
        lab.postfix.starttls_port,
        "starttls",
        WRONG,
        &["--send-to", "bob@example.org"],
    );
    assert_eq!(doc["send"]["outcome"], "skipped", "{}", lab.context(&doc));
}
