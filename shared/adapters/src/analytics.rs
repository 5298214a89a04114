//! The analytics area's deployed wiring: the end-of-day snapshot job over the single table, pricing each
//! close with the paper book's own market, master, calendar and clock.

use std::sync::Arc;

use tradesense_domain::analytics::service::snapshots::{SnapshotContext, SnapshotService};
use tradesense_domain::trading::service::TradingContext;

use crate::dynamo::Table;
use crate::dynamo::snapshots::DynamoSnapshotStore;
use crate::dynamo::users::DynamoUserRepository;

/// The snapshot job over `table` and the paper book of `trading`.
pub fn snapshot_job(table: &Table, trading: &TradingContext) -> SnapshotService {
    SnapshotService::new(SnapshotContext {
        ledger: trading.ledger.clone(),
        snapshots: Arc::new(DynamoSnapshotStore::new(table.clone())),
        directory: Arc::new(DynamoUserRepository::new(table.clone())),
        market: trading.market.clone(),
        master: trading.master.clone(),
        calendar: trading.calendar.clone(),
        clock: trading.clock.clone(),
    })
}
