//! Upstox (<https://upstox.com/developer/api-documentation>): the login flow that links accounts ([`auth`]),
//! market data behind the `MarketData` port ([`market`]), orders and the account behind the `LiveBroker` port
//! ([`orders`], reading statuses with [`status`]) and the instrument-file parser ([`instruments`]).

pub mod auth;
pub mod instruments;
pub mod market;
pub mod orders;
pub mod status;

pub use auth::{DEFAULT_BASE_URL, SecretBackedUpstox, UpstoxApp, UpstoxAuthClient};
