//! Generic helpers over the single table: conditional puts that map to [`RepoError::Conflict`], transactions
//! that report which item's condition failed, and page-at-a-time queries.

use std::collections::HashMap;

use anyhow::Context as _;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, PutRequest, TransactWriteItem, WriteRequest};
use tradesense_domain::kernel::error::RepoError;

use super::keys::{GSI1, GSI1PK, GSI1SK, Key, PK, SK};
use crate::aws::sdk_error;

/// One item as DynamoDB attributes.
pub type Item = HashMap<String, AttributeValue>;

/// The table and a client for it.
#[derive(Clone, Debug)]
pub struct Table {
    client: Client,
    name: String,
}

/// A transaction did not commit.
#[derive(Debug, thiserror::Error)]
pub enum TransactError {
    /// DynamoDB cancelled it; one reason code per item, in request order (`None` where that item was fine).
    #[error("transaction cancelled: {reasons:?}")]
    Cancelled {
        /// Per-item cancellation codes, e.g. `ConditionalCheckFailed`.
        reasons: Vec<Option<String>>,
    },
    /// Anything else.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl TransactError {
    /// Indexes of the items whose condition failed.
    pub fn failed_conditions(&self) -> Vec<usize> {
        match self {
            TransactError::Cancelled { reasons } => reasons
                .iter()
                .enumerate()
                .filter(|(_, r)| r.as_deref() == Some("ConditionalCheckFailed"))
                .map(|(i, _)| i)
                .collect(),
            TransactError::Unexpected(_) => Vec::new(),
        }
    }
}

impl From<TransactError> for RepoError {
    fn from(e: TransactError) -> Self {
        if e.failed_conditions().is_empty() {
            RepoError::Unexpected(e.into())
        } else {
            RepoError::Conflict
        }
    }
}

/// One page of a query over a partition.
#[derive(Debug, Clone)]
pub struct PageQuery {
    /// Query GSI1 instead of the table.
    pub on_gsi1: bool,
    /// The partition key value.
    pub partition: String,
    /// Only sort keys starting with this.
    pub sort_prefix: Option<String>,
    /// Only items this filter keeps. DynamoDB applies it after reading a page, so a page may hold fewer
    /// items than `limit` (even none) while a resume key still leads on.
    pub filter: Option<PageFilter>,
    /// At most this many items (1..=200 at the API; enforced by the caller).
    pub limit: u16,
    /// Newest (highest sort key) first.
    pub descending: bool,
}

/// A DynamoDB filter expression with its placeholders (`#name`, `:value`; none may be `#pk`, `#sk`, `:pk`
/// or `:prefix`, which the query uses).
#[derive(Debug, Clone, Default)]
pub struct PageFilter {
    /// Conditions joined with AND.
    pub conditions: Vec<String>,
    /// `#name` → attribute name.
    pub names: HashMap<String, String>,
    /// `:value` → value.
    pub values: HashMap<String, AttributeValue>,
}

impl PageFilter {
    /// Adds `condition` (written with `#name` and `:value`) for attribute `attribute` and `value`.
    pub fn and(mut self, condition: &str, attribute: (&str, &str), value: (&str, AttributeValue)) -> Self {
        self.conditions.push(condition.to_owned());
        self.names.insert(attribute.0.to_owned(), attribute.1.to_owned());
        self.values.insert(value.0.to_owned(), value.1);
        self
    }
}

impl Table {
    /// The table `name` reached through `client`.
    pub fn new(client: Client, name: impl Into<String>) -> Self {
        Self {
            client,
            name: name.into(),
        }
    }

    /// The table's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The client, for repository-specific requests.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Puts `item`, replacing any item with its primary key; `what` names it in errors.
    ///
    /// # Errors
    /// Any request failure.
    pub async fn put(&self, item: Item, what: &str) -> anyhow::Result<()> {
        self.client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| sdk_error(e, &format!("put {what}")))?;
        Ok(())
    }

    /// Puts `item` only if no item with its primary key exists.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] if one exists; [`RepoError::Unexpected`] otherwise.
    pub async fn put_new(&self, item: Item) -> Result<(), RepoError> {
        self.put_if(item, "attribute_not_exists(pk)", HashMap::new())
            .await
    }

    /// Puts `item` only if `condition` (with `:placeholders` bound by `values`) holds.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] if it does not; [`RepoError::Unexpected`] otherwise.
    pub async fn put_if(
        &self,
        item: Item,
        condition: &str,
        values: HashMap<String, AttributeValue>,
    ) -> Result<(), RepoError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(item))
            .condition_expression(condition)
            .set_expression_attribute_values((!values.is_empty()).then_some(values))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e))
                if matches!(e.err(), PutItemError::ConditionalCheckFailedException(_)) =>
            {
                Err(RepoError::Conflict)
            }
            Err(e) => Err(sdk_error(e, "put item").into()),
        }
    }

    /// A transaction's put of `item` under `condition`, with `:version` bound to `version` when given.
    ///
    /// # Errors
    /// If the request does not build.
    pub fn put_write(
        &self,
        item: Item,
        condition: &str,
        version: Option<u64>,
    ) -> anyhow::Result<TransactWriteItem> {
        let put = Put::builder()
            .table_name(&self.name)
            .set_item(Some(item))
            .condition_expression(condition)
            .set_expression_attribute_values(
                version.map(|v| HashMap::from([(":version".to_owned(), AttributeValue::N(v.to_string()))])),
            )
            .build()
            .context("build put")?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Reads one item by primary key; `Ok(None)` when absent.
    ///
    /// # Errors
    /// Any request failure.
    pub async fn get(&self, key: &Key) -> anyhow::Result<Option<Item>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.name)
            .set_key(Some(key.to_attributes()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error(e, "get item"))?;
        Ok(out.item)
    }

    /// Puts `items` (unconditionally) in batches of 25, retrying what DynamoDB leaves unprocessed a few
    /// times; `what` names them in errors.
    ///
    /// # Errors
    /// A request failure, or items still unprocessed after the retries.
    pub async fn put_all(&self, items: Vec<Item>, what: &str) -> anyhow::Result<()> {
        let writes = items
            .into_iter()
            .map(|item| {
                let put = PutRequest::builder()
                    .set_item(Some(item))
                    .build()
                    .context("build put")?;
                Ok(WriteRequest::builder().put_request(put).build())
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        for chunk in writes.chunks(25) {
            let mut pending = chunk.to_vec();
            for _ in 0..5 {
                let response = self
                    .client
                    .batch_write_item()
                    .request_items(&self.name, pending)
                    .send()
                    .await
                    .map_err(|e| sdk_error(e, &format!("batch write {what}")))?;
                pending = response
                    .unprocessed_items
                    .and_then(|mut u| u.remove(&self.name))
                    .unwrap_or_default();
                if pending.is_empty() {
                    break;
                }
            }
            if !pending.is_empty() {
                anyhow::bail!("{} {what} left unprocessed", pending.len());
            }
        }
        Ok(())
    }

    /// Every item `query` (table, key condition and values already set) matches, page after page.
    ///
    /// # Errors
    /// Any request failure.
    pub async fn query_all(&self, query: QueryFluentBuilder, what: &str) -> anyhow::Result<Vec<Item>> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let page = query
                .clone()
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| sdk_error(e, &format!("query {what}")))?;
            items.extend(page.items.unwrap_or_default());
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(items),
            }
        }
    }

    /// Writes every item or none.
    ///
    /// # Errors
    /// [`TransactError::Cancelled`] with a reason per item when a condition fails (or on a conflict with
    /// another transaction); [`TransactError::Unexpected`] otherwise.
    pub async fn transact(&self, writes: Vec<TransactWriteItem>) -> Result<(), TransactError> {
        self.transact_request(writes, None).await
    }

    /// Like [`transact`](Self::transact) with a client request token: DynamoDB treats a repeat with the same
    /// token (a retry) within ten minutes as the same transaction.
    ///
    /// # Errors
    /// As [`transact`](Self::transact).
    pub async fn transact_with_token(
        &self,
        writes: Vec<TransactWriteItem>,
        token: &str,
    ) -> Result<(), TransactError> {
        self.transact_request(writes, Some(token)).await
    }

    async fn transact_request(
        &self,
        writes: Vec<TransactWriteItem>,
        token: Option<&str>,
    ) -> Result<(), TransactError> {
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(writes))
            .set_client_request_token(token.map(str::to_owned))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) => match e.into_err() {
                TransactWriteItemsError::TransactionCanceledException(c) => Err(TransactError::Cancelled {
                    reasons: c
                        .cancellation_reasons()
                        .iter()
                        .map(|r| r.code().filter(|c| *c != "None").map(str::to_owned))
                        .collect(),
                }),
                other => Err(anyhow::Error::new(other).context("transact write items").into()),
            },
            Err(e) => Err(sdk_error(e, "transact write items").into()),
        }
    }

    /// One page of `query` starting after `start_key`: the items and the key to resume after, if more may
    /// follow. Callers turn what they resume after into their own cursors
    /// ([`SignedCursors`](super::cursor::SignedCursors)), so no DynamoDB key reaches a client.
    ///
    /// # Errors
    /// The query failed.
    pub async fn query_from(
        &self,
        query: &PageQuery,
        start_key: Option<Item>,
    ) -> anyhow::Result<(Vec<Item>, Option<Item>)> {
        let (index, pk_attr, sk_attr) = if query.on_gsi1 {
            (Some(GSI1), GSI1PK, GSI1SK)
        } else {
            (None, PK, SK)
        };
        let mut condition = "#pk = :pk".to_owned();
        let mut names = HashMap::from([("#pk".to_owned(), pk_attr.to_owned())]);
        let mut values = HashMap::from([(":pk".to_owned(), AttributeValue::S(query.partition.clone()))]);
        if let Some(prefix) = &query.sort_prefix {
            condition.push_str(" AND begins_with(#sk, :prefix)");
            names.insert("#sk".to_owned(), sk_attr.to_owned());
            values.insert(":prefix".to_owned(), AttributeValue::S(prefix.clone()));
        }
        let filter = query
            .filter
            .as_ref()
            .filter(|f| !f.conditions.is_empty())
            .map(|f| {
                names.extend(f.names.clone());
                values.extend(f.values.clone());
                f.conditions.join(" AND ")
            });
        let limit = usize::from(query.limit.max(1));
        let out = self
            .client
            .query()
            .table_name(&self.name)
            .set_index_name(index.map(str::to_owned))
            .key_condition_expression(condition)
            .set_filter_expression(filter)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .scan_index_forward(!query.descending)
            // One extra item tells us whether another page exists, so the last page has no resume key.
            .limit(i32::from(query.limit.max(1)) + 1)
            .set_exclusive_start_key(start_key)
            .send()
            .await
            .map_err(|e| sdk_error(e, "query page"))?;
        let mut items = out.items.unwrap_or_default();
        let resume_key = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|last| key_of(last, index.is_some()))
        } else {
            // Fewer items than asked: DynamoDB's 1 MB page cap, or a filter that dropped some of the items
            // read, leaves a key here.
            out.last_evaluated_key
        };
        Ok((items, resume_key))
    }
}

/// The attributes DynamoDB needs to resume a query after `item`.
fn key_of(item: &Item, on_gsi1: bool) -> Item {
    let attrs: &[&str] = if on_gsi1 {
        &[PK, SK, GSI1PK, GSI1SK]
    } else {
        &[PK, SK]
    };
    attrs
        .iter()
        .filter_map(|a| item.get(*a).map(|v| ((*a).to_owned(), v.clone())))
        .collect()
}
