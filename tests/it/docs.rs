//! The README must not drift from the program: every `check` option and every finding id the
//! code can produce is documented there.

use crate::support::run_raw;

const README: &str = include_str!("../../README.md");

/// Long options (`--name`) listed in a `--help` text.
fn long_options(help: &str) -> Vec<String> {
    help.split_whitespace()
        .filter_map(|w| w.strip_prefix("--"))
        .map(|w| {
            w.trim_end_matches(|c: char| !c.is_ascii_alphanumeric() && c != '-')
                .to_string()
        })
        .filter(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
        .collect()
}

#[test]
fn every_check_option_is_in_the_readme() {
    options_are_documented("check");
}

#[test]
fn every_ports_option_is_in_the_readme() {
    options_are_documented("ports");
}

fn options_are_documented(command: &str) {
    let run = run_raw(&[command, "--help"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let options = long_options(&run.stdout);
    assert!(options.len() >= 10, "{options:?}");
    for option in options {
        if option == "help" {
            continue;
        }
        let flag = format!("--{option}");
        let documented = README.match_indices(&flag).any(|(at, _)| {
            let next = README[at + flag.len()..].chars().next();
            !next.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-')
        });
        assert!(documented, "README does not document {flag}");
    }
}

/// Finding ids are string literals `"area.what"` passed as a finding's id in the verdict code.
fn finding_ids(source: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for piece in source.split('"').skip(1).step_by(2) {
        let mut parts = piece.split('.');
        let (Some(area), Some(what), None) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let word = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '_');
        let areas = [
            "port", "network", "dns", "smtp", "starttls", "tls", "cert", "auth", "send", "provider",
        ];
        if word(area) && word(what) && areas.contains(&area) {
            ids.push(piece.to_string());
        }
    }
    ids
}

#[test]
fn every_finding_id_is_in_the_readme() {
    let sources = [
        include_str!("../../src/verdict/mod.rs"),
        include_str!("../../src/run/check.rs"),
        include_str!("../../src/verdict/dns.rs"),
        include_str!("../../src/verdict/provider.rs"),
        include_str!("../../src/verdict/auth.rs"),
        include_str!("../../src/verdict/network.rs"),
        include_str!("../../src/run/ports.rs"),
    ];
    // Only the code, not its unit tests.
    let code = |s: &'static str| s.split("#[cfg(test)]").next().unwrap_or(s);
    let ids: Vec<String> = sources.iter().flat_map(|s| finding_ids(code(s))).collect();
    assert!(ids.len() >= 25, "{ids:?}");
    for id in ids {
        assert!(
            README.contains(&format!("`{id}`")),
            "README does not document {id}"
        );
    }
}
