//! What the user typed as TARGET, parsed: a host name or address, maybe a port, maybe a scheme.

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
}

impl Target {
    /// `host` or `ip`, as in the JSON's `target.kind`.
    pub fn kind(&self) -> &'static str {
        match self.host {
            Host::Name(_) => "host",
            Host::Ip(_) => "ip",
        }
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
    /// An e-mail address (not supported yet by this command).
    #[error("{0:?} looks like an e-mail address; give the mail server's host name instead")]
    Address(String),
}

/// Parses a target: `host`, `host:port`, `1.2.3.4`, `1.2.3.4:port`, `::1`, `[::1]:port`,
/// `smtp://host[:port]`, `smtps://host[:port]`.
pub fn parse(input: &str) -> Result<Target, TargetError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(TargetError::Empty);
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
    if rest.contains('@') {
        return Err(TargetError::Address(rest.to_string()));
    }
    let (host_text, port_text) = split_host_port(rest)?;
    let port = port_text.map(parse_port).transpose()?;
    let host = parse_host(host_text)?;
    Ok(Target {
        input: input.to_string(),
        host,
        port,
        scheme_security,
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
        assert!(matches!(parse("a@b.example"), Err(TargetError::Address(_))));
        let long = format!("{}.example", "a".repeat(64));
        assert!(matches!(parse(&long), Err(TargetError::Host(_))));
    }
}
