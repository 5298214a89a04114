//! The Upstox order client against wiremock servers speaking Upstox's documented JSON: one server stands for
//! the order host (api-hft) and one for the API host, so each call is also shown to go to the right host. No
//! test waits on a clock: retries have no backoff, and the one timeout test asserts the error, not the time.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tradesense_adapters::upstox::market::RetryPolicy;
use tradesense_adapters::upstox::orders::{UpstoxOrderClient, UpstoxOrderSettings};
use tradesense_domain::broker::link::BrokerAccessToken;
use tradesense_domain::broker::live::{
    LiveBrokerError, LiveFunds, LiveHolding, LiveOrder, LivePosition, ModifyLiveOrder, PlaceLiveOrder,
};
use tradesense_domain::broker::ports::LiveBroker;
use tradesense_domain::trading::request::{OrderRequest, OrderType, Product, Side, Validity};
use tradesense_domain::trading::status::OrderStatus;
use wiremock::matchers::{body_json, body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJrZXlfaWQiOiJza192MS4wIn0.orders-test-token";
const CLIENT_ORDER_ID: &str = "01JF3Z9K6Y2Q8VJ5S7T4N0XBCD";

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn token() -> BrokerAccessToken {
    BrokerAccessToken(TOKEN.into())
}

/// The order host and the API host.
struct Upstox {
    orders: MockServer,
    api: MockServer,
}

impl Upstox {
    async fn start() -> Self {
        Self {
            orders: MockServer::start().await,
            api: MockServer::start().await,
        }
    }

    /// Answers one authorised `GET path` on the API host with Upstox's `data` file `body`.
    async fn serves_once(&self, path_: &str, body: &str) {
        authorised(Mock::given(method("GET")).and(path(path_)))
            .respond_with(data_file(body))
            .expect(1)
            .mount(&self.api)
            .await;
    }

    fn client(&self) -> UpstoxOrderClient {
        self.client_with_timeout(Duration::from_secs(5))
    }

    fn client_with_timeout(&self, timeout: Duration) -> UpstoxOrderClient {
        let settings = UpstoxOrderSettings {
            timeout,
            retry: RetryPolicy {
                max_attempts: 3,
                base_delay: Duration::ZERO,
                max_delay: Duration::ZERO,
            },
        };
        UpstoxOrderClient::with_settings(&self.orders.uri(), &self.api.uri(), settings).unwrap()
    }
}

/// Upstox's error body, with both spellings of the code as Upstox sends them.
fn upstox_error(code: &str, message: &str) -> Value {
    json!({
        "status": "error",
        "errors": [{
            "errorCode": code,
            "message": message,
            "propertyPath": null,
            "invalidValue": null,
            "error_code": code,
            "property_path": null,
            "invalid_value": null
        }]
    })
}

fn placed(order_id: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "status": "success",
        "data": { "order_ids": [order_id] },
        "metadata": { "latency": 30 }
    }))
}

fn data_file(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.as_bytes().to_vec(), "application/json")
}

fn limit_buy_delivery() -> PlaceLiveOrder {
    PlaceLiveOrder {
        instrument_key: "NSE_EQ|INE002A01018".into(),
        client_order_id: CLIENT_ORDER_ID.into(),
        request: OrderRequest {
            side: Side::Buy,
            quantity: 10,
            order_type: OrderType::Limit,
            product: Product::Delivery,
            price: Some(d("2450.35")),
            trigger_price: None,
            validity: Validity::Day,
            disclosed_quantity: None,
            tag: Some("ignored-label".into()),
            client_order_id: Some("ignored-too".into()),
        },
        is_amo: false,
    }
}

/// The headers Upstox requires on every call.
fn authorised(mock: wiremock::MockBuilder) -> wiremock::MockBuilder {
    mock.and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(header("accept", "application/json"))
}

#[tokio::test]
async fn place_sends_the_documented_body_with_our_client_order_id_as_tag_and_returns_the_order_id() {
    let upstox = Upstox::start().await;
    authorised(Mock::given(method("POST")).and(path("/v3/order/place")))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "quantity": 10,
            "product": "D",
            "validity": "DAY",
            "price": 2450.35,
            "tag": CLIENT_ORDER_ID,
            "instrument_token": "NSE_EQ|INE002A01018",
            "order_type": "LIMIT",
            "transaction_type": "BUY",
            "disclosed_quantity": 0,
            "trigger_price": 0,
            "is_amo": false,
            "slice": false
        })))
        .respond_with(placed("1644490272000"))
        .expect(1)
        .mount(&upstox.orders)
        .await;

    let order_id = upstox
        .client()
        .place_order(&token(), &limit_buy_delivery())
        .await
        .unwrap();

    assert_eq!(order_id, "1644490272000");
    let sent = upstox.orders.received_requests().await.unwrap();
    let text = String::from_utf8(sent[0].body.clone()).unwrap();
    assert!(
        text.contains(r#""price":2450.35,"#),
        "the price's own digits: {text}"
    );
    assert!(upstox.api.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_intraday_stop_loss_sell_goes_out_as_i_with_its_trigger_and_a_zero_price() {
    let upstox = Upstox::start().await;
    authorised(Mock::given(method("POST")).and(path("/v3/order/place")))
        .and(body_json(json!({
            "quantity": 1500,
            "product": "I",
            "validity": "IOC",
            "price": 0,
            "tag": "01JF3ZB0QW4M1H7C2E9R5T8YKP",
            "instrument_token": "NSE_FO|52567",
            "order_type": "SL-M",
            "transaction_type": "SELL",
            "disclosed_quantity": 0,
            "trigger_price": 570.05,
            "is_amo": false,
            "slice": false
        })))
        .respond_with(placed("231019025057882"))
        .expect(1)
        .mount(&upstox.orders)
        .await;
    let order = PlaceLiveOrder {
        instrument_key: "NSE_FO|52567".into(),
        client_order_id: "01JF3ZB0QW4M1H7C2E9R5T8YKP".into(),
        request: OrderRequest {
            side: Side::Sell,
            quantity: 1500,
            order_type: OrderType::StopLossMarket,
            product: Product::Intraday,
            price: None,
            trigger_price: Some(d("570.05")),
            validity: Validity::Ioc,
            disclosed_quantity: None,
            tag: None,
            client_order_id: None,
        },
        is_amo: false,
    };

    let order_id = upstox.client().place_order(&token(), &order).await.unwrap();

    assert_eq!(order_id, "231019025057882");
}

#[tokio::test]
async fn every_order_type_goes_out_by_its_upstox_name_and_an_amo_is_flagged() {
    for (order_type, upstox_name) in [
        (OrderType::Market, "MARKET"),
        (OrderType::Limit, "LIMIT"),
        (OrderType::StopLoss, "SL"),
        (OrderType::StopLossMarket, "SL-M"),
    ] {
        let upstox = Upstox::start().await;
        Mock::given(method("POST"))
            .and(path("/v3/order/place"))
            .and(body_partial_json(
                json!({ "order_type": upstox_name, "is_amo": true, "disclosed_quantity": 20 }),
            ))
            .respond_with(placed("1"))
            .expect(1)
            .mount(&upstox.orders)
            .await;
        let mut order = limit_buy_delivery();
        order.request.order_type = order_type;
        order.request.disclosed_quantity = Some(20);
        order.is_amo = true;
        upstox.client().place_order(&token(), &order).await.unwrap();
    }
}

#[tokio::test]
async fn a_refused_order_is_rejected_with_upstox_message_and_code() {
    let upstox = Upstox::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/order/place"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(upstox_error("UDAPI1004", "Valid order type is required")),
        )
        .expect(1)
        .mount(&upstox.orders)
        .await;

    let err = upstox
        .client()
        .place_order(&token(), &limit_buy_delivery())
        .await
        .unwrap_err();

    match err {
        LiveBrokerError::Rejected(message) => {
            assert_eq!(message, "Valid order type is required (UDAPI1004)");
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
}

#[tokio::test]
async fn a_refused_token_means_the_user_must_link_again_and_is_not_retried() {
    let upstox = Upstox::start().await;
    let invalid_token = upstox_error("UDAPI100050", "Invalid token used to access API");
    Mock::given(method("POST"))
        .and(path("/v3/order/place"))
        .respond_with(ResponseTemplate::new(401).set_body_json(&invalid_token))
        .expect(1)
        .mount(&upstox.orders)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/order/retrieve-all"))
        .respond_with(ResponseTemplate::new(403).set_body_json(&invalid_token))
        .expect(1)
        .mount(&upstox.api)
        .await;
    let client = upstox.client();

    let place = client.place_order(&token(), &limit_buy_delivery()).await;
    let book = client.order_book(&token()).await;

    assert!(matches!(place, Err(LiveBrokerError::Unauthorized)), "{place:?}");
    assert!(matches!(book, Err(LiveBrokerError::Unauthorized)), "{book:?}");
}

#[tokio::test]
async fn server_errors_and_rate_limits_are_unavailable_and_orders_are_sent_only_once() {
    let upstox = Upstox::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/order/place"))
        .respond_with(ResponseTemplate::new(500).set_body_json(upstox_error(
            "UDAPI100500",
            "Something went wrong... please contact us",
        )))
        .expect(1)
        .mount(&upstox.orders)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v3/order/modify"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&upstox.orders)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v3/order/cancel"))
        .respond_with(
            ResponseTemplate::new(429).set_body_json(upstox_error("UDAPI10005", "Too Many Request Sent")),
        )
        .expect(1)
        .mount(&upstox.orders)
        .await;
    let client = upstox.client();

    let place = client.place_order(&token(), &limit_buy_delivery()).await;
    let modify = client.modify_order(&token(), &modify_to_limit()).await;
    let cancel = client.cancel_order(&token(), "240108010445130").await;

    match place {
        Err(LiveBrokerError::Unavailable(message)) => {
            assert!(message.contains("UDAPI100500"), "{message}");
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert!(
        matches!(modify, Err(LiveBrokerError::Unavailable(_))),
        "{modify:?}"
    );
    assert!(
        matches!(cancel, Err(LiveBrokerError::Unavailable(_))),
        "{cancel:?}"
    );
}

#[tokio::test]
async fn a_timed_out_order_is_unavailable_and_not_sent_again() {
    let upstox = Upstox::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/order/place"))
        .respond_with(placed("1644490272000").set_delay(Duration::from_secs(3)))
        .expect(1)
        .mount(&upstox.orders)
        .await;

    let result = upstox
        .client_with_timeout(Duration::from_millis(100))
        .place_order(&token(), &limit_buy_delivery())
        .await;

    assert!(
        matches!(result, Err(LiveBrokerError::Unavailable(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn an_answer_not_in_upstox_shape_is_unavailable() {
    let upstox = Upstox::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/order/place"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>gateway</html>"))
        .mount(&upstox.orders)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/user/get-funds-and-margin"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"status": "success", "data": {"equity": {"used_margin": "lots"}}})),
        )
        .mount(&upstox.api)
        .await;
    let client = upstox.client();

    let place = client.place_order(&token(), &limit_buy_delivery()).await;
    let funds = client.funds(&token()).await;

    assert!(matches!(place, Err(LiveBrokerError::Unavailable(_))), "{place:?}");
    assert!(matches!(funds, Err(LiveBrokerError::Unavailable(_))), "{funds:?}");
}

#[tokio::test]
async fn an_accepted_order_without_an_id_is_unavailable_and_names_its_tag() {
    let upstox = Upstox::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/order/place"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"status": "success", "data": {"order_ids": []}, "metadata": {"latency": 12}}),
        ))
        .mount(&upstox.orders)
        .await;

    let err = upstox
        .client()
        .place_order(&token(), &limit_buy_delivery())
        .await
        .unwrap_err();

    match err {
        LiveBrokerError::Unavailable(message) => assert!(message.contains(CLIENT_ORDER_ID), "{message}"),
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

fn modify_to_limit() -> ModifyLiveOrder {
    ModifyLiveOrder {
        broker_order_id: "240108010918222".into(),
        quantity: Some(2),
        order_type: OrderType::Limit,
        price: Some(d("2451.05")),
        trigger_price: None,
        validity: Validity::Day,
        disclosed_quantity: None,
    }
}

#[tokio::test]
async fn modify_puts_the_documented_body_to_the_order_host() {
    let upstox = Upstox::start().await;
    authorised(Mock::given(method("PUT")).and(path("/v3/order/modify")))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "quantity": 2,
            "validity": "DAY",
            "price": 2451.05,
            "order_id": "240108010918222",
            "order_type": "LIMIT",
            "trigger_price": 0
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status": "success",
            "data": { "order_id": "240108010918222" },
            "metadata": { "latency": 40 }
        })))
        .expect(1)
        .mount(&upstox.orders)
        .await;

    upstox
        .client()
        .modify_order(&token(), &modify_to_limit())
        .await
        .unwrap();

    let sent = upstox.orders.received_requests().await.unwrap();
    let text = String::from_utf8(sent[0].body.clone()).unwrap();
    assert!(text.contains(r#""price":2451.05,"#), "{text}");
}

#[tokio::test]
async fn modify_sends_a_stop_loss_trigger_and_disclosed_quantity_and_keeps_the_quantity() {
    let upstox = Upstox::start().await;
    Mock::given(method("PUT"))
        .and(path("/v3/order/modify"))
        .and(body_json(json!({
            "validity": "DAY",
            "price": 16.8,
            "order_id": "240108010918222",
            "order_type": "SL",
            "disclosed_quantity": 10,
            "trigger_price": 16.9
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status": "success",
            "data": { "order_id": "240108010918222" }
        })))
        .expect(1)
        .mount(&upstox.orders)
        .await;
    let change = ModifyLiveOrder {
        quantity: None,
        order_type: OrderType::StopLoss,
        price: Some(d("16.8")),
        trigger_price: Some(d("16.9")),
        disclosed_quantity: Some(10),
        ..modify_to_limit()
    };

    upstox.client().modify_order(&token(), &change).await.unwrap();
}

#[tokio::test]
async fn cancel_deletes_by_order_id_on_the_order_host() {
    let upstox = Upstox::start().await;
    authorised(Mock::given(method("DELETE")).and(path("/v3/order/cancel")))
        .and(query_param("order_id", "240108010445130"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status": "success",
            "data": { "order_id": "240108010445130" },
            "metadata": { "latency": 30 }
        })))
        .expect(1)
        .mount(&upstox.orders)
        .await;

    upstox
        .client()
        .cancel_order(&token(), "240108010445130")
        .await
        .unwrap();
}

#[tokio::test]
async fn cancelling_a_finished_order_is_rejected_with_upstox_message() {
    let upstox = Upstox::start().await;
    Mock::given(method("DELETE"))
        .and(path("/v3/order/cancel"))
        .respond_with(ResponseTemplate::new(400).set_body_json(upstox_error(
            "UDAPI100040",
            "Cancel of already cancelled/rejected/completed order is not allowed",
        )))
        .expect(1)
        .mount(&upstox.orders)
        .await;

    let err = upstox
        .client()
        .cancel_order(&token(), "231019025057849")
        .await
        .unwrap_err();

    match err {
        LiveBrokerError::Rejected(message) => assert_eq!(
            message,
            "Cancel of already cancelled/rejected/completed order is not allowed (UDAPI100040)"
        ),
        other => panic!("expected Rejected, got {other:?}"),
    }
}

fn ist(s: &str) -> Option<DateTime<Utc>> {
    Some(
        DateTime::parse_from_rfc3339(&format!("{s}+05:30"))
            .unwrap()
            .with_timezone(&Utc),
    )
}

#[tokio::test]
async fn the_order_book_reads_statuses_fills_and_exact_prices() {
    let upstox = Upstox::start().await;
    upstox
        .serves_once(
            "/v2/order/retrieve-all",
            include_str!("data/upstox-order-book.json"),
        )
        .await;

    let book = upstox.client().order_book(&token()).await.unwrap();

    assert_eq!(book.len(), 5);
    assert_eq!(
        book[0],
        LiveOrder {
            broker_order_id: "231019025057849".into(),
            tag: None,
            instrument_key: "BSE_EQ|INE220J01025".into(),
            trading_symbol: "FCONSUMER".into(),
            exchange: "BSE".into(),
            side: Side::Buy,
            quantity: 1,
            filled_quantity: 1,
            average_price: Some(d("0.8")),
            price: Some(d("0.8")),
            trigger_price: None,
            order_type: OrderType::Limit,
            product: Product::Delivery,
            validity: Validity::Day,
            is_amo: false,
            status: OrderStatus::Complete,
            broker_status: "complete".into(),
            status_message: None,
            placed_at: ist("2023-10-19T09:23:23"),
        }
    );
    let rejected = &book[1];
    assert_eq!(
        (rejected.status, rejected.status_message.as_deref()),
        (
            OrderStatus::Rejected,
            Some("You need to add Rs. 138385.27 in your account to place this trade.")
        )
    );
    assert_eq!(
        (rejected.side, rejected.order_type, rejected.product),
        (Side::Sell, OrderType::StopLossMarket, Product::Intraday)
    );
    assert_eq!((rejected.price, rejected.trigger_price), (None, Some(d("570"))));
    assert_eq!(rejected.average_price, None, "nothing filled");

    let partial = &book[2];
    assert_eq!(partial.tag.as_deref(), Some(CLIENT_ORDER_ID));
    assert_eq!(partial.status, OrderStatus::PartiallyFilled);
    assert_eq!(partial.broker_status, "open");
    assert_eq!((partial.quantity, partial.filled_quantity), (10, 4));
    assert_eq!(partial.price.unwrap().to_string(), "2450.35");
    assert_eq!(partial.average_price, Some(d("2450.30")));
    assert_eq!(partial.placed_at, ist("2023-10-19T10:02:41"));

    let stop = &book[3];
    assert_eq!(stop.status, OrderStatus::TriggerPending);
    assert_eq!(
        (stop.price, stop.trigger_price),
        (Some(d("1540.05")), Some(d("1541")))
    );

    let amo = &book[4];
    assert_eq!(
        (amo.status, amo.is_amo, amo.price),
        (OrderStatus::Open, true, None)
    );
}

#[tokio::test]
async fn the_order_book_also_reads_the_bare_array_upstox_page_shows() {
    let upstox = Upstox::start().await;
    let envelope: Value = serde_json::from_str(include_str!("data/upstox-order-book.json")).unwrap();
    Mock::given(method("GET"))
        .and(path("/v2/order/retrieve-all"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&envelope["data"]))
        .mount(&upstox.api)
        .await;

    let book = upstox.client().order_book(&token()).await.unwrap();

    assert_eq!(
        book.iter().map(|o| o.status).collect::<Vec<_>>(),
        [
            OrderStatus::Complete,
            OrderStatus::Rejected,
            OrderStatus::PartiallyFilled,
            OrderStatus::TriggerPending,
            OrderStatus::Open
        ]
    );
}

#[tokio::test]
async fn an_unknown_status_reads_as_working_with_the_status_kept() {
    let upstox = Upstox::start().await;
    let mut envelope: Value = serde_json::from_str(include_str!("data/upstox-order-book.json")).unwrap();
    envelope["data"][0]["status"] = json!("held by exchange");
    envelope["data"][0]["filled_quantity"] = json!(0);
    Mock::given(method("GET"))
        .and(path("/v2/order/retrieve-all"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&envelope))
        .mount(&upstox.api)
        .await;

    let book = upstox.client().order_book(&token()).await.unwrap();

    assert_eq!(book[0].status, OrderStatus::Open);
    assert_eq!(
        book[0].status_message.as_deref(),
        Some("unrecognised Upstox status \"held by exchange\"")
    );
}

#[tokio::test]
async fn an_order_in_a_shape_upstox_does_not_document_is_unavailable() {
    let upstox = Upstox::start().await;
    let mut envelope: Value = serde_json::from_str(include_str!("data/upstox-order-book.json")).unwrap();
    envelope["data"][2]["product"] = json!("XYZ");
    Mock::given(method("GET"))
        .and(path("/v2/order/retrieve-all"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&envelope))
        .mount(&upstox.api)
        .await;

    let err = upstox.client().order_book(&token()).await.unwrap_err();

    match err {
        LiveBrokerError::Unavailable(message) => assert!(message.contains("XYZ"), "{message}"),
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn a_read_is_retried_after_a_server_error() {
    let upstox = Upstox::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/order/retrieve-all"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .expect(1)
        .mount(&upstox.api)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/order/retrieve-all"))
        .respond_with(data_file(include_str!("data/upstox-order-book.json")))
        .expect(1)
        .mount(&upstox.api)
        .await;

    let book = upstox.client().order_book(&token()).await.unwrap();

    assert_eq!(book.len(), 5);
}

#[tokio::test]
async fn a_read_gives_up_after_its_attempts_as_unavailable() {
    let upstox = Upstox::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/portfolio/short-term-positions"))
        .respond_with(ResponseTemplate::new(503))
        .expect(3)
        .mount(&upstox.api)
        .await;

    let result = upstox.client().positions(&token()).await;

    assert!(
        matches!(result, Err(LiveBrokerError::Unavailable(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn positions_read_with_exact_decimals() {
    let upstox = Upstox::start().await;
    upstox
        .serves_once(
            "/v2/portfolio/short-term-positions",
            include_str!("data/upstox-positions.json"),
        )
        .await;

    let positions = upstox.client().positions(&token()).await.unwrap();

    assert_eq!(
        positions[0],
        LivePosition {
            instrument_key: "NSE_FO|52618".into(),
            trading_symbol: "BANKNIFTY23OCT38000PE".into(),
            exchange: "NFO".into(),
            product: Product::Delivery,
            quantity: 15,
            overnight_quantity: 15,
            day_buy_quantity: 0,
            day_sell_quantity: 0,
            average_price: Some(d("2.65")),
            last_price: d("1.75"),
            close_price: d("1.95"),
            pnl: d("26.25"),
            realised: Decimal::ZERO,
            unrealised: d("-658304.25"),
        }
    );
    assert_eq!(positions[1].average_price, None, "Upstox sends null");
    assert_eq!(
        (
            positions[1].last_price,
            positions[1].pnl,
            positions[1].day_buy_quantity
        ),
        (d("0.81"), d("0.01"), 1)
    );
    let short = &positions[2];
    assert_eq!(
        (short.product, short.quantity, short.day_sell_quantity),
        (Product::Intraday, -10, 10)
    );
    assert_eq!(short.average_price.unwrap().to_string(), "2450.35");
    assert_eq!((short.last_price, short.unrealised), (d("2446.20"), d("41.50")));
}

#[tokio::test]
async fn holdings_read_with_exact_decimals() {
    let upstox = Upstox::start().await;
    upstox
        .serves_once(
            "/v2/portfolio/long-term-holdings",
            include_str!("data/upstox-holdings.json"),
        )
        .await;

    let holdings = upstox.client().holdings(&token()).await.unwrap();

    assert_eq!(
        holdings,
        [
            LiveHolding {
                isin: "INE528G01035".into(),
                instrument_key: "NSE_EQ|INE528G01035".into(),
                trading_symbol: "YESBANK".into(),
                company_name: "YES BANK LTD.".into(),
                exchange: "NSE".into(),
                quantity: 36,
                t1_quantity: 0,
                average_price: d("18.75"),
                last_price: d("17.05"),
                close_price: d("17.05"),
                pnl: d("-61.2"),
                day_change: Decimal::ZERO,
            },
            LiveHolding {
                isin: "INE036A01016".into(),
                instrument_key: "NSE_EQ|INE036A01016".into(),
                trading_symbol: "RELINFRA".into(),
                company_name: "RELIANCE INFRASTRUCTURE LTD.".into(),
                exchange: "NSE".into(),
                quantity: 1,
                t1_quantity: 0,
                average_price: d("192.55"),
                last_price: d("174.85"),
                close_price: d("169.2"),
                pnl: d("-17.7"),
                day_change: Decimal::ZERO,
            },
        ]
    );
    assert_eq!(holdings[1].average_price.to_string(), "192.55");
}

#[tokio::test]
async fn funds_read_the_equity_segment_exactly() {
    let upstox = Upstox::start().await;
    upstox
        .serves_once(
            "/v2/user/get-funds-and-margin",
            include_str!("data/upstox-funds.json"),
        )
        .await;

    let funds = upstox.client().funds(&token()).await.unwrap();

    assert_eq!(
        funds,
        LiveFunds {
            available_margin: d("15507.46"),
            used_margin: d("0.8"),
            payin: d("200"),
        }
    );
    assert_eq!(funds.available_margin.to_string(), "15507.46");
}

#[tokio::test]
async fn a_refused_read_is_rejected_with_upstox_message() {
    let upstox = Upstox::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/user/get-funds-and-margin"))
        .respond_with(ResponseTemplate::new(400).set_body_json(upstox_error(
            "UDAPI100072",
            "The Funds service is accessible from 5:30 AM to 12:00 AM IST daily",
        )))
        .expect(1)
        .mount(&upstox.api)
        .await;

    let err = upstox.client().funds(&token()).await.unwrap_err();

    match err {
        LiveBrokerError::Rejected(message) => assert!(message.ends_with("(UDAPI100072)"), "{message}"),
        other => panic!("expected Rejected, got {other:?}"),
    }
}
