//! MTA-STS (RFC 8461), sans-IO: the `_mta-sts` TXT record (section 3.1), the policy file
//! (section 3.2) and the matching of MX host names against the policy's `mx` patterns
//! (section 4.1). Every parser takes untrusted text and never panics: no indexing, only
//! iterators and `split_once`; what it cannot read is a problem with the line it is on.

/// The label before the domain where the TXT record lives (RFC 8461 section 3.1).
pub const RECORD_LABEL: &str = "_mta-sts";
/// The label before the domain of the policy host (RFC 8461 section 3.3).
pub const POLICY_HOST_LABEL: &str = "mta-sts";
/// The path of the policy on the policy host (RFC 8461 section 3.3).
pub const POLICY_PATH: &str = "/.well-known/mta-sts.txt";
/// The largest `max_age` a policy may give, in seconds (RFC 8461 section 3.2: about one year).
pub const MAX_AGE_LIMIT: u64 = 31_557_600;

/// The start of an MTA-STS TXT record (RFC 8461 section 3.1: records that do not begin with it
/// are discarded).
const RECORD_VERSION: &str = "v=STSv1";

/// Whether a TXT string is an MTA-STS record: it begins with `v=STSv1`, followed by the end, a
/// `;` or white space (RFC 8461 section 3.1). Other TXT records at the name are ignored.
pub fn is_record(text: &str) -> bool {
    text.strip_prefix(RECORD_VERSION)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([';', ' ', '\t']))
}

/// One `_mta-sts` TXT record, read by RFC 8461 section 3.1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The `id` field, when present (valid or not: see `problems`).
    pub id: Option<String>,
    /// Extension fields (`name=value`), ignored by senders.
    pub extensions: Vec<(String, String)>,
    /// What makes the record invalid; empty when it is valid.
    pub problems: Vec<String>,
}

impl Record {
    /// Whether senders can use it.
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Parses an MTA-STS TXT record. The grammar (RFC 8461 section 3.1): `v=STSv1` first, then
/// fields separated by `;` (white space around it allowed), `id` required: 1 to 32 letters and
/// digits; extension names a letter then up to 31 letters, digits, `_`, `-` or `.`.
pub fn parse_record(text: &str) -> Record {
    let mut record = Record {
        id: None,
        extensions: Vec::new(),
        problems: Vec::new(),
    };
    for (name, value) in record_fields(text, RECORD_VERSION, &mut record.problems) {
        if name == "id" {
            if record.id.is_some() {
                record.problems.push("`id` is given twice".into());
                continue;
            }
            if !is_id(value) {
                record.problems.push(format!(
                    "the id `{}` is not 1 to 32 letters and digits",
                    excerpt(value)
                ));
            }
            record.id = Some(value.to_string());
        } else if is_field_name(name) && is_extension_value(value) {
            record
                .extensions
                .push((name.to_string(), value.to_string()));
        } else {
            record.problems.push(format!(
                "the field `{}` is not `name=value`",
                excerpt(&format!("{name}={value}"))
            ));
        }
    }
    if record.id.is_none() {
        record.problems.push("it has no `id` field".into());
    }
    record
}

/// The `name=value` fields of a `;`-separated TXT record that must begin with `version`
/// (RFC 8461 section 3.1, RFC 8460 section 3: nothing before it, white space around each `;`,
/// one trailing `;` allowed). A missing version, an empty field in between and a field without
/// `=` are added to `problems`; the other fields are returned in order.
pub(super) fn record_fields<'a>(
    text: &'a str,
    version: &str,
    problems: &mut Vec<String>,
) -> Vec<(&'a str, &'a str)> {
    let (first, rest) = text.split_once(';').unwrap_or((text, ""));
    if first.trim_end_matches([' ', '\t']) != version {
        problems.push(format!("it does not begin with `{version};`"));
    }
    let fields: Vec<&str> = rest
        .split(';')
        .map(|f| f.trim_matches([' ', '\t']))
        .collect();
    let last = fields.len().saturating_sub(1);
    let mut named = Vec::new();
    for (n, field) in fields.into_iter().enumerate() {
        if field.is_empty() {
            if n != last {
                problems.push("it has an empty field (`;;`)".into());
            }
            continue;
        }
        match field.split_once('=') {
            Some(pair) => named.push(pair),
            None => problems.push(format!("the field `{}` has no `=`", excerpt(field))),
        }
    }
    named
}

/// At most [`EXCERPT`] characters of untrusted text for a message, `...` marking a cut.
pub fn excerpt(text: &str) -> String {
    match text.char_indices().nth(EXCERPT) {
        Some((cut, _)) => format!("{}...", text.get(..cut).unwrap_or("")),
        None => text.to_string(),
    }
}

/// How many characters of a line or value a problem quotes.
const EXCERPT: usize = 60;

fn is_id(value: &str) -> bool {
    (1..=32).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn is_field_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && name.len() <= 32
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// Visible characters but `;` and `=` (RFC 8461 section 3.1, `sts-ext-value`).
fn is_extension_value(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && b != b';' && b != b'=')
}

/// A policy's mode (RFC 8461 section 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Senders refuse to deliver to an MX host that does not match or has no valid certificate.
    Enforce,
    /// Senders deliver anyway and report failures (TLS-RPT).
    Testing,
    /// The domain withdraws its policy.
    None,
}

impl Mode {
    /// The word as the policy writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Testing => "testing",
            Mode::None => "none",
        }
    }
}

/// A problem of a policy file, with its line (1-based; `None` for the file as a whole).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyProblem {
    /// The line it is on.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

/// A policy file, read by RFC 8461 section 3.2.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Policy {
    /// `version` (only `STSv1` is valid).
    pub version: Option<String>,
    /// `mode`, when it is one of the three.
    pub mode: Option<Mode>,
    /// The `mx` patterns, in order.
    pub mx: Vec<String>,
    /// `max_age` in seconds, when it is a number.
    pub max_age: Option<u64>,
    /// Keys senders ignore (RFC 8461 section 3.2: unknown fields are ignored), with their line.
    pub unknown: Vec<(usize, String)>,
    /// What makes the policy invalid: senders then treat the domain as having none.
    pub problems: Vec<PolicyProblem>,
}

impl Policy {
    /// Whether senders can use it.
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }

    /// The first pattern that `host` matches (RFC 8461 section 4.1).
    pub fn pattern_for(&self, host: &str) -> Option<&str> {
        self.mx
            .iter()
            .map(String::as_str)
            .find(|pattern| mx_matches(pattern, host))
    }
}

/// Parses a policy file. Lines end in LF or CRLF; each is `key: value` (white space after the
/// colon allowed, trailing white space ignored); `version: STSv1`, `mode` and `max_age` exactly
/// once, `mx` once or more (none needed in mode `none`); `max_age` is 0 to [`MAX_AGE_LIMIT`]
/// (at most ten digits). RFC 8461 section 3.2 lets the fields come in any order.
pub fn parse_policy(text: &str) -> Policy {
    let mut policy = Policy::default();
    let mut seen = Seen::default();
    for (n, raw) in text.split('\n').enumerate() {
        let line = n + 1;
        let content = raw
            .strip_suffix('\r')
            .unwrap_or(raw)
            .trim_end_matches([' ', '\t']);
        if content.is_empty() {
            continue;
        }
        let outcome = match content.split_once(':') {
            Some((key, value)) => {
                let value = value.trim_start_matches([' ', '\t']);
                policy.field(&mut seen, line, key, value)
            }
            None => Err(format!("`{}` is not `key: value`", excerpt(content))),
        };
        if let Err(message) = outcome {
            policy.problems.push(PolicyProblem {
                line: Some(line),
                message,
            });
        }
    }
    let missing = |field: &str| PolicyProblem {
        line: None,
        message: format!("it has no `{field}` line"),
    };
    for (seen, field) in [
        (seen.version, "version"),
        (seen.mode, "mode"),
        (seen.max_age, "max_age"),
    ] {
        if !seen {
            policy.problems.push(missing(field));
        }
    }
    if policy.mx.is_empty() && matches!(policy.mode, Some(Mode::Enforce | Mode::Testing)) {
        policy.problems.push(missing("mx"));
    }
    policy
}

/// The fields a policy may give only once, as met so far.
#[derive(Default)]
struct Seen {
    version: bool,
    mode: bool,
    max_age: bool,
}

impl Policy {
    /// Takes one `key: value` line; `Err` is the problem with it.
    fn field(
        &mut self,
        seen: &mut Seen,
        line: usize,
        key: &str,
        value: &str,
    ) -> Result<(), String> {
        let twice = |key: &str| format!("`{key}` is given twice");
        match key {
            "version" => {
                if std::mem::replace(&mut seen.version, true) {
                    return Err(twice(key));
                }
                self.version = Some(value.to_string());
                if value != "STSv1" {
                    return Err(format!("the version is `{}`, not `STSv1`", excerpt(value)));
                }
            }
            "mode" => {
                if std::mem::replace(&mut seen.mode, true) {
                    return Err(twice(key));
                }
                self.mode = Some(match value {
                    "enforce" => Mode::Enforce,
                    "testing" => Mode::Testing,
                    "none" => Mode::None,
                    _ => {
                        return Err(format!(
                            "the mode `{}` is not enforce, testing or none",
                            excerpt(value)
                        ));
                    }
                });
            }
            "max_age" => {
                if std::mem::replace(&mut seen.max_age, true) {
                    return Err(twice(key));
                }
                let digits =
                    (1..=10).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_digit());
                match value.parse::<u64>() {
                    Ok(age) if digits => {
                        self.max_age = Some(age);
                        if age > MAX_AGE_LIMIT {
                            return Err(format!(
                                "max_age {age} is above the limit of {MAX_AGE_LIMIT} seconds"
                            ));
                        }
                    }
                    _ => {
                        return Err(format!(
                            "max_age `{}` is not a number of seconds",
                            excerpt(value)
                        ));
                    }
                }
            }
            "mx" => {
                if !is_mx_pattern(value) {
                    return Err(format!("`{}` is not a host name pattern", excerpt(value)));
                }
                self.mx.push(value.to_string());
            }
            _ => self.unknown.push((line, key.to_string())),
        }
        Ok(())
    }
}

/// A host name, optionally with a leading `*.` (RFC 8461 section 3.2, `sts-policy-mx-value`):
/// labels of letters, digits and hyphens, not starting or ending with a hyphen, at most 63
/// characters each; a trailing dot is tolerated.
pub fn is_mx_pattern(value: &str) -> bool {
    let name = value.strip_prefix("*.").unwrap_or(value);
    let name = name.strip_suffix('.').unwrap_or(name);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// Whether an MX host name matches a policy's `mx` pattern (RFC 8461 section 4.1): names
/// compared without case and without a trailing dot; a leading `*.` stands for exactly one
/// label (`*.example.com` matches `mx.example.com`, not `example.com` nor `a.b.example.com`).
pub fn mx_matches(pattern: &str, host: &str) -> bool {
    let pattern = normalise(pattern);
    let host = normalise(host);
    match pattern.strip_prefix("*.") {
        Some(parent) => host
            .split_once('.')
            .is_some_and(|(first, rest)| !first.is_empty() && rest == parent),
        None => host == pattern,
    }
}

fn normalise(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records() {
        let good = parse_record("v=STSv1; id=20160831085700Z;");
        assert!(good.is_valid(), "{good:?}");
        assert_eq!(good.id.as_deref(), Some("20160831085700Z"));
        let spaced = parse_record("v=STSv1 ;\tid=abc ; ext=val");
        assert!(spaced.is_valid(), "{spaced:?}");
        assert_eq!(spaced.extensions, vec![("ext".into(), "val".into())]);

        for (text, problem) in [
            ("v=STSv1;", "no `id`"),
            ("v=STSv1; id=", "not 1 to 32"),
            ("v=STSv1; id=2024-01-01", "not 1 to 32"),
            (
                "v=STSv1; id=abcdefghijklmnopqrstuvwxyz0123456",
                "not 1 to 32",
            ),
            ("v=STSv1; id=1; id=2", "twice"),
            ("v=STSv1; id=1;; x=y", "empty field"),
            ("v=STSv1; id", "no `=`"),
            ("v=STSv1; 9x=y; id=1", "not `name=value`"),
            ("v=STSv2; id=1", "does not begin"),
            ("", "does not begin"),
            // Found by the fuzz target `policy`: nothing may come before the version, as
            // `is_record` (which picks the records out of the TXT answer) says too.
            ("  v=STSv1; id=20", "does not begin"),
        ] {
            let record = parse_record(text);
            assert!(
                record.problems.iter().any(|p| p.contains(problem)),
                "{text:?}: {record:?}"
            );
        }
    }

    #[test]
    fn which_txt_records_count() {
        assert!(is_record("v=STSv1; id=1"));
        assert!(is_record("v=STSv1"));
        assert!(is_record("v=STSv1 ; id=1"));
        assert!(!is_record("v=STSv10; id=1"));
        assert!(!is_record("v=spf1 -all"));
        assert!(!is_record(" v=STSv1; id=1"));
    }

    #[test]
    fn a_good_policy_with_crlf_or_lf() {
        for text in [
            "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n",
            "version: STSv1\nmode: enforce\nmx: mail.example.com\nmx:*.example.net\nmax_age: 604800",
            "mode: enforce\nmax_age: 604800   \nversion: STSv1\nmx: mail.example.com\nmx: *.example.net\nfoo: bar\n",
        ] {
            let policy = parse_policy(text);
            assert!(policy.is_valid(), "{text:?}: {policy:?}");
            assert_eq!(policy.mode, Some(Mode::Enforce));
            assert_eq!(policy.max_age, Some(604_800));
            assert_eq!(policy.mx, ["mail.example.com", "*.example.net"]);
        }
        let with_unknown = parse_policy("version: STSv1\nmode: none\nmax_age: 0\nfoo: bar\n");
        assert!(with_unknown.is_valid(), "{with_unknown:?}");
        assert_eq!(with_unknown.unknown, [(4, "foo".to_string())]);
    }

    #[test]
    fn policy_problems_name_their_line() {
        let cases: &[(&str, Option<usize>, &str)] = &[
            (
                "version: STSv2\nmode: enforce\nmx: a.test\nmax_age: 1",
                Some(1),
                "not `STSv1`",
            ),
            (
                "version: STSv1\nmode: enforced\nmx: a.test\nmax_age: 1",
                Some(2),
                "enforce, testing or none",
            ),
            (
                "version: STSv1\nmode: enforce\nmx: a.test\nmax_age: 31557601",
                Some(4),
                "above the limit",
            ),
            (
                "version: STSv1\nmode: enforce\nmx: a.test\nmax_age: -1",
                Some(4),
                "not a number",
            ),
            (
                "version: STSv1\nmode: enforce\nmx: a.test\nmax_age: 99999999999",
                Some(4),
                "not a number",
            ),
            (
                "version: STSv1\nmode: enforce\nmx: a..test\nmax_age: 1",
                Some(3),
                "not a host name",
            ),
            ("version: STSv1\nmode: enforce\nmax_age: 1", None, "no `mx`"),
            (
                "mode: enforce\nmx: a.test\nmax_age: 1",
                None,
                "no `version`",
            ),
            ("version: STSv1\nmx: a.test\nmax_age: 1", None, "no `mode`"),
            (
                "version: STSv1\nmode: testing\nmx: a.test",
                None,
                "no `max_age`",
            ),
            (
                "version: STSv1\nmode: testing\nmode: enforce\nmx: a.test\nmax_age: 1",
                Some(3),
                "twice",
            ),
            (
                "<html>\n<body>hello</body>\n</html>",
                Some(1),
                "not `key: value`",
            ),
        ];
        for (text, line, message) in cases {
            let policy = parse_policy(text);
            assert!(
                policy
                    .problems
                    .iter()
                    .any(|p| p.line == *line && p.message.contains(message)),
                "{text:?}: {policy:?}"
            );
        }
    }

    #[test]
    fn odd_input_never_panics() {
        for text in [
            "",
            "\n\n\r\n",
            ":",
            "::::",
            "\r",
            "mx:",
            "é: ü\n\u{0}",
            "max_age: ٣",
        ] {
            let policy = parse_policy(text);
            assert!(!policy.is_valid(), "{text:?}");
            let _ = parse_record(text);
        }
    }

    /// Every sequence of up to four pieces from a set of awkward ones (separators, line ends,
    /// multi-byte characters, the grammar's own words): no panic, and whatever comes back is
    /// consistent (a valid policy has a mode; a valid record has an id).
    #[test]
    fn every_short_sequence_of_awkward_pieces() {
        const PIECES: [&str; 12] = [
            "v=STSv1",
            ";",
            "id=",
            "=",
            ":",
            "\r\n",
            "\n",
            "mode: enforce",
            "*.",
            "é",
            " ",
            "mx:",
        ];
        let mut seen = 0;
        for a in PIECES {
            for b in PIECES {
                for c in PIECES {
                    for d in PIECES {
                        let text = [a, b, c, d].concat();
                        let policy = parse_policy(&text);
                        assert!(!policy.is_valid() || policy.mode.is_some(), "{text:?}");
                        let record = parse_record(&text);
                        assert!(!record.is_valid() || record.id.is_some(), "{text:?}");
                        let _ = is_record(&text);
                        let _ = mx_matches(&text, a);
                        seen += 1;
                    }
                }
            }
        }
        assert_eq!(seen, PIECES.len().pow(4));
    }

    #[test]
    fn mx_patterns_match_one_label_for_the_wildcard() {
        assert!(mx_matches("mail.example.com", "mail.example.com"));
        assert!(mx_matches("Mail.Example.com.", "mail.EXAMPLE.com"));
        assert!(mx_matches("mail.example.com", "mail.example.com."));
        assert!(mx_matches("*.example.com", "mx1.example.com"));
        assert!(mx_matches("*.example.com", "MX1.example.COM."));
        assert!(!mx_matches("*.example.com", "example.com"));
        assert!(!mx_matches("*.example.com", "a.b.example.com"));
        assert!(!mx_matches("*.example.com", ".example.com"));
        assert!(!mx_matches("mail.example.com", "mail.example.net"));
        assert!(!mx_matches("example.com", "mail.example.com"));
        let policy = parse_policy("version: STSv1\nmode: enforce\nmx: *.example.com\nmax_age: 1");
        assert_eq!(policy.pattern_for("mx.example.com"), Some("*.example.com"));
        assert_eq!(policy.pattern_for("mx.example.org"), None);
    }

    #[test]
    fn long_lines_are_quoted_in_part() {
        let line = "é".repeat(5000);
        let policy = parse_policy(&line);
        let first = policy
            .problems
            .first()
            .map(|p| p.message.as_str())
            .unwrap_or("");
        assert!(first.chars().count() < 100, "{first}");
        assert!(first.contains("é..."), "{first}");
        assert_eq!(excerpt("short"), "short");
    }

    #[test]
    fn patterns() {
        assert!(is_mx_pattern("*.example.com"));
        assert!(is_mx_pattern("mx-1.example.com."));
        assert!(!is_mx_pattern("*"));
        assert!(!is_mx_pattern("*.*.example.com"));
        assert!(!is_mx_pattern("-mx.example.com"));
        assert!(!is_mx_pattern("mx example.com"));
        assert!(!is_mx_pattern(""));
    }
}
