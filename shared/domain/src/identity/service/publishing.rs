//! A [`SessionRepository`] that tells the push channel when a session ends: after a write that revokes a
//! session (logout, refresh-token reuse) it publishes [`SessionEnded`], so the session's open sockets are
//! closed at once. A publish that fails is logged and never fails the write: the session has ended all the
//! same, and its sockets get nothing private after it (the pusher checks sessions before every such push).

use std::sync::Arc;

use async_trait::async_trait;

use crate::identity::ports::SessionRepository;
use crate::identity::session::{Session, SessionEnded};
use crate::kernel::error::RepoError;
use crate::kernel::events::{EventPublisher, publish_event};
use crate::kernel::ids::{IdGen, SessionId, UserId};
use crate::kernel::time::Clock;

/// `inner`, publishing each session's end to `events` (the stream queue).
pub struct PublishingSessions {
    inner: Arc<dyn SessionRepository>,
    events: Arc<dyn EventPublisher>,
    ids: Arc<dyn IdGen>,
    clock: Arc<dyn Clock>,
}

impl PublishingSessions {
    /// Wraps `inner`; event ids come from `ids`, their time from `clock`.
    pub fn new(
        inner: Arc<dyn SessionRepository>,
        events: Arc<dyn EventPublisher>,
        ids: Arc<dyn IdGen>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            inner,
            events,
            ids,
            clock,
        }
    }
}

#[async_trait]
impl SessionRepository for PublishingSessions {
    async fn create(&self, session: &Session) -> Result<(), RepoError> {
        self.inner.create(session).await
    }

    async fn get(&self, user: &UserId, id: &SessionId) -> Result<Option<Session>, RepoError> {
        self.inner.get(user, id).await
    }

    async fn update(&self, session: &Session) -> Result<(), RepoError> {
        self.inner.update(session).await?;
        if session.revoked_at.is_some() {
            let event = SessionEnded {
                user_id: session.user_id,
                session_id: session.id,
            };
            let published = publish_event(self.events.as_ref(), self.ids.next(), self.clock.now(), &event);
            if let Err(error) = published.await {
                tracing::error!(session_id = %session.id, ?error, "session end not published; its sockets stay open");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{FixedClock, InMemorySessions, RecordingPublisher, SequentialIds};

    #[tokio::test]
    async fn only_a_write_that_revokes_publishes_the_end() {
        let now = "2026-11-25T05:30:00Z".parse().unwrap();
        let events = Arc::new(RecordingPublisher::default());
        let sessions = PublishingSessions::new(
            Arc::new(InMemorySessions::default()),
            events.clone(),
            Arc::new(SequentialIds::default()),
            Arc::new(FixedClock(now)),
        );
        let user = UserId::from_ulid(ulid::Ulid::from_parts(1, 1));
        let (mut session, _) = Session::start(SessionId::from_ulid(ulid::Ulid::from_parts(1, 2)), user, now);
        sessions.create(&session).await.unwrap();
        session.version += 1;
        sessions.update(&session).await.unwrap();
        assert!(events.published().is_empty(), "a refresh is not an end");

        session.revoke(now);
        session.version += 1;
        sessions.update(&session).await.unwrap();
        let published = events.published();
        assert_eq!(published.len(), 1);
        assert_eq!(
            published[0].open::<SessionEnded>().unwrap(),
            SessionEnded {
                user_id: user,
                session_id: session.id
            }
        );
        assert!(
            !sessions
                .get(&user, &session.id)
                .await
                .unwrap()
                .unwrap()
                .is_live(now)
        );
    }
}
