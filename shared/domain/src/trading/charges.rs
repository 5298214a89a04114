//! Charges on every fill: brokerage by plan, and the statutory and exchange charges kept as data with
//! effective dates (`data/charges/nse-charges.csv`: a rate change is a new row, not a code edit).
//!
//! Each component is computed on the fill's value (the premium for options), rounded to the paisa (half away
//! from zero), and GST is 18% of brokerage + transaction charges (including the protection-fund charge) + SEBI
//! fee, rounded the same way.

use std::ops::Add;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde::{Deserialize, Serialize};

use crate::kernel::money::paise;
use crate::trading::request::Side;

/// What the charge rates depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChargeSegment {
    /// Equity bought or sold for delivery.
    #[serde(rename = "EQ_DELIVERY")]
    EquityDelivery,
    /// Equity bought and sold the same day.
    #[serde(rename = "EQ_INTRADAY")]
    EquityIntraday,
    /// Futures.
    #[serde(rename = "FUT")]
    Futures,
    /// Options (charges on premium).
    #[serde(rename = "OPT")]
    Options,
}

/// One row of the charges table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ChargeRates {
    /// First trade date the row applies to.
    pub effective_from: NaiveDate,
    /// Segment.
    pub segment: ChargeSegment,
    /// STT on buys, fraction of value.
    pub stt_buy: Decimal,
    /// STT on sells, fraction of value.
    pub stt_sell: Decimal,
    /// Exchange transaction charge, fraction of value, both sides.
    pub transaction: Decimal,
    /// Investor-protection-fund charge, rupees per crore of value, both sides.
    pub ipf_per_crore: Decimal,
    /// SEBI turnover fee, rupees per crore of value, both sides.
    pub sebi_per_crore: Decimal,
    /// Stamp duty on buys, fraction of value.
    pub stamp_buy: Decimal,
    /// GST rate on brokerage + transaction + IPF + SEBI.
    pub gst: Decimal,
}

/// A malformed charges file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("charges file line {line}: {reason}")]
pub struct BadChargesFile {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// No rates apply to a trade (before the first row's date).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no charge rates for {segment:?} on {date}")]
pub struct NoRates {
    /// The segment.
    pub segment: ChargeSegment,
    /// The trade date.
    pub date: NaiveDate,
}

/// The charges table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeSchedule {
    rows: Vec<ChargeRates>,
}

/// One crore (₹1,00,00,000).
const CRORE: Decimal = dec!(10000000);

const SHIPPED: &str = include_str!("../../../../data/charges/nse-charges.csv");

impl ChargeSchedule {
    /// The shipped table.
    ///
    /// # Errors
    /// If the shipped file is malformed (a test proves it is not).
    pub fn shipped() -> Result<Self, BadChargesFile> {
        Self::from_csv(SHIPPED)
    }

    /// Parses the CSV (`#` comments; the header row first).
    ///
    /// # Errors
    /// [`BadChargesFile`] naming the first bad line; two rows for one segment and date are refused.
    pub fn from_csv(text: &str) -> Result<Self, BadChargesFile> {
        let mut rows: Vec<ChargeRates> = Vec::new();
        let mut header: Option<Vec<String>> = None;
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |reason: String| BadChargesFile { line: i + 1, reason };
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            let Some(names) = &header else {
                header = Some(fields.iter().map(|f| (*f).to_owned()).collect());
                continue;
            };
            if fields.len() != names.len() {
                return Err(bad(format!("expected {} fields", names.len())));
            }
            let object: serde_json::Map<String, serde_json::Value> = names
                .iter()
                .zip(&fields)
                .map(|(n, f)| (n.clone(), serde_json::Value::String((*f).to_owned())))
                .collect();
            let row: ChargeRates =
                serde_json::from_value(serde_json::Value::Object(object)).map_err(|e| bad(e.to_string()))?;
            if rows
                .iter()
                .any(|r| r.segment == row.segment && r.effective_from == row.effective_from)
            {
                return Err(bad("segment and date listed twice".into()));
            }
            rows.push(row);
        }
        rows.sort_by_key(|r| r.effective_from);
        Ok(Self { rows })
    }

    /// The rates in force for `segment` on `date`: the latest row effective on or before it.
    ///
    /// # Errors
    /// [`NoRates`] before the first row.
    pub fn rates_on(&self, segment: ChargeSegment, date: NaiveDate) -> Result<&ChargeRates, NoRates> {
        self.rows
            .iter()
            .rev()
            .find(|r| r.segment == segment && r.effective_from <= date)
            .ok_or(NoRates { segment, date })
    }
}

/// A brokerage plan: per executed order, the lower of a flat fee and a percentage of its value; optionally
/// free for delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrokeragePlan {
    /// Flat fee per order.
    pub flat: Decimal,
    /// Fraction of order value.
    pub fraction: Decimal,
    /// Whether delivery equity orders pay nothing.
    pub free_delivery: bool,
}

impl Default for BrokeragePlan {
    /// ₹20 or 0.05% per executed order, whichever is lower; zero for delivery.
    fn default() -> Self {
        Self {
            flat: dec!(20),
            fraction: dec!(0.0005),
            free_delivery: true,
        }
    }
}

impl BrokeragePlan {
    /// Brokerage on one executed order of `value` (premium for options).
    pub fn for_order(&self, segment: ChargeSegment, value: Decimal) -> Decimal {
        if self.free_delivery && segment == ChargeSegment::EquityDelivery {
            return Decimal::ZERO;
        }
        paise(self.flat.min(value * self.fraction))
    }
}

/// The charges of one fill, each in rupees to the paisa.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charges {
    /// Brokerage.
    pub brokerage: Decimal,
    /// Securities transaction tax.
    pub stt: Decimal,
    /// Exchange transaction charge.
    pub transaction: Decimal,
    /// Investor-protection-fund charge.
    pub ipf: Decimal,
    /// SEBI turnover fee.
    pub sebi: Decimal,
    /// Stamp duty.
    pub stamp: Decimal,
    /// GST.
    pub gst: Decimal,
}

impl Charges {
    /// Every component added up.
    pub fn total(&self) -> Decimal {
        self.brokerage + self.stt + self.transaction + self.ipf + self.sebi + self.stamp + self.gst
    }

    /// Every component × `factor` (a share of a fill's charges), unrounded.
    pub fn scaled(&self, factor: Decimal) -> Charges {
        Charges {
            brokerage: self.brokerage * factor,
            stt: self.stt * factor,
            transaction: self.transaction * factor,
            ipf: self.ipf * factor,
            sebi: self.sebi * factor,
            stamp: self.stamp * factor,
            gst: self.gst * factor,
        }
    }
}

impl Add for Charges {
    type Output = Charges;

    fn add(self, o: Charges) -> Charges {
        Charges {
            brokerage: self.brokerage + o.brokerage,
            stt: self.stt + o.stt,
            transaction: self.transaction + o.transaction,
            ipf: self.ipf + o.ipf,
            sebi: self.sebi + o.sebi,
            stamp: self.stamp + o.stamp,
            gst: self.gst + o.gst,
        }
    }
}

/// The charges of one fill of `value` (premium for options) on `side`, with `brokerage` already decided for
/// its order.
pub fn fill_charges(rates: &ChargeRates, side: Side, value: Decimal, brokerage: Decimal) -> Charges {
    let (stt_rate, stamp_rate) = match side {
        Side::Buy => (rates.stt_buy, rates.stamp_buy),
        Side::Sell => (rates.stt_sell, Decimal::ZERO),
    };
    let transaction = paise(value * rates.transaction);
    let ipf = paise(value * rates.ipf_per_crore / CRORE);
    let sebi = paise(value * rates.sebi_per_crore / CRORE);
    Charges {
        brokerage,
        stt: paise(value * stt_rate),
        transaction,
        ipf,
        sebi,
        stamp: paise(value * stamp_rate),
        gst: paise((brokerage + transaction + ipf + sebi) * rates.gst),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn note(segment: ChargeSegment, side: Side, value: Decimal) -> Charges {
        let schedule = ChargeSchedule::shipped().unwrap();
        let rates = schedule.rates_on(segment, date("2026-11-25")).unwrap();
        fill_charges(
            rates,
            side,
            value,
            BrokeragePlan::default().for_order(segment, value),
        )
    }

    #[test]
    fn delivery_5000_shares_at_1000_bought_and_sold() {
        // Value each side ₹50,00,000; both sides together one crore.
        //   STT 0.1% × 50,00,000 = 5,000.00 per side             → 10,000.00
        //   transaction 0.00297% × 50,00,000 = 148.50 per side    →    297.00
        //   IPF ₹10/crore × 0.5 crore = 5.00 per side             →     10.00
        //   SEBI ₹10/crore × 0.5 crore = 5.00 per side            →     10.00
        //   stamp 0.015% × 50,00,000 on the buy                   →    750.00
        //   GST 18% × (0 + 148.50 + 5 + 5) = 28.53 per side       →     57.06
        //   total                                                   11,124.06
        let value = dec!(5000) * dec!(1000);
        let buy = note(ChargeSegment::EquityDelivery, Side::Buy, value);
        let sell = note(ChargeSegment::EquityDelivery, Side::Sell, value);
        assert_eq!(buy.brokerage + sell.brokerage, Decimal::ZERO, "delivery is free");
        assert_eq!(buy.total(), dec!(5937.03));
        assert_eq!(sell.total(), dec!(5187.03));
        let both = buy + sell;
        assert_eq!(
            (both.stt, both.transaction, both.ipf, both.sebi),
            (dec!(10000), dec!(297), dec!(10), dec!(10))
        );
        assert_eq!((both.stamp, both.gst), (dec!(750), dec!(57.06)));
        assert_eq!(both.total(), dec!(11124.06));
    }

    #[test]
    fn intraday_100_shares_at_2450_round_trip() {
        // Value ₹2,45,000 a side; brokerage min(20, 122.50) = 20 per order.
        // Buy: txn 7.2765→7.28, IPF 0.245→0.25, SEBI 0.25, stamp 0.003% = 7.35,
        //      GST 18% × (20 + 7.28 + 0.25 + 0.25 = 27.78) = 5.0004→5.00 → 40.13.
        // Sell: STT 0.025% = 61.25, txn 7.28, IPF 0.25, SEBI 0.25, GST 5.00, brokerage 20 → 94.03.
        let value = dec!(100) * dec!(2450);
        let buy = note(ChargeSegment::EquityIntraday, Side::Buy, value);
        let sell = note(ChargeSegment::EquityIntraday, Side::Sell, value);
        assert_eq!(buy.total(), dec!(40.13));
        assert_eq!(sell.total(), dec!(94.03));
        assert_eq!(sell.stt, dec!(61.25));
    }

    #[test]
    fn selling_one_nifty_lot_of_options_at_120() {
        // Premium 65 × 120 = ₹7,800. Brokerage min(20, 3.90) = 3.90; STT 0.15% = 11.70;
        // txn 0.03503% = 2.73234→2.73; IPF ₹50/crore = 0.039→0.04; SEBI 0.0078→0.01;
        // GST 18% × (3.90 + 2.73 + 0.04 + 0.01 = 6.68) = 1.2024→1.20 → 19.58.
        let sell = note(ChargeSegment::Options, Side::Sell, dec!(65) * dec!(120));
        assert_eq!(sell.brokerage, dec!(3.90));
        assert_eq!(sell.total(), dec!(19.58));
    }

    #[test]
    fn futures_buy_pays_stamp_and_no_stt() {
        // NIFTY future, 65 × 26,000 = ₹16,90,000. Brokerage 20; txn 0.00173% = 29.237→29.24;
        // IPF 1.69; SEBI 1.69; stamp 0.002% = 33.80; GST 18% × 52.62 = 9.4716→9.47 → 95.89.
        let buy = note(ChargeSegment::Futures, Side::Buy, dec!(65) * dec!(26000));
        assert_eq!(buy.stt, Decimal::ZERO);
        assert_eq!(buy.total(), dec!(95.89));
    }

    #[test]
    fn a_rate_change_is_a_new_row_taking_effect_on_its_date() {
        let csv = "effective_from,segment,stt_buy,stt_sell,transaction,ipf_per_crore,sebi_per_crore,stamp_buy,gst\n\
                   2026-04-01,FUT,0,0.0005,0.0000173,10,10,0.00002,0.18\n\
                   2027-04-01,FUT,0,0.0006,0.0000173,10,10,0.00002,0.18\n";
        let schedule = ChargeSchedule::from_csv(csv).unwrap();
        assert_eq!(
            schedule
                .rates_on(ChargeSegment::Futures, date("2027-03-31"))
                .unwrap()
                .stt_sell,
            dec!(0.0005)
        );
        assert_eq!(
            schedule
                .rates_on(ChargeSegment::Futures, date("2027-04-01"))
                .unwrap()
                .stt_sell,
            dec!(0.0006)
        );
        assert!(
            schedule
                .rates_on(ChargeSegment::Futures, date("2026-03-31"))
                .is_err()
        );
        assert!(
            schedule
                .rates_on(ChargeSegment::Options, date("2027-01-01"))
                .is_err()
        );
        let twice = format!("{csv}2027-04-01,FUT,0,0.0007,0.0000173,10,10,0.00002,0.18\n");
        assert!(ChargeSchedule::from_csv(&twice).is_err());
        assert!(ChargeSchedule::from_csv("effective_from,segment\n2026-04-01,SWAPS\n").is_err());
    }
}
