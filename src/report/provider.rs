//! Provider output: the "settings to use" block of a check, and `smtp-doctor providers` (the
//! list of presets, or one in full) as a table or JSON.

use std::io::{self, Write};

use comfy_table::{ContentArrangement, Table, presets};
use serde::Serialize;

use super::ProviderInfo;
use super::table::{Tone, clean, field, paint};
use crate::providers::{Catalog, KnownError, Preset};
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

/// `smtp-doctor providers --json`: every preset.
pub fn write_list_json(catalog: &Catalog, out: &mut dyn Write) -> io::Result<()> {
    #[derive(Serialize)]
    struct List<'a> {
        schema_version: u32,
        providers: Vec<PresetJson<'a>>,
    }
    let doc = List {
        schema_version: super::json::SCHEMA_VERSION,
        providers: catalog.presets().iter().map(PresetJson::from).collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
    writeln!(out)
}

/// `smtp-doctor providers ID --json`: one preset.
pub fn write_one_json(preset: &Preset, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &PresetJson::from(preset)).map_err(io::Error::other)?;
    writeln!(out)
}

#[derive(Serialize)]
struct PresetJson<'a> {
    id: &'a str,
    name: &'a str,
    operator: &'a str,
    docs: Option<&'a str>,
    checked: Option<&'a str>,
    sources: &'a [String],
    hosts: Vec<&'a str>,
    domains: Vec<&'a str>,
    mx: Vec<&'a str>,
    ports: Vec<PortJson<'a>>,
    auth_mechanisms: &'a [String],
    username: Option<&'a str>,
    authentication: Option<&'a str>,
    min_tls: Option<&'static str>,
    requirements: &'a [String],
    fingerprint: FingerprintJson<'a>,
    control: Vec<ControlJson<'a>>,
    errors: Vec<ErrorJson<'a>>,
    origin: String,
}

#[derive(Serialize)]
struct PortJson<'a> {
    port: u16,
    security: &'static str,
    recommended: bool,
    note: Option<&'a str>,
}

#[derive(Serialize)]
struct FingerprintJson<'a> {
    banner: Vec<&'a str>,
    ehlo: Vec<&'a str>,
    cert_san: Vec<&'a str>,
    cert_issuer: Vec<&'a str>,
}

#[derive(Serialize)]
struct ControlJson<'a> {
    host: &'a str,
    ports: &'a [u16],
}

#[derive(Serialize)]
struct ErrorJson<'a> {
    code: u16,
    enhanced: Option<String>,
    text: Option<&'a str>,
    meaning: &'a str,
    advice: &'a str,
}

fn strs(p: &[crate::providers::Pattern]) -> Vec<&str> {
    p.iter().map(|p| p.as_str()).collect()
}

impl<'a> From<&'a Preset> for PresetJson<'a> {
    fn from(p: &'a Preset) -> Self {
        PresetJson {
            id: &p.id,
            name: &p.name,
            operator: p.operator(),
            docs: p.docs.as_deref(),
            checked: p.checked.as_deref(),
            sources: &p.sources,
            hosts: strs(&p.hosts),
            domains: strs(&p.domains),
            mx: strs(&p.mx),
            ports: p
                .ports
                .iter()
                .map(|s| PortJson {
                    port: s.port,
                    security: s.security.as_str(),
                    recommended: s.recommended,
                    note: s.note.as_deref(),
                })
                .collect(),
            auth_mechanisms: &p.auth_mechanisms,
            username: p.username.as_deref(),
            authentication: p.authentication.as_deref(),
            min_tls: p.min_tls.map(|t| t.as_str()),
            requirements: &p.requirements,
            fingerprint: FingerprintJson {
                banner: strs(&p.fingerprint.banner),
                ehlo: strs(&p.fingerprint.ehlo),
                cert_san: strs(&p.fingerprint.cert_san),
                cert_issuer: strs(&p.fingerprint.cert_issuer),
            },
            control: p
                .control
                .iter()
                .map(|c| ControlJson {
                    host: &c.host,
                    ports: &c.ports,
                })
                .collect(),
            errors: p
                .errors
                .iter()
                .map(|e| ErrorJson {
                    code: e.code,
                    enhanced: e.enhanced.map(|c| c.to_string()),
                    text: e.text.as_ref().map(|t| t.as_str()),
                    meaning: &e.meaning,
                    advice: &e.advice,
                })
                .collect(),
            origin: p.origin.to_string(),
        }
    }
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

    #[test]
    fn json_list_parses_and_carries_ports() {
        let catalog = Catalog::builtin().unwrap();
        let text = render(|o| write_list_json(&catalog, o));
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let gmail = doc["providers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == "gmail")
            .unwrap();
        assert_eq!(gmail["hosts"][0], "smtp.gmail.com");
        assert!(
            gmail["ports"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["port"] == 465 && p["security"] == "implicit_tls")
        );
    }
}
