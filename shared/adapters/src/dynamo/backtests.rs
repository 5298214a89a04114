//! Backtest runs in DynamoDB, under their owner's partition: the run as a document with its `version` and
//! `status`, its idempotency claim, and its result as a JSON text cut into parts of at most [`PART_BYTES`]
//! (an item holds 400 KB; a run's curves can hold more), read back whole and checked against the count the
//! run records.

use std::collections::HashMap;

use anyhow::Context as _;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Delete, TransactWriteItem};
use tradesense_domain::backtest::ports::BacktestStore;
use tradesense_domain::backtest::run::{BacktestResult, BacktestRun};
use tradesense_domain::kernel::error::RepoError;
use tradesense_domain::kernel::ids::{BacktestId, UserId};
use tradesense_domain::kernel::page::Page;

use super::document::{self, document, n, s};
use super::keys::{self, Key};
use super::table::{Item, PageQuery, Table, TransactError};

/// The most bytes of a result one part holds.
pub const PART_BYTES: usize = 300 * 1024;

/// [`BacktestStore`] over the single table.
#[derive(Clone, Debug)]
pub struct DynamoBacktestStore {
    table: Table,
}

impl DynamoBacktestStore {
    /// Runs in `table`.
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    fn run_item(run: &BacktestRun) -> anyhow::Result<Item> {
        let mut item = document(
            &keys::backtest(&run.user_id, &run.id),
            "backtest",
            run,
            Some(run.version),
        )?;
        let status = serde_json::to_value(run.status)?;
        item.insert("status".into(), s(status.as_str().unwrap_or_default()));
        Ok(item)
    }

    fn delete_item(&self, key: &Key, version: Option<u64>) -> anyhow::Result<TransactWriteItem> {
        let delete = Delete::builder()
            .table_name(self.table.name())
            .set_key(Some(key.to_attributes()))
            .set_condition_expression(version.map(|_| "version = :version".to_owned()))
            .set_expression_attribute_values(version.map(|v| HashMap::from([(":version".to_owned(), n(v))])))
            .build()
            .context("build delete")?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    async fn transact(&self, writes: Vec<TransactWriteItem>) -> Result<(), RepoError> {
        self.table.transact(writes).await.map_err(|e| match e {
            TransactError::Cancelled { .. } if !e.failed_conditions().is_empty() => RepoError::Conflict,
            other => RepoError::Unexpected(other.into()),
        })
    }
}

/// `text` cut into pieces of at most `max` bytes, each on a character boundary.
fn parts(text: &str, max: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let mut end = rest.len().min(max);
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        let (part, tail) = rest.split_at(end);
        out.push(part);
        rest = tail;
    }
    out
}

#[async_trait]
impl BacktestStore for DynamoBacktestStore {
    async fn create(&self, run: &BacktestRun) -> Result<(), RepoError> {
        let mut writes =
            vec![
                self.table
                    .put_write(Self::run_item(run)?, "attribute_not_exists(pk)", None)?,
            ];
        if let Some(key) = &run.idempotency_key {
            let mut claim = keys::backtest_claim(&run.user_id, key).to_attributes();
            claim.insert("entity".into(), s("backtest_claim"));
            claim.insert("run_id".into(), s(run.id.to_string()));
            writes.push(self.table.put_write(claim, "attribute_not_exists(pk)", None)?);
        }
        self.transact(writes).await
    }

    async fn claimed(&self, user: &UserId, key: &str) -> Result<Option<BacktestRun>, RepoError> {
        let Some(claim) = self.table.get(&keys::backtest_claim(user, key)).await? else {
            return Ok(None);
        };
        let id: BacktestId = claim
            .get("run_id")
            .and_then(|v| v.as_s().ok())
            .context("backtest claim without its run")?
            .parse()
            .context("backtest claim's run id")?;
        self.get(user, &id).await
    }

    async fn get(&self, user: &UserId, id: &BacktestId) -> Result<Option<BacktestRun>, RepoError> {
        document::one(&self.table, &keys::backtest(user, id)).await
    }

    async fn page(
        &self,
        user: &UserId,
        limit: u16,
        after: Option<BacktestId>,
    ) -> Result<Page<BacktestRun, BacktestId>, RepoError> {
        let query = PageQuery {
            on_gsi1: false,
            partition: keys::user_partition(user),
            sort_prefix: Some(keys::BACKTEST_PREFIX.to_owned()),
            filter: None,
            limit,
            descending: true,
        };
        let start = after.map(|id| keys::backtest(user, &id).to_attributes());
        let (items, resume) = document::page(&self.table, &query, start).await?;
        Ok(Page {
            items,
            resume_after: resume
                .map(|sk| sk.trim_start_matches(keys::BACKTEST_PREFIX).parse())
                .transpose()
                .context("resume key")?,
        })
    }

    async fn update(&self, run: &BacktestRun) -> Result<(), RepoError> {
        let previous = HashMap::from([(":previous".to_owned(), n(run.version.saturating_sub(1)))]);
        self.table
            .put_if(Self::run_item(run)?, "version = :previous", previous)
            .await
    }

    async fn store_result(&self, run: &BacktestRun, result: &BacktestResult) -> Result<u32, RepoError> {
        let text = serde_json::to_string(result).context("serialize backtest result")?;
        let pieces = parts(&text, PART_BYTES);
        let items = pieces
            .iter()
            .enumerate()
            .map(|(i, piece)| {
                let index = u32::try_from(i).context("too many parts")?;
                let mut item = keys::backtest_result_part(&run.user_id, &run.id, index).to_attributes();
                item.insert("entity".into(), s("backtest_result_part"));
                item.insert("text".into(), s(*piece));
                Ok(item)
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let count = u32::try_from(items.len()).context("too many parts")?;
        self.table.put_all(items, "backtest result parts").await?;
        Ok(count)
    }

    async fn discard_result(&self, run: &BacktestRun, parts: u32) -> Result<(), RepoError> {
        let deletes = (0..parts)
            .map(|index| self.delete_item(&keys::backtest_result_part(&run.user_id, &run.id, index), None))
            .collect::<anyhow::Result<Vec<_>>>()?;
        // A transaction holds at most 100 writes.
        for chunk in deletes.chunks(100) {
            self.transact(chunk.to_vec()).await?;
        }
        Ok(())
    }

    async fn result(&self, run: &BacktestRun) -> Result<Option<BacktestResult>, RepoError> {
        if run.result_parts == 0 {
            return Ok(None);
        }
        let mut text = String::new();
        for index in 0..run.result_parts {
            let key = keys::backtest_result_part(&run.user_id, &run.id, index);
            let item = self
                .table
                .get(&key)
                .await?
                .with_context(|| format!("backtest {} result part {index} missing", run.id))?;
            text.push_str(
                item.get("text")
                    .and_then(|v| v.as_s().ok())
                    .context("result part without text")?,
            );
        }
        Ok(Some(
            serde_json::from_str(&text).context("stored backtest result")?,
        ))
    }

    async fn delete(&self, run: &BacktestRun) -> Result<(), RepoError> {
        let mut writes = vec![self.delete_item(&keys::backtest(&run.user_id, &run.id), Some(run.version))?];
        if let Some(key) = &run.idempotency_key {
            writes.push(self.delete_item(&keys::backtest_claim(&run.user_id, key), None)?);
        }
        for index in 0..run.result_parts {
            writes.push(self.delete_item(&keys::backtest_result_part(&run.user_id, &run.id, index), None)?);
        }
        self.transact(writes).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_text_is_cut_on_character_boundaries_and_joins_back_whole() {
        let text = "₹1,00,000 and more ".repeat(50);
        let pieces = parts(&text, 64);
        assert!(pieces.iter().all(|p| p.len() <= 64));
        assert_eq!(pieces.concat(), text);
        assert!(parts("", 64).is_empty());
    }
}
