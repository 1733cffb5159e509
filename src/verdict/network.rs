//! Verdicts of `smtp-doctor ports` ("is this network blocking or intercepting outbound
//! SMTP?"): what one probe of a control endpoint shows ([`classify`] gives its [`Class`]), and
//! what the probes of all control hosts together say, port by port ([`conclude`] gives
//! [`Conclusion`]s with the evidence counted). Pure: no I/O.
//!
//! The reasoning: one host failing says little (it may be down); every well-known operator
//! failing on one port while other ports reach the same operators says the network blocks that
//! port; nothing answering anywhere says there is no connection at all; names that do not
//! resolve say DNS is broken, which is not a port block either.

use std::time::Duration;

use super::{Finding, FindingId, Severity};
use crate::model::{IcmpKind, Observation, Phase, Security, State, Unreachable, WrongMode};
use crate::providers::Preset;

/// What a probe of one control endpoint showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    /// Answers as the control host's operator: greeting, EHLO, STARTTLS, TLS and certificate as
    /// expected.
    Open,
    /// The connection was refused with a TCP reset.
    Refused,
    /// No answer to the connection attempt within the connect timeout.
    Filtered,
    /// Refused as administratively prohibited (ICMP), or by this machine's own firewall.
    Prohibited,
    /// An ICMP unreachable ended the attempt: host, network, or port (a firewall's reject).
    Unreachable,
    /// Something answers, but not as the operator: the greeting, EHLO name or certificate does
    /// not match, TLS fails, the other TLS mode, or not SMTP at all.
    Intercepted,
    /// Answers as expected, but without the STARTTLS the operator offers.
    Stripped,
    /// Answers, but turns the connection away or delays it: a 4xx/5xx greeting, closed right
    /// after connect, a slow or missing greeting, a stalled dialogue.
    Throttled,
    /// Not probed: this machine has no route for the address.
    NoRoute,
    /// Not probed: the control host's name did not resolve.
    Unresolved,
}

impl Class {
    /// The name used in JSON and the table.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Open => "open",
            Class::Refused => "refused",
            Class::Filtered => "filtered",
            Class::Prohibited => "prohibited",
            Class::Unreachable => "unreachable",
            Class::Intercepted => "intercepted",
            Class::Stripped => "stripped",
            Class::Throttled => "throttled",
            Class::NoRoute => "no_route",
            Class::Unresolved => "unresolved",
        }
    }

    /// Something answered at the SMTP level (the real server or not): the port gets through.
    pub fn answered(self) -> bool {
        matches!(
            self,
            Class::Open | Class::Intercepted | Class::Stripped | Class::Throttled
        )
    }

    /// The connection did not get through at the network level.
    pub fn network_failure(self) -> bool {
        matches!(
            self,
            Class::Refused
                | Class::Filtered
                | Class::Prohibited
                | Class::Unreachable
                | Class::NoRoute
        )
    }

    /// What `n` hosts of this class do, as the verb of "4 of 4 control hosts ...".
    fn verb(self, n: usize) -> &'static str {
        let one = n == 1;
        match (self, one) {
            (Class::Open, true) => "answers as expected",
            (Class::Open, false) => "answer as expected",
            (Class::Refused, true) => "is refused with a TCP reset",
            (Class::Refused, false) => "are refused with a TCP reset",
            (Class::Filtered, true) => "times out",
            (Class::Filtered, false) => "time out",
            (Class::Prohibited, true) => "is refused as administratively prohibited",
            (Class::Prohibited, false) => "are refused as administratively prohibited",
            (Class::Unreachable, true) => "is reported unreachable (ICMP)",
            (Class::Unreachable, false) => "are reported unreachable (ICMP)",
            (Class::Intercepted, true) => "is answered by something else",
            (Class::Intercepted, false) => "are answered by something else",
            (Class::Stripped, true) => "answers without STARTTLS",
            (Class::Stripped, false) => "answer without STARTTLS",
            (Class::Throttled, true) => "turns the connection away or delays it",
            (Class::Throttled, false) => "turn the connection away or delay it",
            (Class::NoRoute, true) => "has no route from here",
            (Class::NoRoute, false) => "have no route from here",
            (Class::Unresolved, true) => "does not resolve",
            (Class::Unresolved, false) => "do not resolve",
        }
    }
}

/// What the classification expects of one control endpoint.
#[derive(Debug, Clone, Copy)]
pub struct Expectation<'a> {
    /// The preset the control host belongs to; its fingerprints are checked when the host is
    /// one of the preset's submission hosts.
    pub preset: Option<&'a Preset>,
    /// The operator offers STARTTLS on this (STARTTLS) port.
    pub starttls: bool,
    /// A greeting slower than this counts as throttling.
    pub slow_greeting: Duration,
}

/// A probe's class, and why, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classified {
    /// The class.
    pub class: Class,
    /// What showed it, e.g. `no greeting within 2000 ms`.
    pub reason: String,
}

fn classified(class: Class, reason: impl Into<String>) -> Classified {
    Classified {
        class,
        reason: reason.into(),
    }
}

/// The class of one probe of a control endpoint.
///
/// A failed connect is classified by how it failed. Once connected, evidence that someone else
/// answers (a certificate that is not trusted or does not name the host, the operator's
/// fingerprint not matching, the other TLS mode, not SMTP) outranks everything, then a session
/// turned away, then missing STARTTLS, then a slow greeting.
pub fn classify(obs: &Observation, expect: &Expectation<'_>) -> Classified {
    let detail = obs.error.as_ref().map_or("", |e| e.message.as_str());
    let phase = obs.error.as_ref().map(|e| e.phase);
    match obs.state {
        State::Skipped => return classified(Class::NoRoute, detail),
        State::Refused => return classified(Class::Refused, detail),
        State::Unreachable => {
            let prohibited = match obs.unreachable {
                Some(Unreachable::LocalFirewall) => true,
                Some(Unreachable::Icmp(icmp)) => icmp.kind() == IcmpKind::Prohibited,
                None => false,
            };
            let class = if prohibited {
                Class::Prohibited
            } else {
                Class::Unreachable
            };
            return classified(class, detail);
        }
        State::Timeout if phase == Some(Phase::Connect) => {
            return classified(Class::Filtered, detail);
        }
        _ => {}
    }
    if let Some(reason) = esmtp_inspection(obs) {
        return classified(Class::Stripped, reason);
    }
    if let Some(reason) = impostor(obs, expect) {
        return classified(Class::Intercepted, reason);
    }
    if let Some(reason) = turned_away(obs, detail, phase) {
        return classified(Class::Throttled, reason);
    }
    match obs.state {
        State::ProtocolError => {
            return classified(
                Class::Intercepted,
                format!("it does not speak valid SMTP: {detail}"),
            );
        }
        State::TlsError => {
            return classified(
                Class::Intercepted,
                format!("{detail}; the operator's servers complete the handshake"),
            );
        }
        _ => {}
    }
    if let Some(reason) = stripped(obs, expect) {
        return classified(Class::Stripped, reason);
    }
    if let Some(banner) = obs.timings.banner
        && banner > expect.slow_greeting
    {
        return classified(
            Class::Throttled,
            format!(
                "the greeting took {} ms (well-known servers greet within a second)",
                banner.as_millis()
            ),
        );
    }
    classified(Class::Open, open_reason(obs))
}

/// A firewall's SMTP "inspection" in the path, by its signature: Cisco ASA and PIX ESMTP
/// inspection masks the greeting with asterisks and rewrites the STARTTLS keyword to
/// `XXXXXXXA`, so clients see no STARTTLS and send in clear text.
fn esmtp_inspection(obs: &Observation) -> Option<String> {
    let masked = obs.banner.as_ref().is_some_and(|banner| {
        let text: String = banner.lines.concat();
        let stars = text.chars().filter(|c| *c == '*').count();
        stars >= 5 && stars * 2 >= text.chars().filter(|c| !c.is_whitespace()).count()
    });
    let rewritten = obs.ehlo.as_ref().is_some_and(|ehlo| {
        ehlo.keywords
            .iter()
            .any(|k| k.name.eq_ignore_ascii_case("XXXXXXXA"))
    });
    if !masked && !rewritten {
        return None;
    }
    let seen = match (masked, rewritten) {
        (true, true) => "the greeting masked with asterisks and STARTTLS rewritten to XXXXXXXA",
        (true, false) => "the greeting masked with asterisks",
        _ => "STARTTLS rewritten to XXXXXXXA",
    };
    Some(format!(
        "a firewall's ESMTP inspection (Cisco ASA/PIX) rewrites the dialogue: {seen}; turn off ESMTP inspection on that firewall (ASA: `no inspect esmtp` in its inspection policy)"
    ))
}

/// Evidence that something other than the operator's server answers.
fn impostor(obs: &Observation, expect: &Expectation<'_>) -> Option<String> {
    if let Some(what) = &obs.not_smtp {
        return Some(format!("answered by {what}, not a mail server"));
    }
    if let Some(mode) = obs.wrong_mode {
        return Some(
            match mode {
                WrongMode::ImplicitTlsOnStarttlsPort => {
                    "no plain-text greeting but a TLS handshake: the other TLS mode than the operator's"
                }
                WrongMode::PlainOnTlsPort => {
                    "a plain-text greeting where the operator speaks implicit TLS"
                }
            }
            .to_string(),
        );
    }
    if let Some(preset) = expect.preset
        && preset.matches_host(&obs.endpoint.host)
    {
        let judged = super::provider::judge_endpoint(obs, preset);
        let mismatch = judged.iter().find(|f| {
            matches!(
                f.id,
                FindingId::ProviderIntercepted | FindingId::ProviderTlsTooOld
            )
        });
        if let Some(finding) = mismatch {
            return Some(finding.message.clone());
        }
    }
    let tls = obs.tls.as_ref()?;
    let leaf = tls.chain.first();
    let verification = &tls.verification;
    if !verification.trusted {
        let why = verification
            .errors
            .first()
            .map_or_else(String::new, |e| format!(" ({})", e.message));
        let issuer = leaf.map_or_else(String::new, |c| format!(", issued by {}", c.issuer));
        return Some(format!("the certificate is not trusted{why}{issuer}"));
    }
    if verification.hostname_match == Some(false) {
        let names = leaf.map_or_else(String::new, |c| {
            if c.san.is_empty() {
                format!(" (it is for {})", c.subject)
            } else {
                format!(" (it names {})", c.san.join(", "))
            }
        });
        return Some(format!(
            "the certificate does not name {}{names}",
            obs.endpoint.host
        ));
    }
    None
}

/// How the reason of a probe that connected but was never greeted starts.
const NO_GREETING: &str = "accepted the connection but sent no greeting: ";

/// The server (or something in its place) refused or delayed the session.
fn turned_away(obs: &Observation, detail: &str, phase: Option<Phase>) -> Option<String> {
    if let Some(banner) = &obs.banner
        && banner.code != 220
    {
        let text = banner.lines.first().map_or("", String::as_str);
        return Some(format!("the greeting is {} {text}", banner.code));
    }
    match (obs.state, phase) {
        (State::Closed, Some(Phase::Banner)) => {
            Some("closed the connection right after connect, without a greeting".to_string())
        }
        (State::Timeout, Some(Phase::Banner)) => Some(format!("{NO_GREETING}{detail}")),
        // A server that closes at once on an implicit-TLS port fails the handshake without
        // sending a byte: that is a refusal, not someone else's TLS.
        (State::TlsError, _) if closed_before_tls(detail) => {
            Some(format!("closed the connection before TLS ({detail})"))
        }
        (State::Timeout | State::Closed, Some(p)) => Some(format!("stopped during {p}: {detail}")),
        (State::Rejected, _) => Some(detail.to_string()),
        _ => None,
    }
}

/// The handshake ended because the peer closed or reset the connection.
fn closed_before_tls(detail: &str) -> bool {
    let detail = detail.to_ascii_lowercase();
    ["closed the connection", "unexpected eof", "reset by peer"]
        .iter()
        .any(|p| detail.contains(p))
}

/// STARTTLS is missing or refused where the operator offers it.
fn stripped(obs: &Observation, expect: &Expectation<'_>) -> Option<String> {
    if !expect.starttls || obs.endpoint.security != Security::Starttls {
        return None;
    }
    let ehlo = obs.ehlo.as_ref()?;
    if ehlo.helo {
        return Some(
            "EHLO is refused (HELO only), so STARTTLS cannot be offered, though the operator offers it"
                .to_string(),
        );
    }
    let starttls = obs.starttls.as_ref()?;
    if !starttls.offered {
        return Some(
            "the EHLO reply does not offer STARTTLS, though the operator offers it".to_string(),
        );
    }
    match &starttls.reply {
        Some(reply) if reply.code != 220 => Some(format!(
            "STARTTLS is answered {} {}",
            reply.code,
            reply.lines.first().map_or("", String::as_str)
        )),
        _ => None,
    }
}

fn open_reason(obs: &Observation) -> String {
    match &obs.tls {
        Some(tls) => format!(
            "answers as expected: {} with a trusted certificate for {}",
            tls.version, obs.endpoint.host
        ),
        None => "answers as expected".to_string(),
    }
}

/// One probe as the conclusions see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    /// The control host.
    pub host: String,
    /// Who runs it (probes of one operator on several ports are compared).
    pub operator: String,
    /// The port probed.
    pub port: u16,
    /// What the probe showed.
    pub class: Class,
    /// Why, in words.
    pub reason: String,
}

/// What the probes say, as a conclusion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// The port gets out: control hosts answer as expected.
    Open,
    /// Nothing gets through on the port: this network blocks it.
    Blocked,
    /// Something answers on the port in the operators' place.
    Intercepted,
    /// STARTTLS is removed on the port.
    Stripped,
    /// Servers answer on the port but turn this connection away or delay it.
    Throttled,
    /// Some control hosts fail while others answer on the same port: their side.
    HostDown,
    /// Nothing answers anywhere: no connection, not a port block.
    Offline,
    /// Control host names do not resolve.
    DnsFailed,
    /// No control host is known for the port.
    NoControls,
}

impl Kind {
    /// The name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Open => "open",
            Kind::Blocked => "blocked",
            Kind::Intercepted => "intercepted",
            Kind::Stripped => "stripped",
            Kind::Throttled => "throttled",
            Kind::HostDown => "host_down",
            Kind::Offline => "offline",
            Kind::DnsFailed => "dns_failed",
            Kind::NoControls => "no_controls",
        }
    }

    /// The finding this conclusion raises, if any.
    pub fn finding_id(self) -> Option<FindingId> {
        match self {
            Kind::Blocked => Some(FindingId::NetworkPortBlocked),
            Kind::Intercepted => Some(FindingId::NetworkPortIntercepted),
            Kind::Stripped => Some(FindingId::NetworkStarttlsStripped),
            Kind::Throttled => Some(FindingId::NetworkThrottled),
            Kind::HostDown => Some(FindingId::NetworkHostDown),
            Kind::Offline => Some(FindingId::NetworkOffline),
            Kind::DnsFailed => Some(FindingId::NetworkDnsFailed),
            Kind::Open | Kind::NoControls => None,
        }
    }
}

/// What a conclusion rests on, counted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Evidence {
    /// Probes considered: those of the port (resolved ones), or of the whole run.
    pub probes: usize,
    /// How many of them show what the conclusion says.
    pub matching: usize,
    /// How many probes of each class were considered, in class order.
    pub classes: Vec<(Class, usize)>,
    /// The control hosts that show it.
    pub hosts: Vec<String>,
    /// For a blocked port: each other port that reached operators failing here, with them.
    pub reached_elsewhere: Vec<(u16, Vec<String>)>,
}

/// One conclusion: about a port, or about the whole run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conclusion {
    /// What it says.
    pub kind: Kind,
    /// The port; `None` for the whole run (offline, DNS).
    pub port: Option<u16>,
    /// How bad.
    pub severity: Severity,
    /// One sentence with the evidence counted.
    pub message: String,
    /// What to do.
    pub advice: String,
    /// The counts behind it.
    pub evidence: Evidence,
}

/// The conclusions for the probes of a run: run-wide ones first (DNS, offline), then each
/// port in `ports` order.
pub fn conclude(ports: &[u16], facts: &[Fact]) -> Vec<Conclusion> {
    let mut out = Vec::new();
    let resolved: Vec<&Fact> = facts
        .iter()
        .filter(|f| f.class != Class::Unresolved)
        .collect();
    let unresolved: Vec<&Fact> = facts
        .iter()
        .filter(|f| f.class == Class::Unresolved)
        .collect();
    if !unresolved.is_empty() {
        out.push(dns_failed(facts, &unresolved, resolved.is_empty()));
        if resolved.is_empty() {
            return out;
        }
    }
    if let Some(offline) = offline(ports, &resolved) {
        out.push(offline);
        return out;
    }
    for &port in ports {
        let on: Vec<&Fact> = resolved
            .iter()
            .copied()
            .filter(|f| f.port == port)
            .collect();
        if on.is_empty() {
            if !facts.iter().any(|f| f.port == port) {
                out.push(no_controls(port));
            }
            continue;
        }
        conclude_port(port, ports, &on, &resolved, &mut out);
    }
    out
}

/// The findings the conclusions raise, in the same order.
pub fn findings(conclusions: &[Conclusion]) -> Vec<Finding> {
    conclusions.iter().filter_map(Conclusion::finding).collect()
}

impl Conclusion {
    /// The finding this conclusion raises: a port blocked, intercepted, stripped, ...; `None`
    /// for a port that works or has no control hosts.
    pub fn finding(&self) -> Option<Finding> {
        self.kind.finding_id().map(|id| Finding {
            id,
            severity: self.severity,
            endpoint: None,
            ip: None,
            message: self.message.clone(),
            advice: self.advice.clone(),
        })
    }
}

fn conclude_port(port: u16, ports: &[u16], on: &[&Fact], all: &[&Fact], out: &mut Vec<Conclusion>) {
    let of =
        |class: Class| -> Vec<&Fact> { on.iter().copied().filter(|f| f.class == class).collect() };
    let failed: Vec<&Fact> = on
        .iter()
        .copied()
        .filter(|f| f.class.network_failure())
        .collect();
    let answered = on.len() - failed.len();
    let intercepted = of(Class::Intercepted);
    let stripped = of(Class::Stripped);
    let throttled = of(Class::Throttled);
    let open = of(Class::Open);
    if !intercepted.is_empty() {
        out.push(self::intercepted(port, on, &intercepted));
    }
    if !stripped.is_empty() {
        out.push(self::stripped_port(port, on, &stripped));
    }
    if answered == 0 {
        out.push(blocked(port, ports, on, all));
        return;
    }
    // Real servers greet at once; several that all accept and stay silent are one thing in
    // the path holding the connections (a proxy whose own way out is blocked).
    let silent = throttled
        .iter()
        .filter(|f| f.reason.starts_with(NO_GREETING))
        .count();
    if silent >= 2 && silent == answered {
        out.push(held(port, on, &throttled));
        return;
    }
    if !open.is_empty() && intercepted.is_empty() && stripped.is_empty() {
        out.push(Conclusion {
            kind: Kind::Open,
            port: Some(port),
            severity: Severity::Info,
            message: format!(
                "Port {port} gets out: {} of {} control hosts {}.",
                open.len(),
                on.len(),
                Class::Open.verb(on.len())
            ),
            advice: String::new(),
            evidence: evidence(on, &open, Vec::new()),
        });
    }
    if !failed.is_empty() {
        out.push(host_down(port, on, &failed, answered));
    }
    if !throttled.is_empty() {
        out.push(self::throttled(port, on, &throttled));
    }
}

fn evidence(
    considered: &[&Fact],
    matching: &[&Fact],
    reached: Vec<(u16, Vec<String>)>,
) -> Evidence {
    let mut classes: Vec<(Class, usize)> = Vec::new();
    for fact in considered {
        match classes.iter_mut().find(|(c, _)| *c == fact.class) {
            Some((_, n)) => *n += 1,
            None => classes.push((fact.class, 1)),
        }
    }
    classes.sort();
    Evidence {
        probes: considered.len(),
        matching: matching.len(),
        classes,
        hosts: hosts(matching),
        reached_elsewhere: reached,
    }
}

/// The distinct hosts, in order.
fn hosts(facts: &[&Fact]) -> Vec<String> {
    let mut hosts: Vec<String> = Vec::new();
    for fact in facts {
        if !hosts.contains(&fact.host) {
            hosts.push(fact.host.clone());
        }
    }
    hosts
}

/// The distinct operators, in order.
fn operators<'a>(facts: impl Iterator<Item = &'a Fact>) -> Vec<String> {
    let mut operators: Vec<String> = Vec::new();
    for fact in facts {
        if !operators.contains(&fact.operator) {
            operators.push(fact.operator.clone());
        }
    }
    operators
}

/// `4 of 4 control hosts time out`, or `4 of 4 control hosts fail (3 time out, 1 is refused
/// with a TCP reset)` when the classes differ.
fn count_phrase(matching: &[&Fact], total: usize) -> String {
    let ev = evidence(matching, matching, Vec::new());
    match ev.classes.as_slice() {
        [(class, n)] => format!("{n} of {total} control hosts {}", class.verb(*n)),
        classes => {
            let parts: Vec<String> = classes
                .iter()
                .map(|(class, n)| format!("{n} {}", class.verb(*n)))
                .collect();
            format!(
                "{} of {total} control hosts fail ({})",
                matching.len(),
                parts.join(", ")
            )
        }
    }
}

/// `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// `host (reason); host (reason)` for at most three hosts, then `+N more`.
fn reasons(facts: &[&Fact]) -> String {
    const SHOWN: usize = 3;
    let mut parts: Vec<String> = facts
        .iter()
        .take(SHOWN)
        .map(|f| format!("{}: {}", f.host, f.reason))
        .collect();
    if facts.len() > SHOWN {
        parts.push(format!("{} more", facts.len() - SHOWN));
    }
    parts.join("; ")
}

fn dns_failed(facts: &[Fact], unresolved: &[&Fact], all: bool) -> Conclusion {
    let names = hosts(unresolved);
    let total = hosts(&facts.iter().collect::<Vec<_>>()).len();
    let example = unresolved
        .first()
        .map(|f| format!(" ({}: {})", f.host, f.reason))
        .unwrap_or_default();
    let (severity, message, advice) = if all {
        (
            Severity::Error,
            format!(
                "None of the {total} control host names resolved{example}: DNS does not work from here, so no port could be tested. This is a DNS failure, not a port block."
            ),
            "Check the DNS settings of this machine or network (or try another server with --resolver), and whether a captive portal waits for a sign-in; then run again.".to_string(),
        )
    } else {
        (
            Severity::Warning,
            format!(
                "{} of {total} control host names did not resolve{example}; they were left out.",
                names.len()
            ),
            "If this persists, the DNS resolver fails or filters these names (some company resolvers do); try another with --resolver.".to_string(),
        )
    };
    Conclusion {
        kind: Kind::DnsFailed,
        port: None,
        severity,
        message,
        advice,
        evidence: evidence(&facts.iter().collect::<Vec<_>>(), unresolved, Vec::new()),
    }
}

/// Nothing answered anywhere, not even a reset or a firewall's refusal: no connection at all
/// (told apart from a port block by comparing ports: one port tested cannot show it, unless
/// there is no route at all).
fn offline(ports: &[u16], resolved: &[&Fact]) -> Option<Conclusion> {
    let silent = |f: &&Fact| {
        matches!(
            f.class,
            Class::Filtered | Class::Unreachable | Class::NoRoute
        )
    };
    if resolved.is_empty() || !resolved.iter().all(silent) {
        return None;
    }
    let tested: Vec<u16> = ports
        .iter()
        .copied()
        .filter(|p| resolved.iter().any(|f| f.port == *p))
        .collect();
    let no_route = resolved.iter().all(|f| f.class == Class::NoRoute);
    if tested.len() < 2 && !no_route {
        return None;
    }
    let listed: Vec<String> = tested.iter().map(u16::to_string).collect();
    let message = if no_route {
        format!(
            "This machine has no route to any of the {} control endpoints: it is not connected to a network that reaches them (no default route). This is not a port block.",
            resolved.len()
        )
    } else {
        format!(
            "Nothing answers on any port ({}): {}. This looks like no working connection at all (or a firewall that lets no mail traffic out), not a block of one port.",
            and_list(&listed),
            count_phrase(resolved, resolved.len())
        )
    };
    Some(Conclusion {
        kind: Kind::Offline,
        port: None,
        severity: Severity::Error,
        message,
        advice: "Check the connection itself: Wi-Fi or cable, VPN, a captive portal that waits for a sign-in, the default route; then run again.".to_string(),
        evidence: evidence(resolved, resolved, Vec::new()),
    })
}

fn no_controls(port: u16) -> Conclusion {
    Conclusion {
        kind: Kind::NoControls,
        port: Some(port),
        severity: Severity::Info,
        message: format!("No control host is known for port {port}, so it was not tested."),
        advice: format!("Name one that answers on it: --control HOST:{port}."),
        evidence: Evidence::default(),
    }
}

#[expect(
    clippy::too_many_lines,
    reason = "one message: the failures counted by kind, and where the same operators answer"
)]
fn blocked(port: u16, ports: &[u16], on: &[&Fact], all: &[&Fact]) -> Conclusion {
    let failing_operators = operators(on.iter().copied());
    let mut reached: Vec<(u16, Vec<String>)> = Vec::new();
    for &other in ports.iter().filter(|p| **p != port) {
        let there = operators(
            all.iter()
                .copied()
                .filter(|f| f.port == other && f.class.answered()),
        );
        let common: Vec<String> = failing_operators
            .iter()
            .filter(|o| there.contains(o))
            .cloned()
            .collect();
        if !common.is_empty() {
            reached.push((other, common));
        }
    }
    let counted = count_phrase(on, on.len());
    let same: Vec<String> = reached
        .iter()
        .filter(|(_, ops)| ops.len() == failing_operators.len())
        .map(|(p, _)| p.to_string())
        .collect();
    let partly: Vec<String> = reached
        .iter()
        .filter(|(_, ops)| ops.len() < failing_operators.len())
        .map(|(p, ops)| format!("{p} reaches {} of those operators", ops.len()))
        .collect();
    let mut contrast: Vec<String> = Vec::new();
    if !same.is_empty() {
        let verb = if same.len() == 1 { "reaches" } else { "reach" };
        contrast.push(format!("{} {verb} the same operators", and_list(&same)));
    }
    contrast.extend(partly);
    let message = if on.len() == 1 {
        let host = on.first().map_or("", |f| f.host.as_str());
        format!(
            "Nothing gets through on port {port}: the only control host tested there, {host}, {}{}; one host is weak evidence.",
            on.first().map_or("", |f| f.class.verb(1)),
            if contrast.is_empty() {
                String::new()
            } else {
                format!(", while {}", and_list(&contrast))
            }
        )
    } else if !contrast.is_empty() {
        format!(
            "Outbound port {port} is blocked by your network: {counted} on {port} while {}.",
            and_list(&contrast)
        )
    } else if ports.len() > 1 {
        format!(
            "Nothing gets through on port {port}: {counted} on {port}, and no other port reaches those operators either."
        )
    } else {
        format!(
            "Nothing gets through on port {port}: {counted} on {port}; no other port was tested to compare (try --port 25,587,465)."
        )
    };
    let working: Vec<String> = ports
        .iter()
        .filter(|p| **p != port && all.iter().any(|f| f.port == **p && f.class == Class::Open))
        .map(u16::to_string)
        .collect();
    let advice = if port == 25 {
        "Many ISPs and most hotel, mobile and company networks block outbound port 25 against spam. Mail clients should send on 587 (STARTTLS) or 465 (implicit TLS) with authentication; a server that must deliver mail itself needs the block lifted (business lines often can ask the ISP) or a relay: the ISP's smarthost or a mail service.".to_string()
    } else if working.is_empty() {
        format!(
            "Ask the network's administrator or the ISP to allow outbound port {port}, or use another network (a phone hotspot, a VPN)."
        )
    } else {
        format!(
            "Use port {} instead if your provider offers it; otherwise ask the network's administrator or the ISP to allow outbound port {port}, or use another network (a phone hotspot, a VPN).",
            and_list(&working).replace(" and ", " or ")
        )
    };
    Conclusion {
        kind: Kind::Blocked,
        port: Some(port),
        severity: Severity::Error,
        message,
        advice,
        evidence: evidence(on, on, reached),
    }
}

fn held(port: u16, on: &[&Fact], silent: &[&Fact]) -> Conclusion {
    Conclusion {
        kind: Kind::Blocked,
        port: Some(port),
        severity: Severity::Error,
        message: format!(
            "Nothing greets on port {port}: {} of {} control hosts accept the connection but never send a greeting, which real servers do at once; something in the path (a proxy or firewall) holds the connections.",
            silent.len(),
            on.len()
        ),
        advice: "A transparent proxy or the firewall of this network (or an antivirus on this machine) takes the connections and gets no further: turn off its mail scanning, or ask the network's administrator; mail clients can try port 465 or 587.".to_string(),
        evidence: evidence(on, silent, Vec::new()),
    }
}

fn intercepted(port: u16, on: &[&Fact], matching: &[&Fact]) -> Conclusion {
    Conclusion {
        kind: Kind::Intercepted,
        port: Some(port),
        severity: Severity::Error,
        message: format!(
            "Port {port} is intercepted: {} on {port} ({}).",
            count_phrase(matching, on.len()),
            reasons(matching)
        ),
        advice: "Something between this machine and the servers answers in their place: an antivirus or firewall that scans mail, a company proxy, a captive portal. Turn off the mail scanning (or trust its CA only if you must), ask the network's administrator, or use another network; do not send passwords over this path.".to_string(),
        evidence: evidence(on, matching, Vec::new()),
    }
}

fn stripped_port(port: u16, on: &[&Fact], matching: &[&Fact]) -> Conclusion {
    Conclusion {
        kind: Kind::Stripped,
        port: Some(port),
        severity: Severity::Error,
        message: format!(
            "STARTTLS is stripped on port {port}: {} though their operators offer it ({}).",
            count_phrase(matching, on.len()),
            and_list(&hosts(matching))
        ),
        advice: "Something in the path removes STARTTLS, so passwords and mail would cross it in clear text: turn off SMTP inspection in the firewall (\"ESMTP inspection\") or the antivirus' mail scanning, or use port 465, where TLS starts before anything can be removed.".to_string(),
        evidence: evidence(on, matching, Vec::new()),
    }
}

fn throttled(port: u16, on: &[&Fact], matching: &[&Fact]) -> Conclusion {
    Conclusion {
        kind: Kind::Throttled,
        port: Some(port),
        severity: Severity::Warning,
        message: format!(
            "{} on port {port} ({}).",
            count_phrase(matching, on.len()),
            reasons(matching)
        ),
        advice: if port == 25 {
            "Receiving servers limit or refuse connections from addresses with a poor reputation (dynamic or home ranges, blocklists): send through your provider's submission port (587 or 465) with authentication or your ISP's relay, and check this address on a blocklist.".to_string()
        } else {
            "The servers limit this connection (too many connections, or this address's reputation): wait and retry, and check this address on a blocklist if it persists.".to_string()
        },
        evidence: evidence(on, matching, Vec::new()),
    }
}

fn host_down(port: u16, on: &[&Fact], failed: &[&Fact], answered: usize) -> Conclusion {
    let others = if answered == 1 {
        "1 other control host answers".to_string()
    } else {
        format!("{answered} other control hosts answer")
    };
    let message = match failed {
        [one] => format!(
            "Only {} fails on port {port} (it {}) while {others}: the problem is on that server's side, not your network's.",
            one.host,
            one.class.verb(1)
        ),
        _ => {
            let each: Vec<String> = failed
                .iter()
                .map(|f| format!("{} {}", f.host, f.class.verb(1)))
                .collect();
            format!(
                "{} on port {port} ({}) while {answered} answer: port {port} is not blocked as a whole; those servers, or a filter aimed at them, are the problem.",
                count_phrase(failed, on.len()),
                each.join("; ")
            )
        }
    };
    Conclusion {
        kind: Kind::HostDown,
        port: Some(port),
        severity: Severity::Warning,
        message,
        advice: "Nothing to change on this network; if you use that server, check its provider's status page, or compare from another network.".to_string(),
        evidence: evidence(on, failed, Vec::new()),
    }
}

#[cfg(test)]
mod tests;
