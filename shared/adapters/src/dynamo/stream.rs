//! The push channel's tickets and connections in DynamoDB.
//!
//! - A ticket is one item keyed by its hash, with a TTL at its expiry; taking it is a `DeleteItem` returning
//!   the old item, so of any number of takes one gets it.
//! - A connection is one document keyed by API Gateway's connection id, on GSI1 under its user; beside it,
//!   one item per subscribed instrument in the `QUOTE_SUBSCRIBERS` partition (the ticker's one query) and
//!   one in `RECONNECT_DUE` sorted by when its reconnect is due. Every item expires with the connection.

use std::collections::BTreeMap;

use anyhow::Context as _;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Delete, Put, ReturnValue, TransactWriteItem};
use chrono::{DateTime, Utc};
use tradesense_domain::kernel::error::RepoError;
use tradesense_domain::kernel::ids::UserId;
use tradesense_domain::market::instrument::InstrumentKey;
use tradesense_domain::stream::connection::{Connection, ConnectionId, QuoteMode};
use tradesense_domain::stream::fanout::{Subscriber, SubscriberIndex};
use tradesense_domain::stream::ports::{ConnectionStore, TicketStore};
use tradesense_domain::stream::ticket::{TicketHash, TicketRecord};

use super::document::{self, document, from_document, n, s};
use super::keys::{self, Key};
use super::table::{Item, Table};
use crate::aws::sdk_error;

/// DynamoDB's limit of items in one transaction.
const MAX_TRANSACTION_ITEMS: usize = 100;

/// [`TicketStore`] over the single table.
#[derive(Clone, Debug)]
pub struct DynamoTicketStore {
    table: Table,
}

impl DynamoTicketStore {
    /// Tickets in `table`.
    pub fn new(table: Table) -> Self {
        Self { table }
    }
}

#[async_trait]
impl TicketStore for DynamoTicketStore {
    async fn put(&self, ticket: &TicketRecord) -> Result<(), RepoError> {
        let mut item = document(&keys::ticket(&ticket.hash), "ticket", ticket, None)?;
        item.insert(keys::TTL.into(), n(ticket.expires_at.timestamp()));
        self.table.put_new(item).await
    }

    async fn take(&self, hash: &TicketHash) -> Result<Option<TicketRecord>, RepoError> {
        let taken = self
            .table
            .client()
            .delete_item()
            .table_name(self.table.name())
            .set_key(Some(keys::ticket(hash).to_attributes()))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| sdk_error(e, "take ticket"))?;
        match taken.attributes {
            Some(item) if !item.is_empty() => Ok(Some(from_document(&item)?)),
            _ => Ok(None),
        }
    }
}

/// [`ConnectionStore`] over the single table.
#[derive(Clone, Debug)]
pub struct DynamoConnectionStore {
    table: Table,
}

impl DynamoConnectionStore {
    /// Connections in `table`.
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    /// The connection's own item: its document, its user's GSI1 key, its expiry.
    fn item(connection: &Connection) -> anyhow::Result<Item> {
        let mut item = document(
            &keys::connection(&connection.id),
            "connection",
            connection,
            Some(connection.version),
        )?;
        let (pk, sk) = keys::user_connection(&connection.user_id, connection.connected_at, &connection.id);
        item.insert(keys::GSI1PK.into(), s(pk));
        item.insert(keys::GSI1SK.into(), s(sk));
        item.insert(keys::TTL.into(), n(connection.expires_at.timestamp()));
        Ok(item)
    }

    /// A plain item at `key` with `fields`, expiring with `connection`.
    fn entry(key: &Key, connection: &Connection, fields: &[(&str, String)]) -> Item {
        let mut item = key.to_attributes();
        item.insert("connection_id".into(), s(connection.id.as_str()));
        item.insert(keys::TTL.into(), n(connection.expires_at.timestamp()));
        for (name, value) in fields {
            item.insert((*name).into(), s(value.clone()));
        }
        item
    }

    /// The subscriber item of `connection` watching `instrument` in `mode`.
    fn subscriber(connection: &Connection, instrument: &InstrumentKey, mode: QuoteMode) -> Item {
        let mode = match mode {
            QuoteMode::Ltp => "ltp",
            QuoteMode::Quote => "quote",
        };
        Self::entry(
            &keys::quote_subscriber(instrument, &connection.id),
            connection,
            &[("instrument", instrument.to_string()), ("mode", mode.to_owned())],
        )
    }

    fn put_write(&self, item: Item) -> anyhow::Result<TransactWriteItem> {
        let put = Put::builder()
            .table_name(self.table.name())
            .set_item(Some(item))
            .build()
            .context("build put")?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    fn delete_write(&self, key: &Key) -> anyhow::Result<TransactWriteItem> {
        let delete = Delete::builder()
            .table_name(self.table.name())
            .set_key(Some(key.to_attributes()))
            .build()
            .context("build delete")?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// Writes `first` (holding any condition) with `rest` in one transaction when they fit, else `first`
    /// with as many as fit and the rest after, a transaction at a time (the index may then lag: the port
    /// allows it).
    async fn write(&self, mut writes: Vec<TransactWriteItem>) -> Result<(), RepoError> {
        let rest = writes.split_off(writes.len().min(MAX_TRANSACTION_ITEMS));
        self.table.transact(writes).await.map_err(RepoError::from)?;
        for chunk in rest.chunks(MAX_TRANSACTION_ITEMS) {
            self.table
                .transact(chunk.to_vec())
                .await
                .map_err(RepoError::from)?;
        }
        Ok(())
    }
}

#[async_trait]
impl ConnectionStore for DynamoConnectionStore {
    async fn put(&self, connection: &Connection) -> Result<(), RepoError> {
        let mut writes = vec![
            self.table
                .put_write(Self::item(connection)?, "attribute_not_exists(pk)", None)?,
            self.put_write(Self::entry(
                &keys::reconnect_due(connection.reconnect_at(), &connection.id),
                connection,
                &[],
            ))?,
        ];
        for (instrument, mode) in &connection.subscriptions.quotes {
            writes.push(self.put_write(Self::subscriber(connection, instrument, *mode))?);
        }
        self.write(writes).await
    }

    async fn get(&self, id: &ConnectionId) -> Result<Option<Connection>, RepoError> {
        document::one(&self.table, &keys::connection(id)).await
    }

    async fn update(&self, before: &Connection, after: &Connection) -> Result<(), RepoError> {
        let mut writes =
            vec![
                self.table
                    .put_write(Self::item(after)?, "version = :version", Some(before.version))?,
            ];
        let (was, now) = (&before.subscriptions.quotes, &after.subscriptions.quotes);
        for (instrument, mode) in now {
            if was.get(instrument) != Some(mode) {
                writes.push(self.put_write(Self::subscriber(after, instrument, *mode))?);
            }
        }
        for instrument in was.keys().filter(|i| !now.contains_key(*i)) {
            writes.push(self.delete_write(&keys::quote_subscriber(instrument, &after.id))?);
        }
        self.write(writes).await
    }

    async fn delete(&self, id: &ConnectionId) -> Result<(), RepoError> {
        let Some(connection) = self.get(id).await? else {
            return Ok(());
        };
        let mut writes = vec![
            self.delete_write(&keys::connection(id))?,
            self.delete_write(&keys::reconnect_due(connection.reconnect_at(), id))?,
        ];
        for instrument in connection.subscriptions.quotes.keys() {
            writes.push(self.delete_write(&keys::quote_subscriber(instrument, id))?);
        }
        self.write(writes).await
    }

    async fn of_user(&self, user: &UserId) -> Result<Vec<Connection>, RepoError> {
        let query = self
            .table
            .client()
            .query()
            .table_name(self.table.name())
            .index_name(keys::GSI1)
            .key_condition_expression("gsi1pk = :pk")
            .expression_attribute_values(":pk", s(keys::user_connections(user)));
        let items = self.table.query_all(query, "connections of a user").await?;
        Ok(items.iter().map(from_document).collect::<anyhow::Result<_>>()?)
    }

    async fn subscribers(&self) -> Result<SubscriberIndex, RepoError> {
        let query = self
            .table
            .client()
            .query()
            .table_name(self.table.name())
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(keys::QUOTE_SUBSCRIBERS));
        let items = self.table.query_all(query, "quote subscribers").await?;
        let mut index: SubscriberIndex = BTreeMap::new();
        for item in &items {
            let field = |name: &str| {
                item.get(name)
                    .and_then(|v| v.as_s().ok())
                    .with_context(|| format!("quote subscriber without {name}"))
            };
            let instrument = InstrumentKey::parse(field("instrument")?).context("subscriber instrument")?;
            let connection = field("connection_id")?
                .parse()
                .map_err(|_| anyhow::anyhow!("subscriber connection id"))?;
            let mode = match field("mode")?.as_str() {
                "quote" => QuoteMode::Quote,
                _ => QuoteMode::Ltp,
            };
            index
                .entry(instrument)
                .or_default()
                .push(Subscriber { connection, mode });
        }
        Ok(index)
    }

    async fn due_for_reconnect(&self, now: DateTime<Utc>) -> Result<Vec<ConnectionId>, RepoError> {
        let query = self
            .table
            .client()
            .query()
            .table_name(self.table.name())
            .key_condition_expression("pk = :pk AND sk <= :now")
            .expression_attribute_values(":pk", s(keys::RECONNECT_DUE))
            .expression_attribute_values(":now", s(format!("{}#~", keys::sortable_time(now))));
        let items = self.table.query_all(query, "reconnects due").await?;
        let mut due = Vec::new();
        for item in items {
            // Each entry is handed out once: to whichever caller deletes it.
            let key = Key {
                pk: keys::RECONNECT_DUE.to_owned(),
                sk: item
                    .get(keys::SK)
                    .and_then(|v| v.as_s().ok())
                    .context("reconnect entry without its key")?
                    .clone(),
            };
            let deleted = self
                .table
                .client()
                .delete_item()
                .table_name(self.table.name())
                .set_key(Some(key.to_attributes()))
                .return_values(ReturnValue::AllOld)
                .send()
                .await
                .map_err(|e| sdk_error(e, "take reconnect entry"))?;
            let id = deleted
                .attributes
                .and_then(|old| old.get("connection_id").and_then(|v| v.as_s().ok()).cloned());
            if let Some(id) = id {
                due.push(
                    id.parse()
                        .map_err(|_| anyhow::anyhow!("reconnect connection id"))?,
                );
            }
        }
        Ok(due)
    }
}
