//! Shared helpers for the integration tests: the test PKI, the scriptable SMTP server,
//! running the `smtp-doctor` binary with a deadline ([`Invocation`]), and assertions on a
//! report's findings.

pub mod aiosmtpd;
pub mod daemon;
pub mod dns;
pub mod dnssec;
pub mod dovecot;
pub mod exim;
pub mod https;
pub mod mta;
pub mod netns;
pub mod pki;
pub mod scripted;
pub mod server;

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Longest a run of the binary may take before the test fails (no test may hang).
const RUN_DEADLINE: Duration = Duration::from_secs(30);

/// What one run of the binary produced.
#[derive(Debug)]
pub struct Run {
    /// Exit code (`-1` when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// stdout as JSON (the run must have had `--json`); panics with both outputs when it is
    /// not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}); exit {}\nstdout:\n{}\nstderr:\n{}",
                self.code, self.stdout, self.stderr
            )
        })
    }
}

/// One run of `smtp-doctor` to make: its arguments, environment, standard input (closed
/// unless given) and an optional command it runs under (such as `ip netns exec NAME`).
/// [`Invocation::run`] kills it after [`RUN_DEADLINE`].
#[derive(Debug, Default)]
pub struct Invocation {
    wrapper: Vec<String>,
    args: Vec<String>,
    envs: Vec<(String, String)>,
    env_removes: Vec<String>,
    stdin: Option<Vec<u8>>,
    stdout_closed: bool,
}

impl Invocation {
    /// `smtp-doctor` with these arguments.
    pub fn new<S: AsRef<str>>(args: impl IntoIterator<Item = S>) -> Invocation {
        Invocation {
            args: args.into_iter().map(|a| a.as_ref().to_string()).collect(),
            ..Invocation::default()
        }
    }

    /// Sets an environment variable for the run.
    pub fn env(mut self, key: &str, value: &str) -> Invocation {
        self.envs.push((key.to_string(), value.to_string()));
        self
    }

    /// Sets these environment variables for the run.
    pub fn envs(self, envs: &[(&str, &str)]) -> Invocation {
        envs.iter().fold(self, |run, (k, v)| run.env(k, v))
    }

    /// Removes an environment variable the tests themselves may have inherited.
    pub fn env_remove(mut self, key: &str) -> Invocation {
        self.env_removes.push(key.to_string());
        self
    }

    /// Writes `bytes` to the binary's standard input, then closes it.
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Invocation {
        self.stdin = Some(bytes.into());
        self
    }

    /// Closes the reading end of the binary's stdout right after it starts, as `| head -0`
    /// would: every write it makes then fails with a broken pipe.
    pub fn stdout_closed(mut self) -> Invocation {
        self.stdout_closed = true;
        self
    }

    /// Runs the binary under this command (program and its arguments), e.g. `ip netns exec
    /// NAME`, which gets the binary's path and arguments after its own.
    pub fn wrapped_in(mut self, command: &[&str]) -> Invocation {
        self.wrapper = command.iter().map(|c| c.to_string()).collect();
        self
    }

    /// Runs it to the end, or panics after [`RUN_DEADLINE`] (having killed it).
    pub fn run(self) -> Run {
        let binary = env!("CARGO_BIN_EXE_smtp-doctor");
        let mut argv = self.wrapper.iter().map(String::as_str).chain([binary]);
        let program = argv.next().unwrap_or(binary);
        let mut cmd = Command::new(program);
        cmd.args(argv)
            .args(&self.args)
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for key in &self.env_removes {
            cmd.env_remove(key);
        }
        for (k, v) in &self.envs {
            cmd.env(k, v);
        }
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {program} (smtp-doctor {:?}): {e}", self.args));
        // Every pipe on a thread of its own, so that neither side blocks the other on a full
        // pipe.
        let input = self.stdin.zip(child.stdin.take()).map(|(bytes, mut pipe)| {
            std::thread::spawn(move || match pipe.write_all(&bytes) {
                // The binary may exit without reading all of it; that is its business.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                result => result.expect("write stdin"),
            })
        });
        let pipe = child.stdout.take().expect("stdout");
        let stdout = if self.stdout_closed {
            drop(pipe);
            std::thread::spawn(Vec::new)
        } else {
            drain(pipe)
        };
        let stderr = drain(child.stderr.take().expect("stderr"));
        let code = wait(&mut child, &self.args);
        if let Some(input) = input {
            input.join().expect("stdin thread");
        }
        Run {
            code,
            stdout: String::from_utf8_lossy(&stdout.join().expect("stdout thread")).into_owned(),
            stderr: String::from_utf8_lossy(&stderr.join().expect("stderr thread")).into_owned(),
        }
    }
}

/// Reads `pipe` to its end on a thread.
fn drain(mut pipe: impl Read + Send + 'static) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

/// Waits for `child` and returns its exit code (`-1` for a signal); kills it and panics after
/// [`RUN_DEADLINE`].
fn wait(child: &mut Child, args: &[String]) -> i32 {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status.code().unwrap_or(-1);
        }
        if start.elapsed() > RUN_DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("smtp-doctor {args:?} still running after {RUN_DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs `smtp-doctor` with these arguments and extra environment variables, kills it after
/// [`RUN_DEADLINE`].
pub fn run_raw(args: &[&str], envs: &[(&str, &str)]) -> Run {
    Invocation::new(args).envs(envs).run()
}

/// Runs `smtp-doctor` with `args` (which should include `--json`) and parses stdout as JSON.
/// Returns (exit code, document, stderr); panics with both outputs when stdout is not JSON.
pub fn run_check(args: &[&str]) -> (i32, serde_json::Value, String) {
    let run = run_raw(args, &[]);
    let json = run.json();
    (run.code, json, run.stderr)
}

/// The ids of all findings in a report.
pub fn finding_ids(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| f["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The finding with this id, if any.
pub fn finding<'a>(report: &'a serde_json::Value, id: &str) -> Option<&'a serde_json::Value> {
    report["findings"]
        .as_array()?
        .iter()
        .find(|f| f["id"].as_str() == Some(id))
}

/// Fails the test unless the report has a finding with this id.
#[track_caller]
pub fn assert_finding(report: &serde_json::Value, id: &str) {
    let ids = finding_ids(report);
    assert!(
        ids.iter().any(|i| i == id),
        "finding {id} expected, got {ids:?}\n{report:#}"
    );
}

/// Fails the test if the report has a finding with this id.
#[track_caller]
pub fn assert_no_finding(report: &serde_json::Value, id: &str) {
    let ids = finding_ids(report);
    assert!(
        !ids.iter().any(|i| i == id),
        "finding {id} not expected, got {ids:?}\n{report:#}"
    );
}

/// What `snapshot` returns once it has settled: two snapshots 50 ms apart agree, or two
/// seconds passed. A test server's tasks may log a connection's last bytes after the client
/// has exited (it does not wait for the reply to QUIT).
pub fn settled<T: std::fmt::Debug>(snapshot: impl Fn() -> T) -> T {
    let mut last = snapshot();
    for _ in 0..40 {
        std::thread::sleep(Duration::from_millis(50));
        let now = snapshot();
        if format!("{now:?}") == format!("{last:?}") {
            return now;
        }
        last = now;
    }
    last
}
