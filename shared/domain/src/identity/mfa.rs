//! Multi-factor authentication rules: TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps, ±1 step of
//! drift, each step usable once) and single-use backup codes stored as hashes.

use chrono::{DateTime, Utc};
use data_encoding::BASE32_NOPAD;
use hmac::{Hmac, Mac};
use rand::Rng;
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use sha1::Sha1;
use subtle::ConstantTimeEq;

use crate::kernel::secret::sha256_hex;

/// Seconds per TOTP step.
pub const STEP_SECS: i64 = 30;
/// Digits per TOTP code.
pub const DIGITS: u32 = 6;
/// Steps of clock drift tolerated either side of now.
pub const DRIFT_STEPS: u64 = 1;
/// Backup codes issued at a time.
pub const BACKUP_CODE_COUNT: usize = 10;
/// The issuer shown in authenticator apps.
pub const ISSUER: &str = "TradeSense";

/// Backup-code alphabet: lower-case letters and digits without the look-alikes 0/o, 1/l/i.
const BACKUP_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
/// Characters per backup code (about 79 bits), shown in groups of four.
const BACKUP_CODE_LEN: usize = 16;

/// A TOTP shared secret: 20 random bytes (160 bits, RFC 4226's recommendation).
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

impl TotpSecret {
    /// A fresh random secret.
    pub fn generate() -> Self {
        let mut bytes = vec![0u8; 20];
        OsRng.fill(bytes.as_mut_slice());
        Self(bytes)
    }

    /// Wraps stored bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The raw bytes (to seal at rest).
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Base32 without padding, as typed into an authenticator app.
    pub fn base32(&self) -> String {
        BASE32_NOPAD.encode(&self.0)
    }

    /// The `otpauth://totp/…` URI an authenticator app scans.
    pub fn otpauth_uri(&self, account: &str) -> String {
        let label = percent_encode(&format!("{ISSUER}:{account}"));
        format!(
            "otpauth://totp/{label}?secret={}&issuer={ISSUER}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
            self.base32()
        )
    }

    /// The code for time step `step`, zero-padded to [`DIGITS`].
    pub fn code_at(&self, step: u64) -> String {
        // HMAC accepts keys of any length, so this never takes the `else`; an empty code matches nothing.
        let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(&self.0) else {
            return String::new();
        };
        mac.update(&step.to_be_bytes());
        let digest = mac.finalize().into_bytes();
        let offset = usize::from(digest[19] & 0x0f);
        let binary = u32::from_be_bytes([
            digest[offset] & 0x7f,
            digest[offset + 1],
            digest[offset + 2],
            digest[offset + 3],
        ]);
        format!("{:0width$}", binary % 10u32.pow(DIGITS), width = DIGITS as usize)
    }

    /// The step a `code` matches within ±[`DRIFT_STEPS`] of `now`, skipping steps at or before
    /// `last_used_step` so a code works once. Compares in constant time.
    pub fn verify(&self, code: &str, now: DateTime<Utc>, last_used_step: Option<u64>) -> Option<u64> {
        let code = code.trim();
        if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let now_step = step_of(now);
        (now_step.saturating_sub(DRIFT_STEPS)..=now_step + DRIFT_STEPS)
            .filter(|step| last_used_step.is_none_or(|used| *step > used))
            .find(|step| bool::from(self.code_at(*step).as_bytes().ct_eq(code.as_bytes())))
    }
}

/// The TOTP step containing `now`.
pub fn step_of(now: DateTime<Utc>) -> u64 {
    u64::try_from(now.timestamp().div_euclid(STEP_SECS)).unwrap_or(0)
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The hash a backup code is stored as: SHA-256 of its normalised form (lower case, no separators). A fast
/// hash is enough because each code carries about 79 bits of randomness.
pub fn hash_backup_code(code: &str) -> String {
    let normalised: String = code
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .flat_map(char::to_lowercase)
        .collect();
    sha256_hex(&normalised)
}

/// Fresh backup codes (`abcd-efgh-jkmn-pqrs`) with their hashes, in the same order.
pub fn generate_backup_codes() -> (Vec<String>, Vec<String>) {
    (0..BACKUP_CODE_COUNT)
        .map(|_| {
            let raw: Vec<char> = (0..BACKUP_CODE_LEN)
                .map(|_| char::from(BACKUP_ALPHABET[OsRng.gen_range(0..BACKUP_ALPHABET.len())]))
                .collect();
            let code = raw
                .chunks(4)
                .map(|group| group.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join("-");
            let hash = hash_backup_code(&code);
            (code, hash)
        })
        .unzip()
}

/// A user's MFA state as stored: the sealed TOTP secret, whether it is on, the last step used, and the
/// hashes of the unused backup codes. `version` makes every change conditional (no double use of a code).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaState {
    /// Sealed secret in force (when enabled).
    pub secret: Option<String>,
    /// Sealed secret from setup, waiting for its first valid code.
    pub pending_secret: Option<String>,
    /// Whether logins need a second factor.
    pub enabled: bool,
    /// The last TOTP step accepted; codes at or before it are refused.
    pub last_used_step: Option<u64>,
    /// SHA-256 hashes of the backup codes still unused.
    pub backup_code_hashes: Vec<String>,
    /// Incremented on every change; writes are conditional on it.
    pub version: u64,
}

/// Which kind of second factor a code was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondFactor {
    /// A TOTP code, at this step.
    Totp(u64),
    /// A backup code, now spent.
    BackupCode,
}

impl MfaState {
    /// The state after presenting `code`, if it is a valid TOTP code for `secret` or an unused backup code;
    /// the used step or code is consumed in the returned state (with its version incremented).
    pub fn accept(
        &self,
        secret: &TotpSecret,
        code: &str,
        now: DateTime<Utc>,
    ) -> Option<(MfaState, SecondFactor)> {
        let mut next = self.clone();
        next.version += 1;
        if let Some(step) = secret.verify(code, now, self.last_used_step) {
            next.last_used_step = Some(step);
            return Some((next, SecondFactor::Totp(step)));
        }
        let hash = hash_backup_code(code);
        let position = self
            .backup_code_hashes
            .iter()
            .position(|h| bool::from(h.as_bytes().ct_eq(hash.as_bytes())))?;
        next.backup_code_hashes.remove(position);
        Some((next, SecondFactor::BackupCode))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// RFC 6238 appendix B's SHA-1 secret.
    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(b"12345678901234567890".to_vec())
    }

    fn at(unix: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(unix, 0).unwrap()
    }

    #[test]
    fn matches_the_rfc_6238_test_vectors_truncated_to_six_digits() {
        // Appendix B: 94287082, 07081804, 14050471, 89005924 (8 digits); the last 6 are the 6-digit codes.
        for (unix, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
        ] {
            assert_eq!(rfc_secret().code_at(step_of(at(unix))), code, "T={unix}");
        }
    }

    #[test]
    fn accepts_one_step_of_drift_either_side_and_no_more() {
        let s = rfc_secret();
        let now = at(1_234_567_890);
        let step = step_of(now);
        for (offset, ok) in [(-2i64, false), (-1, true), (0, true), (1, true), (2, false)] {
            let code = s.code_at(step.checked_add_signed(offset).unwrap());
            assert_eq!(s.verify(&code, now, None).is_some(), ok, "offset {offset}");
        }
    }

    #[test]
    fn a_code_works_once_and_earlier_steps_die_with_it() {
        let s = rfc_secret();
        let now = at(1_234_567_890);
        let step = step_of(now);
        let used = s.verify(&s.code_at(step), now, None).unwrap();
        assert_eq!(used, step);
        assert_eq!(s.verify(&s.code_at(step), now, Some(used)), None, "replay");
        assert_eq!(
            s.verify(&s.code_at(step - 1), now, Some(used)),
            None,
            "older step"
        );
        assert_eq!(s.verify(&s.code_at(step + 1), now, Some(used)), Some(step + 1));
    }

    #[test]
    fn refuses_malformed_codes() {
        let s = rfc_secret();
        for bad in ["", "12345", "1234567", "12a456", "-12345", "１２３４５６"] {
            assert_eq!(s.verify(bad, at(59), None), None, "{bad}");
        }
    }

    #[test]
    fn the_uri_carries_the_base32_secret_and_an_encoded_label() {
        let uri = rfc_secret().otpauth_uri("asha@example.in");
        assert_eq!(
            uri,
            "otpauth://totp/TradeSense%3Aasha%40example.in?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=TradeSense&algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn backup_codes_are_ten_distinct_formatted_codes_matching_their_hashes() {
        let (codes, hashes) = generate_backup_codes();
        assert_eq!(codes.len(), 10);
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), 10);
        for (code, hash) in codes.iter().zip(&hashes) {
            assert_eq!(code.len(), 19);
            assert_eq!(code.matches('-').count(), 3);
            assert_eq!(&hash_backup_code(code), hash);
            assert_eq!(&hash_backup_code(&code.to_uppercase().replace('-', " ")), hash);
        }
    }

    #[test]
    fn a_backup_code_is_spent_by_use() {
        let (codes, hashes) = generate_backup_codes();
        let state = MfaState {
            enabled: true,
            backup_code_hashes: hashes,
            ..MfaState::default()
        };
        let (next, factor) = state.accept(&rfc_secret(), &codes[3], at(59)).unwrap();
        assert_eq!(factor, SecondFactor::BackupCode);
        assert_eq!(next.backup_code_hashes.len(), 9);
        assert_eq!(next.version, 1);
        assert!(next.accept(&rfc_secret(), &codes[3], at(59)).is_none(), "reused");
        assert!(next.accept(&rfc_secret(), &codes[4], at(59)).is_some());
    }

    #[test]
    fn a_totp_code_is_recorded_as_the_last_used_step() {
        let state = MfaState::default();
        let (next, factor) = state.accept(&rfc_secret(), "287082", at(59)).unwrap();
        assert_eq!(factor, SecondFactor::Totp(1));
        assert_eq!(next.last_used_step, Some(1));
        assert!(next.accept(&rfc_secret(), "287082", at(59)).is_none());
    }
}
