//! A trader's alerts: create (validated against the instrument, capped), list, read with trigger history,
//! edit (pause, resume, new target, note, expiry) and cancel.

use crate::alerts::alert::{Alert, AlertDraft, AlertEdit, AlertStatus, EditRefused, MAX_ACTIVE_ALERTS};
use crate::alerts::service::AlertService;
use crate::alerts::trigger::TriggerRecord;
use crate::kernel::error::RepoError;
use crate::kernel::ids::{AlertId, UserId};
use crate::kernel::page::Page;
use crate::kernel::validation::Violation;
use crate::market::instrument::Instrument;

/// How many triggers an alert's view carries.
pub const TRIGGER_HISTORY: u16 = 50;

/// An alert with its latest triggers, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertView {
    /// The alert.
    pub alert: Alert,
    /// Its latest [`TRIGGER_HISTORY`] triggers with their deliveries.
    pub triggers: Vec<TriggerRecord>,
}

/// Why an alert use case refused.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    /// The request breaks the rules (every violation listed).
    #[error("invalid alert")]
    Invalid(Vec<Violation>),
    /// No such alert of the caller's.
    #[error("no such alert")]
    NotFound,
    /// The account already has [`MAX_ACTIVE_ALERTS`] active alerts.
    #[error("at most {MAX_ACTIVE_ALERTS} alerts may be active at once")]
    LimitReached,
    /// The alert is triggered, expired or cancelled.
    #[error("the alert is {} and can no longer change", .0.name())]
    Closed(AlertStatus),
    /// The alert changed while this request ran; read it again.
    #[error("the alert changed meanwhile; read it again and retry")]
    Changed,
    /// Instruments could not be read.
    #[error("instruments unavailable")]
    Unavailable(#[source] anyhow::Error),
    /// Storage failed.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

crate::storage_failures_are_unexpected!(AlertError);

impl AlertService {
    async fn instrument(&self, key: &str, field: &'static str) -> Result<Instrument, AlertError> {
        let master = self
            .ctx
            .master
            .get(self.ctx.clock.now())
            .await
            .map_err(AlertError::Unavailable)?;
        master
            .get(key)
            .cloned()
            .ok_or_else(|| AlertError::Invalid(vec![Violation::new(field, format!("{key} is not listed"))]))
    }

    async fn owned(&self, user: &UserId, id: &AlertId) -> Result<Alert, AlertError> {
        self.ctx.alerts.get(user, id).await?.ok_or(AlertError::NotFound)
    }

    /// Creates an alert for `user`: the instrument must be listed, a price target a multiple of its tick, the
    /// webhook one of the user's endpoints, and the account under [`MAX_ACTIVE_ALERTS`] active alerts.
    ///
    /// # Errors
    /// [`AlertError`].
    pub async fn create(&self, user: UserId, draft: AlertDraft) -> Result<Alert, AlertError> {
        let instrument = self.instrument(draft.instrument.as_str(), "instrument").await?;
        let webhook = draft.webhook_id;
        let now = self.ctx.clock.now();
        let mut alert = draft.into_alert(self.ctx.ids.next(), user, &instrument, now);
        if let Some(id) = webhook
            && self.ctx.webhooks.get(&user, &id).await?.is_none()
        {
            let unknown = Violation::new("webhook_id", "names no webhook endpoint of yours");
            match &mut alert {
                Ok(_) => alert = Err(vec![unknown]),
                Err(violations) => violations.push(unknown),
            }
        }
        let alert = alert.map_err(AlertError::Invalid)?;
        match self.ctx.alerts.create(&alert, MAX_ACTIVE_ALERTS).await {
            Ok(()) => Ok(alert),
            Err(RepoError::Conflict) => Err(AlertError::LimitReached),
            Err(e) => Err(e.into()),
        }
    }

    /// One page of `user`'s alerts, newest first, optionally only those with `status`. An open alert past its
    /// expiry shows `EXPIRED` (the scan records it in the next market minute), and is listed under
    /// `EXPIRED` once recorded.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn list(
        &self,
        user: &UserId,
        status: Option<AlertStatus>,
        limit: u16,
        after: Option<AlertId>,
    ) -> Result<Page<Alert, AlertId>, AlertError> {
        let mut page = self.ctx.alerts.page(user, status, limit, after).await?;
        let now = self.ctx.clock.now();
        for alert in &mut page.items {
            alert.status = alert.status_at(now);
        }
        // An alert stored ACTIVE but past its expiry is not what `?status=ACTIVE` asks for.
        page.items.retain(|a| status.is_none_or(|s| a.status == s));
        Ok(page)
    }

    /// One of `user`'s alerts with its latest triggers.
    ///
    /// # Errors
    /// [`AlertError::NotFound`] for another account's or a missing alert.
    pub async fn get(&self, user: &UserId, id: &AlertId) -> Result<AlertView, AlertError> {
        let (alert, triggers) = futures::future::try_join(
            self.ctx.alerts.get(user, id),
            self.ctx.alerts.triggers(user, id, TRIGGER_HISTORY),
        )
        .await?;
        let mut alert = alert.ok_or(AlertError::NotFound)?;
        alert.status = alert.status_at(self.ctx.clock.now());
        Ok(AlertView { alert, triggers })
    }

    /// Edits one of `user`'s open alerts: pause, resume (re-armed, within the active cap), a new target
    /// (tick-checked, re-armed), note or expiry.
    ///
    /// # Errors
    /// [`AlertError`].
    pub async fn edit(&self, user: &UserId, id: &AlertId, edit: AlertEdit) -> Result<Alert, AlertError> {
        let before = self.owned(user, id).await?;
        let instrument = self.instrument(before.instrument.as_str(), "target").await?;
        let after = before
            .edit(edit, &instrument, self.ctx.clock.now())
            .map_err(|e| match e {
                EditRefused::Closed(status) => AlertError::Closed(status),
                EditRefused::Invalid(violations) => AlertError::Invalid(violations),
            })?;
        self.save(&before, &after).await?;
        Ok(after)
    }

    /// Cancels one of `user`'s alerts (kept, `CANCELLED`); cancelling a cancelled alert changes nothing.
    ///
    /// # Errors
    /// [`AlertError::NotFound`], or [`AlertError::Changed`] if it changed meanwhile.
    pub async fn cancel(&self, user: &UserId, id: &AlertId) -> Result<(), AlertError> {
        let before = self.owned(user, id).await?;
        match before.cancel(self.ctx.clock.now()) {
            Some(after) => self.save(&before, &after).await,
            None => Ok(()),
        }
    }

    async fn save(&self, before: &Alert, after: &Alert) -> Result<(), AlertError> {
        match self.ctx.alerts.save(before, after, MAX_ACTIVE_ALERTS).await {
            Ok(()) => Ok(()),
            Err(RepoError::Conflict) => {
                // Unchanged since read: the cap refused the resume. Otherwise someone else wrote first.
                let now = self.ctx.alerts.get(&before.user_id, &before.id).await?;
                if now.is_some_and(|a| a.version == before.version) && after.status == AlertStatus::Active {
                    Err(AlertError::LimitReached)
                } else {
                    Err(AlertError::Changed)
                }
            }
            Err(e) => Err(e.into()),
        }
    }
}
