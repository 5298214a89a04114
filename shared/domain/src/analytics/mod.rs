//! Analytics on a trader's own account. From its fills: realized P&L split the way Indian income tax treats
//! it (`tax`: FIFO lots, intraday equity, F&O, short- and long-term capital gains, each with its charges and
//! turnover) and trade statistics by group over those lots (`trades`). From its end-of-day snapshots
//! (`snapshot`, replayed from the fills and marked at each close): the time-weighted equity curve (`curve`)
//! and performance (`performance`). Then `ports` and `service`.

pub mod curve;
pub mod performance;
pub mod ports;
pub mod service;
pub mod snapshot;
pub mod tax;
pub mod trades;
