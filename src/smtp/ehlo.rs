//! EHLO reply parsing (RFC 5321 section 4.1.1.1): the domain, and every keyword with its
//! parameters, unknown ones included.

use super::Reply;

/// One EHLO keyword line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyword {
    /// Upper-cased keyword, e.g. `AUTH`.
    pub name: String,
    /// Parameters as sent, e.g. `["PLAIN", "LOGIN"]`.
    pub params: Vec<String>,
}

/// A parsed EHLO (or HELO) reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ehlo {
    /// Reply code.
    pub code: u16,
    /// The domain the server names in the first line.
    pub domain: String,
    /// The rest of the first line after the domain.
    pub greeting: String,
    /// Keywords in the order sent.
    pub keywords: Vec<Keyword>,
    /// The reply's text lines as sent.
    pub lines: Vec<String>,
    /// This came from HELO after EHLO was refused: no keywords by definition.
    pub helo: bool,
}

impl Ehlo {
    /// Parses a 250 reply to EHLO (or HELO when `helo`).
    pub fn parse(reply: &Reply, helo: bool) -> Ehlo {
        todo!()
    }

    /// The keyword, case-insensitively.
    pub fn keyword(&self, name: &str) -> Option<&Keyword> {
        self.keywords
            .iter()
            .find(|k| k.name.eq_ignore_ascii_case(name))
    }

    /// Whether the keyword is present, case-insensitively.
    pub fn has(&self, name: &str) -> bool {
        self.keyword(name).is_some()
    }

    /// AUTH mechanisms advertised (from `AUTH` and the old `AUTH=` form), upper-cased,
    /// without duplicates, in order.
    pub fn auth_mechanisms(&self) -> Vec<String> {
        todo!()
    }
}
