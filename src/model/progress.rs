//! The steps of a probe as they happen, for a live view of the run. The engine reports to a
//! [`Watch`] when one is given ([`crate::probe::ProbeOptions::watch`]); it never prints.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::{Endpoint, Phase, State};

/// Where a probe is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The TCP connect.
    Connecting,
    /// Waiting for the greeting.
    Greeting,
    /// EHLO sent, waiting for its reply.
    Ehlo,
    /// STARTTLS sent, waiting for its reply.
    Starttls,
    /// The TLS handshake.
    Tls,
    /// EHLO inside TLS.
    EhloTls,
    /// No greeting yet: a TLS handshake is tried on a second connection meanwhile.
    TryingTls,
    /// The probe ended: how, where it stopped (when it did), after how long.
    Done {
        /// How far it got.
        state: State,
        /// The step it stopped in, when it stopped early.
        phase: Option<Phase>,
        /// The endpoint's whole time.
        total: Duration,
    },
}

/// Receives each endpoint's steps as they happen. Called from the probes' tasks: it must
/// return at once (no I/O that can block).
pub trait Watch: Send + Sync {
    /// `endpoint` has reached `step`.
    fn step(&self, endpoint: &Endpoint, step: Step);
}

/// A shared [`Watch`], as the probe options carry it.
#[derive(Clone)]
pub struct Watcher(pub Arc<dyn Watch>);

impl fmt::Debug for Watcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Watcher")
    }
}
