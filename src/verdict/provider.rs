//! Verdicts against a provider preset: is what the probe saw what the provider documents, and
//! which settings to type into the client. Pure like the generic rules in [`super`], whose
//! findings these add to and never replace.

use std::fmt::Write as _;

use super::{Finding, FindingId, Severity};
use crate::model::{Observation, Phase, Security, State, WrongMode};
use crate::providers::{PortSpec, Preset, SecurityMode, TlsVersion};

/// Findings for every observation of a run against `preset`, endpoint by endpoint.
pub fn judge(observations: &[Observation], preset: &Preset) -> Vec<Finding> {
    observations
        .iter()
        .flat_map(|obs| judge_endpoint(obs, preset))
        .collect()
}

/// Findings for one endpoint against `preset`.
///
/// `provider.port_unsupported` is raised for every probed endpoint, including refused and
/// silent ones, because "the provider does not offer this port" is the explanation of a refused
/// 465 at Office 365; every other rule needs a connection and leaves failed ones to the generic
/// rules.
pub fn judge_endpoint(obs: &Observation, preset: &Preset) -> Vec<Finding> {
    let mut out = Out {
        obs,
        preset,
        list: Vec::new(),
    };
    if obs.state == State::Skipped {
        return out.list;
    }
    let spec = preset.port(obs.endpoint.port);
    if spec.is_none() {
        port_unsupported(&mut out);
    }
    if !connected(obs) {
        return out.list;
    }
    if let Some(spec) = spec {
        mode_mismatch(&mut out, spec);
        starttls_stripped(&mut out, spec);
        auth_mechanisms(&mut out);
    }
    intercepted(&mut out);
    tls_too_old(&mut out);
    out.list
}

/// The TCP connection was established (whatever happened after).
fn connected(obs: &Observation) -> bool {
    let connect_failed = obs
        .error
        .as_ref()
        .is_some_and(|e| e.phase == Phase::Connect);
    !matches!(
        obs.state,
        State::Refused | State::Unreachable | State::Skipped
    ) && !connect_failed
}

struct Out<'a> {
    obs: &'a Observation,
    preset: &'a Preset,
    list: Vec<Finding>,
}

impl Out<'_> {
    fn add(&mut self, id: FindingId, severity: Severity, message: String, advice: String) {
        self.list.push(Finding {
            id,
            severity,
            endpoint: Some(self.obs.endpoint.label()),
            ip: Some(self.obs.endpoint.ip),
            message,
            advice,
        });
    }
}

/// "port 587 with STARTTLS".
fn port_phrase(spec: &PortSpec) -> String {
    format!("port {} with {}", spec.port, spec.security.label())
}

/// The port to suggest instead: the recommended one, else the first listed.
fn suggestion(preset: &Preset) -> String {
    match preset.preferred() {
        Some(spec) => format!(
            "Use {}, which {} documents.",
            port_phrase(spec),
            preset.name
        ),
        None => format!(
            "Use a port {} documents (see {}).",
            preset.name,
            preset.docs.as_deref().unwrap_or("its documentation")
        ),
    }
}

fn port_unsupported(out: &mut Out<'_>) {
    let preset = out.preset;
    if preset.ports.is_empty() {
        // A preset without ports (a user's ten-liner may omit them) says nothing about ports.
        return;
    }
    let port = out.obs.endpoint.port;
    let offered: Vec<String> = preset.ports.iter().map(|p| p.port.to_string()).collect();
    out.add(
        FindingId::ProviderPortUnsupported,
        Severity::Warning,
        format!(
            "{} does not document port {port} for sending (it documents {}).",
            preset.name,
            offered.join(", ")
        ),
        suggestion(preset),
    );
}

fn mode_mismatch(out: &mut Out<'_>, spec: &PortSpec) {
    let obs = out.obs;
    let name = &out.preset.name;
    let port = spec.port;
    let documented = spec.security;
    // What the server answered with, when it was not what the probe used.
    let spoken_ok = match obs.wrong_mode {
        Some(WrongMode::ImplicitTlsOnStarttlsPort) => documented.allows(Security::ImplicitTls),
        Some(WrongMode::PlainOnTlsPort) => documented != SecurityMode::ImplicitTls,
        None => true,
    };
    if !spoken_ok {
        let spoken = match obs.wrong_mode {
            Some(WrongMode::ImplicitTlsOnStarttlsPort) => "implicit TLS",
            _ => "plain text (STARTTLS or no encryption)",
        };
        out.add(
            FindingId::ProviderModeMismatch,
            Severity::Error,
            format!(
                "Port {port} answers with {spoken}, but {name} documents {} there.",
                documented.label()
            ),
            format!(
                "Check the host name; if it is right, something in the path (a proxy, an antivirus, a firewall) answers instead of {name}. {}",
                suggestion(out.preset)
            ),
        );
        return;
    }
    let probed = obs.endpoint.security;
    if !documented.allows(probed) {
        out.add(
            FindingId::ProviderModeMismatch,
            Severity::Error,
            format!(
                "Port {port} was tried with {}, but {name} documents {} there.",
                probed.client_label(),
                documented.label()
            ),
            format!(
                "Set the client's security for port {port} to {}.",
                documented.label()
            ),
        );
    }
}

fn starttls_stripped(out: &mut Out<'_>, spec: &PortSpec) {
    let obs = out.obs;
    if !spec.security.offers_starttls()
        || obs.wrong_mode.is_some()
        || obs.endpoint.security == Security::ImplicitTls
    {
        return;
    }
    let Some(ehlo) = &obs.ehlo else {
        return;
    };
    if !ehlo.helo && ehlo.has("STARTTLS") {
        return;
    }
    let name = &out.preset.name;
    let implicit = out
        .preset
        .ports
        .iter()
        .find(|p| p.security == SecurityMode::ImplicitTls);
    let mut advice = String::from(
        "Do not send passwords over this path: turn off mail scanning in the antivirus or firewall, or try another network.",
    );
    if let Some(implicit) = implicit {
        let _ = write!(
            advice,
            " Port {} with implicit TLS cannot be downgraded this way.",
            implicit.port
        );
    }
    out.add(
        FindingId::ProviderStarttlsStripped,
        Severity::Error,
        format!(
            "{name} offers STARTTLS on port {}, but the EHLO reply seen here does not: something in the path removes it (an antivirus, a firewall with SMTP inspection, or an ISP proxy).",
            spec.port
        ),
        advice,
    );
}

fn auth_mechanisms(out: &mut Out<'_>) {
    let expected = &out.preset.auth_mechanisms;
    let Some(ehlo) = &out.obs.ehlo_tls else {
        return;
    };
    if expected.is_empty() || ehlo.helo {
        return;
    }
    let offered = ehlo.auth_mechanisms();
    let missing: Vec<&str> = expected
        .iter()
        .filter(|m| !offered.contains(m))
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        return;
    }
    let name = &out.preset.name;
    let seen = if offered.is_empty() {
        "no AUTH mechanism".to_string()
    } else {
        format!("AUTH {}", offered.join(" "))
    };
    out.add(
        FindingId::ProviderAuthMechanisms,
        Severity::Warning,
        format!(
            "After TLS the server offers {seen}; {name} normally offers {} as well.",
            missing.join(" ")
        ),
        format!(
            "A client set to {} will fail here: the account or tenant may have it switched off, or something other than {name} answers.",
            missing.join(" or ")
        ),
    );
}

fn intercepted(out: &mut Out<'_>) {
    let obs = out.obs;
    let preset = out.preset;
    let fp = &preset.fingerprint;
    // Only a host name that says "this is the provider" makes a mismatch suspicious; with a
    // forced preset and an address typed, a mismatch is more likely a wrong address.
    if fp.is_empty() || !preset.matches_host(&obs.endpoint.host) {
        return;
    }
    let mut differences: Vec<String> = Vec::new();
    let banner = obs.banner.as_ref().and_then(|r| r.lines.first());
    if let Some(line) = banner
        && !fp.banner.is_empty()
        && fp.banner_match(line).is_none()
    {
        differences.push(format!("the greeting {line:?}"));
    }
    if !fp.ehlo.is_empty() {
        for ehlo in [&obs.ehlo, &obs.ehlo_tls].into_iter().flatten() {
            if fp.ehlo_match(&ehlo.domain).is_none() {
                differences.push(format!("the EHLO name {:?}", ehlo.domain));
                break;
            }
        }
    }
    if let Some(leaf) = obs.tls.as_ref().and_then(|t| t.chain.first()) {
        if !fp.cert_san.is_empty() && fp.san_match(leaf).is_none() {
            let names = if leaf.san.is_empty() {
                leaf.subject.clone()
            } else {
                leaf.san.join(", ")
            };
            differences.push(format!("a certificate for {names}"));
        }
        if !fp.cert_issuer.is_empty() && !fp.issuer_matches(leaf) {
            differences.push(format!("a certificate issued by {}", leaf.issuer));
        }
    }
    if differences.is_empty() {
        return;
    }
    let name = &preset.name;
    out.add(
        FindingId::ProviderIntercepted,
        Severity::Error,
        format!(
            "{} is {name}'s host name, but what answers does not look like {name}: {}.",
            obs.endpoint.host,
            differences.join("; ")
        ),
        "Something in the path answers instead of the provider (an antivirus or firewall that scans mail, an ISP or company proxy, or a self-made CA); turn off mail scanning or try another network, and do not send passwords over this path until it is fixed.".to_string(),
    );
}

fn tls_too_old(out: &mut Out<'_>) {
    let (Some(min), Some(tls)) = (out.preset.min_tls, &out.obs.tls) else {
        return;
    };
    let Some(seen) = TlsVersion::from_negotiated(&tls.version) else {
        return;
    };
    if seen >= min {
        return;
    }
    let name = &out.preset.name;
    out.add(
        FindingId::ProviderTlsTooOld,
        Severity::Error,
        format!(
            "The connection negotiated {seen}, but {name} requires {min} or newer, so {name}'s servers would not agree to it."
        ),
        format!(
            "Something in the path terminates TLS with {seen} (an old proxy or antivirus), or this is not {name}'s server; clients need {min} or newer."
        ),
    );
}

/// Whether this run saw a port working.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// Every probed address of the port completed the dialogue inside TLS without an error
    /// finding.
    Working,
    /// Probed, and at least one address failed or had an error finding.
    Failing,
    /// Not probed in this run.
    NotProbed,
}

impl Seen {
    /// The name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Seen::Working => "working",
            Seen::Failing => "failing",
            Seen::NotProbed => "not_probed",
        }
    }
}

/// One documented port and what this run saw of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortCheck {
    /// TCP port.
    pub port: u16,
    /// How the provider secures it.
    pub security: SecurityMode,
    /// The provider's (or the catalogue's) recommended port.
    pub recommended: bool,
    /// Remark from the preset.
    pub note: Option<String>,
    /// Seen working, failing, or not probed.
    pub seen: Seen,
}

/// "Settings to use" for a recognised provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Preset id.
    pub provider: String,
    /// Display name.
    pub name: String,
    /// Host to type in.
    pub host: Option<String>,
    /// Port to type in (the recommended one, else the first documented).
    pub port: Option<u16>,
    /// Security for that port.
    pub security: Option<SecurityMode>,
    /// What to type as the user name.
    pub username: Option<String>,
    /// How to authenticate.
    pub authentication: Option<String>,
    /// One line each.
    pub requirements: Vec<String>,
    /// The recommended port first, then the other documented ports, each with what this run
    /// saw.
    pub ports: Vec<PortCheck>,
}

/// The settings block for `preset`, with what `observations` showed of each port.
pub fn settings(observations: &[Observation], preset: &Preset) -> Settings {
    let typed = observations.first().map(|o| o.endpoint.host.as_str());
    let preferred = preset.preferred();
    let mut ports: Vec<&PortSpec> = preset.ports.iter().collect();
    // Stable sort: recommended first, the rest in the file's order.
    ports.sort_by_key(|p| !p.recommended);
    Settings {
        provider: preset.id.clone(),
        name: preset.name.clone(),
        host: preset.host_for(typed),
        port: preferred.map(|p| p.port),
        security: preferred.map(|p| p.security),
        username: preset.username.clone(),
        authentication: preset.authentication.clone(),
        requirements: preset.requirements.clone(),
        ports: ports
            .into_iter()
            .map(|spec| PortCheck {
                port: spec.port,
                security: spec.security,
                recommended: spec.recommended,
                note: spec.note.clone(),
                seen: seen(observations, preset, spec.port),
            })
            .collect(),
    }
}

fn seen(observations: &[Observation], preset: &Preset, port: u16) -> Seen {
    let probed: Vec<&Observation> = observations
        .iter()
        .filter(|o| o.endpoint.port == port && o.state != State::Skipped)
        .collect();
    if probed.is_empty() {
        return Seen::NotProbed;
    }
    let works = |obs: &Observation| {
        obs.state == State::Ok
            && obs.tls.is_some()
            && super::judge_endpoint(obs)
                .iter()
                .chain(judge_endpoint(obs, preset).iter())
                .all(|f| f.severity != Severity::Error)
    };
    if probed.iter().all(|o| works(o)) {
        Seen::Working
    } else {
        Seen::Failing
    }
}

/// Adds the provider's findings to the generic ones, dropping each generic finding that a
/// provider finding about the same endpoint explains better ([`FindingId::supersedes`]).
pub fn add_explaining(findings: &mut Vec<Finding>, provider: Vec<Finding>) {
    findings.retain(|generic| {
        !provider.iter().any(|p| {
            p.endpoint == generic.endpoint
                && p.ip == generic.ip
                && p.id.supersedes() == Some(generic.id)
        })
    });
    findings.extend(provider);
}

#[cfg(test)]
mod tests;
