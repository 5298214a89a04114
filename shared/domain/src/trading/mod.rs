//! Trading rules: charges on fills, and positions with their P&L.

pub mod charges;
pub mod position;
