//! The settings blocks of a check: a provider's (which preset the run was judged against and
//! why, then the settings to type into the client and what this run saw of each documented
//! port), or, for any other server, the settings this run saw work.

use std::io::{self, Write};

use crate::report::text::{Tone, clean, field, paint};
use crate::run::outcome::ProviderInfo;
use crate::verdict::provider::Seen;
use crate::verdict::recommend::Recommendation;

/// The provider block of a check: which preset and why, then what to type into the client.
pub(super) fn write_settings(
    info: &ProviderInfo,
    out: &mut dyn Write,
    color: bool,
) -> io::Result<()> {
    let s = &info.settings;
    writeln!(out)?;
    writeln!(
        out,
        "{}",
        paint(
            &format!(
                "Settings to use for {} ({})",
                clean(&info.name),
                info.reason
            ),
            color,
            Tone::Bold
        )
    )?;
    if let Some(host) = &s.host {
        field(out, "host", &[clean(host).into_owned()], color, None)?;
    }
    for check in &s.ports {
        let mut text = format!("{} with {}", check.port, check.security.label());
        if check.recommended {
            text.push_str(" (recommended)");
        }
        let (seen, tone) = match check.seen {
            Seen::Working => ("seen working", Some(Tone::Green)),
            Seen::Failing => ("failing in this run", Some(Tone::Red)),
            Seen::NotProbed => ("not probed", None),
        };
        text.push_str(&format!(": {seen}"));
        if let Some(note) = &check.note {
            text.push_str(&format!("; {}", clean(note)));
        }
        field(out, "port", &[text], color, tone)?;
    }
    if let Some(username) = &s.username {
        field(
            out,
            "user name",
            &[clean(username).into_owned()],
            color,
            None,
        )?;
    }
    if let Some(auth) = &s.authentication {
        field(out, "sign-in", &[clean(auth).into_owned()], color, None)?;
    }
    let needs: Vec<String> = s
        .requirements
        .iter()
        .map(|r| clean(r).into_owned())
        .collect();
    if !needs.is_empty() {
        field(out, "needs", &needs, color, None)?;
    }
    if let Some(docs) = &info.docs {
        field(out, "docs", &[clean(docs).into_owned()], color, None)?;
    }
    Ok(())
}

/// The settings to type into a client for a server without a preset, from what this run saw.
pub(super) fn write_recommended(
    r: &Recommendation,
    out: &mut dyn Write,
    color: bool,
) -> io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "{}",
        paint(
            "Settings to use (from what this run saw)",
            color,
            Tone::Bold
        )
    )?;
    field(out, "host", &[clean(&r.host).into_owned()], color, None)?;
    match (r.port, r.security) {
        (Some(port), Some(security)) => {
            let text = format!("{port} with {}", security.client_label());
            field(out, "port", &[text], color, Some(Tone::Green))?;
            let sign_in = if r.auth.is_empty() {
                "no AUTH offered".to_owned()
            } else {
                format!("AUTH {}", clean(&r.auth.join(" ")))
            };
            field(out, "sign-in", &[sign_in], color, None)?;
        }
        _ => field(
            out,
            "port",
            &["none works securely".to_owned()],
            color,
            Some(Tone::Red),
        )?,
    }
    field(out, "why", &[clean(&r.why).into_owned()], color, None)?;
    if !r.also.is_empty() {
        field(out, "also works", &[r.also.join(", ")], color, None)?;
    }
    Ok(())
}
