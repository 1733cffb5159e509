//! Verdicts on the credential check and the test message: what a server's reply to AUTH,
//! MAIL, RCPT or DATA means and what to do, and the findings. Pure functions, no I/O.
//!
//! A reply is explained, most specific knowledge first: the provider's own entry (from
//! providers.toml, when a preset applies), then the replies this module knows by their text
//! (those in the providers facts: Gmail's app password, Microsoft 365's SMTP AUTH switch,
//! Send As, unverified sender identities, ...), then the meaning of the code and enhanced
//! code (RFC 4954 for AUTH, RFC 3463 and RFC 5321 for the transaction), then the class.

use crate::model::{
    AuthAttempt, AuthOutcome, CredentialCheck, Explanation, Security, SendAttempt, SendCommand,
    SendOutcome,
};
use crate::smtp::Reply;
use crate::smtp::sasl::CredentialKind;

use super::{Finding, FindingId, Severity};

/// Longest reply text quoted in a finding; servers may send kilobytes.
const MAX_QUOTE: usize = 300;

/// What a provider's catalogue says about a reply, when a preset applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderReply {
    /// The provider's name, e.g. `Gmail / Google Workspace`.
    pub provider: String,
    /// What the reply means.
    pub meaning: String,
    /// What to do.
    pub advice: String,
}

/// Where a known reply is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// In answer to AUTH.
    Auth,
    /// In answer to MAIL, RCPT, DATA or the message.
    Send,
    /// Either.
    Any,
}

/// A reply recognised by its code, enhanced code and words.
struct Known {
    code: u16,
    /// `5.7.8`; `None`: any.
    enhanced: Option<&'static str>,
    /// Lower-case words that occur in the text; `None`: any text.
    text: Option<&'static str>,
    stage: Stage,
    source: &'static str,
    cause: &'static str,
    advice: &'static str,
}

impl Known {
    fn matches(&self, reply: &Reply, stage: Stage, text: &str) -> bool {
        reply.code == self.code
            && (self.stage == Stage::Any || self.stage == stage)
            && self
                .enhanced
                .is_none_or(|e| reply.enhanced.is_some_and(|r| r.to_string() == e))
            && self.text.is_none_or(|t| text.contains(t))
    }

    /// Words weigh more than an enhanced code: they name one provider's reply.
    fn specificity(&self) -> u8 {
        u8::from(self.enhanced.is_some()) + 2 * u8::from(self.text.is_some())
    }
}

/// Every reply in the providers facts ("Error replies and advice"), and the generic meanings
/// of the AUTH codes of RFC 4954.
const KNOWN: &[Known] = &[
    // Gmail / Google Workspace.
    Known {
        code: 534,
        enhanced: Some("5.7.9"),
        text: Some("application-specific password required"),
        stage: Stage::Auth,
        source: "Gmail",
        cause: "The account has 2-Step Verification on, and its normal password was used; Google wants an app password.",
        advice: "Create an app password (Google Account, Security, App passwords) and use it instead, or use OAuth 2 (XOAUTH2).",
    },
    Known {
        code: 535,
        enhanced: Some("5.7.8"),
        text: Some("username and password not accepted"),
        stage: Stage::Auth,
        source: "Gmail",
        cause: "Google did not accept the user name and password: wrong, revoked, or a normal password where an app password is needed.",
        advice: "Use the full e-mail address as the user name and an app password typed without its spaces, or use OAuth 2.",
    },
    Known {
        code: 535,
        enhanced: Some("5.7.1"),
        text: Some("log in with your web browser"),
        stage: Stage::Auth,
        source: "Gmail",
        cause: "Google blocked the sign-in as suspicious.",
        advice: "Sign in to the account in a web browser once (from this network if possible) and confirm it is you; prefer OAuth 2.",
    },
    Known {
        code: 534,
        enhanced: Some("5.7.14"),
        text: None,
        stage: Stage::Auth,
        source: "Gmail",
        cause: "Google blocked the sign-in until it is confirmed in a web browser.",
        advice: "Sign in to the account in a web browser once and confirm it is you; prefer OAuth 2.",
    },
    Known {
        code: 550,
        enhanced: Some("5.7.1"),
        text: Some("invalid credentials for relay"),
        stage: Stage::Any,
        source: "Google Workspace SMTP relay",
        cause: "The SMTP relay service does not know this client: its address or domain is not registered in the relay rule.",
        advice: "Register this machine's public address and the sending domain in the Google Admin console's SMTP relay rule, or authenticate with a Workspace account.",
    },
    Known {
        code: 550,
        enhanced: Some("5.4.5"),
        text: Some("daily smtp relay limit exceeded"),
        stage: Stage::Send,
        source: "Google",
        cause: "The account or domain reached its daily sending quota.",
        advice: "Wait until the quota resets (about 24 hours), or send bulk mail through a service made for it.",
    },
    Known {
        code: 550,
        enhanced: Some("5.4.5"),
        text: None,
        stage: Stage::Send,
        source: "Google",
        cause: "The account reached its daily sending limit.",
        advice: "Wait until the quota resets (about 24 hours), or send bulk mail through a service made for it.",
    },
    // Microsoft 365 / Exchange Online / Outlook.com.
    Known {
        code: 535,
        enhanced: Some("5.7.139"),
        text: Some("smtpclientauthentication is disabled"),
        stage: Stage::Auth,
        source: "Microsoft 365",
        cause: "SMTP AUTH is switched off for this mailbox or the whole tenant (the default for tenants created since 2020).",
        advice: "An administrator enables it for the mailbox (Set-CASMailbox -Identity <user> -SmtpClientAuthenticationDisabled $false) or the tenant (Set-TransportConfig -SmtpClientAuthenticationDisabled $false), or the client moves to OAuth 2.",
    },
    Known {
        code: 535,
        enhanced: Some("5.7.139"),
        text: Some("basic authentication is disabled"),
        stage: Stage::Auth,
        source: "Microsoft 365",
        cause: "Basic authentication (user name and password) is blocked for this account.",
        advice: "Use OAuth 2 (XOAUTH2, --oauth-token-env) instead of a password.",
    },
    Known {
        code: 535,
        enhanced: Some("5.7.139"),
        text: Some("security defaults"),
        stage: Stage::Auth,
        source: "Microsoft 365",
        cause: "The tenant's Security Defaults block SMTP AUTH with a password.",
        advice: "Use OAuth 2 (XOAUTH2), or have an administrator replace Security Defaults with Conditional Access policies that exclude this account.",
    },
    Known {
        code: 535,
        enhanced: Some("5.7.139"),
        text: None,
        stage: Stage::Auth,
        source: "Microsoft 365",
        cause: "Microsoft refused the login by policy (SMTP AUTH off, basic authentication blocked, or Security Defaults).",
        advice: "Read the rest of the reply; usually an administrator must enable SMTP AUTH for the mailbox, or the client must use OAuth 2 (XOAUTH2).",
    },
    Known {
        code: 535,
        enhanced: Some("5.7.3"),
        text: Some("authentication unsuccessful"),
        stage: Stage::Auth,
        source: "Microsoft 365",
        cause: "Wrong credentials, or basic authentication is blocked for the account.",
        advice: "Check the password (the full address is the user name), and that SMTP AUTH is enabled for the mailbox; with MFA use OAuth 2.",
    },
    Known {
        code: 530,
        enhanced: Some("5.7.57"),
        text: None,
        stage: Stage::Any,
        source: "Microsoft 365",
        cause: "The client sent MAIL FROM without having authenticated.",
        advice: "Turn on authentication (SMTP AUTH) in the client with the mailbox's credentials.",
    },
    Known {
        code: 550,
        enhanced: Some("5.7.30"),
        text: None,
        stage: Stage::Any,
        source: "Microsoft 365",
        cause: "Basic authentication is no longer supported for client submission here.",
        advice: "Use OAuth 2 (XOAUTH2), High Volume Email, or a connector-based relay instead of a password.",
    },
    Known {
        code: 421,
        enhanced: Some("4.7.66"),
        text: None,
        stage: Stage::Any,
        source: "Microsoft 365",
        cause: "The client connected with TLS 1.0 or 1.1, which Microsoft no longer accepts.",
        advice: "Update the client to TLS 1.2, or use smtp-legacy.office365.com after opting in to legacy TLS.",
    },
    Known {
        code: 550,
        enhanced: Some("5.7.60"),
        text: None,
        stage: Stage::Send,
        source: "Microsoft 365",
        cause: "The sender address is not the mailbox that logged in, and that mailbox has no Send As permission for it.",
        advice: "Use the mailbox's own address as the sender (--from), or have an administrator grant Send As for the address.",
    },
    Known {
        code: 554,
        enhanced: Some("5.2.252"),
        text: None,
        stage: Stage::Send,
        source: "Microsoft 365",
        cause: "SendAsDenied: the mailbox that logged in may not send as the From address.",
        advice: "Use the mailbox's own address as the sender (--from), or have an administrator grant Send As for the address.",
    },
    Known {
        code: 550,
        enhanced: Some("5.7.64"),
        text: None,
        stage: Stage::Send,
        source: "Microsoft 365",
        cause: "TenantAttribution: relay access denied, the message matches no inbound connector of the tenant.",
        advice: "Fix the tenant's inbound connector (the certificate name or sending IP it expects), or authenticate with SMTP AUTH.",
    },
    Known {
        code: 550,
        enhanced: Some("5.7.68"),
        text: None,
        stage: Stage::Send,
        source: "Microsoft 365",
        cause: "Direct Send is switched off for the tenant (RejectDirectSend).",
        advice: "Send through a partner connector or with SMTP AUTH instead of Direct Send.",
    },
    // Transactional and other providers.
    Known {
        code: 554,
        enhanced: None,
        text: Some("address is not verified"),
        stage: Stage::Send,
        source: "Amazon SES",
        cause: "The sender (or, in the sandbox, the recipient) is not a verified identity in this SES region.",
        advice: "Verify the address or its domain in this region, and request production access to leave the sandbox.",
    },
    Known {
        code: 550,
        enhanced: None,
        text: Some("verified sender identity"),
        stage: Stage::Send,
        source: "SendGrid",
        cause: "The From address is not a verified Sender Identity of the account.",
        advice: "Verify the single sender or authenticate the domain in SendGrid, then send from that address.",
    },
    Known {
        code: 553,
        enhanced: None,
        text: Some("sender is not allowed to relay"),
        stage: Stage::Send,
        source: "Zoho Mail",
        cause: "The From address is not the account's address or one of its aliases.",
        advice: "Send from the address you log in with, or add the address as an alias of the account.",
    },
    Known {
        code: 550,
        enhanced: Some("5.7.0"),
        text: Some("not one of your addresses"),
        stage: Stage::Send,
        source: "iCloud Mail",
        cause: "The From address is not the iCloud account's address or an alias of it.",
        advice: "Send from the iCloud address or one of its aliases.",
    },
    Known {
        code: 550,
        enhanced: Some("5.7.1"),
        text: Some("unconfigured sending domain"),
        stage: Stage::Send,
        source: "SparkPost",
        cause: "The sender's domain is not set up as a sending domain of the account.",
        advice: "Add and verify the sending domain in SparkPost, then send from an address at it.",
    },
    // Replies many providers send.
    Known {
        code: 530,
        enhanced: Some("5.7.0"),
        text: Some("starttls"),
        stage: Stage::Any,
        source: "many providers",
        cause: "AUTH or MAIL was sent before TLS was started.",
        advice: "Turn on STARTTLS (port 587) or implicit TLS (port 465) in the client.",
    },
    Known {
        code: 504,
        enhanced: Some("5.7.4"),
        text: None,
        stage: Stage::Auth,
        source: "many providers",
        cause: "The mechanism is not one the server offers.",
        advice: "Choose one of the mechanisms in the server's EHLO AUTH list (leave out --auth-mech to let the tool choose).",
    },
    // RFC 4954 section 6 and the common codes of AUTH.
    Known {
        code: 535,
        enhanced: Some("5.7.8"),
        text: None,
        stage: Stage::Auth,
        source: "RFC 4954",
        cause: "The server did not accept the user name and password (or token).",
        advice: "Check the user name (often the full address) and the secret; many providers need an app password or an API key instead of the account password.",
    },
    Known {
        code: 534,
        enhanced: Some("5.7.9"),
        text: None,
        stage: Stage::Auth,
        source: "RFC 4954",
        cause: "The mechanism is too weak for this account by the server's policy.",
        advice: "Use a stronger mechanism or another kind of credential: many providers then want an app password or OAuth 2.",
    },
    Known {
        code: 538,
        enhanced: Some("5.7.11"),
        text: None,
        stage: Stage::Auth,
        source: "RFC 4954",
        cause: "The server wants an encrypted connection for this mechanism.",
        advice: "Use STARTTLS (port 587) or implicit TLS (port 465).",
    },
    Known {
        code: 454,
        enhanced: Some("4.7.0"),
        text: None,
        stage: Stage::Auth,
        source: "RFC 4954",
        cause: "A temporary failure: the server could not check the credentials right now (its authentication back end failed).",
        advice: "Retry in a few minutes; if it persists, the provider's authentication service has a problem.",
    },
    Known {
        code: 530,
        enhanced: Some("5.7.0"),
        text: None,
        stage: Stage::Any,
        source: "RFC 4954",
        cause: "The server requires authentication before this command.",
        advice: "Turn on authentication (SMTP AUTH) in the client.",
    },
    Known {
        code: 432,
        enhanced: Some("4.7.12"),
        text: None,
        stage: Stage::Auth,
        source: "RFC 4954",
        cause: "A password transition is needed: the account's password must be used once with a plain mechanism.",
        advice: "Log in once with PLAIN over TLS (--auth-mech PLAIN), or set a new password with the provider.",
    },
    Known {
        code: 500,
        enhanced: Some("5.5.6"),
        text: None,
        stage: Stage::Auth,
        source: "RFC 4954",
        cause: "An authentication line was too long for the server (a large OAuth token, say).",
        advice: "Check the token is the access token, not a refresh or ID token; shorter tokens may be available from the provider.",
    },
];

/// The most specific entry that matches, the first of equals.
fn known(reply: &Reply, stage: Stage) -> Option<&'static Known> {
    let text = reply.text().to_ascii_lowercase();
    most_specific(KNOWN.iter().filter(|k| k.matches(reply, stage, &text)))
}

/// The most specific of `entries`, the first of equals, whatever their order.
fn most_specific<'a>(entries: impl Iterator<Item = &'a Known>) -> Option<&'a Known> {
    entries.fold(None, |best: Option<&Known>, k| match best {
        Some(b) if b.specificity() >= k.specificity() => Some(b),
        _ => Some(k),
    })
}

/// What a reply means when this module knows it, whatever command it answered: for
/// `smtp-doctor explain`, which reads replies out of logs without the command. The RFC 4954
/// meanings of bare codes are left out (they hold for AUTH only; `454 4.7.0` also refuses
/// STARTTLS); with `words_only`, so are the entries that do not name the reply by its words.
pub fn known_reply(reply: &Reply, words_only: bool) -> Option<Explanation> {
    let text = reply.text().to_ascii_lowercase();
    most_specific(
        KNOWN
            .iter()
            .filter(|k| k.source != "RFC 4954" && (!words_only || k.text.is_some()))
            .filter(|k| k.matches(reply, k.stage, &text)),
    )
    .map(from_known)
}

fn explanation(source: &str, cause: &str, advice: &str) -> Explanation {
    Explanation {
        cause: cause.to_string(),
        advice: advice.to_string(),
        source: source.to_string(),
    }
}

fn from_known(k: &Known) -> Explanation {
    explanation(k.source, k.cause, k.advice)
}

fn from_provider(p: ProviderReply) -> Explanation {
    Explanation {
        cause: p.meaning,
        advice: p.advice,
        source: p.provider,
    }
}

/// What a refused AUTH means. `detail` is the error a token mechanism explained before its
/// final reply; `provider` the preset's entry for the reply, which wins when given.
pub fn explain_auth(
    reply: &Reply,
    detail: Option<&str>,
    provider: Option<ProviderReply>,
) -> Explanation {
    if let Some(p) = provider {
        return from_provider(p);
    }
    let found = known(reply, Stage::Auth);
    // A provider's reply recognised by its words says more than the token's error JSON.
    if let Some(k) = found.filter(|k| k.text.is_some()) {
        return from_known(k);
    }
    if detail.is_some() && reply.is_permanent() {
        return explanation(
            "RFC 7628",
            "The OAuth 2 token was refused: it is expired, revoked, issued for another user, or lacks the mail scope.",
            "Get a fresh access token for this user with the mail scope (Gmail: https://mail.google.com/; Microsoft 365: https://outlook.office.com/SMTP.Send) and pass it again.",
        );
    }
    if let Some(k) = found {
        return from_known(k);
    }
    let (cause, advice) = match reply.code {
        535 => (
            "The server did not accept the credentials.",
            "Check the user name (often the full address) and the secret; many providers need an app password or an API key instead of the account password.",
        ),
        534 => (
            "The server wants a stronger mechanism or another kind of credential.",
            "Many providers then want an app password or OAuth 2; read the rest of the reply.",
        ),
        504 => (
            "The server does not support this mechanism after all, though it may have listed it.",
            "Choose another of the server's mechanisms with --auth-mech.",
        ),
        501 => (
            "The server could not parse the authentication exchange, or it was cancelled.",
            "Check that the user name and secret have no stray characters; try another mechanism with --auth-mech.",
        ),
        421 => (
            "The server is closing the connection (overload, or a limit on failed logins).",
            "Wait before retrying: repeated failures can lock the account or block this address.",
        ),
        _ if reply.is_transient() => (
            "A temporary failure: the server could not decide now.",
            "Retry in a few minutes; if it persists, ask the provider.",
        ),
        _ => (
            "The server refused the login.",
            "Read the server's reply; check the user name, the secret and whether the account may use SMTP.",
        ),
    };
    explanation("RFC 4954", cause, advice)
}

/// What a refusal during the test message means. `provider` is the preset's entry for the
/// reply, which wins when given.
#[expect(
    clippy::too_many_lines,
    reason = "a rule table: one arm per RFC 4954 reply class"
)]
pub fn explain_send(
    command: SendCommand,
    reply: &Reply,
    provider: Option<ProviderReply>,
) -> Explanation {
    if let Some(p) = provider {
        return from_provider(p);
    }
    if let Some(k) = known(reply, Stage::Send) {
        return from_known(k);
    }
    let text = reply.text().to_ascii_lowercase();
    let enhanced = reply.enhanced.map(|e| (e.subject, e.detail));
    let has = |words: &[&str]| words.iter().any(|w| text.contains(w));
    let rfc = "RFC 3463";
    // 5.7.1 at RCPT is how Postfix and others say "relay access denied"; 4.7.1 there is
    // greylisting or a rate limit instead.
    let relay_code =
        reply.is_permanent() && enhanced == Some((7, 1)) && command == SendCommand::RcptTo;
    if has(&["relay"]) || relay_code {
        return explanation(
            rfc,
            "Relay access denied: the server does not pass on mail from this session to that recipient.",
            "Make sure the client authenticates (SMTP AUTH) on the same connection and that the account may send to outside addresses; an unauthenticated session can only deliver to the server's own domains.",
        );
    }
    if has(&[
        "not owned by",
        "sender address rejected",
        "not allowed to send as",
    ]) || matches!(enhanced, Some((1, 7 | 8)))
    {
        return explanation(
            rfc,
            "The server refused the sender address: it is not one this login may use.",
            "Send from the address you log in with (--from), or have the provider allow this address (an alias, Send As, a verified sender).",
        );
    }
    if has(&["verif"]) {
        return explanation(
            rfc,
            "The sender identity is not verified with this provider.",
            "Verify the sender address or its domain in the provider's console, then send from it.",
        );
    }
    if matches!(enhanced, Some((7, 25..=27))) {
        return explanation(
            "RFC 7372",
            "The message failed the receiving side's sender authentication (reverse DNS, SPF, DKIM or DMARC).",
            "Publish SPF and DKIM for the sender's domain and align them with DMARC; send through the domain's own provider.",
        );
    }
    if matches!(enhanced, Some((2, 2))) || has(&["mailbox full", "over quota", "quota exceeded"]) {
        return explanation(
            rfc,
            "The recipient's mailbox is full.",
            "Try another recipient (--send-to); the mailbox owner must make room.",
        );
    }
    if matches!(enhanced, Some((4, 5) | (7, 28))) || has(&["limit", "quota", "rate", "too many"]) {
        return explanation(
            rfc,
            "A sending limit of the account or the server was reached (a quota or rate limit).",
            "Wait until the limit resets, or ask the provider for a higher one.",
        );
    }
    if matches!(enhanced, Some((1, 0..=2 | 6 | 10))) && command == SendCommand::RcptTo
        || has(&["user unknown", "does not exist", "no such user"])
    {
        return explanation(
            rfc,
            "The recipient address does not exist.",
            "Check the address given to --send-to.",
        );
    }
    if matches!(enhanced, Some((3, 4))) || reply.code == 552 {
        return explanation(
            rfc,
            "The message is too big for the server.",
            "The test message is small: the server's limit is oddly low; ask its operator.",
        );
    }
    if reply.is_transient() {
        return explanation(
            "RFC 5321",
            "A temporary failure (greylisting, a busy server or a rate limit).",
            "Retry in a few minutes; real clients retry on their own.",
        );
    }
    let (cause, advice) = match command {
        SendCommand::MailFrom => (
            "The server refused the sender address.",
            "Send from the address you log in with (--from), or check that the account may use this address.",
        ),
        SendCommand::RcptTo => (
            "The server refused the recipient.",
            "Check the recipient address, and that the account may send to it.",
        ),
        SendCommand::Data => (
            "The server refused to take the message content.",
            "Read the server's reply; it usually names the policy that applies.",
        ),
        SendCommand::EndOfData => (
            "The server refused the message after reading it (content, size, policy or sender identity).",
            "Read the server's reply; it usually names the rule, such as an unverified sender or a content filter.",
        ),
    };
    explanation("RFC 5321", cause, advice)
}

/// Fills in the explanation of every attempt and of the test message. `provider` gives the
/// preset's entry for a reply, when a preset applies (`|_| None` otherwise).
pub fn annotate(check: &mut CredentialCheck, provider: &dyn Fn(&Reply) -> Option<ProviderReply>) {
    let (kind, forced) = (check.credential, check.forced.is_some());
    for attempt in &mut check.attempts {
        attempt.explanation = explain_attempt(attempt, kind, forced, provider);
    }
    if let Some(send) = &mut check.send
        && let Some(step) = send.refused_step()
    {
        send.explanation = Some(explain_send(
            step.command,
            &step.reply,
            provider(&step.reply),
        ));
    }
}

/// Cause and advice for an attempt that did not succeed.
fn explain_attempt(
    attempt: &AuthAttempt,
    kind: CredentialKind,
    forced: bool,
    provider: &dyn Fn(&Reply) -> Option<ProviderReply>,
) -> Option<Explanation> {
    let why = attempt.error.as_ref().map(|e| e.message.as_str());
    let tool = "smtp-doctor";
    match attempt.outcome {
        AuthOutcome::Authenticated => None,
        AuthOutcome::Rejected | AuthOutcome::TemporaryFailure => {
            let reply = attempt.reply.as_ref()?;
            Some(explain_auth(
                reply,
                attempt.detail.as_deref(),
                provider(reply),
            ))
        }
        AuthOutcome::MechanismUnsupported => {
            let offered = attempt.offered.join(", ");
            let (cause, advice) = if attempt.offered.is_empty() {
                (
                    "The server offers no AUTH here: this endpoint does not take logins (it may be for server-to-server mail, or accept senders by address).".to_string(),
                    "Use the provider's submission host and port (usually 587 or 465); AUTH is often offered only after STARTTLS.".to_string(),
                )
            } else if forced {
                (
                    format!("The mechanism asked for is not offered; the server offers {offered}."),
                    "Leave out --auth-mech to let the tool choose, or pick one of the offered mechanisms.".to_string(),
                )
            } else if kind == CredentialKind::Token {
                (
                    format!("The server offers no OAuth 2 mechanism here; it offers {offered}."),
                    "Use a password (--password-env, --password-file) with this server, or the provider's host that takes OAuth 2.".to_string(),
                )
            } else {
                (
                    format!("The server offers no password mechanism this tool speaks; it offers {offered}."),
                    "If it offers XOAUTH2 or OAUTHBEARER, use an OAuth 2 token (--oauth-token-env); otherwise the client needs a mechanism such as SCRAM or GSSAPI.".to_string(),
                )
            };
            Some(Explanation {
                cause,
                advice,
                source: tool.to_string(),
            })
        }
        AuthOutcome::PlaintextRefused => Some(explanation(
            tool,
            "The connection is not encrypted, so the secret would cross the network readable by anyone on the path.",
            "Use a port with STARTTLS or implicit TLS (587 or 465); to test anyway on a network you trust, add --allow-plaintext-auth.",
        )),
        AuthOutcome::UntrustedRefused => Some(explanation(
            tool,
            "The server's certificate failed verification, so whoever presented it (an interceptor, say) could read the secret.",
            "Fix the certificate problem reported for this endpoint, or pass the right CA with --ca-file; to send anyway on a network you trust, add --allow-plaintext-auth.",
        )),
        AuthOutcome::Error => Some(Explanation {
            cause: sentence(why.unwrap_or("the dialogue broke")),
            advice: "Retry; if it keeps failing, the server or something in the path breaks the dialogue after the greeting (see the transcript with --transcript).".to_string(),
            source: tool.to_string(),
        }),
        AuthOutcome::NotAttempted => Some(explanation(
            tool,
            "No endpoint completed the SMTP dialogue, so the credentials were not checked.",
            "Fix the connection problems reported above first.",
        )),
    }
}

/// `the server closed the connection` as a sentence: capital first letter, full stop.
fn sentence(text: &str) -> String {
    let mut chars = text.trim().chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    let mut out: String = first.to_uppercase().chain(chars).collect();
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

/// `535 5.7.8 Username and Password not accepted` on one line, cut at [`MAX_QUOTE`], without
/// a final full stop: the sentence it is quoted in ends with its own ("Logged in." would
/// otherwise read "Logged in..").
fn quote(reply: &Reply) -> String {
    let text = reply.text();
    let mut line = format!("{} {}", reply.code, text.trim());
    if line.chars().count() > MAX_QUOTE {
        return line
            .chars()
            .take(MAX_QUOTE)
            .collect::<String>()
            .trim_end()
            .to_string()
            + "...";
    }
    line = super::clause(&line).to_string();
    line
}

/// The findings of a credential check (its explanations from [`annotate`], or generic ones).
pub fn judge(check: &CredentialCheck) -> Vec<Finding> {
    let mut findings: Vec<Finding> = check
        .attempts
        .iter()
        .map(|a| attempt_finding(check, a))
        .collect();
    if let Some(send) = &check.send {
        findings.extend(send_finding(send));
    }
    findings
}

#[expect(
    clippy::too_many_lines,
    reason = "a rule table: one arm per outcome of the credential check"
)]
fn attempt_finding(check: &CredentialCheck, attempt: &AuthAttempt) -> Finding {
    let user = &check.user;
    let at = attempt
        .endpoint
        .as_ref()
        .map_or_else(|| "the server".to_string(), |e| e.describe());
    let explained = attempt.explanation.clone().or_else(|| {
        explain_attempt(
            attempt,
            check.credential,
            check.forced.is_some(),
            &|_: &Reply| None,
        )
    });
    let cause = explained.as_ref().map_or("", |e| e.cause.as_str());
    let advice = explained
        .as_ref()
        .map_or_else(String::new, |e| e.advice.clone());
    let mechanism = attempt
        .mechanism
        .map_or_else(|| "AUTH".to_string(), |m| m.to_string());
    let reply = attempt.reply.as_ref().map(quote).unwrap_or_default();
    let (id, severity, message, advice) = match attempt.outcome {
        AuthOutcome::Authenticated => {
            // What the login really went over: a STARTTLS port that offered no STARTTLS
            // (--allow-plaintext-auth) was plain text, whatever mode was probed.
            let how = attempt.endpoint.as_ref().map_or_else(String::new, |e| {
                let mode = if attempt.tls {
                    e.security.client_label()
                } else {
                    Security::Plain.client_label()
                };
                format!("port {} with {mode}", e.port)
            });
            let advice = if attempt.tls {
                format!(
                    "Nothing to fix: these credentials work; set the client to {how} and user name {user}."
                )
            } else {
                format!(
                    "These credentials work, but the login went over {how}: anyone on the path could read it. Use a port with TLS (587 with STARTTLS, or 465 with SSL/TLS) if the server offers one, and change the password if this path is not trusted."
                )
            };
            (
                FindingId::AuthOk,
                Severity::Info,
                format!("{user} logged in at {at} with {mechanism}: {reply}."),
                advice,
            )
        }
        AuthOutcome::Rejected => (
            FindingId::AuthFailed,
            Severity::Error,
            format!("{at} refused the login of {user} with {mechanism}: {reply}. {cause}"),
            advice,
        ),
        AuthOutcome::TemporaryFailure => (
            FindingId::AuthTemporaryFailure,
            Severity::Error,
            format!("{at} could not check the login of {user} now ({mechanism}): {reply}. {cause}"),
            advice,
        ),
        AuthOutcome::MechanismUnsupported => (
            FindingId::AuthMechanismUnsupported,
            Severity::Error,
            format!("Nothing was sent to {at} for {user}: {cause}"),
            advice,
        ),
        AuthOutcome::PlaintextRefused => (
            FindingId::AuthPlaintextRefused,
            Severity::Error,
            format!("The secret of {user} was not sent to {at}: {cause}"),
            advice,
        ),
        AuthOutcome::UntrustedRefused => (
            FindingId::AuthUntrustedRefused,
            Severity::Error,
            format!("The secret of {user} was not sent to {at}: {cause}"),
            advice,
        ),
        AuthOutcome::Error => (
            FindingId::AuthIncomplete,
            Severity::Error,
            format!("The credential check of {user} at {at} did not finish. {cause}"),
            advice,
        ),
        AuthOutcome::NotAttempted => (
            FindingId::AuthNotAttempted,
            Severity::Error,
            format!("The credentials of {user} were not checked: {cause}"),
            advice,
        ),
    };
    Finding {
        id,
        severity,
        endpoint: attempt.endpoint.as_ref().map(|e| e.label()),
        ip: attempt.endpoint.as_ref().map(|e| e.ip),
        message: message.trim_end().to_string(),
        advice,
    }
}

#[expect(
    clippy::too_many_lines,
    reason = "a rule table: one arm per outcome of the test message"
)]
fn send_finding(send: &SendAttempt) -> Option<Finding> {
    let at = send
        .endpoint
        .as_ref()
        .map_or_else(|| "the server".to_string(), |e| e.describe());
    let (from, to) = (&send.from, &send.to);
    let explained = send.explanation.clone().or_else(|| {
        send.refused_step()
            .map(|s| explain_send(s.command, &s.reply, None))
    });
    let cause = explained.as_ref().map_or("", |e| e.cause.as_str());
    let advice = explained
        .as_ref()
        .map_or_else(String::new, |e| e.advice.clone());
    let refused = send.refused_step();
    let step = refused.map_or("", |s| s.command.label());
    let reply = refused.map(|s| quote(&s.reply)).unwrap_or_default();
    let (id, severity, message, advice) = match send.outcome {
        SendOutcome::Skipped => return None,
        SendOutcome::Accepted => {
            let last = send
                .steps
                .last()
                .map(|s| quote(&s.reply))
                .unwrap_or_default();
            let ids: Vec<String> = [
                send.queue_id.as_ref().map(|q| format!("the queue id {q}")),
                send.message_id
                    .as_ref()
                    .map(|m| format!("the Message-ID {m}")),
            ]
            .into_iter()
            .flatten()
            .collect();
            let ids = if ids.is_empty() {
                "the time it was sent".to_string()
            } else {
                ids.join(" and ")
            };
            (
                FindingId::SendOk,
                Severity::Info,
                format!("{at} accepted the test message from {from} to {to}: {last}."),
                format!(
                    "Check that it arrives at {to}, in the spam folder too; if it does not, the problem is after this server: give its operator {ids}."
                ),
            )
        }
        SendOutcome::Rejected => (
            FindingId::SendRejected,
            Severity::Error,
            format!(
                "{at} refused the test message from {from} to {to} at {step}: {reply}. {cause}"
            ),
            advice,
        ),
        SendOutcome::TemporaryFailure => (
            FindingId::SendTemporaryFailure,
            Severity::Error,
            format!(
                "{at} deferred the test message from {from} to {to} at {step}: {reply}. {cause}"
            ),
            advice,
        ),
        SendOutcome::Error => {
            let why = send
                .error
                .as_ref()
                .map_or("the dialogue broke", |e| e.message.as_str());
            (
                FindingId::SendIncomplete,
                Severity::Error,
                format!("Sending the test message through {at} did not finish: {why}."),
                "Retry; if it keeps failing, see the dialogue with --transcript. The message may or may not have been delivered.".to_string(),
            )
        }
    };
    Some(Finding {
        id,
        severity,
        endpoint: send.endpoint.as_ref().map(|e| e.label()),
        ip: send.endpoint.as_ref().map(|e| e.ip),
        message: message.trim_end().to_string(),
        advice,
    })
}

#[cfg(test)]
mod tests;
