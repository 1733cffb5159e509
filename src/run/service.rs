//! A long-running check service (`smtp-doctor serve`): one `check` pipeline per request, with
//! what the requests share kept in one place: the trust stores (loaded once per CA file),
//! politeness towards every address across requests ([`crate::probe::polite`]), and a bound on
//! how many checks run at once. A request that gets no slot before its deadline is turned away,
//! not queued past it. No printing, no HTTP, no command-line types.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::probe::polite::Politeness;
use crate::run::check;
use crate::run::outcome::CheckReport;
use crate::run::plan::{CheckPlan, SetupError};
use crate::tls::TlsClient;
use crate::verdict::FindingId;

/// Why a request's check did not run.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// Every slot stayed taken until the request's deadline.
    #[error(
        "all {limit} check slots stayed busy until the scrape's deadline; raise --concurrency or scrape less often"
    )]
    Busy {
        /// How many checks may run at once.
        limit: usize,
    },
    /// The run could not start (an unusable CA file).
    #[error(transparent)]
    Setup(#[from] SetupError),
}

/// The shared state of every request.
pub struct Service {
    /// One TLS client per CA file the modules name (`None`: the system store only).
    tls: HashMap<Option<PathBuf>, TlsClient>,
    polite: Arc<Politeness>,
    slots: Arc<Semaphore>,
    limit: usize,
    running: AtomicUsize,
}

impl Service {
    /// A service for plans whose `ca_file` is one of `ca_files`, running at most `concurrency`
    /// checks at once and `per_address` connections to one address at once. `Err` when a CA
    /// file cannot be used.
    pub fn new(
        ca_files: &[Option<PathBuf>],
        concurrency: usize,
        per_address: usize,
    ) -> Result<Service, SetupError> {
        let mut tls = HashMap::new();
        for ca_file in ca_files {
            if tls.contains_key(ca_file) {
                continue;
            }
            let client =
                TlsClient::new(ca_file.as_deref()).map_err(|e| SetupError(e.to_string()))?;
            tls.insert(ca_file.clone(), client);
        }
        let limit = concurrency.max(1);
        Ok(Service {
            tls,
            polite: Arc::new(Politeness::new(per_address)),
            slots: Arc::new(Semaphore::new(limit)),
            limit,
            running: AtomicUsize::new(0),
        })
    }

    /// How many checks may run at once.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// How many checks are running now.
    pub fn running(&self) -> usize {
        self.running.load(Ordering::Relaxed)
    }

    /// Runs one check that must end by `deadline`: it waits for a slot until then, and its run
    /// gets what is left as its `--max-time` (named `deadline_name` when it cuts a step short).
    /// The findings in `ignore` are dropped from the report, as if never raised.
    pub async fn check(
        &self,
        mut plan: CheckPlan,
        deadline: Instant,
        deadline_name: &'static str,
        ignore: &[FindingId],
    ) -> Result<CheckReport, Refused> {
        let permit = tokio::time::timeout_at(deadline, self.slots.clone().acquire_owned())
            .await
            .ok()
            .and_then(Result::ok)
            .ok_or(Refused::Busy { limit: self.limit })?;
        let left = deadline.saturating_duration_since(Instant::now());
        if left < plan.options.max_time {
            plan.options.max_time = left.max(Duration::from_millis(1));
            plan.options.max_time_flag = Some(deadline_name);
        }
        plan.options.polite = Some(self.polite.clone());
        let tls = match self.tls.get(&plan.ca_file) {
            Some(tls) => tls.clone(),
            None => {
                TlsClient::new(plan.ca_file.as_deref()).map_err(|e| SetupError(e.to_string()))?
            }
        };
        // Counted while the check runs, also when the request goes away mid-check (its future
        // is then dropped, and the guard with it).
        let running = Running::start(&self.running);
        let report = check::run_with(&plan, &tls).await;
        drop(running);
        drop(permit);
        let mut report = report?;
        report.findings.retain(|f| !ignore.contains(&f.id));
        Ok(report)
    }
}

/// One running check in [`Service::running`], for as long as it lives.
struct Running<'a>(&'a AtomicUsize);

impl<'a> Running<'a> {
    fn start(count: &'a AtomicUsize) -> Running<'a> {
        count.fetch_add(1, Ordering::Relaxed);
        Running(count)
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_dropped_mid_way_is_no_longer_counted() {
        let count = AtomicUsize::new(0);
        let first = Running::start(&count);
        {
            let _second = Running::start(&count);
            assert_eq!(count.load(Ordering::Relaxed), 2);
        }
        assert_eq!(count.load(Ordering::Relaxed), 1);
        drop(first);
        assert_eq!(count.load(Ordering::Relaxed), 0);
    }
}
