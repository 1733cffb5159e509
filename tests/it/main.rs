//! The one integration-test binary: scenario tests against an in-process SMTP test server,
//! and (ignored by default) interop tests against a real MTA.

mod auth;
mod auth_interop;
mod auth_server;
mod batch;
mod check;
mod cli;
mod config;
mod dane;
mod dns;
mod docs;
mod domain;
mod explain;
mod interop;
mod interop_more;
mod layers;
mod live;
mod misbehave;
mod monitor;
mod ports;
mod providers;
mod serve;
mod sts;
mod support;
