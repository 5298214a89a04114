//! An alert's rules: validation (every broken rule named), trigger modes, caps, expiry and edits.

use chrono::TimeZone;
use rust_decimal_macros::dec;
use ulid::Ulid;

use super::*;
use crate::market::instrument::{Exchange, Segment};

fn t(h: u32, m: u32) -> DateTime<Utc> {
    // 2026-11-25 (a Wednesday), IST = UTC + 5:30.
    Utc.with_ymd_and_hms(2026, 11, 25, h, m, 0).unwrap()
}

fn infy() -> Instrument {
    Instrument {
        key: InstrumentKey::parse("NSE:INFY").unwrap(),
        symbol: "INFY".into(),
        name: "Infosys".into(),
        exchange: Exchange::Nse,
        segment: Segment::Equity,
        lot_size: 1,
        tick_size: dec!(0.10),
        freeze_quantity: None,
        underlying: None,
        expiry: None,
        strike: None,
        option_type: None,
        reference_price: dec!(1550),
    }
}

fn draft(kind: ConditionKind, target: Option<Decimal>) -> AlertDraft {
    AlertDraft {
        instrument: InstrumentKey::parse("NSE:INFY").unwrap(),
        kind,
        target,
        period: None,
        channels: vec![Channel::InApp],
        webhook_id: None,
        trigger_mode: TriggerMode::Once,
        cooldown_minutes: None,
        max_triggers: None,
        expires_at: None,
        note: None,
    }
}

fn make(d: AlertDraft) -> Result<Alert, Vec<Violation>> {
    d.into_alert(
        AlertId::from_ulid(Ulid::from_parts(1, 1)),
        UserId::from_ulid(Ulid::from_parts(2, 2)),
        &infy(),
        t(5, 0),
    )
}

fn fields(result: Result<Alert, Vec<Violation>>) -> Vec<&'static str> {
    result.unwrap_err().into_iter().map(|v| v.field).collect()
}

#[test]
fn a_valid_draft_becomes_an_active_alert_armed_at_creation() {
    let alert = make(draft(ConditionKind::Above, Some(dec!(1600.00)))).unwrap();
    assert_eq!(alert.status, AlertStatus::Active);
    assert_eq!(alert.condition.target, Some(dec!(1600)));
    assert_eq!(alert.armed_at, t(5, 0));
    assert_eq!((alert.version, alert.trigger_count), (1, 0));
}

#[test]
fn prices_are_tick_checked_and_every_broken_rule_is_named() {
    assert_eq!(
        fields(make(draft(ConditionKind::Above, Some(dec!(1600.05))))),
        ["target"]
    );
    assert_eq!(
        fields(make(draft(ConditionKind::Below, Some(dec!(-1))))),
        ["target"]
    );
    assert_eq!(fields(make(draft(ConditionKind::CrossesUp, None))), ["target"]);
    let mut d = draft(ConditionKind::PctChangeDown, Some(dec!(101)));
    d.channels = vec![Channel::Webhook, Channel::Webhook];
    d.trigger_mode = TriggerMode::Cooldown;
    d.max_triggers = Some(0);
    d.expires_at = Some(t(4, 0));
    d.note = Some("x".repeat(201));
    assert_eq!(
        fields(make(d)),
        [
            "target",
            "channels",
            "webhook_id",
            "cooldown_minutes",
            "max_triggers",
            "expires_at",
            "note"
        ]
    );
    let mut sma = draft(ConditionKind::CrossesSmaUp, Some(dec!(1)));
    sma.period = Some(201);
    assert_eq!(fields(make(sma)), ["target", "period"]);
    let mut ok = draft(ConditionKind::CrossesSmaDown, None);
    ok.period = Some(20);
    assert!(make(ok).is_ok());
    let mut once_capped = draft(ConditionKind::Above, Some(dec!(1600)));
    once_capped.max_triggers = Some(3);
    assert_eq!(fields(make(once_capped)), ["max_triggers"]);
}

fn every(mode: TriggerMode, cooldown: Option<u32>, max: Option<u32>) -> Alert {
    let mut d = draft(ConditionKind::Above, Some(dec!(1600)));
    d.trigger_mode = mode;
    d.cooldown_minutes = cooldown;
    d.max_triggers = max;
    make(d).unwrap()
}

#[test]
fn a_once_alert_fires_once_then_is_triggered() {
    let alert = every(TriggerMode::Once, None, None);
    let fired = alert.fire(t(5, 1), dec!(1601)).unwrap();
    assert_eq!(fired.status, AlertStatus::Triggered);
    assert_eq!((fired.trigger_count, fired.version), (1, 2));
    assert_eq!(fired.last_triggered_price, Some(dec!(1601)));
    assert!(fired.fire(t(5, 2), dec!(1602)).is_none());
}

#[test]
fn a_cooldown_alert_stays_quiet_for_its_minutes() {
    let alert = every(TriggerMode::Cooldown, Some(15), None);
    let fired = alert.fire(t(5, 1), dec!(1601)).unwrap();
    assert_eq!(fired.status, AlertStatus::Active);
    assert!(!fired.may_trigger_at(t(5, 15)), "14 minutes later");
    assert!(fired.may_trigger_at(t(5, 16)), "15 minutes later");
}

#[test]
fn max_triggers_caps_an_every_time_alert_and_one_minute_fires_once() {
    let alert = every(TriggerMode::EveryTime, None, Some(2));
    let first = alert.fire(t(5, 1), dec!(1601)).unwrap();
    assert!(first.fire(t(5, 1), dec!(1601)).is_none(), "the same minute again");
    let second = first.fire(t(5, 2), dec!(1602)).unwrap();
    assert_eq!(second.status, AlertStatus::Triggered);
    assert!(second.fire(t(5, 3), dec!(1603)).is_none());
}

#[test]
fn an_alert_past_its_expiry_is_expired_and_never_fires() {
    let mut d = draft(ConditionKind::Above, Some(dec!(1600)));
    d.expires_at = Some(t(6, 0));
    let alert = make(d).unwrap();
    assert_eq!(alert.status_at(t(5, 59)), AlertStatus::Active);
    assert_eq!(alert.status_at(t(6, 0)), AlertStatus::Expired);
    assert!(alert.fire(t(6, 0), dec!(1601)).is_none());
    assert_eq!(alert.expire(t(6, 1)).status, AlertStatus::Expired);
}

#[test]
fn edits_pause_resume_and_re_arm_but_never_reopen_a_closed_alert() {
    let alert = every(TriggerMode::EveryTime, None, None);
    let paused = alert
        .edit(
            AlertEdit {
                status: Some(AlertStatus::Paused),
                ..AlertEdit::default()
            },
            &infy(),
            t(5, 5),
        )
        .unwrap();
    assert_eq!((paused.status, paused.armed_at), (AlertStatus::Paused, t(5, 0)));
    assert!(!paused.may_trigger_at(t(5, 6)));
    let resumed = paused
        .edit(
            AlertEdit {
                status: Some(AlertStatus::Active),
                ..AlertEdit::default()
            },
            &infy(),
            t(5, 10),
        )
        .unwrap();
    assert_eq!(resumed.armed_at, t(5, 10), "resuming re-arms");
    let retargeted = resumed
        .edit(
            AlertEdit {
                target: Some(dec!(1610.10)),
                ..AlertEdit::default()
            },
            &infy(),
            t(5, 20),
        )
        .unwrap();
    assert_eq!(
        (retargeted.condition.target, retargeted.armed_at),
        (Some(dec!(1610.1)), t(5, 20))
    );
    assert!(matches!(
        resumed.edit(
            AlertEdit {
                target: Some(dec!(1610.15)),
                ..AlertEdit::default()
            },
            &infy(),
            t(5, 20)
        ),
        Err(EditRefused::Invalid(_))
    ));
    assert!(matches!(
        resumed.edit(
            AlertEdit {
                status: Some(AlertStatus::Cancelled),
                ..AlertEdit::default()
            },
            &infy(),
            t(5, 20)
        ),
        Err(EditRefused::Invalid(_))
    ));
    let cancelled = resumed.cancel(t(5, 30)).unwrap();
    assert!(cancelled.cancel(t(5, 31)).is_none());
    assert_eq!(
        cancelled.edit(AlertEdit::default(), &infy(), t(5, 31)),
        Err(EditRefused::Closed(AlertStatus::Cancelled))
    );
}
