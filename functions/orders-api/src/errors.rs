//! Which status and code each order error gets: API policy, kept out of the domain.

use axum::http::StatusCode;
use tradesense_domain::market::ports::MarketDataError;
use tradesense_domain::trading::paper::ModifyRefusal;
use tradesense_domain::trading::risk::RiskRejection;
use tradesense_domain::trading::service::{CancelError, ModifyError, PlaceError};
use tradesense_http::{ApiError, ErrorCode};

tradesense_http::api_error_newtype!(
    /// What the orders handlers return: any [`ApiError`], and the order use cases' errors mapped below.
    OrdersError
);

fn conflict(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, ErrorCode::Conflict, message)
}

fn risk(risk: RiskRejection) -> ApiError {
    let code = match risk {
        RiskRejection::InsufficientFunds { .. } => ErrorCode::InsufficientFunds,
        _ => ErrorCode::RiskRejected,
    };
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, risk.to_string())
}

fn invalid(violations: Vec<tradesense_domain::kernel::validation::Violation>) -> ApiError {
    violations.into_iter().fold(
        ApiError::unprocessable("the order breaks order rules"),
        |error, v| error.with_detail(v.field, v.message),
    )
}

impl From<PlaceError> for OrdersError {
    fn from(e: PlaceError) -> Self {
        OrdersError(match e {
            PlaceError::UnknownInstrument => {
                ApiError::unprocessable_field("instrument", "unknown instrument")
            }
            PlaceError::Invalid(violations) => invalid(violations),
            PlaceError::Risk(rejection) => risk(rejection),
            PlaceError::KeyReused(field) => {
                conflict(format!("{field} was already used for a different order"))
            }
            PlaceError::RateLimited(decision) => {
                ApiError::rate_limited(decision.retry_after_secs).with_rate_limit(decision)
            }
            PlaceError::KillSwitch(reason) => ApiError::new(
                StatusCode::LOCKED,
                ErrorCode::KillSwitchActive,
                format!("trading is halted: {reason}"),
            ),
            busy @ PlaceError::Busy => conflict(busy.to_string()),
            PlaceError::MarketData(MarketDataError::Unsupported(message)) => {
                ApiError::unprocessable_field("instrument", message)
            }
            PlaceError::MarketData(MarketDataError::Unavailable(e)) => {
                tracing::warn!(error = ?e, "no price to trade at");
                ApiError::unavailable("market data is unavailable; try again shortly")
            }
            PlaceError::Broker(e) => e.into(),
            PlaceError::Unexpected(e) => ApiError::internal(e),
        })
    }
}

impl From<ModifyError> for OrdersError {
    fn from(e: ModifyError) -> Self {
        match e {
            ModifyError::NotFound => OrdersError(ApiError::not_found()),
            ModifyError::Refused(ModifyRefusal::Empty) => OrdersError(ApiError::unprocessable(
                "nothing to change: give quantity, price, trigger_price or order_type",
            )),
            ModifyError::Refused(ModifyRefusal::Closed(status)) => {
                OrdersError(conflict(format!("order is {status:?}: it cannot be modified")))
            }
            ModifyError::Refused(ModifyRefusal::PartlyFilled { filled, quantity }) => {
                OrdersError(conflict(format!(
                    "{filled} of {quantity} have filled: cancel the rest and place a new order to change it"
                )))
            }
            ModifyError::Refused(ModifyRefusal::Invalid(violations)) => OrdersError(invalid(violations)),
            ModifyError::Refused(ModifyRefusal::Risk(rejection)) => OrdersError(risk(rejection)),
            ModifyError::Refused(ModifyRefusal::Transition(e)) => OrdersError(ApiError::internal(e)),
            ModifyError::Place(e) => e.into(),
        }
    }
}

impl From<CancelError> for OrdersError {
    fn from(e: CancelError) -> Self {
        OrdersError(match e {
            CancelError::NotFound => ApiError::not_found(),
            CancelError::Closed(closed) => conflict(closed.to_string()),
            CancelError::Broker(e) => e.into(),
            CancelError::Unexpected(e) => ApiError::internal(e),
        })
    }
}
