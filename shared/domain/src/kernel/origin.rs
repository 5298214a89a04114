//! Where the request being handled comes from: its request id, the caller's IP and the authenticated user.
//!
//! The HTTP layer runs each request's handling inside [`RequestOrigin::scope`] (a tokio task-local), so the
//! audit trail stamps every event with it without each use case passing it along. Outside a request (the
//! scheduler, the workers) there is none. Work spawned onto another task does not inherit it.

use std::future::Future;

use crate::kernel::ids::UserId;

/// Where a request comes from, as API Gateway (or the local gateway) established it: never from headers the
/// client could set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestOrigin {
    /// The request's id: API Gateway's, or the one the local gateway assigned.
    pub request_id: String,
    /// The caller's IP as API Gateway saw it, when known.
    pub source_ip: Option<String>,
    /// The authenticated user making the request; `None` on public routes (a login, a registration).
    pub actor: Option<UserId>,
}

tokio::task_local! {
    static CURRENT: RequestOrigin;
}

impl RequestOrigin {
    /// Runs `work` with `self` as the current origin (everything `work` awaits on this task sees it).
    pub fn scope<F: Future>(self, work: F) -> impl Future<Output = F::Output> {
        CURRENT.scope(self, work)
    }

    /// The origin of the request being handled on this task; `None` outside a request.
    pub fn current() -> Option<Self> {
        CURRENT.try_with(Clone::clone).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(id: &str) -> RequestOrigin {
        RequestOrigin {
            request_id: id.to_owned(),
            source_ip: Some("203.0.113.7".into()),
            actor: None,
        }
    }

    #[tokio::test]
    async fn the_origin_is_current_inside_its_scope_only_and_the_innermost_wins() {
        assert_eq!(RequestOrigin::current(), None);
        let seen = origin("outer")
            .scope(async {
                let outer = RequestOrigin::current();
                let inner = origin("inner").scope(async { RequestOrigin::current() }).await;
                (outer, inner, RequestOrigin::current())
            })
            .await;
        assert_eq!(seen.0, Some(origin("outer")));
        assert_eq!(seen.1, Some(origin("inner")));
        assert_eq!(seen.2, Some(origin("outer")));
        assert_eq!(RequestOrigin::current(), None);
    }
}
