//! Imported daily history in DynamoDB: one item per instrument and date under `HIST#<instrument>#1d`, prices
//! as DynamoDB numbers written from the decimal text (exact), written 25 at a time and read with one
//! key-condition query (`sk BETWEEN from AND to`, paged).

use std::collections::HashMap;

use anyhow::Context as _;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use tradesense_domain::kernel::error::RepoError;
use tradesense_domain::market::history::DailyBar;
use tradesense_domain::market::instrument::InstrumentKey;
use tradesense_domain::market::ports::DailyHistory;
use tradesense_domain::market::quote::Bar;

use super::keys;
use super::table::Table;

/// [`DailyHistory`] over the single table.
#[derive(Clone, Debug)]
pub struct DynamoDailyHistory {
    table: Table,
}

impl DynamoDailyHistory {
    /// History in `table`.
    pub fn new(table: Table) -> Self {
        Self { table }
    }
}

fn number(item: &HashMap<String, AttributeValue>, name: &str) -> anyhow::Result<Decimal> {
    let text = item
        .get(name)
        .and_then(|v| v.as_n().ok())
        .with_context(|| format!("bar without {name}"))?;
    text.parse()
        .with_context(|| format!("{name} {text} is not a decimal"))
}

fn decode(item: &HashMap<String, AttributeValue>) -> anyhow::Result<DailyBar> {
    let date = item
        .get("sk")
        .and_then(|v| v.as_s().ok())
        .context("bar without date")?;
    Ok(DailyBar {
        date: NaiveDate::parse_from_str(date, "%Y-%m-%d").context("stored date")?,
        bar: Bar {
            open: number(item, "open")?,
            high: number(item, "high")?,
            low: number(item, "low")?,
            close: number(item, "close")?,
            volume: number(item, "volume")?.try_into().context("volume")?,
        },
    })
}

#[async_trait]
impl DailyHistory for DynamoDailyHistory {
    async fn store(&self, instrument: &InstrumentKey, bars: &[DailyBar]) -> Result<(), RepoError> {
        let items = bars
            .iter()
            .map(|b| {
                let mut item = keys::daily_bar(instrument, b.date).to_attributes();
                item.insert("entity".into(), AttributeValue::S("daily_bar".into()));
                for (name, value) in [
                    ("open", b.bar.open),
                    ("high", b.bar.high),
                    ("low", b.bar.low),
                    ("close", b.bar.close),
                    ("volume", Decimal::from(b.bar.volume)),
                ] {
                    item.insert(name.into(), AttributeValue::N(value.to_string()));
                }
                item
            })
            .collect();
        // What still fails after the retries is an error (import again).
        Ok(self.table.put_all(items, "daily bars").await?)
    }

    async fn range(
        &self,
        instrument: &InstrumentKey,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DailyBar>, RepoError> {
        let query = self
            .table
            .client()
            .query()
            .table_name(self.table.name())
            .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
            .expression_attribute_values(
                ":pk",
                AttributeValue::S(keys::daily_history_partition(instrument)),
            )
            .expression_attribute_values(":from", AttributeValue::S(from.format("%Y-%m-%d").to_string()))
            .expression_attribute_values(":to", AttributeValue::S(to.format("%Y-%m-%d").to_string()));
        let items = self.table.query_all(query, "daily bars").await?;
        Ok(items.iter().map(decode).collect::<anyhow::Result<_>>()?)
    }
}
