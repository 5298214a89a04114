//! The admin function's configuration, read once at cold start.

use tradesense_adapters::config::{AwsSettings, ConfigError, Vars, required};
use tradesense_domain::ops::dead_letters::RedrivableQueue;
use tradesense_http::HttpConfig;

/// Configuration of the admin function.
#[derive(Debug, Clone)]
pub struct AdminConfig {
    /// Where the AWS SDK sends requests.
    pub aws: AwsSettings,
    /// CORS and other HTTP settings.
    pub http: HttpConfig,
    /// The single table (`TABLE_NAME`).
    pub table_name: String,
    /// The audit queue, probed by the deep health check (`AUDIT_QUEUE_URL`).
    pub audit_queue_url: String,
    /// The signing-key secret, described (never read) by the deep health check (`SIGNING_KEY_SECRET_ID`).
    pub signing_key_secret_id: String,
    /// The secret whose value signs list cursors (`CURSOR_KEY_SECRET_ID`).
    pub cursor_key_secret_id: String,
    /// Each redrivable queue with its dead-letter queue and its own URL (`AUDIT_DLQ_URL`, `BACKTEST_QUEUE_URL`,
    /// `BACKTEST_DLQ_URL`, `ALERT_QUEUE_URL`, `ALERT_DLQ_URL`; the audit queue's is `AUDIT_QUEUE_URL`).
    pub dead_letters: Vec<(RedrivableQueue, String, String)>,
    /// The HTTP functions whose request metrics the metrics route reads, by binary name, in report order
    /// (`METRICS_FUNCTIONS`, comma-separated).
    pub metrics_functions: Vec<String>,
}

impl AdminConfig {
    /// Reads the configuration from `vars`.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first missing or invalid variable.
    pub fn from_vars(vars: Vars<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            aws: AwsSettings::from_vars(vars)?,
            http: HttpConfig::from_vars(vars)?,
            table_name: required(vars, "TABLE_NAME")?,
            audit_queue_url: required(vars, "AUDIT_QUEUE_URL")?,
            signing_key_secret_id: required(vars, "SIGNING_KEY_SECRET_ID")?,
            cursor_key_secret_id: required(vars, "CURSOR_KEY_SECRET_ID")?,
            dead_letters: vec![
                (
                    RedrivableQueue::Audit,
                    required(vars, "AUDIT_DLQ_URL")?,
                    required(vars, "AUDIT_QUEUE_URL")?,
                ),
                (
                    RedrivableQueue::Backtest,
                    required(vars, "BACKTEST_DLQ_URL")?,
                    required(vars, "BACKTEST_QUEUE_URL")?,
                ),
                (
                    RedrivableQueue::Alert,
                    required(vars, "ALERT_DLQ_URL")?,
                    required(vars, "ALERT_QUEUE_URL")?,
                ),
            ],
            metrics_functions: required(vars, "METRICS_FUNCTIONS")?
                .split(',')
                .map(str::trim)
                .filter(|name| !name.is_empty())
                .map(str::to_owned)
                .collect(),
        })
    }
}
