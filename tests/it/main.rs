//! The one integration-test binary: scenario tests against an in-process SMTP test server,
//! and (ignored by default) interop tests against a real MTA.

mod auth_server;
mod check;
mod dns;
mod docs;
mod interop;
mod support;
