//! Secrets Manager, read at cold start and cached. Rotation-aware: a secret's AWSCURRENT version is what we
//! sign or encrypt with; AWSPREVIOUS is still accepted for verifying, so a rotation breaks nothing in flight.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::aws::sdk_error;
use aws_sdk_secretsmanager::error::SdkError;
use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;
use secrecy::{ExposeSecret, SecretString};
use tradesense_domain::identity::sealed::{DataKey, Sealer};
use tradesense_domain::identity::token::{SigningKeyMaterial, VerifyKey, VerifyKeySet};

/// A secret version stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// `AWSCURRENT`: the live value.
    Current,
    /// `AWSPREVIOUS`: the value before the last rotation.
    Previous,
}

impl Stage {
    fn label(self) -> &'static str {
        match self {
            Stage::Current => "AWSCURRENT",
            Stage::Previous => "AWSPREVIOUS",
        }
    }
}

type CacheKey = (String, Stage);

/// Reads secrets through a TTL cache shared by every invocation of a warm function.
#[derive(Debug)]
pub struct SecretsProvider {
    client: aws_sdk_secretsmanager::Client,
    ttl: Duration,
    cache: Mutex<HashMap<CacheKey, (Instant, Option<SecretString>)>>,
}

impl SecretsProvider {
    /// How long a value is served from cache by default: short enough that a rotation reaches every warm
    /// function within minutes, long enough that Secrets Manager is not called per request.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(300);

    /// A provider caching values for `ttl`.
    pub fn new(client: aws_sdk_secretsmanager::Client, ttl: Duration) -> Self {
        Self {
            client,
            ttl,
            cache: Mutex::default(),
        }
    }

    /// The secret's value at `stage`. `Ok(None)` when the secret has no version at that stage (a secret that
    /// was never rotated has no AWSPREVIOUS).
    ///
    /// # Errors
    /// When the secret cannot be read, including a missing AWSCURRENT.
    pub async fn get(&self, secret_id: &str, stage: Stage) -> anyhow::Result<Option<SecretString>> {
        let key = (secret_id.to_owned(), stage);
        if let Some(hit) = self.cached(&key) {
            return Ok(hit);
        }
        let result = self
            .client
            .get_secret_value()
            .secret_id(secret_id)
            .version_stage(stage.label())
            .send()
            .await;
        let value = match result {
            Ok(out) => {
                Some(SecretString::from(out.secret_string.with_context(|| {
                    format!("secret {secret_id} has no string value")
                })?))
            }
            Err(SdkError::ServiceError(e))
                if stage == Stage::Previous
                    && matches!(e.err(), GetSecretValueError::ResourceNotFoundException(_)) =>
            {
                None
            }
            Err(e) => return Err(sdk_error(e, &format!("get secret {secret_id} {}", stage.label()))),
        };
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(key, (Instant::now(), value.clone()));
        }
        Ok(value)
    }

    /// Drops the cached value of `secret_id` at `stage` if it was fetched at least `age` ago, so the next read
    /// goes to Secrets Manager; says whether it did. A value younger than `age` stays: callers that refetch on
    /// demand (a token under an unknown key) call Secrets Manager at most once per `age`.
    pub fn expire_if_older_than(&self, secret_id: &str, stage: Stage, age: Duration) -> bool {
        let Ok(mut cache) = self.cache.lock() else {
            return false;
        };
        let key = (secret_id.to_owned(), stage);
        match cache.get(&key) {
            Some((at, _)) if at.elapsed() >= age => {
                cache.remove(&key);
                true
            }
            _ => false,
        }
    }

    fn cached(&self, key: &CacheKey) -> Option<Option<SecretString>> {
        let cache = self.cache.lock().ok()?;
        let (at, value) = cache.get(key)?;
        (at.elapsed() < self.ttl).then(|| value.clone())
    }

    /// The access-token signing keys held in `secret_id`: AWSCURRENT first, then AWSPREVIOUS if present.
    ///
    /// # Errors
    /// When the secret cannot be read or a version is not valid key material.
    pub async fn signing_keys(&self, secret_id: &str) -> anyhow::Result<Vec<SigningKeyMaterial>> {
        let mut keys = Vec::with_capacity(2);
        for stage in [Stage::Current, Stage::Previous] {
            if let Some(value) = self.get(secret_id, stage).await? {
                let key: SigningKeyMaterial =
                    serde_json::from_str(value.expose_secret()).with_context(|| {
                        format!("secret {secret_id} {} is not signing key material", stage.label())
                    })?;
                keys.push(key);
            }
        }
        Ok(keys)
    }

    /// The public token-verification keys held in the verify-keys secret `secret_id` (its AWSCURRENT lists
    /// the current key first, then the previous one).
    ///
    /// # Errors
    /// When the secret cannot be read, is not a key set, or lists no key.
    pub async fn verify_keys(&self, secret_id: &str) -> anyhow::Result<Vec<VerifyKey>> {
        let value = self
            .get(secret_id, Stage::Current)
            .await?
            .with_context(|| format!("secret {secret_id} has no AWSCURRENT"))?;
        let set: VerifyKeySet = serde_json::from_str(value.expose_secret())
            .with_context(|| format!("secret {secret_id} is not a verify-key set"))?;
        anyhow::ensure!(!set.keys.is_empty(), "secret {secret_id} lists no verify key");
        Ok(set.keys)
    }

    /// The at-rest [`Sealer`] over the data-key secret `secret_id`: AWSCURRENT seals, AWSPREVIOUS still opens.
    ///
    /// # Errors
    /// When the secret cannot be read or a version is too short to be a key.
    pub async fn sealer(&self, secret_id: &str) -> anyhow::Result<Sealer> {
        let key = |value: SecretString| {
            DataKey::from_secret(value.expose_secret()).with_context(|| format!("data key {secret_id}"))
        };
        let current = self
            .get(secret_id, Stage::Current)
            .await?
            .with_context(|| format!("secret {secret_id} has no AWSCURRENT"))?;
        let previous = self.get(secret_id, Stage::Previous).await?.map(key).transpose()?;
        Ok(Sealer::new(key(current)?, previous))
    }
}
