//! TradeSense's domain: pure types and rules, and the ports (traits) they need from the world.
//!
//! Nothing here performs I/O or names an AWS, Lambda or HTTP type; Cargo enforces that, because this crate
//! does not depend on any of them. Adapters in `tradesense-adapters` implement the ports.

pub mod account;
pub mod administration;
pub mod audit;
pub mod auth;
pub mod broker_link;
pub mod cookies;
pub mod events;
pub mod health;
pub mod ids;
pub mod jobs;
pub mod market;
pub mod mfa;
pub mod options;
pub mod paper;
pub mod password;
pub mod ports;
pub mod rate_limit;
pub mod sealed;
pub mod session;
pub mod token;
pub mod trading;
pub mod user;

#[cfg(any(test, feature = "test-util"))]
pub mod testing;
