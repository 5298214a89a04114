//! The single DynamoDB table: key formats ([`keys`], the only place they exist), generic table helpers
//! ([`table`]), signed pagination cursors ([`cursor`]) and one repository module per aggregate.

pub mod alerts;
pub mod audit;
pub mod backtests;
pub mod broker_links;
pub mod cursor;
pub mod daily_history;
pub mod document;
pub mod instruments;
pub mod jobs;
pub mod keys;
pub mod kill_switch;
pub mod quote_cache;
pub mod rate_limits;
pub mod sessions;
pub mod snapshots;
pub mod strategies;
pub mod stream;
pub mod table;
pub mod trading;
pub mod trading_modes;
pub mod users;

pub use cursor::CursorCodec;
pub use table::{Item, PageFilter, PageQuery, Table, TransactError};
