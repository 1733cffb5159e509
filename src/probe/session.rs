//! One endpoint's dialogue: connect, banner, EHLO, STARTTLS, TLS, EHLO, QUIT, each step with its
//! deadline and every line in the transcript. The probe itself never sends MAIL, RCPT, DATA or
//! AUTH; the credential check ([`super::auth`]) opens a session of its own with
//! [`Session::open`] and continues on the returned stream.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::time::{Duration, SystemTime};

use futures::FutureExt;
use futures::future::Either;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::{Instant, timeout_at};
use tokio_openssl::SslStream;

use super::ProbeOptions;
use super::pace::{self, Pace};
use crate::model::progress::Step;
use crate::model::{
    Direction, Endpoint, IcmpKind, Observation, Phase, PhaseError, Security, StarttlsObservation,
    State, TranscriptLine, Unreachable, WrongMode,
};
use crate::smtp::sasl::Outgoing;
use crate::smtp::{self, Ehlo, ParsedReply, Reply, ReplyError, ReplyParser};
use crate::tls::{self, Recorder, TlsClient};

/// Any byte stream the dialogue can run over: TCP, or TLS over TCP.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// The stream a session talks over.
pub(super) type BoxStream = Box<dyn Stream>;

/// How many first bytes of a handshake are kept to tell what the server really sent.
const RECORD_LIMIT: usize = 1024;
/// How long a STARTTLS port may stay silent before a TLS handshake is tried on a second
/// connection (at most half the step timeout). Servers greet within milliseconds unless they
/// delay on purpose, and a delaying one still has the whole timeout on the first connection.
const GREETING_LATE: Duration = Duration::from_millis(1500);
/// QUIT is a courtesy: it never waits long.
const QUIT_TIMEOUT: Duration = Duration::from_secs(2);

/// Why the dialogue stopped early.
pub(super) struct Stop {
    /// How far it got.
    pub(super) state: State,
    /// The step it stopped in.
    pub(super) phase: Phase,
    /// What happened, in plain words.
    pub(super) message: String,
    /// The run's deadline ended it (see [`PhaseError::run_deadline`]).
    pub(super) run_deadline: bool,
}

impl Stop {
    pub(super) fn new(state: State, phase: Phase, message: impl Into<String>) -> Stop {
        Stop {
            state,
            phase,
            message: message.into(),
            run_deadline: false,
        }
    }

    /// The same stop, marked as ended by the run's deadline.
    fn at_run_deadline(mut self) -> Stop {
        self.run_deadline = true;
        self
    }
}

/// Probes one endpoint; never fails, always returns what was seen. With `pace`, its connect
/// gives up early when others of its group connected much faster ([`super::pace`]).
pub(super) async fn probe(
    endpoint: Endpoint,
    options: &ProbeOptions,
    tls: &TlsClient,
    deadline: Instant,
    pace: Option<(&Pace, &str)>,
) -> Observation {
    let mut session = Session::new(endpoint, options, tls, deadline);
    session.pace = pace;
    session.watched = true;
    if let Some(message) = no_route(session.obs.endpoint.ip, session.obs.endpoint.port) {
        session.obs.state = State::Skipped;
        session.obs.error = Some(PhaseError {
            phase: Phase::Connect,
            message,
            run_deadline: false,
        });
        return session.obs;
    }
    // A batch's politeness: a turn at this address first (held until the probe ends).
    let turn = match &options.polite {
        Some(polite) => polite.turn(session.obs.endpoint.ip, deadline).await,
        None => None,
    };
    match session.open().await {
        Ok(mut stream) => session.quit(&mut stream).await,
        Err(stop) => session.stopped(stop),
    }
    let obs = session.finish();
    if let Some(polite) = &options.polite
        && obs.banner.as_ref().is_some_and(|b| b.code == 421)
    {
        polite.busy(obs.endpoint.ip);
    }
    drop(turn);
    if let Some(watch) = &options.watch {
        watch.0.step(
            &obs.endpoint,
            Step::Done {
                state: obs.state,
                phase: obs.error.as_ref().map(|e| e.phase),
                total: obs.timings.total.unwrap_or_default(),
            },
        );
    }
    obs
}

/// One connection's dialogue and what it saw.
pub(super) struct Session<'a> {
    options: &'a ProbeOptions,
    tls: &'a TlsClient,
    /// The whole run's deadline.
    deadline: Instant,
    started: Instant,
    parser: ReplyParser,
    /// Bytes read through the reply reader so far (bounded by the limits).
    received: usize,
    /// Well-formed replies read on the current connection: after one, a malformed line is a
    /// protocol error of an SMTP server, not a sign that something else answers.
    replies: usize,
    /// The dialogue is inside TLS now.
    pub(super) in_tls: bool,
    /// What was seen so far.
    pub(super) obs: Observation,
    /// Adaptive connect timeouts: the run's pace and this endpoint's group in it.
    pace: Option<(&'a Pace, &'a str)>,
    /// This session is an endpoint's probe: its steps go to the options' watch, if any
    /// (the credential check's and the TLS retry's sessions are not shown on their own).
    watched: bool,
}

impl<'a> Session<'a> {
    /// A session with nothing seen yet; `deadline` is the whole run's.
    pub(super) fn new(
        endpoint: Endpoint,
        options: &'a ProbeOptions,
        tls: &'a TlsClient,
        deadline: Instant,
    ) -> Session<'a> {
        Session {
            options,
            tls,
            deadline,
            started: Instant::now(),
            parser: ReplyParser::new(options.limits.reply),
            received: 0,
            replies: 0,
            in_tls: false,
            obs: Observation::new(endpoint),
            pace: None,
            watched: false,
        }
    }
}

impl Session<'_> {
    /// Runs the dialogue up to the last EHLO (inside TLS when TLS was started) and returns
    /// the stream, ready for the next command. A STARTTLS endpoint whose server does not
    /// offer STARTTLS, or refuses it, stays in plain text ([`Session::in_tls`] says which).
    pub(super) async fn open(&mut self) -> Result<BoxStream, Stop> {
        match self.obs.endpoint.security {
            Security::ImplicitTls => self.implicit_tls().await,
            Security::Starttls | Security::Plain => self.plain_start().await,
        }
    }

    /// Tells the watch, if any, that the probe has reached `step`.
    fn at(&self, step: Step) {
        if let (true, Some(watch)) = (self.watched, &self.options.watch) {
            watch.0.step(&self.obs.endpoint, step);
        }
    }

    /// Records why the dialogue stopped (state, error, transcript).
    pub(super) fn stopped(&mut self, stop: Stop) {
        self.note(Direction::Error, &stop.message);
        self.obs.state = stop.state;
        self.obs.error = Some(PhaseError {
            phase: stop.phase,
            message: stop.message,
            run_deadline: stop.run_deadline,
        });
    }

    /// Ends the session: the total time, and everything seen.
    pub(super) fn finish(mut self) -> Observation {
        self.obs.timings.total = Some(self.started.elapsed());
        self.obs
    }

    /// STARTTLS or plain endpoints: the dialogue starts in clear text.
    async fn plain_start(&mut self) -> Result<BoxStream, Stop> {
        let (tcp, local) = self.connect().await?;
        let mut stream: BoxStream = Box::new(tcp);

        let started = Instant::now();
        let banner = self.greeting(&mut stream).await?;
        self.obs.timings.banner = Some(started.elapsed());
        self.accept_greeting(&mut stream, banner).await?;

        let started = Instant::now();
        let ehlo = self.ehlo(&mut stream, local, Phase::Ehlo).await?;
        self.obs.timings.ehlo = Some(started.elapsed());
        let offered = ehlo.has("STARTTLS");
        self.obs.ehlo = Some(ehlo);

        let wants_tls = self.obs.endpoint.security == Security::Starttls
            && (offered || self.options.force_starttls);
        if !wants_tls {
            self.obs.starttls = Some(StarttlsObservation {
                offered,
                reply: None,
                injected: Vec::new(),
            });
            return Ok(stream);
        }

        let started = Instant::now();
        self.at(Step::Starttls);
        self.send(&mut stream, "STARTTLS", Phase::Starttls).await?;
        let reply = self.read_reply(&mut stream, Phase::Starttls).await?;
        let go = reply.code == 220;
        let injected = if go {
            self.pending_bytes(&mut stream)
        } else {
            Vec::new()
        };
        self.obs.timings.starttls = Some(started.elapsed());
        if !injected.is_empty() {
            self.note(
                Direction::Error,
                &format!(
                    "{} bytes arrived after the 220 and before TLS; discarded",
                    injected.len()
                ),
            );
        }
        self.obs.starttls = Some(StarttlsObservation {
            offered,
            reply: Some(reply),
            injected,
        });
        if !go {
            return Ok(stream);
        }

        let started = Instant::now();
        let mut stream = self.handshake(stream, Phase::Tls).await?;
        self.obs.timings.tls = Some(started.elapsed());

        let started = Instant::now();
        let ehlo = self.ehlo(&mut stream, local, Phase::EhloTls).await?;
        self.obs.timings.ehlo_tls = Some(started.elapsed());
        self.obs.ehlo_tls = Some(ehlo);
        Ok(stream)
    }

    /// Implicit TLS: the handshake comes first, then the greeting inside TLS.
    async fn implicit_tls(&mut self) -> Result<BoxStream, Stop> {
        let (tcp, local) = self.connect().await?;
        let started = Instant::now();
        let mut stream = self.handshake(Box::new(tcp), Phase::Tls).await?;
        self.obs.timings.tls = Some(started.elapsed());
        self.greet_inside_tls(&mut stream, local).await?;
        Ok(stream)
    }

    /// Banner and EHLO inside an established TLS session (the caller says QUIT).
    async fn greet_inside_tls(
        &mut self,
        stream: &mut BoxStream,
        local: IpAddr,
    ) -> Result<(), Stop> {
        let started = Instant::now();
        self.at(Step::Greeting);
        let banner = self.read_reply(stream, Phase::Banner).await?;
        self.obs.timings.banner = Some(started.elapsed());
        self.accept_greeting(stream, banner).await?;
        let started = Instant::now();
        let ehlo = self.ehlo(stream, local, Phase::EhloTls).await?;
        self.obs.timings.ehlo_tls = Some(started.elapsed());
        self.obs.ehlo_tls = Some(ehlo);
        Ok(())
    }

    /// Records the greeting; a refusal (not 220) ends the session politely. Bytes that came
    /// with the greeting or right after it, before the client spoke, are unsolicited replies:
    /// they are recorded and discarded, so the next reply read is the one to EHLO.
    async fn accept_greeting(&mut self, stream: &mut BoxStream, banner: Reply) -> Result<(), Stop> {
        let greeting_ok = banner.code == 220;
        self.obs.banner = Some(banner.clone());
        if !greeting_ok {
            self.quit(stream).await;
            return Err(Stop::new(
                State::Rejected,
                Phase::Banner,
                format!("the server refused the session: {banner}"),
            ));
        }
        let early = self.pending_bytes(stream);
        if !early.is_empty() {
            self.note(
                Direction::Error,
                &format!(
                    "{} bytes arrived after the greeting, before the client spoke: {}; discarded",
                    early.len(),
                    preview(&early)
                ),
            );
            self.obs.unsolicited = early;
        }
        Ok(())
    }

    /// A silent STARTTLS port may be an implicit-TLS port: try a handshake on a new
    /// connection (never on the first one: some servers punish clients that speak first).
    fn may_try_implicit_tls(&self) -> bool {
        self.obs.endpoint.security == Security::Starttls && Instant::now() < self.deadline
    }

    /// The plain-text greeting. On a STARTTLS port that stays silent for [`GREETING_LATE`],
    /// a TLS handshake is tried on a second connection while this one goes on waiting: a
    /// server that speaks implicit TLS is found without waiting out the greeting timeout, and
    /// a slow server still has the whole timeout to greet.
    async fn greeting(&mut self, stream: &mut BoxStream) -> Result<Reply, Stop> {
        self.at(Step::Greeting);
        let full = self.step_deadline();
        if !self.may_try_implicit_tls() {
            return self.read_reply_until(stream, Phase::Banner, full).await;
        }
        let late = (Instant::now() + GREETING_LATE.min(self.options.step_timeout / 2)).min(full);
        if !self.silent_until(stream, late).await? {
            return self.read_reply_until(stream, Phase::Banner, full).await;
        }
        self.note(
            Direction::Info,
            &format!(
                "no greeting yet after {} ms; trying a TLS handshake on a second connection meanwhile (implicit TLS?)",
                self.started.elapsed().as_millis()
            ),
        );
        self.at(Step::TryingTls);
        let mut other = Session::new(self.obs.endpoint.clone(), self.options, self.tls, full);
        other.started = self.started;
        let (first, retried) = {
            let wait = std::pin::pin!(self.read_reply_until(stream, Phase::Banner, full));
            let retry = std::pin::pin!(other.tls_retry());
            match futures::future::select(wait, retry).await {
                Either::Left((Ok(banner), _)) => (Ok(banner), None),
                Either::Left((Err(stop), retry)) => (Err(stop), Some(retry.await)),
                Either::Right((Ok(()), _)) => (Err(implicit_tls_stop()), Some(Ok(()))),
                Either::Right((Err(stop), wait)) => (wait.await, Some(Err(stop))),
            }
        };
        self.take_retry(other.obs, retried, first)
    }

    /// Waits until `until` for the first bytes of the greeting: `true` when none came. What
    /// came is kept for the reply reader.
    async fn silent_until(&mut self, stream: &mut BoxStream, until: Instant) -> Result<bool, Stop> {
        let mut chunk = [0u8; 4096];
        let want = chunk.len().min(self.options.limits.bytes_per_endpoint);
        let buf = chunk.get_mut(..want).unwrap_or_default();
        match timeout_at(until, stream.read(buf)).await {
            Err(_) => Ok(true),
            Ok(Err(error)) => Err(io_stop(&error, Phase::Banner)),
            Ok(Ok(n)) => {
                // A close (0 bytes) is read again, and reported, by the reply reader.
                self.received += n;
                self.parser.feed(buf.get(..n).unwrap_or_default());
                Ok(false)
            }
        }
    }

    /// The second connection of a silent STARTTLS port: TLS from the first byte, then the
    /// greeting and EHLO inside TLS. `Ok` when the handshake succeeded.
    async fn tls_retry(&mut self) -> Result<(), Stop> {
        let (tcp, local) = self.connect().await?;
        let started = Instant::now();
        let mut stream = self.handshake(Box::new(tcp), Phase::Tls).await?;
        self.obs.timings.tls = Some(started.elapsed());
        // Learn what the server offers in the mode it speaks; failures here are notes.
        match self.greet_inside_tls(&mut stream, local).await {
            Ok(()) => self.quit(&mut stream).await,
            Err(stop) => self.note(Direction::Error, &stop.message),
        }
        Ok(())
    }

    /// Takes what the second connection saw: when its handshake succeeded the port speaks
    /// implicit TLS (its TLS facts, greeting and EHLO become this endpoint's); otherwise only
    /// its transcript is kept, and the first connection's outcome stands.
    fn take_retry(
        &mut self,
        second: Observation,
        retried: Option<Result<(), Stop>>,
        first: Result<Reply, Stop>,
    ) -> Result<Reply, Stop> {
        self.obs.transcript.extend(second.transcript);
        match retried {
            None => {
                self.note(
                    Direction::Info,
                    "the greeting came on the first connection; the second one was given up",
                );
                first
            }
            Some(Ok(())) => {
                self.obs.wrong_mode = Some(WrongMode::ImplicitTlsOnStarttlsPort);
                self.obs.tls = second.tls;
                self.obs.banner = second.banner;
                self.obs.unsolicited = second.unsolicited;
                self.obs.ehlo_tls = second.ehlo_tls;
                self.obs.timings.tls = second.timings.tls;
                self.obs.timings.banner = second.timings.banner;
                self.obs.timings.ehlo_tls = second.timings.ehlo_tls;
                Err(implicit_tls_stop())
            }
            Some(Err(stop)) => {
                // Whatever the second connection saw, the first one was silent: no other mode,
                // no other service is shown by it (a late plain greeting means a slow server).
                self.note(Direction::Info, &format!("no TLS either: {}", stop.message));
                first
            }
        }
    }

    /// TCP connect within the connect timeout (and the run's deadline).
    async fn connect(&mut self) -> Result<(super::connect::Tcp, IpAddr), Stop> {
        self.at(Step::Connecting);
        // `--port-map`: the endpoint keeps its port (the verdicts judge port 25 as port 25),
        // the connection goes where the user's tunnel or NAT forwards it.
        let port = self.options.connect_port(self.obs.endpoint.port);
        let address = SocketAddr::new(self.obs.endpoint.ip, port);
        self.replies = 0;
        let deadline = (Instant::now() + self.options.connect_timeout).min(self.deadline);
        let started = Instant::now();
        let result = match self.pace {
            None => timeout_at(deadline, super::connect::connect(address))
                .await
                .map_err(|_| None),
            Some((pace, group)) => paced_connect(address, deadline, pace, group).await,
        };
        let elapsed = started.elapsed();
        if self.obs.timings.connect.is_none() {
            self.obs.timings.connect = Some(elapsed);
        }
        // An accept or the host's own reset is an answer from the far end in one round trip.
        let answered = match &result {
            Ok(Ok(_)) => true,
            Ok(Err(failure)) => {
                failure.unreachable.is_none()
                    && failure.error.raw_os_error() == Some(libc::ECONNREFUSED)
            }
            Err(_) => false,
        };
        if let (Some((pace, group)), true) = (self.pace, answered) {
            pace.connected(group, elapsed);
        }
        match result {
            Err(_) if Instant::now() >= self.deadline => {
                Err(self.timeout_stop(Phase::Connect, elapsed))
            }
            Err(Some(rtt)) => Err(Stop::new(
                State::Timeout,
                Phase::Connect,
                format!(
                    "no answer to the connection attempt within {} ms, while the same operator's other connections were answered within {} ms (packets dropped by a firewall on the way)",
                    elapsed.as_millis(),
                    rtt.as_millis().max(1)
                ),
            )),
            Err(None) => Err(Stop::new(
                State::Timeout,
                Phase::Connect,
                format!(
                    "no answer to the connection attempt within {} ms (packets dropped by a firewall, or the host is down)",
                    elapsed.as_millis()
                ),
            )),
            Ok(Err(failure)) => {
                self.obs.unreachable = failure.unreachable;
                Err(connect_error(&failure.error, failure.unreachable.as_ref()))
            }
            Ok(Ok(tcp)) => {
                let local = tcp
                    .local_addr()
                    .map(|a| a.ip())
                    .unwrap_or(self.obs.endpoint.ip);
                let mapped = if port == self.obs.endpoint.port {
                    String::new()
                } else {
                    format!(" (port {port}, mapped by --port-map)")
                };
                self.note(
                    Direction::Info,
                    &format!(
                        "connected to {}{mapped} in {} ms",
                        self.obs.endpoint.address_label(),
                        elapsed.as_millis()
                    ),
                );
                Ok((tcp, local))
            }
        }
    }

    /// The deadline of a step starting now.
    fn step_deadline(&self) -> Instant {
        (Instant::now() + self.options.step_timeout).min(self.deadline)
    }

    fn timeout_stop(&self, phase: Phase, waited: Duration) -> Stop {
        if Instant::now() >= self.deadline {
            let flag = self
                .options
                .max_time_flag
                .map(|f| format!(" ({f})"))
                .unwrap_or_default();
            let message = format!(
                "the run's time limit{flag} was reached during {phase} after {} ms",
                waited.as_millis()
            );
            return Stop::new(State::Timeout, phase, message).at_run_deadline();
        }
        let message = {
            match phase {
                Phase::Banner => format!("no greeting within {} ms", waited.as_millis()),
                Phase::Tls => format!(
                    "TLS handshake not finished within {} ms",
                    waited.as_millis()
                ),
                _ => format!("no complete reply within {} ms", waited.as_millis()),
            }
        };
        Stop::new(State::Timeout, phase, message)
    }

    /// Reads one whole reply within the step deadline and the read bounds.
    pub(super) async fn read_reply<S: AsyncRead + Unpin + ?Sized>(
        &mut self,
        stream: &mut S,
        phase: Phase,
    ) -> Result<Reply, Stop> {
        let deadline = self.step_deadline();
        self.read_reply_until(stream, phase, deadline).await
    }

    /// Reads the reply to the end of a message's content: RFC 5321 section 4.5.3.2.6 lets a
    /// server take up to 10 minutes there (content scanning), so this waits until the run's
    /// deadline rather than one step's.
    pub(super) async fn read_final_reply<S: AsyncRead + Unpin + ?Sized>(
        &mut self,
        stream: &mut S,
        phase: Phase,
    ) -> Result<Reply, Stop> {
        let deadline = self.deadline;
        self.read_reply_until(stream, phase, deadline).await
    }

    async fn read_reply_until<S: AsyncRead + Unpin + ?Sized>(
        &mut self,
        stream: &mut S,
        phase: Phase,
        deadline: Instant,
    ) -> Result<Reply, Stop> {
        let started = Instant::now();
        let mut chunk = [0u8; 4096];
        loop {
            match self.parser.next_reply() {
                Ok(Some(parsed)) => {
                    self.record_reply(&parsed);
                    return Ok(parsed.reply);
                }
                Ok(None) => {}
                Err(error) => return Err(self.reply_error(error, phase)),
            }
            let room = self
                .options
                .limits
                .bytes_per_endpoint
                .saturating_sub(self.received);
            if room == 0 {
                return Err(Stop::new(
                    State::ProtocolError,
                    phase,
                    format!(
                        "the server sent more than {} bytes; stopped reading",
                        self.options.limits.bytes_per_endpoint
                    ),
                ));
            }
            let want = chunk.len().min(room);
            let buf = chunk.get_mut(..want).unwrap_or_default();
            let n = match timeout_at(deadline, stream.read(buf)).await {
                Err(_) if self.unfinished_line() => {
                    return Err(self.incomplete_stop(phase, "then nothing more came"));
                }
                Err(_) => return Err(self.timeout_stop(phase, started.elapsed())),
                Ok(Err(error)) => return Err(io_stop(&error, phase)),
                Ok(Ok(0)) if self.unfinished_line() => {
                    return Err(
                        self.incomplete_stop(phase, "then the server closed the connection")
                    );
                }
                Ok(Ok(0)) => {
                    return Err(Stop::new(
                        State::Closed,
                        phase,
                        "the server closed the connection",
                    ));
                }
                Ok(Ok(n)) => n,
            };
            self.received += n;
            self.parser.feed(buf.get(..n).unwrap_or_default());
        }
    }

    /// Bytes after the last line end: a line that was started and never ended. (Whole lines of
    /// a multi-line reply still waiting for its last line are not that.)
    fn unfinished_line(&self) -> bool {
        let pending = self.parser.buffered();
        let tail = pending
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(pending, |lf| pending.get(lf + 1..).unwrap_or_default());
        !tail.is_empty()
    }

    /// A reply that never ended: bytes came, but no line end (CRLF) completed it.
    fn incomplete_stop(&self, phase: Phase, then: &str) -> Stop {
        let pending = self.parser.buffered();
        let what = if phase == Phase::Banner {
            "greeting"
        } else {
            "reply"
        };
        Stop::new(
            State::ProtocolError,
            phase,
            format!(
                "the {what} never ended: {} bytes arrived without a line end (CRLF), {then}: {}",
                pending.len(),
                preview(pending)
            ),
        )
    }

    fn record_reply(&mut self, parsed: &ParsedReply) {
        self.replies += 1;
        for line in &parsed.raw_lines {
            self.push(Direction::Recv, line.clone());
        }
        if parsed.bare_lf {
            self.note(
                Direction::Info,
                "reply lines ended in a bare LF instead of CRLF",
            );
        }
    }

    fn reply_error(&mut self, error: ReplyError, phase: Phase) -> Stop {
        if let ReplyError::NotSmtp { line } = &error
            && self.replies > 0
        {
            // This connection already spoke SMTP: a broken reply, not another service.
            self.push(Direction::Recv, line.clone());
            return Stop::new(
                State::ProtocolError,
                phase,
                format!("a malformed reply (no valid reply code): {line:?}"),
            );
        }
        if let ReplyError::NotSmtp { line } = &error {
            let what = identify_service(line.as_bytes());
            self.obs.not_smtp = Some(what.to_string());
            self.push(Direction::Recv, line.clone());
            return Stop::new(
                State::ProtocolError,
                phase,
                format!("not an SMTP server: it answered like {what}: {line:?}"),
            );
        }
        Stop::new(State::ProtocolError, phase, error.to_string())
    }

    /// Sends a command line (shown in the transcript as is).
    pub(super) async fn send(
        &mut self,
        stream: &mut BoxStream,
        line: &str,
        phase: Phase,
    ) -> Result<(), Stop> {
        self.push(Direction::Send, line.to_string());
        self.write(stream, &smtp::command(line), phase).await
    }

    /// Sends a line that may carry a secret: the transcript shows only its redacted form.
    pub(super) async fn send_secret(
        &mut self,
        stream: &mut BoxStream,
        line: &Outgoing,
        phase: Phase,
    ) -> Result<(), Stop> {
        self.push(Direction::Send, line.redacted().to_string());
        self.write(stream, &line.to_bytes(), phase).await
    }

    /// Sends message content (already dot-stuffed and ended); each of its lines goes to the
    /// transcript.
    pub(super) async fn send_content(
        &mut self,
        stream: &mut BoxStream,
        bytes: &[u8],
        phase: Phase,
    ) -> Result<(), Stop> {
        let text = String::from_utf8_lossy(bytes);
        for line in text.split_terminator("\r\n") {
            self.push(Direction::Send, line.to_string());
        }
        self.write(stream, bytes, phase).await
    }

    /// Writes and flushes within the step deadline.
    async fn write(
        &mut self,
        stream: &mut BoxStream,
        bytes: &[u8],
        phase: Phase,
    ) -> Result<(), Stop> {
        let started = Instant::now();
        let write = async {
            stream.write_all(bytes).await?;
            stream.flush().await
        };
        match timeout_at(self.step_deadline(), write).await {
            Err(_) => Err(self.timeout_stop(phase, started.elapsed())),
            Ok(Err(error)) => Err(io_stop(&error, phase)),
            Ok(Ok(())) => Ok(()),
        }
    }

    /// EHLO, falling back to HELO when EHLO is refused with a 5xx.
    async fn ehlo(
        &mut self,
        stream: &mut BoxStream,
        local: IpAddr,
        phase: Phase,
    ) -> Result<Ehlo, Stop> {
        let name = self
            .options
            .ehlo_name
            .clone()
            .unwrap_or_else(|| address_literal(local));
        self.at(if self.in_tls {
            Step::EhloTls
        } else {
            Step::Ehlo
        });
        self.send(stream, &format!("EHLO {name}"), phase).await?;
        let reply = self.read_reply(stream, phase).await?;
        if reply.code == 250 {
            return Ok(Ehlo::parse(&reply, false));
        }
        if reply.class() != 5 {
            return Err(Stop::new(
                State::Rejected,
                phase,
                format!("EHLO was answered with {reply}"),
            ));
        }
        self.send(stream, &format!("HELO {name}"), phase).await?;
        let reply = self.read_reply(stream, phase).await?;
        if reply.code == 250 {
            Ok(Ehlo::parse(&reply, true))
        } else {
            Err(Stop::new(
                State::Rejected,
                phase,
                format!("both EHLO and HELO were refused; HELO got {reply}"),
            ))
        }
    }

    /// Bytes that came after the STARTTLS 220: already buffered, or waiting on the socket.
    /// They are discarded, never carried into the TLS session (response injection).
    /// Bytes already received but not asked for: what the reply reader holds beyond the last
    /// reply, and what the connection has ready without waiting.
    fn pending_bytes(&mut self, stream: &mut BoxStream) -> Vec<u8> {
        let mut injected = self.parser.take_buffered();
        let mut chunk = [0u8; 4096];
        while injected.len() < self.options.limits.bytes_per_endpoint {
            match stream.read(&mut chunk).now_or_never() {
                Some(Ok(n)) if n > 0 => {
                    injected.extend_from_slice(chunk.get(..n).unwrap_or_default())
                }
                _ => break,
            }
        }
        injected
    }

    /// The TLS handshake over `stream`; records the TLS facts. On failure, tells a plain-text
    /// greeting (wrong mode) from other failures.
    async fn handshake(&mut self, stream: BoxStream, phase: Phase) -> Result<BoxStream, Stop> {
        self.at(Step::Tls);
        let name = self.check_name();
        // The trust store may still be loading (see `TlsClient`): that wait is bounded too.
        let (ssl, log) =
            match timeout_at(self.step_deadline(), self.tls.session(name.as_deref())).await {
                Err(_) => return Err(self.timeout_stop(phase, Duration::ZERO)),
                Ok(session) => session.map_err(|e| Stop::new(State::TlsError, phase, e))?,
            };
        let mut tls_stream = SslStream::new(ssl, Recorder::new(stream, RECORD_LIMIT))
            .map_err(|e| Stop::new(State::TlsError, phase, tls::first_reason(&e)))?;
        let started = Instant::now();
        let result = timeout_at(self.step_deadline(), Pin::new(&mut tls_stream).connect()).await;
        match result {
            Err(_) => Err(self.timeout_stop(phase, started.elapsed())),
            Ok(Err(error)) => {
                let seen = tls_stream.get_ref().seen().to_vec();
                // Only an implicit-TLS port that greets in plain text is in the wrong mode; a
                // server that already spoke SMTP here (STARTTLS), or a STARTTLS port retried
                // for implicit TLS, answering in plain text is a failed handshake.
                if looks_like_reply(&seen)
                    && self.replies == 0
                    && self.obs.endpoint.security == Security::ImplicitTls
                {
                    return Err(self
                        .plain_greeting(tls_stream.get_mut(), &seen, phase)
                        .await);
                }
                // OpenSSL read a record header's worth: take what else is already there, so
                // the message can show what the server sent (bounded, no waiting).
                let mut seen = seen;
                let mut chunk = [0u8; 512];
                while seen.len() < RECORD_LIMIT {
                    match tls_stream.get_mut().read(&mut chunk).now_or_never() {
                        Some(Ok(n)) if n > 0 => {
                            seen.extend_from_slice(chunk.get(..n).unwrap_or_default());
                        }
                        _ => break,
                    }
                }
                Err(self.handshake_failure(&error, &seen, phase))
            }
            Ok(Ok(())) => {
                let facts = tls::facts(tls_stream.ssl(), &log, name.as_deref(), SystemTime::now());
                self.in_tls = true;
                self.parser = ReplyParser::new(self.options.limits.reply);
                self.note_tls(&facts);
                self.obs.tls = Some(facts);
                Ok(Box::new(tls_stream))
            }
        }
    }

    /// The server answered our ClientHello with a plain-text greeting: read the rest of it
    /// from the raw connection (OpenSSL read only a record header's worth) and say so.
    async fn plain_greeting(
        &mut self,
        raw: &mut Recorder<BoxStream>,
        seen: &[u8],
        phase: Phase,
    ) -> Stop {
        self.obs.wrong_mode = Some(WrongMode::PlainOnTlsPort);
        self.parser = ReplyParser::new(self.options.limits.reply);
        self.parser.feed(seen);
        self.received += seen.len();
        match self.read_reply(raw, Phase::Banner).await {
            Ok(banner) => self.obs.banner = Some(banner),
            Err(stop) => self.note(Direction::Error, &stop.message),
        }
        Stop::new(
            State::TlsError,
            phase,
            "the server greeted in plain text instead of starting TLS: this port wants STARTTLS (or plain SMTP), not implicit TLS",
        )
    }

    fn handshake_failure(
        &mut self,
        error: &openssl::ssl::Error,
        seen: &[u8],
        phase: Phase,
    ) -> Stop {
        let not_tls =
            !seen.is_empty() && seen.first() != Some(&0x16) && seen.first() != Some(&0x15);
        if not_tls && self.replies > 0 {
            // It spoke SMTP on this connection, then answered the ClientHello with this.
            return Stop::new(
                State::TlsError,
                phase,
                format!(
                    "TLS handshake failed: the server answered the ClientHello with {} bytes that are not TLS: {}",
                    seen.len(),
                    preview(seen)
                ),
            );
        }
        if not_tls {
            let what = identify_service(seen);
            self.obs.not_smtp = Some(what.to_string());
        }
        let reason = match error.ssl_error() {
            Some(stack) => tls::first_reason(stack),
            None => match error.io_error() {
                Some(io) => io.to_string(),
                None if seen.is_empty() => "the server closed the connection".to_string(),
                None => error.to_string(),
            },
        };
        Stop::new(
            State::TlsError,
            phase,
            format!("TLS handshake failed: {reason}"),
        )
    }

    /// The name to send as SNI and check the certificate against.
    pub(super) fn check_name(&self) -> Option<String> {
        if let Some(name) = &self.options.servername {
            return Some(name.clone());
        }
        let host = &self.obs.endpoint.host;
        match host.parse::<IpAddr>() {
            Ok(_) => None,
            Err(_) => Some(host.clone()),
        }
    }

    /// QUIT, politely and without waiting for the answer: the command is written, a reply
    /// that is already there goes to the transcript, and the connection is closed. Waiting a
    /// round trip for `221` would tell nothing (RFC 5321 section 4.1.1.10: the server closes
    /// after it either way).
    pub(super) async fn quit(&mut self, stream: &mut BoxStream) {
        let deadline = (Instant::now() + QUIT_TIMEOUT).min(self.deadline);
        self.push(Direction::Send, "QUIT".to_string());
        let bytes = smtp::command("QUIT");
        let sent = timeout_at(deadline, async {
            stream.write_all(&bytes).await?;
            stream.flush().await
        })
        .await;
        if !matches!(sent, Ok(Ok(()))) {
            return;
        }
        let mut chunk = [0u8; 1024];
        loop {
            match self.parser.next_reply() {
                Ok(Some(parsed)) => {
                    self.record_reply(&parsed);
                    break;
                }
                Ok(None) => {}
                Err(_) => break,
            }
            match stream.read(&mut chunk).now_or_never() {
                Some(Ok(n)) if n > 0 => self.parser.feed(chunk.get(..n).unwrap_or_default()),
                _ => break,
            }
        }
        let _ = timeout_at(deadline, stream.shutdown()).await;
    }

    fn note_tls(&mut self, facts: &crate::model::TlsFacts) {
        let kx = facts
            .key_exchange
            .as_deref()
            .map(|k| format!(", key exchange {k}"))
            .unwrap_or_default();
        self.note(
            Direction::Info,
            &format!("TLS started: {} {}{kx}", facts.version, facts.cipher),
        );
        for (depth, cert) in facts.chain.iter().enumerate() {
            self.note(
                Direction::Info,
                &format!(
                    "certificate {depth}: subject {}; issuer {}; SAN {}; expires {} ({} days)",
                    cert.subject,
                    cert.issuer,
                    if cert.san.is_empty() {
                        "-".to_string()
                    } else {
                        cert.san.join(", ")
                    },
                    cert.not_after,
                    cert.days_left
                ),
            );
        }
        let v = &facts.verification;
        let verdict = if v.errors.is_empty() {
            "certificate verified".to_string()
        } else {
            let errors: Vec<String> = v
                .errors
                .iter()
                .map(|e| format!("{} (depth {})", e.message, e.depth))
                .collect();
            format!("certificate problems: {}", errors.join("; "))
        };
        self.note(Direction::Info, &verdict);
    }

    /// Adds a line of ours to the transcript.
    pub(super) fn note(&mut self, dir: Direction, line: &str) {
        self.push(dir, line.to_string());
    }

    fn push(&mut self, dir: Direction, line: String) {
        let at = self.started.elapsed();
        let tls = self.in_tls;
        self.obs
            .transcript
            .push(TranscriptLine { at, dir, tls, line });
    }
}

/// Connects within `deadline`, or gives up earlier when others of `group` have connected and
/// this attempt outlasts their time by the [`pace::allowance`]. `Err(Some(rtt))` says it gave up
/// early (the group's slowest connect), `Err(None)` that the deadline passed.
async fn paced_connect(
    address: SocketAddr,
    deadline: Instant,
    pace: &Pace,
    group: &str,
) -> Result<Result<super::connect::Tcp, super::connect::Failure>, Option<Duration>> {
    let started = Instant::now();
    let mut slowest = pace.watch(group);
    let mut attempt = std::pin::pin!(super::connect::connect(address));
    loop {
        let rtt = *slowest.borrow_and_update();
        let until = rtt.map_or(deadline, |rtt| {
            (started + pace::allowance(rtt)).min(deadline)
        });
        tokio::select! {
            result = &mut attempt => return Ok(result),
            () = tokio::time::sleep_until(until) => {
                return Err(rtt.filter(|_| until < deadline));
            }
            Ok(()) = slowest.changed() => {}
        }
    }
}

/// The first connection stayed silent and the second one completed a TLS handshake.
fn implicit_tls_stop() -> Stop {
    Stop::new(
        State::Timeout,
        Phase::Banner,
        "no plain-text greeting: this port speaks implicit TLS (TLS from the first byte), not STARTTLS",
    )
}

/// Maps a failed connect to a state, in plain words; an ICMP error, when one is known, says
/// more than the errno (which is the same for "host unreachable" and "prohibited").
fn connect_error(error: &io::Error, unreachable: Option<&Unreachable>) -> Stop {
    if let Some(Unreachable::Icmp(icmp)) = unreachable {
        let message = match icmp.kind() {
            IcmpKind::Prohibited => format!(
                "{}: a firewall on the way forbids the connection",
                icmp.describe()
            ),
            IcmpKind::PortUnreachable => format!(
                "{}: a firewall rejects the connection (a server itself answers a closed TCP port with a reset, not ICMP)",
                icmp.describe()
            ),
            IcmpKind::HostUnreachable | IcmpKind::NetUnreachable => {
                format!("{}: a router has no way to the host", icmp.describe())
            }
            IcmpKind::Other => format!("connect failed: {}", icmp.describe()),
        };
        return Stop::new(State::Unreachable, Phase::Connect, message);
    }
    let (state, message) = match error.raw_os_error() {
        Some(libc::ECONNREFUSED) => (
            State::Refused,
            "connection refused: nothing listens on this port, or a firewall rejects with a reset".to_string(),
        ),
        Some(libc::ETIMEDOUT) => (State::Timeout, "the connection attempt timed out".to_string()),
        // Refused would be ECONNREFUSED: a reset here came after the server accepted.
        Some(libc::ECONNRESET) => (
            State::Closed,
            "the server accepted the connection and reset it at once: a connection limit or an access rule (tcpwrappers, fail2ban, a block list) turned this client away".to_string(),
        ),
        Some(libc::EHOSTUNREACH) => (
            State::Unreachable,
            "no route to host: a router answered that the host is unreachable or the port is administratively prohibited".to_string(),
        ),
        Some(libc::ENETUNREACH) => (State::Unreachable, "the network is unreachable from here".to_string()),
        Some(libc::EACCES) | Some(libc::EPERM) => (
            State::Unreachable,
            "a firewall on this machine does not permit the connection".to_string(),
        ),
        _ => (State::Unreachable, format!("connect failed: {error}")),
    };
    Stop::new(state, Phase::Connect, message)
}

fn io_stop(error: &io::Error, phase: Phase) -> Stop {
    match error.kind() {
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::BrokenPipe
        | io::ErrorKind::UnexpectedEof => Stop::new(
            State::Closed,
            phase,
            format!("the connection was closed: {error}"),
        ),
        _ => Stop::new(State::Closed, phase, format!("connection error: {error}")),
    }
}

/// `None` when this machine can route to the address; else why not. Uses a UDP "connect",
/// which only asks the kernel's routing table and sends nothing.
pub(crate) fn no_route(ip: IpAddr, port: u16) -> Option<String> {
    let bind: SocketAddr = match ip {
        IpAddr::V4(_) => SocketAddr::from(([0, 0, 0, 0], 0)),
        IpAddr::V6(_) => SocketAddr::from(([0u16; 8], 0)),
    };
    let family = if ip.is_ipv4() { "IPv4" } else { "IPv6" };
    let socket = match std::net::UdpSocket::bind(bind) {
        Ok(socket) => socket,
        Err(_) => return Some(format!("{family} is not available on this machine")),
    };
    match socket.connect(SocketAddr::new(ip, port)) {
        Ok(()) => None,
        Err(e)
            if matches!(
                e.raw_os_error(),
                Some(libc::ENETUNREACH) | Some(libc::EAFNOSUPPORT) | Some(libc::EADDRNOTAVAIL)
            ) =>
        {
            Some(format!("this machine has no {family} route to {ip}"))
        }
        Err(_) => None,
    }
}

/// `[192.0.2.1]` or `[IPv6:2001:db8::1]` (RFC 5321 section 4.1.3).
fn address_literal(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => format!("[{v4}]"),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("[{v4}]"),
            None => format!("[IPv6:{v6}]"),
        },
    }
}

/// Three digits and a space, dash or line end: an SMTP reply.
fn looks_like_reply(bytes: &[u8]) -> bool {
    match bytes {
        [a, b, c, rest @ ..] if a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit() => {
            matches!(rest.first(), None | Some(b' ' | b'-' | b'\r' | b'\n'))
        }
        _ => false,
    }
}

/// The first bytes of `bytes` as escaped text (control characters and non-UTF-8 shown as
/// escapes), for messages about what a server sent.
fn preview(bytes: &[u8]) -> String {
    const SHOWN: usize = 80;
    let head = bytes.get(..SHOWN.min(bytes.len())).unwrap_or_default();
    let text: String = String::from_utf8_lossy(head).escape_debug().collect();
    if bytes.len() > SHOWN {
        format!("\"{text}\"...")
    } else {
        format!("\"{text}\"")
    }
}

/// A guess at what answered instead of SMTP, from its first bytes.
fn identify_service(first: &[u8]) -> &'static str {
    let starts = |p: &[u8]| {
        first.len() >= p.len()
            && first
                .get(..p.len())
                .is_some_and(|s| s.eq_ignore_ascii_case(p))
    };
    if starts(b"SSH-") {
        "an SSH server"
    } else if starts(b"HTTP/") || starts(b"<!DOCTYPE") || starts(b"<html") {
        "a web server"
    } else if starts(b"+OK") {
        "a POP3 server"
    } else if starts(b"* OK") {
        "an IMAP server"
    } else if starts(b"220 ") && first.windows(3).any(|w| w.eq_ignore_ascii_case(b"FTP")) {
        "an FTP server"
    } else if first.first() == Some(&0x16) || first.first() == Some(&0x15) {
        "a TLS server"
    } else {
        "something that is not an SMTP server"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_literals() {
        assert_eq!(address_literal("192.0.2.7".parse().unwrap()), "[192.0.2.7]");
        assert_eq!(
            address_literal("2001:db8::1".parse().unwrap()),
            "[IPv6:2001:db8::1]"
        );
        assert_eq!(
            address_literal("::ffff:192.0.2.7".parse().unwrap()),
            "[192.0.2.7]"
        );
    }

    #[test]
    fn reply_shapes() {
        assert!(looks_like_reply(b"220 mail.test ESMTP\r\n"));
        assert!(looks_like_reply(b"220-mail.test\r\n"));
        assert!(looks_like_reply(b"554\r\n"));
        assert!(!looks_like_reply(b"\x16\x03\x01"));
        assert!(!looks_like_reply(b"22"));
        assert!(!looks_like_reply(b"SSH-2.0-x"));
    }

    #[test]
    fn services() {
        assert_eq!(identify_service(b"SSH-2.0-OpenSSH_9.2"), "an SSH server");
        assert_eq!(
            identify_service(b"HTTP/1.1 400 Bad Request"),
            "a web server"
        );
        assert_eq!(identify_service(b"+OK POP3 ready"), "a POP3 server");
        assert_eq!(identify_service(b"* OK IMAP4rev1"), "an IMAP server");
        assert_eq!(identify_service(b"\x15\x03\x03\x00\x02"), "a TLS server");
        assert_eq!(
            identify_service(b""),
            "something that is not an SMTP server"
        );
    }

    #[test]
    fn loopback_has_a_route() {
        assert_eq!(no_route("127.0.0.1".parse().unwrap(), 25), None);
    }
}
