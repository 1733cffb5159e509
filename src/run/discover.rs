//! From a target to the endpoints to probe, probing each as soon as it is known.
//!
//! A typed server (a host name, an IP address, `host:port`, `smtps://host`) is probed on the
//! chosen ports, as always. A mail domain (an e-mail address's domain, a name with MX records,
//! or any name with `--inbound`) is two questions, answered in two sections:
//!
//! - sending (submission): where a mail client should send: the hosts of a provider preset
//!   matching the domain or its MX hosts, the targets of RFC 6186 SRV records
//!   (`_submissions._tcp` is implicit TLS, `_submission._tcp` STARTTLS, each on its port), else
//!   the usual guesses `smtp.<domain>` and `mail.<domain>` that resolve; on 587 and 465;
//! - receiving (inbound): the MX hosts by preference (the first [`MX_PROBE_LIMIT`]), every
//!   address on port 25 with STARTTLS, the certificate checked against the MX host name.
//!
//! Beside them, a domain's inbound transport policies: the MTA-STS and TLS-RPT TXT records and
//! the MTA-STS policy fetch ([`crate::probe::sts`]), each MX host then checked against it.
//!
//! Look-ups run concurrently with each other and with probes: the sending side starts probing a
//! preset's hosts and the SRV targets while the MX look-up is still out. The run's
//! [`Resolver`] asks each question once, however many parts of the run need the answer. Every
//! probed address also gets its reverse DNS, forward-confirmed, looked up beside its probe.

use std::future::Future;
use std::net::IpAddr;
use std::time::Duration;

use futures::future::{Either, join_all};
use tokio::time::Instant;

use crate::dns::{
    LookupFailure, Mx, Query, Resolver, ReverseDns, SUBMISSION_SRV, SUBMISSIONS_SRV, Srv,
    is_null_mx, reverse_is_local_only, srv_not_offered, usable_addresses,
};
use crate::model::{
    Candidate, Discovery, Endpoint, HostLookup, Mode, NotProbed, Observation, Planned, Role,
    Section, Security, Source, TargetKind,
};
use crate::probe::{CHECK_CONCURRENCY, Pool};
use crate::providers::Match;
use crate::run::plan::{CheckPlan, SetupError};
use crate::target::{Host, is_host_name};
use crate::tls::TlsClient;

mod dane;

/// How many SRV targets of one service are probed at most.
pub const SRV_TARGET_LIMIT: usize = 4;
/// Submission ports probed for a host that names no ports of its own (a guess, an SRV target
/// takes its record's port): 587 with STARTTLS (RFC 6409) and 465 with implicit TLS (RFC 8314).
pub const SUBMISSION_PORTS: [(u16, Security); 2] =
    [(587, Security::Starttls), (465, Security::ImplicitTls)];
/// How long the reverse DNS of an address may take after its probe has finished.
pub const REVERSE_GRACE: Duration = Duration::from_secs(2);
/// The usual submission host names, each followed by `.` and the domain.
pub const GUESS_PREFIXES: [&str; 2] = ["smtp", "mail"];

/// Submission settings a provider preset gives for a domain.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PresetHosts {
    /// The preset's id.
    id: String,
    /// Why it matched, in words (`address domain gmail.com`, `MX host aspmx.l.google.com`).
    reason: String,
    /// The submission hosts to probe (literal names).
    hosts: Vec<String>,
    /// Its submission ports with the security each uses (empty: 587 and 465).
    ports: Vec<(u16, Security)>,
}

/// A preset's submission host (the one its settings name, when that is a literal host name)
/// and its submission ports (port 25 is a relay's, not a mail client's), each with the secure
/// mode the provider offers.
fn preset_hosts(matched: &Match<'_>) -> Option<PresetHosts> {
    let preset = matched.preset;
    let host = preset
        .host_for(None)
        .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
        .filter(|h| is_host_name(h))?;
    let ports = preset
        .ports
        .iter()
        .filter(|spec| spec.port != 25)
        .map(|spec| (spec.port, spec.security.probe_security()))
        .collect();
    Some(PresetHosts {
        id: preset.id.clone(),
        reason: matched.reason.to_string(),
        hosts: vec![host],
        ports,
    })
}

/// A discovery run's result: what was found (with the DNS facts the verdicts judge), and the
/// observations in a stable order (submission, then inbound; within a host by port, then
/// address).
#[derive(Debug, Clone)]
pub struct Discovered {
    /// What was found.
    pub discovery: Discovery,
    /// One per probed endpoint.
    pub observations: Vec<Observation>,
}

/// Finds the endpoints of the plan's target and probes them. `Err` only when the run cannot
/// start (no usable DNS configuration for a name, a `--resolve` pin of the wrong family).
pub async fn run(plan: &CheckPlan, tls: &TlsClient) -> Result<Discovered, SetupError> {
    let deadline = Instant::now() + plan.options.max_time;
    // A server given by address, or by a name pinned with --resolve, needs DNS only for the
    // reverse names of its addresses: without a DNS configuration those are left out.
    let dns_optional = !plan.target.is_address()
        && plan.discovery.mode != Mode::Inbound
        && match &plan.target.host {
            Host::Ip(_) => true,
            Host::Name(name) => pinned(plan, name),
        };
    let resolver = match Resolver::new(&plan.resolvers, plan.options.step_timeout) {
        Ok(resolver) => Some(resolver),
        Err(_) if dns_optional => None,
        Err(e) => return Err(SetupError(e.to_string())),
    };
    let dane = match &resolver {
        Some(resolver) if !plan.target.names_a_server() => Some(dane::Validator::new(
            resolver,
            plan.trust_anchor.as_deref(),
        )?),
        _ => None,
    };
    let engine = Engine {
        plan,
        resolver,
        dane,
        deadline,
        pool: Pool::new(CHECK_CONCURRENCY, &plan.options, tls, deadline),
        tls,
    };
    let mut found = engine.target().await?;
    found.discovery.queries = engine
        .resolver
        .as_ref()
        .map(Resolver::log)
        .unwrap_or_default();
    found.discovery.port_map = plan.options.port_map.clone();
    Ok(found.finish())
}

fn pinned(plan: &CheckPlan, name: &str) -> bool {
    plan.pins.iter().any(|(n, _)| n == name)
}

/// Everything probed so far.
#[derive(Default)]
struct Found {
    discovery: Discovery,
    probed: Vec<Probed>,
}

impl Found {
    /// The observations in order, each endpoint's origin and its address's reverse DNS.
    fn finish(mut self) -> Discovered {
        let mut observations = Vec::with_capacity(self.probed.len());
        for probed in self.probed {
            if let Some(reverse) = probed.reverse {
                self.discovery
                    .reverse
                    .entry(probed.planned.endpoint.ip)
                    .or_insert(reverse);
            }
            self.discovery.planned.push(probed.planned);
            observations.push(probed.observation);
        }
        Discovered {
            discovery: self.discovery,
            observations,
        }
    }
}

/// One probe's result with its origin and the reverse DNS of its address.
struct Probed {
    planned: Planned,
    observation: Observation,
    reverse: Option<ReverseDns>,
}

/// A host's addresses and the queries that gave them (none for a pinned name).
struct Resolved {
    addresses: Vec<IpAddr>,
    queries: Vec<Query>,
}

/// A section's hosts, probed.
#[derive(Default)]
struct Part {
    candidates: Vec<Candidate>,
    probed: Vec<Probed>,
    notes: Vec<String>,
    /// The look-ups of the MX hosts (inbound).
    lookups: Vec<HostLookup>,
    /// SRV look-ups that failed (submission).
    srv_failures: Vec<(String, LookupFailure)>,
}

impl Part {
    fn append(&mut self, other: Part) {
        self.candidates.extend(other.candidates);
        self.probed.extend(other.probed);
        self.notes.extend(other.notes);
        self.lookups.extend(other.lookups);
        self.srv_failures.extend(other.srv_failures);
    }
}

/// What the SRV records of a domain say about submission.
struct SrvFound {
    candidates: Vec<Candidate>,
    notes: Vec<String>,
    failures: Vec<(String, LookupFailure)>,
    /// Both services are explicitly "not offered" (target `.`).
    not_offered: bool,
}

struct Engine<'a> {
    plan: &'a CheckPlan,
    resolver: Option<Resolver>,
    /// The validating resolver of the DANE look-ups (a mail domain only).
    dane: Option<dane::Validator>,
    deadline: Instant,
    pool: Pool<'a>,
    tls: &'a TlsClient,
}

impl<'a> Engine<'a> {
    /// Decides what the target is and checks it.
    async fn target(&self) -> Result<Found, SetupError> {
        let target = &self.plan.target;
        let name = match &target.host {
            Host::Ip(ip) => return Ok(self.server(&ip.to_string(), TargetKind::Ip).await),
            Host::Name(name) => name.as_str(),
        };
        if target.is_address() {
            let inbound_only = self.plan.discovery.mode == Mode::Inbound;
            return Ok(self.domain(name, TargetKind::Address, !inbound_only).await);
        }
        match self.plan.discovery.mode {
            Mode::Inbound => return Ok(self.domain(name, TargetKind::Domain, false).await),
            Mode::Host => return self.server_name(name).await,
            Mode::Auto => {}
        }
        if target.names_a_server()
            || pinned(self.plan, name)
            || self.plan.options.servername.is_some()
        {
            return self.server_name(name).await;
        }
        // A bare name: a domain when its MX records name other hosts. Its addresses are asked
        // at the same time, since a server needs them next (and the answers are kept).
        let (mx, _) = tokio::join!(self.mx(name), self.resolve(name));
        match &mx {
            Ok(records) if is_null_mx(records) || records.iter().any(|m| m.exchange != name) => {
                Ok(self.domain(name, TargetKind::Domain, true).await)
            }
            _ => {
                // A server after all; its MX answer is kept, since a failed look-up is worth
                // a warning (the verdicts decide).
                let mut found = self.server_name(name).await?;
                found.discovery.mx = Some(mx);
                Ok(found)
            }
        }
    }

    /// A server by name on the plan's ports.
    async fn server_name(&self, name: &str) -> Result<Found, SetupError> {
        if pinned(self.plan, name) && self.pins(name).is_empty() {
            return Err(SetupError(format!(
                "--resolve gives {name} no address of the chosen family (-4/-6)"
            )));
        }
        Ok(self.server(name, TargetKind::Host).await)
    }

    /// A typed server: every address on every port of the plan.
    async fn server(&self, host: &str, kind: TargetKind) -> Found {
        let resolved = match host.parse::<IpAddr>() {
            Ok(ip) => Resolved {
                addresses: vec![ip],
                queries: Vec::new(),
            },
            Err(_) => self.resolve(host).await,
        };
        // An address needs no look-up, and a pinned name's has no queries to judge.
        let lookups = if host.parse::<IpAddr>().is_err() && !pinned(self.plan, host) {
            vec![HostLookup {
                host: host.to_string(),
                addresses: resolved.addresses.clone(),
                queries: resolved.queries,
                alias: None,
            }]
        } else {
            Vec::new()
        };
        let endpoints = self
            .plan
            .ports
            .iter()
            .flat_map(|&(port, security)| {
                resolved.addresses.iter().map(move |&ip| Planned {
                    endpoint: Endpoint {
                        host: host.to_string(),
                        ip,
                        port,
                        security,
                    },
                    role: None,
                    source: Source::Typed,
                })
            })
            .collect();
        let probed = self.probe(endpoints).await;
        Found {
            discovery: Discovery {
                kind,
                lookups,
                ..Discovery::default()
            },
            probed,
        }
    }

    /// A mail domain: its submission section (unless `inbound_only`) and its inbound section,
    /// concurrently.
    async fn domain(&self, domain: &str, kind: TargetKind, submission: bool) -> Found {
        let sending = async {
            if submission {
                Some(self.submission(domain).await)
            } else {
                None
            }
        };
        // MTA-STS and TLS-RPT (RFC 8461, RFC 8460) are looked up and fetched beside the probes.
        let policies = crate::probe::sts::policies(
            domain,
            self.resolver.as_ref(),
            |host| async move {
                let resolved = self.resolve(&host).await;
                (resolved.addresses, resolved.queries)
            },
            self.tls,
            &self.plan.options,
            self.deadline,
        );
        let (sending, receiving, mut policies, dane) =
            tokio::join!(sending, self.inbound(domain), policies, self.dane(domain));
        policies.check_mx(
            &receiving.candidates,
            receiving.probed.iter().map(|p| &p.observation),
        );
        let mut found = Found {
            discovery: Discovery {
                kind,
                domain: Some(domain.to_string()),
                mx: Some(self.mx(domain).await),
                policies: Some(policies),
                dane,
                ..Discovery::default()
            },
            ..Found::default()
        };
        for (role, part) in [
            (Role::Submission, sending),
            (Role::Inbound, Some(receiving)),
        ] {
            let Some(part) = part else { continue };
            found.discovery.sections.push(Section {
                role,
                candidates: part.candidates,
                notes: part.notes,
            });
            found.probed.extend(part.probed);
            found.discovery.lookups.extend(part.lookups);
            found.discovery.srv_failures.extend(part.srv_failures);
        }
        found.discovery.preset = self.domain_preset(domain).await.map(|m| m.choice());
        found
    }

    /// DANE of the MX hosts the inbound section probes (the same list: the MX answer is asked
    /// once), looked up beside their probes; not when `--port` leaves port 25 out.
    async fn dane(&self, domain: &str) -> Option<crate::model::DaneFacts> {
        let validator = self.dane.as_ref()?;
        let ports = &self.plan.discovery.port_filter;
        if !ports.is_empty() && !ports.contains(&25) {
            return None;
        }
        let hosts = match self.mx(domain).await {
            Ok(records) => dane::mx_hosts(&records, self.plan.discovery.mx_limit),
            Err(_) => Vec::new(),
        };
        // Only hosts with an address (the probe's own look-up, shared): a sender never gets
        // to the TLSA records of a host it cannot resolve.
        let resolved = join_all(hosts.iter().map(|host| self.resolve(host))).await;
        let hosts: Vec<String> = hosts
            .into_iter()
            .zip(resolved)
            .filter(|(_, r)| !r.addresses.is_empty())
            .map(|(host, _)| host)
            .collect();
        Some(
            validator
                .look_up(domain, &hosts, self.plan.family, self.deadline)
                .await,
        )
    }

    /// The run's provider decision for a domain ([`Catalog::for_domain`]), with the MX hosts
    /// (the run's MX answer, asked once and shared).
    async fn domain_preset(&self, domain: &str) -> Option<Match<'a>> {
        let mx_hosts: Vec<String> = match self.mx(domain).await {
            Ok(records) => records
                .into_iter()
                .filter(|m| !m.is_root())
                .map(|m| m.exchange)
                .collect(),
            Err(_) => Vec::new(),
        };
        self.plan
            .catalog
            .for_domain(domain, &mx_hosts, self.plan.provider.as_deref())
    }

    /// The sending side. A preset matching the domain is known at once and probed at once; the
    /// SRV targets are probed as soon as their records arrive; a preset matching the MX hosts
    /// waits for the MX answer; the guesses only when none of these gave a host.
    async fn submission(&self, domain: &str) -> Part {
        // The decision on what is known at once (`--provider`, the address domain).
        let early =
            self.plan
                .catalog
                .for_domain(domain, &[] as &[String], self.plan.provider.as_deref());
        let by_domain = early.as_ref().and_then(preset_hosts);
        let preset_host_names: Vec<String> = by_domain
            .as_ref()
            .map(|p| p.hosts.clone())
            .unwrap_or_default();

        let from_domain_preset = async {
            match &by_domain {
                Some(preset) => self.probe_candidates(preset_candidates(preset)).await,
                None => Part::default(),
            }
        };
        let from_srv = async {
            let srv = self.srv(domain).await;
            let candidates = srv
                .candidates
                .into_iter()
                .filter(|c| !preset_host_names.contains(&c.host))
                .collect();
            let mut part = self.probe_candidates(candidates).await;
            part.notes.extend(srv.notes);
            part.srv_failures.extend(srv.failures);
            part
        };
        // Asked by two branches; the MX answer is the resolver's, shared.
        let mx_preset = || async {
            if early.is_some() {
                return None;
            }
            self.domain_preset(domain)
                .await
                .as_ref()
                .and_then(preset_hosts)
        };
        let from_mx_preset = async {
            let (preset, srv) = tokio::join!(mx_preset(), self.srv(domain));
            let Some(preset) = preset else {
                return Part::default();
            };
            let candidates = preset_candidates(&preset)
                .into_iter()
                .filter(|c| !srv.candidates.iter().any(|s| s.host == c.host))
                .collect();
            self.probe_candidates(candidates).await
        };
        let from_guesses = async {
            if by_domain.is_some() {
                return Part::default();
            }
            let (preset, srv, mx) = tokio::join!(mx_preset(), self.srv(domain), self.mx(domain));
            // A domain that does not exist has no hosts below it either (dns.nxdomain says it).
            let gone = mx == Err(LookupFailure::NxDomain);
            if preset.is_some() || !srv.candidates.is_empty() || srv.not_offered || gone {
                return Part::default();
            }
            self.guesses(domain).await
        };
        let (a, b, c, d) = tokio::join!(from_domain_preset, from_srv, from_mx_preset, from_guesses);
        let mut part = Part::default();
        for piece in [a, b, c, d] {
            part.append(piece);
        }
        part
    }

    /// `smtp.<domain>` and `mail.<domain>`: those that resolve are probed on 587 and 465.
    async fn guesses(&self, domain: &str) -> Part {
        let names: Vec<String> = GUESS_PREFIXES
            .iter()
            .map(|prefix| format!("{prefix}.{domain}"))
            .collect();
        let resolved = join_all(names.iter().map(|name| self.resolve(name))).await;
        let mut candidates = Vec::new();
        for (name, resolved) in names.into_iter().zip(resolved) {
            let mut candidate = Candidate {
                host: name.clone(),
                source: Source::Guess,
                detail: Some("a usual name".to_string()),
                ports: SUBMISSION_PORTS.to_vec(),
                addresses: resolved.addresses,
                not_probed: None,
            };
            if candidate.addresses.is_empty() {
                candidate.not_probed = Some(unresolved(&resolved.queries));
            }
            candidates.push(candidate);
        }
        self.probe_candidates(candidates).await
    }

    /// The receiving side: MX hosts by preference (the first few), or the domain itself when
    /// it has no MX records.
    async fn inbound(&self, domain: &str) -> Part {
        let mx = self.mx(domain).await;
        let mut part = Part::default();
        let records = match &mx {
            Ok(records) => records.clone(),
            Err(LookupFailure::NoData) => {
                let resolved = self.resolve(domain).await;
                let candidate = Candidate {
                    host: domain.to_string(),
                    source: Source::ImplicitMx,
                    detail: Some(
                        "no MX records: the domain's own addresses (RFC 5321 section 5.1)"
                            .to_string(),
                    ),
                    ports: vec![(25, Security::Starttls)],
                    addresses: resolved.addresses,
                    not_probed: None,
                };
                part.append(self.probe_candidates(vec![candidate]).await);
                return part;
            }
            Err(_) => return part,
        };
        if is_null_mx(&records) {
            part.notes.push(
                "null MX (RFC 7505): the domain accepts no mail; nothing to probe".to_string(),
            );
            return part;
        }
        let mut hosts: Vec<Mx> = Vec::new();
        for record in records.into_iter().filter(|m| !m.is_root()) {
            if !hosts.iter().any(|h| h.exchange == record.exchange) {
                hosts.push(record);
            }
        }
        let limit = self.plan.discovery.mx_limit.max(1);
        if hosts.len() > limit {
            part.notes.push(format!(
                "only the first {limit} of {} MX hosts (by preference) are probed",
                hosts.len()
            ));
        }
        let probed = join_all(hosts.iter().take(limit).map(|record| self.mx_host(record))).await;
        for (record, (alias, queries, resolved_part)) in hosts.iter().zip(probed) {
            part.lookups.push(HostLookup {
                host: record.exchange.clone(),
                addresses: resolved_part.addresses,
                queries,
                alias,
            });
            part.candidates.extend(resolved_part.candidates);
            part.probed.extend(resolved_part.probed);
        }
        for record in hosts.iter().skip(limit) {
            part.candidates.push(Candidate {
                host: record.exchange.clone(),
                source: Source::Mx,
                detail: Some(format!("MX {}", record.preference)),
                ports: vec![(25, Security::Starttls)],
                addresses: Vec::new(),
                not_probed: Some(NotProbed::BeyondMxLimit { limit }),
            });
        }
        part
    }

    /// One MX host: resolved, checked for being an alias, probed on 25. Gives the alias, the
    /// address queries, and the probed part (with its addresses).
    async fn mx_host(&self, record: &Mx) -> (Option<String>, Vec<Query>, MxPart) {
        let mut candidate = Candidate {
            host: record.exchange.clone(),
            source: Source::Mx,
            detail: Some(format!("MX {}", record.preference)),
            ports: vec![(25, Security::Starttls)],
            addresses: Vec::new(),
            not_probed: None,
        };
        if record.ip_literal().is_some() {
            candidate.not_probed = Some(NotProbed::IpLiteral);
            let part = MxPart {
                addresses: Vec::new(),
                candidates: vec![candidate],
                probed: Vec::new(),
            };
            return (None, Vec::new(), part);
        }
        let resolved = self.resolve(&record.exchange).await;
        candidate.addresses = resolved.addresses.clone();
        let probe = self.probe_candidates(vec![candidate]);
        let (alias, part) = tokio::join!(self.alias(&record.exchange), probe);
        let part = MxPart {
            addresses: resolved.addresses,
            candidates: part.candidates,
            probed: part.probed,
        };
        (alias, resolved.queries, part)
    }

    /// The submission SRV records of a domain, as candidates (implicit TLS first, as RFC 8314
    /// prefers). Computed from the run's cached answers, so asking twice costs no query.
    async fn srv(&self, domain: &str) -> SrvFound {
        let implicit = format!("{SUBMISSIONS_SRV}.{domain}");
        let starttls = format!("{SUBMISSION_SRV}.{domain}");
        let (a, b) = tokio::join!(self.srv_records(&implicit), self.srv_records(&starttls));
        let mut found = SrvFound {
            candidates: Vec::new(),
            notes: Vec::new(),
            failures: Vec::new(),
            not_offered: false,
        };
        let mut not_offered = 0;
        for (owner, answer, security) in [
            (&implicit, a, Security::ImplicitTls),
            (&starttls, b, Security::Starttls),
        ] {
            let records = match answer {
                Ok(records) => records,
                Err(failure) => {
                    found.failures.push((owner.clone(), failure));
                    continue;
                }
            };
            if srv_not_offered(&records) {
                not_offered += 1;
                found.notes.push(format!(
                    "{owner} says the service is not offered (target `.`)"
                ));
                continue;
            }
            let usable = records
                .iter()
                .filter(|r| !r.is_root() && r.port != 0)
                .take(SRV_TARGET_LIMIT);
            for record in usable {
                let port = (record.port, security);
                match found
                    .candidates
                    .iter_mut()
                    .find(|c| c.host == record.target)
                {
                    Some(candidate) => {
                        if !candidate.ports.contains(&port) {
                            candidate.ports.push(port);
                        }
                        if let Some(detail) = &mut candidate.detail
                            && !detail.contains(owner.as_str())
                        {
                            detail.push_str(&format!(", {owner}"));
                        }
                    }
                    None => found.candidates.push(Candidate {
                        host: record.target.clone(),
                        source: Source::Srv,
                        detail: Some(format!("SRV {owner}")),
                        ports: vec![port],
                        addresses: Vec::new(),
                        not_probed: None,
                    }),
                }
            }
        }
        found.not_offered = not_offered == 2;
        found
    }

    /// Resolves (where not known yet) and probes candidates, all at once. Ports are filtered by
    /// `--port` and secured as `--security` says.
    async fn probe_candidates(&self, candidates: Vec<Candidate>) -> Part {
        let done = join_all(candidates.into_iter().map(|c| self.probe_candidate(c))).await;
        let mut part = Part::default();
        for (candidate, probed) in done {
            part.candidates.push(candidate);
            part.probed.extend(probed);
        }
        part
    }

    async fn probe_candidate(&self, mut candidate: Candidate) -> (Candidate, Vec<Probed>) {
        if candidate.not_probed.is_some() {
            return (candidate, Vec::new());
        }
        candidate.ports = self.ports(&candidate.ports);
        if candidate.ports.is_empty() {
            candidate.not_probed = Some(NotProbed::PortFiltered);
            return (candidate, Vec::new());
        }
        if candidate.addresses.is_empty() {
            candidate.addresses = self.resolve(&candidate.host).await.addresses;
        }
        if candidate.addresses.is_empty() {
            candidate.not_probed = Some(NotProbed::NoAddress);
            return (candidate, Vec::new());
        }
        let role = match candidate.source {
            Source::Mx | Source::ImplicitMx => Role::Inbound,
            _ => Role::Submission,
        };
        let endpoints = candidate
            .ports
            .iter()
            .flat_map(|&(port, security)| {
                let host = &candidate.host;
                let source = candidate.source;
                candidate.addresses.iter().map(move |&ip| Planned {
                    endpoint: Endpoint {
                        host: host.clone(),
                        ip,
                        port,
                        security,
                    },
                    role: Some(role),
                    source,
                })
            })
            .collect();
        let probed = self.probe(endpoints).await;
        (candidate, probed)
    }

    /// `--port` and `--security` applied to a host's ports.
    fn ports(&self, ports: &[(u16, Security)]) -> Vec<(u16, Security)> {
        let options = &self.plan.discovery;
        ports
            .iter()
            .filter(|(port, _)| {
                options.port_filter.is_empty() || options.port_filter.contains(port)
            })
            .map(|&(port, security)| (port, options.security.unwrap_or(security)))
            .collect()
    }

    /// Probes endpoints at once (bounded by [`CHECK_CONCURRENCY`] over the whole run), each with the
    /// reverse DNS of its address beside it.
    async fn probe(&self, endpoints: Vec<Planned>) -> Vec<Probed> {
        join_all(endpoints.into_iter().map(|planned| async move {
            let endpoint = planned.endpoint.clone();
            let ip = endpoint.ip;
            let probe = self.pool.probe(endpoint);
            let reverse = self.reverse(ip);
            futures::pin_mut!(probe, reverse);
            // Reverse DNS only adds to a probe: once the probe is done, a slow or dead DNS
            // server may hold the run for REVERSE_GRACE more, not for its whole timeout.
            let (observation, reverse) = match futures::future::select(probe, reverse).await {
                Either::Left((observation, reverse)) => {
                    let late = ReverseDns::Missing(LookupFailure::Timeout);
                    let reverse = tokio::time::timeout(REVERSE_GRACE, reverse)
                        .await
                        .unwrap_or(Some(late));
                    (observation, reverse)
                }
                Either::Right((reverse, probe)) => (probe.await, reverse),
            };
            Probed {
                planned,
                observation,
                reverse,
            }
        }))
        .await
    }

    /// The addresses of a host: from `--resolve` when pinned, else A and AAAA (as `-4`/`-6`
    /// allow), IPv4 first.
    async fn resolve(&self, host: &str) -> Resolved {
        let pins = self.pins(host);
        if pinned(self.plan, host) {
            return Resolved {
                addresses: pins,
                queries: Vec::new(),
            };
        }
        let Some(resolver) = &self.resolver else {
            return Resolved {
                addresses: Vec::new(),
                queries: Vec::new(),
            };
        };
        let queries = self
            .bounded(resolver.addresses(host, self.plan.family), Vec::new())
            .await;
        let addresses = usable_addresses(&queries, self.plan.family);
        Resolved { addresses, queries }
    }

    fn pins(&self, host: &str) -> Vec<IpAddr> {
        self.plan
            .pins
            .iter()
            .filter(|(name, ip)| name == host && self.plan.family.admits(*ip))
            .map(|(_, ip)| *ip)
            .collect()
    }

    async fn mx(&self, domain: &str) -> Result<Vec<Mx>, LookupFailure> {
        match &self.resolver {
            Some(resolver) => {
                self.bounded(resolver.mx(domain), Err(LookupFailure::Timeout))
                    .await
            }
            None => Err(LookupFailure::Other("no DNS configuration".to_string())),
        }
    }

    async fn srv_records(&self, owner: &str) -> Result<Vec<Srv>, LookupFailure> {
        match &self.resolver {
            Some(resolver) => {
                self.bounded(resolver.srv(owner), Err(LookupFailure::Timeout))
                    .await
            }
            None => Err(LookupFailure::Other("no DNS configuration".to_string())),
        }
    }

    /// The CNAME target when `host` is an alias (pinned names are taken as they are).
    async fn alias(&self, host: &str) -> Option<String> {
        if pinned(self.plan, host) {
            return None;
        }
        let resolver = self.resolver.as_ref()?;
        self.bounded(resolver.alias(host, self.plan.family), Ok(None))
            .await
            .ok()
            .flatten()
    }

    async fn reverse(&self, ip: IpAddr) -> Option<ReverseDns> {
        let resolver = self.resolver.as_ref()?;
        // An address this machine cannot reach is skipped, not probed: its name is not asked.
        // Nor is a loopback or link-local one's: the resolver or the hosts file would answer,
        // never DNS.
        if crate::probe::no_route(ip, 53).is_some() || reverse_is_local_only(ip) {
            return None;
        }
        let timeout = ReverseDns::Missing(LookupFailure::Timeout);
        Some(self.bounded(resolver.forward_confirmed(ip), timeout).await)
    }

    /// A look-up, given up at the run's deadline (`--max-time`) with `on_timeout`.
    async fn bounded<T>(&self, lookup: impl Future<Output = T>, on_timeout: T) -> T {
        tokio::time::timeout_at(self.deadline, lookup)
            .await
            .unwrap_or(on_timeout)
    }
}

/// Why a name has no address: the DNS said so (NXDOMAIN, NODATA), or it never answered
/// properly (no query at all finished in time counts as a timeout).
fn unresolved(queries: &[Query]) -> NotProbed {
    let failures: Vec<&LookupFailure> = queries
        .iter()
        .filter_map(|q| q.answer.as_ref().err())
        .filter(|f| !f.is_negative())
        .collect();
    if queries.is_empty() || failures.iter().any(|f| **f == LookupFailure::Timeout) {
        NotProbed::LookupFailed { timed_out: true }
    } else if failures.is_empty() {
        NotProbed::DoesNotResolve
    } else {
        NotProbed::LookupFailed { timed_out: false }
    }
}

/// The probed part of one MX host.
struct MxPart {
    addresses: Vec<IpAddr>,
    candidates: Vec<Candidate>,
    probed: Vec<Probed>,
}

/// The hosts of a preset as submission candidates on its ports.
fn preset_candidates(preset: &PresetHosts) -> Vec<Candidate> {
    let ports = if preset.ports.is_empty() {
        SUBMISSION_PORTS.to_vec()
    } else {
        preset.ports.clone()
    };
    preset
        .hosts
        .iter()
        .map(|host| Candidate {
            host: host.clone(),
            source: Source::Preset,
            detail: Some(format!("preset {} ({})", preset.id, preset.reason)),
            ports: ports.clone(),
            addresses: Vec::new(),
            not_probed: None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(Source::ImplicitMx.as_str(), "implicit_mx");
        assert_eq!(Role::Inbound.as_str(), "inbound");
        assert_eq!(TargetKind::Address.as_str(), "address");
        let preset = PresetHosts {
            id: "acme".into(),
            reason: "address domain acme.test".into(),
            hosts: vec!["smtp.acme.test".into()],
            ports: Vec::new(),
        };
        let candidates = preset_candidates(&preset);
        assert_eq!(candidates.len(), 1);
        assert_eq!(candidates[0].ports, SUBMISSION_PORTS.to_vec());
        assert_eq!(candidates[0].source, Source::Preset);
    }

    #[test]
    fn mapped_ports() {
        let discovery = Discovery {
            port_map: vec![(25, 2525), (587, 587)],
            ..Discovery::default()
        };
        assert_eq!(discovery.mapped_port(25), Some(2525));
        assert_eq!(discovery.mapped_port(587), None);
        assert_eq!(discovery.mapped_port(465), None);
    }
}
