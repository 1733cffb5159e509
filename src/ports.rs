//! `smtp-doctor ports`: is this network blocking or intercepting outbound SMTP? Probes
//! well-known control hosts (the `control` entries of providers.toml, plus the user's) on each
//! port at once, as far as needed to see who answers (connect, greeting, EHLO, STARTTLS or
//! implicit TLS, certificate; never AUTH or MAIL), classifies each probe and draws conclusions
//! per port ([`crate::verdict::network`]). No printing, no command-line types.
//!
//! The whole run is bounded by one connect timeout plus one step timeout, however many
//! endpoints: names are resolved within the connect timeout, and every probe shares the run's
//! deadline.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use futures::future::join_all;
use tokio::sync::Semaphore;
use tokio::time::{Instant, timeout_at};

use crate::check::SetupError;
use crate::dns::{Family, Query, Resolver};
use crate::model::{Endpoint, Observation, Security};
use crate::probe::{self, ProbeOptions};
use crate::providers::{Catalog, Preset};
use crate::tls::TlsClient;
use crate::verdict::network::{self, Class, Conclusion, Expectation, Fact};
use crate::verdict::{Finding, Severity};

/// Ports probed when none are named: server to server (25), submission with STARTTLS (587),
/// submission with implicit TLS (465).
pub const DEFAULT_PORTS: [u16; 3] = [25, 587, 465];

/// How many operators the built-in control hosts cover on each port.
pub const OPERATORS_PER_PORT: usize = 4;

/// How many probes run at the same time at most.
pub const CONCURRENCY: usize = 32;

/// The most (host, port) probes one run may make; more is a usage error (and more than
/// [`CONCURRENCY`] would no longer fit the run's time bound).
pub const MAX_PROBES: usize = CONCURRENCY;

/// A greeting slower than this (or than half the step timeout, when that is shorter) counts as
/// throttling: the well-known servers greet within a second.
pub const SLOW_GREETING: Duration = Duration::from_secs(3);

/// One control host and the ports to probe it on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Control {
    /// Host name (lower case) or address literal.
    pub host: String,
    /// Ports to probe it on.
    pub ports: Vec<u16>,
    /// Who runs it: the preset's operator, else the host itself.
    pub operator: String,
    /// The preset it belongs to, when one does.
    pub preset: Option<String>,
    /// From the built-in catalogue (`control` entries), not `--control`.
    pub builtin: bool,
}

/// A control host of the catalogue on one port: (port, host, its preset).
type Candidate<'a> = (u16, &'a str, &'a Preset);

/// The control hosts of the catalogue for `ports`: on each port the first `per_port`
/// operators, those with control hosts on most of the ports first (so one operator can be
/// compared across ports), then in catalogue order.
pub fn default_controls(catalog: &Catalog, ports: &[u16], per_port: usize) -> Vec<Control> {
    // Every operator's control hosts on the ports asked for, in catalogue order.
    let mut operators: Vec<(&str, Vec<Candidate<'_>>)> = Vec::new();
    for preset in catalog.presets() {
        for control in &preset.control {
            for &port in control.ports.iter().filter(|p| ports.contains(p)) {
                let name = preset.operator();
                if !operators.iter().any(|(n, _)| *n == name) {
                    operators.push((name, Vec::new()));
                }
                if let Some((_, hosts)) = operators.iter_mut().find(|(n, _)| *n == name) {
                    hosts.push((port, control.host.as_str(), preset));
                }
            }
        }
    }
    let coverage = |hosts: &[Candidate<'_>]| {
        let mut seen: Vec<u16> = hosts.iter().map(|(p, _, _)| *p).collect();
        seen.sort_unstable();
        seen.dedup();
        seen.len()
    };
    // Stable: equal coverage keeps catalogue order.
    operators.sort_by_key(|(_, hosts)| std::cmp::Reverse(coverage(hosts)));
    let mut controls: Vec<Control> = Vec::new();
    for &port in ports {
        let chosen = operators
            .iter()
            .filter_map(|(name, hosts)| {
                hosts
                    .iter()
                    .find(|(p, _, _)| *p == port)
                    .map(|h| (*name, h))
            })
            .take(per_port);
        for (operator, (_, host, preset)) in chosen {
            add_control(
                &mut controls,
                Control {
                    host: (*host).to_string(),
                    ports: vec![port],
                    operator: operator.to_string(),
                    preset: Some(preset.id.clone()),
                    builtin: true,
                },
            );
        }
    }
    // Rows in operator order, so one operator's hosts stand together.
    let rank = |c: &Control| {
        operators
            .iter()
            .position(|(name, _)| *name == c.operator)
            .unwrap_or(usize::MAX)
    };
    controls.sort_by_key(rank);
    controls
}

/// A control host the user named: its preset (by host name) when the catalogue knows it.
pub fn user_control(catalog: &Catalog, host: &str, ports: Vec<u16>) -> Control {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let preset = catalog.by_host(&host).map(|m| m.preset);
    Control {
        operator: preset.map_or_else(|| host.clone(), |p| p.operator().to_string()),
        preset: preset.map(|p| p.id.clone()),
        host,
        ports,
        builtin: false,
    }
}

/// Adds `control` to `controls`, merging its ports into an entry for the same host.
pub fn add_control(controls: &mut Vec<Control>, control: Control) {
    match controls.iter_mut().find(|c| c.host == control.host) {
        Some(existing) => {
            for port in control.ports {
                if !existing.ports.contains(&port) {
                    existing.ports.push(port);
                }
            }
            existing.builtin &= control.builtin;
        }
        None => controls.push(control),
    }
}

/// A validated `ports` run.
#[derive(Debug, Clone)]
pub struct PortsPlan {
    /// The ports, in the order shown.
    pub ports: Vec<u16>,
    /// The control hosts, in the order shown.
    pub controls: Vec<Control>,
    /// Address families to use.
    pub family: Family,
    /// DNS servers (empty: the system's).
    pub resolvers: Vec<SocketAddr>,
    /// Extra trust anchors.
    pub ca_file: Option<PathBuf>,
    /// Probe settings (timeouts, EHLO name).
    pub options: ProbeOptions,
    /// Presets, for fingerprints and documented ports.
    pub catalog: Catalog,
}

impl PortsPlan {
    /// How many probes the plan makes.
    pub fn probe_count(&self) -> usize {
        self.controls.iter().map(|c| c.ports.len()).sum()
    }
}

/// One probe of a control endpoint and its class.
#[derive(Debug, Clone)]
pub struct PortProbe {
    /// The control host.
    pub host: String,
    /// The port.
    pub port: u16,
    /// Who runs the host.
    pub operator: String,
    /// Its preset.
    pub preset: Option<String>,
    /// Built in, or named with `--control`.
    pub builtin: bool,
    /// What the probe showed.
    pub class: Class,
    /// Why, in words.
    pub reason: String,
    /// The address looked up and its answers (empty for an address literal).
    pub dns: Vec<Query>,
    /// The probe itself; `None` when the name did not resolve.
    pub observation: Option<Observation>,
}

/// A whole `ports` run.
#[derive(Debug, Clone)]
pub struct PortsReport {
    /// The ports, in the order shown.
    pub ports: Vec<u16>,
    /// Wall-clock time of the run.
    pub duration: Duration,
    /// One per (control host, port), in control then port order.
    pub probes: Vec<PortProbe>,
    /// Run-wide conclusions first, then per port.
    pub conclusions: Vec<Conclusion>,
    /// The findings the conclusions raise.
    pub findings: Vec<Finding>,
}

impl PortsReport {
    /// Number of findings of this severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// The probe of `host` on `port`, if there was one.
    pub fn probe(&self, host: &str, port: u16) -> Option<&PortProbe> {
        self.probes
            .iter()
            .find(|p| p.host == host && p.port == port)
    }
}

/// Runs the plan: resolve every control host, probe every (host, port) at once, classify,
/// conclude. `Err` only when the run cannot start (an unusable CA file).
pub async fn run(plan: &PortsPlan) -> Result<PortsReport, SetupError> {
    let started = Instant::now();
    let tls = TlsClient::new(plan.ca_file.as_deref()).map_err(|e| SetupError(e.to_string()))?;
    let connect = plan.options.connect_timeout;
    let engine = Engine {
        plan,
        tls: &tls,
        // Without a DNS configuration names fail (as DNS failures), addresses still work.
        resolver: Resolver::new(&plan.resolvers, connect).map_err(|e| e.to_string()),
        dns_deadline: started + connect,
        deadline: started + connect + plan.options.step_timeout,
        permits: Semaphore::new(CONCURRENCY),
    };
    let probes: Vec<PortProbe> = join_all(plan.controls.iter().map(|c| engine.control(c)))
        .await
        .into_iter()
        .flatten()
        .collect();
    let facts: Vec<Fact> = probes
        .iter()
        .map(|p| Fact {
            host: p.host.clone(),
            operator: p.operator.clone(),
            port: p.port,
            class: p.class,
            reason: p.reason.clone(),
        })
        .collect();
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
    tls: &'a TlsClient,
    resolver: Result<Resolver, String>,
    dns_deadline: Instant,
    deadline: Instant,
    permits: Semaphore,
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
        let observation = {
            // The semaphore is never closed; without a permit, probe anyway.
            let _permit = self.permits.acquire().await.ok();
            probe::probe_one(endpoint, &self.plan.options, self.tls, self.deadline).await
        };
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
        let mut addresses: Vec<IpAddr> = queries
            .iter()
            .filter_map(|q| q.answer.as_ref().ok())
            .flatten()
            .copied()
            .filter(|ip| self.plan.family.admits(*ip))
            .collect();
        addresses.sort_by_key(|ip| (ip.is_ipv6(), *ip));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_controls_cover_each_port_with_distinct_operators() {
        let catalog = Catalog::builtin().unwrap();
        let controls = default_controls(&catalog, &DEFAULT_PORTS, OPERATORS_PER_PORT);
        for port in DEFAULT_PORTS {
            let mut operators: Vec<&str> = controls
                .iter()
                .filter(|c| c.ports.contains(&port))
                .map(|c| c.operator.as_str())
                .collect();
            let count = operators.len();
            operators.dedup();
            assert_eq!(operators.len(), count, "one host per operator on {port}");
            assert!(count >= 3, "port {port}: {controls:?}");
            assert!(count <= OPERATORS_PER_PORT);
        }
        // The same operators on every port, so a blocked port can be compared with the others.
        let on = |port: u16| {
            let mut ops: Vec<&str> = controls
                .iter()
                .filter(|c| c.ports.contains(&port))
                .map(|c| c.operator.as_str())
                .collect();
            ops.sort_unstable();
            ops
        };
        assert_eq!(on(25), on(587));
        assert_eq!(on(587), on(465));
        assert!(controls.iter().all(|c| c.builtin && c.preset.is_some()));
        // 2525, the relays' alternative port: three sending services serve as controls.
        let alt = default_controls(&catalog, &[2525], 4);
        let mut operators: Vec<&str> = alt.iter().map(|c| c.operator.as_str()).collect();
        operators.sort_unstable();
        operators.dedup();
        assert_eq!(operators.len(), 3, "{operators:?}");
    }

    #[test]
    fn user_controls_merge_and_find_their_preset() {
        let catalog = Catalog::builtin().unwrap();
        let gmail = user_control(&catalog, "SMTP.Gmail.com.", vec![587]);
        assert_eq!(gmail.host, "smtp.gmail.com");
        assert_eq!(gmail.preset.as_deref(), Some("gmail"));
        assert_eq!(gmail.operator, "Google");
        let own = user_control(&catalog, "mail.example.net", vec![25, 587]);
        assert_eq!(own.operator, "mail.example.net");
        assert_eq!(own.preset, None);
        let mut controls = default_controls(&catalog, &[587], 4);
        let before = controls.len();
        add_control(&mut controls, gmail);
        add_control(&mut controls, own);
        assert_eq!(controls.len(), before + 1);
        let merged = controls
            .iter()
            .find(|c| c.host == "smtp.gmail.com")
            .unwrap();
        assert!(!merged.builtin);
    }
}
