//! One pipeline per command: its plan (input, [`plan`]), its run, and its outcome (output,
//! [`outcome`]). `check` finds the endpoints ([`discover`]), probes them and judges them; `ports`
//! probes well-known control hosts and draws conclusions about the network; `explain` reads an
//! error message the user pasted. Pipelines never print and never import the command line or
//! the renderers.

pub mod batch;
pub mod check;
pub mod discover;
pub mod explain;
pub mod outcome;
pub mod plan;
pub mod ports;
pub mod service;
