//! The renderers of `smtp-doctor ports`: the matrix table and the JSON document.

pub mod json;
pub mod table;
