//! The operators' audit search: every audit event, or one user's, of one kind, in a time range, newest first,
//! a page at a time. Admins only (the route checks), and every search is itself audited.
//!
//! One user's events are one partition to read, however long the range. Every user's are read a UTC day at a
//! time, so one call covers at most [`MAX_DAYS_PER_CALL`] days of the range: its page may then be short, or
//! empty, and still lead on to the older days.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveTime, Utc};
use serde_json::json;

use crate::audit::ports::{AuditLog, AuditQuery};
use crate::audit::search::{AuditFilter, AuditPosition, AuditResume};
use crate::audit::service::AuditTrail;
use crate::audit::{AuditEvent, AuditKind};
use crate::identity::rbac::Principal;
use crate::kernel::page::Page;
use crate::kernel::time::Clock;

/// The range searched when `from` is not given: this many days before `to`.
pub const DEFAULT_RANGE_DAYS: i64 = 7;
/// The longest range one search may ask for.
pub const MAX_RANGE_DAYS: i64 = 366;
/// The most UTC days of the daily index one call reads (without a user).
pub const MAX_DAYS_PER_CALL: i64 = 31;

/// Why a search was refused.
#[derive(Debug, thiserror::Error)]
pub enum AuditSearchError {
    /// `from` is after `to`.
    #[error("must not be after to")]
    FromAfterTo,
    /// The range is longer than [`MAX_RANGE_DAYS`].
    #[error("must be at most {MAX_RANGE_DAYS} days before to")]
    RangeTooLong,
    /// Storage failed.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

crate::storage_failures_are_unexpected!(AuditSearchError);

/// Searching the audit log.
pub struct AuditSearch {
    log: Arc<dyn AuditLog>,
    audit: AuditTrail,
    clock: Arc<dyn Clock>,
}

impl AuditSearch {
    /// The use case over its ports.
    pub fn new(log: Arc<dyn AuditLog>, audit: AuditTrail, clock: Arc<dyn Clock>) -> Self {
        Self { log, audit, clock }
    }

    /// One page of the events `filter` asks for, newest first, at most `limit`, read by `admin` (whose
    /// permission the route has checked); continued from `resume` (a previous page's `resume_after` for the
    /// same filter) when given. `to` defaults to now and `from` to [`DEFAULT_RANGE_DAYS`] before `to`. A page
    /// may hold fewer than `limit` events, or none, and still have a `resume_after`: see the module's doc.
    ///
    /// # Errors
    /// [`AuditSearchError::FromAfterTo`] and [`AuditSearchError::RangeTooLong`] for a range it does not
    /// search; storage failures.
    pub async fn search(
        &self,
        admin: &Principal,
        filter: &AuditFilter,
        limit: u16,
        resume: Option<AuditResume>,
    ) -> Result<Page<AuditEvent, AuditResume>, AuditSearchError> {
        let to = filter.to.unwrap_or_else(|| self.clock.now());
        let from = filter.from.unwrap_or(to - Duration::days(DEFAULT_RANGE_DAYS));
        if from > to {
            return Err(AuditSearchError::FromAfterTo);
        }
        if to - from > Duration::days(MAX_RANGE_DAYS) {
            return Err(AuditSearchError::RangeTooLong);
        }
        let resume = resume.unwrap_or(AuditResume {
            from,
            before: AuditPosition::before(to),
        });
        let query = AuditQuery {
            user: filter.user,
            kind: filter.kind,
            from: first_instant_read(filter, &resume),
            before: resume.before,
            limit,
        };
        let page = self.log.search(&query).await?;
        let resume_after = match page.resume_after {
            Some(before) => Some(AuditResume { before, ..resume }),
            // The days this call did not read, down to the range's start.
            None if query.from > resume.from => Some(AuditResume {
                before: AuditPosition::before(query.from),
                ..resume
            }),
            None => None,
        };
        self.record(admin, filter, from, to, page.items.len()).await;
        Ok(Page {
            items: page.items,
            resume_after,
        })
    }

    async fn record(
        &self,
        admin: &Principal,
        filter: &AuditFilter,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        returned: usize,
    ) {
        let detail = json!({
            "user": filter.user.map(|u| u.to_string()),
            "type": filter.kind.map(AuditKind::as_str),
            "from": from,
            "to": to,
            "returned": returned,
        });
        self.audit
            .record(
                AuditKind::AuditSearched,
                Some(admin.user_id),
                self.clock.now(),
                detail,
            )
            .await;
    }
}

/// Where a call's reading stops: the range's start, or for every user's events the start of the oldest of
/// the [`MAX_DAYS_PER_CALL`] UTC days it reads.
fn first_instant_read(filter: &AuditFilter, resume: &AuditResume) -> DateTime<Utc> {
    if filter.user.is_some() {
        return resume.from;
    }
    let oldest_day = resume.before.newest_day() - Duration::days(MAX_DAYS_PER_CALL - 1);
    resume.from.max(oldest_day.and_time(NaiveTime::MIN).and_utc())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::identity::rbac::Role;
    use crate::kernel::ids::{EventId, SessionId, UserId};
    use crate::testing::{FixedClock, InMemoryAuditLog, RecordingPublisher, audit_trail};

    const ADMIN: &str = "01JDQ8ZK3M4N5P6Q7R8S9T0AD1";
    const TRADER: &str = "01JDQ8ZK3M4N5P6Q7R8S9T0TR1";
    const VIEWER: &str = "01JDQ8ZK3M4N5P6Q7R8S9T0VW1";

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
    }

    fn user(id: &str) -> UserId {
        id.parse().unwrap()
    }

    fn admin() -> Principal {
        Principal {
            user_id: user(ADMIN),
            roles: vec![Role::Admin],
            session_id: SessionId::from_ulid(ulid::Ulid(1)),
        }
    }

    struct Fixture {
        log: Arc<InMemoryAuditLog>,
        published: Arc<RecordingPublisher>,
        search: AuditSearch,
        next_id: u128,
    }

    impl Fixture {
        fn new() -> Self {
            let log = Arc::new(InMemoryAuditLog::default());
            let published = Arc::new(RecordingPublisher::default());
            let search = AuditSearch::new(
                log.clone(),
                audit_trail(published.clone()),
                Arc::new(FixedClock(now())),
            );
            Self {
                log,
                published,
                search,
                next_id: 0,
            }
        }

        /// Stores an event of `kind` concerning `user`, `ago` before now; returns its id.
        async fn event(&mut self, kind: AuditKind, user: &str, ago: Duration) -> EventId {
            self.next_id += 1;
            let event = AuditEvent {
                id: EventId::from_ulid(ulid::Ulid(self.next_id)),
                kind,
                user_id: Some(user.parse().unwrap()),
                occurred_at: now() - ago,
                detail: json!({}),
                actor: None,
                request_id: None,
                source_ip: None,
            };
            self.log.record(&event).await.unwrap();
            event.id
        }

        async fn page(
            &self,
            filter: &AuditFilter,
            limit: u16,
            resume: Option<AuditResume>,
        ) -> Page<AuditEvent, AuditResume> {
            self.search.search(&admin(), filter, limit, resume).await.unwrap()
        }

        /// Every event `filter` finds, page after page of `limit`, and the pages' sizes.
        async fn all(&self, filter: &AuditFilter, limit: u16) -> (Vec<EventId>, Vec<usize>) {
            let (mut ids, mut sizes, mut resume) = (Vec::new(), Vec::new(), None);
            loop {
                let page = self.page(filter, limit, resume).await;
                sizes.push(page.items.len());
                ids.extend(page.items.iter().map(|e| e.id));
                match page.resume_after {
                    Some(next) => resume = Some(next),
                    None => return (ids, sizes),
                }
            }
        }
    }

    #[tokio::test]
    async fn finds_a_users_events_of_a_kind_in_the_range_newest_first() {
        let mut f = Fixture::new();
        let old_login = f
            .event(AuditKind::LoginSucceeded, TRADER, Duration::days(3))
            .await;
        let role = f.event(AuditKind::RoleChanged, TRADER, Duration::days(2)).await;
        let new_login = f
            .event(AuditKind::LoginSucceeded, TRADER, Duration::hours(1))
            .await;
        f.event(AuditKind::LoginSucceeded, VIEWER, Duration::hours(2))
            .await;
        f.event(AuditKind::LoginSucceeded, TRADER, Duration::days(8))
            .await;

        let trader = AuditFilter {
            user: Some(user(TRADER)),
            ..AuditFilter::default()
        };
        let page = f.page(&trader, 50, None).await;
        let ids: Vec<EventId> = page.items.iter().map(|e| e.id).collect();
        assert_eq!(
            ids,
            [new_login, role, old_login],
            "the default week, newest first"
        );
        assert_eq!(page.resume_after, None);

        let logins = AuditFilter {
            kind: Some(AuditKind::LoginSucceeded),
            ..trader.clone()
        };
        let ids: Vec<EventId> = f
            .page(&logins, 50, None)
            .await
            .items
            .iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(ids, [new_login, old_login]);

        let unknown = AuditFilter {
            user: Some(user("01JDQ8ZK3M4N5P6Q7R8S9T0XX9")),
            ..AuditFilter::default()
        };
        assert!(f.page(&unknown, 50, None).await.items.is_empty());
    }

    #[tokio::test]
    async fn the_range_defaults_to_the_week_before_now_and_explicit_bounds_hold() {
        let f = Fixture::new();
        f.page(&AuditFilter::default(), 10, None).await;
        let query = &f.log.searches()[0];
        assert_eq!(query.before, AuditPosition::before(now()));
        assert_eq!(query.from, now() - Duration::days(7));

        let to = now() - Duration::days(1);
        let from = to - Duration::hours(3);
        let filter = AuditFilter {
            user: Some(user(TRADER)),
            from: Some(from),
            to: Some(to),
            ..AuditFilter::default()
        };
        f.page(&filter, 10, None).await;
        let query = &f.log.searches()[1];
        assert_eq!((query.from, query.before), (from, AuditPosition::before(to)));
    }

    #[tokio::test]
    async fn pages_continue_without_gaps_or_repeats_even_within_one_instant() {
        let mut f = Fixture::new();
        let mut expected = Vec::new();
        for ago in [5, 5, 5, 4, 3, 3, 1] {
            expected.push(
                f.event(AuditKind::LoginFailed, TRADER, Duration::hours(ago))
                    .await,
            );
        }
        // Newest first: by time, then by id (the three of 5 h ago, and the two of 3 h ago, last id first).
        expected.reverse();
        for filter in [
            AuditFilter::default(),
            AuditFilter {
                user: Some(user(TRADER)),
                ..AuditFilter::default()
            },
        ] {
            let (ids, sizes) = f.all(&filter, 2).await;
            assert_eq!(ids, expected, "{filter:?}");
            assert_eq!(sizes, [2, 2, 2, 1], "{filter:?}");
        }
    }

    #[tokio::test]
    async fn every_users_events_are_read_at_most_31_days_a_call_with_short_pages_leading_on() {
        let mut f = Fixture::new();
        let newest = f.event(AuditKind::RoleChanged, TRADER, Duration::hours(1)).await;
        let oldest = f.event(AuditKind::RoleChanged, VIEWER, Duration::days(80)).await;
        let filter = AuditFilter {
            from: Some(now() - Duration::days(90)),
            ..AuditFilter::default()
        };
        let (ids, sizes) = f.all(&filter, 50).await;
        assert_eq!(ids, [newest, oldest]);
        // 91 UTC days: 31, 31, then the 29 left (the range starts at noon on its first day).
        assert_eq!(sizes, [1, 0, 1]);
        for query in f.log.searches() {
            let days = (query.before.newest_day() - query.from.date_naive()).num_days() + 1;
            assert!(days <= MAX_DAYS_PER_CALL, "{days} days in {query:?}");
        }
        let froms: Vec<_> = f.log.searches().iter().map(|q| q.from).collect();
        assert_eq!(froms[2], now() - Duration::days(90));
        assert_eq!(froms[0], Utc.with_ymd_and_hms(2026, 10, 26, 0, 0, 0).unwrap());
        assert_eq!(froms[1], Utc.with_ymd_and_hms(2026, 9, 25, 0, 0, 0).unwrap());

        // One user's events are one partition: the whole range in one call.
        let filter = AuditFilter {
            user: Some(user(VIEWER)),
            ..filter
        };
        let (ids, sizes) = f.all(&filter, 50).await;
        assert_eq!((ids, sizes), (vec![oldest], vec![1]));
    }

    #[tokio::test]
    async fn refuses_a_range_backwards_or_longer_than_366_days() {
        let f = Fixture::new();
        let search = |from: DateTime<Utc>, to: DateTime<Utc>| {
            let filter = AuditFilter {
                from: Some(from),
                to: Some(to),
                ..AuditFilter::default()
            };
            let search = &f.search;
            async move { search.search(&admin(), &filter, 10, None).await }
        };
        assert!(matches!(
            search(now(), now() - Duration::seconds(1)).await,
            Err(AuditSearchError::FromAfterTo)
        ));
        assert!(matches!(
            search(now() - Duration::days(367), now()).await,
            Err(AuditSearchError::RangeTooLong)
        ));
        assert!(search(now() - Duration::days(366), now()).await.is_ok());
        let future = AuditFilter {
            from: Some(now() + Duration::days(1)),
            ..AuditFilter::default()
        };
        assert!(matches!(
            f.search.search(&admin(), &future, 10, None).await,
            Err(AuditSearchError::FromAfterTo)
        ));
        assert_eq!(f.log.searches().len(), 1, "refused searches read nothing");
    }

    #[tokio::test]
    async fn each_search_is_audited_with_its_filter_and_count_as_the_admins() {
        let mut f = Fixture::new();
        f.event(AuditKind::RoleChanged, TRADER, Duration::hours(1)).await;
        let filter = AuditFilter {
            user: Some(user(TRADER)),
            kind: Some(AuditKind::RoleChanged),
            ..AuditFilter::default()
        };
        f.page(&filter, 10, None).await;
        let event: AuditEvent = f.published.published()[0].open().unwrap();
        assert_eq!(event.kind, AuditKind::AuditSearched);
        assert_eq!(event.user_id, Some(user(ADMIN)));
        assert_eq!(event.detail["user"], TRADER);
        assert_eq!(event.detail["type"], "ROLE_CHANGED");
        assert_eq!(event.detail["returned"], 1);
    }
}
