//! Trading rules: order validation and the order state machine, charges on fills, margins, positions with
//! their P&L, and the paper broker.

pub mod charges;
pub mod end_of_day;
pub mod kill_switch;
pub mod live;
pub mod live_desk;
pub mod margin;
pub mod order;
pub mod paper;
pub mod portfolio;
pub mod position;
pub mod risk;
pub mod service;
