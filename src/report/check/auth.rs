//! The credential check and the test message in the table: one `AUTH` line and one
//! `test message` line in the details of the endpoint they ran at. Their findings follow with
//! the endpoint's own; their dialogue is in the transcript ([`attempts_at`]).

use std::io::{self, Write};

use crate::model::{
    AuthAttempt, AuthOutcome, CredentialCheck, Endpoint, SendAttempt, SendCommand, SendOutcome,
};
use crate::report::text::{Tone, clean, field};
use crate::run::outcome::CheckReport;
use crate::smtp::Reply;

/// The credential-check attempts made at `endpoint`, in order.
pub(super) fn attempts_at<'a>(
    report: &'a CheckReport,
    endpoint: &'a Endpoint,
) -> impl Iterator<Item = &'a AuthAttempt> + 'a {
    report
        .credentials
        .iter()
        .flat_map(|c| c.attempts.iter())
        .filter(move |a| a.endpoint.as_ref() == Some(endpoint))
}

/// The `AUTH` and `test message` lines of an endpoint's details, if anything ran there.
pub(super) fn write_fields(
    report: &CheckReport,
    endpoint: &Endpoint,
    out: &mut dyn Write,
    color: bool,
) -> io::Result<()> {
    let Some(check) = &report.credentials else {
        return Ok(());
    };
    for attempt in attempts_at(report, endpoint) {
        let (text, tone) = attempt_line(check, attempt);
        field(out, "AUTH", &[text], color, Some(tone))?;
    }
    if let Some(send) = &check.send
        && send.endpoint.as_ref() == Some(endpoint)
    {
        let (text, tone) = send_line(send);
        field(out, "test message", &[text], color, Some(tone))?;
    }
    Ok(())
}

/// `535 5.7.8 Error: authentication failed`, control characters escaped.
fn reply_text(reply: &Reply) -> String {
    clean(&format!("{} {}", reply.code, reply.text())).into_owned()
}

fn attempt_line(check: &CredentialCheck, attempt: &AuthAttempt) -> (String, Tone) {
    let user = clean(&check.user).into_owned();
    let how = match attempt.mechanism {
        Some(m) => format!("{user} with {m}"),
        None => user,
    };
    let offered = if attempt.offered.is_empty() {
        "no AUTH offered".to_string()
    } else {
        format!("offered {}", clean(&attempt.offered.join(" ")))
    };
    let reply = attempt.reply.as_ref().map(reply_text).unwrap_or_default();
    let why = attempt
        .error
        .as_ref()
        .map(|e| clean(&e.message).into_owned())
        .unwrap_or_default();
    match attempt.outcome {
        AuthOutcome::Authenticated => {
            (format!("{how} ({offered}): accepted, {reply}"), Tone::Green)
        }
        AuthOutcome::Rejected => (format!("{how} ({offered}): refused, {reply}"), Tone::Red),
        AuthOutcome::TemporaryFailure => {
            (format!("{how} ({offered}): deferred, {reply}"), Tone::Red)
        }
        AuthOutcome::MechanismUnsupported
        | AuthOutcome::PlaintextRefused
        | AuthOutcome::UntrustedRefused
        | AuthOutcome::NotAttempted => (format!("{how}: not sent, {why}"), Tone::Red),
        AuthOutcome::Error => {
            let reply = if reply.is_empty() {
                String::new()
            } else {
                format!(" (last reply {reply})")
            };
            (format!("{how}: did not finish, {why}{reply}"), Tone::Red)
        }
    }
}

fn send_line(send: &SendAttempt) -> (String, Tone) {
    let steps: Vec<String> = send
        .steps
        .iter()
        .map(|s| match s.command {
            SendCommand::EndOfData => format!("message {}", reply_text(&s.reply)),
            other => format!("{} {}", other.label(), reply_text(&s.reply)),
        })
        .collect();
    let route = format!("{} to {}", clean(&send.from), clean(&send.to));
    let why = send
        .error
        .as_ref()
        .map(|e| clean(&e.message).into_owned())
        .unwrap_or_default();
    match send.outcome {
        SendOutcome::Accepted => (
            format!("{route}: accepted; {}", steps.join("; ")),
            Tone::Green,
        ),
        SendOutcome::Rejected | SendOutcome::TemporaryFailure => {
            (format!("{route}: refused; {}", steps.join("; ")), Tone::Red)
        }
        SendOutcome::Error => (
            format!("{route}: did not finish ({why}); {}", steps.join("; ")),
            Tone::Red,
        ),
        SendOutcome::Skipped => (format!("{route}: {why}"), Tone::Yellow),
    }
}
