//! A connection's life: the ticket asked for over REST, `$connect` checking it (once, in time, of a live
//! session) and closing the user's oldest connection beyond five, `$disconnect`, and a session's end
//! closing its connections.

use chrono::{DateTime, Utc};

use crate::identity::rbac::Principal;
use crate::kernel::error::RepoError;
use crate::kernel::ids::{SessionId, UserId};
use crate::stream::connection::{Connection, ConnectionId, connections_to_close};
use crate::stream::service::StreamService;
use crate::stream::ticket::{IssuedTicket, TICKET_TTL, TicketHash, TicketRecord};

/// A connection accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The connection as stored.
    pub connection: Connection,
    /// The user's oldest connections closed to keep five open.
    pub closed: Vec<ConnectionId>,
}

/// Why `$connect` refused a connection (before it exists: API Gateway answers the client's upgrade with an
/// error status).
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// No `ticket` query parameter.
    #[error("no ticket")]
    NoTicket,
    /// Never issued, or already used.
    #[error("unknown or already used ticket")]
    UnknownTicket,
    /// Presented after its 30 seconds.
    #[error("expired ticket")]
    ExpiredTicket,
    /// Its session was revoked (logout, refresh-token reuse) or expired, or its user disabled, since it was
    /// issued.
    #[error("the ticket's session has ended")]
    SessionEnded,
    /// Storage failed.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

crate::storage_failures_are_unexpected!(ConnectError);

impl StreamService {
    /// `POST /v1/stream/ticket`: a single-use ticket for `principal`'s session, accepted for 30 seconds.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn issue_ticket(&self, principal: &Principal) -> Result<IssuedTicket, RepoError> {
        let now = self.ctx.wall_clock.now();
        let (ticket, record) = TicketRecord::issue(principal.user_id, principal.session_id, now);
        self.ctx.tickets.put(&record).await?;
        Ok(IssuedTicket {
            ticket,
            url: self.ctx.socket_url.clone(),
            expires_in: TICKET_TTL.num_seconds(),
        })
    }

    /// `$connect`: accepts `connection_id` for the `ticket` presented (consuming it) if it is unused, within
    /// its 30 seconds and its session is live, then closes the user's oldest connections beyond five. A
    /// connection that cannot be closed now is left to its lifetime (logged), never a reason to refuse.
    ///
    /// # Errors
    /// [`ConnectError`]: each refusal, or a storage failure (the ticket may then be spent: ask for another).
    pub async fn connect(
        &self,
        ticket: Option<&str>,
        connection_id: ConnectionId,
    ) -> Result<Accepted, ConnectError> {
        let now = self.ctx.wall_clock.now();
        let presented = ticket.filter(|t| !t.is_empty()).ok_or(ConnectError::NoTicket)?;
        let hash = TicketHash::of_presented(presented).ok_or(ConnectError::UnknownTicket)?;
        let record = self
            .ctx
            .tickets
            .take(&hash)
            .await?
            .ok_or(ConnectError::UnknownTicket)?;
        if !record.is_valid_at(now) {
            return Err(ConnectError::ExpiredTicket);
        }
        if !self.signed_in(&record.user_id, &record.session_id, now).await? {
            return Err(ConnectError::SessionEnded);
        }
        let connection = Connection::open(connection_id, record.user_id, record.session_id, now);
        self.ctx.connections.put(&connection).await?;
        let mine = self.ctx.connections.of_user(&connection.user_id).await?;
        let mut closed = Vec::new();
        for id in connections_to_close(&mine, &connection.id, now) {
            if self.close(id).await {
                closed.push(id.clone());
            }
        }
        tracing::info!(user_id = %connection.user_id, connection = %connection.id, closed = closed.len(), "connected");
        Ok(Accepted { connection, closed })
    }

    /// `$disconnect` (or a connection found gone): forgets it and its subscriptions.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn disconnect(&self, connection_id: &ConnectionId) -> Result<(), RepoError> {
        self.ctx.connections.delete(connection_id).await
    }

    /// Closes every connection of `user`'s `session` (after logout), returning how many were closed.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn end_session(&self, user: &UserId, session: &SessionId) -> Result<usize, RepoError> {
        let mine = self.ctx.connections.of_user(user).await?;
        let mut closed = 0;
        for connection in mine.iter().filter(|c| c.session_id == *session) {
            closed += usize::from(self.close(&connection.id).await);
        }
        Ok(closed)
    }

    /// Whether `session` is live at `now` and its user not disabled: the authorizer's rule, checked at connect
    /// and before a user's updates are pushed.
    pub(super) async fn signed_in(
        &self,
        user: &UserId,
        session: &SessionId,
        now: DateTime<Utc>,
    ) -> Result<bool, RepoError> {
        let (session, user) =
            futures::future::join(self.ctx.sessions.get(user, session), self.ctx.users.get(user)).await;
        Ok(session?.is_some_and(|s| s.is_live(now)) && user?.is_some_and(|u| !u.disabled))
    }

    /// Closes a connection and forgets it; `false` (logged) if either failed.
    pub(super) async fn close(&self, id: &ConnectionId) -> bool {
        let closed = match self.ctx.pusher.close(id).await {
            Ok(()) => self.ctx.connections.delete(id).await.map_err(anyhow::Error::from),
            Err(e) => Err(e),
        };
        if let Err(e) = &closed {
            tracing::warn!(connection = %id, error = ?e, "could not close a connection; it lives out its lifetime");
        }
        closed.is_ok()
    }
}
