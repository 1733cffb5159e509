//! The engine as a whole: replies through the catalogues and code tables, library messages,
//! ordering, secrets and bounds.

use super::*;

fn catalog() -> Catalog {
    Catalog::builtin().expect("the built-in catalogue loads")
}

fn kinds(text: &str) -> Vec<(Kind, String)> {
    explain(text, &catalog())
        .explanations
        .into_iter()
        .map(|e| (e.kind, e.source))
        .collect()
}

fn first(text: &str) -> Explanation {
    explain(text, &catalog())
        .explanations
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("nothing recognised in {text:?}"))
}

#[test]
fn a_provider_reply_names_its_preset() {
    let e = first(
        "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.",
    );
    assert_eq!(e.kind, Kind::ProviderReply);
    assert_eq!(e.source, "office365");
    assert_eq!(
        e.provider.as_deref(),
        Some("Microsoft 365 / Exchange Online")
    );
    assert_eq!(e.code, Some(535));
    assert!(e.meaning.contains("SMTP AUTH"), "{}", e.meaning);
    assert!(
        e.matched
            .starts_with("535 5.7.139 Authentication unsuccessful")
    );
}

#[test]
fn the_same_meaning_in_two_presets_is_said_once() {
    // office365 and outlook both list these words, with the same meaning.
    let found = explain(
        "535 5.7.139 Authentication unsuccessful, basic authentication is disabled.",
        &catalog(),
    );
    let sources: Vec<&str> = found
        .explanations
        .iter()
        .map(|e| e.source.as_str())
        .collect();
    assert_eq!(sources, ["office365"]);
    // No host in the text: the preset's host is the check to run, with the login flag.
    assert_eq!(
        found.next_commands,
        ["smtp-doctor check smtp.office365.com"]
    );
    assert_eq!(found.explanations[0].check_flags, ["--user NAME"]);
}

#[test]
fn an_enhanced_code_without_its_reply_code() {
    let e = first(
        "System.Net.Mail.SmtpException: Mailbox unavailable. The server response was: 5.7.60 SMTP; Client does not have permissions to send as this sender",
    );
    assert_eq!(
        (e.kind, e.source.as_str(), e.code),
        (Kind::ProviderReply, "office365", None)
    );
}

#[test]
fn words_the_verdicts_know() {
    // Not office365's own words ("Client not authenticated to send mail"): the verdicts'
    // Microsoft 365 entry for 530 5.7.57.
    let e = first(
        "530 5.7.57 SMTP; Client was not authenticated to send anonymous mail during MAIL FROM",
    );
    assert_eq!(
        (e.kind, e.source.as_str()),
        (Kind::ProviderReply, "Microsoft 365")
    );
}

#[test]
fn replies_many_providers_send() {
    let e = first("530 5.7.0 Must issue a STARTTLS command first. x1sm2 - gsmtp");
    assert_eq!(
        (e.kind, e.source.as_str()),
        (Kind::ProviderReply, "many providers")
    );
}

#[test]
fn codes_alone() {
    assert_eq!(
        kinds("550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown"),
        [(Kind::EnhancedCode, "RFC 3463".to_string())]
    );
    // A "other" detail says little: the reply code follows.
    assert_eq!(
        kinds("454 4.7.0 TLS not available due to local problem"),
        [
            (Kind::EnhancedCode, "RFC 3463".to_string()),
            (Kind::Reply, "RFC 3207, RFC 4954".to_string())
        ]
    );
    assert_eq!(
        kinds("550 Unrouteable address"),
        [(Kind::Reply, "RFC 5321".to_string())]
    );
    // The bare RFC 4954 meanings of the verdicts are not used for a reply out of context.
    assert_eq!(
        kinds("535 5.7.8 Error: authentication failed: authentication failure"),
        [(Kind::EnhancedCode, "RFC 4954".to_string())]
    );
}

#[test]
fn replies_and_libraries_most_specific_first() {
    let text = "smtplib.SMTPAuthenticationError: (535, b'5.7.8 Username and Password not accepted. For more information, go to\\n5.7.8  https://support.google.com/mail/?p=BadCredentials a1sm2 - gsmtp')";
    assert_eq!(
        kinds(text),
        [
            (Kind::ProviderReply, "gmail".to_string()),
            (Kind::ClientLibrary, "Python smtplib".to_string())
        ]
    );
    let tls = "ssl.SSLError: [SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1129)";
    assert_eq!(kinds(tls), [(Kind::ClientLibrary, "OpenSSL".to_string())]);
}

#[test]
fn nothing_recognised() {
    let found = explain("The printer says: cannot send scan to e-mail.", &catalog());
    assert!(!found.recognised());
    assert!(found.next_commands.is_empty());
}

#[test]
fn next_commands_come_from_the_text() {
    let found = explain(
        "Error: connect ETIMEDOUT smtp.office365.com:587",
        &catalog(),
    );
    assert!(found.recognised());
    assert_eq!(
        found.next_commands,
        ["smtp-doctor check smtp.office365.com:587"]
    );
}

#[test]
fn secrets_never_reach_the_diagnosis() {
    let found = explain(
        "Error: connect ECONNREFUSED smtp://alice:hunter2@mail.example.com:587 (pass: 'hunter2')",
        &catalog(),
    );
    let all = format!("{found:?}");
    assert!(!all.contains("hunter2"), "{all}");
    assert!(
        found.input.contains("alice:***@mail.example.com"),
        "{}",
        found.input
    );
    assert_eq!(
        found.next_commands,
        ["smtp-doctor check smtp://mail.example.com:587"]
    );
}

#[test]
fn the_input_is_bounded() {
    let text = "é".repeat(MAX_INPUT);
    let found = explain(&text, &catalog());
    assert!(found.input.len() <= MAX_INPUT);
    let many: String = (0..40).map(|d| format!("550 5.7.{d} x\n")).collect();
    assert!(explain(&many, &catalog()).explanations.len() <= MAX_EXPLANATIONS);
}

#[test]
fn odd_input_never_panics() {
    // A small deterministic generator over the characters the parsers care about.
    let alphabet: Vec<char> = "0123455789.:-_@/[]()'\"\\n \n\tabcSMTPé€😀=*,;<>bpass:"
        .chars()
        .collect();
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let catalog = catalog();
    for _ in 0..300 {
        let mut text = String::new();
        for _ in 0..200 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let index = usize::try_from(state % alphabet.len() as u64).unwrap();
            text.push(alphabet[index]);
        }
        let found = explain(&text, &catalog);
        assert!(found.input.len() <= MAX_INPUT);
    }
}
