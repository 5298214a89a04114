//! Executing a run off the queue: idempotent on redelivery (a finished run is never run again; a running one
//! whose worker died is started again once its lease runs out, never twice at once), cancellable between
//! steps, and failing for good, with its reason, on bad data instead of being retried.

use std::time::Instant;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::BacktestService;
use crate::backtest::engine::{Execution, FillCost, Outcome, Series, run};
use crate::backtest::metrics::{drawdowns, metrics, monthly_returns};
use crate::backtest::request::{BacktestRequest, ChargeModel, interval_name};
use crate::backtest::run::{
    BacktestRequested, BacktestResult, BacktestRun, CurvePoint, NotStarted, RunStatus, Timings,
};
use crate::kernel::error::{RepoError, Retryable};
use crate::kernel::time::ist;
use crate::market::candles::{Candle, Interval};
use crate::market::instrument::Instrument;
use crate::market::ports::MarketDataError;
use crate::trading::paper::charge_segment;

/// Deliveries of one message before a transient failure counts as permanent (the queue's DLQ takes the
/// message after this many).
pub const MAX_ATTEMPTS: u32 = 3;

/// What executing one message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Executed {
    /// The run is done; its result is stored.
    Done,
    /// The run failed for good; its `error` says why.
    Failed,
    /// The run had already finished (a redelivery): nothing was done.
    AlreadyFinished(RunStatus),
    /// Another worker holds the run: nothing was done.
    Held,
    /// The run was cancelled (or deleted) before it finished: its result was not stored.
    Cancelled,
}

/// A failure that another delivery may get past (storage, the market source); the message is retried.
#[derive(Debug, thiserror::Error)]
#[error("backtest {run}: {cause}")]
pub struct ExecuteError {
    /// The run.
    pub run: String,
    /// What failed.
    #[source]
    pub cause: anyhow::Error,
}

impl Retryable for ExecuteError {
    fn is_retryable(&self) -> bool {
        true
    }
}

/// Why a step stopped.
enum Stop {
    /// The owner cancelled or deleted the run.
    Cancelled,
    /// The run can never succeed: this is its error.
    Permanent(String),
    /// Worth another delivery.
    Transient(anyhow::Error),
}

impl From<RepoError> for Stop {
    fn from(e: RepoError) -> Self {
        Stop::Transient(e.into())
    }
}

impl BacktestService {
    /// Executes the run `job` names, on the message's `attempt`th delivery (1-based).
    ///
    /// # Errors
    /// [`ExecuteError`] for a transient failure before the last attempt; the message should be retried. On
    /// the last attempt the run is failed instead.
    pub async fn execute(&self, job: &BacktestRequested, attempt: u32) -> Result<Executed, ExecuteError> {
        let ctx = &self.ctx;
        let transient = |cause: anyhow::Error| ExecuteError {
            run: job.run_id.to_string(),
            cause,
        };
        let Some(stored) = ctx
            .store
            .get(&job.user_id, &job.run_id)
            .await
            .map_err(|e| transient(e.into()))?
        else {
            return Ok(Executed::Cancelled);
        };
        let running = match stored.start(ctx.clock.now(), ctx.lease) {
            Ok(running) => running,
            Err(NotStarted::Finished(status)) => return Ok(Executed::AlreadyFinished(status)),
            Err(NotStarted::Held) => return Ok(Executed::Held),
        };
        match ctx.store.update(&running).await {
            Ok(()) => {}
            Err(RepoError::Conflict) => return Ok(Executed::Held),
            Err(e) => return Err(transient(e.into())),
        }
        tracing::info!(run_id = %running.id, attempt, "backtest started");
        let stop = match self.carry_out(running.clone()).await {
            Ok(()) => return Ok(Executed::Done),
            Err(stop) => stop,
        };
        let error = match stop {
            Stop::Cancelled => return Ok(Executed::Cancelled),
            Stop::Transient(cause) if attempt < MAX_ATTEMPTS => return Err(transient(cause)),
            Stop::Transient(cause) => format!("gave up after {attempt} attempts: {cause}"),
            Stop::Permanent(error) => error,
        };
        // Record the failure on the run as it now stands (progress updates moved its version).
        let latest = ctx
            .store
            .get(&job.user_id, &job.run_id)
            .await
            .map_err(|e| transient(e.into()))?;
        match latest.filter(|r| r.status == RunStatus::Running) {
            Some(current) => {
                let failed = current.failed(error.clone(), ctx.clock.now());
                match ctx.store.update(&failed).await {
                    Ok(()) | Err(RepoError::Conflict) => {}
                    Err(e) => return Err(transient(e.into())),
                }
                tracing::warn!(run_id = %job.run_id, %error, "backtest failed");
                Ok(Executed::Failed)
            }
            None => Ok(Executed::Cancelled),
        }
    }

    /// Reads the bars, runs the engine, stores the result and marks the run done, checking for cancellation
    /// between steps.
    async fn carry_out(&self, run: BacktestRun) -> Result<(), Stop> {
        let ctx = &self.ctx;
        let request = &run.request;
        let started = Instant::now();
        let (instrument, bars) = self.bars(request).await?;
        let history_ms = elapsed_ms(started);
        let run = self.advance(&run, 40).await?;

        let computing = Instant::now();
        let result = self.compute(request, &instrument, bars)?;
        let compute_ms = elapsed_ms(computing);
        let run = self.advance(&run, 80).await?;

        let storing = Instant::now();
        let parts = ctx.store.store_result(&run, &result).await?;
        let timings = Timings {
            history_ms,
            compute_ms,
            store_ms: elapsed_ms(storing),
        };
        match ctx.store.update(&run.done(parts, timings, ctx.clock.now())).await {
            Ok(()) => {
                tracing::info!(run_id = %run.id, ?timings, trades = result.trades.len(), "backtest done");
                Ok(())
            }
            Err(RepoError::Conflict) => {
                // Cancelled or deleted while the result was stored: nobody will read it.
                if let Err(e) = ctx.store.discard_result(&run, parts).await {
                    tracing::warn!(run_id = %run.id, error = ?e, "result of a cancelled backtest left behind");
                }
                Err(Stop::Cancelled)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The run at `pct`, unless its owner cancelled or deleted it meanwhile.
    async fn advance(&self, run: &BacktestRun, pct: u8) -> Result<BacktestRun, Stop> {
        let next = run.progressed(pct);
        match self.ctx.store.update(&next).await {
            Ok(()) => Ok(next),
            Err(RepoError::Conflict) => Err(Stop::Cancelled),
            Err(e) => Err(e.into()),
        }
    }

    /// The instrument and the bars of the request's range, from the market's history.
    async fn bars(&self, request: &BacktestRequest) -> Result<(Instrument, Vec<Candle>), Stop> {
        let ctx = &self.ctx;
        let now = ctx.clock.now();
        let master = ctx
            .master
            .get(now)
            .await
            .map_err(|e| Stop::Transient(e.context("instrument master")))?;
        let instrument = master
            .get(request.instrument.as_str())
            .ok_or_else(|| Stop::Permanent(format!("{} is no longer listed", request.instrument)))?;
        let bars = ctx
            .history
            .candles(
                &master,
                instrument,
                request.interval,
                request.from,
                request.to,
                now,
            )
            .await
            .map_err(|e| match e {
                MarketDataError::Unavailable(cause) => Stop::Transient(cause.context("market history")),
                MarketDataError::Unsupported(why) => Stop::Permanent(why),
            })?;
        if bars.is_empty() {
            return Err(Stop::Permanent(format!(
                "no {} bars of {} from {} to {}",
                interval_name(request.interval),
                request.instrument,
                request.from.to_rfc3339(),
                request.to.to_rfc3339()
            )));
        }
        Ok((instrument.clone(), bars))
    }

    /// The engine's run of `request` over `bars`, with its metrics and curves.
    fn compute(
        &self,
        request: &BacktestRequest,
        instrument: &Instrument,
        bars: Vec<Candle>,
    ) -> Result<BacktestResult, Stop> {
        let ctx = &self.ctx;
        let cost = match request.charges {
            ChargeModel::None => FillCost::Commission {
                rate: request.commission_pct / Decimal::ONE_HUNDRED,
            },
            ChargeModel::Statutory => FillCost::Statutory {
                schedule: &ctx.charges,
                plan: &ctx.plan,
                segment: charge_segment(instrument, request.product),
            },
        };
        let execution = Execution {
            cost,
            slippage: request.slippage_bps / Decimal::from(10_000),
        };
        let series = Series::new(bars);
        let outcome = run(&request.strategy, &series, request.initial_capital, &execution)
            .map_err(|e| Stop::Permanent(e.to_string()))?;
        let times: Vec<DateTime<Utc>> = series.bars.iter().map(|b| b.start).collect();
        Ok(result_of(&outcome, &times, request.interval))
    }
}

/// The result of `outcome` over bars starting at `times`.
fn result_of(outcome: &Outcome, times: &[DateTime<Utc>], interval: Interval) -> BacktestResult {
    let label = |t: &DateTime<Utc>| match interval {
        Interval::D1 => t.with_timezone(&ist()).date_naive().to_string(),
        _ => t.to_rfc3339(),
    };
    let equity_f: Vec<f64> = outcome
        .equity
        .iter()
        .map(|e| rust_decimal::prelude::ToPrimitive::to_f64(e).unwrap_or(f64::NAN))
        .collect();
    BacktestResult {
        metrics: metrics(outcome, times, interval),
        trades: outcome.trades.clone(),
        equity_curve: times
            .iter()
            .zip(&outcome.equity)
            .map(|(t, e)| CurvePoint(label(t), *e))
            .collect(),
        drawdown_curve: times
            .iter()
            .zip(drawdowns(&equity_f))
            .map(|(t, d)| CurvePoint(label(t), d))
            .collect(),
        monthly_returns: monthly_returns(&outcome.equity, times),
    }
}

fn elapsed_ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}
