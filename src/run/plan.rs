//! What a command is asked to do, validated: plain data built by the command line and read by
//! the pipelines. Nothing here does I/O.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use crate::dns::Family;
use crate::model::{DiscoveryOptions, Security};
use crate::probe::ProbeOptions;
use crate::probe::auth::AuthRequest;
use crate::providers::{Catalog, Choice, Preset};
use crate::target::Target;

/// A validated check: everything needed to run, nothing left to parse.
#[derive(Debug, Clone)]
pub struct CheckPlan {
    /// The parsed target.
    pub target: Target,
    /// Ports with the security used on each.
    pub ports: Vec<(u16, Security)>,
    /// Address families to probe.
    pub family: Family,
    /// DNS servers (empty: the system's).
    pub resolvers: Vec<SocketAddr>,
    /// Addresses pinned by `--resolve`, used instead of DNS for those names.
    pub pins: Vec<(String, IpAddr)>,
    /// Extra trust anchors.
    pub ca_file: Option<PathBuf>,
    /// `--trust-anchor`: DNSKEY records DNSSEC validation (for DANE) starts from instead of
    /// the root's.
    pub trust_anchor: Option<PathBuf>,
    /// Probe settings.
    pub options: ProbeOptions,
    /// How the target is read (server or mail domain) and a domain's endpoints chosen.
    pub discovery: DiscoveryOptions,
    /// `--provider ID`: judge against this preset (known to exist in `catalog`).
    pub provider: Option<String>,
    /// The run's provider decision for a typed server, made once from `--provider` and the
    /// host name ([`Catalog::for_server`]): it chose the ports, and the verdicts judge by it.
    /// A domain's decision is discovery's (`Discovery::preset`).
    pub preset: Option<Choice>,
    /// Provider presets: built in, the user's file, `--providers` files; shared by every plan
    /// of a batch (one copy, not one per line).
    pub catalog: Arc<Catalog>,
    /// The credential check and test message (`--user`, `--send-to`), when asked for.
    pub auth: Option<AuthRequest>,
    /// The ports the user named (`--port`, `host:port`, a URL or DSN's port): judged strictly;
    /// the others are probed only to inform ([`crate::verdict::weight`]). Empty: none named.
    pub named_ports: Vec<u16>,
}

/// The run could not start (an unusable CA file, no DNS configuration).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SetupError(pub String);

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

/// A validated `explain` run: the text to read and the catalogue whose known replies explain
/// it.
#[derive(Debug, Clone)]
pub struct ExplainPlan {
    /// The text: not empty, at most [`crate::explain::MAX_INPUT`] bytes.
    pub text: String,
    /// Provider presets: built in, the user's file, `--providers` files.
    pub catalog: Catalog,
}

/// Ports probed when none are named: server to server (25), submission with STARTTLS (587),
/// submission with implicit TLS (465).
pub const DEFAULT_PORTS: [u16; 3] = [25, 587, 465];

/// How many operators the built-in control hosts cover on each port.
pub const OPERATORS_PER_PORT: usize = 4;

/// The most (host, port) probes one run may make; more is a usage error (and more than
/// that would no longer fit the run's time bound, since all of them run at once).
pub const MAX_PROBES: usize = 32;

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

/// One input line.
#[derive(Debug)]
pub struct BatchItem {
    /// 1-based line number in the input.
    pub line: usize,
    /// The line as given (trimmed).
    pub input: String,
    /// Its plan, or why the line is not a usable target.
    pub plan: Result<CheckPlan, String>,
}

/// What to run.
#[derive(Debug)]
pub struct BatchPlan {
    /// The targets, in input order.
    pub items: Vec<BatchItem>,
    /// Targets checked at once.
    pub concurrency: usize,
    /// Connections to one address at once.
    pub per_address: usize,
    /// `--ca-file`, shared by every target.
    pub ca_file: Option<PathBuf>,
}
