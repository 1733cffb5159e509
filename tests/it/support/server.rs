//! A scriptable in-process SMTP server for scenario tests: a [`Scenario`] says how it behaves
//! (greeting, EHLO, STARTTLS, TLS identity and versions, hostile replies, AUTH with known
//! credentials, mail acceptance), [`TestServer`] serves it on 127.0.0.1 in a runtime of its
//! own and records what each client sent.
//!
//! The server is bounded everywhere so that no test can hang on it: every read and write has a
//! deadline, each connection has a lifetime cap, and dropping the [`TestServer`] aborts all of
//! its tasks.

use std::io;
use std::net::{SocketAddr, TcpListener as StdListener};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use openssl::pkey::PKey;
use openssl::ssl::{NameType, Ssl, SslAcceptor, SslMethod, SslOptions, SslVersion};
use openssl::x509::X509;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;
use tokio_openssl::SslStream;

use super::pki::Leaf;

pub mod auth;
mod mail;

pub use auth::{Auth, AuthAttempt};
pub use mail::{Mail, Received};

/// How long the server waits for one client line before giving up on the connection.
const READ_IDLE: Duration = Duration::from_secs(10);
/// How long one write may block (a client that stopped reading) before the server gives up.
const WRITE_DEADLINE: Duration = Duration::from_secs(5);
/// Upper bound on the life of one connection.
const CONNECTION_LIFETIME: Duration = Duration::from_secs(30);
/// Longest client line the server accepts (RFC 5321 says 512 for commands; be lenient: an
/// `AUTH XOAUTH2` line with a large token runs to several kilobytes, RFC 4954 allows 12288).
const MAX_LINE: usize = 16 * 1024;

/// A reply the server is told to give: a code and one text per line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// Reply code.
    pub code: u16,
    /// One text per line, without the code (several make a multi-line reply).
    pub lines: Vec<String>,
}

impl Answer {
    /// A reply with these lines, e.g. `Answer::new(535, &["5.7.8 Bad credentials"])`.
    pub fn new(code: u16, lines: &[&str]) -> Answer {
        Answer {
            code,
            lines: lines.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// The reply as bytes on the wire.
    fn to_bytes(&self) -> Vec<u8> {
        reply(self.code, &self.lines)
    }
}

/// What the server says first.
#[derive(Clone, Debug)]
pub enum Greeting {
    /// A (multi-line) SMTP reply, e.g. `220` with one line per entry.
    Reply {
        /// Reply code; anything but 220 makes the server refuse every command but QUIT, and
        /// 421 closes right after the greeting.
        code: u16,
        /// One text per line (without the code).
        lines: Vec<String>,
    },
    /// Raw bytes instead of SMTP (e.g. an SSH or HTTP server on the port); the server then
    /// waits for one line and closes.
    Raw(Vec<u8>),
    /// Never greet: stay silent, drain what the client sends until it goes away.
    Silent,
}

/// Where an oversized reply is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FloodAt {
    /// Instead of the greeting.
    Banner,
    /// As the reply to the (plain) EHLO.
    Ehlo,
}

/// What an oversized reply looks like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flood {
    /// A multi-line reply with this many lines.
    Lines(usize),
    /// One line of this many bytes before its CRLF.
    LongLine(usize),
}

/// How the server answers STARTTLS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Starttls {
    /// Advertised in EHLO, answered 220, then a TLS handshake.
    Offer,
    /// Advertised in EHLO but answered with this reply (e.g. 454), no handshake.
    Refuse {
        /// Reply code.
        code: u16,
        /// Reply text.
        text: String,
    },
    /// Not advertised; a STARTTLS command anyway gets `502`.
    NotOffered,
}

/// Behaviour of the test server, built with the methods below from [`Scenario::new`].
#[derive(Clone, Debug)]
pub struct Scenario {
    /// What to say first.
    pub greeting: Greeting,
    /// Delay before the greeting.
    pub banner_delay: Duration,
    /// Half-close right after the greeting (the client sees EOF on its next read).
    pub close_after_banner: bool,
    /// Domain in the first line of the EHLO/HELO reply.
    pub ehlo_domain: String,
    /// EHLO keyword lines before TLS (STARTTLS is added when offered or refused).
    pub ehlo_keywords: Vec<String>,
    /// EHLO keyword lines inside TLS.
    pub ehlo_tls_keywords: Vec<String>,
    /// Answer EHLO with `502`, so only HELO works.
    pub ehlo_refused: bool,
    /// STARTTLS behaviour.
    pub starttls: Starttls,
    /// Bytes written in the same write as the STARTTLS `220`, before the handshake.
    pub inject_after_starttls: Vec<u8>,
    /// TLS from the first byte (greeting inside TLS).
    pub implicit_tls: bool,
    /// Certificate chain and key for TLS; without one, STARTTLS is answered 454.
    pub identity: Option<Leaf>,
    /// Lowest TLS version accepted (`None`: OpenSSL's default).
    pub min_tls: Option<SslVersion>,
    /// Highest TLS version accepted (`None`: OpenSSL's default).
    pub max_tls: Option<SslVersion>,
    /// An oversized reply, and where.
    pub flood: Option<(FloodAt, Flood)>,
    /// AUTH: offered mechanisms and accepted credentials. `None`: the EHLO keywords are sent
    /// as configured and AUTH is answered `503`.
    pub auth: Option<Auth>,
    /// MAIL, RCPT and DATA acceptance. `None`: they are answered `503`.
    pub mail: Option<Mail>,
}

impl Scenario {
    /// A well-behaved server: `220 mail.test ESMTP` greeting, EHLO with common keywords and
    /// STARTTLS offered (TLS needs [`Scenario::identity`]).
    pub fn new() -> Scenario {
        let common = [
            "PIPELINING",
            "SIZE 35882577",
            "8BITMIME",
            "ENHANCEDSTATUSCODES",
        ];
        let keywords: Vec<String> = common.iter().map(|s| s.to_string()).collect();
        let mut tls_keywords = keywords.clone();
        tls_keywords.push("AUTH PLAIN LOGIN".to_string());
        Scenario {
            greeting: Greeting::Reply {
                code: 220,
                lines: vec!["mail.test ESMTP smtp-doctor test server".to_string()],
            },
            banner_delay: Duration::ZERO,
            close_after_banner: false,
            ehlo_domain: "mail.test".to_string(),
            ehlo_keywords: keywords,
            ehlo_tls_keywords: tls_keywords,
            ehlo_refused: false,
            starttls: Starttls::Offer,
            inject_after_starttls: Vec::new(),
            implicit_tls: false,
            identity: None,
            min_tls: None,
            max_tls: None,
            flood: None,
            auth: None,
            mail: None,
        }
    }

    /// The certificate chain and key to present.
    pub fn identity(mut self, leaf: Leaf) -> Scenario {
        self.identity = Some(leaf);
        self
    }

    /// Greet with this code and these lines (several lines make a multi-line reply).
    pub fn greeting(mut self, code: u16, lines: &[&str]) -> Scenario {
        let lines = lines.iter().map(|s| s.to_string()).collect();
        self.greeting = Greeting::Reply { code, lines };
        self
    }

    /// Send these raw bytes instead of an SMTP greeting.
    pub fn raw_greeting(mut self, bytes: &[u8]) -> Scenario {
        self.greeting = Greeting::Raw(bytes.to_vec());
        self
    }

    /// Never send a greeting.
    pub fn silent(mut self) -> Scenario {
        self.greeting = Greeting::Silent;
        self
    }

    /// Wait this long before greeting.
    pub fn banner_delay(mut self, delay: Duration) -> Scenario {
        self.banner_delay = delay;
        self
    }

    /// Close the connection right after the greeting.
    pub fn close_after_banner(mut self) -> Scenario {
        self.close_after_banner = true;
        self
    }

    /// Domain in the EHLO reply.
    pub fn ehlo_domain(mut self, domain: &str) -> Scenario {
        self.ehlo_domain = domain.to_string();
        self
    }

    /// EHLO keyword lines before TLS (without STARTTLS, which follows [`Scenario::starttls`]).
    pub fn ehlo_keywords(mut self, keywords: &[&str]) -> Scenario {
        self.ehlo_keywords = keywords.iter().map(|s| s.to_string()).collect();
        self
    }

    /// EHLO keyword lines inside TLS.
    pub fn ehlo_tls_keywords(mut self, keywords: &[&str]) -> Scenario {
        self.ehlo_tls_keywords = keywords.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Refuse EHLO (502) so that only HELO works.
    pub fn ehlo_refused(mut self) -> Scenario {
        self.ehlo_refused = true;
        self
    }

    /// How STARTTLS is answered.
    pub fn starttls(mut self, starttls: Starttls) -> Scenario {
        self.starttls = starttls;
        self
    }

    /// Bytes to send right after the STARTTLS 220 (response injection).
    pub fn inject_after_starttls(mut self, bytes: &[u8]) -> Scenario {
        self.inject_after_starttls = bytes.to_vec();
        self
    }

    /// Speak TLS from the first byte.
    pub fn implicit_tls(mut self) -> Scenario {
        self.implicit_tls = true;
        self
    }

    /// Accept only TLS versions in this range.
    pub fn tls_versions(mut self, min: SslVersion, max: SslVersion) -> Scenario {
        self.min_tls = Some(min);
        self.max_tls = Some(max);
        self
    }

    /// Send an oversized reply at this point.
    pub fn flood(mut self, at: FloodAt, flood: Flood) -> Scenario {
        self.flood = Some((at, flood));
        self
    }

    /// Speak AUTH as configured; the EHLO `AUTH` line then follows [`Auth::mechanisms`]
    /// (inside TLS, and before it with [`Auth::before_tls`]) instead of the keyword lists.
    pub fn auth(mut self, auth: Auth) -> Scenario {
        self.auth = Some(auth);
        self
    }

    /// Accept MAIL, RCPT and DATA as configured.
    pub fn mail(mut self, mail: Mail) -> Scenario {
        self.mail = Some(mail);
        self
    }
}

impl Default for Scenario {
    fn default() -> Scenario {
        Scenario::new()
    }
}

/// One line a client sent (message content after DATA is in [`Session::messages`] instead).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientLine {
    /// Sent inside TLS.
    pub tls: bool,
    /// The line without CRLF, non-UTF-8 bytes replaced.
    pub line: String,
    /// A command; `false` for a response inside an AUTH exchange (base64, `*`).
    pub command: bool,
}

/// What happened on one accepted connection.
#[derive(Clone, Debug, Default)]
pub struct Session {
    /// Lines the client sent, in order.
    pub lines: Vec<ClientLine>,
    /// A TLS handshake completed.
    pub tls_established: bool,
    /// The name the client sent as SNI in its TLS handshake.
    pub sni: Option<String>,
    /// Why a TLS handshake failed, when one was attempted and failed.
    pub tls_error: Option<String>,
    /// Each AUTH exchange that got as far as a known, offered mechanism.
    pub auth_attempts: Vec<AuthAttempt>,
    /// Each message whose content was read after a `354`.
    pub messages: Vec<Received>,
}

impl Session {
    /// The command verbs the client sent (first word, upper-cased; AUTH responses are not
    /// commands and are left out).
    pub fn verbs(&self) -> Vec<String> {
        self.lines
            .iter()
            .filter(|l| l.command)
            .map(|l| {
                l.line
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_ascii_uppercase()
            })
            .collect()
    }
}

type Log = Arc<Mutex<Vec<Arc<Mutex<Session>>>>>;

/// A running test server. Dropping it stops it.
pub struct TestServer {
    addr: SocketAddr,
    log: Log,
    runtime: Option<Runtime>,
}

impl TestServer {
    /// Binds 127.0.0.1 on a free port and serves `scenario` on every connection until dropped.
    pub fn start(scenario: Scenario) -> TestServer {
        let listener = StdListener::bind("127.0.0.1:0").expect("bind test server");
        TestServer::serve_on(scenario, listener)
    }

    /// Serves `scenario` on a listener bound by the caller (a fixed port, say).
    pub fn serve_on(scenario: Scenario, listener: StdListener) -> TestServer {
        let acceptor = scenario
            .identity
            .as_ref()
            .map(|leaf| build_acceptor(leaf, &scenario));
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = listener.local_addr().expect("local addr");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("test server runtime");
        let log: Log = Arc::default();
        let shared = Arc::new(Shared { scenario, acceptor });
        let accept_log = log.clone();
        runtime.spawn(async move {
            let listener = TcpListener::from_std(listener).expect("tokio listener");
            loop {
                let Ok((tcp, _peer)) = listener.accept().await else {
                    continue;
                };
                // Replies go out at once, like a real MTA's; Nagle would add delayed-ACK
                // stalls (about 40 ms) to every TLS round trip and blur the timings.
                let _ = tcp.set_nodelay(true);
                let session = Arc::new(Mutex::new(Session::default()));
                accept_log.lock().expect("log").push(session.clone());
                let shared = shared.clone();
                tokio::spawn(async move {
                    // Errors only end this connection; the test asserts on what the client saw.
                    let _ =
                        tokio::time::timeout(CONNECTION_LIFETIME, serve(tcp, &shared, &session))
                            .await;
                });
            }
        });
        TestServer {
            addr,
            log,
            runtime: Some(runtime),
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every connection so far, in accept order, once what they saw has settled (the client
    /// may exit before the server's tasks have logged its last command: it does not wait for
    /// the reply to QUIT): two snapshots 50 ms apart agree, or two seconds passed.
    pub fn sessions(&self) -> Vec<Session> {
        super::settled(|| self.snapshot())
    }

    fn snapshot(&self) -> Vec<Session> {
        let log = self.log.lock().expect("log");
        log.iter()
            .map(|s| s.lock().expect("session").clone())
            .collect()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            // Aborts the accept loop and every connection without waiting for them.
            runtime.shutdown_background();
        }
    }
}

struct Shared {
    scenario: Scenario,
    acceptor: Option<SslAcceptor>,
}

fn build_acceptor(leaf: &Leaf, scenario: &Scenario) -> SslAcceptor {
    let mut builder =
        SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server()).expect("acceptor builder");
    let chain = X509::stack_from_pem(leaf.chain_pem.as_bytes()).expect("chain PEM");
    let key = PKey::private_key_from_pem(leaf.key_pem.as_bytes()).expect("key PEM");
    let mut certs = chain.into_iter();
    let first = certs.next().expect("chain has a leaf");
    builder.set_certificate(&first).expect("set certificate");
    for extra in certs {
        builder.add_extra_chain_cert(extra).expect("add chain cert");
    }
    builder.set_private_key(&key).expect("set key");
    builder
        .check_private_key()
        .expect("key matches certificate");
    let legacy = scenario
        .min_tls
        .is_some_and(|v| v == SslVersion::TLS1 || v == SslVersion::TLS1_1 || v == SslVersion::SSL3);
    if legacy {
        // OpenSSL 3 refuses TLS 1.0/1.1 (SHA-1 signatures) at the default security level.
        builder.clear_options(SslOptions::NO_TLSV1 | SslOptions::NO_TLSV1_1);
        builder.set_security_level(0);
        builder
            .set_cipher_list("DEFAULT@SECLEVEL=0")
            .expect("cipher list");
    }
    builder
        .set_min_proto_version(scenario.min_tls)
        .expect("min version");
    builder
        .set_max_proto_version(scenario.max_tls)
        .expect("max version");
    builder.build()
}

/// Bytes received but not yet consumed as a line.
#[derive(Default)]
struct LineBuf {
    buf: Vec<u8>,
}

enum Line {
    Text(String),
    Eof,
    TooLong,
}

/// A line with its line end, exactly as received.
enum RawLine {
    Bytes(Vec<u8>),
    Eof,
    TooLong,
}

impl LineBuf {
    async fn read_line<S: AsyncRead + Unpin>(&mut self, stream: &mut S) -> io::Result<Line> {
        Ok(match self.read_raw_line(stream, MAX_LINE).await? {
            RawLine::Bytes(raw) => {
                let text = String::from_utf8_lossy(&raw);
                Line::Text(text.trim_end_matches(['\r', '\n']).to_string())
            }
            RawLine::Eof => Line::Eof,
            RawLine::TooLong => Line::TooLong,
        })
    }

    /// The next line up to and including its LF; `TooLong` once more than `limit` bytes
    /// arrived without one.
    async fn read_raw_line<S: AsyncRead + Unpin>(
        &mut self,
        stream: &mut S,
        limit: usize,
    ) -> io::Result<RawLine> {
        loop {
            if let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
                return Ok(RawLine::Bytes(self.buf.drain(..=pos).collect()));
            }
            if self.buf.len() > limit {
                return Ok(RawLine::TooLong);
            }
            let mut chunk = [0u8; 4096];
            let n = tokio::time::timeout(READ_IDLE, stream.read(&mut chunk))
                .await
                .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "client idle"))??;
            if n == 0 {
                return Ok(RawLine::Eof);
            }
            self.buf
                .extend_from_slice(chunk.get(..n).unwrap_or_default());
        }
    }
}

async fn write_bounded<S: AsyncWrite + Unpin>(stream: &mut S, bytes: &[u8]) -> io::Result<()> {
    tokio::time::timeout(WRITE_DEADLINE, async {
        stream.write_all(bytes).await?;
        stream.flush().await
    })
    .await
    .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "client stopped reading"))?
}

/// Formats a reply: `code-text` lines then `code text`.
fn reply(code: u16, lines: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    let last = lines.len().saturating_sub(1);
    if lines.is_empty() {
        out.extend_from_slice(format!("{code}\r\n").as_bytes());
    }
    for (i, line) in lines.iter().enumerate() {
        let sep = if i == last { ' ' } else { '-' };
        out.extend_from_slice(format!("{code}{sep}{line}\r\n").as_bytes());
    }
    out
}

fn reply1(code: u16, text: &str) -> Vec<u8> {
    reply(code, &[text.to_string()])
}

/// Writes an oversized reply in chunks, stopping as soon as the client goes away.
async fn write_flood<S: AsyncWrite + Unpin>(stream: &mut S, flood: Flood) -> io::Result<()> {
    match flood {
        Flood::Lines(n) => {
            let mut chunk = Vec::with_capacity(70_000);
            for i in 0..n {
                let sep = if i + 1 == n { ' ' } else { '-' };
                chunk.extend_from_slice(format!("250{sep}X-FILLER-{i:08}\r\n").as_bytes());
                if chunk.len() >= 64 * 1024 {
                    write_bounded(stream, &chunk).await?;
                    chunk.clear();
                }
            }
            write_bounded(stream, &chunk).await
        }
        Flood::LongLine(len) => {
            write_bounded(stream, b"250 ").await?;
            let chunk = vec![b'A'; 64 * 1024];
            let mut left = len;
            while left > 0 {
                let n = left.min(chunk.len());
                write_bounded(stream, chunk.get(..n).unwrap_or_default()).await?;
                left -= n;
            }
            write_bounded(stream, b"\r\n").await
        }
    }
}

async fn serve(tcp: TcpStream, shared: &Shared, session: &Mutex<Session>) -> io::Result<()> {
    let scenario = &shared.scenario;
    if scenario.implicit_tls {
        let Some(mut tls) = handshake(tcp, shared, session).await else {
            return Ok(());
        };
        if !greet(&mut tls, scenario).await? {
            return Ok(());
        }
        dialogue(&mut tls, &mut LineBuf::default(), true, shared, session).await?;
        close_tls(&mut tls).await;
        return Ok(());
    }
    let mut tcp = tcp;
    if !greet(&mut tcp, scenario).await? {
        return Ok(());
    }
    let mut buf = LineBuf::default();
    match dialogue(&mut tcp, &mut buf, false, shared, session).await? {
        Next::Done => Ok(()),
        Next::StartTls => {
            // A client that pipelined past STARTTLS would have bytes in `buf`; they are
            // dropped, as RFC 3207 demands.
            let Some(mut tls) = handshake(tcp, shared, session).await else {
                return Ok(());
            };
            dialogue(&mut tls, &mut LineBuf::default(), true, shared, session).await?;
            close_tls(&mut tls).await;
            Ok(())
        }
    }
}

async fn handshake(
    tcp: TcpStream,
    shared: &Shared,
    session: &Mutex<Session>,
) -> Option<SslStream<TcpStream>> {
    let acceptor = shared.acceptor.as_ref()?;
    let ssl = Ssl::new(acceptor.context()).ok()?;
    let mut stream = SslStream::new(ssl, tcp).ok()?;
    let result = tokio::time::timeout(READ_IDLE, Pin::new(&mut stream).accept()).await;
    let mut session = session.lock().expect("session");
    match result {
        Ok(Ok(())) => {
            session.tls_established = true;
            session.sni = stream
                .ssl()
                .servername(NameType::HOST_NAME)
                .map(str::to_string);
            Some(stream)
        }
        Ok(Err(e)) => {
            session.tls_error = Some(e.to_string());
            None
        }
        Err(_) => {
            session.tls_error = Some("handshake timed out".to_string());
            None
        }
    }
}

/// Sends close_notify, like a well-behaved server, so clients see a clean TLS end.
async fn close_tls(tls: &mut SslStream<TcpStream>) {
    let _ = tokio::time::timeout(WRITE_DEADLINE, tls.shutdown()).await;
}

/// Sends the greeting; `false` when the connection should end here.
async fn greet<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    scenario: &Scenario,
) -> io::Result<bool> {
    tokio::time::sleep(scenario.banner_delay).await;
    if let Some((FloodAt::Banner, flood)) = scenario.flood {
        let _ = write_flood(stream, flood).await;
        return Ok(false);
    }
    match &scenario.greeting {
        Greeting::Silent => {
            drain(stream).await;
            return Ok(false);
        }
        Greeting::Raw(bytes) => {
            write_bounded(stream, bytes).await?;
            // Like an SSH server: wait for the client's first line, then hang up.
            let _ = LineBuf::default().read_line(stream).await;
            return Ok(false);
        }
        Greeting::Reply { code, lines } => {
            write_bounded(stream, &reply(*code, lines)).await?;
            if *code == 421 {
                return Ok(false);
            }
        }
    }
    if scenario.close_after_banner {
        // Half-close then drain, so the client reads a clean EOF instead of racing an RST.
        let _ = stream.shutdown().await;
        drain(stream).await;
        return Ok(false);
    }
    Ok(true)
}

/// Reads and discards until EOF, an error or the idle deadline.
async fn drain<S: AsyncRead + Unpin>(stream: &mut S) {
    let mut chunk = [0u8; 4096];
    while let Ok(Ok(n)) = tokio::time::timeout(READ_IDLE, stream.read(&mut chunk)).await {
        if n == 0 {
            break;
        }
    }
}

enum Next {
    Done,
    StartTls,
}

/// Whether the dialogue goes on after a command that reads more than one line.
enum Flow {
    Continue,
    Close,
}

/// What one dialogue (plain, or inside TLS) remembers. STARTTLS starts a fresh one: the
/// server forgets AUTH and any transaction (RFC 3207 section 4.2).
#[derive(Default)]
struct Conn {
    /// AUTH succeeded.
    authenticated: bool,
    /// The mail transaction in progress.
    envelope: Option<mail::Envelope>,
}

/// Records a line the client sent.
fn record(session: &Mutex<Session>, tls: bool, line: &str, command: bool) {
    session.lock().expect("session").lines.push(ClientLine {
        tls,
        line: line.to_string(),
        command,
    });
}

async fn dialogue<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    buf: &mut LineBuf,
    tls: bool,
    shared: &Shared,
    session: &Mutex<Session>,
) -> io::Result<Next> {
    let scenario = &shared.scenario;
    let refused_greeting = matches!(scenario.greeting, Greeting::Reply { code, .. } if code != 220);
    let mut conn = Conn::default();
    loop {
        let line = match buf.read_line(stream).await? {
            Line::Text(line) => line,
            Line::Eof => return Ok(Next::Done),
            Line::TooLong => {
                write_bounded(stream, &reply1(500, "5.5.2 Line too long")).await?;
                return Ok(Next::Done);
            }
        };
        record(session, tls, &line, true);
        let verb = line
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        if verb == "QUIT" {
            write_bounded(stream, &reply1(221, "2.0.0 Bye")).await?;
            return Ok(Next::Done);
        }
        if refused_greeting {
            write_bounded(stream, &reply1(503, "5.5.1 No service, only QUIT")).await?;
            continue;
        }
        let answer = match verb.as_str() {
            "EHLO" if scenario.ehlo_refused => reply1(502, "5.5.2 EHLO not implemented"),
            "EHLO" => {
                if let (false, Some((FloodAt::Ehlo, flood))) = (tls, scenario.flood) {
                    let _ = write_flood(stream, flood).await;
                    return Ok(Next::Done);
                }
                // EHLO resets any transaction, like RSET (RFC 5321 section 4.1.4).
                conn.envelope = None;
                ehlo_reply(scenario, tls, shared.acceptor.is_some())
            }
            "HELO" => {
                conn.envelope = None;
                reply1(250, &scenario.ehlo_domain)
            }
            "STARTTLS" if tls => reply1(503, "5.5.1 TLS already active"),
            "STARTTLS" => match (&scenario.starttls, &shared.acceptor) {
                (Starttls::NotOffered, _) => reply1(502, "5.5.1 STARTTLS not implemented"),
                (Starttls::Refuse { code, text }, _) => reply1(*code, text),
                (Starttls::Offer, None) => reply1(454, "4.7.0 TLS not available"),
                (Starttls::Offer, Some(_)) => {
                    let mut out = reply1(220, "2.0.0 Ready to start TLS");
                    out.extend_from_slice(&scenario.inject_after_starttls);
                    write_bounded(stream, &out).await?;
                    return Ok(Next::StartTls);
                }
            },
            "NOOP" => reply1(250, "2.0.0 OK"),
            "RSET" => {
                conn.envelope = None;
                reply1(250, "2.0.0 OK")
            }
            "AUTH" if scenario.auth.is_some() => {
                match auth::exchange(stream, buf, tls, &line, &mut conn, shared, session).await? {
                    Flow::Continue => continue,
                    Flow::Close => return Ok(Next::Done),
                }
            }
            "MAIL" if scenario.mail.is_some() => mail::mail_from(&line, &mut conn, shared),
            "RCPT" if scenario.mail.is_some() => mail::rcpt_to(&line, &mut conn, shared),
            "DATA" if scenario.mail.is_some() => {
                match mail::data(stream, buf, tls, &mut conn, shared, session).await? {
                    Flow::Continue => continue,
                    Flow::Close => return Ok(Next::Done),
                }
            }
            "MAIL" | "RCPT" | "DATA" | "AUTH" => reply1(503, "5.5.1 Not in this test server"),
            _ => reply1(500, "5.5.2 Command unrecognized"),
        };
        write_bounded(stream, &answer).await?;
    }
}

fn ehlo_reply(scenario: &Scenario, tls: bool, can_tls: bool) -> Vec<u8> {
    let mut lines = vec![format!("{} Hello", scenario.ehlo_domain)];
    let keywords = if tls {
        &scenario.ehlo_tls_keywords
    } else {
        &scenario.ehlo_keywords
    };
    match &scenario.auth {
        None => lines.extend(keywords.iter().cloned()),
        Some(auth) => {
            // The AUTH line follows the AUTH configuration, not the keyword lists.
            lines.extend(
                keywords
                    .iter()
                    .filter(|k| !auth::is_auth_keyword(k))
                    .cloned(),
            );
            lines.extend(auth.ehlo_line(tls));
        }
    }
    if !tls {
        let advertise = match scenario.starttls {
            Starttls::Offer => can_tls,
            Starttls::Refuse { .. } => true,
            Starttls::NotOffered => false,
        };
        if advertise {
            lines.push("STARTTLS".to_string());
        }
    }
    reply(250, &lines)
}

/// A port on 127.0.0.1 that completes no TCP handshake: a listener with backlog 0 that never
/// accepts, its accept queue filled up front, so the kernel drops further SYNs and a connect
/// times out. Keep the value alive for as long as the port must stay black.
pub struct Blackhole {
    _listener: socket2::Socket,
    _fillers: Vec<socket2::Socket>,
    port: u16,
}

impl Blackhole {
    /// Creates the listener and fills its queue.
    pub fn new() -> Blackhole {
        use socket2::{Domain, Protocol, SockAddr, Socket, Type};
        let listener =
            Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP)).expect("socket");
        let any: SocketAddr = "127.0.0.1:0".parse().expect("addr");
        listener.bind(&SockAddr::from(any)).expect("bind");
        listener.listen(0).expect("listen");
        let addr = listener
            .local_addr()
            .expect("local addr")
            .as_socket()
            .expect("inet addr");
        let mut fillers = Vec::new();
        // With backlog 0 Linux queues one connection; a few more make sure the queue is full.
        // Connects beyond the queue time out quickly here; they are kept anyway (harmless).
        for _ in 0..3 {
            let s = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP)).expect("socket");
            let _ = s.connect_timeout(&SockAddr::from(addr), Duration::from_millis(200));
            fillers.push(s);
        }
        Blackhole {
            _listener: listener,
            _fillers: fillers,
            port: addr.port(),
        }
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }
}
