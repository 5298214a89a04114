//! One local stack per test binary, started on first use on its own runtime thread (so it outlives each
//! test's runtime), and helpers to call it like a client would.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use tradesense_adapters::AwsClients;
use tradesense_adapters::config::AwsSettings;
use tradesense_domain::identity::rbac::{Principal, Role};
use tradesense_domain::identity::token::{AccessClaims, SigningKeyMaterial, TokenSigner};
use tradesense_local::{LocalOptions, LocalStack};

/// The demo users' password.
pub const DEMO_PASSWORD: &str = "TradeSense-demo-2026";

/// The password of users the tests register.
pub const PASSWORD: &str = "monsoon-Nifty-2026!";

/// The browser origin the stack is configured to allow.
pub const ALLOWED_ORIGIN: &str = "https://app.tradesense.test";

/// Where the stack's market clock starts: a Wednesday at 11:00 IST, so the market is open whatever the real
/// time. Every market function (market data, orders, portfolio, the scheduler) runs on this clock.
pub const SIMULATED_START: &str = "2026-11-25T11:00:00+05:30";

/// The IST date of the stack's market clock ([`SIMULATED_START`]'s; a test binary runs well under a day).
pub fn simulated_today() -> chrono::NaiveDate {
    chrono::DateTime::parse_from_rfc3339(SIMULATED_START)
        .expect("an RFC 3339 start")
        .date_naive()
}

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
                        ("UpstoxOrderBaseUrl".to_owned(), upstox.uri()),
                        (
                            "UpstoxInstrumentsUrl".to_owned(),
                            format!("{}/instruments.json", upstox.uri()),
                        ),
                        // A Wednesday at 11:00 IST: every market function trades in market hours.
                        ("SimulatedClockStart".to_owned(), SIMULATED_START.to_owned()),
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
    mock_upstox_trading(&server).await;
    server
}

/// The quantity of a live order the mock Upstox refuses, as Upstox refuses one its RMS will not take.
pub const UPSTOX_REFUSED_QUANTITY: i64 = 7;
/// The quantity of a live order the mock Upstox never answers (503), leaving the order unconfirmed.
pub const UPSTOX_SILENT_QUANTITY: i64 = 9;
/// The quantity of a live order the mock Upstox accepts as `UPSTOX_WORKING_ID`, open in its order book.
pub const UPSTOX_WORKING_QUANTITY: i64 = 3;
/// The order id the mock Upstox gives any other order, complete in its order book (5 RELIANCE at 2,449.95).
pub const UPSTOX_FILLED_ID: &str = "250101000000001";
/// The order id of the working order.
pub const UPSTOX_WORKING_ID: &str = "250101000000002";

/// Upstox's trading API as wiremock, with its documented JSON: the instruments file (the sample in the
/// adapters' test data), placement (refused, unanswered, working or filled by quantity), modify, cancel,
/// the order book, positions, holdings and funds.
async fn mock_upstox_trading(server: &wiremock::MockServer) {
    use wiremock::matchers::{body_string_contains, method, path};
    use wiremock::{Mock, ResponseTemplate};
    let ok = |data: Value| {
        ResponseTemplate::new(200).set_body_json(serde_json::json!({"status": "success", "data": data}))
    };
    let raw = |body: &'static [u8]| ResponseTemplate::new(200).set_body_raw(body, "application/json");
    let get = |route: &str| Mock::given(method("GET")).and(path(route.to_owned()));
    get("/instruments.json")
        .respond_with(raw(include_bytes!(
            "../../shared/adapters/tests/data/upstox-instruments-sample.json"
        )))
        .mount(server)
        .await;
    let place = || Mock::given(method("POST")).and(path("/v3/order/place"));
    place()
        .and(body_string_contains(format!(
            "{{\"quantity\":{UPSTOX_REFUSED_QUANTITY},"
        )))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "status": "error",
            "errors": [{"errorCode": "UDAPI1052", "message": "Insufficient funds to place the order"}]
        })))
        .mount(server)
        .await;
    place()
        .and(body_string_contains(format!(
            "{{\"quantity\":{UPSTOX_SILENT_QUANTITY},"
        )))
        .respond_with(ResponseTemplate::new(503))
        .mount(server)
        .await;
    place()
        .and(body_string_contains(format!(
            "{{\"quantity\":{UPSTOX_WORKING_QUANTITY},"
        )))
        .respond_with(ok(serde_json::json!({"order_ids": [UPSTOX_WORKING_ID]})))
        .mount(server)
        .await;
    place()
        .respond_with(ok(serde_json::json!({"order_ids": [UPSTOX_FILLED_ID]})))
        .with_priority(10)
        .mount(server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v3/order/modify"))
        .respond_with(ok(serde_json::json!({"order_id": UPSTOX_WORKING_ID})))
        .mount(server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v3/order/cancel"))
        .respond_with(ok(serde_json::json!({"order_id": UPSTOX_WORKING_ID})))
        .mount(server)
        .await;
    let book_order = |id: &str, status: &str, quantity: i64, filled: i64, average: f64| {
        serde_json::json!({
            "exchange": "NSE", "product": "D", "price": 2440.0, "quantity": quantity, "status": status,
            "tag": null, "instrument_token": "NSE_EQ|INE002A01018", "trading_symbol": "RELIANCE",
            "order_type": "LIMIT", "validity": "DAY", "trigger_price": 0, "disclosed_quantity": 0,
            "transaction_type": "BUY", "average_price": average, "filled_quantity": filled,
            "pending_quantity": quantity - filled, "status_message": null, "order_id": id,
            "order_timestamp": "2026-11-25 11:00:01", "is_amo": false, "variety": "SIMPLE"
        })
    };
    get("/v2/order/retrieve-all")
        .respond_with(ok(serde_json::json!([
            book_order(UPSTOX_FILLED_ID, "complete", 5, 5, 2449.95),
            book_order(UPSTOX_WORKING_ID, "open", UPSTOX_WORKING_QUANTITY, 0, 0.0),
        ])))
        .mount(server)
        .await;
    get("/v2/portfolio/short-term-positions")
        .respond_with(ok(serde_json::json!([{
            "exchange": "NSE", "product": "I", "instrument_token": "NSE_EQ|INE002A01018",
            "trading_symbol": "RELIANCE", "quantity": 5, "overnight_quantity": 0, "day_buy_quantity": 5,
            "day_sell_quantity": 0, "average_price": 2449.95, "last_price": 2460.0, "close_price": 2440.0,
            "pnl": 50.25, "realised": 0.0, "unrealised": 50.25, "multiplier": 1.0
        }])))
        .mount(server)
        .await;
    get("/v2/portfolio/long-term-holdings")
        .respond_with(raw(include_bytes!(
            "../../shared/adapters/tests/data/upstox-holdings.json"
        )))
        .mount(server)
        .await;
    get("/v2/user/get-funds-and-margin")
        .respond_with(raw(include_bytes!(
            "../../shared/adapters/tests/data/upstox-funds.json"
        )))
        .mount(server)
        .await;
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
            warm_up_table: None,
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
    client_at(loopback_address())
}

/// A loopback address (127.x.y.z) no other test is likely to use.
pub fn loopback_address() -> std::net::IpAddr {
    let n = ulid::Ulid::new().random();
    std::net::Ipv4Addr::new(127, (n >> 16) as u8 | 1, (n >> 8) as u8, (n as u8).max(2)).into()
}

/// A client whose requests come from `source` (a loopback address).
pub fn client_at(source: std::net::IpAddr) -> reqwest::Client {
    // Generous: it only stops a hung request. Tests never assert speed, and 50 racing placements against one
    // emulator on a loaded 2-core machine can take a while.
    reqwest::Client::builder()
        .timeout(Duration::from_secs(90))
        .local_address(source)
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
pub async fn eventually<T, F, Fut>(what: &str, probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    eventually_within(what, Duration::from_secs(30), probe).await
}

/// [`eventually`] with its own deadline, for paths behind a schedule (the minute alert scan).
pub async fn eventually_within<T, F, Fut>(what: &str, limit: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
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

/// The signed `state` of the caller's Upstox authorize URL.
pub async fn state_for(access: &str) -> String {
    let response = get_with_token("/v1/auth/broker/upstox/authorize", access).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let url = body["authorize_url"].as_str().unwrap();
    assert!(url.contains("/v2/login/authorization/dialog?response_type=code&client_id=tradesense-local"));
    url.split_once("&state=").unwrap().1.to_owned()
}

/// Upstox's redirect back to us with `code` and `state`: status and body.
pub async fn callback(code: &str, state: &str) -> (StatusCode, Value) {
    let response = client()
        .get(stack().url("/v1/auth/broker/upstox/callback"))
        .query(&[("code", code), ("state", state)])
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// `method path` with the caller's `token`, an optional JSON `body` and `Idempotency-Key`: status, headers and
/// body.
pub async fn send(
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<&Value>,
    idempotency_key: Option<&str>,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let mut request = client().request(method, stack().url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(body);
    }
    if let Some(key) = idempotency_key {
        request = request.header("Idempotency-Key", key);
    }
    let response = request.send().await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    (status, headers, response.json().await.unwrap_or(Value::Null))
}

/// Links the caller's Upstox account through the mock (authorize, then Upstox's redirect with a good code).
pub async fn link_upstox(access: &str) {
    let state = state_for(access).await;
    let (status, body) = callback(UPSTOX_GOOD_CODE, &state).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
