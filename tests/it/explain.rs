//! `smtp-doctor explain` through the real binary: real-world messages (server replies of
//! several providers and MTAs, client-library messages of each ecosystem) with the explanation
//! each must get, standard input, the table's width and fix, secrets, exit codes and control
//! characters.

use serde_json::Value;

use crate::support::{Invocation, Run, run_raw};

/// (message as logged, kind, source, a phrase of the meaning, causes or fix). `\n` inside a
/// message is a real line break unless it is escaped as `\\n` (as Python reprs print it).
#[rustfmt::skip]
const MESSAGES: &[(&str, &str, &str, &str)] = &[
    // Microsoft 365 / Exchange Online.
    ("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information. [BN9PR03CA0123.namprd03.prod.outlook.com]",
     "provider_reply", "office365", "SMTP AUTH is switched off"),
    ("535 5.7.139 Authentication unsuccessful, basic authentication is disabled. [DM6PR02CA0071.namprd02.prod.outlook.com]",
     "provider_reply", "office365", "Basic authentication"),
    ("535 5.7.139 Authentication unsuccessful, user is locked by your organization's security defaults policy. Contact your administrator.",
     "provider_reply", "office365", "Security Defaults"),
    ("535 5.7.3 Authentication unsuccessful [SN4PR0201CA0045.namprd02.prod.outlook.com]",
     "provider_reply", "office365", "Wrong credentials"),
    ("530 5.7.57 Client not authenticated to send mail. [AM0PR10CA0012.EURPRD10.PROD.OUTLOOK.COM]",
     "provider_reply", "office365", "without authenticating"),
    ("System.Net.Mail.SmtpException: The SMTP server requires a secure connection or the client was not authenticated. The server response was: 5.7.57 SMTP; Client was not authenticated to send anonymous mail during MAIL FROM",
     "provider_reply", "Microsoft 365", "without having authenticated"),
    ("System.Net.Mail.SmtpException: The SMTP server requires a secure connection or the client was not authenticated. The server response was: 5.7.57 SMTP; Client was not authenticated to send anonymous mail during MAIL FROM",
     "client_library", ".NET System.Net.Mail", "UseDefaultCredentials"),
    ("550 5.7.60 SMTP; Client does not have permissions to send as this sender. [AM6PR0502MB3783.eurprd05.prod.outlook.com]",
     "provider_reply", "office365", "Send As"),
    ("554 5.2.252 SendAsDenied; alice@contoso.com not allowed to send as bob@contoso.com; STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied",
     "provider_reply", "office365", "refused at DATA"),
    ("421 4.7.66 TLS 1.0 and 1.1 are not supported. Please upgrade/update your client to support TLS 1.2. Visit https://aka.ms/smtp_auth_tls.",
     "provider_reply", "office365", "TLS 1.2"),
    ("550 5.7.30 Basic authentication is not supported for Client Submission.",
     "provider_reply", "office365", "OAuth 2.0"),
    ("MailKit.Security.AuthenticationException: 535: 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be authenticated successfully. Contact your administrator.",
     "provider_reply", "Microsoft 365", "by policy"),
    ("MailKit.Security.AuthenticationException: 535: 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be authenticated successfully. Contact your administrator.",
     "client_library", "MailKit", "refused the login"),
    // Gmail and the Google Workspace relay.
    ("534-5.7.9 Application-specific password required. Learn more at\n534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor d9443c01a7336-1f32c0f0b6bsm1234567b3a.12 - gsmtp",
     "provider_reply", "gmail", "app password"),
    ("smtplib.SMTPAuthenticationError: (535, b'5.7.8 Username and Password not accepted. For more information, go to\\n5.7.8  https://support.google.com/mail/?p=BadCredentials a640c23a62f3a-a6f0e0d1a2bsm123456766b.12 - gsmtp')",
     "provider_reply", "gmail", "password is wrong"),
    ("smtplib.SMTPAuthenticationError: (535, b'5.7.8 Username and Password not accepted. For more information, go to\\n5.7.8  https://support.google.com/mail/?p=BadCredentials a640c23a62f3a-a6f0e0d1a2bsm123456766b.12 - gsmtp')",
     "client_library", "Python smtplib", "refused the login"),
    ("534-5.7.14 <https://accounts.google.com/signin/continue?sarp=1&scc=1&plt=AKgnsbs> Please log in via your web browser and\n534-5.7.14 then try again.",
     "provider_reply", "gmail", "web browser"),
    ("530-5.7.0 Must issue a STARTTLS command first. 4fb4d7f45d1cf-57c7e0a4c1esm123456a12.40 - gsmtp",
     "provider_reply", "many providers", "STARTTLS"),
    ("550-5.7.1 Invalid credentials for relay [203.0.113.5]. The IP address you've\n550-5.7.1 registered in your Workspace SMTP Relay service doesn't match the domain of\n550 5.7.1 the account this email is being sent from.",
     "provider_reply", "google-relay", "relay rule"),
    ("421-4.7.0 Try again later, closing connection. (EHLO) 5b1f17b1804b1-42127b2d0e7sm1234567f8b.31 - gsmtp",
     "reply", "RFC 5321", "closing the connection"),
    ("550-5.7.26 This mail is unauthenticated, which poses a security risk to the sender and Gmail users, and has been blocked. The sender must authenticate with at least one of SPF or DKIM.",
     "enhanced_code", "RFC 7372", "DKIM"),
    ("550-5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces.",
     "enhanced_code", "RFC 3463", "does not exist"),
    ("javax.mail.AuthenticationFailedException: 535-5.7.8 Username and Password not accepted.",
     "client_library", "Jakarta Mail (JavaMail)", "refused the login"),
    // Other providers.
    ("421 4.7.0 [TSS04] Messages from 203.0.113.5 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
     "reply", "RFC 5321", "turns this client away"),
    ("554 Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: app@example.com",
     "provider_reply", "amazon-ses", "verified identity"),
    ("550 The from address does not match a verified Sender Identity. Mail cannot be sent until this error is resolved.",
     "provider_reply", "sendgrid", "not verified in SendGrid"),
    ("553 Sender is not allowed to relay emails",
     "provider_reply", "zoho", "alias"),
    ("550 5.7.0 From address is not one of your addresses",
     "provider_reply", "icloud", "iCloud"),
    ("550 5.7.1 Unconfigured Sending Domain <example.com>",
     "provider_reply", "sparkpost", "SparkPost"),
    // Postfix, Exim and the RFC codes.
    ("554 5.7.1 <bob@example.org>: Relay access denied",
     "enhanced_code", "RFC 3463", "Relay access denied"),
    ("550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in local recipient table",
     "enhanced_code", "RFC 3463", "mailbox does not exist"),
    ("552 5.3.4 Message size exceeds fixed limit",
     "enhanced_code", "RFC 3463", "bigger than"),
    ("454 4.7.0 TLS not available due to local problem",
     "reply", "RFC 3207, RFC 4954", "TLS is not available"),
    ("452 4.2.2 <carol@example.net>: Mailbox full",
     "enhanced_code", "RFC 3463", "mailbox is full"),
    ("451 4.7.1 <dave@example.org>: Recipient address rejected: Greylisted, please try again in 300 seconds",
     "enhanced_code", "RFC 3463", "Temporary failure"),
    ("550 Unrouteable address",
     "reply", "RFC 5321", "does not exist"),
    ("535 Incorrect authentication data",
     "reply", "RFC 4954", "credentials were not accepted"),
    ("535 5.7.8 Error: authentication failed: authentication failure",
     "enhanced_code", "RFC 4954", "credentials were refused"),
    ("556 5.1.10 Recipient address has null MX",
     "enhanced_code", "RFC 7505", "null MX"),
    ("550 5.7.27 Sender address has null MX",
     "enhanced_code", "RFC 7505", "null MX"),
    ("538 5.7.11 Encryption required for requested authentication mechanism",
     "enhanced_code", "RFC 4954", "Encryption is required"),
    ("432 4.7.12 A password transition is needed",
     "enhanced_code", "RFC 4954", "password transition"),
    // OpenSSL, whoever prints it.
    ("ssl.SSLError: [SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1129)",
     "client_library", "OpenSSL", "STARTTLS"),
    ("Error: 140241130891072:error:1408F10B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:332:\n  code: 'ESOCKET'",
     "client_library", "OpenSSL", "implicit TLS"),
    ("curl: (35) error:0A00010B:SSL routines::wrong version number",
     "client_library", "OpenSSL", "secure: false"),
    ("ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate (_ssl.c:1006)",
     "client_library", "OpenSSL", "certificate authority"),
    ("Error: self signed certificate in certificate chain\n  code: 'ESOCKET'",
     "client_library", "OpenSSL", "self-signed"),
    ("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired (_ssl.c:1129)",
     "client_library", "OpenSSL", "expired"),
    ("ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is not valid for 'mail.example.com'. (_ssl.c:1129)",
     "client_library", "OpenSSL", "does not name the host"),
    ("ssl.SSLError: [SSL: SSLV3_ALERT_HANDSHAKE_FAILURE] sslv3 alert handshake failure (_ssl.c:1123)",
     "client_library", "OpenSSL", "handshake_failure"),
    ("error:1409442E:SSL routines:ssl3_read_bytes:tlsv1 alert protocol version",
     "client_library", "OpenSSL", "too old"),
    ("ssl.SSLEOFError: [SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol (_ssl.c:1006)",
     "client_library", "OpenSSL", "middle of the TLS handshake"),
    // Node.js and nodemailer.
    ("Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames: Host: smtp.example.com. is not in the cert's altnames: DNS:*.hosting.example",
     "client_library", "Node.js TLS", "does not name the host"),
    ("Error: connect ETIMEDOUT 203.0.113.5:587",
     "client_library", "nodemailer", "smtp-doctor ports"),
    ("Error: connect ECONNREFUSED 127.0.0.1:465",
     "client_library", "nodemailer", "localhost"),
    ("Error: Invalid login: 535-5.7.8 Username and Password not accepted. Learn more at\n535 5.7.8  https://support.google.com/mail/?p=BadCredentials\n  code: 'EAUTH'",
     "client_library", "nodemailer", "app password"),
    ("Error: Can't send mail - all recipients were rejected: 550 5.1.1 <x@example.com>: Recipient address rejected\n  code: 'EENVELOPE'",
     "client_library", "nodemailer", "recipients"),
    ("Error: Greeting never received\n  code: 'ETIMEDOUT', command: 'CONN'",
     "client_library", "nodemailer", "secure: true"),
    ("Error: Missing credentials for \"PLAIN\"\n  code: 'EAUTH', command: 'API'",
     "client_library", "nodemailer", "no password"),
    ("Error: getaddrinfo ENOTFOUND smtp.gmial.com",
     "client_library", "nodemailer", "typo"),
    ("Error: connect EHOSTUNREACH 192.0.2.1:25 - Local (0.0.0.0:0)",
     "client_library", "nodemailer", "host unreachable"),
    // Python.
    ("smtplib.SMTPServerDisconnected: Connection unexpectedly closed",
     "client_library", "Python smtplib", "SMTP_SSL"),
    ("smtplib.SMTPNotSupportedError: STARTTLS extension not supported by server.",
     "client_library", "Python smtplib", "did not offer STARTTLS"),
    ("smtplib.SMTPNotSupportedError: SMTP AUTH extension not supported by server.",
     "client_library", "Python smtplib", "did not offer AUTH"),
    ("ConnectionRefusedError: [Errno 111] Connection refused",
     "client_library", "Python", "Nothing listens"),
    ("TimeoutError: [Errno 110] Connection timed out",
     "client_library", "Python", "block outbound port 25"),
    ("socket.gaierror: [Errno -2] Name or service not known",
     "client_library", "operating system resolver", "typo"),
    ("socket.gaierror: [Errno -3] Temporary failure in name resolution",
     "client_library", "operating system resolver", "DNS could not answer"),
    ("ConnectionResetError: [Errno 104] Connection reset by peer",
     "client_library", "operating system sockets", "reset"),
    ("OSError: [Errno 101] Network is unreachable",
     "client_library", "operating system sockets", "IPv6"),
    // .NET and MailKit.
    ("System.Net.Mail.SmtpException: Failure sending mail. ---> System.IO.IOException: Unable to read data from the transport connection: net_io_connectionclosed.",
     "client_library", ".NET System.Net.Mail", "SslOnConnect"),
    ("System.Net.Mail.SmtpException: Failure sending mail. ---> System.Net.WebException: Unable to connect to the remote server ---> System.Net.Sockets.SocketException: A connection attempt failed because the connected party did not properly respond after a period of time, or established connection failed because connected host has failed to respond 203.0.113.5:587",
     "client_library", "Windows sockets", "smtp-doctor ports"),
    ("MailKit.Security.SslHandshakeException: An error occurred while attempting to establish an SSL or TLS connection.",
     "client_library", "MailKit", "SslOnConnect"),
    ("MailKit.Net.Smtp.SmtpProtocolException: The SMTP server has unexpectedly disconnected.",
     "client_library", "MailKit", "closed the connection"),
    // PHPMailer.
    ("SMTP Error: Could not authenticate.",
     "client_library", "PHPMailer", "refused the login"),
    ("SMTP Error: Could not connect to SMTP host.",
     "client_library", "PHPMailer", "SMTPDebug"),
    ("2024-03-01 10:12:44 SMTP ERROR: Failed to connect to server: Connection timed out (110)\n2024-03-01 10:12:44 SMTP connect() failed. https://github.com/PHPMailer/PHPMailer/wiki/Troubleshooting",
     "client_library", "operating system sockets", "smtp-doctor ports"),
    // Java / Jakarta Mail.
    ("javax.mail.MessagingException: Could not convert socket to TLS;\n  nested exception is:\n\tjavax.net.ssl.SSLHandshakeException: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target",
     "client_library", "Java", "trust store"),
    ("javax.mail.MessagingException: Could not convert socket to TLS;\n  nested exception is:\n\tjavax.net.ssl.SSLHandshakeException: No appropriate protocol (protocol is disabled or cipher suites are inappropriate)",
     "client_library", "Java", "TLS 1.0 or 1.1"),
    ("javax.net.ssl.SSLException: Unrecognized SSL message, plaintext connection?",
     "client_library", "Java", "plain text"),
    ("jakarta.mail.AuthenticationFailedException: failed to connect, no password specified?",
     "client_library", "Jakarta Mail (JavaMail)", "no password"),
    ("com.sun.mail.util.MailConnectException: Couldn't connect to host, port: smtp.gmail.com, 587; timeout -1;\n  nested exception is:\n\tjava.net.ConnectException: Connection timed out: connect",
     "client_library", "operating system sockets", "block outbound port 25"),
    // curl and swaks.
    ("curl: (67) Login denied",
     "client_library", "curl", "refused the login"),
    ("*** Host did not advertise STARTTLS",
     "client_library", "swaks", "STARTTLS"),
];

fn explain_json(text: &str) -> (Run, Value) {
    let run = run_raw(&["explain", "--json", text], &[]);
    let json = run.json();
    (run, json)
}

/// The explanation of `kind` from `source`, or a panic listing what there was.
fn explanation<'a>(doc: &'a Value, kind: &str, source: &str, text: &str) -> &'a Value {
    let all = doc["explanations"].as_array().expect("explanations");
    all.iter()
        .find(|e| e["kind"] == kind && e["source"] == source)
        .unwrap_or_else(|| {
            let got: Vec<String> = all
                .iter()
                .map(|e| format!("{} {}", e["kind"], e["source"]))
                .collect();
            panic!("no {kind} from {source} for {text:?}; got {got:?}")
        })
}

#[test]
fn real_world_messages_get_their_explanation() {
    let distinct: std::collections::BTreeSet<&str> = MESSAGES.iter().map(|m| m.0).collect();
    assert!(distinct.len() >= 40, "{} messages", distinct.len());
    for (text, kind, source, phrase) in MESSAGES {
        let (run, doc) = explain_json(text);
        assert_eq!(run.code, 0, "{text:?}: {}", run.stderr);
        assert_eq!(doc["recognised"], true, "{text:?}");
        assert_eq!(doc["command"], "explain");
        assert_eq!(doc["schema_version"], 1);
        let e = explanation(&doc, kind, source, text);
        let words = format!("{} {} {}", e["meaning"], e["causes"], e["fix"]).to_lowercase();
        assert!(
            words.contains(&phrase.to_lowercase()),
            "{text:?}: {kind} {source} does not say {phrase:?}: {e:#}"
        );
        assert!(!e["matched"].as_str().unwrap_or("").is_empty(), "{text:?}");
    }
}

#[test]
fn every_ecosystem_is_covered() {
    let sources: Vec<&str> = MESSAGES.iter().map(|m| m.2).collect();
    for source in [
        "OpenSSL",
        "nodemailer",
        "Python smtplib",
        ".NET System.Net.Mail",
        "MailKit",
        "PHPMailer",
        "Jakarta Mail (JavaMail)",
        "Java",
        "operating system sockets",
        "operating system resolver",
        "office365",
        "gmail",
        "RFC 3463",
        "RFC 5321",
    ] {
        assert!(sources.contains(&source), "no message from {source}");
    }
}

#[test]
fn json_shape_and_the_order_of_kinds() {
    let text = "Error: Invalid login: 535-5.7.8 Username and Password not accepted. code: 'EAUTH' (smtp.gmail.com:465)";
    let (run, doc) = explain_json(text);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(doc["tool"]["name"], "smtp-doctor");
    assert_eq!(doc["input"], text);
    let first = &doc["explanations"][0];
    assert_eq!(first["kind"], "provider_reply");
    assert_eq!(first["source"], "gmail");
    assert_eq!(first["provider"], "Gmail / Google Workspace");
    assert_eq!(first["code"], 535);
    assert_eq!(first["enhanced"], "5.7.8");
    assert!(first["causes"].is_array());
    assert_eq!(first["check_flags"][0], "--user NAME");
    assert_eq!(doc["explanations"][1]["kind"], "client_library");
    assert_eq!(doc["explanations"][1]["code"], Value::Null);
    assert_eq!(
        doc["next_commands"][0],
        "smtp-doctor check smtp.gmail.com:465"
    );
}

#[test]
fn next_commands_name_the_server_in_the_text() {
    let (_, doc) = explain_json(
        "com.sun.mail.util.MailConnectException: Couldn't connect to host, port: smtp.gmail.com, 587; timeout -1",
    );
    assert_eq!(
        doc["next_commands"][0],
        "smtp-doctor check smtp.gmail.com:587"
    );
    let (_, doc) = explain_json("connect to smtp.office365.com:587 failed: Connection refused");
    assert_eq!(
        doc["next_commands"][0],
        "smtp-doctor check smtp.office365.com:587"
    );
}

#[test]
fn text_from_standard_input() {
    let input = "smtplib.SMTPNotSupportedError: STARTTLS extension not supported by server.\n";
    for args in [&["explain", "--json"][..], &["explain", "--json", "-"][..]] {
        let run = Invocation::new(args).stdin(input).run();
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        let doc = run.json();
        assert_eq!(doc["explanations"][0]["source"], "Python smtplib");
    }
}

#[test]
fn the_table_has_the_fix_and_fits_100_columns() {
    let text = "ssl.SSLError: [SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1129) while connecting to smtp.example.com:587 with a very long line of context that goes on and on past any terminal's width without a break anywhere in it";
    let run = Invocation::new(["explain", "--color", "never", text])
        .env_remove("COLUMNS")
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("  fix "), "{}", run.stdout);
    assert!(run.stdout.contains("STARTTLS"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("smtp-doctor check smtp.example.com --port 587,465"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("next step    smtp-doctor check smtp.example.com:587"),
        "{}",
        run.stdout
    );
    for line in run.stdout.lines() {
        assert!(line.chars().count() <= 100, "wider than 100: {line:?}");
    }
}

#[test]
fn a_password_in_the_text_is_never_printed() {
    let text = "Error: connect ECONNREFUSED smtp://alice:s3cr3t-Pa55@mail.example.com:587 auth: { user: 'alice', pass: 's3cr3t-Pa55' }";
    for format in ["--json", "--color=never"] {
        let run = run_raw(&["explain", format, text], &[]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(!run.stdout.contains("s3cr3t"), "{}", run.stdout);
        assert!(!run.stderr.contains("s3cr3t"), "{}", run.stderr);
        assert!(
            run.stdout.contains("alice:***@mail.example.com"),
            "{}",
            run.stdout
        );
    }
    let run = Invocation::new(["explain", "--json"])
        .stdin("smtp://user:secret@host refused")
        .run();
    assert!(
        !run.stdout.contains("secret") && !run.stderr.contains("secret"),
        "{}",
        run.stdout
    );
}

#[test]
fn unrecognised_text_exits_1_and_suggests_a_check() {
    let run = run_raw(
        &[
            "explain",
            "--color",
            "never",
            "The printer says: scan to e-mail failed.",
        ],
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout.contains("Nothing in this text"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("smtp-doctor check HOST"),
        "{}",
        run.stdout
    );
    let (run, doc) = explain_json("The printer says: scan to e-mail failed.");
    assert_eq!(run.code, 1);
    assert_eq!(doc["recognised"], false);
    assert_eq!(doc["explanations"], Value::Array(vec![]));
}

#[test]
fn empty_text_is_a_usage_error() {
    for args in [&["explain", ""][..], &["explain", "  \n"][..]] {
        let run = run_raw(args, &[]);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("the text is empty"), "{}", run.stderr);
        assert!(run.stdout.is_empty());
    }
    // No argument and nothing on standard input.
    let run = Invocation::new(["explain"]).stdin("").run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("the text is empty"), "{}", run.stderr);
}

#[test]
fn more_than_64_kib_is_a_usage_error() {
    let big = "550 5.1.1 User unknown\n".repeat(100 * 1024 / 23 + 1);
    assert!(big.len() >= 100 * 1024);
    let run = Invocation::new(["explain"]).stdin(big.clone()).run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("longer than 64 KiB"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
    let run = run_raw(&["explain", &big], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("longer than 64 KiB"), "{}", run.stderr);
}

#[test]
fn control_characters_are_escaped() {
    // (argv cannot carry a NUL byte; standard input can, below.)
    let text = "535 5.7.8 \x1b[2J\x1b]0;owned\x07Username and Password not accepted\r\x08 ssl.SSLError: wrong version number";
    let table = run_raw(&["explain", "--color", "never", text], &[]);
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert!(
        !table.stdout.bytes().any(|b| b < 0x20 && b != b'\n'),
        "raw control bytes in {:?}",
        table.stdout
    );
    assert!(table.stdout.contains("\\u{1b}"), "{}", table.stdout);
    let json = run_raw(&["explain", "--json", text], &[]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let doc = json.json();
    let mut strings = vec![doc["input"].as_str().unwrap_or("").to_string()];
    for e in doc["explanations"].as_array().expect("explanations") {
        strings.push(e["matched"].as_str().unwrap_or("").to_string());
        strings.push(e["meaning"].as_str().unwrap_or("").to_string());
    }
    for s in strings {
        assert!(
            !s.chars().any(|c| c.is_control() && c != '\n'),
            "control character in {s:?}"
        );
    }
    assert!(
        doc["input"].as_str().unwrap_or("").contains("\\u{1b}"),
        "{}",
        doc["input"]
    );
    let piped = Invocation::new(["explain", "--color", "never"])
        .stdin("550 5.1.1 \x00\x1b[31mUser unknown\x7f\n")
        .run();
    assert_eq!(piped.code, 0, "{}", piped.stderr);
    assert!(
        !piped
            .stdout
            .bytes()
            .any(|b| (b < 0x20 && b != b'\n') || b == 0x7f),
        "{:?}",
        piped.stdout
    );
}
