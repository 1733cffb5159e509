//! The renderers of `smtp-doctor providers`: the list and one preset in full, as text and JSON.

pub mod json;
pub mod table;
