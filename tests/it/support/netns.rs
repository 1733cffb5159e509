//! A small network of Linux network namespaces for tests that need real kernel behaviour
//! (SYNs dropped, TCP resets, ICMP unreachable and prohibited from a router) without touching
//! this machine's own network. A [`Lab`] is three namespaces made with `ip netns`:
//!
//! ```text
//!   client 198.18.0.2 ── 198.18.0.1 router 198.18.1.1 ── 198.18.1.2 servers
//!                                     (nftables)                   198.19.0.0/16 on lo
//! ```
//!
//! The binary runs inside `client` ([`Lab::run`]), whose only route leads to 198.19.0.0/16
//! through the router; the SMTP test servers listen in `servers` on addresses of their own
//! ([`Lab::listen`]), and the router's forward chain filters what passes ([`Lab::filter`]). The
//! addresses are from 198.18.0.0/15 (RFC 2544 benchmarking) and exist only inside these
//! namespaces. Needs root. Dropping the lab, even while a test panics, deletes the namespaces
//! and with them every interface, address, route and rule it made; names are unique per
//! process and lab, so tests run in parallel.

use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use nix::sched::{CloneFlags, setns};

use super::{Invocation, Run};

/// The router's address as the client sees it (the sender of its ICMP errors).
pub const ROUTER: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);

static LABS: AtomicUsize = AtomicUsize::new(0);

/// Three namespaces wired as client, router, servers. Deleted on drop.
pub struct Lab {
    /// Where the binary runs.
    pub client: String,
    /// Between client and servers; filters with nftables.
    pub router: String,
    /// Where the test servers listen.
    pub servers: String,
}

impl Lab {
    /// Makes the namespaces, links and routes. Panics (after cleaning up) when any step fails.
    #[expect(
        clippy::too_many_lines,
        reason = "the lab set-up in order: namespaces, links, addresses, routes, filters"
    )]
    pub fn new() -> Lab {
        let n = LABS.fetch_add(1, Ordering::Relaxed);
        let id = format!("{}x{n}", std::process::id());
        let lab = Lab {
            client: format!("sdlab{id}c"),
            router: format!("sdlab{id}r"),
            servers: format!("sdlab{id}s"),
        };
        // Interface names are limited to 15 bytes; each lives inside its own namespace.
        let short = format!("{}{n}", std::process::id() % 100_000);
        let (cr, rc) = (format!("c{short}"), format!("r{short}"));
        let (rs, sr) = (format!("t{short}"), format!("s{short}"));
        for ns in [&lab.client, &lab.router, &lab.servers] {
            ip(&["netns", "add", ns]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
        }
        ip(&[
            "link",
            "add",
            &cr,
            "netns",
            &lab.client,
            "type",
            "veth",
            "peer",
            "name",
            &rc,
            "netns",
            &lab.router,
        ]);
        ip(&[
            "link",
            "add",
            &rs,
            "netns",
            &lab.router,
            "type",
            "veth",
            "peer",
            "name",
            &sr,
            "netns",
            &lab.servers,
        ]);
        ip(&[
            "-n",
            &lab.client,
            "addr",
            "add",
            "198.18.0.2/24",
            "dev",
            &cr,
        ]);
        ip(&[
            "-n",
            &lab.router,
            "addr",
            "add",
            "198.18.0.1/24",
            "dev",
            &rc,
        ]);
        ip(&[
            "-n",
            &lab.router,
            "addr",
            "add",
            "198.18.1.1/24",
            "dev",
            &rs,
        ]);
        ip(&[
            "-n",
            &lab.servers,
            "addr",
            "add",
            "198.18.1.2/24",
            "dev",
            &sr,
        ]);
        for (ns, dev) in [
            (&lab.client, &cr),
            (&lab.router, &rc),
            (&lab.router, &rs),
            (&lab.servers, &sr),
        ] {
            ip(&["-n", ns, "link", "set", dev, "up"]);
        }
        ip(&[
            "-n",
            &lab.client,
            "route",
            "add",
            "198.19.0.0/16",
            "via",
            "198.18.0.1",
        ]);
        ip(&[
            "-n",
            &lab.router,
            "route",
            "add",
            "198.19.0.0/16",
            "via",
            "198.18.1.2",
        ]);
        ip(&[
            "-n",
            &lab.servers,
            "route",
            "add",
            "default",
            "via",
            "198.18.1.1",
        ]);
        lab.sysctl(&lab.router, "net.ipv4.ip_forward=1");
        // The kernel sends at most a few ICMP errors per second to one host; a test sends a
        // dozen connection attempts at once and wants every answer.
        lab.sysctl(&lab.router, "net.ipv4.icmp_ratelimit=0");
        lab.sysctl(&lab.servers, "net.ipv4.icmp_ratelimit=0");
        lab
    }

    fn sysctl(&self, ns: &str, setting: &str) {
        command("ip", &["netns", "exec", ns, "sysctl", "-qw", setting]);
    }

    /// Adds `ip` to the servers' namespace (on its loopback interface).
    pub fn add_address(&self, ip: Ipv4Addr) {
        ip_cmd_addr(&self.servers, ip);
    }

    /// A listener bound to `addr` inside the servers' namespace (the address must have been
    /// added first).
    pub fn listen(&self, addr: SocketAddr) -> TcpListener {
        self.within(&self.servers.clone(), move || {
            TcpListener::bind(addr).unwrap_or_else(|e| panic!("bind {addr} in the lab: {e}"))
        })
    }

    /// Runs `f` on a thread that has entered the client's namespace: sockets it makes belong
    /// to that namespace for their whole life (how the test DNS server gets there).
    pub fn in_client<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> T {
        self.within(&self.client.clone(), f)
    }

    fn within<T: Send + 'static>(&self, ns: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
        let path = format!("/run/netns/{ns}");
        std::thread::spawn(move || {
            let file = File::open(&path).unwrap_or_else(|e| panic!("open {path}: {e}"));
            // Changes only this thread, which ends when `f` returns.
            setns(file, CloneFlags::CLONE_NEWNET).unwrap_or_else(|e| panic!("setns {path}: {e}"));
            f()
        })
        .join()
        .expect("namespace thread")
    }

    /// Replaces the router's filter: `rules` are nftables rules for its forward chain, e.g.
    /// `tcp dport 25 drop` or `tcp dport 465 reject with icmp type admin-prohibited`.
    pub fn filter(&self, rules: &[&str]) {
        let ruleset = format!(
            "flush ruleset\ntable inet lab {{\n  chain forward {{\n    type filter hook forward priority 0; policy accept;\n    {}\n  }}\n}}\n",
            rules.join("\n    ")
        );
        let mut child = Command::new("ip")
            .args(["netns", "exec", &self.router, "nft", "-f", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run nft (apt-get install nftables)");
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().expect("nft stdin");
            stdin.write_all(ruleset.as_bytes()).expect("write ruleset");
        }
        let out = child.wait_with_output().expect("nft");
        assert!(
            out.status.success(),
            "nft failed: {}\n{ruleset}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Removes the client's only route: nothing outside its own link is reachable.
    pub fn unplug(&self) {
        ip(&["-n", &self.client, "route", "del", "198.19.0.0/16"]);
    }

    /// Runs `smtp-doctor` with `args` inside the client's namespace, killed after 30 s.
    pub fn run(&self, args: &[&str]) -> Run {
        Invocation::new(args)
            .wrapped_in(&["ip", "netns", "exec", &self.client])
            .run()
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        // Deleting a namespace deletes its interfaces (and the veth peers), addresses, routes
        // and nftables rules. Errors are ignored: this also runs while a test panics.
        for ns in [&self.client, &self.router, &self.servers] {
            let _ = Command::new("ip")
                .args(["netns", "del", ns])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

fn ip_cmd_addr(ns: &str, ip: Ipv4Addr) {
    let address = format!("{ip}/32");
    self::ip(&["-n", ns, "addr", "add", &address, "dev", "lo"]);
}

fn ip(args: &[&str]) {
    command("ip", args);
}

fn command(program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run {program} {args:?}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
