//! `check --format prometheus`: one run as the Prometheus text exposition format, version
//! 0.0.4, for node_exporter's textfile collector. Every family is a gauge with `# HELP` and
//! `# TYPE`; times in seconds, info metrics with the value 1; every series carries the target
//! as typed, so the files of several targets can sit side by side in one collector directory.
//! No series appears twice: an endpoint seen twice counts once (the first), and a finding
//! raised twice for one endpoint is one series whose value is the count. A family without a
//! series is left out. README ("Monitoring") lists the families.

use std::collections::{BTreeSet, HashMap};
use std::io::{self, Write};
use std::time::Duration;

use crate::model::{Observation, State};
use crate::run::outcome::{BatchResult, CheckReport, ExporterStats, Outcome};
use crate::verdict::{Finding, Severity};

/// Writes the report as the text exposition format, newline-terminated.
pub fn write(report: &CheckReport, out: &mut dyn Write) -> io::Result<()> {
    for family in families(report) {
        family.write(out)?;
    }
    Ok(())
}

/// `check --file --format prometheus`: every line's run in one exposition, each family once
/// (its series from every target, in input order), for one textfile of the collector. A line
/// that could not be checked is `smtp_doctor_check_error{target,line,kind}`. Two lines with
/// the same target give the same series; the first line's stand.
#[derive(Default)]
pub struct BatchExposition {
    families: Vec<Family>,
}

impl BatchExposition {
    /// Adds one line's result.
    pub fn add(&mut self, result: &BatchResult) {
        let reason = match &result.outcome {
            Outcome::Checked(report) => {
                for family in families(report) {
                    self.merge(family);
                }
                return;
            }
            Outcome::Invalid(_) => "invalid_target",
            Outcome::Failed(_) => "setup",
        };
        let mut error = Family::new(
            "smtp_doctor_check_error",
            "1 for an input line that could not be checked: not a usable target (invalid_target) \
             or a run that could not start (setup); the reason is in the table and the JSON.",
        );
        error.add(
            vec![
                ("target", result.input.clone()),
                ("line", result.line.to_string()),
                ("kind", reason.to_string()),
            ],
            Value::Int(1),
        );
        self.merge(error);
    }

    fn merge(&mut self, family: Family) {
        match self.families.iter_mut().find(|f| f.name == family.name) {
            Some(known) => {
                for (labels, value) in family.samples {
                    known.add(labels, value);
                }
            }
            None => self.families.push(family),
        }
    }

    /// Writes the exposition, newline-terminated (nothing when no line was given).
    pub fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        for family in &self.families {
            family.write(out)?;
        }
        Ok(())
    }
}

/// `serve`'s answer to one probe: the run's families, then blackbox_exporter's two under our
/// prefix: `smtp_doctor_probe_success` (1 when the run has no error finding, the exit code's
/// rule) and `smtp_doctor_probe_duration_seconds` (the whole check).
pub fn write_probe(report: &CheckReport, out: &mut dyn Write) -> io::Result<()> {
    write(report, out)?;
    let mut success = Family::new(
        "smtp_doctor_probe_success",
        "1 when the check found no error (what smtp_doctor_verdict 0 says), else 0.",
    );
    success.add(
        Vec::new(),
        Value::Int(i64::from(report.count(Severity::Error) == 0)),
    );
    let mut duration = Family::new(
        "smtp_doctor_probe_duration_seconds",
        "How long the check took.",
    );
    duration.add(Vec::new(), Value::Seconds(report.duration));
    success.write(out)?;
    duration.write(out)
}

/// `serve`'s own metrics (`/metrics`): requests by path and status, checks by module and result,
/// the time they took, what runs now, the limit, when the exporter started.
pub fn write_exporter(stats: &ExporterStats, out: &mut dyn Write) -> io::Result<()> {
    let mut info = Family::new(
        "smtp_doctor_exporter_build_info",
        "The exporter's version in a label; always 1.",
    );
    info.add(vec![("version", stats.version.to_string())], Value::Int(1));
    let mut started = Family::new(
        "smtp_doctor_exporter_start_time_seconds",
        "When the exporter started, in Unix seconds.",
    );
    started.add(Vec::new(), Value::Int(stats.started_unix));
    let mut limit = Family::new(
        "smtp_doctor_exporter_concurrency_limit",
        "How many checks may run at once (--concurrency).",
    );
    limit.add(Vec::new(), Value::Int(count(stats.limit)));
    let mut running = Family::new(
        "smtp_doctor_exporter_checks_running",
        "How many checks are running now.",
    );
    running.add(Vec::new(), Value::Int(count(stats.running)));
    let mut requests = Family::new(
        "smtp_doctor_exporter_requests_total",
        "HTTP requests answered, by path and status code.",
    )
    .counting();
    for r in &stats.requests {
        requests.add(
            vec![("path", r.path.clone()), ("code", r.code.to_string())],
            Value::Int(count(r.count)),
        );
    }
    let mut checks = Family::new(
        "smtp_doctor_exporter_checks_total",
        "Checks run, by module and result (success: no error finding; failure: at least one).",
    )
    .counting();
    let mut seconds = Family::new(
        "smtp_doctor_exporter_check_seconds_total",
        "Time spent in checks, by module.",
    )
    .counting();
    for c in &stats.checks {
        checks.add(
            vec![
                ("module", c.module.clone()),
                ("result", "success".to_string()),
            ],
            Value::Int(count(c.success)),
        );
        checks.add(
            vec![
                ("module", c.module.clone()),
                ("result", "failure".to_string()),
            ],
            Value::Int(count(c.failure)),
        );
        seconds.add(
            vec![("module", c.module.clone())],
            Value::Seconds(c.seconds),
        );
    }
    for family in [info, started, limit, running, requests, checks, seconds] {
        family.write(out)?;
    }
    Ok(())
}

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A sample's value: counts and timestamps print as integers, durations as decimals.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Value {
    Int(i64),
    Seconds(Duration),
}

/// One metric family: its name, help and samples (label pairs and value), in order.
struct Family {
    name: &'static str,
    help: &'static str,
    /// What a second sample with the same labels does: add up (counts) or nothing (the first
    /// one stands).
    sum_duplicates: bool,
    /// `# TYPE ... counter` (a `_total` that only grows), else a gauge.
    counter: bool,
    samples: Vec<(Vec<(&'static str, String)>, Value)>,
    /// Where each label set's sample is in `samples`: a batch of many targets adds tens of
    /// thousands of series to one family, and a linear search for duplicates would be
    /// quadratic.
    index: HashMap<Vec<(&'static str, String)>, usize>,
}

impl Family {
    fn new(name: &'static str, help: &'static str) -> Family {
        Family {
            name,
            help,
            sum_duplicates: false,
            counter: false,
            samples: Vec::new(),
            index: HashMap::new(),
        }
    }

    fn counting(mut self) -> Family {
        self.counter = true;
        self
    }

    fn summing(mut self) -> Family {
        self.sum_duplicates = true;
        self
    }

    fn add(&mut self, labels: Vec<(&'static str, String)>, value: Value) {
        match self
            .index
            .get(&labels)
            .and_then(|&i| self.samples.get_mut(i))
        {
            Some((_, Value::Int(old))) if self.sum_duplicates => {
                if let Value::Int(more) = value {
                    *old = old.saturating_add(more);
                }
            }
            Some(_) => {}
            None => {
                self.index.insert(labels.clone(), self.samples.len());
                self.samples.push((labels, value));
            }
        }
    }

    fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.samples.is_empty() {
            return Ok(());
        }
        writeln!(out, "# HELP {} {}", self.name, escape_help(self.help))?;
        let kind = if self.counter { "counter" } else { "gauge" };
        writeln!(out, "# TYPE {} {kind}", self.name)?;
        for (labels, value) in &self.samples {
            let pairs: Vec<String> = labels
                .iter()
                .map(|(name, value)| format!("{name}=\"{}\"", escape_label(value)))
                .collect();
            let value = match value {
                Value::Int(n) => n.to_string(),
                Value::Seconds(d) => d.as_secs_f64().to_string(),
            };
            if pairs.is_empty() {
                writeln!(out, "{} {value}", self.name)?;
            } else {
                writeln!(out, "{}{{{}}} {value}", self.name, pairs.join(","))?;
            }
        }
        Ok(())
    }
}

/// Every family of the run, in the order written.
fn families(report: &CheckReport) -> Vec<Family> {
    let target = report.target.input.clone();
    let mut up = Family::new(
        "smtp_doctor_up",
        "1 when the endpoint's probe completed the SMTP dialogue (state ok), else 0.",
    );
    let mut phases = Family::new(
        "smtp_doctor_phase_duration_seconds",
        "Time spent in each phase of the endpoint's probe that ran (total: the whole probe).",
    );
    let mut tls = Family::new(
        "smtp_doctor_tls_info",
        "TLS negotiated at the endpoint: version, cipher and key exchange in labels; always 1.",
    );
    let mut cert = Family::new(
        "smtp_doctor_certificate_info",
        "The endpoint's leaf certificate: subject, issuer, serial and SHA-256 in labels; always 1.",
    );
    let mut not_after = Family::new(
        "smtp_doctor_certificate_not_after_timestamp_seconds",
        "End of validity of the endpoint's leaf certificate, in Unix seconds.",
    );
    let mut seen = BTreeSet::new();
    for o in &report.observations {
        let key = endpoint_labels(&target, o);
        if !seen.insert(key.clone()) {
            continue;
        }
        let mut labels = key.clone();
        labels.push(("security", o.endpoint.security.as_str().to_string()));
        up.add(labels, Value::Int(i64::from(o.state == State::Ok)));
        for (phase, time) in timings(o) {
            let mut labels = key.clone();
            labels.push(("phase", phase.to_string()));
            phases.add(labels, Value::Seconds(time));
        }
        let Some(facts) = &o.tls else {
            continue;
        };
        let mut labels = key.clone();
        labels.push(("version", facts.version.clone()));
        labels.push(("cipher", facts.cipher.clone()));
        labels.push((
            "key_exchange",
            facts.key_exchange.clone().unwrap_or_default(),
        ));
        tls.add(labels, Value::Int(1));
        let Some(leaf) = facts.chain.first() else {
            continue;
        };
        let mut labels = key.clone();
        labels.push(("subject", leaf.subject.clone()));
        labels.push(("issuer", leaf.issuer.clone()));
        labels.push(("serial", leaf.serial.clone()));
        labels.push(("sha256", leaf.sha256.clone()));
        cert.add(labels, Value::Int(1));
        if let Some(secs) = leaf.not_after_unix() {
            not_after.add(key, Value::Int(secs));
        }
    }
    let mut found = vec![up, phases, tls, cert, not_after];
    found.extend(finding_families(report, &target));
    found.extend(run_families(report, &target));
    found
}

/// `smtp_doctor_finding` and `smtp_doctor_findings`.
fn finding_families(report: &CheckReport, target: &str) -> [Family; 2] {
    let mut each = Family::new(
        "smtp_doctor_finding",
        "A finding of the run, by id and severity, with its endpoint (empty labels for the run \
         as a whole); the value counts how often it was raised there (normally 1).",
    )
    .summing();
    for f in &report.findings {
        let (host, ip, port) = finding_endpoint(report, f);
        each.add(
            vec![
                ("target", target.to_string()),
                ("id", f.id.as_str().to_string()),
                ("severity", f.severity.as_str().to_string()),
                ("host", host),
                ("ip", ip),
                ("port", port),
            ],
            Value::Int(1),
        );
    }
    let mut counts = Family::new(
        "smtp_doctor_findings",
        "Number of findings of the run by severity.",
    );
    for severity in [Severity::Error, Severity::Warning, Severity::Info] {
        let n = i64::try_from(report.count(severity)).unwrap_or(i64::MAX);
        counts.add(
            vec![
                ("target", target.to_string()),
                ("severity", severity.as_str().to_string()),
            ],
            Value::Int(n),
        );
    }
    [each, counts]
}

/// `smtp_doctor_verdict` and `smtp_doctor_run_duration_seconds`.
fn run_families(report: &CheckReport, target: &str) -> [Family; 2] {
    let labels = || vec![("target", target.to_string())];
    let mut verdict = Family::new(
        "smtp_doctor_verdict",
        "0 when the run is healthy, 1 when it has at least one error finding (the exit code's rule).",
    );
    // The same rule as the exit code of the table and JSON (`main`'s verdict code).
    let errors = report.count(Severity::Error) > 0;
    verdict.add(labels(), Value::Int(i64::from(errors)));
    let mut duration = Family::new(
        "smtp_doctor_run_duration_seconds",
        "Wall-clock time of the whole run.",
    );
    duration.add(labels(), Value::Seconds(report.duration));
    [verdict, duration]
}

/// `target`, `host`, `ip`, `port` of an endpoint's series.
fn endpoint_labels(target: &str, o: &Observation) -> Vec<(&'static str, String)> {
    vec![
        ("target", target.to_string()),
        ("host", o.endpoint.host.clone()),
        ("ip", o.endpoint.ip.to_string()),
        ("port", o.endpoint.port.to_string()),
    ]
}

/// The phases that ran, by their JSON names.
fn timings(o: &Observation) -> Vec<(&'static str, Duration)> {
    let t = &o.timings;
    [
        ("connect", t.connect),
        ("banner", t.banner),
        ("ehlo", t.ehlo),
        ("starttls", t.starttls),
        ("tls", t.tls),
        ("ehlo_tls", t.ehlo_tls),
        ("total", t.total),
    ]
    .into_iter()
    .filter_map(|(name, time)| Some((name, time?)))
    .collect()
}

/// Host, address and port of a finding's endpoint: those of the observation it is about, else
/// what its `host:port` label says; all empty for a finding about the run as a whole.
fn finding_endpoint(report: &CheckReport, f: &Finding) -> (String, String, String) {
    let ip = f.ip.map(|ip| ip.to_string()).unwrap_or_default();
    let Some(label) = &f.endpoint else {
        return (String::new(), ip, String::new());
    };
    let observed = report
        .observations
        .iter()
        .find(|o| o.endpoint.label() == *label && f.ip.is_none_or(|ip| ip == o.endpoint.ip));
    if let Some(o) = observed {
        return (
            o.endpoint.host.clone(),
            o.endpoint.ip.to_string(),
            o.endpoint.port.to_string(),
        );
    }
    match label.rsplit_once(':') {
        Some((host, port)) if port.parse::<u16>().is_ok() => (
            host.trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
            ip,
            port.to_string(),
        ),
        _ => (label.clone(), ip, String::new()),
    }
}

/// A label value as the format wants it: backslash, double quote and line feed escaped.
fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// A `# HELP` text: backslash and line feed escaped.
fn escape_help(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use super::*;
    use crate::model::{
        Discovery, Endpoint, Security, TargetKind, Timings, TlsFacts, Verification,
    };
    use crate::report::check::table::tests::leaf;
    use crate::run::outcome::TargetInfo;
    use crate::verdict::FindingId;

    fn observation(port: u16, state: State) -> Observation {
        let mut o = Observation::new(Endpoint {
            host: "mail.test".into(),
            ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port,
            security: Security::Starttls,
        });
        o.state = state;
        o.timings = Timings {
            connect: Some(Duration::from_millis(2)),
            total: Some(Duration::from_micros(12_500)),
            ..Timings::default()
        };
        o
    }

    fn report(observations: Vec<Observation>, findings: Vec<Finding>) -> CheckReport {
        CheckReport {
            target: TargetInfo {
                input: "mail.test \"quoted\\\"\nx".into(),
                kind: TargetKind::Host,
                host: Some("mail.test".into()),
                unicode: None,
                config: None,
            },
            duration: Duration::from_millis(1500),
            observations,
            findings,
            discovery: Discovery::default(),
            provider: None,
            recommended: None,
            credentials: None,
        }
    }

    fn finding(id: FindingId, severity: Severity, port: Option<u16>) -> Finding {
        Finding {
            id,
            severity,
            endpoint: port.map(|p| format!("mail.test:{p}")),
            ip: port.map(|_| IpAddr::V4(Ipv4Addr::LOCALHOST)),
            message: "seen".into(),
            advice: "fix".into(),
        }
    }

    fn render(report: &CheckReport) -> String {
        let mut out = Vec::new();
        write(report, &mut out).expect("write");
        String::from_utf8(out).expect("UTF-8")
    }

    const T: &str = r#"target="mail.test \"quoted\\\"\nx""#;

    #[test]
    fn families_samples_and_escapes() {
        let mut good = observation(587, State::Ok);
        let mut tls_leaf = leaf();
        tls_leaf.subject = "CN=a\\b \"c\"".into();
        tls_leaf.not_after = "2026-01-01T00:00:00Z".into();
        good.tls = Some(TlsFacts {
            version: "TLSv1.3".into(),
            cipher: "TLS_AES_256_GCM_SHA384".into(),
            key_exchange: Some("X25519".into()),
            chain: vec![tls_leaf],
            verification: Verification::default(),
        });
        let refused = observation(25, State::Refused);
        let text = render(&report(
            vec![good, refused],
            vec![
                finding(FindingId::CertExpired, Severity::Error, Some(587)),
                finding(FindingId::CertExpired, Severity::Error, Some(587)),
                finding(FindingId::PortRefused, Severity::Error, Some(25)),
                finding(FindingId::DnsPtrMissing, Severity::Warning, None),
            ],
        ));
        let ep = |port: u16| format!(r#"{T},host="mail.test",ip="127.0.0.1",port="{port}""#);
        for line in [
            "# HELP smtp_doctor_up 1 when the endpoint's probe completed the SMTP dialogue (state ok), else 0.".to_string(),
            "# TYPE smtp_doctor_up gauge".to_string(),
            format!(r#"smtp_doctor_up{{{},security="starttls"}} 1"#, ep(587)),
            format!(r#"smtp_doctor_up{{{},security="starttls"}} 0"#, ep(25)),
            format!(r#"smtp_doctor_phase_duration_seconds{{{},phase="connect"}} 0.002"#, ep(587)),
            format!(r#"smtp_doctor_phase_duration_seconds{{{},phase="total"}} 0.0125"#, ep(25)),
            format!(
                r#"smtp_doctor_tls_info{{{},version="TLSv1.3",cipher="TLS_AES_256_GCM_SHA384",key_exchange="X25519"}} 1"#,
                ep(587)
            ),
            format!(
                r#"smtp_doctor_certificate_not_after_timestamp_seconds{{{}}} 1767225600"#,
                ep(587)
            ),
            format!(
                r#"smtp_doctor_finding{{{T},id="cert.expired",severity="error",host="mail.test",ip="127.0.0.1",port="587"}} 2"#
            ),
            format!(
                r#"smtp_doctor_finding{{{T},id="port.refused",severity="error",host="mail.test",ip="127.0.0.1",port="25"}} 1"#
            ),
            format!(
                r#"smtp_doctor_finding{{{T},id="dns.ptr_missing",severity="warning",host="",ip="",port=""}} 1"#
            ),
            format!(r#"smtp_doctor_findings{{{T},severity="error"}} 3"#),
            format!(r#"smtp_doctor_findings{{{T},severity="warning"}} 1"#),
            format!(r#"smtp_doctor_findings{{{T},severity="info"}} 0"#),
            format!(r#"smtp_doctor_verdict{{{T}}} 1"#),
            format!(r#"smtp_doctor_run_duration_seconds{{{T}}} 1.5"#),
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line}\n{text}");
        }
        assert!(text.contains(r#"subject="CN=a\\b \"c\"""#), "{text}");
        assert!(text.ends_with('\n'));
        // One TYPE per family, families contiguous, no series twice.
        let mut names = Vec::new();
        let mut series = BTreeSet::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                names.push(rest.split(' ').next().unwrap_or_default().to_string());
            } else if !line.starts_with('#') {
                let (key, _) = line.rsplit_once(' ').expect("name and value");
                assert!(series.insert(key.to_string()), "twice: {key}");
                assert!(key.starts_with(names.last().expect("a TYPE first").as_str()));
            }
        }
        let mut unique = names.clone();
        unique.dedup();
        assert_eq!(unique, names);
    }

    #[test]
    fn a_healthy_run_without_tls_leaves_out_the_empty_families() {
        let text = render(&report(vec![observation(25, State::Ok)], vec![]));
        assert!(text.contains(r#"smtp_doctor_verdict{"#), "{text}");
        assert!(
            text.lines()
                .any(|l| l.starts_with("smtp_doctor_verdict{") && l.ends_with(" 0"))
        );
        for absent in [
            "smtp_doctor_tls_info",
            "smtp_doctor_certificate",
            "smtp_doctor_finding{",
        ] {
            assert!(!text.contains(absent), "{absent}\n{text}");
        }
    }

    #[test]
    fn an_endpoint_seen_twice_is_one_series() {
        let text = render(&report(
            vec![observation(25, State::Ok), observation(25, State::Refused)],
            vec![],
        ));
        let up: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("smtp_doctor_up{"))
            .collect();
        assert_eq!(up.len(), 1, "{text}");
        assert!(up[0].ends_with(" 1"), "{text}");
    }

    #[test]
    fn finding_endpoints_from_their_label_when_not_observed() {
        let r = report(vec![], vec![]);
        let mut f = finding(FindingId::AuthFailed, Severity::Error, None);
        f.endpoint = Some("[2001:db8::1]:587".into());
        f.ip = Some("2001:db8::1".parse().expect("ip"));
        assert_eq!(
            finding_endpoint(&r, &f),
            ("2001:db8::1".into(), "2001:db8::1".into(), "587".into())
        );
        assert_eq!(escape_label("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
        assert_eq!(escape_help("a\\b\nc"), "a\\\\b\\nc");
    }
}
