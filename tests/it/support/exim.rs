//! A real Exim on loopback for the interop tests: Debian's `exim4-daemon-light`, not installed
//! (it conflicts with the `postfix` package) but unpacked by `.ci/run` with `apt-get download`
//! and `dpkg -x` into [`EXIM_ROOT`] (or `$SMTP_DOCTOR_EXIM_ROOT`), run as `exim4 -bdf -C <conf>`
//! (a daemon in the foreground) as a child process, with its configuration, spool and logs in
//! a temporary directory; stopped on drop. The binary looks its compiled-in user `Debian-exim`
//! up before it reads any configuration, so that system user must exist (`.ci/run` adds it,
//! as the package's own maintainer script would).
//!
//! Ports: one with STARTTLS and one in `tls_on_connect_ports` (implicit TLS); AUTH PLAIN and
//! LOGIN through `plaintext` authenticators checking a file of users, advertised only inside
//! TLS (`server_advertise_condition = ${if def:tls_in_cipher}`). [`Fault`] breaks it on
//! purpose.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

use super::daemon::{self, Daemon};

/// Where `.ci/run` unpacks the Debian packages (`usr/sbin/exim4` below it).
pub const EXIM_ROOT: &str = "/opt/smtp-doctor-exim4";
/// The user Debian's Exim is compiled to run as.
const EXIM_USER: &str = "Debian-exim";

/// A deliberate misconfiguration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// None: STARTTLS on one port, implicit TLS on the other.
    None,
    /// Both ports in `tls_on_connect_ports`: the submission port speaks implicit TLS.
    TlsOnConnectEverywhere,
    /// The private key is readable by root only, and Exim reads it in the connection's
    /// process, which runs as `Debian-exim`: every STARTTLS fails (`454`).
    KeyUnreadable,
}

/// A running Exim daemon listening on 127.0.0.1 only.
pub struct Exim {
    /// The port that should offer STARTTLS (587-style).
    pub starttls_port: u16,
    /// The port in `tls_on_connect_ports` (465-style).
    pub tls_port: u16,
    // Drop order: Exim first, then the directory.
    daemon: Daemon,
    dir: TempDir,
}

impl Exim {
    /// Writes a configuration serving this chain (leaf first) and key, with these users (full
    /// names, password) and this fault, starts Exim and waits until both ports accept. `Err`
    /// says why it could not (not root, not unpacked, no `Debian-exim` user, start failure
    /// with Exim's logs).
    pub fn start(
        chain_pem: &str,
        key_pem: &str,
        users: &[(&str, &str)],
        fault: Fault,
    ) -> Result<Exim, String> {
        if !daemon::is_root() {
            return Err("the Exim interop tests must run as root".into());
        }
        let binary = find_exim()?;
        let user = nix::unistd::User::from_name(EXIM_USER)
            .map_err(|e| format!("look up user {EXIM_USER}: {e}"))?
            .ok_or_else(|| {
                format!(
                    "no user {EXIM_USER}: Debian's Exim runs as it; add it as .ci/run does \
                     (useradd --system --user-group {EXIM_USER})"
                )
            })?;
        let mut last_err = String::new();
        for _ in 0..daemon::START_TRIES {
            match Exim::start_once(&binary, &user, chain_pem, key_pem, users, fault) {
                Ok(e) => return Ok(e),
                Err(e) if daemon::port_taken(&e) => last_err = e,
                Err(e) => return Err(e),
            }
        }
        Err(last_err)
    }

    fn start_once(
        binary: &Path,
        user: &nix::unistd::User,
        chain_pem: &str,
        key_pem: &str,
        users: &[(&str, &str)],
        fault: Fault,
    ) -> Result<Exim, String> {
        let dir = daemon::server_dir("smtp-doctor-exim-")?;
        let ports = daemon::free_ports(IpAddr::V4(Ipv4Addr::LOCALHOST), 2)?;
        let (starttls_port, tls_port) = (ports[0], ports[1]);
        let files = write_files(dir.path(), user, chain_pem, key_pem, users, fault)?;
        let on_connect = match fault {
            Fault::TlsOnConnectEverywhere => format!("{starttls_port} : {tls_port}"),
            Fault::None | Fault::KeyUnreadable => tls_port.to_string(),
        };
        let conf = config(dir.path(), &files, starttls_port, tls_port, &on_connect);
        let conf_path = dir.path().join("exim.conf");
        // Exim refuses a configuration file that others can write; root owns this one.
        daemon::write(&conf_path, &conf)?;
        daemon::set_mode(&conf_path, 0o644)?;

        let mut cmd = Command::new(binary);
        cmd.arg("-bdf").arg("-C").arg(&conf_path);
        let mut daemon = Daemon::spawn("exim", cmd, &dir.path().join("exim.out"))?;
        let log_dir = dir.path().join("log");
        daemon.wait_accepting(
            &[
                SocketAddr::from((Ipv4Addr::LOCALHOST, starttls_port)),
                SocketAddr::from((Ipv4Addr::LOCALHOST, tls_port)),
            ],
            || read_logs(&log_dir),
        )?;
        Ok(Exim {
            starttls_port,
            tls_port,
            daemon,
            dir,
        })
    }

    /// Exim's main and panic logs so far, and its stdout and stderr, for failure messages.
    pub fn log(&self) -> String {
        format!(
            "{}{}",
            read_logs(&self.dir.path().join("log")),
            self.daemon.output()
        )
    }
}

/// The files the configuration names.
struct Files {
    chain: PathBuf,
    key: PathBuf,
    users: PathBuf,
}

/// Spool and log directories owned by Exim's user, the chain, the key (readable by Exim's
/// group unless the fault says otherwise) and the users file (`name: password` lines, read
/// with `lsearch`).
fn write_files(
    dir: &Path,
    user: &nix::unistd::User,
    chain_pem: &str,
    key_pem: &str,
    users: &[(&str, &str)],
    fault: Fault,
) -> Result<Files, String> {
    let chown = |path: &Path, uid: Option<u32>, gid: Option<u32>| {
        std::os::unix::fs::chown(path, uid, gid)
            .map_err(|e| format!("chown {}: {e}", path.display()))
    };
    for sub in ["spool", "log"] {
        let path = dir.join(sub);
        std::fs::create_dir(&path).map_err(|e| format!("create {}: {e}", path.display()))?;
        chown(&path, Some(user.uid.as_raw()), Some(user.gid.as_raw()))?;
        daemon::set_mode(&path, 0o750)?;
    }
    let chain = dir.join("chain.pem");
    daemon::write(&chain, chain_pem)?;
    let key = dir.join("key.pem");
    daemon::write(&key, key_pem)?;
    if fault == Fault::KeyUnreadable {
        daemon::set_mode(&key, 0o600)?;
    } else {
        chown(&key, None, Some(user.gid.as_raw()))?;
        daemon::set_mode(&key, 0o640)?;
    }
    let users_file = dir.join("users");
    let lines: String = users
        .iter()
        .map(|(name, password)| format!("{name}: {password}\n"))
        .collect();
    daemon::write(&users_file, &lines)?;
    // Read as Exim's user; it holds test passwords only.
    daemon::set_mode(&users_file, 0o644)?;
    Ok(Files {
        chain,
        key,
        users: users_file,
    })
}

/// The configuration: two listeners on 127.0.0.1, TLS, two authenticators, no DNS, no ident,
/// no queue runs, nothing delivered (no routers: every RCPT is refused).
fn config(
    dir: &Path,
    files: &Files,
    starttls_port: u16,
    tls_port: u16,
    on_connect: &str,
) -> String {
    // A password matches when it is not empty and equals the users file's entry.
    // ${if and{{!eq{PASSWORD}{}}{eq{PASSWORD}{${lookup{USER}lsearch{FILE}{$value}{}}}}}}
    let users = files.users.display().to_string();
    let check = |user: &str, password: &str| {
        let lookup = ["${lookup{", user, "}lsearch{", &users, "}{$value}{}}"].concat();
        [
            "${if and{{!eq{",
            password,
            "}{}}{eq{",
            password,
            "}{",
            &lookup,
            "}}}}",
        ]
        .concat()
    };
    let d = dir.display();
    format!(
        "primary_hostname = mail.test\n\
         spool_directory = {d}/spool\n\
         log_file_path = {d}/log/%slog\n\
         pid_file_path = {d}/exim.pid\n\
         local_interfaces = 127.0.0.1\n\
         disable_ipv6 = true\n\
         daemon_smtp_ports = {starttls_port} : {tls_port}\n\
         tls_on_connect_ports = {on_connect}\n\
         daemon_startup_retries = 0\n\
         tls_advertise_hosts = *\n\
         tls_certificate = {chain}\n\
         tls_privatekey = {key}\n\
         host_lookup =\n\
         rfc1413_hosts =\n\
         keep_environment =\n\
         queue_run_max = 0\n\
         \n\
         begin authenticators\n\
         \n\
         plain_server:\n\
         \x20 driver = plaintext\n\
         \x20 public_name = PLAIN\n\
         \x20 server_prompts = :\n\
         \x20 server_condition = {plain}\n\
         \x20 server_set_id = $auth2\n\
         \x20 server_advertise_condition = ${{if def:tls_in_cipher}}\n\
         \n\
         login_server:\n\
         \x20 driver = plaintext\n\
         \x20 public_name = LOGIN\n\
         \x20 server_prompts = Username:: : Password::\n\
         \x20 server_condition = {login}\n\
         \x20 server_set_id = $auth1\n\
         \x20 server_advertise_condition = ${{if def:tls_in_cipher}}\n",
        chain = files.chain.display(),
        key = files.key.display(),
        plain = check("$auth2", "$auth3"),
        login = check("$auth1", "$auth2"),
    )
}

fn read_logs(dir: &Path) -> String {
    ["mainlog", "paniclog", "rejectlog"]
        .iter()
        .filter_map(|name| {
            std::fs::read_to_string(dir.join(name))
                .ok()
                .map(|text| format!("--- {name} ---\n{text}"))
        })
        .collect()
}

/// The unpacked `exim4` binary.
fn find_exim() -> Result<PathBuf, String> {
    let root = std::env::var_os("SMTP_DOCTOR_EXIM_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(EXIM_ROOT));
    let binary = root.join("usr/sbin/exim4");
    if binary.is_file() {
        Ok(binary)
    } else {
        Err(format!(
            "Exim is not unpacked ({} is missing): `apt-get download exim4-daemon-light \
             exim4-base exim4-config` and `dpkg -x` each into {} (see .ci/run)",
            binary.display(),
            root.display()
        ))
    }
}
