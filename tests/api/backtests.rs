//! Backtests end to end: a daily CSV imported into the stack's table becomes the instrument's history for
//! the candles route and for backtests alike; each strategy kind submitted over it is run by the backtest
//! worker (through the queue poller) and its trades and equity are exactly the engine's over those bars;
//! runs are their owner's alone, viewers cannot submit, a repeated submission is one run, and intraday runs
//! read the minute history.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tradesense_adapters::dynamo::Table;
use tradesense_adapters::dynamo::daily_history::DynamoDailyHistory;
use tradesense_domain::backtest::engine::{Execution, FillCost, Outcome, Series, TradeStatus, run};
use tradesense_domain::backtest::request::{Bollinger, Breakout, Crossover, RsiReversion, Strategy};
use tradesense_domain::identity::rbac::Role;
use tradesense_domain::market::calendar::MarketCalendar;
use tradesense_domain::market::candles::Candle;
use tradesense_domain::market::instrument::Exchange;
use tradesense_domain::market::master::InstrumentMaster;
use tradesense_domain::trading::charges::{BrokeragePlan, ChargeSchedule};
use tradesense_domain::trading::paper::charge_segment;
use tradesense_domain::trading::request::Product;
use tradesense_local::import::import_daily_csv;

use crate::helpers::{client, get_with_token, new_trader, post_json_with_token, simulated_today, stack};

/// Imported for these tests only: no other test reads its history.
const IMPORTED: &str = "NSE:WIPRO";
const SESSIONS: usize = 120;

fn dec(v: &Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("a decimal string: {v}"))
        .parse()
        .unwrap()
}

/// On a 0.05 tick.
fn tick(x: f64) -> Decimal {
    Decimal::from((x * 20.0).round() as i64) / Decimal::from(20)
}

/// 120 NSE sessions from 1 April 2026 of a rising, oscillating price (so every kind trades), as the CSV a
/// user would import, and as the bars that CSV is (each starting at its session's open).
fn imported_history() -> (String, Vec<Candle>) {
    let calendar = MarketCalendar::nse().unwrap();
    let days = NaiveDate::from_ymd_opt(2026, 4, 1)
        .unwrap()
        .iter_days()
        .filter(|d| calendar.is_trading_day(Exchange::Nse, *d))
        .take(SESSIONS);
    let mut csv = String::from("Date,Open,High,Low,Close,Volume\n");
    let mut bars = Vec::new();
    let mut previous_close = 500.0;
    for (t, day) in days.enumerate() {
        let t_f = t as f64;
        let close = 500.0 + 40.0 * (t_f * std::f64::consts::TAU / 30.0).sin() + 0.4 * t_f;
        let open = previous_close + 3.0 * (t_f * 1.7).sin();
        previous_close = close;
        let (open, close) = (tick(open), tick(close));
        let high = open.max(close) + Decimal::from(2);
        let low = open.min(close) - Decimal::from(2);
        let volume = 100_000 + t as u64;
        csv.push_str(&format!("{day},{open},{high},{low},{close},{volume}\n"));
        bars.push(Candle {
            start: calendar.open_on(Exchange::Nse, day),
            open,
            high,
            low,
            close,
            volume,
        });
    }
    (csv, bars)
}

async fn import(csv: &str) {
    let aws = stack().aws().await;
    let history = DynamoDailyHistory::new(Table::new(aws.dynamodb.clone(), &stack().table));
    assert_eq!(import_daily_csv(&history, IMPORTED, csv).await.unwrap(), SESSIONS);
}

async fn get_json(path: &str, token: &str) -> (StatusCode, Value) {
    let response = get_with_token(path, token).await;
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Polls the run until it is no longer queued or running.
async fn finished(id: &str, token: &str) -> Value {
    let path = format!("/v1/backtests/{id}");
    for _ in 0..300 {
        let (status, run) = get_json(&path, token).await;
        assert_eq!(status, StatusCode::OK, "{run}");
        if !matches!(run["status"].as_str(), Some("QUEUED" | "RUNNING")) {
            return run;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("backtest {id} never finished");
}

fn submission(strategy: Value, from: &str, to: &str) -> Value {
    json!({
        "strategy": strategy, "instrument": IMPORTED, "interval": "1d", "from": from, "to": to,
        "initial_capital": "100000", "commission_pct": "0.03", "slippage_bps": "5"
    })
}

/// The API's run against the engine's outcome over the same bars: every trade and every equity point.
fn assert_follows(run: &Value, outcome: &Outcome, what: &str) {
    assert_eq!(run["status"], "DONE", "{what}: {}", run["error"]);
    let trades = run["trades"].as_array().unwrap();
    assert_eq!(trades.len(), outcome.trades.len(), "{what}: trades");
    assert!(!trades.is_empty(), "{what}: the series is built to trade");
    for (api, engine) in trades.iter().zip(&outcome.trades) {
        let at = |v: &Value| v.as_str().unwrap().parse::<DateTime<Utc>>().unwrap();
        assert_eq!(at(&api["entry_at"]), engine.entry_at, "{what}");
        assert_eq!(dec(&api["entry_price"]), engine.entry_price, "{what}");
        assert_eq!(api["quantity"], engine.quantity, "{what}");
        assert_eq!(dec(&api["entry_commission"]), engine.entry_commission, "{what}");
        assert_eq!(dec(&api["net_pnl"]), engine.net_pnl, "{what}");
        match engine.status {
            TradeStatus::Closed => {
                assert_eq!(api["status"], "CLOSED", "{what}");
                assert_eq!(Some(dec(&api["exit_price"])), engine.exit_price, "{what}");
            }
            TradeStatus::Open => {
                assert_eq!(api["status"], "OPEN", "{what}");
                assert_eq!(Some(dec(&api["mark_price"])), engine.mark_price, "{what}");
            }
        }
    }
    let curve = run["equity_curve"].as_array().unwrap();
    let equity: Vec<Decimal> = curve.iter().map(|p| dec(&p[1])).collect();
    assert_eq!(equity, outcome.equity, "{what}: equity at every bar");
    assert_eq!(
        dec(&run["metrics"]["total_commission"]),
        outcome.total_commission,
        "{what}"
    );
}

#[tokio::test]
async fn each_strategy_kind_over_an_imported_csv_follows_the_engine_exactly() {
    let (csv, bars) = imported_history();
    import(&csv).await;
    let (_, token) = new_trader().await;
    let (from, to) = (
        bars[0].start.format("%Y-%m-%d").to_string(),
        bars[SESSIONS - 1].start.format("%Y-%m-%d").to_string(),
    );

    // The candles route serves the imported bars: the history a backtest reads.
    let (status, body) = get_json(
        &format!(
            "/v1/market/candles/{IMPORTED}?interval=1d&from={}&to={}",
            bars[0].start.to_rfc3339().replace('+', "%2B"),
            (bars[SESSIONS - 1].start + chrono::Duration::days(1))
                .to_rfc3339()
                .replace('+', "%2B")
        ),
        &token,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let served: Vec<(Decimal, Decimal)> = body["candles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (dec(&c[1]), dec(&c[4])))
        .collect();
    let imported: Vec<(Decimal, Decimal)> = bars.iter().map(|b| (b.open, b.close)).collect();
    assert_eq!(served, imported);

    let strategies = [
        (
            json!({"kind": "sma_crossover", "params": {"fast": 5, "slow": 15}}),
            Strategy::SmaCrossover(Crossover { fast: 5, slow: 15 }),
        ),
        (
            json!({"kind": "ema_crossover", "params": {"fast": 5, "slow": 15}}),
            Strategy::EmaCrossover(Crossover { fast: 5, slow: 15 }),
        ),
        (
            json!({"kind": "rsi_reversion", "params": {"period": 14, "lower": 30, "upper": 70}}),
            Strategy::RsiReversion(RsiReversion {
                period: 14,
                lower: 30.0,
                upper: 70.0,
            }),
        ),
        (
            json!({"kind": "breakout", "params": {"lookback": 10}}),
            Strategy::Breakout(Breakout { lookback: 10 }),
        ),
        (
            json!({"kind": "bollinger_reversion", "params": {"period": 20, "stddev": 1.5}}),
            Strategy::BollingerReversion(Bollinger {
                period: 20,
                stddev: 1.5,
            }),
        ),
    ];
    let mut ids = Vec::new();
    for (body, _) in &strategies {
        let (status, run) =
            post_json_with_token("/v1/backtests", &token, &submission(body.clone(), &from, &to)).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{run}");
        ids.push(run["id"].as_str().unwrap().to_owned());
    }
    let series = Series::new(bars.clone());
    let commission = Execution {
        cost: FillCost::Commission {
            rate: "0.0003".parse().unwrap(),
        },
        slippage: "0.0005".parse().unwrap(),
    };
    for ((body, strategy), id) in strategies.iter().zip(&ids) {
        let outcome = run(strategy, &series, Decimal::from(100_000), &commission).unwrap();
        assert_follows(&finished(id, &token).await, &outcome, &body["kind"].to_string());
    }

    // Statutory charges: each fill pays what a paper delivery fill on its date would.
    let mut statutory = submission(strategies[0].0.clone(), &from, &to);
    statutory["charges"] = "statutory".into();
    statutory["commission_pct"] = "0".into();
    let (status, run_body) = post_json_with_token("/v1/backtests", &token, &statutory).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{run_body}");
    let (schedule, plan) = (ChargeSchedule::shipped().unwrap(), BrokeragePlan::default());
    let master = InstrumentMaster::shipped(&MarketCalendar::nse().unwrap(), simulated_today()).unwrap();
    let outcome = run(
        &strategies[0].1,
        &series,
        Decimal::from(100_000),
        &Execution {
            cost: FillCost::Statutory {
                schedule: &schedule,
                plan: &plan,
                segment: charge_segment(master.get(IMPORTED).unwrap(), Product::Delivery),
            },
            slippage: "0.0005".parse().unwrap(),
        },
    )
    .unwrap();
    let done = finished(run_body["id"].as_str().unwrap(), &token).await;
    assert_follows(&done, &outcome, "statutory");
}

#[tokio::test]
async fn runs_are_their_owners_alone_and_a_repeated_submission_is_one_run() {
    let (_, token) = new_trader().await;
    let body = json!({
        "strategy": {"kind": "sma_crossover", "params": {"fast": 10, "slow": 30}},
        "instrument": "NSE:INFY", "interval": "1d", "from": "2025-01-01", "to": "2025-12-31",
        "initial_capital": "100000"
    });
    let submit = |key: &'static str, token: String, body: Value| async move {
        let response = client()
            .post(stack().url("/v1/backtests"))
            .bearer_auth(token)
            .header("idempotency-key", key)
            .json(&body)
            .send()
            .await
            .unwrap();
        (response.status(), response.json::<Value>().await.unwrap())
    };
    let (status, first) = submit("e2e-backtest-1", token.clone(), body.clone()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{first}");
    let (status, again) = submit("e2e-backtest-1", token.clone(), body.clone()).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(again["id"], first["id"], "one run per key");
    let id = first["id"].as_str().unwrap();

    let viewer = stack().login_as(Role::Viewer).await;
    let (status, _) = submit("e2e-backtest-viewer", viewer, body.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let done = finished(id, &token).await;
    assert_eq!(done["status"], "DONE", "{}", done["error"]);
    let (_, listed) = get_json("/v1/backtests", &token).await;
    let listed: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [id], "one run, however often it was submitted");

    let (_, intruder) = new_trader().await;
    let (status, _) = get_json(&format!("/v1/backtests/{id}"), &intruder).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let response = client()
        .delete(stack().url(&format!("/v1/backtests/{id}")))
        .bearer_auth(&intruder)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(finished(id, &token).await["status"], "DONE", "untouched");
}

#[tokio::test]
async fn an_intraday_run_reads_the_minute_history() {
    let (_, token) = new_trader().await;
    let body = json!({
        "strategy": {"kind": "breakout", "params": {"lookback": 12}},
        "instrument": "NSE:INFY", "interval": "5m", "from": "2026-11-16", "to": "2026-11-20",
        "initial_capital": "100000"
    });
    let (status, queued) = post_json_with_token("/v1/backtests", &token, &body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{queued}");
    let done = finished(queued["id"].as_str().unwrap(), &token).await;
    assert_eq!(done["status"], "DONE", "{}", done["error"]);
    let curve = done["equity_curve"].as_array().unwrap();
    assert_eq!(curve.len(), 5 * 75, "five sessions of 5-minute bars");
    assert_eq!(
        curve[0][0], "2026-11-16T03:45:00+00:00",
        "an intraday point is the bar's start"
    );
}
