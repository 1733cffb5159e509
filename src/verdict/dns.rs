//! DNS verdicts: pure functions from what discovery found ([`Discovery`]: look-up results,
//! where each endpoint came from) and the observations of the endpoints to findings. What a
//! domain's MX set says, why a host has no address, failed SRV look-ups, a domain without a
//! submission server, reverse DNS of the probed addresses, the names a server gives itself, and
//! a broken IPv6 path. No I/O: discovery gathers the facts, [`judge`] reads them.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::{Finding, FindingId, Severity};
use crate::dns::{
    ForwardCheck, LookupFailure, Mx, Query, ReverseDns, is_null_mx, is_private,
    reverse_is_local_only,
};
use crate::model::{
    Discovery, Endpoint, NotProbed, Observation, Phase, Role, Source, State, TargetKind,
};

/// Every DNS finding of a run, in the order a reader meets them: the typed server (no address,
/// a failed MX look-up of a name then checked as a server), else the domain's submission side
/// (failed SRV look-ups, no submission server) and receiving side (the MX set, each MX host);
/// then each endpoint's reverse DNS and, on the receiving side, the names the server gives
/// itself; last, a broken IPv6 path.
pub fn judge(discovery: &Discovery, observations: &[Observation]) -> Vec<Finding> {
    let mut out = Vec::new();
    match &discovery.domain {
        None => server(discovery, &mut out),
        Some(domain) => {
            if let Some(section) = discovery.section(Role::Submission) {
                for (owner, failure) in &discovery.srv_failures {
                    let what = format!("the SRV look-up of {owner}");
                    out.extend(lookup_failed(&what, failure, Severity::Warning));
                }
                let guesses: Vec<&str> = section
                    .candidates
                    .iter()
                    .filter(|c| c.source == Source::Guess)
                    .map(|c| c.host.as_str())
                    .collect();
                let none_resolves = section.candidates.iter().all(|c| {
                    c.source == Source::Guess
                        && matches!(
                            c.not_probed,
                            Some(NotProbed::DoesNotResolve | NotProbed::LookupFailed { .. })
                        )
                });
                if !guesses.is_empty() && none_resolves {
                    out.extend(unresolved_guesses(domain, &section.candidates));
                }
            }
            if discovery.section(Role::Inbound).is_some() {
                inbound(domain, discovery, &mut out);
            }
        }
    }
    for obs in observations {
        let endpoint = &obs.endpoint;
        let rdns = discovery.reverse.get(&endpoint.ip);
        // Only a server that answered sends mail from that address: nothing listening, or a
        // path that never connected, gives its PTR no weight.
        let answered = !matches!(
            obs.state,
            State::Refused | State::Unreachable | State::Skipped
        ) && obs.error.as_ref().is_none_or(|e| e.phase != Phase::Connect);
        if let Some(rdns) = rdns.filter(|_| answered) {
            out.extend(reverse(endpoint, rdns));
        }
        let origin = discovery.origin(endpoint);
        if origin.is_some_and(|p| p.role == Some(Role::Inbound)) {
            out.extend(server_names(obs, &endpoint.host, rdns));
        }
    }
    out.extend(ipv6_broken(observations));
    out
}

/// A typed server: a name without addresses, and a failed MX look-up of a bare name that was
/// then checked as a server (only when the server itself resolved: otherwise the address
/// look-ups' failure says it already).
fn server(discovery: &Discovery, out: &mut Vec<Finding>) {
    for lookup in &discovery.lookups {
        if lookup.addresses.is_empty() {
            out.push(no_address(&lookup.host, &lookup.queries));
        }
    }
    if discovery.kind != TargetKind::Host || discovery.planned.is_empty() {
        return;
    }
    if let (Some(Err(failure)), Some(first)) = (&discovery.mx, discovery.planned.first())
        && !failure.is_negative()
    {
        let what = format!(
            "the MX look-up of {} (checked as a server)",
            first.endpoint.host
        );
        out.extend(lookup_failed(&what, failure, Severity::Warning));
    }
}

/// The receiving side of a domain: its MX set (with the domain's own addresses when it has no
/// MX records), then each probed MX host.
fn inbound(domain: &str, discovery: &Discovery, out: &mut Vec<Finding>) {
    let Some(answer) = &discovery.mx else {
        return;
    };
    let fallback: Vec<IpAddr> = discovery
        .section(Role::Inbound)
        .into_iter()
        .flat_map(|s| &s.candidates)
        .filter(|c| c.source == Source::ImplicitMx)
        .flat_map(|c| c.addresses.iter().copied())
        .collect();
    out.extend(mx_set(domain, answer, &fallback));
    let Ok(records) = answer else {
        return;
    };
    let resolvable = discovery
        .lookups
        .iter()
        .filter(|l| !l.addresses.is_empty())
        .count();
    for lookup in &discovery.lookups {
        let Some(record) = records.iter().find(|m| m.exchange == lookup.host) else {
            continue;
        };
        let others_resolve = resolvable > usize::from(!lookup.addresses.is_empty());
        out.extend(mx_host(
            domain,
            record,
            lookup.alias.as_deref(),
            &lookup.queries,
            others_resolve,
        ));
    }
}

/// Why a host (a typed server, an SRV target, a preset host) has no address to connect to;
/// the failure that explains it best: NXDOMAIN, then timeout, then SERVFAIL, else "no address".
pub fn no_address(name: &str, queries: &[Query]) -> Finding {
    let failures: Vec<&LookupFailure> = queries
        .iter()
        .filter_map(|q| q.answer.as_ref().err())
        .collect();
    let (id, message, advice) = if failures.contains(&&LookupFailure::NxDomain) {
        (
            FindingId::DnsNxdomain,
            format!("{name} does not exist in DNS (NXDOMAIN)."),
            "Check the spelling of the server name in the client's settings.",
        )
    } else if failures.contains(&&LookupFailure::Timeout) {
        (
            FindingId::DnsTimeout,
            format!("The DNS look-up of {name} timed out."),
            TIMEOUT_ADVICE,
        )
    } else if failures
        .iter()
        .any(|f| matches!(f, LookupFailure::ServFail(_)))
    {
        (
            FindingId::DnsServfail,
            format!("The DNS server failed to answer for {name} (SERVFAIL)."),
            SERVFAIL_ADVICE,
        )
    } else {
        let detail: Vec<String> = failures.iter().map(|f| f.to_string()).collect();
        (
            FindingId::DnsNoAddress,
            format!(
                "{name} has no address to connect to ({}).",
                detail.join("; ")
            ),
            "Check the server name; the name exists but has no A or AAAA record for the chosen address family.",
        )
    };
    general(id, Severity::Error, message, advice)
}

const TIMEOUT_ADVICE: &str = "Check this machine's DNS settings and network, or give a working server with --resolver; if only this domain times out, its name servers are down or unreachable.";
const SERVFAIL_ADVICE: &str = "The domain's DNS is broken (often DNSSEC or a dead name server); retry later or ask its owner.";

/// A look-up that failed without a negative answer (SERVFAIL, REFUSED, timeout, ...), as
/// `dns.timeout` or `dns.servfail`; `what` says which look-up (`the MX look-up of example.com`).
/// NXDOMAIN and NODATA are not failures and give `None`.
pub fn lookup_failed(what: &str, failure: &LookupFailure, severity: Severity) -> Option<Finding> {
    match failure {
        LookupFailure::NxDomain | LookupFailure::NoData => None,
        LookupFailure::Timeout => Some(general(
            FindingId::DnsTimeout,
            severity,
            format!("{} timed out.", capitalised(what)),
            TIMEOUT_ADVICE,
        )),
        other => Some(general(
            FindingId::DnsServfail,
            severity,
            format!("{} failed: {other}.", capitalised(what)),
            SERVFAIL_ADVICE,
        )),
    }
}

/// What the MX answer of `domain` says: no MX (with the RFC 5321 fallback to `fallback`, the
/// domain's own addresses), a null MX, a null MX mixed with others, a domain that does not
/// exist, or a failed look-up. An ordinary MX set gives nothing here ([`mx_host`] judges its
/// hosts).
pub fn mx_set(
    domain: &str,
    answer: &Result<Vec<Mx>, LookupFailure>,
    fallback: &[IpAddr],
) -> Vec<Finding> {
    let records = match answer {
        Ok(records) => records,
        Err(LookupFailure::NxDomain) => {
            return vec![general(
                FindingId::DnsNxdomain,
                Severity::Error,
                format!(
                    "The domain {domain} does not exist in DNS (NXDOMAIN): mail to it cannot be delivered."
                ),
                "Check the spelling of the domain; if it is yours, check that it is registered and delegated to working name servers.",
            )];
        }
        Err(LookupFailure::NoData) if fallback.is_empty() => {
            return vec![general(
                FindingId::DnsNoMx,
                Severity::Error,
                format!(
                    "{domain} has no MX records and no address records: mail to it cannot be delivered."
                ),
                "Publish MX records naming the domain's mail servers, or a null MX (`0 .`, RFC 7505) if the domain receives no mail.",
            )];
        }
        Err(LookupFailure::NoData) => {
            return vec![general(
                FindingId::DnsNoMx,
                Severity::Warning,
                format!(
                    "{domain} has no MX records; senders fall back to its address records ({}) as RFC 5321 section 5.1 says, so mail goes to {domain} itself.",
                    join_ips(fallback)
                ),
                "Publish an MX record naming the mail server, even when it is this same host: the implicit fallback works, but is fragile and often a forgotten record.",
            )];
        }
        Err(failure) => {
            let what = format!("the MX look-up of {domain}");
            return lookup_failed(&what, failure, Severity::Error)
                .into_iter()
                .collect();
        }
    };
    if is_null_mx(records) {
        return vec![general(
            FindingId::DnsNullMx,
            Severity::Warning,
            format!(
                "{domain} publishes a null MX (RFC 7505): it accepts no mail, and mail to its addresses bounces at once."
            ),
            "Nothing to do if the domain should receive no mail; otherwise replace the null MX with MX records of the mail servers.",
        )];
    }
    if records.iter().any(Mx::is_root) {
        return vec![general(
            FindingId::DnsNullMx,
            Severity::Error,
            format!(
                "{domain} mixes a null MX (`.`) with other MX records, which RFC 7505 section 3 forbids; senders may treat the domain as accepting no mail."
            ),
            "Remove the `.` MX record if the domain receives mail, or every other MX record if it does not.",
        )];
    }
    Vec::new()
}

/// What is wrong with one MX host of `domain`: written as an IP address, an alias (CNAME), or
/// without addresses. `alias` is the CNAME target when the name is one; `queries` its address
/// look-ups (empty when not looked up, as for an IP literal); `others_resolve` whether another
/// MX host of the domain has addresses (then an unresolvable one is a warning, not an error).
pub fn mx_host(
    domain: &str,
    mx: &Mx,
    alias: Option<&str>,
    queries: &[Query],
    others_resolve: bool,
) -> Vec<Finding> {
    let host = &mx.exchange;
    if let Some(ip) = mx.ip_literal() {
        return vec![general(
            FindingId::DnsMxIsIp,
            Severity::Error,
            format!(
                "The MX record of {domain} names {ip}, an IP address, where RFC 5321 section 5.1 requires a host name: senders look it up as a name and fail."
            ),
            "Replace it with a host name (e.g. mx.<domain>) whose A/AAAA record is that address.",
        )];
    }
    let mut findings = Vec::new();
    if let Some(target) = alias {
        findings.push(general(
            FindingId::DnsMxIsCname,
            Severity::Warning,
            format!("The MX host {host} of {domain} is an alias (CNAME to {target}); RFC 2181 section 10.3 says an MX must name the canonical host."),
            "Point the MX record at the canonical name directly; most senders follow the alias, but some refuse or delay such mail.",
        ));
    }
    let addresses: Vec<IpAddr> = queries
        .iter()
        .filter_map(|q| q.answer.as_ref().ok())
        .flatten()
        .copied()
        .collect();
    if addresses.is_empty() {
        let detail: Vec<String> = queries
            .iter()
            .filter_map(|q| {
                q.answer
                    .as_ref()
                    .err()
                    .map(|e| format!("{}: {e}", q.record_type))
            })
            .collect();
        let (severity, consequence) = if others_resolve {
            (
                Severity::Warning,
                "senders skip it for the other MX hosts, after a delay",
            )
        } else {
            (
                Severity::Error,
                "no MX host of the domain resolves, so mail to it cannot be delivered",
            )
        };
        findings.push(general(
            FindingId::DnsMxUnresolvable,
            severity,
            format!(
                "The MX host {host} of {domain} has no address ({}): {consequence}.",
                if detail.is_empty() { "no look-up answered".to_string() } else { detail.join("; ") }
            ),
            "Publish A (and AAAA) records for the MX host, or change the MX record to a host that has them.",
        ));
    }
    findings
}

/// Reverse DNS of a probed address, judged where receivers judge it: on port 25 (a server that
/// receives mail usually sends too, and receivers check the sending address's PTR and that it
/// resolves back). Submission endpoints give nothing: mail clients do not care. Nor do private
/// and local addresses, which no receiver on the internet sees.
pub fn reverse(endpoint: &Endpoint, reverse: &ReverseDns) -> Option<Finding> {
    if endpoint.port != 25 || is_private(endpoint.ip) || reverse_is_local_only(endpoint.ip) {
        return None;
    }
    let ip = endpoint.ip;
    let (id, message, advice) = match reverse {
        ReverseDns::Confirmed { .. } => return None,
        ReverseDns::Missing(failure) => {
            let why = match failure {
                LookupFailure::NxDomain | LookupFailure::NoData => {
                    "has no reverse DNS (PTR) name".to_string()
                }
                other => format!("has no reverse DNS name that could be read ({other})"),
            };
            (
                FindingId::DnsPtrMissing,
                format!("{ip} ({}) {why}.", endpoint.label()),
                "Ask whoever runs the address (the hosting provider or ISP) for a PTR record naming the server (its MX or greeting name), with that name's A/AAAA record pointing back; many receivers refuse mail from addresses without one.",
            )
        }
        ReverseDns::Mismatch(checks) => (
            FindingId::DnsPtrMismatch,
            format!(
                "The reverse DNS of {ip} ({}) does not resolve back to it (forward-confirmed reverse DNS fails): {}.",
                endpoint.label(),
                describe_checks(checks)
            ),
            "Make the PTR name's A/AAAA record include this address, or change the PTR to a name that does; receivers use this check to judge sending servers.",
        ),
    };
    Some(Finding {
        id,
        severity: Severity::Warning,
        endpoint: Some(endpoint.label()),
        ip: Some(ip),
        message,
        advice: advice.to_string(),
    })
}

fn describe_checks(checks: &[ForwardCheck]) -> String {
    if checks.is_empty() {
        return "the PTR answer named no host".to_string();
    }
    checks
        .iter()
        .map(|check| match &check.addresses {
            Ok(addresses) => format!("{} resolves to {}", check.name, join_ips(addresses)),
            Err(failure) => format!("{} does not resolve ({failure})", check.name),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The names a receiving server gives itself (the greeting's host name and the EHLO domain)
/// against the names DNS gives it (the MX host name it was reached by, and the PTR names of its
/// address). A name that is neither is a warning with the usual causes; a server known by one
/// of them is fine (big providers greet with a name of their own that has a matching PTR).
pub fn server_names(
    obs: &Observation,
    mx_name: &str,
    reverse: Option<&ReverseDns>,
) -> Option<Finding> {
    let mut known: Vec<String> = vec![normalise(mx_name)];
    known.extend(ptr_names(reverse).into_iter().map(|n| normalise(&n)));
    let banner = obs
        .banner
        .as_ref()
        .filter(|reply| reply.code == 220)
        .and_then(|reply| reply.lines.first())
        .and_then(|line| line.split_whitespace().next())
        .filter(|word| !word.starts_with('['))
        .map(normalise);
    let ehlo = obs
        .final_ehlo()
        .map(|ehlo| normalise(&ehlo.domain))
        .filter(|domain| !domain.is_empty() && !domain.starts_with('['));
    let mut odd: Vec<String> = Vec::new();
    for (what, name) in [("greets as", banner), ("names itself in EHLO", ehlo)] {
        if let Some(name) = name
            && !known.contains(&name)
            && !odd.iter().any(|o| o.ends_with(&format!(" {name}")))
        {
            odd.push(format!("{what} {name}"));
        }
    }
    if odd.is_empty() {
        return None;
    }
    let ptr = ptr_names(reverse);
    let ptr_text = if reverse.is_none() {
        "its reverse DNS was not looked up".to_string()
    } else if ptr.is_empty() {
        "it has no PTR name".to_string()
    } else {
        format!("its PTR name is {}", ptr.join(", "))
    };
    Some(Finding {
        id: FindingId::SmtpNameMismatch,
        severity: Severity::Warning,
        endpoint: Some(obs.endpoint.label()),
        ip: Some(obs.endpoint.ip),
        message: format!(
            "{} {}, which is neither the MX name {} nor its reverse DNS name ({ptr_text}).",
            obs.endpoint.describe(),
            odd.join(" and "),
            normalise(mx_name),
        ),
        advice: "Usual causes: the server's own host name (Postfix myhostname, Exchange FQDN) was never set to its public name, a provider's or load balancer's front end answers, or the PTR was not updated after a move. Set the server's name to the MX name and give its address a matching PTR; some receivers and spam filters score a mismatch.".to_string(),
    })
}

fn ptr_names(reverse: Option<&ReverseDns>) -> Vec<String> {
    match reverse {
        Some(ReverseDns::Confirmed { name }) => vec![name.clone()],
        Some(ReverseDns::Mismatch(checks)) => checks.iter().map(|c| c.name.clone()).collect(),
        Some(ReverseDns::Missing(_)) | None => Vec::new(),
    }
}

/// `dns.ipv6_only_broken`: for each host name, when it has IPv6 endpoints that were probed and
/// every one of them failed, while an IPv4 endpoint of the same host works. Skipped endpoints
/// (this machine has no IPv6 route) prove nothing and are left out.
pub fn ipv6_broken<'a>(observations: impl IntoIterator<Item = &'a Observation>) -> Vec<Finding> {
    // host -> (v4 working, v6 probed, v6 working, v6 states)
    let mut hosts: BTreeMap<&str, (bool, usize, bool, Vec<String>)> = BTreeMap::new();
    let mut order: Vec<&str> = Vec::new();
    for obs in observations {
        if obs.state == State::Skipped {
            continue;
        }
        let host = obs.endpoint.host.as_str();
        if !hosts.contains_key(host) {
            order.push(host);
        }
        let entry = hosts.entry(host).or_default();
        let works = obs.state == State::Ok;
        if is_v6(obs.endpoint.ip) {
            entry.1 += 1;
            entry.2 |= works;
            let what = format!("{} {}", obs.endpoint.address_label(), obs.state);
            entry.3.push(what);
        } else {
            entry.0 |= works;
        }
    }
    order
        .into_iter()
        .filter_map(|host| {
            let (v4_works, v6_probed, v6_works, states) = hosts.get(host)?;
            (*v4_works && *v6_probed > 0 && !*v6_works).then(|| {
                general(
                    FindingId::DnsIpv6OnlyBroken,
                    Severity::Warning,
                    format!(
                        "{host} has IPv6 addresses (AAAA) that all fail ({}) while IPv4 works: clients and servers that prefer IPv6 meet errors or delays.",
                        states.join(", ")
                    ),
                    "Fix the server's IPv6 (listening address, firewall, routing), or remove the AAAA records until it works.",
                )
            })
        })
        .collect()
}

/// An IPv6 address that is not an IPv4 address in IPv6 clothing.
fn is_v6(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(_) => false,
        IpAddr::V6(v6) => v6.to_ipv4_mapped().is_none(),
    }
}

/// No usual name resolved: `dns.no_submission` when the DNS said they do not exist, else what
/// kept the DNS from saying (a timeout or a failure per name): then whether they exist is
/// unknown, and saying "do not resolve" would be wrong.
fn unresolved_guesses(domain: &str, guesses: &[crate::model::Candidate]) -> Vec<Finding> {
    let failed: Vec<Finding> = guesses
        .iter()
        .filter_map(|c| match c.not_probed {
            Some(NotProbed::LookupFailed { timed_out }) => {
                let failure = if timed_out {
                    LookupFailure::Timeout
                } else {
                    LookupFailure::Other("the DNS server answered with an error".to_string())
                };
                let what = format!("the address look-up of {}", c.host);
                lookup_failed(&what, &failure, Severity::Warning)
            }
            _ => None,
        })
        .collect();
    if !failed.is_empty() {
        return failed;
    }
    let tried: Vec<String> = guesses.iter().map(|c| c.host.clone()).collect();
    vec![no_submission(domain, &tried)]
}

/// `dns.no_submission`: nothing told where a mail client of `domain` should send, and none of
/// the usual guesses (`tried`) resolves.
pub fn no_submission(domain: &str, tried: &[String]) -> Finding {
    general(
        FindingId::DnsNoSubmission,
        Severity::Warning,
        format!(
            "No submission server found for {domain}: no provider preset matches, no SRV records (RFC 6186), and {} {}.",
            if tried.is_empty() {
                "no usual name".to_string()
            } else {
                tried.join(", ")
            },
            if tried.len() == 1 {
                "does not resolve"
            } else {
                "do not resolve"
            }
        ),
        "Look up the SMTP server in the mail provider's documentation and check it with smtp-doctor check HOST; a provider can publish _submissions._tcp SRV records so clients find it themselves.",
    )
}

fn general(id: FindingId, severity: Severity, message: String, advice: &str) -> Finding {
    Finding {
        id,
        severity,
        endpoint: None,
        ip: None,
        message,
        advice: advice.to_string(),
    }
}

fn normalise(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

fn join_ips(ips: &[IpAddr]) -> String {
    ips.iter()
        .map(IpAddr::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Candidate, HostLookup, Phase, PhaseError, Planned, Section, Security};
    use crate::smtp::{Ehlo, Reply};
    use std::time::Duration;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn mx(preference: u16, exchange: &str) -> Mx {
        Mx {
            preference,
            exchange: exchange.to_string(),
        }
    }

    fn query(record_type: &'static str, answer: Result<Vec<IpAddr>, LookupFailure>) -> Query {
        Query {
            name: "mx.example.test".into(),
            record_type,
            answer,
            elapsed: Duration::from_millis(1),
        }
    }

    fn ids(findings: &[Finding]) -> Vec<(&'static str, Severity)> {
        findings
            .iter()
            .map(|f| (f.id.as_str(), f.severity))
            .collect()
    }

    fn endpoint(host: &str, address: &str, port: u16) -> Endpoint {
        Endpoint {
            host: host.into(),
            ip: ip(address),
            port,
            security: Security::Starttls,
        }
    }

    fn observation(host: &str, address: &str, state: State) -> Observation {
        let mut obs = Observation::new(endpoint(host, address, 25));
        obs.state = state;
        if state != State::Ok {
            obs.error = Some(PhaseError {
                phase: Phase::Connect,
                message: "details".into(),
                run_deadline: false,
            });
        }
        obs
    }

    #[test]
    fn no_address_names_the_best_explanation() {
        use LookupFailure::*;
        let cases: [(&[LookupFailure], &str); 5] = [
            (&[NxDomain, NxDomain], "dns.nxdomain"),
            (&[Timeout, NoData], "dns.timeout"),
            (&[ServFail("SERVFAIL".into()), NoData], "dns.servfail"),
            (&[NoData, NoData], "dns.no_address"),
            (&[Refused, NoData], "dns.no_address"),
        ];
        for (failures, id) in cases {
            let queries: Vec<Query> = failures
                .iter()
                .map(|f| query("A", Err(f.clone())))
                .collect();
            let finding = no_address("mail.example.test", &queries);
            assert_eq!(
                (finding.id.as_str(), finding.severity),
                (id, Severity::Error)
            );
            assert!(finding.message.contains("mail.example.test"));
        }
    }

    #[test]
    fn mx_sets() {
        use LookupFailure::*;
        let fallback = [ip("192.0.2.1")];
        type Case<'a> = (
            Result<Vec<Mx>, LookupFailure>,
            &'a [IpAddr],
            Vec<(&'static str, Severity)>,
        );
        let cases: Vec<Case> = vec![
            (Ok(vec![mx(10, "mx.example.test")]), &[], vec![]),
            (
                Ok(vec![mx(0, ".")]),
                &[],
                vec![("dns.null_mx", Severity::Warning)],
            ),
            (
                Ok(vec![mx(0, "."), mx(10, "mx.example.test")]),
                &[],
                vec![("dns.null_mx", Severity::Error)],
            ),
            (
                Err(NoData),
                &fallback,
                vec![("dns.no_mx", Severity::Warning)],
            ),
            (Err(NoData), &[], vec![("dns.no_mx", Severity::Error)]),
            (Err(NxDomain), &[], vec![("dns.nxdomain", Severity::Error)]),
            (Err(Timeout), &[], vec![("dns.timeout", Severity::Error)]),
            (
                Err(ServFail("SERVFAIL".into())),
                &[],
                vec![("dns.servfail", Severity::Error)],
            ),
            (Err(Refused), &[], vec![("dns.servfail", Severity::Error)]),
        ];
        for (answer, fallback, expected) in cases {
            let findings = mx_set("example.test", &answer, fallback);
            assert_eq!(ids(&findings), expected, "{answer:?}");
        }
        let implicit = mx_set("example.test", &Err(NoData), &fallback);
        assert!(implicit[0].message.contains("RFC 5321 section 5.1"));
        assert!(implicit[0].message.contains("192.0.2.1"));
    }

    #[test]
    fn mx_hosts() {
        use LookupFailure::*;
        let resolves = [
            query("A", Ok(vec![ip("192.0.2.1")])),
            query("AAAA", Err(NoData)),
        ];
        let nothing = [query("A", Err(NxDomain)), query("AAAA", Err(NxDomain))];
        type Case<'a> = (
            Mx,
            Option<&'a str>,
            &'a [Query],
            bool,
            Vec<(&'static str, Severity)>,
        );
        let cases: Vec<Case> = vec![
            (mx(10, "mx.example.test"), None, &resolves, false, vec![]),
            (
                mx(10, "192.0.2.5"),
                None,
                &[],
                true,
                vec![("dns.mx_is_ip", Severity::Error)],
            ),
            (
                mx(10, "2001\\:db8\\:\\:5"),
                None,
                &[],
                true,
                vec![("dns.mx_is_ip", Severity::Error)],
            ),
            (
                mx(10, "alias.example.test"),
                Some("real.example.test"),
                &resolves,
                false,
                vec![("dns.mx_is_cname", Severity::Warning)],
            ),
            (
                mx(10, "gone.example.test"),
                None,
                &nothing,
                false,
                vec![("dns.mx_unresolvable", Severity::Error)],
            ),
            (
                mx(20, "gone.example.test"),
                None,
                &nothing,
                true,
                vec![("dns.mx_unresolvable", Severity::Warning)],
            ),
            (
                mx(10, "dangling.example.test"),
                Some("nothing.example.test"),
                &nothing,
                false,
                vec![
                    ("dns.mx_is_cname", Severity::Warning),
                    ("dns.mx_unresolvable", Severity::Error),
                ],
            ),
        ];
        for (record, alias, queries, others, expected) in cases {
            let findings = mx_host("example.test", &record, alias, queries, others);
            assert_eq!(ids(&findings), expected, "{record}");
        }
    }

    #[test]
    fn reverse_dns_on_port_25_only() {
        use LookupFailure::*;
        let confirmed = ReverseDns::Confirmed {
            name: "mx.example.test".into(),
        };
        let wrong = ReverseDns::Mismatch(vec![ForwardCheck {
            name: "other.example.test".into(),
            addresses: Ok(vec![ip("198.51.100.1")]),
        }]);
        let stale = ReverseDns::Mismatch(vec![ForwardCheck {
            name: "stale.example.test".into(),
            addresses: Err(NxDomain),
        }]);
        let cases: [(u16, ReverseDns, Option<&str>); 7] = [
            (25, confirmed.clone(), None),
            (25, wrong.clone(), Some("dns.ptr_mismatch")),
            (25, stale, Some("dns.ptr_mismatch")),
            (25, ReverseDns::Missing(NxDomain), Some("dns.ptr_missing")),
            (25, ReverseDns::Missing(Timeout), Some("dns.ptr_missing")),
            (587, wrong, None),
            (465, ReverseDns::Missing(NxDomain), None),
        ];
        for (port, rdns, expected) in cases {
            let e = endpoint("mx.example.test", "192.0.2.10", port);
            let finding = reverse(&e, &rdns);
            assert_eq!(
                finding.as_ref().map(|f| f.id.as_str()),
                expected,
                "{port} {rdns:?}"
            );
            if let Some(f) = finding {
                assert_eq!(f.severity, Severity::Warning);
                assert_eq!(f.endpoint.as_deref(), Some("mx.example.test:25"));
                assert_eq!(f.ip, Some(ip("192.0.2.10")));
            }
        }
        let e = endpoint("mx.example.test", "192.0.2.10", 25);
        let mismatch = reverse(
            &e,
            &ReverseDns::Mismatch(vec![ForwardCheck {
                name: "other.example.test".into(),
                addresses: Ok(vec![ip("198.51.100.1")]),
            }]),
        )
        .unwrap();
        assert!(
            mismatch
                .message
                .contains("other.example.test resolves to 198.51.100.1"),
            "{}",
            mismatch.message
        );
    }

    fn greeting(obs: &mut Observation, banner: &str, ehlo_domain: &str) {
        obs.banner = Some(Reply {
            code: 220,
            enhanced: None,
            lines: vec![banner.to_string()],
        });
        obs.ehlo = Some(Ehlo {
            code: 250,
            domain: ehlo_domain.to_string(),
            greeting: String::new(),
            keywords: Vec::new(),
            lines: Vec::new(),
            helo: false,
        });
    }

    #[test]
    fn server_names_against_mx_and_ptr() {
        let ptr = ReverseDns::Confirmed {
            name: "out.provider.test".into(),
        };
        let missing = ReverseDns::Missing(LookupFailure::NxDomain);
        // (banner, EHLO domain, reverse DNS, mismatch expected)
        let cases: [(&str, &str, &ReverseDns, bool); 7] = [
            ("mx.example.test ESMTP", "mx.example.test", &missing, false),
            (
                "MX.Example.Test. ESMTP",
                "mx.example.test.",
                &missing,
                false,
            ),
            ("out.provider.test ESMTP", "out.provider.test", &ptr, false),
            ("mx.example.test ESMTP", "out.provider.test", &ptr, false),
            ("localhost.localdomain ESMTP", "mx.example.test", &ptr, true),
            ("mx.example.test ESMTP", "internal.corp", &missing, true),
            ("[192.0.2.10] ESMTP", "[192.0.2.10]", &missing, false),
        ];
        for (banner, ehlo, rdns, expected) in cases {
            let mut obs = observation("mx.example.test", "192.0.2.10", State::Ok);
            greeting(&mut obs, banner, ehlo);
            let finding = server_names(&obs, "mx.example.test", Some(rdns));
            assert_eq!(
                finding.is_some(),
                expected,
                "{banner} / {ehlo}: {finding:?}"
            );
            if let Some(f) = finding {
                assert_eq!(
                    (f.id.as_str(), f.severity),
                    ("smtp.name_mismatch", Severity::Warning)
                );
            }
        }
        let mut obs = observation("mx.example.test", "192.0.2.10", State::Ok);
        greeting(&mut obs, "gw.example.test ESMTP", "gw.example.test");
        let f = server_names(&obs, "mx.example.test", Some(&missing)).unwrap();
        // The same odd name is reported once.
        assert_eq!(
            f.message.matches("gw.example.test").count(),
            1,
            "{}",
            f.message
        );
        // No greeting, no EHLO: nothing to compare.
        let silent = observation("mx.example.test", "192.0.2.10", State::Timeout);
        assert!(server_names(&silent, "mx.example.test", None).is_none());
    }

    #[test]
    fn ipv6_broken_only_when_every_v6_endpoint_fails_and_v4_works() {
        use State::*;
        // (states of the host's endpoints by address, finding expected)
        let cases: [(&[(&str, State)], bool); 7] = [
            (&[("192.0.2.1", Ok), ("2001:db8::1", Refused)], true),
            (
                &[
                    ("192.0.2.1", Ok),
                    ("2001:db8::1", Timeout),
                    ("2001:db8::2", Refused),
                ],
                true,
            ),
            (
                &[
                    ("192.0.2.1", Ok),
                    ("2001:db8::1", Ok),
                    ("2001:db8::2", Refused),
                ],
                false,
            ),
            (&[("192.0.2.1", Refused), ("2001:db8::1", Refused)], false),
            (&[("192.0.2.1", Ok), ("2001:db8::1", Skipped)], false),
            (&[("2001:db8::1", Refused)], false),
            // An IPv4-mapped address is IPv4.
            (&[("192.0.2.1", Ok), ("::ffff:192.0.2.2", Refused)], false),
        ];
        for (endpoints, expected) in cases {
            let observations: Vec<Observation> = endpoints
                .iter()
                .map(|(address, state)| observation("mx.example.test", address, *state))
                .collect();
            let findings = ipv6_broken(&observations);
            assert_eq!(
                ids(&findings),
                if expected {
                    vec![("dns.ipv6_only_broken", Severity::Warning)]
                } else {
                    vec![]
                },
                "{endpoints:?}"
            );
        }
        // Per host: a broken host beside a healthy one.
        let observations = [
            observation("a.example.test", "192.0.2.1", Ok),
            observation("a.example.test", "2001:db8::1", Refused),
            observation("b.example.test", "192.0.2.2", Ok),
            observation("b.example.test", "2001:db8::2", Ok),
        ];
        let findings = ipv6_broken(&observations);
        assert_eq!(findings.len(), 1);
        assert!(findings[0].message.starts_with("a.example.test "));
    }

    #[test]
    fn lookup_failures() {
        use LookupFailure::*;
        assert!(lookup_failed("the SRV look-up", &NxDomain, Severity::Warning).is_none());
        assert!(lookup_failed("the SRV look-up", &NoData, Severity::Warning).is_none());
        let t = lookup_failed(
            "the MX look-up of example.test",
            &Timeout,
            Severity::Warning,
        )
        .unwrap();
        assert_eq!(
            (t.id.as_str(), t.severity),
            ("dns.timeout", Severity::Warning)
        );
        assert!(t.message.starts_with("The MX look-up of example.test"));
        let s = lookup_failed("x", &ServFail("SERVFAIL".into()), Severity::Error).unwrap();
        assert_eq!(s.id.as_str(), "dns.servfail");
        let n = no_submission("example.test", &["smtp.example.test".into()]);
        assert_eq!(
            (n.id.as_str(), n.severity),
            ("dns.no_submission", Severity::Warning)
        );
        assert!(n.message.contains("smtp.example.test does not resolve"));
    }

    #[test]
    fn private_and_local_addresses_get_no_reverse_dns_verdict() {
        let missing = ReverseDns::Missing(LookupFailure::NxDomain);
        for address in [
            "10.1.2.3",
            "172.16.0.9",
            "192.168.1.1",
            "100.64.0.1",
            "fd00::25",
            "127.0.0.1",
            "::1",
            "fe80::1",
            "169.254.1.1",
        ] {
            let endpoint = Endpoint {
                host: "mx.test".into(),
                ip: address.parse().unwrap(),
                port: 25,
                security: crate::model::Security::Starttls,
            };
            assert_eq!(reverse(&endpoint, &missing), None, "{address}");
        }
        // TEST-NET and the IPv4-mapped loopback the tests control are judged.
        for address in ["192.0.2.25", "::ffff:127.0.0.1", "2001:db8::25"] {
            let endpoint = Endpoint {
                host: "mx.test".into(),
                ip: address.parse().unwrap(),
                port: 25,
                security: crate::model::Security::Starttls,
            };
            assert!(reverse(&endpoint, &missing).is_some(), "{address}");
        }
        assert!(crate::dns::reverse_is_local_only("::1".parse().unwrap()));
        assert!(!crate::dns::reverse_is_local_only(
            "10.0.0.1".parse().unwrap()
        ));
    }

    #[test]
    fn reverse_dns_is_judged_only_where_a_server_answered() {
        let ip: IpAddr = "192.0.2.25".parse().unwrap();
        let mut discovery = Discovery::default();
        discovery
            .reverse
            .insert(ip, ReverseDns::Missing(LookupFailure::NxDomain));
        let endpoint = Endpoint {
            host: "mx.test".into(),
            ip,
            port: 25,
            security: crate::model::Security::Starttls,
        };
        let mut refused = Observation::new(endpoint.clone());
        refused.state = State::Refused;
        let judged = judge(&discovery, &[refused]);
        assert!(
            judged.iter().all(|f| f.id != "dns.ptr_missing"),
            "{judged:#?}"
        );
        let mut answered = Observation::new(endpoint);
        answered.state = State::Ok;
        let judged = judge(&discovery, &[answered]);
        assert!(
            judged.iter().any(|f| f.id == "dns.ptr_missing"),
            "{judged:#?}"
        );
    }

    #[test]
    fn a_connect_that_timed_out_gives_the_ptr_no_weight_a_later_timeout_does() {
        let mut discovery = Discovery::default();
        discovery.reverse.insert(
            ip("192.0.2.25"),
            ReverseDns::Missing(LookupFailure::NxDomain),
        );
        let timed_out_in = |phase: Phase| {
            let mut obs = observation("mx.test", "192.0.2.25", State::Timeout);
            if let Some(error) = obs.error.as_mut() {
                error.phase = phase;
            }
            judge(&discovery, &[obs])
        };
        // No TCP connection: no server sent anything from that address.
        let never = timed_out_in(Phase::Connect);
        assert!(
            never.iter().all(|f| f.id != "dns.ptr_missing"),
            "{never:#?}"
        );
        // Connected, then silent: a server is there, and its PTR counts.
        let silent = timed_out_in(Phase::Banner);
        assert!(
            silent.iter().any(|f| f.id == "dns.ptr_missing"),
            "{silent:#?}"
        );
    }

    #[test]
    fn server_names_are_compared_on_the_receiving_side_only() {
        let judged = |role: Role| {
            let mut obs = observation("mx.example.test", "192.0.2.10", State::Ok);
            greeting(&mut obs, "gw.internal ESMTP", "gw.internal");
            let discovery = Discovery {
                kind: TargetKind::Domain,
                domain: Some("example.test".into()),
                planned: vec![Planned {
                    endpoint: obs.endpoint.clone(),
                    role: Some(role),
                    source: Source::Mx,
                }],
                ..Discovery::default()
            };
            ids(&judge(&discovery, &[obs]))
        };
        assert!(judged(Role::Inbound).contains(&("smtp.name_mismatch", Severity::Warning)));
        assert!(
            !judged(Role::Submission)
                .iter()
                .any(|(id, _)| *id == "smtp.name_mismatch")
        );
    }

    #[test]
    fn the_no_mx_fallback_names_the_domains_own_addresses_only() {
        let with = |candidates: Vec<Candidate>| {
            let discovery = Discovery {
                kind: TargetKind::Domain,
                domain: Some("example.test".into()),
                mx: Some(Err(LookupFailure::NoData)),
                sections: vec![Section {
                    role: Role::Inbound,
                    candidates,
                    notes: Vec::new(),
                }],
                ..Discovery::default()
            };
            judge(&discovery, &[])
        };
        let mut own = candidate("example.test", Source::ImplicitMx, None);
        own.addresses = vec![ip("192.0.2.1")];
        let mut other = candidate("mail.example.test", Source::Guess, None);
        other.addresses = vec![ip("192.0.2.99")];
        let found = with(vec![own, other.clone()]);
        let no_mx = found
            .iter()
            .find(|f| f.id == "dns.no_mx")
            .expect("dns.no_mx");
        assert!(no_mx.message.contains("(192.0.2.1)"), "{}", no_mx.message);
        assert!(!no_mx.message.contains("192.0.2.99"), "{}", no_mx.message);
        // Without the domain's own addresses, another host's do not make a fallback.
        let found = with(vec![other]);
        let no_mx = found
            .iter()
            .find(|f| f.id == "dns.no_mx")
            .expect("dns.no_mx");
        assert_eq!(no_mx.severity, Severity::Error, "{}", no_mx.message);
    }

    fn candidate(host: &str, source: Source, not_probed: Option<NotProbed>) -> Candidate {
        Candidate {
            host: host.into(),
            source,
            detail: None,
            ports: Vec::new(),
            addresses: if not_probed.is_none() {
                vec![ip("192.0.2.9")]
            } else {
                Vec::new()
            },
            not_probed,
        }
    }

    /// The findings of a domain whose submission section holds `candidates`.
    fn submission(candidates: Vec<Candidate>) -> Vec<(&'static str, Severity)> {
        let discovery = Discovery {
            kind: TargetKind::Domain,
            domain: Some("example.test".into()),
            sections: vec![Section {
                role: Role::Submission,
                candidates,
                notes: Vec::new(),
            }],
            ..Discovery::default()
        };
        ids(&judge(&discovery, &[]))
    }

    #[test]
    fn no_submission_server_only_when_every_usual_name_is_missing() {
        let gone = Some(NotProbed::DoesNotResolve);
        let timed_out = Some(NotProbed::LookupFailed { timed_out: true });
        assert_eq!(
            submission(vec![
                candidate("smtp.example.test", Source::Guess, gone),
                candidate("mail.example.test", Source::Guess, gone),
            ]),
            vec![("dns.no_submission", Severity::Warning)]
        );
        // Unknown, not missing: a DNS timeout per name instead.
        assert_eq!(
            submission(vec![
                candidate("smtp.example.test", Source::Guess, timed_out),
                candidate("mail.example.test", Source::Guess, gone),
            ]),
            vec![("dns.timeout", Severity::Warning)]
        );
        // One usual name resolves, or an SRV record names a server: nothing to say.
        assert_eq!(
            submission(vec![
                candidate("smtp.example.test", Source::Guess, gone),
                candidate("mail.example.test", Source::Guess, None),
            ]),
            vec![]
        );
        assert_eq!(
            submission(vec![
                candidate("submit.example.test", Source::Srv, None),
                candidate("smtp.example.test", Source::Guess, gone),
            ]),
            vec![]
        );
        // No usual name was tried (an SRV host that does not resolve has its own finding).
        assert_eq!(
            submission(vec![candidate("submit.example.test", Source::Srv, gone)]),
            vec![]
        );
    }

    #[test]
    fn a_server_without_addresses_and_its_failed_mx_look_up() {
        let server = |kind: TargetKind, mx: LookupFailure, planned: bool| {
            let discovery = Discovery {
                kind,
                mx: Some(Err(mx)),
                planned: if planned {
                    vec![Planned {
                        endpoint: endpoint("mail.example.test", "192.0.2.1", 587),
                        role: None,
                        source: Source::Typed,
                    }]
                } else {
                    Vec::new()
                },
                lookups: vec![HostLookup {
                    host: "gone.example.test".into(),
                    addresses: Vec::new(),
                    queries: vec![query("A", Err(LookupFailure::NxDomain))],
                    alias: None,
                }],
                ..Discovery::default()
            };
            ids(&judge(&discovery, &[]))
        };
        let servfail = || LookupFailure::ServFail("SERVFAIL".into());
        assert_eq!(
            server(TargetKind::Host, servfail(), true),
            vec![
                ("dns.nxdomain", Severity::Error),
                ("dns.servfail", Severity::Warning)
            ]
        );
        // A negative MX answer is normal for a server; an address typed has no MX look-up to
        // judge; nothing planned, nothing checked as a server.
        assert_eq!(
            server(TargetKind::Host, LookupFailure::NxDomain, true),
            vec![("dns.nxdomain", Severity::Error)]
        );
        assert_eq!(
            server(TargetKind::Ip, servfail(), true),
            vec![("dns.nxdomain", Severity::Error)]
        );
        assert_eq!(
            server(TargetKind::Host, servfail(), false),
            vec![("dns.nxdomain", Severity::Error)]
        );
    }

    #[test]
    fn an_mx_host_without_addresses_weighs_by_whether_another_resolves() {
        let lookup = |host: &str, resolves: bool| HostLookup {
            host: host.into(),
            addresses: if resolves {
                vec![ip("192.0.2.7")]
            } else {
                Vec::new()
            },
            queries: vec![if resolves {
                query("A", Ok(vec![ip("192.0.2.7")]))
            } else {
                query("A", Err(LookupFailure::NxDomain))
            }],
            alias: None,
        };
        let inbound = |lookups: Vec<HostLookup>| {
            let discovery = Discovery {
                kind: TargetKind::Domain,
                domain: Some("example.test".into()),
                mx: Some(Ok(vec![
                    mx(10, "mx1.example.test"),
                    mx(20, "mx2.example.test"),
                ])),
                sections: vec![Section {
                    role: Role::Inbound,
                    candidates: Vec::new(),
                    notes: Vec::new(),
                }],
                lookups,
                ..Discovery::default()
            };
            ids(&judge(&discovery, &[]))
        };
        assert_eq!(
            inbound(vec![
                lookup("mx1.example.test", false),
                lookup("mx2.example.test", true)
            ]),
            vec![("dns.mx_unresolvable", Severity::Warning)]
        );
        assert_eq!(
            inbound(vec![
                lookup("mx1.example.test", false),
                lookup("mx2.example.test", false)
            ]),
            vec![
                ("dns.mx_unresolvable", Severity::Error),
                ("dns.mx_unresolvable", Severity::Error)
            ]
        );
        // One MX host alone, without addresses: nobody else resolves.
        assert_eq!(
            inbound(vec![lookup("mx1.example.test", false)]),
            vec![("dns.mx_unresolvable", Severity::Error)]
        );
        // A look-up of a host the MX set does not name is not judged as an MX host.
        assert_eq!(inbound(vec![lookup("other.example.test", false)]), vec![]);
    }
}
