//! Saved strategies in DynamoDB, under their owner's partition: each a document with its `version`, and a
//! per-owner count changed in the same transaction as every create and delete, which holds the cap under
//! concurrent saves.

use std::collections::HashMap;

use anyhow::Context as _;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Delete, TransactWriteItem, Update};
use tradesense_domain::kernel::error::RepoError;
use tradesense_domain::kernel::ids::{StrategyId, UserId};
use tradesense_domain::kernel::page::Page;
use tradesense_domain::strategies::ports::StrategyStore;
use tradesense_domain::strategies::strategy::Strategy;

use super::document::{self, document, n};
use super::keys;
use super::table::{Item, PageQuery, Table};

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
    async fn create(&self, strategy: &Strategy, cap: usize) -> Result<(), RepoError> {
        let count = Update::builder()
            .table_name(self.table.name())
            .set_key(Some(keys::strategy_count(&strategy.user_id).to_attributes()))
            .update_expression("ADD saved :one")
            .condition_expression("attribute_not_exists(saved) OR saved < :cap")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":cap", n(cap))
            .build()
            .context("build strategy count")?;
        let writes = vec![
            self.table
                .put_write(Self::item(strategy)?, "attribute_not_exists(pk)", None)?,
            TransactWriteItem::builder().update(count).build(),
        ];
        self.table.transact(writes).await.map_err(RepoError::from)
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

    async fn update(&self, strategy: &Strategy) -> Result<(), RepoError> {
        let previous = HashMap::from([(":previous".to_owned(), n(strategy.version.saturating_sub(1)))]);
        self.table
            .put_if(Self::item(strategy)?, "version = :previous", previous)
            .await
    }

    async fn delete(&self, user: &UserId, id: &StrategyId) -> Result<bool, RepoError> {
        let delete = Delete::builder()
            .table_name(self.table.name())
            .set_key(Some(keys::strategy(user, id).to_attributes()))
            .condition_expression("attribute_exists(pk)")
            .build()
            .context("build delete")?;
        let count = Update::builder()
            .table_name(self.table.name())
            .set_key(Some(keys::strategy_count(user).to_attributes()))
            .update_expression("ADD saved :minus")
            .expression_attribute_values(":minus", n(-1))
            .build()
            .context("build strategy count")?;
        let writes = vec![
            TransactWriteItem::builder().delete(delete).build(),
            TransactWriteItem::builder().update(count).build(),
        ];
        match self.table.transact(writes).await.map_err(RepoError::from) {
            Ok(()) => Ok(true),
            Err(RepoError::Conflict) => Ok(false),
            Err(e) => Err(e),
        }
    }
}
