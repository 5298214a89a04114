//! The authorizer against the emulator: real keys in Secrets Manager, real tokens, every attack rejected,
//! never a panic, and key rotation logging nobody out.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::time::Duration;

use authorizer::Authorizer;
use aws_lambda_events::event::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use chrono::Utc;
use secrecy::ExposeSecret;
use std::sync::Arc;
use tradesense_adapters::clock::SystemClock;
use tradesense_adapters::dynamo::sessions::DynamoSessionRepository;
use tradesense_adapters::dynamo::users::DynamoUserRepository;
use tradesense_adapters::secrets::{SecretsProvider, Stage};
use tradesense_domain::identity::ports::{SessionRepository, UserRepository};
use tradesense_domain::identity::rbac::{Principal, Role};
use tradesense_domain::identity::session::Session;
use tradesense_domain::identity::token::{AccessClaims, SigningKeyMaterial, TokenSigner};
use tradesense_domain::identity::user::{LoginGuard, PasswordHash, User};
use tradesense_domain::kernel::error::RepoError;
use tradesense_domain::kernel::ids::{SessionId, UserId};
use tradesense_domain::trading::account::PaperAccount;
use tradesense_local::provision::rotate_signing_key;
use tradesense_local::testing::TestStack;

fn checked_in_event() -> ApiGatewayV2CustomAuthorizerV2Request {
    serde_json::from_str(include_str!("../../../events/authorizer.json")).expect("valid authorizer event")
}

fn with_token(token: &str) -> ApiGatewayV2CustomAuthorizerV2Request {
    let mut event = checked_in_event();
    event
        .headers
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    event
}

fn users(stack: &TestStack) -> DynamoUserRepository {
    DynamoUserRepository::new(stack.table())
}

fn sessions(stack: &TestStack) -> DynamoSessionRepository {
    DynamoSessionRepository::new(stack.table())
}

/// A trader with a live session in the emulator, as login leaves them.
async fn signed_in(stack: &TestStack) -> Principal {
    let user = User {
        id: UserId::from_ulid(ulid::Ulid::new()),
        email: format!("{}@example.in", ulid::Ulid::new().to_string().to_lowercase())
            .parse()
            .unwrap(),
        display_name: "Trader".into(),
        roles: vec![Role::Trader],
        password_hash: PasswordHash::from_stored("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
        disabled: false,
        login_guard: LoginGuard::default(),
        mfa: tradesense_domain::identity::mfa::MfaState::default(),
        created_at: Utc::now(),
    };
    users(stack)
        .create(&user, &PaperAccount::open(user.id, user.created_at))
        .await
        .unwrap();
    let (session, _) = Session::start(SessionId::from_ulid(ulid::Ulid::new()), user.id, Utc::now());
    sessions(stack).create(&session).await.unwrap();
    Principal {
        user_id: user.id,
        roles: user.roles,
        session_id: session.id,
    }
}

async fn current_key(stack: &TestStack) -> SigningKeyMaterial {
    let provider = SecretsProvider::new(stack.aws.secrets.clone(), Duration::ZERO);
    let value = provider
        .get(&stack.reference("SigningKeySecret"), Stage::Current)
        .await
        .unwrap()
        .unwrap();
    serde_json::from_str(value.expose_secret()).unwrap()
}

fn sign(key: &SigningKeyMaterial, claims: &AccessClaims) -> String {
    TokenSigner::new(key).unwrap().sign(claims).unwrap()
}

/// Key material claiming a real key's `kid` with another private key.
fn forged(real: &SigningKeyMaterial) -> SigningKeyMaterial {
    SigningKeyMaterial {
        kid: real.kid.clone(),
        ..SigningKeyMaterial::generate("forged")
    }
}

fn authorizer_reading(stack: &TestStack, secret_id: &str) -> Authorizer {
    Authorizer::new(
        SecretsProvider::new(stack.aws.secrets.clone(), Duration::ZERO),
        secret_id,
        Arc::new(users(stack)),
        Arc::new(sessions(stack)),
        Arc::new(SystemClock),
    )
}

fn authorizer(stack: &TestStack) -> Authorizer {
    authorizer_reading(stack, &stack.reference("VerifyKeysSecret"))
}

#[tokio::test]
async fn allows_a_valid_token_and_passes_the_principal_as_context() {
    let stack = TestStack::provision().await;
    let p = signed_in(&stack).await;
    let token = sign(
        &current_key(&stack).await,
        &AccessClaims::new(p.user_id, p.session_id, p.roles.clone(), Utc::now()),
    );
    let response = authorizer(&stack).handle(&with_token(&token)).await;
    assert!(response.is_authorized);
    assert_eq!(response.context["user_id"], p.user_id.to_string());
    assert_eq!(response.context["roles"], "trader");
    assert_eq!(response.context["session_id"], p.session_id.to_string());
}

#[tokio::test]
async fn denies_the_checked_in_alg_none_event_and_every_forgery() {
    let stack = TestStack::provision().await;
    let authorizer = authorizer(&stack);
    assert!(!authorizer.handle(&checked_in_event()).await.is_authorized);

    let p = signed_in(&stack).await;
    let claims = AccessClaims::new(p.user_id, p.session_id, p.roles.clone(), Utc::now());
    let real = current_key(&stack).await;
    let forged = sign(&forged(&real), &claims);
    let unknown_kid = sign(&SigningKeyMaterial::generate("unknown"), &claims);
    let expired = sign(
        &real,
        &AccessClaims::new(
            p.user_id,
            p.session_id,
            vec![Role::Admin],
            Utc::now() - chrono::Duration::hours(1),
        ),
    );
    let mut escalated = sign(&real, &claims);
    escalated = escalated.replacen('.', ".eyJyb2xlcyI6WyJhZG1pbiJdfQ", 1);
    for token in [
        forged,
        unknown_kid,
        expired,
        escalated,
        "not-a-jwt".into(),
        String::new(),
    ] {
        let response = authorizer.handle(&with_token(&token)).await;
        assert!(!response.is_authorized, "{token:.40}");
        assert_eq!(response.context, serde_json::json!({}));
    }
    let mut no_header = checked_in_event();
    no_header.headers.clear();
    assert!(!authorizer.handle(&no_header).await.is_authorized);
}

/// Rotates the stack's signing key as `make rotate-signing-key` does.
async fn rotate(stack: &TestStack) {
    rotate_signing_key(
        &stack.aws,
        &stack.reference("SigningKeySecret"),
        &stack.reference("VerifyKeysSecret"),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_rotation_keeps_tokens_signed_with_the_previous_key_valid() {
    let stack = TestStack::provision().await;
    let p = signed_in(&stack).await;
    let claims = AccessClaims::new(p.user_id, p.session_id, p.roles.clone(), Utc::now());
    let before = sign(&current_key(&stack).await, &claims);
    rotate(&stack).await;
    let after = sign(&current_key(&stack).await, &claims);
    let authorizer = authorizer(&stack);
    assert!(
        authorizer.handle(&with_token(&before)).await.is_authorized,
        "previous key still verifies"
    );
    assert!(
        authorizer.handle(&with_token(&after)).await.is_authorized,
        "new key verifies"
    );
}

/// An authorizer caching the keys for an hour, re-reading them for an unknown `kid` at most once per
/// `refetch_interval`.
fn warm_authorizer(stack: &TestStack, refetch_interval: Duration) -> Authorizer {
    Authorizer::new(
        SecretsProvider::new(stack.aws.secrets.clone(), Duration::from_secs(3600)),
        stack.reference("VerifyKeysSecret"),
        Arc::new(users(stack)),
        Arc::new(sessions(stack)),
        Arc::new(SystemClock),
    )
    .with_key_refetch_interval(refetch_interval)
}

#[tokio::test]
async fn a_warm_authorizer_accepts_a_key_rotated_in_after_it_cached_the_keys_and_throttles_rereads() {
    let stack = TestStack::provision().await;
    let p = signed_in(&stack).await;
    let claims = AccessClaims::new(p.user_id, p.session_id, p.roles.clone(), Utc::now());
    let before = sign(&current_key(&stack).await, &claims);
    let eager = warm_authorizer(&stack, Duration::ZERO);
    let throttled = warm_authorizer(&stack, Duration::from_secs(3600));
    for warm in [&eager, &throttled] {
        assert!(
            warm.handle(&with_token(&before)).await.is_authorized,
            "keys cached"
        );
    }
    rotate(&stack).await;
    let after = sign(&current_key(&stack).await, &claims);
    assert!(
        eager.handle(&with_token(&after)).await.is_authorized,
        "the unknown kid made it re-read the keys, within the hour-long cache"
    );
    assert!(
        eager.handle(&with_token(&before)).await.is_authorized,
        "and the previous key still verifies"
    );
    assert!(
        !throttled.handle(&with_token(&after)).await.is_authorized,
        "keys read less than an interval ago are not re-read: a forged kid cannot make every request call \
         Secrets Manager"
    );
}

#[tokio::test]
async fn warming_up_reads_the_keys_before_the_first_request() {
    let stack = TestStack::provision().await;
    let p = signed_in(&stack).await;
    let claims = AccessClaims::new(p.user_id, p.session_id, p.roles.clone(), Utc::now());
    let (warmed, cold) = (
        warm_authorizer(&stack, Duration::from_secs(3600)),
        warm_authorizer(&stack, Duration::from_secs(3600)),
    );
    warmed.warm_up().await;
    rotate(&stack).await;
    let after = sign(&current_key(&stack).await, &claims);
    // The cold one reads the keys on its first request and finds the new key; the warmed one read them
    // before the rotation and, within the re-read interval, does not read them again.
    assert!(cold.handle(&with_token(&after)).await.is_authorized);
    assert!(!warmed.handle(&with_token(&after)).await.is_authorized);

    // Secrets Manager unreachable: warming up gives up within its second and the authorizer still answers.
    let unreachable = Authorizer::new(
        SecretsProvider::new(
            tradesense_adapters::AwsClients::load(&tradesense_adapters::config::AwsSettings {
                endpoint_url: Some("http://127.0.0.1:9".into()),
                warm_up_table: None,
            })
            .await
            .secrets,
            Duration::from_secs(3600),
        ),
        stack.reference("VerifyKeysSecret"),
        Arc::new(users(&stack)),
        Arc::new(sessions(&stack)),
        Arc::new(SystemClock),
    );
    let started = std::time::Instant::now();
    unreachable.warm_up().await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(!unreachable.handle(&with_token(&after)).await.is_authorized);
}

/// Sessions whose reads fail `failures` times (a storage fault), then answer from the table.
struct FlakySessions {
    inner: DynamoSessionRepository,
    failures: std::sync::atomic::AtomicU32,
}

#[async_trait::async_trait]
impl SessionRepository for FlakySessions {
    async fn create(&self, session: &Session) -> Result<(), RepoError> {
        self.inner.create(session).await
    }

    async fn get(&self, user: &UserId, id: &SessionId) -> Result<Option<Session>, RepoError> {
        use std::sync::atomic::Ordering;
        if self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(anyhow::anyhow!("dispatch failure: connect timeout").into());
        }
        self.inner.get(user, id).await
    }

    async fn update(&self, session: &Session) -> Result<(), RepoError> {
        self.inner.update(session).await
    }
}

#[tokio::test]
async fn a_transient_storage_fault_does_not_sign_a_valid_user_out_but_a_lasting_one_denies() {
    let stack = TestStack::provision().await;
    let p = signed_in(&stack).await;
    let token = sign(
        &current_key(&stack).await,
        &AccessClaims::new(p.user_id, p.session_id, p.roles, Utc::now()),
    );
    let with_faults = |failures| {
        Authorizer::new(
            SecretsProvider::new(stack.aws.secrets.clone(), Duration::ZERO),
            stack.reference("VerifyKeysSecret"),
            Arc::new(users(&stack)),
            Arc::new(FlakySessions {
                inner: sessions(&stack),
                failures: std::sync::atomic::AtomicU32::new(failures),
            }),
            Arc::new(SystemClock),
        )
    };
    let attempts = authorizer::SESSION_CHECK_ATTEMPTS;
    assert!(
        with_faults(attempts - 1)
            .handle(&with_token(&token))
            .await
            .is_authorized
    );
    assert!(
        !with_faults(attempts)
            .handle(&with_token(&token))
            .await
            .is_authorized
    );
}

#[tokio::test]
async fn denies_everything_when_the_keys_cannot_be_read() {
    let stack = TestStack::provision().await;
    let p = signed_in(&stack).await;
    let token = sign(
        &current_key(&stack).await,
        &AccessClaims::new(p.user_id, p.session_id, p.roles, Utc::now()),
    );
    let broken = authorizer_reading(&stack, "no-such-secret");
    assert!(!broken.handle(&with_token(&token)).await.is_authorized);
}

/// Collects everything the subscriber writes.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn logs_name_the_user_but_never_the_token_or_the_key() {
    let stack = TestStack::provision().await;
    let key = current_key(&stack).await;
    let p = signed_in(&stack).await;
    let token = sign(
        &key,
        &AccessClaims::new(p.user_id, p.session_id, p.roles.clone(), Utc::now()),
    );
    let forged = sign(
        &forged(&key),
        &AccessClaims::new(p.user_id, p.session_id, p.roles, Utc::now()),
    );
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let authorizer = authorizer(&stack);
    assert!(authorizer.handle(&with_token(&token)).await.is_authorized);
    assert!(!authorizer.handle(&with_token(&forged)).await.is_authorized);
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains(&p.user_id.to_string()), "the capture works: {logs}");
    for secret in [token.as_str(), forged.as_str(), key.private_key.as_str()] {
        assert!(!logs.contains(secret), "secret material in logs");
    }
    for part in token.split('.') {
        assert!(!logs.contains(part), "a token segment in logs");
    }
}

#[tokio::test]
async fn denies_a_valid_token_once_its_session_is_revoked_or_its_user_disabled() {
    let stack = TestStack::provision().await;
    let key = current_key(&stack).await;
    let authorizer = authorizer(&stack);

    let p = signed_in(&stack).await;
    let token = sign(
        &key,
        &AccessClaims::new(p.user_id, p.session_id, p.roles.clone(), Utc::now()),
    );
    assert!(authorizer.handle(&with_token(&token)).await.is_authorized);
    let mut session = sessions(&stack)
        .get(&p.user_id, &p.session_id)
        .await
        .unwrap()
        .unwrap();
    session.revoke(Utc::now());
    session.version += 1;
    sessions(&stack).update(&session).await.unwrap();
    assert!(
        !authorizer.handle(&with_token(&token)).await.is_authorized,
        "logged out"
    );

    let q = signed_in(&stack).await;
    let token = sign(
        &key,
        &AccessClaims::new(q.user_id, q.session_id, q.roles.clone(), Utc::now()),
    );
    stack
        .aws
        .dynamodb
        .update_item()
        .table_name(stack.reference("Table"))
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("USER#{}", q.user_id)),
        )
        .key("sk", aws_sdk_dynamodb::types::AttributeValue::S("PROFILE".into()))
        .update_expression("SET disabled = :t")
        .expression_attribute_values(":t", aws_sdk_dynamodb::types::AttributeValue::Bool(true))
        .send()
        .await
        .unwrap();
    assert!(
        !authorizer.handle(&with_token(&token)).await.is_authorized,
        "disabled"
    );

    let ghost = Principal {
        session_id: SessionId::from_ulid(ulid::Ulid::new()),
        ..signed_in(&stack).await
    };
    let token = sign(
        &key,
        &AccessClaims::new(ghost.user_id, ghost.session_id, ghost.roles, Utc::now()),
    );
    assert!(
        !authorizer.handle(&with_token(&token)).await.is_authorized,
        "no such session"
    );
}

#[tokio::test]
async fn cookie_mode_reads_api_gateway_cookies_and_requires_the_csrf_echo_on_state_changes() {
    let stack = TestStack::provision().await;
    let p = signed_in(&stack).await;
    let token = sign(
        &current_key(&stack).await,
        &AccessClaims::new(p.user_id, p.session_id, p.roles, Utc::now()),
    );
    let authorizer = authorizer(&stack);
    let browser = |method: &str, csrf_header: Option<&str>| {
        let mut event = checked_in_event();
        event.headers.clear();
        event.cookies = vec![
            format!("__Host-ts_access={token}"),
            "__Host-ts_csrf=c5rf-t0ken".into(),
        ];
        event.request_context.http.method = method.parse().unwrap();
        if let Some(value) = csrf_header {
            event.headers.insert("x-csrf-token", value.parse().unwrap());
        }
        event
    };
    assert!(authorizer.handle(&browser("GET", None)).await.is_authorized);
    assert!(!authorizer.handle(&browser("POST", None)).await.is_authorized);
    assert!(
        !authorizer
            .handle(&browser("DELETE", Some("other")))
            .await
            .is_authorized
    );
    assert!(
        authorizer
            .handle(&browser("POST", Some("c5rf-t0ken")))
            .await
            .is_authorized
    );
}
