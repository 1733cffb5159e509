//! Monitoring verdicts: the status a Nagios-style plugin reports for a check (`check --format
//! nagios`), and why. One rule, a pure function of the observations and the findings:
//!
//! - any `error` finding: CRITICAL;
//! - an endpoint's leaf certificate with at most `crit_days` days left (expired included):
//!   CRITICAL;
//! - at most `warn_days` days left: WARNING;
//! - any `warning` finding: WARNING;
//! - otherwise OK.
//!
//! UNKNOWN is for a run that could not happen at all (bad arguments, an unreadable CA file):
//! there is no report then, and the command line says so without asking this rule.

use crate::model::Observation;
use crate::verdict::{Finding, Severity};

/// A plugin's status, with the exit code monitoring systems read (Nagios plugin API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Healthy: exit code 0.
    Ok,
    /// Works, but needs attention: exit code 1.
    Warning,
    /// Broken, or about to break: exit code 2.
    Critical,
    /// The check could not run: exit code 3.
    Unknown,
}

impl Status {
    /// `OK`, `WARNING`, `CRITICAL` or `UNKNOWN`, as the status line says it.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Warning => "WARNING",
            Status::Critical => "CRITICAL",
            Status::Unknown => "UNKNOWN",
        }
    }

    /// The plugin's exit code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
    pub fn exit_code(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Warning => 1,
            Status::Critical => 2,
            Status::Unknown => 3,
        }
    }

    /// How bad, for "the worst wins": OK, then WARNING, UNKNOWN, CRITICAL. (The rule never
    /// gives UNKNOWN itself; a run that could not happen has no reasons to sort.)
    fn rank(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Warning => 1,
            Status::Unknown => 2,
            Status::Critical => 3,
        }
    }
}

/// Certificate expiry thresholds in whole days (`--warn-days`, `--crit-days`): a leaf with
/// at most this many days left is WARNING, CRITICAL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// WARNING at or below this many days left.
    pub warn_days: i64,
    /// CRITICAL at or below this many days left; less than `warn_days`.
    pub crit_days: i64,
}

impl Default for Thresholds {
    /// 30 and 14 days, as check_ssl_cert-style plugins default to.
    fn default() -> Thresholds {
        Thresholds {
            warn_days: 30,
            crit_days: 14,
        }
    }
}

/// One reason for a status other than OK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    /// The status this reason alone would give.
    pub status: Status,
    /// Short, for the status line: `port.refused on mail.example.com:25`.
    pub summary: String,
    /// One sentence with the endpoint's address and what was seen, for the lines after it.
    pub detail: String,
}

/// The status of a run and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    /// The worst status of the reasons, OK without any.
    pub status: Status,
    /// Worst first; within one status the certificate thresholds first, then the findings in
    /// the report's order.
    pub reasons: Vec<Reason>,
    /// The fewest days left of any endpoint's leaf certificate (negative when expired); `None`
    /// when no endpoint presented one.
    pub fewest_days_left: Option<i64>,
    /// The thresholds the certificates were judged by.
    pub thresholds: Thresholds,
}

/// The Nagios status of a run from its observations and (weighed) findings, by the rule at the
/// top of this module.
pub fn nagios_status(
    observations: &[Observation],
    findings: &[Finding],
    thresholds: Thresholds,
) -> Assessment {
    let mut reasons: Vec<Reason> = observations
        .iter()
        .filter_map(|o| certificate_reason(o, thresholds))
        .collect();
    reasons.extend(findings.iter().filter_map(finding_reason));
    // Stable: equal statuses keep the order above.
    reasons.sort_by_key(|r| std::cmp::Reverse(r.status.rank()));
    let status = reasons.first().map_or(Status::Ok, |r| r.status);
    let fewest_days_left = observations
        .iter()
        .filter_map(|o| o.tls.as_ref()?.chain.first().map(|leaf| leaf.days_left))
        .min();
    Assessment {
        status,
        reasons,
        fewest_days_left,
        thresholds,
    }
}

/// CRITICAL or WARNING when the endpoint's leaf is at or below a threshold.
fn certificate_reason(o: &Observation, thresholds: Thresholds) -> Option<Reason> {
    let leaf = o.tls.as_ref()?.chain.first()?;
    let days = leaf.days_left;
    let (status, flag, limit) = if days <= thresholds.crit_days {
        (Status::Critical, "--crit-days", thresholds.crit_days)
    } else if days <= thresholds.warn_days {
        (Status::Warning, "--warn-days", thresholds.warn_days)
    } else {
        return None;
    };
    let when = match days {
        d if d < 0 => format!("expired {} ago", days_text(-d)),
        0 => "expires within a day".to_string(),
        d => format!("expires in {}", days_text(d)),
    };
    let short_flag = flag.trim_start_matches("--").trim_end_matches("-days");
    Some(Reason {
        status,
        summary: format!(
            "certificate of {} {when} ({short_flag} {limit})",
            o.endpoint.label()
        ),
        detail: format!(
            "The certificate of {} {when} ({}): at or below {flag} {limit}.",
            o.endpoint.describe(),
            leaf.not_after
        ),
    })
}

/// CRITICAL for an error finding, WARNING for a warning; info findings give no reason.
fn finding_reason(f: &Finding) -> Option<Reason> {
    let status = match f.severity {
        Severity::Error => Status::Critical,
        Severity::Warning => Status::Warning,
        Severity::Info => return None,
    };
    let summary = match &f.endpoint {
        Some(endpoint) => format!("{} on {endpoint}", f.id),
        None => f.id.to_string(),
    };
    Some(Reason {
        status,
        summary,
        detail: format!("{}: {}", f.id, f.message.trim()),
    })
}

/// `1 day`, `20 days`.
fn days_text(n: i64) -> String {
    if n == 1 {
        "1 day".to_string()
    } else {
        format!("{n} days")
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use super::*;
    use crate::model::{CertFacts, Endpoint, Security, TlsFacts, Verification};
    use crate::verdict::FindingId;

    fn endpoint(port: u16) -> Endpoint {
        Endpoint {
            host: "mail.test".into(),
            ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port,
            security: Security::Starttls,
        }
    }

    /// An endpoint whose leaf has `days` days left, or no TLS at all.
    fn obs(port: u16, days: Option<i64>) -> Observation {
        let mut o = Observation::new(endpoint(port));
        o.tls = days.map(|days_left| TlsFacts {
            version: "TLSv1.3".into(),
            cipher: "TLS_AES_128_GCM_SHA256".into(),
            key_exchange: None,
            chain: vec![CertFacts {
                subject: "CN=mail.test".into(),
                issuer: "CN=Test CA".into(),
                san: vec!["mail.test".into()],
                not_before: "2020-01-01T00:00:00Z".into(),
                not_after: "2030-01-01T00:00:00Z".into(),
                days_left,
                not_yet_valid_secs: -1,
                key: "EC P-256".into(),
                signature_algorithm: "ecdsa-with-SHA256".into(),
                rsa_bits: None,
                signature_digest: Some("SHA-256".into()),
                serial: "01".into(),
                sha256: "00".into(),
                self_issued: false,
                is_ca: false,
                digests: Default::default(),
            }],
            verification: Verification::default(),
        });
        o
    }

    fn finding(id: FindingId, severity: Severity, port: Option<u16>) -> Finding {
        Finding {
            id,
            severity,
            endpoint: port.map(|p| endpoint(p).label()),
            ip: port.map(|p| endpoint(p).ip),
            message: format!("{} seen.", id.as_str()),
            advice: "Fix it.".into(),
        }
    }

    const T: Thresholds = Thresholds {
        warn_days: 30,
        crit_days: 14,
    };

    #[test]
    fn the_status_table() {
        use FindingId::{CertExpiringSoon, PortRefused, PortSkipped, StarttlsMissing};
        use Severity::{Error, Info, Warning};
        let cases: Vec<(&str, Vec<Observation>, Vec<Finding>, Status)> = vec![
            ("healthy", vec![obs(587, Some(200))], vec![], Status::Ok),
            (
                "no TLS, no finding",
                vec![obs(25, None)],
                vec![],
                Status::Ok,
            ),
            (
                "an info finding",
                vec![obs(587, Some(200))],
                vec![finding(PortSkipped, Info, Some(25))],
                Status::Ok,
            ),
            ("31 days", vec![obs(587, Some(31))], vec![], Status::Ok),
            ("30 days", vec![obs(587, Some(30))], vec![], Status::Warning),
            ("20 days", vec![obs(587, Some(20))], vec![], Status::Warning),
            ("15 days", vec![obs(587, Some(15))], vec![], Status::Warning),
            (
                "14 days",
                vec![obs(587, Some(14))],
                vec![],
                Status::Critical,
            ),
            ("0 days", vec![obs(587, Some(0))], vec![], Status::Critical),
            (
                "expired",
                vec![obs(587, Some(-3))],
                vec![],
                Status::Critical,
            ),
            (
                "one endpoint near expiry of two",
                vec![obs(587, Some(200)), obs(465, Some(10))],
                vec![],
                Status::Critical,
            ),
            (
                "a warning finding",
                vec![obs(587, Some(200))],
                vec![finding(CertExpiringSoon, Warning, Some(587))],
                Status::Warning,
            ),
            (
                "an error finding",
                vec![obs(587, Some(200))],
                vec![finding(PortRefused, Error, Some(25))],
                Status::Critical,
            ),
            (
                "a run-wide error finding",
                vec![],
                vec![finding(FindingId::DnsNxdomain, Error, None)],
                Status::Critical,
            ),
            (
                "an error beats a warning",
                vec![obs(587, Some(20))],
                vec![
                    finding(StarttlsMissing, Warning, Some(25)),
                    finding(PortRefused, Error, Some(465)),
                ],
                Status::Critical,
            ),
        ];
        for (name, observations, findings, expected) in cases {
            let a = nagios_status(&observations, &findings, T);
            assert_eq!(a.status, expected, "{name}: {a:#?}");
            assert_eq!(a.reasons.is_empty(), expected == Status::Ok, "{name}");
        }
    }

    #[test]
    fn thresholds_are_the_ones_given() {
        let o = [obs(587, Some(50))];
        let wide = Thresholds {
            warn_days: 60,
            crit_days: 40,
        };
        assert_eq!(nagios_status(&o, &[], wide).status, Status::Warning);
        let wider = Thresholds {
            warn_days: 90,
            crit_days: 50,
        };
        assert_eq!(nagios_status(&o, &[], wider).status, Status::Critical);
        assert_eq!(nagios_status(&o, &[], T).status, Status::Ok);
        assert_eq!(Thresholds::default(), T);
    }

    #[test]
    fn reasons_come_worst_first_with_their_endpoint() {
        let observations = [obs(587, Some(20)), obs(465, Some(5))];
        let findings = [
            finding(FindingId::CertExpiringSoon, Severity::Warning, Some(465)),
            finding(FindingId::PortRefused, Severity::Error, Some(25)),
            finding(FindingId::DnsPtrMissing, Severity::Warning, None),
        ];
        let a = nagios_status(&observations, &findings, T);
        let summaries: Vec<&str> = a.reasons.iter().map(|r| r.summary.as_str()).collect();
        assert_eq!(
            summaries,
            [
                "certificate of mail.test:465 expires in 5 days (crit 14)",
                "port.refused on mail.test:25",
                "certificate of mail.test:587 expires in 20 days (warn 30)",
                "cert.expiring_soon on mail.test:465",
                "dns.ptr_missing",
            ]
        );
        let statuses: Vec<Status> = a.reasons.iter().map(|r| r.status).collect();
        assert_eq!(
            statuses,
            [
                Status::Critical,
                Status::Critical,
                Status::Warning,
                Status::Warning,
                Status::Warning
            ]
        );
        assert_eq!(
            a.reasons[0].detail,
            "The certificate of mail.test:465 (127.0.0.1) expires in 5 days \
             (2030-01-01T00:00:00Z): at or below --crit-days 14."
        );
        assert_eq!(a.reasons[1].detail, "port.refused: port.refused seen.");
        assert_eq!(a.fewest_days_left, Some(5));
    }

    #[test]
    fn expired_and_last_day_certificates_say_so() {
        let a = nagios_status(&[obs(587, Some(-1)), obs(465, Some(0))], &[], T);
        assert_eq!(
            a.reasons[0].summary,
            "certificate of mail.test:587 expired 1 day ago (crit 14)"
        );
        assert_eq!(
            a.reasons[1].summary,
            "certificate of mail.test:465 expires within a day (crit 14)"
        );
        assert_eq!(a.fewest_days_left, Some(-1));
        let none = nagios_status(&[obs(25, None)], &[], T);
        assert_eq!(none.fewest_days_left, None);
    }

    #[test]
    fn exit_codes_and_names() {
        for (status, code, name) in [
            (Status::Ok, 0, "OK"),
            (Status::Warning, 1, "WARNING"),
            (Status::Critical, 2, "CRITICAL"),
            (Status::Unknown, 3, "UNKNOWN"),
        ] {
            assert_eq!(status.exit_code(), code);
            assert_eq!(status.as_str(), name);
        }
        assert!(Status::Critical.rank() > Status::Unknown.rank());
        assert!(Status::Unknown.rank() > Status::Warning.rank());
        assert!(Status::Warning.rank() > Status::Ok.rank());
    }
}
