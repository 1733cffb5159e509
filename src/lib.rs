//! smtp-doctor: probes SMTP endpoints, judges what it saw, and reports it.
//!
//! The pipeline: the command line builds a plan ([`run::plan`]); a pipeline of [`run`] finds
//! the endpoints ([`dns`]), probes them ([`probe`], an [`model::Observation`] per endpoint),
//! judges them ([`verdict`], findings) and returns an outcome ([`run::outcome`]); a renderer of
//! [`report`] writes it (table, JSON, transcript). Imports point down only: the engine never
//! imports [`run`], [`report`] or [`cli`], and no renderer imports a pipeline, the probe or TLS
//! code (held by `tests/it/layers.rs`).

pub mod cert;
pub mod cli;
pub mod dns;
pub mod explain;
pub mod model;
pub mod probe;
pub mod providers;
pub mod report;
pub mod run;
pub mod secret;
pub mod serve;
pub mod smtp;
pub mod target;
pub mod tls;
pub mod verdict;
