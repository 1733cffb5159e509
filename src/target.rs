//! What the user typed as TARGET, parsed: a host name or IP address, maybe a port, maybe a
//! scheme; an e-mail address, whose domain is then checked; or the user's settings as a URL or
//! DSN ([`dsn`]). International names are read by UTS 46 ([`idn`]): the host is kept in its
//! ASCII form, which DNS, SNI and the certificate check use. Whether a bare name is a mail
//! domain or a server is decided later, from DNS.

pub mod dsn;
pub mod idn;

use std::fmt;
use std::net::IpAddr;

use crate::model::{ConfigOrigin, Security, UserConfig};
use idn::{NameProblem, shorten};

/// The host part of a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A DNS name in ASCII form (A-labels), lower-cased, without a trailing dot.
    Name(String),
    /// An address literal.
    Ip(IpAddr),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Name(name) => f.write_str(name),
            Host::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

/// A parsed target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// As typed.
    pub input: String,
    /// Host name (ASCII form) or address.
    pub host: Host,
    /// The host name's Unicode form, when it differs from the ASCII form (`münchen.example`
    /// for `xn--mnchen-3ya.example`, either way it was typed).
    pub unicode: Option<String>,
    /// A port given in the target (`host:2525`, `smtp://host:2525`).
    pub port: Option<u16>,
    /// A security mode implied by the scheme (`smtps://` is implicit TLS).
    pub scheme_security: Option<Security>,
    /// The local part when the target is an e-mail address (`alice` of `alice@example.com`);
    /// `host` is then the address's domain.
    pub local_part: Option<String>,
    /// The user's settings, when the target is a URL or DSN with a user, parameters or a
    /// DSN-only scheme (or came from `--dsn-env`): that port in that mode is what the app
    /// uses.
    pub config: Option<UserConfig>,
}

impl Target {
    /// `host`, `ip` or `address`, as in the JSON's `target.kind` (a bare name may still turn
    /// out to be a `domain` once its MX records are known).
    pub fn kind(&self) -> &'static str {
        match (&self.host, &self.local_part) {
            (_, Some(_)) => "address",
            (Host::Name(_), None) => "host",
            (Host::Ip(_), None) => "ip",
        }
    }

    /// Whether the target is an e-mail address.
    pub fn is_address(&self) -> bool {
        self.local_part.is_some()
    }

    /// Whether the local part of an e-mail address has characters beyond ASCII
    /// (`müller@example.com`): mail to or from it needs SMTPUTF8 (RFC 6531). A non-ASCII
    /// domain does not, since it has an ASCII form.
    pub fn needs_smtputf8(&self) -> bool {
        self.local_part.as_deref().is_some_and(|l| !l.is_ascii())
    }

    /// Whether the target names one server: an IP address, or a name with a port or scheme.
    /// Such a target is never taken for a mail domain.
    pub fn names_a_server(&self) -> bool {
        !self.is_address()
            && (matches!(self.host, Host::Ip(_))
                || self.port.is_some()
                || self.scheme_security.is_some())
    }
}

/// Why a target could not be understood. What the user typed is quoted shortened (60
/// characters and `…`), never whole, and a DSN's user-information part never.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// Nothing was typed.
    #[error("the target is empty; give a host name or address, e.g. smtp.example.com")]
    Empty,
    /// A scheme that is neither an SMTP URL nor a DSN scheme this tool reads.
    #[error(
        "unsupported scheme {0:?}: use smtp:// (STARTTLS) or smtps:// (implicit TLS), or a DSN with smtp+tls://, smtp+ssl:// or submission://"
    )]
    Scheme(String),
    /// The port is not a number from 1 to 65535.
    #[error("invalid port {0:?}: a port is a number from 1 to 65535")]
    Port(String),
    /// The host is neither a valid name nor an address: unbalanced brackets, say.
    #[error("invalid host {0:?}: give a host name or address, e.g. smtp.example.com")]
    Host(String),
    /// A host name DNS cannot have, with the reason.
    #[error("invalid host name {name:?}: {reason}")]
    Name {
        /// The name as typed, shortened.
        name: String,
        /// Why (a label or the name too long, a character, IDNA).
        reason: String,
    },
    /// Digits and dots that are not an IPv4 address (`999.1.1.1`, `127.1`).
    #[error("{0:?} is not a valid IPv4 address: four numbers from 0 to 255, e.g. 192.0.2.1")]
    Ipv4(String),
    /// An e-mail address that cannot be used: a bad local part or domain, or with a port or
    /// scheme.
    #[error("invalid e-mail address {address:?}: {reason}")]
    Address {
        /// The address as typed, shortened.
        address: String,
        /// Why.
        reason: String,
    },
    /// A DSN that cannot be read; the reason names the part, never the user information.
    #[error("invalid DSN: {0}")]
    Dsn(String),
    /// A DSN typed as TARGET with a password in it.
    #[error(
        "the DSN in TARGET holds a password, which is refused: a password on the command line can be read by every user of this machine in the process list (ps) and stays in the shell's history; put the DSN in an environment variable and give --dsn-env VAR, or give the password with --password-env VAR"
    )]
    PasswordOnCommandLine,
    /// A DSN from an environment variable that cannot be read.
    #[error("environment variable {name}: {error}")]
    InVariable {
        /// The variable.
        name: String,
        /// What is wrong with its DSN.
        error: Box<TargetError>,
    },
}

/// What an e-mail address error says when there is nothing more precise.
const ADDRESS_FORM: &str =
    "give it as user@example.com (no port, no scheme, a domain name after the @)";

impl TargetError {
    /// The error for `text` that is not a usable host name.
    fn name(text: &str, problem: &NameProblem) -> TargetError {
        match problem {
            NameProblem::NotIpv4 => TargetError::Ipv4(shorten(text)),
            _ => TargetError::Name {
                name: shorten(text),
                reason: problem.to_string(),
            },
        }
    }

    /// The error for an e-mail address.
    fn address(text: &str, reason: &str) -> TargetError {
        TargetError::Address {
            address: shorten(text),
            reason: reason.to_string(),
        }
    }
}

/// Longest local part RFC 5321 section 4.5.3.1.1 allows (in octets, also for UTF-8 under
/// RFC 6531).
const MAX_LOCAL_PART: usize = 64;

/// Parses a target: `host`, `host:port`, `1.2.3.4`, `1.2.3.4:port`, `::1`, `[::1]:port`,
/// `smtp://host[:port]`, `smtps://host[:port]`, an e-mail address `user@example.com` (also
/// `<user@example.com>` and `mailto:user@example.com`), or the user's settings as a DSN
/// (`smtp://user@host:587?encryption=tls`, see [`dsn`]; a password in it is refused). Host
/// names may be international (`münchen.example`).
pub fn parse(input: &str) -> Result<Target, TargetError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(TargetError::Empty);
    }
    if let Some((scheme, rest)) = trimmed.split_once("://") {
        if !dsn::is_scheme(scheme) {
            return Err(TargetError::Scheme(shorten(scheme)));
        }
        if dsn::is_settings(scheme, rest) {
            let mut target = dsn::parse(trimmed, ConfigOrigin::Target)?.target;
            target.input = input.to_string();
            return Ok(target);
        }
        let security = match scheme.to_ascii_lowercase().as_str() {
            "smtps" => Security::ImplicitTls,
            _ => Security::Starttls,
        };
        return server(input, rest.trim_end_matches('/'), Some(security));
    }
    if trimmed.contains('@') {
        return parse_address(input, trimmed);
    }
    server(input, trimmed, None)
}

/// `host`, `host:port`, `[v6]:port`, with the mode a scheme gave.
fn server(
    input: &str,
    rest: &str,
    scheme_security: Option<Security>,
) -> Result<Target, TargetError> {
    if rest.is_empty() {
        return Err(TargetError::Empty);
    }
    let (host_text, port_text) = split_host_port(rest)?;
    let port = port_text.map(parse_port).transpose()?;
    let (host, unicode) = parse_host(host_text)?;
    Ok(Target {
        input: input.to_string(),
        host,
        unicode,
        port,
        scheme_security,
        local_part: None,
        config: None,
    })
}

/// `user@example.com`, `<user@example.com>`, `mailto:user@example.com`. The domain must be a
/// name (an address literal such as `user@[192.0.2.1]` has no MX to look up), international
/// or not; the local part is kept as typed (it is only shown, never sent; UTF-8 is allowed,
/// RFC 6531), split at the last `@` since a quoted local part may contain one.
fn parse_address(input: &str, trimmed: &str) -> Result<Target, TargetError> {
    let bad = || TargetError::address(trimmed, ADDRESS_FORM);
    let unwrapped = trimmed
        .strip_prefix('<')
        .and_then(|t| t.strip_suffix('>'))
        .unwrap_or(trimmed);
    let address = unwrapped
        .get(..7)
        .filter(|scheme| scheme.eq_ignore_ascii_case("mailto:"))
        .and_then(|_| unwrapped.get(7..))
        .unwrap_or(unwrapped);
    let (local, domain) = address.rsplit_once('@').ok_or_else(bad)?;
    let local_ok = !local.is_empty()
        && local.len() <= MAX_LOCAL_PART
        && !local.chars().any(|c| c.is_whitespace() || c.is_control());
    if !local_ok {
        return Err(bad());
    }
    if domain.parse::<IpAddr>().is_ok() || domain.starts_with('[') || domain.contains(':') {
        return Err(bad());
    }
    let name = idn::name(domain).map_err(|problem| match problem {
        NameProblem::Character(_) | NameProblem::Empty => bad(),
        _ => TargetError::address(trimmed, &format!("the domain: {problem}")),
    })?;
    Ok(Target {
        input: input.to_string(),
        host: Host::Name(name.ascii),
        unicode: name.unicode,
        port: None,
        scheme_security: None,
        local_part: Some(local.to_string()),
        config: None,
    })
}

fn split_host_port(text: &str) -> Result<(&str, Option<&str>), TargetError> {
    if let Some(inner) = text.strip_prefix('[') {
        let Some((host, after)) = inner.split_once(']') else {
            return Err(TargetError::Host(shorten(text)));
        };
        return match after {
            "" => Ok((host, None)),
            _ => match after.strip_prefix(':') {
                Some(port) => Ok((host, Some(port))),
                None => Err(TargetError::Host(shorten(text))),
            },
        };
    }
    // More than one colon and no brackets: a bare IPv6 literal.
    if text.matches(':').count() > 1 {
        return Ok((text, None));
    }
    match text.split_once(':') {
        Some((host, port)) => Ok((host, Some(port))),
        None => Ok((text, None)),
    }
}

fn parse_port(text: &str) -> Result<u16, TargetError> {
    match text.parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(TargetError::Port(shorten(text))),
    }
}

/// An address literal, or a host name in its ASCII form with its Unicode form when that
/// differs.
fn parse_host(text: &str) -> Result<(Host, Option<String>), TargetError> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok((Host::Ip(ip), None));
    }
    if text.contains(':') {
        return Err(TargetError::Host(shorten(text)));
    }
    let name = idn::name(text).map_err(|problem| TargetError::name(text, &problem))?;
    Ok((Host::Name(name.ascii), name.unicode))
}

/// A host name as the command line takes it elsewhere (`--servername`, `--resolve`): its
/// ASCII form, international names converted; `Err` with the reason when DNS cannot have it.
pub fn host_name(text: &str) -> Result<String, String> {
    idn::name(text)
        .map(|name| name.ascii)
        .map_err(|problem| problem.to_string())
}

/// A DNS name in ASCII form: letters, digits, '-' and '_' in labels of 1 to 63, at most 253
/// in all. Underscores are allowed since real mail hosts have them; an all-numeric name that
/// did not parse as an address is refused (it is a mistyped address).
pub fn is_host_name(name: &str) -> bool {
    idn::check(name).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn ok(input: &str) -> Target {
        parse(input).unwrap_or_else(|e| panic!("{input}: {e}"))
    }

    #[test]
    fn forms() {
        let t = ok("smtp.example.com");
        assert_eq!(t.host, Host::Name("smtp.example.com".into()));
        assert_eq!((t.port, t.scheme_security), (None, None));
        assert_eq!(t.kind(), "host");

        let t = ok("Smtp.Example.COM.:2525");
        assert_eq!(t.host, Host::Name("smtp.example.com".into()));
        assert_eq!(t.port, Some(2525));

        let t = ok("192.0.2.1:587");
        assert_eq!(t.host, Host::Ip(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))));
        assert_eq!(t.port, Some(587));
        assert_eq!(t.kind(), "ip");

        let t = ok("::1");
        assert_eq!(t.host, Host::Ip(IpAddr::V6(Ipv6Addr::LOCALHOST)));
        assert_eq!(t.port, None);

        let t = ok("[2001:db8::1]:465");
        assert_eq!(t.host, Host::Ip("2001:db8::1".parse().unwrap()));
        assert_eq!(t.port, Some(465));

        let t = ok("smtps://mail.example.net");
        assert_eq!(t.scheme_security, Some(Security::ImplicitTls));
        assert_eq!(t.port, None);

        let t = ok("smtp://mail.example.net:25/");
        assert_eq!(t.scheme_security, Some(Security::Starttls));
        assert_eq!(t.port, Some(25));
        assert!(t.names_a_server());
        assert!(!ok("mail.example.net").names_a_server());
        assert!(ok("192.0.2.1").names_a_server());
    }

    #[test]
    fn addresses() {
        let t = ok("Alice@Example.COM.");
        assert_eq!(t.host, Host::Name("example.com".into()));
        assert_eq!(t.local_part.as_deref(), Some("Alice"));
        assert_eq!(t.kind(), "address");
        assert!(t.is_address() && !t.names_a_server());
        assert_eq!((t.port, t.scheme_security), (None, None));

        assert_eq!(ok("<bob@example.org>").local_part.as_deref(), Some("bob"));
        assert_eq!(
            ok("mailto:carol@example.org").host,
            Host::Name("example.org".into())
        );
        // A quoted local part may hold an @; the domain is after the last one.
        let t = ok("\"a@b\"@example.net");
        assert_eq!(t.local_part.as_deref(), Some("\"a@b\""));
        assert_eq!(t.host, Host::Name("example.net".into()));
    }

    #[test]
    fn errors() {
        assert_eq!(parse(""), Err(TargetError::Empty));
        assert_eq!(parse("  "), Err(TargetError::Empty));
        assert_eq!(parse("smtp://"), Err(TargetError::Empty));
        assert!(matches!(
            parse("http://x.example"),
            Err(TargetError::Scheme(_))
        ));
        assert!(matches!(parse("host:0"), Err(TargetError::Port(_))));
        assert!(matches!(parse("host:70000"), Err(TargetError::Port(_))));
        assert!(matches!(parse("host:abc"), Err(TargetError::Port(_))));
        assert!(matches!(parse("bad host"), Err(TargetError::Name { .. })));
        assert!(matches!(
            parse("-bad.example"),
            Err(TargetError::Name { .. })
        ));
        assert!(matches!(parse("[::1"), Err(TargetError::Host(_))));
        assert!(matches!(parse("[::1]x"), Err(TargetError::Host(_))));
        for bad in [
            "@example.com",
            "alice@",
            "alice@[192.0.2.1]",
            "alice@example.com:587",
            "al ice@example.com",
            "alice@bad_host name",
            "alice@192.0.2.1",
        ] {
            assert!(
                matches!(parse(bad), Err(TargetError::Address { .. })),
                "{bad}: {:?}",
                parse(bad)
            );
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert!(matches!(
            parse(&long_local),
            Err(TargetError::Address { .. })
        ));
    }

    #[test]
    fn errors_give_the_real_reason() {
        for text in ["999.1.1.1", "127.1", "1.2.3.4.5", "smtp://999.1.1.1:587"] {
            let message = parse(text).unwrap_err().to_string();
            assert!(
                message.contains("is not a valid IPv4 address"),
                "{text}: {message}"
            );
            assert!(!message.contains("use letters"), "{text}: {message}");
        }
        let long_label = format!("{}.example", "a".repeat(64));
        let message = parse(&long_label).unwrap_err().to_string();
        assert!(message.contains("64 characters long"), "{message}");
        assert!(message.contains("at most 63"), "{message}");
        let long_name = vec!["abcdefghij"; 30].join(".");
        let message = parse(&long_name).unwrap_err().to_string();
        assert!(message.contains("at most 253"), "{message}");
        // An over-long input is quoted shortened, never whole.
        assert!(message.contains('…'), "{message}");
        assert!(!message.contains(&long_name), "{message}");
        let huge = format!("{}:99999", "h".repeat(5000));
        let message = parse(&huge).unwrap_err().to_string();
        assert!(message.len() < 300, "{message}");
        let message = parse(&format!("{}://x", "s".repeat(500)))
            .unwrap_err()
            .to_string();
        assert!(message.len() < 400, "{message}");
        let message = parse(&format!("{}@example.com", "a".repeat(500)))
            .unwrap_err()
            .to_string();
        assert!(message.len() < 300, "{message}");
        let message = parse("alice@\u{301}x.example").unwrap_err().to_string();
        assert!(message.contains("e-mail address"), "{message}");
    }

    #[test]
    fn international_names() {
        let t = ok("münchen.example");
        assert_eq!(t.host, Host::Name("xn--mnchen-3ya.example".into()));
        assert_eq!(t.unicode.as_deref(), Some("münchen.example"));
        assert_eq!(t.kind(), "host");
        let t = ok("MÜNCHEN.example:587");
        assert_eq!(t.host, Host::Name("xn--mnchen-3ya.example".into()));
        assert_eq!(t.port, Some(587));
        let t = ok("xn--mnchen-3ya.example");
        assert_eq!(t.unicode.as_deref(), Some("münchen.example"));
        assert_eq!(ok("smtp.example.com").unicode, None);
        let t = ok("smtps://münchen.example");
        assert_eq!(t.host, Host::Name("xn--mnchen-3ya.example".into()));
        assert_eq!(t.scheme_security, Some(Security::ImplicitTls));
        // An address at an international domain needs no SMTPUTF8; a non-ASCII local part does.
        let t = ok("alice@münchen.example");
        assert_eq!(t.host, Host::Name("xn--mnchen-3ya.example".into()));
        assert_eq!(t.unicode.as_deref(), Some("münchen.example"));
        assert!(t.is_address() && !t.needs_smtputf8());
        let t = ok("müller@example.com");
        assert_eq!(t.local_part.as_deref(), Some("müller"));
        assert!(t.needs_smtputf8());
        // A name UTS 46 rejects: a label beginning with a combining mark.
        let message = parse("\u{301}abc.example").unwrap_err().to_string();
        assert!(message.contains("international domain name"), "{message}");
    }

    #[test]
    fn urls_with_a_user_or_parameters_are_settings() {
        let t = ok("smtp://alice@example.com");
        let config = t.config.as_ref().expect("settings");
        assert_eq!(config.user.as_deref(), Some("alice"));
        assert_eq!(config.origin, ConfigOrigin::Target);
        assert_eq!(t.host, Host::Name("example.com".into()));
        assert_eq!(t.input, "smtp://alice@example.com");
        assert!(
            ok("smtps://host.example:2465?verify_peer=0")
                .config
                .is_some()
        );
        assert!(ok("submission://host.example").config.is_some());
        assert!(ok("smtp://host.example:587").config.is_none());
        assert_eq!(
            parse("smtp://alice:s3cret@example.com:587"),
            Err(TargetError::PasswordOnCommandLine)
        );
    }
}

/// The targets of a batch file: one per line; blank lines and `#` comments (whole lines, or
/// after a space) are skipped. Returns (line number, target).
pub fn batch_lines(text: &str) -> Vec<(usize, String)> {
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let line = match line.find(" #") {
                Some(at) => line.get(..at).unwrap_or(line),
                None => line,
            };
            let line = line.trim();
            (!line.is_empty() && !line.starts_with('#')).then(|| (i + 1, line.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod batch_tests {
    use super::*;

    #[test]
    fn lines_comments_and_blanks() {
        let text =
            "# customers\nmx.example.com\n\n  smtp.example.org:587  # relay\n#x\r\nexample.net\r\n";
        assert_eq!(
            batch_lines(text),
            vec![
                (2, "mx.example.com".to_string()),
                (4, "smtp.example.org:587".to_string()),
                (6, "example.net".to_string()),
            ]
        );
    }
}
