//! SMTP TLS Reporting (RFC 8460), sans-IO: the `_smtp._tls` TXT record (section 3), where a
//! domain asks senders to send their daily reports about TLS failures. Never panics on any
//! input.

use super::sts::excerpt;

/// The labels before the domain where the TXT record lives (RFC 8460 section 3).
pub const RECORD_LABEL: &str = "_smtp._tls";

/// The start of a TLS-RPT record (RFC 8460 section 3: records that do not begin with it are
/// discarded).
const RECORD_VERSION: &str = "v=TLSRPTv1";

/// Whether a TXT string is a TLS-RPT record: it begins with `v=TLSRPTv1`, followed by the end,
/// a `;` or white space.
pub fn is_record(text: &str) -> bool {
    text.strip_prefix(RECORD_VERSION)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([';', ' ', '\t']))
}

/// One `_smtp._tls` TXT record, read by RFC 8460 section 3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The report addresses of `rua=`, as written (`mailto:` or `https:` URIs).
    pub rua: Vec<String>,
    /// What makes the record invalid; empty when it is valid.
    pub problems: Vec<String>,
}

impl Record {
    /// Whether senders can use it.
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Parses a TLS-RPT record: `v=TLSRPTv1` first, fields separated by `;` (white space around
/// it allowed), `rua=` exactly once with one or more URIs separated by `,` (RFC 8460 section 3);
/// each URI `mailto:` an address or `https:` a URL (the two schemes the RFC defines, section
/// 3); extension fields `name=value` are ignored.
pub fn parse_record(text: &str) -> Record {
    let mut record = Record {
        rua: Vec::new(),
        problems: Vec::new(),
    };
    let mut seen_rua = false;
    for (name, value) in super::sts::record_fields(text, RECORD_VERSION, &mut record.problems) {
        if name != "rua" {
            continue;
        }
        if std::mem::replace(&mut seen_rua, true) {
            record.problems.push("`rua` is given twice".into());
            continue;
        }
        for uri in value.split(',').map(|u| u.trim_matches([' ', '\t'])) {
            if let Some(problem) = uri_problem(uri) {
                record.problems.push(problem);
            }
            record.rua.push(uri.to_string());
        }
    }
    if !seen_rua {
        record
            .problems
            .push("it has no `rua=` field (where reports go)".into());
    }
    record
}

/// What is wrong with a report URI, if anything: the scheme must be `mailto:` (with an address
/// holding `@`) or `https:` (with `//` and a host).
fn uri_problem(uri: &str) -> Option<String> {
    let lower = uri.to_ascii_lowercase();
    if let Some(address) = lower.strip_prefix("mailto:") {
        let address = address.split_once('!').map_or(address, |(a, _)| a);
        let ok = address
            .split_once('@')
            .is_some_and(|(local, host)| !local.is_empty() && !host.is_empty());
        return (!ok).then(|| format!("`{}` is not a mailto: address", excerpt(uri)));
    }
    if let Some(rest) = lower.strip_prefix("https://") {
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        return host
            .is_empty()
            .then(|| format!("`{}` has no host", excerpt(uri)));
    }
    if uri.is_empty() {
        return Some("an empty report address".into());
    }
    Some(format!(
        "`{}` is neither a mailto: nor an https: address",
        excerpt(uri)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_records() {
        for (text, rua) in [
            (
                "v=TLSRPTv1; rua=mailto:tlsrpt@example.com",
                vec!["mailto:tlsrpt@example.com"],
            ),
            (
                "v=TLSRPTv1;rua=mailto:a@example.com, https://reports.example.com/tlsrpt;",
                vec!["mailto:a@example.com", "https://reports.example.com/tlsrpt"],
            ),
            (
                "v=TLSRPTv1; ext=1; rua=mailto:a@example.com!10m",
                vec!["mailto:a@example.com!10m"],
            ),
        ] {
            let record = parse_record(text);
            assert!(record.is_valid(), "{text:?}: {record:?}");
            assert_eq!(record.rua, rua);
        }
    }

    #[test]
    fn bad_records() {
        for (text, problem) in [
            ("v=TLSRPTv1;", "no `rua=`"),
            ("v=TLSRPTv1; rua=", "empty report address"),
            ("v=TLSRPTv1; rua=tlsrpt@example.com", "neither"),
            ("v=TLSRPTv1; rua=http://example.com/r", "neither"),
            ("v=TLSRPTv1; rua=mailto:nobody", "not a mailto"),
            ("v=TLSRPTv1; rua=https://", "no host"),
            (
                "v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com",
                "twice",
            ),
            ("v=TLSRPTv2; rua=mailto:a@example.com", "does not begin"),
            (" v=TLSRPTv1; rua=mailto:a@example.com", "does not begin"),
            ("v=TLSRPTv1; rua", "no `=`"),
        ] {
            let record = parse_record(text);
            assert!(
                record.problems.iter().any(|p| p.contains(problem)),
                "{text:?}: {record:?}"
            );
        }
    }

    /// Every sequence of up to four awkward pieces: no panic, and a valid record has a report
    /// address.
    #[test]
    fn every_short_sequence_of_awkward_pieces() {
        const PIECES: [&str; 10] = [
            "v=TLSRPTv1",
            ";",
            "rua=",
            "=",
            ",",
            "mailto:",
            "https://",
            "@",
            "é",
            " ",
        ];
        for a in PIECES {
            for b in PIECES {
                for c in PIECES {
                    for d in PIECES {
                        let text = [a, b, c, d].concat();
                        let record = parse_record(&text);
                        assert!(!record.is_valid() || !record.rua.is_empty(), "{text:?}");
                        let _ = is_record(&text);
                    }
                }
            }
        }
    }

    #[test]
    fn which_txt_records_count() {
        assert!(is_record("v=TLSRPTv1; rua=mailto:a@example.com"));
        assert!(is_record("v=TLSRPTv1"));
        assert!(!is_record("v=TLSRPTv10;"));
        assert!(!is_record("v=spf1 -all"));
        for odd in ["", ";", "=", "v=TLSRPTv1;;;", "v=TLSRPTv1; rua=,,,"] {
            let _ = parse_record(odd);
        }
    }
}
