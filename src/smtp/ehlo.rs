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
    ///
    /// The first line is `domain [greeting]` (the domain may be empty). Each further line is
    /// `KEYWORD [params...]`, split on ASCII whitespace; the name is upper-cased, parameters
    /// are kept as sent, blank lines are skipped and unknown keywords kept. The old
    /// `AUTH=LOGIN PLAIN` form stays a keyword named `AUTH=LOGIN` (what was sent);
    /// [`Ehlo::auth_mechanisms`] folds it in. A HELO reply has no keywords: its extra lines,
    /// if any, are only in `lines`.
    pub fn parse(reply: &Reply, helo: bool) -> Ehlo {
        let first = reply.lines.first().map(String::as_str).unwrap_or_default();
        let first = first.trim_start_matches(is_space);
        let (domain, greeting) = first.split_once(is_space).unwrap_or((first, ""));
        let keywords = if helo {
            Vec::new()
        } else {
            reply
                .lines
                .iter()
                .skip(1)
                .filter_map(|line| keyword(line))
                .collect()
        };
        Ehlo {
            code: reply.code,
            domain: domain.to_owned(),
            greeting: greeting.trim_matches(is_space).to_owned(),
            keywords,
            lines: reply.lines.clone(),
            helo,
        }
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
        let mut mechanisms: Vec<String> = Vec::new();
        for keyword in &self.keywords {
            // `AUTH=LOGIN PLAIN`: the first mechanism is glued to the name.
            let old_form = if keyword.name == "AUTH" {
                None
            } else if let Some(first) = keyword.name.strip_prefix("AUTH=") {
                Some(first)
            } else {
                continue;
            };
            let sent = old_form
                .into_iter()
                .chain(keyword.params.iter().map(String::as_str));
            for mechanism in sent {
                let mechanism = mechanism.to_ascii_uppercase();
                if !mechanism.is_empty() && !mechanisms.contains(&mechanism) {
                    mechanisms.push(mechanism);
                }
            }
        }
        mechanisms
    }

    /// The `SIZE` limit in bytes (RFC 1870), when advertised with a number. `Some(0)` means the
    /// server announces no fixed limit; `None` when SIZE is absent, bare or not a number.
    pub fn size_limit(&self) -> Option<u64> {
        self.keyword("SIZE")?.params.first()?.parse().ok()
    }
}

/// RFC 5321 separates with SP; tabs are tolerated as well.
fn is_space(c: char) -> bool {
    c.is_ascii_whitespace()
}

/// One keyword line, `None` when blank.
fn keyword(line: &str) -> Option<Keyword> {
    let mut words = line.split(is_space).filter(|word| !word.is_empty());
    let name = words.next()?.to_ascii_uppercase();
    Some(Keyword {
        name,
        params: words.map(str::to_owned).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smtp::{ReplyLimits, ReplyParser};

    /// Runs the wire bytes through the reply reader, then the EHLO parser.
    fn ehlo(wire: &str) -> Ehlo {
        let mut parser = ReplyParser::new(ReplyLimits::default());
        parser.feed(wire.as_bytes());
        let parsed = parser.next_reply().unwrap().expect("a complete reply");
        Ehlo::parse(&parsed.reply, false)
    }

    fn names(ehlo: &Ehlo) -> Vec<&str> {
        ehlo.keywords.iter().map(|k| k.name.as_str()).collect()
    }

    fn params<'a>(ehlo: &'a Ehlo, name: &str) -> Vec<&'a str> {
        ehlo.keyword(name)
            .unwrap()
            .params
            .iter()
            .map(String::as_str)
            .collect()
    }

    fn reply(code: u16, lines: &[&str]) -> Reply {
        Reply {
            code,
            enhanced: None,
            lines: lines.iter().map(|l| (*l).to_owned()).collect(),
        }
    }

    #[test]
    fn rfc5321_example() {
        let e = ehlo(
            "250-foo.com greets bar.com\r\n\
             250-8BITMIME\r\n\
             250-SIZE\r\n\
             250-DSN\r\n\
             250 HELP\r\n",
        );
        assert_eq!(e.code, 250);
        assert_eq!(e.domain, "foo.com");
        assert_eq!(e.greeting, "greets bar.com");
        assert_eq!(names(&e), ["8BITMIME", "SIZE", "DSN", "HELP"]);
        assert!(e.keywords.iter().all(|k| k.params.is_empty()));
        assert_eq!(e.lines.len(), 5);
        assert!(!e.helo);
        assert!(!e.has("STARTTLS"));
        assert_eq!(e.auth_mechanisms(), Vec::<String>::new());
    }

    #[test]
    fn gmail_like() {
        let e = ehlo(
            "250-smtp.gmail.com at your service, [192.0.2.10]\r\n\
             250-SIZE 35882577\r\n\
             250-8BITMIME\r\n\
             250-AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH\r\n\
             250-ENHANCEDSTATUSCODES\r\n\
             250-PIPELINING\r\n\
             250-CHUNKING\r\n\
             250 SMTPUTF8\r\n",
        );
        assert_eq!(e.domain, "smtp.gmail.com");
        assert_eq!(e.greeting, "at your service, [192.0.2.10]");
        assert_eq!(
            names(&e),
            [
                "SIZE",
                "8BITMIME",
                "AUTH",
                "ENHANCEDSTATUSCODES",
                "PIPELINING",
                "CHUNKING",
                "SMTPUTF8"
            ]
        );
        assert_eq!(params(&e, "SIZE"), ["35882577"]);
        assert_eq!(e.size_limit(), Some(35_882_577));
        assert_eq!(
            e.auth_mechanisms(),
            [
                "LOGIN",
                "PLAIN",
                "XOAUTH2",
                "PLAIN-CLIENTTOKEN",
                "OAUTHBEARER",
                "XOAUTH"
            ]
        );
    }

    #[test]
    fn gmail_like_before_tls() {
        let e = ehlo(
            "250-smtp.gmail.com at your service, [192.0.2.10]\r\n\
             250-SIZE 35882577\r\n\
             250-8BITMIME\r\n\
             250-STARTTLS\r\n\
             250-ENHANCEDSTATUSCODES\r\n\
             250-PIPELINING\r\n\
             250-CHUNKING\r\n\
             250 SMTPUTF8\r\n",
        );
        assert!(e.has("STARTTLS"));
        assert!(!e.has("AUTH"));
        assert!(e.auth_mechanisms().is_empty());
    }

    #[test]
    fn office365_like() {
        let e = ehlo(
            "250-AM0PR02CA0001.outlook.office365.com Hello [192.0.2.10]\r\n\
             250-SIZE 157286400\r\n\
             250-PIPELINING\r\n\
             250-DSN\r\n\
             250-ENHANCEDSTATUSCODES\r\n\
             250-STARTTLS\r\n\
             250-8BITMIME\r\n\
             250-BINARYMIME\r\n\
             250-CHUNKING\r\n\
             250 SMTPUTF8\r\n",
        );
        assert_eq!(e.domain, "AM0PR02CA0001.outlook.office365.com");
        assert_eq!(e.greeting, "Hello [192.0.2.10]");
        assert_eq!(e.size_limit(), Some(157_286_400));
        assert!(e.has("STARTTLS") && e.has("BINARYMIME") && e.has("chunking"));
        assert_eq!(e.keywords.len(), 9);
    }

    #[test]
    fn office365_like_after_tls_with_old_auth_form() {
        let e = ehlo(
            "250-AM0PR02CA0001.outlook.office365.com Hello [192.0.2.10]\r\n\
             250-SIZE 157286400\r\n\
             250-PIPELINING\r\n\
             250-DSN\r\n\
             250-ENHANCEDSTATUSCODES\r\n\
             250-AUTH LOGIN XOAUTH2\r\n\
             250-8BITMIME\r\n\
             250-BINARYMIME\r\n\
             250-CHUNKING\r\n\
             250 SMTPUTF8\r\n",
        );
        assert!(!e.has("STARTTLS"));
        assert_eq!(e.auth_mechanisms(), ["LOGIN", "XOAUTH2"]);
    }

    #[test]
    fn lower_case_keywords() {
        let e = ehlo(
            "250-mail.test hi\r\n\
             250-size 1000\r\n\
             250-auth plain login\r\n\
             250 starttls\r\n",
        );
        assert_eq!(names(&e), ["SIZE", "AUTH", "STARTTLS"]);
        assert!(e.has("STARTTLS"));
        assert!(e.has("starttls"));
        assert!(e.has("StartTLS"));
        // Parameters are kept as sent; mechanisms are upper-cased.
        assert_eq!(params(&e, "auth"), ["plain", "login"]);
        assert_eq!(e.auth_mechanisms(), ["PLAIN", "LOGIN"]);
        // The raw lines keep the case too.
        assert_eq!(e.lines[3], "starttls");
    }

    #[test]
    fn starttls_as_last_line() {
        let e = ehlo("250-mail.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n");
        assert!(e.has("STARTTLS"));
        assert_eq!(names(&e), ["PIPELINING", "STARTTLS"]);
    }

    #[test]
    fn old_auth_form() {
        // Old Outlook Express-era servers send both forms.
        let e = ehlo(
            "250-mail.test\r\n\
             250-AUTH LOGIN PLAIN\r\n\
             250-AUTH=LOGIN PLAIN CRAM-MD5\r\n\
             250 HELP\r\n",
        );
        assert_eq!(names(&e), ["AUTH", "AUTH=LOGIN", "HELP"]);
        assert_eq!(params(&e, "AUTH=LOGIN"), ["PLAIN", "CRAM-MD5"]);
        assert_eq!(e.auth_mechanisms(), ["LOGIN", "PLAIN", "CRAM-MD5"]);
    }

    #[test]
    fn old_auth_form_alone_and_lower_case() {
        let e = ehlo("250-mail.test\r\n250 auth=login plain\r\n");
        assert_eq!(names(&e), ["AUTH=LOGIN"]);
        assert_eq!(params(&e, "AUTH=LOGIN"), ["plain"]);
        assert!(!e.has("AUTH"));
        assert_eq!(e.auth_mechanisms(), ["LOGIN", "PLAIN"]);
        // `AUTH=` with nothing after the `=` adds no empty mechanism.
        let e = ehlo("250-mail.test\r\n250 AUTH= PLAIN\r\n");
        assert_eq!(e.auth_mechanisms(), ["PLAIN"]);
        // Other keywords with `=` are not AUTH.
        let e = ehlo("250-mail.test\r\n250 X-AUTH=LOGIN PLAIN\r\n");
        assert!(e.auth_mechanisms().is_empty());
        assert_eq!(names(&e), ["X-AUTH=LOGIN"]);
    }

    #[test]
    fn auth_mechanisms_deduplicated_case_insensitively() {
        let e = ehlo("250-mail.test\r\n250-AUTH plain PLAIN Login\r\n250 AUTH LOGIN XOAUTH2\r\n");
        assert_eq!(e.auth_mechanisms(), ["PLAIN", "LOGIN", "XOAUTH2"]);
    }

    #[test]
    fn size_with_and_without_parameter() {
        let e = ehlo("250-mail.test\r\n250 SIZE\r\n");
        assert!(e.has("SIZE"));
        assert!(e.keyword("SIZE").unwrap().params.is_empty());
        assert_eq!(e.size_limit(), None);

        let e = ehlo("250-mail.test\r\n250 SIZE 0\r\n");
        assert_eq!(e.size_limit(), Some(0));

        let e = ehlo("250-mail.test\r\n250 SIZE lots\r\n");
        assert_eq!(params(&e, "SIZE"), ["lots"]);
        assert_eq!(e.size_limit(), None);

        let e = ehlo("250-mail.test\r\n250 HELP\r\n");
        assert_eq!(e.size_limit(), None);
    }

    #[test]
    fn unknown_keywords_are_kept() {
        let e = ehlo(
            "250-mail.test\r\n\
             250-X-EXPS GSSAPI NTLM\r\n\
             250-XCLIENT NAME ADDR\r\n\
             250-LIMITS RCPTMAX=100 MAILMAX=10\r\n\
             250 VRFY\r\n",
        );
        assert_eq!(names(&e), ["X-EXPS", "XCLIENT", "LIMITS", "VRFY"]);
        assert_eq!(params(&e, "limits"), ["RCPTMAX=100", "MAILMAX=10"]);
    }

    #[test]
    fn empty_domain() {
        let e = Ehlo::parse(&reply(250, &["", "PIPELINING"]), false);
        assert_eq!(e.domain, "");
        assert_eq!(e.greeting, "");
        assert_eq!(names(&e), ["PIPELINING"]);

        let e = ehlo("250\r\n");
        assert_eq!(e.domain, "");
        assert!(e.keywords.is_empty());

        let e = Ehlo::parse(&reply(250, &[]), false);
        assert_eq!(e.domain, "");
        assert!(e.keywords.is_empty() && e.lines.is_empty());
    }

    #[test]
    fn domain_and_greeting_whitespace() {
        let e = Ehlo::parse(&reply(250, &["  mail.test\t Hello  there  "]), false);
        assert_eq!(e.domain, "mail.test");
        // Inner spacing of the greeting is kept; the edges are trimmed.
        assert_eq!(e.greeting, "Hello  there");

        let e = Ehlo::parse(&reply(250, &["mail.test"]), false);
        assert_eq!(e.domain, "mail.test");
        assert_eq!(e.greeting, "");
    }

    #[test]
    fn blank_keyword_lines_are_ignored() {
        let e = ehlo("250-mail.test\r\n250-\r\n250-   \r\n250-PIPELINING\r\n250\r\n");
        assert_eq!(names(&e), ["PIPELINING"]);
        // ...but they stay in the raw lines.
        assert_eq!(e.lines.len(), 5);
    }

    #[test]
    fn params_split_on_any_run_of_whitespace() {
        let e = Ehlo::parse(&reply(250, &["mail.test", "AUTH  PLAIN\tLOGIN "]), false);
        assert_eq!(params(&e, "AUTH"), ["PLAIN", "LOGIN"]);
    }

    #[test]
    fn helo_has_no_keywords() {
        let e = Ehlo::parse(&reply(250, &["mail.test Hello", "PIPELINING"]), true);
        assert!(e.helo);
        assert_eq!(e.domain, "mail.test");
        assert_eq!(e.greeting, "Hello");
        assert!(e.keywords.is_empty());
        assert!(!e.has("PIPELINING"));
        assert_eq!(e.lines, ["mail.test Hello", "PIPELINING"]);
    }

    #[test]
    fn non_utf8_keyword_line() {
        let mut parser = ReplyParser::new(ReplyLimits::default());
        parser.feed(b"250-mail.test\r\n250 X-\xffODD p\xfe\r\n");
        let parsed = parser.next_reply().unwrap().unwrap();
        let e = Ehlo::parse(&parsed.reply, false);
        assert_eq!(names(&e), ["X-\u{fffd}ODD"]);
        assert_eq!(params(&e, "X-\u{fffd}odd"), ["p\u{fffd}"]);
    }
}
