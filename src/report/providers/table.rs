//! Provider output: the "settings to use" block of a check, and `smtp-doctor providers` (the
//! list of presets, or one in full) as a table or JSON.

use std::io::{self, Write};

use comfy_table::{ContentArrangement, Table, presets};

use crate::providers::{Catalog, KnownError, Preset};
use crate::report::text::{Tone, clean, field, paint};

/// `smtp-doctor providers`: one row per preset.
pub fn write_list(catalog: &Catalog, out: &mut dyn Write, color: bool) -> io::Result<()> {
    let mut table = Table::new();
    table
        .load_style(presets::NOTHING)
        .force_no_tty()
        // One line per preset, however long: this list is read and grepped.
        .set_content_arrangement(ContentArrangement::Disabled);
    if color {
        table.enforce_styling();
    }
    table.set_header(["id", "name", "host", "port", "security"]);
    for preset in catalog.presets() {
        let port = preset.preferred();
        table.add_row([
            preset.id.clone(),
            clean(&preset.name).into_owned(),
            preset
                .host_for(None)
                .map(|h| clean(&h).into_owned())
                .unwrap_or_else(|| "-".to_string()),
            port.map(|p| p.port.to_string())
                .unwrap_or_else(|| "-".into()),
            port.map(|p| p.security.label().to_string())
                .unwrap_or_else(|| "-".into()),
        ]);
    }
    for line in table.lines() {
        writeln!(out, "{}", line.trim_end())?;
    }
    writeln!(
        out,
        "{} presets. `smtp-doctor providers ID` shows one in full.",
        catalog.presets().len()
    )
}

/// `smtp-doctor providers ID`: everything a preset says.
pub fn write_one(preset: &Preset, out: &mut dyn Write, color: bool) -> io::Result<()> {
    writeln!(
        out,
        "{}",
        paint(
            &format!("{} ({})", clean(&preset.name), preset.id),
            color,
            Tone::Bold
        )
    )?;
    let list = |items: Vec<String>| -> Vec<String> {
        if items.is_empty() {
            Vec::new()
        } else {
            vec![items.join(", ")]
        }
    };
    let patterns = |p: &[crate::providers::Pattern]| {
        list(p.iter().map(|p| clean(p.as_str()).into_owned()).collect())
    };
    let one = |v: &Option<String>| v.iter().map(|s| clean(s).into_owned()).collect::<Vec<_>>();
    field(
        out,
        "operator",
        &[clean(preset.operator()).into_owned()],
        color,
        None,
    )?;
    field(out, "hosts", &patterns(&preset.hosts), color, None)?;
    field(out, "domains", &patterns(&preset.domains), color, None)?;
    field(out, "MX", &patterns(&preset.mx), color, None)?;
    for port in &preset.ports {
        let mut text = format!("{} with {}", port.port, port.security.label());
        if port.recommended {
            text.push_str(" (recommended)");
        }
        if let Some(note) = &port.note {
            text.push_str(&format!("; {}", clean(note)));
        }
        field(out, "port", &[text], color, None)?;
    }
    field(
        out,
        "AUTH",
        &list(preset.auth_mechanisms.clone()),
        color,
        None,
    )?;
    field(out, "user name", &one(&preset.username), color, None)?;
    field(out, "sign-in", &one(&preset.authentication), color, None)?;
    if let Some(tls) = preset.min_tls {
        field(out, "min TLS", &[tls.label().to_string()], color, None)?;
    }
    let needs: Vec<String> = preset
        .requirements
        .iter()
        .map(|r| clean(r).into_owned())
        .collect();
    field(out, "needs", &needs, color, None)?;
    let fp = &preset.fingerprint;
    field(out, "banner", &patterns(&fp.banner), color, None)?;
    field(out, "EHLO name", &patterns(&fp.ehlo), color, None)?;
    field(out, "cert name", &patterns(&fp.cert_san), color, None)?;
    field(out, "cert issuer", &patterns(&fp.cert_issuer), color, None)?;
    let control: Vec<String> = preset
        .control
        .iter()
        .map(|c| {
            let ports: Vec<String> = c.ports.iter().map(u16::to_string).collect();
            format!("{} ({})", clean(&c.host), ports.join(", "))
        })
        .collect();
    field(out, "control", &list(control), color, None)?;
    for error in &preset.errors {
        field(out, "known reply", &[known_error_text(error)], color, None)?;
    }
    field(out, "docs", &one(&preset.docs), color, None)?;
    field(out, "checked", &one(&preset.checked), color, None)?;
    field(out, "sources", &list(preset.sources.clone()), color, None)?;
    field(out, "from", &[preset.origin.to_string()], color, None)
}

fn known_error_text(error: &KnownError) -> String {
    let mut text = error.code.to_string();
    if let Some(enhanced) = error.enhanced {
        text.push_str(&format!(" {enhanced}"));
    }
    if let Some(pattern) = &error.text {
        text.push_str(&format!(" \"{}\"", clean(pattern.as_str())));
    }
    format!(
        "{text}: {} → {}",
        clean(&error.meaning),
        clean(&error.advice)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(f: impl Fn(&mut Vec<u8>) -> io::Result<()>) -> String {
        let mut out = Vec::new();
        f(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn list_has_every_preset_and_no_colour_when_off() {
        let catalog = Catalog::builtin().unwrap();
        let text = render(|o| write_list(&catalog, o, false));
        for preset in catalog.presets() {
            assert!(text.contains(&preset.id), "{} missing", preset.id);
        }
        assert!(text.contains("smtp.gmail.com"));
        assert!(!text.contains("\x1b["));
    }

    #[test]
    fn one_preset_in_full() {
        let catalog = Catalog::builtin().unwrap();
        let office = catalog.get("office365").unwrap();
        let text = render(|o| write_one(office, o, false));
        assert!(text.contains("smtp.office365.com"), "{text}");
        assert!(text.contains("587 with STARTTLS"), "{text}");
        assert!(text.contains("5.7.139"), "{text}");
    }
}
