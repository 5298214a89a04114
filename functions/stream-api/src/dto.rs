//! The ticket route's response body.

use serde::Serialize;
use tradesense_domain::stream::ticket::IssuedTicket;
use utoipa::ToSchema;

/// A connect ticket: open the WebSocket at `url?ticket=<ticket>` within `expires_in` seconds. It is accepted
/// once, and only while the session it was issued to is signed in.
#[derive(Debug, Serialize, ToSchema)]
pub struct StreamTicketResponse {
    /// The single-use secret (43 characters of unpadded base64url).
    #[schema(
        example = "q3JhX9v0yT1Qm8r6cE2bW4nZ7pL5sK0dA9fH3gJ1uYk",
        min_length = 43,
        max_length = 43
    )]
    pub ticket: String,
    /// The WebSocket URL to connect to, with `?ticket=` added.
    #[schema(example = "wss://abc123.execute-api.ap-south-1.amazonaws.com/v1")]
    pub url: String,
    /// Seconds the ticket stays valid (30).
    #[schema(example = 30, minimum = 1)]
    pub expires_in: i64,
}

impl From<IssuedTicket> for StreamTicketResponse {
    fn from(issued: IssuedTicket) -> Self {
        Self {
            ticket: issued.ticket.expose().to_owned(),
            url: issued.url,
            expires_in: issued.expires_in,
        }
    }
}
