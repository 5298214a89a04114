//! The backtest use cases over in-memory fakes: submission (validation, idempotency, the queue), the
//! worker's execution (hand-checked result, redelivery, a dead worker's run, cancellation, bad data,
//! transient failures), and reading and deleting one's own runs.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use ulid::Ulid;

use super::*;
use crate::backtest::engine::TradeStatus;
use crate::backtest::request::{BacktestRequest, ChargeModel, Crossover, Strategy};
use crate::backtest::run::{BacktestRequested, BacktestRun, RunStatus};
use crate::kernel::ids::{BacktestId, UserId};
use crate::market::calendar::MarketCalendar;
use crate::market::candles::{Candle, Interval};
use crate::market::instrument::{Instrument, InstrumentKey};
use crate::market::master::InstrumentMaster;
use crate::market::ports::MarketDataError;
use crate::market::quote::Quote;
use crate::testing::{
    FixedMarket, InMemoryBacktestStore, InMemoryInstrumentStore, ManualClock, RecordingPublisher,
    SequentialIds,
};
use crate::trading::request::Product;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// The engine's hand-checked SMA(2, 3) series: daily bars from 4 May 2026, one trade (86 bought at 11.50,
/// sold at 8.50), final equity 742.
fn sma_bars() -> Vec<Candle> {
    let pairs = [
        (10.0, 10.0),
        (9.5, 9.0),
        (8.5, 8.0),
        (8.5, 9.0),
        (9.5, 11.0),
        (11.5, 12.0),
        (12.0, 11.0),
        (10.5, 9.0),
        (8.5, 8.0),
        (9.0, 10.0),
    ];
    pairs
        .iter()
        .enumerate()
        .map(|(t, (o, c))| {
            let (open, close) = (Decimal::try_from(*o).unwrap(), Decimal::try_from(*c).unwrap());
            Candle {
                start: at("2026-05-04T03:45:00Z") + Duration::days(t as i64),
                open,
                high: open.max(close),
                low: open.min(close),
                close,
                volume: 1,
            }
        })
        .collect()
}

fn request() -> BacktestRequest {
    BacktestRequest {
        strategy: Strategy::SmaCrossover(Crossover { fast: 2, slow: 3 }),
        instrument: InstrumentKey::parse("NSE:INFY").unwrap(),
        interval: Interval::D1,
        from: at("2026-05-01T00:00:00+05:30"),
        to: at("2026-06-01T00:00:00+05:30"),
        initial_capital: dec!(1000),
        commission_pct: Decimal::ZERO,
        slippage_bps: Decimal::ZERO,
        charges: ChargeModel::None,
        product: Product::Delivery,
    }
}

struct World {
    service: BacktestService,
    store: Arc<InMemoryBacktestStore>,
    queue: Arc<RecordingPublisher>,
    market: Arc<FixedMarket>,
    clock: Arc<ManualClock>,
    user: UserId,
}

fn world() -> World {
    world_with(Arc::new(RecordingPublisher::default()), |market, _| market)
}

/// The world with `queue`, reading its history through what `history` makes of the fixed market and the
/// store.
fn world_with(
    queue: Arc<RecordingPublisher>,
    history: impl FnOnce(Arc<FixedMarket>, Arc<InMemoryBacktestStore>) -> Arc<dyn MarketData>,
) -> World {
    let calendar = Arc::new(MarketCalendar::nse().unwrap());
    let store = Arc::new(InMemoryBacktestStore::default());
    let market = Arc::new(FixedMarket::default());
    market.set_candles("NSE:INFY", sma_bars());
    let clock = Arc::new(ManualClock::at(at("2026-11-25T11:00:00+05:30")));
    let service = BacktestService::new(BacktestContext {
        store: store.clone(),
        queue: queue.clone(),
        history: history(market.clone(), store.clone()),
        master: Arc::new(CurrentMaster::new(
            Arc::new(InMemoryInstrumentStore::default()),
            calendar,
        )),
        charges: Arc::new(ChargeSchedule::shipped().unwrap()),
        plan: BrokeragePlan::default(),
        clock: clock.clone(),
        ids: Arc::new(SequentialIds::default()),
        lease: Duration::minutes(15),
    });
    World {
        service,
        store,
        queue,
        market,
        clock,
        user: UserId::from_ulid(Ulid::from_parts(7_000, 7)),
    }
}

fn command(request: BacktestRequest, key: Option<&str>, hash: &str) -> SubmitCommand {
    SubmitCommand {
        request,
        idempotency_key: key.map(str::to_owned),
        request_hash: hash.into(),
    }
}

impl World {
    async fn submitted(&self, request: BacktestRequest) -> BacktestRun {
        match self
            .service
            .submit(self.user, command(request, None, "h"))
            .await
            .unwrap()
        {
            Submitted::Created(run) => run,
            Submitted::Replayed(run) => panic!("replayed {run:?}"),
        }
    }

    fn job(&self, run: &BacktestRun) -> BacktestRequested {
        BacktestRequested {
            run_id: run.id,
            user_id: self.user,
        }
    }

    async fn stored(&self, run: &BacktestRun) -> BacktestRun {
        self.service.get(&self.user, &run.id).await.unwrap().unwrap().run
    }
}

#[tokio::test]
async fn a_submission_is_stored_queued_and_run_to_the_hand_checked_result() {
    let w = world();
    let run = w.submitted(request()).await;
    assert_eq!((run.status, run.progress_pct), (RunStatus::Queued, 0));
    let published = w.queue.published();
    assert_eq!(published.len(), 1);
    let job: BacktestRequested = published[0].open().unwrap();
    assert_eq!(job, w.job(&run));

    assert_eq!(w.service.execute(&job, 1).await.unwrap(), Executed::Done);
    let view = w.service.get(&w.user, &run.id).await.unwrap().unwrap();
    assert_eq!((view.run.status, view.run.progress_pct), (RunStatus::Done, 100));
    assert!(view.run.timings.is_some() && view.run.finished_at.is_some());
    let result = view.result.unwrap();
    assert_eq!(result.trades.len(), 1);
    let trade = &result.trades[0];
    assert_eq!(
        (trade.entry_price, trade.exit_price, trade.quantity),
        (dec!(11.5), Some(dec!(8.5)), 86)
    );
    assert_eq!(trade.status, TradeStatus::Closed);
    assert_eq!(result.equity_curve.len(), 10);
    assert_eq!(
        result.equity_curve[0].0, "2026-05-04",
        "daily bars are labelled by their IST date"
    );
    assert_eq!(result.equity_curve[9].1, dec!(742));
    assert!((result.metrics.total_return - (742.0 / 1000.0 - 1.0)).abs() < 1e-12);
    assert_eq!(result.monthly_returns.len(), 1);
}

#[tokio::test]
async fn bad_requests_name_every_field_and_neither_store_nor_queue_anything() {
    let w = world();
    let bad = BacktestRequest {
        strategy: Strategy::SmaCrossover(Crossover { fast: 5, slow: 5 }),
        instrument: InstrumentKey::parse("NSE:NOPE").unwrap(),
        initial_capital: dec!(-1),
        ..request()
    };
    let Err(SubmitError::Invalid(violations)) = w.service.submit(w.user, command(bad, None, "h")).await
    else {
        panic!("not refused");
    };
    let fields: Vec<_> = violations.iter().map(|v| v.field).collect();
    assert_eq!(fields, ["strategy.params.fast", "instrument", "initial_capital"]);
    // The shipped charge table starts on 1 Apr 2026: statutory charges need a range from then.
    let early = BacktestRequest {
        charges: ChargeModel::Statutory,
        from: at("2026-01-01T00:00:00+05:30"),
        ..request()
    };
    let Err(SubmitError::Invalid(violations)) = w.service.submit(w.user, command(early, None, "h")).await
    else {
        panic!("not refused");
    };
    assert_eq!(violations[0].field, "charges");
    assert!(w.store.is_empty() && w.queue.published().is_empty());
}

#[tokio::test]
async fn a_resubmission_under_the_same_key_answers_with_the_original_run_and_a_different_one_is_refused() {
    let w = world();
    let first = w
        .service
        .submit(w.user, command(request(), Some("k-1"), "h1"))
        .await
        .unwrap();
    let Submitted::Created(run) = first else {
        panic!("not created")
    };
    let Submitted::Replayed(again) = w
        .service
        .submit(w.user, command(request(), Some("k-1"), "h1"))
        .await
        .unwrap()
    else {
        panic!("not replayed");
    };
    assert_eq!(again.id, run.id);
    assert!(matches!(
        w.service
            .submit(w.user, command(request(), Some("k-1"), "h2"))
            .await,
        Err(SubmitError::KeyReused)
    ));
    assert_eq!(w.queue.published().len(), 1, "queued once");
}

#[tokio::test]
async fn when_the_queue_is_down_the_submission_keeps_nothing_and_can_be_retried() {
    let w = world_with(Arc::new(RecordingPublisher::failing()), |market, _| market);
    assert!(matches!(
        w.service
            .submit(w.user, command(request(), Some("k-1"), "h"))
            .await,
        Err(SubmitError::Unavailable(_))
    ));
    assert!(w.store.is_empty(), "no run no worker will ever take");
}

#[tokio::test]
async fn a_redelivered_message_never_runs_a_finished_run_again() {
    let w = world();
    let run = w.submitted(request()).await;
    assert_eq!(w.service.execute(&w.job(&run), 1).await.unwrap(), Executed::Done);
    assert_eq!(
        w.service.execute(&w.job(&run), 2).await.unwrap(),
        Executed::AlreadyFinished(RunStatus::Done)
    );
    assert_eq!(w.store.results_stored(), 1);
}

#[tokio::test]
async fn a_run_held_by_a_live_worker_is_left_alone_and_a_dead_workers_run_is_started_again() {
    let w = world();
    let run = w.submitted(request()).await;
    // A worker took it and died: its lease holds for 15 minutes.
    let taken = run.start(w.clock.now(), Duration::minutes(15)).unwrap();
    w.store.update(&taken).await.unwrap();
    assert_eq!(w.service.execute(&w.job(&run), 1).await.unwrap(), Executed::Held);
    w.clock.set(at("2026-11-25T11:16:00+05:30"));
    assert_eq!(w.service.execute(&w.job(&run), 2).await.unwrap(), Executed::Done);
    assert_eq!(w.stored(&run).await.status, RunStatus::Done);
}

/// A history source whose read cancels the run first, as an owner's DELETE landing mid-run would.
struct CancelledMidRun {
    inner: Arc<FixedMarket>,
    store: Arc<InMemoryBacktestStore>,
    run: Arc<std::sync::Mutex<Option<BacktestRun>>>,
}

#[async_trait]
impl MarketData for CancelledMidRun {
    async fn quotes(
        &self,
        master: &InstrumentMaster,
        instruments: &[&Instrument],
        now: DateTime<Utc>,
    ) -> Result<std::collections::HashMap<InstrumentKey, Quote>, MarketDataError> {
        self.inner.quotes(master, instruments, now).await
    }

    async fn candles(
        &self,
        master: &InstrumentMaster,
        instrument: &Instrument,
        interval: Interval,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Candle>, MarketDataError> {
        let run = self.run.lock().unwrap().take().unwrap();
        let current = self.store.get(&run.user_id, &run.id).await.unwrap().unwrap();
        self.store.update(&current.cancelled(now).unwrap()).await.unwrap();
        self.inner
            .candles(master, instrument, interval, from, to, now)
            .await
    }
}

#[tokio::test]
async fn a_run_cancelled_while_it_runs_stops_without_storing_a_result() {
    let run_slot = Arc::new(std::sync::Mutex::new(None));
    let slot = run_slot.clone();
    let w = world_with(Arc::new(RecordingPublisher::default()), move |inner, store| {
        Arc::new(CancelledMidRun {
            inner,
            store,
            run: slot,
        })
    });
    let run = w.submitted(request()).await;
    *run_slot.lock().unwrap() = Some(run.clone());
    assert_eq!(
        w.service.execute(&w.job(&run), 1).await.unwrap(),
        Executed::Cancelled
    );
    assert_eq!(w.stored(&run).await.status, RunStatus::Cancelled);
    assert_eq!(w.store.results_stored(), 0);
}

#[tokio::test]
async fn a_run_cancelled_while_its_result_is_stored_leaves_no_result_behind() {
    let w = world();
    let run = w.submitted(request()).await;
    w.store.cancel_on_next_result(w.clock.now());
    assert_eq!(
        w.service.execute(&w.job(&run), 1).await.unwrap(),
        Executed::Cancelled
    );
    assert_eq!(w.stored(&run).await.status, RunStatus::Cancelled);
    assert_eq!(w.store.results_stored(), 1);
    assert_eq!(w.store.results_kept(), 0, "the stored parts were discarded");
}

#[tokio::test]
async fn a_run_without_bars_fails_for_good_with_its_reason_and_is_not_retried() {
    let w = world();
    let empty = BacktestRequest {
        from: at("2026-07-01T00:00:00+05:30"),
        to: at("2026-08-01T00:00:00+05:30"),
        ..request()
    };
    let run = w.submitted(empty).await;
    assert_eq!(
        w.service.execute(&w.job(&run), 1).await.unwrap(),
        Executed::Failed
    );
    let failed = w.stored(&run).await;
    assert_eq!(failed.status, RunStatus::Failed);
    let error = failed.error.unwrap();
    assert!(error.starts_with("no 1d bars of NSE:INFY"), "{error}");
}

#[tokio::test]
async fn an_outage_is_retried_and_given_up_on_the_last_delivery() {
    let w = world();
    let run = w.submitted(request()).await;
    w.market.unavailable(true);
    let error = w.service.execute(&w.job(&run), 1).await.unwrap_err();
    assert!(crate::kernel::error::Retryable::is_retryable(&error));
    // The next delivery comes after the lease (SQS's visibility timeout is the lease).
    w.clock.set(at("2026-11-25T11:16:00+05:30"));
    assert_eq!(
        w.service.execute(&w.job(&run), MAX_ATTEMPTS).await.unwrap(),
        Executed::Failed
    );
    let failed = w.stored(&run).await;
    assert!(failed.error.unwrap().starts_with("gave up after 3 attempts"));
}

#[tokio::test]
async fn deleting_cancels_an_active_run_removes_a_finished_one_and_never_reaches_anothers() {
    let w = world();
    let queued = w.submitted(request()).await;
    let Deleted::Cancelled(cancelled) = w.service.delete(&w.user, &queued.id).await.unwrap() else {
        panic!("not cancelled");
    };
    assert_eq!(cancelled.status, RunStatus::Cancelled);
    assert_eq!(
        w.service.execute(&w.job(&queued), 1).await.unwrap(),
        Executed::AlreadyFinished(RunStatus::Cancelled)
    );
    let stranger = UserId::from_ulid(Ulid::from_parts(6_000, 6));
    assert!(matches!(
        w.service.delete(&stranger, &queued.id).await,
        Err(DeleteError::NotFound)
    ));
    assert!(w.service.get(&stranger, &queued.id).await.unwrap().is_none());
    assert!(matches!(
        w.service.delete(&w.user, &queued.id).await.unwrap(),
        Deleted::Removed
    ));
    assert!(w.service.get(&w.user, &queued.id).await.unwrap().is_none());
    let unknown = BacktestId::from_ulid(Ulid::from_parts(1, 1));
    assert!(matches!(
        w.service.delete(&w.user, &unknown).await,
        Err(DeleteError::NotFound)
    ));
}

#[tokio::test]
async fn runs_list_newest_first_a_page_at_a_time() {
    let w = world();
    let first = w.submitted(request()).await;
    let second = w.submitted(request()).await;
    let page = w.service.list(&w.user, 1, None).await.unwrap();
    assert_eq!(page.items[0].id, second.id);
    let next = w.service.list(&w.user, 1, page.resume_after).await.unwrap();
    assert_eq!((next.items[0].id, next.resume_after), (first.id, None));
}
