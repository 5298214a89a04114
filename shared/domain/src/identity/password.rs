//! The password policy: at least 12 characters, at most 128 (argon2 cost is bounded), not one of the most
//! common passwords, and not the email or its mailbox name.

use crate::identity::user::Email;

/// Shortest accepted password, in characters.
pub const MIN_CHARS: usize = 12;
/// Longest accepted password, in characters.
pub const MAX_CHARS: usize = 128;

/// Common passwords of 12+ characters (shorter ones fail the length rule anyway), compared lower-cased.
/// Drawn from the well-known public breach top lists; extend it freely.
const COMMON: &[&str] = &[
    "123456789012",
    "1234567890123",
    "12345678901234",
    "123456789123",
    "111111111111",
    "000000000000",
    "123123123123",
    "121212121212",
    "qwertyuiop12",
    "qwertyuiop123",
    "qwerty123456",
    "qwerty12345678",
    "1q2w3e4r5t6y",
    "1qaz2wsx3edc",
    "zaq12wsxcde3",
    "asdfghjkl123",
    "password1234",
    "password12345",
    "password123456",
    "passwordpassword",
    "password@123",
    "password@1234",
    "iloveyou1234",
    "iloveyouiloveyou",
    "abcdefghijkl",
    "abc123456789",
    "abcd12345678",
    "letmein12345",
    "welcome12345",
    "welcome@1234",
    "administrator",
    "admin1234567",
    "admin@123456",
    "changeme1234",
    "trustno1trustno1",
    "monkey123456",
    "sunshine1234",
    "princess1234",
    "football1234",
    "baseball1234",
    "superman1234",
    "dragon123456",
    "master123456",
    "starwars1234",
    "whatever1234",
    "michael12345",
    "computer1234",
    "india@123456",
    "india1234567",
    "bharat123456",
    "mumbai123456",
    "cricket12345",
    "sachin123456",
    "tradesense123",
];

/// Why a password was refused. The message is safe to show to the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WeakPassword {
    /// Under [`MIN_CHARS`].
    #[error("must be at least 12 characters")]
    TooShort,
    /// Over [`MAX_CHARS`].
    #[error("must be at most 128 characters")]
    TooLong,
    /// On the common-passwords list, or one character repeated.
    #[error("is too common")]
    Common,
    /// Contains the email or its mailbox name.
    #[error("must not contain your email")]
    ContainsEmail,
}

/// Checks `password` for an account with `email`.
///
/// # Errors
/// The first rule it breaks.
pub fn check(password: &str, email: &Email) -> Result<(), WeakPassword> {
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Err(WeakPassword::TooShort);
    }
    if chars > MAX_CHARS {
        return Err(WeakPassword::TooLong);
    }
    let lower = password.to_lowercase();
    let mut distinct = lower.chars().collect::<Vec<_>>();
    distinct.sort_unstable();
    distinct.dedup();
    if COMMON.contains(&lower.as_str()) || distinct.len() <= 2 {
        return Err(WeakPassword::Common);
    }
    let mailbox = email.as_str().split('@').next().unwrap_or_default();
    if lower.contains(email.as_str()) || (mailbox.len() >= 4 && lower.contains(mailbox)) {
        return Err(WeakPassword::ContainsEmail);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn email() -> Email {
        "asha.rao@example.in".parse().unwrap()
    }

    #[rstest]
    #[case("short-pass1", WeakPassword::TooShort)]
    #[case("Password1234", WeakPassword::Common)]
    #[case("QWERTY123456", WeakPassword::Common)]
    #[case("aaaaaaaaaaaaaaaa", WeakPassword::Common)]
    #[case("abababababab", WeakPassword::Common)]
    #[case("asha.rao@example.in!", WeakPassword::ContainsEmail)]
    #[case("my-Asha.Rao-is-long", WeakPassword::ContainsEmail)]
    fn refuses(#[case] password: &str, #[case] why: WeakPassword) {
        assert_eq!(check(password, &email()), Err(why));
    }

    #[test]
    fn counts_characters_not_bytes() {
        assert_eq!(check("पासवर्ड१२३४५", &email()), Ok(()), "12 Devanagari characters");
        assert_eq!(check("पासवर्ड१२३४", &email()), Err(WeakPassword::TooShort));
    }

    #[test]
    fn bounds_the_length() {
        assert_eq!(check(&"xY7!".repeat(32), &email()), Ok(()));
        assert_eq!(check(&"xY7!".repeat(33), &email()), Err(WeakPassword::TooLong));
    }

    #[test]
    fn accepts_the_demo_password() {
        assert_eq!(
            check(
                "TradeSense-demo-2026",
                &"admin@demo.tradesense.in".parse().unwrap()
            ),
            Ok(())
        );
    }
}
