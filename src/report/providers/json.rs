//! `smtp-doctor providers --json`: the list of presets, or one in full, as JSON.

use std::io::{self, Write};

use serde::Serialize;

use crate::providers::{Catalog, Preset};
use crate::report::schema::{SCHEMA_VERSION, write_document};

/// `smtp-doctor providers --json`: every preset.
pub fn write_list_json(catalog: &Catalog, out: &mut dyn Write) -> io::Result<()> {
    #[derive(Serialize)]
    struct List<'a> {
        schema_version: u32,
        providers: Vec<PresetJson<'a>>,
    }
    let doc = List {
        schema_version: SCHEMA_VERSION,
        providers: catalog.presets().iter().map(PresetJson::from).collect(),
    };
    write_document(out, &doc)
}

/// `smtp-doctor providers ID --json`: one preset.
pub fn write_one_json(preset: &Preset, out: &mut dyn Write) -> io::Result<()> {
    write_document(out, &PresetJson::from(preset))
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
