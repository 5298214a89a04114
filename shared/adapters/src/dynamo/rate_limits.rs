//! Rate-limit counters in DynamoDB: one item per key and window, incremented with an atomic `ADD`, removed
//! by TTL a minute after the window ends.

use crate::aws::sdk_error;
use std::collections::HashMap;

use anyhow::Context as _;
use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use chrono::{DateTime, Duration, Utc};
use tradesense_domain::identity::ports::RateLimiter;
use tradesense_domain::kernel::error::RepoError;
use tradesense_domain::kernel::rate_limit::{RateDecision, RateRule};

use super::keys;
use super::table::Table;

/// [`RateLimiter`] over the single table.
#[derive(Clone, Debug)]
pub struct DynamoRateLimiter {
    table: Table,
}

impl DynamoRateLimiter {
    /// Counters in `table`.
    pub fn new(table: Table) -> Self {
        Self { table }
    }
}

#[async_trait]
impl RateLimiter for DynamoRateLimiter {
    async fn hit(&self, key: &str, rule: RateRule, now: DateTime<Utc>) -> Result<RateDecision, RepoError> {
        let start = rule.window_start(now);
        let expires = (start + rule.window + Duration::minutes(1)).timestamp();
        let out = self
            .table
            .client()
            .update_item()
            .table_name(self.table.name())
            .set_key(Some(keys::rate_window(key, start).to_attributes()))
            .update_expression("ADD hits :one SET #ttl = if_not_exists(#ttl, :ttl)")
            .expression_attribute_names("#ttl", keys::TTL)
            .set_expression_attribute_values(Some(HashMap::from([
                (":one".to_owned(), AttributeValue::N("1".into())),
                (":ttl".to_owned(), AttributeValue::N(expires.to_string())),
            ])))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| sdk_error(e, "count rate-limit hit"))?;
        let hits = out
            .attributes
            .and_then(|a| {
                a.get("hits")
                    .and_then(|h| h.as_n().ok())
                    .and_then(|n| n.parse::<u64>().ok())
            })
            .context("rate-limit counter missing")?;
        Ok(rule.decide(hits, now))
    }

    async fn refund(&self, key: &str, rule: RateRule, at: DateTime<Utc>) -> Result<(), RepoError> {
        let result = self
            .table
            .client()
            .update_item()
            .table_name(self.table.name())
            .set_key(Some(
                keys::rate_window(key, rule.window_start(at)).to_attributes(),
            ))
            .condition_expression("hits > :zero")
            .update_expression("ADD hits :minus_one")
            .set_expression_attribute_values(Some(HashMap::from([
                (":zero".to_owned(), AttributeValue::N("0".into())),
                (":minus_one".to_owned(), AttributeValue::N("-1".into())),
            ])))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Nothing left to refund (or the window already expired): nothing to do.
            Err(SdkError::ServiceError(e))
                if matches!(e.err(), UpdateItemError::ConditionalCheckFailedException(_)) =>
            {
                Ok(())
            }
            Err(e) => Err(sdk_error(e, "refund rate-limit hit").into()),
        }
    }
}
