//! Roles, permissions and the authenticated principal (RBAC). The mapping from role to permissions lives here
//! and nowhere else.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::kernel::ids::{SessionId, UserId};

/// A role granted to a user. Users may hold several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Operates the platform: every permission.
    Admin,
    /// Trades: reads everything of their own and places orders, alerts, strategies and backtests.
    Trader,
    /// Reads their own data and the market; never trades.
    Viewer,
}

/// One thing a route may require.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Permission {
    /// Read orders and trades.
    #[serde(rename = "orders:read")]
    OrdersRead,
    /// Place, modify and cancel orders.
    #[serde(rename = "orders:write")]
    OrdersWrite,
    /// Read portfolio, positions, holdings and funds.
    #[serde(rename = "portfolio:read")]
    PortfolioRead,
    /// Read market data.
    #[serde(rename = "market:read")]
    MarketRead,
    /// Read one's alerts, webhook endpoints and notifications (and mark notifications read).
    #[serde(rename = "alerts:read")]
    AlertsRead,
    /// Create, edit and cancel alerts; register, test, rotate and delete webhook endpoints.
    #[serde(rename = "alerts:write")]
    AlertsWrite,
    /// Read strategy templates, analyse strategies and read one's saved strategies.
    #[serde(rename = "strategies:read")]
    StrategiesRead,
    /// Save, delete and execute strategies.
    #[serde(rename = "strategies:write")]
    StrategiesWrite,
    /// Read backtests.
    #[serde(rename = "backtests:read")]
    BacktestsRead,
    /// Submit and delete backtests.
    #[serde(rename = "backtests:write")]
    BacktestsWrite,
    /// Read analytics.
    #[serde(rename = "analytics:read")]
    AnalyticsRead,
    /// Operate the platform (admin routes).
    #[serde(rename = "admin")]
    Admin,
}

impl Permission {
    /// Every permission, in a stable order.
    pub const ALL: [Permission; 12] = [
        Permission::OrdersRead,
        Permission::OrdersWrite,
        Permission::PortfolioRead,
        Permission::MarketRead,
        Permission::AlertsRead,
        Permission::AlertsWrite,
        Permission::StrategiesRead,
        Permission::StrategiesWrite,
        Permission::BacktestsRead,
        Permission::BacktestsWrite,
        Permission::AnalyticsRead,
        Permission::Admin,
    ];
}

impl Role {
    /// Whether this role grants `permission`.
    pub fn grants(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Admin => true,
            Role::Trader => !matches!(permission, Admin),
            Role::Viewer => matches!(
                permission,
                OrdersRead
                    | PortfolioRead
                    | MarketRead
                    | AlertsRead
                    | StrategiesRead
                    | BacktestsRead
                    | AnalyticsRead
            ),
        }
    }

    /// The role's wire name (`admin`, `trader`, `viewer`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Trader => "trader",
            Role::Viewer => "viewer",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A role name that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role")]
pub struct UnknownRole;

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "admin" => Ok(Role::Admin),
            "trader" => Ok(Role::Trader),
            "viewer" => Ok(Role::Viewer),
            _ => Err(UnknownRole),
        }
    }
}

/// Who is calling: the verified user, their roles and their session. Built only from a verified access token
/// (by the authorizer) or from the authorizer context API Gateway passes on, never from request input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The calling user.
    pub user_id: UserId,
    /// The roles the token carried.
    pub roles: Vec<Role>,
    /// The session the token belongs to.
    pub session_id: SessionId,
}

impl Principal {
    /// Whether any of the principal's roles grants `permission`.
    pub fn has(&self, permission: Permission) -> bool {
        self.roles.iter().any(|r| r.grants(permission))
    }

    /// The authorizer context API Gateway passes to functions (`requestContext.authorizer.lambda`):
    /// flat string values, roles comma-separated.
    pub fn to_context(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut ctx = serde_json::Map::new();
        ctx.insert(context_keys::USER_ID.into(), self.user_id.to_string().into());
        ctx.insert(context_keys::ROLES.into(), join_roles(&self.roles).into());
        ctx.insert(
            context_keys::SESSION_ID.into(),
            self.session_id.to_string().into(),
        );
        ctx
    }

    /// The principal an authorizer context describes; `None` unless every key is present and valid.
    pub fn from_context<'a, I>(ctx: I) -> Option<Self>
    where
        I: IntoIterator<Item = (&'a String, &'a serde_json::Value)>,
    {
        let ctx: std::collections::HashMap<&str, &str> = ctx
            .into_iter()
            .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?)))
            .collect();
        Some(Self {
            user_id: ctx.get(context_keys::USER_ID)?.parse().ok()?,
            roles: parse_roles(ctx.get(context_keys::ROLES)?).ok()?,
            session_id: ctx.get(context_keys::SESSION_ID)?.parse().ok()?,
        })
    }
}

/// Keys of the authorizer context.
pub mod context_keys {
    /// The user id.
    pub const USER_ID: &str = "user_id";
    /// Comma-separated roles.
    pub const ROLES: &str = "roles";
    /// The session id.
    pub const SESSION_ID: &str = "session_id";
}

/// Joins roles into the comma-separated form used in the authorizer context.
pub fn join_roles(roles: &[Role]) -> String {
    roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")
}

/// Parses the comma-separated form of [`join_roles`].
///
/// # Errors
/// [`UnknownRole`] if any entry is not a role.
pub fn parse_roles(csv: &str) -> Result<Vec<Role>, UnknownRole> {
    if csv.trim().is_empty() {
        return Ok(Vec::new());
    }
    csv.split(',').map(|s| s.trim().parse()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(Role::Viewer, Permission::OrdersRead, true)]
    #[case(Role::Viewer, Permission::MarketRead, true)]
    #[case(Role::Viewer, Permission::OrdersWrite, false)]
    #[case(Role::Viewer, Permission::AlertsWrite, false)]
    #[case(Role::Viewer, Permission::AlertsRead, true)]
    #[case(Role::Trader, Permission::AlertsWrite, true)]
    #[case(Role::Viewer, Permission::Admin, false)]
    #[case(Role::Trader, Permission::OrdersWrite, true)]
    #[case(Role::Trader, Permission::BacktestsWrite, true)]
    #[case(Role::Viewer, Permission::BacktestsRead, true)]
    #[case(Role::Viewer, Permission::StrategiesRead, true)]
    #[case(Role::Viewer, Permission::StrategiesWrite, false)]
    #[case(Role::Trader, Permission::StrategiesWrite, true)]
    #[case(Role::Viewer, Permission::BacktestsWrite, false)]
    #[case(Role::Trader, Permission::Admin, false)]
    #[case(Role::Admin, Permission::Admin, true)]
    fn role_grants_exactly_its_permissions(#[case] role: Role, #[case] p: Permission, #[case] granted: bool) {
        assert_eq!(role.grants(p), granted);
    }

    #[test]
    fn admin_holds_every_permission_and_viewer_cannot_write_anything() {
        for p in Permission::ALL {
            assert!(Role::Admin.grants(p));
        }
        let viewer_writes: Vec<_> = Permission::ALL
            .into_iter()
            .filter(|p| Role::Viewer.grants(*p))
            .filter(|p| serde_json::to_string(p).unwrap().contains("write"))
            .collect();
        assert!(viewer_writes.is_empty(), "{viewer_writes:?}");
    }

    #[test]
    fn roles_round_trip_through_the_authorizer_context_form() {
        let roles = vec![Role::Admin, Role::Viewer];
        assert_eq!(join_roles(&roles), "admin,viewer");
        assert_eq!(parse_roles("admin,viewer").unwrap(), roles);
        assert_eq!(parse_roles("").unwrap(), vec![]);
        assert_eq!(parse_roles("admin,root"), Err(UnknownRole));
    }

    #[test]
    fn a_principal_round_trips_through_the_authorizer_context() {
        let p = Principal {
            user_id: "01JDQ8ZK3M4N5P6Q7R8S9T0V1W".parse().unwrap(),
            roles: vec![Role::Admin, Role::Trader],
            session_id: "01JDQ8ZK3M4N5P6Q7R8S9T0V1X".parse().unwrap(),
        };
        let ctx = p.to_context();
        assert_eq!(ctx["roles"], "admin,trader");
        assert_eq!(Principal::from_context(&ctx), Some(p));
        let mut tampered = ctx.clone();
        tampered.insert("roles".into(), "root".into());
        assert_eq!(Principal::from_context(&tampered), None);
        let mut missing = ctx;
        missing.remove("session_id");
        assert_eq!(Principal::from_context(&missing), None);
    }

    #[test]
    fn a_principal_has_the_union_of_its_roles() {
        let p = Principal {
            user_id: "01JDQ8ZK3M4N5P6Q7R8S9T0V1W".parse().unwrap(),
            roles: vec![Role::Viewer],
            session_id: "01JDQ8ZK3M4N5P6Q7R8S9T0V1X".parse().unwrap(),
        };
        assert!(p.has(Permission::PortfolioRead));
        assert!(!p.has(Permission::OrdersWrite));
    }
}
