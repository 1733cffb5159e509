//! A real Dovecot submission service on loopback for the interop tests (Debian
//! `dovecot-core` and `dovecot-submissiond`): `dovecot -c <conf> -F` as a child process, its
//! configuration, runtime and state directories and log in a temporary directory, stopped on
//! drop. It never reads /etc/dovecot or touches the system instance.
//!
//! Listeners: STARTTLS and implicit TLS (`ssl = yes` on the listener) on **127.0.0.2**, plus a
//! STARTTLS one on 127.0.0.1. Dovecot treats a connection whose client address equals its own
//! address as secured (`net_ip_compare(remote_ip, local_ip)` in its login code) and then offers
//! AUTH PLAIN LOGIN before TLS; a client from another address, as every real client is, sees a
//! bare `AUTH` before TLS with `disable_plaintext_auth = yes`. A client connecting to
//! 127.0.0.2 comes from 127.0.0.1 (the kernel's source address for 127.0.0.0/8), so the
//! 127.0.0.2 listeners show Dovecot as the world sees it; the 127.0.0.1 one shows the
//! same-address case. Everything stays on the loopback interface.
//!
//! AUTH PLAIN and LOGIN against a passwd-file in the temporary directory. The submission
//! service needs a relay MTA behind it, which it connects to after a login: the crate's own
//! test server ([`TestServer`]) on 127.0.0.1 plays it.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

use super::daemon::{self, Daemon};
use super::server::{Mail, Scenario, Starttls, TestServer};

/// The address of the STARTTLS and implicit-TLS listeners (see the module comment).
pub const DOVECOT_IP: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

/// A running Dovecot submission service.
pub struct Dovecot {
    /// Address of [`Dovecot::starttls_port`] and [`Dovecot::tls_port`]: [`DOVECOT_IP`].
    pub ip: IpAddr,
    /// The STARTTLS listener (587-style) on [`Dovecot::ip`].
    pub starttls_port: u16,
    /// The implicit-TLS listener (465-style, `ssl = yes`) on [`Dovecot::ip`].
    pub tls_port: u16,
    /// A STARTTLS listener on 127.0.0.1, where the client's address equals Dovecot's.
    pub same_address_port: u16,
    // Drop order: Dovecot first, then its relay, then the directory.
    daemon: Daemon,
    relay: TestServer,
    dir: TempDir,
}

impl Dovecot {
    /// Writes a configuration serving this certificate chain (leaf first) and key, with these
    /// users (full names such as `alice@mail.test`, password), starts Dovecot and waits until
    /// its three listeners accept. `Err` says why it could not (not root, not installed, the
    /// start failed: with Dovecot's log).
    pub fn start(
        chain_pem: &str,
        key_pem: &str,
        users: &[(&str, &str)],
    ) -> Result<Dovecot, String> {
        if !daemon::is_root() {
            return Err("the Dovecot interop tests must run as root".into());
        }
        let binary = find_dovecot()?;
        let mut last_err = String::new();
        for _ in 0..daemon::START_TRIES {
            match Dovecot::start_once(&binary, chain_pem, key_pem, users) {
                Ok(d) => return Ok(d),
                Err(e) if daemon::port_taken(&e) => last_err = e,
                Err(e) => return Err(e),
            }
        }
        Err(last_err)
    }

    fn start_once(
        binary: &Path,
        chain_pem: &str,
        key_pem: &str,
        users: &[(&str, &str)],
    ) -> Result<Dovecot, String> {
        // The login processes run as `dovenull` and chroot into base_dir/login; the
        // post-login submission process runs as the passwd-file's uid: all must traverse it.
        let dir = daemon::server_dir("smtp-doctor-dovecot-")?;
        let ip = IpAddr::V4(DOVECOT_IP);
        let ports = daemon::free_ports(ip, 2)?;
        let (starttls_port, tls_port) = (ports[0], ports[1]);
        let same_address_port = daemon::free_ports(IpAddr::V4(Ipv4Addr::LOCALHOST), 1)?[0];
        let relay = TestServer::start(
            Scenario::new()
                .ehlo_domain("relay.mail.test")
                .starttls(Starttls::NotOffered)
                .mail(Mail::new().no_auth_required()),
        );
        let ports = Ports {
            starttls: starttls_port,
            tls: tls_port,
            same_address: same_address_port,
            relay: relay.port(),
        };
        let conf = write_config(dir.path(), chain_pem, key_pem, users, &ports)?;
        let mut cmd = Command::new(binary);
        cmd.arg("-c").arg(&conf).arg("-F");
        let mut daemon = Daemon::spawn("dovecot", cmd, &dir.path().join("dovecot.out"))?;
        let log_path = dir.path().join("dovecot.log");
        let log = || std::fs::read_to_string(&log_path).unwrap_or_default();
        daemon.wait_accepting(
            &[
                SocketAddr::new(ip, starttls_port),
                SocketAddr::new(ip, tls_port),
                SocketAddr::from((Ipv4Addr::LOCALHOST, same_address_port)),
            ],
            log,
        )?;
        Ok(Dovecot {
            ip,
            starttls_port,
            tls_port,
            same_address_port,
            daemon,
            relay,
            dir,
        })
    }

    /// Dovecot's log so far, and what it wrote to stdout and stderr, for failure messages.
    pub fn log(&self) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default();
        format!("{log}{}", self.daemon.output())
    }

    /// How many connections the relay behind Dovecot has had (one per successful login).
    pub fn relay_connections(&self) -> usize {
        self.relay.sessions().len()
    }
}

/// The ports of one instance.
struct Ports {
    starttls: u16,
    tls: u16,
    same_address: u16,
    relay: u16,
}

/// dovecot.conf, the passwd-file, the key and the chain; returns the path of dovecot.conf.
fn write_config(
    dir: &Path,
    chain_pem: &str,
    key_pem: &str,
    users: &[(&str, &str)],
    ports: &Ports,
) -> Result<PathBuf, String> {
    let d = dir.display();
    let key = dir.join("key.pem");
    let chain = dir.join("chain.pem");
    // Read by the config process, which runs as root.
    daemon::write(&key, key_pem)?;
    daemon::set_mode(&key, 0o600)?;
    daemon::write(&chain, chain_pem)?;

    // `user:{PLAIN}password:uid:gid::home::`; the post-login process runs as `nobody`.
    let mut passwd = String::new();
    for (user, password) in users {
        let _ = writeln!(
            passwd,
            "{user}:{{PLAIN}}{password}:65534:65534::{d}/home/{user}::"
        );
    }
    let passwd_file = dir.join("passwd");
    daemon::write(&passwd_file, &passwd)?;
    // The auth worker reads it as `dovecot`; it holds test passwords only.
    daemon::set_mode(&passwd_file, 0o644)?;

    let conf = format!(
        "base_dir = {d}/run\n\
         state_dir = {d}/state\n\
         log_path = {d}/dovecot.log\n\
         protocols = submission\n\
         listen = {ip}\n\
         hostname = mail.test\n\
         ssl = yes\n\
         ssl_cert = <{chain}\n\
         ssl_key = <{key}\n\
         disable_plaintext_auth = yes\n\
         auth_mechanisms = plain login\n\
         passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN {passwd}\n}}\n\
         userdb {{\n  driver = passwd-file\n  args = {passwd}\n}}\n\
         mail_location = maildir:{d}/mail/%u\n\
         submission_relay_host = 127.0.0.1\n\
         submission_relay_port = {relay}\n\
         submission_relay_ssl = no\n\
         service submission-login {{\n\
         \x20 inet_listener submission {{\n    port = {starttls}\n  }}\n\
         \x20 inet_listener submissions {{\n    port = {tls}\n    ssl = yes\n  }}\n\
         \x20 inet_listener same_address {{\n    address = 127.0.0.1\n    port = {same}\n  }}\n\
         }}\n",
        ip = DOVECOT_IP,
        chain = chain.display(),
        key = key.display(),
        passwd = passwd_file.display(),
        relay = ports.relay,
        starttls = ports.starttls,
        tls = ports.tls,
        same = ports.same_address,
    );
    let path = dir.join("dovecot.conf");
    daemon::write(&path, &conf)?;
    Ok(path)
}

/// /usr/sbin/dovecot, with the submission service installed.
fn find_dovecot() -> Result<PathBuf, String> {
    let binary = PathBuf::from("/usr/sbin/dovecot");
    if !binary.is_file() {
        return Err(
            "Dovecot is not installed (no /usr/sbin/dovecot); install the Debian \
                    packages `dovecot-core` and `dovecot-submissiond` (see .ci/run)"
                .into(),
        );
    }
    if !Path::new("/usr/lib/dovecot/submission-login").is_file() {
        return Err(
            "Dovecot's submission service is not installed; install the Debian \
                    package `dovecot-submissiond` (see .ci/run)"
                .into(),
        );
    }
    Ok(binary)
}
