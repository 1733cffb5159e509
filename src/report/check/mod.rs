//! The renderers of `smtp-doctor check`: the table ([`table`], which composes [`overview`],
//! [`domain`], [`auth`] and [`settings`]), the transcript and the JSON document.

pub mod auth;
pub mod domain;
pub mod json;
mod json_auth;
pub mod overview;
pub mod settings;
pub mod table;
pub mod transcript;
