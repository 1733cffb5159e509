//! The test server's AUTH, MAIL, RCPT and DATA, driven by a small blocking client, so that
//! the scenario tests of the credential check can trust what the server does and records.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use openssl::ssl::{SslConnector, SslMethod, SslStream, SslVerifyMode};
use smtp_doctor::secret::Secret;
use smtp_doctor::smtp::message::TestMessage;
use smtp_doctor::smtp::sasl::{Exchange, Mechanism, Outcome, Step};
use smtp_doctor::smtp::{Reply, ReplyParser};

use crate::support::pki;

use crate::support::server::auth::hmac_md5_hex;
use crate::support::server::{Auth, Mail, Scenario, Session, TestServer};

/// Read and write deadline of the client: no test hangs on the server.
const DEADLINE: Duration = Duration::from_secs(5);

const USER: &str = "alice@mail.test";
const PASSWORD: &str = "correct horse battery staple";
const TOKEN: &str = "ya29.a0AfH6SMBtestTOKENvalue";

enum Stream {
    Plain(TcpStream),
    Tls(Box<SslStream<TcpStream>>),
    Gone,
}

/// A blocking SMTP client for poking at the server.
struct Client {
    stream: Stream,
    parser: ReplyParser,
}

impl Client {
    /// Connects and reads the greeting.
    fn connect(server: &TestServer) -> Client {
        let tcp = TcpStream::connect(server.addr()).expect("connect");
        tcp.set_read_timeout(Some(DEADLINE)).unwrap();
        tcp.set_write_timeout(Some(DEADLINE)).unwrap();
        let mut client = Client {
            stream: Stream::Plain(tcp),
            parser: ReplyParser::default(),
        };
        assert_eq!(client.reply().code, 220);
        client
    }

    /// Connects, says EHLO, STARTTLS, EHLO again; returns the client and the TLS EHLO reply.
    fn tls(server: &TestServer) -> (Client, Reply) {
        let mut client = Client::connect(server);
        assert_eq!(client.cmd("EHLO client.test").code, 250);
        client.starttls();
        let ehlo = client.cmd("EHLO client.test");
        assert_eq!(ehlo.code, 250);
        (client, ehlo)
    }

    fn starttls(&mut self) {
        assert_eq!(self.cmd("STARTTLS").code, 220);
        let Stream::Plain(tcp) = std::mem::replace(&mut self.stream, Stream::Gone) else {
            panic!("already TLS");
        };
        let mut builder = SslConnector::builder(SslMethod::tls_client()).unwrap();
        builder.set_verify(SslVerifyMode::NONE);
        let tls = builder
            .build()
            .connect("mail.test", tcp)
            .expect("handshake");
        self.stream = Stream::Tls(Box::new(tls));
    }

    fn send_raw(&mut self, bytes: &[u8]) {
        match &mut self.stream {
            Stream::Plain(s) => s.write_all(bytes).unwrap(),
            Stream::Tls(s) => s.write_all(bytes).unwrap(),
            Stream::Gone => panic!("no stream"),
        }
    }

    fn send(&mut self, line: &str) {
        self.send_raw(format!("{line}\r\n").as_bytes());
    }

    /// The next reply.
    fn reply(&mut self) -> Reply {
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Some(parsed) = self.parser.next_reply().expect("SMTP reply") {
                return parsed.reply;
            }
            assert!(Instant::now() < deadline, "no reply within {DEADLINE:?}");
            let mut chunk = [0u8; 4096];
            let n = match &mut self.stream {
                Stream::Plain(s) => s.read(&mut chunk).expect("read"),
                Stream::Tls(s) => s.read(&mut chunk).expect("read"),
                Stream::Gone => panic!("no stream"),
            };
            assert!(n > 0, "server closed the connection");
            self.parser.feed(&chunk[..n]);
        }
    }

    fn cmd(&mut self, line: &str) -> Reply {
        self.send(line);
        self.reply()
    }

    /// Runs an AUTH exchange with the library's SASL client.
    fn authenticate(&mut self, mechanism: Mechanism, user: &str, secret: &str) -> Outcome {
        let secret = Secret::new(secret.to_string());
        let (mut exchange, first) =
            Exchange::with_server(mechanism, user, &secret, Some(("mail.test", 587))).unwrap();
        let mut line = first;
        loop {
            self.send_raw(&line.to_bytes());
            let reply = self.reply();
            match exchange.on_reply(&reply) {
                Step::Send(next) => line = next,
                Step::Done(outcome) => return outcome,
            }
        }
    }
}

fn server(auth: Auth) -> TestServer {
    let leaf = pki::self_signed(&["mail.test"]);
    TestServer::start(Scenario::new().identity(leaf).auth(auth))
}

fn known() -> Auth {
    Auth::new().password(USER, PASSWORD).token(USER, TOKEN)
}

/// The server's sessions once the last one has seen `QUIT` (the server records
/// asynchronously).
fn sessions_after_quit(server: &TestServer) -> Vec<Session> {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let sessions = server.sessions();
        let done = sessions
            .last()
            .is_some_and(|s| s.verbs().iter().any(|v| v == "QUIT"));
        if done || Instant::now() > deadline {
            return sessions;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn quit(mut client: Client) {
    assert_eq!(client.cmd("QUIT").code, 221);
}

fn b64(text: &str) -> String {
    STANDARD.encode(text)
}

fn decode(text: &str) -> String {
    String::from_utf8(STANDARD.decode(text).unwrap()).unwrap()
}

#[test]
fn auth_is_advertised_inside_tls_only() {
    let server = server(known());
    let mut client = Client::connect(&server);
    let plain = client.cmd("EHLO client.test");
    assert!(
        !plain.lines.iter().any(|l| l.starts_with("AUTH")),
        "{plain}"
    );
    // AUTH before TLS is refused like a submission server does.
    let refused = client.cmd(&format!(
        "AUTH PLAIN {}",
        b64(&format!("\0{USER}\0{PASSWORD}"))
    ));
    assert_eq!(refused.code, 530, "{refused}");
    client.starttls();
    let tls = client.cmd("EHLO client.test");
    let auth: Vec<&String> = tls.lines.iter().filter(|l| l.starts_with("AUTH")).collect();
    // The configured mechanisms replace the default keyword list's `AUTH PLAIN LOGIN`.
    assert_eq!(
        auth,
        ["AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2 OAUTHBEARER"],
        "{tls}"
    );
    quit(client);
    let sessions = sessions_after_quit(&server);
    assert!(sessions[0].auth_attempts.is_empty(), "{sessions:#?}");
}

#[test]
fn auth_before_tls_when_configured() {
    let server = server(known().mechanisms(&["LOGIN", "PLAIN"]).before_tls());
    let mut client = Client::connect(&server);
    let plain = client.cmd("EHLO client.test");
    assert!(
        plain.lines.contains(&"AUTH LOGIN PLAIN".to_string()),
        "{plain}"
    );
    let outcome = client.authenticate(Mechanism::Plain, USER, PASSWORD);
    assert!(matches!(outcome, Outcome::Authenticated(_)), "{outcome:?}");
    quit(client);
    let attempt = &sessions_after_quit(&server)[0].auth_attempts[0];
    assert!(!attempt.tls && attempt.success, "{attempt:?}");
}

#[test]
fn each_mechanism_accepts_known_credentials() {
    let server = server(known());
    for (mechanism, secret) in [
        (Mechanism::Plain, PASSWORD),
        (Mechanism::Login, PASSWORD),
        (Mechanism::CramMd5, PASSWORD),
        (Mechanism::Xoauth2, TOKEN),
        (Mechanism::Oauthbearer, TOKEN),
    ] {
        let (mut client, _) = Client::tls(&server);
        match client.authenticate(mechanism, USER, secret) {
            Outcome::Authenticated(reply) => assert_eq!(reply.code, 235),
            other => panic!("{mechanism}: {other:?}"),
        }
        // Once is enough.
        assert_eq!(client.cmd("AUTH PLAIN").code, 503);
        quit(client);
    }
    let sessions = sessions_after_quit(&server);
    let attempts: Vec<(String, Option<String>, bool)> = sessions
        .iter()
        .flat_map(|s| &s.auth_attempts)
        .map(|a| (a.mechanism.clone(), a.user.clone(), a.success))
        .collect();
    let user = Some(USER.to_string());
    assert_eq!(
        attempts,
        [
            ("PLAIN".to_string(), user.clone(), true),
            ("LOGIN".to_string(), user.clone(), true),
            ("CRAM-MD5".to_string(), user.clone(), true),
            ("XOAUTH2".to_string(), user.clone(), true),
            ("OAUTHBEARER".to_string(), user.clone(), true),
        ]
    );
    let bearer = &sessions[4].auth_attempts[0];
    assert_eq!(bearer.oauth_host.as_deref(), Some("mail.test"));
    assert_eq!(bearer.oauth_port.as_deref(), Some("587"));
    assert!(
        sessions
            .iter()
            .all(|s| s.auth_attempts.iter().all(|a| a.tls))
    );
}

#[test]
fn each_mechanism_rejects_wrong_secrets() {
    let server = server(known().failure(535, &["5.7.8 Username and Password not accepted."]));
    let cases = [
        (Mechanism::Plain, USER, "wrong"),
        (Mechanism::Login, USER, "wrong"),
        (Mechanism::CramMd5, USER, "wrong"),
        (Mechanism::CramMd5, "bob@mail.test", PASSWORD),
        // A password is not a token, and a token belongs to its user.
        (Mechanism::Xoauth2, USER, PASSWORD),
        (Mechanism::Oauthbearer, "bob@mail.test", TOKEN),
    ];
    for (mechanism, user, secret) in cases {
        let (mut client, _) = Client::tls(&server);
        match client.authenticate(mechanism, user, secret) {
            Outcome::Rejected { reply, detail } => {
                assert_eq!(reply.code, 535, "{mechanism}");
                assert_eq!(reply.text(), "5.7.8 Username and Password not accepted.");
                let token = matches!(mechanism, Mechanism::Xoauth2 | Mechanism::Oauthbearer);
                assert_eq!(detail.is_some(), token, "{mechanism}: {detail:?}");
            }
            other => panic!("{mechanism}: {other:?}"),
        }
        // Not authenticated: MAIL is not even offered a transaction (no Mail configured).
        quit(client);
    }
    let sessions = sessions_after_quit(&server);
    for (session, (mechanism, user, _)) in sessions.iter().zip(cases) {
        let attempt = &session.auth_attempts[0];
        assert_eq!(attempt.mechanism, mechanism.name());
        assert_eq!(attempt.user.as_deref(), Some(user));
        assert!(!attempt.success);
        assert_eq!(attempt.code, 535);
    }
}

#[test]
fn plain_without_initial_response() {
    let server = server(known());
    let (mut client, _) = Client::tls(&server);
    let prompt = client.cmd("AUTH PLAIN");
    assert_eq!(
        (prompt.code, prompt.lines.as_slice()),
        (334, &[String::new()][..])
    );
    let ok = client.cmd(&b64(&format!("{USER}\0{USER}\0{PASSWORD}")));
    assert_eq!(ok.code, 235, "{ok}");
    quit(client);
    let session = &sessions_after_quit(&server)[0];
    // The response line is recorded, but not as a command.
    let response = session.lines.iter().find(|l| !l.command).unwrap();
    assert!(response.tls);
    assert_eq!(
        session.verbs(),
        ["EHLO", "STARTTLS", "EHLO", "AUTH", "QUIT"],
        "{session:#?}"
    );
}

#[test]
fn login_prompts_and_cram_md5_challenge() {
    let server = server(known());
    let (mut client, _) = Client::tls(&server);
    let user_prompt = client.cmd("AUTH LOGIN");
    assert_eq!(user_prompt.code, 334);
    assert_eq!(decode(&user_prompt.lines[0]), "Username:");
    let password_prompt = client.cmd(&b64(USER));
    assert_eq!(decode(&password_prompt.lines[0]), "Password:");
    assert_eq!(client.cmd(&b64(PASSWORD)).code, 235);
    quit(client);

    // CRAM-MD5: a msg-id style challenge, answered by hand with the RFC 2195 formula.
    let (mut client, _) = Client::tls(&server);
    let challenge = client.cmd("AUTH CRAM-MD5");
    assert_eq!(challenge.code, 334);
    let challenge = decode(&challenge.lines[0]);
    assert!(
        challenge.starts_with('<') && challenge.ends_with("@mail.test>"),
        "{challenge}"
    );
    let digest = hmac_md5_hex(PASSWORD, &challenge);
    assert_eq!(client.cmd(&b64(&format!("{USER} {digest}"))).code, 235);
    quit(client);
}

#[test]
fn hmac_md5_matches_rfc2195() {
    assert_eq!(
        hmac_md5_hex(
            "tanstaaftanstaaf",
            "<1896.697170952@postoffice.reston.mci.net>"
        ),
        "b913a602c7eda7a495b4e6e7334d3890"
    );
}

#[test]
fn token_errors_are_explained_before_the_final_reply() {
    let server = server(known());
    let (mut client, _) = Client::tls(&server);
    let bad = format!("user={USER}\x01auth=Bearer expired\x01\x01");
    let explained = client.cmd(&format!("AUTH XOAUTH2 {}", b64(&bad)));
    assert_eq!(explained.code, 334);
    assert!(decode(&explained.lines[0]).contains(r#""status":"401""#));
    // The empty line XOAUTH2 clients send to get the final reply.
    assert_eq!(client.cmd("").code, 535);
    quit(client);

    let (mut client, _) = Client::tls(&server);
    let bad = format!("n,a={USER},\x01auth=Bearer expired\x01\x01");
    let explained = client.cmd(&format!("AUTH OAUTHBEARER {}", b64(&bad)));
    assert_eq!(explained.code, 334);
    assert!(decode(&explained.lines[0]).contains(r#""status":"invalid_token""#));
    assert_eq!(client.cmd("AQ==").code, 535);
    quit(client);
}

#[test]
fn provider_like_refusals() {
    // Office 365 with SMTP AUTH switched off: even good credentials fail, directly.
    let o365 = "5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for \
                the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.";
    let o365_server = server(known().reject_all(535, &[o365]));
    for (mechanism, secret) in [(Mechanism::Login, PASSWORD), (Mechanism::Xoauth2, TOKEN)] {
        let (mut client, _) = Client::tls(&o365_server);
        match client.authenticate(mechanism, USER, secret) {
            Outcome::Rejected { reply, detail } => {
                assert_eq!(reply.code, 535);
                assert_eq!(reply.text(), o365);
                assert_eq!(
                    reply.enhanced.map(|e| e.to_string()).as_deref(),
                    Some("5.7.139")
                );
                assert_eq!(detail, None);
            }
            other => panic!("{other:?}"),
        }
        quit(client);
    }

    // Gmail without an app password: a multi-line 534.
    let gmail = [
        "5.7.9 Application-specific password required. For more information, go to",
        "5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor",
    ];
    let gmail_server = server(known().failure(534, &gmail));
    let (mut client, _) = Client::tls(&gmail_server);
    match client.authenticate(Mechanism::Plain, USER, "account password") {
        Outcome::Rejected { reply, .. } => {
            assert_eq!(reply.code, 534);
            assert_eq!(reply.lines, gmail);
        }
        other => panic!("{other:?}"),
    }
    quit(client);
}

#[test]
fn odd_client_behaviour() {
    let server = server(known().mechanisms(&["PLAIN", "LOGIN", "GSSAPI"]));
    let (mut client, _) = Client::tls(&server);
    assert_eq!(client.cmd("AUTH CRAM-MD5").code, 504, "not offered");
    assert_eq!(
        client.cmd("AUTH GSSAPI").code,
        504,
        "offered but not spoken"
    );
    assert_eq!(client.cmd("AUTH").code, 501);
    assert_eq!(client.cmd("AUTH PLAIN !!notbase64!!").code, 501);
    assert_eq!(
        client.cmd("AUTH PLAIN =").code,
        501,
        "empty initial response"
    );
    assert_eq!(client.cmd("AUTH LOGIN").code, 334);
    assert_eq!(client.cmd("*").code, 501, "cancelled");
    // Lower-case mechanism names are fine.
    assert_eq!(
        client
            .cmd(&format!(
                "auth plain {}",
                b64(&format!("\0{USER}\0{PASSWORD}"))
            ))
            .code,
        235
    );
    quit(client);
    let session = &sessions_after_quit(&server)[0];
    let codes: Vec<u16> = session.auth_attempts.iter().map(|a| a.code).collect();
    assert_eq!(codes, [501, 501, 501, 235], "{session:#?}");
}

#[test]
fn default_scenario_keeps_refusing_auth_and_mail() {
    let leaf = pki::self_signed(&["mail.test"]);
    let server = TestServer::start(Scenario::new().identity(leaf));
    let (mut client, ehlo) = Client::tls(&server);
    assert!(
        ehlo.lines.contains(&"AUTH PLAIN LOGIN".to_string()),
        "{ehlo}"
    );
    assert_eq!(client.cmd("AUTH PLAIN AGEAYg==").code, 503);
    assert_eq!(client.cmd("MAIL FROM:<a@b.test>").code, 503);
    quit(client);
}

fn mail_server(mail: Mail) -> TestServer {
    let leaf = pki::self_signed(&["mail.test"]);
    TestServer::start(Scenario::new().identity(leaf).auth(known()).mail(mail))
}

fn test_message() -> TestMessage {
    let now = time::OffsetDateTime::from_unix_timestamp(1_772_366_400).unwrap();
    TestMessage::with_id(
        USER,
        "bob@example.test",
        "mail.test",
        now,
        "<abc@client.test>",
    )
    .unwrap()
}

#[test]
fn mail_needs_auth_then_arrives_byte_exact() {
    let server = mail_server(Mail::new());
    let (mut client, _) = Client::tls(&server);
    assert_eq!(client.cmd(&format!("MAIL FROM:<{USER}>")).code, 530);
    assert_eq!(client.cmd("RCPT TO:<bob@example.test>").code, 503);
    assert!(matches!(
        client.authenticate(Mechanism::Plain, USER, PASSWORD),
        Outcome::Authenticated(_)
    ));
    assert_eq!(client.cmd("DATA").code, 503, "no transaction yet");
    assert_eq!(
        client.cmd(&format!("MAIL FROM:<{USER}> SIZE=1000")).code,
        250
    );
    assert_eq!(client.cmd("RCPT TO:<bob@example.test>").code, 250);
    assert_eq!(client.cmd("DATA").code, 354);
    // The test message plus lines that need dot-stuffing.
    let mut message = test_message().to_bytes();
    message.extend_from_slice(b".leading dot\r\n.\r\n..two\r\nlast\r\n");
    let data = smtp_doctor::smtp::message::dot_stuff(&message);
    client.send_raw(&data);
    let done = client.reply();
    assert_eq!(done.code, 250);
    assert_eq!(done.text(), "2.0.0 Ok: queued as 4TESTQUEUE1");
    quit(client);

    let session = &sessions_after_quit(&server)[0];
    let [received] = session.messages.as_slice() else {
        panic!("{session:#?}");
    };
    assert!(received.complete && received.tls);
    assert_eq!(received.mail_from, USER);
    assert_eq!(received.rcpt_to, ["bob@example.test"]);
    assert_eq!(received.raw, data, "raw bytes as sent");
    assert_eq!(received.content, message, "content after unstuffing");
    assert!(
        received
            .raw
            .ends_with(b"\r\n..leading dot\r\n..\r\n...two\r\nlast\r\n.\r\n")
    );
    // Content lines are not commands.
    assert_eq!(
        session.verbs(),
        [
            "EHLO", "STARTTLS", "EHLO", "MAIL", "RCPT", "AUTH", "DATA", "MAIL", "RCPT", "DATA",
            "QUIT"
        ]
    );
}

#[test]
fn configured_rejections() {
    let relay = "5.7.60 SMTP; Client does not have permissions to send as this sender";
    let server = mail_server(Mail::new().rcpt_reply(550, &[relay]));
    let (mut client, _) = Client::tls(&server);
    client.authenticate(Mechanism::Plain, USER, PASSWORD);
    assert_eq!(client.cmd(&format!("MAIL FROM:<{USER}>")).code, 250);
    let rcpt = client.cmd("RCPT TO:<bob@example.test>");
    assert_eq!((rcpt.code, rcpt.text()), (550, relay.to_string()));
    assert_eq!(client.cmd("DATA").code, 554, "no valid recipients");
    quit(client);

    let server = mail_server(Mail::new().mail_reply(553, &["5.7.1 Sender address rejected"]));
    let (mut client, _) = Client::tls(&server);
    client.authenticate(Mechanism::Plain, USER, PASSWORD);
    assert_eq!(client.cmd(&format!("MAIL FROM:<{USER}>")).code, 553);
    assert_eq!(
        client.cmd("RCPT TO:<bob@example.test>").code,
        503,
        "no transaction"
    );
    quit(client);

    let server = mail_server(Mail::new().final_reply(452, &["4.2.2 Mailbox full"]));
    let (mut client, _) = Client::tls(&server);
    client.authenticate(Mechanism::Plain, USER, PASSWORD);
    client.cmd(&format!("MAIL FROM:<{USER}>"));
    client.cmd("RCPT TO:<bob@example.test>");
    assert_eq!(client.cmd("DATA").code, 354);
    client.send_raw(&test_message().data());
    assert_eq!(client.reply().code, 452);
    quit(client);
    let session = &sessions_after_quit(&server)[0];
    assert_eq!(session.messages.len(), 1);
    assert_eq!(session.messages[0].raw, test_message().data());
}

#[test]
fn starttls_forgets_plain_auth() {
    let leaf = pki::self_signed(&["mail.test"]);
    let scenario = Scenario::new()
        .identity(leaf)
        .auth(known().before_tls())
        .mail(Mail::new());
    let server = TestServer::start(scenario);
    let mut client = Client::connect(&server);
    client.cmd("EHLO client.test");
    assert!(matches!(
        client.authenticate(Mechanism::Plain, USER, PASSWORD),
        Outcome::Authenticated(_)
    ));
    client.starttls();
    client.cmd("EHLO client.test");
    assert_eq!(client.cmd(&format!("MAIL FROM:<{USER}>")).code, 530);
    quit(client);
}

#[test]
fn mail_without_auth_and_size_limit() {
    let leaf = pki::self_signed(&["mail.test"]);
    let mut mail = Mail::new();
    mail.max_size = 100;
    let server = TestServer::start(Scenario::new().identity(leaf).mail(mail));
    let (mut client, _) = Client::tls(&server);
    // No AUTH in the scenario: MAIL needs none.
    assert_eq!(client.cmd("MAIL FROM:<>").code, 250);
    assert_eq!(client.cmd("RCPT TO:<bob@example.test>").code, 250);
    assert_eq!(client.cmd("DATA").code, 354);
    client.send_raw(&test_message().data());
    assert_eq!(client.reply().code, 552);
    // Recorded before the 552 went out; the server then closed (no QUIT to wait for).
    let session = &server.sessions()[0];
    let [received] = session.messages.as_slice() else {
        panic!("{session:#?}");
    };
    assert!(!received.complete);
    assert_eq!(received.mail_from, "");
}

#[test]
fn plaintext_reply_and_data_refusal_are_configurable() {
    let leaf = pki::self_signed(&["mail.test"]);
    let auth = known().plaintext_reply(
        538,
        &["5.7.11 Encryption required for requested authentication mechanism"],
    );
    let mail = Mail::new()
        .no_auth_required()
        .data_reply(554, &["5.7.1 Message refused"]);
    let server = TestServer::start(Scenario::new().identity(leaf).auth(auth).mail(mail));
    let mut client = Client::connect(&server);
    client.cmd("EHLO client.test");
    assert_eq!(client.cmd("AUTH LOGIN").code, 538);
    // AUTH is configured but not required for MAIL.
    assert_eq!(client.cmd("MAIL FROM:<a@b.test>").code, 250);
    assert_eq!(client.cmd("RCPT TO:<c@d.test>").code, 250);
    assert_eq!(client.cmd("DATA").code, 554);
    // The transaction is over: a new one can start.
    assert_eq!(client.cmd("MAIL FROM:<a@b.test>").code, 250);
    quit(client);
    assert!(sessions_after_quit(&server)[0].messages.is_empty());
}

#[test]
fn oauthbearer_user_escaping_round_trips() {
    let odd = "a,b=c@mail.test";
    let server = server(Auth::new().token(odd, TOKEN));
    let (mut client, _) = Client::tls(&server);
    let outcome = client.authenticate(Mechanism::Oauthbearer, odd, TOKEN);
    assert!(matches!(outcome, Outcome::Authenticated(_)), "{outcome:?}");
    quit(client);
    let attempt = &sessions_after_quit(&server)[0].auth_attempts[0];
    assert_eq!(attempt.user.as_deref(), Some(odd));
}
