//! `check --format nagios`: a Nagios plugin's output (monitoring-plugins' development
//! guidelines): one status line with performance data, then one line per reason, worst first.
//! The status and its reasons are the verdict's ([`crate::verdict::monitor`]); this only
//! writes them.
//!
//! ```text
//! SMTP WARNING - mail.test: certificate of mail.test:587 expires in 20 days (warn 30) | time=0.012s;;;0 cert_days=20;30;14 endpoints_ok=1;;;0;1 errors=0;;;0 warnings=1;;;0
//! WARNING: The certificate of mail.test:587 (127.0.0.1) expires in 20 days (...): at or below --warn-days 30.
//! WARNING: cert.expiring_soon: The certificate of mail.test:587 (127.0.0.1) expires in 20 days (...).
//! ```

use std::io::{self, Write};
use std::time::Duration;

use crate::model::State;
use crate::report::text::{clean, plural, plural_i64};
use crate::run::outcome::CheckReport;
use crate::verdict::Severity;
use crate::verdict::monitor::{Assessment, Status};

/// At most this many reasons on the status line; the others are counted ("and 2 more") and
/// all are on the lines after it.
const REASONS_ON_THE_LINE: usize = 3;

/// Writes the status line, its performance data and the reasons, one per line.
pub fn write(report: &CheckReport, assessment: &Assessment, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "SMTP {} - {}: {} | {}",
        assessment.status.as_str(),
        text(&report.target.input),
        summary(report, assessment),
        perfdata(report, assessment)
    )?;
    for reason in &assessment.reasons {
        writeln!(out, "{}: {}", reason.status.as_str(), text(&reason.detail))?;
    }
    Ok(())
}

/// A run that could not happen: `SMTP UNKNOWN - <reason>`, no performance data (exit code 3).
pub fn write_unknown(reason: &str, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "SMTP {} - {}", Status::Unknown.as_str(), text(reason))
}

/// After the target: the reasons, worst first (the same text once), or for OK how many
/// endpoints work and the fewest days left of a certificate.
fn summary(report: &CheckReport, assessment: &Assessment) -> String {
    if assessment.reasons.is_empty() {
        let (ok, total) = endpoints_ok(report);
        let mut text = if ok == total {
            format!("{} ok", plural(total, "endpoint", "endpoints"))
        } else {
            format!("{ok} of {} ok", plural(total, "endpoint", "endpoints"))
        };
        if let Some(days) = assessment.fewest_days_left {
            text.push_str(&format!(
                ", certificate {} left",
                plural_i64(days, "day", "days")
            ));
        }
        return text;
    }
    let mut shown: Vec<&str> = Vec::new();
    for reason in &assessment.reasons {
        if !shown.contains(&reason.summary.as_str()) {
            shown.push(&reason.summary);
        }
    }
    let more = shown.len().saturating_sub(REASONS_ON_THE_LINE);
    let mut line = shown
        .iter()
        .take(REASONS_ON_THE_LINE)
        .map(|s| text(s))
        .collect::<Vec<_>>()
        .join("; ");
    if more > 0 {
        line.push_str(&format!(" and {more} more"));
    }
    line
}

/// (endpoints whose dialogue completed, endpoints probed).
fn endpoints_ok(report: &CheckReport) -> (usize, usize) {
    let ok = report
        .observations
        .iter()
        .filter(|o| o.state == State::Ok)
        .count();
    (ok, report.observations.len())
}

/// `time=0.039s;;;0 cert_days=62;30;14 endpoints_ok=3;;;0;3 errors=0;;;0 warnings=0;;;0`:
/// `label=value[UOM];warn;crit;min;max`. `cert_days` (the fewest days left of any endpoint's
/// leaf, negative when expired) is left out when no endpoint presented a certificate; its
/// warn and crit are the day counts at or below which the status changes, as certificate
/// plugins write them.
fn perfdata(report: &CheckReport, assessment: &Assessment) -> String {
    let (ok, total) = endpoints_ok(report);
    let mut fields = vec![format!("time={};;;0", seconds(report.duration))];
    if let Some(days) = assessment.fewest_days_left {
        fields.push(format!(
            "cert_days={days};{};{}",
            assessment.thresholds.warn_days, assessment.thresholds.crit_days
        ));
    }
    fields.push(format!("endpoints_ok={ok};;;0;{total}"));
    fields.push(format!("errors={};;;0", report.count(Severity::Error)));
    fields.push(format!("warnings={};;;0", report.count(Severity::Warning)));
    fields.join(" ")
}

/// `0.391s`: seconds with millisecond precision.
fn seconds(d: Duration) -> String {
    format!("{:.3}s", d.as_secs_f64())
}

/// Text for the plugin output: one line (control characters escaped) without `|`, which
/// starts the performance data.
fn text(s: &str) -> String {
    clean(s).replace('|', "/")
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use super::*;
    use crate::model::{
        Discovery, Endpoint, Observation, Security, TargetKind, TlsFacts, Verification,
    };
    use crate::report::check::table::tests::leaf;
    use crate::run::outcome::TargetInfo;
    use crate::verdict::monitor::{Reason, Thresholds};

    fn report(days: &[Option<i64>]) -> CheckReport {
        let observations = days
            .iter()
            .enumerate()
            .map(|(i, days)| {
                let mut o = Observation::new(Endpoint {
                    host: "mail.test".into(),
                    ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
                    port: 587 + u16::try_from(i).unwrap_or(0),
                    security: Security::Starttls,
                });
                o.tls = days.map(|d| {
                    let mut l = leaf();
                    l.days_left = d;
                    TlsFacts {
                        version: "TLSv1.3".into(),
                        cipher: "TLS_AES_256_GCM_SHA384".into(),
                        key_exchange: None,
                        chain: vec![l],
                        verification: Verification::default(),
                    }
                });
                o
            })
            .collect();
        CheckReport {
            target: TargetInfo {
                input: "mail.test".into(),
                kind: TargetKind::Host,
                host: Some("mail.test".into()),
                unicode: None,
                config: None,
            },
            duration: Duration::from_millis(391),
            observations,
            findings: Vec::new(),
            discovery: Discovery::default(),
            provider: None,
            recommended: None,
            credentials: None,
        }
    }

    fn render(report: &CheckReport, assessment: &Assessment) -> String {
        let mut out = Vec::new();
        write(report, assessment, &mut out).expect("write");
        String::from_utf8(out).expect("UTF-8")
    }

    fn assessment(status: Status, reasons: &[(Status, &str)], days: Option<i64>) -> Assessment {
        Assessment {
            status,
            reasons: reasons
                .iter()
                .map(|(status, summary)| Reason {
                    status: *status,
                    summary: (*summary).to_string(),
                    detail: format!("detail of {summary}\nsecond | line"),
                })
                .collect(),
            fewest_days_left: days,
            thresholds: Thresholds::default(),
        }
    }

    #[test]
    fn ok_line_with_perfdata() {
        let r = report(&[Some(62), Some(90), None]);
        let text = render(&r, &assessment(Status::Ok, &[], Some(62)));
        assert_eq!(
            text,
            "SMTP OK - mail.test: 3 endpoints ok, certificate 62 days left | time=0.391s;;;0 \
             cert_days=62;30;14 endpoints_ok=3;;;0;3 errors=0;;;0 warnings=0;;;0\n"
        );
        let text = render(&report(&[None]), &assessment(Status::Ok, &[], None));
        assert_eq!(
            text,
            "SMTP OK - mail.test: 1 endpoint ok | time=0.391s;;;0 endpoints_ok=1;;;0;1 \
             errors=0;;;0 warnings=0;;;0\n"
        );
    }

    #[test]
    fn reasons_on_the_line_once_at_most_three_then_one_per_line() {
        let r = report(&[Some(5)]);
        let a = assessment(
            Status::Critical,
            &[
                (Status::Critical, "a"),
                (Status::Critical, "b"),
                (Status::Critical, "a"),
                (Status::Warning, "c|d"),
                (Status::Warning, "e"),
                (Status::Warning, "f"),
            ],
            Some(5),
        );
        let text = render(&r, &a);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "SMTP CRITICAL - mail.test: a; b; c/d and 2 more | time=0.391s;;;0 cert_days=5;30;14 \
             endpoints_ok=1;;;0;1 errors=0;;;0 warnings=0;;;0"
        );
        assert_eq!(lines.len(), 7, "{text}");
        assert_eq!(lines[1], "CRITICAL: detail of a\\u{a}second / line");
        assert_eq!(lines[4], "WARNING: detail of c/d\\u{a}second / line");
    }

    #[test]
    fn unknown_is_one_line_without_perfdata() {
        let mut out = Vec::new();
        write_unknown("cannot read --ca-file /x | y\nz", &mut out).expect("write");
        assert_eq!(
            String::from_utf8(out).expect("UTF-8"),
            "SMTP UNKNOWN - cannot read --ca-file /x / y\\u{a}z\n"
        );
    }
}
