//! The paper broker's deployed wiring, shared by every function that trades or values positions (orders,
//! portfolio, the scheduler's tick): the DynamoDB ledger and kill switch, the simulated market behind the
//! shared quote cache, the current instrument master, the NSE calendar, the shipped charges and the risk
//! limits the deployment sets (`RISK_*`, defaults [`RiskLimits::default`]).

use std::str::FromStr as _;

use std::sync::Arc;

use rust_decimal::Decimal;

use tradesense_domain::kernel::time::Clock;
use tradesense_domain::market::calendar::MarketCalendar;
use tradesense_domain::market::service::cached::CachedMarketData;
use tradesense_domain::market::service::current::CurrentMaster;
use tradesense_domain::market::service::simulated::SimulatedMarket;
use tradesense_domain::trading::charges::{BrokeragePlan, ChargeSchedule};
use tradesense_domain::trading::ports::TradingLedger;
use tradesense_domain::trading::risk::RiskLimits;
use tradesense_domain::trading::service::{NotifyingLedger, OrderService, TradingContext};

use crate::AwsClients;
use crate::clock::market_clock;
use crate::config::{ConfigError, Vars, market_seed, optional, required};
use crate::dynamo::Table;
use crate::dynamo::instruments::DynamoInstrumentStore;
use crate::dynamo::kill_switch::DynamoKillSwitch;
use crate::dynamo::quote_cache::DynamoQuoteCache;
use crate::dynamo::trading::DynamoTradingLedger;
use crate::ids::UlidIds;
use crate::live::LiveConfig;
use crate::sqs::SqsPublisher;

/// What a paper-trading function reads from its environment. With `ORDER_EVENTS_QUEUE_URL` set, every
/// commit that fills, part-fills, rejects, expires or squares off an order publishes its event there; with
/// `STREAM_QUEUE_URL` set, every commit that changes an order publishes the order there, for the push
/// channel ([`NotifyingLedger`]).
#[derive(Clone)]
pub struct PaperConfig {
    /// The single table (`TABLE_NAME`).
    pub table_name: String,
    /// The simulated market's seed (`MARKET_SEED`).
    pub market_seed: u64,
    /// The market clock ([`market_clock`]: the wall clock in deployments; tests move it into market hours).
    pub clock: Arc<dyn Clock>,
    /// The per-account risk limits ([`risk_limits`]).
    pub limits: RiskLimits,
    /// Where order events go for notifications (`ORDER_EVENTS_QUEUE_URL`, the alert queue); none: no events.
    pub order_events_queue_url: Option<String>,
    /// Where every order change goes for the push channel (`STREAM_QUEUE_URL`, the stream queue); none: none.
    pub stream_queue_url: Option<String>,
}

impl PaperConfig {
    /// Reads the configuration from `vars`.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first missing or invalid variable.
    pub fn from_vars(vars: Vars<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: required(vars, "TABLE_NAME")?,
            market_seed: market_seed(vars)?,
            clock: market_clock(vars)?,
            limits: risk_limits(vars)?,
            order_events_queue_url: optional(vars, "ORDER_EVENTS_QUEUE_URL").filter(|u| !u.is_empty()),
            stream_queue_url: optional(vars, "STREAM_QUEUE_URL").filter(|u| !u.is_empty()),
        })
    }

    /// What the order use cases run on, as this configuration describes it: [`paper_trading`] with its risk
    /// limits.
    ///
    /// # Errors
    /// If the shipped holiday list or charges table does not parse.
    pub fn context(&self, aws: &AwsClients) -> anyhow::Result<TradingContext> {
        let trading = paper_trading(&self.table(aws), self.market_seed, self.clock.clone())?;
        let queue = |url: &String| Arc::new(SqsPublisher::new(aws.sqs.clone(), url));
        let ledger: Arc<dyn TradingLedger> = match (&self.order_events_queue_url, &self.stream_queue_url) {
            (None, None) => trading.ledger.clone(),
            (notifications, changes) => {
                let mut ledger = NotifyingLedger::new(trading.ledger.clone(), trading.ids.clone());
                if let Some(url) = notifications {
                    ledger = ledger.with_notifications(queue(url));
                }
                if let Some(url) = changes {
                    ledger = ledger.with_changes(queue(url));
                }
                Arc::new(ledger)
            }
        };
        Ok(TradingContext {
            limits: self.limits,
            ledger,
            ..trading
        })
    }

    /// The order use cases over [`context`](Self::context), with live mode: accounts switched to live trade at
    /// Upstox through `live`.
    ///
    /// # Errors
    /// As [`context`](Self::context), or if an HTTP client cannot be built.
    pub fn order_service(&self, aws: &AwsClients, live: &LiveConfig) -> anyhow::Result<OrderService> {
        Ok(OrderService::new(TradingContext {
            live: Some(Arc::new(live.desk(aws, &self.table(aws))?)),
            ..self.context(aws)?
        }))
    }

    /// The table this configuration names.
    pub fn table(&self, aws: &AwsClients) -> Table {
        Table::new(aws.dynamodb.clone(), &self.table_name)
    }
}

/// The risk limits `vars` set, each defaulting to [`RiskLimits::default`]'s: `RISK_MAX_OPEN_ORDERS` (working
/// orders per account, 1–1,000), `RISK_MAX_POSITION_VALUE` (rupees per instrument and product, above zero) and
/// `RISK_DAILY_LOSS_PERCENT` (of the account's funding, above 0 and at most 100).
///
/// # Errors
/// [`ConfigError::Invalid`] naming the first variable out of its range.
pub fn risk_limits(vars: Vars<'_>) -> Result<RiskLimits, ConfigError> {
    let defaults = RiskLimits::default();
    let invalid = |key: &str, reason: &str| ConfigError::Invalid {
        key: key.into(),
        reason: reason.into(),
    };
    let max_open_orders = match optional(vars, "RISK_MAX_OPEN_ORDERS") {
        None => defaults.max_open_orders,
        Some(v) => v
            .parse()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| invalid("RISK_MAX_OPEN_ORDERS", "not a whole number from 1 to 1000"))?,
    };
    let decimal = |key: &str, valid: &dyn Fn(Decimal) -> bool, reason: &str| {
        optional(vars, key)
            .map(|v| {
                Decimal::from_str(&v)
                    .ok()
                    .filter(|d| valid(*d))
                    .ok_or_else(|| invalid(key, reason))
            })
            .transpose()
    };
    let max_position_value = decimal(
        "RISK_MAX_POSITION_VALUE",
        &|d| d > Decimal::ZERO,
        "not an amount above zero",
    )?
    .unwrap_or(defaults.max_position_value);
    let daily_loss_fraction = decimal(
        "RISK_DAILY_LOSS_PERCENT",
        &|d| d > Decimal::ZERO && d <= Decimal::ONE_HUNDRED,
        "not a percentage above 0 and at most 100",
    )?
    .map_or(defaults.daily_loss_fraction, |p| p / Decimal::ONE_HUNDRED);
    Ok(RiskLimits {
        max_open_orders,
        max_position_value,
        daily_loss_fraction,
    })
}

/// What paper trading runs on over `table`: pricing with the simulated market of `market_seed`, on `clock`,
/// with ULID ids, the default risk limits and no live broker.
///
/// # Errors
/// If the shipped holiday list or charges table does not parse.
pub fn paper_trading(
    table: &Table,
    market_seed: u64,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<TradingContext> {
    let calendar = Arc::new(MarketCalendar::nse()?);
    let source = Arc::new(SimulatedMarket::new((*calendar).clone(), market_seed));
    Ok(TradingContext {
        ledger: Arc::new(DynamoTradingLedger::new(table.clone())),
        market: CachedMarketData::over(source, Arc::new(DynamoQuoteCache::new(table.clone()))),
        master: Arc::new(CurrentMaster::new(
            Arc::new(DynamoInstrumentStore::new(table.clone())),
            calendar.clone(),
        )),
        calendar,
        charges: Arc::new(ChargeSchedule::shipped()?),
        plan: BrokeragePlan::default(),
        limits: RiskLimits::default(),
        kill_switch: Arc::new(DynamoKillSwitch::new(table.clone())),
        clock,
        ids: Arc::new(UlidIds::default()),
        live: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits_from(set: &[(&str, &str)]) -> Result<RiskLimits, ConfigError> {
        let set: Vec<(String, String)> = set.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        risk_limits(&move |key: &str| set.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()))
    }

    #[test]
    fn unset_or_blank_limits_are_the_defaults() {
        assert_eq!(limits_from(&[]).unwrap(), RiskLimits::default());
        assert_eq!(
            limits_from(&[("RISK_MAX_OPEN_ORDERS", " "), ("RISK_DAILY_LOSS_PERCENT", "")]).unwrap(),
            RiskLimits::default()
        );
    }

    #[test]
    fn set_limits_are_read_with_the_percentage_as_a_fraction() {
        let limits = limits_from(&[
            ("RISK_MAX_OPEN_ORDERS", "2"),
            ("RISK_MAX_POSITION_VALUE", "500000.50"),
            ("RISK_DAILY_LOSS_PERCENT", "0.002"),
        ])
        .unwrap();
        assert_eq!(
            limits,
            RiskLimits {
                max_open_orders: 2,
                max_position_value: Decimal::new(50_000_050, 2),
                daily_loss_fraction: Decimal::new(2, 5),
            }
        );
    }

    #[test]
    fn out_of_range_limits_fail_at_start_naming_the_variable() {
        for (key, value) in [
            ("RISK_MAX_OPEN_ORDERS", "0"),
            ("RISK_MAX_OPEN_ORDERS", "1001"),
            ("RISK_MAX_OPEN_ORDERS", "-1"),
            ("RISK_MAX_OPEN_ORDERS", "ten"),
            ("RISK_MAX_POSITION_VALUE", "0"),
            ("RISK_MAX_POSITION_VALUE", "-5"),
            ("RISK_MAX_POSITION_VALUE", "lots"),
            ("RISK_DAILY_LOSS_PERCENT", "0"),
            ("RISK_DAILY_LOSS_PERCENT", "100.01"),
        ] {
            match limits_from(&[(key, value)]) {
                Err(ConfigError::Invalid { key: named, .. }) => assert_eq!(named, key, "{value}"),
                other => panic!("{key}={value}: {other:?}"),
            }
        }
    }
}
