//! TLS through OpenSSL directly (see design.md for why not native-tls): a client context that
//! can still talk to legacy servers, a verify callback that records every error and lets the
//! handshake finish, and the facts of a finished handshake.

use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::SystemTime;

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use openssl::error::ErrorStack;
use openssl::nid::Nid;
use openssl::pkey::Id;
use openssl::ssl::{Ssl, SslContext, SslMethod, SslRef, SslVerifyMode};
use openssl::x509::{X509Ref, X509VerifyResult};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::oneshot;

use crate::cert;
use crate::model::{CertFacts, TlsFacts, Verification, VerifyError};

/// OpenSSL's codes for "the certificate does not name the host / address / e-mail".
const NAME_MISMATCH_CODES: [i32; 3] = [62, 63, 64];
/// OpenSSL's codes that are about time, not trust: not yet valid (9), expired (10).
const TIME_CODES: [i32; 2] = [9, 10];

/// Why the TLS client could not be set up (a "could not run at all" error).
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// `--ca-file` could not be read or holds no certificate.
    #[error("cannot use CA file {path}: {reason}")]
    CaFile {
        /// The path given.
        path: String,
        /// OpenSSL's reason.
        reason: String,
    },
    /// OpenSSL refused the configuration.
    #[error("cannot set up TLS: {0}")]
    OpenSsl(#[from] ErrorStack),
}

/// The client side of every handshake in a run; cheap to share.
///
/// Loading the system's trust store (a bundle of some 150 certificates to parse) takes tens of
/// milliseconds, more than a round trip to a nearby server. It is loaded on a thread of its own
/// while the first connections are made and greeted; the first handshake waits for it only if
/// it is not done yet. A `--ca-file` that cannot be used is still refused at once.
#[derive(Clone)]
pub struct TlsClient {
    ctx: Shared<BoxFuture<'static, Result<SslContext, String>>>,
}

/// Verify errors recorded by the callback of one connection.
pub type ErrorLog = Arc<Mutex<Vec<VerifyError>>>;

impl TlsClient {
    /// Trusts the system store plus `ca_file`; accepts every protocol version and cipher OpenSSL
    /// can still speak, so legacy servers can be inspected (and flagged by the verdicts).
    pub fn new(ca_file: Option<&Path>) -> Result<TlsClient, TlsSetupError> {
        // The user's file is checked now (small: fast), so a bad one is a set-up error.
        if let Some(path) = ca_file {
            context(Some(path), false)?;
        }
        let ca_file = ca_file.map(Path::to_path_buf);
        let (done, ready) = oneshot::channel();
        std::thread::spawn(move || {
            let built = context(ca_file.as_deref(), true).map_err(|e| e.to_string());
            let _ = done.send(built);
        });
        let ctx = async move {
            ready
                .await
                .unwrap_or_else(|_| Err("the trust store could not be loaded".to_string()))
        };
        Ok(TlsClient {
            ctx: ctx.boxed().shared(),
        })
    }

    /// A client session for one connection. `name`, when given, is sent as SNI (unless it is
    /// an address) and the certificate is checked against it. Verification errors go to the
    /// returned log; the handshake itself never fails on them.
    pub async fn session(&self, name: Option<&str>) -> Result<(Ssl, ErrorLog), String> {
        let ctx = self.ctx.clone().await?;
        let ssl = Ssl::new(&ctx).map_err(|e| first_reason(&e))?;
        Self::configure(ssl, name).map_err(|e| first_reason(&e))
    }

    fn configure(mut ssl: Ssl, name: Option<&str>) -> Result<(Ssl, ErrorLog), ErrorStack> {
        ssl.set_connect_state();
        if let Some(name) = name {
            match name.parse::<std::net::IpAddr>() {
                Ok(ip) => ssl.param_mut().set_ip(ip)?,
                Err(_) => {
                    ssl.set_hostname(name)?;
                    ssl.param_mut().set_host(name)?;
                }
            }
        }
        let log: ErrorLog = Arc::default();
        let sink = Arc::clone(&log);
        ssl.set_verify_callback(SslVerifyMode::PEER, move |ok, ctx| {
            if !ok {
                let error = ctx.error();
                let entry = VerifyError {
                    depth: ctx.error_depth(),
                    code: error.as_raw(),
                    message: error.error_string().to_string(),
                };
                if let Ok(mut errors) = sink.lock() {
                    // The same error can be reported more than once for one certificate.
                    if !errors.contains(&entry) {
                        errors.push(entry);
                    }
                }
            }
            // Keep going: a diagnostic reports a bad certificate, it does not hang up on it.
            true
        });
        Ok((ssl, log))
    }
}

/// The client context: the system store (when `system`) plus `ca_file`, every protocol version
/// and cipher.
fn context(ca_file: Option<&Path>, system: bool) -> Result<SslContext, TlsSetupError> {
    let mut builder = SslContext::builder(SslMethod::tls_client())?;
    if system {
        builder.set_default_verify_paths()?;
    }
    if let Some(path) = ca_file {
        builder
            .load_verify_locations(Some(path), None)
            .map_err(|e| TlsSetupError::CaFile {
                path: path.display().to_string(),
                reason: first_reason(&e),
            })?;
    }
    // Security level 0 and no minimum version: OpenSSL 3 refuses TLS 1.0/1.1 and SHA-1
    // signatures at its default level, and a diagnostic tool must see such servers.
    builder.set_security_level(0);
    builder.set_min_proto_version(None)?;
    builder.set_cipher_list("ALL:!eNULL:@SECLEVEL=0")?;
    Ok(builder.build())
}

/// The facts of a finished handshake.
pub fn facts(
    ssl: &SslRef,
    log: &ErrorLog,
    checked_name: Option<&str>,
    now: SystemTime,
) -> TlsFacts {
    let errors = log.lock().map(|e| e.clone()).unwrap_or_default();
    // Without a callback error OpenSSL may still have a final verdict (e.g. no certificate).
    let mut errors = errors;
    let result = ssl.verify_result();
    if result != X509VerifyResult::OK && !errors.iter().any(|e| e.code == result.as_raw()) {
        errors.push(VerifyError {
            depth: 0,
            code: result.as_raw(),
            message: result.error_string().to_string(),
        });
    }
    let chain = peer_chain(ssl, now);
    let trusted = !chain.is_empty()
        && errors
            .iter()
            .all(|e| NAME_MISMATCH_CODES.contains(&e.code) || TIME_CODES.contains(&e.code));
    let hostname_match = checked_name.map(|_| {
        !chain.is_empty() && !errors.iter().any(|e| NAME_MISMATCH_CODES.contains(&e.code))
    });
    TlsFacts {
        version: ssl.version_str().to_string(),
        cipher: ssl
            .current_cipher()
            .map(|c| c.standard_name().unwrap_or(c.name()).to_string())
            .unwrap_or_default(),
        key_exchange: key_exchange(ssl),
        chain,
        verification: Verification {
            trusted,
            hostname_match,
            checked_name: checked_name.map(str::to_string),
            errors,
        },
    }
}

/// The chain as the server sent it; certificates x509-parser cannot read are left out.
fn peer_chain(ssl: &SslRef, now: SystemTime) -> Vec<CertFacts> {
    let Some(stack) = ssl.peer_cert_chain() else {
        return Vec::new();
    };
    let certs: Vec<&X509Ref> = stack.iter().collect();
    certs
        .iter()
        .enumerate()
        .filter_map(|(i, x509)| {
            let der = x509.to_der().ok()?;
            let mut facts = cert::facts(&der, now).ok()?;
            facts.digests.issued_by_next = certs.get(i + 1).and_then(|next| signed_by(x509, next));
            Some(facts)
        })
        .collect()
}

/// Whether `cert`'s signature verifies with `issuer`'s public key (`None`: not checkable).
fn signed_by(cert: &X509Ref, issuer: &X509Ref) -> Option<bool> {
    let key = issuer.public_key().ok()?;
    cert.verify(&key).ok()
}

/// The key exchange group, from the peer's ephemeral key.
fn key_exchange(ssl: &SslRef) -> Option<String> {
    let key = ssl.peer_tmp_key().ok()?;
    let name = match key.id() {
        Id::X25519 => "X25519".to_string(),
        Id::X448 => "X448".to_string(),
        Id::EC => {
            let ec = key.ec_key().ok()?;
            match ec.group().curve_name() {
                Some(Nid::X9_62_PRIME256V1) => "P-256".to_string(),
                Some(Nid::SECP384R1) => "P-384".to_string(),
                Some(Nid::SECP521R1) => "P-521".to_string(),
                Some(nid) => nid.short_name().unwrap_or("EC").to_string(),
                None => "EC".to_string(),
            }
        }
        Id::DH => format!("DHE {}", key.bits()),
        other => format!("{other:?}"),
    };
    Some(name)
}

/// The first reason in an OpenSSL error stack, readable.
pub fn first_reason(stack: &ErrorStack) -> String {
    stack
        .errors()
        .iter()
        .find_map(|e| e.reason().map(str::to_string))
        .unwrap_or_else(|| stack.to_string())
}

/// A stream that keeps a copy of the first bytes read through it, so a failed handshake can
/// tell what the server really sent (a plain `220` greeting on a TLS port, say).
pub struct Recorder<S> {
    inner: S,
    seen: Vec<u8>,
    limit: usize,
}

impl<S> Recorder<S> {
    /// Records at most `limit` bytes.
    pub fn new(inner: S, limit: usize) -> Recorder<S> {
        Recorder {
            inner,
            seen: Vec::new(),
            limit,
        }
    }

    /// The first bytes read.
    pub fn seen(&self) -> &[u8] {
        &self.seen
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Recorder<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = poll {
            let room = this.limit.saturating_sub(this.seen.len());
            if room > 0 {
                let new = buf.filled().get(before..).unwrap_or_default();
                let take = new.len().min(room);
                this.seen
                    .extend_from_slice(new.get(..take).unwrap_or_default());
            }
        }
        poll
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Recorder<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
