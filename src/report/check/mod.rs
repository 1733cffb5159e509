//! The renderers of `smtp-doctor check`: the table ([`table`], which composes [`overview`],
//! [`domain`], [`auth`], [`settings`] and the user's own settings), the transcript, the JSON
//! document, and the monitoring formats ([`prometheus`], [`nagios`]).

pub mod auth;
pub mod batch;
mod config;
pub mod domain;
mod domain_dane;
pub mod json;
mod json_auth;
mod json_dane;
mod json_sts;
pub mod nagios;
pub mod overview;
pub mod prometheus;
pub mod settings;
mod sts;
pub mod table;
pub mod transcript;
