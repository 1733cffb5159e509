//! Host names and ports in the text, turned into the check to run next: `smtp.office365.com:587`
//! in a log line, `connect to smtp.gmail.com port 465`, a Python address tuple
//! `('smtp.gmail.com', 465)`, Jakarta Mail's `host, port: smtp.gmail.com, 587`, a URL
//! `smtps://host`. Only what [`crate::target::parse`] accepts, and only what looks like a mail
//! server: a name with a port or an SMTP scheme, a name that says it is one (`smtp.`, `mail.`,
//! `mx1.`), or a name after words such as `host`, `server` or `ENOTFOUND`. The text is scrubbed
//! of secrets before it gets here.

use std::net::IpAddr;

use crate::target::{self, Host};

/// Most commands offered.
const MAX_COMMANDS: usize = 3;

/// Words shortly before a name that make it a server name.
const CONTEXT_WORDS: &[&str] = &[
    "host",
    "hostname",
    "server",
    "connect",
    "connecting",
    "enotfound",
    "eai_again",
    "getaddrinfo",
    "resolve",
    "unknownhostexception",
    "lookup",
];

/// Last labels that are file names in a stack trace, not top-level domains (`smtplib.py`).
const FILE_EXTENSIONS: &[&str] = &[
    "c", "h", "cc", "cpp", "cs", "py", "js", "mjs", "cjs", "ts", "java", "kt", "php", "rb", "dll",
    "exe", "log", "txt", "json", "xml", "html", "jar", "class", "cfg", "conf", "ini", "yml",
    "yaml", "toml", "env", "pem", "crt", "key", "lock", "vb",
];

/// One word of the text and where it is.
struct Token<'a> {
    text: &'a str,
    start: usize,
    end: usize,
}

/// A server found in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Server {
    /// `smtps://` or `smtp://` when the text had one.
    scheme: Option<String>,
    host: Host,
    port: Option<u16>,
}

impl Server {
    /// The target to type after `smtp-doctor check`.
    fn target(&self) -> String {
        let bracket = self.port.is_some() || self.scheme.is_some();
        let host = match &self.host {
            Host::Ip(IpAddr::V6(ip)) if bracket => format!("[{ip}]"),
            host => host.to_string(),
        };
        let scheme = self.scheme.as_deref().unwrap_or("");
        match self.port {
            Some(port) => format!("{scheme}{host}:{port}"),
            None => format!("{scheme}{host}"),
        }
    }
}

/// `smtp-doctor check ...` for each server the text names, in order, at most
/// [`MAX_COMMANDS`]; a server named with a port is not offered again without one.
pub(super) fn next_commands(text: &str) -> Vec<String> {
    let tokens = tokens(text);
    let mut servers: Vec<Server> = Vec::new();
    for k in 0..tokens.len() {
        let Some(server) = server_at(text, &tokens, k) else {
            continue;
        };
        if servers.contains(&server) {
            continue;
        }
        if server.port.is_some() {
            servers.retain(|s| !(s.host == server.host && s.port.is_none()));
        } else if servers.iter().any(|s| s.host == server.host) {
            continue;
        }
        servers.push(server);
    }
    servers
        .iter()
        .take(MAX_COMMANDS)
        .map(|s| format!("smtp-doctor check {}", s.target()))
        .collect()
}

/// The words of `text`: runs of characters that may make up a host, port or URL.
fn tokens(text: &str) -> Vec<Token<'_>> {
    let delimiter = |c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '"' | '\'' | '`' | '(' | ')' | '<' | '>' | ',' | ';' | '{' | '}' | '|' | '!' | '='
            )
    };
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
        match (start, delimiter(c)) {
            (None, false) => start = Some(i),
            (Some(s), true) => {
                out.push(Token {
                    text: &text[s..i],
                    start: s,
                    end: i,
                });
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// The server token `k` names, if it names one.
fn server_at(text: &str, tokens: &[Token<'_>], k: usize) -> Option<Server> {
    let (scheme, host_port) = host_part(tokens[k].text)?;
    let parsed = target::parse(&host_port).ok()?;
    if parsed.is_address() || parsed.config.is_some() {
        return None;
    }
    let port = parsed.port.or_else(|| port_after(text, tokens, k));
    let plausible = match &parsed.host {
        Host::Ip(_) => port.is_some() || scheme.is_some(),
        Host::Name(name) => {
            let typed = host_port.split(':').next().unwrap_or(&host_port);
            let local = name == "localhost" && port.is_some();
            (name.contains('.') || scheme.is_some() || local)
                && looks_like_a_domain(typed)
                && (port.is_some()
                    || scheme.is_some()
                    || mail_like(name)
                    || after_context(tokens, k))
        }
    };
    plausible.then_some(Server {
        scheme,
        host: parsed.host,
        port,
    })
}

/// The `host[:port]` of a token, and its scheme when it is an `smtp://` or `smtps://` URL:
/// without user information or path. `None` for other URLs and for e-mail addresses.
fn host_part(token: &str) -> Option<(Option<String>, String)> {
    let token = token.trim_end_matches(['.', ':', ';']);
    let (scheme, rest) = match token.split_once("://") {
        Some((scheme, rest)) => {
            let scheme = scheme.to_ascii_lowercase();
            if !scheme.starts_with("smtp") {
                return None;
            }
            let keep = matches!(scheme.as_str(), "smtp" | "smtps").then(|| format!("{scheme}://"));
            (keep, rest)
        }
        None => (None, token),
    };
    let rest = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let rest = match rest.rsplit_once('@') {
        // `user:secret@host` (scrubbed by now): the host. A bare `user@host` is an address.
        Some((userinfo, host)) if scheme.is_some() || userinfo.contains(':') => host,
        Some(_) => return None,
        None => rest,
    };
    let rest = rest.trim_end_matches(['.', ':']);
    let rest = match (rest.strip_prefix('['), rest.strip_suffix(']')) {
        (Some(inner), Some(_)) => inner.strip_suffix(']').unwrap_or(inner),
        (Some(inner), None) if !inner.contains("]:") => inner,
        (None, Some(inner)) => inner,
        _ => rest,
    };
    (!rest.is_empty()).then(|| (scheme, rest.to_string()))
}

/// A port written after the host: `host port 587`, `host on port 587`, `('host', 465)`,
/// `host, 587`.
fn port_after(text: &str, tokens: &[Token<'_>], k: usize) -> Option<u16> {
    let word = |n: usize| {
        tokens
            .get(n)
            .map(|t| t.text.trim_end_matches(':').to_ascii_lowercase())
    };
    let number = |n: usize| {
        tokens
            .get(n)
            .and_then(|t| t.text.trim_end_matches(['.', ':']).parse::<u16>().ok())
    };
    let port = if word(k + 1).as_deref() == Some("port") {
        number(k + 2)
    } else if word(k + 1).as_deref() == Some("on") && word(k + 2).as_deref() == Some("port") {
        number(k + 3)
    } else {
        let next = tokens.get(k + 1)?;
        let gap = &text[tokens[k].end..next.start];
        if gap.contains(',') {
            number(k + 1)
        } else {
            None
        }
    };
    port.filter(|p| *p > 0)
}

/// A name as typed that reads as a domain: its last label two letters or more, not a file
/// extension, not a CamelCase class name (`System.Net.Mail.SmtpException`).
fn looks_like_a_domain(typed: &str) -> bool {
    let Some(last) = typed.rsplit('.').next() else {
        return false;
    };
    let lower = last.to_ascii_lowercase();
    let camel = last.chars().any(|c| c.is_ascii_uppercase())
        && last.chars().any(|c| c.is_ascii_lowercase());
    (last.len() >= 2 || !typed.contains('.'))
        && last.chars().all(|c| c.is_alphabetic() || c == '-')
        && !FILE_EXTENSIONS.contains(&lower.as_str())
        && !camel
}

/// A name that says it is a mail server: its first label has `smtp`, `mail` or `mx` in it.
fn mail_like(name: &str) -> bool {
    let first = name.split('.').next().unwrap_or(name);
    ["smtp", "mail", "mx"].iter().any(|w| first.contains(w))
}

/// Whether one of the three tokens before `k` is a word such as `host` or `ENOTFOUND`
/// (`java.net.UnknownHostException:` counts by its last part).
fn after_context(tokens: &[Token<'_>], k: usize) -> bool {
    tokens[k.saturating_sub(3)..k].iter().any(|t| {
        let word = t
            .text
            .trim_matches(|c: char| !c.is_alphanumeric() && c != '_');
        let last = word.rsplit('.').next().unwrap_or(word).to_ascii_lowercase();
        CONTEXT_WORDS.contains(&last.as_str())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commands(text: &str) -> Vec<String> {
        next_commands(text)
            .into_iter()
            .map(|c| c.trim_start_matches("smtp-doctor check ").to_string())
            .collect()
    }

    #[test]
    fn hosts_and_ports_in_their_usual_forms() {
        assert_eq!(
            commands("connect to smtp.office365.com:587 failed"),
            ["smtp.office365.com:587"]
        );
        assert_eq!(
            commands("Failed to connect to smtp.gmail.com port 465 after 130 ms"),
            ["smtp.gmail.com:465"]
        );
        assert_eq!(
            commands("socket.create_connection(('smtp.gmail.com', 465))"),
            ["smtp.gmail.com:465"]
        );
        assert_eq!(
            commands(
                "MailConnectException: Couldn't connect to host, port: smtp.gmail.com, 587; timeout -1"
            ),
            ["smtp.gmail.com:587"]
        );
        assert_eq!(
            commands("Error: connect ETIMEDOUT 203.0.113.5:587"),
            ["203.0.113.5:587"]
        );
        assert_eq!(commands("connect ECONNREFUSED [::1]:465"), ["[::1]:465"]);
        assert_eq!(
            commands("getaddrinfo ENOTFOUND smtp.gmial.com"),
            ["smtp.gmial.com"]
        );
        assert_eq!(
            commands("java.net.UnknownHostException: relay.example.net"),
            ["relay.example.net"]
        );
        assert_eq!(
            commands("SMTP_URL=smtps://mail.example.com/"),
            ["smtps://mail.example.com"]
        );
        assert_eq!(
            commands("smtp://alice:***@mail.example.com:2525?tls=on"),
            ["smtp://mail.example.com:2525"]
        );
        assert_eq!(
            commands("mail.example.com said no; later mail.example.com:25 said no"),
            ["mail.example.com:25"]
        );
    }

    #[test]
    fn no_false_servers() {
        for text in [
            "System.Net.Mail.SmtpException: Failure sending mail.",
            "javax.mail.AuthenticationFailedException: 535 5.7.8",
            "File \"/usr/lib/python3.11/smtplib.py\", line 398, in getreply",
            "ssl.SSLError: [SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1129)",
            "Learn more at https://support.google.com/mail/?p=BadCredentials",
            "550-5.7.1 Invalid credentials for relay [203.0.113.5]",
            "From address is alice@example.com",
            "Visit aka.ms or example.com for more",
            "[BN9PR03CA0123.namprd03.prod.outlook.com]",
        ] {
            assert_eq!(commands(text), Vec::<String>::new(), "{text}");
        }
    }

    #[test]
    fn at_most_three() {
        let text = "smtp.a.example:25 smtp.b.example:25 smtp.c.example:25 smtp.d.example:25";
        assert_eq!(commands(text).len(), MAX_COMMANDS);
    }
}
