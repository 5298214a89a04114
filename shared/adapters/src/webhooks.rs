//! Sending webhook messages, safely: [`HttpWebhookTransport`] resolves the endpoint's host at every send,
//! refuses it if any address it resolves to is not public (so a name that later resolves to the metadata
//! service or a private network, DNS rebinding included, is refused at send time), then connects only to
//! the addresses it checked, with no redirects and a 5-second limit. And [`DataKeySealer`], which seals
//! webhook keys with the platform's data key.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tradesense_domain::alerts::ports::{SecretSealer, WebhookTransport};
use tradesense_domain::alerts::webhook::{
    SendOutcome, SignedMessage, UrlPolicy, is_loopback_http, is_public, parse_url,
};

use crate::secrets::SecretsProvider;

/// The most one attempt may take, connection included.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(5);

/// Looks host names up: a port so tests can make a name resolve anywhere.
#[async_trait]
pub trait Resolver: Send + Sync {
    /// Every address `host` resolves to, at `port`.
    ///
    /// # Errors
    /// If the lookup fails.
    async fn resolve(&self, host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>>;
}

/// The system's resolver.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemResolver;

#[async_trait]
impl Resolver for SystemResolver {
    async fn resolve(&self, host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
        Ok(tokio::net::lookup_host((host, port)).await?.collect())
    }
}

/// [`WebhookTransport`] over HTTPS (or loopback HTTP where the deployment allows it).
#[derive(Clone)]
pub struct HttpWebhookTransport {
    policy: UrlPolicy,
    resolver: Arc<dyn Resolver>,
}

impl std::fmt::Debug for HttpWebhookTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpWebhookTransport")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

fn failed(error: impl Into<String>, retryable: bool) -> SendOutcome {
    SendOutcome::Failed {
        error: error.into(),
        retryable,
    }
}

impl HttpWebhookTransport {
    /// A transport under `policy`, resolving with the system's resolver.
    pub fn new(policy: UrlPolicy) -> Self {
        Self::with_resolver(policy, Arc::new(SystemResolver))
    }

    /// A transport under `policy`, resolving with `resolver`.
    pub fn with_resolver(policy: UrlPolicy, resolver: Arc<dyn Resolver>) -> Self {
        Self { policy, resolver }
    }

    /// The addresses to connect to for `url`, every one checked; or why not.
    async fn checked_addresses(&self, url: &url::Url) -> Result<Vec<SocketAddr>, SendOutcome> {
        let port = url.port_or_known_default().unwrap_or(443);
        let loopback_allowed = self.policy == UrlPolicy::AlsoLoopbackHttp && is_loopback_http(url);
        let addresses = match url.host() {
            Some(url::Host::Ipv4(ip)) => vec![SocketAddr::new(IpAddr::V4(ip), port)],
            Some(url::Host::Ipv6(ip)) => vec![SocketAddr::new(IpAddr::V6(ip), port)],
            Some(url::Host::Domain(host)) => {
                match tokio::time::timeout(SEND_TIMEOUT, self.resolver.resolve(host, port)).await {
                    Ok(Ok(found)) if !found.is_empty() => found,
                    Ok(Ok(_)) | Ok(Err(_)) => return Err(failed(format!("{host} does not resolve"), true)),
                    Err(_) => return Err(failed(format!("resolving {host} timed out"), true)),
                }
            }
            None => return Err(failed("the URL names no host", false)),
        };
        if let Some(bad) = addresses.iter().find(|a| !is_public(a.ip()) && !loopback_allowed) {
            return Err(failed(
                format!(
                    "refused: {} resolves to {}, which is not a public address",
                    url.host_str().unwrap_or(""),
                    bad.ip()
                ),
                false,
            ));
        }
        Ok(addresses)
    }
}

#[async_trait]
impl WebhookTransport for HttpWebhookTransport {
    async fn send(&self, raw_url: &str, message: &SignedMessage) -> SendOutcome {
        let url = match parse_url(raw_url, self.policy) {
            Ok(url) => url,
            Err(reason) => return failed(format!("refused: {reason}"), false),
        };
        let addresses = match self.checked_addresses(&url).await {
            Ok(a) => a,
            Err(outcome) => return outcome,
        };
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(SEND_TIMEOUT)
            .connect_timeout(SEND_TIMEOUT)
            .no_proxy();
        if let Some(url::Host::Domain(host)) = url.host() {
            // Connect only to the addresses checked above: no second lookup to rebind.
            builder = builder.resolve_to_addrs(host, &addresses);
        }
        let client = match builder.build() {
            Ok(c) => c,
            Err(e) => return failed(format!("HTTP client: {e}"), true),
        };
        let response = client
            .post(url)
            .header("content-type", "application/json")
            .header("user-agent", "TradeSense-Webhooks/1")
            .header("webhook-id", &message.id)
            .header("webhook-timestamp", message.timestamp.to_string())
            .header("webhook-signature", &message.signature)
            .body(message.body.clone())
            .send()
            .await;
        match response {
            Ok(r) if r.status().is_success() => SendOutcome::Delivered {
                status: r.status().as_u16(),
            },
            Ok(r) if r.status().is_redirection() => failed(
                format!("HTTP {} (redirects are not followed)", r.status().as_u16()),
                true,
            ),
            Ok(r) => failed(format!("HTTP {}", r.status().as_u16()), true),
            Err(e) if e.is_timeout() => failed("timed out after 5 s", true),
            Err(e) => failed(format!("could not connect: {}", e.without_url()), true),
        }
    }
}

/// [`SecretSealer`] with the data key in Secrets Manager (AWSCURRENT, and AWSPREVIOUS across a rotation).
pub struct DataKeySealer {
    secrets: SecretsProvider,
    data_key_secret_id: String,
}

impl std::fmt::Debug for DataKeySealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataKeySealer")
            .field("data_key_secret_id", &self.data_key_secret_id)
            .finish_non_exhaustive()
    }
}

impl DataKeySealer {
    /// Seals with the data key held in the secret `data_key_secret_id`.
    pub fn new(secrets: SecretsProvider, data_key_secret_id: &str) -> Self {
        Self {
            secrets,
            data_key_secret_id: data_key_secret_id.to_owned(),
        }
    }
}

#[async_trait]
impl SecretSealer for DataKeySealer {
    async fn seal(&self, plaintext: &[u8], context: &str) -> anyhow::Result<String> {
        Ok(self
            .secrets
            .sealer(&self.data_key_secret_id)
            .await?
            .seal(plaintext, context))
    }

    async fn open(&self, sealed: &str, context: &str) -> anyhow::Result<Vec<u8>> {
        Ok(self
            .secrets
            .sealer(&self.data_key_secret_id)
            .await?
            .open(sealed, context)?)
    }
}
