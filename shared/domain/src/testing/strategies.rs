//! An in-memory [`StrategyStore`] keeping its contract: a new strategy only once and within the cap, later
//! versions only over the one before, newest first.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::kernel::error::RepoError;
use crate::kernel::ids::{StrategyId, UserId};
use crate::kernel::page::Page;
use crate::strategies::ports::StrategyStore;
use crate::strategies::strategy::Strategy;

/// Every strategy, by owner and id.
type Strategies = BTreeMap<(UserId, StrategyId), Strategy>;

/// A [`StrategyStore`] in memory.
#[derive(Debug, Default)]
pub struct InMemoryStrategyStore {
    strategies: Mutex<Strategies>,
}

impl InMemoryStrategyStore {
    fn all(&self) -> Result<std::sync::MutexGuard<'_, Strategies>, RepoError> {
        self.strategies
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned").into())
    }
}

#[async_trait]
impl StrategyStore for InMemoryStrategyStore {
    async fn create(&self, strategy: &Strategy, cap: usize) -> Result<(), RepoError> {
        let mut all = self.all()?;
        let key = (strategy.user_id, strategy.id);
        let kept = all.keys().filter(|(owner, _)| *owner == strategy.user_id).count();
        if all.contains_key(&key) || kept >= cap {
            return Err(RepoError::Conflict);
        }
        all.insert(key, strategy.clone());
        Ok(())
    }

    async fn get(&self, user: &UserId, id: &StrategyId) -> Result<Option<Strategy>, RepoError> {
        Ok(self.all()?.get(&(*user, *id)).cloned())
    }

    async fn page(
        &self,
        user: &UserId,
        limit: u16,
        after: Option<StrategyId>,
    ) -> Result<Page<Strategy, StrategyId>, RepoError> {
        let all = self.all()?;
        let mut mine: Vec<&Strategy> = all
            .values()
            .filter(|s| &s.user_id == user && after.is_none_or(|a| s.id < a))
            .collect();
        mine.sort_by_key(|s| std::cmp::Reverse(s.id));
        let more = mine.len() > usize::from(limit);
        mine.truncate(usize::from(limit));
        Ok(Page {
            resume_after: more.then(|| mine.last().map(|s| s.id)).flatten(),
            items: mine.into_iter().cloned().collect(),
        })
    }

    async fn update(&self, strategy: &Strategy) -> Result<(), RepoError> {
        let mut all = self.all()?;
        match all.get_mut(&(strategy.user_id, strategy.id)) {
            Some(stored) if stored.version + 1 == strategy.version => {
                *stored = strategy.clone();
                Ok(())
            }
            _ => Err(RepoError::Conflict),
        }
    }

    async fn delete(&self, user: &UserId, id: &StrategyId) -> Result<bool, RepoError> {
        Ok(self.all()?.remove(&(*user, *id)).is_some())
    }
}
