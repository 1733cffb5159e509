//! Table tests of the credential-check verdicts: every reply in the providers facts ("Error
//! replies and advice") and the generic AUTH codes, mapped to their cause and advice; the
//! findings of each outcome.

use std::net::IpAddr;

use super::*;
use crate::model::{Endpoint, PhaseError, Security, SendStep};
use crate::smtp::ReplyParser;
use crate::smtp::sasl::Mechanism;

/// A reply as a server sends it; lines separated by `\n`.
fn wire(text: &str) -> Reply {
    let mut parser = ReplyParser::default();
    for line in text.split('\n') {
        parser.feed(line.as_bytes());
        parser.feed(b"\r\n");
    }
    parser.next_reply().unwrap().unwrap().reply
}

/// Expected: where the knowledge comes from, and words in the cause and in the advice.
struct Case {
    reply: &'static str,
    source: &'static str,
    cause: &'static str,
    advice: &'static str,
}

const AUTH_CASES: &[Case] = &[
    Case {
        reply: "534-5.7.9 Application-specific password required. Learn more at\n534 5.7.9 https://support.google.com/mail/?p=InvalidSecondFactor d2-20020a05600c.123 - gsmtp",
        source: "Gmail",
        cause: "2-Step Verification",
        advice: "app password",
    },
    Case {
        reply: "535-5.7.8 Username and Password not accepted. For more information, go to\n535 5.7.8  https://support.google.com/mail/?p=BadCredentials x1-2 - gsmtp",
        source: "Gmail",
        cause: "did not accept",
        advice: "full e-mail address",
    },
    Case {
        reply: "535 5.7.1 Please log in with your web browser and then try again.",
        source: "Gmail",
        cause: "blocked",
        advice: "web browser",
    },
    Case {
        reply: "534-5.7.14 <https://accounts.google.com/signin/continue?sarp=1> Please log in via\n534 5.7.14 your web browser and then try again.",
        source: "Gmail",
        cause: "web browser",
        advice: "web browser",
    },
    Case {
        reply: "530 5.7.0 Must issue a STARTTLS command first. x1-2 - gsmtp",
        source: "many providers",
        cause: "before TLS",
        advice: "STARTTLS",
    },
    Case {
        reply: "504 5.7.4 Unrecognized authentication type [AM0PR01CA0001.eurprd01.prod.exchangelabs.com]",
        source: "many providers",
        cause: "not one the server offers",
        advice: "EHLO AUTH list",
    },
    Case {
        reply: "550-5.7.1 Invalid credentials for relay [192.0.2.7]. The IP address you've\n550 5.7.1 registered in your Workspace SMTP Relay service doesn't match",
        source: "Google Workspace SMTP relay",
        cause: "not registered",
        advice: "relay rule",
    },
    Case {
        reply: "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.",
        source: "Microsoft 365",
        cause: "switched off",
        advice: "Set-CASMailbox",
    },
    Case {
        reply: "535 5.7.139 Authentication unsuccessful, basic authentication is disabled. [BN0PR04CA0001.namprd04.prod.outlook.com]",
        source: "Microsoft 365",
        cause: "Basic authentication",
        advice: "XOAUTH2",
    },
    Case {
        reply: "535 5.7.139 Authentication unsuccessful, user is locked by your organization's security defaults policy. Contact your administrator.",
        source: "Microsoft 365",
        cause: "Security Defaults",
        advice: "Conditional Access",
    },
    Case {
        reply: "535 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be authenticated successfully.",
        source: "Microsoft 365",
        cause: "by policy",
        advice: "OAuth 2",
    },
    Case {
        reply: "535 5.7.3 Authentication unsuccessful [SN4PR0201CA0001.namprd02.prod.outlook.com]",
        source: "Microsoft 365",
        cause: "Wrong credentials",
        advice: "SMTP AUTH is enabled",
    },
    Case {
        reply: "550 5.7.30 Basic authentication is not supported for Client Submission.",
        source: "Microsoft 365",
        cause: "Basic authentication",
        advice: "XOAUTH2",
    },
    Case {
        reply: "421 4.7.66 TLS 1.0 and 1.1 are not supported. Please upgrade/update your client to support TLS 1.2.",
        source: "Microsoft 365",
        cause: "TLS 1.0 or 1.1",
        advice: "TLS 1.2",
    },
    // RFC 4954 and the common codes, with a generic server's words.
    Case {
        reply: "535 5.7.8 Error: authentication failed: authentication failure",
        source: "RFC 4954",
        cause: "did not accept",
        advice: "app password",
    },
    Case {
        reply: "534 5.7.9 Authentication mechanism is too weak",
        source: "RFC 4954",
        cause: "too weak",
        advice: "OAuth 2",
    },
    Case {
        reply: "538 5.7.11 Encryption required for requested authentication mechanism",
        source: "RFC 4954",
        cause: "encrypted connection",
        advice: "STARTTLS",
    },
    Case {
        reply: "454 4.7.0 Temporary authentication failure",
        source: "RFC 4954",
        cause: "temporary",
        advice: "Retry",
    },
    Case {
        reply: "530 5.7.0 Authentication required",
        source: "RFC 4954",
        cause: "requires authentication",
        advice: "SMTP AUTH",
    },
    Case {
        reply: "432 4.7.12 A password transition is needed",
        source: "RFC 4954",
        cause: "password transition",
        advice: "PLAIN",
    },
    Case {
        reply: "500 5.5.6 Authentication Exchange line is too long",
        source: "RFC 4954",
        cause: "too long",
        advice: "access token",
    },
    Case {
        reply: "535 Incorrect authentication data",
        source: "RFC 4954",
        cause: "did not accept",
        advice: "user name",
    },
    Case {
        reply: "451 4.3.0 Temporary lookup failure",
        source: "RFC 4954",
        cause: "temporary",
        advice: "Retry",
    },
    Case {
        reply: "421 4.7.0 Too many failed logins, closing connection",
        source: "RFC 4954",
        cause: "closing",
        advice: "lock",
    },
];

fn check_case(case: &Case, got: &Explanation) {
    assert_eq!(got.source, case.source, "{}: {got:?}", case.reply);
    assert!(
        got.cause.contains(case.cause),
        "{}: cause {:?} lacks {:?}",
        case.reply,
        got.cause,
        case.cause
    );
    assert!(
        got.advice.contains(case.advice),
        "{}: advice {:?} lacks {:?}",
        case.reply,
        got.advice,
        case.advice
    );
}

#[test]
fn auth_replies_map_to_cause_and_advice() {
    for case in AUTH_CASES {
        check_case(case, &explain_auth(&wire(case.reply), None, None));
    }
}

struct SendCase {
    command: SendCommand,
    case: Case,
}

const fn send(
    command: SendCommand,
    reply: &'static str,
    source: &'static str,
    cause: &'static str,
    advice: &'static str,
) -> SendCase {
    SendCase {
        command,
        case: Case {
            reply,
            source,
            cause,
            advice,
        },
    }
}

const SEND_CASES: &[SendCase] = &[
    send(
        SendCommand::MailFrom,
        "530 5.7.57 Client not authenticated to send mail. [AM0PR01CA0001.eurprd01.prod.exchangelabs.com]",
        "Microsoft 365",
        "without having authenticated",
        "SMTP AUTH",
    ),
    send(
        SendCommand::MailFrom,
        "550 5.7.60 SMTP; Client does not have permissions to send as this sender",
        "Microsoft 365",
        "Send As",
        "--from",
    ),
    send(
        SendCommand::EndOfData,
        "554 5.2.252 SendAsDenied; alice@contoso.com not allowed to send as bob@contoso.com; STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied",
        "Microsoft 365",
        "SendAsDenied",
        "Send As",
    ),
    send(
        SendCommand::RcptTo,
        "550 5.7.64 TenantAttribution; Relay Access Denied [DM6NAM12FT001.eop-nam12.prod.protection.outlook.com]",
        "Microsoft 365",
        "connector",
        "inbound connector",
    ),
    send(
        SendCommand::RcptTo,
        "550 5.7.68 TenantInboundAttribution; Direct Send not allowed for this organization from unauthorized sources",
        "Microsoft 365",
        "Direct Send",
        "partner connector",
    ),
    send(
        SendCommand::EndOfData,
        "554 Message rejected: Email address is not verified. The following identities failed the check in region EU-WEST-1: alice@example.com",
        "Amazon SES",
        "verified identity",
        "production access",
    ),
    send(
        SendCommand::EndOfData,
        "550 The from address does not match a verified Sender Identity. Mail cannot be sent until this error is resolved.",
        "SendGrid",
        "Sender Identity",
        "authenticate the domain",
    ),
    send(
        SendCommand::MailFrom,
        "553 Sender is not allowed to relay emails",
        "Zoho Mail",
        "alias",
        "alias",
    ),
    send(
        SendCommand::EndOfData,
        "550 5.7.0 From address is not one of your addresses",
        "iCloud Mail",
        "alias",
        "iCloud address",
    ),
    send(
        SendCommand::MailFrom,
        "550 5.7.1 Unconfigured Sending Domain <example.com>",
        "SparkPost",
        "sending domain",
        "verify the sending domain",
    ),
    send(
        SendCommand::RcptTo,
        "550 5.4.5 Daily SMTP relay limit exceeded for customer. For more information see https://support.google.com/",
        "Google",
        "quota",
        "24 hours",
    ),
    send(
        SendCommand::MailFrom,
        "550 5.4.5 Daily user sending limit exceeded.",
        "Google",
        "limit",
        "24 hours",
    ),
    send(
        SendCommand::MailFrom,
        "550 5.7.1 Invalid credentials for relay [192.0.2.7].",
        "Google Workspace SMTP relay",
        "not registered",
        "relay rule",
    ),
    // Generic meanings of the transaction's refusals.
    send(
        SendCommand::RcptTo,
        "554 5.7.1 <bob@example.org>: Relay access denied",
        "RFC 3463",
        "Relay access denied",
        "authenticates",
    ),
    send(
        SendCommand::MailFrom,
        "553 5.7.1 <boss@example.com>: Sender address rejected: not owned by user alice@example.com",
        "RFC 3463",
        "sender address",
        "--from",
    ),
    send(
        SendCommand::MailFrom,
        "553 5.1.8 <x@nowhere.invalid>: Sender address rejected: Domain not found",
        "RFC 3463",
        "sender address",
        "--from",
    ),
    send(
        SendCommand::RcptTo,
        "550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown in virtual mailbox table",
        "RFC 3463",
        "does not exist",
        "--send-to",
    ),
    send(
        SendCommand::RcptTo,
        "552 5.2.2 Mailbox full",
        "RFC 3463",
        "mailbox is full",
        "--send-to",
    ),
    send(
        SendCommand::RcptTo,
        "451 4.7.1 Sending rate limit exceeded, try again later",
        "RFC 3463",
        "limit",
        "Wait",
    ),
    send(
        SendCommand::EndOfData,
        "550 5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC policy.",
        "RFC 7372",
        "DMARC",
        "SPF",
    ),
    send(
        SendCommand::RcptTo,
        "450 4.2.0 <bob@example.org>: Recipient address rejected: Greylisted, see https://postgrey.schweikert.ch/",
        "RFC 5321",
        "temporary",
        "Retry",
    ),
    send(
        SendCommand::EndOfData,
        "554 5.6.0 Message rejected by content filter",
        "RFC 5321",
        "after reading it",
        "content filter",
    ),
    send(
        SendCommand::Data,
        "554 5.5.1 Error: no valid recipients",
        "RFC 5321",
        "content",
        "policy",
    ),
];

#[test]
fn send_replies_map_to_cause_and_advice() {
    for case in SEND_CASES {
        check_case(
            &case.case,
            &explain_send(case.command, &wire(case.case.reply), None),
        );
    }
}

/// Every reply of the facts file's table is one of the cases above (by code and first words).
#[test]
fn every_reply_of_the_facts_table_is_covered() {
    let facts = [
        "534 5.7.9 Application-specific password required",
        "535 5.7.8 Username and Password not accepted",
        "535 5.7.1 Please log in with your web browser",
        "534 5.7.14",
        "530 5.7.0 Must issue a STARTTLS command first",
        "504 5.7.4 Unrecognized authentication type",
        "550 5.7.1 Invalid credentials for relay",
        "550 5.4.5 Daily SMTP relay limit exceeded",
        "535 5.7.139",
        "535 5.7.3 Authentication unsuccessful",
        "530 5.7.57 Client not authenticated to send mail",
        "550 5.7.30 Basic authentication is not supported for Client Submission",
        "421 4.7.66 TLS 1.0 and 1.1 are not supported",
        "550 5.7.60",
        "554 5.2.252 SendAsDenied",
        "550 5.7.64 TenantAttribution",
        "550 5.7.68 TenantInboundAttribution",
        "554 Message rejected: Email address is not verified",
        "550 The from address does not match a verified Sender Identity",
        "553 Sender is not allowed to relay emails",
        "550 5.7.0 From address is not one of your addresses",
        "550 5.7.1 Unconfigured Sending Domain",
    ];
    let covered: Vec<String> = AUTH_CASES
        .iter()
        .chain(SEND_CASES.iter().map(|c| &c.case))
        .map(|c| {
            let r = wire(c.reply);
            format!("{} {}", r.code, r.text())
        })
        .collect();
    for fact in facts {
        assert!(
            covered.iter().any(|c| c.starts_with(fact)),
            "{fact} has no case"
        );
    }
}

#[test]
fn a_provider_entry_wins() {
    let reply = wire("535 5.7.8 Error: authentication failed");
    let provider = ProviderReply {
        provider: "Example Mail".to_string(),
        meaning: "Example wants its app password.".to_string(),
        advice: "Create one at example.com/apps.".to_string(),
    };
    let got = explain_auth(&reply, None, Some(provider.clone()));
    assert_eq!(got.source, "Example Mail");
    assert_eq!(got.advice, "Create one at example.com/apps.");
    let got = explain_send(SendCommand::MailFrom, &reply, Some(provider));
    assert_eq!(got.source, "Example Mail");
}

#[test]
fn a_refused_token_is_explained_unless_the_words_say_more() {
    let generic = wire("535 5.7.8 Username and Password not accepted");
    let detail = Some(r#"{"status":"401","schemes":"bearer"}"#);
    // Gmail's words name the problem better than the token's JSON.
    assert_eq!(explain_auth(&generic, detail, None).source, "Gmail");
    let plain = wire("535 5.7.8 Authentication failed");
    let got = explain_auth(&plain, detail, None);
    assert_eq!(got.source, "RFC 7628");
    assert!(got.advice.contains("https://mail.google.com/"), "{got:?}");
    // A temporary failure stays temporary.
    let busy = wire("454 4.7.0 Temporary authentication failure");
    assert_eq!(explain_auth(&busy, detail, None).source, "RFC 4954");
}

fn endpoint(port: u16) -> Endpoint {
    let ip: IpAddr = "192.0.2.1".parse().unwrap();
    Endpoint {
        host: "mail.test".to_string(),
        ip,
        port,
        security: Security::default_for_port(port),
    }
}

fn attempt(outcome: AuthOutcome, reply: Option<&str>) -> AuthAttempt {
    AuthAttempt {
        endpoint: Some(endpoint(587)),
        tls: true,
        offered: vec!["PLAIN".to_string(), "LOGIN".to_string()],
        mechanism: Some(Mechanism::Plain),
        outcome,
        reply: reply.map(wire),
        detail: None,
        error: None,
        duration: None,
        transcript: Vec::new(),
        explanation: None,
    }
}

fn credential_check(attempts: Vec<AuthAttempt>, send: Option<SendAttempt>) -> CredentialCheck {
    CredentialCheck {
        user: "alice@mail.test".to_string(),
        credential: CredentialKind::Password,
        forced: None,
        attempts,
        send,
    }
}

#[test]
fn each_outcome_has_its_finding() {
    let error = |message: &str| {
        Some(PhaseError {
            phase: crate::model::Phase::Auth,
            message: message.to_string(),
            run_deadline: false,
        })
    };
    let mut unsupported = attempt(AuthOutcome::MechanismUnsupported, None);
    unsupported.mechanism = None;
    let mut broken = attempt(AuthOutcome::Error, None);
    broken.error = error("the server closed the connection");
    let cases = [
        (
            attempt(
                AuthOutcome::Authenticated,
                Some("235 2.7.0 Authentication successful"),
            ),
            "auth.ok",
            Severity::Info,
        ),
        (
            attempt(
                AuthOutcome::Rejected,
                Some("535 5.7.8 Error: authentication failed"),
            ),
            "auth.failed",
            Severity::Error,
        ),
        (
            attempt(
                AuthOutcome::TemporaryFailure,
                Some("454 4.7.0 Temporary authentication failure"),
            ),
            "auth.temporary_failure",
            Severity::Error,
        ),
        (unsupported, "auth.mechanism_unsupported", Severity::Error),
        (
            AuthAttempt::not_sent(Some(endpoint(587)), AuthOutcome::PlaintextRefused, "plain"),
            "auth.plaintext_refused",
            Severity::Error,
        ),
        (
            AuthAttempt::not_sent(Some(endpoint(587)), AuthOutcome::UntrustedRefused, "cert"),
            "auth.untrusted_refused",
            Severity::Error,
        ),
        (broken, "auth.incomplete", Severity::Error),
        (
            AuthAttempt::not_sent(None, AuthOutcome::NotAttempted, "nowhere"),
            "auth.not_attempted",
            Severity::Error,
        ),
    ];
    for (attempt, id, severity) in cases {
        let mut check = credential_check(vec![attempt], None);
        annotate(&mut check, &|_| None);
        let findings = judge(&check);
        assert_eq!(findings.len(), 1, "{findings:?}");
        let f = &findings[0];
        assert_eq!((f.id.as_str(), f.severity), (id, severity), "{f:?}");
        assert!(!f.message.is_empty() && !f.advice.is_empty(), "{f:?}");
        assert!(f.message.contains("alice@mail.test"), "{f:?}");
        if id == "auth.not_attempted" {
            assert_eq!(f.endpoint, None);
        } else {
            assert_eq!(f.endpoint.as_deref(), Some("mail.test:587"));
        }
        if id != "auth.ok" {
            assert!(check.attempts[0].explanation.is_some(), "{id}");
        }
    }
}

#[test]
fn failure_finding_quotes_the_reply_and_explains_it() {
    let mut check = credential_check(
        vec![attempt(
            AuthOutcome::Rejected,
            Some(
                "534-5.7.9 Application-specific password required. Learn more at\n534 5.7.9 https://support.google.com/mail/?p=InvalidSecondFactor",
            ),
        )],
        None,
    );
    annotate(&mut check, &|_| None);
    let f = &judge(&check)[0];
    assert!(
        f.message.starts_with("mail.test:587 (192.0.2.1) refused the login of alice@mail.test with PLAIN: 534 5.7.9 Application-specific password required."),
        "{}",
        f.message
    );
    assert!(f.message.contains("2-Step Verification"), "{}", f.message);
    assert!(f.advice.contains("app password"), "{}", f.advice);
}

#[test]
fn mechanism_advice_depends_on_what_was_offered_and_asked() {
    let explained = |offered: &[&str], kind, forced| {
        let mut a = attempt(AuthOutcome::MechanismUnsupported, None);
        a.offered = offered.iter().map(|s| s.to_string()).collect();
        explain_attempt(&a, kind, forced, &|_| None).unwrap()
    };
    let none = explained(&[], CredentialKind::Password, false);
    assert!(none.cause.contains("no AUTH"), "{none:?}");
    let forced = explained(&["PLAIN", "LOGIN"], CredentialKind::Password, true);
    assert!(forced.cause.contains("offers PLAIN, LOGIN"), "{forced:?}");
    assert!(forced.advice.contains("--auth-mech"), "{forced:?}");
    let token = explained(&["PLAIN", "LOGIN"], CredentialKind::Token, false);
    assert!(token.cause.contains("no OAuth 2"), "{token:?}");
    let odd = explained(&["GSSAPI", "XOAUTH2"], CredentialKind::Password, false);
    assert!(odd.advice.contains("--oauth-token-env"), "{odd:?}");
}

fn sent(outcome: SendOutcome, steps: &[(SendCommand, &str)]) -> SendAttempt {
    SendAttempt {
        endpoint: Some(endpoint(587)),
        from: "alice@mail.test".to_string(),
        to: "bob@example.org".to_string(),
        message_id: Some("<1@h>".to_string()),
        date: None,
        size: Some(100),
        steps: steps
            .iter()
            .map(|(command, reply)| SendStep {
                command: *command,
                reply: wire(reply),
            })
            .collect(),
        outcome,
        queue_id: Some("4TESTQUEUE1".to_string()).filter(|_| outcome == SendOutcome::Accepted),
        error: None,
        explanation: None,
    }
}

#[test]
fn send_findings() {
    let ok = sent(
        SendOutcome::Accepted,
        &[
            (SendCommand::MailFrom, "250 2.1.0 Ok"),
            (SendCommand::RcptTo, "250 2.1.5 Ok"),
            (SendCommand::Data, "354 End data with <CR><LF>.<CR><LF>"),
            (
                SendCommand::EndOfData,
                "250 2.0.0 Ok: queued as 4TESTQUEUE1",
            ),
        ],
    );
    let denied = sent(
        SendOutcome::Rejected,
        &[
            (SendCommand::MailFrom, "250 2.1.0 Ok"),
            (
                SendCommand::RcptTo,
                "554 5.7.1 <bob@example.org>: Relay access denied",
            ),
        ],
    );
    let deferred = sent(
        SendOutcome::TemporaryFailure,
        &[(SendCommand::MailFrom, "451 4.3.0 Try again later")],
    );
    let mut broken = sent(SendOutcome::Error, &[]);
    broken.error = Some(PhaseError {
        phase: crate::model::Phase::Send,
        message: "the server closed the connection".to_string(),
        run_deadline: false,
    });
    let skipped = sent(SendOutcome::Skipped, &[]);
    let cases = [
        (ok, Some(("send.ok", Severity::Info, "4TESTQUEUE1"))),
        (
            denied,
            Some(("send.rejected", Severity::Error, "at RCPT TO: 554 5.7.1")),
        ),
        (
            deferred,
            Some((
                "send.temporary_failure",
                Severity::Error,
                "at MAIL FROM: 451",
            )),
        ),
        (broken, Some(("send.incomplete", Severity::Error, "closed"))),
        (skipped, None),
    ];
    for (send, expected) in cases {
        let mut check = credential_check(Vec::new(), Some(send));
        annotate(&mut check, &|_| None);
        let findings = judge(&check);
        match expected {
            None => assert!(findings.is_empty(), "{findings:?}"),
            Some((id, severity, words)) => {
                assert_eq!(findings.len(), 1, "{findings:?}");
                let f = &findings[0];
                assert_eq!((f.id.as_str(), f.severity), (id, severity), "{f:?}");
                assert!(
                    f.message.contains(words) || f.advice.contains(words),
                    "{words:?} not in {f:?}"
                );
            }
        }
    }
}

#[test]
fn long_replies_are_cut() {
    let long = Reply {
        code: 535,
        enhanced: None,
        lines: vec!["x".repeat(3000), "y".repeat(3000)],
    };
    let quoted = quote(&long);
    assert!(quoted.chars().count() <= MAX_QUOTE + 3, "{}", quoted.len());
    assert!(quoted.ends_with("..."));
}

/// A table entry for the specificity tests.
const fn entry(enhanced: Option<&'static str>, text: Option<&'static str>) -> Known {
    Known {
        code: 535,
        enhanced,
        text,
        stage: Stage::Auth,
        source: "test",
        cause: "",
        advice: "",
    }
}

#[test]
fn words_weigh_more_than_an_enhanced_code_whatever_the_order() {
    let none = entry(None, None);
    let code = entry(Some("5.7.8"), None);
    let words = entry(None, Some("not accepted"));
    let both = entry(Some("5.7.8"), Some("not accepted"));
    assert!(both.specificity() > words.specificity());
    assert!(words.specificity() > code.specificity());
    assert!(code.specificity() > none.specificity());
    // Least specific first: the most specific still wins; the first of equals.
    let table = [none, code, words, both];
    let best = most_specific(table.iter()).unwrap();
    assert_eq!(
        (best.enhanced, best.text),
        (Some("5.7.8"), Some("not accepted"))
    );
    let twins = [entry(Some("5.7.8"), None), entry(Some("5.7.9"), None)];
    assert_eq!(most_specific(twins.iter()).unwrap().enhanced, Some("5.7.8"));
    assert!(most_specific([].iter()).is_none());
}

#[test]
fn the_generic_auth_codes_have_their_own_meaning() {
    let cases = [
        (
            "534 Authentication mechanism is too weak",
            "stronger mechanism",
            "app password",
        ),
        (
            "504 Unrecognized authentication type",
            "does not support this mechanism",
            "--auth-mech",
        ),
        (
            "501 Syntax error in parameters",
            "could not parse",
            "stray characters",
        ),
        ("550 Access denied", "refused the login", "may use SMTP"),
        (
            "451 Local error in processing",
            "temporary failure",
            "Retry",
        ),
    ];
    for (reply, cause, advice) in cases {
        let got = explain_auth(&wire(reply), None, None);
        assert_eq!(got.source, "RFC 4954", "{reply}");
        assert!(got.cause.contains(cause), "{reply}: {}", got.cause);
        assert!(got.advice.contains(advice), "{reply}: {}", got.advice);
    }
}

#[test]
fn refusals_of_the_test_message_by_code_alone_or_words_alone() {
    let cases = [
        // 5.7.1 at RCPT without the word "relay".
        (
            SendCommand::RcptTo,
            "550 5.7.1 Unable to deliver to that recipient",
            "Relay access denied",
        ),
        // 4.2.2 without the words.
        (
            SendCommand::RcptTo,
            "450 4.2.2 Mailbox unavailable",
            "mailbox is full",
        ),
        // 5.1.1 at RCPT without the words; the words without a code.
        (
            SendCommand::RcptTo,
            "550 5.1.1 <bob@example.test>: Recipient address rejected",
            "does not exist",
        ),
        (
            SendCommand::RcptTo,
            "550 No such user here",
            "does not exist",
        ),
        // 552 without the words or an enhanced code; 5.3.4 without 552.
        (
            SendCommand::Data,
            "552 Message too big for system",
            "too big",
        ),
        (
            SendCommand::Data,
            "554 5.3.4 Message too big for system",
            "too big",
        ),
    ];
    for (command, reply, cause) in cases {
        let got = explain_send(command, &wire(reply), None);
        assert!(got.cause.contains(cause), "{reply}: {}", got.cause);
    }
    // 5.1.1 at MAIL FROM is not about the recipient.
    let got = explain_send(
        SendCommand::MailFrom,
        &wire("550 5.1.1 Sender unknown here"),
        None,
    );
    assert!(!got.cause.contains("recipient"), "{}", got.cause);
}

#[test]
fn a_broken_exchange_is_explained_by_what_broke_it() {
    let mut broken = attempt(AuthOutcome::Error, None);
    broken.error = Some(PhaseError {
        phase: crate::model::Phase::Auth,
        message: "the server closed the connection".to_string(),
        run_deadline: false,
    });
    let got = explain_attempt(&broken, CredentialKind::Password, false, &|_| None).unwrap();
    assert_eq!(got.cause, "The server closed the connection.");
    broken.error = Some(PhaseError {
        phase: crate::model::Phase::Auth,
        message: "no reply within 10 s.".to_string(),
        run_deadline: false,
    });
    let got = explain_attempt(&broken, CredentialKind::Password, false, &|_| None).unwrap();
    assert_eq!(got.cause, "No reply within 10 s.");
}

#[test]
fn a_reply_of_exactly_the_bound_is_not_cut() {
    let text = "x".repeat(MAX_QUOTE - 4);
    let exact = Reply {
        code: 535,
        enhanced: None,
        lines: vec![text.clone()],
    };
    assert_eq!(quote(&exact), format!("535 {text}"));
}
