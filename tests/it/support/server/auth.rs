//! AUTH in the test server (RFC 4954): the offered mechanisms, the credentials it knows, and
//! each exchange as a real server runs it: PLAIN with or without an initial response, LOGIN
//! prompts, CRAM-MD5 with a fresh challenge and a real HMAC-MD5 check, XOAUTH2 and
//! OAUTHBEARER with their `334` error explanation before the final reply.

use std::io;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;
use tokio::io::{AsyncRead, AsyncWrite};

use super::{Answer, Conn, Flow, Line, LineBuf, Session, Shared, record, reply1, write_bounded};

/// The error Gmail explains a refused XOAUTH2 token with.
const XOAUTH2_ERROR: &str =
    r#"{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}"#;
/// The error RFC 7628 section 4.3 explains a refused OAUTHBEARER token with.
const OAUTHBEARER_ERROR: &str = r#"{"status":"invalid_token","scope":"mail","openid-configuration":"https://auth.mail.test/.well-known/openid-configuration"}"#;

/// Base64 as clients send it: padding optional.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// How the server does AUTH. Built from [`Auth::new`].
#[derive(Clone, Debug)]
pub struct Auth {
    /// Mechanisms advertised in the EHLO `AUTH` line, in order (also the only ones accepted).
    pub mechanisms: Vec<String>,
    /// Also advertise and accept AUTH before TLS.
    pub before_tls: bool,
    /// Accepted user and password pairs (PLAIN, LOGIN, CRAM-MD5).
    pub passwords: Vec<(String, String)>,
    /// Accepted user and token pairs (XOAUTH2, OAUTHBEARER).
    pub tokens: Vec<(String, String)>,
    /// The reply to good credentials.
    pub success: Answer,
    /// The reply to bad credentials.
    pub failure: Answer,
    /// When set, every attempt gets this reply, good credentials or not (a provider that
    /// switched AUTH off for the account, say).
    pub reject_all: Option<Answer>,
    /// The reply to AUTH before TLS when [`Auth::before_tls`] is off.
    pub plaintext: Answer,
}

impl Auth {
    /// All five mechanisms offered inside TLS only, no known credentials, Postfix-like
    /// replies (`235 2.7.0`, `535 5.7.8`, `530 5.7.0 Must issue a STARTTLS command first`).
    pub fn new() -> Auth {
        Auth {
            mechanisms: ["PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2", "OAUTHBEARER"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            before_tls: false,
            passwords: Vec::new(),
            tokens: Vec::new(),
            success: Answer::new(235, &["2.7.0 Authentication successful"]),
            failure: Answer::new(535, &["5.7.8 Error: authentication failed"]),
            reject_all: None,
            plaintext: Answer::new(530, &["5.7.0 Must issue a STARTTLS command first"]),
        }
    }

    /// Offer these mechanisms (names as advertised; an empty list means no `AUTH` line).
    pub fn mechanisms(mut self, names: &[&str]) -> Auth {
        self.mechanisms = names.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Also offer and accept AUTH on the plain connection.
    pub fn before_tls(mut self) -> Auth {
        self.before_tls = true;
        self
    }

    /// Accept this user and password.
    pub fn password(mut self, user: &str, password: &str) -> Auth {
        self.passwords
            .push((user.to_string(), password.to_string()));
        self
    }

    /// Accept this user and bearer token.
    pub fn token(mut self, user: &str, token: &str) -> Auth {
        self.tokens.push((user.to_string(), token.to_string()));
        self
    }

    /// Answer bad credentials with this reply, e.g.
    /// `(534, &["5.7.9 Application-specific password required."])`.
    pub fn failure(mut self, code: u16, lines: &[&str]) -> Auth {
        self.failure = Answer::new(code, lines);
        self
    }

    /// Answer every attempt with this reply, whatever the credentials, e.g.
    /// `(535, &["5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled
    /// for the Tenant."])`.
    pub fn reject_all(mut self, code: u16, lines: &[&str]) -> Auth {
        self.reject_all = Some(Answer::new(code, lines));
        self
    }

    /// Answer AUTH before TLS with this reply (when not [`Auth::before_tls`]).
    pub fn plaintext_reply(mut self, code: u16, lines: &[&str]) -> Auth {
        self.plaintext = Answer::new(code, lines);
        self
    }

    /// The EHLO line for this part of the connection, if any.
    pub(super) fn ehlo_line(&self, tls: bool) -> Option<String> {
        let offered = (tls || self.before_tls) && !self.mechanisms.is_empty();
        offered.then(|| format!("AUTH {}", self.mechanisms.join(" ")))
    }

    fn offers(&self, mechanism: &str) -> bool {
        self.mechanisms
            .iter()
            .any(|m| m.eq_ignore_ascii_case(mechanism))
    }

    fn password_ok(&self, user: &str, password: &str) -> bool {
        self.passwords
            .iter()
            .any(|(u, p)| u == user && p == password)
    }

    fn token_ok(&self, user: &str, token: &str) -> bool {
        self.tokens.iter().any(|(u, t)| u == user && t == token)
    }
}

impl Default for Auth {
    fn default() -> Auth {
        Auth::new()
    }
}

/// One AUTH exchange the server took part in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthAttempt {
    /// Inside TLS.
    pub tls: bool,
    /// The mechanism, upper-cased.
    pub mechanism: String,
    /// The user the client authenticated as, when it got that far.
    pub user: Option<String>,
    /// The server answered with its success reply.
    pub success: bool,
    /// The code of the final reply.
    pub code: u16,
    /// OAUTHBEARER's `host` and `port` fields, when sent.
    pub oauth_host: Option<String>,
    /// OAUTHBEARER's `port` field, when sent.
    pub oauth_port: Option<String>,
}

/// `AUTH ...` or `AUTH=...` (the old form), any case.
pub(super) fn is_auth_keyword(keyword: &str) -> bool {
    let upper = keyword.to_ascii_uppercase();
    upper == "AUTH" || upper.starts_with("AUTH ") || upper.starts_with("AUTH=")
}

/// How a mechanism's exchange ended, before the final reply.
enum Verdict {
    /// The client gave credentials (`user`, when it got that far) and they are `ok` or not.
    Checked {
        user: Option<String>,
        ok: bool,
        oauth: Oauth,
    },
    /// The client sent `*`.
    Cancelled { user: Option<String> },
    /// The client sent something that is not the mechanism's format.
    Malformed { user: Option<String> },
    /// The client went away.
    Gone,
}

/// OAUTHBEARER's optional fields.
#[derive(Default)]
struct Oauth {
    host: Option<String>,
    port: Option<String>,
}

/// The client side of the connection, for the length of one exchange.
struct Peer<'a, S> {
    stream: &'a mut S,
    buf: &'a mut LineBuf,
    tls: bool,
    session: &'a Mutex<Session>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Peer<'_, S> {
    /// Sends `334 text` and reads the client's response line (`None`: it went away).
    async fn ask(&mut self, text: &str) -> io::Result<Option<String>> {
        write_bounded(self.stream, &reply1(334, text)).await?;
        match self.buf.read_line(self.stream).await? {
            Line::Text(line) => {
                record(self.session, self.tls, &line, false);
                Ok(Some(line))
            }
            Line::Eof | Line::TooLong => Ok(None),
        }
    }

    /// The initial response if the client sent one, else the answer to an empty `334`.
    async fn first(&mut self, initial: Option<&str>) -> io::Result<Option<String>> {
        match initial {
            // "=" is an empty initial response (RFC 4954 section 4).
            Some("=") => Ok(Some(String::new())),
            Some(text) => Ok(Some(text.to_string())),
            None => self.ask("").await,
        }
    }
}

/// Runs one `AUTH` command (`line`) to its final reply.
#[expect(
    clippy::too_many_lines,
    reason = "the test server's SMTP state machine: one arm per command"
)]
pub(super) async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    buf: &mut LineBuf,
    tls: bool,
    line: &str,
    conn: &mut Conn,
    shared: &Shared,
    session: &Mutex<Session>,
) -> io::Result<Flow> {
    let Some(auth) = shared.scenario.auth.as_ref() else {
        write_bounded(stream, &reply1(503, "5.5.1 Not in this test server")).await?;
        return Ok(Flow::Continue);
    };
    let mut words = line.split_whitespace().skip(1);
    let mechanism = words.next().unwrap_or_default().to_ascii_uppercase();
    let initial = words.next();
    let refusal = if !tls && !auth.before_tls {
        Some(auth.plaintext.to_bytes())
    } else if conn.authenticated {
        Some(reply1(503, "5.5.1 Already authenticated"))
    } else if conn.envelope.is_some() {
        Some(reply1(
            503,
            "5.5.1 AUTH not allowed during a mail transaction",
        ))
    } else if mechanism.is_empty() {
        Some(reply1(501, "5.5.4 Syntax: AUTH mechanism"))
    } else if !auth.offers(&mechanism) {
        Some(reply1(504, "5.5.4 Unrecognized authentication type"))
    } else {
        None
    };
    if let Some(refusal) = refusal {
        write_bounded(stream, &refusal).await?;
        return Ok(Flow::Continue);
    }
    let mut peer = Peer {
        stream,
        buf,
        tls,
        session,
    };
    let verdict = match mechanism.as_str() {
        "PLAIN" => plain(&mut peer, auth, initial).await?,
        "LOGIN" => login(&mut peer, auth, initial).await?,
        "CRAM-MD5" if initial.is_none() => {
            cram_md5(&mut peer, auth, &shared.scenario.ehlo_domain).await?
        }
        // CRAM-MD5 has no initial response (RFC 2195).
        "CRAM-MD5" => Verdict::Malformed { user: None },
        "XOAUTH2" => xoauth2(&mut peer, auth, initial).await?,
        "OAUTHBEARER" => oauthbearer(&mut peer, auth, initial).await?,
        _ => {
            // Offered on purpose (to see what a client does with it) but not spoken here.
            write_bounded(peer.stream, &reply1(504, "5.5.4 Mechanism not available")).await?;
            return Ok(Flow::Continue);
        }
    };
    let (user, answer, success, oauth) = match verdict {
        Verdict::Gone => return Ok(Flow::Close),
        Verdict::Checked { user, ok, oauth } => match (&auth.reject_all, ok) {
            (Some(all), _) => (user, all.clone(), false, oauth),
            (None, true) => (user, auth.success.clone(), true, oauth),
            (None, false) => (user, auth.failure.clone(), false, oauth),
        },
        Verdict::Cancelled { user } => (
            user,
            Answer::new(501, &["5.0.0 Authentication cancelled"]),
            false,
            Oauth::default(),
        ),
        Verdict::Malformed { user } => (
            user,
            Answer::new(501, &["5.5.2 Cannot decode response"]),
            false,
            Oauth::default(),
        ),
    };
    conn.authenticated = success;
    session
        .lock()
        .expect("session")
        .auth_attempts
        .push(AuthAttempt {
            tls,
            mechanism,
            user,
            success,
            code: answer.code,
            oauth_host: oauth.host,
            oauth_port: oauth.port,
        });
    write_bounded(peer.stream, &answer.to_bytes()).await?;
    Ok(Flow::Continue)
}

/// Decodes a response line as base64 text; `None` when it is not.
fn decode(response: &str) -> Option<String> {
    let bytes = LENIENT.decode(response.trim()).ok()?;
    String::from_utf8(bytes).ok()
}

async fn plain<S: AsyncRead + AsyncWrite + Unpin>(
    peer: &mut Peer<'_, S>,
    auth: &Auth,
    initial: Option<&str>,
) -> io::Result<Verdict> {
    let Some(response) = peer.first(initial).await? else {
        return Ok(Verdict::Gone);
    };
    if response == "*" {
        return Ok(Verdict::Cancelled { user: None });
    }
    let Some(text) = decode(&response) else {
        return Ok(Verdict::Malformed { user: None });
    };
    // authzid NUL authcid NUL passwd (RFC 4616 section 2).
    let parts: Vec<&str> = text.split('\0').collect();
    let [authzid, authcid, password] = parts.as_slice() else {
        return Ok(Verdict::Malformed { user: None });
    };
    let ok = (authzid.is_empty() || authzid == authcid) && auth.password_ok(authcid, password);
    Ok(Verdict::Checked {
        user: Some(authcid.to_string()),
        ok,
        oauth: Oauth::default(),
    })
}

async fn login<S: AsyncRead + AsyncWrite + Unpin>(
    peer: &mut Peer<'_, S>,
    auth: &Auth,
    initial: Option<&str>,
) -> io::Result<Verdict> {
    let user_line = match initial {
        Some(text) => Some(text.to_string()),
        None => peer.ask("VXNlcm5hbWU6").await?, // "Username:"
    };
    let Some(user_line) = user_line else {
        return Ok(Verdict::Gone);
    };
    if user_line == "*" {
        return Ok(Verdict::Cancelled { user: None });
    }
    let Some(user) = decode(&user_line) else {
        return Ok(Verdict::Malformed { user: None });
    };
    let Some(password_line) = peer.ask("UGFzc3dvcmQ6").await? else {
        // "Password:"
        return Ok(Verdict::Gone);
    };
    if password_line == "*" {
        return Ok(Verdict::Cancelled { user: Some(user) });
    }
    let Some(password) = decode(&password_line) else {
        return Ok(Verdict::Malformed { user: Some(user) });
    };
    let ok = auth.password_ok(&user, &password);
    Ok(Verdict::Checked {
        user: Some(user),
        ok,
        oauth: Oauth::default(),
    })
}

async fn cram_md5<S: AsyncRead + AsyncWrite + Unpin>(
    peer: &mut Peer<'_, S>,
    auth: &Auth,
    domain: &str,
) -> io::Result<Verdict> {
    // RFC 2195 section 2: a unique msg-id style challenge.
    let mut random = [0u8; 4];
    openssl::rand::rand_bytes(&mut random).expect("random bytes");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let challenge = format!("<{}.{now}@{domain}>", u32::from_be_bytes(random));
    let Some(response) = peer.ask(&STANDARD.encode(&challenge)).await? else {
        return Ok(Verdict::Gone);
    };
    if response == "*" {
        return Ok(Verdict::Cancelled { user: None });
    }
    let Some((user, digest)) = decode(&response)
        .as_deref()
        .and_then(|text| text.rsplit_once(' '))
        .map(|(u, d)| (u.to_string(), d.to_ascii_lowercase()))
    else {
        return Ok(Verdict::Malformed { user: None });
    };
    let ok = auth
        .passwords
        .iter()
        .any(|(u, p)| *u == user && hmac_md5_hex(p, &challenge) == digest);
    Ok(Verdict::Checked {
        user: Some(user),
        ok,
        oauth: Oauth::default(),
    })
}

/// The lower-case hex HMAC-MD5 of `data` keyed with `key`.
pub fn hmac_md5_hex(key: &str, data: &str) -> String {
    let key = PKey::hmac(key.as_bytes()).expect("HMAC key");
    let mut signer = Signer::new(MessageDigest::md5(), &key).expect("HMAC-MD5");
    signer.update(data.as_bytes()).expect("HMAC update");
    hex::encode(signer.sign_to_vec().expect("HMAC sign"))
}

async fn xoauth2<S: AsyncRead + AsyncWrite + Unpin>(
    peer: &mut Peer<'_, S>,
    auth: &Auth,
    initial: Option<&str>,
) -> io::Result<Verdict> {
    let Some(response) = peer.first(initial).await? else {
        return Ok(Verdict::Gone);
    };
    if response == "*" {
        return Ok(Verdict::Cancelled { user: None });
    }
    // user=NAME ^A auth=Bearer TOKEN ^A ^A
    let parsed = decode(&response).and_then(|text| {
        let body = text.strip_suffix("\x01\x01")?.to_string();
        let (user, auth) = body.split_once('\x01')?;
        let user = user.strip_prefix("user=")?.to_string();
        let token = auth.strip_prefix("auth=Bearer ")?.to_string();
        Some((user, token))
    });
    let Some((user, token)) = parsed else {
        return Ok(Verdict::Malformed { user: None });
    };
    token_verdict(peer, auth, user, &token, XOAUTH2_ERROR, Oauth::default()).await
}

async fn oauthbearer<S: AsyncRead + AsyncWrite + Unpin>(
    peer: &mut Peer<'_, S>,
    auth: &Auth,
    initial: Option<&str>,
) -> io::Result<Verdict> {
    let Some(response) = peer.first(initial).await? else {
        return Ok(Verdict::Gone);
    };
    if response == "*" {
        return Ok(Verdict::Cancelled { user: None });
    }
    let Some((user, token, oauth)) = decode(&response).and_then(|text| parse_oauthbearer(&text))
    else {
        return Ok(Verdict::Malformed { user: None });
    };
    let user = user.unwrap_or_default();
    token_verdict(peer, auth, user, &token, OAUTHBEARER_ERROR, oauth).await
}

/// RFC 7628 section 3.1: `gs2-header ^A *(key=value ^A) ^A`, the gs2 header `n,a=USER,`.
/// Returns the user (when given), the bearer token and the host and port fields.
fn parse_oauthbearer(text: &str) -> Option<(Option<String>, String, Oauth)> {
    let body = text.strip_suffix("\x01\x01")?;
    let (gs2, pairs) = body.split_once('\x01')?;
    // Channel binding flag `n` (or `y`), authzid, then an empty field.
    let mut gs2_fields = gs2.split(',');
    if !matches!(gs2_fields.next()?, "n" | "y") {
        return None;
    }
    let authzid = gs2_fields.next()?;
    if !gs2_fields.next()?.is_empty() || gs2_fields.next().is_some() {
        return None;
    }
    let user = match authzid {
        "" => None,
        a => Some(
            a.strip_prefix("a=")?
                .replace("=2C", ",")
                .replace("=3D", "="),
        ),
    };
    let mut token = None;
    let mut oauth = Oauth::default();
    for pair in pairs.split('\x01') {
        let (key, value) = pair.split_once('=')?;
        match key {
            "auth" => token = Some(value.strip_prefix("Bearer ")?.to_string()),
            "host" => oauth.host = Some(value.to_string()),
            "port" => oauth.port = Some(value.to_string()),
            _ => {}
        }
    }
    Some((user, token?, oauth))
}

/// Checks a token; a bad one is explained in a `334` with JSON, and the client's answer to
/// it (an empty line for XOAUTH2, `^A` for OAUTHBEARER) is read before the final reply.
async fn token_verdict<S: AsyncRead + AsyncWrite + Unpin>(
    peer: &mut Peer<'_, S>,
    auth: &Auth,
    user: String,
    token: &str,
    error_json: &str,
    oauth: Oauth,
) -> io::Result<Verdict> {
    let ok = auth.token_ok(&user, token);
    if !ok && auth.reject_all.is_none() && peer.ask(&STANDARD.encode(error_json)).await?.is_none() {
        return Ok(Verdict::Gone);
    }
    Ok(Verdict::Checked {
        user: Some(user),
        ok,
        oauth,
    })
}
