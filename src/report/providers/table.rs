//! Provider output: the "settings to use" block of a check, and `smtp-doctor providers` (the
//! list of presets, or one in full) as a table or JSON.

use std::io::{self, Write};

use comfy_table::{ColumnConstraint, ContentArrangement, Table, Width, presets};

use crate::providers::{Catalog, KnownError, Preset, SecurityMode};
use crate::report::text::{Tone, clean, field, paint, width};

/// Below this width the list leaves out the display name (`providers ID` shows it), so that
/// ids and host names stay whole on one line.
const NAME_COLUMN_FROM: usize = 100;

/// `smtp-doctor providers`: one row per preset.
pub fn write_list(catalog: &Catalog, out: &mut dyn Write, color: bool) -> io::Result<()> {
    let mut table = Table::new();
    table
        .load_style(presets::NOTHING)
        .force_no_tty()
        // One line per preset where the width allows (the list is read and grepped); a long
        // cell wraps inside its column rather than past the terminal's edge.
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(u16::try_from(width()).unwrap_or(u16::MAX));
    if color {
        table.enforce_styling();
    }
    let with_name = width() >= NAME_COLUMN_FROM;
    let mut header = vec!["id", "name", "host", "port", "security"];
    if !with_name {
        header.remove(1);
    }
    table.set_header(header);
    for preset in catalog.presets() {
        let port = preset.preferred();
        let mut row = vec![
            preset.id.clone(),
            clean(&preset.name).into_owned(),
            preset
                .host_for(None)
                .map(|h| clean(&h).into_owned())
                .unwrap_or_else(|| "-".to_string()),
            port.map(|p| p.port.to_string())
                .unwrap_or_else(|| "-".into()),
            port.map(|p| short_security(p.security).to_string())
                .unwrap_or_else(|| "-".into()),
        ];
        if !with_name {
            row.remove(1);
        }
        table.add_row(row);
    }
    // Ids and real host names stay whole (they are typed and grepped).
    let longest = |cells: Vec<usize>| cells.into_iter().max().unwrap_or(4);
    let ids = longest(
        catalog
            .presets()
            .iter()
            .map(|p| p.id.chars().count())
            .collect(),
    );
    let hosts = longest(
        catalog
            .presets()
            .iter()
            .filter_map(|p| p.host_for(None))
            .filter(|h| !h.contains('<'))
            .map(|h| h.chars().count())
            .collect(),
    );
    let host_column = if with_name { 2 } else { 1 };
    for (index, chars) in [(0, ids), (host_column, hosts)] {
        if let Some(column) = table.column_mut(index) {
            // The cell's padding, one space each side, counts towards the width.
            let chars = u16::try_from(chars + 2).unwrap_or(u16::MAX);
            column.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(chars)));
        }
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

/// The security of a preset's port in a few words, for the list.
fn short_security(security: SecurityMode) -> &'static str {
    match security {
        SecurityMode::Starttls => "STARTTLS",
        SecurityMode::ImplicitTls => "SSL/TLS",
        SecurityMode::PlainOrStarttls => "STARTTLS or plain",
    }
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
