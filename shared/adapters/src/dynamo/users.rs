//! User accounts in DynamoDB: a profile item under the user's partition, an email-claim item that makes the
//! email unique, and the funded paper account. All three are written in one transaction, so a taken email
//! writes nothing.

use crate::aws::sdk_error;
use anyhow::Context as _;
use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use serde::{Deserialize, Serialize};
use tradesense_domain::identity::mfa::MfaState;
use tradesense_domain::identity::ports::{UserDirectory, UserQuery, UserRepository};
use tradesense_domain::identity::rbac::Role;
use tradesense_domain::identity::user::{Email, LoginGuard, PasswordHash, User};
use tradesense_domain::kernel::error::RepoError;
use tradesense_domain::kernel::ids::UserId;
use tradesense_domain::kernel::page::Page;
use tradesense_domain::trading::account::PaperAccount;

use super::document::s;
use super::keys;
use super::table::{Item, PageFilter, PageQuery, Table};

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
    #[serde(default)]
    failed_logins: u32,
    #[serde(default)]
    locked_until: Option<String>,
    /// Absent on users who never set up MFA.
    #[serde(default)]
    mfa: MfaState,
    created_at: String,
    /// The operators' directory ([`keys::USER_DIRECTORY`]); absent on users created before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi1pk: Option<String>,
    /// Email, then id ([`keys::user_directory_sort`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi1sk: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct EmailClaimItem {
    pk: String,
    sk: String,
    entity: String,
    user_id: UserId,
}

fn parse_time(s: &str) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    Ok(chrono::DateTime::parse_from_rfc3339(s)
        .context("stored time")?
        .with_timezone(&chrono::Utc))
}

/// `failed_logins` and `locked_until` as the condition/update values of one guard.
fn guard_values(prefix: &str, guard: &LoginGuard) -> [(String, AttributeValue); 2] {
    [
        (
            format!(":{prefix}_failed"),
            AttributeValue::N(guard.failed_logins.to_string()),
        ),
        (
            format!(":{prefix}_locked"),
            guard.locked_until.map_or(AttributeValue::Null(true), |t| {
                AttributeValue::S(keys::sortable_time(t))
            }),
        ),
    ]
}

/// The paper account's item. Money is written as DynamoDB numbers from the decimal's exact string form (so it
/// can be `ADD`ed atomically later), never through a float.
fn paper_item(paper: &PaperAccount) -> Item {
    let mut item = keys::paper_account(&paper.user_id).to_attributes();
    item.insert("entity".into(), AttributeValue::S("paper_account".into()));
    item.insert("cash".into(), AttributeValue::N(paper.cash.to_string()));
    item.insert("available".into(), AttributeValue::N(paper.available.to_string()));
    item.insert(
        "initial_cash".into(),
        AttributeValue::N(paper.initial_cash.to_string()),
    );
    item.insert(
        "funded_at".into(),
        AttributeValue::S(keys::sortable_time(paper.funded_at)),
    );
    item
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
            login_guard: LoginGuard {
                failed_logins: item.failed_logins,
                locked_until: item.locked_until.as_deref().map(parse_time).transpose()?,
            },
            mfa: item.mfa,
            created_at: parse_time(&item.created_at)?,
        })
    }
}

#[async_trait]
impl UserDirectory for DynamoUserRepository {
    async fn search(&self, query: &UserQuery) -> Result<Page<User, UserId>, RepoError> {
        let mut filter = PageFilter::default();
        if let Some(role) = query.role {
            filter = filter.and(
                "contains(#roles, :role)",
                ("#roles", "roles"),
                (":role", s(role.as_str())),
            );
        }
        if let Some(disabled) = query.disabled {
            filter = filter.and(
                "#disabled = :disabled",
                ("#disabled", "disabled"),
                (":disabled", AttributeValue::Bool(disabled)),
            );
        }
        let page = PageQuery {
            on_gsi1: true,
            partition: keys::USER_DIRECTORY.to_owned(),
            sort_prefix: query.email_prefix.clone(),
            filter: Some(filter),
            limit: query.limit,
            descending: false,
        };
        // Resume after a user: their directory key, rebuilt from their profile.
        let start = match query.after {
            Some(id) => {
                let user = self.get(&id).await?.context("resume after a user that is gone")?;
                let mut key = keys::user_profile(&id).to_attributes();
                key.insert(keys::GSI1PK.into(), s(keys::USER_DIRECTORY));
                key.insert(
                    keys::GSI1SK.into(),
                    s(keys::user_directory_sort(&user.email, &id)),
                );
                Some(key)
            }
            None => None,
        };
        let (items, resume) = self.table.query_from(&page, start).await?;
        let users = items
            .into_iter()
            .map(|item| {
                let item: UserItem = serde_dynamo::from_item(item).context("decode user")?;
                User::try_from(item)
            })
            .collect::<anyhow::Result<Vec<User>>>()?;
        let resume_after = resume
            .as_ref()
            .and_then(|key| key.get(keys::GSI1SK))
            .and_then(|v| v.as_s().ok())
            .and_then(|sort| keys::user_in_directory_sort(sort));
        Ok(Page {
            items: users,
            resume_after,
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
    async fn create(&self, user: &User, paper: &PaperAccount) -> Result<(), RepoError> {
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
            failed_logins: user.login_guard.failed_logins,
            locked_until: user.login_guard.locked_until.map(keys::sortable_time),
            mfa: user.mfa.clone(),
            created_at: keys::sortable_time(user.created_at),
            gsi1pk: Some(keys::USER_DIRECTORY.to_owned()),
            gsi1sk: Some(keys::user_directory_sort(&user.email, &user.id)),
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
            .transact(vec![
                self.put_new(profile)?,
                self.put_new(claim)?,
                self.put_new(paper_item(paper))?,
            ])
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

    async fn replace_login_guard(
        &self,
        id: &UserId,
        expected: &LoginGuard,
        next: &LoginGuard,
    ) -> Result<(), RepoError> {
        // A missing attribute reads as the default guard (items written before the guard existed).
        let condition = "attribute_exists(pk) \
            AND (failed_logins = :old_failed OR (attribute_not_exists(failed_logins) AND :old_failed = :zero)) \
            AND (locked_until = :old_locked OR (attribute_not_exists(locked_until) AND :old_locked = :null) \
                 OR (attribute_type(locked_until, :null_type) AND :old_locked = :null))";
        let mut values: std::collections::HashMap<String, AttributeValue> = guard_values("old", expected)
            .into_iter()
            .chain(guard_values("new", next))
            .collect();
        values.insert(":zero".into(), AttributeValue::N("0".into()));
        values.insert(":null".into(), AttributeValue::Null(true));
        values.insert(":null_type".into(), AttributeValue::S("NULL".into()));
        let result = self
            .table
            .client()
            .update_item()
            .table_name(self.table.name())
            .set_key(Some(keys::user_profile(id).to_attributes()))
            .condition_expression(condition)
            .update_expression("SET failed_logins = :new_failed, locked_until = :new_locked")
            .set_expression_attribute_values(Some(values))
            .send()
            .await;
        conditional(result, "update login guard")
    }

    async fn update_access(&self, id: &UserId, roles: &[Role], disabled: bool) -> Result<(), RepoError> {
        let roles = serde_dynamo::to_attribute_value(roles).context("encode roles")?;
        let result = self
            .table
            .client()
            .update_item()
            .table_name(self.table.name())
            .set_key(Some(keys::user_profile(id).to_attributes()))
            .condition_expression("attribute_exists(pk)")
            .update_expression("SET #roles = :roles, disabled = :disabled")
            .expression_attribute_names("#roles", "roles")
            .expression_attribute_values(":roles", roles)
            .expression_attribute_values(":disabled", AttributeValue::Bool(disabled))
            .send()
            .await;
        conditional(result, "update user access")
    }

    async fn replace_mfa(
        &self,
        id: &UserId,
        expected_version: u64,
        next: &MfaState,
    ) -> Result<(), RepoError> {
        // Users who never touched MFA have no `mfa` map: that is version 0.
        let condition = if expected_version == 0 {
            "attribute_exists(pk) AND (attribute_not_exists(mfa) OR mfa.version = :expected)"
        } else {
            "attribute_exists(pk) AND mfa.version = :expected"
        };
        let value = serde_dynamo::to_attribute_value(next).context("encode MFA state")?;
        let result = self
            .table
            .client()
            .update_item()
            .table_name(self.table.name())
            .set_key(Some(keys::user_profile(id).to_attributes()))
            .condition_expression(condition)
            .update_expression("SET mfa = :mfa")
            .expression_attribute_values(":expected", AttributeValue::N(expected_version.to_string()))
            .expression_attribute_values(":mfa", value)
            .send()
            .await;
        conditional(result, "update MFA state")
    }
}

/// A conditional update's result: a failed condition is a [`RepoError::Conflict`].
fn conditional<T>(result: Result<T, SdkError<UpdateItemError>>, what: &'static str) -> Result<(), RepoError> {
    match result {
        Ok(_) => Ok(()),
        Err(SdkError::ServiceError(e))
            if matches!(e.err(), UpdateItemError::ConditionalCheckFailedException(_)) =>
        {
            Err(RepoError::Conflict)
        }
        Err(e) => Err(sdk_error(e, what).into()),
    }
}
