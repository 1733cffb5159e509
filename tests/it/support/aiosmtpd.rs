//! A real aiosmtpd (the asyncio SMTP server from PyPI, installed by `.ci/run` with pip) on
//! loopback for the interop tests: a small controller script written into a temporary
//! directory and run with `python3` as a child process; one aiosmtpd `Controller` per
//! [`Listener`] (STARTTLS with `tls_context` and `require_starttls`, implicit TLS with
//! `ssl_context`, or plain), AUTH through an `authenticator` checking a table of users;
//! stopped on drop (SIGTERM).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::Command;

use serde_json::json;
use tempfile::TempDir;

use super::daemon::{self, Daemon};

/// The version `.ci/run` installs, named in error messages.
pub const AIOSMTPD_VERSION: &str = "1.4.6";

/// How one port is served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `tls_context` and `require_starttls=True`: STARTTLS offered, and required before
    /// anything but EHLO, HELO, NOOP, QUIT and STARTTLS itself.
    Starttls,
    /// `ssl_context` on the controller: TLS from the first byte.
    ImplicitTls,
    /// Neither: no TLS at all on the port.
    Plain,
}

/// One listener of the instance.
#[derive(Clone, Copy, Debug)]
pub struct Listener {
    /// How the port speaks.
    pub mode: Mode,
    /// aiosmtpd's `auth_require_tls`: offer and take AUTH only once STARTTLS has run. aiosmtpd
    /// does not count TLS from the controller's `ssl_context` as TLS for this, so an
    /// implicit-TLS listener with it set offers no AUTH at all (aiosmtpd issues 274 and 281,
    /// open in 1.4.6).
    pub auth_require_tls: bool,
}

impl Listener {
    /// STARTTLS required, AUTH only after it (`auth_require_tls=True`).
    pub fn starttls() -> Listener {
        Listener {
            mode: Mode::Starttls,
            auth_require_tls: true,
        }
    }

    /// Implicit TLS with AUTH (`auth_require_tls=False`: the whole session is TLS already).
    pub fn implicit_tls() -> Listener {
        Listener {
            mode: Mode::ImplicitTls,
            auth_require_tls: false,
        }
    }
}

/// The controller script. Its one argument is a JSON file: `cert`, `key`, `users`
/// (name → password) and `listeners` (`port`, `mode`, `auth_require_tls`). It prints
/// `ready` once every controller serves, and stops them all on SIGTERM or SIGINT.
const SCRIPT: &str = r#"
import hmac, json, logging, signal, ssl, sys

try:
    import aiosmtpd
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink
    from aiosmtpd.smtp import AuthResult, LoginPassword
except ImportError as e:
    print(f"aiosmtpd is not installed for {sys.executable} ({e}): "
          f"python3 -m pip install aiosmtpd=={sys.argv[2]} (see .ci/run)", flush=True)
    sys.exit(3)

logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                    format="%(asctime)s %(name)s %(levelname)s %(message)s")

with open(sys.argv[1]) as f:
    conf = json.load(f)

def authenticator(server, session, envelope, mechanism, auth_data):
    if not isinstance(auth_data, LoginPassword):
        return AuthResult(success=False, handled=False)
    user = auth_data.login.decode("utf-8", "replace")
    password = auth_data.password.decode("utf-8", "replace")
    expected = conf["users"].get(user)
    ok = expected is not None and hmac.compare_digest(expected.encode(), password.encode())
    return AuthResult(success=ok, handled=False)

context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(conf["cert"], conf["key"])

# Block the signals before any controller thread starts, so that only sigwait sees them.
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})

controllers = []
for listener in conf["listeners"]:
    kwargs = dict(hostname="127.0.0.1", port=listener["port"], server_hostname="mail.test",
                  authenticator=authenticator,
                  auth_require_tls=listener["auth_require_tls"])
    if listener["mode"] == "starttls":
        kwargs.update(tls_context=context, require_starttls=True)
    elif listener["mode"] == "implicit_tls":
        kwargs.update(ssl_context=context)
    controller = Controller(Sink(), **kwargs)
    controller.start()
    controllers.append(controller)

print(f"ready (aiosmtpd {aiosmtpd.__version__}, Python {sys.version.split()[0]})", flush=True)
signal.sigwait({signal.SIGTERM, signal.SIGINT})
for controller in controllers:
    controller.stop()
"#;

/// A running aiosmtpd instance on 127.0.0.1.
pub struct Aiosmtpd {
    /// The port of each listener, in the order given to [`Aiosmtpd::start`].
    pub ports: Vec<u16>,
    // Drop order: the server first, then the directory.
    daemon: Daemon,
    _dir: TempDir,
}

impl Aiosmtpd {
    /// Starts one controller per listener serving this chain (leaf first) and key, with these
    /// users (name, password), and waits until every port accepts. `Err` says why it could
    /// not (no python3, aiosmtpd missing, start failure with the script's output).
    pub fn start(
        chain_pem: &str,
        key_pem: &str,
        users: &[(&str, &str)],
        listeners: &[Listener],
    ) -> Result<Aiosmtpd, String> {
        let mut last_err = String::new();
        for _ in 0..daemon::START_TRIES {
            match Aiosmtpd::start_once(chain_pem, key_pem, users, listeners) {
                Ok(a) => return Ok(a),
                Err(e) if daemon::port_taken(&e) => last_err = e,
                Err(e) => return Err(e),
            }
        }
        Err(last_err)
    }

    fn start_once(
        chain_pem: &str,
        key_pem: &str,
        users: &[(&str, &str)],
        listeners: &[Listener],
    ) -> Result<Aiosmtpd, String> {
        let dir = tempfile::Builder::new()
            .prefix("smtp-doctor-aiosmtpd-")
            .tempdir()
            .map_err(|e| format!("create aiosmtpd directory: {e}"))?;
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let ports = daemon::free_ports(ip, listeners.len())?;
        let chain = dir.path().join("chain.pem");
        let key = dir.path().join("key.pem");
        daemon::write(&chain, chain_pem)?;
        daemon::write(&key, key_pem)?;
        daemon::set_mode(&key, 0o600)?;
        let conf = json!({
            "cert": chain,
            "key": key,
            "users": users.iter().map(|(u, p)| (u.to_string(), json!(p)))
                .collect::<serde_json::Map<_, _>>(),
            "listeners": listeners.iter().zip(&ports).map(|(l, port)| json!({
                "port": port,
                "mode": match l.mode {
                    Mode::Starttls => "starttls",
                    Mode::ImplicitTls => "implicit_tls",
                    Mode::Plain => "plain",
                },
                "auth_require_tls": l.auth_require_tls,
            })).collect::<Vec<_>>(),
        });
        let conf_path = dir.path().join("conf.json");
        daemon::write(&conf_path, &conf.to_string())?;
        let script = dir.path().join("controller.py");
        daemon::write(&script, SCRIPT)?;

        let mut cmd = Command::new("python3");
        cmd.arg(&script)
            .arg(&conf_path)
            .arg(AIOSMTPD_VERSION)
            // Unbuffered, so that the output file has everything when a start fails.
            .env("PYTHONUNBUFFERED", "1");
        let mut daemon = Daemon::spawn("aiosmtpd", cmd, &dir.path().join("aiosmtpd.out"))?;
        let addrs: Vec<SocketAddr> = ports.iter().map(|p| SocketAddr::new(ip, *p)).collect();
        daemon.wait_accepting(&addrs, String::new)?;
        wait_ready(&daemon, dir.path())?;
        Ok(Aiosmtpd {
            ports,
            daemon,
            _dir: dir,
        })
    }

    /// What the script and aiosmtpd logged so far (one line per connection and command).
    pub fn log(&self) -> String {
        self.daemon.output()
    }
}

/// Waits until the script printed `ready`: the ports accepting does not mean every
/// controller has started (aiosmtpd binds each in its own thread).
fn wait_ready(daemon: &Daemon, dir: &Path) -> Result<(), String> {
    let start = std::time::Instant::now();
    loop {
        let out = daemon.output();
        if out.contains("ready (aiosmtpd") {
            return Ok(());
        }
        if start.elapsed() > daemon::ACCEPT_DEADLINE {
            return Err(format!(
                "aiosmtpd in {} did not say ready within {:?}\n--- output ---\n{out}",
                dir.display(),
                daemon::ACCEPT_DEADLINE
            ));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
