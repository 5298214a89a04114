//! Analytics handlers: parse, check the permission, call the analytics use cases, shape the answer. Every
//! figure is the caller's own account's.

use axum::extract::State;
use chrono::Duration;
use tradesense_domain::analytics::tax::FinancialYear;
use tradesense_domain::analytics::trades::GroupBy;
use tradesense_domain::identity::rbac::Permission;
use tradesense_domain::kernel::time::ist;
use tradesense_http::error::ErrorBody as Body;
use tradesense_http::{ApiError, AppJson, AppQuery, AuthContext};

use crate::AnalyticsState;
use crate::dto::{TaxPnlResponse, TaxQuery, TradeGroupDto, TradeStatisticsQuery, TradeStatisticsResponse};
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

/// The longest range of trade statistics, in days.
const MAX_RANGE_DAYS: i64 = 3660;

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
    let to = query
        .to
        .unwrap_or_else(|| state.clock.now().with_timezone(&ist()).date_naive());
    let from = query.from.unwrap_or(to - Duration::days(29));
    if from > to || (to - from).num_days() > MAX_RANGE_DAYS {
        return Err(ApiError::unprocessable_field(
            "from",
            format!("on or before to, at most {MAX_RANGE_DAYS} days before it"),
        )
        .into());
    }
    let groups = state.analytics.trades(&user, from, to, by).await?;
    Ok(AppJson(TradeStatisticsResponse {
        from,
        to,
        group_by: group_by.to_owned(),
        groups: groups.iter().map(TradeGroupDto::from).collect(),
    }))
}
