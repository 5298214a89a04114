//! Redriving a dead-letter queue: an admin moves the messages a worker gave up on back to its queue (after
//! the fault is fixed), at most [`MAX_REDRIVE`] at a time; every redrive is audited with what moved.

use std::sync::Arc;

use serde_json::json;

use crate::audit::AuditKind;
use crate::audit::service::AuditTrail;
use crate::identity::rbac::Principal;
use crate::kernel::time::Clock;
use crate::ops::dead_letters::{MAX_REDRIVE, RedrivableQueue};
use crate::ops::ports::DeadLetters;

/// Redriving dead-letter queues.
pub struct Redrive {
    dead_letters: Arc<dyn DeadLetters>,
    audit: AuditTrail,
    clock: Arc<dyn Clock>,
}

impl Redrive {
    /// The use case over its ports.
    pub fn new(dead_letters: Arc<dyn DeadLetters>, audit: AuditTrail, clock: Arc<dyn Clock>) -> Self {
        Self {
            dead_letters,
            audit,
            clock,
        }
    }

    /// Moves `queue`'s dead letters back to it on behalf of `admin` (whose permission the route has
    /// checked): how many moved. A redrive that fails part-way is audited with what it moved.
    ///
    /// # Errors
    /// The queue service failed.
    pub async fn redrive(&self, admin: &Principal, queue: RedrivableQueue) -> anyhow::Result<usize> {
        let result = self.dead_letters.redrive(queue, MAX_REDRIVE).await;
        let detail = match &result {
            Ok(moved) => json!({"queue": queue.name(), "moved": moved}),
            Err(e) => json!({"queue": queue.name(), "failed": e.to_string()}),
        };
        self.audit
            .record(
                AuditKind::DeadLettersRedriven,
                Some(admin.user_id),
                self.clock.now(),
                detail,
            )
            .await;
        result
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use async_trait::async_trait;

    use super::*;
    use crate::identity::rbac::Role;
    use crate::kernel::ids::{SessionId, UserId};
    use crate::testing::{FixedClock, RecordingPublisher, audit_trail};

    /// Dead letters in memory: `waiting` per queue; moving fails after `fail_after` messages if set.
    struct Letters {
        waiting: Mutex<Vec<(RedrivableQueue, usize)>>,
        fail_after: Option<usize>,
    }

    #[async_trait]
    impl DeadLetters for Letters {
        async fn redrive(&self, queue: RedrivableQueue, max: usize) -> anyhow::Result<usize> {
            let mut waiting = self.waiting.lock().unwrap();
            let entry = waiting.iter_mut().find(|(q, _)| *q == queue).unwrap();
            let moved = entry.1.min(max);
            if let Some(limit) = self.fail_after.filter(|l| *l < moved) {
                entry.1 -= limit;
                anyhow::bail!("queue service down after {limit}");
            }
            entry.1 -= moved;
            Ok(moved)
        }
    }

    fn admin() -> Principal {
        Principal {
            user_id: UserId::from_ulid(ulid::Ulid::from_parts(1, 1)),
            roles: vec![Role::Admin],
            session_id: SessionId::from_ulid(ulid::Ulid::from_parts(1, 2)),
        }
    }

    #[tokio::test]
    async fn a_redrive_moves_at_most_the_cap_and_is_audited_even_when_it_fails() {
        let audit = Arc::new(RecordingPublisher::default());
        let letters = Arc::new(Letters {
            waiting: Mutex::new(vec![
                (RedrivableQueue::Audit, MAX_REDRIVE + 5),
                (RedrivableQueue::Alert, 0),
            ]),
            fail_after: None,
        });
        let clock = Arc::new(FixedClock("2026-11-25T05:30:00Z".parse().unwrap()));
        let redrive = Redrive::new(letters.clone(), audit_trail(audit.clone()), clock.clone());
        assert_eq!(
            redrive.redrive(&admin(), RedrivableQueue::Audit).await.unwrap(),
            MAX_REDRIVE
        );
        assert_eq!(
            redrive.redrive(&admin(), RedrivableQueue::Audit).await.unwrap(),
            5
        );
        assert_eq!(
            redrive.redrive(&admin(), RedrivableQueue::Alert).await.unwrap(),
            0
        );
        assert_eq!(audit.published().len(), 3);

        let failing = Redrive::new(
            Arc::new(Letters {
                waiting: Mutex::new(vec![(RedrivableQueue::Backtest, 7)]),
                fail_after: Some(3),
            }),
            audit_trail(audit.clone()),
            clock,
        );
        assert!(
            failing
                .redrive(&admin(), RedrivableQueue::Backtest)
                .await
                .is_err()
        );
        assert_eq!(audit.published().len(), 4, "a failed redrive is audited too");
        assert_eq!(
            RedrivableQueue::from_name("backtest"),
            Some(RedrivableQueue::Backtest)
        );
        assert_eq!(RedrivableQueue::from_name("scheduler"), None);
    }
}
