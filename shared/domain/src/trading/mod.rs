//! Trading rules: order validation and the order state machine, charges on fills, and positions with their
//! P&L.

pub mod charges;
pub mod margin;
pub mod order;
pub mod position;
