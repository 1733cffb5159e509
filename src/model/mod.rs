//! Plain data that every stage reads: what a probe observed ([`observation`]) and what discovery
//! found ([`discovery`]). No I/O and no policy here: the engine fills these, verdicts judge them,
//! renderers show them.

pub mod discovery;
pub mod observation;

pub use discovery::*;
pub use observation::*;
