//! The monitoring formats of `check`: `--format prometheus` (the text exposition, read back by
//! a parser of this file's own, and, in the ignored tests `.ci/run` runs, by the PyPI
//! `prometheus-client` parser and `promtool check metrics`) and `--format nagios` (the status
//! line, its performance data and the exit codes 0 to 3), against the in-process test server.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;
use tempfile::TempDir;

use crate::support::pki::{Leaf, TestCa, Validity};
use crate::support::server::{Scenario, TestServer};
use crate::support::{Run, run_raw};

/// The name every test certificate is made for; pinned to 127.0.0.1 with `--resolve`.
pub(crate) const NAME: &str = "mail.test";

/// A test CA written to a temporary `--ca-file`.
pub(crate) struct Pki {
    _dir: TempDir,
    ca: TestCa,
    pub(crate) ca_file: PathBuf,
}

impl Pki {
    pub(crate) fn new() -> Pki {
        let dir = tempfile::tempdir().expect("tempdir");
        let ca = TestCa::new("smtp-doctor Test CA");
        let ca_file = ca.write_to(dir.path());
        Pki {
            _dir: dir,
            ca,
            ca_file,
        }
    }

    pub(crate) fn leaf(&self, validity: Validity) -> Leaf {
        self.ca.leaf(&[NAME], validity)
    }
}

/// A STARTTLS test server with this certificate.
pub(crate) fn server(leaf: Leaf) -> TestServer {
    TestServer::start(Scenario::new().identity(leaf))
}

/// A port nothing listens on (bound, then released).
fn refused_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// `check mail.test` on these ports (named, so judged strictly), pinned to loopback, trusting
/// the test CA, plus `extra`.
fn check(pki: &Pki, ports: &[u16], extra: &[&str]) -> Run {
    let ports: Vec<String> = ports.iter().map(u16::to_string).collect();
    let mut args: Vec<String> = [
        "check",
        NAME,
        "--resolve",
        "mail.test:127.0.0.1",
        "--ca-file",
        &pki.ca_file.display().to_string(),
        "--connect-timeout",
        "1s",
        "--timeout",
        "2s",
        "--port",
        &ports.join(","),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    let run = run_raw(&args.iter().map(String::as_str).collect::<Vec<_>>(), &[]);
    // For debugging: SMTP_DOCTOR_TEST_DUMP=1 cargo test --test it monitor -- --nocapture
    if std::env::var_os("SMTP_DOCTOR_TEST_DUMP").is_some() {
        eprintln!(
            "{args:?}\nexit {}\n{}\nstderr: {}",
            run.code, run.stdout, run.stderr
        );
    }
    run
}

/// The endpoint of `port` in a JSON report.
fn json_endpoint(doc: &Value, port: u16) -> &Value {
    doc["endpoints"]
        .as_array()
        .and_then(|eps| eps.iter().find(|e| e["port"] == port))
        .unwrap_or_else(|| panic!("no endpoint on port {port}: {doc:#}"))
}

// ---------------------------------------------------------------------------------------------
// Prometheus

/// One sample of an exposition.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sample {
    pub(crate) name: String,
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) value: f64,
}

/// An exposition as read by [`parse_exposition`]: HELP and TYPE by family, samples in order.
#[derive(Debug, Default)]
pub(crate) struct Exposition {
    pub(crate) help: BTreeMap<String, String>,
    pub(crate) types: BTreeMap<String, String>,
    pub(crate) samples: Vec<Sample>,
}

impl Exposition {
    /// The samples of `name` whose labels include `want`.
    pub(crate) fn find(&self, name: &str, want: &[(&str, &str)]) -> Vec<&Sample> {
        self.samples
            .iter()
            .filter(|s| s.name == name)
            .filter(|s| {
                want.iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .collect()
    }

    /// The value of the one sample of `name` with these labels.
    #[track_caller]
    pub(crate) fn value(&self, name: &str, want: &[(&str, &str)]) -> f64 {
        let found = self.find(name, want);
        assert_eq!(found.len(), 1, "one {name} {want:?} expected: {found:#?}");
        found[0].value
    }
}

/// Reads the text exposition format 0.0.4 strictly: `# HELP` and `# TYPE` lines, samples with
/// quoted, escaped label values (`\\`, `\"`, `\n`); every sample's family must have had its
/// TYPE line, families must not be split, and no series may appear twice.
pub(crate) fn parse_exposition(text: &str) -> Exposition {
    assert!(text.ends_with('\n'), "ends with a line feed: {text:?}");
    let mut e = Exposition::default();
    let mut current = String::new();
    let mut series = BTreeSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').expect("HELP name text");
            assert!(
                e.help.insert(name.into(), help.into()).is_none(),
                "HELP twice: {name}"
            );
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE name kind");
            assert!(
                e.types.insert(name.into(), kind.into()).is_none(),
                "TYPE twice (a split family?): {name}"
            );
            current = name.to_string();
        } else {
            assert!(!line.starts_with('#') && !line.is_empty(), "{line:?}");
            let sample = parse_sample(line);
            assert_eq!(sample.name, current, "sample outside its family: {line}");
            let key = (sample.name.clone(), sample.labels.clone());
            assert!(series.insert(key), "series twice: {line}");
            e.samples.push(sample);
        }
    }
    e
}

fn parse_sample(line: &str) -> Sample {
    let name_end = line.find(['{', ' ']).expect("name");
    let name = &line[..name_end];
    assert!(
        name.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
        "{line}"
    );
    let mut labels = BTreeMap::new();
    let mut rest = &line[name_end..];
    if let Some(mut inner) = rest.strip_prefix('{') {
        loop {
            let (label, after) = inner.split_once("=\"").expect("label=\"");
            assert!(
                !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "{label:?} in {line}"
            );
            let mut value = String::new();
            let mut chars = after.char_indices();
            let end = loop {
                match chars.next().expect("closing quote") {
                    (_, '\\') => match chars.next().expect("escape").1 {
                        '\\' => value.push('\\'),
                        '"' => value.push('"'),
                        'n' => value.push('\n'),
                        other => panic!("bad escape \\{other} in {line}"),
                    },
                    (i, '"') => break i + 1,
                    (_, c) => value.push(c),
                }
            };
            assert!(
                labels.insert(label.to_string(), value).is_none(),
                "label twice: {line}"
            );
            let after = &after[end..];
            if let Some(next) = after.strip_prefix(',') {
                inner = next;
            } else if let Some(tail) = after.strip_prefix('}') {
                rest = tail;
                break;
            } else {
                panic!("{after:?} after a label value in {line}");
            }
        }
    }
    let value = rest.strip_prefix(' ').expect("space before the value");
    let value: f64 = value
        .parse()
        .unwrap_or_else(|e| panic!("value {value:?}: {e}"));
    Sample {
        name: name.to_string(),
        labels,
        value,
    }
}

/// The families `check --format prometheus` writes for a run with TLS and findings.
const FAMILIES: [&str; 9] = [
    "smtp_doctor_up",
    "smtp_doctor_phase_duration_seconds",
    "smtp_doctor_tls_info",
    "smtp_doctor_certificate_info",
    "smtp_doctor_certificate_not_after_timestamp_seconds",
    "smtp_doctor_finding",
    "smtp_doctor_findings",
    "smtp_doctor_verdict",
    "smtp_doctor_run_duration_seconds",
];

/// Unix seconds of an RFC 3339 time of the JSON.
fn unix(rfc3339: &str) -> i64 {
    time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|e| panic!("{rfc3339}: {e}"))
        .unix_timestamp()
}

/// The labels of an endpoint of mail.test on loopback.
fn at(port: &str) -> Vec<(&str, &str)> {
    vec![("host", NAME), ("ip", "127.0.0.1"), ("port", port)]
}

/// `at(port)` and more.
fn with<'a>(port: &'a str, more: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut labels = at(port);
    labels.extend_from_slice(more);
    labels
}

/// A good port and a refused one, both named: the exposition as a parser reads it has what
/// the JSON of the same servers says.
#[test]
fn prometheus_good_and_refused_port() {
    let pki = Pki::new();
    let good = server(pki.leaf(Validity::EndsInDays(20)));
    let refused = refused_port();
    let ports = [good.port(), refused];
    let run = check(&pki, &ports, &["--format", "prometheus"]);
    assert_eq!(run.code, 1, "exit code as the table's: {}", run.stderr);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    let doc = check(&pki, &ports, &["--json"]).json();
    let e = parse_exposition(&run.stdout);

    let names: BTreeSet<&str> = e.types.keys().map(String::as_str).collect();
    assert_eq!(names, FAMILIES.into_iter().collect(), "{}", run.stdout);
    for family in FAMILIES {
        assert_eq!(e.types[family], "gauge", "{family}");
        assert!(e.help[family].len() > 10, "{family}");
    }
    for s in &e.samples {
        assert_eq!(s.labels["target"], NAME, "{s:?}");
    }
    let (g, r) = (good.port().to_string(), refused.to_string());
    let up = |port: &str| e.value("smtp_doctor_up", &with(port, &[("security", "starttls")]));
    assert_eq!(up(&g), 1.0);
    assert_eq!(up(&r), 0.0);

    // A phase per non-null timing of the JSON, in seconds.
    let ep = json_endpoint(&doc, good.port());
    for (phase, ms) in ep["timings_ms"].as_object().expect("timings") {
        let want = with(&g, &[("phase", phase)]);
        let found = e.find("smtp_doctor_phase_duration_seconds", &want);
        assert_eq!(
            found.len(),
            usize::from(!ms.is_null()),
            "{phase}: {found:?}"
        );
    }
    let total = e.value(
        "smtp_doctor_phase_duration_seconds",
        &with(&g, &[("phase", "total")]),
    );
    assert!(total > 0.0 && total < 10.0, "{total}");
    assert_eq!(e.find("smtp_doctor_tls_info", &at(&r)).len(), 0);
    let tls = &ep["tls"];
    let version = tls["version"].as_str().expect("version");
    let cipher = tls["cipher"].as_str().expect("cipher");
    let want = with(&g, &[("version", version), ("cipher", cipher)]);
    assert_eq!(e.value("smtp_doctor_tls_info", &want), 1.0);
    certificate_as_in_the_json(&e, &tls["chain"][0], &g);
    findings_as_in_the_json(&e, &doc, &g, &r);
    assert_eq!(e.value("smtp_doctor_verdict", &[]), 1.0);
    let run_seconds = e.value("smtp_doctor_run_duration_seconds", &[]);
    assert!(run_seconds > 0.0 && run_seconds < 30.0, "{run_seconds}");
}

/// The leaf's info and end of validity match the JSON's leaf; the days left the JSON counted
/// at the probe follow from that end.
#[track_caller]
fn certificate_as_in_the_json(e: &Exposition, leaf: &Value, port: &str) {
    let sha256 = leaf["sha256"].as_str().expect("sha256");
    let want = with(port, &[("sha256", sha256), ("subject", "CN=mail.test")]);
    assert_eq!(e.value("smtp_doctor_certificate_info", &want), 1.0);
    let not_after = e.value(
        "smtp_doctor_certificate_not_after_timestamp_seconds",
        &at(port),
    );
    let json_not_after = unix(leaf["not_after"].as_str().expect("not_after"));
    assert_eq!(not_after, json_not_after as f64);
    // Made to end in 20 days: 19 whole days left, or 20 within the second it was made.
    let days_left = leaf["days_left"].as_i64().expect("days_left");
    assert!((19..=20).contains(&days_left), "{leaf:#}");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let days_now = (json_not_after - now).div_euclid(86_400);
    assert!(
        days_now == days_left || days_now == days_left - 1,
        "{days_now} {leaf:#}"
    );
}

/// Each finding of the JSON is one series (with its endpoint), the counts by severity are the
/// JSON's summary.
#[track_caller]
fn findings_as_in_the_json(e: &Exposition, doc: &Value, good: &str, refused: &str) {
    let want = with(refused, &[("id", "port.refused"), ("severity", "error")]);
    assert_eq!(e.value("smtp_doctor_finding", &want), 1.0);
    let want = with(
        good,
        &[("id", "cert.expiring_soon"), ("severity", "warning")],
    );
    assert_eq!(e.value("smtp_doctor_finding", &want), 1.0);
    for severity in ["errors", "warnings", "infos"] {
        let label = severity.trim_end_matches('s');
        assert_eq!(
            e.value("smtp_doctor_findings", &[("severity", label)]),
            doc["summary"][severity].as_f64().expect("count"),
            "{severity}"
        );
    }
    let findings = doc["findings"].as_array().expect("findings").len() as f64;
    let raised: f64 = e
        .find("smtp_doctor_finding", &[])
        .iter()
        .map(|s| s.value)
        .sum();
    assert_eq!(raised, findings, "every finding counted once");
}

/// A healthy run: up 1, verdict 0, no finding series, exit 0.
#[test]
fn prometheus_healthy_run() {
    let pki = Pki::new();
    let good = server(pki.leaf(Validity::Good));
    let run = check(&pki, &[good.port()], &["--format", "prometheus"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let e = parse_exposition(&run.stdout);
    assert_eq!(e.value("smtp_doctor_verdict", &[]), 0.0);
    assert_eq!(e.value("smtp_doctor_up", &[]), 1.0);
    assert!(
        e.find("smtp_doctor_finding", &[]).is_empty(),
        "{}",
        run.stdout
    );
    assert_eq!(
        e.value("smtp_doctor_findings", &[("severity", "error")]),
        0.0
    );
}

/// A certificate whose subject needs every escape of a label value: `"`, `\` and a line feed.
const ODD_CN: &str = "odd \"quoted\" back\\slash\nsecond line";

/// Runs the exposition of a good port (with [`ODD_CN`] as its certificate's CN) and a refused
/// one; returns it with the JSON of the same servers.
fn odd_run() -> (String, Value, u16, u16) {
    let pki = Pki::new();
    let good = server(pki.ca.leaf(&[ODD_CN, NAME], Validity::Good));
    let refused = refused_port();
    let ports = [good.port(), refused];
    let run = check(&pki, &ports, &["--format", "prometheus"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let doc = check(&pki, &ports, &["--json"]).json();
    (run.stdout, doc, good.port(), refused)
}

/// `python3 -c SCRIPT` with `input` on stdin; its stdout.
fn python(script: &str, input: &str) -> String {
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 (this test needs python3 with prometheus-client; .ci/run installs it)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("python3 output");
    assert!(
        out.status.success(),
        "python3 failed (pip install prometheus-client?):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// The PyPI `prometheus-client` parser: every family with its type, help and samples, as JSON.
const PARSE_WITH_PROMETHEUS_CLIENT: &str = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
families = []
for f in text_string_to_metric_families(sys.stdin.read()):
    families.append({"name": f.name, "type": f.type, "help": f.documentation,
                     "samples": [{"name": s.name, "labels": s.labels, "value": s.value}
                                 for s in f.samples]})
print(json.dumps(families))
"#;

#[test]
#[ignore = "needs python3 with prometheus-client (pip install prometheus-client); run by .ci/run"]
fn prometheus_client_parses_the_exposition() {
    let (text, doc, good, refused) = odd_run();
    let parsed: Value =
        serde_json::from_str(&python(PARSE_WITH_PROMETHEUS_CLIENT, &text)).expect("JSON");
    let families = parsed.as_array().expect("families");
    let names: Vec<&str> = families.iter().filter_map(|f| f["name"].as_str()).collect();
    assert_eq!(names, FAMILIES, "{text}");
    let mut series = BTreeSet::new();
    for f in families {
        assert_eq!(f["type"], "gauge", "{f:#}");
        assert!(f["help"].as_str().is_some_and(|h| h.len() > 10), "{f:#}");
        for s in f["samples"].as_array().expect("samples") {
            assert_eq!(s["name"], f["name"], "{s:#}");
            assert_eq!(s["labels"]["target"], NAME, "{s:#}");
            assert!(series.insert(s.to_string()), "twice: {s:#}");
        }
    }
    let value = |name: &str, want: &[(&str, String)]| -> Vec<f64> {
        families
            .iter()
            .filter(|f| f["name"] == name)
            .flat_map(|f| f["samples"].as_array().cloned().unwrap_or_default())
            .filter(|s| want.iter().all(|(k, v)| s["labels"][*k] == v.as_str()))
            .filter_map(|s| s["value"].as_f64())
            .collect()
    };
    let port = |p: u16| ("port", p.to_string());
    assert_eq!(value("smtp_doctor_up", &[port(good)]), [1.0]);
    assert_eq!(value("smtp_doctor_up", &[port(refused)]), [0.0]);
    // The escaped subject reads back as the JSON has it, quotes, backslash and line feed.
    let subject = json_endpoint(&doc, good)["tls"]["chain"][0]["subject"]
        .as_str()
        .expect("subject")
        .to_string();
    assert!(
        subject.contains('"') && subject.contains('\\') && subject.contains('\n'),
        "{subject:?}"
    );
    assert_eq!(
        value(
            "smtp_doctor_certificate_info",
            &[port(good), ("subject", subject)]
        ),
        [1.0],
        "{text}"
    );
    let leaf = &json_endpoint(&doc, good)["tls"]["chain"][0];
    assert_eq!(
        value(
            "smtp_doctor_certificate_not_after_timestamp_seconds",
            &[port(good)]
        ),
        [unix(leaf["not_after"].as_str().expect("not_after")) as f64]
    );
    assert_eq!(
        value(
            "smtp_doctor_finding",
            &[
                port(refused),
                ("id", "port.refused".into()),
                ("severity", "error".into())
            ]
        ),
        [1.0]
    );
    assert_eq!(value("smtp_doctor_verdict", &[]), [1.0]);
    // This file's own parser agrees.
    let e = parse_exposition(&text);
    assert_eq!(e.samples.len(), series.len());
}

/// promtool: Debian's `prometheus` package (`.ci/run` unpacks it to /opt/smtp-doctor-prometheus);
/// else the one on PATH.
pub(crate) fn promtool() -> String {
    let unpacked = "/opt/smtp-doctor-prometheus/usr/bin/promtool";
    if std::path::Path::new(unpacked).exists() {
        unpacked.to_string()
    } else {
        "promtool".to_string()
    }
}

/// `promtool check metrics` on `text`: exit 0 and nothing said (the syntax parses and the
/// lint, HELP, base units, suffixes, snake_case names, finds nothing).
pub(crate) fn promtool_check_metrics(text: &str) {
    let mut child = Command::new(promtool())
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (.ci/run unpacks Debian's prometheus package)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("promtool output");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "promtool: {said}\n{text}");
    assert!(said.trim().is_empty(), "promtool: {said}\n{text}");
}

#[test]
#[ignore = "needs promtool (Debian's prometheus package); run by .ci/run"]
fn promtool_checks_the_exposition() {
    let (text, ..) = odd_run();
    promtool_check_metrics(&text);
}

// ---------------------------------------------------------------------------------------------
// Nagios

/// The status line split into its text and performance data; the lines after it.
fn nagios_output(run: &Run) -> (String, Vec<String>, Vec<String>) {
    let mut lines = run.stdout.lines();
    let first = lines.next().unwrap_or_else(|| panic!("no output: {run:?}"));
    let (text, perf) = first.split_once(" | ").unwrap_or((first, ""));
    assert!(!text.contains('|'), "{first}");
    let perf: Vec<String> = perf.split_whitespace().map(str::to_string).collect();
    for field in &perf {
        assert_perfdata(field);
    }
    (text.to_string(), perf, lines.map(str::to_string).collect())
}

/// `label=value[UOM];[warn];[crit];[min];[max]` (monitoring-plugins' guidelines): a plain
/// label, a number, a unit of letters or `%`, then up to four numeric or empty fields.
#[track_caller]
fn assert_perfdata(field: &str) {
    let (label, rest) = field.split_once('=').unwrap_or_else(|| panic!("{field}"));
    assert!(
        !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
        "{field}"
    );
    let mut parts = rest.split(';');
    let value = parts.next().unwrap_or_default();
    let number_end = value
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .unwrap_or(value.len());
    assert!(value[..number_end].parse::<f64>().is_ok(), "{field}");
    assert!(
        value[number_end..]
            .chars()
            .all(|c| c.is_ascii_alphabetic() || c == '%'),
        "{field}"
    );
    let thresholds: Vec<&str> = parts.collect();
    assert!(thresholds.len() <= 4, "{field}");
    for t in thresholds {
        assert!(t.is_empty() || t.parse::<f64>().is_ok(), "{field}");
    }
}

/// The perfdata field `label` without the label.
fn perf<'a>(fields: &'a [String], label: &str) -> &'a str {
    let prefix = format!("{label}=");
    fields
        .iter()
        .find_map(|f| f.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {label} in {fields:?}"))
}

/// The value of the `cert_days` perfdata field.
fn days_left(fields: &[String]) -> i64 {
    let field = perf(fields, "cert_days");
    let value = field.split(';').next().unwrap_or_default();
    value
        .parse()
        .unwrap_or_else(|e| panic!("cert_days={field}: {e}"))
}

#[test]
fn nagios_ok_against_a_good_server() {
    let pki = Pki::new();
    let good = server(pki.leaf(Validity::Good));
    let run = check(&pki, &[good.port()], &["--format", "nagios"]);
    assert_eq!(run.code, 0, "{run:?}");
    let (text, fields, more) = nagios_output(&run);
    // A year from a day ago: 364 whole days left, or 365 within the second it was made.
    let days = days_left(&fields);
    assert!((364..=365).contains(&days), "{run:?}");
    assert_eq!(
        text,
        format!("SMTP OK - mail.test: 1 endpoint ok, certificate {days} days left"),
        "{run:?}"
    );
    assert!(more.is_empty(), "{more:?}");
    assert_eq!(fields.len(), 5, "{fields:?}");
    assert!(fields[0].starts_with("time=") && fields[0].ends_with("s;;;0"));
    assert_eq!(perf(&fields, "cert_days"), format!("{days};30;14"));
    assert_eq!(perf(&fields, "endpoints_ok"), "1;;;0;1");
    assert_eq!(perf(&fields, "errors"), "0;;;0");
    assert_eq!(perf(&fields, "warnings"), "0;;;0");
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

#[test]
fn nagios_warning_for_a_certificate_20_days_left() {
    let pki = Pki::new();
    let good = server(pki.leaf(Validity::EndsInDays(20)));
    let run = check(
        &pki,
        &[good.port()],
        &["--format", "nagios", "--warn-days", "30"],
    );
    assert_eq!(run.code, 1, "{run:?}");
    let (text, fields, more) = nagios_output(&run);
    let endpoint = format!("mail.test:{}", good.port());
    // 20 days from its making, less the time until the probe: 19 whole days (20 within the
    // second it was made).
    let days = days_left(&fields);
    assert!((19..=20).contains(&days), "{run:?}");
    assert_eq!(
        text,
        format!(
            "SMTP WARNING - mail.test: certificate of {endpoint} expires in {days} days \
             (warn 30); cert.expiring_soon on {endpoint}"
        )
    );
    assert_eq!(perf(&fields, "cert_days"), format!("{days};30;14"));
    assert_eq!(perf(&fields, "warnings"), "1;;;0");
    assert_eq!(more.len(), 2, "{more:?}");
    assert!(
        more[0].starts_with(&format!(
            "WARNING: The certificate of {endpoint} (127.0.0.1) expires in {days} days ("
        )) && more[0].ends_with("): at or below --warn-days 30."),
        "{more:?}"
    );
    assert!(
        more[1].starts_with("WARNING: cert.expiring_soon: The certificate of"),
        "{more:?}"
    );
}

/// 24 or 25 days left: no finding (`cert.expiring_soon` starts below 21), so the thresholds
/// alone decide.
#[test]
fn nagios_thresholds_alone_decide_between_ok_warning_and_critical() {
    let pki = Pki::new();
    let good = server(pki.leaf(Validity::EndsInDays(25)));
    let port = [good.port()];
    for (extra, code, status) in [
        (&["--warn-days", "23", "--crit-days", "10"][..], 0, "OK"),
        (&[][..], 1, "WARNING"),
        (
            &["--warn-days", "40", "--crit-days", "25"][..],
            2,
            "CRITICAL",
        ),
    ] {
        let mut args = vec!["--format", "nagios"];
        args.extend_from_slice(extra);
        let run = check(&pki, &port, &args);
        assert_eq!(run.code, code, "{extra:?}: {run:?}");
        let (text, fields, _) = nagios_output(&run);
        assert!(
            text.starts_with(&format!("SMTP {status} - mail.test: ")),
            "{extra:?}: {text}"
        );
        assert!((24..=25).contains(&days_left(&fields)), "{fields:?}");
        assert_eq!(perf(&fields, "warnings"), "0;;;0", "no finding: {run:?}");
    }
}

#[test]
fn nagios_critical_for_error_findings() {
    let pki = Pki::new();
    let expired = server(pki.leaf(Validity::Expired));
    let refused = refused_port();
    let run = check(&pki, &[expired.port(), refused], &["--format", "nagios"]);
    assert_eq!(run.code, 2, "{run:?}");
    let (text, fields, more) = nagios_output(&run);
    assert!(text.starts_with("SMTP CRITICAL - mail.test: "), "{text}");
    assert!(
        text.contains(&format!("cert.expired on mail.test:{}", expired.port())),
        "{text}"
    );
    assert!(
        text.contains(&format!("port.refused on mail.test:{refused}")),
        "{text}"
    );
    assert!(perf(&fields, "cert_days").starts_with("-1"), "{fields:?}");
    assert_eq!(perf(&fields, "endpoints_ok"), "1;;;0;2");
    assert!(
        more.iter().all(|l| l.starts_with("CRITICAL: ")),
        "errors only: {more:?}"
    );
    assert!(
        more.iter()
            .any(|l| l.starts_with("CRITICAL: port.refused: The connection to")),
        "{more:?}"
    );
}

#[test]
fn nagios_unknown_when_the_check_cannot_run() {
    // An unreadable --ca-file: the run cannot happen.
    let run = run_raw(
        &[
            "check",
            "mail.test",
            "--format",
            "nagios",
            "--ca-file",
            "/nonexistent/ca.pem",
        ],
        &[],
    );
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stdout
            .starts_with("SMTP UNKNOWN - cannot read --ca-file /nonexistent/ca.pem: "),
        "{run:?}"
    );
    assert_eq!(run.stdout.lines().count(), 1, "{run:?}");
    assert!(!run.stdout.contains('|'), "no perfdata: {run:?}");
    assert!(run.stderr.is_empty(), "Nagios reads stdout: {run:?}");
    // Usage errors, ours and clap's.
    for (args, reason) in [
        (
            &[
                "check",
                "mail.test",
                "--format",
                "nagios",
                "--crit-days",
                "30",
            ][..],
            "--crit-days (30) must be less than --warn-days (30)",
        ),
        (
            &["check", "mail.test", "--format=nagios", "--json"][..],
            "--json is --format json",
        ),
        (
            &[
                "check",
                "mail.test",
                "--format",
                "nagios",
                "--warn-days",
                "soon",
            ][..],
            "invalid value 'soon' for '--warn-days <N>'",
        ),
        (
            &["check", "--format", "nagios"][..],
            "the following required arguments were not provided",
        ),
        (
            &["check", "mail.test", "--format", "nagios", "-4", "-6"][..],
            "cannot be used with",
        ),
    ] {
        let run = run_raw(args, &[]);
        assert_eq!(run.code, 3, "{args:?}: {run:?}");
        assert!(
            run.stdout.starts_with("SMTP UNKNOWN - ") && run.stdout.contains(reason),
            "{args:?}: {run:?}"
        );
        assert!(
            run.stdout
                .trim_end()
                .ends_with("(see smtp-doctor check --help)"),
            "{run:?}"
        );
        assert_eq!(run.stdout.lines().count(), 1, "{run:?}");
        assert!(run.stderr.is_empty(), "{run:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// --format and --json

#[test]
fn format_json_is_json_and_json_with_another_format_is_a_usage_error() {
    let pki = Pki::new();
    let good = server(pki.leaf(Validity::Good));
    let run = check(&pki, &[good.port()], &["--format", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["schema_version"], 1);
    for (args, reason) in [
        (
            &["check", "mail.test", "--json", "--format", "prometheus"][..],
            "--json is --format json; give one format, not --json and --format prometheus",
        ),
        (
            &["check", "mail.test", "--warn-days", "10"][..],
            "--warn-days goes with --format nagios",
        ),
        (
            &[
                "check",
                "mail.test",
                "--format",
                "prometheus",
                "--transcript",
            ][..],
            "does not go with --transcript",
        ),
    ] {
        let run = run_raw(args, &[]);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(run.stdout.is_empty(), "{run:?}");
        assert!(
            run.stderr.contains(reason) && run.stderr.contains("(see smtp-doctor check --help)"),
            "{args:?}: {run:?}"
        );
    }
}
