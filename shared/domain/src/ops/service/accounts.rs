//! The operators' view of user accounts: a search by email prefix, role and disabled flag, and one
//! account with its roles, MFA, broker link, last login and working orders. Admins only (the route checks),
//! and every read is audited with who read what.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::audit::AuditKind;
use crate::audit::ports::AuditLog;
use crate::audit::service::AuditTrail;
use crate::broker::link::Broker;
use crate::broker::ports::BrokerLinkRepository;
use crate::identity::ports::{UserDirectory, UserQuery, UserRepository};
use crate::identity::rbac::Principal;
use crate::identity::user::User;
use crate::kernel::error::RepoError;
use crate::kernel::ids::UserId;
use crate::kernel::page::Page;
use crate::kernel::time::Clock;
use crate::trading::ports::TradingLedger;

/// One account as an operator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountDetail {
    /// The user (the password hash stays inside: the route never shows it).
    pub user: User,
    /// Whether an Upstox account is linked.
    pub broker_linked: bool,
    /// The last successful login, if any is on record.
    pub last_login: Option<DateTime<Utc>>,
    /// Working orders (open, trigger pending, partly filled).
    pub open_orders: usize,
}

/// What the account views read.
pub struct AccountsContext {
    /// Users by email.
    pub directory: Arc<dyn UserDirectory>,
    /// Users by id.
    pub users: Arc<dyn UserRepository>,
    /// Audit events (last login).
    pub audit_log: Arc<dyn AuditLog>,
    /// Broker links.
    pub links: Arc<dyn BrokerLinkRepository>,
    /// The paper book (working orders).
    pub ledger: Arc<dyn TradingLedger>,
    /// Where the reads are audited.
    pub audit: AuditTrail,
    /// The wall clock.
    pub clock: Arc<dyn Clock>,
}

/// The account views.
pub struct Accounts {
    ctx: AccountsContext,
}

impl Accounts {
    /// The use cases over `ctx`.
    pub fn new(ctx: AccountsContext) -> Self {
        Self { ctx }
    }

    /// One page of users `query` asks for, in email order, read by `admin`.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn list(&self, admin: &Principal, query: &UserQuery) -> Result<Page<User, UserId>, RepoError> {
        let page = self.ctx.directory.search(query).await?;
        let detail = json!({
            "email_prefix": query.email_prefix,
            "role": query.role.map(|r| r.as_str()),
            "disabled": query.disabled,
            "returned": page.items.len(),
        });
        self.ctx
            .audit
            .record(
                AuditKind::UsersListed,
                Some(admin.user_id),
                self.ctx.clock.now(),
                detail,
            )
            .await;
        Ok(page)
    }

    /// User `id`'s account, read by `admin`; `None` if there is no such user.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn detail(&self, admin: &Principal, id: &UserId) -> Result<Option<AccountDetail>, RepoError> {
        let ctx = &self.ctx;
        let (user, link, login, open_orders) = futures::try_join!(
            ctx.users.get(id),
            ctx.links.get(id, Broker::Upstox),
            ctx.audit_log.latest(id, AuditKind::LoginSucceeded),
            ctx.ledger.open_order_count(id),
        )?;
        let Some(user) = user else {
            return Ok(None);
        };
        ctx.audit
            .record(
                AuditKind::UserViewed,
                Some(admin.user_id),
                ctx.clock.now(),
                json!({"target": id.to_string()}),
            )
            .await;
        Ok(Some(AccountDetail {
            user,
            broker_linked: link.is_some(),
            last_login: login.map(|e| e.occurred_at),
            open_orders,
        }))
    }
}
