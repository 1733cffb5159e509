//! Politeness towards one address across many runs (a batch of targets whose MX hosts share a
//! few servers): at most a few connections to one IP address at once, and an address that
//! answered `421` (too busy, too many connections) is then spoken to one connection at a time,
//! with a pause after each, instead of being hit again at full speed.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// The pause after each connection to an address that answered `421`.
pub const BACKOFF: Duration = Duration::from_secs(2);

/// Shared by every probe of a batch.
#[derive(Debug)]
pub struct Politeness {
    per_address: usize,
    addresses: Mutex<HashMap<IpAddr, Address>>,
}

#[derive(Debug)]
struct Address {
    /// Connections at once.
    permits: Arc<Semaphore>,
    /// One at a time, since the address answered `421`.
    slow: Arc<Semaphore>,
    busy: bool,
}

/// The right to connect to an address; held for the whole probe.
#[derive(Debug)]
pub struct Turn {
    _permit: Option<OwnedSemaphorePermit>,
    /// Held when the address answered `421`: released after [`BACKOFF`].
    slow: Option<OwnedSemaphorePermit>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        if let Some(permit) = self.slow.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(async move {
                tokio::time::sleep(BACKOFF).await;
                drop(permit);
            });
        }
    }
}

impl Politeness {
    /// At most `per_address` connections to one address at once (at least 1).
    pub fn new(per_address: usize) -> Politeness {
        Politeness {
            per_address: per_address.max(1),
            addresses: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for a turn at `ip` until `deadline`; `None` when the deadline came first (the
    /// probe then goes on: its own deadlines end it).
    pub async fn turn(&self, ip: IpAddr, deadline: Instant) -> Option<Turn> {
        let (permits, slow) = {
            let mut addresses = self
                .addresses
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let address = addresses.entry(ip).or_insert_with(|| Address {
                permits: Arc::new(Semaphore::new(self.per_address)),
                slow: Arc::new(Semaphore::new(1)),
                busy: false,
            });
            (address.permits.clone(), address.slow.clone())
        };
        let wait = async {
            let permit = permits.acquire_owned().await.ok();
            // Whether it answered 421 is read once it is this probe's turn, not before.
            let slow = if self.is_busy(ip) {
                slow.acquire_owned().await.ok()
            } else {
                None
            };
            Turn {
                _permit: permit,
                slow,
            }
        };
        tokio::time::timeout_at(deadline, wait).await.ok()
    }

    /// `ip` answered `421`: from now on one connection at a time, with a pause after each.
    pub fn busy(&self, ip: IpAddr) {
        let mut addresses = self
            .addresses
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(address) = addresses.get_mut(&ip) {
            address.busy = true;
        }
    }

    /// Whether `ip` answered `421` in this batch.
    pub fn is_busy(&self, ip: IpAddr) -> bool {
        self.addresses
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&ip)
            .is_some_and(|a| a.busy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_few_at_once_per_address_then_one_at_a_time_after_421() {
        let polite = Politeness::new(2);
        let ip: IpAddr = [192, 0, 2, 1].into();
        let other: IpAddr = [192, 0, 2, 2].into();
        let soon = Instant::now() + Duration::from_millis(10);
        let first = polite.turn(ip, soon).await;
        let second = polite.turn(ip, soon).await;
        assert!(first.is_some() && second.is_some());
        // A third waits; another address does not.
        assert!(polite.turn(ip, soon).await.is_none());
        assert!(polite.turn(other, soon).await.is_some());
        drop((first, second));
        polite.busy(ip);
        assert!(polite.is_busy(ip) && !polite.is_busy(other));
        let later = Instant::now() + Duration::from_secs(60);
        let one = polite.turn(ip, later).await;
        assert!(one.is_some());
        // While one runs, and for BACKOFF after it, no other turn at the busy address.
        let during = Instant::now() + Duration::from_millis(500);
        assert!(polite.turn(ip, during).await.is_none());
        drop(one);
        let before_backoff = Instant::now() + BACKOFF / 2;
        assert!(polite.turn(ip, before_backoff).await.is_none());
        assert!(polite.turn(ip, later).await.is_some());
    }
}
