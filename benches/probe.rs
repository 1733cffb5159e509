//! Benchmarks of whole `smtp-doctor check` runs against in-process test servers on loopback
//! (never any other address). Run with `cargo bench --bench probe`; prints figures, asserts
//! nothing about time.
//!
//! 1. Three ports at once, greetings delayed 300, 600 and 900 ms: the run should take about the
//!    slowest endpoint, not the sum.
//! 2. Three healthy ports without delay: the cost of a full check (connect, banner, EHLO,
//!    STARTTLS or implicit TLS, certificate, EHLO, QUIT).
//! 3. Peak memory (max RSS) of a run against a server that floods 100 000 reply lines or one
//!    16 MiB line, against a healthy one: the read bounds keep memory flat.

#[allow(dead_code, reason = "the bench uses part of the shared test support")]
#[path = "../tests/it/support/mod.rs"]
mod support;

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::pki::{TestCa, Validity};
use support::server::{Flood, FloodAt, Scenario, TestServer};

const RUNS: usize = 10;

struct Measured {
    wall: Duration,
    slowest_endpoint_ms: u64,
    sum_endpoints_ms: u64,
    max_rss_kib: i64,
    errors: u64,
}

fn run(args: &[String]) -> Measured {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_smtp-doctor"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run smtp-doctor");
    let wall = started.elapsed();
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON output");
    let totals: Vec<u64> = doc["endpoints"]
        .as_array()
        .expect("endpoints")
        .iter()
        .map(|e| e["timings_ms"]["total"].as_u64().unwrap_or(0))
        .collect();
    Measured {
        wall,
        slowest_endpoint_ms: totals.iter().copied().max().unwrap_or(0),
        sum_endpoints_ms: totals.iter().sum(),
        max_rss_kib: children_max_rss_kib(),
        errors: doc["summary"]["errors"].as_u64().unwrap_or(0),
    }
}

/// Largest resident set of any child waited for so far (Linux: KiB).
fn children_max_rss_kib() -> i64 {
    nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
        .map(|usage| usage.max_rss())
        .unwrap_or(0)
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn three_ports(delays_ms: [u64; 3], ca: &TestCa, ca_file: &str) -> Vec<Measured> {
    let leaf = ca.leaf(&["mail.test"], Validity::Good);
    let a = TestServer::start(
        Scenario::new()
            .identity(leaf.clone())
            .banner_delay(Duration::from_millis(delays_ms[0])),
    );
    let b = TestServer::start(
        Scenario::new()
            .identity(leaf.clone())
            .banner_delay(Duration::from_millis(delays_ms[1])),
    );
    // 2465 is an implicit-TLS port by default, so `auto` picks the right mode for it.
    let listener = TcpListener::bind("127.0.0.1:2465").expect("bind 127.0.0.1:2465 (in use?)");
    let c = TestServer::serve_on(
        Scenario::new()
            .identity(leaf)
            .implicit_tls()
            .banner_delay(Duration::from_millis(delays_ms[2])),
        listener,
    );
    let args: Vec<String> = [
        "check",
        "127.0.0.1",
        "--port",
        &format!("{},{},{}", a.port(), b.port(), c.port()),
        "--servername",
        "mail.test",
        "--ca-file",
        ca_file,
        "--json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    (0..RUNS).map(|_| run(&args)).collect()
}

fn report(label: &str, runs: &[Measured]) {
    let wall = median(runs.iter().map(|m| m.wall).collect());
    let slowest = median(
        runs.iter()
            .map(|m| Duration::from_millis(m.slowest_endpoint_ms))
            .collect(),
    );
    let sum = median(
        runs.iter()
            .map(|m| Duration::from_millis(m.sum_endpoints_ms))
            .collect(),
    );
    let errors: u64 = runs.iter().map(|m| m.errors).sum();
    println!(
        "{label}: {RUNS} runs, median wall {} ms; slowest endpoint {} ms; sum of endpoints {} ms; error findings {errors}",
        wall.as_millis(),
        slowest.as_millis(),
        sum.as_millis()
    );
}

fn memory(label: &str, scenario: Scenario, ca_file: &str) {
    let server = TestServer::start(scenario);
    let target = format!("127.0.0.1:{}", server.port());
    let args: Vec<String> = [
        "check",
        &target,
        "--servername",
        "mail.test",
        "--ca-file",
        ca_file,
        "--json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // RUSAGE_CHILDREN is a high-water mark over all children: run the flood cases after the
    // smaller ones and read the mark after each.
    let m = run(&args);
    println!(
        "{label}: max RSS of the children so far {} KiB, wall {} ms",
        m.max_rss_kib,
        m.wall.as_millis()
    );
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported and ignored.
    let ca = TestCa::new("Bench CA");
    let dir = tempfile::tempdir().expect("tempdir");
    let ca_file = ca.write_to(dir.path()).display().to_string();

    report(
        "three ports, greetings delayed 300/600/900 ms",
        &three_ports([300, 600, 900], &ca, &ca_file),
    );
    report(
        "three healthy ports, no delay",
        &three_ports([0, 0, 0], &ca, &ca_file),
    );

    let leaf = ca.leaf(&["mail.test"], Validity::Good);
    memory(
        "healthy STARTTLS endpoint",
        Scenario::new().identity(leaf.clone()),
        &ca_file,
    );
    memory(
        "EHLO reply of 100 000 lines",
        Scenario::new()
            .identity(leaf.clone())
            .flood(FloodAt::Ehlo, Flood::Lines(100_000)),
        &ca_file,
    );
    memory(
        "greeting of one 16 MiB line",
        Scenario::new()
            .identity(leaf)
            .flood(FloodAt::Banner, Flood::LongLine(16 * 1024 * 1024)),
        &ca_file,
    );
}
