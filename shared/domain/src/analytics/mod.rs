//! Analytics on a trader's own account, computed from its fills. So far: realized P&L split the way Indian
//! income tax treats it (`tax`: FIFO lots, intraday equity, F&O, short- and long-term capital gains, each
//! with its charges and turnover) and trade statistics by group over those lots (`trades`). Then `service`.

pub mod service;
pub mod tax;
pub mod trades;
