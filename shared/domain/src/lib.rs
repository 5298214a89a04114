//! TradeSense's domain: pure types and rules, the ports (traits) they need from the world, and the use cases
//! over them.
//!
//! Nothing here performs I/O or names an AWS, Lambda or HTTP type; Cargo enforces that, because this crate
//! does not depend on any of them. Adapters in `tradesense-adapters` implement the ports.
//!
//! Layout: a small [`kernel`] under one folder per area. Inside an area, model files ← `ports.rs` ← `service`;
//! an area may use another area's model and ports, never its service (docs/architecture.md).

pub mod alerts;
pub mod analytics;
pub mod audit;
pub mod backtest;
pub mod broker;
pub mod identity;
pub mod kernel;
pub mod market;
pub mod ops;
pub mod strategies;
pub mod stream;
pub mod trading;

#[cfg(any(test, feature = "test-util"))]
pub mod testing;
