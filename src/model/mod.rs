//! Plain data that every stage reads: what a probe observed ([`observation`]), what discovery
//! found ([`discovery`]), the run's provider decision ([`preset`]), the user's own settings
//! ([`config`]) and a probe's steps as they happen ([`progress`]). No I/O and no policy here: the engine fills these, verdicts judge them,
//! renderers show them.

pub mod config;
pub mod dane;
pub mod discovery;
pub mod observation;
pub mod preset;
pub mod progress;

pub use config::*;
pub use dane::*;
pub use discovery::*;
pub use observation::*;
pub use preset::*;
