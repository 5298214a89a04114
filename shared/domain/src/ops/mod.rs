//! Operations: the platform kill switch, scheduled jobs, the deep health check, redriving dead-letter
//! queues, and request and queue metrics.

pub mod dead_letters;
pub mod health;
pub mod jobs;
pub mod kill_switch;
pub mod metrics;
pub mod ports;
pub mod service;
