//! Webhook endpoints: where a trader's events are POSTed, which addresses may never be called, and how each
//! message is signed (the Standard Webhooks scheme: `webhook-id`, `webhook-timestamp` and `webhook-signature:
//! v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one signature per live secret).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::kernel::ids::{UserId, WebhookId};
use crate::kernel::rate_limit::RateRule;
use crate::kernel::validation::Violation;

/// Most endpoints an account may register.
pub const MAX_WEBHOOKS: usize = 10;
/// Longest URL.
pub const MAX_URL_LEN: usize = 2048;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 200;
/// Bytes of key in a secret.
pub const SECRET_BYTES: usize = 32;
/// How long a replaced secret keeps signing beside the new one after a rotation.
pub const ROTATION_OVERLAP_HOURS: i64 = 24;

/// Test messages a user may send per minute (`POST /v1/webhooks/{id}/test` makes the platform call out at
/// once; this keeps it from being used to hammer anyone's endpoint).
pub const TEST_RATE: RateRule = RateRule {
    limit: 5,
    window: Duration::minutes(1),
};

/// Which endpoint URLs a deployment accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlPolicy {
    /// `https` to public addresses only: every deployment.
    PublicHttps,
    /// Also plain `http://127.0.0.1:<port>`: the local stack and tests only, by an explicit setting.
    AlsoLoopbackHttp,
}

/// Whether `ip` is an address anyone on the internet could reach: not loopback, private, link-local (the
/// cloud metadata service lives there), carrier-grade NAT, unique-local, multicast, documentation,
/// benchmarking, unspecified or broadcast, nor an IPv6 form of any of those.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (first & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated)
                || first == 0x2001 && v6.segments()[1] == 0x0db8 // documentation
                || first == 0x0064 && v6.segments()[1] == 0xff9b // NAT64 (embeds IPv4)
                || first == 0x2002 // 6to4 (embeds IPv4)
                || v6 == Ipv6Addr::from([0, 0, 0, 0, 0, 0, 0, 1]))
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT 100.64/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

/// Whether `url` is plain `http` to 127.0.0.1, the one non-public target [`UrlPolicy::AlsoLoopbackHttp`]
/// allows.
pub fn is_loopback_http(url: &url::Url) -> bool {
    url.scheme() == "http" && url.host() == Some(url::Host::Ipv4(Ipv4Addr::LOCALHOST))
}

/// `raw` as an endpoint URL under `policy`: `https` (or loopback `http` where allowed), a host, no
/// credentials, no fragment, at most [`MAX_URL_LEN`] bytes, and, where the host is an address literal, a
/// public one. A host name is checked again, resolved, at every send.
///
/// # Errors
/// What is wrong with it.
pub fn parse_url(raw: &str, policy: UrlPolicy) -> Result<url::Url, String> {
    if raw.len() > MAX_URL_LEN {
        return Err(format!("at most {MAX_URL_LEN} characters"));
    }
    let url = url::Url::parse(raw).map_err(|e| format!("not a URL: {e}"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry credentials".to_owned());
    }
    if url.fragment().is_some() {
        return Err("must not have a fragment".to_owned());
    }
    if policy == UrlPolicy::AlsoLoopbackHttp && is_loopback_http(&url) {
        return Ok(url);
    }
    if url.scheme() != "https" {
        return Err("must be https".to_owned());
    }
    match url.host() {
        None => Err("must name a host".to_owned()),
        Some(url::Host::Ipv4(ip)) if !is_public(IpAddr::V4(ip)) => {
            Err("must not point at a loopback, private, link-local or metadata address".to_owned())
        }
        Some(url::Host::Ipv6(ip)) if !is_public(IpAddr::V6(ip)) => {
            Err("must not point at a loopback, private, link-local or metadata address".to_owned())
        }
        Some(url::Host::Domain(d)) if d.eq_ignore_ascii_case("localhost") || d.ends_with(".localhost") => {
            Err("must not point at a loopback address".to_owned())
        }
        Some(_) => Ok(url),
    }
}

/// A secret signing key, as the trader sees it once: `whsec_<base64 of the key bytes>`.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(pub Vec<u8>);

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(..)")
    }
}

impl WebhookSecret {
    /// A new random key.
    pub fn generate() -> Self {
        let mut key = vec![0u8; SECRET_BYTES];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
        Self(key)
    }

    /// The Standard Webhooks form, `whsec_<base64>`.
    pub fn reveal(&self) -> String {
        format!("whsec_{}", STANDARD.encode(&self.0))
    }

    /// The key of a `whsec_` secret.
    pub fn from_revealed(s: &str) -> Option<Self> {
        STANDARD
            .decode(s.strip_prefix("whsec_")?)
            .ok()
            .filter(|k| !k.is_empty())
            .map(Self)
    }
}

/// A signing key as stored: sealed, and when it stops signing (a replaced key, a day after the rotation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredSecret {
    /// The key, sealed with the platform's data key for this endpoint.
    pub sealed: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops signing, if it was replaced.
    pub retires_at: Option<DateTime<Utc>>,
}

/// A registered endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookEndpoint {
    /// Its id.
    pub id: WebhookId,
    /// Its owner.
    pub user_id: UserId,
    /// Where messages go.
    pub url: String,
    /// The trader's description.
    pub description: Option<String>,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
    /// Its keys, newest first: the current one, and a replaced one while it still signs.
    pub secrets: Vec<StoredSecret>,
    /// Optimistic-concurrency version (1 when created).
    pub version: u64,
}

/// The context a webhook's keys are sealed for, so a sealed key opens for no other endpoint.
pub fn secret_context(user: &UserId, id: &WebhookId) -> String {
    format!("webhook-secret:{user}:{id}")
}

impl WebhookEndpoint {
    /// The keys signing at `now` (the current one, and a replaced one for a day).
    pub fn live_secrets(&self, now: DateTime<Utc>) -> impl Iterator<Item = &StoredSecret> {
        self.secrets
            .iter()
            .filter(move |s| s.retires_at.is_none_or(|at| at > now))
    }

    /// The endpoint with `sealed` as its current key at `now`: the one it replaces signs for another
    /// [`ROTATION_OVERLAP_HOURS`], any older one is dropped.
    pub fn rotated(&self, sealed: String, now: DateTime<Utc>) -> Self {
        let retiring = self
            .secrets
            .iter()
            .find(|s| s.retires_at.is_none())
            .map(|s| StoredSecret {
                retires_at: Some(now + Duration::hours(ROTATION_OVERLAP_HOURS)),
                ..s.clone()
            });
        Self {
            secrets: std::iter::once(StoredSecret {
                sealed,
                created_at: now,
                retires_at: None,
            })
            .chain(retiring)
            .collect(),
            version: self.version + 1,
            ..self.clone()
        }
    }
}

/// Checks a description.
///
/// # Errors
/// The violation.
pub fn check_description(description: Option<&str>) -> Result<(), Violation> {
    match description {
        Some(d) if d.chars().count() > MAX_DESCRIPTION_CHARS || d.chars().any(char::is_control) => {
            Err(Violation::new(
                "description",
                format!("at most {MAX_DESCRIPTION_CHARS} characters, no control characters"),
            ))
        }
        _ => Ok(()),
    }
}

/// One message to an endpoint, as sent: the same `id` and body on every attempt, the time of the attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookMessage {
    /// `webhook-id`: the same on every attempt, so receivers can drop repeats.
    pub id: String,
    /// The JSON body, `{"type", "timestamp", "data"}`.
    pub body: String,
}

/// A message ready to POST: its headers, signed at `timestamp`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedMessage {
    /// `webhook-id`.
    pub id: String,
    /// `webhook-timestamp` (Unix seconds).
    pub timestamp: i64,
    /// `webhook-signature`: `v1,<base64>` per key, space-separated.
    pub signature: String,
    /// The body.
    pub body: String,
}

/// The Standard Webhooks signature of `id.timestamp.body` under `key`: `v1,<base64 HMAC-SHA256>`.
pub fn signature(key: &[u8], id: &str, timestamp: i64, body: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        unreachable!("HMAC takes keys of any length")
    };
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

impl WebhookMessage {
    /// The message signed at `at` with every key in `keys` (one signature each).
    pub fn sign(&self, keys: &[WebhookSecret], at: DateTime<Utc>) -> SignedMessage {
        let timestamp = at.timestamp();
        SignedMessage {
            id: self.id.clone(),
            timestamp,
            signature: keys
                .iter()
                .map(|k| signature(&k.0, &self.id, timestamp, &self.body))
                .collect::<Vec<_>>()
                .join(" "),
            body: self.body.clone(),
        }
    }

    /// A message of `event_type` with `data`, created at `at`, under the stable id `msg_<key>`.
    pub fn new(key: &str, event_type: &str, at: DateTime<Utc>, data: &serde_json::Value) -> Self {
        let body = serde_json::json!({
            "type": event_type,
            "timestamp": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "data": data,
        });
        Self {
            id: format!("msg_{key}"),
            body: body.to_string(),
        }
    }
}

/// How one attempt to POST a message went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// The endpoint answered 2xx.
    Delivered {
        /// Its status.
        status: u16,
    },
    /// It did not; `retryable` says whether trying again may help (a refused address never will).
    Failed {
        /// What went wrong, for the delivery log.
        error: String,
        /// Worth another attempt.
        retryable: bool,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn signs_as_the_standard_webhooks_reference_does() {
        // The reference vector of the Standard Webhooks specification's libraries.
        let key = WebhookSecret::from_revealed("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let sig = signature(
            &key.0,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn a_message_carries_one_signature_per_live_key() {
        let message = WebhookMessage::new(
            "01J",
            "alert.triggered",
            Utc.timestamp_opt(10, 0).unwrap(),
            &serde_json::json!({"a": 1}),
        );
        assert_eq!(message.id, "msg_01J");
        let keys = [WebhookSecret(vec![1; 32]), WebhookSecret(vec![2; 32])];
        let signed = message.sign(&keys, Utc.timestamp_opt(1_700_000_000, 0).unwrap());
        assert_eq!(signed.timestamp, 1_700_000_000);
        let sigs: Vec<_> = signed.signature.split(' ').collect();
        assert_eq!(sigs.len(), 2);
        assert_eq!(
            sigs[1],
            signature(&keys[1].0, "msg_01J", 1_700_000_000, &signed.body)
        );
    }

    #[test]
    fn a_secret_round_trips_through_its_whsec_form() {
        let secret = WebhookSecret::generate();
        let shown = secret.reveal();
        assert!(shown.starts_with("whsec_"));
        assert_eq!(WebhookSecret::from_revealed(&shown), Some(secret));
        assert_eq!(format!("{:?}", WebhookSecret(vec![7])), "WebhookSecret(..)");
    }

    #[test]
    fn refuses_addresses_nobody_outside_should_reach() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "fd00:ec2::254",
            "224.0.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "13.232.0.1", "2606:4700:4700::1111"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn urls_must_be_https_to_public_hosts_unless_loopback_http_is_allowed() {
        let strict = UrlPolicy::PublicHttps;
        assert!(parse_url("https://hooks.example.com/tradesense?x=1", strict).is_ok());
        for bad in [
            "http://hooks.example.com/",
            "https://127.0.0.1/",
            "https://10.0.0.5/",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/",
            "https://2130706433/",
            "https://0x7f.1/",
            "https://localhost/",
            "https://user:pass@hooks.example.com/",
            "https://hooks.example.com/#frag",
            "ftp://hooks.example.com/",
            "not a url",
            "http://127.0.0.1:9000/hook",
        ] {
            assert!(parse_url(bad, strict).is_err(), "{bad}");
        }
        let local = UrlPolicy::AlsoLoopbackHttp;
        assert!(parse_url("http://127.0.0.1:9000/hook", local).is_ok());
        assert!(
            parse_url("http://localhost:9000/hook", local).is_err(),
            "only the literal 127.0.0.1"
        );
        assert!(parse_url("http://10.0.0.5:9000/hook", local).is_err());
        assert!(
            parse_url(
                &format!("https://a.example.com/{}", "x".repeat(MAX_URL_LEN)),
                strict
            )
            .is_err()
        );
    }

    #[test]
    fn a_rotated_endpoint_signs_with_both_keys_for_a_day() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 25, 5, 0, 0).unwrap();
        let endpoint = WebhookEndpoint {
            id: "01JDQ8ZK3M4N5P6Q7R8S9T0V1W".parse().unwrap(),
            user_id: "01JDQ8ZK3M4N5P6Q7R8S9T0V1X".parse().unwrap(),
            url: "https://hooks.example.com/".into(),
            description: None,
            created_at: t0,
            secrets: vec![StoredSecret {
                sealed: "old".into(),
                created_at: t0,
                retires_at: None,
            }],
            version: 1,
        };
        let once = endpoint.rotated("new".into(), t0);
        assert_eq!(once.version, 2);
        let live = |e: &WebhookEndpoint, at| e.live_secrets(at).map(|s| s.sealed.clone()).collect::<Vec<_>>();
        assert_eq!(live(&once, t0 + Duration::hours(23)), ["new", "old"]);
        assert_eq!(live(&once, t0 + Duration::hours(24)), ["new"]);
        // A second rotation drops the oldest key at once.
        let twice = once.rotated("newer".into(), t0 + Duration::hours(1));
        assert_eq!(live(&twice, t0 + Duration::hours(2)), ["newer", "new"]);
    }
}
