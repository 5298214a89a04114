//! Operations' use cases: the kill switch, scheduled jobs and the deep health check.

pub mod accounts;
pub mod health;
pub mod jobs;
pub mod kill_switch;
pub mod redrive;
