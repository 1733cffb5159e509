//! What the target itself says, near the top of the report: the other form of an international
//! name (`münchen.example` is `xn--mnchen-3ya.example` in DNS), and the user's settings when the
//! target was a URL or DSN (host, port, mode, user, where they came from, how they were read).
//! Never a password: the outcome has none.

use std::io::{self, Write};

use crate::model::{ConfigOrigin, TargetKind};
use crate::report::text::{Tone, clean, wrapped};
use crate::run::outcome::CheckReport;

/// ` [xn--mnchen-3ya.example]` after an input typed in Unicode, ` [münchen.example]` after one
/// typed in ASCII; empty for a name with one form, or when the heading names it anyway (an
/// address's domain in its ASCII form).
pub(super) fn other_name_form(report: &CheckReport) -> String {
    let (Some(ascii), Some(unicode)) = (&report.target.host, &report.target.unicode) else {
        return String::new();
    };
    let typed_unicode = report
        .target
        .input
        .to_lowercase()
        .contains(unicode.as_str());
    let other = if typed_unicode { ascii } else { unicode };
    let named_anyway = report.target.kind == TargetKind::Address
        && report.discovery.domain.as_deref() == Some(other.as_str());
    if named_anyway {
        return String::new();
    }
    format!(" [{}]", clean(other))
}

/// `Your settings (from MAILER_DSN): host, port 587 with STARTTLS, user alice`, then a line per
/// note on how the settings were read; nothing when the target was not settings.
pub(super) fn write_config(
    report: &CheckReport,
    out: &mut dyn Write,
    color: bool,
) -> io::Result<()> {
    let Some(config) = &report.target.config else {
        return Ok(());
    };
    let from = match &config.origin {
        ConfigOrigin::Target => "TARGET".to_owned(),
        ConfigOrigin::Env(name) => format!("environment variable {}", clean(name)),
    };
    let mut line = format!(
        "Your settings (from {from}): {}, port {} with {}",
        clean(&config.host),
        config.port,
        config.security.label()
    );
    if let Some(user) = &config.user {
        line.push_str(&format!(", user {}", clean(user)));
    }
    writeln!(out)?;
    writeln!(out, "{}", wrapped(&line, color, Tone::Bold))?;
    for note in &config.notes {
        let text = format!("  note: {}", clean(note));
        writeln!(out, "{}", wrapped(&text, color, Tone::Dim))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::model::{ConfigSecurity, UserConfig};
    use crate::run::outcome::TargetInfo;

    fn report(input: &str, kind: TargetKind, config: Option<UserConfig>) -> CheckReport {
        CheckReport {
            target: TargetInfo {
                input: input.to_owned(),
                kind,
                host: Some("xn--mnchen-3ya.example".to_owned()),
                unicode: Some("münchen.example".to_owned()),
                config,
            },
            duration: Duration::ZERO,
            observations: Vec::new(),
            findings: Vec::new(),
            discovery: Default::default(),
            provider: None,
            recommended: None,
            credentials: None,
        }
    }

    #[test]
    fn the_other_form_of_a_name() {
        let r = report("münchen.example", TargetKind::Host, None);
        assert_eq!(other_name_form(&r), " [xn--mnchen-3ya.example]");
        let r = report("XN--MNCHEN-3YA.example", TargetKind::Host, None);
        assert_eq!(other_name_form(&r), " [münchen.example]");
        let mut r = report("alice@münchen.example", TargetKind::Address, None);
        r.discovery.domain = Some("xn--mnchen-3ya.example".to_owned());
        assert_eq!(other_name_form(&r), "");
        r.target.unicode = None;
        assert_eq!(other_name_form(&r), "");
    }

    #[test]
    fn settings_line_and_notes() {
        let config = UserConfig {
            host: "mail.test".into(),
            port: 465,
            port_given: false,
            security: ConfigSecurity::Starttls,
            user: Some("alice".into()),
            origin: ConfigOrigin::Env("MAILER_DSN".into()),
            verify_peer: true,
            notes: vec!["encryption=tls overrides smtps://".into()],
        };
        let r = report(
            "smtps://alice@mail.test:465",
            TargetKind::Host,
            Some(config),
        );
        let mut out = Vec::new();
        write_config(&r, &mut out, false).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\nYour settings (from environment variable MAILER_DSN): mail.test, port 465 with STARTTLS, user alice\n  note: encryption=tls overrides smtps://\n"
        );
        let mut out = Vec::new();
        write_config(&report("x", TargetKind::Host, None), &mut out, false).unwrap();
        assert!(out.is_empty());
    }
}
