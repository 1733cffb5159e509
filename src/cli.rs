//! The command line: clap definitions (raw flags) and their validation into a [`CheckPlan`].
//! Running the plan is [`crate::check`]'s; printing is `main`'s.

use std::io::Read as _;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::dns::Family;
use crate::model::Security;
use crate::model::{ConfigOrigin, UserConfig};
use crate::model::{DiscoveryOptions, Mode};
use crate::probe::ProbeOptions;
use crate::probe::auth::{AuthRequest, SendRequest};
use crate::providers::{self, Catalog, Match, Preset};
use crate::run::plan::{self, BatchItem, BatchPlan, CheckPlan, Control, PortsPlan};
use crate::secret::{Secret, Source};
use crate::smtp::message::check_address;
use crate::smtp::sasl::{CredentialKind, Mechanism};
use crate::target::{self, Host, Target};

mod explain;
mod output;
mod serve;

pub use explain::ExplainArgs;
pub use output::{Format, Output, nagios_requested};
pub use serve::{DEFAULT_MODULE, Module, Modules, ServeArgs};

/// Exit codes, shown under every `--help`.
const EXIT_CODES: &str = "Exit codes: 0 healthy (a secure, working way exists and what you named is healthy), \
1 a problem found (an error finding), 2 could not run (bad arguments, unreadable input).";

/// What `check --help` adds below the options.
const CHECK_HELP: &str =
    "Ports: 25, 587 and 465 at once (465 implicit TLS, the others STARTTLS), unless TARGET \
names a port or --port is given; a known provider's host adds its documented ports.
Durations: 500ms, 5s, 1.5s, 1m, or a number of seconds; more than 0 and at most 1 hour.
Exit codes: 0 healthy (a secure, working way exists and what you named is healthy), \
1 a problem found (an error finding), 2 could not run (bad arguments, unreadable input); with \
--format nagios: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (could not run).";

/// What `ports --help` adds below the options.
const PORTS_HELP: &str = "Ports: 25, 587 and 465 unless --port is given.
Durations: 500ms, 5s, 1.5s, 1m, or a number of seconds; more than 0 and at most 1 hour.
Exit codes: 0 SMTP gets out on every port tested, 1 a port is blocked, intercepted or \
stripped, or nothing could be reached, 2 could not run.";

/// What `serve --help` adds below the options.
const SERVE_HELP: &str =
    "Endpoints: /probe?target=HOST&module=NAME (one check's metrics; debug=true \
answers the table instead), /metrics (the exporter's own), /-/healthy.
Each check ends by Prometheus' scrape timeout less --timeout-offset, or the module's --max-time.
Stops on SIGINT or SIGTERM, after the checks under way.";

/// Tells why sending mail works or fails, and what to change.
#[derive(Debug, Parser)]
#[command(name = "smtp-doctor", version, about, long_about = None, after_help = EXIT_CODES)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
#[expect(
    clippy::large_enum_variant,
    reason = "parsed once per run; boxing would only complicate the clap derive"
)]
pub enum Command {
    /// Probe a mail server on ports 25, 587 and 465 at once and say what is wrong.
    #[command(after_help = CHECK_HELP)]
    Check(CheckArgs),
    /// List the provider presets (Gmail, Office 365, ...), or show one in full.
    Providers(ProvidersArgs),
    /// Is this network blocking or intercepting outbound SMTP? Probe well-known servers on
    /// ports 25, 587 and 465 at once and compare.
    #[command(after_help = PORTS_HELP)]
    Ports(PortsArgs),
    /// Explain an error message your app logged: what it means and what to change.
    #[command(after_help = explain::EXPLAIN_HELP)]
    Explain(ExplainArgs),
    /// Run as a Prometheus exporter: GET /probe?target=HOST&module=NAME runs one check and
    /// answers its metrics; /metrics has the exporter's own.
    #[command(after_help = SERVE_HELP)]
    Serve(ServeArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) to stdout.
    Completions(CompletionsArgs),
    /// Print the manual page (roff) to stdout.
    Man,
}

/// `smtp-doctor completions` flags.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `smtp-doctor providers` flags.
#[derive(Debug, Args)]
pub struct ProvidersArgs {
    /// Show this preset in full
    pub id: Option<String>,

    /// Extra preset file (providers.toml format); repeatable
    #[arg(long, value_name = "FILE")]
    pub providers: Vec<PathBuf>,

    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,

    /// When to use colours
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

impl ProvidersArgs {
    /// The catalogue: built in, the user's file, `--providers` files.
    pub fn catalog(&self) -> Result<Catalog, UsageError> {
        load_catalog(&self.providers)
    }
}

impl ColorChoice {
    /// Whether to colour, given whether stdout is a terminal: `auto` colours only a terminal
    /// and never when NO_COLOR is set.
    pub fn enabled(self, stdout_is_terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                stdout_is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
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
    /// Server name or address, with an optional port: smtp.example.com, 192.0.2.1,
    /// [2001:db8::1]:587, smtp.example.com:2525, smtp://host, smtps://host; or a mail domain
    /// (example.com) or e-mail address (alice@example.com): submission and MX hosts; or your
    /// settings as a URL or DSN without the password (smtp://user@host:587?encryption=tls)
    #[arg(required_unless_present_any = ["dsn_env", "file"])]
    pub target: Option<String>,

    /// Check every target in FILE (`-`: standard input): one per line, `#` comments and blank
    /// lines skipped; a summary table, or with --json one JSON document per line (NDJSON)
    #[arg(
        short = 'f',
        long = "file",
        value_name = "FILE",
        conflicts_with_all = ["target", "dsn_env", "user", "send_to", "transcript"]
    )]
    pub file: Option<PathBuf>,

    /// With --file: how many targets are checked at once [default: 16]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: Option<u16>,

    /// With --file: at most this many connections to one IP address at once [default: 2]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=16))]
    pub per_address: Option<u16>,

    /// Check your settings as the app holds them: the DSN (smtp://user:pass@host:587) in this
    /// environment variable, e.g. MAILER_DSN; its password is used for the login check
    #[arg(long, value_name = "VAR", conflicts_with = "target")]
    pub dsn_env: Option<String>,

    /// Check TARGET as a mail server, even when it has MX records
    #[arg(long, conflicts_with = "inbound")]
    pub host: bool,

    /// Check only the receiving side of a domain: its MX hosts on port 25
    #[arg(long)]
    pub inbound: bool,

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
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration, allow_hyphen_values = true)]
    pub connect_timeout: Duration,

    /// Deadline for each later step (a reply, a handshake)
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration, allow_hyphen_values = true)]
    pub timeout: Duration,

    /// Deadline for the whole run
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration, allow_hyphen_values = true)]
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

    /// DNSSEC trust anchor for the DANE check: DNSKEY records in zone-file form (like unbound's
    /// trust-anchor-file) [default: the root's keys, built in]
    #[arg(long, value_name = "FILE")]
    pub trust_anchor: Option<PathBuf>,

    /// Use this address for NAME instead of asking DNS (like curl --resolve); repeatable, e.g.
    /// --resolve smtp.example.com:192.0.2.10 to test a new server before DNS points at it
    #[arg(long, value_name = "NAME:ADDR", value_parser = parse_pin)]
    pub resolve: Vec<(String, IpAddr)>,

    /// Connect to port TO wherever port FROM is probed (an SSH tunnel, a NAT forward), e.g.
    /// --port-map 25=2525; repeatable
    #[arg(long, value_name = "FROM=TO", value_parser = parse_port_map)]
    pub port_map: Vec<(u16, u16)>,

    /// Judge against this provider preset (see `smtp-doctor providers`) instead of recognising
    /// it from the host name, banner or certificate
    #[arg(long, value_name = "ID")]
    pub provider: Option<String>,

    /// Extra preset file (providers.toml format); repeatable; later files override earlier
    /// ones by id [the user file ~/.config/smtp-doctor/providers.toml is always read first]
    #[arg(long, value_name = "FILE")]
    pub providers: Vec<PathBuf>,

    /// Check these credentials after the probes: one AUTH on the best endpoint (the password
    /// is asked for without echo unless given by one of the flags below)
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,

    /// Read the password from this environment variable
    #[arg(long, value_name = "VAR", group = "secret")]
    pub password_env: Option<String>,

    /// Read the password from the first line of this file
    #[arg(long, value_name = "PATH", group = "secret")]
    pub password_file: Option<PathBuf>,

    /// Read the password from the first line of standard input
    #[arg(long, group = "secret")]
    pub password_stdin: bool,

    /// Read an OAuth 2 access token (for XOAUTH2, OAUTHBEARER) from this environment variable
    #[arg(long, value_name = "VAR", group = "secret")]
    pub oauth_token_env: Option<String>,

    /// Read an OAuth 2 access token from the first line of this file
    #[arg(long, value_name = "PATH", group = "secret")]
    pub oauth_token_file: Option<PathBuf>,

    /// Read an OAuth 2 access token from the first line of standard input
    #[arg(long, group = "secret")]
    pub oauth_token_stdin: bool,

    /// AUTH mechanism: PLAIN, LOGIN, CRAM-MD5, XOAUTH2 or OAUTHBEARER [default: the best both
    /// sides support]
    #[arg(long, value_name = "MECH", value_parser = parse_mechanism)]
    pub auth_mech: Option<Mechanism>,

    /// Try AUTH on every usable endpoint, one at a time, not only the best one (each failure
    /// counts against the account's lockout limit)
    #[arg(long)]
    pub auth_all: bool,

    /// Also send AUTH where others could read it: without TLS, or over TLS whose certificate
    /// failed verification
    #[arg(long)]
    pub allow_plaintext_auth: bool,

    /// After a successful AUTH, send a small test message to this address
    #[arg(long, value_name = "ADDR")]
    pub send_to: Option<String>,

    /// Sender of the test message [default: the user name, when it is an address]
    #[arg(long, value_name = "ADDR", requires = "send_to")]
    pub from: Option<String>,

    /// Print one JSON document (schema in README) instead of the table; the same as --format
    /// json
    #[arg(long)]
    pub json: bool,

    /// Output format: the table, one JSON document, the Prometheus text exposition (for
    /// node_exporter's textfile collector) or a Nagios plugin status line (exit codes 0 OK,
    /// 1 WARNING, 2 CRITICAL, 3 UNKNOWN) [default: table]
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,

    /// With --format nagios: WARNING when a certificate has at most N days left [default: 30]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=36_500))]
    pub warn_days: Option<u32>,

    /// With --format nagios: CRITICAL when a certificate has at most N days left (less than
    /// --warn-days) [default: 14]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=36_500))]
    pub crit_days: Option<u32>,

    /// Show the SMTP dialogue (in JSON: include it)
    #[arg(long)]
    pub transcript: bool,

    /// When to use colours
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// No live view of the probes on stderr (shown only when stderr is a terminal)
    #[arg(long, short = 'q')]
    pub quiet: bool,
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
    /// The arguments are fine, but what they name cannot be used (an unreadable CA file): no
    /// usage hint.
    #[error("{0}")]
    Setup(String),
}

impl CheckArgs {
    /// Validates the flags into a plan.
    pub fn plan(&self) -> Result<CheckPlan, UsageError> {
        if self.concurrency.is_some() || self.per_address.is_some() {
            return Err(UsageError::Other(
                "--concurrency and --per-address go with --file (a batch of targets)".to_string(),
            ));
        }
        let (target, dsn_password) = self.target()?;
        self.plan_for(
            target,
            dsn_password,
            Arc::new(load_catalog(&self.providers)?),
        )
    }

    /// `--file`: one plan per target of the file (or why the line is no usable target), all
    /// with these flags. `Err` when the file cannot be read or the flags cannot work.
    pub fn batch_plan(&self) -> Result<BatchPlan, UsageError> {
        let Some(path) = &self.file else {
            return Err(UsageError::Other("no --file given".to_string()));
        };
        let text = read_batch_file(path)?;
        let catalog = Arc::new(load_catalog(&self.providers)?);
        let items = target::batch_lines(&text)
            .into_iter()
            .map(|(line, input)| {
                let plan = target::parse(&input)
                    .map_err(UsageError::from)
                    .and_then(|target| self.plan_for(target, None, catalog.clone()))
                    .map_err(|e| e.to_string());
                BatchItem { line, input, plan }
            })
            .collect();
        Ok(BatchPlan {
            items,
            concurrency: usize::from(self.concurrency.unwrap_or(16)),
            per_address: usize::from(self.per_address.unwrap_or(2)),
            ca_file: self.ca_file.clone(),
        })
    }

    fn plan_for(
        &self,
        mut target: Target,
        dsn_password: Option<Secret>,
        catalog: Arc<Catalog>,
    ) -> Result<CheckPlan, UsageError> {
        let family = family(self.ipv4, self.ipv6);
        self.validate(&target, family)?;
        self.validate_settings(&target)?;
        if let Some(id) = &self.provider
            && catalog.get(id).is_none()
        {
            return Err(UsageError::Other(format!(
                "unknown provider {id:?}; `smtp-doctor providers` lists the known ones"
            )));
        }
        // The run's provider decision for a server: a typed host of a known provider gets its
        // documented ports and modes, unless the user named ports or a mode.
        let host_name = match &target.host {
            Host::Name(name) => Some(name.as_str()),
            Host::Ip(_) => None,
        };
        let decision = catalog.for_server(host_name, self.provider.as_deref());
        let ports = match &target.config {
            Some(config) => {
                self.settings_ports(config, &target, decision.as_ref().map(|m| m.preset))
            }
            None => self.ports(&target, decision.as_ref().map(|m| m.preset)),
        };
        let preset = decision.as_ref().map(Match::choice);
        // The ports the user named are judged strictly; the others only inform.
        let named_ports = match (&target.config, target.port) {
            (Some(config), _) => vec![config.port],
            (None, Some(port)) => vec![port],
            (None, None) => dedup(&self.port),
        };
        // Last: it may ask for the password, which only makes sense once the rest is valid.
        let auth = self.auth_request(&mut target, dsn_password)?;
        Ok(CheckPlan {
            ports,
            family,
            resolvers: self.resolver.clone(),
            pins: self.resolve.clone(),
            ca_file: self.ca_file.clone(),
            trust_anchor: self.trust_anchor.clone(),
            options: self.probe_options(),
            discovery: self.discovery_options(&target),
            provider: self.provider.clone(),
            preset,
            catalog,
            target,
            auth,
            named_ports,
        })
    }

    /// Flags that do not fit the target or each other, and values that cannot work.
    fn validate(&self, target: &Target, family: Family) -> Result<(), UsageError> {
        if let Host::Ip(ip) = target.host
            && !family.admits(ip)
        {
            return Err(UsageError::Other(format!(
                "{ip} is not an {} address; drop -{}",
                if self.ipv4 { "IPv4" } else { "IPv6" },
                if self.ipv4 { "4" } else { "6" },
            )));
        }
        if self.host && target.is_address() {
            return Err(UsageError::Other(format!(
                "--host needs a server name, and {:?} is an e-mail address",
                target.input
            )));
        }
        if self.inbound && target.names_a_server() {
            return Err(UsageError::Other(format!(
                "--inbound needs a mail domain or an e-mail address, not a server ({:?}); drop the port or scheme",
                target.input
            )));
        }
        if self.servername.is_some() && (target.is_address() || self.inbound) {
            return Err(UsageError::Other(
                "--servername applies to one server; a domain's certificates are checked against its MX and submission host names"
                    .to_string(),
            ));
        }
        validate_ehlo(self.ehlo.as_deref())?;
        if let Some(name) = &self.servername
            && name.parse::<IpAddr>().is_err()
            && target::host_name(name).is_err()
        {
            return Err(UsageError::Other(format!(
                "invalid --servername {name:?}: give a host name such as smtp.example.com"
            )));
        }
        validate_ca_file(self.ca_file.as_deref())?;
        if let Some(path) = &self.trust_anchor {
            crate::dns::load_trust_anchor(Some(path))
                .map_err(|e| UsageError::Setup(e.to_string()))?;
        }
        Ok(())
    }

    /// The ports to probe with the security of each: the target's port, else `--port`, else
    /// 25, 587 and 465 and then any other port the preset documents (2525 for SendGrid): what
    /// the user asks about, and what the provider offers instead.
    fn ports(&self, target: &Target, preset: Option<&Preset>) -> Vec<(u16, Security)> {
        let ports: Vec<u16> = match (target.port, preset) {
            (Some(port), _) => vec![port],
            (None, Some(preset)) if self.port.is_empty() => {
                let mut ports = plan::DEFAULT_PORTS.to_vec();
                ports.extend(preset.ports.iter().map(|p| p.port));
                dedup(&ports)
            }
            (None, _) if self.port.is_empty() => plan::DEFAULT_PORTS.to_vec(),
            (None, _) => dedup(&self.port),
        };
        ports
            .into_iter()
            .map(|port| {
                let documented = preset.and_then(|p| p.port(port));
                let security = match documented {
                    Some(spec)
                        if self.security == SecurityChoice::Auto
                            && target.scheme_security.is_none() =>
                    {
                        spec.security.probe_security()
                    }
                    _ => self.security_for(port, target),
                };
                (port, security)
            })
            .collect()
    }

    /// Timeouts, names and the port map of every probe.
    fn probe_options(&self) -> ProbeOptions {
        ProbeOptions {
            ehlo_name: self.ehlo.clone().or_else(local_fqdn),
            connect_timeout: self.connect_timeout,
            step_timeout: self.timeout,
            max_time: self.max_time,
            servername: self.servername.as_ref().map(|s| {
                target::host_name(s)
                    .unwrap_or_else(|_| s.trim_end_matches('.').to_ascii_lowercase())
            }),
            force_starttls: self.security == SecurityChoice::Starttls,
            port_map: self.port_map.clone(),
            ..ProbeOptions::default()
        }
    }

    /// How a domain is read and its endpoints chosen.
    fn discovery_options(&self, target: &Target) -> DiscoveryOptions {
        DiscoveryOptions {
            mode: match (self.host, self.inbound) {
                (true, _) => Mode::Host,
                (_, true) => Mode::Inbound,
                _ => Mode::Auto,
            },
            port_filter: match target.port {
                Some(_) => Vec::new(),
                None => dedup(&self.port),
            },
            security: match self.security {
                SecurityChoice::Auto => None,
                SecurityChoice::Starttls => Some(Security::Starttls),
                SecurityChoice::Tls => Some(Security::ImplicitTls),
                SecurityChoice::Plain => Some(Security::Plain),
            },
            ..DiscoveryOptions::default()
        }
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
        self.color.enabled(stdout_is_terminal)
    }
}

/// `smtp-doctor ports` flags, as typed.
#[derive(Debug, Args)]
pub struct PortsArgs {
    /// Also probe this host: HOST on every port, HOST:PORT on that port only; repeatable
    #[arg(long, value_name = "HOST[:PORT]")]
    pub control: Vec<String>,

    /// Probe only the --control hosts, not the built-in ones
    #[arg(long, requires = "control")]
    pub no_defaults: bool,

    /// Ports to test, comma-separated
    #[arg(long, short = 'p', value_name = "PORTS", value_delimiter = ',', value_parser = parse_port)]
    pub port: Vec<u16>,

    /// Name to send in EHLO [default: this machine's FQDN, else its address literal]
    #[arg(long, value_name = "NAME")]
    pub ehlo: Option<String>,

    /// Deadline for each TCP connect (what a silently dropped port costs)
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration, allow_hyphen_values = true)]
    pub connect_timeout: Duration,

    /// Deadline for each later step (greeting, EHLO, TLS); the whole run ends after the
    /// connect timeout plus this
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration, allow_hyphen_values = true)]
    pub timeout: Duration,

    /// IPv4 only
    #[arg(short = '4', conflicts_with = "ipv6")]
    pub ipv4: bool,

    /// IPv6 only
    #[arg(short = '6')]
    pub ipv6: bool,

    /// Extra trusted CA certificates (PEM), added to the system store
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,

    /// DNS server to ask instead of the system's, IP[:PORT]; repeatable
    #[arg(long, value_name = "IP[:PORT]", value_parser = parse_resolver)]
    pub resolver: Vec<SocketAddr>,

    /// Extra preset file (providers.toml format, `control` entries included); repeatable
    #[arg(long, value_name = "FILE")]
    pub providers: Vec<PathBuf>,

    /// Print one JSON document instead of the table
    #[arg(long)]
    pub json: bool,

    /// When to use colours
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// No live view of the probes on stderr (shown only when stderr is a terminal)
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

impl PortsArgs {
    /// Validates the flags into a plan: the ports, and the control hosts to probe on each.
    pub fn plan(&self) -> Result<PortsPlan, UsageError> {
        let family = family(self.ipv4, self.ipv6);
        validate_ehlo(self.ehlo.as_deref())?;
        validate_ca_file(self.ca_file.as_deref())?;
        let catalog = load_catalog(&self.providers)?;
        let (controls, ports) = self.controls(&catalog, family)?;
        let plan = PortsPlan {
            ports,
            controls,
            family,
            resolvers: self.resolver.clone(),
            ca_file: self.ca_file.clone(),
            options: ProbeOptions {
                ehlo_name: self.ehlo.clone().or_else(local_fqdn),
                connect_timeout: self.connect_timeout,
                step_timeout: self.timeout,
                max_time: self.connect_timeout.saturating_add(self.timeout),
                max_time_flag: None,
                ..ProbeOptions::default()
            },
            catalog,
        };
        if plan.probe_count() > plan::MAX_PROBES {
            return Err(UsageError::Other(format!(
                "{} probes asked for; at most {} per run (fewer --control hosts or ports)",
                plan.probe_count(),
                plan::MAX_PROBES
            )));
        }
        Ok(plan)
    }

    /// The control hosts (the catalogue's, unless `--no-defaults`, and the user's) and the
    /// ports shown, in order.
    fn controls(
        &self,
        catalog: &Catalog,
        family: Family,
    ) -> Result<(Vec<Control>, Vec<u16>), UsageError> {
        let asked = if self.port.is_empty() {
            plan::DEFAULT_PORTS.to_vec()
        } else {
            dedup(&self.port)
        };
        let mut all_ports = asked.clone();
        let mut named: Vec<(String, Vec<u16>)> = Vec::new();
        for text in &self.control {
            let (host, port) = parse_control(text)?;
            if let Ok(ip) = host.parse::<IpAddr>()
                && !family.admits(ip)
            {
                return Err(UsageError::Other(format!(
                    "--control {text}: {ip} is not of the address family chosen with -4/-6"
                )));
            }
            let host_ports = match port {
                Some(port) => {
                    if !all_ports.contains(&port) {
                        all_ports.push(port);
                    }
                    vec![port]
                }
                None => asked.clone(),
            };
            named.push((host, host_ports));
        }
        let mut controls = if self.no_defaults {
            Vec::new()
        } else {
            plan::default_controls(catalog, &asked, plan::OPERATORS_PER_PORT)
        };
        for (host, host_ports) in named {
            plan::add_control(
                &mut controls,
                plan::user_control(catalog, &host, host_ports),
            );
        }
        if controls.is_empty() {
            let listed: Vec<String> = asked.iter().map(u16::to_string).collect();
            return Err(UsageError::Other(format!(
                "no control host is known for port {}: name one with --control HOST:PORT",
                listed.join(", ")
            )));
        }
        if self.no_defaults {
            // Only the user's hosts: no column for a port none of them is probed on.
            all_ports.retain(|p| controls.iter().any(|c| c.ports.contains(p)));
        }
        Ok((controls, all_ports))
    }
}

/// `-4`, `-6` or both.
fn family(ipv4: bool, ipv6: bool) -> Family {
    match (ipv4, ipv6) {
        (true, _) => Family::V4,
        (_, true) => Family::V6,
        _ => Family::Any,
    }
}

/// `--ehlo NAME`: one word, no control characters.
fn validate_ehlo(name: Option<&str>) -> Result<(), UsageError> {
    match name {
        Some(name)
            if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c.is_control()) =>
        {
            Err(UsageError::Other(format!(
                "invalid --ehlo {name:?}: give a host name such as client.example.com"
            )))
        }
        _ => Ok(()),
    }
}

/// `--ca-file PEM`: a file that can be read (whether it holds certificates, the run says).
fn validate_ca_file(path: Option<&std::path::Path>) -> Result<(), UsageError> {
    match path.map(|p| (p, std::fs::metadata(p))) {
        Some((path, Err(e))) => Err(UsageError::Setup(format!(
            "cannot read --ca-file {}: {e}",
            path.display()
        ))),
        _ => Ok(()),
    }
}

/// `HOST` or `HOST:PORT` (`[v6]:PORT`) for `--control`.
fn parse_control(text: &str) -> Result<(String, Option<u16>), UsageError> {
    let bad = |why: String| UsageError::Other(format!("invalid --control {text:?}: {why}"));
    let target = target::parse(text).map_err(|e| bad(e.to_string()))?;
    if target.is_address() || target.scheme_security.is_some() {
        return Err(bad(
            "give a host name or address, optionally with :PORT (smtp.example.net:587)".to_string(),
        ));
    }
    Ok((target.host.to_string(), target.port))
}

/// The built-in presets, then the user's file (when it exists), then each `--providers` file.
/// A batch file's text: the file, or standard input for `-`; bounded (16 MiB).
fn read_batch_file(path: &Path) -> Result<String, UsageError> {
    const LIMIT: u64 = 16 * 1024 * 1024;
    let name = path.display();
    let mut text = String::new();
    let read = if path.as_os_str() == "-" {
        std::io::stdin()
            .lock()
            .take(LIMIT + 1)
            .read_to_string(&mut text)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(LIMIT + 1).read_to_string(&mut text))
    };
    read.map_err(|e| UsageError::Other(format!("cannot read the target file {name}: {e}")))?;
    if text.len() as u64 > LIMIT {
        return Err(UsageError::Other(format!(
            "the target file {name} is larger than 16 MiB; split it"
        )));
    }
    Ok(text)
}

fn load_catalog(extra: &[PathBuf]) -> Result<Catalog, UsageError> {
    let mut files: Vec<PathBuf> = providers::user_file()
        .filter(|f| f.exists)
        .map(|f| f.path)
        .into_iter()
        .collect();
    files.extend(extra.iter().cloned());
    Catalog::load(&files).map_err(|e| UsageError::Other(e.to_string()))
}

impl CheckArgs {
    /// TARGET, or the DSN in the `--dsn-env` variable (its value is never shown whole); and the
    /// DSN's password, when it has one.
    fn target(&self) -> Result<(Target, Option<Secret>), UsageError> {
        let Some(var) = &self.dsn_env else {
            let text = self.target.as_deref().unwrap_or_default();
            return Ok((target::parse(text)?, None));
        };
        let value = std::env::var_os(var).ok_or_else(|| {
            UsageError::Other(format!(
                "environment variable {var} is not set (--dsn-env {var})"
            ))
        })?;
        let value = zeroize::Zeroizing::new(value.into_string().map_err(|_| {
            UsageError::Other(format!("environment variable {var} is not valid UTF-8"))
        })?);
        let dsn = target::dsn::parse(&value, ConfigOrigin::Env(var.clone()))?;
        Ok((dsn.target, dsn.password))
    }

    /// Flags that do not fit the user's settings: they set the security themselves.
    fn validate_settings(&self, target: &Target) -> Result<(), UsageError> {
        if target.config.is_some() && self.security != SecurityChoice::Auto {
            return Err(UsageError::Other(
                "--security does not go with a DSN: the DSN sets the security (its scheme and encryption=...)"
                    .to_string(),
            ));
        }
        Ok(())
    }

    /// With the user's settings: their port in their mode first, then, to inform (and to name
    /// a working alternative), the ports probed without them (`--port`, a provider's
    /// documented ports, else 25, 587 and 465) in their usual modes.
    fn settings_ports(
        &self,
        config: &UserConfig,
        target: &Target,
        preset: Option<&Preset>,
    ) -> Vec<(u16, Security)> {
        let without = Target {
            port: None,
            scheme_security: None,
            config: None,
            ..target.clone()
        };
        let mut ports = vec![(config.port, config.security.probe())];
        ports.extend(
            self.ports(&without, preset)
                .into_iter()
                .filter(|&(port, _)| port != config.port),
        );
        ports
    }

    /// Credential flags given without a user name (neither `--user` nor a user in a DSN).
    fn credential_flag_without_user(&self) -> Result<(), UsageError> {
        let flags = [
            ("--password-env", self.password_env.is_some()),
            ("--password-file", self.password_file.is_some()),
            ("--password-stdin", self.password_stdin),
            ("--oauth-token-env", self.oauth_token_env.is_some()),
            ("--oauth-token-file", self.oauth_token_file.is_some()),
            ("--oauth-token-stdin", self.oauth_token_stdin),
            ("--auth-mech", self.auth_mech.is_some()),
            ("--auth-all", self.auth_all),
            ("--allow-plaintext-auth", self.allow_plaintext_auth),
            ("--send-to", self.send_to.is_some()),
        ];
        match flags.iter().find(|(_, given)| *given) {
            Some((flag, _)) => Err(UsageError::Other(format!(
                "{flag} needs a user name: give --user NAME, or a DSN with one (smtp://NAME@host)"
            ))),
            None => Ok(()),
        }
    }

    /// The credential check asked for with `--user` or by a DSN's user name, its secret read
    /// (from the source given, else the DSN's password, else a no-echo prompt on the
    /// terminal). Warnings about the source go to stderr. A user name from a DSN alone, with
    /// no password anywhere and no terminal to ask on, is not checked (a note says so).
    fn auth_request(
        &self,
        target: &mut Target,
        dsn_password: Option<Secret>,
    ) -> Result<Option<AuthRequest>, UsageError> {
        let dsn_user = target.config.as_ref().and_then(|c| c.user.clone());
        let Some(user) = self.user.clone().or(dsn_user) else {
            self.credential_flag_without_user()?;
            return Ok(None);
        };
        if user.is_empty() || user.chars().any(char::is_control) {
            return Err(UsageError::Other(
                "invalid --user: give the user name, e.g. alice@example.com".to_string(),
            ));
        }
        let var = self.dsn_env.clone().unwrap_or_default();
        let from_dsn = dsn_password.map(|password| Source::Dsn { var, password });
        let (source, kind) = self.secret_source(&user, &target.input, from_dsn);
        if self.user.is_none()
            && matches!(source, Source::Prompt(_))
            && self.credential_flag_without_user().is_ok()
            && !std::io::IsTerminal::is_terminal(&std::io::stdin())
            && let Some(config) = target.config.as_mut()
        {
            config.notes.push(format!(
                "user {user}: no password given (--password-env VAR, or the DSN in --dsn-env VAR), so the login was not checked"
            ));
            return Ok(None);
        }
        let user = &user;
        if let Some(mechanism) = self.auth_mech
            && mechanism.credential() != kind
        {
            let wanted = match mechanism.credential() {
                CredentialKind::Password => {
                    "a password (--password-env, --password-file, --password-stdin)"
                }
                CredentialKind::Token => {
                    "an OAuth 2 token (--oauth-token-env, --oauth-token-file, --oauth-token-stdin)"
                }
            };
            return Err(UsageError::Other(format!(
                "--auth-mech {mechanism} needs {wanted}, not a {kind}"
            )));
        }
        let send = self.send_request(user)?;
        for warning in source.warnings() {
            eprintln!("smtp-doctor: warning: {warning}");
        }
        let secret = source
            .read()
            .map_err(|e| UsageError::Other(e.to_string()))?;
        Ok(Some(AuthRequest {
            user: user.clone(),
            secret,
            kind,
            mechanism: self.auth_mech,
            all: self.auth_all,
            allow_insecure: self.allow_plaintext_auth,
            send,
        }))
    }

    /// Where the secret comes from and what kind it is: a flag's source, else the DSN's
    /// password, else a prompt (for a token when `--auth-mech` names a token mechanism).
    fn secret_source(
        &self,
        user: &str,
        target: &str,
        from_dsn: Option<Source>,
    ) -> (Source, CredentialKind) {
        use CredentialKind::{Password, Token};
        if let Some(var) = &self.password_env {
            (Source::Env(var.clone()), Password)
        } else if let Some(path) = &self.password_file {
            (Source::File(path.clone()), Password)
        } else if self.password_stdin {
            (Source::Stdin, Password)
        } else if let Some(var) = &self.oauth_token_env {
            (Source::Env(var.clone()), Token)
        } else if let Some(path) = &self.oauth_token_file {
            (Source::File(path.clone()), Token)
        } else if self.oauth_token_stdin {
            (Source::Stdin, Token)
        } else if let Some(source) = from_dsn {
            (source, Password)
        } else {
            let kind = self.auth_mech.map_or(Password, Mechanism::credential);
            let what = match kind {
                Password => "Password",
                Token => "OAuth 2 access token",
            };
            let prompt = format!("{what} for {user} at {target}: ");
            (Source::Prompt(prompt), kind)
        }
    }

    /// The test message's envelope: `--send-to`, and `--from` or the user name.
    fn send_request(&self, user: &str) -> Result<Option<SendRequest>, UsageError> {
        let Some(to) = &self.send_to else {
            return Ok(None);
        };
        check_address(to).map_err(|e| UsageError::Other(format!("invalid --send-to: {e}")))?;
        let from = match &self.from {
            Some(from) => {
                check_address(from)
                    .map_err(|e| UsageError::Other(format!("invalid --from: {e}")))?;
                from.clone()
            }
            None if check_address(user).is_ok() => user.to_string(),
            None => {
                return Err(UsageError::Other(
                    "--send-to needs a sender: give --from ADDR (the user name is not an e-mail address)"
                        .to_string(),
                ));
            }
        };
        Ok(Some(SendRequest {
            from,
            to: to.clone(),
        }))
    }
}

/// `PLAIN`, `login`, `CRAM-MD5`, ... for `--auth-mech`.
pub fn parse_mechanism(text: &str) -> Result<Mechanism, String> {
    text.parse::<Mechanism>().map_err(|e| e.to_string())
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
    if !value.is_finite() {
        return Err(bad());
    }
    if value < 0.0 {
        return Err(format!(
            "{text:?} is negative; a duration is more than 0, e.g. 500ms, 5s or 1m"
        ));
    }
    if value == 0.0 {
        return Err(format!(
            "{text:?} is no time at all; a duration is more than 0, e.g. 500ms, 5s or 1m"
        ));
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
    let name = target::host_name(name).map_err(|_| bad())?;
    let addr = addr.trim_start_matches('[').trim_end_matches(']');
    let ip = addr.parse::<IpAddr>().map_err(|_| bad())?;
    Ok((name, ip))
}

/// `FROM=TO` for `--port-map`, two ports.
pub fn parse_port_map(text: &str) -> Result<(u16, u16), String> {
    let bad = || format!("{text:?} is not FROM=TO, e.g. 25=2525");
    let (from, to) = text.split_once('=').ok_or_else(bad)?;
    let from = parse_port(from).map_err(|_| bad())?;
    let to = parse_port(to).map_err(|_| bad())?;
    Ok((from, to))
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
        let Command::Check(check) = cli.command else {
            panic!("not a check command");
        };
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
        assert!(plan(&["a@b.example", "--host"]).is_err());
        assert!(plan(&["mail.example.com:25", "--inbound"]).is_err());
        assert!(plan(&["192.0.2.1", "--inbound"]).is_err());
        assert!(plan(&["a@b.example", "--servername", "mx.b.example"]).is_err());
        assert!(plan(&["b.example", "--inbound", "--servername", "mx.b.example"]).is_err());
    }

    #[test]
    fn domains_and_addresses() {
        let p = plan(&["alice@example.com", "--port-map", "25=2525", "-p", "587"]).unwrap();
        assert!(p.target.is_address());
        assert_eq!(p.discovery.mode, Mode::Auto);
        assert_eq!(p.discovery.port_filter, vec![587]);
        assert_eq!(p.options.port_map, vec![(25, 2525)]);
        assert_eq!(p.options.connect_port(25), 2525);
        assert_eq!(p.options.connect_port(587), 587);
        let p = plan(&["example.com", "--inbound", "--security", "tls"]).unwrap();
        assert_eq!(p.discovery.mode, Mode::Inbound);
        assert_eq!(p.discovery.security, Some(Security::ImplicitTls));
        assert!(p.discovery.port_filter.is_empty());
        let p = plan(&["mail.example.com", "--host"]).unwrap();
        assert_eq!(p.discovery.mode, Mode::Host);
        assert_eq!(parse_port_map("25=40025"), Ok((25, 40025)));
        for bad in ["25", "25=", "=25", "0=25", "25=70000", "a=b"] {
            assert!(parse_port_map(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn settings_probe_their_port_first_and_the_others_to_inform() {
        let p = plan(&["smtps://mail.example.com:2525?encryption=tls"]).unwrap();
        assert_eq!(
            p.ports,
            vec![
                (2525, Security::Starttls),
                (25, Security::Starttls),
                (587, Security::Starttls),
                (465, Security::ImplicitTls)
            ]
        );
        let config = p.target.config.as_ref().expect("settings");
        assert_eq!(config.port, 2525);
        assert!(p.auth.is_none());
        // The settings' port is not probed twice; --port chooses the others.
        let p = plan(&["smtp://mail.example.com:465?x=1", "-p", "465,2525"]).unwrap();
        assert_eq!(
            p.ports,
            vec![(465, Security::ImplicitTls), (2525, Security::Starttls)]
        );
        let p = plan(&["submission://mail.example.com", "-p", "587"]).unwrap();
        assert_eq!(p.ports, vec![(587, Security::Starttls)]);
        // The DSN sets the security.
        let e = plan(&["smtp://mail.example.com?tls=1", "--security", "tls"]).unwrap_err();
        assert!(e.to_string().contains("--security"), "{e}");
        // A password typed in TARGET never gets further, and is not repeated.
        let e = plan(&["smtp://alice:hunter2@mail.example.com:587"]).unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
        assert!(e.to_string().contains("--dsn-env"), "{e}");
    }

    #[test]
    fn credential_flags_need_a_user() {
        let e = plan(&["mail.example.com", "--password-env", "X"]).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("--password-env needs a user name: give --user"),
            "{e}"
        );
        let e = plan(&["mail.example.com", "--auth-all"]).unwrap_err();
        assert!(e.to_string().starts_with("--auth-all needs"), "{e}");
    }

    #[test]
    fn international_names_in_flags() {
        let p = plan(&[
            "münchen.example",
            "--resolve",
            "MÜNCHEN.example:127.0.0.1",
            "--servername",
            "münchen.example.",
        ])
        .unwrap();
        assert_eq!(
            p.pins,
            vec![(
                "xn--mnchen-3ya.example".to_string(),
                "127.0.0.1".parse().unwrap()
            )]
        );
        assert_eq!(
            p.options.servername.as_deref(),
            Some("xn--mnchen-3ya.example")
        );
        assert_eq!(p.target.unicode.as_deref(), Some("münchen.example"));
        assert!(plan(&["mail.example.com", "--servername", "\u{301}x.example"]).is_err());
    }
}
