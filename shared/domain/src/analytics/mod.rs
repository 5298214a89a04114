//! Analytics on a trader's own account. So far: realized P&L split the way Indian income tax treats it
//! (`tax`: FIFO lots, intraday equity, F&O, short- and long-term capital gains, each with its charges and
//! turnover), computed from the account's fills. Then `service`.

pub mod service;
pub mod tax;
