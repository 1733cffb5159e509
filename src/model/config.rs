//! The user's own settings, as an app holds them in a URL or DSN (`smtp://user@host:587`,
//! `MAILER_DSN=smtps://...`): host, port, security mode and user name, never the password.
//! Parsed by [`crate::target`], judged by `verdict::config`, shown by the renderers.

use std::fmt;

use crate::model::Security;

/// How the user's settings secure the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConfigSecurity {
    /// STARTTLS, required (`smtp+tls://`, `submission://`, `encryption=tls`).
    Starttls,
    /// STARTTLS when the server offers it, else plain text (`smtp://` as Symfony Mailer reads
    /// it).
    OpportunisticStarttls,
    /// TLS from the first byte (`smtps://`, `smtp+ssl://`, `encryption=ssl`).
    ImplicitTls,
    /// No TLS at all (`encryption=none`, `auto_tls=false`, `tls=false`).
    Plain,
}

impl ConfigSecurity {
    /// The name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ConfigSecurity::Starttls => "starttls",
            ConfigSecurity::OpportunisticStarttls => "opportunistic_starttls",
            ConfigSecurity::ImplicitTls => "implicit_tls",
            ConfigSecurity::Plain => "plain",
        }
    }

    /// What a mail client's settings call it.
    pub fn label(self) -> &'static str {
        match self {
            ConfigSecurity::Starttls => "STARTTLS",
            ConfigSecurity::OpportunisticStarttls => "STARTTLS when offered",
            ConfigSecurity::ImplicitTls => "SSL/TLS (implicit TLS)",
            ConfigSecurity::Plain => "no encryption",
        }
    }

    /// The mode the probe uses to see what the app would see.
    pub fn probe(self) -> Security {
        match self {
            ConfigSecurity::Starttls | ConfigSecurity::OpportunisticStarttls => Security::Starttls,
            ConfigSecurity::ImplicitTls => Security::ImplicitTls,
            ConfigSecurity::Plain => Security::Plain,
        }
    }
}

impl fmt::Display for ConfigSecurity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Where the settings came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigOrigin {
    /// TARGET on the command line.
    Target,
    /// The environment variable of this name (`--dsn-env`).
    Env(String),
}

impl ConfigOrigin {
    /// The name used in JSON: `target` or `env`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ConfigOrigin::Target => "target",
            ConfigOrigin::Env(_) => "env",
        }
    }
}

impl fmt::Display for ConfigOrigin {
    /// `TARGET` or `MAILER_DSN`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigOrigin::Target => f.write_str("TARGET"),
            ConfigOrigin::Env(name) => f.write_str(name),
        }
    }
}

/// The user's settings as the app would use them. There is no field for a password: one found
/// in a DSN goes to the credential check as a secret, never here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserConfig {
    /// The host, in ASCII (A-label) form.
    pub host: String,
    /// The port: as given, else the scheme's default.
    pub port: u16,
    /// Whether the port was written in the DSN (not a default).
    pub port_given: bool,
    /// How the connection is secured.
    pub security: ConfigSecurity,
    /// The user name (percent-decoded), when the DSN has one.
    pub user: Option<String>,
    /// Where the settings came from.
    pub origin: ConfigOrigin,
    /// `false` when the DSN turns certificate verification off (`verify_peer=0`).
    pub verify_peer: bool,
    /// How the DSN was read, where it needs saying: a parameter overriding the scheme, a
    /// default port, parameters that were ignored.
    pub notes: Vec<String>,
}
