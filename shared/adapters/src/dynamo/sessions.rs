//! Login sessions in DynamoDB, under the user's partition, with an optimistic-lock `version` and a `ttl` a
//! day past expiry so DynamoDB removes dead sessions.

use std::collections::HashMap;

use anyhow::Context as _;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use tradesense_domain::identity::ports::SessionRepository;
use tradesense_domain::identity::session::{RefreshHash, Session};
use tradesense_domain::kernel::error::RepoError;
use tradesense_domain::kernel::ids::{SessionId, UserId};

use super::keys;
use super::table::Table;

#[derive(Debug, Serialize, Deserialize)]
struct SessionItem {
    pk: String,
    sk: String,
    entity: String,
    id: SessionId,
    user_id: UserId,
    refresh_hash: RefreshHash,
    spent_hashes: Vec<RefreshHash>,
    created_at: String,
    expires_at: String,
    revoked_at: Option<String>,
    version: u64,
    ttl: i64,
}

fn parse_time(s: &str) -> anyhow::Result<DateTime<Utc>> {
    Ok(DateTime::parse_from_rfc3339(s)
        .context("stored time")?
        .with_timezone(&Utc))
}

impl From<&Session> for SessionItem {
    fn from(s: &Session) -> Self {
        let key = keys::session(&s.user_id, &s.id);
        Self {
            pk: key.pk,
            sk: key.sk,
            entity: "session".into(),
            id: s.id,
            user_id: s.user_id,
            refresh_hash: s.refresh_hash.clone(),
            spent_hashes: s.spent_hashes.clone(),
            created_at: keys::sortable_time(s.created_at),
            expires_at: keys::sortable_time(s.expires_at),
            revoked_at: s.revoked_at.map(keys::sortable_time),
            version: s.version,
            ttl: (s.expires_at + Duration::days(1)).timestamp(),
        }
    }
}

impl TryFrom<SessionItem> for Session {
    type Error = anyhow::Error;

    fn try_from(i: SessionItem) -> Result<Self, Self::Error> {
        Ok(Session {
            id: i.id,
            user_id: i.user_id,
            refresh_hash: i.refresh_hash,
            spent_hashes: i.spent_hashes,
            created_at: parse_time(&i.created_at)?,
            expires_at: parse_time(&i.expires_at)?,
            revoked_at: i.revoked_at.as_deref().map(parse_time).transpose()?,
            version: i.version,
        })
    }
}

/// [`SessionRepository`] over the single table.
#[derive(Clone, Debug)]
pub struct DynamoSessionRepository {
    table: Table,
}

impl DynamoSessionRepository {
    /// Sessions in `table`.
    pub fn new(table: Table) -> Self {
        Self { table }
    }
}

fn encode(session: &Session) -> Result<HashMap<String, AttributeValue>, RepoError> {
    Ok(serde_dynamo::to_item(SessionItem::from(session)).context("encode session")?)
}

#[async_trait]
impl SessionRepository for DynamoSessionRepository {
    async fn create(&self, session: &Session) -> Result<(), RepoError> {
        self.table.put_new(encode(session)?).await
    }

    async fn get(&self, user: &UserId, id: &SessionId) -> Result<Option<Session>, RepoError> {
        let Some(item) = self.table.get(&keys::session(user, id)).await? else {
            return Ok(None);
        };
        let item: SessionItem = serde_dynamo::from_item(item).context("decode session")?;
        Ok(Some(Session::try_from(item)?))
    }

    async fn update(&self, session: &Session) -> Result<(), RepoError> {
        let previous = session.version.checked_sub(1).ok_or(RepoError::Conflict)?;
        let values = HashMap::from([(":previous".to_owned(), AttributeValue::N(previous.to_string()))]);
        self.table
            .put_if(encode(session)?, "version = :previous", values)
            .await
    }
}
