//! MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) of a mail domain, end to end: the in-process test
//! DNS serves the TXT records and points `mta-sts.example.test` and the MX host at 127.0.0.1,
//! an HTTPS test server (OpenSSL, a certificate from the test CA given with `--ca-file`) serves
//! the policy, reached with `--port-map 443=PORT`, and an SMTP test server plays the MX host
//! on `--port-map 25=PORT`. Each test asserts finding ids, severities and JSON fields.

use std::path::PathBuf;

use serde_json::Value;
use tempfile::TempDir;

use crate::support::dns::TestDns;
use crate::support::https::{HttpsServer, OpensslWww, Reply};
use crate::support::pki::{Leaf, TestCa, Validity};
use crate::support::server::{Scenario, TestServer};
use crate::support::{assert_finding, assert_no_finding, finding, finding_ids, run_check};

const DOMAIN: &str = "example.test";
const POLICY_HOST: &str = "mta-sts.example.test";
const MX: &str = "mx1.example.test";
const STS_RECORD: &str = "v=STSv1; id=20260101T000000";
const RPT_RECORD: &str = "v=TLSRPTv1; rua=mailto:tlsrpt@example.test";
const GOOD_POLICY: &str = "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.test\r\nmx: *.backup.example.test\r\nmax_age: 604800\r\n";

/// The test CA, written to a temporary `--ca-file`.
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

    fn leaf(&self, names: &[&str]) -> Leaf {
        self.ca.leaf(names, Validity::Good)
    }

    /// The MX host: STARTTLS with a certificate for `names`.
    fn mx(&self, names: &[&str]) -> TestServer {
        TestServer::start(
            Scenario::new()
                .identity(self.leaf(names))
                .greeting(220, &["mx1.example.test ESMTP"])
                .ehlo_domain(MX),
        )
    }

    /// The policy host serving `reply` with a certificate for `names`.
    fn policy_host(&self, names: &[&str], reply: Reply) -> HttpsServer {
        HttpsServer::start(&self.leaf(names), reply)
    }
}

/// The domain's DNS: one MX host and the policy host on 127.0.0.1, plus `txt` records as
/// (name, text).
fn dns(txt: &[(&str, &str)]) -> TestDns {
    let dns = TestDns::new()
        .mx(DOMAIN, 10, MX)
        .a(MX, "127.0.0.1")
        .a(POLICY_HOST, "127.0.0.1");
    txt.iter()
        .fold(dns, |dns, (name, text)| dns.txt(name, text))
}

fn sts_name() -> String {
    format!("_mta-sts.{DOMAIN}")
}

fn rpt_name() -> String {
    format!("_smtp._tls.{DOMAIN}")
}

/// The arguments of `check example.test --inbound` with the MX on `mx_port` and the policy
/// host on `https_port` (3 s `--timeout` unless `extra` sets one), without an output flag.
fn args(pki: &Pki, dns: &TestDns, mx_port: u16, https_port: u16, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "check",
        DOMAIN,
        "--inbound",
        "--resolver",
        &dns.addr().to_string(),
        "--ca-file",
        &pki.ca_file.display().to_string(),
        "--connect-timeout",
        "1s",
        "--port-map",
        &format!("25={mx_port}"),
        "--port-map",
        &format!("443={https_port}"),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    if !extra.contains(&"--timeout") {
        args.extend(["--timeout".to_string(), "3s".to_string()]);
    }
    args
}

/// `check example.test --inbound --json` with the MX on `mx_port` and the policy host on
/// `https_port`.
fn check(pki: &Pki, dns: &TestDns, mx_port: u16, https_port: u16, extra: &[&str]) -> (i32, Value) {
    let mut args = args(pki, dns, mx_port, https_port, extra);
    args.push("--json".to_string());
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, doc, stderr) = run_check(&refs);
    if std::env::var_os("SMTP_DOCTOR_TEST_DUMP").is_some() {
        eprintln!("exit {code}\n{doc:#}\nstderr: {stderr}");
    }
    (code, doc)
}

fn severity<'a>(doc: &'a Value, id: &str) -> &'a str {
    finding(doc, id)
        .and_then(|f| f["severity"].as_str())
        .unwrap_or("")
}

fn errors(doc: &Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| f["id"].as_str().unwrap_or("").to_string())
        .collect()
}

/// A port on 127.0.0.1 where nothing listens (bound, then closed).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    port
}

#[test]
fn a_good_enforce_policy_with_a_matching_mx_has_no_errors() {
    let pki = Pki::new();
    let mx = pki.mx(&[MX]);
    let web = pki.policy_host(&[POLICY_HOST], Reply::policy(GOOD_POLICY));
    let dns = dns(&[(&sts_name(), STS_RECORD), (&rpt_name(), RPT_RECORD)]);
    let (code, doc) = check(&pki, &dns, mx.port(), web.port(), &[]);

    assert_eq!(
        errors(&doc),
        Vec::<String>::new(),
        "{:?}",
        finding_ids(&doc)
    );
    assert_eq!(code, 0);
    assert_finding(&doc, "mta_sts.ok");
    assert_finding(&doc, "tls_rpt.ok");
    assert_no_finding(&doc, "mta_sts.absent");
    let sts = &doc["domain"]["mta_sts"];
    assert_eq!(sts["txt"]["name"], "_mta-sts.example.test");
    assert_eq!(sts["records"][0]["id"], "20260101T000000");
    assert_eq!(sts["records"][0]["valid"], true);
    let fetch = &sts["fetch"];
    assert_eq!(
        fetch["url"],
        "https://mta-sts.example.test/.well-known/mta-sts.txt"
    );
    assert_eq!(fetch["status"], 200);
    assert_eq!(fetch["ip"], "127.0.0.1");
    assert_eq!(fetch["port"], web.port());
    assert_eq!(fetch["content_type"], "text/plain; charset=utf-8");
    assert_eq!(fetch["text_plain"], true);
    assert_eq!(fetch["body_bytes"], GOOD_POLICY.len());
    assert_eq!(fetch["error"], Value::Null);
    assert_eq!(fetch["tls"]["verification"]["trusted"], true);
    assert_eq!(fetch["tls"]["verification"]["hostname_match"], true);
    assert!(fetch["timings_ms"]["total"].as_u64().is_some());
    let policy = &sts["policy"];
    assert_eq!(policy["mode"], "enforce");
    assert_eq!(policy["max_age"], 604_800);
    assert_eq!(policy["mx"][1], "*.backup.example.test");
    assert_eq!(policy["valid"], true);
    assert_eq!(sts["mx"][0]["host"], MX);
    assert_eq!(sts["mx"][0]["matches"], true);
    assert_eq!(sts["mx"][0]["pattern"], MX);
    assert_eq!(sts["mx"][0]["tls"][0]["result"], "valid");
    let rpt = &doc["domain"]["tls_rpt"];
    assert_eq!(rpt["records"][0]["rua"][0], "mailto:tlsrpt@example.test");
    assert_eq!(rpt["records"][0]["valid"], true);

    // The request a sender makes: the well-known path, the policy host as Host.
    let requests = web.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert!(requests[0].starts_with("GET /.well-known/mta-sts.txt HTTP/1.1\r\n"));
    assert!(
        requests[0]
            .to_ascii_lowercase()
            .contains("host: mta-sts.example.test\r\n")
    );
    // The look-ups are in the run's DNS log.
    let queries = doc["dns"]["queries"].as_array().expect("queries");
    for (name, kind) in [
        ("_mta-sts.example.test", "TXT"),
        ("_smtp._tls.example.test", "TXT"),
        (POLICY_HOST, "A"),
    ] {
        assert!(
            queries
                .iter()
                .any(|q| q["name"] == name && q["type"] == kind),
            "{name} {kind}"
        );
    }
}

/// The same good case against OpenSSL's own web server (`openssl s_server -WWW`), which
/// answers in HTTP/1.0 with `Content-type: text/plain` and ends the body by closing.
#[test]
fn a_policy_from_openssl_s_server_is_read() {
    let pki = Pki::new();
    let mx = pki.mx(&[MX]);
    let web = OpensslWww::start(&pki.leaf(&[POLICY_HOST]), GOOD_POLICY);
    let dns = dns(&[(&sts_name(), STS_RECORD), (&rpt_name(), RPT_RECORD)]);
    let (code, doc) = check(&pki, &dns, mx.port(), web.port(), &[]);

    assert_eq!(
        errors(&doc),
        Vec::<String>::new(),
        "{:?}",
        finding_ids(&doc)
    );
    assert_eq!(code, 0);
    assert_finding(&doc, "mta_sts.ok");
    let fetch = &doc["domain"]["mta_sts"]["fetch"];
    assert_eq!(fetch["status"], 200);
    assert_eq!(fetch["content_type"], "text/plain");
    assert_eq!(fetch["body_bytes"], GOOD_POLICY.len());
    assert_eq!(doc["domain"]["mta_sts"]["policy"]["mode"], "enforce");
    assert_eq!(doc["domain"]["mta_sts"]["mx"][0]["matches"], true);
}

/// OpenSSL's web server with a certificate for another name: the policy is read, and refused.
#[test]
fn openssl_s_server_on_a_certificate_for_another_name() {
    let pki = Pki::new();
    let mx = pki.mx(&[MX]);
    let web = OpensslWww::start(&pki.leaf(&["www.example.test"]), GOOD_POLICY);
    let dns = dns(&[(&sts_name(), STS_RECORD)]);
    let (code, doc) = check(&pki, &dns, mx.port(), web.port(), &[]);

    assert_eq!(severity(&doc, "mta_sts.policy_certificate"), "error");
    assert_eq!(code, 1);
    let verification = &doc["domain"]["mta_sts"]["fetch"]["tls"]["verification"];
    assert_eq!(verification["hostname_match"], false);
    assert_eq!(verification["checked_name"], POLICY_HOST);
}

/// `check DOMAIN --inbound` as a table (no colour), port 25 mapped to `mx` and 443 to `web`.
fn table_run(pki: &Pki, dns: &TestDns, mx: &TestServer, web: &HttpsServer) -> crate::support::Run {
    let args = args(pki, dns, mx.port(), web.port(), &["--color", "never"]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    crate::support::run_raw(&refs, &[])
}

/// The table of a broken policy (HTML on a wrong-name certificate, a TLS-RPT address without a
/// scheme, an MX certificate for another name) says each problem where a person reads it.
#[test]
fn the_table_of_a_broken_policy_says_what_is_wrong() {
    let pki = Pki::new();
    let mx = pki.mx(&["other.example.test"]);
    let html = "<html><body>It works!</body></html>\nmx: mx1.example.test\n";
    let reply = Reply::new(200, "OK", html.as_bytes().to_vec()).header("Content-Type", "text/html");
    let web = pki.policy_host(&["www.example.test"], reply);
    let dns = dns(&[
        (&sts_name(), STS_RECORD),
        (&rpt_name(), "v=TLSRPTv1; rua=tlsrpt@example.test"),
    ]);
    let run = table_run(&pki, &dns, &mx, &web);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    // Long values wrap onto indented lines: compare with white space collapsed.
    let text = &run.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    for expected in [
        "HTTP 200, text/html, 57 bytes",
        "certificate not valid for mta-sts.example.test (it names www.example.test)",
        "problem line 1: `<html><body>It works!</body></html>` is not `key: value`",
        "problem it has no `version` line",
        "MX mx1.example.test: matches mx1.example.test, 127.0.0.1 invalid: not valid for mx1.example.test (it names other.example.test)",
        "(invalid: `tlsrpt@example.test` is neither a mailto: nor an https: address)",
        "✗ mta_sts.policy_certificate:",
        "✗ mta_sts.policy_content_type:",
        "✗ mta_sts.policy_invalid:",
        "! tls_rpt.invalid:",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} not in:\n{}",
            run.stdout
        );
    }
}

#[test]
fn the_table_has_one_block_per_policy() {
    let pki = Pki::new();
    let mx = pki.mx(&[MX]);
    let web = pki.policy_host(&[POLICY_HOST], Reply::policy(GOOD_POLICY));
    let dns = dns(&[(&sts_name(), STS_RECORD), (&rpt_name(), RPT_RECORD)]);
    let run = table_run(&pki, &dns, &mx, &web);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    // Long values wrap onto indented lines: compare with white space collapsed.
    let text = &run.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        text.contains("MTA-STS (RFC 8461): _mta-sts.example.test"),
        "{text}"
    );
    assert!(
        text.contains("v=STSv1; id=20260101T000000 (valid)"),
        "{text}"
    );
    assert!(
        text.contains("HTTP 200, text/plain; charset=utf-8"),
        "{text}"
    );
    assert!(
        text.contains("certificate valid for mta-sts.example.test"),
        "{text}"
    );
    assert!(
        text.contains("mode enforce, max_age 604800 s (7 days)"),
        "{text}"
    );
    assert!(
        text.contains("mx1.example.test: matches mx1.example.test"),
        "{text}"
    );
    assert!(
        text.contains("TLS-RPT (RFC 8460): _smtp._tls.example.test"),
        "{text}"
    );
    assert!(text.contains("mailto:tlsrpt@example.test"), "{text}");
}

#[test]
fn two_sts_records_are_an_error() {
    let pki = Pki::new();
    let mx = pki.mx(&[MX]);
    let web = pki.policy_host(&[POLICY_HOST], Reply::policy(GOOD_POLICY));
    let dns = dns(&[
        (&sts_name(), STS_RECORD),
        (&sts_name(), "v=STSv1; id=20260202T000000"),
        (&sts_name(), "v=spf1 -all"),
        (&rpt_name(), RPT_RECORD),
    ]);
    let (code, doc) = check(&pki, &dns, mx.port(), web.port(), &[]);

    assert_eq!(severity(&doc, "mta_sts.record_multiple"), "error");
    assert_eq!(code, 1);
    // Only the two STS records count; the SPF-like one is not theirs.
    let sts = &doc["domain"]["mta_sts"];
    assert_eq!(sts["records"].as_array().map(Vec::len), Some(2));
    assert_eq!(sts["txt"]["answer"].as_array().map(Vec::len), Some(3));
    // Senders have no policy then: the MX is judged, but not as an enforced policy's.
    assert_no_finding(&doc, "mta_sts.ok");
}

#[test]
fn an_invalid_sts_record_is_an_error() {
    let pki = Pki::new();
    let mx = pki.mx(&[MX]);
    let web = pki.policy_host(&[POLICY_HOST], Reply::policy(GOOD_POLICY));
    let dns = dns(&[(&sts_name(), "v=STSv1; id=2026-01-01")]);
    let (code, doc) = check(&pki, &dns, mx.port(), web.port(), &[]);

    assert_eq!(severity(&doc, "mta_sts.record_invalid"), "error");
    assert_eq!(code, 1);
    let record = &doc["domain"]["mta_sts"]["records"][0];
    assert_eq!(record["valid"], false);
    assert!(
        record["problems"][0]
            .as_str()
            .unwrap_or("")
            .contains("1 to 32")
    );
}

#[test]
fn a_policy_served_as_html_is_rejected() {
    let pki = Pki::new();
    let mx = pki.mx(&[MX]);
    let html = "<html><body><h1>Welcome to nginx!</h1></body></html>";
    let reply = Reply::new(200, "OK", html.as_bytes().to_vec()).header("Content-Type", "text/html");
    let web = pki.policy_host(&[POLICY_HOST], reply);
    let dns = dns(&[(&sts_name(), STS_RECORD)]);
    let (code, doc) = check(&pki, &dns, mx.port(), web.port(), &[]);

    assert_eq!(severity(&doc, "mta_sts.policy_content_type"), "error");
    assert_eq!(code, 1);
    let fetch = &doc["domain"]["mta_sts"]["fetch"];
    assert_eq!(fetch["content_type"], "text/html");
    assert_eq!(fetch["text_plain"], false);
    // An HTML page is no policy either, and the message says which line.
    assert_finding(&doc, "mta_sts.policy_invalid");
    assert_eq!(doc["domain"]["mta_sts"]["policy"]["problems"][0]["line"], 1);
    assert_no_finding(&doc, "mta_sts.ok");
}

#[test]
fn a_policy_past_the_size_bound_is_not_read_further() {
    let pki = Pki::new();
    let mx = pki.mx(&[MX]);
    // 200 KiB without a Content-Length: the bound must hold while streaming.
    let mut body = GOOD_POLICY.as_bytes().to_vec();
    body.resize(200 * 1024, b'#');
    let reply = Reply::new(200, "OK", body)
        .header("Content-Type", "text/plain")
        .without_length();
    let web = pki.policy_host(&[POLICY_HOST], reply);
    let dns = dns(&[(&sts_name(), STS_RECORD)]);
    let (code, doc) = check(&pki, &dns, mx.port(), web.port(), &[]);

    assert_eq!(severity(&doc, "mta_sts.policy_too_large"), "error");
    assert_eq!(code, 1);
    let fetch = &doc["domain"]["mta_sts"]["fetch"];
    assert_eq!(fetch["too_large"], true);
    let read = fetch["body_bytes"].as_u64().unwrap_or(0);
    assert!(read > 64 * 1024 && read < 200 * 1024, "{read}");
    assert_eq!(doc["domain"]["mta_sts"]["policy"], Value::Null);
}

#[test]
fn a_policy_on_a_certificate_for_another_name_is_rejected() {
    let pki = Pki::new();
    let mx = pki.mx(&[MX]);
    let web = pki.policy_host(&["www.example.test"], Reply::policy(GOOD_POLICY));
    let dns = dns(&[(&sts_name(), STS_RECORD)]);
    let (code, doc) = check(&pki, &dns, mx.port(), web.port(), &[]);

    let f = finding(&doc, "mta_sts.policy_certificate").expect("mta_sts.policy_certificate");
    assert_eq!(f["severity"], "error");
    assert!(
        f["message"]
            .as_str()
            .unwrap_or("")
            .contains("www.example.test"),
        "{f}"
    );
    assert_eq!(code, 1);
    let verification = &doc["domain"]["mta_sts"]["fetch"]["tls"]["verification"];
    assert_eq!(verification["trusted"], true);
    assert_eq!(verification["hostname_match"], false);
    // Senders ignore such a policy, so the MX is not held to it: not mta_sts.ok either.
    assert_no_finding(&doc, "mta_sts.ok");
}

#[test]
fn enforce_with_an_mx_outside_the_patterns_is_an_error() {
    let pki = Pki::new();
    let mx = pki.mx(&[MX]);
    let policy = "version: STSv1\nmode: enforce\nmx: mail.example.test\nmx: *.example.net\nmax_age: 604800\n";
    let web = pki.policy_host(&[POLICY_HOST], Reply::policy(policy));
    let dns = dns(&[(&sts_name(), STS_RECORD), (&rpt_name(), RPT_RECORD)]);
    let (code, doc) = check(&pki, &dns, mx.port(), web.port(), &[]);

    let f = finding(&doc, "mta_sts.mx_not_covered").expect("mta_sts.mx_not_covered");
    assert_eq!(f["severity"], "error");
    assert!(f["message"].as_str().unwrap_or("").contains(MX), "{f}");
    assert!(
        f["advice"]
            .as_str()
            .unwrap_or("")
            .contains("mx: mx1.example.test"),
        "{f}"
    );
    assert_eq!(code, 1);
    let check = &doc["domain"]["mta_sts"]["mx"][0];
    assert_eq!(check["matches"], false);
    assert_eq!(check["pattern"], Value::Null);
    // The certificate itself is fine.
    assert_eq!(check["tls"][0]["result"], "valid");
    assert_no_finding(&doc, "mta_sts.mx_certificate");
}

#[test]
fn testing_mode_with_an_mx_outside_the_patterns_is_a_warning() {
    let pki = Pki::new();
    let mx = pki.mx(&[MX]);
    let policy = "version: STSv1\nmode: testing\nmx: mail.example.test\nmax_age: 604800\n";
    let web = pki.policy_host(&[POLICY_HOST], Reply::policy(policy));
    let dns = dns(&[(&sts_name(), STS_RECORD), (&rpt_name(), RPT_RECORD)]);
    let (code, doc) = check(&pki, &dns, mx.port(), web.port(), &[]);

    assert_eq!(severity(&doc, "mta_sts.mx_not_covered"), "warning");
    assert_eq!(severity(&doc, "mta_sts.mode_testing"), "info");
    assert_eq!(code, 0, "{:?}", finding_ids(&doc));
}

#[test]
fn enforce_with_an_mx_certificate_for_another_name_is_an_error() {
    let pki = Pki::new();
    let mx = pki.mx(&["other.example.test"]);
    let web = pki.policy_host(&[POLICY_HOST], Reply::policy(GOOD_POLICY));
    let dns = dns(&[(&sts_name(), STS_RECORD), (&rpt_name(), RPT_RECORD)]);
    let (code, doc) = check(&pki, &dns, mx.port(), web.port(), &[]);

    let f = finding(&doc, "mta_sts.mx_certificate").expect("mta_sts.mx_certificate");
    assert_eq!(f["severity"], "error");
    assert_eq!(code, 1);
    let check = &doc["domain"]["mta_sts"]["mx"][0];
    assert_eq!(check["matches"], true);
    assert_eq!(check["tls"][0]["result"], "invalid");
    assert_no_finding(&doc, "mta_sts.ok");
}

#[test]
fn a_redirect_is_not_followed() {
    let pki = Pki::new();
    let mx = pki.mx(&[MX]);
    let reply = Reply::new(301, "Moved Permanently", Vec::new()).header(
        "Location",
        "https://www.example.test/.well-known/mta-sts.txt",
    );
    let web = pki.policy_host(&[POLICY_HOST], reply);
    let dns = dns(&[(&sts_name(), STS_RECORD)]);
    let (code, doc) = check(&pki, &dns, mx.port(), web.port(), &[]);

    assert_eq!(severity(&doc, "mta_sts.policy_redirect"), "error");
    assert_eq!(code, 1);
    let fetch = &doc["domain"]["mta_sts"]["fetch"];
    assert_eq!(fetch["status"], 301);
    assert_eq!(
        fetch["location"],
        "https://www.example.test/.well-known/mta-sts.txt"
    );
    // One request, to the policy host only.
    assert_eq!(web.requests().len(), 1);
    assert_eq!(doc["domain"]["mta_sts"]["policy"], Value::Null);
}

#[test]
fn a_not_found_policy_is_an_error() {
    let pki = Pki::new();
    let mx = pki.mx(&[MX]);
    let reply =
        Reply::new(404, "Not Found", b"not found".to_vec()).header("Content-Type", "text/plain");
    let web = pki.policy_host(&[POLICY_HOST], reply);
    let dns = dns(&[(&sts_name(), STS_RECORD)]);
    let (code, doc) = check(&pki, &dns, mx.port(), web.port(), &[]);

    assert_eq!(severity(&doc, "mta_sts.policy_status"), "error");
    assert_eq!(doc["domain"]["mta_sts"]["fetch"]["status"], 404);
    assert_eq!(code, 1);
}

#[test]
fn a_record_without_a_policy_host_is_an_error() {
    let pki = Pki::new();
    let mx = pki.mx(&[MX]);
    let dns = dns(&[(&sts_name(), STS_RECORD)]);
    // mta-sts.example.test resolves, but nothing listens where 443 is mapped.
    let (code, doc) = check(&pki, &dns, mx.port(), closed_port(), &[]);

    let f = finding(&doc, "mta_sts.policy_unreachable").expect("mta_sts.policy_unreachable");
    assert_eq!(f["severity"], "error");
    assert_eq!(code, 1);
    let fetch = &doc["domain"]["mta_sts"]["fetch"];
    assert_eq!(fetch["error"]["phase"], "connect");
    assert_eq!(fetch["error"]["timed_out"], false);
    assert_eq!(fetch["status"], Value::Null);
}

#[test]
fn a_policy_host_that_never_answers_costs_one_timeout() {
    let pki = Pki::new();
    let mx = pki.mx(&[MX]);
    // The kernel completes the connection (backlog), nobody ever speaks TLS.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = silent.local_addr().expect("addr").port();
    let dns = dns(&[(&sts_name(), STS_RECORD)]);
    let (code, doc) = check(&pki, &dns, mx.port(), port, &["--timeout", "1s"]);

    assert_eq!(severity(&doc, "mta_sts.policy_unreachable"), "error");
    assert_eq!(code, 1);
    let fetch = &doc["domain"]["mta_sts"]["fetch"];
    assert_eq!(fetch["error"]["phase"], "tls");
    assert_eq!(fetch["error"]["timed_out"], true);
    assert!(fetch["timings_ms"]["connect"].as_u64().is_some());
    assert_eq!(fetch["timings_ms"]["tls"], Value::Null);
    drop(silent);
}

#[test]
fn a_record_whose_policy_host_does_not_resolve_is_an_error() {
    let pki = Pki::new();
    let mx = pki.mx(&[MX]);
    let dns = TestDns::new()
        .mx(DOMAIN, 10, MX)
        .a(MX, "127.0.0.1")
        .txt(&sts_name(), STS_RECORD);
    let (code, doc) = check(&pki, &dns, mx.port(), closed_port(), &[]);

    assert_eq!(severity(&doc, "mta_sts.policy_unreachable"), "error");
    assert_eq!(code, 1);
    let fetch = &doc["domain"]["mta_sts"]["fetch"];
    assert_eq!(fetch["error"]["phase"], "resolve");
    assert!(
        fetch["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("NXDOMAIN"),
        "{fetch}"
    );
}

#[test]
fn a_policy_with_a_syntax_error_names_the_line() {
    let pki = Pki::new();
    let mx = pki.mx(&[MX]);
    let policy = "version: STSv1\nmode: enforcing\nmx: mx1.example.test\nmax_age: 604800\n";
    let web = pki.policy_host(&[POLICY_HOST], Reply::policy(policy));
    let dns = dns(&[(&sts_name(), STS_RECORD)]);
    let (code, doc) = check(&pki, &dns, mx.port(), web.port(), &[]);

    let f = finding(&doc, "mta_sts.policy_invalid").expect("mta_sts.policy_invalid");
    assert!(
        f["message"].as_str().unwrap_or("").contains("line 2"),
        "{f}"
    );
    assert_eq!(code, 1);
    let problems = &doc["domain"]["mta_sts"]["policy"]["problems"];
    assert_eq!(problems[0]["line"], 2);
    assert_eq!(doc["domain"]["mta_sts"]["policy"]["valid"], false);
}

#[test]
fn no_sts_record_means_no_fetch() {
    let pki = Pki::new();
    let mx = pki.mx(&[MX]);
    let web = pki.policy_host(&[POLICY_HOST], Reply::policy(GOOD_POLICY));
    let dns = dns(&[(&rpt_name(), RPT_RECORD)]);
    let (code, doc) = check(&pki, &dns, mx.port(), web.port(), &[]);

    assert_eq!(severity(&doc, "mta_sts.absent"), "info");
    assert_eq!(code, 0, "{:?}", finding_ids(&doc));
    assert_eq!(doc["domain"]["mta_sts"]["txt"]["error"], "nxdomain");
    assert_eq!(doc["domain"]["mta_sts"]["fetch"], Value::Null);
    assert!(web.requests().is_empty());
    assert_eq!(dns.queries(POLICY_HOST, "A"), 0);
}

#[test]
fn tls_rpt_good() {
    let pki = Pki::new();
    let mx = pki.mx(&[MX]);
    let record = "v=TLSRPTv1; rua=mailto:tlsrpt@example.test,https://reports.example.test/v1";
    let dns = dns(&[(&rpt_name(), record)]);
    let (code, doc) = check(&pki, &dns, mx.port(), closed_port(), &[]);

    assert_eq!(severity(&doc, "tls_rpt.ok"), "info");
    assert_no_finding(&doc, "tls_rpt.invalid");
    assert_no_finding(&doc, "tls_rpt.absent");
    assert_eq!(code, 0, "{:?}", finding_ids(&doc));
    let rua = &doc["domain"]["tls_rpt"]["records"][0]["rua"];
    assert_eq!(rua[0], "mailto:tlsrpt@example.test");
    assert_eq!(rua[1], "https://reports.example.test/v1");
}

#[test]
fn tls_rpt_bad() {
    let pki = Pki::new();
    let mx = pki.mx(&[MX]);
    let dns = dns(&[(&rpt_name(), "v=TLSRPTv1; rua=tlsrpt@example.test")]);
    let (code, doc) = check(&pki, &dns, mx.port(), closed_port(), &[]);

    let f = finding(&doc, "tls_rpt.invalid").expect("tls_rpt.invalid");
    assert_eq!(f["severity"], "warning");
    assert!(
        f["message"]
            .as_str()
            .unwrap_or("")
            .contains("neither a mailto: nor an https:"),
        "{f}"
    );
    assert_eq!(code, 0, "a warning only: {:?}", finding_ids(&doc));
    assert_eq!(doc["domain"]["tls_rpt"]["records"][0]["valid"], false);
}

#[test]
fn tls_rpt_two_records() {
    let pki = Pki::new();
    let mx = pki.mx(&[MX]);
    let dns = dns(&[
        (&rpt_name(), RPT_RECORD),
        (&rpt_name(), "v=TLSRPTv1; rua=mailto:b@example.test"),
    ]);
    let (_, doc) = check(&pki, &dns, mx.port(), closed_port(), &[]);

    assert_eq!(severity(&doc, "tls_rpt.multiple"), "warning");
    assert_no_finding(&doc, "tls_rpt.ok");
}

#[test]
fn tls_rpt_absent() {
    let pki = Pki::new();
    let mx = pki.mx(&[MX]);
    let dns = dns(&[]);
    let (code, doc) = check(&pki, &dns, mx.port(), closed_port(), &[]);

    assert_eq!(severity(&doc, "tls_rpt.absent"), "info");
    assert_eq!(severity(&doc, "mta_sts.absent"), "info");
    assert_eq!(code, 0, "{:?}", finding_ids(&doc));
    assert_eq!(doc["domain"]["tls_rpt"]["records"], serde_json::json!([]));
    assert_eq!(
        doc["domain"]["tls_rpt"]["txt"]["name"],
        "_smtp._tls.example.test"
    );
}

#[test]
fn a_typed_server_has_no_policies() {
    let pki = Pki::new();
    let mx = pki.mx(&[MX]);
    let dns = dns(&[(&sts_name(), STS_RECORD), (&rpt_name(), RPT_RECORD)]);
    let resolver = dns.addr().to_string();
    let ca = pki.ca_file.display().to_string();
    let port = format!("{MX}:{}", mx.port());
    let (_, doc, _) = run_check(&[
        "check",
        &port,
        "--resolver",
        &resolver,
        "--ca-file",
        &ca,
        "--timeout",
        "3s",
        "--json",
    ]);
    assert_eq!(doc["domain"], Value::Null);
    assert!(
        finding_ids(&doc)
            .iter()
            .all(|id| !id.starts_with("mta_sts.") && !id.starts_with("tls_rpt.")),
        "{:?}",
        finding_ids(&doc)
    );
    assert_eq!(dns.queries(&sts_name(), "TXT"), 0);
}
