//! The instrument master in DynamoDB as dated snapshots: each snapshot's instruments in JSON parts of 500
//! under `INSTRUMENTS#<snapshot id>` (well under the 400 KB item limit), and one pointer item
//! (`INSTRUMENTS` / `CURRENT`) naming the current snapshot and its part count. The pointer is written last,
//! so readers switch to a snapshot only once all of it is stored. Parts expire by TTL a week later.

use anyhow::Context as _;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use tradesense_domain::kernel::error::RepoError;
use tradesense_domain::market::instrument::Instrument;
use tradesense_domain::market::master::InstrumentSnapshot;
use tradesense_domain::market::ports::InstrumentStore;

use super::keys;
use super::table::Table;

/// Instruments per part item.
const PART_SIZE: usize = 500;
/// How long a snapshot's parts outlive their publication.
const KEEP: chrono::Duration = chrono::Duration::days(7);

/// [`InstrumentStore`] over the single table.
#[derive(Clone, Debug)]
pub struct DynamoInstrumentStore {
    table: Table,
}

impl DynamoInstrumentStore {
    /// Snapshots in `table`.
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    async fn pointer(&self) -> Result<Option<(String, u32, usize)>, RepoError> {
        let Some(item) = self.table.get(&keys::instrument_pointer()).await? else {
            return Ok(None);
        };
        let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
        let number = |name: &str| {
            item.get(name)
                .and_then(|v| v.as_n().ok())
                .and_then(|n| n.parse::<usize>().ok())
        };
        let id = text("snapshot_id").context("instrument pointer without snapshot_id")?;
        let version = number("version").context("instrument pointer without version")?;
        let parts = number("parts").context("instrument pointer without parts")?;
        Ok(Some((id, u32::try_from(version).context("version")?, parts)))
    }
}

#[async_trait]
impl InstrumentStore for DynamoInstrumentStore {
    async fn publish(&self, snapshot: &InstrumentSnapshot) -> Result<(), RepoError> {
        let ttl = (chrono::Utc::now() + KEEP).timestamp().to_string();
        let parts = snapshot
            .instruments
            .chunks(PART_SIZE)
            .enumerate()
            .map(|(i, chunk)| {
                let mut item = keys::instrument_part(&snapshot.id, i).to_attributes();
                item.insert("entity".into(), AttributeValue::S("instrument_part".into()));
                item.insert(
                    "instruments".into(),
                    AttributeValue::S(serde_json::to_string(chunk).context("encode instruments")?),
                );
                item.insert(keys::TTL.into(), AttributeValue::N(ttl.clone()));
                Ok(item)
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let count = parts.len();
        self.table
            .put_all(parts, "instrument parts")
            .await
            .context("the old snapshot stays current")?;
        let mut pointer = keys::instrument_pointer().to_attributes();
        pointer.insert("entity".into(), AttributeValue::S("instrument_pointer".into()));
        pointer.insert("snapshot_id".into(), AttributeValue::S(snapshot.id.clone()));
        pointer.insert("version".into(), AttributeValue::N(snapshot.version.to_string()));
        pointer.insert("parts".into(), AttributeValue::N(count.to_string()));
        self.table.put(pointer, "instrument pointer").await?;
        Ok(())
    }

    async fn current_id(&self) -> Result<Option<String>, RepoError> {
        Ok(self.pointer().await?.map(|(id, _, _)| id))
    }

    async fn current(&self) -> Result<Option<InstrumentSnapshot>, RepoError> {
        let Some((id, version, parts)) = self.pointer().await? else {
            return Ok(None);
        };
        // Every part at once: a reload is one round trip after the pointer, not one per part.
        let part_keys: Vec<_> = (0..parts).map(|i| keys::instrument_part(&id, i)).collect();
        let items = futures::future::try_join_all(part_keys.iter().map(|key| self.table.get(key))).await?;
        let mut instruments: Vec<Instrument> = Vec::new();
        for (i, item) in items.into_iter().enumerate() {
            let item = item.with_context(|| format!("instrument snapshot {id} is missing part {i}"))?;
            let json = item
                .get("instruments")
                .and_then(|v| v.as_s().ok())
                .with_context(|| format!("instrument part {i} of {id} has no instruments"))?;
            let chunk: Vec<Instrument> =
                serde_json::from_str(json).with_context(|| format!("decode part {i} of {id}"))?;
            instruments.extend(chunk);
        }
        Ok(Some(InstrumentSnapshot {
            id,
            version,
            instruments,
        }))
    }
}
