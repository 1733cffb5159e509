//! smtp-doctor: probes SMTP endpoints, judges what it saw, and reports it.
//!
//! The pipeline: targets -> [`dns`] -> [`probe`] (an [`model::Observation`] per endpoint) ->
//! [`verdict`] (findings) -> [`report`] (table, JSON, transcript). Engine modules never print and
//! never import the CLI or the renderers.

pub mod cert;
pub mod check;
pub mod cli;
pub mod discover;
pub mod dns;
pub mod model;
pub mod ports;
pub mod probe;
pub mod providers;
pub mod report;
pub mod secret;
pub mod smtp;
pub mod target;
pub mod tls;
pub mod verdict;
