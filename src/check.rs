//! A check run: the validated plan and the pipeline that turns it into a report (resolve,
//! probe every endpoint at once, judge). No printing, no command-line types.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Instant;

use crate::dns::{Family, LookupFailure, Resolver};
use crate::model::{Endpoint, Security};
use crate::probe::{self, ProbeOptions};
use crate::report::{Report, TargetInfo};
use crate::target::{Host, Target};
use crate::tls::TlsClient;
use crate::verdict::{self, Finding, Severity};

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
    /// Probe settings.
    pub options: ProbeOptions,
}

/// The run could not start (an unusable CA file, no DNS configuration).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SetupError(pub String);

/// Runs a plan: resolve, probe every endpoint at once, judge. Failures of what is probed are in
/// the report; `Err` only when the run could not start (e.g. an unusable CA file).
pub async fn run(plan: &CheckPlan) -> Result<Report, SetupError> {
    let started = Instant::now();
    let tls = TlsClient::new(plan.ca_file.as_deref()).map_err(|e| SetupError(e.to_string()))?;
    let mut findings = Vec::new();
    let (host, ips) = match &plan.target.host {
        Host::Ip(ip) => (ip.to_string(), vec![*ip]),
        Host::Name(name) if plan.pins.iter().any(|(n, _)| n == name) => {
            let ips: Vec<IpAddr> = plan
                .pins
                .iter()
                .filter(|(n, ip)| n == name && plan.family.admits(*ip))
                .map(|(_, ip)| *ip)
                .collect();
            if ips.is_empty() {
                return Err(SetupError(format!(
                    "--resolve gives {name} no address of the chosen family (-4/-6)"
                )));
            }
            (name.clone(), ips)
        }
        Host::Name(name) => {
            let resolver = Resolver::new(&plan.resolvers, plan.options.step_timeout)
                .map_err(|e| SetupError(e.to_string()))?;
            let queries = resolver.addresses(name, plan.family).await;
            let mut ips: Vec<IpAddr> = queries
                .iter()
                .filter_map(|q| q.answer.as_ref().ok())
                .flatten()
                .copied()
                .collect();
            ips.sort_by_key(|ip| (ip.is_ipv6(), *ip));
            ips.dedup();
            if ips.is_empty() {
                findings.push(no_address_finding(name, &queries));
            }
            (name.clone(), ips)
        }
    };
    let endpoints: Vec<Endpoint> = plan
        .ports
        .iter()
        .flat_map(|&(port, security)| {
            let host = host.clone();
            ips.iter().map(move |&ip| Endpoint {
                host: host.clone(),
                ip,
                port,
                security,
            })
        })
        .collect();
    let observations = probe::run(endpoints, &plan.options, &tls).await;
    findings.extend(verdict::judge(&observations));
    Ok(Report {
        target: TargetInfo {
            input: plan.target.input.clone(),
            kind: plan.target.kind(),
        },
        duration: started.elapsed(),
        observations,
        findings,
    })
}

fn no_address_finding(name: &str, queries: &[crate::dns::Query]) -> Finding {
    let failures: Vec<&LookupFailure> = queries
        .iter()
        .filter_map(|q| q.answer.as_ref().err())
        .collect();
    let (id, message, advice) = if failures.contains(&&LookupFailure::NxDomain) {
        (
            "dns.nxdomain",
            format!("{name} does not exist in DNS (NXDOMAIN)."),
            "Check the spelling of the server name in the client's settings.",
        )
    } else if failures.contains(&&LookupFailure::Timeout) {
        (
            "dns.timeout",
            format!("The DNS look-up of {name} timed out."),
            "Check this machine's DNS settings and network, or give a working server with --resolver.",
        )
    } else if failures
        .iter()
        .any(|f| matches!(f, LookupFailure::ServFail(_)))
    {
        (
            "dns.servfail",
            format!("The DNS server failed to answer for {name} (SERVFAIL)."),
            "The domain's DNS is broken (often DNSSEC or a dead name server); retry later or ask its owner.",
        )
    } else {
        let detail: Vec<String> = failures.iter().map(|f| f.to_string()).collect();
        (
            "dns.no_address",
            format!(
                "{name} has no address to connect to ({}).",
                detail.join("; ")
            ),
            "Check the server name; the name exists but has no A or AAAA record for the chosen address family.",
        )
    };
    Finding {
        id,
        severity: Severity::Error,
        endpoint: None,
        ip: None,
        message,
        advice: advice.to_string(),
    }
}
