//! What the user typed as TARGET, parsed: a host name or IP address, maybe a port, maybe a
//! scheme; or an e-mail address, whose domain is then checked. Whether a bare name is a mail
//! domain or a server is decided later, from DNS ([`crate::discover`]).

use std::fmt;
use std::net::IpAddr;

use crate::model::Security;

/// The host part of a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A DNS name, lower-cased, without a trailing dot.
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
    /// Host name or address.
    pub host: Host,
    /// A port given in the target (`host:2525`, `smtp://host:2525`).
    pub port: Option<u16>,
    /// A security mode implied by the scheme (`smtps://` is implicit TLS).
    pub scheme_security: Option<Security>,
    /// The local part when the target is an e-mail address (`alice` of `alice@example.com`);
    /// `host` is then the address's domain.
    pub local_part: Option<String>,
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

    /// Whether the target names one server: an IP address, or a name with a port or scheme.
    /// Such a target is never taken for a mail domain.
    pub fn names_a_server(&self) -> bool {
        !self.is_address()
            && (matches!(self.host, Host::Ip(_))
                || self.port.is_some()
                || self.scheme_security.is_some())
    }
}

/// Why a target could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// Nothing was typed.
    #[error("the target is empty; give a host name or address, e.g. smtp.example.com")]
    Empty,
    /// A scheme other than smtp:// and smtps://.
    #[error("unsupported scheme {0:?}: use smtp:// (STARTTLS) or smtps:// (implicit TLS)")]
    Scheme(String),
    /// The port is not a number from 1 to 65535.
    #[error("invalid port {0:?}: a port is a number from 1 to 65535")]
    Port(String),
    /// The host is neither a valid name nor an address.
    #[error("invalid host name {0:?}: use letters, digits, '-' and dots, e.g. smtp.example.com")]
    Host(String),
    /// An e-mail address that cannot be used: a bad local part or domain, or with a port or
    /// scheme.
    #[error(
        "invalid e-mail address {0:?}: give it as user@example.com (no port, no scheme, a domain name after the @)"
    )]
    Address(String),
}

/// Longest local part RFC 5321 section 4.5.3.1.1 allows.
const MAX_LOCAL_PART: usize = 64;

/// Parses a target: `host`, `host:port`, `1.2.3.4`, `1.2.3.4:port`, `::1`, `[::1]:port`,
/// `smtp://host[:port]`, `smtps://host[:port]`, or an e-mail address `user@example.com`
/// (also `<user@example.com>` and `mailto:user@example.com`).
pub fn parse(input: &str) -> Result<Target, TargetError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(TargetError::Empty);
    }
    if trimmed.contains('@') {
        return parse_address(input, trimmed);
    }
    let (scheme_security, rest) = match trimmed.split_once("://") {
        Some((scheme, rest)) => {
            let security = match scheme.to_ascii_lowercase().as_str() {
                "smtp" => Security::Starttls,
                "smtps" => Security::ImplicitTls,
                _ => return Err(TargetError::Scheme(scheme.to_string())),
            };
            (Some(security), rest.trim_end_matches('/'))
        }
        None => (None, trimmed),
    };
    if rest.is_empty() {
        return Err(TargetError::Empty);
    }
    let (host_text, port_text) = split_host_port(rest)?;
    let port = port_text.map(parse_port).transpose()?;
    let host = parse_host(host_text)?;
    Ok(Target {
        input: input.to_string(),
        host,
        port,
        scheme_security,
        local_part: None,
    })
}

/// `user@example.com`, `<user@example.com>`, `mailto:user@example.com`. The domain must be a
/// name (an address literal such as `user@[192.0.2.1]` has no MX to look up); the local part is
/// kept as typed (it is only shown, never sent), split at the last `@` since a quoted local
/// part may contain one.
fn parse_address(input: &str, trimmed: &str) -> Result<Target, TargetError> {
    let bad = || TargetError::Address(trimmed.to_string());
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
        && !local.chars().any(|c| c.is_whitespace() || c.is_control())
        && !local.contains("://");
    if !local_ok {
        return Err(bad());
    }
    let name = domain
        .strip_suffix('.')
        .unwrap_or(domain)
        .to_ascii_lowercase();
    if !is_host_name(&name) {
        return Err(bad());
    }
    Ok(Target {
        input: input.to_string(),
        host: Host::Name(name),
        port: None,
        scheme_security: None,
        local_part: Some(local.to_string()),
    })
}

fn split_host_port(text: &str) -> Result<(&str, Option<&str>), TargetError> {
    if let Some(inner) = text.strip_prefix('[') {
        let Some((host, after)) = inner.split_once(']') else {
            return Err(TargetError::Host(text.to_string()));
        };
        return match after {
            "" => Ok((host, None)),
            _ => match after.strip_prefix(':') {
                Some(port) => Ok((host, Some(port))),
                None => Err(TargetError::Host(text.to_string())),
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
        _ => Err(TargetError::Port(text.to_string())),
    }
}

fn parse_host(text: &str) -> Result<Host, TargetError> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(Host::Ip(ip));
    }
    let name = text.strip_suffix('.').unwrap_or(text).to_ascii_lowercase();
    if is_host_name(&name) {
        Ok(Host::Name(name))
    } else {
        Err(TargetError::Host(text.to_string()))
    }
}

/// A DNS name of letters, digits, '-' and '_' in labels of 1 to 63, at most 253 in all.
/// Underscores are allowed since real mail hosts have them; an all-numeric name that did not
/// parse as an address is refused (it is a mistyped address).
pub fn is_host_name(name: &str) -> bool {
    if name.is_empty() || name.len() > 253 {
        return false;
    }
    let labels_ok = name.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    let all_numeric = name.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    labels_ok && !all_numeric
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
        assert!(matches!(parse("bad host"), Err(TargetError::Host(_))));
        assert!(matches!(parse("-bad.example"), Err(TargetError::Host(_))));
        assert!(matches!(parse("999.1.1.1"), Err(TargetError::Host(_))));
        assert!(matches!(parse("[::1"), Err(TargetError::Host(_))));
        assert!(matches!(parse("[::1]x"), Err(TargetError::Host(_))));
        for bad in [
            "@example.com",
            "alice@",
            "alice@[192.0.2.1]",
            "alice@example.com:587",
            "smtp://alice@example.com",
            "al ice@example.com",
            "alice@bad_host name",
        ] {
            assert!(
                matches!(parse(bad), Err(TargetError::Address(_))),
                "{bad}: {:?}",
                parse(bad)
            );
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert!(matches!(parse(&long_local), Err(TargetError::Address(_))));
        let long = format!("{}.example", "a".repeat(64));
        assert!(matches!(parse(&long), Err(TargetError::Host(_))));
    }
}
