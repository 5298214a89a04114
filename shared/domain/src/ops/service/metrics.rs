//! The admin metrics report: every HTTP function's requests, 4xx and 5xx counts and latency percentiles over a
//! window, every worker queue's depth, messages in flight, oldest message age and dead-letter depth, and the
//! kill switch. Admins only (the route checks); every read is audited.

use std::sync::Arc;

use serde_json::json;

use crate::audit::AuditKind;
use crate::audit::service::AuditTrail;
use crate::identity::rbac::Principal;
use crate::kernel::time::Clock;
use crate::ops::dead_letters::RedrivableQueue;
use crate::ops::metrics::{MetricsReport, MetricsWindow, QueueMetrics};
use crate::ops::ports::{KillSwitchStore, MetricStore, QueueDepths};

/// What the metrics report reads.
pub struct MetricsContext {
    /// The functions' request metrics and the queues' oldest-message ages.
    pub store: Arc<dyn MetricStore>,
    /// The queues' depths.
    pub queues: Arc<dyn QueueDepths>,
    /// The kill switch.
    pub kill_switch: Arc<dyn KillSwitchStore>,
    /// The HTTP functions whose metrics are read (binary names, in report order).
    pub functions: Vec<String>,
    /// Where the reads are audited.
    pub audit: AuditTrail,
    /// The wall clock.
    pub clock: Arc<dyn Clock>,
}

/// The metrics report.
pub struct Metrics {
    ctx: MetricsContext,
}

impl Metrics {
    /// The use case over `ctx`.
    pub fn new(ctx: MetricsContext) -> Self {
        Self { ctx }
    }

    /// The report over the `window` that ends now, read by `admin`: the store, the queues and the kill switch
    /// are read at once, then the read is audited.
    ///
    /// # Errors
    /// Any of the three failed (the cause says which; an unanswered call stays marked as such).
    pub async fn report(&self, admin: &Principal, window: MetricsWindow) -> anyhow::Result<MetricsReport> {
        let ctx = &self.ctx;
        let range = window.ending_at(ctx.clock.now());
        let queues = RedrivableQueue::ALL;
        let (stored, depths, kill_switch) = futures::try_join!(
            ctx.store.read(&range, &ctx.functions, &queues),
            ctx.queues.depths(&queues),
            async { anyhow::Ok(ctx.kill_switch.current().await?) },
        )?;
        let queues = depths
            .into_iter()
            .map(|depth| QueueMetrics {
                depth,
                oldest_age_seconds: stored
                    .oldest_message_ages
                    .iter()
                    .find(|(queue, _)| *queue == depth.queue)
                    .and_then(|(_, age)| *age),
            })
            .collect();
        ctx.audit
            .record(
                AuditKind::MetricsRead,
                Some(admin.user_id),
                ctx.clock.now(),
                json!({"window": window.as_str()}),
            )
            .await;
        Ok(MetricsReport {
            window,
            range,
            functions: stored.functions,
            queues,
            kill_switch,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::rbac::Role;
    use crate::kernel::ids::{SessionId, UserId};
    use crate::ops::kill_switch::KillSwitch;
    use crate::ops::metrics::{FunctionMetrics, LatencyHistogram, QueueDepth};
    use crate::testing::{
        FixedClock, FixedMetrics, FixedQueueDepths, InMemoryKillSwitch, RecordingPublisher, audit_trail,
    };

    fn admin() -> Principal {
        Principal {
            user_id: UserId::from_ulid(ulid::Ulid::from_parts(1, 1)),
            roles: vec![Role::Admin],
            session_id: SessionId::from_ulid(ulid::Ulid::from_parts(1, 2)),
        }
    }

    #[tokio::test]
    async fn the_report_joins_functions_queues_ages_and_the_kill_switch_and_is_audited() {
        let orders = FunctionMetrics {
            function: "orders-api".into(),
            requests: 7,
            errors_4xx: 2,
            errors_5xx: 1,
            latency: LatencyHistogram::from_counts([3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        };
        let store = FixedMetrics {
            functions: vec![orders.clone()],
            ages: vec![(RedrivableQueue::Alert, 42)],
        };
        let alert_depth = QueueDepth {
            queue: RedrivableQueue::Alert,
            depth: 5,
            in_flight: 1,
            dlq_depth: 2,
        };
        let kill_switch = Arc::new(InMemoryKillSwitch::default());
        let now = "2026-12-04T10:17:42Z".parse().unwrap();
        let switch = KillSwitch {
            enabled: true,
            reason: "exchange outage".into(),
            changed_by: admin().user_id,
            changed_at: now,
        };
        kill_switch.set(&switch).await.unwrap();
        let audit = Arc::new(RecordingPublisher::default());
        let metrics = Metrics::new(MetricsContext {
            store: Arc::new(store),
            queues: Arc::new(FixedQueueDepths(vec![alert_depth])),
            kill_switch,
            functions: vec!["orders-api".into(), "market-api".into()],
            audit: audit_trail(audit.clone()),
            clock: Arc::new(FixedClock(now)),
        });

        let report = metrics
            .report(&admin(), MetricsWindow::FiveMinutes)
            .await
            .unwrap();
        assert_eq!(report.range, MetricsWindow::FiveMinutes.ending_at(now));
        assert_eq!(report.functions, [orders, FunctionMetrics::idle("market-api")]);
        let queues: Vec<_> = report
            .queues
            .iter()
            .map(|q| (q.depth.queue, q.depth.depth, q.oldest_age_seconds))
            .collect();
        assert_eq!(
            queues,
            [
                (RedrivableQueue::Audit, 0, None),
                (RedrivableQueue::Backtest, 0, None),
                (RedrivableQueue::Alert, 5, Some(42)),
            ]
        );
        assert_eq!(report.queues[2].depth, alert_depth);
        assert_eq!(report.kill_switch, Some(switch));
        let published = audit.published();
        assert_eq!(published.len(), 1);
        assert_eq!(published[0].data["kind"], "METRICS_READ");
        assert_eq!(published[0].data["detail"], json!({"window": "5m"}));
    }
}
