//! The strategy use cases over in-memory fakes and the deterministic simulated market (no emulator): template
//! resolution on a known chain, a straddle's breakevens by formula, a single leg's Greeks against the
//! option formula, put-call parity, save / read / delete with isolation, and execution as a basket on the
//! paper order service with its mark to market after the price moves.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive as _;
use rust_decimal_macros::dec;
use serde_json::json;
use ulid::Ulid;

use super::*;
use crate::kernel::ids::{StrategyId, UserId};
use crate::market::calendar::MarketCalendar;
use crate::market::master::REFERENCE_RATE;
use crate::market::options::{Model, OptionSpec, OptionType};
use crate::market::service::simulated::SimulatedMarket;
use crate::strategies::leg::LegContract;
use crate::strategies::payoff::Extreme;
use crate::strategies::strategy::Strategy;
use crate::strategies::template::TemplateRequest;
use crate::testing::{
    InMemoryInstrumentStore, InMemoryKillSwitch, InMemoryLedger, InMemoryStrategyStore, ManualClock,
    SequentialIds,
};
use crate::trading::account::PaperAccount;
use crate::trading::basket::LegResult;
use crate::trading::charges::{BrokeragePlan, ChargeSchedule};
use crate::trading::ports::TradingLedger;
use crate::trading::request::Side;
use crate::trading::risk::RiskLimits;
use crate::trading::service::{OrderService, TradingContext};

/// An instant of 25 Nov 2026 (a Wednesday), IST.
fn ist(time: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("2026-11-25T{time}+05:30"))
        .unwrap()
        .with_timezone(&Utc)
}

struct World {
    service: StrategyService,
    ledger: Arc<InMemoryLedger>,
    clock: Arc<ManualClock>,
    user: UserId,
}

fn world() -> World {
    let calendar = Arc::new(MarketCalendar::nse().unwrap());
    let market = Arc::new(SimulatedMarket::new((*calendar).clone(), 7));
    let master = Arc::new(CurrentMaster::new(
        Arc::new(InMemoryInstrumentStore::default()),
        calendar.clone(),
    ));
    let clock = Arc::new(ManualClock::at(ist("11:00:00")));
    let ids = Arc::new(SequentialIds::default());
    let ledger = Arc::new(InMemoryLedger::default());
    let orders = OrderService::new(TradingContext {
        ledger: ledger.clone(),
        market: market.clone(),
        master: master.clone(),
        calendar,
        charges: Arc::new(ChargeSchedule::shipped().unwrap()),
        plan: BrokeragePlan::default(),
        limits: RiskLimits::default(),
        kill_switch: Arc::new(InMemoryKillSwitch::default()),
        clock: clock.clone(),
        ids: ids.clone(),
        live: None,
    });
    let service = StrategyService::new(StrategiesContext {
        store: Arc::new(InMemoryStrategyStore::default()),
        desk: Arc::new(orders),
        market,
        master,
        clock: clock.clone(),
        ids,
    });
    let user = UserId::from_ulid(Ulid::from_parts(9_000, 9));
    ledger.open(PaperAccount::open(user, ist("09:00:00")));
    World {
        service,
        ledger,
        clock,
        user,
    }
}

fn template(name: &str, params: serde_json::Value) -> LegsRequest {
    let serde_json::Value::Object(params) = params else {
        panic!("params must be an object");
    };
    LegsRequest::Template(TemplateRequest::parse(name, &params).unwrap())
}

fn strike(leg: &crate::strategies::leg::PricedLeg) -> Decimal {
    match leg.contract {
        LegContract::Option { strike, .. } => strike,
        LegContract::Future { .. } => panic!("a future"),
    }
}

fn finite(extreme: Extreme) -> Decimal {
    match extreme {
        Extreme::Finite(x) => x,
        Extreme::Unlimited => panic!("unlimited"),
    }
}

#[tokio::test]
async fn template_offsets_resolve_around_the_strike_nearest_the_underlying() {
    let w = world();
    let straddle = w
        .service
        .analyze(&template("straddle", json!({"underlying": "NSE:NIFTY"})))
        .await
        .unwrap();
    let spot = straddle.underlying_price;
    let atm = strike(&straddle.legs[0]);
    // NIFTY strikes are 50 apart: the ATM strike is within 25 of the price.
    assert!((atm - spot).abs() <= dec!(25), "{atm} vs {spot}");
    assert_eq!(strike(&straddle.legs[1]), atm);
    assert!(
        straddle
            .legs
            .iter()
            .all(|l| l.quantity == 65 && l.side == Side::Buy)
    );

    let condor = w
        .service
        .analyze(&template(
            "iron_condor",
            json!({"underlying": "NSE:NIFTY", "lots": 2, "short_call": "OTM1", "long_put": "OTM3"}),
        ))
        .await
        .unwrap();
    let strikes: Vec<Decimal> = condor.legs.iter().map(strike).collect();
    // Long put 3 strikes below, short put 2 below (default), short call 1 above, long call 4 above (default).
    assert_eq!(
        strikes,
        vec![atm - dec!(150), atm - dec!(100), atm + dec!(50), atm + dec!(200)]
    );
    let sides: Vec<Side> = condor.legs.iter().map(|l| l.side).collect();
    assert_eq!(sides, vec![Side::Buy, Side::Sell, Side::Sell, Side::Buy]);
    assert!(condor.legs.iter().all(|l| l.quantity == 130));
}

#[tokio::test]
async fn a_long_straddle_breaks_even_at_the_strike_plus_and_minus_the_premium_and_risks_the_premium() {
    let w = world();
    let straddle = w
        .service
        .analyze(&template("straddle", json!({"underlying": "NSE:NIFTY"})))
        .await
        .unwrap();
    let k = strike(&straddle.legs[0]);
    let premium = straddle.legs[0].price + straddle.legs[1].price;
    let a = &straddle.analysis;
    assert_eq!(a.breakevens, vec![k - premium, k + premium]);
    assert_eq!(finite(a.max_loss), premium * dec!(65));
    assert_eq!(a.max_profit, Extreme::Unlimited);
    assert_eq!(a.net_premium, premium * dec!(65));
    // A long straddle blocks its premium at the ask (what its market orders would pay): nothing is sold.
    assert_eq!(straddle.margin.hedge_benefit(), Decimal::ZERO);
    assert!(
        straddle.margin.total >= premium * dec!(65),
        "{:?}",
        straddle.margin
    );
    assert!(
        straddle.margin.total <= (premium + dec!(1)) * dec!(65),
        "{:?}",
        straddle.margin
    );
    assert!((0.0..1.0).contains(&a.probability_of_profit));
}

#[tokio::test]
async fn a_single_leg_carries_its_chain_greeks_and_parity_holds_for_a_synthetic_future() {
    let w = world();
    let atm_call = w
        .service
        .analyze(&template("straddle", json!({"underlying": "NSE:NIFTY"})))
        .await
        .unwrap()
        .legs[0]
        .clone();
    let legs = LegsRequest::Legs(vec![RequestedLeg {
        instrument: atm_call.instrument.as_str().to_owned(),
        side: Side::Sell,
        quantity: 130,
        price: None,
    }]);
    let single = w.service.analyze(&legs).await.unwrap();
    let leg = &single.legs[0];
    let spec = OptionSpec {
        model: Model::Black76,
        option_type: OptionType::Call,
        underlying: leg.forward,
        strike: strike(leg).to_f64().unwrap(),
        time_years: leg.time_years,
        rate: REFERENCE_RATE,
        dividend_yield: 0.0,
    };
    let formula = spec.value(leg.iv.unwrap());
    let greeks = single.analysis.net_greeks;
    // Short 130 units: −130 × the formula's per-unit Greeks.
    assert!((greeks.delta + 130.0 * formula.delta).abs() < 1e-9);
    assert!((greeks.gamma + 130.0 * formula.gamma).abs() < 1e-12);
    assert!((greeks.vega + 130.0 * formula.vega).abs() < 1e-9);
    assert!((greeks.theta + 130.0 * formula.theta).abs() < 1e-9);
    // A naked short call loses without bound.
    assert_eq!(single.analysis.max_loss, Extreme::Unlimited);

    // Buy the call, sell the put at one strike: a synthetic future, S − K − (C − P) per unit at expiry, so
    // it breaks even at K + C − P exactly.
    let put = atm_call.instrument.as_str().replace("CE", "PE");
    let synthetic = LegsRequest::Legs(vec![
        RequestedLeg {
            instrument: atm_call.instrument.as_str().to_owned(),
            side: Side::Buy,
            quantity: 65,
            price: Some(dec!(310.00)),
        },
        RequestedLeg {
            instrument: put,
            side: Side::Sell,
            quantity: 65,
            price: Some(dec!(270.50)),
        },
    ]);
    let synthetic = w.service.analyze(&synthetic).await.unwrap();
    let k = strike(&synthetic.legs[0]);
    assert_eq!(synthetic.analysis.breakevens, vec![k + dec!(39.50)]);
    assert_eq!(synthetic.analysis.net_premium, dec!(2567.50));
}

#[tokio::test]
async fn bad_legs_and_parameters_are_refused_with_every_reason() {
    let w = world();
    let legs = LegsRequest::Legs(vec![
        RequestedLeg {
            instrument: "NSE:INFY".into(),
            side: Side::Buy,
            quantity: 1,
            price: None,
        },
        RequestedLeg {
            instrument: "NFO:NIFTY26D0126000CE".into(),
            side: Side::Buy,
            quantity: 64,
            price: Some(dec!(-1)),
        },
    ]);
    let Err(StrategyError::Invalid(violations)) = w.service.analyze(&legs).await else {
        panic!("not refused");
    };
    let messages: Vec<&str> = violations.iter().map(|v| v.message.as_str()).collect();
    assert!(
        messages[0].starts_with("leg 0: not a listed option"),
        "{messages:?}"
    );
    assert!(messages.iter().any(|m| m.contains("whole number of lots")));
    assert!(messages.iter().any(|m| m.contains("price must be above 0")));

    let serde_json::Value::Object(params) =
        json!({"underlying": "NSE:NIFTY", "strike": "OTM21", "colour": "red", "lots": 0})
    else {
        unreachable!()
    };
    let violations = TemplateRequest::parse("straddle", &params).unwrap_err();
    assert_eq!(violations.len(), 3, "{violations:?}");
    let far = template(
        "calendar_spread",
        json!({"underlying": "NSE:NIFTY", "far_expiry": "near"}),
    );
    assert!(matches!(
        w.service.analyze(&far).await,
        Err(StrategyError::Invalid(_))
    ));
    let not_an_index = template("straddle", json!({"underlying": "NSE:INFY"}));
    assert!(matches!(
        w.service.analyze(&not_an_index).await,
        Err(StrategyError::Invalid(_))
    ));
}

async fn save_condor(w: &World, user: UserId) -> Strategy {
    w.service
        .save(
            user,
            SaveRequest {
                name: "Weekly condor".into(),
                legs: template("iron_condor", json!({"underlying": "NSE:NIFTY"})),
            },
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn a_saved_strategy_is_its_owners_alone_and_deleting_it_forgets_it() {
    let w = world();
    let saved = save_condor(&w, w.user).await;
    assert_eq!(saved.template.as_deref(), Some("iron_condor"));
    assert_eq!(saved.legs.len(), 4);
    let view = w.service.get(&w.user, &saved.id).await.unwrap();
    assert_eq!(view.strategy, saved);
    assert_eq!(view.mark, None);
    let other = UserId::from_ulid(Ulid::from_parts(9_001, 1));
    assert!(matches!(
        w.service.get(&other, &saved.id).await,
        Err(StrategyError::NotFound)
    ));
    assert!(matches!(
        w.service.delete(&other, &saved.id).await,
        Err(StrategyError::NotFound)
    ));
    assert!(w.service.list(&other, 10, None).await.unwrap().items.is_empty());
    assert_eq!(w.service.list(&w.user, 10, None).await.unwrap().items.len(), 1);
    w.service.delete(&w.user, &saved.id).await.unwrap();
    assert!(matches!(
        w.service.get(&w.user, &saved.id).await,
        Err(StrategyError::NotFound)
    ));
    let missing = StrategyId::from_ulid(Ulid::from_parts(1, 1));
    assert!(matches!(
        w.service.execute_saved(w.user, &missing, "k".into()).await,
        Err(StrategyError::NotFound)
    ));
}

#[tokio::test]
async fn executing_a_saved_strategy_places_its_basket_once_and_marks_it_to_market_as_prices_move() {
    let w = world();
    let estimate = w
        .service
        .analyze(&template("iron_condor", json!({"underlying": "NSE:NIFTY"})))
        .await
        .unwrap()
        .margin;
    let saved = save_condor(&w, w.user).await;
    let executed = w
        .service
        .execute_saved(w.user, &saved.id, "exec-1".into())
        .await
        .unwrap();
    assert!(executed.outcome.complete());
    let margin = executed.outcome.margin.unwrap();
    assert!(margin.total < margin.naked, "{margin:?}");
    // At the same instant, what analyze estimated is what the paper broker blocked.
    assert_eq!(margin, estimate);
    let execution = executed.strategy.unwrap().execution.unwrap();
    assert_eq!(execution.legs.len(), 4);
    let positions = w.ledger.positions(&w.user).await.unwrap();
    assert_eq!(positions.len(), 4);
    // The positions hold exactly the basket's hedged margin.
    assert_eq!(positions.iter().map(|p| p.margin).sum::<Decimal>(), margin.total);

    // The same key again: the same orders, nothing new.
    let again = w
        .service
        .execute_saved(w.user, &saved.id, "exec-1".into())
        .await
        .unwrap();
    assert!(again.outcome.replayed);
    let ids = |outcome: &crate::trading::basket::BasketOutcome| -> Vec<_> {
        outcome
            .legs
            .iter()
            .map(|(_, r)| match r {
                LegResult::Placed(order) => order.id,
                other => panic!("{other:?}"),
            })
            .collect()
    };
    assert_eq!(ids(&again.outcome), ids(&executed.outcome));
    assert_eq!(w.ledger.positions(&w.user).await.unwrap().len(), 4);
    assert!(matches!(
        w.service.execute_saved(w.user, &saved.id, "exec-2".into()).await,
        Err(StrategyError::AlreadyExecuted)
    ));

    // Later in the day prices have moved: each leg's P&L is (last − entry) × units, signed by side.
    w.clock.set(ist("14:30:00"));
    let view = w.service.get(&w.user, &saved.id).await.unwrap();
    let mark = view.mark.unwrap();
    for leg in &mark.legs {
        let per_unit = match leg.leg.side {
            Side::Buy => leg.last_price - leg.leg.entry_price,
            Side::Sell => leg.leg.entry_price - leg.last_price,
        };
        assert_eq!(leg.pnl, per_unit * Decimal::from(leg.leg.quantity));
    }
    assert!(mark.legs.iter().any(|l| l.last_price != l.leg.entry_price));
    assert_eq!(mark.total, mark.legs.iter().map(|l| l.pnl).sum::<Decimal>());
}

/// Strike, price per unit and units of each leg, in template order.
fn legs_of(analyzed: &Analyzed) -> Vec<(Decimal, Decimal)> {
    analyzed
        .legs
        .iter()
        .map(|l| {
            let strike = match l.contract {
                LegContract::Option { strike, .. } => strike,
                LegContract::Future { .. } => Decimal::ZERO,
            };
            (strike, l.price)
        })
        .collect()
}

/// Each template's breakevens and maximum profit and loss by its textbook formula, from the strikes and
/// prices its legs resolved to (one lot of 65).
#[tokio::test]
async fn every_linear_template_breaks_even_and_caps_where_its_formula_says() {
    let w = world();
    let q = dec!(65);
    let analyze = |name: &'static str, params: serde_json::Value| {
        let request = template(name, params);
        let service = &w.service;
        async move { service.analyze(&request).await.unwrap() }
    };
    let nifty = json!({"underlying": "NSE:NIFTY"});

    // Strangle (long): K_put − P and K_call + P; loses the premium at most.
    let a = analyze("strangle", nifty.clone()).await;
    let [(kc, c), (kp, p)] = legs_of(&a)[..] else {
        panic!()
    };
    assert_eq!(a.analysis.breakevens, vec![kp - (c + p), kc + c + p]);
    assert_eq!(finite(a.analysis.max_loss), (c + p) * q);
    assert_eq!(a.analysis.max_profit, Extreme::Unlimited);

    // Short straddle: the credit at most, the loss unbounded.
    let a = analyze("straddle", json!({"underlying": "NSE:NIFTY", "side": "SELL"})).await;
    let [(k, c), (_, p)] = legs_of(&a)[..] else {
        panic!()
    };
    assert_eq!(a.analysis.breakevens, vec![k - (c + p), k + c + p]);
    assert_eq!(finite(a.analysis.max_profit), (c + p) * q);
    assert_eq!(a.analysis.max_loss, Extreme::Unlimited);
    assert_eq!(a.margin.hedge_benefit(), Decimal::ZERO);

    // Debit spreads: buy K1, sell K2; debit D; breakeven K1 ± D; loss D, profit width − D.
    for (name, call) in [("bull_call_spread", true), ("bear_put_spread", false)] {
        let a = analyze(name, nifty.clone()).await;
        let [(bought, pb), (sold, ps)] = legs_of(&a)[..] else {
            panic!()
        };
        let debit = pb - ps;
        let width = (sold - bought).abs();
        let breakeven = if call { bought + debit } else { bought - debit };
        assert_eq!(a.analysis.breakevens, vec![breakeven], "{name}");
        assert_eq!(finite(a.analysis.max_loss), debit * q, "{name}");
        assert_eq!(finite(a.analysis.max_profit), (width - debit) * q, "{name}");
        assert_eq!(a.analysis.net_premium, debit * q, "{name}");
    }

    // Credit spreads: sell K1, buy K2; credit C; breakeven K1 ∓ C; profit C, loss width − C, which is
    // also the margin blocked.
    for (name, call) in [("bull_put_spread", false), ("bear_call_spread", true)] {
        let a = analyze(name, nifty.clone()).await;
        let [(sold, ps), (bought, pb)] = legs_of(&a)[..] else {
            panic!()
        };
        let credit = ps - pb;
        let width = (sold - bought).abs();
        let breakeven = if call { sold + credit } else { sold - credit };
        assert_eq!(a.analysis.breakevens, vec![breakeven], "{name}");
        assert_eq!(finite(a.analysis.max_profit), credit * q, "{name}");
        assert_eq!(finite(a.analysis.max_loss), (width - credit) * q, "{name}");
        // Hedged: the margin is the maximum loss at the prices its orders would fill at (a touch away from
        // the last prices above), far below the naked short's.
        let at_last = ((width - credit) * q).max(pb * q);
        assert!(
            a.margin.total >= at_last && a.margin.total < at_last + dec!(0.5) * q,
            "{name}: {:?}",
            a.margin
        );
        assert!(
            a.margin.total * dec!(10) < a.margin.naked,
            "{name}: {:?}",
            a.margin
        );
    }

    // Iron condor and iron butterfly: long put, short put, short call, long call; credit C; breakevens at
    // the short strikes ∓ C; profit C, loss the wider wing less C.
    for name in ["iron_condor", "iron_butterfly"] {
        let a = analyze(name, nifty.clone()).await;
        let [(lp_k, lp), (sp_k, sp), (sc_k, sc), (lc_k, lc)] = legs_of(&a)[..] else {
            panic!()
        };
        let credit = sp + sc - lp - lc;
        let wing = (sp_k - lp_k).max(lc_k - sc_k);
        assert_eq!(
            a.analysis.breakevens,
            vec![sp_k - credit, sc_k + credit],
            "{name}"
        );
        assert_eq!(finite(a.analysis.max_profit), credit * q, "{name}");
        assert_eq!(finite(a.analysis.max_loss), (wing - credit) * q, "{name}");
    }

    // Butterfly: long K1, short 2 × K2, long K3 (equal wings W); debit D; breakevens K1 + D and K3 − D;
    // profit W − D at K2, loss D.
    let a = analyze("butterfly", nifty.clone()).await;
    let [(k1, c1), (k2, c2), (k3, c3)] = legs_of(&a)[..] else {
        panic!()
    };
    assert_eq!(a.legs[1].quantity, 130);
    let debit = c1 - dec!(2) * c2 + c3;
    assert_eq!(a.analysis.breakevens, vec![k1 + debit, k3 - debit]);
    assert_eq!(finite(a.analysis.max_profit), (k2 - k1 - debit) * q);
    assert_eq!(finite(a.analysis.max_loss), debit * q);

    // Covered call and protective put on the month's future, with options of the same expiry: a future
    // bought at F with a call sold at K for c breaks even at F − c, earns K − F + c at most and loses F − c
    // at most; with a put bought for p, F + p, unlimited upside, F − K + p at most lost.
    let monthly = w
        .service
        .analyze(&template("covered_call", nifty.clone()))
        .await
        .unwrap();
    let expiry = monthly.legs[0].contract.expiry();
    let on_month = json!({"underlying": "NSE:NIFTY", "expiry": expiry.to_string()});
    let a = analyze("covered_call", on_month.clone()).await;
    let [(_, f), (k, c)] = legs_of(&a)[..] else {
        panic!()
    };
    assert!(
        matches!(a.legs[0].contract, LegContract::Future { expiry: e } if e == expiry),
        "{:?}",
        a.legs[0]
    );
    assert_eq!(a.analysis.breakevens, vec![f - c]);
    assert_eq!(finite(a.analysis.max_profit), (k - f + c) * q);
    assert_eq!(finite(a.analysis.max_loss), (f - c) * q);
    assert_eq!(a.analysis.net_premium, -c * q);
    let a = analyze("protective_put", on_month).await;
    let [(_, f), (k, p)] = legs_of(&a)[..] else {
        panic!()
    };
    assert_eq!(a.analysis.breakevens, vec![f + p]);
    assert_eq!(a.analysis.max_profit, Extreme::Unlimited);
    assert_eq!(finite(a.analysis.max_loss), (f - k + p) * q);
}

/// Calendars and diagonals value the far leg at the near expiry (Black-76 at its IV): two breakevens
/// around the strike, a loss bounded by the debit, a long vega.
#[tokio::test]
async fn calendars_and_diagonals_risk_at_most_their_debit_and_are_long_volatility() {
    let w = world();
    for name in ["calendar_spread", "diagonal_spread"] {
        let analyzed = w
            .service
            .analyze(&template(name, json!({"underlying": "NSE:NIFTY"})))
            .await
            .unwrap();
        let [near, far] = &analyzed.legs[..] else { panic!() };
        assert_eq!((near.side, far.side), (Side::Sell, Side::Buy), "{name}");
        assert!(far.contract.expiry() > near.contract.expiry(), "{name}");
        let a = &analyzed.analysis;
        let debit = a.net_premium;
        assert!(debit > Decimal::ZERO, "{name}: {debit}");
        assert!(finite(a.max_loss) <= debit, "{name}: {:?} vs {debit}", a.max_loss);
        assert!(finite(a.max_profit) > Decimal::ZERO, "{name}");
        assert_eq!(a.breakevens.len(), 2, "{name}: {:?}", a.breakevens);
        let k = strike(near);
        assert!(
            a.breakevens[0] < k && k < a.breakevens[1] + dec!(100),
            "{name}: {:?} around {k}",
            a.breakevens
        );
        assert!(
            a.net_greeks.vega > 0.0 && a.net_greeks.theta > 0.0,
            "{name}: {:?}",
            a.net_greeks
        );
    }
}
