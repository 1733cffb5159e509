//! `smtp-doctor ports`: is this network blocking or intercepting outbound SMTP? Probes
//! well-known control hosts (the `control` entries of providers.toml, plus the user's) on each
//! port at once, as far as needed to see who answers (connect, greeting, EHLO, STARTTLS or
//! implicit TLS, certificate; never AUTH or MAIL), classifies each probe and draws conclusions
//! per port ([`crate::verdict::network`]). No printing, no command-line types.
//!
//! The whole run is bounded by one connect timeout plus one step timeout, however many
//! endpoints: names are resolved within the connect timeout, and every probe shares the run's
//! deadline.

use std::net::IpAddr;
use std::time::Duration;

use futures::future::join_all;
use tokio::time::{Instant, timeout_at};

use crate::dns::{Query, Resolver, usable_addresses};
use crate::model::{Endpoint, Security};
use crate::probe::Pool;
use crate::providers::Preset;
use crate::run::outcome::{PortProbe, PortsReport};
use crate::run::plan::{Control, MAX_PROBES, PortsPlan, SetupError};
use crate::tls::TlsClient;
use crate::verdict::network::{self, Class, Expectation, Fact};

/// A greeting slower than this (or than half the step timeout, when that is shorter) counts as
/// throttling: the well-known servers greet within a second.
pub const SLOW_GREETING: Duration = Duration::from_secs(3);

/// Runs the plan: resolve every control host, probe every (host, port) at once, classify,
/// conclude. `Err` only when the run cannot start (an unusable CA file).
pub async fn run(plan: &PortsPlan) -> Result<PortsReport, SetupError> {
    let started = Instant::now();
    let tls = TlsClient::new(plan.ca_file.as_deref()).map_err(|e| SetupError(e.to_string()))?;
    let connect = plan.options.connect_timeout;
    let deadline = started + connect + plan.options.step_timeout;
    let engine = Engine {
        plan,
        // Without a DNS configuration names fail (as DNS failures), addresses still work.
        resolver: Resolver::new(&plan.resolvers, connect).map_err(|e| e.to_string()),
        dns_deadline: started + connect,
        // Every probe of the plan at once: MAX_PROBES bounds the plan, so none waits.
        // An operator's port that gets no answer while its other ports answered quickly is
        // decided early (adaptive timeouts); the connect timeout stays the bound.
        pool: Pool::new(MAX_PROBES, &plan.options, &tls, deadline).paced(),
    };
    let probes: Vec<PortProbe> = join_all(plan.controls.iter().map(|c| engine.control(c)))
        .await
        .into_iter()
        .flatten()
        .collect();
    let facts: Vec<Fact> = probes.iter().map(PortProbe::fact).collect();
    let conclusions = network::conclude(&plan.ports, &facts);
    let findings = network::findings(&conclusions);
    Ok(PortsReport {
        ports: plan.ports.clone(),
        duration: started.elapsed(),
        probes,
        conclusions,
        findings,
    })
}

struct Engine<'a> {
    plan: &'a PortsPlan,
    resolver: Result<Resolver, String>,
    dns_deadline: Instant,
    pool: Pool<'a>,
}

impl Engine<'_> {
    /// Resolves one control host, then probes it on its ports at once; one result per port,
    /// in the run's port order.
    async fn control(&self, control: &Control) -> Vec<PortProbe> {
        let (address, dns, failure) = self.resolve(&control.host).await;
        let ports: Vec<u16> = self
            .plan
            .ports
            .iter()
            .copied()
            .filter(|p| control.ports.contains(p))
            .collect();
        let preset = control
            .preset
            .as_deref()
            .and_then(|id| self.plan.catalog.get(id));
        join_all(ports.into_iter().map(|port| {
            let dns = dns.clone();
            let failure = failure.clone();
            async move {
                let base = PortProbe {
                    host: control.host.clone(),
                    port,
                    operator: control.operator.clone(),
                    preset: control.preset.clone(),
                    builtin: control.builtin,
                    class: Class::Unresolved,
                    reason: failure.unwrap_or_default(),
                    dns,
                    observation: None,
                };
                match address {
                    Some(ip) => self.probe(base, ip, control, preset).await,
                    None => base,
                }
            }
        }))
        .await
    }

    /// Probes one endpoint and classifies what it saw.
    async fn probe(
        &self,
        mut result: PortProbe,
        ip: IpAddr,
        control: &Control,
        preset: Option<&Preset>,
    ) -> PortProbe {
        let port = result.port;
        let documented = preset.and_then(|p| p.port(port));
        let security = documented.map_or_else(
            || Security::default_for_port(port),
            |spec| spec.security.probe_security(),
        );
        let endpoint = Endpoint {
            host: control.host.clone(),
            ip,
            port,
            security,
        };
        let observation = self.pool.probe_in(endpoint, &control.operator).await;
        // Built-in control hosts are chosen because they offer STARTTLS on their STARTTLS
        // ports; a user's host only when its preset says so.
        let starttls = security == Security::Starttls
            && (control.builtin || documented.is_some_and(|s| s.security.offers_starttls()));
        let expect = Expectation {
            preset,
            starttls,
            slow_greeting: SLOW_GREETING.min(self.plan.options.step_timeout / 2),
        };
        let classified = network::classify(&observation, &expect);
        result.class = classified.class;
        result.reason = classified.reason;
        result.observation = Some(observation);
        result
    }

    /// The address to probe (IPv4 first, as `-4`/`-6` allow), the queries made, and why there
    /// is none.
    async fn resolve(&self, host: &str) -> (Option<IpAddr>, Vec<Query>, Option<String>) {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return if self.plan.family.admits(ip) {
                (Some(ip), Vec::new(), None)
            } else {
                (
                    None,
                    Vec::new(),
                    Some(format!("{ip} is not of the family chosen (-4/-6)")),
                )
            };
        }
        let resolver = match &self.resolver {
            Ok(resolver) => resolver,
            Err(e) => return (None, Vec::new(), Some(e.clone())),
        };
        let queries = timeout_at(
            self.dns_deadline,
            resolver.addresses(host, self.plan.family),
        )
        .await
        .unwrap_or_default();
        let addresses = usable_addresses(&queries, self.plan.family);
        match addresses.first() {
            Some(ip) => (Some(*ip), queries, None),
            None => {
                let why = dns_failure(&queries);
                (None, queries, Some(why))
            }
        }
    }
}

/// Why a name has no address, from its queries: `A: the DNS server failed (SERVFAIL); AAAA:
/// ...`, or a timeout when no query finished in time.
fn dns_failure(queries: &[Query]) -> String {
    let failures: Vec<String> = queries
        .iter()
        .filter_map(|q| match &q.answer {
            Err(failure) => Some(format!("{} {failure}", q.record_type)),
            Ok(_) => None,
        })
        .collect();
    if failures.is_empty() {
        if queries.is_empty() {
            "no DNS answer in time".to_string()
        } else {
            "no address of the family chosen".to_string()
        }
    } else {
        failures.join("; ")
    }
}
