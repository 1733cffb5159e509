//! Provider presets: the catalogue in providers.toml (embedded at build time, extended or
//! overridden by user files), and matching a target to a preset by host name, address domain,
//! MX host or the fingerprints a probe saw. Pure data and look-ups; the judgements against a
//! preset live in [`crate::verdict::provider`].

mod load;
mod pattern;

pub use crate::model::{Choice, MatchReason};
use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use pattern::{Pattern, PatternError, PatternKind};

use crate::model::{CertFacts, Observation, Security};
use crate::smtp::{EnhancedCode, Reply};

/// The built-in catalogue, compiled into the binary so the tool needs no files beside it.
pub const BUILTIN_TOML: &str = include_str!("../../providers.toml");

/// How a provider secures a port, as its documentation says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecurityMode {
    /// Plain connection upgraded with STARTTLS; the provider requires the upgrade.
    Starttls,
    /// TLS from the first byte ("SSL/TLS" in mail clients).
    ImplicitTls,
    /// Plain SMTP accepted, STARTTLS offered but optional (relays on 25 and 2525).
    PlainOrStarttls,
}

impl SecurityMode {
    /// The name used in providers.toml and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            SecurityMode::Starttls => "starttls",
            SecurityMode::ImplicitTls => "implicit_tls",
            SecurityMode::PlainOrStarttls => "plain_or_starttls",
        }
    }

    /// What a mail client's settings call it.
    pub fn label(self) -> &'static str {
        match self {
            SecurityMode::Starttls => "STARTTLS",
            SecurityMode::ImplicitTls => "SSL/TLS (implicit TLS)",
            SecurityMode::PlainOrStarttls => "STARTTLS (plain also accepted)",
        }
    }

    /// The mode a port conventionally uses, for a port entry that names none.
    pub fn default_for_port(port: u16) -> SecurityMode {
        match Security::default_for_port(port) {
            Security::ImplicitTls => SecurityMode::ImplicitTls,
            _ => SecurityMode::Starttls,
        }
    }

    /// Whether a connection in `security` is one the provider documents for the port.
    pub fn allows(self, security: Security) -> bool {
        match self {
            SecurityMode::Starttls => security == Security::Starttls,
            SecurityMode::ImplicitTls => security == Security::ImplicitTls,
            SecurityMode::PlainOrStarttls => {
                matches!(security, Security::Starttls | Security::Plain)
            }
        }
    }

    /// Whether the server should advertise STARTTLS on a port in this mode.
    pub fn offers_starttls(self) -> bool {
        matches!(self, SecurityMode::Starttls | SecurityMode::PlainOrStarttls)
    }

    /// The mode to probe with: the secure one the provider offers.
    pub fn probe_security(self) -> Security {
        match self {
            SecurityMode::ImplicitTls => Security::ImplicitTls,
            SecurityMode::Starttls | SecurityMode::PlainOrStarttls => Security::Starttls,
        }
    }
}

impl fmt::Display for SecurityMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A TLS protocol version, ordered oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
pub enum TlsVersion {
    /// SSL 3.0; never a valid minimum, only ever seen.
    #[serde(skip)]
    Ssl3,
    /// TLS 1.0.
    #[serde(rename = "1.0")]
    Tls10,
    /// TLS 1.1.
    #[serde(rename = "1.1")]
    Tls11,
    /// TLS 1.2.
    #[serde(rename = "1.2")]
    Tls12,
    /// TLS 1.3.
    #[serde(rename = "1.3")]
    Tls13,
}

impl TlsVersion {
    /// Reads OpenSSL's name for a negotiated version (`TLSv1.2`, `TLSv1`, `SSLv3`).
    pub fn from_negotiated(name: &str) -> Option<TlsVersion> {
        match name {
            "SSLv3" => Some(TlsVersion::Ssl3),
            "TLSv1" | "TLSv1.0" => Some(TlsVersion::Tls10),
            "TLSv1.1" => Some(TlsVersion::Tls11),
            "TLSv1.2" => Some(TlsVersion::Tls12),
            "TLSv1.3" => Some(TlsVersion::Tls13),
            _ => None,
        }
    }

    /// `TLS 1.2` and so on.
    pub fn label(self) -> &'static str {
        match self {
            TlsVersion::Ssl3 => "SSL 3.0",
            TlsVersion::Tls10 => "TLS 1.0",
            TlsVersion::Tls11 => "TLS 1.1",
            TlsVersion::Tls12 => "TLS 1.2",
            TlsVersion::Tls13 => "TLS 1.3",
        }
    }

    /// The name used in providers.toml and JSON (`1.2`).
    pub fn as_str(self) -> &'static str {
        match self {
            TlsVersion::Ssl3 => "ssl3",
            TlsVersion::Tls10 => "1.0",
            TlsVersion::Tls11 => "1.1",
            TlsVersion::Tls12 => "1.2",
            TlsVersion::Tls13 => "1.3",
        }
    }
}

impl fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One port a provider offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSpec {
    /// TCP port.
    pub port: u16,
    /// How it is secured.
    pub security: SecurityMode,
    /// The port to type into a client (at most one per preset).
    pub recommended: bool,
    /// A remark shown with the port ("works, but Fastmail discourages it").
    pub note: Option<String>,
}

/// What the real service looks like on the wire. Empty lists check nothing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fingerprint {
    /// The greeting's first line, without the code.
    pub banner: Vec<Pattern>,
    /// The domain in the first line of the EHLO reply.
    pub ehlo: Vec<Pattern>,
    /// At least one DNS name of the leaf certificate (wildcard names count when they cover a
    /// literal pattern).
    pub cert_san: Vec<Pattern>,
    /// The organisation (O=) of the leaf certificate's issuer.
    pub cert_issuer: Vec<Pattern>,
}

impl Fingerprint {
    /// No pattern at all.
    pub fn is_empty(&self) -> bool {
        self.banner.is_empty()
            && self.ehlo.is_empty()
            && self.cert_san.is_empty()
            && self.cert_issuer.is_empty()
    }

    /// The first banner pattern the greeting text matches.
    pub fn banner_match(&self, banner: &str) -> Option<&Pattern> {
        self.banner.iter().find(|p| p.matches(banner))
    }

    /// The first EHLO pattern the domain matches.
    pub fn ehlo_match(&self, domain: &str) -> Option<&Pattern> {
        self.ehlo.iter().find(|p| p.matches(domain))
    }

    /// The first certificate name that one of the SAN patterns covers.
    pub fn san_match<'c>(&self, cert: &'c CertFacts) -> Option<&'c str> {
        cert.san
            .iter()
            .find(|san| self.cert_san.iter().any(|p| name_covers(p, san)))
            .map(String::as_str)
    }

    /// Whether the certificate's issuer organisation matches an issuer pattern.
    pub fn issuer_matches(&self, cert: &CertFacts) -> bool {
        issuer_organisation(&cert.issuer)
            .is_some_and(|org| self.cert_issuer.iter().any(|p| p.matches(org)))
    }
}

/// A host that may serve as a control endpoint ("does this network let SMTP out at all?").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlHost {
    /// A literal host name, lower case.
    pub host: String,
    /// Ports where it answers: a receiving MX host for 25, submission hosts for 587 and 465.
    pub ports: Vec<u16>,
}

/// A reply a provider is known to send, with what it means and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownError {
    /// The three-digit code.
    pub code: u16,
    /// The enhanced status code, when the entry requires one.
    pub enhanced: Option<EnhancedCode>,
    /// Words that occur in the reply text (case-insensitive, `*` wildcards), when required.
    pub text: Option<Pattern>,
    /// What it means, one sentence.
    pub meaning: String,
    /// What to do, one sentence.
    pub advice: String,
}

impl KnownError {
    /// Whether `reply` is this error: same code, same enhanced code when one is given, the
    /// text pattern somewhere in the reply's text when one is given.
    pub fn matches(&self, reply: &Reply) -> bool {
        reply.code == self.code
            && self.enhanced.is_none_or(|e| reply.enhanced == Some(e))
            && self
                .text
                .as_ref()
                .is_none_or(|pattern| pattern.occurs_in(&reply.text()))
    }

    /// More conditions make a more specific entry; the most specific match wins.
    fn specificity(&self) -> u8 {
        u8::from(self.enhanced.is_some()) + 2 * u8::from(self.text.is_some())
    }
}

/// The most specific entry of `errors` that matches, the first of equals.
fn best_error<'a>(errors: &'a [KnownError], reply: &Reply) -> Option<&'a KnownError> {
    errors
        .iter()
        .filter(|e| e.matches(reply))
        .fold(None, |best: Option<&KnownError>, e| match best {
            Some(b) if b.specificity() >= e.specificity() => Some(b),
            _ => Some(e),
        })
}

/// Where a preset came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The catalogue compiled into the binary.
    Builtin,
    /// A user file.
    File(PathBuf),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Builtin => f.write_str("providers.toml (built in)"),
            Origin::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// One provider: what it documents, and what its servers look like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preset {
    /// Stable id, typed after `--provider` (`gmail`).
    pub id: String,
    /// Display name (`Gmail / Google Workspace`).
    pub name: String,
    /// Who runs the servers, when several presets share one (`Google`); see [`Preset::operator`].
    pub operator: Option<String>,
    /// The provider's documentation for these settings.
    pub docs: Option<String>,
    /// When the facts were last checked (`2026-11`).
    pub checked: Option<String>,
    /// Where the facts come from.
    pub sources: Vec<String>,
    /// Submission host names or patterns.
    pub hosts: Vec<Pattern>,
    /// The host to show in "settings to use" when the typed one is not among `hosts`
    /// (`127.0.0.1` for Proton Mail Bridge, `email-smtp.<region>.amazonaws.com`); free text.
    pub settings_host: Option<String>,
    /// E-mail address domains the provider hosts (`gmail.com`).
    pub domains: Vec<Pattern>,
    /// MX host patterns of domains hosted there.
    pub mx: Vec<Pattern>,
    /// Ports offered, in the file's order.
    pub ports: Vec<PortSpec>,
    /// AUTH mechanisms the EHLO reply inside TLS should offer, upper case.
    pub auth_mechanisms: Vec<String>,
    /// What to type as the user name (`full e-mail address`, `apikey`).
    pub username: Option<String>,
    /// How to authenticate, in words (`app password or OAuth 2.0`).
    pub authentication: Option<String>,
    /// Oldest TLS version the provider accepts.
    pub min_tls: Option<TlsVersion>,
    /// What the account needs, one sentence each.
    pub requirements: Vec<String>,
    /// What the servers look like.
    pub fingerprint: Fingerprint,
    /// Hosts usable as control endpoints.
    pub control: Vec<ControlHost>,
    /// Replies this provider is known to send.
    pub errors: Vec<KnownError>,
    /// Built in or from which file.
    pub origin: Origin,
}

impl Preset {
    /// The entry for a port, when the provider offers it.
    pub fn port(&self, port: u16) -> Option<&PortSpec> {
        self.ports.iter().find(|p| p.port == port)
    }

    /// The port to use.
    pub fn recommended(&self) -> Option<&PortSpec> {
        self.ports.iter().find(|p| p.recommended)
    }

    /// The port to show in settings: the recommended one, else the first listed.
    pub fn preferred(&self) -> Option<&PortSpec> {
        self.recommended().or_else(|| self.ports.first())
    }

    /// Who runs the servers: `operator`, or the display name.
    pub fn operator(&self) -> &str {
        self.operator.as_deref().unwrap_or(&self.name)
    }

    /// The host pattern that matches `host`, if any.
    pub fn host_match(&self, host: &str) -> Option<&Pattern> {
        first_match(&self.hosts, host)
    }

    /// Whether `host` is one of the provider's submission hosts.
    pub fn matches_host(&self, host: &str) -> bool {
        self.host_match(host).is_some()
    }

    /// The host to type into a client: `typed` when it is one of the preset's hosts, else
    /// `settings_host`, else the first literal host, else the first pattern as written.
    pub fn host_for(&self, typed: Option<&str>) -> Option<String> {
        if let Some(typed) = typed
            && self.matches_host(typed)
        {
            return Some(typed.trim_end_matches('.').to_ascii_lowercase());
        }
        if let Some(host) = &self.settings_host {
            return Some(host.clone());
        }
        self.hosts
            .iter()
            .find(|p| p.is_literal())
            .or(self.hosts.first())
            .map(|p| p.as_str().to_string())
    }

    /// What a known reply means, from this provider's list.
    pub fn known_error(&self, reply: &Reply) -> Option<&KnownError> {
        best_error(&self.errors, reply)
    }
}

fn first_match<'p>(patterns: &'p [Pattern], candidate: &str) -> Option<&'p Pattern> {
    patterns.iter().find(|p| p.matches(candidate))
}

/// Whether a certificate name covers a name pattern: the pattern matches the name, or the
/// name is a wildcard (`*.gmail.com`) that covers a literal pattern (`smtp.gmail.com`), one
/// label deep as RFC 6125 has it.
pub fn name_covers(pattern: &Pattern, cert_name: &str) -> bool {
    if pattern.matches(cert_name) {
        return true;
    }
    let Some(parent) = cert_name.strip_prefix("*.") else {
        return false;
    };
    pattern.is_literal()
        && pattern
            .as_str()
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest.eq_ignore_ascii_case(parent))
}

/// The O= value of a distinguished name in `C=US, O=Example, CN=...` form.
pub fn issuer_organisation(dn: &str) -> Option<&str> {
    dn.split(',')
        .map(str::trim)
        .find_map(|part| part.strip_prefix("O="))
        .map(str::trim)
}

impl Match<'_> {
    /// The decision as plain data.
    pub fn choice(&self) -> Choice {
        Choice {
            id: self.preset.id.clone(),
            reason: self.reason.clone(),
        }
    }
}

/// A preset and why it was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match<'a> {
    /// The preset.
    pub preset: &'a Preset,
    /// Why.
    pub reason: MatchReason,
}

/// A control endpoint: a well-known server the tool may connect to, to tell "this network
/// blocks SMTP" from "that server is down".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlEndpoint<'a> {
    /// The preset it comes from.
    pub preset: &'a Preset,
    /// Host name.
    pub host: &'a str,
    /// Port.
    pub port: u16,
}

/// Why the catalogue could not be loaded. Built-in data never fails (a test checks it); user
/// files do, and the message says where.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML or not a valid preset file.
    #[error("{file}:{line}:{column}: {}{message}", field_prefix(field))]
    Invalid {
        /// The file, as given.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The field (`ports[0].security in provider "acme"`), empty for syntax errors.
        field: String,
        /// What is wrong.
        message: String,
    },
}

fn field_prefix(field: &str) -> String {
    if field.is_empty() {
        String::new()
    } else {
        format!("{field}: ")
    }
}

/// All presets and the replies common to many providers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Catalog {
    presets: Vec<Preset>,
    generic_errors: Vec<KnownError>,
}

impl Catalog {
    /// The built-in catalogue.
    pub fn builtin() -> Result<Catalog, LoadError> {
        Catalog::from_toml(BUILTIN_TOML, Origin::Builtin)
    }

    /// The built-in catalogue, then each file in order: a preset with a new id is added, one
    /// with a known id replaces the earlier preset of that id whole (no field merging, so a
    /// user's preset means exactly what the user wrote).
    pub fn load(user_files: &[PathBuf]) -> Result<Catalog, LoadError> {
        let mut catalog = Catalog::builtin()?;
        for path in user_files {
            let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
                path: path.clone(),
                source,
            })?;
            catalog.merge(Catalog::from_toml(&text, Origin::File(path.clone()))?);
        }
        Ok(catalog)
    }

    /// One file's presets alone (no built-ins).
    pub fn from_toml(text: &str, origin: Origin) -> Result<Catalog, LoadError> {
        let parsed = load::parse(text, &origin)?;
        Ok(Catalog {
            presets: parsed.presets,
            generic_errors: parsed.generic_errors,
        })
    }

    /// Adds `later`'s presets, replacing same-id ones in place; its generic errors come first
    /// so a user's entry wins over a built-in one.
    pub fn merge(&mut self, later: Catalog) {
        for preset in later.presets {
            match self.presets.iter_mut().find(|p| p.id == preset.id) {
                Some(slot) => *slot = preset,
                None => self.presets.push(preset),
            }
        }
        let mut errors = later.generic_errors;
        errors.append(&mut self.generic_errors);
        self.generic_errors = errors;
    }

    /// All presets, built-ins first in file order, then user additions.
    pub fn presets(&self) -> &[Preset] {
        &self.presets
    }

    /// Replies common to many providers (`530 5.7.0 Must issue a STARTTLS command first`).
    pub fn generic_errors(&self) -> &[KnownError] {
        &self.generic_errors
    }

    /// The preset with this id.
    pub fn get(&self, id: &str) -> Option<&Preset> {
        self.presets.iter().find(|p| p.id.eq_ignore_ascii_case(id))
    }

    /// `--provider ID`.
    pub fn forced(&self, id: &str) -> Option<Match<'_>> {
        self.get(id).map(|preset| Match {
            preset,
            reason: MatchReason::Forced,
        })
    }

    /// The preset whose submission hosts include `host`.
    pub fn by_host(&self, host: &str) -> Option<Match<'_>> {
        let host = normalise_name(host);
        self.best(|p| &p.hosts, &host).map(|preset| Match {
            preset,
            reason: MatchReason::HostName(host.clone()),
        })
    }

    /// The preset that hosts addresses at `domain` (an address `user@domain` works too).
    pub fn by_domain(&self, domain: &str) -> Option<Match<'_>> {
        let domain = domain.rsplit('@').next().unwrap_or(domain);
        let domain = normalise_name(domain);
        self.best(|p| &p.domains, &domain).map(|preset| Match {
            preset,
            reason: MatchReason::Domain(domain.clone()),
        })
    }

    /// The preset whose MX patterns match one of `mx_hosts`, trying them in the order given
    /// (lowest preference value first, as the caller sorted them).
    pub fn by_mx<S: AsRef<str>>(&self, mx_hosts: &[S]) -> Option<Match<'_>> {
        mx_hosts.iter().find_map(|mx| {
            let mx = normalise_name(mx.as_ref());
            self.best(|p| &p.mx, &mx).map(|preset| Match {
                preset,
                reason: MatchReason::Mx(mx.clone()),
            })
        })
    }

    /// The preset whose fingerprints the observation shows: banner first, then EHLO name, then
    /// the certificate (SAN patterns, then the preset's host names among the SANs).
    pub fn by_fingerprint(&self, obs: &Observation) -> Option<Match<'_>> {
        if let Some(line) = banner_line(obs)
            && let Some(preset) = self.first(|p| p.fingerprint.banner_match(line).is_some())
        {
            return Some(Match {
                preset,
                reason: MatchReason::Banner(line.to_string()),
            });
        }
        for ehlo in [&obs.ehlo, &obs.ehlo_tls].into_iter().flatten() {
            if let Some(preset) = self.first(|p| p.fingerprint.ehlo_match(&ehlo.domain).is_some()) {
                return Some(Match {
                    preset,
                    reason: MatchReason::Ehlo(ehlo.domain.clone()),
                });
            }
        }
        let leaf = obs.tls.as_ref().and_then(|tls| tls.chain.first())?;
        let by_san = |p: &Preset| p.fingerprint.san_match(leaf).map(str::to_string);
        let by_host = |p: &Preset| {
            leaf.san
                .iter()
                .find(|san| p.hosts.iter().any(|h| name_covers(h, san)))
                .cloned()
        };
        self.ranked()
            .find_map(|p| by_san(p).map(|name| (p, name)))
            .or_else(|| self.ranked().find_map(|p| by_host(p).map(|name| (p, name))))
            .map(|(preset, name)| Match {
                preset,
                reason: MatchReason::Certificate(name),
            })
    }

    /// The provider decision for a typed server, made once before any probe: `--provider`
    /// (`forced`), else the host name typed. When it finds none, the probes' fingerprints may
    /// still recognise the server afterwards ([`Catalog::by_fingerprint`]).
    pub fn for_server(&self, host: Option<&str>, forced: Option<&str>) -> Option<Match<'_>> {
        match forced {
            Some(id) => self.forced(id),
            None => host.and_then(|h| self.by_host(h)),
        }
    }

    /// The provider decision for a mail domain: `--provider` (`forced`), else the provider
    /// hosting addresses at the domain, else the first of its MX hosts (by preference) that
    /// belongs to a provider. Before the MX answer is in, `mx_hosts` is empty and it decides
    /// what it can.
    pub fn for_domain<S: AsRef<str>>(
        &self,
        domain: &str,
        mx_hosts: &[S],
        forced: Option<&str>,
    ) -> Option<Match<'_>> {
        match forced {
            Some(id) => self.forced(id),
            None => self.by_domain(domain).or_else(|| self.by_mx(mx_hosts)),
        }
    }

    /// The whole decision for a server once its probes are in: [`Catalog::for_server`] by the
    /// host name, else the fingerprints of each observation in turn.
    pub fn identify(&self, host: &str, observations: &[Observation]) -> Option<Match<'_>> {
        self.for_server(Some(host), None)
            .or_else(|| observations.iter().find_map(|o| self.by_fingerprint(o)))
    }

    /// The preset of a decision made earlier in the run.
    pub fn chosen(&self, choice: &Choice) -> Option<Match<'_>> {
        self.get(&choice.id).map(|preset| Match {
            preset,
            reason: choice.reason.clone(),
        })
    }

    /// What a reply common to many providers means.
    pub fn generic_error(&self, reply: &Reply) -> Option<&KnownError> {
        best_error(&self.generic_errors, reply)
    }

    /// Every control endpoint for a port, in catalogue order.
    pub fn control_endpoints(&self, port: u16) -> Vec<ControlEndpoint<'_>> {
        self.presets
            .iter()
            .flat_map(|preset| {
                preset
                    .control
                    .iter()
                    .filter(move |c| c.ports.contains(&port))
                    .map(move |c| ControlEndpoint {
                        preset,
                        host: &c.host,
                        port,
                    })
            })
            .collect()
    }

    /// Presets from user files first (a user's own preset wins over a built-in one that
    /// happens to match too), each group in file order.
    fn ranked(&self) -> impl Iterator<Item = &Preset> {
        let user = self.presets.iter().filter(|p| p.origin != Origin::Builtin);
        let builtin = self.presets.iter().filter(|p| p.origin == Origin::Builtin);
        user.chain(builtin)
    }

    fn first(&self, pred: impl Fn(&Preset) -> bool) -> Option<&Preset> {
        self.ranked().find(|p| pred(p))
    }

    /// The preset with a pattern matching `candidate`: a literal match beats a wildcard one
    /// (`smtp-legacy.office365.com` before some `*.office365.com`), then user before built-in.
    fn best(&self, patterns: impl Fn(&Preset) -> &[Pattern], candidate: &str) -> Option<&Preset> {
        let literal = self.ranked().find(|p| {
            patterns(p)
                .iter()
                .any(|x| x.is_literal() && x.matches(candidate))
        });
        literal.or_else(|| self.first(|p| first_match(patterns(p), candidate).is_some()))
    }
}

/// Lower case, without the root's trailing dot.
fn normalise_name(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// The greeting's first line without the code.
fn banner_line(obs: &Observation) -> Option<&str> {
    obs.banner
        .as_ref()
        .and_then(|reply| reply.lines.first())
        .map(String::as_str)
}

/// The default user preset file and whether it exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFile {
    /// `$XDG_CONFIG_HOME/smtp-doctor/providers.toml`, else
    /// `$HOME/.config/smtp-doctor/providers.toml`.
    pub path: PathBuf,
    /// Whether a file is there.
    pub exists: bool,
}

/// The default user preset file, from the environment; `None` when neither
/// `XDG_CONFIG_HOME` nor `HOME` is usable.
pub fn user_file() -> Option<UserFile> {
    let xdg = std::env::var_os("XDG_CONFIG_HOME");
    let home = std::env::var_os("HOME");
    let path = user_file_path(xdg.as_deref(), home.as_deref())?;
    let exists = path.is_file();
    Some(UserFile { path, exists })
}

/// The path rule of [`user_file`], without reading the environment. Per the XDG base
/// directory spec a relative `XDG_CONFIG_HOME` is ignored, as is an empty one.
pub fn user_file_path(xdg_config_home: Option<&OsStr>, home: Option<&OsStr>) -> Option<PathBuf> {
    fn usable(value: Option<&OsStr>) -> Option<&Path> {
        value.map(Path::new).filter(|p| p.is_absolute())
    }
    let config = usable(xdg_config_home)
        .map(Path::to_path_buf)
        .or_else(|| usable(home).map(|h| h.join(".config")))?;
    Some(config.join("smtp-doctor").join("providers.toml"))
}

#[cfg(test)]
mod tests;
