//! How much a finding weighs for the exit code: the one rule (README, "Exit codes").
//!
//! The exit code answers "does a secure, working way to use this server exist, and is
//! everything the user named healthy?". Ports the user named (`--port`, `host:port`, a URL or
//! DSN) are judged strictly: their errors stay errors. Ports probed only to inform (the 25, 587
//! and 465 sweep, a provider's other documented ports) are not what the user relies on: their
//! errors become warnings when the user named the ports that count, or when another endpoint
//! is a secure, working way (it answered, TLS verified, no error of its own, and the login
//! worked there when credentials were checked). Findings about the run as a whole keep their
//! weight. A mail domain is judged strictly throughout: its MX hosts and its submission hosts
//! are each something the domain relies on.

use crate::model::{Observation, Security, State};
use crate::verdict::{Finding, FindingId, Severity};

/// What the user named, for [`weigh`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Named<'a> {
    /// The ports the user named; empty when they named none.
    pub ports: &'a [u16],
    /// Credentials were checked (`--user`): a secure way must also take the login.
    pub credentials: bool,
}

/// Lowers errors about endpoints probed only to inform, by the rule above. Each lowered
/// finding says so at the end of its message.
pub fn weigh(findings: &mut [Finding], observations: &[Observation], named: Named<'_>) {
    let informative = |o: &Observation| !named.ports.contains(&o.endpoint.port);
    if !observations.iter().any(informative) {
        return;
    }
    let secure_way = observations
        .iter()
        .find(|o| is_secure_way(o, findings, named.credentials))
        .map(|o| o.endpoint.label());
    let reason = match (named.ports.is_empty(), &secure_way) {
        (false, _) => "probed only to inform; the ports you named decide".to_string(),
        (true, Some(way)) => format!("probed only to inform; {way} is a secure way that works"),
        (true, None) => return,
    };
    for finding in findings.iter_mut() {
        let about_informative = observations
            .iter()
            .any(|o| is_about(finding, o) && informative(o));
        if about_informative && finding.severity == Severity::Error {
            finding.severity = Severity::Warning;
            finding.message = format!("{} ({reason}.)", finding.message.trim_end());
        }
    }
}

/// Whether `finding` is about the endpoint of `o`.
fn is_about(finding: &Finding, o: &Observation) -> bool {
    finding.endpoint.as_deref() == Some(o.endpoint.label().as_str())
        && finding.ip == Some(o.endpoint.ip)
}

/// An endpoint that answered, secured by TLS with a certificate that verified, with no error
/// of its own, and, when credentials were checked, where the login worked.
fn is_secure_way(o: &Observation, findings: &[Finding], credentials: bool) -> bool {
    let verified = o.tls.as_ref().is_some_and(|tls| {
        tls.verification.trusted && tls.verification.hostname_match != Some(false)
    });
    let in_tls = match o.endpoint.security {
        Security::ImplicitTls => true,
        Security::Starttls => o.ehlo_tls.is_some(),
        Security::Plain => false,
    };
    let mine = || findings.iter().filter(|f| is_about(f, o));
    o.state == State::Ok
        && o.wrong_mode.is_none()
        && verified
        && in_tls
        && !mine().any(|f| f.severity == Severity::Error)
        && (!credentials || mine().any(|f| f.id == FindingId::AuthOk))
}

#[cfg(test)]
mod tests;
