//! The inbound policy parsers: an MTA-STS policy file (`smtp::sts::parse_policy`), the
//! `_mta-sts` and `_smtp._tls` TXT records (`smtp::sts::parse_record`,
//! `smtp::tlsrpt::parse_record`) and the `mx` pattern match, on arbitrary text from a web or
//! DNS server.
//!
//! Input: `[selector, text...]`; bits 0-1 of `selector` choose what `text` is read as (a
//! policy, an STS record, a TLS-RPT record, or `pattern \n host` for the match).
//!
//! Properties:
//! - never panics;
//! - a valid policy has version `STSv1`, a mode, a `max_age` within RFC 8461's bound, and at
//!   least one `mx` pattern unless its mode is `none`; every pattern is text of the input;
//! - every problem's line exists in the input; every unknown key is on a line of the input;
//! - `pattern_for(host)` is a pattern of the policy that matches the host;
//! - a valid STS record has an `id` of 1 to 32 letters and digits, found in the input;
//! - a valid TLS-RPT record has at least one `rua` URI, each `mailto:` or `https:`, found in
//!   the input;
//! - `mx_matches` ignores case and a trailing dot of the host, and a pattern without `*.`
//!   matches only its own name;
//! - `excerpt` keeps at most 60 characters and a `...`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use smtp_doctor::smtp::sts::{self, MAX_AGE_LIMIT, Mode};
use smtp_doctor::smtp::tlsrpt;

fn policy(text: &str) {
    let policy = sts::parse_policy(text);
    let lines = text.split('\n').count();
    for problem in &policy.problems {
        if let Some(line) = problem.line {
            assert!((1..=lines).contains(&line), "problem on line {line} of {lines}");
        }
        assert!(!problem.message.is_empty());
    }
    for (line, key) in &policy.unknown {
        assert!((1..=lines).contains(line));
        assert!(text.contains(key.as_str()), "unknown key {key:?} not in the input");
    }
    for pattern in &policy.mx {
        assert!(text.contains(pattern.as_str()), "pattern {pattern:?} not in the input");
    }
    if policy.is_valid() {
        assert_eq!(policy.version.as_deref(), Some("STSv1"));
        let mode = policy.mode.expect("a valid policy without a mode");
        let max_age = policy.max_age.expect("a valid policy without max_age");
        assert!(max_age <= MAX_AGE_LIMIT);
        if mode != Mode::None {
            assert!(!policy.mx.is_empty(), "a valid {mode:?} policy without mx");
        }
    }
    // Every pattern against hosts made of the input's words.
    for host in text.split_whitespace().take(16) {
        if let Some(pattern) = policy.pattern_for(host) {
            assert!(policy.mx.iter().any(|p| p == pattern));
            assert!(sts::mx_matches(pattern, host));
        }
    }
}

fn sts_record(text: &str) {
    let record = sts::parse_record(text);
    if record.is_valid() {
        assert!(sts::is_record(text), "a valid record that is no record: {text:?}");
        let id = record.id.as_deref().expect("a valid record without an id");
        assert!((1..=32).contains(&id.len()));
        assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert!(text.contains(id));
    }
    for problem in &record.problems {
        assert!(!problem.is_empty());
    }
}

fn tlsrpt_record(text: &str) {
    let record = tlsrpt::parse_record(text);
    if record.is_valid() {
        assert!(tlsrpt::is_record(text));
        assert!(!record.rua.is_empty(), "a valid record without rua");
        for uri in &record.rua {
            let lower = uri.to_ascii_lowercase();
            assert!(lower.starts_with("mailto:") || lower.starts_with("https:"), "{uri}");
            assert!(text.contains(uri.as_str()));
        }
    }
}

fn matching(text: &str) {
    let (pattern, host) = text.split_once('\n').unwrap_or((text, text));
    let matched = sts::mx_matches(pattern, host);
    assert_eq!(
        matched,
        sts::mx_matches(&pattern.to_ascii_uppercase(), &host.to_ascii_lowercase()),
        "case changes the match of {pattern:?} and {host:?}"
    );
    if !host.ends_with('.') && !host.is_empty() {
        assert_eq!(matched, sts::mx_matches(pattern, &format!("{host}.")));
    }
    if matched && !pattern.starts_with("*.") {
        assert!(
            pattern
                .trim_end_matches('.')
                .eq_ignore_ascii_case(host.trim_end_matches('.')),
            "{pattern:?} matched another name, {host:?}"
        );
    }
    let cut = sts::excerpt(text);
    assert!(cut.chars().count() <= 63);
    if cut.chars().count() > 60 {
        assert!(cut.ends_with("..."));
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((selector, rest)) = input.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    match selector & 3 {
        0 => policy(&text),
        1 => sts_record(&text),
        2 => tlsrpt_record(&text),
        _ => matching(&text),
    }
});
