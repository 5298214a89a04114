//! Saved strategies in DynamoDB, under their owner's partition: each a document with its `version`.

use std::collections::HashMap;

use anyhow::Context as _;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{ReturnValue, Select};
use tradesense_domain::kernel::error::RepoError;
use tradesense_domain::kernel::ids::{StrategyId, UserId};
use tradesense_domain::kernel::page::Page;
use tradesense_domain::strategies::ports::StrategyStore;
use tradesense_domain::strategies::strategy::Strategy;

use super::document::{self, document, n, s};
use super::keys;
use super::table::{Item, PageQuery, Table};
use crate::aws::sdk_error;

/// [`StrategyStore`] over the single table.
#[derive(Clone, Debug)]
pub struct DynamoStrategyStore {
    table: Table,
}

impl DynamoStrategyStore {
    /// Strategies in `table`.
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    fn item(strategy: &Strategy) -> anyhow::Result<Item> {
        document(
            &keys::strategy(&strategy.user_id, &strategy.id),
            "strategy",
            strategy,
            Some(strategy.version),
        )
    }
}

#[async_trait]
impl StrategyStore for DynamoStrategyStore {
    async fn create(&self, strategy: &Strategy) -> Result<(), RepoError> {
        self.table.put_new(Self::item(strategy)?).await
    }

    async fn get(&self, user: &UserId, id: &StrategyId) -> Result<Option<Strategy>, RepoError> {
        document::one(&self.table, &keys::strategy(user, id)).await
    }

    async fn page(
        &self,
        user: &UserId,
        limit: u16,
        after: Option<StrategyId>,
    ) -> Result<Page<Strategy, StrategyId>, RepoError> {
        let query = PageQuery {
            on_gsi1: false,
            partition: keys::user_partition(user),
            sort_prefix: Some(keys::STRATEGY_PREFIX.to_owned()),
            filter: None,
            limit,
            descending: true,
        };
        let start = after.map(|id| keys::strategy(user, &id).to_attributes());
        let (items, resume) = document::page(&self.table, &query, start).await?;
        Ok(Page {
            items,
            resume_after: resume
                .map(|sk| sk.trim_start_matches(keys::STRATEGY_PREFIX).parse())
                .transpose()
                .context("resume key")?,
        })
    }

    async fn count(&self, user: &UserId) -> Result<usize, RepoError> {
        let mut counted = 0;
        let mut start = None;
        loop {
            let out = self
                .table
                .client()
                .query()
                .table_name(self.table.name())
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .expression_attribute_values(":pk", s(keys::user_partition(user)))
                .expression_attribute_values(":prefix", s(keys::STRATEGY_PREFIX))
                .select(Select::Count)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| sdk_error(e, "count strategies"))?;
            counted += usize::try_from(out.count).unwrap_or_default();
            match out.last_evaluated_key {
                Some(key) => start = Some(key),
                None => return Ok(counted),
            }
        }
    }

    async fn update(&self, strategy: &Strategy) -> Result<(), RepoError> {
        let previous = HashMap::from([(":previous".to_owned(), n(strategy.version.saturating_sub(1)))]);
        self.table
            .put_if(Self::item(strategy)?, "version = :previous", previous)
            .await
    }

    async fn delete(&self, user: &UserId, id: &StrategyId) -> Result<bool, RepoError> {
        let out = self
            .table
            .client()
            .delete_item()
            .table_name(self.table.name())
            .set_key(Some(keys::strategy(user, id).to_attributes()))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| sdk_error(e, "delete strategy"))?;
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
    }
}
