//! The deep health check: probe every dependency concurrently, time each, and say which failed.

use std::sync::Arc;
use std::time::Instant;

use crate::ops::health::{DependencyStatus, HealthReport};
use crate::ops::ports::DependencyCheck;

/// Probes every dependency at once. Failures are logged with their full chain by the caller-provided
/// `on_failure`, never put in the report (which may reach a client).
pub async fn check_dependencies(
    checks: &[Arc<dyn DependencyCheck>],
    on_failure: impl Fn(&'static str, &anyhow::Error),
) -> HealthReport {
    let probes = checks.iter().map(|c| async move {
        let started = Instant::now();
        let result = c.check().await;
        (c.name(), result, started.elapsed())
    });
    let dependencies: Vec<DependencyStatus> = futures::future::join_all(probes)
        .await
        .into_iter()
        .map(|(name, result, elapsed)| {
            if let Err(e) = &result {
                on_failure(name, e);
            }
            DependencyStatus {
                name,
                status: if result.is_ok() { "ok" } else { "down" },
                latency_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            }
        })
        .collect();
    let status = if dependencies.iter().all(|d| d.status == "ok") {
        "ok"
    } else {
        "degraded"
    };
    HealthReport { status, dependencies }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::StaticCheck;
    use std::sync::Mutex;

    #[tokio::test]
    async fn reports_ok_when_every_dependency_answers() {
        let checks: Vec<Arc<dyn DependencyCheck>> = vec![
            Arc::new(StaticCheck::up("dynamodb")),
            Arc::new(StaticCheck::up("sqs")),
        ];
        let report = check_dependencies(&checks, |_, _| {}).await;
        assert!(report.is_healthy());
        assert_eq!(report.status, "ok");
        assert_eq!(
            report.dependencies.iter().map(|d| d.name).collect::<Vec<_>>(),
            ["dynamodb", "sqs"]
        );
    }

    #[tokio::test]
    async fn names_the_failing_dependency_and_keeps_the_cause_out_of_the_report() {
        let checks: Vec<Arc<dyn DependencyCheck>> = vec![
            Arc::new(StaticCheck::up("dynamodb")),
            Arc::new(StaticCheck::down("sqs", "connect refused")),
        ];
        let logged = Mutex::new(Vec::new());
        let report = check_dependencies(&checks, |name, e| {
            logged.lock().unwrap().push(format!("{name}: {e}"))
        })
        .await;
        assert_eq!(report.status, "degraded");
        assert_eq!(report.failing(), ["sqs"]);
        assert_eq!(*logged.lock().unwrap(), ["sqs: connect refused"]);
        assert!(!serde_json::to_string(&report).unwrap().contains("refused"));
    }
}
