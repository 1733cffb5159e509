//! An in-process authoritative DNS server for tests: [`TestDns`] serves an in-memory table on
//! 127.0.0.1 (UDP and TCP, one port) from a runtime of its own, answers like an authoritative
//! server (NXDOMAIN, NODATA with an SOA in the authority section, CNAME chains followed inside
//! its table), can misbehave per name (SERVFAIL, REFUSED, silence, delay), and counts every
//! query it receives so a test can assert that no look-up was made twice. It stands in for the
//! whole DNS: a name outside its zones gets NXDOMAIN (with the root as SOA owner), not REFUSED.
//!
//! hickory's resolver answers `localhost` and the loopback reverse zones itself, so PTR tests
//! use TEST-NET addresses (192.0.2.0/24, 198.51.100.0/24, 2001:db8::/32).
//!
//! Built with hickory-server's [`Server`] and a [`RequestHandler`] of our own, so the answers are
//! exactly what the table says. Dropping the [`TestDns`] stops it.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, UdpSocket};
use std::pin::Pin;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use hickory_server::Server;
use hickory_server::net::runtime::Time;
use hickory_server::net::xfer::Protocol;
use hickory_server::proto::op::{Header, HeaderCounts, Metadata, ResponseCode};
use hickory_server::proto::rr::rdata::{A, AAAA, CNAME, MX, PTR, SOA, SRV, TXT};
use hickory_server::proto::rr::{Name, RData, Record, RecordType};
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::MessageResponseBuilder;
use tokio::runtime::Runtime;

/// TTL of every record served.
const TTL: u32 = 300;
/// Negative-caching TTL in the SOA (RFC 2308).
const NEGATIVE_TTL: u32 = 60;
/// Longest CNAME chain the server follows inside its zones before answering with what it has.
const MAX_CHAIN: usize = 8;
/// How long an idle TCP client may keep a connection open.
const TCP_IDLE: Duration = Duration::from_secs(5);

/// How the server treats queries for one name (and optionally one type).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Answer SERVFAIL.
    ServFail,
    /// Answer REFUSED.
    Refuse,
    /// Never answer (the client times out).
    Drop,
    /// Wait this long, then answer normally.
    Delay(Duration),
}

/// A running test DNS server. The builder methods add to its table while it runs.
pub struct TestDns {
    addr: SocketAddr,
    state: Arc<State>,
    runtime: Option<Runtime>,
}

#[derive(Default)]
struct State {
    zone: Mutex<Zone>,
    /// Every query received, in arrival order: (name without the final dot, type, over TCP).
    received: Mutex<Vec<(String, RecordType, bool)>>,
}

#[derive(Default)]
struct Zone {
    /// Zone apexes the server is authoritative for.
    apexes: Vec<Name>,
    records: Vec<Record>,
    behaviours: Vec<(Name, Option<RecordType>, Behaviour)>,
}

impl TestDns {
    /// Starts a server on 127.0.0.1 (a free port, UDP and TCP), authoritative for `test.`,
    /// `in-addr.arpa.` and `ip6.arpa.`, with an empty table. A record for a name outside those
    /// makes the last two labels of that name a zone too (`smtp.gmail.com` makes `gmail.com`).
    pub fn new() -> TestDns {
        let (udp, tcp) = bind_pair();
        let addr = udp.local_addr().expect("udp local addr");
        let state = Arc::new(State::default());
        {
            let mut zone = lock(&state.zone);
            for apex in ["test.", "in-addr.arpa.", "ip6.arpa."] {
                zone.apexes.push(Name::from_ascii(apex).expect("apex"));
            }
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("test DNS runtime");
        let handler = Handler {
            state: state.clone(),
        };
        // Spawned, not `block_on`: tests create the server inside their own runtime. The
        // sockets are bound already, so queries sent before this task runs wait in the kernel.
        runtime.spawn(async move {
            let mut server = Server::new(handler);
            server.register_socket(tokio::net::UdpSocket::from_std(udp).expect("tokio udp"));
            server.register_listener(
                tokio::net::TcpListener::from_std(tcp).expect("tokio tcp"),
                TCP_IDLE,
                64,
            );
            // Runs until the runtime is shut down (dropping the TestDns).
            let _ = server.block_until_done().await;
        });
        TestDns {
            addr,
            state,
            runtime: Some(runtime),
        }
    }

    /// The address to give the resolver (`--resolver`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Adds an A record.
    pub fn a(self, name: &str, ip: &str) -> TestDns {
        let ip = Ipv4Addr::from_str(ip).expect("IPv4 address");
        self.record(name, RData::A(A(ip)))
    }

    /// Adds an AAAA record.
    pub fn aaaa(self, name: &str, ip: &str) -> TestDns {
        let ip = Ipv6Addr::from_str(ip).expect("IPv6 address");
        self.record(name, RData::AAAA(AAAA(ip)))
    }

    /// Adds an MX record. `host` is taken as a name, even when it looks like an address
    /// (`192.0.2.5` becomes the four labels `192`, `0`, `2`, `5`, as in a zone file).
    pub fn mx(self, domain: &str, preference: u16, host: &str) -> TestDns {
        let exchange = name(host);
        self.record(domain, RData::MX(MX::new(preference, exchange)))
    }

    /// Adds the null MX of RFC 7505 (`0 .`): the domain accepts no mail.
    pub fn null_mx(self, domain: &str) -> TestDns {
        self.record(domain, RData::MX(MX::new(0, Name::root())))
    }

    /// Adds an SRV record; `target` `.` means "service not offered".
    pub fn srv(self, name: &str, priority: u16, weight: u16, port: u16, target: &str) -> TestDns {
        let target = self::name(target);
        self.record(name, RData::SRV(SRV::new(priority, weight, port, target)))
    }

    /// Makes `name` an alias of `target`.
    pub fn cname(self, name: &str, target: &str) -> TestDns {
        let target = self::name(target);
        self.record(name, RData::CNAME(CNAME(target)))
    }

    /// Adds a PTR record for `ip` (in `in-addr.arpa.` or `ip6.arpa.`).
    pub fn ptr(self, ip: &str, target: &str) -> TestDns {
        let ip = IpAddr::from_str(ip).expect("IP address");
        let owner = Name::from(ip);
        let target = name(target);
        self.insert(owner, RData::PTR(PTR(target)))
    }

    /// Adds a TXT record with one string.
    pub fn txt(self, name: &str, text: &str) -> TestDns {
        self.record(name, RData::TXT(TXT::new(vec![text.to_string()])))
    }

    /// Adds `apex` to the zones the server is authoritative for.
    pub fn zone(self, apex: &str) -> TestDns {
        let apex = name(apex);
        let mut zone = lock(&self.state.zone);
        if !zone.apexes.contains(&apex) {
            zone.apexes.push(apex);
        }
        drop(zone);
        self
    }

    /// Every query for `name` (any type) is answered SERVFAIL.
    pub fn servfail(self, name: &str) -> TestDns {
        self.behave(name, None, Behaviour::ServFail)
    }

    /// Every query for `name` (any type) is answered REFUSED.
    pub fn refuse(self, name: &str) -> TestDns {
        self.behave(name, None, Behaviour::Refuse)
    }

    /// Queries for `name` (any type) are never answered.
    pub fn drop(self, name: &str) -> TestDns {
        self.behave(name, None, Behaviour::Drop)
    }

    /// Queries for `name` (of `record_type`, e.g. `"AAAA"`, or any type when `None`) get
    /// `behaviour` instead of the table's answer. The first matching rule wins.
    pub fn behave(self, name: &str, record_type: Option<&str>, behaviour: Behaviour) -> TestDns {
        let owner = self::name(name);
        let record_type = record_type.map(|t| RecordType::from_str(t).expect("record type"));
        lock(&self.state.zone)
            .behaviours
            .push((owner, record_type, behaviour));
        self
    }

    /// How many queries for (`name`, `record_type`) arrived (over UDP and TCP together). A PTR
    /// query is counted under its `in-addr.arpa`/`ip6.arpa` name; [`TestDns::ptr_queries`] takes
    /// the address.
    pub fn queries(&self, name: &str, record_type: &str) -> usize {
        let key = key(&self::name(name));
        let record_type = RecordType::from_str(record_type).expect("record type");
        lock(&self.state.received)
            .iter()
            .filter(|(n, t, _)| *n == key && *t == record_type)
            .count()
    }

    /// How many PTR queries for `ip` arrived.
    pub fn ptr_queries(&self, ip: &str) -> usize {
        let ip = IpAddr::from_str(ip).expect("IP address");
        self.queries(&Name::from(ip).to_ascii(), "PTR")
    }

    /// Every query received so far, in arrival order, as (name without the final dot, type).
    pub fn received(&self) -> Vec<(String, String)> {
        lock(&self.state.received)
            .iter()
            .map(|(n, t, _)| (n.clone(), t.to_string()))
            .collect()
    }

    /// How many queries arrived over TCP (a resolver uses TCP after a truncated UDP answer).
    pub fn tcp_queries(&self) -> usize {
        lock(&self.state.received)
            .iter()
            .filter(|(_, _, tcp)| *tcp)
            .count()
    }

    /// How many queries arrived in all.
    pub fn total_queries(&self) -> usize {
        lock(&self.state.received).len()
    }

    fn record(self, owner: &str, data: RData) -> TestDns {
        let owner = name(owner);
        self.insert(owner, data)
    }

    fn insert(self, owner: Name, data: RData) -> TestDns {
        let mut zone = lock(&self.state.zone);
        if !zone.apexes.iter().any(|apex| apex.zone_of(&owner)) {
            // A name outside the default zones: serve its last two labels as a zone.
            let labels = owner.num_labels().min(2);
            zone.apexes.push(owner.trim_to(labels as usize));
        }
        zone.records.push(Record::from_rdata(owner, TTL, data));
        drop(zone);
        self
    }
}

impl Default for TestDns {
    fn default() -> TestDns {
        TestDns::new()
    }
}

impl Drop for TestDns {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            // Stops the listeners and any request still being handled, without waiting.
            runtime.shutdown_background();
        }
    }
}

/// Binds UDP and TCP on the same free port of 127.0.0.1 (the resolver uses one port for both).
pub(super) fn bind_pair() -> (UdpSocket, TcpListener) {
    for _ in 0..50 {
        let udp = UdpSocket::bind("127.0.0.1:0").expect("bind udp");
        let Ok(tcp) = TcpListener::bind(udp.local_addr().expect("udp addr")) else {
            continue;
        };
        udp.set_nonblocking(true).expect("non-blocking udp");
        tcp.set_nonblocking(true).expect("non-blocking tcp");
        return (udp, tcp);
    }
    panic!("no free port for both UDP and TCP on 127.0.0.1");
}

/// A test name: absolute, lower case.
fn name(text: &str) -> Name {
    let bare = text.strip_suffix('.').unwrap_or(text);
    // Labels as given when they are not a host name (an IPv6 address as an MX target, say).
    let mut name = Name::from_str_relaxed(text)
        .or_else(|_| Name::from_labels(bare.split('.').map(str::as_bytes)))
        .unwrap_or_else(|e| panic!("bad test name {text:?}: {e}"))
        .to_lowercase();
    name.set_fqdn(true);
    name
}

/// The counting key of a name: ASCII, without the final dot (the root stays `.`).
fn key(name: &Name) -> String {
    let text = name.to_lowercase().to_ascii();
    match text.strip_suffix('.') {
        Some(stripped) if !stripped.is_empty() => stripped.to_string(),
        _ => text,
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking test thread must not take the server down with it.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// What the table says for one question.
struct Answer {
    code: ResponseCode,
    answers: Vec<Record>,
    soa: Option<Record>,
}

impl Zone {
    /// The zone a name is in: the longest apex above it, else the root (where the server stands
    /// in for the rest of the DNS, in which the name does not exist).
    fn apex_of(&self, name: &Name) -> Name {
        self.apexes
            .iter()
            .filter(|apex| apex.zone_of(name))
            .max_by_key(|apex| apex.num_labels())
            .cloned()
            .unwrap_or_else(Name::root)
    }

    fn behaviour(&self, name: &Name, record_type: RecordType) -> Option<Behaviour> {
        self.behaviours
            .iter()
            .find(|(owner, t, _)| owner == name && t.is_none_or(|t| t == record_type))
            .map(|(_, _, b)| *b)
    }

    /// Whether the name exists: it owns records, is an apex, or is an empty non-terminal
    /// (a name below it owns records), which RFC 8020 says is NODATA, not NXDOMAIN.
    fn exists(&self, name: &Name) -> bool {
        self.apexes.contains(name) || self.records.iter().any(|r| name.zone_of(&r.name))
    }

    fn soa(&self, apex: &Name) -> Record {
        let mname = Name::from_ascii("ns.test.").expect("mname");
        let rname = Name::from_ascii("hostmaster.test.").expect("rname");
        let soa = SOA::new(mname, rname, 1, 3600, 600, 86400, NEGATIVE_TTL);
        Record::from_rdata(apex.clone(), NEGATIVE_TTL, RData::SOA(soa))
    }

    /// Answers like an authoritative server: the records of the type, else a CNAME followed
    /// inside the table, else NODATA or NXDOMAIN with the zone's SOA.
    fn answer(&self, qname: &Name, qtype: RecordType) -> Answer {
        let mut name = qname.clone();
        let mut answers = Vec::new();
        for _ in 0..MAX_CHAIN {
            let apex = self.apex_of(&name);
            if qtype == RecordType::SOA && name == apex {
                answers.push(self.soa(&apex));
                break;
            }
            let matching: Vec<Record> = self
                .records
                .iter()
                .filter(|r| r.name == name && r.record_type() == qtype)
                .cloned()
                .collect();
            if !matching.is_empty() {
                answers.extend(matching);
                break;
            }
            let alias = self
                .records
                .iter()
                .find(|r| r.name == name && r.record_type() == RecordType::CNAME);
            if let Some(alias) = alias {
                answers.push(alias.clone());
                let RData::CNAME(CNAME(target)) = &alias.data else {
                    break;
                };
                name = target.clone();
                continue;
            }
            let code = if self.exists(&name) {
                ResponseCode::NoError
            } else {
                ResponseCode::NXDomain
            };
            return Answer {
                code,
                answers,
                soa: Some(self.soa(&apex)),
            };
        }
        Answer {
            code: ResponseCode::NoError,
            answers,
            soa: None,
        }
    }
}

struct Handler {
    state: Arc<State>,
}

impl Handler {
    async fn handle<R: ResponseHandler>(&self, request: &Request, mut response: R) -> ResponseInfo {
        let mut metadata = Metadata::response_from_request(&request.metadata);
        metadata.authoritative = true;
        let builder = MessageResponseBuilder::from_message_request(request);
        let Some(query) = request.queries.queries().first() else {
            metadata.response_code = ResponseCode::FormErr;
            return send(&mut response, builder.build_no_records(metadata), metadata).await;
        };
        let qname = Name::from(query.name().clone()).to_lowercase();
        let qtype = query.query_type();
        let tcp = request.protocol() == Protocol::Tcp;
        lock(&self.state.received).push((key(&qname), qtype, tcp));

        let behaviour = lock(&self.state.zone).behaviour(&qname, qtype);
        match behaviour {
            Some(Behaviour::Drop) => {
                // Say nothing; the client's timeout is what is being tested.
                return ResponseInfo::from(Header {
                    metadata,
                    counts: HeaderCounts::default(),
                });
            }
            Some(Behaviour::ServFail) => {
                metadata.response_code = ResponseCode::ServFail;
                return send(&mut response, builder.build_no_records(metadata), metadata).await;
            }
            Some(Behaviour::Refuse) => {
                metadata.response_code = ResponseCode::Refused;
                return send(&mut response, builder.build_no_records(metadata), metadata).await;
            }
            Some(Behaviour::Delay(pause)) => tokio::time::sleep(pause).await,
            None => {}
        }

        let answer = lock(&self.state.zone).answer(&qname, qtype);
        metadata.response_code = answer.code;
        let message = builder.build(
            metadata,
            answer.answers.iter(),
            std::iter::empty(),
            answer.soa.iter(),
            std::iter::empty(),
        );
        send(&mut response, message, metadata).await
    }
}

async fn send<'a, R: ResponseHandler>(
    response: &mut R,
    message: hickory_server::zone_handler::MessageResponse<
        '_,
        'a,
        impl Iterator<Item = &'a Record> + Send + 'a,
        impl Iterator<Item = &'a Record> + Send + 'a,
        impl Iterator<Item = &'a Record> + Send + 'a,
        impl Iterator<Item = &'a Record> + Send + 'a,
    >,
    metadata: Metadata,
) -> ResponseInfo {
    match response.send_response(message).await {
        Ok(info) => info,
        Err(_) => ResponseInfo::from(Header {
            metadata,
            counts: HeaderCounts::default(),
        }),
    }
}

// `RequestHandler` is declared with `#[async_trait]`; this is the signature that macro expands
// to, written out so the tests need no extra dependency.
impl RequestHandler for Handler {
    fn handle_request<'life0, 'life1, 'async_trait, R, T>(
        &'life0 self,
        request: &'life1 Request,
        response_handle: R,
    ) -> Pin<Box<dyn Future<Output = ResponseInfo> + Send + 'async_trait>>
    where
        R: ResponseHandler + 'async_trait,
        T: Time + 'async_trait,
        'life0: 'async_trait,
        'life1: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(self.handle(request, response_handle))
    }
}
