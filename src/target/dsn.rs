//! The user's settings as a URL or DSN, the way apps hold them: Symfony and Laravel
//! (`MAILER_DSN=smtp://user:pass@smtp.example.com:587?encryption=tls`), Django (`EMAIL_URL`,
//! `submission://`, `smtp+tls://`, `smtp+ssl://`), and plain `smtp://` / `smtps://` with a user
//! or parameters. The result is a [`Target`] with its [`UserConfig`], and the password, when the
//! DSN has one, as a [`Secret`] kept apart from everything that is shown.
//!
//! Nothing read here is echoed whole in an error: a message names the part that is wrong (the
//! scheme, the port, the host, a parameter), never the user-information part.

use percent_encoding::percent_decode_str;
use zeroize::Zeroizing;

use super::{Target, TargetError, parse_host, parse_port, split_host_port};
use crate::model::{ConfigOrigin, ConfigSecurity, UserConfig};
use crate::secret::Secret;
use crate::target::idn::shorten;

/// A DSN read: the target it names (with [`Target::config`] set) and its password, if any.
#[derive(Debug)]
pub struct Dsn {
    /// The server and the user's settings.
    pub target: Target,
    /// The password of the user-information part, percent-decoded.
    pub password: Option<Secret>,
}

/// The schemes read as SMTP settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    /// `smtp://`: STARTTLS when offered (Symfony Mailer), port 25.
    Smtp,
    /// `smtps://`: implicit TLS, port 465.
    Smtps,
    /// `smtp+tls://` (django-environ): STARTTLS, port 25.
    SmtpTls,
    /// `smtp+ssl://` (django-environ): implicit TLS, port 465.
    SmtpSsl,
    /// `submission://` (dj-email-url): STARTTLS, port 587.
    Submission,
}

impl Scheme {
    fn parse(text: &str) -> Option<Scheme> {
        match text.to_ascii_lowercase().as_str() {
            "smtp" => Some(Scheme::Smtp),
            "smtps" => Some(Scheme::Smtps),
            "smtp+tls" => Some(Scheme::SmtpTls),
            "smtp+ssl" => Some(Scheme::SmtpSsl),
            "submission" => Some(Scheme::Submission),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Scheme::Smtp => "smtp",
            Scheme::Smtps => "smtps",
            Scheme::SmtpTls => "smtp+tls",
            Scheme::SmtpSsl => "smtp+ssl",
            Scheme::Submission => "submission",
        }
    }

    fn security(self) -> ConfigSecurity {
        match self {
            Scheme::Smtp => ConfigSecurity::OpportunisticStarttls,
            Scheme::Smtps | Scheme::SmtpSsl => ConfigSecurity::ImplicitTls,
            Scheme::SmtpTls | Scheme::Submission => ConfigSecurity::Starttls,
        }
    }

    /// The port used when the DSN names none: 465 for implicit TLS, else the scheme's (what
    /// Symfony Mailer and Django's SMTP backend use): 587 for `submission://`, 465 for
    /// `smtps://` and `smtp+ssl://` (also when a parameter turned them to STARTTLS), else 25.
    fn default_port(self, security: ConfigSecurity) -> u16 {
        match (self, security) {
            (_, ConfigSecurity::ImplicitTls) | (Scheme::Smtps | Scheme::SmtpSsl, _) => 465,
            (Scheme::Submission, _) => 587,
            (Scheme::Smtp | Scheme::SmtpTls, _) => 25,
        }
    }
}

/// Whether a scheme is one this module reads (`smtp`, `smtps`, `smtp+tls`, `smtp+ssl`,
/// `submission`; any case).
pub fn is_scheme(text: &str) -> bool {
    Scheme::parse(text).is_some()
}

/// Whether a URL target is read as the user's settings rather than as a server with a mode:
/// it has a user, parameters, or a scheme only DSNs use. A bare `smtp://host[:port]` or
/// `smtps://host[:port]` keeps its older meaning (that mode on the default ports, or on that
/// port only).
pub fn is_settings(scheme: &str, rest: &str) -> bool {
    let plain_scheme = matches!(Scheme::parse(scheme), Some(Scheme::Smtp | Scheme::Smtps));
    !plain_scheme || rest.contains('@') || rest.contains('?')
}

/// Reads a DSN. From TARGET (`ConfigOrigin::Target`) a password is refused at once, before
/// anything else is looked at. Errors from an environment variable name the variable.
pub fn parse(text: &str, origin: ConfigOrigin) -> Result<Dsn, TargetError> {
    read(text, &origin).map_err(|error| match &origin {
        ConfigOrigin::Env(name) => TargetError::InVariable {
            name: name.clone(),
            error: Box::new(error),
        },
        ConfigOrigin::Target => error,
    })
}

fn read(text: &str, origin: &ConfigOrigin) -> Result<Dsn, TargetError> {
    let trimmed = text.trim();
    let Some((scheme_text, rest)) = trimmed.split_once("://") else {
        return Err(dsn_error(
            "it is not a URL: write it as smtp://user@host:port (or smtps://, smtp+tls://, smtp+ssl://, submission://)",
        ));
    };
    let scheme =
        Scheme::parse(scheme_text).ok_or_else(|| TargetError::Scheme(shorten(scheme_text)))?;
    let parts = Parts::split(rest)?;
    let (user, password) = parts.user_info(origin)?;
    if !parts.path.is_empty() && parts.path != "/" {
        return Err(dsn_error(
            "it has a path after the host; an SMTP DSN is scheme://user@host:port?parameters",
        ));
    }
    let (host_text, port_text) = split_host_port(parts.host_port)?;
    if host_text.is_empty() {
        return Err(dsn_error("it names no host (smtp://user@HOST:port)"));
    }
    let port = port_text.map(parse_port).transpose()?;
    let (host, unicode) = parse_host(host_text)?;
    let params = Params::read(parts.query)?;
    let mut notes = Vec::new();
    let security = security(scheme, port, &params, &mut notes)?;
    let port = port.unwrap_or_else(|| {
        let port = scheme.default_port(security);
        notes.push(format!(
            "no port given: {port}, the default for {} with {}",
            scheme_label(scheme),
            security.label()
        ));
        port
    });
    if !params.ignored.is_empty() {
        notes.push(format!(
            "ignored (not about the connection's security): {}",
            params.ignored.join(", ")
        ));
    }
    if !params.verify_peer {
        notes.push(
            "verify_peer=0: the app does not check the server's certificate, so a wrong or \
             intercepted one goes unnoticed"
                .to_string(),
        );
    }
    let input = match origin {
        ConfigOrigin::Target => text.to_string(),
        // Never the value whole: the scheme, user, host and port only.
        ConfigOrigin::Env(_) => display(scheme_text, user.as_deref(), host_text, port),
    };
    let config = UserConfig {
        host: host.to_string(),
        port,
        port_given: port_text.is_some(),
        security,
        user,
        origin: origin.clone(),
        verify_peer: params.verify_peer,
        notes,
    };
    Ok(Dsn {
        target: Target {
            input,
            host,
            unicode,
            port: Some(port),
            scheme_security: Some(security.probe()),
            local_part: None,
            config: Some(config),
        },
        password,
    })
}

/// `scheme://user@host:port`, for showing a DSN read from the environment.
fn display(scheme: &str, user: Option<&str>, host: &str, port: u16) -> String {
    let user = user
        .map(|u| format!("{}@", u.replace('%', "%25").replace('@', "%40")))
        .unwrap_or_default();
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    format!("{}://{user}{host}:{port}", scheme.to_ascii_lowercase())
}

fn scheme_label(scheme: Scheme) -> String {
    format!("{}://", scheme.name())
}

fn dsn_error(reason: &str) -> TargetError {
    TargetError::Dsn(reason.to_string())
}

/// The parts of what follows `scheme://`.
struct Parts<'a> {
    /// Before the last `@` of the authority, when there is one.
    user_info: Option<&'a str>,
    host_port: &'a str,
    path: &'a str,
    query: &'a str,
}

impl<'a> Parts<'a> {
    /// Splits at the end of the authority (the first `/`, `?` or `#`). An `@` after it means
    /// a user name or password with an unencoded `/`, `?` or `#`: refused, since reading on
    /// would take part of the password for the host.
    fn split(rest: &'a str) -> Result<Parts<'a>, TargetError> {
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        if tail.contains('@') {
            return Err(dsn_error(
                "it has an '@' after the host part: percent-encode '/', '?', '#' and '@' in the \
                 user name and password (%2F, %3F, %23, %40)",
            ));
        }
        let (user_info, host_port) = match authority.rsplit_once('@') {
            Some((info, host)) => (Some(info), host),
            None => (None, authority),
        };
        let before_fragment = tail.split('#').next().unwrap_or("");
        let (path, query) = before_fragment
            .split_once('?')
            .unwrap_or((before_fragment, ""));
        Ok(Parts {
            user_info,
            host_port,
            path,
            query,
        })
    }

    /// The user name and the password, percent-decoded. A password typed on the command line
    /// is refused before it is even decoded.
    fn user_info(
        &self,
        origin: &ConfigOrigin,
    ) -> Result<(Option<String>, Option<Secret>), TargetError> {
        let Some(info) = self.user_info else {
            return Ok((None, None));
        };
        let (user, password) = match info.split_once(':') {
            Some((user, password)) => (user, Some(password).filter(|p| !p.is_empty())),
            None => (info, None),
        };
        if password.is_some() && *origin == ConfigOrigin::Target {
            return Err(TargetError::PasswordOnCommandLine);
        }
        let user = percent_decode_str(user)
            .decode_utf8()
            .map_err(|_| dsn_error("its user name is not UTF-8 once percent-decoded"))?;
        if user.chars().any(char::is_control) {
            return Err(dsn_error("its user name holds control characters"));
        }
        let password = match password {
            Some(encoded) => {
                // Wiped on drop, like the Secret made from it.
                let bytes = Zeroizing::new(percent_decode_str(encoded).collect::<Vec<u8>>());
                let text = std::str::from_utf8(&bytes)
                    .map_err(|_| dsn_error("its password is not UTF-8 once percent-decoded"))?;
                Some(Secret::new(text.to_string()))
            }
            None => None,
        };
        let user = (!user.is_empty()).then(|| user.into_owned());
        Ok((user, password))
    }
}

/// What one query parameter says about the security.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    /// This mode, explicitly.
    Mode(ConfigSecurity),
    /// No STARTTLS (`tls=false`, `auto_tls=false`): plain text unless implicit TLS is chosen.
    NoStarttls,
    /// No implicit TLS (`ssl=false`).
    NoImplicit,
}

/// The query parameters, read.
struct Params {
    /// (`key=value` as written, what it wants), in order.
    wants: Vec<(String, Want)>,
    verify_peer: bool,
    /// Names of parameters that say nothing about the security.
    ignored: Vec<String>,
}

impl Params {
    fn read(query: &str) -> Result<Params, TargetError> {
        let mut params = Params {
            wants: Vec::new(),
            verify_peer: true,
            ignored: Vec::new(),
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = key.to_ascii_lowercase();
            let value = percent_decode_str(value).decode_utf8_lossy().to_lowercase();
            let shown = format!("{}={}", shorten(&key), shorten(&value));
            let want = match key.as_str() {
                "encryption" => Some(Want::Mode(encryption(&value, &shown)?)),
                "tls" | "starttls" => Some(if flag(&value, &shown)? {
                    Want::Mode(ConfigSecurity::Starttls)
                } else {
                    Want::NoStarttls
                }),
                "ssl" => Some(if flag(&value, &shown)? {
                    Want::Mode(ConfigSecurity::ImplicitTls)
                } else {
                    Want::NoImplicit
                }),
                // Symfony Mailer: STARTTLS required, or never tried.
                "require_tls" => {
                    flag(&value, &shown)?.then_some(Want::Mode(ConfigSecurity::Starttls))
                }
                "auto_tls" => (!flag(&value, &shown)?).then_some(Want::NoStarttls),
                "verify_peer" => {
                    params.verify_peer = flag(&value, &shown)?;
                    None
                }
                _ => {
                    let name = shorten(&key);
                    if !params.ignored.contains(&name) {
                        params.ignored.push(name);
                    }
                    None
                }
            };
            if let Some(want) = want {
                params.wants.push((shown, want));
            }
        }
        Ok(params)
    }
}

/// `encryption=ssl|tls|starttls|none` (Laravel's `MAIL_ENCRYPTION` words).
fn encryption(value: &str, shown: &str) -> Result<ConfigSecurity, TargetError> {
    match value {
        "ssl" | "smtps" | "implicit" | "implicit_tls" => Ok(ConfigSecurity::ImplicitTls),
        "tls" | "starttls" => Ok(ConfigSecurity::Starttls),
        "" | "none" | "null" | "false" | "off" | "no" | "plain" => Ok(ConfigSecurity::Plain),
        _ => Err(TargetError::Dsn(format!(
            "{shown}: use encryption=ssl (implicit TLS), tls or starttls (STARTTLS), or none"
        ))),
    }
}

/// `1`, `true`, `yes`, `on` or `0`, `false`, `no`, `off` (any case; empty is false).
fn flag(value: &str, shown: &str) -> Result<bool, TargetError> {
    match value {
        "1" | "true" | "yes" | "on" => Ok(true),
        "" | "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(TargetError::Dsn(format!(
            "{shown}: use true or false (1 or 0)"
        ))),
    }
}

/// The security the DSN asks for: the scheme's, unless a parameter says otherwise (the
/// parameter wins, with a note). Parameters that contradict each other are refused.
fn security(
    scheme: Scheme,
    port: Option<u16>,
    params: &Params,
    notes: &mut Vec<String>,
) -> Result<ConfigSecurity, TargetError> {
    let from_scheme = scheme.security();
    let mut chosen: Option<(&str, ConfigSecurity)> = None;
    for (shown, want) in &params.wants {
        let Want::Mode(mode) = *want else { continue };
        match chosen {
            Some((first, earlier)) if earlier != mode => {
                return Err(TargetError::Dsn(format!(
                    "{first} and {shown} contradict each other"
                )));
            }
            _ => chosen = Some((shown, mode)),
        }
    }
    let negatives = params
        .wants
        .iter()
        .filter(|(_, w)| !matches!(w, Want::Mode(_)));
    let result = match chosen {
        Some((shown, mode)) => {
            for (negative, want) in negatives {
                let clash = matches!(
                    (mode, want),
                    (ConfigSecurity::ImplicitTls, Want::NoImplicit)
                        | (ConfigSecurity::Starttls, Want::NoStarttls)
                );
                if clash {
                    return Err(TargetError::Dsn(format!(
                        "{shown} and {negative} contradict each other"
                    )));
                }
            }
            if mode != from_scheme {
                notes.push(format!(
                    "{shown} overrides {} ({}): {}",
                    scheme_label(scheme),
                    from_scheme.label(),
                    mode.label()
                ));
            }
            mode
        }
        None => negated(
            scheme,
            port,
            negatives.map(|(s, w)| (s.as_str(), *w)),
            notes,
        ),
    };
    Ok(result)
}

/// The scheme's mode after `tls=false`, `auto_tls=false` or `ssl=false`; and `smtp://` on port
/// 465, where Symfony Mailer and Laravel use implicit TLS.
fn negated<'a>(
    scheme: Scheme,
    port: Option<u16>,
    negatives: impl Iterator<Item = (&'a str, Want)>,
    notes: &mut Vec<String>,
) -> ConfigSecurity {
    let from_scheme = scheme.security();
    let mut mode = from_scheme;
    let mut why = None;
    for (shown, want) in negatives {
        let next = match (mode, want) {
            (
                ConfigSecurity::Starttls | ConfigSecurity::OpportunisticStarttls,
                Want::NoStarttls,
            ) => ConfigSecurity::Plain,
            (ConfigSecurity::ImplicitTls, Want::NoImplicit) => {
                ConfigSecurity::OpportunisticStarttls
            }
            _ => mode,
        };
        if next != mode {
            mode = next;
            why = Some(shown);
        }
    }
    if let Some(shown) = why {
        notes.push(format!(
            "{shown} overrides {} ({}): {}",
            scheme_label(scheme),
            from_scheme.label(),
            mode.label()
        ));
        return mode;
    }
    if scheme == Scheme::Smtp && port == Some(465) {
        notes.push(
            "smtp:// on port 465: implicit TLS, as Symfony Mailer and Laravel use there \
             (smtps:// says so plainly)"
                .to_string(),
        );
        return ConfigSecurity::ImplicitTls;
    }
    mode
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Security;
    use crate::target::Host;

    fn env(text: &str) -> Dsn {
        parse(text, ConfigOrigin::Env("MAILER_DSN".into()))
            .unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn typed(text: &str) -> Dsn {
        parse(text, ConfigOrigin::Target).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn config(dsn: &Dsn) -> &UserConfig {
        dsn.target.config.as_ref().expect("a DSN has settings")
    }

    /// (port, security) of a DSN read from the environment.
    fn mode(text: &str) -> (u16, ConfigSecurity) {
        let dsn = env(text);
        let c = config(&dsn);
        (c.port, c.security)
    }

    #[test]
    fn every_form_gives_port_and_mode() {
        use ConfigSecurity::{ImplicitTls, OpportunisticStarttls, Plain, Starttls};
        let cases = [
            ("smtp://user@host.example:587", (587, OpportunisticStarttls)),
            ("smtp://host.example", (25, OpportunisticStarttls)),
            ("smtp://host.example:465", (465, ImplicitTls)),
            ("smtps://user@host.example", (465, ImplicitTls)),
            ("smtps://host.example:2465", (2465, ImplicitTls)),
            ("smtp+tls://u:p@host.example", (25, Starttls)),
            ("smtp+tls://u:p@host.example:587", (587, Starttls)),
            ("smtp+ssl://u:p@host.example", (465, ImplicitTls)),
            ("submission://u:p@host.example", (587, Starttls)),
            ("SUBMISSION://u:p@host.example:2525/", (2525, Starttls)),
            (
                "smtp://u:p@host.example:587?encryption=tls",
                (587, Starttls),
            ),
            (
                "smtp://u:p@host.example:587?encryption=starttls",
                (587, Starttls),
            ),
            ("smtp://u:p@host.example?encryption=ssl", (465, ImplicitTls)),
            ("smtp://u:p@host.example:587?encryption=none", (587, Plain)),
            ("smtp://u:p@host.example:587?encryption=", (587, Plain)),
            ("smtp://u:p@host.example:587?tls=True", (587, Starttls)),
            ("smtp://u:p@host.example:587?tls=false", (587, Plain)),
            ("smtp://u:p@host.example:587?starttls=1", (587, Starttls)),
            ("smtp://u:p@host.example?ssl=1", (465, ImplicitTls)),
            (
                "smtp+ssl://u:p@host.example?ssl=true&tls=false",
                (465, ImplicitTls),
            ),
            (
                "smtps://u:p@host.example?ssl=0",
                (465, OpportunisticStarttls),
            ),
            ("smtp://u:p@host.example:587?auto_tls=false", (587, Plain)),
            (
                "smtp://u:p@host.example:587?require_tls=true",
                (587, Starttls),
            ),
            (
                "smtp://u:p@host.example:587?verify_peer=0",
                (587, OpportunisticStarttls),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(mode(text), expected, "{text}");
        }
    }

    #[test]
    fn host_user_and_target_fields() {
        let dsn =
            env("smtp://alice%40example.com:s%3Acr%40t%2Fpw@Smtp.Example.com:587?encryption=tls");
        let c = config(&dsn);
        assert_eq!(c.host, "smtp.example.com");
        assert_eq!(c.user.as_deref(), Some("alice@example.com"));
        assert_eq!(c.origin, ConfigOrigin::Env("MAILER_DSN".into()));
        assert!(c.port_given && c.verify_peer);
        assert_eq!(dsn.password.as_ref().map(Secret::expose), Some("s:cr@t/pw"));
        let t = &dsn.target;
        assert_eq!(t.host, Host::Name("smtp.example.com".into()));
        assert_eq!(t.port, Some(587));
        assert_eq!(t.scheme_security, Some(Security::Starttls));
        assert!(t.names_a_server());
        // From the environment the input is rebuilt without the password or parameters.
        assert_eq!(t.input, "smtp://alice%40example.com@Smtp.Example.com:587");
        assert!(!format!("{dsn:?}").contains("s:cr@t/pw"));

        // '+' is not a space in the user-information part; UTF-8 is decoded.
        let dsn = env("smtp://a+b:p%C3%A4ss@host.example");
        assert_eq!(config(&dsn).user.as_deref(), Some("a+b"));
        assert_eq!(dsn.password.as_ref().map(Secret::expose), Some("päss"));
        // An unencoded '@' in the password: the host is after the last one.
        let dsn = env("smtp://bob:p@ss@host.example:587");
        assert_eq!(config(&dsn).host, "host.example");
        assert_eq!(dsn.password.as_ref().map(Secret::expose), Some("p@ss"));

        let dsn = env("smtps://[2001:db8::1]:465");
        assert_eq!(dsn.target.host, Host::Ip("2001:db8::1".parse().unwrap()));
        assert_eq!(dsn.target.input, "smtps://[2001:db8::1]:465");
        let dsn = env("smtp://münchen.example");
        assert_eq!(config(&dsn).host, "xn--mnchen-3ya.example");
        assert_eq!(dsn.target.unicode.as_deref(), Some("münchen.example"));
        // No user, an empty password: nothing to keep.
        let dsn = typed("smtp://alice:@host.example:587");
        assert!(dsn.password.is_none());
        assert_eq!(config(&dsn).user.as_deref(), Some("alice"));
    }

    #[test]
    fn notes_say_how_it_was_read() {
        let dsn = env("smtps://u@host.example?encryption=tls&local_domain=x&timeout=5");
        let c = config(&dsn);
        assert_eq!((c.port, c.security), (465, ConfigSecurity::Starttls));
        assert!(
            c.notes.iter().any(|n| n.starts_with(
                "encryption=tls overrides smtps:// (SSL/TLS (implicit TLS)): STARTTLS"
            )),
            "{:?}",
            c.notes
        );
        assert!(
            c.notes.iter().any(|n| n.contains("local_domain, timeout")),
            "{:?}",
            c.notes
        );
        assert!(
            c.notes.iter().any(|n| n.starts_with("no port given")),
            "{:?}",
            c.notes
        );
        let dsn = env("smtp://host.example:587?verify_peer=0");
        assert!(!config(&dsn).verify_peer);
        assert!(
            config(&dsn)
                .notes
                .iter()
                .any(|n| n.starts_with("verify_peer=0"))
        );
    }

    #[test]
    fn bad_forms() {
        let err = |text: &str| parse(text, ConfigOrigin::Target).unwrap_err();
        assert!(
            matches!(err("sendgrid+smtp://KEY@default"), TargetError::Scheme(s) if s == "sendgrid+smtp")
        );
        assert!(matches!(
            err("smtp://u@host.example:99999"),
            TargetError::Port(_)
        ));
        assert!(matches!(
            err("smtp://u@host.example:abc"),
            TargetError::Port(_)
        ));
        assert!(matches!(err("smtp://u@:587"), TargetError::Dsn(_)));
        assert!(matches!(err("smtp://u@"), TargetError::Dsn(_)));
        assert!(matches!(
            err("smtp://u@host.example/path"),
            TargetError::Dsn(_)
        ));
        assert!(matches!(
            err("smtp://u@host.example?encryption=maybe"),
            TargetError::Dsn(_)
        ));
        assert!(matches!(
            err("smtp://u@host.example?tls=perhaps"),
            TargetError::Dsn(_)
        ));
        let contradiction = err("smtp://u@host.example?encryption=ssl&tls=1").to_string();
        assert!(
            contradiction.contains("encryption=ssl and tls=1 contradict"),
            "{contradiction}"
        );
        assert!(matches!(
            err("smtp://u@host.example?ssl=1&ssl=0"),
            TargetError::Dsn(_)
        ));
        assert!(matches!(
            err("smtp://u@bad_host name"),
            TargetError::Name { .. }
        ));
        assert!(matches!(err("smtp://u@999.1.1.1"), TargetError::Ipv4(_)));
        // From the environment: not a URL, and errors name the variable.
        let e = parse("host.example:587", ConfigOrigin::Env("MAILER_DSN".into())).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("environment variable MAILER_DSN: "),
            "{e}"
        );
        let e = parse(
            "ftp://u:hunter2@host",
            ConfigOrigin::Env("MAILER_DSN".into()),
        )
        .unwrap_err();
        assert!(e.to_string().contains("\"ftp\""), "{e}");
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }

    #[test]
    fn a_password_on_the_command_line_is_refused_unseen() {
        for text in [
            "smtp://alice:hunter2-secret@smtp.example.com:587",
            "smtp://alice:hunter2-secret@bad host:99999",
            "smtps://alice:hunter2-secret@smtp.example.com?encryption=bogus",
            "submission://alice:hunter2-secret@",
        ] {
            let e = parse(text, ConfigOrigin::Target).unwrap_err();
            assert_eq!(e, TargetError::PasswordOnCommandLine, "{text}");
            let message = e.to_string();
            assert!(!message.contains("hunter2"), "{message}");
            assert!(message.contains("--dsn-env"), "{message}");
        }
        // A password with an unencoded '/': refused without taking part of it for the host.
        for origin in [ConfigOrigin::Target, ConfigOrigin::Env("X".into())] {
            let e = parse("smtp://alice:hun/ter2@smtp.example.com", origin).unwrap_err();
            assert!(
                matches!(&e, TargetError::Dsn(_) | TargetError::InVariable { .. }),
                "{e:?}"
            );
            assert!(!e.to_string().contains("ter2"), "{e}");
        }
    }
}
