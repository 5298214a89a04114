//! Access tokens: short-lived EdDSA (Ed25519) JWTs.
//!
//! Ed25519 is asymmetric (only the auth function signs; the authorizer needs just public keys), has small keys
//! and fast verification, and leaves no algorithm choice to an attacker: the verifier accepts `EdDSA` only, so
//! `alg: none` and HMAC/RSA confusion tokens fail before any key is used. Keys are identified by `kid`; the
//! verifier holds the current and previous key so a rotation logs nobody out.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, Utc};
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::identity::rbac::{Principal, Role};
use crate::kernel::ids::{SessionId, UserId};

/// The `iss` claim of every token we issue.
pub const ISSUER: &str = "tradesense";
/// The `aud` claim of every access token.
pub const AUDIENCE: &str = "tradesense-api";
/// How long an access token lives.
pub const ACCESS_TOKEN_TTL: Duration = Duration::minutes(15);
/// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
pub const LEEWAY_SECS: u64 = 30;
/// The `aud` claim of an MFA challenge token: not the API's, so no API route ever accepts one.
pub const MFA_AUDIENCE: &str = "tradesense-mfa";
/// How long a password-verified login waits for its second factor.
pub const MFA_TOKEN_TTL: Duration = Duration::minutes(5);

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The user.
    pub sub: UserId,
    /// The session.
    pub sid: SessionId,
    /// The user's roles when the token was issued.
    pub roles: Vec<Role>,
    /// Token type; always `access` for access tokens.
    pub typ: String,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Not before (seconds since the epoch).
    pub nbf: i64,
    /// Expires at (seconds since the epoch).
    pub exp: i64,
}

impl AccessClaims {
    /// Claims for a new access token issued at `now`, valid for [`ACCESS_TOKEN_TTL`].
    pub fn new(user_id: UserId, session_id: SessionId, roles: Vec<Role>, now: DateTime<Utc>) -> Self {
        Self {
            sub: user_id,
            sid: session_id,
            roles,
            typ: "access".to_owned(),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            iat: now.timestamp(),
            nbf: now.timestamp(),
            exp: (now + ACCESS_TOKEN_TTL).timestamp(),
        }
    }
}

/// The claims of an MFA challenge token (`mfa_token`): proof that the password was right, good only for
/// `POST /v1/auth/mfa/challenge` within [`MFA_TOKEN_TTL`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaChallengeClaims {
    /// The user.
    pub sub: UserId,
    /// Token type; always `mfa`.
    pub typ: String,
    /// Issuer.
    pub iss: String,
    /// Audience; always [`MFA_AUDIENCE`].
    pub aud: String,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Not before (seconds since the epoch).
    pub nbf: i64,
    /// Expires at (seconds since the epoch).
    pub exp: i64,
}

impl MfaChallengeClaims {
    /// Claims for a challenge issued at `now`.
    pub fn new(user_id: UserId, now: DateTime<Utc>) -> Self {
        Self {
            sub: user_id,
            typ: "mfa".to_owned(),
            iss: ISSUER.to_owned(),
            aud: MFA_AUDIENCE.to_owned(),
            iat: now.timestamp(),
            nbf: now.timestamp(),
            exp: (now + MFA_TOKEN_TTL).timestamp(),
        }
    }
}

/// The `aud` claim of a broker-link `state`: good only at the broker callback.
pub const LINK_STATE_AUDIENCE: &str = "tradesense-broker-link";
/// How long a user has to finish the broker's login after asking for the authorize URL.
pub const LINK_STATE_TTL: Duration = Duration::minutes(10);

/// The claims of a broker-link `state` parameter: which user asked to link, signed so the callback cannot be
/// pointed at another account, and expiring.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkStateClaims {
    /// The user linking a broker.
    pub sub: UserId,
    /// Token type; always `broker_link`.
    pub typ: String,
    /// Issuer.
    pub iss: String,
    /// Audience; always [`LINK_STATE_AUDIENCE`].
    pub aud: String,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Not before (seconds since the epoch).
    pub nbf: i64,
    /// Expires at (seconds since the epoch).
    pub exp: i64,
}

impl LinkStateClaims {
    /// Claims for a state issued at `now`.
    pub fn new(user_id: UserId, now: DateTime<Utc>) -> Self {
        Self {
            sub: user_id,
            typ: "broker_link".to_owned(),
            iss: ISSUER.to_owned(),
            aud: LINK_STATE_AUDIENCE.to_owned(),
            iat: now.timestamp(),
            nbf: now.timestamp(),
            exp: (now + LINK_STATE_TTL).timestamp(),
        }
    }
}

/// One signing key as stored in a Secrets Manager secret version (JSON). The secret's AWSCURRENT version signs;
/// AWSCURRENT and AWSPREVIOUS both verify.
#[derive(Clone, Serialize, Deserialize)]
pub struct SigningKeyMaterial {
    /// Key id, carried in each token's header.
    pub kid: String,
    /// Ed25519 private key, PKCS#8 DER, standard base64.
    pub private_key: String,
    /// Ed25519 public key, raw 32 bytes, base64url without padding (the JWK `x` form).
    pub public_key: String,
}

impl std::fmt::Debug for SigningKeyMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyMaterial")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// The public half of a signing key: all a verifier needs. The authorizer reads only these (from the
/// verify-keys secret), so the private key stays with the auth function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyKey {
    /// Key id, as in each token's header.
    pub kid: String,
    /// Ed25519 public key, raw 32 bytes, base64url without padding.
    pub public_key: String,
}

/// The verify-keys secret's value: the current key's public half first, then the previous one's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyKeySet {
    /// Public keys accepted for verification.
    pub keys: Vec<VerifyKey>,
}

/// Anything holding a public key a [`TokenVerifier`] can use.
pub trait PublicKey {
    /// Key id.
    fn kid(&self) -> &str;
    /// Ed25519 public key, base64url without padding.
    fn public_key(&self) -> &str;
}

impl PublicKey for VerifyKey {
    fn kid(&self) -> &str {
        &self.kid
    }
    fn public_key(&self) -> &str {
        &self.public_key
    }
}

impl PublicKey for SigningKeyMaterial {
    fn kid(&self) -> &str {
        &self.kid
    }
    fn public_key(&self) -> &str {
        &self.public_key
    }
}

impl SigningKeyMaterial {
    /// The public half.
    pub fn verify_key(&self) -> VerifyKey {
        VerifyKey {
            kid: self.kid.clone(),
            public_key: self.public_key.clone(),
        }
    }
}

/// Why a key or token could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The key material is malformed.
    #[error("invalid key material")]
    InvalidKey,
    /// The token is malformed, forged, expired, of the wrong type or signed by an unknown key.
    #[error("invalid token")]
    Invalid,
    /// Signing failed.
    #[error("signing failed")]
    Signing,
}

impl SigningKeyMaterial {
    /// Generates a fresh Ed25519 key pair from the operating system's randomness.
    pub fn generate(kid: impl Into<String>) -> Self {
        let signing = SigningKey::generate(&mut rand::rngs::OsRng);
        // Encoding a freshly generated key cannot fail; an empty key would only fail later, at load.
        let der = signing
            .to_pkcs8_der()
            .map(|d| d.as_bytes().to_vec())
            .unwrap_or_default();
        Self {
            kid: kid.into(),
            private_key: STANDARD.encode(der),
            public_key: URL_SAFE_NO_PAD.encode(signing.verifying_key().to_bytes()),
        }
    }
}

/// Signs access tokens with one key.
pub struct TokenSigner {
    kid: String,
    key: EncodingKey,
}

impl TokenSigner {
    /// A signer for the given key.
    ///
    /// # Errors
    /// [`TokenError::InvalidKey`] if the private key is not PKCS#8 Ed25519 in base64.
    pub fn new(material: &SigningKeyMaterial) -> Result<Self, TokenError> {
        let der = STANDARD
            .decode(&material.private_key)
            .map_err(|_| TokenError::InvalidKey)?;
        Ok(Self {
            kid: material.kid.clone(),
            key: EncodingKey::from_ed_der(&der),
        })
    }

    /// Signs `claims` ([`AccessClaims`] or [`MfaChallengeClaims`]) into a compact JWT with this key's `kid`.
    ///
    /// # Errors
    /// [`TokenError::Signing`] if the key cannot sign.
    pub fn sign<C: Serialize>(&self, claims: &C) -> Result<String, TokenError> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.key).map_err(|_| TokenError::Signing)
    }
}

/// Verifies access tokens against a set of public keys by `kid`.
pub struct TokenVerifier {
    keys: HashMap<String, DecodingKey>,
    access: Validation,
    mfa: Validation,
    link_state: Validation,
}

fn validation(audience: &str) -> Validation {
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.leeway = LEEWAY_SECS;
    validation.validate_nbf = true;
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
    validation
}

impl TokenVerifier {
    /// A verifier accepting tokens signed by any of `keys` (normally AWSCURRENT and AWSPREVIOUS).
    ///
    /// # Errors
    /// [`TokenError::InvalidKey`] if a public key is malformed.
    pub fn new<'a, K: PublicKey + 'a>(keys: impl IntoIterator<Item = &'a K>) -> Result<Self, TokenError> {
        let keys = keys
            .into_iter()
            .map(|k| {
                let bytes = URL_SAFE_NO_PAD
                    .decode(k.public_key())
                    .map_err(|_| TokenError::InvalidKey)?;
                if bytes.len() != 32 {
                    return Err(TokenError::InvalidKey);
                }
                let key =
                    DecodingKey::from_ed_components(k.public_key()).map_err(|_| TokenError::InvalidKey)?;
                Ok((k.kid().to_owned(), key))
            })
            .collect::<Result<HashMap<_, _>, _>>()?;
        Ok(Self {
            keys,
            access: validation(AUDIENCE),
            mfa: validation(MFA_AUDIENCE),
            link_state: validation(LINK_STATE_AUDIENCE),
        })
    }

    /// Whether `token` names, in a readable `EdDSA` header, a `kid` this verifier does not hold: signed by a
    /// key newer than the set, or forged. Says nothing of whether the token is valid.
    pub fn names_unknown_key(&self, token: &str) -> bool {
        jsonwebtoken::decode_header(token).is_ok_and(|header| {
            header.alg == Algorithm::EdDSA && header.kid.is_some_and(|kid| !self.keys.contains_key(&kid))
        })
    }

    /// Decodes a token of ours: `EdDSA` only, a known `kid`, and `validation`'s claims.
    fn decode<C: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        validation: &Validation,
    ) -> Result<C, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
        if header.alg != Algorithm::EdDSA {
            return Err(TokenError::Invalid);
        }
        let key = header
            .kid
            .as_deref()
            .and_then(|kid| self.keys.get(kid))
            .ok_or(TokenError::Invalid)?;
        jsonwebtoken::decode::<C>(token, key, validation)
            .map(|data| data.claims)
            .map_err(|_| TokenError::Invalid)
    }

    /// Verifies a broker-link `state` and returns the user it was issued to.
    ///
    /// # Errors
    /// [`TokenError::Invalid`] for anything but a valid, unexpired state of ours.
    pub fn verify_link_state(&self, state: &str) -> Result<UserId, TokenError> {
        let claims: LinkStateClaims = self.decode(state, &self.link_state)?;
        if claims.typ != "broker_link" {
            return Err(TokenError::Invalid);
        }
        Ok(claims.sub)
    }

    /// Verifies an MFA challenge token and returns its user.
    ///
    /// # Errors
    /// [`TokenError::Invalid`] for anything but a valid, unexpired challenge token of ours.
    pub fn verify_mfa(&self, token: &str) -> Result<UserId, TokenError> {
        let claims: MfaChallengeClaims = self.decode(token, &self.mfa)?;
        if claims.typ != "mfa" {
            return Err(TokenError::Invalid);
        }
        Ok(claims.sub)
    }

    /// Verifies `token` (signature, algorithm, `kid`, `exp`/`nbf` with leeway, `iss`, `aud`, `typ`) and returns
    /// who it speaks for. Session liveness is the caller's to check.
    ///
    /// # Errors
    /// [`TokenError::Invalid`] for any token that is not a valid access token of ours.
    pub fn verify(&self, token: &str) -> Result<Principal, TokenError> {
        let claims: AccessClaims = self.decode(token, &self.access)?;
        if claims.typ != "access" {
            return Err(TokenError::Invalid);
        }
        Ok(Principal {
            user_id: claims.sub,
            roles: claims.roles,
            session_id: claims.sid,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn ids() -> (UserId, SessionId) {
        (
            "01JDQ8ZK3M4N5P6Q7R8S9T0V1W".parse().unwrap(),
            "01JDQ8ZK3M4N5P6Q7R8S9T0V1X".parse().unwrap(),
        )
    }

    fn claims_at(now: DateTime<Utc>) -> AccessClaims {
        let (u, s) = ids();
        AccessClaims::new(u, s, vec![Role::Trader], now)
    }

    fn b64(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    #[test]
    fn a_signed_token_verifies_to_its_principal() {
        let key = SigningKeyMaterial::generate("k1");
        let token = TokenSigner::new(&key)
            .unwrap()
            .sign(&claims_at(Utc::now()))
            .unwrap();
        let principal = TokenVerifier::new([&key]).unwrap().verify(&token).unwrap();
        assert_eq!(principal.user_id, ids().0);
        assert_eq!(principal.roles, vec![Role::Trader]);
    }

    #[test]
    fn a_verifier_needs_only_the_public_half() {
        let key = SigningKeyMaterial::generate("k1");
        let token = TokenSigner::new(&key)
            .unwrap()
            .sign(&claims_at(Utc::now()))
            .unwrap();
        let set: VerifyKeySet =
            serde_json::from_value(serde_json::json!({"keys": [key.verify_key()]})).unwrap();
        assert!(!serde_json::to_string(&set).unwrap().contains(&key.private_key));
        assert_eq!(
            TokenVerifier::new(&set.keys)
                .unwrap()
                .verify(&token)
                .unwrap()
                .user_id,
            ids().0
        );
    }

    #[test]
    fn the_previous_key_still_verifies_after_rotation() {
        let (old, new) = (
            SigningKeyMaterial::generate("old"),
            SigningKeyMaterial::generate("new"),
        );
        let token = TokenSigner::new(&old)
            .unwrap()
            .sign(&claims_at(Utc::now()))
            .unwrap();
        assert!(TokenVerifier::new([&new, &old]).unwrap().verify(&token).is_ok());
        assert!(TokenVerifier::new([&new]).unwrap().verify(&token).is_err());
    }

    #[test]
    fn rejects_a_token_signed_by_another_key_under_a_known_kid() {
        let real = SigningKeyMaterial::generate("k1");
        let forger = SigningKeyMaterial::generate("k1");
        let forged = TokenSigner::new(&forger)
            .unwrap()
            .sign(&claims_at(Utc::now()))
            .unwrap();
        assert!(TokenVerifier::new([&real]).unwrap().verify(&forged).is_err());
    }

    #[test]
    fn rejects_an_expired_token_beyond_the_leeway() {
        let key = SigningKeyMaterial::generate("k1");
        let long_ago = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap();
        let token = TokenSigner::new(&key)
            .unwrap()
            .sign(&claims_at(long_ago))
            .unwrap();
        assert!(TokenVerifier::new([&key]).unwrap().verify(&token).is_err());
    }

    #[test]
    fn rejects_alg_none_and_hmac_confusion() {
        let key = SigningKeyMaterial::generate("k1");
        let verifier = TokenVerifier::new([&key]).unwrap();
        let body = b64(&serde_json::to_string(&claims_at(Utc::now())).unwrap());
        let none = format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT","kid":"k1"}"#), body);
        assert!(verifier.verify(&none).is_err());
        // HS256 "signed" with the public key as the HMAC secret: the classic confusion attack.
        let hs = jsonwebtoken::encode(
            &Header {
                kid: Some("k1".into()),
                ..Header::new(Algorithm::HS256)
            },
            &claims_at(Utc::now()),
            &EncodingKey::from_secret(key.public_key.as_bytes()),
        )
        .unwrap();
        assert!(verifier.verify(&hs).is_err());
    }

    #[test]
    fn tells_a_token_under_an_unknown_kid_from_one_under_a_known_kid() {
        let known = SigningKeyMaterial::generate("k1");
        let newer = SigningKeyMaterial::generate("k2");
        let verifier = TokenVerifier::new([&known]).unwrap();
        let claims = claims_at(Utc::now());
        let sign = |key: &SigningKeyMaterial| TokenSigner::new(key).unwrap().sign(&claims).unwrap();
        assert!(!verifier.names_unknown_key(&sign(&known)));
        assert!(verifier.names_unknown_key(&sign(&newer)));
        assert!(
            !verifier.names_unknown_key("not-a-jwt"),
            "unreadable: nothing to look up"
        );
        let none = format!("{}.{}.", b64(r#"{"alg":"none","kid":"k9"}"#), b64("{}"));
        assert!(
            !verifier.names_unknown_key(&none),
            "alg none never makes us fetch keys"
        );
    }

    #[test]
    fn rejects_wrong_kid_wrong_type_and_garbage() {
        let key = SigningKeyMaterial::generate("k1");
        let verifier = TokenVerifier::new([&key]).unwrap();
        let other_kid = SigningKeyMaterial {
            kid: "k2".into(),
            ..key.clone()
        };
        let token = TokenSigner::new(&other_kid)
            .unwrap()
            .sign(&claims_at(Utc::now()))
            .unwrap();
        assert!(verifier.verify(&token).is_err());

        let mut refresh = claims_at(Utc::now());
        refresh.typ = "refresh".into();
        let token = TokenSigner::new(&key).unwrap().sign(&refresh).unwrap();
        assert!(verifier.verify(&token).is_err());

        for garbage in ["", ".", "..", "a.b.c", "Bearer x", &"x".repeat(10_000)] {
            assert!(verifier.verify(garbage).is_err(), "{garbage:.20}");
        }
    }

    #[test]
    fn mfa_and_access_tokens_are_not_interchangeable() {
        let key = SigningKeyMaterial::generate("k1");
        let (signer, verifier) = (
            TokenSigner::new(&key).unwrap(),
            TokenVerifier::new([&key]).unwrap(),
        );
        let mfa = signer
            .sign(&MfaChallengeClaims::new(ids().0, Utc::now()))
            .unwrap();
        let access = signer.sign(&claims_at(Utc::now())).unwrap();
        assert_eq!(verifier.verify_mfa(&mfa).unwrap(), ids().0);
        assert!(
            verifier.verify(&mfa).is_err(),
            "an MFA token is not an access token"
        );
        assert!(
            verifier.verify_mfa(&access).is_err(),
            "an access token is not an MFA token"
        );
        let stale = signer
            .sign(&MfaChallengeClaims::new(
                ids().0,
                Utc::now() - Duration::minutes(6),
            ))
            .unwrap();
        assert!(verifier.verify_mfa(&stale).is_err(), "expired after 5 minutes");
    }

    #[test]
    fn rejects_malformed_public_keys() {
        let mut key = SigningKeyMaterial::generate("k1");
        key.public_key = "c2hvcnQ".into();
        assert!(TokenVerifier::new([&key]).is_err());
    }

    #[test]
    fn key_material_debug_never_prints_the_private_key() {
        let key = SigningKeyMaterial::generate("k1");
        assert!(!format!("{key:?}").contains(&key.private_key));
    }
}
