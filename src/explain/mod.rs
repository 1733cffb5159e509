//! `smtp-doctor explain`: what an error message an application logged means, its likely cause
//! and the fix. Pure functions over the text and the provider catalogue; no I/O.
//!
//! The text is bounded and scrubbed of secrets first ([`scrub`]), so nothing later can echo
//! them. Then, most specific knowledge first:
//! - SMTP replies found anywhere in it ([`replies`]) are explained by a provider's known
//!   replies (`[[provider.error]]` of providers.toml, naming the preset), the replies common to
//!   many providers (`[[generic_error]]`), the replies [`crate::verdict::auth`] knows by their
//!   words; failing those, by the enhanced status code (RFC 3463 and the registry, [`codes`])
//!   and, when that says little, the reply code (RFC 5321);
//! - client-library messages (OpenSSL, nodemailer, Python, .NET, MailKit, PHPMailer, Jakarta
//!   Mail, the operating system) by the catalogue in [`libraries`];
//! - host names and ports ([`hosts`]) give the `smtp-doctor check` to run next.

mod codes;
mod hosts;
mod libraries;
mod replies;
mod scrub;

use crate::providers::{Catalog, KnownError};
use crate::smtp::EnhancedCode;
use crate::verdict::auth::known_reply;

use replies::FoundReply;

/// The longest text read, in bytes (64 KiB): enough for a stack trace, bounded for a paste of
/// a whole log.
pub const MAX_INPUT: usize = 64 * 1024;

/// Most explanations given for one text.
const MAX_EXPLANATIONS: usize = 20;

/// Most entries of provider catalogues given for one reply (the same words in two presets'
/// lists, with different advice).
const MAX_PROVIDER_ENTRIES: usize = 2;

/// Reply codes tried for an enhanced code found without one (`The server response was:
/// 5.7.60 ...`), to match the catalogues' entries by enhanced code and words.
const CANDIDATE_CODES: &[u16] = &[
    535, 530, 534, 550, 553, 554, 552, 538, 504, 500, 421, 454, 450, 451, 452, 432,
];

/// What kind of knowledge explains a part of the text, most specific first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A reply a provider catalogue knows by its codes and words.
    ProviderReply,
    /// A client library's or the operating system's error message.
    ClientLibrary,
    /// The enhanced status code's meaning (RFC 3463 and the registry).
    EnhancedCode,
    /// The reply code's meaning (RFC 5321 and extensions).
    Reply,
}

impl Kind {
    /// The name used in JSON: `provider_reply`, `client_library`, `enhanced_code`, `reply`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::ProviderReply => "provider_reply",
            Kind::ClientLibrary => "client_library",
            Kind::EnhancedCode => "enhanced_code",
            Kind::Reply => "reply",
        }
    }
}

/// One part of the text explained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// What kind of knowledge explains it.
    pub kind: Kind,
    /// The reply code, for a reply.
    pub code: Option<u16>,
    /// The enhanced status code, for a reply that has one.
    pub enhanced: Option<EnhancedCode>,
    /// Where the knowledge comes from: a preset id (`office365`), `many providers`, an RFC, a
    /// library (`nodemailer`).
    pub source: String,
    /// The provider's display name, when a preset's entry matched.
    pub provider: Option<String>,
    /// What it means.
    pub meaning: String,
    /// The likely causes, most common first (may be empty).
    pub causes: Vec<String>,
    /// What to change.
    pub fix: String,
    /// `smtp-doctor check` flags that look into it (together one command line).
    pub check_flags: Vec<String>,
    /// The text that was recognised: the reply, or the library's words.
    pub matched: String,
}

/// Everything the text showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnosis {
    /// The text as read: at most [`MAX_INPUT`] bytes, secrets replaced by `***`.
    pub input: String,
    /// The explanations, most specific kind first.
    pub explanations: Vec<Explanation>,
    /// `smtp-doctor check ...` for the servers the text names.
    pub next_commands: Vec<String>,
}

impl Diagnosis {
    /// Whether anything in the text was recognised.
    pub fn recognised(&self) -> bool {
        !self.explanations.is_empty()
    }
}

/// Reads `text`: its replies and library messages explained, and the checks to run next.
pub fn explain(text: &str, catalog: &Catalog) -> Diagnosis {
    let input = scrub::scrub(bounded(text));
    let mut explanations: Vec<Explanation> = replies::find(&input)
        .iter()
        .flat_map(|reply| explain_reply(reply, catalog))
        .collect();
    explanations.extend(libraries::find(&input).into_iter().map(from_library));
    // Stable: within a kind, the order of the text (replies) or the catalogue (libraries).
    explanations.sort_by_key(|e| e.kind);
    let mut seen = Vec::new();
    explanations.retain(|e| {
        let key = (e.kind, e.code, e.enhanced, e.meaning.clone());
        let new = !seen.contains(&key);
        seen.push(key);
        new
    });
    explanations.truncate(MAX_EXPLANATIONS);
    let mut next_commands = hosts::next_commands(&input);
    if next_commands.is_empty() {
        next_commands = preset_commands(&explanations, catalog);
    }
    Diagnosis {
        input,
        explanations,
        next_commands,
    }
}

/// For a text that names no server: `smtp-doctor check` of the submission host of each preset
/// whose known reply matched (only hosts [`crate::target::parse`] takes, not patterns).
fn preset_commands(explanations: &[Explanation], catalog: &Catalog) -> Vec<String> {
    let mut commands: Vec<String> = Vec::new();
    let presets = explanations
        .iter()
        .filter(|e| e.kind == Kind::ProviderReply && e.provider.is_some())
        .filter_map(|e| catalog.get(&e.source));
    for preset in presets {
        let Some(host) = preset.host_for(None) else {
            continue;
        };
        let usable = crate::target::parse(&host).is_ok_and(|t| !t.is_address());
        let command = format!("smtp-doctor check {host}");
        if usable && !host.contains(['*', '<', ' ']) && !commands.contains(&command) {
            commands.push(command);
        }
    }
    commands
}

/// `text` cut to [`MAX_INPUT`] bytes at a character boundary.
fn bounded(text: &str) -> &str {
    if text.len() <= MAX_INPUT {
        return text;
    }
    let mut end = MAX_INPUT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A reply's explanations: what the catalogues know of it, else what its codes mean.
fn explain_reply(found: &FoundReply, catalog: &Catalog) -> Vec<Explanation> {
    let known = known_explanations(found, catalog);
    if !known.is_empty() {
        return known;
    }
    let mut out = Vec::new();
    let status = found.enhanced.and_then(codes::enhanced);
    let says_little = status.as_ref().is_none_or(|s| s.generic);
    if let Some(status) = status {
        out.push(Explanation {
            kind: Kind::EnhancedCode,
            code: found.code,
            enhanced: found.enhanced,
            source: status.source.to_string(),
            provider: None,
            meaning: status.meaning,
            causes: Vec::new(),
            fix: status.fix,
            check_flags: strings(status.flags),
            matched: found.quote(),
        });
    }
    if says_little
        && let Some(code) = found.code
        && let Some(basic) = codes::basic(code)
    {
        out.push(Explanation {
            kind: Kind::Reply,
            code: Some(code),
            enhanced: found.enhanced,
            source: basic.source.to_string(),
            provider: None,
            meaning: basic.meaning,
            causes: Vec::new(),
            fix: basic.fix.to_string(),
            check_flags: strings(basic.flags),
            matched: found.quote(),
        });
    }
    out
}

/// What the catalogues say of a reply: the presets' entries (the most specific ones), else the
/// replies common to many providers, else those the AUTH and send verdicts know by words.
fn known_explanations(found: &FoundReply, catalog: &Catalog) -> Vec<Explanation> {
    let from_presets = preset_entries(found, catalog);
    if !from_presets.is_empty() {
        return from_presets;
    }
    if let Some(entry) = catalog_entry(found, catalog.generic_errors(), |reply| {
        catalog.generic_error(reply)
    }) {
        return vec![known(found, entry, "many providers", None)];
    }
    let candidates = match found.code {
        Some(code) => vec![code],
        None => CANDIDATE_CODES.to_vec(),
    };
    // Without its reply code, an enhanced code the registry defines is matched by words only;
    // a server's own (`5.7.57`) names its entry by itself.
    let words_only = found.code.is_none()
        && found
            .enhanced
            .is_none_or(|e| codes::is_registered(e.subject, e.detail));
    candidates
        .iter()
        .find_map(|&code| known_reply(&found.reply_as(code), words_only))
        .map(|e| {
            let mut explanation = reply_explanation(found, Kind::ProviderReply, &e.source);
            explanation.check_flags = reply_flags(found);
            explanation.meaning = e.cause;
            explanation.fix = e.advice;
            vec![explanation]
        })
        .unwrap_or_default()
}

/// The presets' entries for a reply: those of the highest specificity, one per distinct
/// meaning, in catalogue order.
fn preset_entries(found: &FoundReply, catalog: &Catalog) -> Vec<Explanation> {
    let matches: Vec<(&crate::providers::Preset, &KnownError)> = catalog
        .presets()
        .iter()
        .filter_map(|preset| {
            catalog_entry(found, &preset.errors, |reply| preset.known_error(reply))
                .map(|entry| (preset, entry))
        })
        .collect();
    let best = matches.iter().map(|(_, e)| specificity(e)).max();
    let mut out: Vec<Explanation> = Vec::new();
    for (preset, entry) in matches.iter().filter(|(_, e)| Some(specificity(e)) == best) {
        if out.iter().any(|e| e.meaning == entry.meaning) {
            continue;
        }
        out.push(known(found, entry, &preset.id, Some(&preset.name)));
    }
    out.truncate(MAX_PROVIDER_ENTRIES);
    out
}

/// The entry of a list that explains a reply. With a code: `lookup` (the list's own choice of
/// the most specific entry), when the entry names more than the code. Without one: an entry
/// with this enhanced code whose words occur in the reply.
fn catalog_entry<'a>(
    found: &FoundReply,
    entries: &'a [KnownError],
    lookup: impl Fn(&crate::smtp::Reply) -> Option<&'a KnownError>,
) -> Option<&'a KnownError> {
    match found.code {
        Some(code) => lookup(&found.reply_as(code)).filter(|e| specificity(e) > 0),
        None => {
            let text = found.lines.join(" ");
            entries.iter().find(|e| {
                e.enhanced.is_some()
                    && e.enhanced == found.enhanced
                    && e.text.as_ref().is_some_and(|t| t.occurs_in(&text))
            })
        }
    }
}

/// More conditions make an entry more specific (as the catalogue ranks them).
fn specificity(entry: &KnownError) -> u8 {
    u8::from(entry.enhanced.is_some()) + 2 * u8::from(entry.text.is_some())
}

/// A catalogue entry as an explanation of `found`.
fn known(
    found: &FoundReply,
    entry: &KnownError,
    source: &str,
    provider: Option<&str>,
) -> Explanation {
    let mut explanation = reply_explanation(found, Kind::ProviderReply, source);
    explanation.check_flags = reply_flags(found);
    explanation.provider = provider.map(str::to_string);
    explanation.meaning = entry.meaning.clone();
    explanation.fix = entry.advice.clone();
    explanation
}

/// The `smtp-doctor check` flags that look into a reply: those of its reply code.
fn reply_flags(found: &FoundReply) -> Vec<String> {
    found
        .code
        .and_then(codes::basic)
        .map(|basic| strings(basic.flags))
        .unwrap_or_default()
}

/// An explanation of `found` with its codes and quote, to be filled in.
fn reply_explanation(found: &FoundReply, kind: Kind, source: &str) -> Explanation {
    Explanation {
        kind,
        code: found.code,
        enhanced: found.enhanced,
        source: source.to_string(),
        provider: None,
        meaning: String::new(),
        causes: Vec::new(),
        fix: String::new(),
        check_flags: Vec::new(),
        matched: found.quote(),
    }
}

/// A library catalogue match as an explanation.
fn from_library(m: libraries::Match) -> Explanation {
    Explanation {
        kind: Kind::ClientLibrary,
        code: None,
        enhanced: None,
        source: m.pattern.library.to_string(),
        provider: None,
        meaning: m.entry.meaning.to_string(),
        causes: strings(m.entry.causes),
        fix: m.entry.fix.to_string(),
        check_flags: strings(m.entry.flags),
        matched: m.matched,
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_string()).collect()
}

#[cfg(test)]
mod tests;
