//! The one integration-test binary: scenario tests against an in-process SMTP test server,
//! and (ignored by default) interop tests against a real MTA.

mod auth;
mod auth_interop;
mod auth_server;
mod check;
mod cli;
mod dns;
mod docs;
mod domain;
mod interop;
mod layers;
mod ports;
mod providers;
mod support;
