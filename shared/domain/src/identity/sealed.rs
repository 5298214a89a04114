//! Encryption at rest for small secrets we must be able to read back (TOTP secrets, broker access tokens):
//! AES-256-GCM with a random 96-bit nonce, bound to what the value belongs to by its associated data, so a
//! ciphertext copied onto another user's record does not open there.
//!
//! Keys come from the data-key secret (Secrets Manager): each version's string is stretched to 256 bits by
//! SHA-256 under a domain label. A sealed value names the key that sealed it (`v1.<key id>.<nonce>.<ct>`), and
//! the [`Sealer`] opens with the current or the previous key, so a rotation breaks nothing already stored.

use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload};
use aes_gcm::{AeadCore, Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// The shortest data-key secret accepted, in bytes (the template generates 64 random alphanumerics).
pub const MIN_KEY_SECRET_LEN: usize = 32;

/// One AES-256 key and its id.
#[derive(Clone)]
pub struct DataKey {
    id: String,
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Sealing or opening failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The key secret is too short to be a key.
    #[error("data key secret is shorter than {MIN_KEY_SECRET_LEN} bytes")]
    WeakKey,
    /// The value is malformed, was sealed for something else, with an unknown key, or was tampered with.
    #[error("sealed value cannot be opened")]
    CannotOpen,
}

impl DataKey {
    /// The key derived from one version of the data-key secret.
    ///
    /// # Errors
    /// [`SealError::WeakKey`] if the secret is shorter than [`MIN_KEY_SECRET_LEN`].
    pub fn from_secret(secret: &str) -> Result<Self, SealError> {
        if secret.len() < MIN_KEY_SECRET_LEN {
            return Err(SealError::WeakKey);
        }
        let key = Sha256::new()
            .chain_update(b"tradesense data key v1\0")
            .chain_update(secret.as_bytes())
            .finalize();
        // The id is a fingerprint of the key, not the key: a second hash under another label.
        let id = Sha256::new()
            .chain_update(b"tradesense key id\0")
            .chain_update(key)
            .finalize();
        let cipher = Aes256Gcm::new_from_slice(&key).map_err(|_| SealError::WeakKey)?;
        Ok(Self {
            id: hex(&id[..4]),
            cipher,
        })
    }

    /// The key's public fingerprint.
    pub fn id(&self) -> &str {
        &self.id
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Seals with the current key; opens with the current or the previous one.
#[derive(Debug, Clone)]
pub struct Sealer {
    current: DataKey,
    previous: Option<DataKey>,
}

impl Sealer {
    /// A sealer over the current key and, after a rotation, the previous one.
    pub fn new(current: DataKey, previous: Option<DataKey>) -> Self {
        Self { current, previous }
    }

    /// Encrypts `plaintext` for `context` (e.g. `totp:<user id>`).
    pub fn seal(&self, plaintext: &[u8], context: &str) -> String {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let payload = Payload {
            msg: plaintext,
            aad: context.as_bytes(),
        };
        // AES-GCM encryption only fails for messages over 64 GiB; ours are a few hundred bytes.
        let ciphertext = self.current.cipher.encrypt(&nonce, payload).unwrap_or_default();
        format!(
            "v1.{}.{}.{}",
            self.current.id,
            URL_SAFE_NO_PAD.encode(nonce),
            URL_SAFE_NO_PAD.encode(ciphertext)
        )
    }

    /// Decrypts a value sealed for `context`.
    ///
    /// # Errors
    /// [`SealError::CannotOpen`] if it is malformed, for another context, under an unknown key, or altered.
    pub fn open(&self, sealed: &str, context: &str) -> Result<Vec<u8>, SealError> {
        let mut parts = sealed.split('.');
        let (Some("v1"), Some(key_id), Some(nonce), Some(ciphertext), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(SealError::CannotOpen);
        };
        let key = std::iter::once(&self.current)
            .chain(self.previous.as_ref())
            .find(|k| k.id == key_id)
            .ok_or(SealError::CannotOpen)?;
        let nonce: [u8; 12] = URL_SAFE_NO_PAD
            .decode(nonce)
            .ok()
            .and_then(|n| n.try_into().ok())
            .ok_or(SealError::CannotOpen)?;
        let ciphertext = URL_SAFE_NO_PAD
            .decode(ciphertext)
            .map_err(|_| SealError::CannotOpen)?;
        let payload = Payload {
            msg: &ciphertext,
            aad: context.as_bytes(),
        };
        key.cipher
            .decrypt(&Nonce::from(nonce), payload)
            .map_err(|_| SealError::CannotOpen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(secret: &str) -> DataKey {
        DataKey::from_secret(&secret.repeat(8)).unwrap()
    }

    #[test]
    fn a_sealed_value_opens_for_its_context_only() {
        let sealer = Sealer::new(key("alpha"), None);
        let sealed = sealer.seal(b"JBSWY3DPEHPK3PXP", "totp:user-1");
        assert!(!sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_eq!(sealer.open(&sealed, "totp:user-1").unwrap(), b"JBSWY3DPEHPK3PXP");
        assert_eq!(sealer.open(&sealed, "totp:user-2"), Err(SealError::CannotOpen));
    }

    #[test]
    fn the_same_value_seals_differently_each_time() {
        let sealer = Sealer::new(key("alpha"), None);
        assert_ne!(sealer.seal(b"x", "c"), sealer.seal(b"x", "c"));
    }

    #[test]
    fn after_rotation_old_values_open_and_new_ones_use_the_new_key() {
        let old = Sealer::new(key("alpha"), None);
        let sealed_before = old.seal(b"secret", "c");
        let rotated = Sealer::new(key("bravo"), Some(key("alpha")));
        assert_eq!(rotated.open(&sealed_before, "c").unwrap(), b"secret");
        let sealed_after = rotated.seal(b"secret", "c");
        assert!(sealed_after.contains(key("bravo").id()));
        assert!(
            Sealer::new(key("charlie"), None)
                .open(&sealed_before, "c")
                .is_err()
        );
    }

    #[test]
    fn tampering_and_garbage_fail_cleanly() {
        let sealer = Sealer::new(key("alpha"), None);
        let sealed = sealer.seal(b"secret", "c");
        let mut flipped = sealed.clone().into_bytes();
        let last = flipped.len() - 2;
        flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap();
        for bad in [
            flipped.as_str(),
            "",
            "v1",
            "v1.x.y.z",
            "v2.a.b.c",
            &format!("{sealed}.extra"),
        ] {
            assert_eq!(sealer.open(bad, "c"), Err(SealError::CannotOpen), "{bad}");
        }
    }

    #[test]
    fn refuses_short_key_secrets() {
        assert!(matches!(DataKey::from_secret("short"), Err(SealError::WeakKey)));
    }
}
