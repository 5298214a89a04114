//! Which status and code each order error gets: API policy, kept out of the domain.

use tradesense_domain::trading::paper::ModifyRefusal;
use tradesense_domain::trading::service::{CancelError, ModifyError, PlaceError};
use tradesense_http::ApiError;
use tradesense_http::trading::{conflict, invalid, risk};

tradesense_http::api_error_newtype!(
    /// What the orders handlers return: any [`ApiError`], and the order use cases' errors mapped below.
    OrdersError
);

impl From<PlaceError> for OrdersError {
    fn from(e: PlaceError) -> Self {
        OrdersError(e.into())
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
