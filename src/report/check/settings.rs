//! The provider block of a check: which preset the run was judged against and why, then the
//! settings to type into the client and what this run saw of each documented port.

use std::io::{self, Write};

use crate::report::text::{Tone, clean, field, paint};
use crate::run::outcome::ProviderInfo;
use crate::verdict::provider::Seen;

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
