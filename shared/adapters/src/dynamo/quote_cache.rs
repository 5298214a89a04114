//! The quote cache in DynamoDB: one item per instrument (`QUOTE#<key>`) holding the quote as JSON and when it
//! was fetched, read with `BatchGetItem` (100 keys a call) and written with `BatchWriteItem` (25 a call).
//! Items carry a TTL a minute out so the table cleans itself; freshness is decided by `fetched_at`, never by
//! TTL deletion (which can lag by hours).

use crate::aws::sdk_error;
use std::collections::HashMap;

use anyhow::Context as _;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, PutRequest, WriteRequest};
use chrono::{DateTime, Utc};
use tradesense_domain::kernel::error::RepoError;
use tradesense_domain::market::instrument::InstrumentKey;
use tradesense_domain::market::ports::QuoteCache;
use tradesense_domain::market::quote::Quote;

use super::keys;
use super::table::Table;

/// How long an item lives before DynamoDB may delete it.
const ITEM_TTL: chrono::Duration = chrono::Duration::seconds(60);

/// [`QuoteCache`] over the single table.
#[derive(Clone, Debug)]
pub struct DynamoQuoteCache {
    table: Table,
}

impl DynamoQuoteCache {
    /// The cache in `table`.
    pub fn new(table: Table) -> Self {
        Self { table }
    }
}

fn decode(item: &HashMap<String, AttributeValue>) -> Option<(InstrumentKey, (Quote, DateTime<Utc>))> {
    let key = InstrumentKey::from_text(item.get("instrument")?.as_s().ok()?);
    let quote: Quote = serde_json::from_str(item.get("quote")?.as_s().ok()?).ok()?;
    let fetched_at = DateTime::parse_from_rfc3339(item.get("fetched_at")?.as_s().ok()?)
        .ok()?
        .with_timezone(&Utc);
    Some((key, (quote, fetched_at)))
}

#[async_trait]
impl QuoteCache for DynamoQuoteCache {
    async fn get(
        &self,
        wanted: &[InstrumentKey],
    ) -> Result<HashMap<InstrumentKey, (Quote, DateTime<Utc>)>, RepoError> {
        let mut out = HashMap::with_capacity(wanted.len());
        for chunk in wanted.chunks(100) {
            let request = KeysAndAttributes::builder()
                .set_keys(Some(
                    chunk
                        .iter()
                        .map(|k| keys::cached_quote(k).to_attributes())
                        .collect(),
                ))
                .build()
                .context("build batch get")?;
            let response = self
                .table
                .client()
                .batch_get_item()
                .request_items(self.table.name(), request)
                .send()
                .await
                .map_err(|e| sdk_error(e, "batch get cached quotes"))?;
            // Unprocessed keys are simply misses.
            let items = response
                .responses
                .and_then(|mut r| r.remove(self.table.name()))
                .unwrap_or_default();
            out.extend(items.iter().filter_map(decode));
        }
        Ok(out)
    }

    async fn put(
        &self,
        quotes: &HashMap<InstrumentKey, Quote>,
        fetched_at: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        let ttl = (fetched_at + ITEM_TTL).timestamp();
        let writes = quotes
            .iter()
            .map(|(instrument, quote)| {
                let mut item = keys::cached_quote(instrument).to_attributes();
                item.insert("entity".into(), AttributeValue::S("cached_quote".into()));
                item.insert("instrument".into(), AttributeValue::S(instrument.to_string()));
                item.insert(
                    "quote".into(),
                    AttributeValue::S(serde_json::to_string(quote).context("encode quote")?),
                );
                item.insert("fetched_at".into(), AttributeValue::S(fetched_at.to_rfc3339()));
                item.insert(keys::TTL.into(), AttributeValue::N(ttl.to_string()));
                let put = PutRequest::builder()
                    .set_item(Some(item))
                    .build()
                    .context("build put")?;
                Ok(WriteRequest::builder().put_request(put).build())
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        for chunk in writes.chunks(25) {
            let response = self
                .table
                .client()
                .batch_write_item()
                .request_items(self.table.name(), chunk.to_vec())
                .send()
                .await
                .map_err(|e| sdk_error(e, "batch write cached quotes"))?;
            let unprocessed = response
                .unprocessed_items
                .map_or(0, |u| u.values().map(Vec::len).sum());
            if unprocessed > 0 {
                // A cache write is best effort: those instruments are simply fetched again next time.
                tracing::debug!(unprocessed, "quote cache writes left unprocessed");
            }
        }
        Ok(())
    }
}
