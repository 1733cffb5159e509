//! A DNSSEC-signed test DNS for the DANE tests: [`SignedDns`] serves, on 127.0.0.1 (UDP and TCP,
//! one port), a signed parent zone `test.` whose DNSKEY is the trust anchor
//! ([`SignedDns::trust_anchor`], the text of a `--trust-anchor` file), and below it child zones
//! delegated from it: signed ones (a DS record in `test.`) and unsigned ones (NS only, so the
//! parent's signed NSEC proves the delegation insecure, RFC 4035 section 5.2).
//!
//! Built on hickory-server's own in-memory zones, signed at start-up with ECDSA P-256 keys
//! generated in memory (`secure_zone_mut`, NSEC for denial of existence), and its `Catalog`
//! serving them. One wrinkle of serving parent and child from one server: a DS query is for the
//! parent's side of a zone cut (RFC 4035 section 3.1.4.1), while the catalog would answer from
//! the child. The handler therefore sends DS queries for a child apex to a catalog that holds
//! only the parent. Dropping the server stops it.

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use hickory_server::Server;
use hickory_server::dnssec::NxProofKind;
use hickory_server::net::runtime::{Time, TokioRuntimeProvider};
use hickory_server::proto::dnssec::crypto::EcdsaSigningKey;
use hickory_server::proto::dnssec::rdata::{DNSKEY, DNSSECRData, DS};
use hickory_server::proto::dnssec::{Algorithm, DigestType, DnssecSigner, PublicKey, SigningKey};
use hickory_server::proto::rr::rdata::{A, MX, NS, SOA, TLSA};
use hickory_server::proto::rr::{LowerName, Name, RData, Record, RecordType};
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, ZoneHandler, ZoneType};
use tokio::runtime::Runtime;

use super::dns::bind_pair;

/// TTL of every record served.
const TTL: u32 = 300;
/// How long the signatures are valid.
const SIGNATURES_VALID: Duration = Duration::from_secs(7 * 24 * 3600);
/// The parent of every test zone, and the trust anchor's owner.
const PARENT: &str = "test.";
/// How long an idle TCP client may keep a connection open.
const TCP_IDLE: Duration = Duration::from_secs(5);

/// A child zone to serve, and its records.
struct ZoneSpec {
    apex: Name,
    signed: bool,
    /// Signed, but the parent's DS is for another key: every answer of the zone is bogus.
    wrong_ds: bool,
    records: Vec<Record>,
}

/// What to serve; [`SignedDnsBuilder::start`] signs it and starts the server.
#[derive(Default)]
pub struct SignedDnsBuilder {
    zones: Vec<ZoneSpec>,
    parent_records: Vec<Record>,
}

/// A running signed test DNS server.
pub struct SignedDns {
    addr: SocketAddr,
    anchor: String,
    runtime: Option<Runtime>,
}

impl SignedDnsBuilder {
    /// A child zone of `test.` (e.g. `"dane.test"`), signed (with a DS in `test.`) or not.
    pub fn zone(mut self, apex: &str, signed: bool) -> Self {
        self.zones.push(ZoneSpec {
            apex: name(apex),
            signed,
            wrong_ds: false,
            records: Vec::new(),
        });
        self
    }

    /// A signed child zone of `test.` whose DS in the parent is for a key the zone does not
    /// use (a key rolled without updating the parent): its answers validate as bogus, while
    /// `test.` itself stays secure.
    pub fn zone_with_wrong_ds(mut self, apex: &str) -> Self {
        self.zones.push(ZoneSpec {
            apex: name(apex),
            signed: true,
            wrong_ds: true,
            records: Vec::new(),
        });
        self
    }

    /// An A record, in the zone its name falls in.
    pub fn a(self, owner: &str, ip: &str) -> Self {
        let ip = Ipv4Addr::from_str(ip).expect("IPv4 address");
        self.record(owner, RData::A(A(ip)))
    }

    /// An MX record.
    pub fn mx(self, domain: &str, preference: u16, host: &str) -> Self {
        self.record(domain, RData::MX(MX::new(preference, name(host))))
    }

    /// A TLSA record (RFC 6698): usage, selector, matching type, association data.
    pub fn tlsa(self, owner: &str, usage: u8, selector: u8, matching: u8, data: &[u8]) -> Self {
        let tlsa = TLSA::new(
            usage.into(),
            selector.into(),
            matching.into(),
            data.to_vec(),
        );
        self.record(owner, RData::TLSA(tlsa))
    }

    fn record(mut self, owner: &str, data: RData) -> Self {
        let owner = name(owner);
        let record = Record::from_rdata(owner.clone(), TTL, data);
        let zone = self
            .zones
            .iter_mut()
            .filter(|z| z.apex.zone_of(&owner))
            .max_by_key(|z| z.apex.num_labels());
        match zone {
            Some(zone) => zone.records.push(record),
            None => self.parent_records.push(record),
        }
        self
    }

    /// Signs the zones and starts serving them.
    pub fn start(self) -> SignedDns {
        let parent_apex = name(PARENT);
        let mut parent = zone_handler(&parent_apex);
        let mut children = Vec::new();
        for spec in self.zones {
            let mut child = zone_handler(&spec.apex);
            for record in spec.records {
                assert!(child.upsert_mut(record, 1), "record in child zone");
            }
            // The delegation: NS in the parent (with glue for ns.test below), and a DS for a
            // signed child.
            let ns = Record::from_rdata(spec.apex.clone(), TTL, RData::NS(NS(name("ns.test."))));
            assert!(parent.upsert_mut(ns, 1), "delegation NS");
            if spec.signed {
                let mut dnskey = sign(&mut child, &spec.apex);
                if spec.wrong_ds {
                    // The key of a zone signed and thrown away.
                    dnskey = sign(&mut zone_handler(&spec.apex), &spec.apex);
                }
                let ds = ds_of(&dnskey, &spec.apex);
                let ds =
                    Record::from_rdata(spec.apex.clone(), TTL, RData::DNSSEC(DNSSECRData::DS(ds)));
                assert!(parent.upsert_mut(ds, 1), "DS");
            }
            children.push((spec.apex, child));
        }
        for record in self.parent_records {
            assert!(parent.upsert_mut(record, 1), "record in parent zone");
        }
        let glue = Record::from_rdata(name("ns.test."), TTL, RData::A(A(Ipv4Addr::LOCALHOST)));
        assert!(parent.upsert_mut(glue, 1), "glue");
        let anchor_key = sign(&mut parent, &parent_apex);
        let anchor = format!("{PARENT} {TTL} IN DNSKEY {anchor_key}\n");

        let parent: Arc<dyn ZoneHandler> = Arc::new(parent);
        let mut all = Catalog::new();
        let mut parents = Catalog::new();
        all.upsert(LowerName::new(&parent_apex), vec![parent.clone()]);
        parents.upsert(LowerName::new(&parent_apex), vec![parent]);
        let mut child_apexes = Vec::new();
        for (apex, child) in children {
            let handler: Arc<dyn ZoneHandler> = Arc::new(child);
            all.upsert(LowerName::new(&apex), vec![handler]);
            child_apexes.push(LowerName::new(&apex));
        }
        let handler = Handler {
            all,
            parents,
            child_apexes,
        };

        let (udp, tcp) = bind_pair();
        let addr = udp.local_addr().expect("udp local addr");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("signed DNS runtime");
        runtime.spawn(async move {
            let mut server = Server::new(handler);
            server.register_socket(tokio::net::UdpSocket::from_std(udp).expect("tokio udp"));
            server.register_listener(
                tokio::net::TcpListener::from_std(tcp).expect("tokio tcp"),
                TCP_IDLE,
                64,
            );
            let _ = server.block_until_done().await;
        });
        SignedDns {
            addr,
            anchor,
            runtime: Some(runtime),
        }
    }
}

impl SignedDns {
    /// What to serve.
    pub fn builder() -> SignedDnsBuilder {
        SignedDnsBuilder::default()
    }

    /// The address to give the resolver (`--resolver`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The trust anchor, as a `--trust-anchor` file holds it: the DNSKEY of `test.`.
    pub fn trust_anchor(&self) -> &str {
        &self.anchor
    }
}

impl Drop for SignedDns {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// An empty zone with its SOA and apex NS, denial of existence by NSEC.
fn zone_handler(apex: &Name) -> InMemoryZoneHandler<TokioRuntimeProvider> {
    let mut zone = InMemoryZoneHandler::empty(
        apex.clone(),
        ZoneType::Primary,
        AxfrPolicy::Deny,
        Some(NxProofKind::Nsec),
    );
    let soa = SOA::new(
        name("ns.test."),
        name("hostmaster.test."),
        1,
        3600,
        600,
        86400,
        60,
    );
    let soa = Record::from_rdata(apex.clone(), TTL, RData::SOA(soa));
    assert!(zone.upsert_mut(soa, 1), "SOA");
    let ns = Record::from_rdata(apex.clone(), TTL, RData::NS(NS(name("ns.test."))));
    assert!(zone.upsert_mut(ns, 1), "apex NS");
    zone
}

/// Signs a zone with a new ECDSA P-256 key (one key as both KSK and ZSK); gives its DNSKEY.
fn sign(zone: &mut InMemoryZoneHandler<TokioRuntimeProvider>, apex: &Name) -> DNSKEY {
    let algorithm = Algorithm::ECDSAP256SHA256;
    let pkcs8 = EcdsaSigningKey::generate_pkcs8(algorithm).expect("generate zone key");
    let key = EcdsaSigningKey::from_pkcs8(&pkcs8, algorithm).expect("zone key");
    let dnskey = DNSKEY::from_key(&key.to_public_key().expect("public key"));
    let signer = DnssecSigner::new(
        dnskey.clone(),
        Box::new(key),
        apex.clone(),
        SIGNATURES_VALID,
    );
    zone.add_zone_signing_key_mut(signer).expect("add zone key");
    zone.secure_zone_mut().expect("sign zone");
    dnskey
}

/// The DS record data of a child's DNSKEY (SHA-256, RFC 4509).
fn ds_of(dnskey: &DNSKEY, apex: &Name) -> DS {
    let digest = dnskey
        .to_digest(apex, DigestType::SHA256)
        .expect("DS digest");
    DS::new(
        dnskey.calculate_key_tag().expect("key tag"),
        dnskey.public_key().algorithm(),
        DigestType::SHA256,
        digest.as_ref().to_vec(),
    )
}

fn name(text: &str) -> Name {
    let mut name = Name::from_str(text)
        .unwrap_or_else(|e| panic!("bad test name {text:?}: {e}"))
        .to_lowercase();
    name.set_fqdn(true);
    name
}

/// Sends DS queries for a child apex to the parent, everything else to the catalog of all zones.
struct Handler {
    all: Catalog,
    parents: Catalog,
    child_apexes: Vec<LowerName>,
}

// `RequestHandler` is declared with `#[async_trait]`; this is the signature that macro expands
// to (as in support/dns.rs).
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
        let for_parent = request.queries.queries().first().is_some_and(|q| {
            q.query_type() == RecordType::DS && self.child_apexes.contains(q.name())
        });
        let catalog = if for_parent { &self.parents } else { &self.all };
        catalog.handle_request::<R, T>(request, response_handle)
    }
}
