//! The renderers of `smtp-doctor explain`: the explanations of a pasted error message, as text
//! for people ([`table`]) and as one JSON document ([`json`]). Everything that comes from the
//! user's text is cleaned of control characters before it is printed.

pub mod json;
pub mod table;
