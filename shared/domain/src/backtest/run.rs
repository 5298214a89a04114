//! A backtest run as stored: its request, where it stands (QUEUED → RUNNING → DONE | FAILED, or CANCELLED by
//! its owner), its progress and timings; its result once done; and the queue message that asks a worker to
//! run it.

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::backtest::engine::Trade;
use crate::backtest::metrics::{Metrics, MonthlyReturn};
use crate::backtest::request::BacktestRequest;
use crate::kernel::events::DomainEvent;
use crate::kernel::ids::{BacktestId, UserId};

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RunStatus {
    /// Waiting for a worker.
    Queued,
    /// A worker holds it.
    Running,
    /// Finished; the result is stored.
    Done,
    /// Finished without a result; `error` says why.
    Failed,
    /// Stopped by its owner.
    Cancelled,
}

impl RunStatus {
    /// Whether nothing more happens to the run.
    pub fn is_final(self) -> bool {
        matches!(self, RunStatus::Done | RunStatus::Failed | RunStatus::Cancelled)
    }
}

/// How long one attempt took in each stage, milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timings {
    /// Reading the bars.
    pub history_ms: u64,
    /// The engine and the metrics.
    pub compute_ms: u64,
    /// Storing the result.
    pub store_ms: u64,
}

/// A run of one backtest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BacktestRun {
    /// Id.
    pub id: BacktestId,
    /// Owner.
    pub user_id: UserId,
    /// What was asked.
    pub request: BacktestRequest,
    /// Where it stands.
    pub status: RunStatus,
    /// How far the worker got, 0–100.
    pub progress_pct: u8,
    /// Submitted at.
    pub created_at: DateTime<Utc>,
    /// When a worker (last) started it.
    pub started_at: Option<DateTime<Utc>>,
    /// When it finished, failed or was cancelled.
    pub finished_at: Option<DateTime<Utc>>,
    /// Why it failed.
    pub error: Option<String>,
    /// Until when the worker running it holds it; past this, another worker may restart it.
    pub lease_until: Option<DateTime<Utc>>,
    /// How many parts its stored result has.
    pub result_parts: u32,
    /// How long the finishing attempt's stages took.
    pub timings: Option<Timings>,
    /// The `Idempotency-Key` it was submitted with.
    pub idempotency_key: Option<String>,
    /// SHA-256 of the canonical request, to tell a replay from a different request under the same key.
    pub request_hash: String,
    /// Optimistic-concurrency version, bumped on every write.
    pub version: u64,
}

/// Why a worker does not run a run now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotStarted {
    /// It finished (done, failed or cancelled): nothing to do, however often its message comes.
    Finished(RunStatus),
    /// Another worker holds it and its lease has not run out.
    Held,
}

impl BacktestRun {
    /// A run of `request` for `user`, queued at `now`.
    pub fn queued(
        (user, id): (UserId, BacktestId),
        request: BacktestRequest,
        (idempotency_key, request_hash): (Option<String>, String),
        now: DateTime<Utc>,
    ) -> Self {
        BacktestRun {
            id,
            user_id: user,
            request,
            status: RunStatus::Queued,
            progress_pct: 0,
            created_at: now,
            started_at: None,
            finished_at: None,
            error: None,
            lease_until: None,
            result_parts: 0,
            timings: None,
            idempotency_key,
            request_hash,
            version: 1,
        }
    }

    fn next(&self) -> BacktestRun {
        BacktestRun {
            version: self.version + 1,
            ..self.clone()
        }
    }

    /// The run taken by a worker at `now` for `lease`: a queued run, or a running one whose worker's lease
    /// ran out (that worker died; the run starts again from the beginning).
    ///
    /// # Errors
    /// [`NotStarted`]: finished, or held by a live worker.
    pub fn start(&self, now: DateTime<Utc>, lease: Duration) -> Result<BacktestRun, NotStarted> {
        match self.status {
            status if status.is_final() => Err(NotStarted::Finished(status)),
            RunStatus::Running if self.lease_until.is_some_and(|until| until > now) => Err(NotStarted::Held),
            _ => Ok(BacktestRun {
                status: RunStatus::Running,
                progress_pct: 0,
                started_at: Some(now),
                lease_until: Some(now + lease),
                ..self.next()
            }),
        }
    }

    /// The run having reached `pct`.
    pub fn progressed(&self, pct: u8) -> BacktestRun {
        BacktestRun {
            progress_pct: pct.min(100),
            ..self.next()
        }
    }

    /// The run done at `now`, its result stored in `parts` parts.
    pub fn done(&self, parts: u32, timings: Timings, now: DateTime<Utc>) -> BacktestRun {
        BacktestRun {
            status: RunStatus::Done,
            progress_pct: 100,
            finished_at: Some(now),
            lease_until: None,
            result_parts: parts,
            timings: Some(timings),
            ..self.next()
        }
    }

    /// The run failed at `now` for `error`.
    pub fn failed(&self, error: String, now: DateTime<Utc>) -> BacktestRun {
        BacktestRun {
            status: RunStatus::Failed,
            finished_at: Some(now),
            lease_until: None,
            error: Some(error),
            ..self.next()
        }
    }

    /// The run cancelled by its owner at `now`; `None` when it already finished.
    pub fn cancelled(&self, now: DateTime<Utc>) -> Option<BacktestRun> {
        (!self.status.is_final()).then(|| BacktestRun {
            status: RunStatus::Cancelled,
            finished_at: Some(now),
            lease_until: None,
            ..self.next()
        })
    }
}

/// A point of a curve: a daily bar's IST date (`YYYY-MM-DD`) or an intraday bar's start (RFC 3339), and a
/// value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint<V>(pub String, pub V);

/// What a finished run found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BacktestResult {
    /// The standard metrics.
    pub metrics: Metrics,
    /// Every trade, oldest first.
    pub trades: Vec<Trade>,
    /// Equity at every bar's close.
    pub equity_curve: Vec<CurvePoint<Decimal>>,
    /// The drawdown at every bar's close (a negative fraction, 0 at a peak).
    pub drawdown_curve: Vec<CurvePoint<f64>>,
    /// Each calendar month's return.
    pub monthly_returns: Vec<MonthlyReturn>,
}

/// The queue message asking a worker to run a backtest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BacktestRequested {
    /// The run.
    pub run_id: BacktestId,
    /// Its owner (the run's partition).
    pub user_id: UserId,
}

impl DomainEvent for BacktestRequested {
    const TYPE: &'static str = "backtest.requested";
    const VERSION: u32 = 1;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backtest::request::{ChargeModel, Crossover, Strategy};
    use crate::market::candles::Interval;
    use crate::market::instrument::InstrumentKey;
    use crate::trading::request::Product;
    use ulid::Ulid;

    fn run() -> BacktestRun {
        let at: DateTime<Utc> = "2026-11-25T05:30:00Z".parse().unwrap();
        let request = BacktestRequest {
            strategy: Strategy::SmaCrossover(Crossover { fast: 2, slow: 5 }),
            instrument: InstrumentKey::parse("NSE:INFY").unwrap(),
            interval: Interval::D1,
            from: at - Duration::days(30),
            to: at,
            initial_capital: Decimal::ONE_HUNDRED,
            commission_pct: Decimal::ZERO,
            slippage_bps: Decimal::ZERO,
            charges: ChargeModel::None,
            product: Product::Delivery,
        };
        let ids = (UserId::from_ulid(Ulid::nil()), BacktestId::from_ulid(Ulid::nil()));
        BacktestRun::queued(ids, request, (None, "h".into()), at)
    }

    #[test]
    fn a_run_is_taken_once_a_dead_workers_run_is_taken_again_and_a_finished_one_never() {
        let queued = run();
        let now = queued.created_at;
        let lease = Duration::minutes(15);
        let running = queued.start(now, lease).unwrap();
        assert_eq!((running.status, running.version), (RunStatus::Running, 2));
        assert_eq!(
            running.start(now + Duration::minutes(1), lease),
            Err(NotStarted::Held)
        );
        let restarted = running.start(now + Duration::minutes(16), lease).unwrap();
        assert_eq!(restarted.started_at, Some(now + Duration::minutes(16)));
        let done = restarted.done(2, Timings::default(), now + Duration::minutes(17));
        assert_eq!(
            (done.status, done.progress_pct, done.result_parts),
            (RunStatus::Done, 100, 2)
        );
        assert_eq!(
            done.start(now + Duration::hours(1), lease),
            Err(NotStarted::Finished(RunStatus::Done))
        );
        assert_eq!(done.cancelled(now), None, "a finished run cannot be cancelled");
        let cancelled = running.cancelled(now).unwrap();
        assert_eq!(
            cancelled.start(now, lease),
            Err(NotStarted::Finished(RunStatus::Cancelled))
        );
    }
}
