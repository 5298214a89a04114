//! Operations' use cases: the kill switch, scheduled jobs, the deep health check, redrives, the operators' view
//! of accounts, and the metrics report.

pub mod accounts;
pub mod health;
pub mod jobs;
pub mod kill_switch;
pub mod metrics;
pub mod redrive;
