//! `tradesense-local import-candles INSTRUMENT FILE`: loads a daily OHLCV CSV (`Date,Open,High,Low,Close,Volume`)
//! into the table's imported history, against the local stack or AWS, so backtests can run on real prices.
//! The whole file is validated before anything is written.

use anyhow::{Context as _, bail};
use tradesense_domain::market::history::parse_daily_csv;
use tradesense_domain::market::instrument::InstrumentKey;
use tradesense_domain::market::ports::DailyHistory;

/// Exchanges an imported instrument key may name.
const EXCHANGES: [&str; 4] = ["NSE", "NFO", "BSE", "MCX"];

/// Imports `csv` as the daily history of `instrument` (`EXCHANGE:SYMBOL`); returns the number of bars.
///
/// # Errors
/// A malformed key or file (nothing written), or a storage failure (import again to complete).
pub async fn import_daily_csv(
    history: &dyn DailyHistory,
    instrument: &str,
    csv: &str,
) -> anyhow::Result<usize> {
    let Some((exchange, symbol)) = instrument.split_once(':') else {
        bail!("instrument must be EXCHANGE:SYMBOL, e.g. NSE:INFY");
    };
    let symbol_ok = !symbol.is_empty()
        && symbol.len() <= 40
        && symbol
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-&_".contains(c));
    if !EXCHANGES.contains(&exchange) || !symbol_ok {
        bail!("instrument must be EXCHANGE:SYMBOL with EXCHANGE one of {EXCHANGES:?}");
    }
    let bars = parse_daily_csv(csv).context("CSV refused; nothing imported")?;
    history
        .store(&InstrumentKey::from_text(instrument), &bars)
        .await
        .context("store daily bars")?;
    Ok(bars.len())
}
