//! The market an order meets: its instrument, its quote (and its underlying's price), whether the exchange
//! is open, and the charge rates of the day, all at one instant.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::kernel::time::ist;
use crate::market::instrument::{Instrument, InstrumentKey};
use crate::market::master::InstrumentMaster;
use crate::market::quote::Quote;
use crate::trading::charges::{BrokeragePlan, ChargeRates};
use crate::trading::paper::{Market, charge_segment};
use crate::trading::request::Product;
use crate::trading::service::{OrderService, PlaceError};

/// The market for one instrument at one instant, owned so placements can borrow it.
pub(super) struct Priced {
    master: Arc<InstrumentMaster>,
    key: InstrumentKey,
    pub(super) quote: Quote,
    underlying_price: Decimal,
    pub(super) open: bool,
    rates: ChargeRates,
}

impl Priced {
    /// The instrument priced.
    pub(super) fn instrument(&self) -> Result<&Instrument, PlaceError> {
        self.master
            .get(self.key.as_str())
            .ok_or(PlaceError::UnknownInstrument)
    }

    /// The paper broker's view of this market for `instrument`, charged by `plan`.
    pub(super) fn market<'a>(&'a self, instrument: &'a Instrument, plan: &'a BrokeragePlan) -> Market<'a> {
        Market {
            instrument,
            quote: &self.quote,
            underlying_price: self.underlying_price,
            open: self.open,
            rates: &self.rates,
            plan,
        }
    }
}

impl OrderService {
    /// The market for trading `instrument` with `product` at `now`.
    pub(super) async fn priced(
        &self,
        instrument: &str,
        product: Product,
        now: DateTime<Utc>,
    ) -> Result<Priced, PlaceError> {
        let master = self.ctx.master.get(now).await?;
        let listed = master.get(instrument).ok_or(PlaceError::UnknownInstrument)?;
        let underlying = listed
            .underlying
            .as_ref()
            .and_then(|key| master.get(key.as_str()));
        let wanted: Vec<_> = std::iter::once(listed).chain(underlying).collect();
        let quotes = self.ctx.market.quotes(&master, &wanted, now).await?;
        let quote = quotes
            .get(&listed.key)
            .ok_or_else(|| anyhow::anyhow!("no quote for {}", listed.key))?
            .clone();
        let underlying_price = underlying
            .and_then(|u| quotes.get(&u.key))
            .map_or(quote.last_price, |q| q.last_price);
        let rates = self
            .ctx
            .charges
            .rates_on(
                charge_segment(listed, product),
                now.with_timezone(&ist()).date_naive(),
            )
            .map_err(anyhow::Error::from)?
            .clone();
        Ok(Priced {
            open: self.ctx.calendar.status(listed.exchange, now).open,
            key: listed.key.clone(),
            master,
            quote,
            underlying_price,
            rates,
        })
    }
}
