//! Live mode's deployed wiring, shared by the functions that trade or read a live account (orders,
//! portfolio): the Upstox order client, Upstox's instrument list, users' sealed Upstox tokens and each
//! account's trading mode in the table.

use std::sync::Arc;

use tradesense_domain::trading::service::LiveDesk;

use crate::AwsClients;
use crate::broker_tokens::SealedBrokerTokens;
use crate::clock::SystemClock;
use crate::config::{ConfigError, Vars, optional, required};
use crate::dynamo::Table;
use crate::dynamo::broker_links::DynamoBrokerLinks;
use crate::dynamo::trading_modes::DynamoTradingModes;
use crate::secrets::SecretsProvider;
use crate::upstox::instrument_keys::{DEFAULT_INSTRUMENTS_URL, UpstoxInstrumentKeys};
use crate::upstox::orders::{DEFAULT_ORDER_BASE_URL, UpstoxOrderClient};

/// What a live-trading function reads from its environment.
#[derive(Clone, Debug)]
pub struct LiveConfig {
    /// The secret whose key seals broker tokens at rest (`DATA_KEY_SECRET_ID`).
    pub data_key_secret_id: String,
    /// Upstox's API host for the account reads (`UPSTOX_BASE_URL`, default the production host).
    pub upstox_base_url: String,
    /// Upstox's order host (`UPSTOX_ORDER_BASE_URL`, default [`DEFAULT_ORDER_BASE_URL`]).
    pub upstox_order_base_url: String,
    /// Upstox's instruments file (`UPSTOX_INSTRUMENTS_URL`, default [`DEFAULT_INSTRUMENTS_URL`]).
    pub upstox_instruments_url: String,
}

impl LiveConfig {
    /// Reads the configuration from `vars`.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first missing variable.
    pub fn from_vars(vars: Vars<'_>) -> Result<Self, ConfigError> {
        let or = |key: &str, default: &str| optional(vars, key).unwrap_or_else(|| default.to_owned());
        Ok(Self {
            data_key_secret_id: required(vars, "DATA_KEY_SECRET_ID")?,
            upstox_base_url: or("UPSTOX_BASE_URL", crate::upstox::DEFAULT_BASE_URL),
            upstox_order_base_url: or("UPSTOX_ORDER_BASE_URL", DEFAULT_ORDER_BASE_URL),
            upstox_instruments_url: or("UPSTOX_INSTRUMENTS_URL", DEFAULT_INSTRUMENTS_URL),
        })
    }

    /// Live mode's ports over `table` and Upstox.
    ///
    /// # Errors
    /// If an HTTP client cannot be built.
    pub fn desk(&self, aws: &AwsClients, table: &Table) -> anyhow::Result<LiveDesk> {
        Ok(LiveDesk {
            broker: Arc::new(UpstoxOrderClient::new(
                &self.upstox_order_base_url,
                &self.upstox_base_url,
            )?),
            instruments: Arc::new(UpstoxInstrumentKeys::new(&self.upstox_instruments_url)?),
            tokens: Arc::new(SealedBrokerTokens::new(
                Arc::new(DynamoBrokerLinks::new(table.clone())),
                SecretsProvider::new(aws.secrets.clone(), SecretsProvider::DEFAULT_TTL),
                &self.data_key_secret_id,
            )),
            modes: Arc::new(DynamoTradingModes::new(table.clone())),
            clock: Arc::new(SystemClock),
        })
    }
}
