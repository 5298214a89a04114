//! Trading modes in DynamoDB: one item per user under the user's partition (`TRADING_MODE`), holding
//! `mode` = `"paper"` or `"live"`, overwritten on every switch and read with a consistent read. A user
//! without the item trades on paper; an item whose mode cannot be read is an error, never paper by default.

use anyhow::Context as _;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tradesense_domain::broker::live::TradingMode;
use tradesense_domain::broker::ports::TradingModes;
use tradesense_domain::kernel::error::RepoError;
use tradesense_domain::kernel::ids::UserId;

use super::keys;
use super::table::Table;

#[derive(Debug, Serialize, Deserialize)]
struct TradingModeItem {
    pk: String,
    sk: String,
    entity: String,
    mode: TradingMode,
}

/// [`TradingModes`] over the single table.
#[derive(Clone, Debug)]
pub struct DynamoTradingModes {
    table: Table,
}

impl DynamoTradingModes {
    /// Modes in `table`.
    pub fn new(table: Table) -> Self {
        Self { table }
    }
}

#[async_trait]
impl TradingModes for DynamoTradingModes {
    async fn mode(&self, user: &UserId) -> Result<TradingMode, RepoError> {
        let Some(item) = self.table.get(&keys::trading_mode(user)).await? else {
            return Ok(TradingMode::Paper);
        };
        let item: TradingModeItem = serde_dynamo::from_item(item).context("decode trading mode")?;
        Ok(item.mode)
    }

    async fn set_mode(&self, user: &UserId, mode: TradingMode) -> Result<(), RepoError> {
        let key = keys::trading_mode(user);
        let item = serde_dynamo::to_item(TradingModeItem {
            pk: key.pk,
            sk: key.sk,
            entity: "trading_mode".into(),
            mode,
        })
        .context("encode trading mode")?;
        self.table.put(item, "trading mode").await?;
        Ok(())
    }
}
