//! `POST /v1/market/option-calculator`: validates every input with a field-level 422 (400 when it does not parse), prices with the
//! domain's models, and rounds at the boundary (price as a decimal string to 6 places; Greeks to 8; IV in
//! percent to 6).

use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive as _, ToPrimitive as _};
use serde::{Deserialize, Serialize};
use tradesense_domain::market::options::{DAYS_PER_YEAR, Model, OptionSpec, OptionType};
use tradesense_http::{ApiError, AppJson};
use utoipa::ToSchema;

/// Longest time to expiry accepted, in days (10 years).
const MAX_DAYS: f64 = 3650.0;
/// Largest underlying or strike accepted.
const MAX_PRICE: Decimal = Decimal::from_parts(100_000_000, 0, 0, false, 0);
/// Volatility accepted, in percent: above 0, at most 500.
const MAX_VOLATILITY_PCT: f64 = 500.0;
/// Rates accepted, in percent.
const RATE_RANGE_PCT: (f64, f64) = (-5.0, 50.0);
/// Dividend yields accepted, in percent.
const DIVIDEND_RANGE_PCT: (f64, f64) = (0.0, 50.0);

/// The calculator's input. Prices are decimal strings; times and percentages are numbers. Give exactly one
/// of `volatility_pct` (to price) and `option_price` (to solve the implied volatility).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionCalculatorRequest {
    /// `black_scholes` (spot, dividend yield) or `black76` (forward).
    #[schema(value_type = String, pattern = "^(black_scholes|black76)$", example = "black_scholes")]
    pub model: Model,
    /// `CE` or `PE`.
    #[schema(value_type = String, pattern = "^(CE|PE)$", example = "CE")]
    pub option_type: OptionType,
    /// Spot (Black-Scholes) or forward (Black-76), e.g. `"22000.50"`.
    #[schema(value_type = tradesense_http::openapi::DecimalString)]
    pub underlying_price: Decimal,
    /// Strike, e.g. `"22000"`.
    #[schema(value_type = tradesense_http::openapi::DecimalString)]
    pub strike: Decimal,
    /// Calendar days to expiry (fractions allowed), > 0.
    pub time_to_expiry_days: f64,
    /// Risk-free rate, percent, continuously compounded.
    pub rate_pct: f64,
    /// Dividend yield, percent (Black-Scholes only).
    pub dividend_yield_pct: Option<f64>,
    /// Volatility, percent (0 < v ≤ 500).
    pub volatility_pct: Option<f64>,
    /// A market price whose implied volatility to solve.
    #[schema(value_type = Option<tradesense_http::openapi::DecimalString>)]
    pub option_price: Option<Decimal>,
}

/// Price, Greeks (theta per calendar day, vega and rho per 1 point) and the volatility used.
#[derive(Debug, Serialize, ToSchema)]
pub struct OptionCalculatorResponse {
    /// Model price, 6 decimal places.
    #[schema(value_type = String)]
    pub price: Decimal,
    /// Delta.
    pub delta: f64,
    /// Gamma.
    pub gamma: f64,
    /// Theta per calendar day.
    pub theta: f64,
    /// Vega per 1 volatility point.
    pub vega: f64,
    /// Rho per 1 rate point.
    pub rho: f64,
    /// The volatility used (given, or implied from `option_price`), percent.
    pub iv_pct: f64,
}

fn round(x: f64, places: i32) -> f64 {
    let factor = 10f64.powi(places);
    (x * factor).round() / factor
}

fn positive_price(field: &str, value: Decimal) -> Result<f64, ApiError> {
    if value <= Decimal::ZERO || value > MAX_PRICE {
        return Err(ApiError::unprocessable_field(
            field,
            format!("must be above 0 and at most {MAX_PRICE}"),
        ));
    }
    value
        .to_f64()
        .ok_or_else(|| ApiError::unprocessable_field(field, "not representable"))
}

fn within(field: &str, value: f64, (lo, hi): (f64, f64), lo_inclusive: bool) -> Result<f64, ApiError> {
    let above = if lo_inclusive { value >= lo } else { value > lo };
    if value.is_finite() && above && value <= hi {
        Ok(value)
    } else {
        let open = if lo_inclusive { "[" } else { "(" };
        Err(ApiError::unprocessable_field(
            field,
            format!("must be in {open}{lo}, {hi}]"),
        ))
    }
}

/// Where the volatility comes from.
enum Volatility {
    /// Given, as a decimal.
    Given(f64),
    /// Implied from this market price.
    ImpliedFrom(f64),
}

/// The option a valid request describes, and its volatility source.
fn validate(req: &OptionCalculatorRequest) -> Result<(OptionSpec, Volatility), ApiError> {
    let underlying = positive_price("underlying_price", req.underlying_price)?;
    let strike = positive_price("strike", req.strike)?;
    let days = within(
        "time_to_expiry_days",
        req.time_to_expiry_days,
        (0.0, MAX_DAYS),
        false,
    )?;
    let rate = within("rate_pct", req.rate_pct, RATE_RANGE_PCT, true)? / 100.0;
    let dividend_yield = match (req.model, req.dividend_yield_pct) {
        (Model::Black76, Some(_)) => {
            return Err(ApiError::unprocessable_field(
                "dividend_yield_pct",
                "not used by black76: the forward already prices carry",
            ));
        }
        (_, Some(q)) => within("dividend_yield_pct", q, DIVIDEND_RANGE_PCT, true)? / 100.0,
        (_, None) => 0.0,
    };
    let volatility = match (req.volatility_pct, req.option_price) {
        (Some(v), None) => {
            Volatility::Given(within("volatility_pct", v, (0.0, MAX_VOLATILITY_PCT), false)? / 100.0)
        }
        (None, Some(p)) => Volatility::ImpliedFrom(positive_price("option_price", p)?),
        _ => {
            return Err(ApiError::unprocessable(
                "give exactly one of volatility_pct (to price) and option_price (to solve the implied volatility)",
            ));
        }
    };
    let spec = OptionSpec {
        model: req.model,
        option_type: req.option_type,
        underlying,
        strike,
        time_years: days / DAYS_PER_YEAR,
        rate,
        dividend_yield,
    };
    Ok((spec, volatility))
}

/// Prices one European option, or solves its implied volatility from a price.
#[utoipa::path(post, path = "/v1/market/option-calculator", tag = "market", security(()),
    request_body = OptionCalculatorRequest,
    responses((status = 200, body = OptionCalculatorResponse), (status = 422, body = tradesense_http::error::ErrorBody)))]
pub async fn calculate(
    AppJson(req): AppJson<OptionCalculatorRequest>,
) -> Result<AppJson<OptionCalculatorResponse>, ApiError> {
    let (spec, volatility) = validate(&req)?;
    let vol = match volatility {
        Volatility::Given(vol) => vol,
        Volatility::ImpliedFrom(price) => spec.implied_volatility(price).ok_or_else(|| {
            let (lo, hi) = spec.price_bounds();
            ApiError::unprocessable_field(
                "option_price",
                format!("no volatility fits: the price must lie strictly between {lo:.6} and {hi:.6}"),
            )
        })?,
    };
    let v = spec.value(vol);
    // Extreme but valid inputs (a volatility or time to expiry near the smallest float) can underflow a
    // Greek to 0/0: refuse them rather than answer a null where the document promises a number.
    let greeks = [v.price, v.delta, v.gamma, v.theta, v.vega, v.rho];
    if !greeks.iter().all(|g| g.is_finite()) {
        return Err(ApiError::unprocessable(
            "inputs too extreme to price: the volatility and time to expiry give no finite Greeks",
        ));
    }
    let price = Decimal::from_f64(v.price)
        .map(|p| p.round_dp(6))
        .ok_or_else(|| ApiError::unprocessable("inputs give a price that cannot be represented"))?;
    Ok(AppJson(OptionCalculatorResponse {
        price,
        delta: round(v.delta, 8),
        gamma: round(v.gamma, 8),
        theta: round(v.theta, 8),
        vega: round(v.vega, 8),
        rho: round(v.rho, 8),
        iv_pct: round(vol * 100.0, 6),
    }))
}
