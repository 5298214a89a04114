//! Analytics handlers: parse, check the permission, call the analytics use cases, shape the answer. Every
//! figure is the caller's own account's.

use axum::extract::State;
use chrono::{Duration, NaiveDate};
use tradesense_domain::analytics::tax::FinancialYear;
use tradesense_domain::analytics::trades::GroupBy;
use tradesense_domain::identity::rbac::Permission;
use tradesense_domain::kernel::time::ist;
use tradesense_http::error::ErrorBody as Body;
use tradesense_http::{ApiError, AppJson, AppQuery, AuthContext};

use crate::AnalyticsState;
use crate::dto::{
    EquityCurveResponse, PerformanceResponse, RangeQuery, TaxPnlResponse, TaxQuery, TradeGroupDto,
    TradeStatisticsQuery, TradeStatisticsResponse,
};
use crate::errors::AnalyticsApiError;

/// Realized P&L of a financial year split the way Indian income tax treats it: intraday equity
/// (speculative), F&O (non-speculative business income, with turnover), delivery equity held ≤ 12 months
/// (short-term capital gain) and > 12 months (long-term); lots matched first in, first out; each head with
/// its charges (STT apart: it is not deductible from a capital gain). docs/decisions.md "Tax P&L" states the
/// rules and their sources.
#[utoipa::path(get, path = "/v1/analytics/tax-pnl", tag = "analytics", security(("bearer" = [])),
    params(TaxQuery),
    responses((status = 200, body = TaxPnlResponse), (status = 400, body = Body), (status = 401, body = Body),
        (status = 403, body = Body), (status = 422, body = Body), (status = 503, body = Body)))]
pub async fn tax_pnl(
    auth: AuthContext,
    State(state): State<AnalyticsState>,
    AppQuery(query): AppQuery<TaxQuery>,
) -> Result<AppJson<TaxPnlResponse>, AnalyticsApiError> {
    let user = auth.require(Permission::AnalyticsRead)?.user_id;
    let year = match query.fy.as_deref() {
        Some(text) => FinancialYear::parse(text)
            .ok_or_else(|| ApiError::unprocessable_field("fy", "a financial year like 2026-27"))?,
        None => FinancialYear::of(state.clock.now().with_timezone(&ist()).date_naive()),
    };
    let report = state.analytics.tax_pnl(&user, year).await?;
    Ok(AppJson(TaxPnlResponse::from(&report)))
}

/// The longest range a report covers, in days.
const MAX_RANGE_DAYS: i64 = 3660;

/// The IST dates `from` to `to` as asked: `to` defaults to today on the market clock, `from` to
/// `default_days` before `to`.
///
/// # Errors
/// 422 naming `from` when it is after `to` or more than [`MAX_RANGE_DAYS`] before it.
fn date_range(
    state: &AnalyticsState,
    (from, to): (Option<NaiveDate>, Option<NaiveDate>),
    default_days: i64,
) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let to = to.unwrap_or_else(|| state.clock.now().with_timezone(&ist()).date_naive());
    let from = from.unwrap_or(to - Duration::days(default_days));
    if from > to || (to - from).num_days() > MAX_RANGE_DAYS {
        return Err(ApiError::unprocessable_field(
            "from",
            format!("on or before to, at most {MAX_RANGE_DAYS} days before it"),
        ));
    }
    Ok((from, to))
}

/// Trade statistics: the caller's round trips (closed FIFO lots) closed in a date range, grouped by
/// instrument, day (the P&L calendar), weekday, hour or product, each with its count, wins, losses, win
/// rate, P&L and charges. A trade wins when its P&L after its charges is above zero.
#[utoipa::path(get, path = "/v1/analytics/trades", tag = "analytics", security(("bearer" = [])),
    params(TradeStatisticsQuery),
    responses((status = 200, body = TradeStatisticsResponse), (status = 400, body = Body), (status = 401, body = Body),
        (status = 403, body = Body), (status = 422, body = Body), (status = 503, body = Body)))]
pub async fn trades(
    auth: AuthContext,
    State(state): State<AnalyticsState>,
    AppQuery(query): AppQuery<TradeStatisticsQuery>,
) -> Result<AppJson<TradeStatisticsResponse>, AnalyticsApiError> {
    let user = auth.require(Permission::AnalyticsRead)?.user_id;
    let group_by = query.group_by.as_deref().unwrap_or("day");
    let by = GroupBy::parse(group_by).ok_or_else(|| {
        ApiError::unprocessable_field("group_by", "instrument, day, weekday, hour or product")
    })?;
    let (from, to) = date_range(&state, (query.from, query.to), 29)?;
    let groups = state.analytics.trades(&user, from, to, by).await?;
    Ok(AppJson(TradeStatisticsResponse {
        from,
        to,
        group_by: group_by.to_owned(),
        groups: groups.iter().map(TradeGroupDto::from).collect(),
    }))
}

/// The equity curve from the end-of-day snapshots: `[[date, equity]]` and the drawdown, one point per
/// session with a snapshot (written after each close; missed sessions are back-filled), and each session's
/// time-weighted return, so a reset of the paper account is a flow, not a gain or loss.
#[utoipa::path(get, path = "/v1/analytics/equity-curve", tag = "analytics", security(("bearer" = [])),
    params(RangeQuery),
    responses((status = 200, body = EquityCurveResponse), (status = 400, body = Body), (status = 401, body = Body),
        (status = 403, body = Body), (status = 422, body = Body), (status = 503, body = Body)))]
pub async fn equity_curve(
    auth: AuthContext,
    State(state): State<AnalyticsState>,
    AppQuery(query): AppQuery<RangeQuery>,
) -> Result<AppJson<EquityCurveResponse>, AnalyticsApiError> {
    let user = auth.require(Permission::AnalyticsRead)?.user_id;
    let (from, to) = date_range(&state, (query.from, query.to), 364)?;
    let points = state.analytics.equity_curve(&user, from, to).await?;
    Ok(AppJson(EquityCurveResponse::of(from, to, &points)))
}

/// Performance over a range of sessions: total and annualised time-weighted return, volatility, Sharpe,
/// Sortino, max drawdown with its dates, Calmar, best and worst session; the closed round trips' win rate,
/// profit factor, average win and loss, expectancy and longest runs; charges by kind; realized and unrealized
/// P&L. The figures are the backtests' definitions (docs/decisions.md "Performance").
#[utoipa::path(get, path = "/v1/analytics/performance", tag = "analytics", security(("bearer" = [])),
    params(RangeQuery),
    responses((status = 200, body = PerformanceResponse), (status = 400, body = Body), (status = 401, body = Body),
        (status = 403, body = Body), (status = 422, body = Body), (status = 503, body = Body)))]
pub async fn performance(
    auth: AuthContext,
    State(state): State<AnalyticsState>,
    AppQuery(query): AppQuery<RangeQuery>,
) -> Result<AppJson<PerformanceResponse>, AnalyticsApiError> {
    let user = auth.require(Permission::AnalyticsRead)?.user_id;
    let (from, to) = date_range(&state, (query.from, query.to), 364)?;
    let report = state.analytics.performance(&user, from, to).await?;
    Ok(AppJson(PerformanceResponse::of(from, to, &report)))
}
