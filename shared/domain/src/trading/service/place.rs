//! Placing an order: what every placement starts with (an idempotency replay, the kill switch, the price
//! now, the account's venue and the placements counted so far), the venue's own placement, and the commit
//! every venue shares (the order with its claims, counted against the account's placement limit).
//!
//! Latency on Lambda is the number of round trips made one after another, so everything a placement reads
//! that does not wait on another read is read at once, the paper book included (nearly every account trades
//! paper; a live account's paper reads are dropped): one round trip of reads, then the transaction.

use chrono::{DateTime, Utc};

use crate::kernel::ids::UserId;
use crate::kernel::rate_limit::{RateDecision, RateRule};
use crate::market::instrument::InstrumentKey;
use crate::trading::order::Order;
use crate::trading::paper::Placement;
use crate::trading::ports::{CommitError, OrderClaim, PlacementLimit};
use crate::trading::request::OrderRequest;
use crate::trading::risk::ORDERS_PER_ACCOUNT;
use crate::trading::service::live::LiveVenue;
use crate::trading::service::paper::PaperVenue;
use crate::trading::service::pricing::Priced;
use crate::trading::service::venue::Venue;
use crate::trading::service::{OrderService, PlaceError};

/// A placement as the handler parsed it.
#[derive(Debug, Clone)]
pub struct PlaceCommand {
    /// The instrument key (`NSE:INFY`).
    pub instrument: String,
    /// The order.
    pub request: OrderRequest,
    /// The `Idempotency-Key` header.
    pub idempotency_key: Option<String>,
    /// SHA-256 of the canonical request, to tell a replay from a different request under the same key.
    pub request_hash: String,
}

/// What placing did.
#[derive(Debug, Clone)]
pub enum PlaceOutcome {
    /// A new order, with the rate-limit decision after it.
    Created(Order, RateDecision),
    /// The same request again: the original order.
    Replayed(Order),
}

/// A new placement past the checks every placement starts with.
pub(super) struct Opening {
    /// Its idempotency claims, with the field each came in.
    pub(super) claims: Vec<(&'static str, String)>,
    /// When it is placed.
    pub(super) now: DateTime<Utc>,
    /// The instrument's market now.
    pub(super) priced: Priced,
    /// Placements the account's window had counted before this one.
    pub(super) counted: u64,
}

/// What committing a placement came to.
pub(super) enum Commit {
    /// Placed (with the rate-limit decision), or the claim was taken: the original order.
    Done(Box<PlaceOutcome>),
    /// Refused for funds or a race on the position or account: plan again on fresh state.
    Retry(CommitError),
}

/// The claims a command makes: its `Idempotency-Key` and its `client_order_id`, with the field each came in.
fn claim_keys(command: &PlaceCommand) -> Vec<(&'static str, String)> {
    let mut keys = Vec::new();
    if let Some(key) = &command.idempotency_key {
        keys.push(("Idempotency-Key", format!("idem:{key}")));
    }
    if let Some(id) = &command.request.client_order_id {
        keys.push(("client_order_id", format!("coid:{id}")));
    }
    keys
}

/// The key of `user`'s placement-limit counter.
pub(super) fn placement_limit_key(user: &UserId) -> String {
    format!("orders:{user}")
}

/// The placement limit under `key` for a placement at `now`.
pub(super) fn placement_limit(key: &str, now: DateTime<Utc>) -> PlacementLimit<'_> {
    PlacementLimit {
        key,
        rule: ORDERS_PER_ACCOUNT,
        at: now,
    }
}

/// The decision for a placement refused because the window is full.
fn full_window(rule: RateRule, now: DateTime<Utc>) -> RateDecision {
    rule.decide(u64::from(rule.limit) + 1, now)
}

impl OrderService {
    /// Places an order for `user`: a claimed key answers with its original order; else, with the kill switch
    /// off and the instrument priced, the account's venue places it.
    ///
    /// # Errors
    /// [`PlaceError`]; nothing is written.
    pub async fn place(&self, user: UserId, command: PlaceCommand) -> Result<PlaceOutcome, PlaceError> {
        let claims = claim_keys(&command);
        let now = self.ctx.clock.now();
        let limit_key = placement_limit_key(&user);
        let limit = placement_limit(&limit_key, now);
        let instrument = InstrumentKey::parse(&command.instrument);
        let paper = PaperVenue::new(self, user);
        let book = async {
            match &instrument {
                Some(key) => paper.book(key, command.request.product).await.map(Some),
                None => Ok(None),
            }
        };
        let (replay, halted, priced, live, counted, book) = futures::join!(
            self.replay(&user, &command, &claims),
            self.check_not_halted(),
            self.priced(&command.instrument, command.request.product, now),
            self.trades_live(&user),
            self.ctx.ledger.placements_counted(limit),
            book,
        );
        if let Some(original) = replay? {
            return Ok(PlaceOutcome::Replayed(original));
        }
        halted?;
        let opening = Opening {
            claims,
            now,
            priced: priced?,
            counted: counted?,
        };
        match (live?, self.live_desk()) {
            (true, Some(desk)) => LiveVenue::new(self, desk, user).place(command, opening).await,
            _ => paper.place_on(command, opening, book?).await,
        }
    }

    /// The original order of a claimed key, or why the key cannot be reused.
    async fn replay(
        &self,
        user: &UserId,
        command: &PlaceCommand,
        claims: &[(&'static str, String)],
    ) -> Result<Option<Order>, PlaceError> {
        for (field, key) in claims {
            if let Some(claim) = self.ctx.ledger.claim(user, key).await? {
                if claim.request_hash != command.request_hash {
                    return Err(PlaceError::KeyReused(field));
                }
                let order = self
                    .ctx
                    .ledger
                    .order(user, &claim.order_id)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("claim {key} names a missing order"))?;
                return Ok(Some(order));
            }
        }
        Ok(None)
    }

    /// [`PlaceError::KillSwitch`] while the platform kill switch is on.
    pub(super) async fn check_not_halted(&self) -> Result<(), PlaceError> {
        match self.ctx.kill_switch.current().await? {
            Some(switch) if switch.enabled => Err(PlaceError::KillSwitch(switch.reason)),
            _ => Ok(()),
        }
    }

    /// Commits `placement` with the command's claims, counted against the account's placement limit (which had
    /// `counted` placements when the placement began): the outcome, or the refusal to plan again after. A
    /// taken claim answers with the original order. The rate-limit decision reports `counted + 1`: a
    /// concurrent placement on the same account may have counted too (the limit itself is enforced in the
    /// transaction).
    pub(super) async fn commit(
        &self,
        user: &UserId,
        command: &PlaceCommand,
        claims: &[(&'static str, String)],
        placement: &Placement,
        now: DateTime<Utc>,
        counted: u64,
    ) -> Result<Commit, PlaceError> {
        let limit_key = placement_limit_key(user);
        let limit = placement_limit(&limit_key, now);
        let order_claims: Vec<OrderClaim> = claims
            .iter()
            .map(|(_, key)| OrderClaim {
                key: key.clone(),
                request_hash: command.request_hash.clone(),
                order_id: placement.order.id,
            })
            .collect();
        match self.ctx.ledger.place(placement, &order_claims, limit).await {
            Ok(()) => Ok(Commit::Done(Box::new(PlaceOutcome::Created(
                placement.order.clone(),
                ORDERS_PER_ACCOUNT.decide(counted + 1, now),
            )))),
            Err(CommitError::Claimed) => match self.replay(user, command, claims).await? {
                Some(original) => Ok(Commit::Done(Box::new(PlaceOutcome::Replayed(original)))),
                None => Err(anyhow::anyhow!("claim taken but not readable").into()),
            },
            Err(CommitError::RateLimited) => {
                Err(PlaceError::RateLimited(full_window(ORDERS_PER_ACCOUNT, now)))
            }
            Err(CommitError::Unexpected(e)) => Err(e.into()),
            Err(other) => Ok(Commit::Retry(other)),
        }
    }
}
