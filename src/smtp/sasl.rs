//! SMTP AUTH (RFC 4954), sans-IO: which mechanism to use, and the exchange of lines for
//! PLAIN (RFC 4616), LOGIN, CRAM-MD5 (RFC 2195), XOAUTH2 (Google's and Microsoft's bearer
//! token format) and OAUTHBEARER (RFC 7628).
//!
//! The caller sends [`Outgoing::line`] and shows only [`Outgoing::redacted`]; every line that
//! carries the secret, or something derived from it, has a redacted form.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;
use zeroize::Zeroizing;

use super::Reply;
use crate::secret::Secret;

/// What stands for a secret-bearing value in transcripts.
pub const REDACTED: &str = "<redacted>";

/// Longest server text decoded into an [`Outcome::Rejected`] detail.
const MAX_DETAIL_CHARS: usize = 1000;

/// Base64 as servers send it: the standard alphabet, padding optional (some servers drop it).
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A SASL mechanism the tool speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mechanism {
    /// PLAIN (RFC 4616): user and password in one base64 initial response.
    Plain,
    /// LOGIN: user and password in answer to two base64 prompts; not standardised but widely
    /// deployed (Microsoft's servers offer it, often alone).
    Login,
    /// CRAM-MD5 (RFC 2195): an HMAC-MD5 of a server challenge keyed with the password.
    CramMd5,
    /// XOAUTH2: user and OAuth 2 bearer token (Gmail, Microsoft 365).
    Xoauth2,
    /// OAUTHBEARER (RFC 7628): the standard form of the bearer token exchange.
    Oauthbearer,
}

/// What kind of secret the user supplied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CredentialKind {
    /// A password (PLAIN, LOGIN, CRAM-MD5).
    Password,
    /// An OAuth 2 bearer token (XOAUTH2, OAUTHBEARER).
    Token,
}

impl fmt::Display for CredentialKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CredentialKind::Password => "password",
            CredentialKind::Token => "OAuth 2 token",
        })
    }
}

impl Mechanism {
    /// Every mechanism, in the order [`Mechanism::name`]s are usually listed.
    pub const ALL: [Mechanism; 5] = [
        Mechanism::Plain,
        Mechanism::Login,
        Mechanism::CramMd5,
        Mechanism::Xoauth2,
        Mechanism::Oauthbearer,
    ];

    /// The name as sent in `AUTH` and advertised in EHLO.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::Login => "LOGIN",
            Mechanism::CramMd5 => "CRAM-MD5",
            Mechanism::Xoauth2 => "XOAUTH2",
            Mechanism::Oauthbearer => "OAUTHBEARER",
        }
    }

    /// The mechanism with this name, any case.
    pub fn from_name(name: &str) -> Option<Mechanism> {
        Mechanism::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(name))
    }

    /// The kind of secret it needs.
    pub fn credential(self) -> CredentialKind {
        match self {
            Mechanism::Plain | Mechanism::Login | Mechanism::CramMd5 => CredentialKind::Password,
            Mechanism::Xoauth2 | Mechanism::Oauthbearer => CredentialKind::Token,
        }
    }

    /// The mechanisms for this kind of secret, best first (see [`choose`] for why).
    pub fn preference(kind: CredentialKind) -> &'static [Mechanism] {
        match kind {
            CredentialKind::Password => &[Mechanism::Plain, Mechanism::Login, Mechanism::CramMd5],
            CredentialKind::Token => &[Mechanism::Xoauth2, Mechanism::Oauthbearer],
        }
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not one of [`Mechanism::ALL`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown mechanism {0:?}; known: PLAIN, LOGIN, CRAM-MD5, XOAUTH2, OAUTHBEARER")]
pub struct UnknownMechanism(pub String);

impl FromStr for Mechanism {
    type Err = UnknownMechanism;

    fn from_str(s: &str) -> Result<Mechanism, UnknownMechanism> {
        Mechanism::from_name(s).ok_or_else(|| UnknownMechanism(s.to_string()))
    }
}

/// Why no mechanism could be chosen.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChooseError {
    /// The forced mechanism is not among those the server offers.
    #[error("the server does not offer {forced}; it offers {}", list(offered))]
    NotOffered {
        /// The mechanism asked for.
        forced: Mechanism,
        /// What the server offered, as advertised.
        offered: Vec<String>,
    },
    /// None of the mechanisms for this kind of secret is offered.
    #[error(
        "the server offers no mechanism for {kind}s ({}); it offers {}",
        names(Mechanism::preference(*kind)),
        list(offered)
    )]
    NoCommon {
        /// The kind of secret supplied.
        kind: CredentialKind,
        /// What the server offered, as advertised.
        offered: Vec<String>,
    },
    /// The forced mechanism needs another kind of secret than the one supplied.
    #[error("{forced} is for {}s, not {kind}s", forced.credential())]
    WrongCredential {
        /// The mechanism asked for.
        forced: Mechanism,
        /// The kind of secret supplied.
        kind: CredentialKind,
    },
}

/// `offered` for a message: `PLAIN, LOGIN`, or `no mechanism at all`.
fn list(offered: &[String]) -> String {
    if offered.is_empty() {
        "no mechanism at all".to_string()
    } else {
        offered.join(", ")
    }
}

fn names(mechanisms: &[Mechanism]) -> String {
    let names: Vec<&str> = mechanisms.iter().map(|m| m.name()).collect();
    names.join(", ")
}

/// Picks the mechanism: `forced` when the server offers it, else the best one for the kind of
/// secret that the server offers. `offered` are the names from the EHLO `AUTH` keyword (any
/// case; unknown ones such as GSSAPI or SCRAM-SHA-256 are ignored).
///
/// Password order: PLAIN, then LOGIN, then CRAM-MD5. AUTH only ever runs inside TLS, so
/// CRAM-MD5's one advantage (the password does not cross the wire) buys nothing, while it
/// needs the server to keep a password equivalent, is switched off on many servers, and
/// rests on MD5. PLAIN is the standard one (RFC 4616) that every server with AUTH supports and
/// it needs one round trip; LOGIN is what some servers (Microsoft's) offer instead. Token
/// order: XOAUTH2, then OAUTHBEARER: XOAUTH2 is what Gmail and Microsoft 365 document, and
/// Microsoft does not offer OAUTHBEARER.
///
/// # Errors
///
/// [`ChooseError`] saying what the server offers instead.
pub fn choose(
    offered: &[String],
    kind: CredentialKind,
    forced: Option<Mechanism>,
) -> Result<Mechanism, ChooseError> {
    let is_offered = |m: Mechanism| offered.iter().any(|o| o.eq_ignore_ascii_case(m.name()));
    if let Some(forced) = forced {
        if forced.credential() != kind {
            return Err(ChooseError::WrongCredential { forced, kind });
        }
        if !is_offered(forced) {
            return Err(ChooseError::NotOffered {
                forced,
                offered: offered.to_vec(),
            });
        }
        return Ok(forced);
    }
    Mechanism::preference(kind)
        .iter()
        .copied()
        .find(|&m| is_offered(m))
        .ok_or_else(|| ChooseError::NoCommon {
            kind,
            offered: offered.to_vec(),
        })
}

/// [`choose`] for a connection that does not protect the secret (no TLS, or a certificate
/// that failed, with `--allow-plaintext-auth`): CRAM-MD5 first when offered, since it never
/// sends the password itself (RFC 2195), then PLAIN and LOGIN, which do.
///
/// # Errors
///
/// As [`choose`].
pub fn choose_in_clear(
    offered: &[String],
    kind: CredentialKind,
    forced: Option<Mechanism>,
) -> Result<Mechanism, ChooseError> {
    let cram = offered
        .iter()
        .any(|o| o.eq_ignore_ascii_case(Mechanism::CramMd5.name()));
    match (forced, kind) {
        (None, CredentialKind::Password) if cram => Ok(Mechanism::CramMd5),
        _ => choose(offered, kind, forced),
    }
}

/// A line to send (without CRLF) and the form of it that may be shown.
#[derive(Clone, PartialEq, Eq)]
pub struct Outgoing {
    line: Zeroizing<String>,
    redacted: String,
}

impl Outgoing {
    fn secret(line: String, redacted: impl Into<String>) -> Outgoing {
        Outgoing {
            line: Zeroizing::new(line),
            redacted: redacted.into(),
        }
    }

    fn public(line: &str) -> Outgoing {
        Outgoing {
            line: Zeroizing::new(line.to_string()),
            redacted: line.to_string(),
        }
    }

    /// The line to send, without CRLF. Never show it.
    pub fn line(&self) -> &str {
        &self.line
    }

    /// The line as transcripts show it: `AUTH PLAIN <redacted>`, `<redacted>`, `AUTH LOGIN`.
    pub fn redacted(&self) -> &str {
        &self.redacted
    }

    /// The bytes to write: the line and CRLF, wiped when dropped.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut bytes = Zeroizing::new(Vec::with_capacity(self.line.len() + 2));
        bytes.extend_from_slice(self.line.as_bytes());
        bytes.extend_from_slice(b"\r\n");
        bytes
    }
}

impl fmt::Debug for Outgoing {
    /// Shows the redacted form only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Outgoing").field(&self.redacted).finish()
    }
}

/// What the caller does next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Send this line, read the next reply and pass it to [`Exchange::on_reply`].
    Send(Outgoing),
    /// The exchange is over.
    Done(Outcome),
}

/// How an exchange ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// `235`: authenticated.
    Authenticated(Reply),
    /// The server refused (4xx or 5xx). This is the answer to "do these credentials work".
    Rejected {
        /// The final reply.
        reply: Reply,
        /// The error the server explained in a `334` before its final reply (XOAUTH2 and
        /// OAUTHBEARER send JSON such as `{"status":"401",...}`), decoded.
        detail: Option<String>,
    },
    /// The exchange broke: the server answered outside the protocol, or the tool cancelled
    /// (`*`) because it could not answer a challenge.
    Broken {
        /// The reply that ended it.
        reply: Reply,
        /// What went wrong, in one sentence.
        reason: String,
    },
}

/// A user name or secret that a mechanism cannot carry.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the {what} contains a character that {mechanism} cannot carry ({character})")]
pub struct Unencodable {
    /// `user name`, `password` or `token`.
    pub what: &'static str,
    /// The mechanism.
    pub mechanism: Mechanism,
    /// The character, described (`NUL`, `control-A`, ...).
    pub character: &'static str,
}

/// Where an exchange stands.
#[derive(Clone, Debug, PartialEq, Eq)]
enum State {
    /// PLAIN, XOAUTH2, OAUTHBEARER: the initial response went with the command.
    SentInitial,
    /// LOGIN: the command went; the next 334 asks for the user name.
    LoginUser,
    /// LOGIN: the user name went; the next 334 asks for the password.
    LoginPassword,
    /// LOGIN: the password went.
    LoginSent,
    /// CRAM-MD5: the command went; the next 334 is the challenge.
    CramChallenge,
    /// CRAM-MD5: the response went.
    CramSent,
    /// XOAUTH2 or OAUTHBEARER: the server explained an error in a 334 and the tool
    /// acknowledged it; the final reply comes next.
    ErrorAcknowledged(String),
    /// The tool sent `*` for this reason; the server's answer (501) comes next.
    Cancelled(String),
    /// An outcome was returned.
    Finished,
}

/// One AUTH exchange: [`Exchange::new`] gives the `AUTH` command, then each reply goes to
/// [`Exchange::on_reply`] until it says [`Step::Done`].
pub struct Exchange {
    mechanism: Mechanism,
    user: String,
    secret: Secret,
    state: State,
}

impl fmt::Debug for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Exchange")
            .field("mechanism", &self.mechanism)
            .field("user", &self.user)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl Exchange {
    /// Starts an exchange; the returned line is the `AUTH` command.
    ///
    /// # Errors
    ///
    /// [`Unencodable`] when the user name or secret holds a character the mechanism uses as a
    /// separator (NUL for PLAIN, control-A for the token mechanisms).
    pub fn new(
        mechanism: Mechanism,
        user: &str,
        secret: &Secret,
    ) -> Result<(Exchange, Outgoing), Unencodable> {
        Exchange::with_server(mechanism, user, secret, None)
    }

    /// Like [`Exchange::new`], with the server's host name and port, which OAUTHBEARER
    /// passes along (RFC 7628 section 3.1: optional, but some servers check them).
    ///
    /// # Errors
    ///
    /// As [`Exchange::new`].
    pub fn with_server(
        mechanism: Mechanism,
        user: &str,
        secret: &Secret,
        server: Option<(&str, u16)>,
    ) -> Result<(Exchange, Outgoing), Unencodable> {
        check_encodable(mechanism, user, secret)?;
        let value = secret.expose();
        let name = mechanism.name();
        let (state, first) = match mechanism {
            Mechanism::Plain => {
                // Empty authorization identity: act as the user itself.
                let payload = Zeroizing::new(format!("\0{user}\0{value}"));
                (State::SentInitial, initial(name, &payload))
            }
            Mechanism::Login => (State::LoginUser, Outgoing::public("AUTH LOGIN")),
            Mechanism::CramMd5 => (State::CramChallenge, Outgoing::public("AUTH CRAM-MD5")),
            Mechanism::Xoauth2 => {
                let payload = Zeroizing::new(format!("user={user}\x01auth=Bearer {value}\x01\x01"));
                (State::SentInitial, initial(name, &payload))
            }
            Mechanism::Oauthbearer => {
                // GS2 header: no channel binding, the user as authorisation identity (left
                // out when empty, RFC 5801 section 4).
                let authzid = if user.is_empty() {
                    String::new()
                } else {
                    format!("a={}", saslname(user))
                };
                let mut payload = Zeroizing::new(format!("n,{authzid},\x01"));
                if let Some((host, port)) = server {
                    payload.push_str(&format!("host={host}\x01port={port}\x01"));
                }
                payload.push_str(&format!("auth=Bearer {value}\x01\x01"));
                (State::SentInitial, initial(name, &payload))
            }
        };
        let exchange = Exchange {
            mechanism,
            user: user.to_string(),
            secret: secret.clone(),
            state,
        };
        Ok((exchange, first))
    }

    /// The mechanism in use.
    pub fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    /// Takes the server's reply to the last line sent and says what to do next.
    pub fn on_reply(&mut self, reply: &Reply) -> Step {
        let state = std::mem::replace(&mut self.state, State::Finished);
        if matches!(state, State::Finished) {
            // Over already: whatever comes now is out of protocol, whatever its code.
            return Step::Done(Outcome::Broken {
                reply: reply.clone(),
                reason: "a reply arrived after the exchange had ended".to_string(),
            });
        }
        if reply.code != 334 {
            return Step::Done(self.outcome(state, reply));
        }
        let text = reply.lines.first().map(String::as_str).unwrap_or_default();
        match state {
            State::LoginUser => {
                // LOGIN prompts (`Username:`, `Password:`) are answered by their order, not
                // their text: servers word and localise them freely.
                self.state = State::LoginPassword;
                Step::Send(Outgoing::secret(STANDARD.encode(&self.user), REDACTED))
            }
            State::LoginPassword => {
                self.state = State::LoginSent;
                let encoded = STANDARD.encode(self.secret.expose());
                Step::Send(Outgoing::secret(encoded, REDACTED))
            }
            State::CramChallenge => match self.cram_response(text) {
                Ok(response) => {
                    self.state = State::CramSent;
                    Step::Send(Outgoing::secret(response, REDACTED))
                }
                Err(reason) => self.cancel(reason),
            },
            State::SentInitial
                if matches!(self.mechanism, Mechanism::Xoauth2 | Mechanism::Oauthbearer) =>
            {
                // The server explains a refused token in a 334 and waits for the client
                // before its final reply: XOAUTH2 wants an empty line, OAUTHBEARER a single
                // control-A (RFC 7628 section 3.2.3).
                self.state = State::ErrorAcknowledged(decode_detail(text));
                let ack = match self.mechanism {
                    Mechanism::Oauthbearer => Outgoing::public(&STANDARD.encode("\x01")),
                    _ => Outgoing::public(""),
                };
                Step::Send(ack)
            }
            State::Cancelled(reason) => {
                // A server that challenges again after `*` is not following the protocol;
                // stop talking to it rather than loop.
                Step::Done(Outcome::Broken {
                    reply: reply.clone(),
                    reason,
                })
            }
            State::Finished => Step::Done(Outcome::Broken {
                reply: reply.clone(),
                reason: "a reply arrived after the exchange had ended".to_string(),
            }),
            State::SentInitial
            | State::LoginSent
            | State::CramSent
            | State::ErrorAcknowledged(_) => self.cancel(format!(
                "the server asked for more ({}) after {} had sent everything it has",
                reply, self.mechanism
            )),
        }
    }

    /// The outcome of a final (non-334) reply.
    fn outcome(&self, state: State, reply: &Reply) -> Outcome {
        let reply = reply.clone();
        if let State::Cancelled(reason) = state {
            return Outcome::Broken { reply, reason };
        }
        if reply.code == 235 {
            return Outcome::Authenticated(reply);
        }
        if reply.is_transient() || reply.is_permanent() {
            let detail = match state {
                State::ErrorAcknowledged(detail) => Some(detail),
                _ => None,
            };
            return Outcome::Rejected { reply, detail };
        }
        let reason = format!(
            "the server answered {} with {}, which is neither 235, 334 nor an error",
            self.mechanism, reply.code
        );
        Outcome::Broken { reply, reason }
    }

    /// Sends `*` to abandon the exchange (RFC 4954 section 4).
    fn cancel(&mut self, reason: String) -> Step {
        self.state = State::Cancelled(reason);
        Step::Send(Outgoing::public("*"))
    }

    /// The CRAM-MD5 response to a base64 challenge: base64 of `user hex(HMAC-MD5)`.
    fn cram_response(&self, challenge: &str) -> Result<String, String> {
        let challenge = LENIENT
            .decode(challenge.trim())
            .map_err(|e| format!("the CRAM-MD5 challenge is not base64 ({e})"))?;
        let digest = hmac_md5(self.secret.expose().as_bytes(), &challenge)
            .map_err(|e| format!("HMAC-MD5 is not available here ({e})"))?;
        let response = Zeroizing::new(format!("{} {}", self.user, hex::encode(digest)));
        Ok(STANDARD.encode(response.as_bytes()))
    }
}

/// `AUTH NAME <base64>` with its redacted form.
fn initial(name: &str, payload: &str) -> Outgoing {
    Outgoing::secret(
        format!("AUTH {name} {}", STANDARD.encode(payload)),
        format!("AUTH {name} {REDACTED}"),
    )
}

/// HMAC-MD5 (RFC 2104) through OpenSSL.
fn hmac_md5(key: &[u8], data: &[u8]) -> Result<Vec<u8>, openssl::error::ErrorStack> {
    let key = PKey::hmac(key)?;
    let mut signer = Signer::new(MessageDigest::md5(), &key)?;
    signer.update(data)?;
    signer.sign_to_vec()
}

/// A user name as a GS2 `saslname` (RFC 5801): `,` and `=` escaped.
fn saslname(user: &str) -> String {
    user.replace('=', "=3D").replace(',', "=2C")
}

/// The text of a 334 error explanation: decoded base64 (lossy UTF-8, trimmed, bounded), or
/// the text as sent when it is not base64.
fn decode_detail(text: &str) -> String {
    let decoded = match LENIENT.decode(text.trim()) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_string(),
        Err(_) => text.trim().to_string(),
    };
    decoded.chars().take(MAX_DETAIL_CHARS).collect()
}

/// Refuses user names and secrets that would break the mechanism's framing.
fn check_encodable(mechanism: Mechanism, user: &str, secret: &Secret) -> Result<(), Unencodable> {
    let secret_name = match mechanism.credential() {
        CredentialKind::Password => "password",
        CredentialKind::Token => "token",
    };
    let (separator, character) = match mechanism {
        Mechanism::Plain => ('\0', "NUL"),
        Mechanism::Xoauth2 | Mechanism::Oauthbearer => ('\x01', "control-A"),
        // LOGIN and CRAM-MD5 carry each value in its own base64 line.
        Mechanism::Login | Mechanism::CramMd5 => return Ok(()),
    };
    for (what, value) in [("user name", user), (secret_name, secret.expose())] {
        if value.contains(separator) {
            return Err(Unencodable {
                what,
                mechanism,
                character,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(code: u16, text: &str) -> Reply {
        Reply {
            code,
            enhanced: None,
            lines: vec![text.to_string()],
        }
    }

    fn secret(s: &str) -> Secret {
        Secret::new(s.to_string())
    }

    fn offered(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn send(step: Step) -> Outgoing {
        match step {
            Step::Send(line) => line,
            Step::Done(outcome) => panic!("expected a line, got {outcome:?}"),
        }
    }

    fn done(step: Step) -> Outcome {
        match step {
            Step::Done(outcome) => outcome,
            Step::Send(line) => panic!("expected an outcome, got {line:?}"),
        }
    }

    fn b64(text: &str) -> String {
        STANDARD.encode(text)
    }

    #[test]
    fn names_round_trip() {
        for m in Mechanism::ALL {
            assert_eq!(Mechanism::from_name(m.name()), Some(m));
            assert_eq!(m.name().to_lowercase().parse::<Mechanism>(), Ok(m));
        }
        assert_eq!(Mechanism::from_name("GSSAPI"), None);
        assert!("NTLM".parse::<Mechanism>().is_err());
    }

    #[test]
    fn choose_prefers_plain_then_login_then_cram() {
        let pw = CredentialKind::Password;
        let all = offered(&["CRAM-MD5", "LOGIN", "PLAIN", "XOAUTH2"]);
        assert_eq!(choose(&all, pw, None), Ok(Mechanism::Plain));
        let no_plain = offered(&["cram-md5", "login"]);
        assert_eq!(choose(&no_plain, pw, None), Ok(Mechanism::Login));
        let cram = offered(&["GSSAPI", "CRAM-MD5"]);
        assert_eq!(choose(&cram, pw, None), Ok(Mechanism::CramMd5));
    }

    #[test]
    fn choose_prefers_xoauth2_for_tokens() {
        let token = CredentialKind::Token;
        let both = offered(&["OAUTHBEARER", "XOAUTH2", "PLAIN"]);
        assert_eq!(choose(&both, token, None), Ok(Mechanism::Xoauth2));
        let bearer = offered(&["PLAIN", "OAUTHBEARER"]);
        assert_eq!(choose(&bearer, token, None), Ok(Mechanism::Oauthbearer));
    }

    #[test]
    fn choose_explains_what_is_offered() {
        let err = choose(
            &offered(&["LOGIN", "XOAUTH2"]),
            CredentialKind::Password,
            Some(Mechanism::CramMd5),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the server does not offer CRAM-MD5; it offers LOGIN, XOAUTH2"
        );
        let err = choose(&offered(&["PLAIN", "LOGIN"]), CredentialKind::Token, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the server offers no mechanism for OAuth 2 tokens (XOAUTH2, OAUTHBEARER); it \
             offers PLAIN, LOGIN"
        );
        let err = choose(&[], CredentialKind::Password, None).unwrap_err();
        assert!(
            err.to_string().ends_with("it offers no mechanism at all"),
            "{err}"
        );
        let err = choose(
            &offered(&["PLAIN"]),
            CredentialKind::Token,
            Some(Mechanism::Plain),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "PLAIN is for passwords, not OAuth 2 tokens"
        );
        assert_eq!(
            choose(
                &offered(&["plain", "login"]),
                CredentialKind::Password,
                Some(Mechanism::Login)
            ),
            Ok(Mechanism::Login)
        );
    }

    #[test]
    fn plain_rfc4616_vector() {
        // RFC 4616 section 4: authcid "tim", password "tanstaaftanstaaf", no authzid.
        let (mut ex, first) =
            Exchange::new(Mechanism::Plain, "tim", &secret("tanstaaftanstaaf")).unwrap();
        assert_eq!(first.line(), "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
        assert_eq!(first.redacted(), "AUTH PLAIN <redacted>");
        assert_eq!(
            first.to_bytes().as_slice(),
            b"AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n"
        );
        let ok = reply(235, "2.7.0 Authentication successful");
        assert_eq!(done(ex.on_reply(&ok)), Outcome::Authenticated(ok));
    }

    #[test]
    fn plain_rfc4954_vector_and_rejection() {
        // RFC 4954 section 8 uses "test"/"1234" (with authzid "test"; ours is empty).
        let (mut ex, first) = Exchange::new(Mechanism::Plain, "test", &secret("1234")).unwrap();
        assert_eq!(first.line(), "AUTH PLAIN AHRlc3QAMTIzNA==");
        let no = reply(535, "5.7.8 Authentication credentials invalid");
        assert_eq!(
            done(ex.on_reply(&no)),
            Outcome::Rejected {
                reply: no,
                detail: None
            }
        );
    }

    #[test]
    fn login_answers_prompts_by_order() {
        let (mut ex, first) =
            Exchange::new(Mechanism::Login, "tim", &secret("tanstaaftanstaaf")).unwrap();
        assert_eq!(first.line(), "AUTH LOGIN");
        assert_eq!(first.redacted(), "AUTH LOGIN");
        let user = send(ex.on_reply(&reply(334, "VXNlcm5hbWU6")));
        assert_eq!(user.line(), "dGlt");
        assert_eq!(user.redacted(), "<redacted>");
        // A localised, oddly worded prompt: still the password, by order.
        let pass = send(ex.on_reply(&reply(334, &b64("Mot de passe:"))));
        assert_eq!(pass.line(), "dGFuc3RhYWZ0YW5zdGFhZg==");
        assert_eq!(pass.redacted(), "<redacted>");
        let ok = reply(235, "2.7.0 Accepted");
        assert_eq!(done(ex.on_reply(&ok)), Outcome::Authenticated(ok));
    }

    #[test]
    fn login_third_prompt_cancels() {
        let (mut ex, _) = Exchange::new(Mechanism::Login, "u", &secret("p")).unwrap();
        send(ex.on_reply(&reply(334, "VXNlcm5hbWU6")));
        send(ex.on_reply(&reply(334, "UGFzc3dvcmQ6")));
        let cancel = send(ex.on_reply(&reply(334, "UGFzc3dvcmQ6")));
        assert_eq!(cancel.line(), "*");
        let outcome = done(ex.on_reply(&reply(501, "5.0.0 Authentication cancelled")));
        assert!(
            matches!(&outcome, Outcome::Broken { reason, .. } if reason.contains("asked for more")),
            "{outcome:?}"
        );
    }

    #[test]
    fn cram_md5_rfc2195_vector() {
        let (mut ex, first) =
            Exchange::new(Mechanism::CramMd5, "tim", &secret("tanstaaftanstaaf")).unwrap();
        assert_eq!(first.line(), "AUTH CRAM-MD5");
        let challenge = "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+";
        assert_eq!(
            LENIENT.decode(challenge).unwrap(),
            b"<1896.697170952@postoffice.reston.mci.net>"
        );
        let response = send(ex.on_reply(&reply(334, challenge)));
        assert_eq!(
            response.line(),
            "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"
        );
        assert_eq!(
            LENIENT.decode(response.line()).unwrap(),
            b"tim b913a602c7eda7a495b4e6e7334d3890"
        );
        assert_eq!(response.redacted(), "<redacted>");
        let ok = reply(235, "2.7.0 Authentication successful");
        assert_eq!(done(ex.on_reply(&ok)), Outcome::Authenticated(ok));
    }

    #[test]
    fn cram_md5_bad_challenge_cancels() {
        let (mut ex, _) = Exchange::new(Mechanism::CramMd5, "tim", &secret("x")).unwrap();
        let cancel = send(ex.on_reply(&reply(334, "not base64!")));
        assert_eq!(cancel.line(), "*");
        let answer = reply(501, "5.0.0 Authentication cancelled");
        match done(ex.on_reply(&answer)) {
            Outcome::Broken { reply, reason } => {
                assert_eq!(reply, answer);
                assert!(reason.contains("not base64"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn xoauth2_format_and_error_dance() {
        // The example from Google's XOAUTH2 protocol documentation.
        let token = secret("ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg");
        let (mut ex, first) =
            Exchange::new(Mechanism::Xoauth2, "someuser@example.com", &token).unwrap();
        assert_eq!(
            first.line(),
            "AUTH XOAUTH2 dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk\
             52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ=="
        );
        assert_eq!(first.redacted(), "AUTH XOAUTH2 <redacted>");
        // Gmail's answer to a bad token: JSON in a 334, then the final reply after an empty
        // line from the client.
        let json = r#"{"status":"401","schemes":"bearer mac","scope":"https://mail.google.com/"}"#;
        let ack = send(ex.on_reply(&reply(334, &b64(&format!("{json}\n")))));
        assert_eq!(ack.line(), "");
        assert_eq!(ack.redacted(), "");
        let no = reply(535, "5.7.8 Username and Password not accepted.");
        assert_eq!(
            done(ex.on_reply(&no)),
            Outcome::Rejected {
                reply: no,
                detail: Some(json.to_string())
            }
        );
    }

    #[test]
    fn xoauth2_success() {
        let (mut ex, _) =
            Exchange::new(Mechanism::Xoauth2, "u@example.com", &secret("tok")).unwrap();
        let ok = reply(235, "2.7.0 Accepted");
        assert_eq!(done(ex.on_reply(&ok)), Outcome::Authenticated(ok));
    }

    #[test]
    fn oauthbearer_rfc7628_vector() {
        // RFC 7628 section 4.1, the client's initial response.
        let token = secret("vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==");
        let (mut ex, first) = Exchange::with_server(
            Mechanism::Oauthbearer,
            "user@example.com",
            &token,
            Some(("server.example.com", 143)),
        )
        .unwrap();
        let encoded = first.line().strip_prefix("AUTH OAUTHBEARER ").unwrap();
        assert_eq!(
            LENIENT.decode(encoded).unwrap(),
            b"n,a=user@example.com,\x01host=server.example.com\x01port=143\x01\
              auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01"
        );
        assert_eq!(first.redacted(), "AUTH OAUTHBEARER <redacted>");
        // RFC 7628 section 4.3: a failure is explained in a 334 and acknowledged with ^A.
        let json = r#"{"status":"invalid_token","scope":"example_scope","openid-configuration":"https://example.com/.well-known/openid-configuration"}"#;
        let ack = send(ex.on_reply(&reply(334, &b64(json))));
        assert_eq!(ack.line(), "AQ==");
        let no = reply(535, "5.7.8 Authentication credentials invalid");
        assert_eq!(
            done(ex.on_reply(&no)),
            Outcome::Rejected {
                reply: no,
                detail: Some(json.to_string())
            }
        );
    }

    #[test]
    fn oauthbearer_without_server_escapes_the_user() {
        let (_, first) = Exchange::new(Mechanism::Oauthbearer, "a,b=c", &secret("t")).unwrap();
        let encoded = first.line().strip_prefix("AUTH OAUTHBEARER ").unwrap();
        assert_eq!(
            LENIENT.decode(encoded).unwrap(),
            b"n,a=a=2Cb=3Dc,\x01auth=Bearer t\x01\x01"
        );
        let (_, first) = Exchange::new(Mechanism::Oauthbearer, "", &secret("t")).unwrap();
        let encoded = first.line().strip_prefix("AUTH OAUTHBEARER ").unwrap();
        assert_eq!(
            LENIENT.decode(encoded).unwrap(),
            b"n,,\x01auth=Bearer t\x01\x01"
        );
    }

    #[test]
    fn separators_are_refused() {
        let err = Exchange::new(Mechanism::Plain, "tim", &secret("a\0b")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the password contains a character that PLAIN cannot carry (NUL)"
        );
        let err = Exchange::new(Mechanism::Xoauth2, "t\x01m", &secret("tok")).unwrap_err();
        assert_eq!(err.what, "user name");
        assert!(Exchange::new(Mechanism::Login, "tim", &secret("a\0b")).is_ok());
    }

    #[test]
    fn temporary_failure_and_odd_replies() {
        let (mut ex, _) = Exchange::new(Mechanism::Plain, "u", &secret("p")).unwrap();
        let busy = reply(454, "4.7.0 Temporary authentication failure");
        assert!(matches!(done(ex.on_reply(&busy)), Outcome::Rejected { .. }));
        // A reply after the end never panics or loops: it is out of protocol.
        assert!(matches!(done(ex.on_reply(&busy)), Outcome::Broken { .. }));
        assert!(matches!(
            done(ex.on_reply(&reply(334, ""))),
            Outcome::Broken { .. }
        ));

        let (mut ex, _) = Exchange::new(Mechanism::Plain, "u", &secret("p")).unwrap();
        assert!(matches!(
            done(ex.on_reply(&reply(250, "OK"))),
            Outcome::Broken { .. }
        ));

        // PLAIN sent everything in the command: a 334 after it is cancelled.
        let (mut ex, _) = Exchange::new(Mechanism::Plain, "u", &secret("p")).unwrap();
        assert_eq!(send(ex.on_reply(&reply(334, ""))).line(), "*");
        // A server that challenges again after `*` ends the exchange.
        assert!(matches!(
            done(ex.on_reply(&reply(334, ""))),
            Outcome::Broken { .. }
        ));
    }

    #[test]
    fn debug_never_shows_secrets() {
        let (ex, first) =
            Exchange::new(Mechanism::Plain, "tim", &secret("tanstaaftanstaaf")).unwrap();
        let shown = format!("{ex:?} {first:?}");
        assert!(!shown.contains("tanstaaf"), "{shown}");
        assert!(!shown.contains("AHRpbQB0YW5zdGFhZnRhbnN0YWFm"), "{shown}");
    }

    #[test]
    fn in_clear_cram_md5_comes_first() {
        let offered: Vec<String> = ["PLAIN", "LOGIN", "CRAM-MD5"]
            .iter()
            .map(|s| (*s).to_string())
            .collect();
        let pw = CredentialKind::Password;
        assert_eq!(choose(&offered, pw, None), Ok(Mechanism::Plain));
        assert_eq!(choose_in_clear(&offered, pw, None), Ok(Mechanism::CramMd5));
        // Forced stays forced; without CRAM-MD5 the usual order.
        assert_eq!(
            choose_in_clear(&offered, pw, Some(Mechanism::Login)),
            Ok(Mechanism::Login)
        );
        let plain_only = vec!["PLAIN".to_string(), "LOGIN".to_string()];
        assert_eq!(choose_in_clear(&plain_only, pw, None), Ok(Mechanism::Plain));
    }

    /// Found by the `sasl` fuzz target: after the exchange ended (a second extra LOGIN prompt
    /// after `*`), a final 501 was taken for the login's refusal.
    #[test]
    fn a_reply_after_the_end_is_out_of_protocol_whatever_its_code() {
        let (mut ex, _) = Exchange::new(Mechanism::Login, "tim", &secret("pw")).unwrap();
        let r = |code: u16, text: &str| Reply {
            code,
            enhanced: None,
            lines: vec![text.to_string()],
        };
        assert!(matches!(
            ex.on_reply(&r(334, "VXNlcm5hbWU6")),
            Step::Send(_)
        ));
        assert!(matches!(
            ex.on_reply(&r(334, "UGFzc3dvcmQ6")),
            Step::Send(_)
        ));
        // A third prompt: the client cancels with `*`.
        assert!(matches!(ex.on_reply(&r(334, "again")), Step::Send(_)));
        // Another prompt after `*`: broken, and over.
        assert!(matches!(
            ex.on_reply(&r(334, "more")),
            Step::Done(Outcome::Broken { .. })
        ));
        assert!(matches!(
            ex.on_reply(&r(501, "5.5.2 cancelled")),
            Step::Done(Outcome::Broken { .. })
        ));
    }
}
