//! The strategy templates traders pick from, each with its parameters, and how a template's legs resolve on
//! the live chains: strikes by offset from the at-the-money strike (the listed strike nearest the
//! underlying's price; `OTMn` is n strikes away from the money on the leg's own side, above for a call and
//! below for a put, `ITMn` the other way), expiries by `near` / `next` / a listed date, units by lots.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive as _;
use serde_json::Value;

use crate::kernel::validation::Violation;
use crate::market::chain::{ChainRow, OptionChain};
use crate::market::instrument::{Instrument, InstrumentKey};
use crate::market::options::OptionType;
use crate::trading::request::Side;

/// The most lots a template may be sized at.
pub const MAX_LOTS: u32 = 50;
/// The furthest strike offset (`OTM20`, `ITM20`).
pub const MAX_OFFSET: u8 = 20;

/// A strategy template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    /// A call and a put at one strike.
    Straddle,
    /// An out-of-the-money call and put.
    Strangle,
    /// Buy a call, sell a higher one.
    BullCallSpread,
    /// Buy a put, sell a lower one.
    BearPutSpread,
    /// Sell a put, buy a lower one.
    BullPutSpread,
    /// Sell a call, buy a higher one.
    BearCallSpread,
    /// A bull put spread and a bear call spread.
    IronCondor,
    /// A short straddle with bought wings.
    IronButterfly,
    /// Buy a lower call, sell two middle calls, buy a higher call.
    Butterfly,
    /// Sell the near expiry, buy the far one, one strike.
    CalendarSpread,
    /// Sell the near expiry at one strike, buy the far one at another.
    DiagonalSpread,
    /// Long the future, sell a call.
    CoveredCall,
    /// Long the future, buy a put.
    ProtectivePut,
}

/// What kind of value a parameter takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// An index with options (`NSE:NIFTY`).
    Underlying,
    /// `near`, `next` or a listed date.
    Expiry,
    /// `ATM`, `OTM1`..`OTM20`, `ITM1`..`ITM20`.
    Strike,
    /// `BUY` or `SELL`.
    Side,
    /// `CE` or `PE`.
    OptionType,
    /// 1 to [`MAX_LOTS`].
    Lots,
}

/// One parameter of a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parameter {
    /// Its name in `params`.
    pub name: &'static str,
    /// What it takes.
    pub kind: ParamKind,
    /// Its value when not given (`None`: required).
    pub default: Option<&'static str>,
    /// What it sets.
    pub description: &'static str,
}

const fn param(
    name: &'static str,
    kind: ParamKind,
    default: Option<&'static str>,
    description: &'static str,
) -> Parameter {
    Parameter {
        name,
        kind,
        default,
        description,
    }
}

const UNDERLYING: Parameter = param(
    "underlying",
    ParamKind::Underlying,
    None,
    "the index, e.g. NSE:NIFTY",
);
const EXPIRY: Parameter = param("expiry", ParamKind::Expiry, Some("near"), "the options' expiry");
const LOTS: Parameter = param("lots", ParamKind::Lots, Some("1"), "lots per leg");
const FAR_EXPIRY: Parameter = param(
    "far_expiry",
    ParamKind::Expiry,
    Some("next"),
    "the bought leg's expiry",
);
const SIDE: Parameter = param(
    "side",
    ParamKind::Side,
    Some("BUY"),
    "BUY (long) or SELL (short) both legs",
);

/// How a template leg's side is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SideRule {
    Fixed(Side),
    FromParam,
}

/// What a template leg trades.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Option(OptionType),
    /// The `option_type` parameter's.
    OptionFromParam,
    Future,
}

/// One leg of a template.
#[derive(Debug, Clone, Copy)]
struct Blueprint {
    shape: Shape,
    /// The strike parameter (options).
    strike: Option<&'static str>,
    /// At `far_expiry` rather than `expiry`.
    far: bool,
    side: SideRule,
    /// Lots per lot of the strategy.
    ratio: i64,
}

const fn leg(shape: Shape, strike: &'static str, side: Side) -> Blueprint {
    Blueprint {
        shape,
        strike: Some(strike),
        far: false,
        side: SideRule::Fixed(side),
        ratio: 1,
    }
}

const CALL: Shape = Shape::Option(OptionType::Call);
const PUT: Shape = Shape::Option(OptionType::Put);
const FUTURE: Blueprint = Blueprint {
    shape: Shape::Future,
    strike: None,
    far: false,
    side: SideRule::Fixed(Side::Buy),
    ratio: 1,
};

impl Template {
    /// Every template, in the catalogue's order.
    pub const ALL: [Template; 13] = [
        Template::Straddle,
        Template::Strangle,
        Template::BullCallSpread,
        Template::BearPutSpread,
        Template::BullPutSpread,
        Template::BearCallSpread,
        Template::IronCondor,
        Template::IronButterfly,
        Template::Butterfly,
        Template::CalendarSpread,
        Template::DiagonalSpread,
        Template::CoveredCall,
        Template::ProtectivePut,
    ];

    /// Its wire name.
    pub fn name(self) -> &'static str {
        match self {
            Template::Straddle => "straddle",
            Template::Strangle => "strangle",
            Template::BullCallSpread => "bull_call_spread",
            Template::BearPutSpread => "bear_put_spread",
            Template::BullPutSpread => "bull_put_spread",
            Template::BearCallSpread => "bear_call_spread",
            Template::IronCondor => "iron_condor",
            Template::IronButterfly => "iron_butterfly",
            Template::Butterfly => "butterfly",
            Template::CalendarSpread => "calendar_spread",
            Template::DiagonalSpread => "diagonal_spread",
            Template::CoveredCall => "covered_call",
            Template::ProtectivePut => "protective_put",
        }
    }

    /// The template named `name`.
    pub fn from_name(name: &str) -> Option<Template> {
        Template::ALL.into_iter().find(|t| t.name() == name)
    }

    /// One line on what it is and when it is used.
    pub fn description(self) -> &'static str {
        match self {
            Template::Straddle => {
                "A call and a put at one strike: long for a big move either way, short for a quiet market."
            }
            Template::Strangle => {
                "An out-of-the-money call and put: a cheaper straddle needing a bigger move (long) or wider room (short)."
            }
            Template::BullCallSpread => {
                "Buy a call and sell a higher one: a moderate rise for a capped debit."
            }
            Template::BearPutSpread => "Buy a put and sell a lower one: a moderate fall for a capped debit.",
            Template::BullPutSpread => {
                "Sell a put and buy a lower one: a credit kept if the market holds up, loss capped by the width."
            }
            Template::BearCallSpread => {
                "Sell a call and buy a higher one: a credit kept if the market stays down, loss capped by the width."
            }
            Template::IronCondor => {
                "A bull put spread and a bear call spread: a credit kept while the market stays between the short strikes."
            }
            Template::IronButterfly => {
                "A short straddle with bought wings: a larger credit, kept near the strike, with the loss capped."
            }
            Template::Butterfly => {
                "Buy a lower call, sell two at the money, buy a higher one: a cheap bet the market pins the middle strike."
            }
            Template::CalendarSpread => {
                "Sell the near expiry and buy the far one at the same strike: earns the near leg's faster time decay."
            }
            Template::DiagonalSpread => {
                "Sell a near-expiry option and buy a far-expiry one at another strike: a calendar with a directional tilt."
            }
            Template::CoveredCall => {
                "Long the future and sell an out-of-the-money call: income on a holding, upside capped."
            }
            Template::ProtectivePut => {
                "Long the future and buy a put: the holding insured below the put's strike."
            }
        }
    }

    /// Its parameters.
    pub fn parameters(self) -> Vec<Parameter> {
        let strike = |name, default, description| param(name, ParamKind::Strike, Some(default), description);
        let option_type = param(
            "option_type",
            ParamKind::OptionType,
            Some("CE"),
            "calls (CE) or puts (PE)",
        );
        let mut params = vec![UNDERLYING, EXPIRY, LOTS];
        params.extend(match self {
            Template::Straddle => vec![SIDE, strike("strike", "ATM", "both legs' strike")],
            Template::Strangle => vec![
                SIDE,
                strike("call_strike", "OTM2", "the call's strike"),
                strike("put_strike", "OTM2", "the put's strike"),
            ],
            Template::BullCallSpread | Template::BearPutSpread => vec![
                strike("buy_strike", "ATM", "the bought option's strike"),
                strike("sell_strike", "OTM2", "the sold option's strike"),
            ],
            Template::BullPutSpread | Template::BearCallSpread => vec![
                strike("sell_strike", "ATM", "the sold option's strike"),
                strike("buy_strike", "OTM2", "the bought option's strike"),
            ],
            Template::IronCondor => vec![
                strike("short_call", "OTM2", "the sold call's strike"),
                strike("long_call", "OTM4", "the bought call's strike"),
                strike("short_put", "OTM2", "the sold put's strike"),
                strike("long_put", "OTM4", "the bought put's strike"),
            ],
            Template::IronButterfly => vec![
                strike("strike", "ATM", "the sold call's and put's strike"),
                strike("wing", "OTM2", "the bought call's and put's strike"),
            ],
            Template::Butterfly => vec![
                strike("lower_strike", "ITM2", "the lower bought call's strike"),
                strike("middle_strike", "ATM", "the two sold calls' strike"),
                strike("upper_strike", "OTM2", "the upper bought call's strike"),
            ],
            Template::CalendarSpread => {
                vec![
                    FAR_EXPIRY,
                    option_type,
                    strike("strike", "ATM", "both legs' strike"),
                ]
            }
            Template::DiagonalSpread => vec![
                FAR_EXPIRY,
                option_type,
                strike("near_strike", "OTM2", "the sold near-expiry option's strike"),
                strike("far_strike", "ATM", "the bought far-expiry option's strike"),
            ],
            Template::CoveredCall => vec![strike("strike", "OTM2", "the sold call's strike")],
            Template::ProtectivePut => vec![strike("strike", "OTM1", "the bought put's strike")],
        });
        params
    }

    fn blueprints(self) -> Vec<Blueprint> {
        use Side::{Buy, Sell};
        let with_side = |shape, strike| Blueprint {
            side: SideRule::FromParam,
            ..leg(shape, strike, Buy)
        };
        let far = |shape, strike| Blueprint {
            far: true,
            ..leg(shape, strike, Buy)
        };
        match self {
            Template::Straddle => vec![with_side(CALL, "strike"), with_side(PUT, "strike")],
            Template::Strangle => vec![with_side(CALL, "call_strike"), with_side(PUT, "put_strike")],
            Template::BullCallSpread => vec![leg(CALL, "buy_strike", Buy), leg(CALL, "sell_strike", Sell)],
            Template::BearPutSpread => vec![leg(PUT, "buy_strike", Buy), leg(PUT, "sell_strike", Sell)],
            Template::BullPutSpread => vec![leg(PUT, "sell_strike", Sell), leg(PUT, "buy_strike", Buy)],
            Template::BearCallSpread => vec![leg(CALL, "sell_strike", Sell), leg(CALL, "buy_strike", Buy)],
            Template::IronCondor => vec![
                leg(PUT, "long_put", Buy),
                leg(PUT, "short_put", Sell),
                leg(CALL, "short_call", Sell),
                leg(CALL, "long_call", Buy),
            ],
            Template::IronButterfly => vec![
                leg(PUT, "wing", Buy),
                leg(PUT, "strike", Sell),
                leg(CALL, "strike", Sell),
                leg(CALL, "wing", Buy),
            ],
            Template::Butterfly => vec![
                leg(CALL, "lower_strike", Buy),
                Blueprint {
                    ratio: 2,
                    ..leg(CALL, "middle_strike", Sell)
                },
                leg(CALL, "upper_strike", Buy),
            ],
            Template::CalendarSpread => vec![
                leg(Shape::OptionFromParam, "strike", Sell),
                far(Shape::OptionFromParam, "strike"),
            ],
            Template::DiagonalSpread => vec![
                leg(Shape::OptionFromParam, "near_strike", Sell),
                far(Shape::OptionFromParam, "far_strike"),
            ],
            Template::CoveredCall => vec![FUTURE, leg(CALL, "strike", Sell)],
            Template::ProtectivePut => vec![FUTURE, leg(PUT, "strike", Buy)],
        }
    }
}

/// A strike as an offset from the at-the-money strike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrikeOffset {
    /// The listed strike nearest the underlying's price.
    Atm,
    /// n strikes out of the money.
    Otm(u8),
    /// n strikes in the money.
    Itm(u8),
}

impl StrikeOffset {
    /// Parses `ATM`, `OTM1`..`OTM20`, `ITM1`..`ITM20`.
    pub fn parse(text: &str) -> Option<StrikeOffset> {
        if text == "ATM" {
            return Some(StrikeOffset::Atm);
        }
        let (kind, n): (fn(u8) -> StrikeOffset, &str) = if let Some(n) = text.strip_prefix("OTM") {
            (StrikeOffset::Otm, n)
        } else {
            (StrikeOffset::Itm, text.strip_prefix("ITM")?)
        };
        if n.starts_with('0') {
            return None;
        }
        let n: u8 = n.parse().ok().filter(|n| (1..=MAX_OFFSET).contains(n))?;
        Some(kind(n))
    }

    /// Strikes above the at-the-money strike (negative: below) for an option of `option_type`.
    fn steps(self, option_type: OptionType) -> i64 {
        let away = match self {
            StrikeOffset::Atm => 0,
            StrikeOffset::Otm(n) => i64::from(n),
            StrikeOffset::Itm(n) => -i64::from(n),
        };
        match option_type {
            OptionType::Call => away,
            OptionType::Put => -away,
        }
    }
}

/// An expiry as asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryChoice {
    /// The first listed.
    Near,
    /// The second listed.
    Next,
    /// This listed date.
    On(NaiveDate),
}

impl ExpiryChoice {
    /// Parses `near`, `next` or a date (`2026-12-29`).
    pub fn parse(text: &str) -> Option<ExpiryChoice> {
        match text {
            "near" => Some(ExpiryChoice::Near),
            "next" => Some(ExpiryChoice::Next),
            date => date.parse().ok().map(ExpiryChoice::On),
        }
    }

    /// The date among `listed` (ascending), if listed.
    pub fn pick(self, listed: &[NaiveDate]) -> Option<NaiveDate> {
        match self {
            ExpiryChoice::Near => listed.first().copied(),
            ExpiryChoice::Next => listed.get(1).copied(),
            ExpiryChoice::On(date) => listed.contains(&date).then_some(date),
        }
    }
}

/// A template with its parameters parsed (defaults filled in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateRequest {
    /// The template.
    pub template: Template,
    /// The index (`NSE:NIFTY`).
    pub underlying: String,
    /// The options' expiry.
    pub expiry: ExpiryChoice,
    /// The far legs' expiry (calendars and diagonals).
    pub far_expiry: Option<ExpiryChoice>,
    /// Lots per leg (a butterfly's middle leg takes twice).
    pub lots: u32,
    /// Long or short (straddle, strangle).
    pub side: Side,
    /// Calls or puts (calendar, diagonal).
    pub option_type: OptionType,
    /// Each strike parameter's offset.
    pub strikes: BTreeMap<&'static str, StrikeOffset>,
}

impl TemplateRequest {
    /// Parses `params` for `template` (by name): every parameter checked, unknown ones refused.
    ///
    /// # Errors
    /// The violations, each naming its parameter.
    pub fn parse(template: &str, params: &serde_json::Map<String, Value>) -> Result<Self, Vec<Violation>> {
        let Some(template) = Template::from_name(template) else {
            let names: Vec<&str> = Template::ALL.iter().map(|t| t.name()).collect();
            return Err(vec![Violation::new(
                "template",
                format!("unknown template; one of {}", names.join(", ")),
            )]);
        };
        let parameters = template.parameters();
        let mut violations = Vec::new();
        for name in params.keys() {
            if !parameters.iter().any(|p| p.name == name) {
                violations.push(Violation::new(
                    "params",
                    format!("{name}: not a parameter of {}", template.name()),
                ));
            }
        }
        let mut request = TemplateRequest {
            template,
            underlying: String::new(),
            expiry: ExpiryChoice::Near,
            far_expiry: None,
            lots: 1,
            side: Side::Buy,
            option_type: OptionType::Call,
            strikes: BTreeMap::new(),
        };
        for p in &parameters {
            let given = params.get(p.name);
            let text = match (given, p.default) {
                (Some(Value::String(text)), _) => text.clone(),
                (Some(Value::Number(n)), _) if p.kind == ParamKind::Lots => n.to_string(),
                (Some(_), _) => {
                    violations.push(Violation::new("params", format!("{}: must be a string", p.name)));
                    continue;
                }
                (None, Some(default)) => default.to_owned(),
                (None, None) => {
                    violations.push(Violation::new("params", format!("{}: required", p.name)));
                    continue;
                }
            };
            let refuse = |what: &str| Violation::new("params", format!("{}: {what}", p.name));
            match p.kind {
                ParamKind::Underlying => request.underlying = text,
                ParamKind::Expiry => match ExpiryChoice::parse(&text) {
                    Some(choice) if p.name == "far_expiry" => request.far_expiry = Some(choice),
                    Some(choice) => request.expiry = choice,
                    None => violations.push(refuse("near, next or a date (YYYY-MM-DD)")),
                },
                ParamKind::Strike => match StrikeOffset::parse(&text) {
                    Some(offset) => {
                        request.strikes.insert(p.name, offset);
                    }
                    None => violations.push(refuse("ATM, OTM1 to OTM20 or ITM1 to ITM20")),
                },
                ParamKind::Side => match text.as_str() {
                    "BUY" => request.side = Side::Buy,
                    "SELL" => request.side = Side::Sell,
                    _ => violations.push(refuse("BUY or SELL")),
                },
                ParamKind::OptionType => match text.as_str() {
                    "CE" => request.option_type = OptionType::Call,
                    "PE" => request.option_type = OptionType::Put,
                    _ => violations.push(refuse("CE or PE")),
                },
                ParamKind::Lots => match text.parse::<u32>() {
                    Ok(lots) if (1..=MAX_LOTS).contains(&lots) => request.lots = lots,
                    _ => violations.push(refuse(&format!("a whole number of lots, 1 to {MAX_LOTS}"))),
                },
            }
        }
        if violations.is_empty() {
            Ok(request)
        } else {
            Err(violations)
        }
    }

    /// The expiries the legs need among `listed` (ascending): the near one, and the far one if any.
    ///
    /// # Errors
    /// A violation naming the expiry that is not listed, or a far expiry not after the near one.
    pub fn expiries(&self, listed: &[NaiveDate]) -> Result<(NaiveDate, Option<NaiveDate>), Vec<Violation>> {
        let listed_text = || {
            let dates: Vec<String> = listed.iter().map(ToString::to_string).collect();
            format!("not listed; listed: {}", dates.join(", "))
        };
        let near = self
            .expiry
            .pick(listed)
            .ok_or_else(|| vec![Violation::new("params", format!("expiry: {}", listed_text()))])?;
        let Some(far) = self.far_expiry else {
            return Ok((near, None));
        };
        match far.pick(listed) {
            Some(far) if far > near => Ok((near, Some(far))),
            Some(_) => Err(vec![Violation::new("params", "far_expiry: must be after expiry")]),
            None => Err(vec![Violation::new(
                "params",
                format!("far_expiry: {}", listed_text()),
            )]),
        }
    }

    /// The legs on `near` (and `far`, for calendars and diagonals), strikes placed around `spot`; a future
    /// leg trades `future`.
    ///
    /// # Errors
    /// A violation naming a strike offset beyond the listed strikes, or a missing future.
    pub fn resolve(
        &self,
        spot: f64,
        near: &OptionChain,
        far: Option<&OptionChain>,
        future: Option<&Instrument>,
        lot_size: u32,
    ) -> Result<Vec<PlannedLeg>, Vec<Violation>> {
        let lots = i64::from(self.lots) * i64::from(lot_size);
        self.template
            .blueprints()
            .into_iter()
            .map(|blueprint| {
                let side = match blueprint.side {
                    SideRule::Fixed(side) => side,
                    SideRule::FromParam => self.side,
                };
                let quantity = lots * blueprint.ratio;
                let option_type = match blueprint.shape {
                    Shape::Future => {
                        let future = future.ok_or_else(|| {
                            vec![Violation::new("params", "underlying: no future is listed")]
                        })?;
                        return Ok(PlannedLeg {
                            instrument: future.key.clone(),
                            side,
                            quantity,
                        });
                    }
                    Shape::Option(option_type) => option_type,
                    Shape::OptionFromParam => self.option_type,
                };
                let chain = if blueprint.far { far.unwrap_or(near) } else { near };
                let name = blueprint.strike.unwrap_or("strike");
                let offset = self.strikes.get(name).copied().unwrap_or(StrikeOffset::Atm);
                let row = strike_row(chain, spot, offset.steps(option_type)).ok_or_else(|| {
                    vec![Violation::new(
                        "params",
                        format!("{name}: beyond the listed strikes"),
                    )]
                })?;
                let side_of_row = match option_type {
                    OptionType::Call => &row.call,
                    OptionType::Put => &row.put,
                };
                Ok(PlannedLeg {
                    instrument: side_of_row.instrument.clone(),
                    side,
                    quantity,
                })
            })
            .collect()
    }
}

/// The row `steps` strikes above (below, if negative) the one nearest `spot`.
fn strike_row(chain: &OptionChain, spot: f64, steps: i64) -> Option<&ChainRow> {
    let atm = chain
        .rows
        .iter()
        .enumerate()
        .min_by(|(_, a), (_, b)| {
            let distance = |r: &ChainRow| (r.strike.to_f64().unwrap_or(0.0) - spot).abs();
            distance(a).total_cmp(&distance(b))
        })?
        .0;
    let index = i64::try_from(atm).ok()? + steps;
    chain.rows.get(usize::try_from(index).ok()?)
}

/// A leg to trade, before pricing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedLeg {
    /// The contract.
    pub instrument: InstrumentKey,
    /// Buy or sell.
    pub side: Side,
    /// Units.
    pub quantity: i64,
}
