//! Random secrets handed to clients (refresh tokens, CSRF tokens, connect tickets) and the fast hash they are
//! stored as. A secret of 256 random bits needs no slow hash: SHA-256 of it cannot be reversed or guessed.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Characters in a [`random_secret`]: 32 bytes in unpadded base64url.
pub const SECRET_CHARS: usize = 43;

/// A fresh secret: 256 bits from the operating system's randomness, unpadded base64url (URL- and
/// cookie-safe, [`SECRET_CHARS`] long).
pub fn random_secret() -> String {
    let mut bytes = [0_u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The SHA-256 of `text`, lower-case hex: how a secret is stored.
pub fn sha256_hex(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_url_safe_and_never_repeat() {
        let (a, b) = (random_secret(), random_secret());
        assert_eq!(a.len(), SECRET_CHARS);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        );
        assert_ne!(a, b);
    }

    #[test]
    fn hashes_as_lower_case_hex() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
