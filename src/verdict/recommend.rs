//! Settings to type into a mail client for any server, built from what this run saw (a
//! provider's preset has its own block, [`super::provider::settings`]): the port and TLS mode
//! that work securely, the AUTH mechanisms on offer there, and why; or, when no port works
//! securely, why none can be recommended.
//!
//! The order, best first: a certificate that verifies over one that does not; TLS that worked
//! over none (a port without working TLS is never recommended while one with TLS works); AUTH
//! offered inside TLS; then implicit TLS on 465 (RFC 8314 section 3.3 prefers it for
//! submission), STARTTLS on 587, other ports, and 25 last (for server-to-server mail, and often
//! blocked for clients).

use crate::model::{Observation, Security, State, WrongMode};
use crate::verdict::{Finding, FindingId, Severity};

/// What to type into the client, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recommendation {
    /// The host to type in.
    pub host: String,
    /// The port and mode, when one works securely.
    pub port: Option<u16>,
    /// How that port is secured.
    pub security: Option<Security>,
    /// The AUTH mechanisms offered there inside TLS (empty: none, or not advertised).
    pub auth: Vec<String>,
    /// Why this port, or why none.
    pub why: String,
    /// Other ports that also work securely, each as `465 with SSL/TLS (implicit TLS)`.
    pub also: Vec<String>,
}

/// The recommendation among the endpoints a mail client could use (`observations`: a typed
/// server's, or a domain's submission hosts), given the run's findings; `None` when nothing was
/// probed.
pub fn recommend(observations: &[Observation], findings: &[Finding]) -> Option<Recommendation> {
    let host = observations.first()?.endpoint.host.clone();
    let mut ranked: Vec<(Rank, &Observation)> = observations
        .iter()
        .filter_map(|o| rank(o, findings).map(|r| (r, o)))
        .collect();
    ranked.sort_by_key(|(rank, _)| *rank);
    let Some((best_rank, best)) = ranked.first() else {
        return Some(Recommendation {
            host,
            port: None,
            security: None,
            auth: Vec::new(),
            why: "no port of this server completed TLS and the dialogue inside it, so none can be recommended: over what answered, a mail client would send its password and mail in clear text, or not get through. See the findings above for what failed on each port.".to_string(),
            also: Vec::new(),
        });
    };
    let host = best.endpoint.host.clone();
    let port = best.endpoint.port;
    let security = mode(best).unwrap_or(best.endpoint.security);
    let auth = mechanisms(best);
    let mut why = vec![format!(
        "TLS works ({})",
        best.tls.as_ref().map_or("", |t| t.version.as_str())
    )];
    if mode(best) != Some(best.endpoint.security) {
        why.push(format!(
            "as {} (the port speaks it, not {})",
            security.client_label(),
            best.endpoint.security.client_label()
        ));
    }
    why.push(if best_rank.untrusted {
        let reason = best
            .tls
            .as_ref()
            .and_then(|t| t.verification.errors.first())
            .map_or_else(String::new, |e| format!(" ({})", e.message));
        format!(
            "but its certificate does not verify{reason}, and no port's does: clients that check certificates will refuse it"
        )
    } else {
        "and its certificate verifies".to_string()
    });
    why.push(if auth.is_empty() {
        "no AUTH is offered inside TLS (a relay that does not need a login, or AUTH is off)"
            .to_string()
    } else {
        format!("AUTH {} is offered inside TLS", auth.join(" "))
    });
    let mut also: Vec<String> = Vec::new();
    for (rank, o) in ranked.iter().skip(1) {
        let text = format!(
            "{} with {}",
            o.endpoint.port,
            mode(o).unwrap_or(o.endpoint.security).client_label()
        );
        if rank.untrusted == best_rank.untrusted && o.endpoint.port != port && !also.contains(&text)
        {
            also.push(text);
        }
    }
    Some(Recommendation {
        host,
        port: Some(port),
        security: Some(security),
        auth,
        why: format!("{}.", why.join(", ")),
        also,
    })
}

/// How good an endpoint is as a client's setting; lower is better. `None`: TLS did not work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Rank {
    untrusted: bool,
    no_auth: bool,
    port: u8,
    address: u8,
}

fn rank(o: &Observation, findings: &[Finding]) -> Option<Rank> {
    let tls = o.tls.as_ref()?;
    let security = mode(o)?;
    if security == Security::Plain || o.ehlo_tls.is_none() {
        return None;
    }
    // An error of the connection itself (injection, a legacy TLS version, a broken dialogue)
    // rules it out; the certificate's are ranked below, and a refused login or AUTH turned
    // off is about the account, not the port.
    let label = o.endpoint.label();
    let connection_error = findings.iter().any(|f| {
        f.endpoint.as_deref() == Some(label.as_str())
            && f.ip == Some(o.endpoint.ip)
            && f.severity == Severity::Error
            && matches!(f.id.area(), "port" | "smtp" | "starttls" | "tls")
            && f.id != FindingId::TlsWrongMode
    });
    if connection_error {
        return None;
    }
    let untrusted = !tls.verification.trusted
        || tls.verification.hostname_match == Some(false)
        || !tls.verification.errors.is_empty();
    let port = match (o.endpoint.port, security) {
        (465, Security::ImplicitTls) => 0,
        (587, _) => 1,
        (25, _) => 3,
        _ => 2,
    };
    Some(Rank {
        untrusted,
        no_auth: mechanisms(o).is_empty(),
        port,
        address: u8::from(o.endpoint.ip.is_ipv6()),
    })
}

/// The mode that worked on an endpoint: the one probed when its dialogue completed, implicit
/// TLS on a STARTTLS port that turned out to speak it (the second connection's handshake and
/// EHLO); `None` otherwise.
fn mode(o: &Observation) -> Option<Security> {
    match (o.state, o.wrong_mode) {
        (State::Ok, None) => Some(o.endpoint.security),
        (_, Some(WrongMode::ImplicitTlsOnStarttlsPort)) => Some(Security::ImplicitTls),
        _ => None,
    }
}

/// The AUTH mechanisms offered inside TLS.
fn mechanisms(o: &Observation) -> Vec<String> {
    o.ehlo_tls
        .as_ref()
        .map(|e| {
            e.auth_mechanisms()
                .iter()
                .map(ToString::to_string)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
