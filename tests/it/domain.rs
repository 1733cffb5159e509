//! Domains and e-mail addresses: `smtp-doctor check example.test`, `check alice@example.test`,
//! `--inbound`, against the in-process test DNS server (always `--resolver`, never the
//! machine's resolver) and SMTP test servers on loopback.
//!
//! Test names resolve to 127.0.0.1 (or ::1, or `::ffff:127.0.0.x` where a test needs reverse
//! DNS of its own: hickory answers PTR for 127.0.0.0/8 and ::1 itself, with `localhost`, but an
//! IPv4-mapped IPv6 address is asked like any other and still reaches the loopback server).
//! Submission ports come from SRV records naming the test servers' ports, or from
//! `--port-map`; port 25 of an MX host is always `--port-map 25=PORT`.

use std::collections::HashSet;
use std::path::PathBuf;

use serde_json::Value;
use tempfile::TempDir;

use crate::support::dns::{Behaviour, TestDns};
use crate::support::pki::{TestCa, Validity};
use crate::support::server::{Scenario, TestServer};
use crate::support::{assert_finding, assert_no_finding, finding, finding_ids, run_check};

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

    /// A STARTTLS server greeting and saying EHLO as `name`, its certificate for `names`.
    fn starttls(&self, name: &str, names: &[&str]) -> TestServer {
        let leaf = self.ca.leaf(names, Validity::Good);
        let banner = format!("{name} ESMTP");
        TestServer::start(
            Scenario::new()
                .identity(leaf)
                .greeting(220, &[&banner])
                .ehlo_domain(name),
        )
    }

    /// An implicit-TLS server, otherwise like [`Pki::starttls`].
    fn implicit(&self, name: &str, names: &[&str]) -> TestServer {
        let leaf = self.ca.leaf(names, Validity::Good);
        let banner = format!("{name} ESMTP");
        TestServer::start(
            Scenario::new()
                .identity(leaf)
                .greeting(220, &[&banner])
                .ehlo_domain(name)
                .implicit_tls(),
        )
    }
}

/// Runs `check TARGET --json` against `dns` with short deadlines (`--timeout 2s` unless `extra`
/// has one) and the test CA, plus `extra`.
fn check(pki: &Pki, dns: &TestDns, target: &str, extra: &[&str]) -> (i32, Value) {
    let mut args: Vec<String> = [
        "check",
        target,
        "--resolver",
        &dns.addr().to_string(),
        "--ca-file",
        &pki.ca_file.display().to_string(),
        "--connect-timeout",
        "1s",
        "--json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if !extra.contains(&"--timeout") {
        args.extend(["--timeout".to_string(), "2s".to_string()]);
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, doc, stderr) = run_check(&refs);
    // For debugging: SMTP_DOCTOR_TEST_DUMP=1 cargo test --test it domain:: -- --nocapture
    if std::env::var_os("SMTP_DOCTOR_TEST_DUMP").is_some() {
        eprintln!("exit {code}\n{doc:#}\nstderr: {stderr}");
    }
    (code, doc)
}

fn endpoints(doc: &Value) -> &Vec<Value> {
    doc["endpoints"].as_array().expect("endpoints array")
}

/// (host, ip, port, role, source, state) of every endpoint, in report order.
fn summary(doc: &Value) -> Vec<(String, String, u64, String, String, String)> {
    endpoints(doc)
        .iter()
        .map(|e| {
            (
                e["host"].as_str().unwrap_or("").to_string(),
                e["ip"].as_str().unwrap_or("").to_string(),
                e["port"].as_u64().unwrap_or(0),
                e["role"].as_str().unwrap_or("-").to_string(),
                e["source"].as_str().unwrap_or("").to_string(),
                e["state"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn row(
    host: &str,
    ip: &str,
    port: u64,
    role: &str,
    source: &str,
    state: &str,
) -> (String, String, u64, String, String, String) {
    (
        host.into(),
        ip.into(),
        port,
        role.into(),
        source.into(),
        state.into(),
    )
}

/// Every (name, type) in the report's `dns` section appears once, and the test server saw no
/// question twice (a truncated answer asked again over TCP would show as two).
#[track_caller]
fn assert_each_query_once(doc: &Value, dns: &TestDns) {
    let queries = doc["dns"]["queries"].as_array().expect("dns.queries");
    let mut seen = HashSet::new();
    for q in queries {
        let key = (q["name"].to_string(), q["type"].to_string());
        assert!(seen.insert(key.clone()), "asked twice: {key:?}\n{doc:#}");
    }
    // The DNSSEC validation of the DANE look-ups asks for NS, DS and DNSKEY records on its own
    // (hickory's validator, which does not cache those); the run itself never asks them.
    let received: Vec<(String, String)> = dns
        .received()
        .into_iter()
        .filter(|(_, t)| !matches!(t.as_str(), "NS" | "DS" | "DNSKEY"))
        .collect();
    let unique: HashSet<_> = received.iter().collect();
    assert_eq!(
        unique.len(),
        received.len(),
        "server saw repeats: {received:?}"
    );
}

/// The test DNS stands in for the root without signing it, like a DNS server that strips
/// DNSSEC: nothing validates, not even the root's own denial, so DANE is "not checked"
/// (information, said once for the run, naming both MX hosts), never a bogus zone.
fn assert_dane_not_checked(doc: &Value) {
    assert_eq!(doc["domain"]["dane"]["path_dnssec"], "bogus", "{doc:#}");
    assert_eq!(doc["domain"]["dane"]["hosts"][0]["status"], "unvalidated");
    assert_no_finding(doc, "dane.bogus");
    let unvalidated = finding(doc, "dane.unvalidated").expect("dane.unvalidated");
    assert_eq!(unvalidated["severity"], "info");
    // Said once for the run (it is about the DNS server), naming both MX hosts.
    let ids = finding_ids(doc);
    assert_eq!(ids.iter().filter(|id| *id == "dane.unvalidated").count(), 1);
    let message = unvalidated["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("mx1.example.test, mx2.example.test") && message.contains("the root zone"),
        "{message}"
    );
}

#[test]
fn a_domain_with_two_mx_hosts_and_srv_submission() {
    let pki = Pki::new();
    let mx = pki.starttls(
        "mx1.example.test",
        &["mx1.example.test", "mx2.example.test"],
    );
    let submission = pki.starttls("smtp.example.test", &["smtp.example.test"]);
    let implicit = pki.implicit("smtp.example.test", &["smtp.example.test"]);
    let dns = TestDns::new()
        .mx("example.test", 20, "mx2.example.test")
        .mx("example.test", 10, "mx1.example.test")
        .a("mx1.example.test", "127.0.0.1")
        .a("mx2.example.test", "127.0.0.1")
        .a("smtp.example.test", "127.0.0.1")
        .srv(
            "_submission._tcp.example.test",
            0,
            1,
            submission.port(),
            "smtp.example.test",
        )
        .srv(
            "_submissions._tcp.example.test",
            0,
            1,
            implicit.port(),
            "smtp.example.test",
        );
    let port_map = format!("25={}", mx.port());
    let (code, doc) = check(&pki, &dns, "example.test", &["--port-map", &port_map]);

    assert_eq!(doc["target"]["kind"], "domain", "{doc:#}");
    assert_eq!(doc["target"]["domain"], "example.test");
    let ip = "127.0.0.1";
    assert_eq!(
        summary(&doc),
        [
            row(
                "smtp.example.test",
                ip,
                u64::from(implicit.port()),
                "submission",
                "srv",
                "ok"
            ),
            row(
                "smtp.example.test",
                ip,
                u64::from(submission.port()),
                "submission",
                "srv",
                "ok"
            ),
            row("mx1.example.test", ip, 25, "inbound", "mx", "ok"),
            row("mx2.example.test", ip, 25, "inbound", "mx", "ok"),
        ],
        "{doc:#}"
    );
    let endpoints = endpoints(&doc);
    assert_eq!(endpoints[0]["security"], "implicit_tls");
    assert_eq!(endpoints[1]["security"], "starttls");
    // Port 25 went to the test server through the map, and the certificate was checked
    // against the MX host name.
    assert_eq!(endpoints[2]["connect_port"], u64::from(mx.port()));
    assert_eq!(
        endpoints[3]["tls"]["verification"]["checked_name"],
        "mx2.example.test"
    );
    assert_eq!(endpoints[3]["tls"]["verification"]["hostname_match"], true);
    // mx2 greets as mx1: neither its MX name nor its PTR (localhost, from hickory).
    assert_finding(&doc, "smtp.name_mismatch");
    let mismatch = finding(&doc, "smtp.name_mismatch").unwrap();
    assert_eq!(mismatch["endpoint"], "mx2.example.test:25");
    assert_eq!(code, 0, "{doc:#}");
    // The MX list by preference in the domain section.
    let mx_list = doc["domain"]["inbound"]["mx"].as_array().unwrap();
    assert_eq!(mx_list[0]["exchange"], "mx1.example.test");
    assert_eq!(mx_list[1]["preference"], 20);
    assert_dane_not_checked(&doc);
    assert_each_query_once(&doc, &dns);
}

/// A preset file for the tests: ACME hosts addresses at acme.test, and company domains whose
/// MX is one of its `mx*.acmemail.test` hosts; its submission host is smtp.acme.test.
const ACME: &str = r#"
[[provider]]
id = "acme"
name = "ACME Mail"
hosts = ["smtp.acme.test"]
domains = ["acme.test"]
mx = ["mx*.acmemail.test"]
ports = [{ port = 587, security = "starttls" },
         { port = 465, security = "implicit_tls", recommended = true }]
"#;

#[test]
fn an_address_on_a_preset_domain_takes_the_preset_settings() {
    let pki = Pki::new();
    let starttls = pki.starttls("smtp.acme.test", &["smtp.acme.test"]);
    let implicit = pki.implicit("smtp.acme.test", &["smtp.acme.test"]);
    let mx = pki.starttls("mx1.acmemail.test", &["mx1.acmemail.test"]);
    let dir = tempfile::tempdir().unwrap();
    let presets = dir.path().join("providers.toml");
    std::fs::write(&presets, ACME).unwrap();
    let presets = presets.display().to_string();
    let dns = TestDns::new()
        .a("smtp.acme.test", "127.0.0.1")
        .mx("acme.test", 10, "mx1.acmemail.test")
        .mx("corp.test", 10, "mx1.acmemail.test")
        .a("mx1.acmemail.test", "127.0.0.1");
    let map_587 = format!("587={}", starttls.port());
    let map_465 = format!("465={}", implicit.port());
    let map_25 = format!("25={}", mx.port());
    let maps = [
        "--providers",
        presets.as_str(),
        "--port-map",
        &map_587,
        "--port-map",
        &map_465,
        "--port-map",
        &map_25,
    ];

    // By the address domain.
    let (code, doc) = check(&pki, &dns, "alice@acme.test", &maps);
    assert_eq!(doc["target"]["kind"], "address", "{doc:#}");
    assert_eq!(doc["target"]["domain"], "acme.test");
    assert_eq!(
        summary(&doc),
        [
            row(
                "smtp.acme.test",
                "127.0.0.1",
                587,
                "submission",
                "preset",
                "ok"
            ),
            row(
                "smtp.acme.test",
                "127.0.0.1",
                465,
                "submission",
                "preset",
                "ok"
            ),
            row("mx1.acmemail.test", "127.0.0.1", 25, "inbound", "mx", "ok"),
        ],
        "{doc:#}"
    );
    assert_eq!(doc["provider"]["id"], "acme", "{doc:#}");
    assert_eq!(doc["provider"]["matched_by"]["kind"], "domain");
    assert_eq!(doc["provider"]["settings"]["host"], "smtp.acme.test");
    assert_eq!(doc["provider"]["settings"]["port"], 465);
    let candidate = &doc["domain"]["submission"]["candidates"][0];
    assert_eq!(candidate["source"], "preset");
    assert!(
        candidate["detail"].as_str().unwrap().contains("acme"),
        "{candidate:#}"
    );
    // The preset is judged on its submission endpoints only: port 25 of the MX host is not
    // "a port ACME does not document".
    assert_no_finding(&doc, "provider.port_unsupported");
    assert_eq!(code, 0, "{doc:#}");
    // A preset that matched by the domain leaves no reason to guess.
    assert_eq!(dns.queries("smtp.acme.test", "A"), 1);
    assert_eq!(dns.queries("mail.acme.test", "A"), 0);
    assert_each_query_once(&doc, &dns);

    // A company domain whose MX host is ACME's: the settings come from the preset too.
    let (code, doc) = check(&pki, &dns, "bob@corp.test", &maps);
    assert_eq!(doc["provider"]["id"], "acme", "{doc:#}");
    assert_eq!(doc["provider"]["matched_by"]["kind"], "mx");
    assert_eq!(endpoints(&doc)[0]["source"], "preset");
    assert_eq!(endpoints(&doc)[0]["host"], "smtp.acme.test");
    assert_eq!(code, 0, "{doc:#}");
}

#[test]
fn guessed_submission_hosts_that_resolve_are_probed() {
    let pki = Pki::new();
    let starttls = pki.starttls("smtp.guess.test", &["smtp.guess.test"]);
    let implicit = pki.implicit("smtp.guess.test", &["smtp.guess.test"]);
    let dns = TestDns::new()
        .mx("guess.test", 10, "mx.elsewhere.test")
        .a("smtp.guess.test", "127.0.0.1");
    let map_587 = format!("587={}", starttls.port());
    let map_465 = format!("465={}", implicit.port());
    let (_, doc) = check(
        &pki,
        &dns,
        "guess.test",
        &["--port-map", &map_587, "--port-map", &map_465],
    );
    let submission: Vec<_> = summary(&doc)
        .into_iter()
        .filter(|r| r.3 == "submission")
        .collect();
    assert_eq!(
        submission,
        [
            row(
                "smtp.guess.test",
                "127.0.0.1",
                587,
                "submission",
                "guess",
                "ok"
            ),
            row(
                "smtp.guess.test",
                "127.0.0.1",
                465,
                "submission",
                "guess",
                "ok"
            ),
        ],
        "{doc:#}"
    );
    let candidates = doc["domain"]["submission"]["candidates"]
        .as_array()
        .unwrap();
    assert_eq!(candidates[1]["host"], "mail.guess.test");
    assert_eq!(candidates[1]["probed"], false);
    assert_eq!(candidates[1]["not_probed"], "does not resolve");
    assert_no_finding(&doc, "dns.no_submission");
    // The MX host does not exist: nothing to deliver to.
    assert_finding(&doc, "dns.mx_unresolvable");
    assert_eq!(
        finding(&doc, "dns.mx_unresolvable").unwrap()["severity"],
        "error"
    );

    // Nothing at all: no preset, no SRV, no usual name.
    let dns = TestDns::new().mx("lonely.test", 10, "mx.lonely.test");
    let (_, doc) = check(&pki, &dns, "lonely.test", &[]);
    assert_finding(&doc, "dns.no_submission");
    assert_eq!(
        doc["domain"]["submission"]["candidates"][0]["probed"],
        false
    );
}

/// Issue 11: usual names whose look-ups time out (a DNS server that drops them) are reported as
/// DNS timeouts, not as names that "do not resolve" (whether they exist is unknown), and each
/// look-up waits one `--timeout` at most (the tool's own `elapsed_ms` of the query).
#[test]
fn usual_names_that_time_out_are_dns_timeouts_not_missing_names() {
    let pki = Pki::new();
    let dns = TestDns::new()
        .mx("slowdns.test", 10, "mx.slowdns.test")
        .drop("smtp.slowdns.test")
        .drop("mail.slowdns.test");
    let (_, doc) = check(&pki, &dns, "slowdns.test", &["--timeout", "1s"]);
    assert_no_finding(&doc, "dns.no_submission");
    let timeouts: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "dns.timeout")
        .filter_map(|f| f["message"].as_str())
        .collect();
    for host in ["smtp.slowdns.test", "mail.slowdns.test"] {
        assert!(
            timeouts
                .iter()
                .any(|m| m.contains(&format!("look-up of {host} timed out"))),
            "{host}: {timeouts:?}"
        );
    }
    for candidate in doc["domain"]["submission"]["candidates"]
        .as_array()
        .unwrap()
    {
        assert_eq!(
            candidate["not_probed"], "its DNS look-up timed out",
            "{candidate:#}"
        );
    }
    let timed_out: Vec<&Value> = doc["dns"]["queries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|q| q["name"] == "smtp.slowdns.test" || q["name"] == "mail.slowdns.test")
        .collect();
    assert_eq!(
        timed_out.len(),
        4,
        "A and AAAA of both names: {timed_out:?}"
    );
    for query in timed_out {
        assert_eq!(query["error"], "timeout", "{query:#}");
        // By the tool's own clock: one look-up waits one --timeout (1 s), not two.
        let waited = query["time_ms"].as_u64().unwrap_or(u64::MAX);
        assert!(waited < 1500, "one timeout per look-up: {query:#}");
    }
}

#[test]
fn a_null_mx_domain_accepts_no_mail() {
    let pki = Pki::new();
    let dns = TestDns::new()
        .null_mx("nomail.test")
        .a("nomail.test", "127.0.0.1");
    let (code, doc) = check(&pki, &dns, "alice@nomail.test", &["--inbound"]);
    assert_finding(&doc, "dns.null_mx");
    assert_eq!(finding(&doc, "dns.null_mx").unwrap()["severity"], "warning");
    assert!(endpoints(&doc).is_empty(), "{doc:#}");
    assert_eq!(doc["domain"]["inbound"]["mx"][0]["exchange"], ".");
    assert!(doc["domain"]["submission"].is_null());
    assert_eq!(code, 0, "{doc:#}");
    // --inbound asks nothing about submission.
    assert_eq!(dns.queries("_submission._tcp.nomail.test", "SRV"), 0);
}

#[test]
fn a_domain_without_mx_falls_back_to_its_own_address() {
    let pki = Pki::new();
    let mx = pki.starttls("implicit.test", &["implicit.test"]);
    let dns = TestDns::new().a("implicit.test", "127.0.0.1");
    let map_25 = format!("25={}", mx.port());
    let (code, doc) = check(
        &pki,
        &dns,
        "implicit.test",
        &["--inbound", "--port-map", &map_25],
    );
    assert_eq!(doc["target"]["kind"], "domain");
    assert_eq!(
        summary(&doc),
        [row(
            "implicit.test",
            "127.0.0.1",
            25,
            "inbound",
            "implicit_mx",
            "ok"
        )],
        "{doc:#}"
    );
    let no_mx = finding(&doc, "dns.no_mx").expect("dns.no_mx");
    assert_eq!(no_mx["severity"], "warning");
    assert!(
        no_mx["message"]
            .as_str()
            .unwrap()
            .contains("RFC 5321 section 5.1")
    );
    assert_eq!(doc["domain"]["inbound"]["mx_error"], "nodata");
    assert_eq!(code, 0, "{doc:#}");

    // Without --inbound, the same name is a server: no MX, so not a domain.
    let (_, doc) = check(
        &pki,
        &dns,
        "implicit.test",
        &["-p", "25", "--port-map", &map_25],
    );
    assert_eq!(doc["target"]["kind"], "host", "{doc:#}");
    assert_eq!(endpoints(&doc)[0]["source"], "typed");
    assert!(endpoints(&doc)[0]["role"].is_null());
    assert!(doc["domain"].is_null());
}

#[test]
fn a_domain_that_does_not_exist() {
    let pki = Pki::new();
    let dns = TestDns::new();
    let (code, doc) = check(&pki, &dns, "alice@gone.test", &[]);
    assert_eq!(code, 1, "{doc:#}");
    assert_finding(&doc, "dns.nxdomain");
    assert!(endpoints(&doc).is_empty());
    // No guessing below a name that does not exist.
    assert_no_finding(&doc, "dns.no_submission");
    assert_eq!(dns.queries("smtp.gone.test", "A"), 0);
}

#[test]
fn mx_hosts_that_are_aliases_addresses_or_nothing() {
    let pki = Pki::new();
    let mx = pki.starttls("alias.bad.test", &["alias.bad.test"]);
    let dns = TestDns::new()
        .mx("bad.test", 10, "alias.bad.test")
        .mx("bad.test", 20, "192.0.2.5")
        .mx("bad.test", 30, "gone.bad.test")
        .cname("alias.bad.test", "real.bad.test")
        .a("real.bad.test", "127.0.0.1");
    let map_25 = format!("25={}", mx.port());
    let (code, doc) = check(
        &pki,
        &dns,
        "bad.test",
        &["--inbound", "--port-map", &map_25],
    );
    let ids = finding_ids(&doc);
    for id in ["dns.mx_is_cname", "dns.mx_is_ip", "dns.mx_unresolvable"] {
        assert!(
            ids.iter().any(|i| i == id),
            "{id} missing: {ids:?}\n{doc:#}"
        );
    }
    assert_eq!(
        finding(&doc, "dns.mx_is_cname").unwrap()["severity"],
        "warning"
    );
    assert_eq!(finding(&doc, "dns.mx_is_ip").unwrap()["severity"], "error");
    // Another MX host works, so the unresolvable one is a warning.
    assert_eq!(
        finding(&doc, "dns.mx_unresolvable").unwrap()["severity"],
        "warning"
    );
    // Only the alias was probed (under its MX name, checked against it); the address written
    // as a name is never looked up or connected to.
    assert_eq!(
        summary(&doc),
        [row(
            "alias.bad.test",
            "127.0.0.1",
            25,
            "inbound",
            "mx",
            "ok"
        )],
        "{doc:#}"
    );
    let candidates = doc["domain"]["inbound"]["candidates"].as_array().unwrap();
    assert_eq!(candidates[1]["probed"], false);
    assert_eq!(dns.queries("192.0.2.5", "A"), 0);
    assert_eq!(code, 1, "{doc:#}");
}

#[test]
fn dns_failures_are_servfail_and_timeout() {
    let pki = Pki::new();
    let dns = TestDns::new()
        .mx("broken.test", 10, "mx.broken.test")
        .servfail("broken.test")
        .drop("silent.test");
    let (code, doc) = check(&pki, &dns, "broken.test", &["--inbound"]);
    assert_eq!(code, 1, "{doc:#}");
    assert_finding(&doc, "dns.servfail");
    assert_eq!(doc["domain"]["inbound"]["mx_error"], "servfail");

    let (code, doc) = check(
        &pki,
        &dns,
        "alice@silent.test",
        &["--inbound", "--timeout", "300ms"],
    );
    assert_eq!(code, 1, "{doc:#}");
    assert_finding(&doc, "dns.timeout");
    let query = &doc["dns"]["queries"][0];
    assert_eq!(query["name"], "silent.test");
    assert_eq!(query["type"], "MX");
    assert_eq!(query["error"], "timeout");
    assert!(query["answer"].is_null());

    // A bare name whose MX look-up fails but which resolves is checked as a server, with a
    // warning that its DNS is broken.
    let server = pki.starttls("flaky.test", &["flaky.test"]);
    let dns = TestDns::new().a("flaky.test", "127.0.0.1").behave(
        "flaky.test",
        Some("MX"),
        Behaviour::ServFail,
    );
    let map_25 = format!("25={}", server.port());
    let (_, doc) = check(
        &pki,
        &dns,
        "flaky.test",
        &["-p", "25", "--port-map", &map_25],
    );
    assert_eq!(doc["target"]["kind"], "host", "{doc:#}");
    let warning = finding(&doc, "dns.servfail").expect("dns.servfail");
    assert_eq!(warning["severity"], "warning");
}

/// Reverse DNS of an address this test controls: an IPv4-mapped IPv6 address (hickory answers
/// 127.0.0.0/8 itself), still reaching the loopback server.
const MAPPED: &str = "::ffff:127.0.0.1";

#[test]
fn reverse_dns_missing_mismatched_and_confirmed() {
    let pki = Pki::new();
    let good = pki.starttls("mx.rdns.test", &["mx.rdns.test"]);
    let map_25 = format!("25={}", good.port());
    let args = ["--inbound", "-6", "--port-map", map_25.as_str()];
    let base = || {
        TestDns::new()
            .mx("rdns.test", 10, "mx.rdns.test")
            .aaaa("mx.rdns.test", MAPPED)
    };

    // Confirmed: the PTR names the MX host, which resolves back. The server greets as it.
    let dns = base().ptr(MAPPED, "mx.rdns.test");
    let (code, doc) = check(&pki, &dns, "rdns.test", &args);
    let endpoint = &endpoints(&doc)[0];
    assert_eq!(endpoint["state"], "ok", "{doc:#}");
    assert_eq!(endpoint["reverse_dns"]["ptr"][0], "mx.rdns.test");
    assert_eq!(endpoint["reverse_dns"]["forward_confirmed"], true);
    assert_no_finding(&doc, "dns.ptr_missing");
    assert_no_finding(&doc, "dns.ptr_mismatch");
    assert_no_finding(&doc, "smtp.name_mismatch");
    assert_eq!(code, 0, "{doc:#}");

    // Missing: no PTR at all.
    let dns = base();
    let (_, doc) = check(&pki, &dns, "rdns.test", &args);
    let missing = finding(&doc, "dns.ptr_missing").expect("dns.ptr_missing");
    assert_eq!(missing["severity"], "warning");
    assert_eq!(missing["endpoint"], "mx.rdns.test:25");
    assert_eq!(endpoints(&doc)[0]["reverse_dns"]["error"], "nxdomain");

    // Mismatch: the PTR name resolves elsewhere.
    let dns = base()
        .ptr(MAPPED, "other.rdns.test")
        .aaaa("other.rdns.test", "2001:db8::99");
    let (_, doc) = check(&pki, &dns, "rdns.test", &args);
    assert_finding(&doc, "dns.ptr_mismatch");
    assert_eq!(
        endpoints(&doc)[0]["reverse_dns"]["forward_confirmed"],
        false
    );
}

#[test]
fn a_server_greeting_with_a_name_dns_does_not_know() {
    let pki = Pki::new();
    // The default test server greets as mail.test.
    let server = TestServer::start(
        Scenario::new().identity(pki.ca.leaf(&["mx.names.test"], Validity::Good)),
    );
    let dns = TestDns::new()
        .mx("names.test", 10, "mx.names.test")
        .a("mx.names.test", "127.0.0.1");
    let map_25 = format!("25={}", server.port());
    let (code, doc) = check(
        &pki,
        &dns,
        "names.test",
        &["--inbound", "--port-map", &map_25],
    );
    let mismatch = finding(&doc, "smtp.name_mismatch").expect("smtp.name_mismatch");
    assert_eq!(mismatch["severity"], "warning");
    let message = mismatch["message"].as_str().unwrap();
    assert!(message.contains("greets as mail.test"), "{message}");
    assert!(message.contains("mx.names.test"), "{message}");
    assert_eq!(code, 0, "{doc:#}");
}

#[test]
fn an_mx_host_with_a_broken_ipv6_address() {
    let pki = Pki::new();
    // Listens on 127.0.0.1 only: the same port on ::1 refuses.
    let mx = pki.starttls("mx.six.test", &["mx.six.test"]);
    let dns = TestDns::new()
        .mx("six.test", 10, "mx.six.test")
        .a("mx.six.test", "127.0.0.1")
        .aaaa("mx.six.test", "::1");
    let map_25 = format!("25={}", mx.port());
    let (code, doc) = check(
        &pki,
        &dns,
        "six.test",
        &["--inbound", "--port-map", &map_25],
    );
    assert_eq!(
        summary(&doc),
        [
            row("mx.six.test", "127.0.0.1", 25, "inbound", "mx", "ok"),
            row("mx.six.test", "::1", 25, "inbound", "mx", "refused"),
        ],
        "{doc:#}"
    );
    let broken = finding(&doc, "dns.ipv6_only_broken").expect("dns.ipv6_only_broken");
    assert_eq!(broken["severity"], "warning");
    assert_finding(&doc, "port.refused");
    assert_eq!(code, 1, "{doc:#}");

    // -4 leaves IPv6 out: nothing broken to see.
    let (code, doc) = check(
        &pki,
        &dns,
        "six.test",
        &["--inbound", "-4", "--port-map", &map_25],
    );
    assert_eq!(endpoints(&doc).len(), 1);
    assert_no_finding(&doc, "dns.ipv6_only_broken");
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(dns.queries("mx.six.test", "AAAA"), 1);
}

#[test]
fn only_the_first_mx_hosts_are_probed() {
    let pki = Pki::new();
    let names: Vec<String> = (1..=7).map(|i| format!("mx{i}.many.test")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let mx = TestServer::start(
        Scenario::new()
            .identity(pki.ca.leaf(&refs, Validity::Good))
            .greeting(220, &["mx1.many.test ESMTP"])
            .ehlo_domain("mx1.many.test"),
    );
    let dns = names
        .iter()
        .enumerate()
        .fold(TestDns::new(), |dns, (i, name)| {
            let preference = u16::try_from(i + 1).unwrap() * 10;
            dns.mx("many.test", preference, name).a(name, "127.0.0.1")
        });
    let map_25 = format!("25={}", mx.port());
    let (_, doc) = check(
        &pki,
        &dns,
        "many.test",
        &["--inbound", "--port-map", &map_25],
    );
    let probed: Vec<String> = summary(&doc).into_iter().map(|r| r.0).collect();
    assert_eq!(probed, &names[..5], "{doc:#}");
    let inbound = &doc["domain"]["inbound"];
    assert!(
        inbound["notes"][0]
            .as_str()
            .unwrap()
            .contains("first 5 of 7"),
        "{inbound:#}"
    );
    assert_eq!(inbound["candidates"][6]["host"], "mx7.many.test");
    assert_eq!(inbound["candidates"][6]["probed"], false);
    // Hosts beyond the limit are not even looked up.
    assert_eq!(dns.queries("mx7.many.test", "A"), 0);
}

#[test]
fn a_name_with_mx_records_is_a_domain_unless_host_is_given() {
    let pki = Pki::new();
    let server = pki.starttls("mail.self.test", &["mail.self.test"]);
    let dns = TestDns::new()
        .mx("self.test", 10, "mail.self.test")
        .a("self.test", "127.0.0.1")
        .a("mail.self.test", "127.0.0.1")
        // A host that is its own MX is a server.
        .mx("mail.self.test", 10, "mail.self.test");
    let map_25 = format!("25={}", server.port());
    let (_, doc) = check(
        &pki,
        &dns,
        "self.test",
        &["-p", "25", "--port-map", &map_25],
    );
    assert_eq!(doc["target"]["kind"], "domain", "{doc:#}");
    assert_eq!(endpoints(&doc)[0]["host"], "mail.self.test");

    let (_, doc) = check(
        &pki,
        &dns,
        "self.test",
        &["--host", "-p", "25", "--port-map", &map_25],
    );
    assert_eq!(doc["target"]["kind"], "host", "{doc:#}");
    assert_eq!(endpoints(&doc)[0]["host"], "self.test");
    assert_eq!(dns.queries("self.test", "MX"), 1);

    let (_, doc) = check(
        &pki,
        &dns,
        "mail.self.test",
        &["-p", "25", "--port-map", &map_25],
    );
    assert_eq!(doc["target"]["kind"], "host", "{doc:#}");
    assert_eq!(endpoints(&doc)[0]["source"], "typed");
}

#[test]
fn usage_errors_of_the_domain_options() {
    let pki = Pki::new();
    let dns = TestDns::new();
    for args in [
        &["alice@example.test", "--host"][..],
        &["example.test:25", "--inbound"],
        &["alice@example.test", "--servername", "mx.example.test"],
        &["example.test", "--port-map", "25"],
    ] {
        let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        all.insert(0, "check".into());
        all.extend(["--resolver".into(), dns.addr().to_string()]);
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        let run = crate::support::run_raw(&refs, &[]);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    }
    drop(pki);
}

/// The README's example: `cargo test --test it domain::readme_example -- --ignored --nocapture`
/// prints the table and the JSON of `check alice@example.test` against test servers (only the
/// command line shown in the README differs: it leaves out `--resolver` and the test CA).
#[test]
#[ignore = "prints the README example; run by hand"]
fn readme_example() {
    let pki = Pki::new();
    let mx1 = pki.starttls(
        "mx1.example.test",
        &["mx1.example.test", "mx2.example.test"],
    );
    let submission = pki.starttls("smtp.example.test", &["smtp.example.test"]);
    let implicit = pki.implicit("smtp.example.test", &["smtp.example.test"]);
    let dns = TestDns::new()
        .mx("example.test", 10, "mx1.example.test")
        .mx("example.test", 20, "mx2.example.test")
        .a("mx1.example.test", "127.0.0.1")
        .a("mx2.example.test", "127.0.0.1")
        .aaaa("mx2.example.test", "::1")
        .a("smtp.example.test", "127.0.0.1")
        .srv(
            "_submission._tcp.example.test",
            0,
            1,
            587,
            "smtp.example.test",
        )
        .srv(
            "_submissions._tcp.example.test",
            0,
            1,
            465,
            "smtp.example.test",
        );
    let maps = [
        format!("25={}", mx1.port()),
        format!("587={}", submission.port()),
        format!("465={}", implicit.port()),
    ];
    let resolver = dns.addr().to_string();
    let ca = pki.ca_file.display().to_string();
    let mut args = vec![
        "check",
        "alice@example.test",
        "--resolver",
        &resolver,
        "--ca-file",
        &ca,
        "--color",
        "never",
    ];
    for map in &maps {
        args.extend(["--port-map", map.as_str()]);
    }
    let run = crate::support::run_raw(&args, &[]);
    println!("exit {}\n{}{}", run.code, run.stdout, run.stderr);
    // What README's example shows: the refused IPv6 address is the one error, and every block.
    assert_eq!(run.code, 1);
    for block in [
        "Sending (submission)",
        "Receiving (inbound)",
        "MTA-STS (RFC 8461): _mta-sts.example.test",
        "TLS-RPT (RFC 8460): _smtp._tls.example.test",
        "DANE (RFC 7672)",
        "Settings to use",
        "1 error, 2 warnings. Problems found: port.refused.",
    ] {
        assert!(run.stdout.contains(block), "{block:?}");
    }
    args.push("--json");
    let run = crate::support::run_raw(&args, &[]);
    println!("{}", run.stdout);
    println!("{} queries received", dns.total_queries());
    let doc = run.json();
    assert_eq!(doc["summary"]["errors"], 1, "{doc:#}");
}

/// The queries of the typical domain of [`query_count_of_a_typical_domain`], as README lists
/// them (type and name).
const TYPICAL_QUERIES: &[&str] = &[
    "MX example.test",
    "A example.test",
    "AAAA example.test",
    "SRV _submissions._tcp.example.test",
    "SRV _submission._tcp.example.test",
    "TXT _mta-sts.example.test",
    "TXT _smtp._tls.example.test",
    "A smtp.example.test",
    "AAAA smtp.example.test",
    "A mail.example.test",
    "AAAA mail.example.test",
    "A mx1.example.test",
    "AAAA mx1.example.test",
    "A mx2.example.test",
    "AAAA mx2.example.test",
    "TLSA _25._tcp.mx1.example.test",
    "TLSA _25._tcp.mx2.example.test",
    "TXT .",
];

/// The figure of the README: how many DNS queries a typical `check example.test` makes (MX
/// hosts, no SRV records, a `smtp.` name that resolves) and how long it takes against the test
/// DNS server. `cargo test --test it domain::query_count -- --ignored --nocapture`
#[test]
#[ignore = "a measurement (ten runs); run by hand"]
fn query_count_of_a_typical_domain() {
    let pki = Pki::new();
    let mx = pki.starttls(
        "mx1.example.test",
        &["mx1.example.test", "mx2.example.test"],
    );
    let starttls = pki.starttls("smtp.example.test", &["smtp.example.test"]);
    let implicit = pki.implicit("smtp.example.test", &["smtp.example.test"]);
    let map_25 = format!("25={}", mx.port());
    let map_587 = format!("587={}", starttls.port());
    let map_465 = format!("465={}", implicit.port());
    for run in 0..10 {
        let dns = TestDns::new()
            .mx("example.test", 10, "mx1.example.test")
            .mx("example.test", 20, "mx2.example.test")
            .a("mx1.example.test", "127.0.0.1")
            .a("mx2.example.test", "127.0.0.1")
            .a("smtp.example.test", "127.0.0.1");
        let (_, doc) = check(
            &pki,
            &dns,
            "example.test",
            &[
                "--port-map",
                &map_25,
                "--port-map",
                &map_587,
                "--port-map",
                &map_465,
            ],
        );
        let queries = doc["dns"]["queries"].as_array().unwrap();
        let slowest_query = queries
            .iter()
            .filter_map(|q| Some(q["t_ms"].as_u64()? + q["time_ms"].as_u64()?))
            .max()
            .unwrap_or(0);
        // What README says it asks, once each.
        let mut asked: Vec<String> = queries
            .iter()
            .map(|q| {
                format!(
                    "{} {}",
                    q["type"].as_str().unwrap(),
                    q["name"].as_str().unwrap()
                )
            })
            .collect();
        asked.sort();
        let mut expected: Vec<String> = TYPICAL_QUERIES.iter().map(|s| s.to_string()).collect();
        expected.sort();
        assert_eq!(asked, expected);
        assert_eq!(endpoints(&doc).len(), 4);
        println!(
            "run {run}: {} endpoints, {} queries in the report ({} sent to the server), \
             DNS done after {slowest_query} ms, run {} ms",
            endpoints(&doc).len(),
            queries.len(),
            dns.total_queries(),
            doc["duration_ms"]
        );
    }
}

/// With `--user` on a domain, AUTH goes to a submission host, never to an MX host: here the MX
/// host would rank first (verified certificate, AUTH offered) and the submission host's
/// self-signed certificate makes the tool refuse to send the secret at all.
#[test]
fn credentials_are_tried_at_submission_not_at_the_mx() {
    use crate::support::run_raw;
    use crate::support::server::Auth;

    let pki = Pki::new();
    let leaf = |name: &str| pki.ca.leaf(&[name], Validity::Good);
    let auth = || Auth::new().password("alice@example.test", "s3cret-Pw");
    let mx = TestServer::start(
        Scenario::new()
            .identity(leaf("mx1.example.test"))
            .auth(auth()),
    );
    let submission = TestServer::start(
        Scenario::new()
            .identity(crate::support::pki::self_signed(&["smtp.example.test"]))
            .auth(auth()),
    );
    let dns = TestDns::new()
        .mx("example.test", 10, "mx1.example.test")
        .a("mx1.example.test", "127.0.0.1")
        .a("smtp.example.test", "127.0.0.1")
        .srv(
            "_submission._tcp.example.test",
            0,
            1,
            submission.port(),
            "smtp.example.test",
        );
    let resolver = dns.addr().to_string();
    let ca = pki.ca_file.display().to_string();
    let port_map = format!("25={}", mx.port());
    let run = run_raw(
        &[
            "check",
            "alice@example.test",
            "--resolver",
            &resolver,
            "--ca-file",
            &ca,
            "--port-map",
            &port_map,
            "--timeout",
            "2s",
            "--user",
            "alice@example.test",
            "--password-env",
            "SMTP_DOCTOR_TEST_PW",
            "--json",
        ],
        &[("SMTP_DOCTOR_TEST_PW", "s3cret-Pw")],
    );
    let doc: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr));
    assert!(!run.stdout.contains("s3cret-Pw"));
    assert!(finding(&doc, "auth.untrusted_refused").is_some(), "{doc:#}");
    let attempts = |server: &TestServer| -> usize {
        server
            .sessions()
            .iter()
            .map(|s| s.auth_attempts.len())
            .sum()
    };
    assert_eq!(attempts(&mx), 0, "no AUTH at the MX host");
    assert_eq!(
        attempts(&submission),
        0,
        "no AUTH over an unverified certificate"
    );
}
