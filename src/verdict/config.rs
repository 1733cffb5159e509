//! The user's own settings (a URL or DSN) against what the probes saw: one finding that says
//! whether the configuration works as given and, when not, what to change, naming a port this
//! run saw working ([`judge`]). The other ports of such a run are probed only to inform: the
//! settings' port is the one the user named ([`crate::verdict::weight`]).

use crate::model::{ConfigSecurity, Observation, Phase, Security, State, UserConfig, WrongMode};
use crate::verdict::{Finding, FindingId, Severity};

/// The one finding about the user's settings: `config.tls_mode`, `config.port_closed`,
/// `config.no_tls`, `config.broken` or `config.ok`. `findings` are the run's others (the
/// endpoints' and the credential check's), read to tell "works" from "answers".
pub fn judge(config: &UserConfig, observations: &[Observation], findings: &[Finding]) -> Finding {
    let mine: Vec<&Observation> = observations
        .iter()
        .filter(|o| o.endpoint.port == config.port && o.state != State::Skipped)
        .collect();
    let alternatives = alternatives(config, observations, findings);
    if let Some(mode) = mine.iter().find_map(|o| o.wrong_mode) {
        return tls_mode(config, mode, &alternatives);
    }
    if mine.iter().all(|o| silent(o)) {
        return port_closed(config, &mine, &alternatives);
    }
    if let Some(finding) = no_tls(config, &mine, &alternatives) {
        return finding;
    }
    let errors: Vec<&Finding> = mine.iter().flat_map(|o| errors_of(o, findings)).collect();
    // With verify_peer=0 the app does not look at the certificate: its findings stand, but
    // the settings still work as the app uses them.
    let (ignored, blocking): (Vec<&Finding>, Vec<&Finding>) = errors
        .into_iter()
        .partition(|f| !config.verify_peer && f.id.area() == "cert");
    if !blocking.is_empty() {
        return broken(config, &blocking, &alternatives);
    }
    ok(config, &mine, findings, &ignored)
}

/// `host, port 587 with STARTTLS`.
fn describe(config: &UserConfig) -> String {
    format!(
        "{}, port {} with {}",
        config.host,
        config.port,
        config.security.label()
    )
}

fn finding(id: FindingId, severity: Severity, message: String, advice: String) -> Finding {
    Finding {
        id,
        severity,
        endpoint: None,
        ip: None,
        message,
        advice,
    }
}

/// The error findings about one endpoint.
fn errors_of<'a>(o: &Observation, findings: &'a [Finding]) -> Vec<&'a Finding> {
    let label = o.endpoint.label();
    findings
        .iter()
        .filter(|f| {
            f.severity == Severity::Error
                && f.endpoint.as_deref() == Some(label.as_str())
                && f.ip == Some(o.endpoint.ip)
        })
        .collect()
}

/// Nothing answered: refused, unreachable, or no answer to the connection attempt.
fn silent(o: &Observation) -> bool {
    match o.state {
        State::Refused | State::Unreachable => true,
        State::Timeout => o.error.as_ref().is_none_or(|e| e.phase == Phase::Connect),
        _ => false,
    }
}

/// Other ports this run saw working with TLS (a verified certificate, no error finding), as
/// (port, mode), the usual submission ports first and 25 last.
fn alternatives(
    config: &UserConfig,
    observations: &[Observation],
    findings: &[Finding],
) -> Vec<(u16, Security)> {
    let mut working: Vec<(u16, Security)> = Vec::new();
    for o in observations {
        let port = o.endpoint.port;
        let good = port != config.port
            && o.state == State::Ok
            && o.wrong_mode.is_none()
            && o.tls.is_some()
            && errors_of(o, findings).is_empty();
        let entry = (port, o.endpoint.security);
        if good && !working.contains(&entry) {
            working.push(entry);
        }
    }
    working.sort_by_key(|&(port, _)| match port {
        587 => 0,
        465 => 1,
        25 => 3,
        _ => 2,
    });
    working
}

/// `587 with STARTTLS`.
fn port_mode(port: u16, security: Security) -> String {
    format!("{port} with {}", security.client_label())
}

/// The alternative to name, in `mode` when there is one in it: `587 with STARTTLS`.
fn best(alternatives: &[(u16, Security)], mode: Option<Security>) -> Option<String> {
    alternatives
        .iter()
        .find(|(_, s)| mode.is_none_or(|m| *s == m))
        .or(alternatives.first())
        .map(|&(port, security)| port_mode(port, security))
}

/// `, or use 587 with STARTTLS, which this run saw working`, or nothing.
fn or_use(alternatives: &[(u16, Security)], mode: Option<Security>) -> String {
    best(alternatives, mode)
        .map(|alt| format!(", or use {alt}, which this run saw working"))
        .unwrap_or_default()
}

fn tls_mode(config: &UserConfig, mode: WrongMode, alternatives: &[(u16, Security)]) -> Finding {
    let port = config.port;
    let (speaks, set, keep) = match mode {
        WrongMode::ImplicitTlsOnStarttlsPort => (
            "implicit TLS (SSL/TLS), not STARTTLS",
            "SSL/TLS (implicit TLS) for this port: smtps://, smtp+ssl:// or encryption=ssl",
            Security::Starttls,
        ),
        WrongMode::PlainOnTlsPort => (
            "STARTTLS: it greets in plain text, not inside TLS",
            "STARTTLS for this port: smtp+tls://, submission:// or encryption=tls",
            Security::ImplicitTls,
        ),
    };
    finding(
        FindingId::ConfigTlsMode,
        Severity::Error,
        format!(
            "Your settings: {}; port {port} speaks {speaks}, so the app cannot connect.",
            describe(config)
        ),
        format!("Set {set}{}.", or_use(alternatives, Some(keep))),
    )
}

fn port_closed(
    config: &UserConfig,
    mine: &[&Observation],
    alternatives: &[(u16, Security)],
) -> Finding {
    let how = match mine.first().map(|o| o.state) {
        Some(State::Refused) => "the connection is refused",
        Some(State::Unreachable) => "it cannot be reached",
        Some(_) => "the connection attempt gets no answer",
        None => "it was not probed from here",
    };
    let advice = match alternatives {
        [] => "Check the host name and the port in the settings; nothing else answered with TLS \
               either, so check this network (`smtp-doctor ports`) and the server."
            .to_string(),
        _ => {
            let working: Vec<String> = alternatives
                .iter()
                .map(|&(port, security)| port_mode(port, security))
                .collect();
            format!(
                "Use {}, which this run saw working (set the port and its security together).",
                working.join(" or ")
            )
        }
    };
    finding(
        FindingId::ConfigPortClosed,
        Severity::Error,
        format!(
            "Your settings: {}; nothing answers on port {}: {how}.",
            describe(config),
            config.port
        ),
        advice,
    )
}

/// TLS off while the server offers it, or STARTTLS only when offered at a port that offers
/// none: the password would travel in clear text.
fn no_tls(
    config: &UserConfig,
    mine: &[&Observation],
    alternatives: &[(u16, Security)],
) -> Option<Finding> {
    let answered: Vec<&&Observation> = mine.iter().filter(|o| o.state == State::Ok).collect();
    let offers = answered.iter().any(|o| {
        o.starttls.as_ref().is_some_and(|s| s.offered)
            || o.ehlo.as_ref().is_some_and(|e| e.has("STARTTLS"))
    });
    let encrypted = answered.iter().any(|o| o.tls.is_some());
    let message = match config.security {
        ConfigSecurity::Plain if !answered.is_empty() && offers => format!(
            "Your settings: {}; they turn TLS off although port {} offers STARTTLS: the password and every message travel in clear text.",
            describe(config),
            config.port
        ),
        ConfigSecurity::Plain if !answered.is_empty() => format!(
            "Your settings: {}; they turn TLS off, and port {} offers no STARTTLS either: the password and every message travel in clear text.",
            describe(config),
            config.port
        ),
        ConfigSecurity::OpportunisticStarttls if !answered.is_empty() && !encrypted && !offers => {
            format!(
                "Your settings: {}; port {} offers no STARTTLS, so the app goes on in clear text: the password and every message can be read on the way.",
                describe(config),
                config.port
            )
        }
        _ => return None,
    };
    let advice = if offers {
        format!(
            "Turn TLS on: encryption=tls (or smtp+tls://, submission://) for STARTTLS on port {}.",
            config.port
        )
    } else {
        match best(alternatives, None) {
            Some(alt) => format!(
                "Use {alt}, which this run saw working; if this is your server, enable STARTTLS on it."
            ),
            None => "Use a port with TLS (587 with STARTTLS or 465 with SSL/TLS); if this is your server, enable STARTTLS on it.".to_string(),
        }
    };
    Some(finding(
        FindingId::ConfigNoTls,
        Severity::Error,
        message,
        advice,
    ))
}

fn broken(config: &UserConfig, errors: &[&Finding], alternatives: &[(u16, Security)]) -> Finding {
    let mut ids: Vec<&str> = errors.iter().map(|f| f.id.as_str()).collect();
    ids.dedup();
    finding(
        FindingId::ConfigBroken,
        Severity::Error,
        format!(
            "Your settings: {}; the port answers, but this does not work as given: {}.",
            describe(config),
            ids.join(", ")
        ),
        format!(
            "Fix what those findings say{}.",
            or_use(alternatives, Some(config.security.probe()))
        ),
    )
}

fn ok(
    config: &UserConfig,
    mine: &[&Observation],
    findings: &[Finding],
    ignored: &[&Finding],
) -> Finding {
    let logged_in = mine.iter().any(|o| {
        let label = o.endpoint.label();
        findings
            .iter()
            .any(|f| f.id == FindingId::AuthOk && f.endpoint.as_deref() == Some(label.as_str()))
    });
    let mut message = format!("Your settings work as given: {}", describe(config));
    if let Some(user) = &config.user
        && logged_in
    {
        message.push_str(&format!(", and the server accepted the login of {user}"));
    }
    message.push('.');
    let advice = if ignored.is_empty() {
        "Nothing to change.".to_string()
    } else {
        let mut ids: Vec<&str> = ignored.iter().map(|f| f.id.as_str()).collect();
        ids.dedup();
        message.push_str(&format!(
            " They work only because verify_peer=0 turns the certificate check off ({}).",
            ids.join(", ")
        ));
        "Fix the certificate, then turn verify_peer back on: without it anyone in the path can read the password.".to_string()
    };
    finding(FindingId::ConfigOk, Severity::Info, message, advice)
}

#[cfg(test)]
mod tests;
