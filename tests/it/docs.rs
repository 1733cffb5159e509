//! The README must not drift from the program: every `check`, `ports` and `explain` option and every
//! finding id ([`FindingId::ALL`]) is documented there, and it documents no id the code lacks.

use smtp_doctor::verdict::FindingId;

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

#[test]
fn every_explain_option_is_in_the_readme() {
    options_are_documented("explain");
}

fn options_are_documented(command: &str) {
    let run = run_raw(&[command, "--help"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let options = long_options(&run.stdout);
    // `explain` has few options; the others many (fewer means the help was not read right).
    let least = if command == "explain" { 3 } else { 10 };
    assert!(options.len() >= least, "{options:?}");
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

/// The README's finding list: the ids of its `| `area.what` | severity | meaning |` rows.
fn readme_finding_ids() -> Vec<String> {
    let start = README
        .find("\n## Findings")
        .expect("README has a Findings section");
    let section = &README[start + 1..];
    let section = &section[..section[1..]
        .find("\n## ")
        .map_or(section.len(), |end| end + 1)];
    section
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split_once('`').map(|(id, _)| id.to_string()))
        .collect()
}

#[test]
fn the_readme_lists_exactly_the_finding_ids() {
    let documented = readme_finding_ids();
    let known: Vec<&str> = FindingId::ALL.iter().map(|id| id.as_str()).collect();
    for id in &known {
        assert!(
            documented.iter().any(|d| d == id),
            "README's Findings section does not document {id}"
        );
    }
    for id in &documented {
        assert!(
            known.contains(&id.as_str()),
            "README documents {id}, which FindingId::ALL does not have"
        );
    }
    assert_eq!(documented.len(), known.len(), "an id is listed twice");
}
