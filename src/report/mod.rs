//! The renderers: by command, then by format, each writing an outcome of [`crate::run`] to any
//! `io::Write`. They share one text toolkit ([`text`]) and one set of JSON shapes ([`schema`]),
//! read outcomes and findings, and hold no rules: what is wrong, and how bad, is the verdicts'.

pub mod check;
pub mod explain;
pub mod live;
pub mod ports;
pub mod providers;
pub mod schema;
pub mod text;
