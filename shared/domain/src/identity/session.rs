//! Login sessions and their rotating refresh tokens.
//!
//! A refresh token is `<user_id>.<session_id>.<secret>`: opaque to clients, 256 random bits of secret, stored
//! only as a SHA-256 hash (the secret's entropy makes a slow hash unnecessary). Every use rotates it. The last
//! few spent hashes are kept, so presenting a spent token is recognised as reuse (a stolen token raced its
//! owner) and revokes the whole session, while a made-up token is merely refused.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::kernel::events::DomainEvent;
use crate::kernel::ids::{SessionId, UserId};
use crate::kernel::secret::{SECRET_CHARS, random_secret, sha256_hex};

/// How long a session lives without a login.
pub const SESSION_TTL: Duration = Duration::days(30);
/// How many spent refresh hashes a session remembers for reuse detection.
pub const SPENT_KEPT: usize = 8;

/// A refresh token as handed to the client. Its `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct RefreshToken(String);

impl std::fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefreshToken(..)")
    }
}

/// The stored form of a refresh token's secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RefreshHash(String);

fn hash_secret(secret: &str) -> RefreshHash {
    RefreshHash(sha256_hex(secret))
}

/// What a presented refresh token names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentedRefresh {
    /// The user.
    pub user_id: UserId,
    /// The session.
    pub session_id: SessionId,
    /// The hash of its secret.
    pub hash: RefreshHash,
}

impl RefreshToken {
    /// A fresh token for a session, with the hash to store.
    pub fn generate(user_id: UserId, session_id: SessionId) -> (Self, RefreshHash) {
        let secret = random_secret();
        let hash = hash_secret(&secret);
        (Self(format!("{user_id}.{session_id}.{secret}")), hash)
    }

    /// The token string for the client.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Parses a presented token; `None` for anything malformed.
    pub fn parse(token: &str) -> Option<PresentedRefresh> {
        if token.len() > 200 {
            return None;
        }
        let mut parts = token.split('.');
        let (user, session, secret) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || secret.len() != SECRET_CHARS {
            return None;
        }
        Some(PresentedRefresh {
            user_id: user.parse().ok()?,
            session_id: session.parse().ok()?,
            hash: hash_secret(secret),
        })
    }
}

/// One login session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Id (the `sid` claim of its access tokens).
    pub id: SessionId,
    /// Owner.
    pub user_id: UserId,
    /// Hash of the one refresh token that is valid now.
    pub refresh_hash: RefreshHash,
    /// Hashes of recently spent refresh tokens, newest last.
    pub spent_hashes: Vec<RefreshHash>,
    /// When the session started.
    pub created_at: DateTime<Utc>,
    /// When it ends unless revoked earlier.
    pub expires_at: DateTime<Utc>,
    /// When it was revoked (logout, reuse, disable).
    pub revoked_at: Option<DateTime<Utc>>,
    /// Optimistic-lock version; bumped on every write.
    pub version: u64,
}

/// What presenting a refresh token to a session means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// Valid: the session now expects the returned token.
    Rotated(RefreshToken),
    /// A spent token: the session is now revoked.
    Reused,
    /// Not this session's token, or the session is over: refused, nothing changed.
    Refused,
}

impl Session {
    /// Starts a session at `now` and returns its first refresh token.
    pub fn start(id: SessionId, user_id: UserId, now: DateTime<Utc>) -> (Self, RefreshToken) {
        let (token, refresh_hash) = RefreshToken::generate(user_id, id);
        let session = Self {
            id,
            user_id,
            refresh_hash,
            spent_hashes: Vec::new(),
            created_at: now,
            expires_at: now + SESSION_TTL,
            revoked_at: None,
            version: 0,
        };
        (session, token)
    }

    /// Whether access tokens of this session are honoured at `now`.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }

    /// Ends the session at `now` (idempotent: the first revocation time is kept).
    pub fn revoke(&mut self, now: DateTime<Utc>) {
        self.revoked_at.get_or_insert(now);
    }

    /// Applies a presented refresh token (already matched to this session's user and id).
    pub fn refresh(&mut self, presented: &RefreshHash, now: DateTime<Utc>) -> RefreshOutcome {
        if !self.is_live(now) {
            return RefreshOutcome::Refused;
        }
        if *presented == self.refresh_hash {
            let (token, next) = RefreshToken::generate(self.user_id, self.id);
            let spent = std::mem::replace(&mut self.refresh_hash, next);
            self.spent_hashes.push(spent);
            if self.spent_hashes.len() > SPENT_KEPT {
                self.spent_hashes.remove(0);
            }
            return RefreshOutcome::Rotated(token);
        }
        if self.spent_hashes.contains(presented) {
            self.revoke(now);
            return RefreshOutcome::Reused;
        }
        RefreshOutcome::Refused
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use ulid::Ulid;

    fn started() -> (Session, RefreshToken, DateTime<Utc>) {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 4, 0, 0).unwrap();
        let (s, t) = Session::start(
            SessionId::from_ulid(Ulid::new()),
            UserId::from_ulid(Ulid::new()),
            now,
        );
        (s, t, now)
    }

    fn hash_of(t: &RefreshToken) -> RefreshHash {
        RefreshToken::parse(t.expose()).unwrap().hash
    }

    #[test]
    fn a_token_parses_back_to_its_session_and_is_stored_only_as_a_hash() {
        let (s, t, _) = started();
        let p = RefreshToken::parse(t.expose()).unwrap();
        assert_eq!((p.user_id, p.session_id), (s.user_id, s.id));
        assert_eq!(p.hash, s.refresh_hash);
        assert!(!t.expose().contains(&s.refresh_hash.0));
        assert_eq!(format!("{t:?}"), "RefreshToken(..)");
    }

    #[test]
    fn rotates_on_every_use() {
        let (mut s, first, now) = started();
        let RefreshOutcome::Rotated(second) = s.refresh(&hash_of(&first), now) else {
            panic!("first use")
        };
        let RefreshOutcome::Rotated(_) = s.refresh(&hash_of(&second), now) else {
            panic!("second use")
        };
        assert!(s.is_live(now));
    }

    #[test]
    fn presenting_a_spent_token_revokes_the_session() {
        let (mut s, first, now) = started();
        let RefreshOutcome::Rotated(second) = s.refresh(&hash_of(&first), now) else {
            panic!()
        };
        assert_eq!(s.refresh(&hash_of(&first), now), RefreshOutcome::Reused);
        assert!(!s.is_live(now));
        assert_eq!(
            s.refresh(&hash_of(&second), now),
            RefreshOutcome::Refused,
            "the family is dead"
        );
    }

    #[test]
    fn an_unknown_token_is_refused_without_revoking() {
        let (mut s, _, now) = started();
        let (stranger, _) = RefreshToken::generate(s.user_id, s.id);
        assert_eq!(s.refresh(&hash_of(&stranger), now), RefreshOutcome::Refused);
        assert!(s.is_live(now));
    }

    #[test]
    fn an_expired_session_refuses_its_current_token() {
        let (mut s, t, now) = started();
        assert_eq!(
            s.refresh(&hash_of(&t), now + SESSION_TTL),
            RefreshOutcome::Refused
        );
    }

    #[test]
    fn remembers_a_bounded_number_of_spent_tokens() {
        let (mut s, mut t, now) = started();
        for _ in 0..(SPENT_KEPT + 3) {
            let RefreshOutcome::Rotated(next) = s.refresh(&hash_of(&t), now) else {
                panic!()
            };
            t = next;
        }
        assert_eq!(s.spent_hashes.len(), SPENT_KEPT);
    }

    #[test]
    fn rejects_malformed_tokens() {
        let (_, t, _) = started();
        let mut parts: Vec<&str> = t.expose().split('.').collect();
        for bad in [
            "",
            "a.b.c",
            "x".repeat(300).as_str(),
            &format!("{}.extra", t.expose()),
        ] {
            assert!(RefreshToken::parse(bad).is_none(), "{bad:.20}");
        }
        parts[2] = "short";
        assert!(RefreshToken::parse(&parts.join(".")).is_none());
    }
}

/// A session ended (logout, refresh-token reuse): the push channel closes its open sockets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionEnded {
    /// The session's user.
    pub user_id: UserId,
    /// The session.
    pub session_id: SessionId,
}

impl DomainEvent for SessionEnded {
    const TYPE: &'static str = "session.ended";
    const VERSION: u32 = 1;
}
