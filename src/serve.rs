//! `smtp-doctor serve`: a Prometheus exporter in the blackbox_exporter style. `GET
//! /probe?target=HOST&module=NAME` runs one check (the module's flags, [`crate::cli::Modules`])
//! through the shared [`Service`] and answers its metrics; `/metrics` answers the exporter's
//! own. Each check ends by the scrape's deadline (Prometheus' `X-Prometheus-Scrape-Timeout-
//! Seconds` less `--timeout-offset`). A bad request gets a 400 that says why; a check that finds
//! no free slot before its deadline, a 503.
//!
//! The front end beside `main`: it reads requests (HTTP/1.1 by hyper), runs the pipeline and
//! renders, as `main` does for one command line. It logs one line per request on stderr.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{ALLOW, CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::cli::Modules;
use crate::report;
use crate::run::outcome::{CheckCount, ExporterStats, RequestCount};
use crate::run::service::{Refused, Service};
use crate::verdict::Severity;

/// Prometheus' header with the scrape timeout in seconds.
pub const SCRAPE_TIMEOUT_HEADER: &str = "X-Prometheus-Scrape-Timeout-Seconds";
/// The content type of the text exposition format.
const EXPOSITION: &str = "text/plain; version=0.0.4; charset=utf-8";
/// How the deadline is named when it cuts a step short.
const DEADLINE_NAME: &str =
    "the scrape timeout (X-Prometheus-Scrape-Timeout-Seconds less --timeout-offset)";
/// Open connections at most; more wait in the listen backlog.
const MAX_CONNECTIONS: usize = 512;
/// A client has this long to send its request headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the checks under way may finish after SIGINT or SIGTERM.
const GRACE: Duration = Duration::from_secs(30);

/// The exporter's settings and shared state.
pub struct Exporter {
    modules: Modules,
    service: Service,
    offset: Duration,
    log: bool,
    started: SystemTime,
    counts: Mutex<Counts>,
}

#[derive(Default)]
struct Counts {
    requests: BTreeMap<(&'static str, u16), u64>,
    checks: BTreeMap<String, CheckCount>,
}

impl Exporter {
    /// An exporter over these modules and service; checks end `offset` before the scrape
    /// timeout; `log` writes a line per request on stderr.
    pub fn new(modules: Modules, service: Service, offset: Duration, log: bool) -> Exporter {
        Exporter {
            modules,
            service,
            offset,
            log,
            started: SystemTime::now(),
            counts: Mutex::new(Counts::default()),
        }
    }

    /// Serves on `listener` until SIGINT or SIGTERM, then lets the checks under way finish
    /// (30 s at most).
    pub async fn serve(self: Arc<Self>, listener: TcpListener) -> io::Result<()> {
        let graceful = GracefulShutdown::new();
        let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        let stop = shutdown_signal();
        tokio::pin!(stop);
        loop {
            let Ok(permit) = connections.clone().acquire_owned().await else {
                break;
            };
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    // Out of file descriptors, a connection reset before accept: the next one
                    // may work.
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut stop => break,
            };
            let exporter = self.clone();
            let service = service_fn(move |request| {
                let exporter = exporter.clone();
                async move { Ok::<_, Infallible>(exporter.answer(request, peer).await) }
            });
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .max_buf_size(16 * 1024);
            let connection =
                graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
            tokio::spawn(async move {
                // A client that goes away mid-request is no error of the exporter's.
                let _ = connection.await;
                drop(permit);
            });
        }
        if self.log {
            eprintln!("smtp-doctor serve: stopping; waiting for the checks under way");
        }
        tokio::select! {
            () = graceful.shutdown() => {}
            () = tokio::time::sleep(GRACE) => {}
        }
        Ok(())
    }

    async fn answer(&self, request: Request<Incoming>, peer: SocketAddr) -> Response<Full<Bytes>> {
        let started = Instant::now();
        let path = request.uri().path().to_string();
        let (label, response) = match path.as_str() {
            "/probe" => ("/probe", self.probe(&request).await),
            "/metrics" => ("/metrics", self.metrics(&request)),
            "/-/healthy" => (
                "/-/healthy",
                only_get(&request).unwrap_or_else(|| text(StatusCode::OK, "OK\n")),
            ),
            "/" => ("/", only_get(&request).unwrap_or_else(|| self.index())),
            _ => (
                "other",
                text(
                    StatusCode::NOT_FOUND,
                    "not found; the exporter answers /probe?target=HOST&module=NAME, /metrics and /-/healthy\n",
                ),
            ),
        };
        let code = response.status().as_u16();
        {
            let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
            *counts.requests.entry((label, code)).or_default() += 1;
        }
        if self.log {
            let query = request
                .uri()
                .query()
                .map(|q| format!("?{}", report::text::clean(q)))
                .unwrap_or_default();
            eprintln!(
                "{peer} {} {}{query} {code} {:.3}s",
                request.method(),
                report::text::clean(&path),
                started.elapsed().as_secs_f64()
            );
        }
        response
    }

    async fn probe(&self, request: &Request<Incoming>) -> Response<Full<Bytes>> {
        if let Some(refusal) = only_get(request) {
            return refusal;
        }
        let query = match ProbeQuery::parse(request.uri().query().unwrap_or_default()) {
            Ok(query) => query,
            Err(reason) => return bad_request(&reason),
        };
        let budget = match scrape_budget(request, self.offset) {
            Ok(budget) => budget,
            Err(reason) => return bad_request(&reason),
        };
        let (plan, module) = match self.modules.plan(query.module.as_deref(), &query.target) {
            Ok(found) => found,
            Err(reason) => return bad_request(&reason),
        };
        let module_name = query
            .module
            .clone()
            .unwrap_or_else(|| crate::cli::DEFAULT_MODULE.to_string());
        let deadline = tokio::time::Instant::now() + budget.unwrap_or(plan.options.max_time);
        let report = match self
            .service
            .check(plan, deadline, DEADLINE_NAME, &module.ignore)
            .await
        {
            Ok(report) => report,
            Err(refused @ Refused::Busy { .. }) => {
                return text(StatusCode::SERVICE_UNAVAILABLE, &format!("{refused}\n"));
            }
            Err(Refused::Setup(e)) => {
                return text(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &format!("the check could not run: {e}\n"),
                );
            }
        };
        {
            let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
            let entry = counts.checks.entry(module_name.clone()).or_default();
            entry.module = module_name;
            if report.count(Severity::Error) == 0 {
                entry.success += 1;
            } else {
                entry.failure += 1;
            }
            entry.seconds += report.duration;
        }
        let mut body = Vec::new();
        let written = if query.debug {
            report::check::transcript::write_dialogue(&report, &mut body, false)
                .and_then(|()| report::check::table::write(&report, &mut body, false))
        } else {
            report::check::prometheus::write_probe(&report, &mut body)
        };
        if let Err(e) = written {
            return text(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("cannot render the check: {e}\n"),
            );
        }
        let content_type = if query.debug {
            "text/plain; charset=utf-8"
        } else {
            EXPOSITION
        };
        respond(StatusCode::OK, content_type, body)
    }

    fn metrics(&self, request: &Request<Incoming>) -> Response<Full<Bytes>> {
        if let Some(refusal) = only_get(request) {
            return refusal;
        }
        let stats = {
            let counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
            ExporterStats {
                version: env!("CARGO_PKG_VERSION"),
                started_unix: self
                    .started
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
                limit: self.service.limit() as u64,
                running: self.service.running() as u64,
                requests: counts
                    .requests
                    .iter()
                    .map(|((path, code), count)| RequestCount {
                        path: (*path).to_string(),
                        code: *code,
                        count: *count,
                    })
                    .collect(),
                checks: counts.checks.values().cloned().collect(),
            }
        };
        let mut body = Vec::new();
        match report::check::prometheus::write_exporter(&stats, &mut body) {
            Ok(()) => respond(StatusCode::OK, EXPOSITION, body),
            Err(e) => text(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("cannot render the metrics: {e}\n"),
            ),
        }
    }

    fn index(&self) -> Response<Full<Bytes>> {
        let modules: Vec<&str> = self.modules.names().collect();
        text(
            StatusCode::OK,
            &format!(
                "smtp-doctor {} exporter\n\n\
                 /probe?target=HOST&module=NAME  one check's metrics (add &debug=true for the table)\n\
                 /metrics                        the exporter's own metrics\n\
                 /-/healthy                      OK while it runs\n\n\
                 modules: {}\n",
                env!("CARGO_PKG_VERSION"),
                modules.join(", ")
            ),
        )
    }
}

/// What a `/probe` request asks.
#[derive(Debug, PartialEq, Eq)]
struct ProbeQuery {
    target: String,
    module: Option<String>,
    debug: bool,
}

impl ProbeQuery {
    /// `target=` (required), `module=`, `debug=true|false`; each at most once, nothing else.
    fn parse(query: &str) -> Result<ProbeQuery, String> {
        let mut target = None;
        let mut module = None;
        let mut debug = None;
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            let slot = match key.as_ref() {
                "target" => &mut target,
                "module" => &mut module,
                "debug" => &mut debug,
                other => {
                    return Err(format!(
                        "unknown parameter {:?}; /probe takes target, module and debug",
                        report::text::clean(other)
                    ));
                }
            };
            if slot.is_some() {
                return Err(format!("parameter {key} is given twice; give it once"));
            }
            *slot = Some(value.into_owned());
        }
        let Some(target) = target.filter(|t| !t.trim().is_empty()) else {
            return Err(
                "no target: give target=HOST (a server, a mail domain or an address)".to_string(),
            );
        };
        let debug = match debug.as_deref() {
            None | Some("false" | "0") => false,
            Some("true" | "1") => true,
            Some(other) => {
                return Err(format!(
                    "debug={:?} is not true or false",
                    report::text::clean(other)
                ));
            }
        };
        Ok(ProbeQuery {
            target,
            module,
            debug,
        })
    }
}

/// The time a check may take by the scrape's header (less the offset; never less than half
/// the scrape timeout), `None` when the request has no such header.
fn scrape_budget(
    request: &Request<Incoming>,
    offset: Duration,
) -> Result<Option<Duration>, String> {
    let Some(value) = request.headers().get(SCRAPE_TIMEOUT_HEADER) else {
        return Ok(None);
    };
    budget_from_header(value, offset).map(Some)
}

fn budget_from_header(value: &HeaderValue, offset: Duration) -> Result<Duration, String> {
    let bad = || {
        format!(
            "{SCRAPE_TIMEOUT_HEADER} is {:?}, not a number of seconds more than 0",
            report::text::clean(&String::from_utf8_lossy(value.as_bytes()))
        )
    };
    let seconds: f64 = value
        .to_str()
        .map_err(|_| bad())?
        .trim()
        .parse()
        .map_err(|_| bad())?;
    if !seconds.is_finite() || seconds <= 0.0 {
        return Err(bad());
    }
    let timeout = Duration::from_secs_f64(seconds.min(3600.0));
    Ok(timeout.saturating_sub(offset).max(timeout / 2))
}

/// A 405 for anything but GET (and HEAD, which hyper answers like GET without the body).
fn only_get(request: &Request<Incoming>) -> Option<Response<Full<Bytes>>> {
    if request.method() == Method::GET || request.method() == Method::HEAD {
        return None;
    }
    let mut response = text(
        StatusCode::METHOD_NOT_ALLOWED,
        "only GET is answered here\n",
    );
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
    Some(response)
}

fn bad_request(reason: &str) -> Response<Full<Bytes>> {
    text(StatusCode::BAD_REQUEST, &format!("bad request: {reason}\n"))
}

fn text(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    respond(
        status,
        "text/plain; charset=utf-8",
        body.as_bytes().to_vec(),
    )
}

fn respond(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// Resolves on SIGINT or SIGTERM (SIGINT only where there is no SIGTERM).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_queries() {
        let q = ProbeQuery::parse("target=smtp.example.com%3A587&module=sub&debug=true").unwrap();
        assert_eq!(
            q,
            ProbeQuery {
                target: "smtp.example.com:587".to_string(),
                module: Some("sub".to_string()),
                debug: true
            }
        );
        let cases: &[(&str, &str)] = &[
            ("", "no target"),
            ("target=", "no target"),
            ("module=x", "no target"),
            ("target=a&target=b", "target is given twice"),
            ("target=a&modul=x", "unknown parameter \"modul\""),
            ("target=a&debug=yes", "debug=\"yes\" is not true or false"),
        ];
        for (query, expected) in cases {
            let e = ProbeQuery::parse(query).unwrap_err();
            assert!(e.contains(expected), "{query}: {e}");
        }
    }

    #[test]
    fn the_scrape_timeout_less_the_offset_never_below_half() {
        let offset = Duration::from_millis(500);
        let budget = |v: &'static str| budget_from_header(&HeaderValue::from_static(v), offset);
        assert_eq!(budget("10").unwrap(), Duration::from_millis(9500));
        assert_eq!(budget(" 2.5 ").unwrap(), Duration::from_secs(2));
        assert_eq!(budget("0.6").unwrap(), Duration::from_millis(300));
        assert_eq!(budget("99999").unwrap(), Duration::from_millis(3_599_500));
        for bad in ["0", "-1", "NaN", "inf", "ten", ""] {
            let e = budget(bad).unwrap_err();
            assert!(e.contains("not a number of seconds"), "{bad}: {e}");
        }
    }
}
