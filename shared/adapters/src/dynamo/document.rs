//! Aggregates stored as JSON documents: an item holding a value's JSON (`doc`, decimals as exact strings)
//! beside the attributes conditions need (`entity`, `version`), and the reads that give the values back.

use anyhow::Context as _;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tradesense_domain::kernel::error::RepoError;

use super::keys::{self, Key};
use super::{Item, PageQuery, Table};

/// A string attribute.
pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// A number attribute, written from the value's exact text (never through a float).
pub fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// An item at `key` holding `value` as its document, tagged `entity`, with `version` when given.
///
/// # Errors
/// If `value` does not serialize.
pub fn document<T: Serialize>(
    key: &Key,
    entity: &str,
    value: &T,
    version: Option<u64>,
) -> anyhow::Result<Item> {
    let mut item = key.to_attributes();
    item.insert("entity".into(), s(entity));
    item.insert(
        "doc".into(),
        s(serde_json::to_string(value).context("serialize")?),
    );
    if let Some(version) = version {
        item.insert("version".into(), n(version));
    }
    Ok(item)
}

/// The value an item's document holds.
///
/// # Errors
/// If the item has no document or it does not parse.
pub fn from_document<T: DeserializeOwned>(item: &Item) -> anyhow::Result<T> {
    let doc = item
        .get("doc")
        .and_then(|v| v.as_s().ok())
        .context("item without doc")?;
    serde_json::from_str(doc).context("stored document")
}

/// The document at `key`, if any.
///
/// # Errors
/// Storage failures or a document that does not parse.
pub async fn one<T: DeserializeOwned>(table: &Table, key: &Key) -> Result<Option<T>, RepoError> {
    match table.get(key).await? {
        Some(item) => Ok(Some(from_document(&item)?)),
        None => Ok(None),
    }
}

/// One page of the documents `query` finds, after `start`: the documents and the sort key to resume after.
///
/// # Errors
/// Storage failures or a document that does not parse.
pub async fn page<T: DeserializeOwned>(
    table: &Table,
    query: &PageQuery,
    start: Option<Item>,
) -> Result<(Vec<T>, Option<String>), RepoError> {
    let (items, resume) = table.query_from(query, start).await?;
    let documents = items.iter().map(from_document).collect::<anyhow::Result<_>>()?;
    let resume = resume
        .as_ref()
        .and_then(|key| key.get(keys::SK))
        .and_then(|sk| sk.as_s().ok())
        .cloned();
    Ok((documents, resume))
}
