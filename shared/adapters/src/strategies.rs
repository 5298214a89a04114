//! The strategies area's deployed wiring: saved strategies in the table, chains and prices from the paper
//! broker's market, and baskets placed by the order service (paper, or live at the linked broker).

use std::sync::Arc;

use tradesense_domain::strategies::service::{StrategiesContext, StrategyService};
use tradesense_domain::trading::service::{OrderService, TradingContext};

use crate::AwsClients;
use crate::dynamo::strategies::DynamoStrategyStore;
use crate::live::LiveConfig;
use crate::paper::PaperConfig;

/// The strategy use cases as `paper` and `live` describe them: the same market, master, clock and ids as
/// the order service placing their baskets.
///
/// # Errors
/// If the shipped holiday list or charges table does not parse, or an HTTP client cannot be built.
pub fn strategy_service(
    aws: &AwsClients,
    paper: &PaperConfig,
    live: &LiveConfig,
) -> anyhow::Result<StrategyService> {
    let table = paper.table(aws);
    let trading = paper.context(aws)?;
    let (market, master, clock, ids) = (
        trading.market.clone(),
        trading.master.clone(),
        trading.clock.clone(),
        trading.ids.clone(),
    );
    let context = StrategiesContext {
        store: Arc::new(DynamoStrategyStore::new(table.clone())),
        desk: Arc::new(OrderService::new(TradingContext {
            live: Some(Arc::new(live.desk(aws, &table)?)),
            ..trading
        })),
        market,
        master,
        clock,
        ids,
    };
    Ok(StrategyService::new(context))
}
