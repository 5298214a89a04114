//! Market data rules: instruments and their tick sizes, the exchange calendar and sessions, derivative
//! expiries, and the instrument master.

pub mod cached;
pub mod calendar;
pub mod candles;
pub mod chain;
pub mod current;
pub mod expiry;
pub mod history;
pub mod instrument;
pub mod master;
pub mod quote;
pub mod simulated;
