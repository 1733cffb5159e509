//! Reading providers.toml: serde shapes that keep spans, then validation into [`Preset`]s.
//! Every problem becomes a [`LoadError`] naming the file, line, column and field, because the
//! person reading it is editing that file in an editor right now.

use std::collections::HashSet;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::{
    ControlHost, Fingerprint, KnownError, LoadError, Origin, Pattern, PortSpec, Preset,
    SecurityMode, TlsVersion,
};
use crate::smtp::EnhancedCode;

/// The whole file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    provider: Vec<Spanned<RawPreset>>,
    #[serde(default)]
    generic_error: Vec<Spanned<RawError>>,
}

/// One `[[provider]]` table as written. Only `id` and `name` are required.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPreset {
    id: Spanned<String>,
    name: Spanned<String>,
    #[serde(default)]
    operator: Option<Spanned<String>>,
    #[serde(default)]
    docs: Option<Spanned<String>>,
    #[serde(default)]
    checked: Option<Spanned<String>>,
    #[serde(default)]
    sources: Vec<Spanned<String>>,
    #[serde(default)]
    hosts: Vec<Spanned<String>>,
    #[serde(default)]
    settings_host: Option<Spanned<String>>,
    #[serde(default)]
    domains: Vec<Spanned<String>>,
    #[serde(default)]
    mx: Vec<Spanned<String>>,
    #[serde(default)]
    ports: Vec<Spanned<RawPort>>,
    #[serde(default)]
    auth_mechanisms: Vec<Spanned<String>>,
    #[serde(default)]
    username: Option<Spanned<String>>,
    #[serde(default)]
    authentication: Option<Spanned<String>>,
    #[serde(default)]
    min_tls: Option<TlsVersion>,
    #[serde(default)]
    requirements: Vec<Spanned<String>>,
    #[serde(default)]
    fingerprint: RawFingerprint,
    #[serde(default)]
    control: Vec<Spanned<RawControl>>,
    #[serde(default, rename = "error")]
    errors: Vec<Spanned<RawError>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPort {
    port: Spanned<u16>,
    /// Defaults to the port's convention: implicit TLS on 465 and 2465, STARTTLS elsewhere.
    #[serde(default)]
    security: Option<SecurityMode>,
    #[serde(default)]
    recommended: Option<Spanned<bool>>,
    #[serde(default)]
    note: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFingerprint {
    #[serde(default)]
    banner: Vec<Spanned<String>>,
    #[serde(default)]
    ehlo: Vec<Spanned<String>>,
    #[serde(default)]
    cert_san: Vec<Spanned<String>>,
    #[serde(default)]
    cert_issuer: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawControl {
    host: Spanned<String>,
    ports: Spanned<Vec<u16>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawError {
    code: Spanned<u16>,
    #[serde(default)]
    enhanced: Option<Spanned<String>>,
    #[serde(default)]
    text: Option<Spanned<String>>,
    meaning: Spanned<String>,
    advice: Spanned<String>,
}

/// What one file contributes.
pub(super) struct Parsed {
    pub(super) presets: Vec<Preset>,
    pub(super) generic_errors: Vec<KnownError>,
}

/// Parses and validates one file's text. `origin` names it in errors and on each preset.
pub(super) fn parse(text: &str, origin: &Origin) -> Result<Parsed, LoadError> {
    let ctx = Ctx { text, origin };
    let raw: RawFile = toml::from_str(text).map_err(|e| ctx.toml_error(&e))?;
    let mut seen: HashSet<String> = HashSet::new();
    let mut presets = Vec::with_capacity(raw.provider.len());
    for (index, raw) in raw.provider.into_iter().enumerate() {
        let (preset, id_span) = ctx.preset(index, raw.into_inner())?;
        if !seen.insert(preset.id.clone()) {
            return Err(ctx.error(
                id_span,
                &format!("provider[{index}].id"),
                format!(
                    "duplicate id {:?}: an id may appear once per file (a later file replaces a preset by id)",
                    preset.id
                ),
            ));
        }
        presets.push(preset);
    }
    let generic_errors = raw
        .generic_error
        .into_iter()
        .enumerate()
        .map(|(i, e)| ctx.known_error(&|part| format!("generic_error[{i}].{part}"), e))
        .collect::<Result<_, _>>()?;
    Ok(Parsed {
        presets,
        generic_errors,
    })
}

struct Ctx<'a> {
    text: &'a str,
    origin: &'a Origin,
}

impl Ctx<'_> {
    fn error(&self, span: Range<usize>, field: &str, message: String) -> LoadError {
        let (line, column) = line_column(self.text, span.start);
        LoadError::Invalid {
            file: self.origin.to_string(),
            line,
            column,
            field: field.to_string(),
            message,
        }
    }

    /// A syntax or shape error from the toml crate. Its message names missing and unknown
    /// fields itself; for type errors the key path comes from the error's own rendering.
    fn toml_error(&self, error: &toml::de::Error) -> LoadError {
        let (line, column) = error
            .span()
            .map(|span| line_column(self.text, span.start))
            .unwrap_or((1, 1));
        LoadError::Invalid {
            file: self.origin.to_string(),
            line,
            column,
            field: key_path(error).unwrap_or_default(),
            message: error.message().trim().to_string(),
        }
    }

    /// One preset, and the span of its id (for the duplicate check).
    #[expect(
        clippy::too_many_lines,
        reason = "one preset, field by field, each with its own file:line:field error"
    )]
    fn preset(&self, index: usize, raw: RawPreset) -> Result<(Preset, Range<usize>), LoadError> {
        let id = raw.id.get_ref().trim().to_string();
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        {
            return Err(self.error(
                raw.id.span(),
                &format!("provider[{index}].id"),
                format!("{id:?} is not a usable id: use lower-case letters, digits, `-` and `_` (it is typed after --provider)"),
            ));
        }
        let at = |field: &str| format!("{field} in provider {id:?}");
        let name = self.required_text(&raw.name, &at("name"))?;

        if let Some(checked) = &raw.checked
            && !is_year_month(checked.get_ref())
        {
            return Err(self.error(
                checked.span(),
                &at("checked"),
                format!(
                    "{:?} is not a date: write YYYY-MM or YYYY-MM-DD",
                    checked.get_ref()
                ),
            ));
        }
        if let Some(docs) = &raw.docs
            && !(docs.get_ref().starts_with("https://") || docs.get_ref().starts_with("http://"))
        {
            return Err(self.error(
                docs.span(),
                &at("docs"),
                format!("{:?} is not a web address (https://...)", docs.get_ref()),
            ));
        }

        let hosts = self.patterns(&raw.hosts, "hosts", &at, Pattern::name)?;
        let domains = self.patterns(&raw.domains, "domains", &at, Pattern::name)?;
        let mx = self.patterns(&raw.mx, "mx", &at, Pattern::name)?;
        let ports = self.ports(&raw.ports, &at)?;
        let auth_mechanisms = raw
            .auth_mechanisms
            .iter()
            .enumerate()
            .map(|(i, m)| self.mechanism(m, &at(&format!("auth_mechanisms[{i}]"))))
            .collect::<Result<Vec<_>, _>>()?;
        let requirements = raw
            .requirements
            .iter()
            .enumerate()
            .map(|(i, r)| self.required_text(r, &at(&format!("requirements[{i}]"))))
            .collect::<Result<Vec<_>, _>>()?;
        let fp = &raw.fingerprint;
        let fingerprint = Fingerprint {
            banner: self.patterns(&fp.banner, "fingerprint.banner", &at, Pattern::text)?,
            ehlo: self.patterns(&fp.ehlo, "fingerprint.ehlo", &at, Pattern::name)?,
            cert_san: self.patterns(&fp.cert_san, "fingerprint.cert_san", &at, Pattern::name)?,
            cert_issuer: self.patterns(
                &fp.cert_issuer,
                "fingerprint.cert_issuer",
                &at,
                Pattern::text,
            )?,
        };
        let control = raw
            .control
            .iter()
            .enumerate()
            .map(|(i, c)| self.control(c.get_ref(), &|part| at(&format!("control[{i}].{part}"))))
            .collect::<Result<Vec<_>, _>>()?;
        let errors = raw
            .errors
            .into_iter()
            .enumerate()
            .map(|(i, e)| self.known_error(&|part| at(&format!("error[{i}].{part}")), e))
            .collect::<Result<Vec<_>, _>>()?;

        let preset = Preset {
            operator: optional_text(raw.operator.as_ref()),
            docs: optional_text(raw.docs.as_ref()),
            checked: optional_text(raw.checked.as_ref()),
            sources: raw
                .sources
                .iter()
                .map(|s| s.get_ref().trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            id,
            name,
            hosts,
            settings_host: optional_text(raw.settings_host.as_ref()),
            domains,
            mx,
            ports,
            auth_mechanisms,
            username: optional_text(raw.username.as_ref()),
            authentication: optional_text(raw.authentication.as_ref()),
            min_tls: raw.min_tls,
            requirements,
            fingerprint,
            control,
            errors,
            origin: self.origin.clone(),
        };
        Ok((preset, raw.id.span()))
    }

    fn required_text(&self, value: &Spanned<String>, field: &str) -> Result<String, LoadError> {
        let text = value.get_ref().trim();
        if text.is_empty() {
            return Err(self.error(value.span(), field, "must not be empty".to_string()));
        }
        Ok(text.to_string())
    }

    /// A list of patterns named `name`; `at` turns a field name into "field in provider ID".
    fn patterns(
        &self,
        values: &[Spanned<String>],
        name: &str,
        at: &dyn Fn(&str) -> String,
        make: fn(&str) -> Result<Pattern, super::pattern::PatternError>,
    ) -> Result<Vec<Pattern>, LoadError> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                make(v.get_ref()).map_err(|e| {
                    self.error(
                        v.span(),
                        &at(&format!("{name}[{i}]")),
                        format!("bad pattern {:?}: {e}", v.get_ref()),
                    )
                })
            })
            .collect()
    }

    /// The port list; `at` turns a field name into "field in provider ID".
    fn ports(
        &self,
        raw: &[Spanned<RawPort>],
        at: &dyn Fn(&str) -> String,
    ) -> Result<Vec<PortSpec>, LoadError> {
        let mut out: Vec<PortSpec> = Vec::with_capacity(raw.len());
        let mut recommended_seen = false;
        for (i, entry) in raw.iter().enumerate() {
            let entry = entry.get_ref();
            let port = *entry.port.get_ref();
            let here = |part: &str| at(&format!("ports[{i}].{part}"));
            if port == 0 {
                return Err(self.error(
                    entry.port.span(),
                    &here("port"),
                    "port 0 is not a TCP port".to_string(),
                ));
            }
            if out.iter().any(|p| p.port == port) {
                return Err(self.error(
                    entry.port.span(),
                    &here("port"),
                    format!("port {port} is listed twice; give each port one entry"),
                ));
            }
            let recommended = entry.recommended.as_ref().is_some_and(|r| *r.get_ref());
            if let Some(flag) = &entry.recommended
                && recommended
                && recommended_seen
            {
                return Err(self.error(
                    flag.span(),
                    &here("recommended"),
                    "only one port of a provider can be the recommended one".to_string(),
                ));
            }
            recommended_seen |= recommended;
            out.push(PortSpec {
                port,
                security: entry
                    .security
                    .unwrap_or_else(|| SecurityMode::default_for_port(port)),
                recommended,
                note: optional_text(entry.note.as_ref()),
            });
        }
        Ok(out)
    }

    fn mechanism(&self, value: &Spanned<String>, field: &str) -> Result<String, LoadError> {
        let mechanism = value.get_ref().trim().to_ascii_uppercase();
        // RFC 4422 section 3.1: SASL mechanism names are A-Z, 0-9, `-` and `_`, 1 to 20 chars.
        let valid = (1..=20).contains(&mechanism.len())
            && mechanism
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !valid {
            return Err(self.error(
                value.span(),
                field,
                format!(
                    "{:?} is not a SASL mechanism name (like PLAIN, LOGIN, XOAUTH2)",
                    value.get_ref()
                ),
            ));
        }
        Ok(mechanism)
    }

    /// One control entry; `field` names a part of it for errors.
    fn control(
        &self,
        raw: &RawControl,
        field: &dyn Fn(&str) -> String,
    ) -> Result<ControlHost, LoadError> {
        let host = Pattern::name(raw.host.get_ref())
            .ok()
            .filter(Pattern::is_literal)
            .ok_or_else(|| {
                self.error(
                    raw.host.span(),
                    &field("host"),
                    format!(
                        "{:?} is not a host name (control hosts are connected to, so no `*`)",
                        raw.host.get_ref()
                    ),
                )
            })?;
        let ports = raw.ports.get_ref();
        if ports.is_empty() || ports.contains(&0) {
            return Err(self.error(
                raw.ports.span(),
                &field("ports"),
                "list one or more TCP ports (not 0)".to_string(),
            ));
        }
        Ok(ControlHost {
            host: host.as_str().to_ascii_lowercase(),
            ports: ports.clone(),
        })
    }

    /// One known reply; `field` names a part of it for errors.
    fn known_error(
        &self,
        field: &dyn Fn(&str) -> String,
        raw: Spanned<RawError>,
    ) -> Result<KnownError, LoadError> {
        let raw = raw.into_inner();
        let code = *raw.code.get_ref();
        if !(400..=599).contains(&code) {
            return Err(self.error(
                raw.code.span(),
                &field("code"),
                format!("{code} is not an SMTP error code (400 to 599)"),
            ));
        }
        let enhanced = match &raw.enhanced {
            None => None,
            Some(value) => Some(
                parse_enhanced(value.get_ref())
                    .filter(|e| u16::from(e.class) == code / 100)
                    .ok_or_else(|| {
                        self.error(
                            value.span(),
                            &field("enhanced"),
                            format!(
                                "{:?} is not an enhanced status code of class {} (like \"{}.7.1\")",
                                value.get_ref(),
                                code / 100,
                                code / 100
                            ),
                        )
                    })?,
            ),
        };
        let text = match &raw.text {
            None => None,
            Some(value) => Some(Pattern::text(value.get_ref()).map_err(|e| {
                self.error(
                    value.span(),
                    &field("text"),
                    format!("bad pattern {:?}: {e}", value.get_ref()),
                )
            })?),
        };
        Ok(KnownError {
            code,
            enhanced,
            text,
            meaning: self.required_text(&raw.meaning, &field("meaning"))?,
            advice: self.required_text(&raw.advice, &field("advice"))?,
        })
    }
}

fn optional_text(value: Option<&Spanned<String>>) -> Option<String> {
    value
        .map(|v| v.get_ref().trim().to_string())
        .filter(|v| !v.is_empty())
}

/// `YYYY-MM` or `YYYY-MM-DD`, digits only (a plain check; it is a label, not a calendar).
fn is_year_month(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    let lengths_ok = matches!(
        parts.iter().map(|p| p.len()).collect::<Vec<_>>().as_slice(),
        [4, 2] | [4, 2, 2]
    );
    lengths_ok && parts.iter().all(|p| p.chars().all(|c| c.is_ascii_digit()))
}

/// `5.7.139` into its parts; RFC 3463 allows up to three digits per subject and detail.
fn parse_enhanced(value: &str) -> Option<EnhancedCode> {
    let mut parts = value.trim().split('.');
    let class = parts.next()?.parse::<u8>().ok()?;
    let subject = parts.next()?;
    let detail = parts.next()?;
    if parts.next().is_some()
        || !matches!(class, 2 | 4 | 5)
        || !(1..=3).contains(&subject.len())
        || !(1..=3).contains(&detail.len())
    {
        return None;
    }
    Some(EnhancedCode {
        class,
        subject: subject.parse().ok()?,
        detail: detail.parse().ok()?,
    })
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    // Clamp to a char boundary at or before the offset; spans from the parser are on
    // boundaries, but an error at the very end may point one past the text.
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = text.get(..offset).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).unwrap_or_default().chars().count() + 1;
    (line, column)
}

/// The key path of a toml error (`provider.ports.security`). The crate only shows it in its
/// rendering when it has no source text to point into, so render it that way.
fn key_path(error: &toml::de::Error) -> Option<String> {
    let mut bare = error.clone();
    bare.set_input(None);
    bare.to_string().lines().rev().find_map(|line| {
        line.strip_prefix("in `")
            .and_then(|rest| rest.strip_suffix('`'))
            .map(str::to_string)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column() {
        let text = "a = 1\nbb = \"é\"\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        assert_eq!(line_column(text, 11), (2, 6));
        assert_eq!(line_column(text, 1000), (3, 1));
    }

    #[test]
    fn enhanced_codes() {
        assert_eq!(
            parse_enhanced("5.7.139"),
            Some(EnhancedCode {
                class: 5,
                subject: 7,
                detail: 139
            })
        );
        for bad in ["", "5.7", "5.7.1.2", "3.7.1", "5.x.1", "5.1234.1"] {
            assert_eq!(parse_enhanced(bad), None, "{bad}");
        }
    }

    #[test]
    fn dates() {
        assert!(is_year_month("2026-11"));
        assert!(is_year_month("2026-11-03"));
        assert!(!is_year_month("2026"));
        assert!(!is_year_month("Nov 2026"));
        assert!(!is_year_month("2026-1"));
    }
}
