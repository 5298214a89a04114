//! One local stack per test binary, started on first use on its own runtime thread (so it outlives each
//! test's runtime), and helpers to call it like a client would.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tradesense_adapters::AwsClients;
use tradesense_adapters::config::AwsSettings;
use tradesense_domain::auth::{Principal, Role};
use tradesense_domain::token::{AccessClaims, SigningKeyMaterial, TokenSigner};
use tradesense_local::{LocalOptions, LocalStack};

/// The demo users' password.
pub const DEMO_PASSWORD: &str = "TradeSense-demo-2026";

/// The password of users the tests register.
pub const PASSWORD: &str = "monsoon-Nifty-2026!";

/// The browser origin the stack is configured to allow.
pub const ALLOWED_ORIGIN: &str = "https://app.tradesense.test";

/// What tests need to know about the running stack.
pub struct Stack {
    pub base_url: String,
    pub emulator: String,
    pub table: String,
    pub audit_queue: String,
    signing_key: SigningKeyMaterial,
}

static STACK: OnceLock<Stack> = OnceLock::new();

/// The binary's stack, started on first use.
pub fn stack() -> &'static Stack {
    stack_with(&[])
}

/// The binary's stack, started on first use with template `parameters` over the tests' own. The first call
/// starts it, so a test binary that needs other parameters calls this before anything else, in every test.
pub fn stack_with(parameters: &'static [(&'static str, &'static str)]) -> &'static Stack {
    STACK.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Runtime::new().expect("runtime");
            runtime.block_on(async move {
                let upstox = mock_upstox().await;
                let opts = LocalOptions {
                    parameters: [
                        ("CorsAllowedOrigins".to_owned(), ALLOWED_ORIGIN.to_owned()),
                        ("UpstoxBaseUrl".to_owned(), upstox.uri()),
                        // A Wednesday at 11:00 IST: the orders function trades in market hours.
                        (
                            "SimulatedClockStart".to_owned(),
                            "2026-11-25T11:00:00+05:30".to_owned(),
                        ),
                    ]
                    .into_iter()
                    .chain(parameters.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())))
                    .collect(),
                    stack_name: "e2e".into(),
                    ..LocalOptions::default()
                };
                let started = LocalStack::start(opts).await.expect("local stack starts");
                let secret = started.reference("SigningKeySecret").expect("signing secret");
                let provider = tradesense_adapters::secrets::SecretsProvider::new(
                    started.aws.secrets.clone(),
                    Duration::ZERO,
                );
                let keys = provider.signing_keys(&secret).await.expect("signing key");
                tx.send(Stack {
                    base_url: started.base_url.clone(),
                    emulator: started.emulator_endpoint(),
                    table: started.reference("Table").expect("table"),
                    audit_queue: started.reference("AuditQueue").expect("queue"),
                    signing_key: keys[0].clone(),
                })
                .expect("report");
                // Keep serving until the test binary exits (the emulator's watchdog then stops moto).
                std::future::pending::<()>().await;
                drop((started, upstox));
            });
        });
        rx.recv_timeout(Duration::from_secs(120))
            .expect("local stack did not start")
    })
}

/// The Upstox authorization code the mock accepts, and the broker user id it grants.
pub const UPSTOX_GOOD_CODE: &str = "good-code";
/// An Upstox authorization code the mock refuses (as Upstox does a used or invalid one).
pub const UPSTOX_USED_CODE: &str = "used-code";

/// Upstox's token endpoint as wiremock, answering with Upstox's documented JSON: a grant for
/// [`UPSTOX_GOOD_CODE`], `400 Invalid Auth code` for [`UPSTOX_USED_CODE`], and 503 for anything else.
async fn mock_upstox() -> wiremock::MockServer {
    use wiremock::matchers::{body_string_contains, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    let token = || Mock::given(method("POST")).and(path("/v2/login/authorization/token"));
    token()
        .and(body_string_contains(format!("code={UPSTOX_GOOD_CODE}&")))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "email": "trader@example.in", "exchanges": ["NSE", "NFO"], "products": ["D", "I"],
            "broker": "UPSTOX", "user_id": "AB1234", "user_name": "Trader", "order_types": ["MARKET", "LIMIT"],
            "user_type": "individual", "poa": false, "is_active": true,
            "access_token": "upstox-access-token-e2e", "extended_token": null
        })))
        .mount(&server)
        .await;
    token()
        .and(body_string_contains(format!("code={UPSTOX_USED_CODE}&")))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "status": "error",
            "errors": [{"errorCode": "UDAPI100057", "message": "Invalid Auth code"}]
        })))
        .mount(&server)
        .await;
    token()
        .respond_with(ResponseTemplate::new(503))
        .with_priority(10)
        .mount(&server)
        .await;
    server
}

impl Stack {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The access token a demo user gets from `POST /v1/auth/login`.
    pub async fn login_as(&self, role: Role) -> String {
        let body = login(&format!("{role}@demo.tradesense.in"), DEMO_PASSWORD).await;
        body["access_token"].as_str().expect("access token").to_owned()
    }

    /// Signs arbitrary claims with the stack's real key (for expired or wrong-type tokens).
    pub fn sign(&self, claims: AccessClaims) -> String {
        TokenSigner::new(&self.signing_key)
            .expect("key")
            .sign(&claims)
            .expect("sign")
    }

    /// Clients for the stack's emulator.
    pub async fn aws(&self) -> AwsClients {
        AwsClients::load(&AwsSettings {
            endpoint_url: Some(self.emulator.clone()),
        })
        .await
    }
}

pub fn principal(roles: &[Role]) -> Principal {
    tradesense_local::LocalStack::principal(roles)
}

/// A client on its own loopback source address (127.x.y.z), so per-IP limits never couple tests. Traffic
/// stays on the loopback interface.
pub fn client() -> reqwest::Client {
    let n = ulid::Ulid::new().random();
    let source = std::net::Ipv4Addr::new(127, (n >> 16) as u8 | 1, (n >> 8) as u8, (n as u8).max(2));
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .local_address(std::net::IpAddr::V4(source))
        .build()
        .expect("client")
}

/// `POST path` with a JSON body; returns status and body.
pub async fn post_json(path: &str, body: &serde_json::Value) -> (reqwest::StatusCode, serde_json::Value) {
    let response = client()
        .post(stack().url(path))
        .json(body)
        .send()
        .await
        .expect("request");
    let status = response.status();
    (status, response.json().await.unwrap_or(serde_json::Value::Null))
}

/// Logs in and returns the token response, asserting success.
pub async fn login(email: &str, password: &str) -> serde_json::Value {
    let (status, body) = post_json(
        "/v1/auth/login",
        &serde_json::json!({"email": email, "password": password}),
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::OK, "login {email}: {body}");
    body
}

/// `GET path` with a bearer token.
pub async fn get_with_token(path: &str, token: &str) -> reqwest::Response {
    client()
        .get(stack().url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
}

/// Polls `probe` until it returns `Some`, for asynchronous paths (queue → worker). The deadline only stops a
/// broken pipeline from hanging the suite; nothing asserts how fast it is.
pub async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// An email no other test uses (mixed case, to exercise normalisation).
pub fn unique_email() -> String {
    format!(
        "trader.{}@Example.IN",
        ulid::Ulid::new().to_string().to_lowercase()
    )
}

/// Registers `email` with [`PASSWORD`], asserting success; returns the response body.
pub async fn register(email: &str) -> serde_json::Value {
    let (status, body) = post_json(
        "/v1/auth/register",
        &serde_json::json!({"email": email, "password": PASSWORD}),
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
    body
}

/// A freshly registered trader (a ₹10,00,000 paper account nobody else touches): their user id and access
/// token.
pub async fn new_trader() -> (String, String) {
    let email = unique_email();
    let id = register(&email).await["user"]["id"]
        .as_str()
        .expect("user id")
        .to_owned();
    let token = login(&email, PASSWORD).await["access_token"]
        .as_str()
        .expect("access token")
        .to_owned();
    (id, token)
}

/// `POST path` with a JSON body and a bearer token; returns status and body.
pub async fn post_json_with_token(
    path: &str,
    token: &str,
    body: &serde_json::Value,
) -> (reqwest::StatusCode, serde_json::Value) {
    let response = client()
        .post(stack().url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("request");
    let status = response.status();
    (status, response.json().await.unwrap_or(serde_json::Value::Null))
}
