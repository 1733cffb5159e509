//! The live view (issue 11) under a real pseudo-terminal: while a probe waits, its line is on
//! the terminal (stderr) before the server has answered; when the run ends the lines are
//! cleared, so what the terminal shows is the report only; piped output has no progress bytes.
//!
//! The server greets only once the test has seen the live line "waiting for the greeting" on
//! the terminal, so the order of events is asserted, never a wall-clock time. The terminal's
//! final screen is what `vt100` (a terminal emulator) makes of every byte written to it.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::OwnedFd;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use nix::pty::{Winsize, openpty};

use crate::support::Invocation;

/// What the live line says while the greeting is awaited.
const WAITING: &str = "waiting for the greeting";
/// The terminal's size.
const ROWS: u16 = 200;
const COLS: u16 = 120;

/// A plain SMTP server for one connection that greets only when told to (or after `give_up`,
/// so a failing test cannot hang), then answers EHLO and QUIT.
struct HeldServer {
    port: u16,
    greet: mpsc::Sender<()>,
    done: thread::JoinHandle<()>,
}

impl HeldServer {
    fn start(give_up: Duration) -> HeldServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        let (greet, told) = mpsc::channel::<()>();
        let done = thread::spawn(move || {
            let Ok((mut conn, _)) = listener.accept() else {
                return;
            };
            let _ = told.recv_timeout(give_up);
            let _ = conn.write_all(b"220 held.test ESMTP\r\n");
            answer(&mut conn);
        });
        HeldServer { port, greet, done }
    }
}

/// EHLO gets a 250 without STARTTLS, QUIT a 221; reads until the client closes.
fn answer(conn: &mut TcpStream) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    let mut buf = [0u8; 1024];
    let mut seen = Vec::new();
    while let Ok(n) = conn.read(&mut buf) {
        if n == 0 {
            break;
        }
        seen.extend_from_slice(buf.get(..n).unwrap_or_default());
        while let Some(end) = seen.windows(2).position(|w| w == b"\r\n") {
            let line: Vec<u8> = seen.drain(..end + 2).collect();
            let reply: &[u8] = if line.starts_with(b"QUIT") {
                b"221 bye\r\n"
            } else {
                b"250 held.test\r\n"
            };
            let _ = conn.write_all(reply);
        }
    }
}

/// The probe's arguments against `port` (plain SMTP, so the held greeting is all it waits on).
fn args(port: u16) -> Vec<String> {
    [
        "check",
        "127.0.0.1",
        "--port",
        &port.to_string(),
        "--security",
        "plain",
        "--timeout",
        "30s",
        "--color",
        "never",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// A pseudo-terminal of [`ROWS`] by [`COLS`].
fn terminal() -> nix::pty::OpenptyResult {
    let size = Winsize {
        ws_row: ROWS,
        ws_col: COLS,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    openpty(Some(&size), None).expect("openpty")
}

/// What one run under a terminal produced.
struct TerminalRun {
    /// Every byte written to the terminal.
    terminal: Vec<u8>,
    /// stdout, when it was a pipe.
    stdout: Option<String>,
    /// The live line was on the terminal before the server greeted.
    seen_before_greeting: bool,
}

/// Runs the check with stderr (and stdout too unless `pipe_stdout`) on a pseudo-terminal;
/// lets the server greet once the live line is seen.
fn under_terminal(pipe_stdout: bool) -> TerminalRun {
    let server = HeldServer::start(Duration::from_secs(20));
    let pty = terminal();
    let slave: OwnedFd = pty.slave;
    let mut command = Command::new(env!("CARGO_BIN_EXE_smtp-doctor"));
    command
        .args(args(server.port))
        .env("TERM", "xterm")
        .env_remove("NO_COLOR")
        .env_remove("COLUMNS")
        .stdin(Stdio::null())
        .stderr(Stdio::from(slave.try_clone().expect("dup")));
    if pipe_stdout {
        command.stdout(Stdio::piped());
    } else {
        command.stdout(Stdio::from(slave.try_clone().expect("dup")));
    }
    let mut child = command.spawn().expect("spawn");
    // Only the child holds the terminal now (the command kept copies): reading ends when it
    // exits.
    drop(command);
    drop(slave);
    let mut stdout_pipe = child.stdout.take();
    let stdout = thread::spawn(move || {
        stdout_pipe.as_mut().map(|pipe| {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    });
    let mut master = std::fs::File::from(pty.master);
    let mut terminal = Vec::new();
    let mut seen_before_greeting = false;
    let mut buf = [0u8; 4096];
    // EIO once the child has exited and the terminal has no other holder.
    while let Ok(n) = master.read(&mut buf) {
        if n == 0 {
            break;
        }
        terminal.extend_from_slice(buf.get(..n).unwrap_or_default());
        if !seen_before_greeting && String::from_utf8_lossy(&terminal).contains(WAITING) {
            seen_before_greeting = true;
            let _ = server.greet.send(());
        }
    }
    let status = child.wait().expect("wait");
    assert!(status.code().is_some(), "the run ended with a signal");
    let _ = server.done.join();
    TerminalRun {
        terminal,
        stdout: stdout.join().expect("stdout reader"),
        seen_before_greeting,
    }
}

/// What the terminal shows at the end.
fn screen(bytes: &[u8]) -> String {
    let size = |n: u16| std::num::NonZeroU16::new(n).expect("a terminal size");
    let mut parser = vt100::Parser::new(size(ROWS), size(COLS), 0);
    parser.process(bytes);
    parser.screen().contents()
}

#[test]
fn live_lines_come_before_the_answer_and_leave_only_the_report() {
    let run = under_terminal(false);
    assert!(
        run.seen_before_greeting,
        "the live line was on the terminal before the server greeted: {:?}",
        String::from_utf8_lossy(&run.terminal)
    );
    let shown = screen(&run.terminal);
    assert!(!shown.contains(WAITING), "live lines cleared:\n{shown}");
    assert!(!shown.contains("done in"), "live lines cleared:\n{shown}");
    assert!(shown.contains("held.test"), "the report is shown:\n{shown}");
    assert!(shown.contains("127.0.0.1"), "the report is shown:\n{shown}");
}

#[test]
fn with_stdout_piped_the_report_has_no_progress_bytes() {
    let run = under_terminal(true);
    assert!(
        run.seen_before_greeting,
        "live view on the terminal (stderr)"
    );
    let report = run.stdout.expect("stdout piped");
    assert!(report.contains("held.test"), "{report}");
    assert!(!report.contains('\u{1b}'), "no escape sequence: {report:?}");
    assert!(!report.contains(WAITING), "{report}");
    // The terminal (stderr) ends empty: the live lines were cleared.
    let shown = screen(&run.terminal);
    assert_eq!(shown.trim(), "", "terminal after the run:\n{shown}");
}

#[test]
fn piped_stderr_gets_no_live_view_and_quiet_turns_it_off() {
    for quiet in [false, true] {
        let server = HeldServer::start(Duration::from_millis(200));
        let mut args = args(server.port);
        if quiet {
            args.push("--quiet".to_string());
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = Invocation::new(&refs).run();
        let _ = server.done.join();
        assert!(run.stdout.contains("held.test"), "{}", run.stdout);
        for (name, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
            assert!(!text.contains(WAITING), "{name}: {text}");
            assert!(!text.contains('\u{1b}'), "{name}: {text:?}");
        }
    }
}

#[test]
fn quiet_turns_the_live_view_off_on_a_terminal() {
    let server = HeldServer::start(Duration::from_millis(300));
    let pty = terminal();
    let mut args = args(server.port);
    args.push("-q".to_string());
    let mut child = Command::new(env!("CARGO_BIN_EXE_smtp-doctor"))
        .args(&args)
        .env("TERM", "xterm")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(pty.slave))
        .spawn()
        .expect("spawn");
    let mut report = String::new();
    if let Some(mut out) = child.stdout.take() {
        let _ = out.read_to_string(&mut report);
    }
    let _ = child.wait();
    let _ = server.done.join();
    let mut master = std::fs::File::from(pty.master);
    let mut terminal = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = master.read(&mut buf) {
        if n == 0 {
            break;
        }
        terminal.extend_from_slice(buf.get(..n).unwrap_or_default());
    }
    assert!(report.contains("held.test"), "{report}");
    assert!(
        terminal.is_empty(),
        "nothing on the terminal with -q: {:?}",
        String::from_utf8_lossy(&terminal)
    );
}
