//! `check -f FILE`: many targets, one check pipeline each ([`super::check`]), a bounded number
//! at once, polite to every address ([`crate::probe::polite`]), one trust store for all. Every
//! input line gets exactly one result, handed over in input order as soon as it and every line
//! before it are done, so a consumer can stream them. A line that is not a usable target is a
//! result of its own, never the end of the batch. No printing, no command-line types.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::sync::Arc;

use futures::StreamExt;

use crate::probe::polite::Politeness;
use crate::run::check;
use crate::run::outcome::{BatchResult, Outcome};
use crate::run::plan::{BatchItem, BatchPlan, SetupError};
use crate::tls::TlsClient;

/// Runs the batch, calling `each` once per line, in input order, until it says to stop (a
/// reader that went away). `Err` only when nothing can run (an unusable CA file).
pub async fn run(
    plan: BatchPlan,
    mut each: impl FnMut(BatchResult) -> ControlFlow<()>,
) -> Result<(), SetupError> {
    let tls = TlsClient::new(plan.ca_file.as_deref()).map_err(|e| SetupError(e.to_string()))?;
    let polite = Arc::new(Politeness::new(plan.per_address));
    let runs = futures::stream::iter(plan.items.into_iter().enumerate())
        .map(|(index, item)| {
            let tls = tls.clone();
            let polite = polite.clone();
            async move { (index, one(item, &tls, polite).await) }
        })
        .buffer_unordered(plan.concurrency.max(1));
    futures::pin_mut!(runs);
    // Results that came before an earlier line's: held until it is done.
    let mut waiting: BTreeMap<usize, BatchResult> = BTreeMap::new();
    let mut next = 0;
    while let Some((index, result)) = runs.next().await {
        waiting.insert(index, result);
        while let Some(result) = waiting.remove(&next) {
            if each(result).is_break() {
                return Ok(());
            }
            next += 1;
        }
    }
    Ok(())
}

async fn one(item: BatchItem, tls: &TlsClient, polite: Arc<Politeness>) -> BatchResult {
    let started = std::time::Instant::now();
    let outcome = match item.plan {
        Err(reason) => Outcome::Invalid(reason),
        Ok(mut plan) => {
            plan.options.polite = Some(polite);
            match check::run_with(&plan, tls).await {
                Ok(report) => Outcome::Checked(Box::new(report)),
                Err(e) => Outcome::Failed(e.to_string()),
            }
        }
    };
    BatchResult {
        line: item.line,
        input: item.input,
        outcome,
        duration: started.elapsed(),
    }
}
