//! Operations' use cases: the kill switch, scheduled jobs, the deep health check, dead-letter redrive, the
//! operators' view of user accounts and the audit search.

pub mod accounts;
pub mod audit_search;
pub mod health;
pub mod jobs;
pub mod kill_switch;
pub mod redrive;
