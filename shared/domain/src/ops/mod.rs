//! Operations: the platform kill switch, scheduled jobs, the deep health check and redriving dead-letter
//! queues.

pub mod dead_letters;
pub mod health;
pub mod jobs;
pub mod kill_switch;
pub mod ports;
pub mod service;
