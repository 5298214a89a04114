//! The end-of-day snapshot job: for every account, a snapshot of each closed session it has none of yet,
//! since the later of its last snapshot and its funding (so a missed run is made good by the next), replayed
//! from its fills ([`Replay`]) and marked at each session's close. Writing a session twice writes nothing the
//! second time, so reruns and overlapping runs are harmless.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Days, NaiveDate, Utc};
use futures::StreamExt as _;

use crate::analytics::ports::SnapshotStore;
use crate::analytics::service::{AnalyticsError, fills_since};
use crate::analytics::snapshot::{Replay, SessionActivity, activity_before_funding};
use crate::identity::ports::{UserDirectory, UserQuery};
use crate::kernel::ids::UserId;
use crate::kernel::time::{Clock, ist_date};
use crate::market::calendar::MarketCalendar;
use crate::market::instrument::Exchange;
use crate::market::ports::MarketData;
use crate::market::service::current::CurrentMaster;
use crate::trading::ports::TradingLedger;

/// The most sessions one account is back-filled with in a run (about a year and a half); older missed
/// sessions stay missing.
pub const MAX_BACKFILL_SESSIONS: usize = 370;

/// Accounts snapshotted at once.
const CONCURRENT_ACCOUNTS: usize = 8;

/// What the job works with.
pub struct SnapshotContext {
    /// The paper book: accounts, fills, fundings.
    pub ledger: Arc<dyn TradingLedger>,
    /// Where snapshots go.
    pub snapshots: Arc<dyn SnapshotStore>,
    /// Every user (each has one paper account, opened when they registered).
    pub directory: Arc<dyn UserDirectory>,
    /// Closing prices.
    pub market: Arc<dyn MarketData>,
    /// Instruments.
    pub master: Arc<CurrentMaster>,
    /// Sessions and holidays.
    pub calendar: Arc<MarketCalendar>,
    /// The market clock.
    pub clock: Arc<dyn Clock>,
}

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SnapshotRun {
    /// Accounts looked at.
    pub accounts: usize,
    /// Snapshots written.
    pub written: usize,
    /// Accounts that failed.
    pub failed: usize,
}

/// The end-of-day snapshot job.
pub struct SnapshotService {
    ctx: SnapshotContext,
}

impl SnapshotService {
    /// The job over `ctx`.
    pub fn new(ctx: SnapshotContext) -> Self {
        Self { ctx }
    }

    /// Snapshots every account up to the last session closed at the clock's now. An account that fails is
    /// logged and the others still run.
    ///
    /// # Errors
    /// Listing the accounts failed, or some account did (after every other ran; a rerun completes it).
    pub async fn take(&self) -> Result<SnapshotRun, AnalyticsError> {
        let last_close = self.ctx.calendar.last_close(Exchange::Nse, self.ctx.clock.now());
        let through = ist_date(last_close);
        let mut run = SnapshotRun::default();
        let mut after = None;
        loop {
            let query = UserQuery {
                email_prefix: None,
                role: None,
                disabled: None,
                limit: 100,
                after,
            };
            let page = self.ctx.directory.search(&query).await?;
            run.accounts += page.items.len();
            let ids: Vec<UserId> = page.items.iter().map(|u| u.id).collect();
            let outcomes: Vec<Result<usize, AnalyticsError>> = futures::stream::iter(ids)
                .map(|id| async move { self.take_for(&id, through).await })
                .buffer_unordered(CONCURRENT_ACCOUNTS)
                .collect()
                .await;
            for outcome in outcomes {
                match outcome {
                    Ok(written) => run.written += written,
                    Err(e) => {
                        tracing::error!(error = ?e, "an account's snapshots failed");
                        run.failed += 1;
                    }
                }
            }
            match page.resume_after {
                Some(id) => after = Some(id),
                None if run.failed > 0 => {
                    return Err(anyhow::anyhow!("{} accounts' snapshots failed", run.failed).into());
                }
                None => return Ok(run),
            }
        }
    }

    /// Writes `user`'s missing snapshots of sessions up to `through`; how many it wrote.
    ///
    /// # Errors
    /// [`AnalyticsError`].
    pub async fn take_for(&self, user: &UserId, through: NaiveDate) -> Result<usize, AnalyticsError> {
        let ctx = &self.ctx;
        let (account, latest) = futures::try_join!(ctx.ledger.account(user), ctx.snapshots.latest(user))?;
        let Some(account) = account else {
            return Ok(0);
        };
        let close = |day: NaiveDate| ctx.calendar.close_on(Exchange::Nse, day);
        let after = latest.as_ref().map(|s| s.day);
        if after.is_some_and(|last| last >= through) {
            // Most runs: nothing closed since the last snapshot, two reads.
            return Ok(0);
        }
        let fundings = ctx.ledger.fundings(user, DateTime::<Utc>::MIN_UTC).await?;
        // The book replayed: since its last reset (on the market clock), else since it opened (all fills).
        let reset = fundings
            .last()
            .filter(|f| f.at == account.funded_at)
            .map(|f| f.at);
        let last_close = latest.as_ref().map(|s| close(s.day));
        let since = match (reset, last_close) {
            (Some(reset), Some(last)) => reset.min(last),
            (Some(reset), None) => reset,
            (None, _) => DateTime::<Utc>::MIN_UTC,
        };
        let fills = fills_since(ctx.ledger.as_ref(), user, since).await?;
        // An account's first session closes at or after its reset, else its first fill or its opening.
        let start = reset.unwrap_or_else(|| {
            let first_fill = fills.iter().map(|f| f.executed_at).min();
            first_fill.map_or(account.funded_at, |first| first.min(account.funded_at))
        });
        let sessions = self.sessions(after, through, |day| close(day) >= start);
        if sessions.is_empty() {
            return Ok(0);
        }
        // A reset since the last snapshot: the fills before it are not replayed, but what they did is
        // counted on the first session written.
        let mut carried = match (&latest, last_close, reset) {
            (Some(last), Some(last_close), Some(reset)) if last_close < reset => {
                let replaced: Vec<_> = fundings
                    .iter()
                    .filter(|f| f.at > last_close && f.at <= reset)
                    .cloned()
                    .collect();
                let before: Vec<_> = fills.iter().filter(|f| f.executed_at <= reset).cloned().collect();
                activity_before_funding(last.cash, &replaced, &before)
            }
            _ => SessionActivity::default(),
        };
        let attach_after = last_close.unwrap_or(start - chrono::Duration::nanoseconds(1));
        let mut fundings = fundings.into_iter().filter(|f| f.at > attach_after).peekable();
        let mut replay = Replay::new(account.initial_cash, reset, fills);
        if let Some(last_close) = last_close {
            // Up to the last snapshot: those sessions' activity is already theirs.
            replay.advance_to(last_close);
        }
        let mut written = 0;
        for day in sessions {
            let at = close(day);
            let activity = replay.advance_to(at) + std::mem::take(&mut carried);
            let open = replay.open_instruments();
            let closes = if open.is_empty() {
                Default::default()
            } else {
                let master = ctx.master.get(at).await?;
                let listed: Vec<_> = open.iter().filter_map(|k| master.get(k.as_str())).collect();
                ctx.market
                    .last_prices(&master, &listed, at)
                    .await
                    .map_err(anyhow::Error::from)?
            };
            let funded = std::iter::from_fn(|| fundings.next_if(|f| f.at <= at)).collect();
            let snapshot = replay.snapshot(day, activity, &closes, funded);
            if ctx.snapshots.put_new(user, &snapshot).await? {
                written += 1;
            }
        }
        Ok(written)
    }

    /// The trading sessions after `after` up to `through` for which `due` holds, the newest
    /// [`MAX_BACKFILL_SESSIONS`] of them, oldest first.
    fn sessions(
        &self,
        after: Option<NaiveDate>,
        through: NaiveDate,
        due: impl Fn(NaiveDate) -> bool,
    ) -> Vec<NaiveDate> {
        let mut sessions = Vec::new();
        let mut day = through;
        while after.is_none_or(|a| day > a) && sessions.len() < MAX_BACKFILL_SESSIONS {
            if self.ctx.calendar.is_trading_day(Exchange::Nse, day) {
                if !due(day) {
                    break;
                }
                sessions.push(day);
            }
            match day.checked_sub_days(Days::new(1)) {
                Some(previous) => day = previous,
                None => break,
            }
        }
        sessions.reverse();
        sessions
    }
}

#[async_trait]
impl crate::ops::ports::SnapshotTaker for SnapshotService {
    async fn take_snapshots(&self) -> anyhow::Result<()> {
        let run = self.take().await.map_err(anyhow::Error::from)?;
        tracing::info!(
            accounts = run.accounts,
            written = run.written,
            "end-of-day snapshots taken"
        );
        Ok(())
    }
}
