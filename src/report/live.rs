//! The live view of a run on a terminal: one line per endpoint on stderr, with its step and the
//! time it has taken so far ("waiting for the greeting 3.2 s"), and how it ended ("done in
//! 48 ms", "refused after 1 ms"), redrawn in place and cleared before the report is written.
//! Only when stderr is a terminal (never in a pipe or a file), so the report itself, on stdout,
//! holds no progress bytes.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use crate::model::progress::{Step, Watch, Watcher};
use crate::model::{Endpoint, State};

/// How often a running line is redrawn (its elapsed time).
const TICK: Duration = Duration::from_millis(100);

/// The live view; [`Live::finish`] clears it.
pub struct Live {
    lines: MultiProgress,
    bars: Mutex<HashMap<(String, IpAddr, u16), ProgressBar>>,
    running: ProgressStyle,
    done: ProgressStyle,
}

impl Live {
    /// A live view on stderr when it is a terminal that can redraw lines (`TERM` is not
    /// `dumb`) and `enabled` (not `--quiet`); `None` otherwise.
    pub fn start(enabled: bool) -> Option<Arc<Live>> {
        let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
        if !enabled || dumb || !std::io::stderr().is_terminal() {
            return None;
        }
        let running = ProgressStyle::with_template("{spinner} {prefix}  {msg} {waited}")
            .ok()?
            .with_key(
                "waited",
                |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                    let _ = write!(out, "{}", seconds(state.elapsed()));
                },
            )
            .tick_chars("|/-\\ ");
        let done = ProgressStyle::with_template("  {prefix}  {msg}").ok()?;
        Some(Arc::new(Live {
            lines: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            bars: Mutex::new(HashMap::new()),
            running,
            done,
        }))
    }

    /// The view as the probe options carry it.
    pub fn watcher(self: &Arc<Live>) -> Watcher {
        Watcher(self.clone())
    }

    /// Clears every line: the report comes next.
    pub fn finish(&self) {
        let bars = self.bars.lock().unwrap_or_else(PoisonError::into_inner);
        for bar in bars.values() {
            bar.finish_and_clear();
        }
        let _ = self.lines.clear();
    }

    /// The endpoint's line, made on its first step (saying `first`).
    fn bar(&self, endpoint: &Endpoint, first: &'static str) -> ProgressBar {
        let key = (endpoint.host.clone(), endpoint.ip, endpoint.port);
        let mut bars = self.bars.lock().unwrap_or_else(PoisonError::into_inner);
        bars.entry(key)
            .or_insert_with(|| {
                let bar = ProgressBar::new_spinner()
                    .with_style(self.running.clone())
                    .with_prefix(label(endpoint))
                    .with_message(first);
                let bar = self.lines.add(bar);
                bar.enable_steady_tick(TICK);
                bar
            })
            .clone()
    }
}

impl Watch for Live {
    fn step(&self, endpoint: &Endpoint, step: Step) {
        let bar = self.bar(endpoint, doing(&step));
        match step {
            Step::Done {
                state,
                phase,
                total,
            } => {
                bar.set_style(self.done.clone());
                let how = match (state, phase) {
                    (State::Ok, _) => format!("done in {}", seconds(total)),
                    (state, Some(phase)) => format!(
                        "{} ({}) after {}",
                        state.as_str(),
                        phase.as_str(),
                        seconds(total)
                    ),
                    (state, None) => format!("{} after {}", state.as_str(), seconds(total)),
                };
                bar.finish_with_message(how);
            }
            step => bar.set_message(doing(&step)),
        }
    }
}

/// The progress of a batch (`check --file`) on stderr: one bar, lines done of all, and how
/// many had errors; cleared before the summary. Only on a terminal, as [`Live`].
pub struct BatchProgress {
    bar: ProgressBar,
}

impl BatchProgress {
    /// A bar for `total` lines when stderr is a terminal and `enabled`; `None` otherwise.
    pub fn start(total: usize, enabled: bool) -> Option<BatchProgress> {
        let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
        if !enabled || dumb || !std::io::stderr().is_terminal() {
            return None;
        }
        let style = ProgressStyle::with_template(
            "{bar:30} {pos}/{len} targets, {msg} {elapsed}, about {eta} left",
        )
        .ok()?;
        let bar = ProgressBar::with_draw_target(
            Some(u64::try_from(total).unwrap_or(u64::MAX)),
            ProgressDrawTarget::stderr(),
        )
        .with_style(style)
        .with_message("0 with errors");
        bar.enable_steady_tick(TICK);
        Some(BatchProgress { bar })
    }

    /// One more line done; `failed` lines so far had errors or could not be checked.
    pub fn done(&self, failed: usize) {
        self.bar.inc(1);
        self.bar.set_message(format!("{failed} with errors"));
    }

    /// Clears the bar: the summary comes next.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// What a running step is, in words.
fn doing(step: &Step) -> &'static str {
    match step {
        Step::Connecting => "connecting",
        Step::Greeting => "waiting for the greeting",
        Step::Ehlo => "EHLO",
        Step::Starttls => "STARTTLS",
        Step::Tls => "TLS handshake",
        Step::EhloTls => "EHLO inside TLS",
        Step::TryingTls => "no greeting yet; trying TLS on a second connection",
        Step::Done { .. } => "done",
    }
}

/// `host:port`, with the address when the host is a name.
fn label(endpoint: &Endpoint) -> String {
    if endpoint.host.parse::<IpAddr>().is_ok() {
        endpoint.address_label()
    } else {
        format!("{}:{} ({})", endpoint.host, endpoint.port, endpoint.ip)
    }
}

/// `8 ms` below a second, `3.2 s` above.
fn seconds(duration: Duration) -> String {
    if duration < Duration::from_secs(1) {
        format!("{} ms", duration.as_millis())
    } else {
        format!("{:.1} s", duration.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_ms_below_a_second_and_tenths_above() {
        assert_eq!(seconds(Duration::from_millis(8)), "8 ms");
        assert_eq!(seconds(Duration::from_millis(3240)), "3.2 s");
    }
}
