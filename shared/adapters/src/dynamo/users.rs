//! User accounts in DynamoDB: a profile item under the user's partition, and an email-claim item that makes
//! the email unique. Both are written in one transaction, so a taken email writes nothing.

use anyhow::Context as _;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use serde::{Deserialize, Serialize};
use tradesense_domain::auth::Role;
use tradesense_domain::ids::UserId;
use tradesense_domain::ports::{RepoError, UserRepository};
use tradesense_domain::user::{Email, PasswordHash, User};

use super::keys;
use super::table::{Item, Table};

#[derive(Debug, Serialize, Deserialize)]
struct UserItem {
    pk: String,
    sk: String,
    entity: String,
    id: UserId,
    email: Email,
    display_name: String,
    roles: Vec<Role>,
    password_hash: String,
    disabled: bool,
    created_at: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct EmailClaimItem {
    pk: String,
    sk: String,
    entity: String,
    user_id: UserId,
}

impl TryFrom<UserItem> for User {
    type Error = anyhow::Error;

    fn try_from(item: UserItem) -> Result<Self, Self::Error> {
        Ok(User {
            id: item.id,
            email: item.email,
            display_name: item.display_name,
            roles: item.roles,
            password_hash: PasswordHash::from_stored(item.password_hash),
            disabled: item.disabled,
            created_at: chrono::DateTime::parse_from_rfc3339(&item.created_at)
                .context("user created_at")?
                .with_timezone(&chrono::Utc),
        })
    }
}

/// [`UserRepository`] over the single table.
#[derive(Clone, Debug)]
pub struct DynamoUserRepository {
    table: Table,
}

impl DynamoUserRepository {
    /// Users in `table`.
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    fn put_new(&self, item: Item) -> anyhow::Result<TransactWriteItem> {
        let put = Put::builder()
            .table_name(self.table.name())
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .context("build put")?;
        Ok(TransactWriteItem::builder().put(put).build())
    }
}

#[async_trait]
impl UserRepository for DynamoUserRepository {
    async fn create(&self, user: &User) -> Result<(), RepoError> {
        let profile = keys::user_profile(&user.id);
        let claim = keys::email_claim(&user.email);
        let profile = serde_dynamo::to_item(UserItem {
            pk: profile.pk,
            sk: profile.sk,
            entity: "user".into(),
            id: user.id,
            email: user.email.clone(),
            display_name: user.display_name.clone(),
            roles: user.roles.clone(),
            password_hash: user.password_hash.as_str().to_owned(),
            disabled: user.disabled,
            created_at: keys::sortable_time(user.created_at),
        })
        .context("encode user")?;
        let claim = serde_dynamo::to_item(EmailClaimItem {
            pk: claim.pk,
            sk: claim.sk,
            entity: "email_claim".into(),
            user_id: user.id,
        })
        .context("encode email claim")?;
        self.table
            .transact(vec![self.put_new(profile)?, self.put_new(claim)?])
            .await?;
        Ok(())
    }

    async fn get(&self, id: &UserId) -> Result<Option<User>, RepoError> {
        let Some(item) = self.table.get(&keys::user_profile(id)).await? else {
            return Ok(None);
        };
        let item: UserItem = serde_dynamo::from_item(item).context("decode user")?;
        Ok(Some(User::try_from(item)?))
    }

    async fn find_by_email(&self, email: &Email) -> Result<Option<User>, RepoError> {
        let Some(claim) = self.table.get(&keys::email_claim(email)).await? else {
            return Ok(None);
        };
        let claim: EmailClaimItem = serde_dynamo::from_item(claim).context("decode email claim")?;
        self.get(&claim.user_id).await
    }
}
