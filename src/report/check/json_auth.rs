//! The `auth` and `send` sections of the JSON document: the credential check's attempts and
//! the test message. Built from the model like the rest of the document; nothing secret is in
//! the model, so nothing secret can reach these.

use serde::Serialize;

use crate::model::{AuthAttempt, CredentialCheck, Endpoint, Explanation, PhaseError, SendAttempt};
use crate::report::schema::{ErrorJson, LineJson, ReplyJson, ms};
use crate::smtp::sasl::CredentialKind;

/// `"auth"`: who, with what, and each attempt.
#[derive(Serialize)]
pub(super) struct AuthJson<'a> {
    user: &'a str,
    credential: &'static str,
    mechanism_requested: Option<&'static str>,
    attempts: Vec<AttemptJson<'a>>,
}

#[derive(Serialize)]
struct AttemptJson<'a> {
    endpoint: Option<String>,
    ip: Option<String>,
    port: Option<u16>,
    security: Option<&'static str>,
    tls: bool,
    offered: &'a [String],
    mechanism: Option<&'static str>,
    outcome: &'static str,
    reply: Option<ReplyJson<'a>>,
    detail: Option<&'a str>,
    error: Option<ErrorJson<'a>>,
    cause: Option<&'a str>,
    advice: Option<&'a str>,
    source: Option<&'a str>,
    duration_ms: Option<u64>,
    transcript: Option<Vec<LineJson<'a>>>,
}

/// `"send"`: the test message.
#[derive(Serialize)]
pub(super) struct SendJson<'a> {
    endpoint: Option<String>,
    ip: Option<String>,
    port: Option<u16>,
    from: &'a str,
    to: &'a str,
    message_id: Option<&'a str>,
    date: Option<&'a str>,
    size: Option<usize>,
    steps: Vec<StepJson<'a>>,
    outcome: &'static str,
    queue_id: Option<&'a str>,
    error: Option<ErrorJson<'a>>,
    cause: Option<&'a str>,
    advice: Option<&'a str>,
    source: Option<&'a str>,
}

#[derive(Serialize)]
struct StepJson<'a> {
    command: &'static str,
    reply: ReplyJson<'a>,
}

impl<'a> AuthJson<'a> {
    /// The section, with each attempt's dialogue when `transcript`.
    pub(super) fn new(check: &'a CredentialCheck, transcript: bool) -> AuthJson<'a> {
        AuthJson {
            user: &check.user,
            credential: match check.credential {
                CredentialKind::Password => "password",
                CredentialKind::Token => "oauth2_token",
            },
            mechanism_requested: check.forced.map(|m| m.name()),
            attempts: check
                .attempts
                .iter()
                .map(|a| AttemptJson::new(a, transcript))
                .collect(),
        }
    }
}

fn place(endpoint: Option<&Endpoint>) -> (Option<String>, Option<String>, Option<u16>) {
    (
        endpoint.map(Endpoint::label),
        endpoint.map(|e| e.ip.to_string()),
        endpoint.map(|e| e.port),
    )
}

fn error(e: Option<&PhaseError>) -> Option<ErrorJson<'_>> {
    e.map(ErrorJson::from)
}

fn explained(e: Option<&Explanation>) -> (Option<&str>, Option<&str>, Option<&str>) {
    (
        e.map(|e| e.cause.as_str()),
        e.map(|e| e.advice.as_str()),
        e.map(|e| e.source.as_str()),
    )
}

impl<'a> AttemptJson<'a> {
    fn new(a: &'a AuthAttempt, transcript: bool) -> AttemptJson<'a> {
        let (endpoint, ip, port) = place(a.endpoint.as_ref());
        let (cause, advice, source) = explained(a.explanation.as_ref());
        AttemptJson {
            endpoint,
            ip,
            port,
            security: a.endpoint.as_ref().map(|e| e.security.as_str()),
            tls: a.tls,
            offered: &a.offered,
            mechanism: a.mechanism.map(|m| m.name()),
            outcome: a.outcome.as_str(),
            reply: a.reply.as_ref().map(ReplyJson::from),
            detail: a.detail.as_deref(),
            error: error(a.error.as_ref()),
            cause,
            advice,
            source,
            duration_ms: a.duration.map(ms),
            transcript: transcript.then(|| a.transcript.iter().map(LineJson::from).collect()),
        }
    }
}

impl<'a> From<&'a SendAttempt> for SendJson<'a> {
    fn from(s: &'a SendAttempt) -> Self {
        let (endpoint, ip, port) = place(s.endpoint.as_ref());
        let (cause, advice, source) = explained(s.explanation.as_ref());
        SendJson {
            endpoint,
            ip,
            port,
            from: &s.from,
            to: &s.to,
            message_id: s.message_id.as_deref(),
            date: s.date.as_deref(),
            size: s.size,
            steps: s
                .steps
                .iter()
                .map(|step| StepJson {
                    command: step.command.as_str(),
                    reply: ReplyJson::from(&step.reply),
                })
                .collect(),
            outcome: s.outcome.as_str(),
            queue_id: s.queue_id.as_deref(),
            error: error(s.error.as_ref()),
            cause,
            advice,
            source,
        }
    }
}
