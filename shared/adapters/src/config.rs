//! Configuration from the environment, read once at cold start. Every function's `XConfig::from_vars` takes a
//! [`Vars`] lookup, so Lambda reads the process environment and the local stack passes the variables it
//! resolved from template.yaml for that function.

/// A variable lookup: the process environment in Lambda, a per-function map in the local stack.
pub type Vars<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Looks variables up in the process environment.
pub fn process_env(key: &str) -> Option<String> {
    std::env::var(key).ok()
}

/// A configuration value is missing or invalid. Functions fail at init with this, never per request.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A required variable is unset or empty.
    #[error("missing environment variable {0}")]
    Missing(String),
    /// A variable is set but unusable.
    #[error("invalid environment variable {key}: {reason}")]
    Invalid {
        /// The variable.
        key: String,
        /// Why it is unusable.
        reason: String,
    },
}

/// A required, non-empty variable.
///
/// # Errors
/// [`ConfigError::Missing`] when unset or blank.
pub fn required(vars: Vars<'_>, key: &str) -> Result<String, ConfigError> {
    optional(vars, key).ok_or_else(|| ConfigError::Missing(key.to_owned()))
}

/// An optional variable; blank counts as unset.
pub fn optional(vars: Vars<'_>, key: &str) -> Option<String> {
    vars(key).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// The simulated market's seed (`MARKET_SEED`, default 7). Every function that prices must use the same one.
///
/// # Errors
/// [`ConfigError::Invalid`] for a value that is not a whole number.
pub fn market_seed(vars: Vars<'_>) -> Result<u64, ConfigError> {
    optional(vars, "MARKET_SEED").map_or(Ok(7), |seed| {
        seed.parse().map_err(|_| ConfigError::Invalid {
            key: "MARKET_SEED".into(),
            reason: "not a whole number".into(),
        })
    })
}

/// Where the AWS SDK sends requests. In Lambda the endpoint is AWS's; locally it is the emulator.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsSettings {
    /// Endpoint override (`AWS_ENDPOINT_URL`), e.g. `http://127.0.0.1:5000` for the moto emulator.
    pub endpoint_url: Option<String>,
    /// The table to open a connection to while the function initialises (`TABLE_NAME`, which every deployed
    /// function has): see [`AwsClients::load`](crate::AwsClients::load). Tests and the local stack leave it
    /// unset.
    pub warm_up_table: Option<String>,
}

impl AwsSettings {
    /// Reads `AWS_ENDPOINT_URL`, which must be an `http(s)://` URL when set, and `TABLE_NAME` if set.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] for a value that is not an http(s) URL.
    pub fn from_vars(vars: Vars<'_>) -> Result<Self, ConfigError> {
        let endpoint_url = optional(vars, "AWS_ENDPOINT_URL");
        if let Some(url) = &endpoint_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(ConfigError::Invalid {
                key: "AWS_ENDPOINT_URL".into(),
                reason: "must start with http:// or https://".into(),
            });
        }
        Ok(Self {
            endpoint_url,
            warm_up_table: optional(vars, "TABLE_NAME"),
        })
    }
}

/// The configuration of a function that needs only the table: most workers.
#[derive(Debug, Clone)]
pub struct TableConfig {
    /// Where the AWS SDK sends requests.
    pub aws: AwsSettings,
    /// The single table (`TABLE_NAME`).
    pub table_name: String,
}

impl TableConfig {
    /// Reads the configuration from `vars`.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first missing or invalid variable.
    pub fn from_vars(vars: Vars<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            aws: AwsSettings::from_vars(vars)?,
            table_name: required(vars, "TABLE_NAME")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn blank_values_count_as_missing() {
        let v = vars(&[("TABLE_NAME", "  ")]);
        assert!(matches!(required(&v, "TABLE_NAME"), Err(ConfigError::Missing(k)) if k == "TABLE_NAME"));
    }

    #[test]
    fn accepts_an_http_endpoint_and_rejects_anything_else() {
        let ok = AwsSettings::from_vars(&vars(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")])).unwrap();
        assert_eq!(ok.endpoint_url.as_deref(), Some("http://127.0.0.1:5000"));
        assert_eq!(
            AwsSettings::from_vars(&vars(&[])).unwrap(),
            AwsSettings::default()
        );
        assert!(AwsSettings::from_vars(&vars(&[("AWS_ENDPOINT_URL", "file:///etc/passwd")])).is_err());
    }
}
