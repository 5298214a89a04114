//! Analytics handlers: parse, check the permission, call the analytics use cases, shape the answer. Every
//! figure is the caller's own account's.

use axum::extract::State;
use tradesense_domain::analytics::tax::FinancialYear;
use tradesense_domain::identity::rbac::Permission;
use tradesense_domain::kernel::time::ist;
use tradesense_http::error::ErrorBody as Body;
use tradesense_http::{ApiError, AppJson, AppQuery, AuthContext};

use crate::AnalyticsState;
use crate::dto::{TaxPnlResponse, TaxQuery};
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
