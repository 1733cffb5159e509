//! The credential check (`--user`) and the test message (`--send-to`). They run after the
//! probes, one endpoint at a time, each on a new connection that repeats the probe's steps
//! (connect, STARTTLS or implicit TLS, EHLO, each with its deadline and read bounds), then one
//! AUTH exchange and, when asked, MAIL, RCPT and DATA.
//!
//! Safe by design: AUTH goes only over TLS with a verified certificate unless the user allows
//! otherwise, one endpoint by default (repeated failures lock accounts), and every line that
//! carries a secret goes through [`Outgoing`], so the transcript only ever holds its redacted
//! form.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::time::Instant;

use super::ProbeOptions;
use super::session::{BoxStream, Session, Stop};
use crate::model::{
    AuthAttempt, AuthOutcome, CredentialCheck, Direction, Endpoint, Observation, Phase, PhaseError,
    SendAttempt, SendCommand, SendOutcome, SendStep, State, TlsFacts,
};
use crate::secret::Secret;
use crate::smtp::Reply;
use crate::smtp::message::TestMessage;
use crate::smtp::sasl::{self, CredentialKind, Exchange, Mechanism, Outcome, Outgoing, Step};
use crate::tls::TlsClient;

/// Most lines the tool sends in one AUTH exchange. Every mechanism here needs at most three
/// (LOGIN: command, user, password; plus `*` or an error acknowledgement); a server that keeps
/// asking is cut off rather than answered forever.
const MAX_AUTH_ROUNDS: usize = 6;

/// What the credential check needs: who, with which secret, how, and where it may go.
#[derive(Debug, Clone)]
pub struct AuthRequest {
    /// The user name.
    pub user: String,
    /// The password or token (its `Debug` shows `<redacted>`).
    pub secret: Secret,
    /// Whether `secret` is a password or an OAuth 2 token.
    pub kind: CredentialKind,
    /// The mechanism asked for (`--auth-mech`); `None`: the best both sides support.
    pub mechanism: Option<Mechanism>,
    /// Try every usable endpoint, one at a time (`--auth-all`), not just the best one.
    pub all: bool,
    /// Also send AUTH where others could read it: in plain text, or over TLS whose
    /// certificate failed verification (`--allow-plaintext-auth`).
    pub allow_insecure: bool,
    /// The test message to send after the first successful AUTH (`--send-to`).
    pub send: Option<SendRequest>,
}

/// The test message's envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendRequest {
    /// Sender (`MAIL FROM` and `From:`).
    pub from: String,
    /// Recipient (`RCPT TO` and `To:`).
    pub to: String,
}

/// What to do with an endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Connect and try AUTH there.
    Try(Endpoint),
    /// Nothing is sent; the attempt says why.
    Refuse(Box<AuthAttempt>),
}

/// How well a connection protects a secret, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Protection {
    /// TLS with a trusted chain that names the host (or no name to check).
    Verified,
    /// TLS, but the certificate failed verification: an interceptor could be reading.
    Unverified,
    /// No TLS.
    Plain,
}

fn protection(tls: Option<&TlsFacts>) -> Protection {
    match tls {
        None => Protection::Plain,
        Some(t) if t.verification.trusted && t.verification.hostname_match != Some(false) => {
            Protection::Verified
        }
        Some(_) => Protection::Unverified,
    }
}

/// The probe got through the whole dialogue in the mode it expected.
fn usable(obs: &Observation) -> bool {
    obs.state == State::Ok && obs.wrong_mode.is_none() && obs.final_ehlo().is_some()
}

/// Picks where to try the credentials, from what the probes saw.
///
/// Candidates are the endpoints whose dialogue completed. They are ranked: protection first
/// (a verified TLS endpoint before any other), then `preferred_port` (the provider's
/// recommended port), then whether the server offered AUTH, then any port before 25 (the
/// server-to-server port), then the probe order. Without `all` only the best is tried. When
/// no candidate is protected well enough, the best one is refused (nothing is sent), unless
/// `allow_insecure`.
pub fn plan(
    observations: &[Observation],
    preferred_port: Option<u16>,
    all: bool,
    allow_insecure: bool,
) -> Vec<Plan> {
    let mut ranked: Vec<(usize, &Observation)> = observations
        .iter()
        .enumerate()
        .filter(|(_, o)| usable(o))
        .collect();
    ranked.sort_by_key(|&(index, o)| {
        let offers_auth = o.final_ehlo().is_some_and(|e| e.has("AUTH"));
        (
            protection(o.tls.as_ref()),
            Some(o.endpoint.port) != preferred_port,
            !offers_auth,
            o.endpoint.port == 25,
            index,
        )
    });
    let Some(&(_, best)) = ranked.first() else {
        return vec![Plan::Refuse(Box::new(AuthAttempt::not_sent(
            None,
            AuthOutcome::NotAttempted,
            "no endpoint completed the SMTP dialogue, so there was nowhere to try the credentials",
        )))];
    };
    let allowed: Vec<&Observation> = ranked
        .iter()
        .map(|&(_, o)| o)
        .filter(|o| allow_insecure || protection(o.tls.as_ref()) == Protection::Verified)
        .collect();
    if allowed.is_empty() {
        return vec![Plan::Refuse(Box::new(refusal(best)))];
    }
    let take = if all { allowed.len() } else { 1 };
    allowed
        .into_iter()
        .take(take)
        .map(|o| Plan::Try(o.endpoint.clone()))
        .collect()
}

/// The attempt that was not made at an endpoint that does not protect the secret.
fn refusal(obs: &Observation) -> AuthAttempt {
    let endpoint = Some(obs.endpoint.clone());
    match &obs.tls {
        None => AuthAttempt::not_sent(
            endpoint,
            AuthOutcome::PlaintextRefused,
            "the connection is not encrypted (no TLS), so the secret would cross the network readable by anyone on the path; it was not sent",
        ),
        Some(tls) => {
            let problems: Vec<String> = tls
                .verification
                .errors
                .iter()
                .map(|e| e.message.clone())
                .collect();
            let detail = if problems.is_empty() {
                "it does not name the host".to_string()
            } else {
                problems.join("; ")
            };
            let mut attempt = AuthAttempt::not_sent(
                endpoint,
                AuthOutcome::UntrustedRefused,
                format!(
                    "the server's certificate failed verification ({detail}), so whoever presented it could read the secret; it was not sent"
                ),
            );
            attempt.tls = true;
            attempt
        }
    }
}

/// Runs the credential check: each planned endpoint in turn, the test message after the
/// first successful AUTH. `deadline` is the whole run's.
pub async fn check(
    observations: &[Observation],
    preferred_port: Option<u16>,
    request: &AuthRequest,
    options: &ProbeOptions,
    tls: &TlsClient,
    deadline: Instant,
) -> CredentialCheck {
    let mut attempts = Vec::new();
    let mut sent: Option<SendAttempt> = None;
    for step in plan(
        observations,
        preferred_port,
        request.all,
        request.allow_insecure,
    ) {
        match step {
            Plan::Refuse(attempt) => attempts.push(*attempt),
            Plan::Try(endpoint) => {
                let send = request.send.as_ref().filter(|_| sent.is_none());
                let (attempt, message) =
                    authenticate(endpoint, request, send, options, tls, deadline).await;
                attempts.push(attempt);
                if message.is_some() {
                    sent = message;
                }
            }
        }
    }
    let send = match (&request.send, sent) {
        (_, Some(sent)) => Some(sent),
        (Some(wanted), None) => Some(skipped(wanted)),
        (None, None) => None,
    };
    CredentialCheck {
        user: request.user.clone(),
        credential: request.kind,
        forced: request.mechanism,
        attempts,
        send,
    }
}

/// The test message that was not sent because no AUTH succeeded.
fn skipped(wanted: &SendRequest) -> SendAttempt {
    let mut attempt = SendAttempt::new(None, wanted);
    attempt.outcome = SendOutcome::Skipped;
    attempt.error = Some(PhaseError {
        phase: Phase::Send,
        message: "not sent: no AUTH attempt succeeded".to_string(),
        run_deadline: false,
    });
    attempt
}

impl SendAttempt {
    fn new(endpoint: Option<Endpoint>, wanted: &SendRequest) -> SendAttempt {
        SendAttempt {
            endpoint,
            from: wanted.from.clone(),
            to: wanted.to.clone(),
            message_id: None,
            date: None,
            size: None,
            steps: Vec::new(),
            outcome: SendOutcome::Error,
            queue_id: None,
            error: None,
            explanation: None,
        }
    }
}

/// One endpoint: a new connection, one AUTH exchange, the test message when `send` is given
/// and AUTH succeeded, QUIT.
pub async fn authenticate(
    endpoint: Endpoint,
    request: &AuthRequest,
    send: Option<&SendRequest>,
    options: &ProbeOptions,
    tls: &TlsClient,
    deadline: Instant,
) -> (AuthAttempt, Option<SendAttempt>) {
    let started = Instant::now();
    let mut attempt = AuthAttempt {
        endpoint: Some(endpoint.clone()),
        tls: false,
        offered: Vec::new(),
        mechanism: None,
        outcome: AuthOutcome::Error,
        reply: None,
        detail: None,
        error: None,
        duration: None,
        transcript: Vec::new(),
        explanation: None,
    };
    let mut message = None;
    let mut session = Session::new(endpoint, options, tls, deadline);
    session.note(
        Direction::Info,
        &format!("credential check for {} on a new connection", request.user),
    );
    match session.open().await {
        Err(stop) => {
            attempt.error = Some(phase_error(&stop));
            session.stopped(stop);
        }
        Ok(mut stream) => {
            let result = converse(
                &mut session,
                &mut stream,
                request,
                send,
                &mut attempt,
                &mut message,
            )
            .await;
            match result {
                Ok(()) => session.quit(&mut stream).await,
                // The connection is broken or stalled: no QUIT, it would only wait.
                Err(stop) => {
                    match message.as_mut() {
                        Some(sending) if stop.phase == Phase::Send => {
                            sending.outcome = SendOutcome::Error;
                            sending.error = Some(phase_error(&stop));
                        }
                        _ => {
                            attempt.outcome = AuthOutcome::Error;
                            attempt.error = Some(phase_error(&stop));
                        }
                    }
                    session.stopped(stop);
                }
            }
        }
    }
    attempt.duration = Some(started.elapsed());
    attempt.transcript = session.finish().transcript;
    (attempt, message)
}

fn phase_error(stop: &Stop) -> PhaseError {
    PhaseError {
        phase: stop.phase,
        message: stop.message.clone(),
        run_deadline: false,
    }
}

/// The part of the session after the last EHLO: checks, AUTH, the test message.
#[expect(
    clippy::too_many_lines,
    reason = "the dialogue after EHLO in protocol order: checks, AUTH, MAIL, RCPT, DATA, each step with its deadline"
)]
async fn converse(
    session: &mut Session<'_>,
    stream: &mut BoxStream,
    request: &AuthRequest,
    send: Option<&SendRequest>,
    attempt: &mut AuthAttempt,
    message: &mut Option<SendAttempt>,
) -> Result<(), Stop> {
    attempt.tls = session.in_tls;
    attempt.offered = session
        .obs
        .final_ehlo()
        .map(|e| e.auth_mechanisms())
        .unwrap_or_default();
    // The probe saw this endpoint protected; the new connection is checked again, since a
    // server (or something in the path) may behave differently the second time.
    let protected = session.in_tls && protection(session.obs.tls.as_ref()) == Protection::Verified;
    if !protected && !request.allow_insecure {
        let refused = refusal(&session.obs);
        attempt.outcome = refused.outcome;
        attempt.error = refused.error;
        session.note(
            Direction::Error,
            "AUTH not sent: the connection does not protect it",
        );
        return Ok(());
    }
    let choose = if protected {
        sasl::choose
    } else {
        sasl::choose_in_clear
    };
    let mechanism = match choose(&attempt.offered, request.kind, request.mechanism) {
        Ok(mechanism) => mechanism,
        Err(e) => {
            attempt.outcome = AuthOutcome::MechanismUnsupported;
            attempt.error = Some(PhaseError {
                phase: Phase::Auth,
                message: e.to_string(),
                run_deadline: false,
            });
            session.note(Direction::Error, &format!("AUTH not sent: {e}"));
            return Ok(());
        }
    };
    attempt.mechanism = Some(mechanism);
    let server = session
        .check_name()
        .unwrap_or_else(|| session.obs.endpoint.ip.to_string());
    let port = session.obs.endpoint.port;
    let started = Instant::now();
    let outcome = match exchange(session, stream, request, mechanism, (&server, port)).await? {
        Ok(outcome) => outcome,
        Err(reason) => {
            attempt.outcome = AuthOutcome::Error;
            attempt.error = Some(PhaseError {
                phase: Phase::Auth,
                message: reason,
                run_deadline: false,
            });
            return Ok(());
        }
    };
    session.note(
        Direction::Info,
        &format!(
            "AUTH {mechanism} finished in {} ms",
            started.elapsed().as_millis()
        ),
    );
    match outcome {
        Outcome::Authenticated(reply) => {
            attempt.outcome = AuthOutcome::Authenticated;
            attempt.reply = Some(reply);
        }
        Outcome::Rejected { reply, detail } => {
            attempt.outcome = if reply.is_transient() {
                AuthOutcome::TemporaryFailure
            } else {
                AuthOutcome::Rejected
            };
            attempt.reply = Some(reply);
            attempt.detail = detail;
        }
        Outcome::Broken { reply, reason } => {
            attempt.outcome = AuthOutcome::Error;
            attempt.reply = Some(reply);
            attempt.error = Some(PhaseError {
                phase: Phase::Auth,
                message: reason,
                run_deadline: false,
            });
        }
    }
    if attempt.outcome != AuthOutcome::Authenticated {
        return Ok(());
    }
    let Some(wanted) = send else {
        return Ok(());
    };
    let sending = message.insert(SendAttempt::new(attempt.endpoint.clone(), wanted));
    send_message(session, stream, sending).await
}

/// One AUTH exchange to its end. The outer `Err` is a broken connection; the inner one a
/// user name or secret the mechanism cannot carry (nothing was sent then).
async fn exchange(
    session: &mut Session<'_>,
    stream: &mut BoxStream,
    request: &AuthRequest,
    mechanism: Mechanism,
    server: (&str, u16),
) -> Result<Result<Outcome, String>, Stop> {
    let (mut exchange, first) =
        match Exchange::with_server(mechanism, &request.user, &request.secret, Some(server)) {
            Ok(started) => started,
            Err(e) => return Ok(Err(e.to_string())),
        };
    let mut line: Outgoing = first;
    for _ in 0..MAX_AUTH_ROUNDS {
        session.send_secret(stream, &line, Phase::Auth).await?;
        let reply = session.read_reply(stream, Phase::Auth).await?;
        match exchange.on_reply(&reply) {
            Step::Send(next) => line = next,
            Step::Done(outcome) => return Ok(Ok(outcome)),
        }
    }
    Ok(Err(format!(
        "the server kept asking for more after {MAX_AUTH_ROUNDS} lines of {mechanism}; stopped"
    )))
}

/// MAIL FROM, RCPT TO, DATA, the message; stops at the first refusal.
async fn send_message(
    session: &mut Session<'_>,
    stream: &mut BoxStream,
    out: &mut SendAttempt,
) -> Result<(), Stop> {
    let label = session.obs.endpoint.label();
    let message = match TestMessage::new(&out.from, &out.to, &label, OffsetDateTime::now_utc()) {
        Ok(message) => message,
        Err(e) => {
            out.outcome = SendOutcome::Error;
            out.error = Some(PhaseError {
                phase: Phase::Send,
                message: format!("the test message could not be made: {e}"),
                run_deadline: false,
            });
            return Ok(());
        }
    };
    out.message_id = Some(message.message_id.clone());
    out.date = message.date.format(&Rfc3339).ok();
    let commands = [
        (SendCommand::MailFrom, format!("MAIL FROM:<{}>", out.from)),
        (SendCommand::RcptTo, format!("RCPT TO:<{}>", out.to)),
        (SendCommand::Data, "DATA".to_string()),
    ];
    for (command, line) in commands {
        session.send(stream, &line, Phase::Send).await?;
        let reply = session.read_reply(stream, Phase::Send).await?;
        let go_on = match command {
            SendCommand::Data => reply.code == 354,
            _ => reply.is_positive(),
        };
        let verdict = (!go_on).then(|| refused(command, &reply));
        out.steps.push(SendStep { command, reply });
        if let Some((outcome, error)) = verdict {
            out.outcome = outcome;
            out.error = error;
            return Ok(());
        }
    }
    let data = message.data();
    out.size = Some(data.len());
    session.send_content(stream, &data, Phase::Send).await?;
    let reply = session.read_final_reply(stream, Phase::Send).await?;
    if reply.is_positive() {
        out.outcome = SendOutcome::Accepted;
        out.queue_id = queue_id(&reply);
    } else {
        let (outcome, error) = refused(SendCommand::EndOfData, &reply);
        out.outcome = outcome;
        out.error = error;
    }
    out.steps.push(SendStep {
        command: SendCommand::EndOfData,
        reply,
    });
    Ok(())
}

/// The outcome of a reply that stops the transaction: 4xx, 5xx, or a reply that makes no
/// sense there (a 2xx to DATA, say), which is a protocol error.
fn refused(command: SendCommand, reply: &Reply) -> (SendOutcome, Option<PhaseError>) {
    if reply.is_transient() {
        (SendOutcome::TemporaryFailure, None)
    } else if reply.is_permanent() {
        (SendOutcome::Rejected, None)
    } else {
        let message = format!(
            "{} was answered with {}, which makes no sense there",
            command.label(),
            reply.code
        );
        (
            SendOutcome::Error,
            Some(PhaseError {
                phase: Phase::Send,
                message,
                run_deadline: false,
            }),
        )
    }
}

/// The queue id in a final `250`, in the forms common servers use: Postfix and Sendmail
/// `queued as 4ABC12`, Exim `id=1rAbCd-000123-Xy`, Exchange `[InternalId=12345, ...]`, Gmail
/// `OK  1700000000 a1-20020a...wrx.123 - gsmtp`, Amazon SES `Ok 0100018b...-000000`, Haraka
/// `Message Queued (<uuid>.1)`, Exchange `<message-id> Queued mail for delivery`.
pub fn queue_id(reply: &Reply) -> Option<String> {
    let text = reply.text();
    let words: Vec<&str> = text.split_whitespace().collect();
    let clean = |w: &str| {
        w.trim_matches(|c: char| matches!(c, ',' | ';' | '.' | '(' | ')' | '[' | ']' | '<' | '>'))
            .to_string()
    };
    let after = |pred: &dyn Fn(&str) -> bool| {
        words
            .windows(2)
            .find(|pair| pair.first().is_some_and(|w| pred(w)))
            .and_then(|pair| pair.get(1))
            .map(|w| clean(w))
    };
    let found = after(&|w| w.eq_ignore_ascii_case("as"))
        .filter(|_| text.to_ascii_lowercase().contains("queued as"))
        .or_else(|| {
            words.iter().find_map(|w| {
                let w = w.trim_start_matches('[');
                let lower = w.to_ascii_lowercase();
                ["internalid=", "id="].iter().find_map(|key| {
                    lower
                        .starts_with(key)
                        .then(|| w.get(key.len()..).map(clean))
                        .flatten()
                })
            })
        })
        .or_else(|| {
            // Gmail: the id is the word before "- gsmtp".
            let at = words.iter().position(|w| w.eq_ignore_ascii_case("gsmtp"))?;
            let dash = at.checked_sub(1)?;
            (words.get(dash) == Some(&"-"))
                .then(|| dash.checked_sub(1).and_then(|i| words.get(i)))
                .flatten()
                .map(|w| clean(w))
        })
        .or_else(|| {
            // Haraka: `Message Queued (<uuid>.1)`, the word after "queued" in parentheses.
            let at = words
                .iter()
                .position(|w| w.eq_ignore_ascii_case("queued"))?;
            let next = words.get(at + 1)?;
            (next.starts_with('(') && next.ends_with(')')).then(|| clean(next))
        })
        .or_else(|| {
            // Exchange without an InternalId: `2.6.0 <message-id> Queued mail for delivery`.
            let lower = text.to_ascii_lowercase();
            if !lower.contains("queued mail for delivery") {
                return None;
            }
            words
                .iter()
                .find(|w| w.starts_with('<') && w.ends_with('>') && w.len() > 2)
                .map(|w| clean(w))
        })
        .or_else(|| {
            // Amazon SES and others: `250 Ok <id>` and nothing else.
            let rest: Vec<&str> = words.iter().copied().filter(|w| !is_enhanced(w)).collect();
            match rest.as_slice() {
                [ok, id] if ok.eq_ignore_ascii_case("ok") && id.len() >= 8 => Some(clean(id)),
                _ => None,
            }
        });
    found.filter(|id| !id.is_empty() && id.len() <= 128)
}

fn is_enhanced(word: &str) -> bool {
    let parts: Vec<&str> = word.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;
    use crate::model::{Security, Verification};
    use crate::smtp::{Ehlo, Keyword};

    fn reply(code: u16, text: &str) -> Reply {
        Reply {
            code,
            enhanced: None,
            lines: vec![text.to_string()],
        }
    }

    #[test]
    fn queue_ids_in_common_forms() {
        let cases = [
            ("2.0.0 Ok: queued as 4TESTQUEUE1", Some("4TESTQUEUE1")),
            ("Ok: queued as 4Vx2Lq6Zz3z9sKB", Some("4Vx2Lq6Zz3z9sKB")),
            ("2.0.0 y1ABcd123456 Message accepted for delivery", None),
            ("OK id=1rAbCd-000123-Xy", Some("1rAbCd-000123-Xy")),
            (
                "2.6.0 <abc@host> [InternalId=1234567890, Hostname=AM0PR.eurprd.prod.outlook.com] Queued mail for delivery",
                Some("1234567890"),
            ),
            (
                "2.0.0 OK  1700000000 a1-20020a5d4a4c000000b0033e9a6b5dbcsm1234567wrx.123 - gsmtp",
                Some("a1-20020a5d4a4c000000b0033e9a6b5dbcsm1234567wrx.123"),
            ),
            (
                "Ok 0100018b1c2d3e4f-12345678-aaaa-bbbb-cccc-1234567890ab-000000",
                Some("0100018b1c2d3e4f-12345678-aaaa-bbbb-cccc-1234567890ab-000000"),
            ),
            (
                "Message Queued (8C7A1E52-1F1B-4E0A-9B6E-0D3C2A1B4F5E.1)",
                Some("8C7A1E52-1F1B-4E0A-9B6E-0D3C2A1B4F5E.1"),
            ),
            ("OK id=1tAbCd-000Abc-Xy", Some("1tAbCd-000Abc-Xy")),
            (
                "2.6.0 <CAB1234@mail.example.com> Queued mail for delivery",
                Some("CAB1234@mail.example.com"),
            ),
            ("2.0.0 OK  1700000000 x1-2.3 - gsmtp", Some("x1-2.3")),
            ("2.0.0 Ok", None),
            ("Ok", None),
            ("", None),
        ];
        for (text, expected) in cases {
            assert_eq!(queue_id(&reply(250, text)).as_deref(), expected, "{text:?}");
        }
    }

    fn ehlo(auth: bool) -> Ehlo {
        let mut keywords = vec![Keyword {
            name: "PIPELINING".to_string(),
            params: Vec::new(),
        }];
        if auth {
            keywords.push(Keyword {
                name: "AUTH".to_string(),
                params: vec!["PLAIN".to_string()],
            });
        }
        Ehlo {
            code: 250,
            domain: "mail.test".to_string(),
            greeting: String::new(),
            keywords,
            lines: Vec::new(),
            helo: false,
        }
    }

    fn tls(trusted: bool) -> TlsFacts {
        TlsFacts {
            version: "TLSv1.3".to_string(),
            cipher: "TLS_AES_256_GCM_SHA384".to_string(),
            key_exchange: None,
            chain: Vec::new(),
            verification: Verification {
                trusted,
                hostname_match: Some(trusted),
                checked_name: Some("mail.test".to_string()),
                errors: Vec::new(),
            },
        }
    }

    /// An observation that completed: with verified TLS, unverified TLS or none.
    fn obs(port: u16, protection: Protection, auth: bool) -> Observation {
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let mut o = Observation::new(Endpoint {
            host: "mail.test".to_string(),
            ip,
            port,
            security: Security::default_for_port(port),
        });
        match protection {
            Protection::Verified => {
                o.tls = Some(tls(true));
                o.ehlo_tls = Some(ehlo(auth));
            }
            Protection::Unverified => {
                o.tls = Some(tls(false));
                o.ehlo_tls = Some(ehlo(auth));
            }
            Protection::Plain => o.ehlo = Some(ehlo(auth)),
        }
        o
    }

    fn ports(plans: &[Plan]) -> Vec<(u16, &'static str)> {
        plans
            .iter()
            .map(|p| match p {
                Plan::Try(e) => (e.port, "try"),
                Plan::Refuse(a) => (
                    a.endpoint.as_ref().map_or(0, |e| e.port),
                    a.outcome.as_str(),
                ),
            })
            .collect()
    }

    #[test]
    fn one_endpoint_by_default_never_25_when_another_works() {
        let all = [
            obs(25, Protection::Verified, true),
            obs(587, Protection::Verified, true),
            obs(465, Protection::Verified, true),
        ];
        assert_eq!(ports(&plan(&all, None, false, false)), [(587, "try")]);
        assert_eq!(ports(&plan(&all, Some(465), false, false)), [(465, "try")]);
        assert_eq!(
            ports(&plan(&all, None, true, false)),
            [(587, "try"), (465, "try"), (25, "try")]
        );
        // Port 25 alone is still tried: the user probed nothing else.
        let only25 = [obs(25, Protection::Verified, true)];
        assert_eq!(ports(&plan(&only25, None, false, false)), [(25, "try")]);
    }

    #[test]
    fn broken_endpoints_are_not_candidates() {
        let mut refused = obs(587, Protection::Verified, true);
        refused.state = State::Refused;
        let mut wrong = obs(465, Protection::Verified, true);
        wrong.wrong_mode = Some(crate::model::WrongMode::PlainOnTlsPort);
        let good = obs(2525, Protection::Verified, true);
        assert_eq!(
            ports(&plan(
                &[refused.clone(), wrong.clone(), good],
                None,
                false,
                false
            )),
            [(2525, "try")]
        );
        assert_eq!(
            ports(&plan(&[refused, wrong], None, false, false)),
            [(0, "not_attempted")]
        );
        assert_eq!(ports(&plan(&[], None, true, false)), [(0, "not_attempted")]);
    }

    #[test]
    fn protection_beats_preference_and_auth_offers_rank_first() {
        let list = [
            obs(587, Protection::Unverified, true),
            obs(465, Protection::Verified, true),
        ];
        assert_eq!(ports(&plan(&list, Some(587), false, false)), [(465, "try")]);
        let list = [
            obs(587, Protection::Verified, false),
            obs(465, Protection::Verified, true),
        ];
        assert_eq!(ports(&plan(&list, None, false, false)), [(465, "try")]);
    }

    #[test]
    fn unprotected_endpoints_are_refused_unless_allowed() {
        let plain = [obs(587, Protection::Plain, true)];
        assert_eq!(
            ports(&plan(&plain, None, false, false)),
            [(587, "plaintext_refused")]
        );
        assert_eq!(ports(&plan(&plain, None, false, true)), [(587, "try")]);
        let untrusted = [
            obs(587, Protection::Unverified, true),
            obs(25, Protection::Plain, true),
        ];
        let plans = plan(&untrusted, None, true, false);
        assert_eq!(ports(&plans), [(587, "untrusted_refused")]);
        let Plan::Refuse(attempt) = &plans[0] else {
            panic!()
        };
        assert!(attempt.tls);
        assert_eq!(
            ports(&plan(&untrusted, None, true, true)),
            [(587, "try"), (25, "try")]
        );
        // With a verified endpoint around, an unverified one is left out silently.
        let mixed = [
            obs(587, Protection::Unverified, true),
            obs(465, Protection::Verified, true),
        ];
        assert_eq!(ports(&plan(&mixed, None, true, false)), [(465, "try")]);
    }

    #[test]
    fn enhanced_code_words() {
        assert!(is_enhanced("2.0.0"));
        assert!(is_enhanced("5.7.139"));
        assert!(!is_enhanced("Ok"));
        assert!(!is_enhanced("1.2"));
        assert!(!is_enhanced("a.b.c"));
    }
}
