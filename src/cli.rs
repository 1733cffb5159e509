//! The command line: clap definitions (raw flags) and their validation into a [`CheckPlan`].
//! Running the plan is [`crate::check`]'s; printing is `main`'s.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::check::CheckPlan;
use crate::dns::Family;
use crate::model::Security;
use crate::probe::ProbeOptions;
use crate::target::{self, Host, Target};

/// Default ports: server-to-server (25), submission with STARTTLS (587), implicit TLS (465).
pub const DEFAULT_PORTS: [u16; 3] = [25, 587, 465];

/// Tells why sending mail works or fails, and what to change.
#[derive(Debug, Parser)]
#[command(name = "smtp-doctor", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Probe a mail server on ports 25, 587 and 465 at once and say what is wrong.
    Check(CheckArgs),
}

/// How the security of each port is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SecurityChoice {
    /// Implicit TLS on 465 and 2465, STARTTLS elsewhere.
    Auto,
    /// STARTTLS on every port, sent even when not advertised.
    Starttls,
    /// Implicit TLS on every port.
    Tls,
    /// Plain SMTP, never TLS.
    Plain,
}

/// When to colour the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// `smtp-doctor check` flags, as typed.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Host name or address, with an optional port: smtp.example.com, 192.0.2.1,
    /// [2001:db8::1]:587, smtp.example.com:2525, smtp://host, smtps://host
    pub target: String,

    /// Ports to probe, comma-separated (ignored when TARGET has a port)
    #[arg(long, short = 'p', value_name = "PORTS", value_delimiter = ',', value_parser = parse_port)]
    pub port: Vec<u16>,

    /// How each port is secured
    #[arg(long, value_enum, default_value_t = SecurityChoice::Auto)]
    pub security: SecurityChoice,

    /// Name to send in EHLO [default: this machine's FQDN, else its address literal]
    #[arg(long, value_name = "NAME")]
    pub ehlo: Option<String>,

    /// Deadline for each TCP connect
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub connect_timeout: Duration,

    /// Deadline for each later step (a reply, a handshake)
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,

    /// Deadline for the whole run
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub max_time: Duration,

    /// IPv4 only
    #[arg(short = '4', conflicts_with = "ipv6")]
    pub ipv4: bool,

    /// IPv6 only
    #[arg(short = '6')]
    pub ipv6: bool,

    /// Extra trusted CA certificates (PEM), added to the system store
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,

    /// Name for SNI and the certificate check [default: the target's host name]
    #[arg(long, value_name = "NAME")]
    pub servername: Option<String>,

    /// DNS server to ask instead of the system's, IP[:PORT]; repeatable
    #[arg(long, value_name = "IP[:PORT]", value_parser = parse_resolver)]
    pub resolver: Vec<SocketAddr>,

    /// Use this address for NAME instead of asking DNS (like curl --resolve); repeatable, e.g.
    /// --resolve smtp.example.com:192.0.2.10 to test a new server before DNS points at it
    #[arg(long, value_name = "NAME:ADDR", value_parser = parse_pin)]
    pub resolve: Vec<(String, IpAddr)>,

    /// Print one JSON document (schema in README) instead of the table
    #[arg(long)]
    pub json: bool,

    /// Show the SMTP dialogue (in JSON: include it)
    #[arg(long)]
    pub transcript: bool,

    /// When to use colours
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

/// A "could not run" error: bad arguments or unusable input. Exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    /// The target could not be parsed.
    #[error(transparent)]
    Target(#[from] target::TargetError),
    /// Anything else, in words.
    #[error("{0}")]
    Other(String),
}

impl CheckArgs {
    /// Validates the flags into a plan.
    pub fn plan(&self) -> Result<CheckPlan, UsageError> {
        let target = target::parse(&self.target)?;
        let family = match (self.ipv4, self.ipv6) {
            (true, _) => Family::V4,
            (_, true) => Family::V6,
            _ => Family::Any,
        };
        if let Host::Ip(ip) = target.host
            && !family.admits(ip)
        {
            return Err(UsageError::Other(format!(
                "{ip} is not an {} address; drop -{}",
                if self.ipv4 { "IPv4" } else { "IPv6" },
                if self.ipv4 { "4" } else { "6" },
            )));
        }
        if let Some(name) = &self.ehlo
            && (name.is_empty() || name.chars().any(|c| c.is_whitespace() || c.is_control()))
        {
            return Err(UsageError::Other(format!(
                "invalid --ehlo {name:?}: give a host name such as client.example.com"
            )));
        }
        if let Some(name) = &self.servername
            && name.parse::<IpAddr>().is_err()
            && !target::is_host_name(name.trim_end_matches('.'))
        {
            return Err(UsageError::Other(format!(
                "invalid --servername {name:?}: give a host name such as smtp.example.com"
            )));
        }
        if let Some(path) = &self.ca_file
            && let Err(e) = std::fs::metadata(path)
        {
            return Err(UsageError::Other(format!(
                "cannot read --ca-file {}: {e}",
                path.display()
            )));
        }
        let ports: Vec<u16> = match target.port {
            Some(port) => vec![port],
            None if self.port.is_empty() => DEFAULT_PORTS.to_vec(),
            None => dedup(&self.port),
        };
        let ports = ports
            .into_iter()
            .map(|port| (port, self.security_for(port, &target)))
            .collect();
        let options = ProbeOptions {
            ehlo_name: self.ehlo.clone().or_else(local_fqdn),
            connect_timeout: self.connect_timeout,
            step_timeout: self.timeout,
            max_time: self.max_time,
            servername: self
                .servername
                .as_ref()
                .map(|s| s.trim_end_matches('.').to_ascii_lowercase()),
            force_starttls: self.security == SecurityChoice::Starttls,
            ..ProbeOptions::default()
        };
        Ok(CheckPlan {
            target,
            ports,
            family,
            resolvers: self.resolver.clone(),
            pins: self.resolve.clone(),
            ca_file: self.ca_file.clone(),
            options,
        })
    }

    fn security_for(&self, port: u16, target: &Target) -> Security {
        match self.security {
            SecurityChoice::Starttls => Security::Starttls,
            SecurityChoice::Tls => Security::ImplicitTls,
            SecurityChoice::Plain => Security::Plain,
            SecurityChoice::Auto => target
                .scheme_security
                .unwrap_or_else(|| Security::default_for_port(port)),
        }
    }

    /// Whether the table should be coloured, given whether stdout is a terminal.
    pub fn use_color(&self, stdout_is_terminal: bool) -> bool {
        match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                stdout_is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
}

/// This machine's name when it is a usable FQDN (has a dot, is not localhost).
fn local_fqdn() -> Option<String> {
    let name = gethostname::gethostname().into_string().ok()?;
    let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
    let usable = name.contains('.')
        && !name.starts_with("localhost")
        && !name.ends_with(".localdomain")
        && !name.ends_with(".local")
        && target::is_host_name(&name);
    usable.then_some(name)
}

fn dedup(ports: &[u16]) -> Vec<u16> {
    let mut seen = Vec::new();
    for &p in ports {
        if !seen.contains(&p) {
            seen.push(p);
        }
    }
    seen
}

/// `25`, a port from 1 to 65535.
pub fn parse_port(text: &str) -> Result<u16, String> {
    match text.trim().parse::<u16>() {
        Ok(p) if p > 0 => Ok(p),
        _ => Err(format!("{text:?} is not a port (1-65535)")),
    }
}

/// `500ms`, `2s`, `1.5s`, `1m`, or a number of seconds; more than 0 and at most an hour.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (number, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else {
        (t, 1.0)
    };
    let bad = || format!("{text:?} is not a duration; use e.g. 500ms, 5s or 1m");
    let value: f64 = number.trim().parse().map_err(|_| bad())?;
    if !value.is_finite() || value <= 0.0 {
        return Err(bad());
    }
    let secs = value * scale;
    if secs > 3600.0 {
        return Err(format!("{text:?} is too long; at most 1 hour"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// `NAME:ADDR` for `--resolve`; ADDR may be IPv6 (`mail.test:::1`) or bracketed.
pub fn parse_pin(text: &str) -> Result<(String, IpAddr), String> {
    let bad = || format!("{text:?} is not NAME:ADDR, e.g. smtp.example.com:192.0.2.10");
    let (name, addr) = text.split_once(':').ok_or_else(bad)?;
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if !target::is_host_name(&name) {
        return Err(bad());
    }
    let addr = addr.trim_start_matches('[').trim_end_matches(']');
    let ip = addr.parse::<IpAddr>().map_err(|_| bad())?;
    Ok((name, ip))
}

/// `IP` or `IP:PORT` or `[IPv6]:PORT`; port 53 by default.
pub fn parse_resolver(text: &str) -> Result<SocketAddr, String> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, 53));
    }
    text.parse::<SocketAddr>()
        .map_err(|_| format!("{text:?} is not a DNS server address; use IP or IP:PORT"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        for bad in ["", "0", "-1s", "abc", "1h", "NaNs", "inf", "7200"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ports_and_resolvers() {
        assert_eq!(parse_port("587"), Ok(587));
        assert!(parse_port("0").is_err());
        assert!(parse_port("65536").is_err());
        assert_eq!(
            parse_resolver("127.0.0.1"),
            Ok("127.0.0.1:53".parse().unwrap())
        );
        assert_eq!(
            parse_resolver("127.0.0.1:5353"),
            Ok("127.0.0.1:5353".parse().unwrap())
        );
        assert_eq!(
            parse_resolver("[::1]:5353"),
            Ok("[::1]:5353".parse().unwrap())
        );
        assert!(parse_resolver("dns.example").is_err());
        assert_eq!(
            parse_pin("Mail.Test.:127.0.0.1"),
            Ok(("mail.test".to_string(), "127.0.0.1".parse().unwrap()))
        );
        assert_eq!(
            parse_pin("mail.test:::1"),
            Ok(("mail.test".to_string(), "::1".parse().unwrap()))
        );
        assert_eq!(
            parse_pin("mail.test:[::1]"),
            Ok(("mail.test".to_string(), "::1".parse().unwrap()))
        );
        assert!(parse_pin("mail.test").is_err());
        assert!(parse_pin("mail.test:nope").is_err());
        assert!(parse_pin("bad name:127.0.0.1").is_err());
    }

    fn plan(args: &[&str]) -> Result<CheckPlan, UsageError> {
        let mut argv = vec!["smtp-doctor", "check"];
        argv.extend_from_slice(args);
        let cli = Cli::try_parse_from(argv).expect("parses");
        let Command::Check(check) = cli.command;
        check.plan()
    }

    #[test]
    fn security_per_port() {
        let p = plan(&["mail.example.com"]).unwrap();
        assert_eq!(
            p.ports,
            vec![
                (25, Security::Starttls),
                (587, Security::Starttls),
                (465, Security::ImplicitTls)
            ]
        );
        let p = plan(&["mail.example.com", "--port", "2465,587,587"]).unwrap();
        assert_eq!(
            p.ports,
            vec![(2465, Security::ImplicitTls), (587, Security::Starttls)]
        );
        let p = plan(&["smtps://mail.example.com:2525"]).unwrap();
        assert_eq!(p.ports, vec![(2525, Security::ImplicitTls)]);
        let p = plan(&["mail.example.com:465", "--security", "starttls"]).unwrap();
        assert_eq!(p.ports, vec![(465, Security::Starttls)]);
        assert!(p.options.force_starttls);
        let p = plan(&["192.0.2.1", "--security", "plain", "-p", "25"]).unwrap();
        assert_eq!(p.ports, vec![(25, Security::Plain)]);
    }

    #[test]
    fn usage_errors() {
        assert!(plan(&["192.0.2.1", "-6"]).is_err());
        assert!(plan(&["::1", "-4"]).is_err());
        assert!(plan(&["mail.example.com", "--ehlo", "a b"]).is_err());
        assert!(plan(&["mail.example.com", "--servername", "bad name"]).is_err());
        assert!(plan(&["mail.example.com", "--ca-file", "/nonexistent/ca.pem"]).is_err());
        assert!(plan(&["a@b.example"]).is_err());
    }
}
