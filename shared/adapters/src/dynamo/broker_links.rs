//! Broker links in DynamoDB: one item per user and broker under the user's partition, holding the sealed
//! access token (never the token itself) and a TTL at the token's expiry, after which the item is useless.

use crate::aws::sdk_error;
use anyhow::Context as _;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tradesense_domain::broker::link::{Broker, BrokerLink};
use tradesense_domain::broker::ports::BrokerLinkRepository;
use tradesense_domain::kernel::error::RepoError;
use tradesense_domain::kernel::ids::UserId;

use super::keys;
use super::table::Table;

/// How long after expiry an item is kept (so `me` can still say "expired" the next day).
const KEEP_AFTER_EXPIRY: chrono::Duration = chrono::Duration::days(7);

#[derive(Debug, Serialize, Deserialize)]
struct BrokerLinkItem {
    pk: String,
    sk: String,
    entity: String,
    user_id: UserId,
    broker: Broker,
    broker_user_id: String,
    sealed_access_token: String,
    linked_at: chrono::DateTime<chrono::Utc>,
    expires_at: chrono::DateTime<chrono::Utc>,
    ttl: i64,
}

/// [`BrokerLinkRepository`] over the single table.
#[derive(Clone, Debug)]
pub struct DynamoBrokerLinks {
    table: Table,
}

impl DynamoBrokerLinks {
    /// Links in `table`.
    pub fn new(table: Table) -> Self {
        Self { table }
    }
}

#[async_trait]
impl BrokerLinkRepository for DynamoBrokerLinks {
    async fn put(&self, link: &BrokerLink) -> Result<(), RepoError> {
        let key = keys::broker_link(&link.user_id, link.broker);
        let item = serde_dynamo::to_item(BrokerLinkItem {
            pk: key.pk,
            sk: key.sk,
            entity: "broker_link".into(),
            user_id: link.user_id,
            broker: link.broker,
            broker_user_id: link.broker_user_id.clone(),
            sealed_access_token: link.sealed_access_token.clone(),
            linked_at: link.linked_at,
            expires_at: link.expires_at,
            ttl: (link.expires_at + KEEP_AFTER_EXPIRY).timestamp(),
        })
        .context("encode broker link")?;
        self.table.put(item, "broker link").await?;
        Ok(())
    }

    async fn get(&self, user: &UserId, broker: Broker) -> Result<Option<BrokerLink>, RepoError> {
        let Some(item) = self.table.get(&keys::broker_link(user, broker)).await? else {
            return Ok(None);
        };
        let item: BrokerLinkItem = serde_dynamo::from_item(item).context("decode broker link")?;
        Ok(Some(BrokerLink {
            user_id: item.user_id,
            broker: item.broker,
            broker_user_id: item.broker_user_id,
            sealed_access_token: item.sealed_access_token,
            linked_at: item.linked_at,
            expires_at: item.expires_at,
        }))
    }

    async fn delete(&self, user: &UserId, broker: Broker) -> Result<bool, RepoError> {
        let out = self
            .table
            .client()
            .delete_item()
            .table_name(self.table.name())
            .set_key(Some(keys::broker_link(user, broker).to_attributes()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| sdk_error(e, "delete broker link"))?;
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
    }
}
