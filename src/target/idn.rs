//! Host names: an international name (`münchen.example`) to the ASCII form DNS, SNI and the
//! certificate check use (`xn--mnchen-3ya.example`, UTS 46 / IDNA), and the rules DNS puts on a
//! name, each refusal with its reason.

use std::fmt;

use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};

/// Longest DNS name in text form, without the trailing dot (RFC 1035 section 2.3.4).
pub const MAX_NAME: usize = 253;

/// Longest DNS label (RFC 1035 section 2.3.4).
pub const MAX_LABEL: usize = 63;

/// How much of an offending label or text a message quotes.
const QUOTED: usize = 60;

/// A host name in both forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    /// The ASCII form (A-labels), lower case, without a trailing dot.
    pub ascii: String,
    /// The Unicode form (U-labels), when it differs from `ascii`.
    pub unicode: Option<String>,
}

/// Why a text is not a usable host name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameProblem {
    /// Nothing at all.
    Empty,
    /// Two dots in a row, or a leading dot.
    EmptyLabel,
    /// A label longer than [`MAX_LABEL`] (in ASCII form).
    LabelTooLong {
        /// The label, shortened for the message.
        label: String,
        /// Its length in characters.
        length: usize,
    },
    /// A name longer than [`MAX_NAME`] (in ASCII form).
    TooLong {
        /// Its length in characters.
        length: usize,
    },
    /// A label that begins or ends with `-`.
    Hyphen {
        /// The label, shortened for the message.
        label: String,
    },
    /// A character that has no place in a host name.
    Character(char),
    /// Digits and dots only, yet not an IPv4 address (`999.1.1.1`, `127.1`).
    NotIpv4,
    /// An international name that UTS 46 processing rejects (a disallowed character, a label
    /// beginning with a combining mark, an `xn--` label that does not decode, ...).
    Idna,
}

impl fmt::Display for NameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameProblem::Empty => f.write_str("the name is empty"),
            NameProblem::EmptyLabel => {
                f.write_str("it has an empty label (two dots in a row, or a leading dot)")
            }
            NameProblem::LabelTooLong { label, length } => write!(
                f,
                "the label {label:?} is {length} characters long; a DNS label has at most {MAX_LABEL}"
            ),
            NameProblem::TooLong { length } => write!(
                f,
                "it is {length} characters long; a DNS name has at most {MAX_NAME}"
            ),
            NameProblem::Hyphen { label } => {
                write!(f, "the label {label:?} begins or ends with '-'")
            }
            NameProblem::Character(c) => write!(
                f,
                "it contains {c:?}; use letters, digits, '-' and dots, e.g. smtp.example.com"
            ),
            NameProblem::NotIpv4 => {
                f.write_str("not a valid IPv4 address (four numbers from 0 to 255, e.g. 192.0.2.1)")
            }
            NameProblem::Idna => f.write_str(
                "not a valid international domain name (IDNA processing, UTS 46, rejects it)",
            ),
        }
    }
}

/// `text` shortened to [`QUOTED`] characters and `…` when longer, for messages that quote
/// what the user typed.
pub fn shorten(text: &str) -> String {
    match text.char_indices().nth(QUOTED) {
        Some((at, _)) => format!("{}…", text.get(..at).unwrap_or(text)),
        None => text.to_string(),
    }
}

/// Reads a host name: one trailing dot dropped, an international name converted to its ASCII
/// form by UTS 46 (non-transitional, as browsers and current resolvers do), lower case, and
/// checked against what DNS allows. Underscores are allowed, since real mail hosts have them.
pub fn name(text: &str) -> Result<Name, NameProblem> {
    let text = text.strip_suffix('.').unwrap_or(text);
    if text.is_empty() {
        return Err(NameProblem::Empty);
    }
    if let Some(c) = text
        .chars()
        .find(|&c| c.is_whitespace() || c.is_control() || "%#/:<>?@[\\]^|".contains(c))
    {
        return Err(NameProblem::Character(c));
    }
    let ascii = if text.is_ascii() {
        text.to_ascii_lowercase()
    } else {
        Uts46::new()
            .to_ascii(
                text.as_bytes(),
                AsciiDenyList::URL,
                Hyphens::Allow,
                DnsLength::Ignore,
            )
            .map_err(|_| NameProblem::Idna)?
            .into_owned()
    };
    check(&ascii)?;
    let unicode = unicode_form(&ascii)?;
    Ok(Name { ascii, unicode })
}

/// The Unicode form of an ASCII name with `xn--` labels (`None` without any); an `xn--` label
/// that does not decode is refused.
fn unicode_form(ascii: &str) -> Result<Option<String>, NameProblem> {
    if !ascii.split('.').any(|label| label.starts_with("xn--")) {
        return Ok(None);
    }
    let (unicode, result) =
        Uts46::new().to_unicode(ascii.as_bytes(), AsciiDenyList::EMPTY, Hyphens::Allow);
    result.map_err(|_| NameProblem::Idna)?;
    Ok((unicode != ascii).then(|| unicode.into_owned()))
}

/// The rules of an ASCII host name: labels of 1 to 63 letters, digits, `-` (not first or
/// last) and `_`, at most 253 characters in all, not digits and dots only.
pub fn check(name: &str) -> Result<(), NameProblem> {
    if name.is_empty() {
        return Err(NameProblem::Empty);
    }
    if name.bytes().all(|b| b.is_ascii_digit() || b == b'.') && name.bytes().any(|b| b != b'.') {
        return Err(NameProblem::NotIpv4);
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err(NameProblem::EmptyLabel);
        }
        if let Some(c) = label
            .chars()
            .find(|&c| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        {
            return Err(NameProblem::Character(c));
        }
        if label.len() > MAX_LABEL {
            return Err(NameProblem::LabelTooLong {
                label: shorten(label),
                length: label.len(),
            });
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(NameProblem::Hyphen {
                label: shorten(label),
            });
        }
    }
    if name.len() > MAX_NAME {
        return Err(NameProblem::TooLong { length: name.len() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ascii(text: &str) -> String {
        name(text).unwrap_or_else(|e| panic!("{text}: {e}")).ascii
    }

    #[test]
    fn international_names_become_a_labels() {
        let n = name("münchen.example").unwrap();
        assert_eq!(n.ascii, "xn--mnchen-3ya.example");
        assert_eq!(n.unicode.as_deref(), Some("münchen.example"));
        // Mixed case folds to one name in both forms.
        let n = name("MÜNCHEN.Example.").unwrap();
        assert_eq!(n.ascii, "xn--mnchen-3ya.example");
        assert_eq!(n.unicode.as_deref(), Some("münchen.example"));
        // The A-label form as typed: the same name, its Unicode form for the report.
        let n = name("XN--MNCHEN-3YA.example").unwrap();
        assert_eq!(n.ascii, "xn--mnchen-3ya.example");
        assert_eq!(n.unicode.as_deref(), Some("münchen.example"));
        // Non-transitional: ß stays ß (xn--strae-oqa), not "strasse".
        assert_eq!(ascii("straße.example"), "xn--strae-oqa.example");
        assert_eq!(ascii("пример.испытание"), "xn--e1afmkfd.xn--80akhbyknj4f");
        // Plain ASCII names keep no Unicode form.
        let n = name("Smtp.Example.COM").unwrap();
        assert_eq!(n.ascii, "smtp.example.com");
        assert_eq!(n.unicode, None);
        assert_eq!(ascii("_dmarc.example"), "_dmarc.example");
    }

    #[test]
    fn uts46_refusals() {
        // A label may not begin with a combining mark.
        assert_eq!(name("\u{301}abc.example"), Err(NameProblem::Idna));
        // A disallowed code point (private use).
        assert_eq!(name("a\u{e000}b.example"), Err(NameProblem::Idna));
        // An A-label that does not decode to a valid label.
        assert_eq!(name("xn--a.example"), Err(NameProblem::Idna));
        assert_eq!(name("mün chen.example"), Err(NameProblem::Character(' ')));
    }

    #[test]
    fn dns_rules_with_reasons() {
        assert_eq!(name("999.1.1.1"), Err(NameProblem::NotIpv4));
        assert_eq!(name("127.1"), Err(NameProblem::NotIpv4));
        assert_eq!(name(""), Err(NameProblem::Empty));
        assert_eq!(name("a..example"), Err(NameProblem::EmptyLabel));
        assert_eq!(
            name("-bad.example"),
            Err(NameProblem::Hyphen {
                label: "-bad".into()
            })
        );
        assert_eq!(name("bad!.example"), Err(NameProblem::Character('!')));
        let long_label = format!("{}.example", "a".repeat(64));
        let problem = name(&long_label).unwrap_err();
        assert!(
            matches!(&problem, NameProblem::LabelTooLong { length: 64, label } if label.ends_with('…') && label.chars().count() == 61),
            "{problem:?}"
        );
        assert!(problem.to_string().contains("at most 63"), "{problem}");
        let ok_label = format!("{}.example", "a".repeat(63));
        assert!(name(&ok_label).is_ok());
        let long_name = vec!["a".repeat(60); 5].join(".");
        assert_eq!(long_name.len(), 304);
        assert_eq!(name(&long_name), Err(NameProblem::TooLong { length: 304 }));
        assert!(check(&vec!["a".repeat(62); 4].join(".")).is_ok());
        // An international label whose A-label is too long is judged in its ASCII form.
        let long_idn = format!("{}.example", "ü".repeat(70));
        assert!(matches!(
            name(&long_idn),
            Err(NameProblem::LabelTooLong { .. })
        ));
    }

    #[test]
    fn shorten_keeps_short_texts() {
        assert_eq!(shorten("short"), "short");
        let long = "ü".repeat(100);
        let shown = shorten(&long);
        assert_eq!(shown.chars().count(), 61);
        assert!(shown.ends_with('…'));
    }
}
