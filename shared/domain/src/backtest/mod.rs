//! Backtests: a long-only strategy over an instrument's history, run by a worker off the queue. The request
//! and its rules ([`request`]), the indicators, the engine and the metrics (pure, exact money), the run as
//! stored ([`run`]), where runs are kept ([`ports`]) and the use cases ([`service`]: submit, read, cancel,
//! execute).

pub mod engine;
pub mod indicators;
pub mod metrics;
pub mod ports;
pub mod request;
pub mod run;
pub mod service;
