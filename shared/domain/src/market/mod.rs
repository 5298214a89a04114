//! Market data: instruments and their tick sizes, the exchange calendar and sessions, derivative expiries,
//! the instrument master, quotes, candles, option chains and option maths. Its implementations over its
//! ports (the simulated market, the quote cache, the current master) are in [`service`].

pub mod calendar;
pub mod candles;
pub mod chain;
pub mod expiry;
pub mod history;
pub mod instrument;
pub mod master;
pub mod options;
pub mod ports;
pub mod quote;
pub mod service;
