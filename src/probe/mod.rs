//! The probe engine: one [`session`] per endpoint, all endpoints at once, results in a stable
//! order. Failures of the server are data in the [`Observation`], never an `Err`. After the
//! probes, [`auth`] runs the credential check (`--user`) on connections of its own.

pub mod auth;
mod connect;
mod session;

pub(crate) use session::no_route;

use std::time::Duration;

use futures::StreamExt;
use tokio::time::Instant;

use crate::model::{Endpoint, Observation};
use crate::smtp::ReplyLimits;
use crate::tls::TlsClient;

/// How many endpoints are probed at the same time at most.
pub const CONCURRENCY: usize = 64;

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
        }
    }
}

/// Probes one endpoint, giving up at `deadline` (the run's) at the latest; for callers that
/// start each probe as soon as its endpoint is known and bound the concurrency themselves.
pub async fn probe_one(
    endpoint: Endpoint,
    options: &ProbeOptions,
    tls: &TlsClient,
    deadline: Instant,
) -> Observation {
    session::probe(endpoint, options, tls, deadline).await
}

/// Probes every endpoint concurrently (at most [`CONCURRENCY`] at once); the result has one
/// observation per endpoint in the order given.
pub async fn run(
    endpoints: Vec<Endpoint>,
    options: &ProbeOptions,
    tls: &TlsClient,
) -> Vec<Observation> {
    let deadline = Instant::now() + options.max_time;
    futures::stream::iter(endpoints)
        .map(|endpoint| session::probe(endpoint, options, tls, deadline))
        .buffered(CONCURRENCY)
        .collect()
        .await
}
