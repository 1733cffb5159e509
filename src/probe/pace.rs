//! Adaptive connect timeouts, as port scanners pace themselves: when the same operator's
//! hosts have answered connection attempts on other ports in a few milliseconds, a connection
//! attempt that gets no answer at all for much longer than that is dropped on the way, and
//! waiting out the whole connect timeout only delays the report.
//!
//! The allowance covers one lost SYN (Linux sends the first retransmission after its initial
//! retransmission timeout of one second, RFC 6298 section 2.1) plus a few of the round trips
//! seen, so a slow but open path (a far-away server, a congested link) still connects in time;
//! the connect timeout stays the upper bound.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::watch;

/// The kernel's initial retransmission timeout for a SYN: an attempt whose first SYN (or its
/// SYN-ACK) was lost connects after this plus one round trip.
const SYN_RETRY: Duration = Duration::from_secs(1);
/// Round trips allowed on top of [`SYN_RETRY`], for variance.
const RTT_FACTOR: u32 = 4;
/// Added for scheduling and the first SYN's own time.
const SLACK: Duration = Duration::from_millis(100);

/// The slowest connect seen so far per group (an operator's hosts); probes of the same group
/// learn of it as it happens.
#[derive(Debug, Default)]
pub struct Pace {
    groups: Mutex<HashMap<String, watch::Sender<Option<Duration>>>>,
}

impl Pace {
    /// No connect seen yet.
    pub fn new() -> Pace {
        Pace::default()
    }

    fn sender(&self, group: &str) -> watch::Sender<Option<Duration>> {
        // A poisoned lock only means another probe panicked; the map is still usable.
        let mut groups = self
            .groups
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        groups
            .entry(group.to_string())
            .or_insert_with(|| watch::channel(None).0)
            .clone()
    }

    /// Follows the group's slowest connect time as it is learnt.
    pub(super) fn watch(&self, group: &str) -> watch::Receiver<Option<Duration>> {
        self.sender(group).subscribe()
    }

    /// A connect in `group` took `rtt`.
    pub(super) fn connected(&self, group: &str, rtt: Duration) {
        self.sender(group).send_if_modified(|slowest| {
            if slowest.is_some_and(|s| s >= rtt) {
                return false;
            }
            *slowest = Some(rtt);
            true
        });
    }
}

/// How long a connection attempt may go unanswered once others of its group connected in
/// `rtt` (the slowest of them).
pub fn allowance(rtt: Duration) -> Duration {
    SYN_RETRY + rtt.saturating_mul(RTT_FACTOR) + SLACK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allowance_covers_one_lost_syn_and_a_few_round_trips() {
        assert_eq!(allowance(Duration::ZERO), Duration::from_millis(1100));
        assert_eq!(
            allowance(Duration::from_millis(200)),
            Duration::from_millis(1900)
        );
    }

    #[test]
    fn the_group_keeps_its_slowest_connect() {
        let pace = Pace::new();
        let watch = pace.watch("gmail");
        assert_eq!(*watch.borrow(), None);
        pace.connected("gmail", Duration::from_millis(20));
        pace.connected("gmail", Duration::from_millis(5));
        assert_eq!(*watch.borrow(), Some(Duration::from_millis(20)));
        pace.connected("gmail", Duration::from_millis(30));
        assert_eq!(*watch.borrow(), Some(Duration::from_millis(30)));
        assert_eq!(*pace.watch("other").borrow(), None);
    }
}
