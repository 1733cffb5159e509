//! `smtp-doctor serve`, the exporter, exercised over HTTP on loopback as Prometheus uses it: a
//! probe of the in-process test server with a module's settings, findings a module ignores,
//! every kind of bad request (400 with its reason, 404, 405), a target that never greets
//! (answered by the scrape's deadline), a full exporter (503), its own `/metrics`, a bad
//! modules file, and SIGTERM. In the ignored tests `.ci/run` runs: `promtool check metrics` on
//! both answers, and a real Prometheus server scraping the exporter with README's
//! `prometheus.yml` (its relabeling and `module` parameter) and README's modules file.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::monitor::{Exposition, Pki, parse_exposition, promtool, promtool_check_metrics, server};
use crate::support::pki::Validity;
use crate::support::server::{Scenario, TestServer};

/// A running exporter (`serve --listen 127.0.0.1:0`), its address read from its first log line;
/// stopped with SIGTERM when dropped.
struct Exporter {
    child: Child,
    addr: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
    _dir: TempDir,
}

impl Exporter {
    /// Starts the exporter with this modules file (none when empty) and flags.
    fn start(modules: &str, flags: &[&str]) -> Exporter {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut args: Vec<String> = vec!["serve".into(), "--listen".into(), "127.0.0.1:0".into()];
        if !modules.is_empty() {
            let path = dir.path().join("modules.toml");
            std::fs::write(&path, modules).expect("write modules");
            args.push("--config".into());
            args.push(path.display().to_string());
        }
        args.extend(flags.iter().map(|f| f.to_string()));
        let mut child = Command::new(env!("CARGO_BIN_EXE_smtp-doctor"))
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the exporter");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let first = lines
            .next()
            .expect("a first log line")
            .expect("readable log");
        let addr = first
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no address in {first:?}"));
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                sink.lock().expect("log").push(line);
            }
        });
        Exporter {
            child,
            addr,
            log,
            _dir: dir,
        }
    }

    fn get(&self, path: &str, headers: &[(&str, &str)]) -> Answer {
        get(self.addr, "GET", path, headers)
    }

    /// A probe with Prometheus' scrape-timeout header.
    fn probe(&self, query: &str, scrape_timeout: &str) -> Answer {
        self.get(
            &format!("/probe?{query}"),
            &[("X-Prometheus-Scrape-Timeout-Seconds", scrape_timeout)],
        )
    }

    fn metrics(&self) -> Exposition {
        let answer = self.get("/metrics", &[]);
        assert_eq!(answer.status, 200, "{}", answer.body);
        parse_exposition(&answer.body)
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP answer.
#[derive(Debug)]
struct Answer {
    status: u16,
    content_type: String,
    body: String,
}

/// One HTTP/1.0 request (the connection closes after the answer).
fn get(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)]) -> Answer {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let mut request = format!("{method} {path} HTTP/1.0\r\nHost: {addr}\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).expect("send");
    let mut raw = String::new();
    stream.read_to_string(&mut raw).expect("read the answer");
    let (head, body) = raw.split_once("\r\n\r\n").expect("head and body");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    let content_type = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-type")
                .then(|| value.trim().to_string())
        })
        .unwrap_or_default();
    Answer {
        status,
        content_type,
        body: body.to_string(),
    }
}

/// A module trusting the test CA, with short timeouts.
fn trusting(pki: &Pki, name: &str, more: &str) -> String {
    format!(
        "[modules.{name}]\nca_file = {:?}\nconnect_timeout = \"1s\"\ntimeout = \"2s\"\n{more}\n",
        pki.ca_file.display().to_string()
    )
}

#[test]
fn a_probe_answers_the_checks_metrics_with_the_modules_settings() {
    let pki = Pki::new();
    let good = server(pki.leaf(Validity::Good));
    let exporter = Exporter::start(&trusting(&pki, "tls", ""), &["-q"]);
    let port = good.port().to_string();
    let answer = exporter.probe(&format!("target=127.0.0.1:{port}&module=tls"), "10");
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        answer.content_type,
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let e = parse_exposition(&answer.body);
    let here = [("port", port.as_str())];
    assert_eq!(e.value("smtp_doctor_up", &here), 1.0);
    // The module's CA file made the chain trusted: TLS facts are there.
    assert_eq!(e.find("smtp_doctor_tls_info", &here).len(), 1);
    assert!(
        e.find("smtp_doctor_finding", &[("id", "cert.untrusted")])
            .is_empty()
    );
    assert_eq!(e.value("smtp_doctor_probe_success", &[]), 1.0);
    assert_eq!(e.value("smtp_doctor_verdict", &[]), 0.0);
    assert_eq!(e.types["smtp_doctor_probe_duration_seconds"], "gauge");
    // The server saw one dialogue, on the port the target named (not 25, 587, 465).
    assert_eq!(good.sessions().len(), 1);
    // Without the module (default: the system store only), the same server's certificate is
    // not trusted.
    let answer = exporter.probe(&format!("target=127.0.0.1:{port}"), "10");
    let e = parse_exposition(&answer.body);
    assert_eq!(e.value("smtp_doctor_probe_success", &[]), 0.0);
    assert_eq!(
        e.find("smtp_doctor_finding", &[("id", "cert.untrusted")])
            .len(),
        1,
        "{}",
        answer.body
    );
    // The exporter's own counters.
    let m = exporter.metrics();
    let checks = |module: &str, result: &str| {
        m.value(
            "smtp_doctor_exporter_checks_total",
            &[("module", module), ("result", result)],
        )
    };
    assert_eq!(checks("tls", "success"), 1.0);
    assert_eq!(checks("tls", "failure"), 0.0);
    assert_eq!(checks("default", "failure"), 1.0);
    assert_eq!(
        m.value(
            "smtp_doctor_exporter_requests_total",
            &[("path", "/probe"), ("code", "200")]
        ),
        2.0
    );
    assert_eq!(m.types["smtp_doctor_exporter_requests_total"], "counter");
    assert_eq!(m.value("smtp_doctor_exporter_checks_running", &[]), 0.0);
}

#[test]
fn a_module_leaves_out_the_findings_it_ignores() {
    let pki = Pki::new();
    let expiring = server(pki.leaf(Validity::EndsInDays(10)));
    let modules = format!(
        "{}{}",
        trusting(&pki, "strict", ""),
        trusting(&pki, "lenient", "ignore = [\"cert.expiring_soon\"]")
    );
    let exporter = Exporter::start(&modules, &["-q"]);
    let query = |module: &str| format!("target=127.0.0.1:{}&module={module}", expiring.port());
    let strict = parse_exposition(&exporter.probe(&query("strict"), "10").body);
    assert_eq!(
        strict
            .find("smtp_doctor_finding", &[("id", "cert.expiring_soon")])
            .len(),
        1
    );
    let lenient = parse_exposition(&exporter.probe(&query("lenient"), "10").body);
    assert!(
        lenient
            .find("smtp_doctor_finding", &[("id", "cert.expiring_soon")])
            .is_empty()
    );
    // The certificate's facts stay: only the finding is left out.
    assert_eq!(
        lenient
            .find("smtp_doctor_certificate_not_after_timestamp_seconds", &[])
            .len(),
        1
    );
}

/// A bad request: path, headers, what the 400's reason must say.
type BadRequest = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static str,
);

#[test]
fn bad_requests_get_400_with_the_reason() {
    let exporter = Exporter::start("[modules.mx]\ninbound = true\n", &[]);
    let cases: &[BadRequest] = &[
        ("/probe", &[], "no target: give target=HOST"),
        ("/probe?target=", &[], "no target"),
        (
            "/probe?target=a.example&module=nope",
            &[],
            "unknown module \"nope\"; the exporter's modules: default, mx",
        ),
        ("/probe?target=bad%20host!", &[], "bad request:"),
        (
            "/probe?target=a.example&modul=mx",
            &[],
            "unknown parameter \"modul\"",
        ),
        ("/probe?target=a&target=b", &[], "target is given twice"),
        (
            "/probe?target=a.example&debug=maybe",
            &[],
            "is not true or false",
        ),
        (
            "/probe?target=smtp.example.com:25&module=mx",
            &[],
            "--inbound needs a mail domain",
        ),
        (
            "/probe?target=smtp%3A%2F%2Falice%40smtp.example.com",
            &[],
            "never logs in",
        ),
        (
            "/probe?target=a.example",
            &[("X-Prometheus-Scrape-Timeout-Seconds", "soon")],
            "X-Prometheus-Scrape-Timeout-Seconds is \"soon\", not a number of seconds",
        ),
        (
            "/probe?target=a.example",
            &[("X-Prometheus-Scrape-Timeout-Seconds", "0")],
            "not a number of seconds more than 0",
        ),
    ];
    for (path, headers, expected) in cases {
        let answer = exporter.get(path, headers);
        assert_eq!(answer.status, 400, "{path}: {}", answer.body);
        assert!(
            answer.body.starts_with("bad request: "),
            "{path}: {}",
            answer.body
        );
        assert!(answer.body.contains(expected), "{path}: {}", answer.body);
    }
    let m = exporter.metrics();
    assert_eq!(
        m.value(
            "smtp_doctor_exporter_requests_total",
            &[("path", "/probe"), ("code", "400")]
        ),
        cases.len() as f64
    );
    // No check ran for a bad request.
    assert!(m.find("smtp_doctor_exporter_checks_total", &[]).is_empty());
    // One log line per request, with its status.
    let log = crate::support::settled(|| exporter.log.lock().expect("log").clone());
    assert!(
        log.iter()
            .any(|l| l.contains("GET /probe?target=a.example&modul=mx 400")),
        "{log:#?}"
    );
}

#[test]
fn other_paths_and_methods() {
    let exporter = Exporter::start("", &["-q"]);
    let answer = get(exporter.addr, "POST", "/probe?target=a.example", &[]);
    assert_eq!(answer.status, 405);
    let answer = exporter.get("/nope", &[]);
    assert_eq!(answer.status, 404);
    assert!(answer.body.contains("/probe?target=HOST&module=NAME"));
    let answer = exporter.get("/-/healthy", &[]);
    assert_eq!((answer.status, answer.body.as_str()), (200, "OK\n"));
    let answer = exporter.get("/", &[]);
    assert_eq!(answer.status, 200);
    assert!(answer.body.contains("modules: default"), "{}", answer.body);
    let m = exporter.metrics();
    for (path, code) in [
        ("/probe", "405"),
        ("other", "404"),
        ("/-/healthy", "200"),
        ("/", "200"),
    ] {
        assert_eq!(
            m.value(
                "smtp_doctor_exporter_requests_total",
                &[("path", path), ("code", code)]
            ),
            1.0,
            "{path} {code}"
        );
    }
}

#[test]
fn a_target_that_never_greets_is_answered_by_the_scrape_deadline() {
    let silent = TestServer::start(Scenario::new().silent());
    // The module would wait 30 s per step; the scrape allows 3 s less the 0.5 s offset.
    let exporter = Exporter::start(
        "[modules.patient]\ntimeout = \"30s\"\nmax_time = \"60s\"\n",
        &["-q"],
    );
    let query = format!("target=127.0.0.1:{}&module=patient", silent.port());
    let started = Instant::now();
    let answer = exporter.probe(&query, "3");
    let waited = started.elapsed();
    assert_eq!(answer.status, 200, "{}", answer.body);
    let e = parse_exposition(&answer.body);
    assert_eq!(e.value("smtp_doctor_up", &[]), 0.0);
    assert_eq!(e.value("smtp_doctor_probe_success", &[]), 0.0);
    // By the tool's own clock, the check ended at the scrape's budget (2.5 s), not the
    // module's 30 s.
    let took = e.value("smtp_doctor_probe_duration_seconds", &[]);
    assert!((2.0..2.9).contains(&took), "took {took} s");
    assert!(waited < Duration::from_secs(29), "{waited:?}");
    // The table (debug=true) names what cut the wait short.
    let answer = exporter.probe(&format!("{query}&debug=true"), "3");
    assert_eq!(answer.status, 200);
    assert_eq!(answer.content_type, "text/plain; charset=utf-8");
    assert!(
        answer.body.contains("the scrape timeout"),
        "{}",
        answer.body
    );
}

#[test]
fn a_full_exporter_turns_a_scrape_away_with_503() {
    let silent = TestServer::start(Scenario::new().silent());
    let exporter = Exporter::start(
        "[modules.patient]\ntimeout = \"30s\"\n",
        &["-q", "--concurrency", "1"],
    );
    let addr = exporter.addr;
    let query = format!("/probe?target=127.0.0.1:{}&module=patient", silent.port());
    let first = {
        let query = query.clone();
        std::thread::spawn(move || {
            get(
                addr,
                "GET",
                &query,
                &[("X-Prometheus-Scrape-Timeout-Seconds", "4")],
            )
        })
    };
    // Wait until the first check holds the one slot.
    let started = Instant::now();
    while exporter
        .metrics()
        .value("smtp_doctor_exporter_checks_running", &[])
        < 1.0
    {
        assert!(started.elapsed() < Duration::from_secs(10), "never running");
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = exporter.get(&query, &[("X-Prometheus-Scrape-Timeout-Seconds", "1")]);
    assert_eq!(second.status, 503, "{}", second.body);
    assert!(
        second.body.contains("all 1 check slots stayed busy"),
        "{}",
        second.body
    );
    let first = first.join().expect("first request");
    assert_eq!(first.status, 200, "{}", first.body);
    let m = exporter.metrics();
    assert_eq!(
        m.value(
            "smtp_doctor_exporter_requests_total",
            &[("path", "/probe"), ("code", "503")]
        ),
        1.0
    );
    assert_eq!(m.value("smtp_doctor_exporter_concurrency_limit", &[]), 1.0);
}

#[test]
fn a_scrape_that_goes_away_mid_check_is_no_longer_counted() {
    let silent = TestServer::start(Scenario::new().silent());
    let exporter = Exporter::start("[modules.patient]\ntimeout = \"30s\"\n", &["-q"]);
    let mut stream = TcpStream::connect(exporter.addr).expect("connect");
    let request = format!(
        "GET /probe?target=127.0.0.1:{}&module=patient HTTP/1.1\r\nHost: x\r\n\r\n",
        silent.port()
    );
    stream.write_all(request.as_bytes()).expect("send");
    let running = || {
        exporter
            .metrics()
            .value("smtp_doctor_exporter_checks_running", &[])
    };
    let started = Instant::now();
    while running() < 1.0 {
        assert!(started.elapsed() < Duration::from_secs(10), "never running");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Prometheus gave up: the connection closes while the check waits for a greeting.
    drop(stream);
    let started = Instant::now();
    while running() > 0.0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the abandoned check is still counted (its step waits 30 s)"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_bad_modules_file_stops_the_start_with_exit_code_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("modules.toml");
    std::fs::write(&path, "[modules.sub]\nports = [587]\nsecurty = \"tls\"\n").expect("write");
    let start = || {
        crate::support::run_raw(
            &[
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--config",
                &path.display().to_string(),
            ],
            &[],
        )
    };
    let run = start();
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("unknown field `securty`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("modules.toml:3:1"), "{}", run.stderr);
    std::fs::write(&path, "[modules.sub]\nignore = [\"cert.soon\"]\n").expect("write");
    let run = start();
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("module \"sub\": ignore names \"cert.soon\", which is no finding id"),
        "{}",
        run.stderr
    );
}

#[test]
fn sigterm_stops_the_exporter_with_exit_code_0() {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let mut exporter = Exporter::start("", &[]);
    assert_eq!(exporter.get("/-/healthy", &[]).status, 200);
    let pid = Pid::from_raw(i32::try_from(exporter.child.id()).expect("pid"));
    kill(pid, Signal::SIGTERM).expect("SIGTERM");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = exporter.child.try_wait().expect("wait") {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "still running");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
    let log = crate::support::settled(|| exporter.log.lock().expect("log").clone());
    assert!(log.iter().any(|l| l.contains("stopping")), "{log:#?}");
}

// ---------------------------------------------------------------------------------------------
// Real parsers and a real Prometheus

#[test]
#[ignore = "needs promtool (Debian's prometheus package); run by .ci/run"]
fn promtool_checks_the_probe_and_the_exporters_metrics() {
    let pki = Pki::new();
    let good = server(pki.leaf(Validity::Good));
    let exporter = Exporter::start(&trusting(&pki, "tls", ""), &["-q"]);
    let answer = exporter.probe(
        &format!("target=127.0.0.1:{}&module=tls", good.port()),
        "10",
    );
    assert_eq!(answer.status, 200);
    promtool_check_metrics(&answer.body);
    let _ = exporter.get("/probe", &[]);
    let metrics = exporter.get("/metrics", &[]);
    promtool_check_metrics(&metrics.body);
}

/// The first fenced block of README.md whose text contains `marker`.
fn readme_block(marker: &str) -> String {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let mut block: Option<String> = None;
    for line in readme.lines() {
        match &mut block {
            None if line.starts_with("```") => block = Some(String::new()),
            None => {}
            Some(text) if line.starts_with("```") => {
                if text.contains(marker) {
                    return text.clone();
                }
                block = None;
            }
            Some(text) => {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    panic!("README has no fenced block with {marker:?}")
}

/// Debian's Prometheus server, unpacked by `.ci/run` beside promtool.
fn prometheus() -> PathBuf {
    PathBuf::from("/opt/smtp-doctor-prometheus/usr/bin/prometheus")
}

#[test]
#[ignore = "needs Debian's prometheus package (unpacked by .ci/run)"]
fn prometheus_scrapes_the_exporter_with_the_readme_config() {
    let server = TestServer::start(Scenario::new());
    // README's modules file, as written.
    let exporter = Exporter::start(&readme_block("smtp-doctor-modules.toml"), &["-q"]);
    let target = format!("127.0.0.1:{}", server.port());
    // README's prometheus.yml, pointed at this exporter and this target; scraped every second
    // so the test need not wait minutes (its relabeling and parameters are as written).
    let config = readme_block("prometheus.yml")
        .replace("127.0.0.1:9525", &exporter.addr.to_string())
        .replace("smtp.example.com:587", &target)
        .replace("scrape_interval: 5m", "scrape_interval: 1s")
        .replace("scrape_timeout: 30s", "scrape_timeout: 1s");
    assert!(config.contains(&target), "{config}");
    let dir = tempfile::tempdir().expect("tempdir");
    let config_path = dir.path().join("prometheus.yml");
    std::fs::write(&config_path, &config).expect("write config");
    let check = Command::new(promtool())
        .args(["check", "config", &config_path.display().to_string()])
        .output()
        .expect("promtool check config");
    assert!(
        check.status.success(),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let web = format!("127.0.0.1:{port}");
    let mut prometheus = Command::new(prometheus())
        .args([
            &format!("--config.file={}", config_path.display()),
            &format!("--storage.tsdb.path={}", dir.path().join("data").display()),
            &format!("--web.listen-address={web}"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start prometheus");
    let web: SocketAddr = web.parse().expect("addr");
    let query = |q: &str| prometheus_query(web, q);
    // Each job's first scrape comes at its own offset within the interval: wait for all.
    let started = Instant::now();
    let (found, success, exporter_up) = loop {
        let found = query("smtp_doctor_up");
        let success = query("smtp_doctor_probe_success");
        let exporter_up = query("up{job=\"smtp_doctor_exporter\"}");
        if !found.is_empty() && !success.is_empty() && !exporter_up.is_empty() {
            break (found, success, exporter_up);
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = prometheus.kill();
            panic!(
                "Prometheus stored no scrape of both jobs within 60 s: {found:?} {exporter_up:?}"
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    let _ = prometheus.kill();
    let _ = prometheus.wait();
    // The relabeling made the target the instance, and the module parameter reached it.
    let metric = &found[0]["metric"];
    assert_eq!(metric["instance"], target.as_str(), "{found:#?}");
    assert_eq!(metric["job"], "smtp");
    assert_eq!(metric["port"], server.port().to_string());
    assert_eq!(found[0]["value"][1], "1");
    assert_eq!(success.len(), 1, "{success:#?}");
    assert_eq!(success[0]["metric"]["instance"], target.as_str());
    // The exporter's own job.
    assert_eq!(exporter_up.len(), 1, "{exporter_up:#?}");
    assert_eq!(exporter_up[0]["value"][1], "1");
    // The scrapes ran README's module (the `module` parameter reached the exporter).
    let m = exporter.metrics();
    assert!(
        !m.find(
            "smtp_doctor_exporter_checks_total",
            &[("module", "submission")]
        )
        .is_empty()
    );
    assert!(!server.sessions().is_empty());
}

/// The result vector of a PromQL query to the Prometheus at `web` (empty until it answers).
fn prometheus_query(web: SocketAddr, q: &str) -> Vec<serde_json::Value> {
    let encoded: String = form_urlencoded_query(q);
    let Ok(mut stream) = TcpStream::connect(web) else {
        return Vec::new();
    };
    drop(stream.write_all(
        format!("GET /api/v1/query?query={encoded} HTTP/1.0\r\nHost: {web}\r\n\r\n").as_bytes(),
    ));
    let mut raw = String::new();
    if stream.read_to_string(&mut raw).is_err() {
        return Vec::new();
    }
    let Some((_, body)) = raw.split_once("\r\n\r\n") else {
        return Vec::new();
    };
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["data"]["result"].as_array().cloned())
        .unwrap_or_default()
}

/// A PromQL query, percent-encoded for a URL.
fn form_urlencoded_query(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
