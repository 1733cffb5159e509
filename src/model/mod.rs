//! Plain data that every stage reads: what a probe observed ([`observation`]), what discovery
//! found ([`discovery`]), the run's provider decision ([`preset`]), the user's own settings
//! ([`config`]), a probe's steps as they happen ([`progress`]) and a domain's inbound transport
//! policies ([`sts`]). No I/O and no policy here: the engine fills these, verdicts judge them,
//! renderers show them.

pub mod config;
pub mod dane;
pub mod discovery;
pub mod observation;
pub mod preset;
pub mod progress;
pub mod sts;

pub use config::*;
pub use dane::*;
pub use discovery::*;
pub use observation::*;
pub use preset::*;
pub use sts::*;
