//! The deep health check: probe every dependency concurrently, time each, and say which failed.

use serde::Serialize;

/// The outcome of probing one dependency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DependencyStatus {
    /// The dependency (`dynamodb`, `sqs`, `secretsmanager`).
    pub name: &'static str,
    /// `ok` or `down`.
    pub status: &'static str,
    /// Round-trip time of the probe, in milliseconds.
    pub latency_ms: u64,
}

/// The outcome of probing every dependency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HealthReport {
    /// `ok` when every dependency is ok, else `degraded`.
    pub status: &'static str,
    /// One entry per dependency, in the order they were given.
    pub dependencies: Vec<DependencyStatus>,
}

impl HealthReport {
    /// Whether every dependency is ok.
    pub fn is_healthy(&self) -> bool {
        self.dependencies.iter().all(|d| d.status == "ok")
    }

    /// Names of the dependencies that are down.
    pub fn failing(&self) -> Vec<&'static str> {
        self.dependencies
            .iter()
            .filter(|d| d.status != "ok")
            .map(|d| d.name)
            .collect()
    }
}
