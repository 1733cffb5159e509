//! DNS through hickory-resolver. Every answer, including "no records" and "timed out", is data:
//! a failed look-up is something to report, not an error of the program.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{RData, RecordType};

/// Which address families to look up and probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Family {
    /// IPv4 and IPv6.
    #[default]
    Any,
    /// IPv4 only (`-4`).
    V4,
    /// IPv6 only (`-6`).
    V6,
}

impl Family {
    /// Whether this family choice admits the address.
    pub fn admits(self, ip: IpAddr) -> bool {
        match self {
            Family::Any => true,
            Family::V4 => ip.is_ipv4(),
            Family::V6 => ip.is_ipv6(),
        }
    }
}

/// Why a look-up gave no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupFailure {
    /// The name does not exist.
    NxDomain,
    /// The name exists but has no records of the type (NODATA).
    NoData,
    /// The server failed (SERVFAIL) or refused.
    ServFail(String),
    /// No answer in time.
    Timeout,
    /// Anything else (network error, malformed answer).
    Other(String),
}

impl std::fmt::Display for LookupFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LookupFailure::NxDomain => f.write_str("the name does not exist (NXDOMAIN)"),
            LookupFailure::NoData => f.write_str("no records of this type (NODATA)"),
            LookupFailure::ServFail(code) => write!(f, "the DNS server failed ({code})"),
            LookupFailure::Timeout => f.write_str("the DNS server did not answer in time"),
            LookupFailure::Other(m) => write!(f, "look-up failed: {m}"),
        }
    }
}

/// One query and what came of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The name asked for.
    pub name: String,
    /// `A`, `AAAA`, ...
    pub record_type: &'static str,
    /// The addresses (or other values) in the answer, or why there were none.
    pub answer: Result<Vec<IpAddr>, LookupFailure>,
    /// How long it took.
    pub elapsed: Duration,
}

/// A resolver for one run.
#[derive(Clone)]
pub struct Resolver {
    inner: TokioResolver,
}

/// Why a resolver could not be made (a "could not run" error).
#[derive(Debug, thiserror::Error)]
#[error("cannot set up DNS: {0}")]
pub struct ResolverSetupError(String);

impl Resolver {
    /// From the system configuration (`/etc/resolv.conf`, `/etc/hosts`), or from the given
    /// servers (UDP and TCP), with a bounded time per query.
    pub fn new(servers: &[SocketAddr], timeout: Duration) -> Result<Resolver, ResolverSetupError> {
        let provider = TokioRuntimeProvider::default();
        let mut builder = if servers.is_empty() {
            TokioResolver::builder_tokio().map_err(|e| ResolverSetupError(e.to_string()))?
        } else {
            let name_servers = servers
                .iter()
                .map(|addr| {
                    let mut udp = ConnectionConfig::udp();
                    udp.port = addr.port();
                    let mut tcp = ConnectionConfig::tcp();
                    tcp.port = addr.port();
                    NameServerConfig::new(addr.ip(), true, vec![udp, tcp])
                })
                .collect();
            let config = ResolverConfig::from_parts(None, Vec::new(), name_servers);
            let mut b = TokioResolver::builder_with_config(config, provider);
            // Explicit servers mean "ask these", not the hosts file.
            b.options_mut().use_hosts_file = ResolveHosts::Never;
            b
        };
        let opts: &mut ResolverOpts = builder.options_mut();
        opts.timeout = timeout;
        opts.attempts = 1;
        let inner = builder
            .build()
            .map_err(|e| ResolverSetupError(e.to_string()))?;
        Ok(Resolver { inner })
    }

    /// Looks up the addresses of `name` (A and AAAA at once, as the family allows).
    pub async fn addresses(&self, name: &str, family: Family) -> Vec<Query> {
        let a = async {
            match family {
                Family::V6 => None,
                _ => Some(self.query(name, RecordType::A).await),
            }
        };
        let aaaa = async {
            match family {
                Family::V4 => None,
                _ => Some(self.query(name, RecordType::AAAA).await),
            }
        };
        let (a, aaaa) = tokio::join!(a, aaaa);
        a.into_iter().chain(aaaa).collect()
    }

    async fn query(&self, name: &str, record_type: RecordType) -> Query {
        let started = Instant::now();
        let answer = match self.inner.lookup(name, record_type).await {
            Ok(lookup) => {
                let ips: Vec<IpAddr> = lookup
                    .answers()
                    .iter()
                    .filter_map(|record| match &record.data {
                        RData::A(a) => Some(IpAddr::V4(a.0)),
                        RData::AAAA(aaaa) => Some(IpAddr::V6(aaaa.0)),
                        _ => None,
                    })
                    .collect();
                if ips.is_empty() {
                    Err(LookupFailure::NoData)
                } else {
                    Ok(ips)
                }
            }
            Err(e) => Err(failure(&e)),
        };
        Query {
            name: name.to_string(),
            record_type: if record_type == RecordType::A {
                "A"
            } else {
                "AAAA"
            },
            answer,
            elapsed: started.elapsed(),
        }
    }
}

fn failure(error: &NetError) -> LookupFailure {
    match error {
        NetError::Timeout => LookupFailure::Timeout,
        NetError::Dns(DnsError::NoRecordsFound(no)) => {
            if no.response_code == ResponseCode::NXDomain {
                LookupFailure::NxDomain
            } else {
                LookupFailure::NoData
            }
        }
        NetError::Dns(DnsError::ResponseCode(code)) => LookupFailure::ServFail(code.to_string()),
        other => LookupFailure::Other(other.to_string()),
    }
}
