//! Opaque, tamper-evident pagination cursors.
//!
//! A cursor is `base64url(json{scope, key}) "." base64url(HMAC-SHA256(payload))`, signed with a key from
//! Secrets Manager. The scope names the listing (the list and its owner: `orders|<user>`); decoding checks the
//! MAC in constant time and that the scope matches the listing being continued, so a client can neither forge
//! a position nor carry a cursor from one account's listing, or one list, into another. [`SignedCursors`]
//! is what the APIs use: it carries the position the listing resumes after (an item id).

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The longest cursor accepted; anything longer is rejected before decoding.
pub const MAX_CURSOR_LEN: usize = 2048;

/// A cursor is malformed, forged or from another listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid cursor")]
pub struct InvalidCursor;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Payload {
    scope: String,
    key: BTreeMap<String, String>,
}

/// Signs and verifies cursors.
#[derive(Clone)]
pub struct CursorCodec {
    key: SecretString,
}

impl std::fmt::Debug for CursorCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorCodec(..)")
    }
}

impl CursorCodec {
    /// A codec signing with `key` (the cursor secret's value).
    pub fn new(key: SecretString) -> Self {
        Self { key }
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC accepts keys of any length, so this never fails.
        <HmacSha256 as Mac>::new_from_slice(self.key.expose_secret().as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"))
    }

    /// Encodes a DynamoDB start key for the listing identified by `scope`.
    ///
    /// # Errors
    /// [`InvalidCursor`] if the key holds a non-string attribute (our keys are all strings).
    pub fn encode(
        &self,
        scope: &str,
        key: &HashMap<String, AttributeValue>,
    ) -> Result<String, InvalidCursor> {
        let key = key
            .iter()
            .map(|(k, v)| {
                v.as_s()
                    .map(|s| (k.clone(), s.clone()))
                    .map_err(|_| InvalidCursor)
            })
            .collect::<Result<BTreeMap<_, _>, _>>()?;
        let payload = serde_json::to_vec(&Payload {
            scope: scope.to_owned(),
            key,
        })
        .map_err(|_| InvalidCursor)?;
        let mut mac = self.mac();
        mac.update(&payload);
        let tag = mac.finalize().into_bytes();
        Ok(format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(tag)
        ))
    }

    /// Decodes a cursor produced by [`encode`](Self::encode) for the same `scope`.
    ///
    /// # Errors
    /// [`InvalidCursor`] for anything malformed, forged, or issued for another scope.
    pub fn decode(
        &self,
        scope: &str,
        cursor: &str,
    ) -> Result<HashMap<String, AttributeValue>, InvalidCursor> {
        if cursor.len() > MAX_CURSOR_LEN {
            return Err(InvalidCursor);
        }
        let (payload, tag) = cursor.split_once('.').ok_or(InvalidCursor)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| InvalidCursor)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| InvalidCursor)?;
        let mut mac = self.mac();
        mac.update(&payload);
        mac.verify_slice(&tag).map_err(|_| InvalidCursor)?;
        let payload: Payload = serde_json::from_slice(&payload).map_err(|_| InvalidCursor)?;
        if payload.scope != scope {
            return Err(InvalidCursor);
        }
        Ok(payload
            .key
            .into_iter()
            .map(|(k, v)| (k, AttributeValue::S(v)))
            .collect())
    }
}

/// Why a listing cursor could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum CursorError {
    /// Malformed, forged, or issued for another listing.
    #[error(transparent)]
    Invalid(#[from] InvalidCursor),
    /// The signing key could not be read.
    #[error(transparent)]
    Unavailable(#[from] anyhow::Error),
}

/// Cursors over a listing position the caller keeps itself (an item id), signed with the key in Secrets
/// Manager (cached by the [`SecretsProvider`](crate::secrets::SecretsProvider)).
pub struct SignedCursors {
    secrets: crate::secrets::SecretsProvider,
    secret_id: String,
}

impl std::fmt::Debug for SignedCursors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedCursors")
            .field("secret_id", &self.secret_id)
            .finish_non_exhaustive()
    }
}

impl SignedCursors {
    /// Cursors signed with the value of `secret_id`.
    pub fn new(secrets: crate::secrets::SecretsProvider, secret_id: impl Into<String>) -> Self {
        Self {
            secrets,
            secret_id: secret_id.into(),
        }
    }

    async fn codec(&self) -> anyhow::Result<CursorCodec> {
        let key = self
            .secrets
            .get(&self.secret_id, crate::secrets::Stage::Current)
            .await?
            .ok_or_else(|| anyhow::anyhow!("cursor key secret has no value"))?;
        Ok(CursorCodec::new(key))
    }

    /// The cursor continuing the listing `scope` after `position`.
    ///
    /// # Errors
    /// The signing key could not be read.
    pub async fn seal(&self, scope: &str, position: &str) -> Result<String, CursorError> {
        let key = HashMap::from([("after".to_owned(), AttributeValue::S(position.to_owned()))]);
        Ok(self.codec().await?.encode(scope, &key)?)
    }

    /// The position a cursor from [`seal`](Self::seal) for the same `scope` names.
    ///
    /// # Errors
    /// [`CursorError::Invalid`] for anything malformed, forged or from another listing.
    pub async fn open(&self, scope: &str, cursor: &str) -> Result<String, CursorError> {
        let key = self.codec().await?.decode(scope, cursor)?;
        key.get("after")
            .and_then(|v| v.as_s().ok())
            .cloned()
            .ok_or(CursorError::Invalid(InvalidCursor))
    }

    /// The position a list's optional `cursor` continues after, parsed (`None` without a cursor: the first
    /// page).
    ///
    /// # Errors
    /// [`CursorError::Invalid`] as [`open`](Self::open), or for a position that does not parse.
    pub async fn resume_after<T: std::str::FromStr>(
        &self,
        scope: &str,
        cursor: Option<&str>,
    ) -> Result<Option<T>, CursorError> {
        let Some(cursor) = cursor else {
            return Ok(None);
        };
        let position = self.open(scope, cursor).await?;
        position
            .parse()
            .map(Some)
            .map_err(|_| CursorError::Invalid(InvalidCursor))
    }

    /// The cursor of the next page, after `position` (`None` on the last page).
    ///
    /// # Errors
    /// The signing key could not be read.
    pub async fn next(
        &self,
        scope: &str,
        position: Option<impl std::fmt::Display>,
    ) -> Result<Option<String>, CursorError> {
        match position {
            Some(p) => Ok(Some(self.seal(scope, &p.to_string()).await?)),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codec(key: &str) -> CursorCodec {
        CursorCodec::new(SecretString::from(key.to_owned()))
    }

    fn start_key() -> HashMap<String, AttributeValue> {
        HashMap::from([
            ("pk".to_owned(), AttributeValue::S("USER#A".into())),
            ("sk".to_owned(), AttributeValue::S("AUDIT#2026".into())),
        ])
    }

    #[test]
    fn round_trips_a_start_key() {
        let c = codec("k");
        let cursor = c.encode("USER#A", &start_key()).unwrap();
        assert_eq!(c.decode("USER#A", &cursor).unwrap(), start_key());
    }

    #[test]
    fn rejects_a_cursor_from_another_scope_or_key() {
        let cursor = codec("k").encode("USER#A", &start_key()).unwrap();
        assert_eq!(codec("k").decode("USER#B", &cursor), Err(InvalidCursor));
        assert_eq!(codec("other").decode("USER#A", &cursor), Err(InvalidCursor));
    }

    #[test]
    fn rejects_any_tampering() {
        let c = codec("k");
        let cursor = c.encode("USER#A", &start_key()).unwrap();
        let (payload, tag) = cursor.split_once('.').unwrap();
        let forged_payload = URL_SAFE_NO_PAD.encode(
            String::from_utf8(URL_SAFE_NO_PAD.decode(payload).unwrap())
                .unwrap()
                .replace("USER#A", "USER#B"),
        );
        for bad in [
            format!("{forged_payload}.{tag}"),
            format!("{payload}.AAAA"),
            payload.to_owned(),
            String::new(),
            "..".to_owned(),
            "x".repeat(MAX_CURSOR_LEN + 1),
        ] {
            assert_eq!(c.decode("USER#B", &bad), Err(InvalidCursor), "{bad:.30}");
            assert_eq!(c.decode("USER#A", &bad), Err(InvalidCursor), "{bad:.30}");
        }
    }

    #[test]
    fn refuses_to_encode_non_string_keys() {
        let key = HashMap::from([("pk".to_owned(), AttributeValue::N("1".into()))]);
        assert_eq!(codec("k").encode("s", &key), Err(InvalidCursor));
    }
}
