//! A real Postfix on loopback for the interop tests: its own main.cf/master.cf, queue and log in
//! a temporary directory, two free ports (STARTTLS and implicit TLS), stopped on drop. It never
//! touches port 25 or /etc/postfix/main.cf; it needs root and the Debian `postfix` package.
//!
//! [`Postfix::start_with_sasl`] adds SMTP AUTH through Cyrus SASL with a sasldb of its own
//! (PLAIN, LOGIN, CRAM-MD5; Debian `sasl2-bin` for `saslpasswd2`), offered inside TLS only,
//! and relaying for authenticated clients into its queue (nothing is delivered: no queue
//! manager runs).

use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// How long `postfix start` may take (its integrity checks take a few seconds).
const START_DEADLINE: Duration = Duration::from_secs(60);
/// How long the ports may take to accept connections once Postfix says it started.
const ACCEPT_DEADLINE: Duration = Duration::from_secs(10);
/// How long `postfix stop` and the master's exit may take before it is killed.
const STOP_DEADLINE: Duration = Duration::from_secs(10);
/// Tries with fresh ports when another process took a port between picking and binding it.
const START_TRIES: usize = 3;

/// A running Postfix instance listening on 127.0.0.1 only.
pub struct Postfix {
    /// Port of the `smtpd` that offers STARTTLS (`smtpd_tls_security_level = may`).
    pub starttls_port: u16,
    /// Port of the `smtpd` in wrapper mode (implicit TLS, like 465).
    pub tls_port: u16,
    postfix: PathBuf,
    master_pid: Option<i32>,
    // Last field: removed only after `Drop::drop` stopped the instance.
    dir: TempDir,
}

impl Postfix {
    /// Writes a configuration serving this certificate chain (leaf first) and key, starts
    /// Postfix and waits until both ports accept connections. `Err` says why it could not
    /// (not root, Postfix not installed, start-up failure with the end of Postfix's log).
    pub fn start(chain_pem: &str, key_pem: &str) -> Result<Postfix, String> {
        Postfix::start_inner(chain_pem, key_pem, &[])
    }

    /// Like [`Postfix::start`], with SMTP AUTH for these users (`name@mail.test`, password).
    pub fn start_with_sasl(
        chain_pem: &str,
        key_pem: &str,
        users: &[(&str, &str)],
    ) -> Result<Postfix, String> {
        Postfix::start_inner(chain_pem, key_pem, users)
    }

    fn start_inner(
        chain_pem: &str,
        key_pem: &str,
        users: &[(&str, &str)],
    ) -> Result<Postfix, String> {
        if !is_root() {
            return Err("the Postfix interop tests must run as root".into());
        }
        let postfix = find_postfix()?;
        let mut last_err = String::new();
        for _ in 0..START_TRIES {
            match Postfix::start_once(&postfix, chain_pem, key_pem, users) {
                Ok(p) => return Ok(p),
                // A port picked as free was taken before Postfix bound it: pick again.
                Err((e, true)) => last_err = e,
                Err((e, false)) => return Err(e),
            }
        }
        Err(last_err)
    }

    /// The text Postfix logged so far (start-up, connections, TLS), for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("maillog")).unwrap_or_default()
    }

    /// The queued message with this queue id, as `postcat -bh` prints it (headers and body).
    pub fn queued(&self, queue_id: &str) -> Result<String, String> {
        let postcat = self.postfix.with_file_name("postcat");
        let mut cmd = Command::new(postcat);
        cmd.arg("-c")
            .arg(self.config_dir())
            .args(["-b", "-h", "-q", queue_id]);
        let out = run_bounded(cmd, STOP_DEADLINE)?;
        if !out.status.success() {
            return Err(format!(
                "postcat -q {queue_id} failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// One start attempt; the `bool` in `Err` says whether a retry with other ports may help.
    fn start_once(
        postfix: &Path,
        chain_pem: &str,
        key_pem: &str,
        users: &[(&str, &str)],
    ) -> Result<Postfix, (String, bool)> {
        let fatal = |e: String| (e, false);
        // Postfix daemons run as the `postfix` user and must traverse every component of the
        // queue path, so the directory lives in /tmp (not a private TMPDIR) and is 0755.
        let dir = tempfile::Builder::new()
            .prefix("smtp-doctor-postfix-")
            .tempdir_in("/tmp")
            .map_err(|e| fatal(format!("create Postfix directory: {e}")))?;
        set_mode(dir.path(), 0o755).map_err(fatal)?;
        let [starttls_port, tls_port] = free_ports().map_err(fatal)?;
        write_config(dir.path(), chain_pem, key_pem, starttls_port, tls_port).map_err(fatal)?;
        if !users.is_empty() {
            write_sasl(dir.path(), users).map_err(fatal)?;
        }

        let mut instance = Postfix {
            starttls_port,
            tls_port,
            postfix: postfix.to_path_buf(),
            master_pid: None,
            dir,
        };
        let out = instance
            .postfix_command("start", START_DEADLINE)
            .map_err(fatal)?;
        instance.master_pid = instance.read_master_pid();
        if !out.status.success() {
            let log = instance.log();
            let retry = log.contains("in use");
            let msg = format!(
                "`postfix -c {} start` failed ({}): {}{}\n--- Postfix log ---\n{}",
                instance.config_dir().display(),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                log
            );
            // Drop stops whatever part of it did start.
            return Err((msg, retry));
        }
        for port in [starttls_port, tls_port] {
            if let Err(e) = wait_accepting(port, ACCEPT_DEADLINE) {
                return Err((
                    format!("{e}\n--- Postfix log ---\n{}", instance.log()),
                    false,
                ));
            }
        }
        Ok(instance)
    }

    /// main.cf, master.cf, key and chain: a directory of their own, because Postfix's start-up
    /// check warns about everything under it that is not owned by root (the queue is not).
    fn config_dir(&self) -> PathBuf {
        self.dir.path().join("etc")
    }

    /// Runs `postfix -c DIR <verb>` with a deadline.
    fn postfix_command(&self, verb: &str, deadline: Duration) -> Result<Output, String> {
        let mut cmd = Command::new(&self.postfix);
        cmd.arg("-c").arg(self.config_dir()).arg(verb);
        run_bounded(cmd, deadline)
    }

    /// The master's pid from its pid file, if it wrote one.
    fn read_master_pid(&self) -> Option<i32> {
        let path = self.dir.path().join("queue/pid/master.pid");
        std::fs::read_to_string(path).ok()?.trim().parse().ok()
    }

    /// `postfix stop`, then waits for the master to be gone and kills it (and its process
    /// group: it is a session leader) if it is not.
    fn stop(&mut self) {
        let _ = self.postfix_command("stop", STOP_DEADLINE);
        let Some(pid) = self.master_pid.or_else(|| self.read_master_pid()) else {
            return;
        };
        let start = Instant::now();
        while is_master_alive(pid) {
            if start.elapsed() > STOP_DEADLINE {
                // is_master_alive checked just before that `pid` is still a Postfix master (not
                // a reused pid): its process group, then itself.
                use nix::sys::signal::{Signal, kill, killpg};
                use nix::unistd::Pid;
                let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
                let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        self.stop();
    }
}

/// SMTP AUTH through Cyrus SASL: a sasldb with `users` (realm `mail.test`), the `smtpd.conf`
/// that points at it, and the main.cf lines that switch AUTH on (appended: later lines win).
fn write_sasl(dir: &Path, users: &[(&str, &str)]) -> Result<(), String> {
    let etc = dir.join("etc");
    let sasl = etc.join("sasl");
    std::fs::create_dir(&sasl).map_err(|e| format!("create {}: {e}", sasl.display()))?;
    set_mode(&sasl, 0o755)?;
    let db = etc.join("sasldb2");
    let saslpasswd = ["/usr/sbin/saslpasswd2", "/usr/bin/saslpasswd2"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .ok_or(
            "saslpasswd2 is not installed; install the Debian package `sasl2-bin` (see .ci/run)",
        )?;
    for (user, password) in users {
        // -p: the password from standard input; -c: create; -u: the realm.
        let mut child = Command::new(&saslpasswd)
            .arg("-f")
            .arg(&db)
            .args(["-p", "-c", "-u", "mail.test", user])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("run saslpasswd2: {e}"))?;
        if let Some(mut stdin) = child.stdin.take() {
            use std::io::Write as _;
            stdin
                .write_all(password.as_bytes())
                .map_err(|e| format!("saslpasswd2 stdin: {e}"))?;
        }
        let out = child
            .wait_with_output()
            .map_err(|e| format!("wait for saslpasswd2: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "saslpasswd2 failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    // smtpd runs as the `postfix` user and must read the database; it holds test passwords only.
    set_mode(&db, 0o644)?;
    let conf = format!(
        "pwcheck_method: auxprop\n\
         auxprop_plugin: sasldb\n\
         mech_list: PLAIN LOGIN CRAM-MD5\n\
         sasldb_path: {}\n",
        db.display()
    );
    write(&sasl.join("smtpd.conf"), &conf)?;
    let main_cf = etc.join("main.cf");
    let mut text = std::fs::read_to_string(&main_cf)
        .map_err(|e| format!("read {}: {e}", main_cf.display()))?;
    for line in [
        "smtpd_sasl_auth_enable = yes",
        "smtpd_sasl_type = cyrus",
        "smtpd_sasl_path = smtpd",
        &format!("cyrus_sasl_config_path = {}", sasl.display()),
        "smtpd_sasl_local_domain = mail.test",
        "smtpd_sasl_security_options = noanonymous",
        "smtpd_relay_restrictions = permit_sasl_authenticated, reject",
    ] {
        let _ = writeln!(text, "{line}");
    }
    write(&main_cf, &text)
}

/// The main.cf and master.cf of a loopback-only instance, the key and the chain.
fn write_config(
    dir: &Path,
    chain_pem: &str,
    key_pem: &str,
    starttls_port: u16,
    tls_port: u16,
) -> Result<(), String> {
    let d = dir.display();
    let etc = dir.join("etc");
    std::fs::create_dir(&etc).map_err(|e| format!("create {}: {e}", etc.display()))?;
    set_mode(&etc, 0o755)?;
    let key = etc.join("key.pem");
    let chain = etc.join("chain.pem");
    write(&key, key_pem)?;
    set_mode(&key, 0o600)?;
    write(&chain, chain_pem)?;
    // `postfix start` creates the subdirectories, not the queue directory itself.
    std::fs::create_dir(dir.join("queue")).map_err(|e| format!("create queue directory: {e}"))?;
    set_mode(&dir.join("queue"), 0o755)?;

    let mut main_cf = String::new();
    // Nothing is ever delivered: no local, alias or relay domains; no DNS lookups of the
    // client (this machine has no resolver to wait for). The log goes to a file because there
    // is no syslog daemon here.
    for line in [
        "compatibility_level = 3.6",
        &format!("queue_directory = {d}/queue"),
        &format!("data_directory = {d}/data"),
        &format!("maillog_file = {d}/maillog"),
        &format!("maillog_file_prefixes = {d}"),
        "myhostname = mail.test",
        "mydomain = test",
        "myorigin = $myhostname",
        "mydestination =",
        "relay_domains =",
        "alias_maps =",
        "alias_database =",
        "local_recipient_maps =",
        "inet_interfaces = 127.0.0.1",
        "inet_protocols = ipv4",
        "mynetworks = 127.0.0.0/8",
        "smtpd_peername_lookup = no",
        "smtpd_relay_restrictions = reject",
        "biff = no",
        &format!(
            "smtpd_tls_chain_files = {}, {}",
            key.display(),
            chain.display()
        ),
        "smtpd_tls_security_level = may",
        "smtpd_tls_auth_only = yes",
        "smtpd_tls_loglevel = 1",
    ] {
        let _ = writeln!(main_cf, "{line}");
    }
    write(&etc.join("main.cf"), &main_cf)?;

    // Only the two listeners and the internal services smtpd talks to; no pickup, qmgr or
    // delivery agents. Explicit 127.0.0.1 addresses: nothing listens on other interfaces.
    let master_cf = format!(
        "127.0.0.1:{starttls_port} inet n - n - - smtpd\n\
         127.0.0.1:{tls_port} inet n - n - - smtpd -o smtpd_tls_wrappermode=yes\n\
         postlog unix-dgram n - n - 1 postlogd\n\
         tlsmgr unix - - n 1000? 1 tlsmgr\n\
         rewrite unix - - n - - trivial-rewrite\n\
         anvil unix - - n - 1 anvil\n\
         proxymap unix - - n - - proxymap\n\
         cleanup unix n - n - 0 cleanup\n"
    );
    write(&etc.join("master.cf"), &master_cf)
}

fn write(path: &Path, contents: &str) -> Result<(), String> {
    std::fs::write(path, contents).map_err(|e| format!("write {}: {e}", path.display()))
}

fn set_mode(path: &Path, mode: u32) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| format!("chmod {}: {e}", path.display()))
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// The `postfix` command: /usr/sbin/postfix (often not on a user's PATH), else from PATH.
fn find_postfix() -> Result<PathBuf, String> {
    let sbin = PathBuf::from("/usr/sbin/postfix");
    if sbin.is_file() {
        return Ok(sbin);
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|p| p.join("postfix"))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            "Postfix is not installed (no /usr/sbin/postfix); install the Debian package \
             `postfix` (see .ci/run)"
                .to_string()
        })
}

/// Two distinct free loopback ports: bound together (so they differ), then released.
fn free_ports() -> Result<[u16; 2], String> {
    let bind = || {
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| Ok((l.local_addr()?.port(), l)))
            .map_err(|e| format!("pick a free port: {e}"))
    };
    let (a, _la) = bind()?;
    let (b, _lb) = bind()?;
    Ok([a, b])
}

/// Waits until 127.0.0.1:`port` accepts a TCP connection.
fn wait_accepting(port: u16, deadline: Duration) -> Result<(), String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let start = Instant::now();
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok() {
            return Ok(());
        }
        if start.elapsed() > deadline {
            return Err(format!(
                "Postfix started but {addr} did not accept within {deadline:?}"
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs a command to completion with output captured, killing it after `deadline`.
fn run_bounded(mut cmd: Command, deadline: Duration) -> Result<Output, String> {
    // Output goes to files, not pipes: a daemon child that inherits a pipe would keep it open
    // and a reader would wait for it forever.
    let out = tempfile::tempfile().map_err(|e| format!("temp file: {e}"))?;
    let err = tempfile::tempfile().map_err(|e| format!("temp file: {e}"))?;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(out.try_clone().map_err(|e| e.to_string())?)
        .stderr(err.try_clone().map_err(|e| e.to_string())?)
        .spawn()
        .map_err(|e| format!("run {cmd:?}: {e}"))?;
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{cmd:?} still running after {deadline:?}"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("wait for {cmd:?}: {e}")),
        }
    };
    Ok(Output {
        status,
        stdout: read_all(out),
        stderr: read_all(err),
    })
}

fn read_all(mut file: std::fs::File) -> Vec<u8> {
    use std::io::{Read, Seek};
    let mut buf = Vec::new();
    let _ = file.rewind().and_then(|_| file.read_to_end(&mut buf));
    buf
}

/// Whether `pid` is a live (not zombie) Postfix master. Orphaned daemons are reparented to
/// an init that may never reap them, so a zombie counts as gone.
fn is_master_alive(pid: i32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // Format: "pid (comm) state ..."; comm may contain spaces, so split at the last ')'.
    let Some((head, rest)) = stat.rsplit_once(')') else {
        return false;
    };
    let is_master = head.ends_with("(master");
    let state = rest.trim_start().chars().next();
    is_master && state != Some('Z')
}
