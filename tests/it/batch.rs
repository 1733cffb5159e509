//! `check --file` (issue 13): every input line gets exactly one result, in input order, a bad
//! line an error result of its own; NDJSON with `--json`, a summary table without; standard
//! input with `-f -`; politeness per address (a limit, and one at a time after a `421`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;

use crate::support::pki::{TestCa, Validity};
use crate::support::server::{Scenario, TestServer};
use crate::support::{Invocation, Run, finding_ids};

const NAME: &str = "mail.test";

/// A test CA in a temporary directory, and a good STARTTLS server with a certificate from it.
struct Lab {
    dir: TempDir,
    ca_file: String,
    server: TestServer,
}

impl Lab {
    fn new() -> Lab {
        let dir = tempfile::tempdir().expect("tempdir");
        let ca = TestCa::new("smtp-doctor Batch CA");
        let ca_file = ca.write_to(dir.path()).display().to_string();
        let server = TestServer::start(Scenario::new().identity(ca.leaf(&[NAME], Validity::Good)));
        Lab {
            dir,
            ca_file,
            server,
        }
    }

    /// A batch file with `lines`, written to the lab's directory.
    fn file(&self, lines: &[String]) -> String {
        let path = self.dir.path().join("targets.txt");
        std::fs::write(&path, lines.join("\n")).expect("write the target file");
        path.display().to_string()
    }

    /// `check -f FILE` with the lab's CA and short timeouts, plus `extra`.
    fn run(&self, file: &str, extra: &[&str], stdin: Option<&str>) -> Run {
        let mut args = vec![
            "check",
            "-f",
            file,
            "--servername",
            NAME,
            "--ca-file",
            &self.ca_file,
            "--connect-timeout",
            "1s",
            "--timeout",
            "2s",
            "--color",
            "never",
        ];
        args.extend_from_slice(extra);
        let invocation = Invocation::new(&args);
        match stdin {
            Some(text) => invocation.stdin(text.as_bytes().to_vec()).run(),
            None => invocation.run(),
        }
    }

    /// The usual mix: a good server, a closed port, a line that is no target, and a comment
    /// and a blank line in between (lines 1 to 6).
    fn mixed_lines(&self) -> Vec<String> {
        vec![
            "# customers".to_string(),
            format!("127.0.0.1:{}", self.server.port()),
            String::new(),
            format!("127.0.0.1:{}", closed_port()),
            "999.1.1.1".to_string(),
            format!("127.0.0.1:{}   # again", self.server.port()),
        ]
    }
}

/// A port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

/// The NDJSON lines of `run`.
fn documents(run: &Run) -> Vec<Value> {
    run.stdout
        .lines()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not one JSON document per line ({e}): {line}"))
        })
        .collect()
}

#[test]
fn every_line_gets_one_json_result_in_input_order() {
    let lab = Lab::new();
    let file = lab.file(&lab.mixed_lines());
    let run = lab.run(&file, &["--json"], None);
    assert_eq!(run.code, 1, "a closed port and a bad line: {}", run.stderr);
    let docs = documents(&run);
    let lines: Vec<u64> = docs.iter().filter_map(|d| d["line"].as_u64()).collect();
    assert_eq!(lines, vec![2, 4, 5, 6], "{}", run.stdout);
    // The good server: the single check's schema.
    assert_eq!(docs[0]["schema_version"], 1);
    assert_eq!(docs[0]["endpoints"][0]["state"], "ok", "{:#}", docs[0]);
    assert_eq!(docs[0]["summary"]["errors"], 0, "{:#}", docs[0]);
    // The closed port.
    assert!(
        finding_ids(&docs[1]).iter().any(|id| id == "port.refused"),
        "{:#}",
        docs[1]
    );
    // The bad line: an error result, and the batch went on.
    assert_eq!(docs[2]["error"]["kind"], "invalid_target", "{:#}", docs[2]);
    assert_eq!(docs[2]["target"]["input"], "999.1.1.1");
    assert!(
        docs[2]["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("999.1.1.1")),
        "{:#}",
        docs[2]
    );
    assert_eq!(
        docs[3]["target"]["input"],
        lab.mixed_lines()[5].split(' ').next().unwrap_or("")
    );
    assert_eq!(docs[3]["endpoints"][0]["state"], "ok");
}

#[test]
fn the_summary_table_has_a_row_per_line_and_the_totals() {
    let lab = Lab::new();
    let file = lab.file(&lab.mixed_lines());
    let run = lab.run(&file, &[], None);
    assert_eq!(run.code, 1);
    let out = &run.stdout;
    assert!(out.starts_with("Checked 4 targets in"), "{out}");
    for (line, verdict) in [
        ("2", "healthy"),
        ("4", "errors"),
        ("5", "not checked"),
        ("6", "healthy"),
    ] {
        assert!(
            out.lines().any(|l| {
                let cells: Vec<&str> = l.split(['│', '┆']).map(str::trim).collect();
                cells.get(1) == Some(&line) && cells.get(3) == Some(&verdict)
            }),
            "line {line} {verdict}:\n{out}"
        );
    }
    assert!(out.contains("port.refused"), "{out}");
    assert!(out.contains("TLSv1.3"), "{out}");
    assert!(
        out.contains("2 healthy, 0 with warnings, 1 with errors, 1 not checked."),
        "{out}"
    );
    assert!(!out.contains('\u{1b}'), "no colour with --color never");
}

#[test]
fn targets_from_standard_input_and_a_healthy_batch_exits_0() {
    let lab = Lab::new();
    let lines = format!(
        "127.0.0.1:{port}\n127.0.0.1:{port}\n",
        port = lab.server.port()
    );
    let run = lab.run("-", &["--json"], Some(&lines));
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let docs = documents(&run);
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[1]["line"], 2);
}

#[test]
fn an_unreadable_file_and_flags_that_need_one_target() {
    let lab = Lab::new();
    let run = lab.run("/nonexistent/targets.txt", &[], None);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("cannot read the target file /nonexistent/targets.txt"),
        "{}",
        run.stderr
    );
    let file = lab.file(&["127.0.0.1".to_string()]);
    for extra in [&["--user", "alice"][..], &["--transcript"], &["127.0.0.1"]] {
        let run = lab.run(&file, extra, None);
        assert_eq!(run.code, 2, "{extra:?}: {}", run.stderr);
    }
    let run = Invocation::new(["check", "127.0.0.1", "--concurrency", "4"]).run();
    assert_eq!(run.code, 2, "--concurrency needs --file: {}", run.stderr);
}

/// A plain SMTP server that counts connections open at once; answers `421` to every
/// connection when `busy`, else greets, answers EHLO and QUIT. Every connection waits 150 ms
/// before its greeting; a client cannot end a connection before it is greeted, so the
/// connections still waiting for their greeting are connections the client has open at once
/// (counted without racing the client's close).
struct Counter {
    port: u16,
    most: Arc<AtomicUsize>,
    /// The same, among the connections accepted after a `421` was sent.
    most_after_busy: Arc<AtomicUsize>,
}

impl Counter {
    fn start(busy: bool) -> Counter {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        let most = Arc::new(AtomicUsize::new(0));
        let most_after_busy = Arc::new(AtomicUsize::new(0));
        let (m, b) = (most.clone(), most_after_busy.clone());
        thread::spawn(move || {
            let waiting = Arc::new(AtomicUsize::new(0));
            let waiting_after = Arc::new(AtomicUsize::new(0));
            let refused = Arc::new(AtomicUsize::new(0));
            for conn in listener.incoming() {
                let Ok(conn) = conn else { break };
                let late = refused.load(Ordering::SeqCst) > 0;
                m.fetch_max(waiting.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
                if late {
                    let open = waiting_after.fetch_add(1, Ordering::SeqCst) + 1;
                    b.fetch_max(open, Ordering::SeqCst);
                }
                let (waiting, waiting_after, refused) =
                    (waiting.clone(), waiting_after.clone(), refused.clone());
                thread::spawn(move || {
                    thread::sleep(Duration::from_millis(150));
                    waiting.fetch_sub(1, Ordering::SeqCst);
                    if late {
                        waiting_after.fetch_sub(1, Ordering::SeqCst);
                    }
                    if busy {
                        // Counted before it is sent: the client reacts only once it has it.
                        refused.fetch_add(1, Ordering::SeqCst);
                    }
                    serve(conn, busy);
                });
            }
        });
        Counter {
            port,
            most,
            most_after_busy,
        }
    }
}

fn serve(mut conn: TcpStream, busy: bool) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    if busy {
        let _ = conn.write_all(b"421 4.7.0 Too many connections, try later\r\n");
        return;
    }
    let _ = conn.write_all(b"220 counter.test ESMTP\r\n");
    let mut buf = [0u8; 1024];
    while let Ok(n) = conn.read(&mut buf) {
        if n == 0 {
            break;
        }
        let text = String::from_utf8_lossy(buf.get(..n).unwrap_or_default()).to_string();
        let reply: &[u8] = if text.starts_with("QUIT") {
            b"221 bye\r\n"
        } else {
            b"250 counter.test\r\n"
        };
        let _ = conn.write_all(reply);
    }
}

#[test]
fn connections_to_one_address_are_limited_and_a_421_slows_them_to_one() {
    let lab = Lab::new();
    // Eight targets, one address: at most --per-address connections at once.
    let counter = Counter::start(false);
    let lines: Vec<String> = (0..8)
        .map(|_| format!("127.0.0.1:{}", counter.port))
        .collect();
    let file = lab.file(&lines);
    let run = lab.run(
        &file,
        &["--json", "--security", "plain", "--per-address", "2"],
        None,
    );
    assert_eq!(documents(&run).len(), 8, "{}", run.stderr);
    assert_eq!(counter.most.load(Ordering::SeqCst), 2, "at most 2 at once");

    // After a 421, one connection at a time: two at once first, then the other two one by
    // one (with a pause after each).
    let busy = Counter::start(true);
    let lines: Vec<String> = (0..4).map(|_| format!("127.0.0.1:{}", busy.port)).collect();
    let file = lab.file(&lines);
    let run = lab.run(
        &file,
        &["--json", "--security", "plain", "--per-address", "2"],
        None,
    );
    let docs = documents(&run);
    assert_eq!(docs.len(), 4, "{}", run.stderr);
    for doc in &docs {
        assert_eq!(doc["endpoints"][0]["banner"]["code"], 421, "{doc:#}");
    }
    assert_eq!(
        busy.most.load(Ordering::SeqCst),
        2,
        "two at once before the 421"
    );
    assert!(
        busy.most_after_busy.load(Ordering::SeqCst) == 1,
        "one at a time after the 421, saw {}",
        busy.most_after_busy.load(Ordering::SeqCst)
    );
}

/// `check -f FILE --format prometheus` over the usual mix: one exposition.
fn batch_exposition(lab: &Lab) -> (Run, String, String) {
    let lines = lab.mixed_lines();
    let file = lab.file(&lines);
    let run = lab.run(&file, &["--format", "prometheus"], None);
    let good = format!("127.0.0.1:{}", lab.server.port());
    let closed = lines[3].clone();
    (run, good, closed)
}

#[test]
fn a_batch_in_prometheus_format_is_one_exposition_of_every_target() {
    let lab = Lab::new();
    let (run, good, closed) = batch_exposition(&lab);
    assert_eq!(run.code, 1, "a closed port and a bad line: {}", run.stderr);
    // Strictly read: every family once (not one block per target), no series twice.
    let e = crate::monitor::parse_exposition(&run.stdout);
    let target = |t: &str| vec![("target", t.to_string())];
    let one = |name: &str, t: &str| {
        let labels = target(t);
        let want: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
        e.value(name, &want)
    };
    // Line 6 repeats line 2's target: the first line's series stand, once.
    assert_eq!(one("smtp_doctor_up", &good), 1.0, "{}", run.stdout);
    assert_eq!(one("smtp_doctor_verdict", &good), 0.0);
    assert_eq!(one("smtp_doctor_up", &closed), 0.0);
    assert_eq!(one("smtp_doctor_verdict", &closed), 1.0);
    assert_eq!(
        e.find(
            "smtp_doctor_finding",
            &[("target", closed.as_str()), ("id", "port.refused")]
        )
        .len(),
        1
    );
    // The line that is no target.
    assert_eq!(
        e.value(
            "smtp_doctor_check_error",
            &[
                ("target", "999.1.1.1"),
                ("line", "5"),
                ("kind", "invalid_target")
            ]
        ),
        1.0
    );
    assert_eq!(e.types["smtp_doctor_check_error"], "gauge");
    // Nagios stays one service's status line.
    let file = lab.file(&lab.mixed_lines());
    let nagios = lab.run(&file, &["--format", "nagios"], None);
    assert_eq!(nagios.code, 3, "{}", nagios.stdout);
    assert!(
        nagios.stdout.contains("does not go with --file"),
        "{}",
        nagios.stdout
    );
}

#[test]
#[ignore = "needs promtool (Debian's prometheus package); run by .ci/run"]
fn promtool_checks_a_batch_exposition() {
    let lab = Lab::new();
    let (run, ..) = batch_exposition(&lab);
    crate::monitor::promtool_check_metrics(&run.stdout);
}
