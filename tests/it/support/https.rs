//! A scripted HTTPS server for the MTA-STS tests: OpenSSL (the `openssl` crate, as the SMTP
//! test server uses it) on 127.0.0.1, a certificate from the test PKI, and one canned HTTP
//! response for every request. The response is written as raw bytes on purpose, so a test can
//! serve exactly what a misconfigured web server sends (a redirect, an HTML page, a body past
//! the bound without a `Content-Length`). Each request's head is kept for the test to read.
//! Dropping the [`HttpsServer`] stops it.
//!
//! [`OpensslWww`] is the real thing beside it: OpenSSL's own `openssl s_server -WWW`, which
//! serves files from its working directory (`text/plain` for a `.txt`, as HTTP/1.0), started
//! on loopback by the test and killed when dropped.

use std::net::TcpListener as StdListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use openssl::pkey::PKey;
use openssl::ssl::{Ssl, SslAcceptor, SslMethod};
use openssl::x509::X509;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::runtime::Runtime;
use tokio_openssl::SslStream;

use super::pki::Leaf;

/// How long one connection may live.
const CONNECTION_LIFETIME: Duration = Duration::from_secs(10);
/// The largest request head read.
const HEAD_LIMIT: usize = 16 * 1024;

/// The response the server gives to every request.
#[derive(Clone, Debug)]
pub struct Reply {
    status: u16,
    reason: &'static str,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    content_length: bool,
}

impl Reply {
    /// `200 OK`, `Content-Type: text/plain; charset=utf-8`, the policy text as body.
    pub fn policy(text: &str) -> Reply {
        Reply::new(200, "OK", text.as_bytes().to_vec())
            .header("Content-Type", "text/plain; charset=utf-8")
    }

    /// Any status with a body (no `Content-Type` unless added).
    pub fn new(status: u16, reason: &'static str, body: Vec<u8>) -> Reply {
        Reply {
            status,
            reason,
            headers: Vec::new(),
            body,
            content_length: true,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Sends no `Content-Length`: the body ends when the connection closes.
    pub fn without_length(mut self) -> Reply {
        self.content_length = false;
        self
    }

    fn bytes(&self) -> Vec<u8> {
        let mut head = format!("HTTP/1.1 {} {}\r\n", self.status, self.reason);
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if self.content_length {
            head.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        }
        head.push_str("Connection: close\r\n\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

/// A running HTTPS test server.
pub struct HttpsServer {
    port: u16,
    requests: Arc<Mutex<Vec<String>>>,
    runtime: Option<Runtime>,
}

impl HttpsServer {
    /// Serves `reply` with `leaf`'s certificate on a free port of 127.0.0.1.
    pub fn start(leaf: &Leaf, reply: Reply) -> HttpsServer {
        let acceptor = Arc::new(acceptor(leaf));
        let listener = StdListener::bind("127.0.0.1:0").expect("bind HTTPS test server");
        listener.set_nonblocking(true).expect("non-blocking");
        let port = listener.local_addr().expect("local addr").port();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("HTTPS test server runtime");
        let requests: Arc<Mutex<Vec<String>>> = Arc::default();
        let log = requests.clone();
        let response = Arc::new(reply.bytes());
        runtime.spawn(async move {
            let listener = TcpListener::from_std(listener).expect("tokio listener");
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let (acceptor, log, response) = (acceptor.clone(), log.clone(), response.clone());
                tokio::spawn(async move {
                    let serve = async move {
                        let ssl = Ssl::new(acceptor.context()).ok()?;
                        let mut tls = SslStream::new(ssl, tcp).ok()?;
                        std::pin::Pin::new(&mut tls).accept().await.ok()?;
                        let head = read_head(&mut tls).await?;
                        log.lock().expect("request log").push(head);
                        // The client may stop reading early (a body past its bound).
                        let _ = tls.write_all(&response).await;
                        let _ = tls.shutdown().await;
                        Some(())
                    };
                    let _ = tokio::time::timeout(CONNECTION_LIFETIME, serve).await;
                });
            }
        });
        HttpsServer {
            port,
            requests,
            runtime: Some(runtime),
        }
    }

    /// The port it listens on (for `--port-map 443=PORT`).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The head of every request received so far.
    pub fn requests(&self) -> Vec<String> {
        super::settled(|| self.requests.lock().expect("request log").clone())
    }
}

impl Drop for HttpsServer {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Reads up to the blank line that ends a request head (bounded).
async fn read_head(tls: &mut SslStream<tokio::net::TcpStream>) -> Option<String> {
    let mut head = Vec::new();
    let mut chunk = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tls.read(&mut chunk).await.ok()?;
        if n == 0 || head.len() > HEAD_LIMIT {
            return None;
        }
        head.extend_from_slice(chunk.get(..n)?);
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

fn acceptor(leaf: &Leaf) -> SslAcceptor {
    let mut builder =
        SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server()).expect("acceptor builder");
    let cert = X509::from_pem(leaf.cert_pem.as_bytes()).expect("certificate PEM");
    let key = PKey::private_key_from_pem(leaf.key_pem.as_bytes()).expect("key PEM");
    builder.set_certificate(&cert).expect("set certificate");
    builder.set_private_key(&key).expect("set key");
    builder.build()
}

/// `openssl s_server -WWW` on 127.0.0.1, serving `/.well-known/mta-sts.txt` from a temporary
/// directory with `leaf`'s certificate.
pub struct OpensslWww {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl OpensslWww {
    /// Starts it with `policy` as the policy file; waits until it accepts connections.
    pub fn start(leaf: &Leaf, policy: &str) -> OpensslWww {
        let dir = tempfile::tempdir().expect("tempdir");
        let well_known = dir.path().join(".well-known");
        std::fs::create_dir(&well_known).expect("mkdir .well-known");
        std::fs::write(well_known.join("mta-sts.txt"), policy).expect("write policy");
        std::fs::write(dir.path().join("cert.pem"), &leaf.cert_pem).expect("write cert");
        std::fs::write(dir.path().join("key.pem"), &leaf.key_pem).expect("write key");
        // A free port: bound, read, released (s_server binds it again at once).
        let port = StdListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new("openssl")
            .args([
                "s_server", "-quiet", "-WWW", "-cert", "cert.pem", "-key", "key.pem",
            ])
            .arg("-accept")
            .arg(format!("127.0.0.1:{port}"))
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server (Debian package openssl)");
        let server = OpensslWww {
            child,
            port,
            _dir: dir,
        };
        let ready = (0..250).any(|_| {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
            false
        });
        assert!(
            ready,
            "openssl s_server did not listen on {port} within 5 s"
        );
        server
    }

    /// The port it listens on (for `--port-map 443=PORT`).
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for OpensslWww {
    fn drop(&mut self) {
        // Our own child, by its handle.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
