//! Operations' use cases: the kill switch, scheduled jobs, the deep health check, dead-letter redrive, the
//! operators' view of user accounts, the audit search and the metrics report.

pub mod accounts;
pub mod audit_search;
pub mod health;
pub mod jobs;
pub mod kill_switch;
pub mod metrics;
pub mod redrive;
