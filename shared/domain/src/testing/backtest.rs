//! An in-memory [`BacktestStore`] keeping its contract: a new run (and its claim) only once, later versions
//! only over the one before, results whole.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;

use crate::backtest::ports::BacktestStore;
use crate::backtest::run::{BacktestResult, BacktestRun};
use crate::kernel::error::RepoError;
use crate::kernel::ids::{BacktestId, UserId};
use crate::kernel::page::Page;

#[derive(Debug, Default)]
struct Runs {
    runs: BTreeMap<(UserId, BacktestId), BacktestRun>,
    claims: HashMap<(UserId, String), BacktestId>,
    results: HashMap<BacktestId, BacktestResult>,
    results_stored: usize,
    cancel_on_store: Option<chrono::DateTime<chrono::Utc>>,
}

/// A [`BacktestStore`] in memory.
#[derive(Debug, Default)]
pub struct InMemoryBacktestStore {
    runs: Mutex<Runs>,
}

impl InMemoryBacktestStore {
    fn runs(&self) -> Result<std::sync::MutexGuard<'_, Runs>, RepoError> {
        self.runs.lock().map_err(|_| anyhow::anyhow!("poisoned").into())
    }

    /// How many results were ever stored (a redelivered run must not store another).
    pub fn results_stored(&self) -> usize {
        self.runs.lock().map(|r| r.results_stored).unwrap_or_default()
    }

    /// How many results are kept now.
    pub fn results_kept(&self) -> usize {
        self.runs.lock().map(|r| r.results.len()).unwrap_or_default()
    }

    /// Makes the next stored result's run cancelled at `at` just after the result is stored, as an owner's
    /// DELETE landing between the worker's last two writes would.
    pub fn cancel_on_next_result(&self, at: chrono::DateTime<chrono::Utc>) {
        if let Ok(mut runs) = self.runs.lock() {
            runs.cancel_on_store = Some(at);
        }
    }

    /// How many runs are kept, of anyone.
    pub fn len(&self) -> usize {
        self.runs.lock().map(|r| r.runs.len()).unwrap_or_default()
    }

    /// Whether no run is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait]
impl BacktestStore for InMemoryBacktestStore {
    async fn create(&self, run: &BacktestRun) -> Result<(), RepoError> {
        let mut all = self.runs()?;
        let claim = run.idempotency_key.clone().map(|k| (run.user_id, k));
        if all.runs.contains_key(&(run.user_id, run.id))
            || claim.as_ref().is_some_and(|c| all.claims.contains_key(c))
        {
            return Err(RepoError::Conflict);
        }
        all.runs.insert((run.user_id, run.id), run.clone());
        if let Some(claim) = claim {
            all.claims.insert(claim, run.id);
        }
        Ok(())
    }

    async fn claimed(&self, user: &UserId, key: &str) -> Result<Option<BacktestRun>, RepoError> {
        let all = self.runs()?;
        Ok(all
            .claims
            .get(&(*user, key.to_owned()))
            .and_then(|id| all.runs.get(&(*user, *id)))
            .cloned())
    }

    async fn get(&self, user: &UserId, id: &BacktestId) -> Result<Option<BacktestRun>, RepoError> {
        Ok(self.runs()?.runs.get(&(*user, *id)).cloned())
    }

    async fn page(
        &self,
        user: &UserId,
        limit: u16,
        after: Option<BacktestId>,
    ) -> Result<Page<BacktestRun, BacktestId>, RepoError> {
        let all = self.runs()?;
        let mut mine: Vec<&BacktestRun> = all
            .runs
            .values()
            .filter(|r| &r.user_id == user && after.is_none_or(|a| r.id < a))
            .collect();
        mine.sort_by_key(|r| std::cmp::Reverse(r.id));
        let more = mine.len() > usize::from(limit);
        mine.truncate(usize::from(limit));
        Ok(Page {
            resume_after: more.then(|| mine.last().map(|r| r.id)).flatten(),
            items: mine.into_iter().cloned().collect(),
        })
    }

    async fn update(&self, run: &BacktestRun) -> Result<(), RepoError> {
        let mut all = self.runs()?;
        match all.runs.get_mut(&(run.user_id, run.id)) {
            Some(stored) if stored.version + 1 == run.version => {
                *stored = run.clone();
                Ok(())
            }
            _ => Err(RepoError::Conflict),
        }
    }

    async fn store_result(&self, run: &BacktestRun, result: &BacktestResult) -> Result<u32, RepoError> {
        let mut all = self.runs()?;
        all.results.insert(run.id, result.clone());
        all.results_stored += 1;
        if let Some(at) = all.cancel_on_store.take()
            && let Some(stored) = all.runs.get_mut(&(run.user_id, run.id))
            && let Some(cancelled) = stored.cancelled(at)
        {
            *stored = cancelled;
        }
        Ok(1)
    }

    async fn discard_result(&self, run: &BacktestRun, _parts: u32) -> Result<(), RepoError> {
        self.runs()?.results.remove(&run.id);
        Ok(())
    }

    async fn result(&self, run: &BacktestRun) -> Result<Option<BacktestResult>, RepoError> {
        Ok(self.runs()?.results.get(&run.id).cloned())
    }

    async fn delete(&self, run: &BacktestRun) -> Result<(), RepoError> {
        let mut all = self.runs()?;
        match all.runs.get(&(run.user_id, run.id)) {
            Some(stored) if stored.version == run.version => {
                all.runs.remove(&(run.user_id, run.id));
                all.results.remove(&run.id);
                all.claims.retain(|_, id| *id != run.id);
                Ok(())
            }
            _ => Err(RepoError::Conflict),
        }
    }
}
