//! A scripted SMTP peer for misbehaving-server tests: a [`Script`] is a list of [`Step`]s (send
//! these bytes, read a line, sleep, start TLS, reset the connection, ...) that
//! [`ScriptedServer`] plays on every connection it accepts on 127.0.0.1, recording what each
//! client sent ([`Session`]).
//!
//! Unlike [`super::server::TestServer`], it knows nothing of SMTP: the script says every byte.
//! Every step is bounded in time (a read waits [`STEP_TIMEOUT`] at most, a connection lives
//! [`CONNECTION_LIFETIME`] at most), the connection closes when the script ends or the client
//! goes away, and dropping the server stops the listener and every connection.

use std::fmt;
use std::io;
use std::net::{SocketAddr, TcpListener as StdListener};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use openssl::pkey::PKey;
use openssl::ssl::{Ssl, SslAcceptor, SslMethod, SslOptions, SslVersion};
use openssl::x509::X509;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;
use tokio::time::{Instant, timeout, timeout_at};
use tokio_openssl::SslStream;

use super::pki::Leaf;

/// Longest a read, write or handshake step waits.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(5);
/// [`Step::Drain`] and [`Step::Close`] stop reading after this long without a byte.
const DRAIN_IDLE: Duration = Duration::from_millis(500);
/// Upper bound on the life of one connection.
const CONNECTION_LIFETIME: Duration = Duration::from_secs(30);
/// [`Step::ReadLine`] gives up on a line longer than this.
const MAX_LINE: usize = 64 * 1024;

/// One thing the peer does.
#[derive(Clone)]
pub enum Step {
    /// Writes these bytes as they are.
    Send(Vec<u8>),
    /// Writes these lines, each followed by CRLF, in one write.
    SendLines(Vec<String>),
    /// Reads one line (up to its LF) and records it; the script ends when none comes within
    /// [`STEP_TIMEOUT`] or the client closes.
    ReadLine,
    /// Reads this many raw bytes (the start of a ClientHello, say), or what arrived when the
    /// client stops sending.
    ReadBytes(usize),
    /// Waits, reading nothing.
    Sleep(Duration),
    /// Waits this long while recording whatever the client sends (a client that speaks first
    /// shows here); the script ends if the client closes meanwhile.
    Listen(Duration),
    /// A server-side TLS handshake; the rest of the script runs inside TLS.
    Tls(Arc<SslAcceptor>),
    /// Closes with SO_LINGER 0: the client gets a reset (RST), not a FIN. Ends the script.
    Reset,
    /// A clean close: close_notify inside TLS, a FIN, then reads what is left until the
    /// client closes too or goes idle (unread bytes would turn the close into a reset). Ends the
    /// script.
    Close,
    /// Shuts down the sending side (FIN; inside TLS close_notify first) and goes on.
    HalfClose,
    /// Reads and records until the client closes or stays idle for a moment.
    Drain,
    /// Reads a line (the EHLO), then answers `250` with these lines as a multi-line reply.
    AnswerEhlo(Vec<String>),
    /// Reads a line (any command), then writes these bytes as the answer.
    AnswerAny(Vec<u8>),
}

impl fmt::Debug for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Send(bytes) => write!(f, "Send({:?})", String::from_utf8_lossy(bytes)),
            Step::SendLines(lines) => write!(f, "SendLines({lines:?})"),
            Step::ReadLine => f.write_str("ReadLine"),
            Step::ReadBytes(n) => write!(f, "ReadBytes({n})"),
            Step::Sleep(d) => write!(f, "Sleep({d:?})"),
            Step::Listen(d) => write!(f, "Listen({d:?})"),
            Step::Tls(_) => f.write_str("Tls"),
            Step::Reset => f.write_str("Reset"),
            Step::Close => f.write_str("Close"),
            Step::HalfClose => f.write_str("HalfClose"),
            Step::Drain => f.write_str("Drain"),
            Step::AnswerEhlo(lines) => write!(f, "AnswerEhlo({lines:?})"),
            Step::AnswerAny(bytes) => write!(f, "AnswerAny({:?})", String::from_utf8_lossy(bytes)),
        }
    }
}

/// The steps played on every connection, built with the methods below.
#[derive(Clone, Debug, Default)]
pub struct Script {
    steps: Vec<Step>,
}

impl Script {
    /// An empty script: the connection closes at once (FIN).
    pub fn new() -> Script {
        Script::default()
    }

    /// Appends a step.
    pub fn step(mut self, step: Step) -> Script {
        self.steps.push(step);
        self
    }

    /// [`Step::Send`].
    pub fn send(self, bytes: impl AsRef<[u8]>) -> Script {
        self.step(Step::Send(bytes.as_ref().to_vec()))
    }

    /// [`Step::SendLines`].
    pub fn lines(self, lines: &[&str]) -> Script {
        self.step(Step::SendLines(
            lines.iter().map(|l| l.to_string()).collect(),
        ))
    }

    /// Sends a well-formed reply: `code-line` for all lines but the last, `code line` for it.
    pub fn reply(self, code: u16, lines: &[&str]) -> Script {
        self.send(reply(code, lines))
    }

    /// Sends `bytes` one at a time, waiting `delay` after each.
    pub fn trickle(self, bytes: &[u8], delay: Duration) -> Script {
        bytes
            .iter()
            .fold(self, |script, &b| script.send([b]).step(Step::Sleep(delay)))
    }

    /// [`Step::ReadLine`].
    pub fn read_line(self) -> Script {
        self.step(Step::ReadLine)
    }

    /// [`Step::ReadBytes`].
    pub fn read_bytes(self, n: usize) -> Script {
        self.step(Step::ReadBytes(n))
    }

    /// [`Step::Sleep`].
    pub fn sleep(self, duration: Duration) -> Script {
        self.step(Step::Sleep(duration))
    }

    /// [`Step::Listen`].
    pub fn listen(self, duration: Duration) -> Script {
        self.step(Step::Listen(duration))
    }

    /// [`Step::Tls`] with this certificate and OpenSSL's default versions.
    pub fn tls(self, leaf: &Leaf) -> Script {
        self.tls_with(acceptor(leaf, None))
    }

    /// [`Step::Tls`] with an acceptor of the caller's (see [`acceptor`]).
    pub fn tls_with(self, acceptor: SslAcceptor) -> Script {
        self.step(Step::Tls(Arc::new(acceptor)))
    }

    /// [`Step::Reset`].
    pub fn reset(self) -> Script {
        self.step(Step::Reset)
    }

    /// [`Step::Close`].
    pub fn close(self) -> Script {
        self.step(Step::Close)
    }

    /// [`Step::HalfClose`].
    pub fn half_close(self) -> Script {
        self.step(Step::HalfClose)
    }

    /// [`Step::Drain`].
    pub fn drain(self) -> Script {
        self.step(Step::Drain)
    }

    /// [`Step::AnswerEhlo`]: `lines[0]` is the domain line, the others keywords.
    pub fn answer_ehlo(self, lines: &[&str]) -> Script {
        self.step(Step::AnswerEhlo(
            lines.iter().map(|l| l.to_string()).collect(),
        ))
    }

    /// [`Step::AnswerAny`].
    pub fn answer(self, bytes: impl AsRef<[u8]>) -> Script {
        self.step(Step::AnswerAny(bytes.as_ref().to_vec()))
    }

    /// Appends the steps of another script.
    pub fn then(mut self, other: Script) -> Script {
        self.steps.extend(other.steps);
        self
    }
}

/// A reply on the wire: `code-line` CRLF for all lines but the last, `code line` CRLF for it.
pub fn reply<S: AsRef<str>>(code: u16, lines: &[S]) -> Vec<u8> {
    let mut out = Vec::new();
    let last = lines.len().saturating_sub(1);
    for (i, line) in lines.iter().enumerate() {
        let sep = if i == last { ' ' } else { '-' };
        out.extend_from_slice(format!("{code}{sep}{}\r\n", line.as_ref()).as_bytes());
    }
    out
}

/// A TLS acceptor presenting `leaf`; `versions` limits the protocol versions (TLS 1.0 and
/// 1.1 are enabled at OpenSSL's security level 0 when asked for).
pub fn acceptor(leaf: &Leaf, versions: Option<(SslVersion, SslVersion)>) -> SslAcceptor {
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
    if let Some((min, max)) = versions {
        if min == SslVersion::TLS1 || min == SslVersion::TLS1_1 {
            builder.clear_options(SslOptions::NO_TLSV1 | SslOptions::NO_TLSV1_1);
            builder.set_security_level(0);
            builder
                .set_cipher_list("DEFAULT@SECLEVEL=0")
                .expect("cipher list");
        }
        builder
            .set_min_proto_version(Some(min))
            .expect("min version");
        builder
            .set_max_proto_version(Some(max))
            .expect("max version");
    }
    builder.build()
}

/// One thing that happened on a connection, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The peer wrote this many bytes.
    Sent {
        /// Inside TLS.
        tls: bool,
        /// How many.
        len: usize,
    },
    /// A line the client sent ([`Step::ReadLine`]), with its line end.
    Line {
        /// Inside TLS.
        tls: bool,
        /// The bytes as received.
        raw: Vec<u8>,
    },
    /// Other bytes the client sent (raw reads, listening, draining, left over at the end).
    Received {
        /// Inside TLS.
        tls: bool,
        /// The bytes as received.
        bytes: Vec<u8>,
    },
    /// What the peer saw happen: TLS established or failed, the client closed, a timeout.
    Note(String),
}

/// What happened on one accepted connection.
#[derive(Clone, Debug, Default)]
pub struct Session {
    /// Everything, in order.
    pub events: Vec<Event>,
}

impl Session {
    /// Every byte the client sent, in order (inside TLS: the decrypted bytes).
    pub fn received(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for event in &self.events {
            match event {
                Event::Line { raw, .. } => out.extend_from_slice(raw),
                Event::Received { bytes, .. } => out.extend_from_slice(bytes),
                _ => {}
            }
        }
        out
    }

    /// What the client sent before the peer's first write: empty for a client that waits for
    /// the greeting.
    pub fn received_before_first_send(&self) -> Vec<u8> {
        let first_send = self
            .events
            .iter()
            .position(|e| matches!(e, Event::Sent { .. }))
            .unwrap_or(self.events.len());
        let before = Session {
            events: self.events.iter().take(first_send).cloned().collect(),
        };
        before.received()
    }

    /// The lines the client sent ([`Step::ReadLine`]), without line ends, lossy UTF-8.
    pub fn lines(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Line { raw, .. } => Some(
                    String::from_utf8_lossy(raw)
                        .trim_end_matches(['\r', '\n'])
                        .to_string(),
                ),
                _ => None,
            })
            .collect()
    }

    /// A TLS handshake completed.
    pub fn tls_established(&self) -> bool {
        self.events
            .iter()
            .any(|e| matches!(e, Event::Note(n) if n == TLS_ESTABLISHED))
    }
}

const TLS_ESTABLISHED: &str = "TLS established";

type Log = Arc<Mutex<Vec<Arc<Mutex<Session>>>>>;

/// A running scripted peer. Dropping it stops the listener and every connection.
pub struct ScriptedServer {
    addr: SocketAddr,
    log: Log,
    runtime: Option<Runtime>,
}

impl ScriptedServer {
    /// Binds 127.0.0.1 on a free port and plays `script` on every connection until dropped.
    pub fn start(script: Script) -> ScriptedServer {
        let listener = StdListener::bind("127.0.0.1:0").expect("bind scripted server");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = listener.local_addr().expect("local addr");
        // A runtime of its own, like the test server: the test's thread stays free to run the
        // binary, and shutting the runtime down ends every connection.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("scripted server runtime");
        let log: Log = Arc::default();
        let accept_log = log.clone();
        let script = Arc::new(script);
        runtime.spawn(async move {
            let listener = TcpListener::from_std(listener).expect("tokio listener");
            loop {
                let Ok((tcp, _peer)) = listener.accept().await else {
                    continue;
                };
                let _ = tcp.set_nodelay(true);
                let session = Arc::new(Mutex::new(Session::default()));
                accept_log.lock().expect("log").push(session.clone());
                let script = script.clone();
                tokio::spawn(async move {
                    let player = Player {
                        io: Some(Io::Plain(tcp)),
                        pending: Vec::new(),
                        session: &session,
                    };
                    let _ = timeout(CONNECTION_LIFETIME, player.play(&script.steps)).await;
                });
            }
        });
        ScriptedServer {
            addr,
            log,
            runtime: Some(runtime),
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Every connection so far, in accept order, once what they saw has settled: the client
    /// may exit before the server's tasks have logged its last bytes (it does not wait for the
    /// reply to QUIT), so the snapshot is taken when two in a row 50 ms apart agree (at most
    /// two seconds).
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

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// The connection, in clear text or inside TLS.
enum Io {
    Plain(TcpStream),
    Tls(Box<SslStream<TcpStream>>),
}

impl Io {
    fn tcp(&self) -> &TcpStream {
        match self {
            Io::Plain(tcp) => tcp,
            Io::Tls(tls) => tls.get_ref(),
        }
    }

    fn is_tls(&self) -> bool {
        matches!(self, Io::Tls(_))
    }

    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Io::Plain(tcp) => tcp.read(buf).await,
            Io::Tls(tls) => tls.read(buf).await,
        }
    }

    async fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Io::Plain(tcp) => {
                tcp.write_all(bytes).await?;
                tcp.flush().await
            }
            Io::Tls(tls) => {
                tls.write_all(bytes).await?;
                tls.flush().await
            }
        }
    }

    async fn shutdown(&mut self) -> io::Result<()> {
        match self {
            Io::Plain(tcp) => tcp.shutdown().await,
            Io::Tls(tls) => tls.shutdown().await,
        }
    }
}

/// What one read brought.
enum Read {
    Data,
    Eof,
    TimedOut,
    Failed(io::Error),
}

/// Whether the script goes on after a step.
enum Flow {
    Next,
    End,
}

/// Plays a script on one connection.
struct Player<'a> {
    /// `None` once closed (or while TLS takes the stream over).
    io: Option<Io>,
    /// Bytes read but not yet consumed by a step.
    pending: Vec<u8>,
    session: &'a Mutex<Session>,
}

impl Player<'_> {
    async fn play(mut self, steps: &[Step]) {
        for step in steps {
            if matches!(self.step(step).await, Flow::End) {
                break;
            }
        }
        if !self.pending.is_empty() {
            let bytes = std::mem::take(&mut self.pending);
            self.record_received(bytes);
        }
    }

    fn tls(&self) -> bool {
        self.io.as_ref().is_some_and(Io::is_tls)
    }

    fn event(&self, event: Event) {
        self.session.lock().expect("session").events.push(event);
    }

    fn note(&self, note: impl Into<String>) -> Flow {
        self.event(Event::Note(note.into()));
        Flow::End
    }

    fn record_received(&self, bytes: Vec<u8>) {
        if !bytes.is_empty() {
            let tls = self.tls();
            self.event(Event::Received { tls, bytes });
        }
    }

    async fn step(&mut self, step: &Step) -> Flow {
        match step {
            Step::Send(bytes) => self.send(bytes).await,
            Step::SendLines(lines) => {
                let text: String = lines.iter().map(|l| format!("{l}\r\n")).collect();
                self.send(text.as_bytes()).await
            }
            Step::ReadLine => self.read_line().await,
            Step::ReadBytes(n) => self.read_bytes(*n).await,
            Step::Sleep(duration) => {
                tokio::time::sleep(*duration).await;
                Flow::Next
            }
            Step::Listen(duration) => self.listen(*duration).await,
            Step::Tls(acceptor) => self.start_tls(acceptor).await,
            Step::Reset => self.reset(),
            Step::Close => self.close().await,
            Step::HalfClose => match self.io.as_mut() {
                Some(io) => match timeout(STEP_TIMEOUT, io.shutdown()).await {
                    Ok(Ok(())) => Flow::Next,
                    _ => self.note("half-close failed"),
                },
                None => Flow::End,
            },
            Step::Drain => self.drain().await,
            Step::AnswerEhlo(lines) => match self.read_line().await {
                Flow::Next => self.send(&reply(250, lines)).await,
                Flow::End => Flow::End,
            },
            Step::AnswerAny(bytes) => match self.read_line().await {
                Flow::Next => self.send(bytes).await,
                Flow::End => Flow::End,
            },
        }
    }

    async fn send(&mut self, bytes: &[u8]) -> Flow {
        let tls = self.tls();
        let Some(io) = self.io.as_mut() else {
            return Flow::End;
        };
        match timeout(STEP_TIMEOUT, io.write(bytes)).await {
            Ok(Ok(())) => {
                self.event(Event::Sent {
                    tls,
                    len: bytes.len(),
                });
                Flow::Next
            }
            Ok(Err(e)) => self.note(format!("write failed: {e}")),
            Err(_) => self.note("write timed out: the client stopped reading"),
        }
    }

    /// Reads once more into `pending`, until `deadline`.
    async fn read_more(&mut self, deadline: Instant) -> Read {
        let Some(io) = self.io.as_mut() else {
            return Read::Eof;
        };
        let mut chunk = [0u8; 16 * 1024];
        match timeout_at(deadline, io.read(&mut chunk)).await {
            Err(_) => Read::TimedOut,
            Ok(Err(e)) => Read::Failed(e),
            Ok(Ok(0)) => Read::Eof,
            Ok(Ok(n)) => {
                self.pending
                    .extend_from_slice(chunk.get(..n).unwrap_or_default());
                Read::Data
            }
        }
    }

    /// Ends the script after a read that brought nothing.
    fn read_ended(&mut self, read: Read, step: &str) -> Flow {
        let bytes = std::mem::take(&mut self.pending);
        self.record_received(bytes);
        match read {
            Read::Eof => self.note(format!("{step}: the client closed the connection")),
            Read::TimedOut => self.note(format!("{step}: nothing within {STEP_TIMEOUT:?}")),
            Read::Failed(e) => self.note(format!("{step}: read failed: {e}")),
            Read::Data => Flow::Next,
        }
    }

    async fn read_line(&mut self) -> Flow {
        let deadline = Instant::now() + STEP_TIMEOUT;
        loop {
            if let Some(lf) = self.pending.iter().position(|&b| b == b'\n') {
                let raw: Vec<u8> = self.pending.drain(..=lf).collect();
                let tls = self.tls();
                self.event(Event::Line { tls, raw });
                return Flow::Next;
            }
            if self.pending.len() > MAX_LINE {
                return self.read_ended(Read::Failed(io::ErrorKind::InvalidData.into()), "line");
            }
            match self.read_more(deadline).await {
                Read::Data => {}
                other => return self.read_ended(other, "ReadLine"),
            }
        }
    }

    async fn read_bytes(&mut self, n: usize) -> Flow {
        let deadline = Instant::now() + STEP_TIMEOUT;
        while self.pending.len() < n {
            match self.read_more(deadline).await {
                Read::Data => {}
                other => return self.read_ended(other, "ReadBytes"),
            }
        }
        let bytes: Vec<u8> = self.pending.drain(..n).collect();
        self.record_received(bytes);
        Flow::Next
    }

    async fn listen(&mut self, duration: Duration) -> Flow {
        let deadline = Instant::now() + duration;
        loop {
            let read = self.read_more(deadline).await;
            let bytes = std::mem::take(&mut self.pending);
            self.record_received(bytes);
            match read {
                Read::Data => {}
                Read::TimedOut => return Flow::Next,
                other => return self.read_ended(other, "Listen"),
            }
        }
    }

    /// Reads until the client closes, stays idle for [`DRAIN_IDLE`], or [`STEP_TIMEOUT`].
    async fn drain(&mut self) -> Flow {
        let cap = Instant::now() + STEP_TIMEOUT;
        loop {
            let idle = (Instant::now() + DRAIN_IDLE).min(cap);
            let read = self.read_more(idle).await;
            let bytes = std::mem::take(&mut self.pending);
            self.record_received(bytes);
            match read {
                Read::Data => {}
                Read::TimedOut => return Flow::Next,
                other => return self.read_ended(other, "Drain"),
            }
        }
    }

    async fn start_tls(&mut self, acceptor: &SslAcceptor) -> Flow {
        let tcp = match self.io.take() {
            Some(Io::Plain(tcp)) => tcp,
            Some(tls @ Io::Tls(_)) => {
                self.io = Some(tls);
                return self.note("Tls step inside TLS");
            }
            None => return Flow::End,
        };
        if !self.pending.is_empty() {
            // Bytes a step read ahead would be part of the ClientHello; say so and drop them.
            let dropped = std::mem::take(&mut self.pending);
            let note = format!("{} bytes read before TLS dropped", dropped.len());
            self.record_received(dropped);
            self.note(note);
        }
        let Ok(ssl) = Ssl::new(acceptor.context()) else {
            return self.note("Ssl::new failed");
        };
        let Ok(mut stream) = SslStream::new(ssl, tcp) else {
            return self.note("SslStream::new failed");
        };
        match timeout(STEP_TIMEOUT, Pin::new(&mut stream).accept()).await {
            Ok(Ok(())) => {
                self.io = Some(Io::Tls(Box::new(stream)));
                self.event(Event::Note(TLS_ESTABLISHED.to_string()));
                Flow::Next
            }
            Ok(Err(e)) => self.note(format!("TLS handshake failed: {e}")),
            Err(_) => self.note("TLS handshake timed out"),
        }
    }

    fn reset(&mut self) -> Flow {
        if let Some(io) = self.io.take() {
            let linger = socket2::SockRef::from(io.tcp()).set_linger(Some(Duration::ZERO));
            if let Err(e) = linger {
                return self.note(format!("SO_LINGER 0 failed: {e}"));
            }
            drop(io);
        }
        self.note("reset")
    }

    async fn close(&mut self) -> Flow {
        let Some(io) = self.io.as_mut() else {
            return Flow::End;
        };
        let _ = timeout(STEP_TIMEOUT, io.shutdown()).await;
        // Read what the client still sends (QUIT, a TLS alert) until it closes too: closing
        // with unread bytes would send a reset instead of the FIN.
        let _ = self.drain().await;
        self.io = None;
        self.note("closed")
    }
}
