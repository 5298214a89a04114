//! Request and response bodies of the strategies API. Prices, premiums, P&L and margins travel as decimal
//! strings, never as JSON numbers; IVs (percent), Greeks and probabilities are numbers, rounded here.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tradesense_domain::market::options::{DAYS_PER_YEAR, OptionType};
use tradesense_domain::strategies::leg::{LegContract, PricedLeg};
use tradesense_domain::strategies::payoff::Extreme;
use tradesense_domain::strategies::service::{Analyzed, Executed, LegsRequest, RequestedLeg, StrategyView};
use tradesense_domain::strategies::strategy::{Execution, MarkToMarket, Strategy};
use tradesense_domain::strategies::template::{ParamKind, Template, TemplateRequest};
use tradesense_domain::trading::basket::LegResult;
use tradesense_domain::trading::request::{MAX_QUANTITY, Side};
use tradesense_http::ApiError;
use tradesense_http::error::ErrorDetail;
use tradesense_http::trading::OrderDto;
use utoipa::ToSchema;

fn round(x: f64, places: i32) -> f64 {
    let factor = 10f64.powi(places);
    (x * factor).round() / factor
}

/// One parameter of a template.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParameterDto {
    /// Its name in `params`.
    pub name: &'static str,
    /// `underlying`, `expiry` (`near`, `next` or a listed date), `strike` (`ATM`, `OTM1`..`OTM20`,
    /// `ITM1`..`ITM20`), `side` (`BUY`/`SELL`), `option_type` (`CE`/`PE`) or `lots` (1–50).
    pub kind: &'static str,
    /// Its value when not given; `null`: required.
    pub default: Option<&'static str>,
    /// What it sets.
    pub description: &'static str,
}

/// A strategy template.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateDto {
    /// Its name (`iron_condor`).
    pub name: &'static str,
    /// What it is and when it is used.
    pub description: &'static str,
    /// Its parameters.
    pub parameters: Vec<ParameterDto>,
}

impl TemplateDto {
    /// The catalogue entry of `template`.
    pub fn of(template: Template) -> Self {
        Self {
            name: template.name(),
            description: template.description(),
            parameters: template
                .parameters()
                .into_iter()
                .map(|p| ParameterDto {
                    name: p.name,
                    kind: match p.kind {
                        ParamKind::Underlying => "underlying",
                        ParamKind::Expiry => "expiry",
                        ParamKind::Strike => "strike",
                        ParamKind::Side => "side",
                        ParamKind::OptionType => "option_type",
                        ParamKind::Lots => "lots",
                    },
                    default: p.default,
                    description: p.description,
                })
                .collect(),
        }
    }
}

/// `GET /v1/strategies/templates`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplatesResponse {
    /// Every template.
    pub items: Vec<TemplateDto>,
}

/// One leg as a client gives it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LegInput {
    /// An option or future of one index, e.g. `NFO:NIFTY26D0126000CE`.
    #[schema(max_length = 64)]
    pub instrument: String,
    /// `BUY` or `SELL`.
    #[schema(value_type = String, pattern = "^(BUY|SELL)$", example = "BUY")]
    pub side: Side,
    /// Units: a whole number of lots (at most 50 lots).
    #[schema(minimum = 1, maximum = 100_000)]
    pub quantity: i64,
    /// The price per unit to analyse at (a decimal string); the last price if not given. Execute refuses it
    /// (a 422): its legs are market orders.
    #[serde(default)]
    #[schema(value_type = Option<tradesense_http::openapi::DecimalString>, example = "120.50")]
    pub price: Option<Decimal>,
}

impl LegInput {
    /// The domain's view of the leg.
    pub fn to_domain(&self) -> RequestedLeg {
        RequestedLeg {
            instrument: self.instrument.clone(),
            side: self.side,
            quantity: self.quantity,
            price: self.price,
        }
    }
}

/// What to analyse or save: a template with its parameters, or legs (exactly one of the two).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LegsInput {
    /// A template's name (`GET /v1/strategies/templates`).
    #[serde(default)]
    pub template: Option<String>,
    /// The template's parameters, e.g. `{"underlying": "NSE:NIFTY", "expiry": "near", "lots": 1}`.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub params: Option<serde_json::Map<String, serde_json::Value>>,
    /// Legs on one index (1 to 10).
    #[serde(default)]
    #[schema(max_items = 10)]
    pub legs: Option<Vec<LegInput>>,
}

impl LegsInput {
    /// The domain's view: a template request or legs.
    ///
    /// # Errors
    /// `422` for both or neither, an unknown template or bad parameters.
    pub fn to_domain(&self) -> Result<LegsRequest, ApiError> {
        match (&self.template, &self.legs) {
            (Some(template), None) => {
                let params = self.params.clone().unwrap_or_default();
                TemplateRequest::parse(template, &params)
                    .map(LegsRequest::Template)
                    .map_err(|v| ApiError::violations("the strategy breaks its rules", v))
            }
            (None, Some(legs)) if self.params.is_none() => {
                let too_many = legs.iter().any(|l| !(1..=MAX_QUANTITY).contains(&l.quantity));
                if too_many {
                    return Err(ApiError::unprocessable_field(
                        "legs",
                        format!("every quantity must be 1 to {MAX_QUANTITY}"),
                    ));
                }
                Ok(LegsRequest::Legs(legs.iter().map(LegInput::to_domain).collect()))
            }
            _ => Err(ApiError::unprocessable_field(
                "template",
                "give either template (with params) or legs",
            )),
        }
    }
}

/// `POST /v1/strategies`: a name, and a template with its parameters or legs (exactly one of the two).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaveStrategyRequest {
    /// The name (1–80 characters).
    #[schema(min_length = 1, max_length = 80)]
    pub name: String,
    /// A template's name (`GET /v1/strategies/templates`).
    #[serde(default)]
    pub template: Option<String>,
    /// The template's parameters.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub params: Option<serde_json::Map<String, serde_json::Value>>,
    /// Legs on one index (1 to 10).
    #[serde(default)]
    #[schema(max_items = 10)]
    pub legs: Option<Vec<LegInput>>,
}

impl SaveStrategyRequest {
    /// The strategy to save, as [`LegsInput::to_domain`] reads it.
    ///
    /// # Errors
    /// As [`LegsInput::to_domain`].
    pub fn to_domain(&self) -> Result<LegsRequest, ApiError> {
        LegsInput {
            template: self.template.clone(),
            params: self.params.clone(),
            legs: self.legs.clone(),
        }
        .to_domain()
    }
}

/// `POST /v1/strategies/execute`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecuteLegsRequest {
    /// The legs (market orders, DELIVERY/NRML), buy legs placed first.
    #[schema(min_items = 1, max_items = 10)]
    pub legs: Vec<LegInput>,
}

/// Per-unit Greeks, or a strategy's net Greeks (per unit × signed units, summed).
#[derive(Debug, Serialize, ToSchema)]
pub struct GreeksDto {
    /// Rupees per point of the underlying.
    pub delta: f64,
    /// Delta per point.
    pub gamma: f64,
    /// Rupees per calendar day.
    pub theta: f64,
    /// Rupees per volatility point.
    pub vega: f64,
}

/// A leg as analysed.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnalyzedLegDto {
    /// The contract.
    pub instrument: String,
    /// `CE`, `PE`, or `null` for the future.
    #[schema(value_type = Option<String>, pattern = "^(CE|PE)$")]
    pub option_type: Option<OptionType>,
    /// Strike (options).
    #[schema(value_type = Option<String>)]
    pub strike: Option<Decimal>,
    /// Expiry date.
    pub expiry: NaiveDate,
    /// `BUY` or `SELL`.
    #[schema(value_type = String, pattern = "^(BUY|SELL)$")]
    pub side: Side,
    /// Units.
    pub quantity: i64,
    /// Lots.
    pub lots: i64,
    /// Price per unit analysed at.
    #[schema(value_type = String)]
    pub price: Decimal,
    /// Implied volatility in percent (options).
    pub iv: Option<f64>,
    /// The forward of the leg's expiry its Greeks are taken on (Black-76), 4 decimal places.
    pub forward: f64,
    /// Calendar days to 15:30 IST on expiry day, 6 decimal places.
    pub days_to_expiry: f64,
    /// Per-unit Greeks now.
    pub greeks: GreeksDto,
}

impl AnalyzedLegDto {
    fn of(leg: &PricedLeg) -> Self {
        let (option_type, strike) = match leg.contract {
            LegContract::Option {
                option_type, strike, ..
            } => (Some(option_type), Some(strike)),
            LegContract::Future { .. } => (None, None),
        };
        Self {
            instrument: leg.instrument.to_string(),
            option_type,
            strike,
            expiry: leg.contract.expiry(),
            side: leg.side,
            quantity: leg.quantity,
            lots: leg.quantity / i64::from(leg.lot_size.max(1)),
            price: leg.price,
            iv: leg.iv.map(|v| round(v * 100.0, 6)),
            forward: round(leg.forward, 4),
            days_to_expiry: round(leg.time_years * DAYS_PER_YEAR, 6),
            greeks: GreeksDto {
                delta: round(leg.greeks.delta, 6),
                gamma: round(leg.greeks.gamma, 8),
                theta: round(leg.greeks.theta, 6),
                vega: round(leg.greeks.vega, 6),
            },
        }
    }
}

/// The net premium.
#[derive(Debug, Serialize, ToSchema)]
pub struct PremiumDto {
    /// Rupees, positive.
    #[schema(value_type = String)]
    pub amount: Decimal,
    /// `debit` (paid) or `credit` (received).
    #[schema(pattern = "^(debit|credit)$")]
    pub kind: &'static str,
}

/// The margin the legs would block as one basket at these prices.
#[derive(Debug, Serialize, ToSchema)]
pub struct MarginDto {
    /// What the basket blocks.
    #[schema(value_type = String)]
    pub total: Decimal,
    /// What the legs would block placed one by one.
    #[schema(value_type = String)]
    pub naked: Decimal,
    /// `naked − total`: the hedge's saving.
    #[schema(value_type = String)]
    pub hedge_benefit: Decimal,
}

/// `POST /v1/strategies/analyze`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnalysisResponse {
    /// The template, if the legs came from one.
    pub template: Option<&'static str>,
    /// The index.
    pub underlying: String,
    /// Its price now.
    #[schema(value_type = String)]
    pub underlying_price: Decimal,
    /// The legs, resolved and priced.
    pub legs: Vec<AnalyzedLegDto>,
    /// Debit or credit.
    pub net_premium: PremiumDto,
    /// `[underlying, P&L]` at the first expiry, 500 points (decimal strings; P&L may be negative).
    #[schema(value_type = Vec<Vec<String>>)]
    pub payoff_at_expiry: Vec<(Decimal, Decimal)>,
    /// `[underlying, P&L]` now, each leg at its IV (decimal strings).
    #[schema(value_type = Vec<Vec<String>>)]
    pub payoff_today: Vec<(Decimal, Decimal)>,
    /// The largest P&L at the first expiry, or `unlimited`.
    pub max_profit: String,
    /// The largest loss at the first expiry (positive), or `unlimited`.
    pub max_loss: String,
    /// Where the P&L at the first expiry crosses zero, ascending (exact roots, decimal strings).
    #[schema(value_type = Vec<String>)]
    pub breakevens: Vec<Decimal>,
    /// Net Greeks now.
    pub net_greeks: GreeksDto,
    /// Probability (0–1) of a profit at the first expiry, lognormal at the at-the-money IV.
    pub probability_of_profit: f64,
    /// The margin estimate.
    pub margin_estimate: MarginDto,
}

fn extreme(x: Extreme) -> String {
    match x {
        Extreme::Finite(amount) => amount.to_string(),
        Extreme::Unlimited => "unlimited".to_owned(),
    }
}

impl From<&Analyzed> for AnalysisResponse {
    fn from(a: &Analyzed) -> Self {
        let analysis = &a.analysis;
        let greeks = analysis.net_greeks;
        Self {
            template: a.template.map(Template::name),
            underlying: a.underlying.to_string(),
            underlying_price: a.underlying_price,
            legs: a.legs.iter().map(AnalyzedLegDto::of).collect(),
            net_premium: PremiumDto {
                amount: analysis.net_premium.abs(),
                kind: if analysis.net_premium >= Decimal::ZERO {
                    "debit"
                } else {
                    "credit"
                },
            },
            payoff_at_expiry: analysis.payoff_at_expiry.clone(),
            payoff_today: analysis.payoff_today.clone(),
            max_profit: extreme(analysis.max_profit),
            max_loss: extreme(analysis.max_loss),
            breakevens: analysis.breakevens.clone(),
            net_greeks: GreeksDto {
                delta: round(greeks.delta, 4),
                gamma: round(greeks.gamma, 6),
                theta: round(greeks.theta, 4),
                vega: round(greeks.vega, 4),
            },
            probability_of_profit: round(analysis.probability_of_profit, 4),
            margin_estimate: MarginDto {
                total: a.margin.total,
                naked: a.margin.naked,
                hedge_benefit: a.margin.hedge_benefit(),
            },
        }
    }
}

/// A saved leg.
#[derive(Debug, Serialize, ToSchema)]
pub struct SavedLegDto {
    /// The contract.
    pub instrument: String,
    /// `BUY` or `SELL`.
    #[schema(value_type = String, pattern = "^(BUY|SELL)$")]
    pub side: Side,
    /// Units.
    pub quantity: i64,
    /// The price per unit when saved.
    #[schema(value_type = String)]
    pub price: Decimal,
}

/// An executed leg, marked to market when one strategy is read.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExecutedLegDto {
    /// The contract.
    pub instrument: String,
    /// `BUY` or `SELL`.
    #[schema(value_type = String, pattern = "^(BUY|SELL)$")]
    pub side: Side,
    /// Units.
    pub quantity: i64,
    /// Its order.
    pub order_id: String,
    /// The average fill price.
    #[schema(value_type = String)]
    pub entry_price: Decimal,
    /// The last price (`GET /v1/strategies/{id}` only).
    #[schema(value_type = Option<String>)]
    pub last_price: Option<Decimal>,
    /// (last − entry) × units, negated for a short leg (`GET /v1/strategies/{id}` only).
    #[schema(value_type = Option<String>)]
    pub pnl: Option<Decimal>,
}

/// A strategy's execution.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExecutionDto {
    /// When.
    pub executed_at: DateTime<Utc>,
    /// Each leg.
    pub legs: Vec<ExecutedLegDto>,
    /// The legs' P&L summed (`GET /v1/strategies/{id}` only).
    #[schema(value_type = Option<String>)]
    pub pnl: Option<Decimal>,
}

impl ExecutionDto {
    fn of(execution: &Execution, mark: Option<&MarkToMarket>) -> Self {
        Self {
            executed_at: execution.executed_at,
            legs: execution
                .legs
                .iter()
                .enumerate()
                .map(|(i, leg)| {
                    let marked = mark.and_then(|m| m.legs.get(i));
                    ExecutedLegDto {
                        instrument: leg.instrument.to_string(),
                        side: leg.side,
                        quantity: leg.quantity,
                        order_id: leg.order_id.to_string(),
                        entry_price: leg.entry_price,
                        last_price: marked.map(|m| m.last_price),
                        pnl: marked.map(|m| m.pnl),
                    }
                })
                .collect(),
            pnl: mark.map(|m| m.total),
        }
    }
}

/// A saved strategy.
#[derive(Debug, Serialize, ToSchema)]
pub struct SavedStrategyDto {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// The template it came from.
    pub template: Option<String>,
    /// The index.
    pub underlying: String,
    /// Its legs as saved.
    pub legs: Vec<SavedLegDto>,
    /// When saved.
    pub created_at: DateTime<Utc>,
    /// Its execution, once executed.
    pub execution: Option<ExecutionDto>,
}

impl SavedStrategyDto {
    /// `strategy`, its execution marked by `mark` when given.
    pub fn of(strategy: &Strategy, mark: Option<&MarkToMarket>) -> Self {
        Self {
            id: strategy.id.to_string(),
            name: strategy.name.clone(),
            template: strategy.template.clone(),
            underlying: strategy.underlying.to_string(),
            legs: strategy
                .legs
                .iter()
                .map(|l| SavedLegDto {
                    instrument: l.instrument.to_string(),
                    side: l.side,
                    quantity: l.quantity,
                    price: l.price,
                })
                .collect(),
            created_at: strategy.created_at,
            execution: strategy.execution.as_ref().map(|e| ExecutionDto::of(e, mark)),
        }
    }
}

impl From<&StrategyView> for SavedStrategyDto {
    fn from(view: &StrategyView) -> Self {
        SavedStrategyDto::of(&view.strategy, view.mark.as_ref())
    }
}

/// `GET /v1/strategies`.
#[derive(Debug, Serialize, ToSchema)]
pub struct StrategiesResponse {
    /// The page, newest first.
    pub items: Vec<SavedStrategyDto>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// What became of one leg of a basket.
#[derive(Debug, Serialize, ToSchema)]
pub struct BasketLegDto {
    /// Its index in the request (or the saved strategy's legs).
    pub leg: usize,
    /// `placed`, `failed` (live mode: refused) or `skipped` (live mode: not sent after a refusal).
    #[schema(pattern = "^(placed|failed|skipped)$")]
    pub status: &'static str,
    /// Its order, once placed.
    pub order: Option<OrderDto>,
    /// Why it failed.
    pub error: Option<ErrorDetail>,
}

/// `POST /v1/strategies/{id}/execute` and `POST /v1/strategies/execute`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExecuteResponse {
    /// The saved strategy executed, if one was.
    pub strategy_id: Option<String>,
    /// Whether every leg was placed.
    pub complete: bool,
    /// The same `Idempotency-Key` again: the original orders.
    pub replayed: bool,
    /// On paper: the margin the basket blocked (its maximum loss for a defined-risk basket).
    #[schema(value_type = Option<String>)]
    pub margin_blocked: Option<Decimal>,
    /// Each leg, in the order placed (buy legs first).
    pub legs: Vec<BasketLegDto>,
}

impl From<Executed> for ExecuteResponse {
    fn from(executed: Executed) -> Self {
        let outcome = executed.outcome;
        Self {
            strategy_id: executed.strategy.map(|s| s.id.to_string()),
            complete: outcome.complete(),
            replayed: outcome.replayed,
            margin_blocked: outcome.margin.map(|m| m.total),
            legs: outcome
                .legs
                .into_iter()
                .map(|(leg, result)| match result {
                    LegResult::Placed(order) => BasketLegDto {
                        leg,
                        status: "placed",
                        order: Some(OrderDto::from_order(&order, false)),
                        error: None,
                    },
                    LegResult::Failed(error) => BasketLegDto {
                        leg,
                        status: "failed",
                        order: None,
                        error: Some(ApiError::from(error).into_detail()),
                    },
                    LegResult::Skipped => BasketLegDto {
                        leg,
                        status: "skipped",
                        order: None,
                        error: None,
                    },
                })
                .collect(),
        }
    }
}
