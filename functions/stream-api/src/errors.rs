//! Which status each ticket-route error gets: storage failures only (503 when a dependency timed out).

tradesense_http::api_error_newtype!(
    /// What the ticket handler returns: any [`tradesense_http::ApiError`], and storage failures.
    StreamApiError
);
