//! An e-mail address with a local part beyond ASCII (`müller@example.com`) can only be used
//! where SMTPUTF8 (RFC 6531) is offered: sending from it through the submission hosts, mail to
//! it through the MX hosts. One finding says so and which servers offer it, from the EHLO
//! keywords the probes saw. (An international domain needs nothing: it has an ASCII form.)

use crate::model::{Discovery, Observation, Role};
use crate::verdict::{Finding, FindingId, Severity};

/// `smtp.smtputf8_missing` (a server that completed its dialogue lacks SMTPUTF8) or
/// `smtp.smtputf8` (all offer it, or none could be asked); `None` when `local_part` is ASCII.
pub fn judge(
    address: &str,
    local_part: &str,
    discovery: &Discovery,
    observations: &[Observation],
) -> Option<Finding> {
    if local_part.is_ascii() {
        return None;
    }
    // (who, offers), one entry per host and port; one address without it counts.
    let mut servers: Vec<(String, bool)> = Vec::new();
    for o in observations {
        let Some(ehlo) = o.final_ehlo() else { continue };
        let offers = !ehlo.helo && ehlo.has("SMTPUTF8");
        let role = discovery.origin(&o.endpoint).and_then(|p| p.role);
        let who = match role {
            Some(Role::Submission) => format!("submission host {}", o.endpoint.label()),
            Some(Role::Inbound) => format!("MX host {}", o.endpoint.label()),
            None => o.endpoint.label(),
        };
        match servers.iter_mut().find(|(w, _)| *w == who) {
            Some(entry) => entry.1 &= offers,
            None => servers.push((who, offers)),
        }
    }
    let needs = format!(
        "{address} has a local part beyond ASCII: mail to or from it needs SMTPUTF8 (RFC 6531)"
    );
    let missing: Vec<&str> = servers
        .iter()
        .filter(|(_, offers)| !offers)
        .map(|(who, _)| who.as_str())
        .collect();
    let (id, severity, message, advice) = if !missing.is_empty() {
        (
            FindingId::SmtpSmtputf8Missing,
            Severity::Warning,
            format!("{needs}, and {} does not offer it.", missing.join(", ")),
            "Sending from this address needs submission hosts with SMTPUTF8, mail to it MX hosts with SMTPUTF8 (Postfix: smtputf8_enable = yes); until then give the mailbox an ASCII alias for mail that must arrive.",
        )
    } else if servers.is_empty() {
        (
            FindingId::SmtpSmtputf8,
            Severity::Info,
            format!(
                "{needs}; no server completed its greeting, so whether they offer it is not known."
            ),
            "Check again once the servers answer; they must offer SMTPUTF8 in their EHLO reply.",
        )
    } else {
        let all: Vec<&str> = servers.iter().map(|(who, _)| who.as_str()).collect();
        (
            FindingId::SmtpSmtputf8,
            Severity::Info,
            format!(
                "{needs}, which every server checked offers ({}).",
                all.join(", ")
            ),
            "Nothing to fix here; the other side's servers need SMTPUTF8 too, or mail between them bounces.",
        )
    };
    Some(Finding {
        id,
        severity,
        endpoint: None,
        ip: None,
        message,
        advice: advice.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Endpoint, Planned, Security, Source};
    use crate::smtp::{Ehlo, Keyword};

    fn observation(host: &str, port: u16, keywords: &[&str]) -> Observation {
        let mut o = Observation::new(Endpoint {
            host: host.into(),
            ip: "192.0.2.1".parse().unwrap(),
            port,
            security: Security::Starttls,
        });
        o.ehlo_tls = Some(Ehlo {
            code: 250,
            domain: host.into(),
            greeting: String::new(),
            keywords: keywords
                .iter()
                .map(|k| Keyword {
                    name: (*k).into(),
                    params: Vec::new(),
                })
                .collect(),
            lines: Vec::new(),
            helo: false,
        });
        o
    }

    fn discovery(observations: &[Observation]) -> Discovery {
        Discovery {
            planned: observations
                .iter()
                .map(|o| Planned {
                    endpoint: o.endpoint.clone(),
                    role: Some(if o.endpoint.port == 25 {
                        Role::Inbound
                    } else {
                        Role::Submission
                    }),
                    source: Source::Mx,
                })
                .collect(),
            ..Discovery::default()
        }
    }

    #[test]
    fn ascii_local_parts_need_nothing() {
        let obs = vec![observation("mx.example", 25, &[])];
        assert_eq!(
            judge("alice@münchen.example", "alice", &discovery(&obs), &obs),
            None
        );
    }

    #[test]
    fn says_which_servers_lack_it() {
        let obs = vec![
            observation("smtp.example", 587, &["SMTPUTF8", "AUTH"]),
            observation("mx.example", 25, &["8BITMIME"]),
        ];
        let f = judge("müller@example.com", "müller", &discovery(&obs), &obs).unwrap();
        assert_eq!(f.id, FindingId::SmtpSmtputf8Missing);
        assert_eq!(f.severity, Severity::Warning);
        assert!(f.message.contains("RFC 6531"), "{}", f.message);
        assert!(
            f.message
                .contains("MX host mx.example:25 does not offer it"),
            "{}",
            f.message
        );
        assert!(!f.message.contains("smtp.example:587"), "{}", f.message);
    }

    #[test]
    fn one_address_without_it_counts_for_its_server() {
        // Two addresses of one MX host: the second does not offer it.
        let mut second = observation("mx.example", 25, &[]);
        second.endpoint.ip = "192.0.2.2".parse().unwrap();
        let obs = vec![observation("mx.example", 25, &["SMTPUTF8"]), second];
        let f = judge("müller@example.com", "müller", &discovery(&obs), &obs).unwrap();
        assert_eq!(f.id, FindingId::SmtpSmtputf8Missing);
        assert!(f.message.contains("mx.example:25"), "{}", f.message);
    }

    #[test]
    fn all_offering_it_is_information() {
        let obs = vec![
            observation("smtp.example", 587, &["smtputf8"]),
            observation("mx.example", 25, &["SMTPUTF8"]),
        ];
        let f = judge("müller@example.com", "müller", &discovery(&obs), &obs).unwrap();
        assert_eq!(
            (f.id, f.severity),
            (FindingId::SmtpSmtputf8, Severity::Info)
        );
        assert!(
            f.message
                .contains("submission host smtp.example:587, MX host mx.example:25")
        );
        let none: Vec<Observation> = Vec::new();
        let f = judge("müller@example.com", "müller", &Discovery::default(), &none).unwrap();
        assert_eq!(
            (f.id, f.severity),
            (FindingId::SmtpSmtputf8, Severity::Info)
        );
        assert!(f.message.contains("not known"), "{}", f.message);
    }
}
