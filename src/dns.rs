//! DNS through hickory-resolver. Every answer, including "no records" and "timed out", is data:
//! a failed look-up is something to report, not an error of the program.
//!
//! One [`Resolver`] serves one run. It asks each (name, type) at most once, however often and
//! however concurrently it is asked (later callers share the first caller's answer), and keeps a
//! log of every query it sent ([`Resolver::log`]) for the report's `dns` section.

mod dnssec;

pub use dnssec::{Dnssec, Tlsa, TrustAnchor, load_trust_anchor, tlsa_name};

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use futures::future::{BoxFuture, FutureExt, Shared};
use hickory_resolver::TokioResolver;
use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::lookup::Lookup;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::dnssec::TrustAnchors;
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{Name, RData, RecordType};

/// The owner name of RFC 6186 SRV records for submission with STARTTLS (port 587), to be
/// followed by `.` and the domain.
pub const SUBMISSION_SRV: &str = "_submission._tcp";
/// The owner name of RFC 8314 SRV records for submission over implicit TLS (port 465), to be
/// followed by `.` and the domain.
pub const SUBMISSIONS_SRV: &str = "_submissions._tcp";

/// At most this many PTR names of one address are checked forward (a PTR set is the network's
/// to choose; the work it causes is ours to bound).
const MAX_PTR_NAMES: usize = 4;

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
    /// The name does not exist (NXDOMAIN).
    NxDomain,
    /// The name exists but has no records of the type (NODATA: NOERROR without answers).
    NoData,
    /// The server failed: SERVFAIL, or another error code (named in the text).
    ServFail(String),
    /// The server refused to answer (REFUSED), e.g. a resolver that serves only its own network.
    Refused,
    /// No answer in time.
    Timeout,
    /// Anything else (network error, malformed answer, a name that is not a DNS name).
    Other(String),
}

impl LookupFailure {
    /// Whether the DNS answered and said "nothing here" (NXDOMAIN or NODATA), as opposed to not
    /// answering properly (SERVFAIL, REFUSED, timeout, ...).
    pub fn is_negative(&self) -> bool {
        matches!(self, LookupFailure::NxDomain | LookupFailure::NoData)
    }

    /// The name used in JSON (`nxdomain`, `nodata`, `servfail`, `refused`, `timeout`, `other`).
    pub fn as_str(&self) -> &'static str {
        match self {
            LookupFailure::NxDomain => "nxdomain",
            LookupFailure::NoData => "nodata",
            LookupFailure::ServFail(_) => "servfail",
            LookupFailure::Refused => "refused",
            LookupFailure::Timeout => "timeout",
            LookupFailure::Other(_) => "other",
        }
    }
}

impl fmt::Display for LookupFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LookupFailure::NxDomain => f.write_str("the name does not exist (NXDOMAIN)"),
            LookupFailure::NoData => f.write_str("no records of this type (NODATA)"),
            LookupFailure::ServFail(code) => write!(f, "the DNS server failed ({code})"),
            LookupFailure::Refused => f.write_str("the DNS server refused to answer (REFUSED)"),
            LookupFailure::Timeout => f.write_str("the DNS server did not answer in time"),
            LookupFailure::Other(m) => write!(f, "look-up failed: {m}"),
        }
    }
}

/// The record types this tool asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum QueryType {
    /// IPv4 address.
    A,
    /// IPv6 address.
    Aaaa,
    /// Mail exchanger.
    Mx,
    /// Service location (RFC 2782).
    Srv,
    /// Reverse DNS name.
    Ptr,
    /// Alias.
    Cname,
    /// Text.
    Txt,
    /// DANE certificate association (RFC 6698).
    Tlsa,
}

impl QueryType {
    /// The type's name as DNS tools write it: `A`, `AAAA`, `MX`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            QueryType::A => "A",
            QueryType::Aaaa => "AAAA",
            QueryType::Mx => "MX",
            QueryType::Srv => "SRV",
            QueryType::Ptr => "PTR",
            QueryType::Cname => "CNAME",
            QueryType::Txt => "TXT",
            QueryType::Tlsa => "TLSA",
        }
    }

    fn record_type(self) -> RecordType {
        match self {
            QueryType::A => RecordType::A,
            QueryType::Aaaa => RecordType::AAAA,
            QueryType::Mx => RecordType::MX,
            QueryType::Srv => RecordType::SRV,
            QueryType::Ptr => RecordType::PTR,
            QueryType::Cname => RecordType::CNAME,
            QueryType::Txt => RecordType::TXT,
            QueryType::Tlsa => RecordType::TLSA,
        }
    }
}

impl fmt::Display for QueryType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One MX record. Names here and below are lower case ASCII (IDNs as `xn--`), without the
/// final dot; the root name is `.`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mx {
    /// Lower is tried first.
    pub preference: u16,
    /// The host that accepts the domain's mail.
    pub exchange: String,
}

impl Mx {
    /// Whether the exchange is the root name `.` (part of a null MX, RFC 7505).
    pub fn is_root(&self) -> bool {
        self.exchange == "."
    }

    /// The address, when the exchange is written as an IP address (`10 192.0.2.5.`): DNS sees
    /// a name of numeric labels, but RFC 5321 section 5.1 requires a host name, and senders
    /// will look that "name" up and fail.
    pub fn ip_literal(&self) -> Option<IpAddr> {
        // An IPv6 address can only be one label, shown with its colons escaped (`2001\:db8...`).
        let text: String = self.exchange.chars().filter(|c| *c != '\\').collect();
        text.trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .ok()
    }
}

impl fmt::Display for Mx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.preference, self.exchange)
    }
}

/// Whether an MX set is the null MX of RFC 7505 (`0 .`, alone): the domain accepts no mail.
pub fn is_null_mx(records: &[Mx]) -> bool {
    matches!(records, [only] if only.is_root() && only.preference == 0)
}

/// One SRV record (RFC 2782).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Srv {
    /// Lower is tried first.
    pub priority: u16,
    /// Share among records of the same priority.
    pub weight: u16,
    /// The port to connect to.
    pub port: u16,
    /// The host; `.` means the service is decidedly not offered.
    pub target: String,
}

impl Srv {
    /// Whether the target is the root name `.`.
    pub fn is_root(&self) -> bool {
        self.target == "."
    }
}

impl fmt::Display for Srv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {}",
            self.priority, self.weight, self.port, self.target
        )
    }
}

/// Whether an SRV set says "not offered here": a single record with target `.` (RFC 2782,
/// RFC 6186 section 3.4).
pub fn srv_not_offered(records: &[Srv]) -> bool {
    matches!(records, [only] if only.is_root())
}

/// One record of an answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Record {
    /// IPv4 address.
    A(Ipv4Addr),
    /// IPv6 address.
    Aaaa(Ipv6Addr),
    /// Mail exchanger.
    Mx(Mx),
    /// Service location.
    Srv(Srv),
    /// Reverse DNS name.
    Ptr(String),
    /// Alias target. An answer for another type holds the CNAME chain that led to its records.
    Cname(String),
    /// Text (the strings of one record joined).
    Txt(String),
    /// DANE certificate association.
    Tlsa(Tlsa),
}

impl Record {
    /// The address of an A or AAAA record.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Record::A(ip) => Some(IpAddr::V4(*ip)),
            Record::Aaaa(ip) => Some(IpAddr::V6(*ip)),
            _ => None,
        }
    }

    /// The record's type.
    pub fn query_type(&self) -> QueryType {
        match self {
            Record::A(_) => QueryType::A,
            Record::Aaaa(_) => QueryType::Aaaa,
            Record::Mx(_) => QueryType::Mx,
            Record::Srv(_) => QueryType::Srv,
            Record::Ptr(_) => QueryType::Ptr,
            Record::Cname(_) => QueryType::Cname,
            Record::Txt(_) => QueryType::Txt,
            Record::Tlsa(_) => QueryType::Tlsa,
        }
    }
}

/// Zone-file style without owner and TTL: `A 192.0.2.1`, `MX 10 mx.example.com`.
impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.query_type();
        match self {
            Record::A(ip) => write!(f, "{kind} {ip}"),
            Record::Aaaa(ip) => write!(f, "{kind} {ip}"),
            Record::Mx(mx) => write!(f, "{kind} {mx}"),
            Record::Srv(srv) => write!(f, "{kind} {srv}"),
            Record::Ptr(name) | Record::Cname(name) => write!(f, "{kind} {name}"),
            Record::Txt(text) => write!(f, "{kind} {text:?}"),
            Record::Tlsa(tlsa) => write!(f, "{kind} {tlsa}"),
        }
    }
}

/// The records a look-up found, or why there were none.
pub type Answer<T> = Result<Vec<T>, LookupFailure>;

/// One query this run sent, and what came of it: an entry of the report's `dns` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// The name asked for (for PTR, the `in-addr.arpa`/`ip6.arpa` name).
    pub name: String,
    /// The type asked for.
    pub record_type: QueryType,
    /// The records in the answer (for A, AAAA, MX, ... with any CNAME chain first), or why
    /// there were none.
    pub answer: Answer<Record>,
    /// When it was sent, counted from the creation of the resolver.
    pub started: Duration,
    /// How long the answer took.
    pub elapsed: Duration,
    /// The answer's DNSSEC state as this run validated it; `None` when the query was not
    /// validated (every query but DANE's, see [`Resolver::validating`]).
    pub dnssec: Option<Dnssec>,
}

/// The outcome of one address query, as [`Resolver::addresses`] gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The name asked for.
    pub name: String,
    /// `A` or `AAAA`.
    pub record_type: &'static str,
    /// The addresses in the answer, or why there were none.
    pub answer: Result<Vec<IpAddr>, LookupFailure>,
    /// How long it took.
    pub elapsed: Duration,
}

/// Addresses whose reverse DNS no DNS server answers: loopback (the resolver answers
/// `localhost` itself, RFC 6761), link-local and unspecified ones (only this machine's hosts
/// file can name them). Their PTR says nothing about how others see a server, so it is not
/// asked.
pub fn reverse_is_local_only(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_link_local() || v4.is_unspecified(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.is_unspecified() || (v6.segments()[0] & 0xffc0) == 0xfe80
        }
    }
}

/// Private addresses (RFC 1918, shared address space RFC 6598, unique local RFC 4193): no
/// receiver on the internet ever sees them, so their reverse DNS is shown, not judged.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private() || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => (v6.segments()[0] & 0xfe00) == 0xfc00,
    }
}

/// The addresses the answers of `queries` give, of `family` only, IPv4 first, each once.
pub fn usable_addresses(queries: &[Query], family: Family) -> Vec<IpAddr> {
    let mut addresses: Vec<IpAddr> = queries
        .iter()
        .filter_map(|q| q.answer.as_ref().ok())
        .flatten()
        .copied()
        .filter(|ip| family.admits(*ip))
        .collect();
    addresses.sort_by_key(|ip| (ip.is_ipv6(), *ip));
    addresses.dedup();
    addresses
}

/// One PTR name of an address and what its forward look-up gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardCheck {
    /// The PTR name.
    pub name: String,
    /// Its addresses of the family of the address checked (A for IPv4, AAAA for IPv6).
    pub addresses: Answer<IpAddr>,
}

/// Reverse DNS of an address, forward-confirmed (FCrDNS): the PTR name must resolve back to the
/// address, which is what receiving servers check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReverseDns {
    /// A PTR name resolves back to the address.
    Confirmed {
        /// That name.
        name: String,
    },
    /// PTR names exist but none resolves back to the address.
    Mismatch(Vec<ForwardCheck>),
    /// No PTR name: NXDOMAIN or NODATA, or the look-up failed (SERVFAIL, timeout, ...).
    Missing(LookupFailure),
}

/// A resolver for one run. Clones share the cache and the log.
#[derive(Clone)]
pub struct Resolver {
    inner: TokioResolver,
    /// Safety net around each look-up, beyond hickory's own per-query timeout.
    deadline: Duration,
    run: Arc<RunState>,
}

/// A look-up in flight or done, shared by everyone who asks the same question.
type Pending = Shared<BoxFuture<'static, Arc<Exchange>>>;

struct RunState {
    started: Instant,
    cache: Mutex<HashMap<(String, QueryType), Pending>>,
    /// Shared with the run's validating resolver: one log for the report.
    log: Arc<Mutex<Vec<Arc<Exchange>>>>,
    /// How the resolver was made, for [`Resolver::validating`].
    servers: Vec<SocketAddr>,
    timeout: Duration,
    /// This resolver validates DNSSEC itself.
    validating: bool,
}

/// Why a resolver could not be made (a "could not run" error).
#[derive(Debug, thiserror::Error)]
#[error("cannot set up DNS: {0}")]
pub struct ResolverSetupError(String);

impl Resolver {
    /// From the system configuration (`/etc/resolv.conf`, `/etc/hosts`), or from the given
    /// servers (UDP and TCP), with a bounded time per query.
    pub fn new(servers: &[SocketAddr], timeout: Duration) -> Result<Resolver, ResolverSetupError> {
        let inner = Resolver::hickory(servers, timeout, None)?;
        Ok(Resolver {
            inner,
            // One look-up (a retry over TCP, a CNAME followed) never outlasts one timeout.
            deadline: timeout,
            run: Arc::new(RunState {
                started: Instant::now(),
                cache: Mutex::new(HashMap::new()),
                log: Arc::new(Mutex::new(Vec::new())),
                servers: servers.to_vec(),
                timeout,
                validating: false,
            }),
        })
    }

    /// A resolver that validates DNSSEC itself from `anchors` ([`load_trust_anchor`]), asking
    /// the same servers: its answers carry [`Exchange::dnssec`], whatever AD bit a server sets.
    /// It has a cache of its own (its answers differ) and writes to this resolver's log. DANE
    /// asks through it, so the other look-ups keep their cost and behaviour.
    pub fn validating(&self, anchors: Arc<TrustAnchors>) -> Result<Resolver, ResolverSetupError> {
        let timeout = self.run.timeout;
        let inner = Resolver::hickory(&self.run.servers, timeout, Some(anchors))?;
        Ok(Resolver {
            inner,
            // Validation asks for keys and delegation records too: a few round trips more.
            deadline: timeout * 2,
            run: Arc::new(RunState {
                started: self.run.started,
                cache: Mutex::new(HashMap::new()),
                log: self.run.log.clone(),
                servers: self.run.servers.clone(),
                timeout,
                validating: true,
            }),
        })
    }

    fn hickory(
        servers: &[SocketAddr],
        timeout: Duration,
        anchors: Option<Arc<TrustAnchors>>,
    ) -> Result<TokioResolver, ResolverSetupError> {
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
        // No retry of a failed query: hickory re-sends a UDP query within its timeout already
        // (lost packets), and a retry after SERVFAIL or a timeout would only double the wait.
        // (`attempts` counts retries: 1 would send each failing query twice.)
        opts.attempts = 0;
        // Keep the CNAME records in the answers: that is how an MX host that is an alias shows.
        opts.preserve_intermediates = true;
        if let Some(anchors) = anchors {
            builder = builder.with_trust_anchor(anchors);
        }
        builder
            .build()
            .map_err(|e| ResolverSetupError(e.to_string()))
    }

    /// Looks up the addresses of `name` (A and AAAA at once, as the family allows).
    pub async fn addresses(&self, name: &str, family: Family) -> Vec<Query> {
        let a = async {
            match family {
                Family::V6 => None,
                _ => Some(self.exchange(name, QueryType::A).await),
            }
        };
        let aaaa = async {
            match family {
                Family::V4 => None,
                _ => Some(self.exchange(name, QueryType::Aaaa).await),
            }
        };
        let (a, aaaa) = tokio::join!(a, aaaa);
        a.into_iter()
            .chain(aaaa)
            .map(|exchange| Query {
                name: exchange.name.clone(),
                record_type: exchange.record_type.as_str(),
                answer: of_type(&exchange.answer, Record::ip),
                elapsed: exchange.elapsed,
            })
            .collect()
    }

    /// Any look-up: the records of the answer, with any CNAME chain first.
    pub async fn lookup(&self, name: &str, record_type: QueryType) -> Answer<Record> {
        self.exchange(name, record_type).await.answer.clone()
    }

    /// The MX records of `domain`, by preference (then name). A null MX ([`is_null_mx`]) is an
    /// answer like any other; NODATA means "no MX", where RFC 5321 section 5.1 falls back to
    /// the domain's own addresses.
    pub async fn mx(&self, domain: &str) -> Answer<Mx> {
        let exchange = self.exchange(domain, QueryType::Mx).await;
        let mut records = of_type(&exchange.answer, |r| match r {
            Record::Mx(mx) => Some(mx.clone()),
            _ => None,
        })?;
        records.sort_by(|a, b| (a.preference, &a.exchange).cmp(&(b.preference, &b.exchange)));
        Ok(records)
    }

    /// The SRV records at `name` (e.g. `_submission._tcp.example.com`, see [`SUBMISSION_SRV`]),
    /// by priority, then higher weight first, then target. See [`srv_not_offered`].
    pub async fn srv(&self, name: &str) -> Answer<Srv> {
        let exchange = self.exchange(name, QueryType::Srv).await;
        let mut records = of_type(&exchange.answer, |r| match r {
            Record::Srv(srv) => Some(srv.clone()),
            _ => None,
        })?;
        records.sort_by(|a, b| {
            (a.priority, std::cmp::Reverse(a.weight), &a.target).cmp(&(
                b.priority,
                std::cmp::Reverse(b.weight),
                &b.target,
            ))
        });
        Ok(records)
    }

    /// The PTR names of an address.
    pub async fn ptr(&self, ip: IpAddr) -> Answer<String> {
        let name = Name::from(ip);
        let exchange = self
            .exchange_name(name_text(&name), Ok(name), QueryType::Ptr)
            .await;
        of_type(&exchange.answer, |r| match r {
            Record::Ptr(name) => Some(name.clone()),
            _ => None,
        })
    }

    /// The TLSA records at `name` (see [`tlsa_name`]) and the answer's DNSSEC state (`None`
    /// unless this is a [`Resolver::validating`] one).
    pub async fn tlsa(&self, name: &str) -> (Answer<Tlsa>, Option<Dnssec>) {
        let exchange = self.exchange(name, QueryType::Tlsa).await;
        let records = of_type(&exchange.answer, |r| match r {
            Record::Tlsa(tlsa) => Some(tlsa.clone()),
            _ => None,
        });
        (records, exchange.dnssec)
    }

    /// Any look-up with the answer's DNSSEC state (`None` unless this is a
    /// [`Resolver::validating`] one).
    pub async fn validated(&self, name: &str, record_type: QueryType) -> Option<Dnssec> {
        self.exchange(name, record_type).await.dnssec
    }

    /// The TXT strings at `name` (each record's strings joined).
    pub async fn txt(&self, name: &str) -> Answer<String> {
        let exchange = self.exchange(name, QueryType::Txt).await;
        of_type(&exchange.answer, |r| match r {
            Record::Txt(text) => Some(text.clone()),
            _ => None,
        })
    }

    /// Asks for the CNAME of `name` explicitly: `Some(target)` when it is an alias, `None` when
    /// it exists and is not one.
    pub async fn cname(&self, name: &str) -> Result<Option<String>, LookupFailure> {
        let exchange = self.exchange(name, QueryType::Cname).await;
        match &exchange.answer {
            Ok(records) => Ok(first_alias(records)),
            Err(LookupFailure::NoData) => Ok(None),
            Err(e) => Err(e.clone()),
        }
    }

    /// Whether `name` is an alias (RFC 2181 section 10.3: an MX must not point at one), at the
    /// least cost: the address answers of `family` (asked anyway to probe the host, so usually
    /// cached) carry the CNAME when there is one; only when none of them has records is the
    /// CNAME asked for explicitly.
    pub async fn alias(&self, name: &str, family: Family) -> Result<Option<String>, LookupFailure> {
        let a = async {
            match family {
                Family::V6 => None,
                _ => Some(self.exchange(name, QueryType::A).await),
            }
        };
        let aaaa = async {
            match family {
                Family::V4 => None,
                _ => Some(self.exchange(name, QueryType::Aaaa).await),
            }
        };
        let (a, aaaa) = tokio::join!(a, aaaa);
        let answered: Vec<&Vec<Record>> = a
            .iter()
            .chain(aaaa.iter())
            .filter_map(|exchange| exchange.answer.as_ref().ok())
            .collect();
        if answered.is_empty() {
            return self.cname(name).await;
        }
        Ok(answered
            .into_iter()
            .find_map(|records| first_alias(records)))
    }

    /// Reverse DNS of `ip`, forward-confirmed: the PTR names (at most a few) are looked up for
    /// the address's family, and one must contain `ip`.
    pub async fn forward_confirmed(&self, ip: IpAddr) -> ReverseDns {
        let names = match self.ptr(ip).await {
            Ok(names) => names,
            Err(failure) => return ReverseDns::Missing(failure),
        };
        let family = if ip.is_ipv4() { Family::V4 } else { Family::V6 };
        let checks = names
            .into_iter()
            .take(MAX_PTR_NAMES)
            .map(|name| async move {
                let addresses = self
                    .addresses(&name, family)
                    .await
                    .into_iter()
                    .next()
                    .map_or(Err(LookupFailure::NoData), |query| query.answer);
                ForwardCheck { name, addresses }
            });
        let checks = futures::future::join_all(checks).await;
        let confirmed = checks.iter().find(|check| {
            check
                .addresses
                .as_ref()
                .is_ok_and(|addresses| addresses.contains(&ip))
        });
        match confirmed {
            Some(check) => ReverseDns::Confirmed {
                name: check.name.clone(),
            },
            None => ReverseDns::Mismatch(checks),
        }
    }

    /// Every query sent so far (each (name, type) once), in the order they were sent.
    pub fn log(&self) -> Vec<Exchange> {
        let mut log: Vec<Exchange> = lock(&self.run.log)
            .iter()
            .map(|exchange| Exchange::clone(exchange))
            .collect();
        log.sort_by_key(|exchange| exchange.started);
        log
    }

    async fn exchange(&self, name: &str, record_type: QueryType) -> Arc<Exchange> {
        // The root is no host name, but a validating resolver asks it: the DANE check's
        // signed denial at the trust anchor's zone (`.` by default).
        let absolute = match name.trim() {
            "." if self.run.validating => Ok(Name::root()),
            _ => absolute_name(name),
        };
        let text = match &absolute {
            Ok(absolute) => name_text(absolute),
            // Not a DNS name: cached and logged under what was given, never sent.
            Err(_) => name.trim().to_lowercase(),
        };
        self.exchange_name(text, absolute, record_type).await
    }

    /// The one place queries are sent: looks in the run's cache first, so a question asked
    /// while the same question is in flight waits for that answer instead of asking again.
    async fn exchange_name(
        &self,
        text: String,
        name: Result<Name, String>,
        record_type: QueryType,
    ) -> Arc<Exchange> {
        let pending = {
            let mut cache = lock(&self.run.cache);
            cache
                .entry((text.clone(), record_type))
                .or_insert_with(|| self.send(name, text, record_type).boxed().shared())
                .clone()
        };
        pending.await
    }

    fn send(
        &self,
        name: Result<Name, String>,
        text: String,
        record_type: QueryType,
    ) -> impl Future<Output = Arc<Exchange>> + Send + 'static {
        let inner = self.inner.clone();
        let deadline = self.deadline;
        let run = self.run.clone();
        async move {
            let started = run.started.elapsed();
            let clock = Instant::now();
            let (answer, state) = match name {
                Err(why) => (Err(LookupFailure::Other(why)), Dnssec::Indeterminate),
                Ok(name) => {
                    let lookup = inner.lookup(name, record_type.record_type());
                    match tokio::time::timeout(deadline, lookup).await {
                        Err(_) => (Err(LookupFailure::Timeout), Dnssec::Indeterminate),
                        Ok(Err(error)) if run.validating => {
                            let (why, state) = dnssec::failure_state(&error);
                            (Err(why), state)
                        }
                        Ok(Err(error)) => (Err(failure(&error)), Dnssec::Indeterminate),
                        Ok(Ok(lookup)) => (
                            records(&lookup, record_type),
                            dnssec::answer_state(lookup.answers().iter()),
                        ),
                    }
                }
            };
            let exchange = Arc::new(Exchange {
                name: text,
                record_type,
                answer,
                started,
                elapsed: clock.elapsed(),
                dnssec: run.validating.then_some(state),
            });
            lock(&run.log).push(exchange.clone());
            exchange
        }
    }
}

/// A name as the resolver should ask it: absolute, so no search domain is ever appended (a
/// name from DNS is absolute, and a typed host name is meant as written), lower case.
fn absolute_name(text: &str) -> Result<Name, String> {
    let trimmed = text.trim();
    let bare = trimmed.strip_suffix('.').unwrap_or(trimmed);
    if bare.is_empty() {
        return Err(format!("{text:?} is not a host name"));
    }
    let mut name = Name::from_str_relaxed(bare)
        .map_err(|e| format!("{text:?} is not a DNS name: {e}"))?
        .to_lowercase();
    name.set_fqdn(true);
    Ok(name)
}

/// A name as this module shows it: lower case ASCII without the final dot; the root is `.`.
fn name_text(name: &Name) -> String {
    let text = name.to_lowercase().to_ascii();
    match text.strip_suffix('.') {
        Some(bare) if !bare.is_empty() => bare.to_string(),
        _ => text,
    }
}

/// The records of an answer that `pick` maps; NODATA when there are none (an answer of only a
/// CNAME chain has none of the type asked for).
fn of_type<T>(answer: &Answer<Record>, pick: impl Fn(&Record) -> Option<T>) -> Answer<T> {
    let records = answer.as_ref().map_err(Clone::clone)?;
    let picked: Vec<T> = records.iter().filter_map(pick).collect();
    if picked.is_empty() {
        Err(LookupFailure::NoData)
    } else {
        Ok(picked)
    }
}

fn first_alias(records: &[Record]) -> Option<String> {
    records.iter().find_map(|record| match record {
        Record::Cname(target) => Some(target.clone()),
        _ => None,
    })
}

/// The records of a hickory answer that this module models: those of the type asked for and the
/// CNAME chain. NODATA when nothing of the type asked for is there.
fn records(lookup: &Lookup, asked: QueryType) -> Answer<Record> {
    let records: Vec<Record> = lookup
        .answers()
        .iter()
        .filter_map(|record| record_of(&record.data))
        .filter(|record| {
            let kind = record.query_type();
            kind == asked || kind == QueryType::Cname
        })
        .collect();
    if records.iter().any(|record| record.query_type() == asked) {
        Ok(records)
    } else {
        Err(LookupFailure::NoData)
    }
}

fn record_of(data: &RData) -> Option<Record> {
    Some(match data {
        RData::A(a) => Record::A(a.0),
        RData::AAAA(aaaa) => Record::Aaaa(aaaa.0),
        RData::MX(mx) => Record::Mx(Mx {
            preference: mx.preference,
            exchange: name_text(&mx.exchange),
        }),
        RData::SRV(srv) => Record::Srv(Srv {
            priority: srv.priority,
            weight: srv.weight,
            port: srv.port,
            target: name_text(&srv.target),
        }),
        RData::PTR(ptr) => Record::Ptr(name_text(&ptr.0)),
        RData::CNAME(cname) => Record::Cname(name_text(&cname.0)),
        RData::TLSA(tlsa) => Record::Tlsa(Tlsa {
            usage: tlsa.cert_usage.into(),
            selector: tlsa.selector.into(),
            matching: tlsa.matching.into(),
            data: tlsa.cert_data.clone(),
        }),
        RData::TXT(txt) => Record::Txt(
            txt.txt_data
                .iter()
                .map(|part| String::from_utf8_lossy(part))
                .collect(),
        ),
        _ => return None,
    })
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
        NetError::Dns(DnsError::ResponseCode(ResponseCode::Refused)) => LookupFailure::Refused,
        NetError::Dns(DnsError::ResponseCode(code)) => LookupFailure::ServFail(code.to_string()),
        other => LookupFailure::Other(other.to_string()),
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded maps stay consistent even if a holder panicked (each update is one insert).
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mx(preference: u16, exchange: &str) -> Mx {
        Mx {
            preference,
            exchange: exchange.to_string(),
        }
    }

    fn srv(priority: u16, weight: u16, port: u16, target: &str) -> Srv {
        Srv {
            priority,
            weight,
            port,
            target: target.to_string(),
        }
    }

    #[test]
    fn null_mx_is_a_single_root_exchange_of_preference_zero() {
        assert!(is_null_mx(&[mx(0, ".")]));
        assert!(!is_null_mx(&[]));
        assert!(!is_null_mx(&[mx(10, "mx.example.test")]));
        // A root exchange beside real ones is a broken set, not a null MX.
        assert!(!is_null_mx(&[mx(0, "."), mx(10, "mx.example.test")]));
        // RFC 7505 defines the null MX with preference 0.
        assert!(!is_null_mx(&[mx(10, ".")]));
    }

    #[test]
    fn mx_ip_literal() {
        assert_eq!(
            mx(10, "192.0.2.5").ip_literal(),
            Some("192.0.2.5".parse().unwrap())
        );
        assert_eq!(
            mx(10, "[192.0.2.5]").ip_literal(),
            Some("192.0.2.5".parse().unwrap())
        );
        assert_eq!(
            mx(10, "2001\\:db8\\:\\:5").ip_literal(),
            Some("2001:db8::5".parse().unwrap())
        );
        assert_eq!(mx(10, "mx.example.test").ip_literal(), None);
        assert_eq!(mx(10, "192.0.2.5.example.test").ip_literal(), None);
        assert!(mx(0, ".").is_root());
    }

    #[test]
    fn srv_not_offered_is_a_single_root_target() {
        assert!(srv_not_offered(&[srv(0, 0, 0, ".")]));
        assert!(!srv_not_offered(&[srv(0, 1, 587, "smtp.example.test")]));
        assert!(!srv_not_offered(&[]));
    }

    #[test]
    fn names_are_absolute_lower_case_and_shown_without_the_final_dot() {
        let name = absolute_name("Mail.Example.TEST").unwrap();
        assert!(name.is_fqdn());
        assert_eq!(name_text(&name), "mail.example.test");
        assert_eq!(
            name_text(&absolute_name("mail.example.test.").unwrap()),
            "mail.example.test"
        );
        assert_eq!(
            name_text(&absolute_name("_submission._tcp.example.test").unwrap()),
            "_submission._tcp.example.test"
        );
        assert_eq!(name_text(&Name::root()), ".");
        assert_eq!(
            name_text(&absolute_name("bücher.example").unwrap()),
            "xn--bcher-kva.example"
        );
        assert!(absolute_name("").is_err());
        assert!(absolute_name(".").is_err());
        assert!(absolute_name("a..b").is_err());
        assert!(absolute_name(&"a".repeat(64)).is_err());
    }

    #[test]
    fn reverse_names() {
        let v4: IpAddr = "192.0.2.5".parse().unwrap();
        assert_eq!(name_text(&Name::from(v4)), "5.2.0.192.in-addr.arpa");
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        assert!(name_text(&Name::from(v6)).ends_with(".8.b.d.0.1.0.0.2.ip6.arpa"));
    }

    #[test]
    fn records_display_like_a_zone_file() {
        assert_eq!(
            Record::A("192.0.2.1".parse().unwrap()).to_string(),
            "A 192.0.2.1"
        );
        assert_eq!(
            Record::Mx(mx(10, "mx.example.test")).to_string(),
            "MX 10 mx.example.test"
        );
        assert_eq!(
            Record::Srv(srv(0, 1, 587, "smtp.example.test")).to_string(),
            "SRV 0 1 587 smtp.example.test"
        );
        assert_eq!(
            Record::Cname("real.example.test".into()).to_string(),
            "CNAME real.example.test"
        );
        assert_eq!(
            Record::Txt("v=spf1 -all".into()).to_string(),
            "TXT \"v=spf1 -all\""
        );
    }

    #[test]
    fn picking_records_of_a_type() {
        let answer: Answer<Record> = Ok(vec![
            Record::Cname("real.example.test".into()),
            Record::A("192.0.2.1".parse().unwrap()),
        ]);
        assert_eq!(
            of_type(&answer, Record::ip),
            Ok(vec!["192.0.2.1".parse::<IpAddr>().unwrap()])
        );
        let only_alias: Answer<Record> = Ok(vec![Record::Cname("real.example.test".into())]);
        assert_eq!(of_type(&only_alias, Record::ip), Err(LookupFailure::NoData));
        let failed: Answer<Record> = Err(LookupFailure::Timeout);
        assert_eq!(of_type(&failed, Record::ip), Err(LookupFailure::Timeout));
        assert_eq!(
            first_alias(answer.as_ref().unwrap()),
            Some("real.example.test".to_string())
        );
    }

    #[test]
    fn failures_from_hickory_errors() {
        use hickory_resolver::net::NoRecords;
        use hickory_resolver::proto::op::Query as HickoryQuery;
        let query = HickoryQuery::query(Name::root(), RecordType::A);
        let nx = NetError::from(DnsError::NoRecordsFound(NoRecords::new(
            query.clone(),
            ResponseCode::NXDomain,
        )));
        assert_eq!(failure(&nx), LookupFailure::NxDomain);
        let nodata = NetError::from(DnsError::NoRecordsFound(NoRecords::new(
            query,
            ResponseCode::NoError,
        )));
        assert_eq!(failure(&nodata), LookupFailure::NoData);
        let servfail = NetError::from(DnsError::ResponseCode(ResponseCode::ServFail));
        assert!(matches!(failure(&servfail), LookupFailure::ServFail(_)));
        let refused = NetError::from(DnsError::ResponseCode(ResponseCode::Refused));
        assert_eq!(failure(&refused), LookupFailure::Refused);
        assert_eq!(failure(&NetError::Timeout), LookupFailure::Timeout);
        assert!(LookupFailure::NoData.is_negative());
        assert!(!LookupFailure::Timeout.is_negative());
    }
}
