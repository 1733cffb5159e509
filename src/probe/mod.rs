//! The probe engine: one [`session`] per endpoint, and one fan-out ([`Pool`]) that every
//! pipeline uses to run its probes at once under a shared bound and the run's deadline.
//! Failures of the server are data in the [`Observation`], never an `Err`. After the probes,
//! [`auth`] runs the credential check (`--user`) on connections of its own, and [`sts`] fetches
//! a domain's MTA-STS policy over HTTPS.

pub mod auth;
mod connect;
pub mod pace;
pub mod polite;
mod session;
pub mod sts;

pub(crate) use session::no_route;

use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::model::progress::Watcher;
use crate::model::{Endpoint, Observation};
use crate::smtp::ReplyLimits;
use crate::tls::TlsClient;
use pace::Pace;

/// How many endpoints one `check` run probes at the same time at most (a domain with five MX
/// hosts of several addresses each stays well below it).
pub const CHECK_CONCURRENCY: usize = 64;

/// Bounds on what is read from one endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// Line and lines-per-reply bounds.
    pub reply: ReplyLimits,
    /// Bytes received per endpoint (outside the TLS handshake itself).
    pub bytes_per_endpoint: usize,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            reply: ReplyLimits::default(),
            bytes_per_endpoint: 64 * 1024,
        }
    }
}

/// How to probe.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// EHLO argument; `None` uses this machine's address literal per connection (RFC 5321
    /// section 4.1.4 allows it where no FQDN is known).
    pub ehlo_name: Option<String>,
    /// Deadline for the TCP connect.
    pub connect_timeout: Duration,
    /// Deadline for each later step (a whole reply, a handshake).
    pub step_timeout: Duration,
    /// Deadline for the whole run.
    pub max_time: Duration,
    /// How the user sets `max_time` (named when it cuts a step short), `None` when it is
    /// derived (as in `ports`: one connect timeout plus one step timeout).
    pub max_time_flag: Option<&'static str>,
    /// Name for SNI and the certificate check; `None` uses the endpoint's host when it is a name.
    pub servername: Option<String>,
    /// Send STARTTLS even when the server does not advertise it.
    pub force_starttls: bool,
    /// Read bounds.
    pub limits: ReadLimits,
    /// `--port-map FROM=TO`: connect to TO wherever port FROM is probed (a tunnel or a NAT
    /// forward); the endpoint keeps FROM, so it is judged as what it stands for.
    pub port_map: Vec<(u16, u16)>,
    /// Told each probe's steps as they happen (the live view); `None`: nobody watches.
    pub watch: Option<Watcher>,
    /// Limits per address shared by the runs of a batch ([`polite`]); `None`: one run alone.
    pub polite: Option<std::sync::Arc<polite::Politeness>>,
}

impl ProbeOptions {
    /// The port to connect to for an endpoint on `port`.
    pub fn connect_port(&self, port: u16) -> u16 {
        self.port_map
            .iter()
            .find(|(from, _)| *from == port)
            .map_or(port, |(_, to)| *to)
    }
}

impl Default for ProbeOptions {
    fn default() -> Self {
        ProbeOptions {
            ehlo_name: None,
            connect_timeout: Duration::from_secs(5),
            step_timeout: Duration::from_secs(10),
            max_time: Duration::from_secs(60),
            max_time_flag: Some("--max-time"),
            servername: None,
            force_starttls: false,
            limits: ReadLimits::default(),
            port_map: Vec::new(),
            watch: None,
            polite: None,
        }
    }
}

/// The one fan-out of the probe engine: probes started from anywhere in a pipeline (as soon as
/// each endpoint is known) share a bound on how many run at once and the run's deadline.
/// Callers run `probe` futures concurrently (`join_all`); each waits for a permit first.
pub struct Pool<'a> {
    permits: Semaphore,
    options: &'a ProbeOptions,
    tls: &'a TlsClient,
    deadline: Instant,
    pace: Option<Pace>,
}

impl<'a> Pool<'a> {
    /// A pool running at most `limit` probes at once, each giving up at `deadline` at the
    /// latest.
    pub fn new(
        limit: usize,
        options: &'a ProbeOptions,
        tls: &'a TlsClient,
        deadline: Instant,
    ) -> Pool<'a> {
        Pool {
            permits: Semaphore::new(limit.max(1)),
            options,
            tls,
            deadline,
            pace: None,
        }
    }

    /// The same pool with adaptive connect timeouts ([`pace`]) for [`Pool::probe_in`].
    pub fn paced(mut self) -> Pool<'a> {
        self.pace = Some(Pace::new());
        self
    }

    /// The run's deadline.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Probes one endpoint once a permit is free.
    pub async fn probe(&self, endpoint: Endpoint) -> Observation {
        // The semaphore is never closed; without a permit, probe anyway.
        let _permit = self.permits.acquire().await.ok();
        session::probe(endpoint, self.options, self.tls, self.deadline, None).await
    }

    /// Probes one endpoint of `group` (an operator's hosts) once a permit is free; in a
    /// [`Pool::paced`] pool its connect gives up early when others of the group connected much
    /// faster.
    pub async fn probe_in(&self, endpoint: Endpoint, group: &str) -> Observation {
        let _permit = self.permits.acquire().await.ok();
        let pace = self.pace.as_ref().map(|pace| (pace, group));
        session::probe(endpoint, self.options, self.tls, self.deadline, pace).await
    }
}
