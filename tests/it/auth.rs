//! Scenario tests of the credential check (`--user`) and the test message (`--send-to`)
//! against the in-process test server: success and failure per mechanism, known replies and
//! their advice, refusals over plain text and unverified TLS, one attempt by default, the test
//! message byte for byte. Every run goes through [`run`], which fails the test if any form of
//! any secret appears in stdout or stderr (JSON, table, transcript, errors).

use std::path::{Path, PathBuf};

use serde_json::Value;
use smtp_doctor::secret::{self, Secret};
use smtp_doctor::smtp::message::{TestMessage, dot_stuff};
use tempfile::TempDir;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::support::dns::TestDns;
use crate::support::pki::{TestCa, Validity};
use crate::support::server::{Auth, Mail, Scenario, Session, Starttls, TestServer};
use crate::support::{Invocation, Run, finding, finding_ids};

/// The name on the test certificates (`--servername`).
const NAME: &str = "mail.test";
const USER: &str = "alice@mail.test";
const PASSWORD: &str = "correct horse battery staple";
const WRONG: &str = "Tr0ub4dor&3-not-it";
const TOKEN: &str = "ya29.a0AfH6SMBtestTOKENvalue-0123456789";
const WRONG_TOKEN: &str = "ya29.expiredTOKEN-9876543210abcdef";
/// Every secret any test passes; none may appear in any output, in any form.
const SECRETS: [&str; 4] = [PASSWORD, WRONG, TOKEN, WRONG_TOKEN];
/// The environment variable the tests pass secrets in.
const ENV: &str = "SMTP_DOCTOR_TEST_SECRET";

/// Runs `smtp-doctor` with `args`, `envs` and `stdin` (closed when `None`), kills it after
/// the runner's deadline, and asserts that no secret leaked into its output.
fn run(args: &[String], envs: &[(&str, &str)], stdin: Option<&str>) -> Run {
    let invocation = Invocation::new(args).env_remove(ENV).envs(envs);
    let run = match stdin {
        Some(text) => invocation.stdin(text).run(),
        None => invocation.run(),
    };
    assert_no_secret(&run, args);
    run
}

/// No secret, nor any encoding of it a SASL exchange or JSON could produce, in the output.
fn assert_no_secret(run: &Run, args: &[String]) {
    for value in SECRETS {
        let forms = secret::forms(&Secret::new(value.to_string()), USER);
        for form in &forms {
            for (name, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
                assert!(
                    !text.contains(form.as_str()),
                    "a form of a secret ({form:?}) is in {name} of smtp-doctor {args:?}:\n{text}"
                );
            }
        }
    }
}

/// A test CA, its `--ca-file`, and a test DNS server as `--resolver` (so that not even the
/// reverse look-ups of 127.0.0.1 go to the machine's resolver).
struct Lab {
    _dir: TempDir,
    ca: TestCa,
    ca_file: PathBuf,
    dns: TestDns,
}

impl Lab {
    fn new() -> Lab {
        let dir = tempfile::tempdir().expect("tempdir");
        let ca = TestCa::new("smtp-doctor auth test CA");
        let ca_file = ca.write_to(dir.path());
        Lab {
            _dir: dir,
            ca,
            ca_file,
            dns: TestDns::new(),
        }
    }

    /// A STARTTLS server with a good certificate, knowing [`USER`]'s password and token.
    fn server(&self, auth: Auth) -> TestServer {
        self.start(Scenario::new().auth(auth))
    }

    /// `scenario` with a good certificate.
    fn start(&self, scenario: Scenario) -> TestServer {
        TestServer::start(scenario.identity(self.ca.leaf(&[NAME], Validity::Good)))
    }

    /// `check 127.0.0.1:PORT` for one server, trusting the CA, JSON with transcripts,
    /// `--user`; `extra` last.
    fn args(&self, target: &str, extra: &[&str]) -> Vec<String> {
        let mut args: Vec<String> = [
            "check",
            target,
            "--servername",
            NAME,
            "--ca-file",
            &self.ca_file.display().to_string(),
            "--resolver",
            &self.dns.addr().to_string(),
            "--connect-timeout",
            "2s",
            "--timeout",
            "5s",
            "--user",
            USER,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    }

    /// A JSON run against one server with the password (or token) in [`ENV`].
    fn check(&self, server: &TestServer, secret: &str, extra: &[&str]) -> (Run, Value) {
        let target = format!("127.0.0.1:{}", server.port());
        let mut all = vec!["--json", "--transcript"];
        if !extra.iter().any(|a| a.starts_with("--oauth-token")) {
            all.extend(["--password-env", ENV]);
        }
        all.extend_from_slice(extra);
        let run = run(&self.args(&target, &all), &[(ENV, secret)], None);
        let doc = run.json();
        (run, doc)
    }

    /// Like [`Lab::check`] with the token in [`ENV`].
    fn check_token(&self, server: &TestServer, token: &str, extra: &[&str]) -> (Run, Value) {
        let mut all = vec!["--oauth-token-env", ENV];
        all.extend_from_slice(extra);
        self.check(server, token, &all)
    }
}

fn known() -> Auth {
    Auth::new().password(USER, PASSWORD).token(USER, TOKEN)
}

/// Every session's AUTH attempts, over all servers.
fn auth_attempts(servers: &[&TestServer]) -> usize {
    servers
        .iter()
        .flat_map(|s| s.sessions())
        .map(|s| s.auth_attempts.len())
        .sum()
}

/// The verbs of every session of a server.
fn verbs(server: &TestServer) -> Vec<String> {
    server.sessions().iter().flat_map(Session::verbs).collect()
}

fn attempt(doc: &Value) -> &Value {
    let attempts = doc["auth"]["attempts"]
        .as_array()
        .unwrap_or_else(|| panic!("auth.attempts in {doc:#}"));
    assert_eq!(attempts.len(), 1, "{doc:#}");
    &attempts[0]
}

#[track_caller]
fn assert_finding(doc: &Value, id: &str) -> Value {
    finding(doc, id)
        .unwrap_or_else(|| panic!("finding {id} expected, got {:?}\n{doc:#}", finding_ids(doc)))
        .clone()
}

#[test]
fn each_mechanism_succeeds_with_good_credentials() {
    let lab = Lab::new();
    for mechanism in ["PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2", "OAUTHBEARER"] {
        let server = lab.server(known());
        let token = matches!(mechanism, "XOAUTH2" | "OAUTHBEARER");
        let (run, doc) = if token {
            lab.check_token(&server, TOKEN, &["--auth-mech", mechanism])
        } else {
            lab.check(&server, PASSWORD, &["--auth-mech", mechanism])
        };
        assert_eq!(run.code, 0, "{mechanism}: {doc:#}\n{}", run.stderr);
        let a = attempt(&doc);
        assert_eq!(a["outcome"], "authenticated", "{mechanism}: {doc:#}");
        assert_eq!(a["mechanism"], mechanism);
        assert_eq!(a["tls"], true);
        assert_eq!(a["reply"]["code"], 235);
        assert_eq!(doc["auth"]["user"], USER);
        let f = assert_finding(&doc, "auth.ok");
        assert_eq!(f["severity"], "info");
        // One session for the probe, one for the check; AUTH only in the second, inside TLS.
        let sessions = server.sessions();
        assert_eq!(sessions.len(), 2, "{mechanism}: {sessions:?}");
        assert!(sessions[0].auth_attempts.is_empty(), "the probe sent AUTH");
        let tried = &sessions[1].auth_attempts;
        assert_eq!(tried.len(), 1, "{mechanism}: {tried:?}");
        assert!(tried[0].success && tried[0].tls, "{tried:?}");
        assert_eq!(tried[0].mechanism, mechanism);
        assert_eq!(tried[0].user.as_deref(), Some(USER));
        if mechanism == "OAUTHBEARER" {
            assert_eq!(tried[0].oauth_host.as_deref(), Some(NAME));
            assert_eq!(
                tried[0].oauth_port.as_deref(),
                Some(server.port().to_string().as_str())
            );
        }
        // No --send-to: never MAIL, RCPT or DATA.
        let verbs = verbs(&server);
        for verb in ["MAIL", "RCPT", "DATA"] {
            assert!(!verbs.iter().any(|v| v == verb), "{mechanism}: {verbs:?}");
        }
    }
}

#[test]
fn each_mechanism_reports_bad_credentials() {
    let lab = Lab::new();
    for mechanism in ["PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2", "OAUTHBEARER"] {
        let server = lab.server(known());
        let token = matches!(mechanism, "XOAUTH2" | "OAUTHBEARER");
        let (run, doc) = if token {
            lab.check_token(&server, WRONG_TOKEN, &["--auth-mech", mechanism])
        } else {
            lab.check(&server, WRONG, &["--auth-mech", mechanism])
        };
        assert_eq!(run.code, 1, "{mechanism}: {doc:#}");
        let a = attempt(&doc);
        assert_eq!(a["outcome"], "rejected", "{mechanism}: {doc:#}");
        assert_eq!(a["reply"]["code"], 535);
        assert_eq!(a["reply"]["enhanced"], "5.7.8");
        assert!(a["cause"].is_string() && a["advice"].is_string(), "{doc:#}");
        if token {
            // The server's JSON explanation, decoded, and the token advice.
            assert!(
                a["detail"].as_str().is_some_and(|d| d.contains("status")),
                "{doc:#}"
            );
            assert_eq!(a["source"], "RFC 7628", "{doc:#}");
        } else {
            assert_eq!(a["source"], "RFC 4954", "{doc:#}");
        }
        let f = assert_finding(&doc, "auth.failed");
        assert_eq!(f["severity"], "error");
        assert!(
            f["message"].as_str().unwrap().contains("535 5.7.8"),
            "{f:#}"
        );
        assert_eq!(auth_attempts(&[&server]), 1, "{mechanism}");
    }
}

#[test]
fn the_best_common_mechanism_is_chosen() {
    let lab = Lab::new();
    let server = lab.server(known().mechanisms(&["CRAM-MD5", "LOGIN"]));
    let (run, doc) = lab.check(&server, PASSWORD, &[]);
    assert_eq!(run.code, 0, "{doc:#}");
    assert_eq!(attempt(&doc)["mechanism"], "LOGIN");
    assert_eq!(
        attempt(&doc)["offered"],
        serde_json::json!(["CRAM-MD5", "LOGIN"])
    );

    let server = lab.server(known().mechanisms(&["PLAIN", "OAUTHBEARER", "XOAUTH2"]));
    let (run, doc) = lab.check_token(&server, TOKEN, &[]);
    assert_eq!(run.code, 0, "{doc:#}");
    assert_eq!(attempt(&doc)["mechanism"], "XOAUTH2");
}

#[test]
fn a_mechanism_the_server_lacks_is_named_and_nothing_is_sent() {
    let lab = Lab::new();
    let server = lab.server(known().mechanisms(&["PLAIN", "LOGIN"]));
    let (run, doc) = lab.check(&server, PASSWORD, &["--auth-mech", "cram-md5"]);
    assert_eq!(run.code, 1, "{doc:#}");
    let a = attempt(&doc);
    assert_eq!(a["outcome"], "mechanism_unsupported");
    assert_eq!(doc["auth"]["mechanism_requested"], "CRAM-MD5");
    let f = assert_finding(&doc, "auth.mechanism_unsupported");
    let message = f["message"].as_str().unwrap();
    assert!(message.contains("offers PLAIN, LOGIN"), "{message}");
    assert!(
        f["advice"].as_str().unwrap().contains("--auth-mech"),
        "{f:#}"
    );
    assert!(!verbs(&server).contains(&"AUTH".to_string()));

    // A token where the server takes only passwords.
    let (run, doc) = lab.check_token(&server, TOKEN, &[]);
    assert_eq!(run.code, 1, "{doc:#}");
    let f = assert_finding(&doc, "auth.mechanism_unsupported");
    assert!(
        f["message"].as_str().unwrap().contains("no OAuth 2"),
        "{f:#}"
    );

    // No AUTH at all inside TLS.
    let server = lab.server(known().mechanisms(&[]));
    let (run, doc) = lab.check(&server, PASSWORD, &[]);
    assert_eq!(run.code, 1, "{doc:#}");
    let f = assert_finding(&doc, "auth.mechanism_unsupported");
    assert!(f["message"].as_str().unwrap().contains("no AUTH"), "{f:#}");
    assert_eq!(auth_attempts(&[&server]), 0);
}

/// Provider-like refusals: the reply, its finding, and the cause and advice for it.
#[test]
fn known_replies_map_to_findings_and_advice() {
    let lab = Lab::new();
    let cases: [(u16, &[&str], &str, &str, &str); 6] = [
        (
            534,
            &[
                "5.7.9 Application-specific password required. Learn more at",
                "5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor - gsmtp",
            ],
            "auth.failed",
            "Gmail",
            "app password",
        ),
        (
            535,
            &[
                "5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.",
            ],
            "auth.failed",
            "Microsoft 365",
            "Set-CASMailbox",
        ),
        (
            535,
            &["5.7.3 Authentication unsuccessful [SN4PR0201CA0001.namprd02.prod.outlook.com]"],
            "auth.failed",
            "Microsoft 365",
            "SMTP AUTH is enabled",
        ),
        (
            538,
            &["5.7.11 Encryption required for requested authentication mechanism"],
            "auth.failed",
            "RFC 4954",
            "STARTTLS",
        ),
        (
            454,
            &["4.7.0 Temporary authentication failure"],
            "auth.temporary_failure",
            "RFC 4954",
            "Retry",
        ),
        (
            535,
            &["5.7.8 Username and Password not accepted. For more information, go to"],
            "auth.failed",
            "Gmail",
            "full e-mail address",
        ),
    ];
    for (code, lines, id, source, advice) in cases {
        let server = lab.server(known().reject_all(code, lines));
        let (run, doc) = lab.check(&server, PASSWORD, &[]);
        assert_eq!(run.code, 1, "{doc:#}");
        let a = attempt(&doc);
        assert_eq!(a["reply"]["code"], code, "{doc:#}");
        assert_eq!(a["source"], source, "{lines:?}: {doc:#}");
        let f = assert_finding(&doc, id);
        assert!(
            f["advice"].as_str().unwrap().contains(advice),
            "{lines:?}: {f:#}"
        );
        assert!(
            f["message"].as_str().unwrap().contains(&code.to_string()),
            "{f:#}"
        );
        assert_eq!(auth_attempts(&[&server]), 1);
    }
}

#[test]
fn auth_is_refused_over_plain_text() {
    let lab = Lab::new();
    let scenario = || {
        Scenario::new()
            .starttls(Starttls::NotOffered)
            .auth(known().before_tls())
    };
    let server = lab.start(scenario());
    let (run, doc) = lab.check(&server, PASSWORD, &[]);
    assert_eq!(run.code, 1, "{doc:#}");
    let a = attempt(&doc);
    assert_eq!(a["outcome"], "plaintext_refused", "{doc:#}");
    assert_eq!(a["tls"], false);
    let f = assert_finding(&doc, "auth.plaintext_refused");
    assert!(
        f["advice"]
            .as_str()
            .unwrap()
            .contains("--allow-plaintext-auth"),
        "{f:#}"
    );
    // Nothing was even tried: only the probe's connection, no AUTH line anywhere.
    assert_eq!(server.sessions().len(), 1);
    assert!(!verbs(&server).contains(&"AUTH".to_string()));

    // Allowed on purpose: AUTH in plain text, and it works.
    let server = lab.start(scenario());
    let (run, doc) = lab.check(&server, PASSWORD, &["--allow-plaintext-auth"]);
    assert_eq!(run.code, 1, "starttls.missing stays an error: {doc:#}");
    let a = attempt(&doc);
    assert_eq!(a["outcome"], "authenticated", "{doc:#}");
    assert_eq!(a["tls"], false);
    let tried = server.sessions()[1].auth_attempts.clone();
    assert_eq!(tried.len(), 1);
    assert!(tried[0].success && !tried[0].tls, "{tried:?}");
    // The advice says what the login really went over, not the STARTTLS that was probed.
    let ok = finding(&doc, "auth.ok").unwrap_or_else(|| panic!("{doc:#}"));
    let advice = ok["advice"].as_str().unwrap_or_default();
    assert!(advice.contains("with no encryption"), "{advice}");
    assert!(!advice.contains("Nothing to fix"), "{advice}");
}

#[test]
fn auth_is_refused_when_the_certificate_fails_verification() {
    let lab = Lab::new();
    let server = lab.server(known());
    // Without --ca-file the test CA is unknown: the chain is untrusted.
    let target = format!("127.0.0.1:{}", server.port());
    let mut args: Vec<String> = lab
        .args(&target, &["--json", "--password-env", ENV])
        .into_iter()
        .collect();
    let at = args.iter().position(|a| a == "--ca-file").unwrap();
    args.drain(at..at + 2);
    let out = run(&args, &[(ENV, PASSWORD)], None);
    let doc = out.json();
    assert_eq!(out.code, 1, "{doc:#}");
    assert_eq!(attempt(&doc)["outcome"], "untrusted_refused", "{doc:#}");
    assert_finding(&doc, "auth.untrusted_refused");
    assert_eq!(auth_attempts(&[&server]), 0);

    args.push("--allow-plaintext-auth".to_string());
    let out = run(&args, &[(ENV, PASSWORD)], None);
    let doc = out.json();
    assert_eq!(attempt(&doc)["outcome"], "authenticated", "{doc:#}");
    assert_eq!(auth_attempts(&[&server]), 1);
}

#[test]
fn one_attempt_by_default_and_each_endpoint_with_auth_all() {
    let lab = Lab::new();
    let a = lab.server(known());
    let b = lab.server(known());
    let ports = format!("{},{}", a.port(), b.port());
    let args = |extra: &[&str]| {
        let mut all = vec!["--json", "--password-env", ENV, "-p", &ports];
        all.extend_from_slice(extra);
        lab.args("127.0.0.1", &all)
    };
    // A wrong password: one attempt in all, at the first endpoint.
    let out = run(&args(&[]), &[(ENV, WRONG)], None);
    let doc = out.json();
    assert_eq!(out.code, 1, "{doc:#}");
    assert_eq!(attempt(&doc)["port"], a.port(), "{doc:#}");
    assert_eq!(auth_attempts(&[&a]), 1);
    assert_eq!(auth_attempts(&[&b]), 0);

    let out = run(&args(&["--auth-all"]), &[(ENV, PASSWORD)], None);
    let doc = out.json();
    assert_eq!(out.code, 0, "{doc:#}");
    let attempts = doc["auth"]["attempts"].as_array().unwrap();
    let ports: Vec<&Value> = attempts.iter().map(|t| &t["port"]).collect();
    assert_eq!(ports, [a.port(), b.port()], "{doc:#}");
    assert!(attempts.iter().all(|t| t["outcome"] == "authenticated"));
    assert_eq!(
        finding_ids(&doc).iter().filter(|i| *i == "auth.ok").count(),
        2
    );
    assert_eq!(auth_attempts(&[&a]), 2);
    assert_eq!(auth_attempts(&[&b]), 1);
}

#[test]
fn a_refused_port_is_skipped_for_the_next_good_one() {
    let lab = Lab::new();
    let good = lab.server(known());
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let ports = format!("{closed_port},{}", good.port());
    let out = run(
        &lab.args(
            "127.0.0.1",
            &["--json", "--password-env", ENV, "-p", &ports],
        ),
        &[(ENV, PASSWORD)],
        None,
    );
    let doc = out.json();
    assert_eq!(attempt(&doc)["port"], good.port(), "{doc:#}");
    assert_eq!(attempt(&doc)["outcome"], "authenticated");
    // Nothing works at all: the credentials are not checked, and that is an error.
    let ports = closed_port.to_string();
    let out = run(
        &lab.args(
            "127.0.0.1",
            &["--json", "--password-env", ENV, "-p", &ports],
        ),
        &[(ENV, PASSWORD)],
        None,
    );
    let doc = out.json();
    assert_eq!(attempt(&doc)["outcome"], "not_attempted", "{doc:#}");
    assert!(attempt(&doc)["endpoint"].is_null());
    assert_finding(&doc, "auth.not_attempted");
}

#[test]
fn the_transcript_shows_auth_redacted() {
    let lab = Lab::new();
    for (mechanism, secret, redacted) in [
        ("PLAIN", PASSWORD, "AUTH PLAIN <redacted>"),
        ("LOGIN", PASSWORD, "~> <redacted>"),
        ("CRAM-MD5", PASSWORD, "~> <redacted>"),
        ("XOAUTH2", TOKEN, "AUTH XOAUTH2 <redacted>"),
        ("OAUTHBEARER", TOKEN, "AUTH OAUTHBEARER <redacted>"),
    ] {
        let server = lab.server(known());
        let source = if secret == TOKEN {
            "--oauth-token-env"
        } else {
            "--password-env"
        };
        let target = format!("127.0.0.1:{}", server.port());
        let args = lab.args(
            &target,
            &[
                "--transcript",
                "--color",
                "never",
                source,
                ENV,
                "--auth-mech",
                mechanism,
            ],
        );
        let out = run(&args, &[(ENV, secret)], None);
        assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
        assert!(
            out.stdout.contains(redacted),
            "{mechanism}:\n{}",
            out.stdout
        );
        assert!(
            out.stdout.contains("credential check for alice@mail.test"),
            "{}",
            out.stdout
        );
        // The table shows the attempt in the endpoint's details.
        assert!(
            out.stdout
                .contains(&format!("alice@mail.test with {mechanism}")),
            "{}",
            out.stdout
        );
    }
}

/// The test message as the server received it equals the message smtp-doctor made, byte for
/// byte, and its DATA form is the dot-stuffed content with the end-of-data line.
#[test]
fn the_test_message_arrives_byte_exact() {
    let lab = Lab::new();
    let server = lab.start(Scenario::new().auth(known()).mail(Mail::new()));
    let (run, doc) = lab.check(&server, PASSWORD, &["--send-to", "bob@example.org"]);
    assert_eq!(run.code, 0, "{doc:#}");
    let send = &doc["send"];
    assert_eq!(send["outcome"], "accepted", "{doc:#}");
    assert_eq!(send["queue_id"], "4TESTQUEUE1");
    assert_eq!(send["from"], USER);
    assert_eq!(send["to"], "bob@example.org");
    let commands: Vec<&Value> = send["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["command"])
        .collect();
    assert_eq!(commands, ["mail_from", "rcpt_to", "data", "end_of_data"]);
    let f = assert_finding(&doc, "send.ok");
    assert!(
        f["advice"].as_str().unwrap().contains("4TESTQUEUE1"),
        "{f:#}"
    );

    let messages: Vec<_> = server
        .sessions()
        .into_iter()
        .flat_map(|s| s.messages)
        .collect();
    assert_eq!(messages.len(), 1);
    let got = &messages[0];
    assert!(got.complete && got.tls, "{got:?}");
    assert_eq!(got.mail_from, USER);
    assert_eq!(got.rcpt_to, ["bob@example.org"]);
    // Rebuild the message from what the report says (Message-ID, date, the server).
    let date = OffsetDateTime::parse(send["date"].as_str().unwrap(), &Rfc3339).unwrap();
    let expected = TestMessage::with_id(
        USER,
        "bob@example.org",
        &format!("127.0.0.1:{}", server.port()),
        date,
        send["message_id"].as_str().unwrap(),
    )
    .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&got.content),
        String::from_utf8_lossy(&expected.to_bytes())
    );
    // The body's dot line went out doubled and came back single: the server's own
    // un-stuffing agrees with ours.
    let line = smtp_doctor::smtp::message::DOT_LINE;
    let content = String::from_utf8_lossy(&got.content);
    assert!(content.contains(&format!("\r\n{line}\r\n")), "{content}");
    let raw = String::from_utf8_lossy(&got.raw);
    assert!(raw.contains(&format!("\r\n.{line}\r\n")), "{raw}");
    assert_eq!(got.raw, expected.data());
    assert_eq!(got.raw, dot_stuff(&got.content));
    assert_eq!(send["size"], got.raw.len());
    assert!(got.raw.ends_with(b"\r\n.\r\n"));
}

#[test]
fn send_refusals_map_to_causes() {
    let lab = Lab::new();
    let cases: [(Mail, &str, &str, &str); 4] = [
        (
            Mail::new().mail_reply(
                550,
                &["5.7.60 SMTP; Client does not have permissions to send as this sender"],
            ),
            "send.rejected",
            "mail_from",
            "Send As",
        ),
        (
            Mail::new().rcpt_reply(554, &["5.7.1 <bob@example.org>: Relay access denied"]),
            "send.rejected",
            "rcpt_to",
            "authenticates",
        ),
        (
            Mail::new().final_reply(
                554,
                &["Message rejected: Email address is not verified. The following identities failed the check in region EU-WEST-1: alice@mail.test"],
            ),
            "send.rejected",
            "end_of_data",
            "production access",
        ),
        (
            Mail::new().rcpt_reply(451, &["4.7.1 Sending rate limit exceeded, try again later"]),
            "send.temporary_failure",
            "rcpt_to",
            "Wait",
        ),
    ];
    for (mail, id, step, advice) in cases {
        let server = lab.start(Scenario::new().auth(known()).mail(mail));
        let (run, doc) = lab.check(&server, PASSWORD, &["--send-to", "bob@example.org"]);
        assert_eq!(run.code, 1, "{doc:#}");
        let steps = doc["send"]["steps"].as_array().unwrap();
        assert_eq!(steps.last().unwrap()["command"], step, "{doc:#}");
        let f = assert_finding(&doc, id);
        assert!(f["advice"].as_str().unwrap().contains(advice), "{f:#}");
        assert_eq!(doc["send"]["advice"], f["advice"]);
        // AUTH itself worked.
        assert_finding(&doc, "auth.ok");
    }
}

#[test]
fn no_message_without_a_successful_auth() {
    let lab = Lab::new();
    let server = lab.start(Scenario::new().auth(known()).mail(Mail::new()));
    let (run, doc) = lab.check(&server, WRONG, &["--send-to", "bob@example.org"]);
    assert_eq!(run.code, 1, "{doc:#}");
    assert_eq!(doc["send"]["outcome"], "skipped", "{doc:#}");
    assert!(!verbs(&server).iter().any(|v| v == "MAIL"));
    assert!(finding(&doc, "send.ok").is_none() && finding(&doc, "send.rejected").is_none());
}

#[test]
fn from_defaults_to_the_user_and_can_be_set() {
    let lab = Lab::new();
    let server = lab.start(Scenario::new().auth(known()).mail(Mail::new()));
    let (run, doc) = lab.check(
        &server,
        PASSWORD,
        &["--send-to", "bob@example.org", "--from", "sales@mail.test"],
    );
    assert_eq!(run.code, 0, "{doc:#}");
    let messages: Vec<_> = server
        .sessions()
        .into_iter()
        .flat_map(|s| s.messages)
        .collect();
    assert_eq!(messages[0].mail_from, "sales@mail.test");
}

fn write_secret(dir: &Path, mode: u32, text: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let path = dir.join(format!("secret-{mode:o}"));
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

#[test]
fn secrets_come_from_a_file_or_standard_input() {
    let lab = Lab::new();
    let dir = tempfile::tempdir().unwrap();
    let server = lab.server(known());
    let target = format!("127.0.0.1:{}", server.port());

    let private = write_secret(dir.path(), 0o600, &format!("{PASSWORD}\n"));
    let args = lab.args(
        &target,
        &["--json", "--password-file", private.to_str().unwrap()],
    );
    let out = run(&args, &[], None);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.is_empty(), "{}", out.stderr);

    // Readable by everyone: used, with a warning on stderr (stdout stays JSON).
    let open = write_secret(dir.path(), 0o644, &format!("{PASSWORD}\r\nsecond line\n"));
    let args = lab.args(
        &target,
        &["--json", "--password-file", open.to_str().unwrap()],
    );
    let out = run(&args, &[], None);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("readable by every user"),
        "{}",
        out.stderr
    );
    assert_eq!(attempt(&out.json())["outcome"], "authenticated");

    let args = lab.args(&target, &["--json", "--password-stdin"]);
    let out = run(&args, &[], Some(&format!("{PASSWORD}\n")));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);

    let args = lab.args(&target, &["--json", "--oauth-token-stdin"]);
    let out = run(&args, &[], Some(TOKEN));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(attempt(&out.json())["mechanism"], "XOAUTH2");
}

#[test]
fn usage_errors_name_the_problem_not_the_secret() {
    let lab = Lab::new();
    let target = "127.0.0.1:9";
    type Envs<'a> = &'a [(&'a str, &'a str)];
    let cases: [(Vec<String>, Envs, &str); 7] = [
        // No source and no terminal to ask on.
        (lab.args(target, &[]), &[], "not a terminal"),
        (
            lab.args(target, &["--password-env", "SMTP_DOCTOR_TEST_UNSET_VAR"]),
            &[],
            "SMTP_DOCTOR_TEST_UNSET_VAR is not set",
        ),
        (
            lab.args(target, &["--password-env", ENV, "--password-stdin"]),
            &[(ENV, PASSWORD)],
            "cannot be used with",
        ),
        (
            lab.args(target, &["--password-env", ENV, "--auth-mech", "XOAUTH2"]),
            &[(ENV, PASSWORD)],
            "needs an OAuth 2 token",
        ),
        (
            lab.args(target, &["--password-env", ENV, "--auth-mech", "NTLM"]),
            &[(ENV, PASSWORD)],
            "unknown mechanism",
        ),
        (
            lab.args(
                target,
                &["--password-env", ENV, "--send-to", "not an address"],
            ),
            &[(ENV, PASSWORD)],
            "invalid --send-to",
        ),
        (
            lab.args(target, &["--password-env", ENV, "--from", "a@b.example"]),
            &[(ENV, PASSWORD)],
            "--send-to",
        ),
    ];
    for (args, envs, words) in cases {
        let out = run(&args, envs, None);
        assert_eq!(out.code, 2, "{args:?}: {}{}", out.stdout, out.stderr);
        assert!(out.stderr.contains(words), "{args:?}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{}", out.stdout);
    }
    // A non-address user needs --from for a test message.
    let mut args = lab.args(
        target,
        &["--password-env", ENV, "--send-to", "b@example.org"],
    );
    let at = args.iter().position(|a| a == USER).unwrap();
    args[at] = "alice".to_string();
    let out = run(&args, &[(ENV, PASSWORD)], None);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("--from"), "{}", out.stderr);
    // A secret flag without --user.
    let out = run(
        &[
            "check".to_string(),
            target.to_string(),
            "--password-env".to_string(),
            ENV.to_string(),
        ],
        &[(ENV, PASSWORD)],
        None,
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("--user"), "{}", out.stderr);
}

/// With a provider preset, AUTH goes to its recommended port (Gmail: 465, although 587 was
/// probed first) and the refusal is explained from the preset's known replies.
#[test]
fn a_preset_picks_the_port_and_explains_the_reply() {
    let lab = Lab::new();
    let leaf = lab.ca.leaf(&["smtp.gmail.com"], Validity::Good);
    let gmail = [
        "5.7.9 Application-specific password required. Learn more at",
        "5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor - gsmtp",
    ];
    let auth = || known().reject_all(534, &gmail);
    let submission = TestServer::start(Scenario::new().identity(leaf.clone()).auth(auth()));
    let implicit = TestServer::start(Scenario::new().identity(leaf).implicit_tls().auth(auth()));
    // The machine's resolver is never asked: the test DNS server knows the name.
    let dns = TestDns::new().a("smtp.gmail.com", "127.0.0.1");
    let resolver = dns.addr().to_string();
    let ca = lab.ca_file.display().to_string();
    let map_587 = format!("587={}", submission.port());
    let map_465 = format!("465={}", implicit.port());
    let args: Vec<String> = [
        "check",
        "smtp.gmail.com",
        "--host",
        "--resolver",
        &resolver,
        "--ca-file",
        &ca,
        "-p",
        "587,465",
        "--port-map",
        &map_587,
        "--port-map",
        &map_465,
        "--connect-timeout",
        "2s",
        "--timeout",
        "5s",
        "--json",
        "--user",
        USER,
        "--password-env",
        ENV,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let out = run(&args, &[(ENV, PASSWORD)], None);
    let doc = out.json();
    assert_eq!(doc["provider"]["id"], "gmail", "{doc:#}");
    let a = attempt(&doc);
    assert_eq!(a["port"], 465, "{doc:#}");
    assert_eq!(a["outcome"], "rejected");
    assert_eq!(a["source"], "Gmail / Google Workspace", "{doc:#}");
    let f = assert_finding(&doc, "auth.failed");
    assert_eq!(f["advice"], a["advice"]);
    assert!(
        f["advice"].as_str().unwrap().contains("app password"),
        "{f:#}"
    );
    assert_eq!(auth_attempts(&[&submission]), 0);
    assert_eq!(auth_attempts(&[&implicit]), 1);
}

/// The reply to the end of the content may take longer than one step (RFC 5321 allows a
/// server ten minutes to scan the message): it is awaited until the run's deadline.
#[test]
fn a_slow_final_reply_is_awaited_beyond_the_step_timeout() {
    let lab = Lab::new();
    let server = lab.start(
        Scenario::new()
            .auth(known())
            .mail(Mail::new().final_delay(std::time::Duration::from_millis(1500))),
    );
    let target = format!("127.0.0.1:{}", server.port());
    let mut args = lab.args(
        &target,
        &[
            "--json",
            "--password-env",
            ENV,
            "--send-to",
            "bob@example.org",
            "--max-time",
            "20s",
        ],
    );
    // One step may take 1 s here; the content scan takes 1.5 s.
    let at = args
        .iter()
        .position(|a| a == "--timeout")
        .expect("--timeout");
    args[at + 1] = "1s".to_string();
    let run = run(&args, &[(ENV, PASSWORD)], None);
    let doc = run.json();
    assert_eq!(doc["send"]["outcome"], "accepted", "{doc:#}");
    assert_eq!(run.code, 0, "{doc:#}");
}
