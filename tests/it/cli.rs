//! The command line as a newcomer meets it: usage errors that give the real reason and point at
//! the right help, setup errors without a usage hint, help that shows the defaults, shell
//! completions and the manual page.

use crate::support::run_raw;

/// A usage error: exit 2, one line on stderr with the reason and the subcommand's help.
fn usage_error(args: &[&str], reason: &str) {
    let run = run_raw(args, &[]);
    assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
    assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
    assert!(run.stderr.contains(reason), "{args:?}: {}", run.stderr);
    let hint = format!("(see smtp-doctor {} --help)", args[0]);
    assert!(run.stderr.contains(&hint), "{args:?}: {}", run.stderr);
    assert_eq!(run.stderr.trim_end().lines().count(), 1, "{}", run.stderr);
}

#[test]
fn durations_say_why_they_are_wrong() {
    usage_error(&["check", "mail.example", "--timeout", "0"], "more than 0");
    usage_error(&["check", "mail.example", "--timeout", "-1"], "is negative");
    usage_error(
        &["check", "mail.example", "--max-time", "0s"],
        "more than 0",
    );
    usage_error(
        &["check", "mail.example", "--timeout", "soon"],
        "not a duration",
    );
    usage_error(
        &["check", "mail.example", "--timeout", "90m"],
        "at most 1 hour",
    );
    usage_error(&["ports", "--connect-timeout", "-5s"], "is negative");
}

#[test]
fn usage_hint_names_the_subcommand() {
    usage_error(&["check", "mail.example", "--port", "0"], "not a port");
    usage_error(&["ports", "--port", "70000"], "not a port");
    usage_error(&["providers", "no-such-provider"], "unknown provider");
    // No subcommand: the top-level help.
    let run = run_raw(&["--no-such-flag"], &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("(see smtp-doctor --help)"),
        "{}",
        run.stderr
    );
}

#[test]
fn setup_errors_get_no_usage_hint() {
    let run = run_raw(
        &["check", "mail.example", "--ca-file", "/nonexistent/ca.pem"],
        &[],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot read --ca-file"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("--help"), "{}", run.stderr);
}

#[test]
fn help_shows_default_ports_durations_and_exit_codes() {
    for (command, ports) in [("check", "25, 587 and 465"), ("ports", "25, 587 and 465")] {
        let run = run_raw(&[command, "--help"], &[("COLUMNS", "80")]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(run.stdout.contains(ports), "{}", run.stdout);
        assert!(run.stdout.contains("500ms"), "{}", run.stdout);
        assert!(run.stdout.contains("Exit codes: 0"), "{}", run.stdout);
        let widest = run.stdout.lines().map(|l| l.chars().count()).max();
        assert!(
            widest.is_some_and(|w| w <= 80),
            "wider than 80: {}",
            run.stdout
        );
    }
    let run = run_raw(&["--help"], &[]);
    assert!(run.stdout.contains("Exit codes: 0"), "{}", run.stdout);
}

#[test]
fn completions_parse_and_the_manual_renders() {
    let run = run_raw(&["completions", "bash"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("smtp-doctor"), "{}", run.stdout);
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("smtp-doctor.bash");
    std::fs::write(&script, &run.stdout).expect("write completion script");
    // `bash -n` parses the script without running it.
    let parsed = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .expect("run bash -n");
    assert!(
        parsed.status.success(),
        "bash -n: {}",
        String::from_utf8_lossy(&parsed.stderr)
    );
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let run = run_raw(&["completions", shell], &[]);
        assert_eq!(run.code, 0, "{shell}: {}", run.stderr);
        assert!(run.stdout.contains("check"), "{shell}: {}", run.stdout);
    }
    let run = run_raw(&["completions", "tcsh"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let man = run_raw(&["man"], &[]);
    assert_eq!(man.code, 0, "{}", man.stderr);
    assert!(man.stdout.contains(".TH smtp-doctor 1"), "{}", man.stdout);
    assert!(man.stdout.contains("check"), "{}", man.stdout);
}
