//! What the interop servers other than Postfix share ([`super::dovecot`], [`super::exim`],
//! [`super::aiosmtpd`]): a server run in the foreground as a child process of the test, its
//! output in a file, a bounded wait until its ports accept, and a bounded stop of it and every
//! process it forked (SIGTERM to its process group, then SIGKILL) when dropped.

use std::fs::File;
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a server may take until its ports accept connections.
pub const ACCEPT_DEADLINE: Duration = Duration::from_secs(20);
/// How long a server may take to exit after SIGTERM before it is killed.
const STOP_DEADLINE: Duration = Duration::from_secs(10);
/// Tries with fresh ports when another process took a port between picking and binding it.
pub const START_TRIES: usize = 3;

/// A server running as a child process of the test; stopped when dropped.
pub struct Daemon {
    name: String,
    child: Child,
    /// Where the child's stdout and stderr go.
    output: PathBuf,
}

impl Daemon {
    /// Starts `cmd` (which must stay in the foreground) with stdin closed and stdout and
    /// stderr appended to `output`.
    pub fn spawn(name: &str, mut cmd: Command, output: &Path) -> Result<Daemon, String> {
        let file = File::options()
            .create(true)
            .append(true)
            .open(output)
            .map_err(|e| format!("open {}: {e}", output.display()))?;
        let err = file.try_clone().map_err(|e| e.to_string())?;
        // A process group of its own, so that stopping it reaches the processes it forks
        // (Exim's per-connection processes, Dovecot's login and auth processes) too.
        let child = cmd
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("start {name} ({cmd:?}): {e}"))?;
        Ok(Daemon {
            name: name.to_string(),
            child,
            output: output.to_path_buf(),
        })
    }

    /// What the child wrote to stdout and stderr so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.output).unwrap_or_default()
    }

    /// Waits until every address accepts a TCP connection, at most [`ACCEPT_DEADLINE`]. `Err`
    /// when the deadline passes or the child exits first (with its exit status); `log` is
    /// appended to the message.
    pub fn wait_accepting(
        &mut self,
        addrs: &[SocketAddr],
        log: impl Fn() -> String,
    ) -> Result<(), String> {
        let start = Instant::now();
        for addr in addrs {
            loop {
                if let Ok(Some(status)) = self.child.try_wait() {
                    return Err(format!(
                        "{} exited ({status}) before {addr} accepted\n--- output ---\n{}\n\
                         --- log ---\n{}",
                        self.name,
                        self.output(),
                        log()
                    ));
                }
                if TcpStream::connect_timeout(addr, Duration::from_millis(500)).is_ok() {
                    break;
                }
                if start.elapsed() > ACCEPT_DEADLINE {
                    return Err(format!(
                        "{} started but {addr} did not accept within {ACCEPT_DEADLINE:?}\n\
                         --- output ---\n{}\n--- log ---\n{}",
                        self.name,
                        self.output(),
                        log()
                    ));
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Ok(())
    }

    /// SIGTERM to its process group, then waits at most [`STOP_DEADLINE`] until no process of
    /// the group is left and SIGKILLs the group if one is. The child itself is reaped only at
    /// the end (unless it exited during start-up), so its pid, the group's id, cannot be
    /// reused by another process meanwhile.
    fn stop(&mut self) {
        use nix::sys::signal::{Signal, killpg};
        use nix::unistd::Pid;
        let Ok(pid) = i32::try_from(self.child.id()) else {
            return;
        };
        let group = Pid::from_raw(pid);
        // Only while the group has a live process: once every one is gone (a server that
        // failed to start, reaped by `wait_accepting`), its id may be someone else's.
        if group_alive(pid) {
            let _ = killpg(group, Signal::SIGTERM);
        }
        let start = Instant::now();
        while group_alive(pid) {
            if start.elapsed() > STOP_DEADLINE {
                let _ = killpg(group, Signal::SIGKILL);
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Whether a process of group `pgid` is still running (zombies do not count: they are gone
/// but for their exit status).
fn group_alive(pgid: i32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return false;
    };
    entries.flatten().any(|entry| {
        let is_pid = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()));
        if !is_pid {
            return false;
        }
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            return false;
        };
        // "pid (comm) state ppid pgrp ...": comm may contain spaces, so split at the last ')'.
        let Some((_, rest)) = stat.rsplit_once(')') else {
            return false;
        };
        let mut fields = rest.split_whitespace();
        let state = fields.next();
        let pgrp = fields.nth(1).and_then(|p| p.parse::<i32>().ok());
        pgrp == Some(pgid) && state != Some("Z")
    })
}

/// `count` distinct free TCP ports on `ip`: bound together (so they differ), then released.
pub fn free_ports(ip: IpAddr, count: usize) -> Result<Vec<u16>, String> {
    let mut listeners = Vec::with_capacity(count);
    for _ in 0..count {
        let listener =
            TcpListener::bind((ip, 0)).map_err(|e| format!("pick a free port on {ip}: {e}"))?;
        listeners.push(listener);
    }
    listeners
        .iter()
        .map(|l| {
            l.local_addr()
                .map(|a| a.port())
                .map_err(|e| format!("pick a free port on {ip}: {e}"))
        })
        .collect()
}

/// Whether a start-up failure's text says a port was taken (worth another try with others).
pub fn port_taken(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("address already in use") || m.contains("in use")
}

/// Whether the tests run as root (the servers bind, drop privileges and chown).
pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// Writes `contents` to `path`.
pub fn write(path: &Path, contents: &str) -> Result<(), String> {
    std::fs::write(path, contents).map_err(|e| format!("write {}: {e}", path.display()))
}

/// Sets the permission bits of `path`.
pub fn set_mode(path: &Path, mode: u32) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| format!("chmod {}: {e}", path.display()))
}

/// A temporary directory in /tmp, mode 0755: servers that drop privileges must traverse it.
pub fn server_dir(prefix: &str) -> Result<tempfile::TempDir, String> {
    let dir = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in("/tmp")
        .map_err(|e| format!("create {prefix} directory: {e}"))?;
    set_mode(dir.path(), 0o755)?;
    Ok(dir)
}
