//! The MTA-STS policy fetch (RFC 8461 section 3.3): one HTTPS GET of
//! `https://mta-sts.<domain>/.well-known/mta-sts.txt`, as a sender makes it, with hyper as the
//! HTTP/1.1 client over the crate's own OpenSSL stream (so the policy host's certificate,
//! checked against `mta-sts.<domain>`, is reported like an MX host's). Redirects are recorded,
//! never followed; the body is read up to [`POLICY_SIZE_LIMIT`]; the whole fetch ends at
//! `--timeout` (or the run's deadline, if sooner). Every outcome is data in the
//! [`PolicyFetch`], never an `Err`, and nothing here prints. [`policies`] adds the TXT look-ups
//! of MTA-STS and TLS-RPT (RFC 8460) around it.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::pin;
use std::time::SystemTime;

use futures::future::{Either, select};
use http_body_util::{BodyExt, Empty};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HOST, LOCATION, USER_AGENT};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};
use tokio_openssl::SslStream;

use crate::dns::{LookupFailure, Query, Resolver};
use crate::model::{
    FetchError, FetchPhase, MtaSts, POLICY_SIZE_LIMIT, Policies, PolicyFetch, TxtLookup,
};
use crate::probe::ProbeOptions;
use crate::smtp::{sts, tlsrpt};
use crate::tls::{self, TlsClient};

/// The largest response head (status line and headers) read: hyper's buffer bound.
const HEAD_LIMIT: usize = 16 * 1024;

/// Fetches the MTA-STS policy of `domain` from the first of `addresses` that accepts a
/// connection (on 443, or where `--port-map 443=PORT` says). `unresolved` says why there is no
/// address, when there is none.
pub async fn fetch_policy(
    domain: &str,
    addresses: Vec<IpAddr>,
    unresolved: Option<String>,
    tls: &TlsClient,
    options: &ProbeOptions,
    deadline: Instant,
) -> PolicyFetch {
    let started = Instant::now();
    let mut fetch = PolicyFetch::new(domain, options.connect_port(443));
    fetch.addresses = addresses;
    // The whole fetch is one step: `--timeout`, or the run's deadline when that is sooner.
    let end = deadline.min(started + options.step_timeout);
    let outcome = timeout_at(end, run(&mut fetch, tls, options, end, unresolved)).await;
    if let Err(_elapsed) = outcome {
        let phase = phase_reached(&fetch);
        fetch.error = Some(FetchError {
            phase,
            message: format!("no answer within {} ms", options.step_timeout.as_millis()),
            timed_out: true,
        });
    }
    fetch.timings.total = started.elapsed();
    fetch
}

/// Where a fetch cut short by the deadline was: the first step without a time.
fn phase_reached(fetch: &PolicyFetch) -> FetchPhase {
    let t = &fetch.timings;
    if t.connect.is_none() {
        FetchPhase::Connect
    } else if t.tls.is_none() {
        FetchPhase::Tls
    } else if t.response.is_none() {
        FetchPhase::Http
    } else {
        FetchPhase::Body
    }
}

fn stop(fetch: &mut PolicyFetch, phase: FetchPhase, message: String) {
    fetch.error = Some(FetchError {
        phase,
        message,
        timed_out: false,
    });
}

async fn run(
    fetch: &mut PolicyFetch,
    tls: &TlsClient,
    options: &ProbeOptions,
    end: Instant,
    unresolved: Option<String>,
) {
    if fetch.addresses.is_empty() {
        let why = unresolved.unwrap_or_else(|| "no address".to_string());
        let message = format!("{} has no address: {why}", fetch.host);
        return stop(fetch, FetchPhase::Resolve, message);
    }
    let Some(tcp) = connect(fetch, options, end).await else {
        return;
    };
    let Some(stream) = handshake(fetch, tcp, tls).await else {
        return;
    };
    exchange(fetch, stream).await;
}

/// Connects to the first address that accepts, each attempt within `--connect-timeout`.
async fn connect(
    fetch: &mut PolicyFetch,
    options: &ProbeOptions,
    end: Instant,
) -> Option<TcpStream> {
    let mut failures = Vec::new();
    for ip in fetch.addresses.clone() {
        let addr = SocketAddr::new(ip, fetch.port);
        let started = Instant::now();
        let attempt_end = end.min(started + options.connect_timeout);
        match timeout_at(attempt_end, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => {
                fetch.ip = Some(ip);
                fetch.timings.connect = Some(started.elapsed());
                return Some(stream);
            }
            Ok(Err(e)) => failures.push(format!("{addr}: {e}")),
            Err(_) => failures.push(format!("{addr}: no answer in time")),
        }
    }
    let message = format!("cannot connect to {}: {}", fetch.host, failures.join("; "));
    stop(fetch, FetchPhase::Connect, message);
    None
}

/// The TLS handshake, SNI and the certificate check for the policy host (verification errors
/// are recorded, the handshake goes on: the verdict judges them).
async fn handshake(
    fetch: &mut PolicyFetch,
    tcp: TcpStream,
    tls: &TlsClient,
) -> Option<SslStream<TcpStream>> {
    let started = Instant::now();
    let host = fetch.host.clone();
    let (ssl, log) = match tls.session(Some(&host)).await {
        Ok(session) => session,
        Err(e) => {
            stop(fetch, FetchPhase::Tls, e);
            return None;
        }
    };
    let mut stream = match SslStream::new(ssl, tcp) {
        Ok(stream) => stream,
        Err(e) => {
            stop(fetch, FetchPhase::Tls, tls::first_reason(&e));
            return None;
        }
    };
    if let Err(e) = std::pin::Pin::new(&mut stream).connect().await {
        let message = e
            .ssl_error()
            .map(tls::first_reason)
            .unwrap_or_else(|| e.to_string());
        stop(
            fetch,
            FetchPhase::Tls,
            format!("TLS handshake failed: {message}"),
        );
        return None;
    }
    fetch.timings.tls = Some(started.elapsed());
    fetch.tls = Some(tls::facts(
        stream.ssl(),
        &log,
        Some(&host),
        SystemTime::now(),
    ));
    Some(stream)
}

/// The GET and its response: status, `Location`, `Content-Type`, and the body up to the bound
/// (parsed as a policy on status 200).
async fn exchange(fetch: &mut PolicyFetch, stream: SslStream<TcpStream>) {
    let started = Instant::now();
    let mut builder = hyper::client::conn::http1::Builder::new();
    builder.max_buf_size(HEAD_LIMIT);
    let (mut sender, connection) = match builder.handshake(TokioIo::new(stream)).await {
        Ok(pair) => pair,
        Err(e) => {
            return stop(fetch, FetchPhase::Http, e.to_string());
        }
    };
    let request = Request::get(sts::POLICY_PATH)
        .header(HOST, fetch.host.as_str())
        .header(
            USER_AGENT,
            concat!("smtp-doctor/", env!("CARGO_PKG_VERSION")),
        )
        .header(CONNECTION, "close")
        .body(Empty::<Bytes>::new());
    let request = match request {
        Ok(request) => request,
        Err(e) => return stop(fetch, FetchPhase::Http, e.to_string()),
    };
    // The connection is driven beside the request, not spawned: when the exchange is done (or
    // the deadline drops this future) nothing of it is left running.
    let talk = async {
        let response = sender.send_request(request).await;
        read_response(fetch, started, response).await
    };
    let talk = pin!(talk);
    let connection = pin!(connection);
    match select(talk, connection).await {
        Either::Left((done, _)) => done,
        Either::Right((_, talk)) => talk.await,
    }
}

async fn read_response(
    fetch: &mut PolicyFetch,
    started: Instant,
    response: hyper::Result<Response<Incoming>>,
) {
    let response = match response {
        Ok(response) => response,
        Err(e) => {
            return stop(
                fetch,
                FetchPhase::Http,
                format!("no valid HTTP response: {e}"),
            );
        }
    };
    fetch.timings.response = Some(started.elapsed());
    let status = response.status();
    fetch.status = Some(status.as_u16());
    let header = |name| {
        response
            .headers()
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    fetch.content_type = header(CONTENT_TYPE);
    if status.is_redirection() {
        fetch.location = header(LOCATION);
    }
    if status != hyper::StatusCode::OK {
        // Not a policy whatever it holds: its body is not read.
        return;
    }
    let declared = header(CONTENT_LENGTH).and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > POLICY_SIZE_LIMIT as u64) {
        fetch.too_large = true;
        return;
    }
    let body_started = Instant::now();
    let mut body = response.into_body();
    let mut bytes: Vec<u8> = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = match frame {
            Ok(frame) => frame,
            Err(e) => {
                fetch.body_bytes = bytes.len();
                return stop(fetch, FetchPhase::Body, format!("the body broke off: {e}"));
            }
        };
        if let Some(data) = frame.data_ref() {
            bytes.extend_from_slice(data);
            if bytes.len() > POLICY_SIZE_LIMIT {
                fetch.body_bytes = bytes.len();
                fetch.too_large = true;
                fetch.timings.body = Some(body_started.elapsed());
                return;
            }
        }
    }
    fetch.timings.body = Some(body_started.elapsed());
    fetch.body_bytes = bytes.len();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    fetch.policy = Some(sts::parse_policy(&text));
    fetch.body = Some(text);
}

/// A domain's inbound transport policies: the `_mta-sts` and `_smtp._tls` TXT look-ups at once
/// and, when an MTA-STS record is there (senders fetch only then, RFC 8461 section 3.3), the
/// policy fetch. `resolve` gives the policy host's addresses (the run's resolver, or
/// `--resolve`) and the queries behind them. Everything ends at `deadline`; the per-MX checks
/// are the caller's, once the MX probes are done.
pub async fn policies<F, Fut>(
    domain: &str,
    resolver: Option<&Resolver>,
    resolve: F,
    tls: &TlsClient,
    options: &ProbeOptions,
    deadline: Instant,
) -> Policies
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = (Vec<IpAddr>, Vec<Query>)>,
{
    let sts_name = format!("{}.{domain}", sts::RECORD_LABEL);
    let rpt_name = format!("{}.{domain}", tlsrpt::RECORD_LABEL);
    let (sts_txt, rpt_txt) = tokio::join!(
        txt(resolver, &sts_name, deadline),
        txt(resolver, &rpt_name, deadline)
    );
    let fetch = if sts_txt.records(sts::is_record).is_empty() {
        None
    } else {
        let host = format!("{}.{domain}", sts::POLICY_HOST_LABEL);
        let (addresses, queries) = resolve(host).await;
        let unresolved = queries
            .iter()
            .find_map(|q| q.answer.as_ref().err())
            .map(ToString::to_string);
        Some(fetch_policy(domain, addresses, unresolved, tls, options, deadline).await)
    };
    Policies {
        mta_sts: MtaSts {
            txt: sts_txt,
            fetch,
            mx: Vec::new(),
        },
        tls_rpt: rpt_txt,
    }
}

/// One TXT look-up through the run's resolver, given up at `deadline`.
async fn txt(resolver: Option<&Resolver>, name: &str, deadline: Instant) -> TxtLookup {
    let answer = match resolver {
        Some(resolver) => timeout_at(deadline, resolver.txt(name))
            .await
            .unwrap_or(Err(LookupFailure::Timeout)),
        None => Err(LookupFailure::Other("no DNS configuration".to_string())),
    };
    TxtLookup {
        name: name.to_string(),
        answer,
    }
}
