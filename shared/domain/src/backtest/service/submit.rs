//! Submitting a backtest (validated against the instrument and the charge table, idempotent under its
//! `Idempotency-Key`, stored then queued), and reading, listing and deleting (or cancelling) one's own runs.

use super::BacktestService;
use crate::backtest::request::{BacktestRequest, ChargeModel};
use crate::backtest::run::{BacktestRequested, BacktestResult, BacktestRun, RunStatus};
use crate::kernel::error::RepoError;
use crate::kernel::events::Envelope;
use crate::kernel::ids::{BacktestId, UserId};
use crate::kernel::page::Page;
use crate::kernel::time::ist;
use crate::kernel::validation::Violation;
use crate::trading::paper::charge_segment;

/// A submission as the handler parsed it.
#[derive(Debug, Clone)]
pub struct SubmitCommand {
    /// What to run.
    pub request: BacktestRequest,
    /// The `Idempotency-Key` header.
    pub idempotency_key: Option<String>,
    /// SHA-256 of the canonical request.
    pub request_hash: String,
}

/// What submitting did.
#[derive(Debug, Clone)]
pub enum Submitted {
    /// A new run, queued.
    Created(BacktestRun),
    /// The same request under the same key again: the original run, as it stands.
    Replayed(BacktestRun),
}

/// Why a submission changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The request breaks the rules; nothing was stored or queued.
    #[error("invalid backtest")]
    Invalid(Vec<Violation>),
    /// The idempotency key was used for a different request.
    #[error("Idempotency-Key was already used for a different backtest")]
    KeyReused,
    /// The queue did not take the run; nothing was kept. Retry.
    #[error("the backtest queue is unavailable")]
    Unavailable(#[source] anyhow::Error),
    /// Anything else.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// A run with its result, once done.
#[derive(Debug, Clone)]
pub struct RunView {
    /// The run.
    pub run: BacktestRun,
    /// Its result (done runs only).
    pub result: Option<BacktestResult>,
}

/// What deleting did.
#[derive(Debug, Clone)]
pub enum Deleted {
    /// The run was queued or running: it is cancelled (and stays, so its owner sees it so).
    Cancelled(Box<BacktestRun>),
    /// The run had finished: it and its result are gone.
    Removed,
}

/// Why deleting changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum DeleteError {
    /// No such run of this user.
    #[error("not found")]
    NotFound,
    /// Anything else.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

crate::storage_failures_are_unexpected!(SubmitError, DeleteError);

/// Attempts at a cancellation or deletion racing the worker's writes.
const ATTEMPTS: u32 = 5;

impl BacktestService {
    /// Validates, stores and queues a backtest for `user`. A repeat under the same key with the same request
    /// answers with the original run; with another request it is refused.
    ///
    /// # Errors
    /// [`SubmitError`]; nothing is stored or queued.
    pub async fn submit(&self, user: UserId, command: SubmitCommand) -> Result<Submitted, SubmitError> {
        let ctx = &self.ctx;
        if let Some(key) = &command.idempotency_key
            && let Some(original) = ctx.store.claimed(&user, key).await?
        {
            return if original.request_hash == command.request_hash {
                Ok(Submitted::Replayed(original))
            } else {
                Err(SubmitError::KeyReused)
            };
        }
        let now = ctx.clock.now();
        let master = ctx.master.get(now).await?;
        let instrument = master.get(command.request.instrument.as_str());
        let mut violations = command
            .request
            .validate(instrument, now)
            .err()
            .unwrap_or_default();
        if let Some(instrument) = instrument
            && command.request.charges == ChargeModel::Statutory
        {
            let segment = charge_segment(instrument, command.request.product);
            let first_day = command.request.from.with_timezone(&ist()).date_naive();
            if ctx.charges.rates_on(segment, first_day).is_err() {
                violations.push(Violation::new(
                    "charges",
                    format!(
                        "the statutory charge table has no rates for {segment:?} on {first_day}: start the \
                         range on or after its first date, or use commission_pct"
                    ),
                ));
            }
        }
        if !violations.is_empty() {
            return Err(SubmitError::Invalid(violations));
        }
        let run = BacktestRun::queued(
            (user, ctx.ids.next()),
            command.request,
            (command.idempotency_key, command.request_hash),
            now,
        );
        match ctx.store.create(&run).await {
            Ok(()) => {}
            // The key was claimed by a concurrent submission: answer as a repeat.
            Err(RepoError::Conflict) => {
                let key = run.idempotency_key.as_deref().unwrap_or_default();
                let original = ctx
                    .store
                    .claimed(&user, key)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("run {} conflicted with no claim", run.id))?;
                return if original.request_hash == run.request_hash {
                    Ok(Submitted::Replayed(original))
                } else {
                    Err(SubmitError::KeyReused)
                };
            }
            Err(e) => return Err(e.into()),
        }
        let job = BacktestRequested {
            run_id: run.id,
            user_id: user,
        };
        let queued = match Envelope::wrap(ctx.ids.next(), now, &job) {
            Ok(envelope) => ctx.queue.publish(&envelope).await,
            Err(e) => Err(e.into()),
        };
        if let Err(e) = queued {
            // Never leave a run no worker will take: take it back, so the same key can be tried again.
            if let Err(undo) = ctx.store.delete(&run).await {
                tracing::error!(run_id = %run.id, error = ?undo, "unqueued run not deleted");
            }
            return Err(SubmitError::Unavailable(e));
        }
        tracing::info!(run_id = %run.id, "backtest queued");
        Ok(Submitted::Created(run))
    }

    /// `user`'s run `id` with its result once done; `None` when they have no such run.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn get(&self, user: &UserId, id: &BacktestId) -> Result<Option<RunView>, RepoError> {
        let Some(run) = self.ctx.store.get(user, id).await? else {
            return Ok(None);
        };
        let result = match run.status {
            RunStatus::Done => self.ctx.store.result(&run).await?,
            _ => None,
        };
        Ok(Some(RunView { run, result }))
    }

    /// One page of `user`'s runs, newest first.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn list(
        &self,
        user: &UserId,
        limit: u16,
        after: Option<BacktestId>,
    ) -> Result<Page<BacktestRun, BacktestId>, RepoError> {
        self.ctx.store.page(user, limit, after).await
    }

    /// Deletes `user`'s run `id`: a queued or running run is cancelled (its worker stops at its next step),
    /// a finished one removed with its result.
    ///
    /// # Errors
    /// [`DeleteError`].
    pub async fn delete(&self, user: &UserId, id: &BacktestId) -> Result<Deleted, DeleteError> {
        for _ in 0..ATTEMPTS {
            let run = self.ctx.store.get(user, id).await?.ok_or(DeleteError::NotFound)?;
            let written = match run.cancelled(self.ctx.clock.now()) {
                Some(cancelled) => self
                    .ctx
                    .store
                    .update(&cancelled)
                    .await
                    .map(|()| Deleted::Cancelled(Box::new(cancelled))),
                None => self.ctx.store.delete(&run).await.map(|()| Deleted::Removed),
            };
            match written {
                Ok(deleted) => return Ok(deleted),
                // The worker moved the run meanwhile: look again.
                Err(RepoError::Conflict) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Err(anyhow::anyhow!("run {id} kept changing").into())
    }
}
