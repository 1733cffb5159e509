//! DANE (RFC 7672) of a mail domain's MX hosts: `smtp-doctor check DOMAIN` against a
//! DNSSEC-signed test DNS ([`SignedDns`]: parent `test.` as the trust anchor, given with
//! `--trust-anchor`; signed and unsigned child zones) and STARTTLS test servers on loopback with
//! certificates of the test CA. Validation is hickory's own, in the binary; nothing here mocks
//! it. Port 25 of every MX host is `--port-map 25=PORT`.

use std::path::PathBuf;

use openssl::x509::X509;
use serde_json::Value;
use tempfile::TempDir;

use crate::support::dns::{Behaviour, TestDns};
use crate::support::dnssec::SignedDns;
use crate::support::pki::{Leaf, TestCa, Validity};
use crate::support::server::{Scenario, Starttls, TestServer};
use crate::support::{assert_finding, assert_no_finding, finding, run_check};

/// The test CA (for `--ca-file`) and the trust anchor file of a signed DNS.
struct Setup {
    dir: TempDir,
    ca: TestCa,
    ca_file: PathBuf,
}

impl Setup {
    fn new() -> Setup {
        let dir = tempfile::tempdir().expect("tempdir");
        let ca = TestCa::new("smtp-doctor DANE Test CA");
        let ca_file = ca.write_to(dir.path());
        Setup { dir, ca, ca_file }
    }

    /// A leaf for `name` from the test CA; with `with_ca`, the server also sends the CA
    /// certificate (as RFC 7672 section 3.1.2 asks of a DANE-TA server).
    fn leaf(&self, name: &str, with_ca: bool) -> Leaf {
        let mut leaf = self.ca.leaf(&[name], Validity::Good);
        if with_ca {
            leaf.chain_pem = format!("{}{}", leaf.cert_pem, self.ca.cert_pem);
        }
        leaf
    }

    /// `check DOMAIN --json` against `dns` (trusting its anchor), port 25 mapped to `mx`.
    fn check(&self, dns: &SignedDns, domain: &str, mx: &TestServer) -> (i32, Value) {
        let args = self.args(dns, domain, mx);
        let mut refs: Vec<&str> = args.iter().map(String::as_str).collect();
        refs.push("--json");
        let (code, doc, stderr) = run_check(&refs);
        // SMTP_DOCTOR_TEST_DUMP=1 cargo test --test it dane:: -- --nocapture
        if std::env::var_os("SMTP_DOCTOR_TEST_DUMP").is_some() {
            eprintln!("exit {code}\n{doc:#}\nstderr: {stderr}");
        }
        (code, doc)
    }

    /// The arguments of a check of `domain` (without `--json`).
    fn args(&self, dns: &SignedDns, domain: &str, mx: &TestServer) -> Vec<String> {
        let anchor = self.dir.path().join("anchor.key");
        std::fs::write(&anchor, dns.trust_anchor()).expect("write trust anchor");
        let port_map = format!("25={}", mx.port());
        let args = [
            "check",
            domain,
            "--inbound",
            "--resolver",
            &dns.addr().to_string(),
            "--trust-anchor",
            &anchor.display().to_string(),
            "--ca-file",
            &self.ca_file.display().to_string(),
            "--port-map",
            &port_map,
            "--connect-timeout",
            "1s",
            "--timeout",
            "2s",
            "--color",
            "never",
        ];
        args.iter().map(|s| s.to_string()).collect()
    }
}

/// A STARTTLS server for `leaf`, greeting as `mx.dane.test`.
fn mx_server(leaf: Leaf) -> TestServer {
    TestServer::start(
        Scenario::new()
            .identity(leaf)
            .greeting(220, &["mx.dane.test ESMTP"])
            .ehlo_domain("mx.dane.test"),
    )
}

/// SHA-256 of the leaf's SubjectPublicKeyInfo (the data of a `3 1 1` record).
fn spki_sha256(pem: &str) -> Vec<u8> {
    let cert = X509::from_pem(pem.as_bytes()).expect("certificate PEM");
    let spki = cert
        .public_key()
        .expect("public key")
        .public_key_to_der()
        .expect("SPKI DER");
    openssl::sha::sha256(&spki).to_vec()
}

/// SHA-256 of the whole certificate (the data of a `x 0 1` record).
fn cert_sha256(pem: &str) -> Vec<u8> {
    let cert = X509::from_pem(pem.as_bytes()).expect("certificate PEM");
    openssl::sha::sha256(&cert.to_der().expect("DER")).to_vec()
}

/// The signed zone `dane.test` with its MX host `mx.dane.test` on 127.0.0.1 and `records`
/// (usage, selector, matching, data) at `_25._tcp.mx.dane.test`.
fn signed(records: &[(u8, u8, u8, Vec<u8>)]) -> SignedDns {
    let mut builder = SignedDns::builder()
        .zone("dane.test", true)
        .mx("dane.test", 10, "mx.dane.test")
        .a("mx.dane.test", "127.0.0.1");
    for (usage, selector, matching, data) in records {
        builder = builder.tlsa("_25._tcp.mx.dane.test", *usage, *selector, *matching, data);
    }
    builder.start()
}

fn dane(doc: &Value) -> &Value {
    &doc["domain"]["dane"]
}

fn host(doc: &Value) -> &Value {
    &dane(doc)["hosts"][0]
}

#[test]
fn a_signed_3_1_1_record_matching_the_leaf_is_in_effect() {
    let setup = Setup::new();
    let leaf = setup.leaf("mx.dane.test", false);
    let dns = signed(&[(3, 1, 1, spki_sha256(&leaf.cert_pem))]);
    let mx = mx_server(leaf);
    let (code, doc) = setup.check(&dns, "dane.test", &mx);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(dane(&doc)["validated_by"], "smtp-doctor");
    assert_eq!(dane(&doc)["mx_dnssec"], "secure");
    assert_eq!(host(&doc)["host"], "mx.dane.test");
    assert_eq!(host(&doc)["tlsa_name"], "_25._tcp.mx.dane.test");
    assert_eq!(host(&doc)["tlsa_dnssec"], "secure");
    assert_eq!(host(&doc)["address_dnssec"], "secure");
    assert_eq!(host(&doc)["status"], "in_effect");
    assert_eq!(host(&doc)["records"][0]["usage"], 3);
    assert_eq!(host(&doc)["records"][0]["usable"], true);
    let endpoint = &host(&doc)["endpoints"][0];
    assert_eq!(endpoint["port"], 25);
    assert_eq!(endpoint["matched"], true);
    assert_eq!(endpoint["matches"][0]["result"], "match_leaf");
    assert_finding(&doc, "dane.match");
    assert_finding(&doc, "dane.key_pinned");
    assert_no_finding(&doc, "dane.no_match");
    assert_no_finding(&doc, "dane.not_dnssec");
    // The TLSA query is in the run's DNS log with the state this run validated.
    let queries = doc["dns"]["queries"].as_array().expect("dns.queries");
    let tlsa = queries
        .iter()
        .find(|q| q["type"] == "TLSA")
        .expect("a TLSA query in the log");
    assert_eq!(tlsa["name"], "_25._tcp.mx.dane.test");
    assert_eq!(tlsa["dnssec"], "secure");
}

#[test]
fn the_table_shows_a_dane_block() {
    let setup = Setup::new();
    let leaf = setup.leaf("mx.dane.test", false);
    let dns = signed(&[(3, 1, 1, spki_sha256(&leaf.cert_pem))]);
    let mx = mx_server(leaf);
    let args = setup.args(&dns, "dane.test", &mx);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = crate::support::run_raw(&refs, &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let out = &run.stdout;
    if std::env::var_os("SMTP_DOCTOR_TEST_DUMP").is_some() {
        eprintln!("{out}");
    }
    for expected in [
        "DANE (RFC 7672)",
        "DNSSEC validated by smtp-doctor itself, from --trust-anchor",
        "secure (validated by smtp-doctor)",
        "mx.dane.test (_25._tcp.mx.dane.test",
        "in effect",
        "3 1 1 ",
        "127.0.0.1: 3 1 1 ",
        "matches the server certificate",
    ] {
        assert!(out.contains(expected), "{expected:?} missing:\n{out}");
    }
}

#[test]
fn a_record_that_matches_no_certificate_of_the_chain_is_an_error() {
    let setup = Setup::new();
    let leaf = setup.leaf("mx.dane.test", true);
    let other = setup.leaf("mx.dane.test", false);
    let dns = signed(&[(3, 1, 1, spki_sha256(&other.cert_pem))]);
    let mx = mx_server(leaf);
    let (code, doc) = setup.check(&dns, "dane.test", &mx);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(host(&doc)["status"], "in_effect");
    assert_eq!(host(&doc)["endpoints"][0]["matched"], false);
    assert_eq!(
        host(&doc)["endpoints"][0]["matches"][0]["result"],
        "no_match"
    );
    let no_match = finding(&doc, "dane.no_match").expect("dane.no_match");
    assert_eq!(no_match["severity"], "error");
    assert_eq!(no_match["endpoint"], "mx.dane.test:25");
    assert_no_finding(&doc, "dane.match");
}

#[test]
fn tlsa_records_in_an_unsigned_zone_are_ignored_by_senders() {
    let setup = Setup::new();
    let leaf = setup.leaf("mx.plain.test", false);
    let dns = SignedDns::builder()
        .zone("plain.test", false)
        .mx("plain.test", 10, "mx.plain.test")
        .a("mx.plain.test", "127.0.0.1")
        .tlsa(
            "_25._tcp.mx.plain.test",
            3,
            1,
            1,
            &spki_sha256(&leaf.cert_pem),
        )
        .start();
    let mx = mx_server(leaf);
    let (code, doc) = setup.check(&dns, "plain.test", &mx);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(dane(&doc)["mx_dnssec"], "insecure");
    assert_eq!(host(&doc)["tlsa_dnssec"], "insecure");
    assert_eq!(host(&doc)["status"], "ignored");
    // The record is still matched, to show what it would do.
    assert_eq!(host(&doc)["endpoints"][0]["matched"], true);
    let void = finding(&doc, "dane.not_dnssec").expect("dane.not_dnssec");
    assert_eq!(void["severity"], "warning");
    assert_no_finding(&doc, "dane.match");
    assert_no_finding(&doc, "dane.no_match");
}

#[test]
fn no_tlsa_records_is_information_with_the_record_to_publish() {
    let setup = Setup::new();
    let leaf = setup.leaf("mx.dane.test", false);
    let digest = hex_of(&spki_sha256(&leaf.cert_pem));
    let dns = signed(&[]);
    let mx = mx_server(leaf);
    let (code, doc) = setup.check(&dns, "dane.test", &mx);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(host(&doc)["status"], "no_records");
    assert_eq!(host(&doc)["tlsa_error"], "nxdomain");
    assert_eq!(host(&doc)["tlsa_dnssec"], "secure");
    let none = finding(&doc, "dane.no_tlsa").expect("dane.no_tlsa");
    assert_eq!(none["severity"], "info");
    let advice = none["advice"].as_str().unwrap_or("");
    assert!(advice.contains(&format!("3 1 1 {digest}")), "{advice}");
}

#[test]
fn a_dane_ta_record_for_the_test_ca_matches_a_chain_that_includes_it() {
    let setup = Setup::new();
    let leaf = setup.leaf("mx.dane.test", true);
    let dns = signed(&[(2, 0, 1, cert_sha256(&setup.ca.cert_pem))]);
    let mx = mx_server(leaf);
    let (code, doc) = setup.check(&dns, "dane.test", &mx);
    assert_eq!(code, 0, "{doc:#}");
    let m = &host(&doc)["endpoints"][0]["matches"][0];
    assert_eq!(m["result"], "match_trust_anchor");
    assert_eq!(m["depth"], 1);
    assert_finding(&doc, "dane.match");
    // An issuer record survives renewals: no renewal finding.
    assert_no_finding(&doc, "dane.breaks_on_renewal");
    assert_no_finding(&doc, "dane.key_pinned");
}

#[test]
fn a_3_0_1_record_matches_now_and_breaks_at_the_next_certificate() {
    let setup = Setup::new();
    let leaf = setup.leaf("mx.dane.test", false);
    let dns = signed(&[(3, 0, 1, cert_sha256(&leaf.cert_pem))]);
    let mx = mx_server(leaf);
    let (code, doc) = setup.check(&dns, "dane.test", &mx);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(
        host(&doc)["endpoints"][0]["matches"][0]["result"],
        "match_leaf"
    );
    assert_finding(&doc, "dane.match");
    let fragile = finding(&doc, "dane.breaks_on_renewal").expect("dane.breaks_on_renewal");
    assert_eq!(fragile["severity"], "warning");
}

#[test]
fn tlsa_records_without_starttls_are_an_error() {
    let setup = Setup::new();
    let leaf = setup.leaf("mx.dane.test", false);
    let dns = signed(&[(3, 1, 1, spki_sha256(&leaf.cert_pem))]);
    let mx = TestServer::start(
        Scenario::new()
            .greeting(220, &["mx ESMTP"])
            .starttls(Starttls::NotOffered),
    );
    let (code, doc) = setup.check(&dns, "dane.test", &mx);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(host(&doc)["endpoints"][0]["tls"], false);
    let error = finding(&doc, "dane.no_starttls").expect("dane.no_starttls");
    assert_eq!(error["severity"], "error");
}

#[test]
fn pkix_usages_are_unusable_for_smtp() {
    let setup = Setup::new();
    let leaf = setup.leaf("mx.dane.test", false);
    let spki = spki_sha256(&leaf.cert_pem);
    let dns = signed(&[(1, 1, 1, spki.clone()), (3, 1, 1, spki)]);
    let mx = mx_server(leaf);
    let (_, doc) = setup.check(&dns, "dane.test", &mx);
    let records = host(&doc)["records"].as_array().expect("records");
    assert_eq!(records.len(), 2);
    let pkix = records
        .iter()
        .find(|r| r["usage"] == 1)
        .expect("the usage 1 record");
    assert_eq!(pkix["usable"], false);
    assert_finding(&doc, "dane.unusable_record");
    assert_finding(&doc, "dane.match");
}

#[test]
fn no_dane_check_when_port_25_is_left_out() {
    let setup = Setup::new();
    let leaf = setup.leaf("mx.dane.test", false);
    let dns = signed(&[(3, 1, 1, spki_sha256(&leaf.cert_pem))]);
    let mx = mx_server(leaf);
    let mut args = setup.args(&dns, "dane.test", &mx);
    args.retain(|a| a != "--inbound");
    args.extend(["-p", "587", "--json"].map(String::from));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (_, doc, _) = run_check(&refs);
    assert!(doc["domain"].is_object(), "{doc:#}");
    assert!(doc["domain"]["dane"].is_null(), "{doc:#}");
    let queries = doc["dns"]["queries"].as_array().expect("dns.queries");
    assert!(!queries.iter().any(|q| q["type"] == "TLSA"), "{doc:#}");
}

#[test]
fn a_tlsa_query_that_is_never_answered_is_a_warning_within_the_deadline() {
    let setup = Setup::new();
    let leaf = setup.leaf("mx.silent.test", false);
    let mx = mx_server(leaf);
    // The unsigned test DNS, whose TLSA answer never comes.
    let dns = TestDns::new()
        .mx("silent.test", 10, "mx.silent.test")
        .a("mx.silent.test", "127.0.0.1")
        .behave("_25._tcp.mx.silent.test", Some("TLSA"), Behaviour::Drop);
    let port_map = format!("25={}", mx.port());
    let started = std::time::Instant::now();
    let (_, doc, _) = run_check(&[
        "check",
        "silent.test",
        "--inbound",
        "--resolver",
        &dns.addr().to_string(),
        "--ca-file",
        &setup.ca_file.display().to_string(),
        "--port-map",
        &port_map,
        "--timeout",
        "1s",
        "--json",
    ]);
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(host(&doc)["tlsa_error"], "timeout", "{doc:#}");
    let failed = finding(&doc, "dane.lookup_failed").expect("dane.lookup_failed");
    assert_eq!(failed["severity"], "warning");
}

#[test]
fn a_zone_whose_signatures_do_not_validate_is_a_bogus_error() {
    let setup = Setup::new();
    let leaf = setup.leaf("mx.dane.test", false);
    let data = spki_sha256(&leaf.cert_pem);
    let mx = mx_server(leaf);
    let dns = SignedDns::builder()
        .zone_with_wrong_ds("dane.test")
        .mx("dane.test", 10, "mx.dane.test")
        .a("mx.dane.test", "127.0.0.1")
        .tlsa("_25._tcp.mx.dane.test", 3, 1, 1, &data)
        .start();
    let (code, doc) = setup.check(&dns, "dane.test", &mx);
    // The trust anchor's zone (test.) validates through this DNS server: the fault is the
    // zone's, not the server's.
    assert_eq!(dane(&doc)["path_dnssec"], "secure", "{doc:#}");
    assert_eq!(host(&doc)["tlsa_dnssec"], "bogus");
    let bogus = finding(&doc, "dane.bogus").expect("dane.bogus");
    assert_eq!(bogus["severity"], "error");
    assert_no_finding(&doc, "dane.unvalidated");
    assert_eq!(code, 1);
}

#[test]
fn an_unreadable_trust_anchor_is_a_setup_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing.key");
    let run = crate::support::run_raw(
        &[
            "check",
            "dane.test",
            "--inbound",
            "--resolver",
            "127.0.0.1:9",
            "--trust-anchor",
            &missing.display().to_string(),
        ],
        &[],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("--trust-anchor"), "{}", run.stderr);
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
