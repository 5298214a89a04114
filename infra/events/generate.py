#!/usr/bin/env python3
"""Writes the checked-in Lambda event fixtures in events/.

The shapes follow `sam local generate-event` (apigateway http-api-proxy, apigateway authorizer v2, sqs
receive-message, cloudwatch scheduled-event), filled in with TradeSense routes, authorizer context and
message envelopes. Run `python3 infra/events/generate.py` after changing it; tests read the files.
"""
import json
import pathlib

EVENTS = pathlib.Path(__file__).resolve().parents[2] / "events"
DEMO_ADMIN = "01JDQ8ZK3M4N5P6Q7R8S9T0AD1"
DEMO_VIEWER = "01JDQ8ZK3M4N5P6Q7R8S9T0VW1"
DEMO_TRADER = "01JDQ8ZK3M4N5P6Q7R8S9T0TR1"
SESSION = "01JDQ8ZK3M4N5P6Q7R8S9T0SE1"
DEMO_BACKTEST = "01JDQ8ZK3M4N5P6Q7R8S9T0BT1"
DEMO_ALERT = "01JDQ8ZK3M4N5P6Q7R8S9T0AL1"
ALERT = {"instrument": "NSE:INFY", "condition": "ABOVE", "target": "1600.00", "channels": ["in_app"],
         "trigger_mode": "once", "note": "above 1600"}
STRADDLE = {"template": "straddle", "params": {"underlying": "NSE:NIFTY", "expiry": "near", "lots": 1}}
CONDOR = {"name": "Weekly condor", "template": "iron_condor", "params": {"underlying": "NSE:NIFTY"}}
BACKTEST = {"strategy": {"kind": "sma_crossover", "params": {"fast": 10, "slow": 30}},
            "instrument": "NSE:INFY", "interval": "1d", "from": "2025-01-01", "to": "2025-12-31",
            "initial_capital": "100000", "commission_pct": "0.03", "slippage_bps": "5"}


def http_event(method, path, *, context=None, body=None, headers=None, query=None):
    ctx = {
        "accountId": "123456789012",
        "apiId": "tradesense",
        "domainName": "tradesense.execute-api.ap-south-1.amazonaws.com",
        "domainPrefix": "tradesense",
        "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                 "sourceIp": "203.0.113.7", "userAgent": "curl/8.5.0"},
        "requestId": "Jt1Hh3pXBcwEJbQ=",
        "routeKey": f"{method} {path}",
        "stage": "$default",
        "time": "23/Nov/2026:04:30:00 +0000",
        "timeEpoch": 1795408200000,
    }
    if context is not None:
        ctx["authorizer"] = {"lambda": context}
    event = {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": "&".join(f"{k}={v}" for k, v in (query or {}).items()),
        "headers": {"accept": "application/json", "host": ctx["domainName"], **(headers or {})},
        "requestContext": ctx,
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = query
    if body is not None:
        event["body"] = body
    return event


STREAM_CONNECTION = "L0SM9cOFvHcCIhw="
ORDER = {"id": "01JDQ8ZK3M4N5P6Q7R8S9T0RD1", "user_id": DEMO_TRADER, "instrument": "NSE:INFY", "side": "BUY",
         "quantity": 10, "order_type": "MARKET", "product": "DELIVERY", "price": None, "trigger_price": None,
         "validity": "DAY", "disclosed_quantity": None, "tag": None, "client_order_id": None,
         "filled_quantity": 0, "average_price": None, "status": "OPEN", "status_message": None, "is_amo": False,
         "blocked": "0", "placed_at": "2026-11-25T05:30:00Z", "updated_at": "2026-11-25T05:30:00Z",
         "history": [{"status": "OPEN", "at": "2026-11-25T05:30:00Z", "message": None}], "version": 1}


def websocket_event(route, event_type, *, body=None, query=None, extra_context=None):
    """An API Gateway WebSocket event (`sam local generate-event apigateway` has none: the shape of AWS's
    documented `$connect`/message/`$disconnect` events, as aws_lambda_events' own fixtures carry)."""
    ctx = {
        "routeKey": route,
        "eventType": event_type,
        "extendedRequestId": "Jt1Hh3pXBcwEJbQ=",
        "requestTime": "23/Nov/2026:04:30:00 +0000",
        "messageDirection": "IN",
        "stage": "v1",
        "connectedAt": 1795408200000,
        "requestTimeEpoch": 1795408200123,
        "identity": {"sourceIp": "203.0.113.7", "userAgent": "Mozilla/5.0"},
        "requestId": "Jt1Hh3pXBcwEJbQ=",
        "domainName": "abc123.execute-api.ap-south-1.amazonaws.com",
        "connectionId": STREAM_CONNECTION,
        "apiId": "abc123",
        **(extra_context or {}),
    }
    event = {"requestContext": ctx, "isBase64Encoded": False}
    if route == "$connect":
        event["headers"] = {"Host": ctx["domainName"], "Origin": "https://app.tradesense.in",
                            "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
        event["multiValueHeaders"] = {k: [v] for k, v in event["headers"].items()}
    if query:
        event["queryStringParameters"] = query
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
    if body is not None:
        event["body"] = body
    return event


def principal(user_id, roles):
    return {"user_id": user_id, "roles": roles, "session_id": SESSION}


def envelope(event_id, event_type, data):
    return json.dumps({"id": event_id, "type": event_type, "version": 1,
                       "occurred_at": "2026-11-23T04:30:00Z", "data": data})


def audit_envelope(event_id, kind):
    return envelope(event_id, "audit.recorded", {
        "id": event_id, "kind": kind, "user_id": DEMO_ADMIN,
        "occurred_at": "2026-11-23T04:30:00Z", "detail": {"ip": "203.0.113.7"}})


def sqs_record(message_id, body, queue):
    return {
        "messageId": message_id,
        "receiptHandle": f"receipt-{message_id}",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1795408200000",
                       "SenderId": "AIDAEXAMPLE", "ApproximateFirstReceiveTimestamp": "1795408200001"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:ap-south-1:123456789012:tradesense-{queue}",
        "awsRegion": "ap-south-1",
    }


FIXTURES = {
    "health.json": http_event("GET", "/v1/health"),
    "openapi.json": http_event("GET", "/openapi.json"),
    "admin-health.json": http_event("GET", "/v1/admin/health", context=principal(DEMO_ADMIN, "admin")),
    "admin-health-viewer.json": http_event("GET", "/v1/admin/health", context=principal(DEMO_VIEWER, "viewer")),
    "admin-health-no-context.json": http_event("GET", "/v1/admin/health"),
    "admin-audit.json": http_event(
        "GET", "/v1/admin/audit", context=principal(DEMO_ADMIN, "admin"),
        query={"type": "ROLE_CHANGED", "limit": "20"}),
    "admin-metrics.json": http_event(
        "GET", "/v1/admin/metrics", context=principal(DEMO_ADMIN, "admin"), query={"window": "1h"}),
    "admin-metrics-trader.json": http_event(
        "GET", "/v1/admin/metrics", context=principal(DEMO_TRADER, "trader"), query={"window": "1h"}),
    "orders-place.json": http_event(
        "POST", "/v1/orders", context=principal(DEMO_TRADER, "trader"),
        headers={"content-type": "application/json", "idempotency-key": "demo-order-1"},
        body=json.dumps({"instrument": "NSE:INFY", "side": "BUY", "quantity": 10, "order_type": "LIMIT",
                         "product": "DELIVERY", "price": "1500.00", "validity": "DAY"})),
    "orders-list.json": http_event(
        "GET", "/v1/orders", context=principal(DEMO_TRADER, "trader"), query={"status": "OPEN", "limit": "20"}),
    "portfolio-holdings.json": http_event(
        "GET", "/v1/portfolio/holdings", context=principal(DEMO_TRADER, "trader")),
    "portfolio-mode.json": http_event(
        "PUT", "/v1/portfolio/mode", context=principal(DEMO_TRADER, "trader"),
        headers={"content-type": "application/json"}, body=json.dumps({"mode": "paper"})),
    "backtests-submit.json": http_event(
        "POST", "/v1/backtests", context=principal(DEMO_TRADER, "trader"),
        headers={"content-type": "application/json", "idempotency-key": "demo-backtest-1"},
        body=json.dumps(BACKTEST)),
    "backtests-submit-viewer.json": http_event(
        "POST", "/v1/backtests", context=principal(DEMO_VIEWER, "viewer"),
        headers={"content-type": "application/json"}, body=json.dumps(BACKTEST)),
    "backtests-list.json": http_event(
        "GET", "/v1/backtests", context=principal(DEMO_TRADER, "trader"), query={"limit": "20"}),
    "alerts-create.json": http_event(
        "POST", "/v1/alerts", context=principal(DEMO_TRADER, "trader"),
        headers={"content-type": "application/json"}, body=json.dumps(ALERT)),
    "alerts-create-viewer.json": http_event(
        "POST", "/v1/alerts", context=principal(DEMO_VIEWER, "viewer"),
        headers={"content-type": "application/json"}, body=json.dumps(ALERT)),
    "strategies-analyze.json": http_event(
        "POST", "/v1/strategies/analyze", context=principal(DEMO_TRADER, "trader"),
        headers={"content-type": "application/json"}, body=json.dumps(STRADDLE)),
    "strategies-save.json": http_event(
        "POST", "/v1/strategies", context=principal(DEMO_TRADER, "trader"),
        headers={"content-type": "application/json"}, body=json.dumps(CONDOR)),
    "strategies-save-viewer.json": http_event(
        "POST", "/v1/strategies", context=principal(DEMO_VIEWER, "viewer"),
        headers={"content-type": "application/json"}, body=json.dumps(CONDOR)),
    "analytics-tax-pnl.json": http_event(
        "GET", "/v1/analytics/tax-pnl", context=principal(DEMO_TRADER, "trader"), query={"fy": "2026-27"}),
    "analytics-equity-curve.json": http_event(
        "GET", "/v1/analytics/equity-curve", context=principal(DEMO_TRADER, "trader"),
        query={"from": "2026-11-02", "to": "2026-11-30"}),
    "analytics-performance.json": http_event(
        "GET", "/v1/analytics/performance", context=principal(DEMO_TRADER, "trader"),
        query={"from": "2026-11-02", "to": "2026-11-30"}),
    "stream-ticket.json": http_event(
        "POST", "/v1/stream/ticket", context=principal(DEMO_VIEWER, "viewer")),
    "stream-connect.json": websocket_event(
        "$connect", "CONNECT", query={"ticket": "q3JhX9v0yT1Qm8r6cE2bW4nZ7pL5sK0dA9fH3gJ1uYk"}),
    "stream-message.json": websocket_event(
        "$default", "MESSAGE", extra_context={"messageId": "Jt1Hh3pXBcwEJbR="},
        body=json.dumps({"action": "subscribe", "channel": "quotes", "instruments": ["NSE:INFY", "NSE:TCS"],
                         "mode": "ltp"})),
    "stream-disconnect.json": websocket_event(
        "$disconnect", "DISCONNECT", extra_context={"disconnectStatusCode": 1001, "disconnectReason": "Going away"}),
    "stream-pusher-sqs.json": {"Records": [
        sqs_record("0f1e2d3c-0000-4000-8000-000000000031",
                   envelope("01JDQ8ZK3M4N5P6Q7R8S9T0EV4", "order.changed", {"order": ORDER}), "stream"),
        sqs_record("0f1e2d3c-0000-4000-8000-000000000032", "this is not an envelope", "stream"),
    ]},
    "stream-tick.json": {
        "version": "0",
        "id": "cdc73f9d-aea9-11e3-9d5a-835b769c0d9a",
        "detail-type": "Scheduled Event",
        "source": "tradesense.stream",
        "account": "123456789012",
        "time": "2026-11-25T05:31:00Z",
        "region": "ap-south-1",
        "resources": ["arn:aws:events:ap-south-1:123456789012:rule/tradesense-stream-tick"],
        "detail": {"job": "stream-tick"},
    },
    "notifications-list.json": http_event(
        "GET", "/v1/notifications", context=principal(DEMO_TRADER, "trader"), query={"unread": "true"}),
    "authorizer.json": {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": "arn:aws:execute-api:ap-south-1:123456789012:tradesense/$default/GET/v1/admin/health",
        "identitySource": ["Bearer eyJhbGciOiJub25lIiwia2lkIjoiazEifQ.eyJzdWIiOiJ4In0."],
        "routeKey": "GET /v1/admin/health",
        "rawPath": "/v1/admin/health",
        "rawQueryString": "",
        "headers": {"authorization": "Bearer eyJhbGciOiJub25lIiwia2lkIjoiazEifQ.eyJzdWIiOiJ4In0."},
        "requestContext": http_event("GET", "/v1/admin/health")["requestContext"],
    },
    "audit-worker-sqs.json": {"Records": [
        sqs_record("0f1e2d3c-0000-4000-8000-000000000001",
                   audit_envelope("01JDQ8ZK3M4N5P6Q7R8S9T0EV1", "LOGIN_SUCCEEDED"), "audit"),
        sqs_record("0f1e2d3c-0000-4000-8000-000000000002", "this is not an envelope", "audit"),
    ]},
    "backtest-worker-sqs.json": {"Records": [
        sqs_record("0f1e2d3c-0000-4000-8000-000000000011",
                   envelope("01JDQ8ZK3M4N5P6Q7R8S9T0EV2", "backtest.requested",
                            {"run_id": DEMO_BACKTEST, "user_id": DEMO_TRADER}), "backtests"),
        sqs_record("0f1e2d3c-0000-4000-8000-000000000012", "this is not an envelope", "backtests"),
    ]},
    "alert-worker-sqs.json": {"Records": [
        sqs_record("0f1e2d3c-0000-4000-8000-000000000021",
                   envelope("01JDQ8ZK3M4N5P6Q7R8S9T0EV3", "alert.triggered",
                            {"alert_id": DEMO_ALERT, "user_id": DEMO_TRADER,
                             "minute": "2026-11-25T05:31:00Z", "price": "1600.10"}), "alert"),
        sqs_record("0f1e2d3c-0000-4000-8000-000000000022", "this is not an envelope", "alert"),
    ]},
    "scheduler-alert-scan.json": {
        "version": "0",
        "id": "cdc73f9d-aea9-11e3-9d5a-835b769c0d9f",
        "detail-type": "Scheduled Event",
        "source": "tradesense.scheduler",
        "account": "123456789012",
        "time": "2026-11-25T05:31:00Z",
        "region": "ap-south-1",
        "resources": ["arn:aws:events:ap-south-1:123456789012:rule/tradesense-alert-scan"],
        "detail": {"job": "alert-scan"},
    },
    "scheduler-eod-snapshots.json": {
        "version": "0",
        "id": "cdc73f9d-aea9-11e3-9d5a-835b769c0d9a",
        "detail-type": "Scheduled Event",
        "source": "tradesense.scheduler",
        "account": "123456789012",
        "time": "2026-11-25T11:00:00Z",
        "region": "ap-south-1",
        "resources": ["arn:aws:events:ap-south-1:123456789012:rule/tradesense-eod-snapshots"],
        "detail": {"job": "eod-snapshots"},
    },
    "scheduler-heartbeat.json": {
        "version": "0",
        "id": "cdc73f9d-aea9-11e3-9d5a-835b769c0d9c",
        "detail-type": "Scheduled Event",
        "source": "tradesense.scheduler",
        "account": "123456789012",
        "time": "2026-11-23T04:30:00Z",
        "region": "ap-south-1",
        "resources": ["arn:aws:events:ap-south-1:123456789012:rule/tradesense-heartbeat"],
        "detail": {"job": "heartbeat"},
    },
    "scheduler-instrument-refresh.json": {
        "version": "0",
        "id": "cdc73f9d-aea9-11e3-9d5a-835b769c0d9d",
        "detail-type": "Scheduled Event",
        "source": "tradesense.scheduler",
        "account": "123456789012",
        "time": "2026-11-23T02:30:00Z",
        "region": "ap-south-1",
        "resources": ["arn:aws:events:ap-south-1:123456789012:rule/tradesense-instrument-refresh"],
        "detail": {"job": "instrument-refresh"},
    },
    "scheduler-paper-match.json": {
        "version": "0",
        "id": "cdc73f9d-aea9-11e3-9d5a-835b769c0d9e",
        "detail-type": "Scheduled Event",
        "source": "tradesense.scheduler",
        "account": "123456789012",
        "time": "2026-11-25T05:30:00Z",
        "region": "ap-south-1",
        "resources": ["arn:aws:events:ap-south-1:123456789012:rule/tradesense-paper-match"],
        "detail": {"job": "paper-match"},
    },
}

if __name__ == "__main__":
    EVENTS.mkdir(exist_ok=True)
    for name, event in FIXTURES.items():
        (EVENTS / name).write_text(json.dumps(event, indent=2) + "\n")
        print(f"wrote events/{name}")
