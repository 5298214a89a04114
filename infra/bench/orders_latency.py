#!/usr/bin/env python3
"""Latency of POST /v1/orders through a running local stack, next to the emulator's own per-call latency.

Run `SIMULATED_CLOCK_START=2026-11-25T11:00:00+05:30 make run` (market hours, so MARKET orders fill), then
`make bench-orders` (or this script with `--requests N`). Standard library only.

The per-account limit is 10 placements a minute, so the requests are spread over fresh accounts, 10 each,
placed one after another (one client, no concurrency): each is a MARKET buy of 1 NSE:INFY for delivery,
which reads the quote, account and position and commits order + fill + position + funds + rate count in
one DynamoDB transaction. Each account registers and logs in from its own loopback source address, so the
per-IP login limit does not apply. The emulator figure is a DynamoDB GetItem of a paper account straight
against moto.

`--fill N` first writes N filler items into the table (BatchWriteItem, 25 at a time, in their own
partitions), so the same bench shows whether a transaction's cost grows with the table's size.
"""

import argparse
import http.client
import json
import statistics
import time
import uuid
from pathlib import Path

ORDER = {
    "instrument": "NSE:INFY",
    "side": "BUY",
    "quantity": 1,
    "order_type": "MARKET",
    "product": "DELIVERY",
}


def call(host, port, source, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection(host, port, timeout=30, source_address=(source, 0))
    payload = json.dumps(body).encode() if body is not None else None
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    started = time.perf_counter()
    conn.request(method, path, body=payload, headers=all_headers)
    response = conn.getresponse()
    data = response.read()
    elapsed = time.perf_counter() - started
    conn.close()
    return response.status, data, elapsed


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def summary(name, seconds):
    ms = [s * 1000 for s in seconds]
    print(
        f"{name}: n={len(ms)} p50={percentile(ms, 50):.1f} ms p95={percentile(ms, 95):.1f} ms "
        f"mean={statistics.mean(ms):.1f} ms max={max(ms):.1f} ms"
    )


def trader(host, port, n):
    source = f"127.0.{n // 250 + 1}.{n % 250 + 2}"
    email = f"bench.{uuid.uuid4().hex}@example.in"
    password = "monsoon-Nifty-2026!"
    status, data, _ = call(host, port, source, "POST", "/v1/auth/register",
                           {"email": email, "password": password})
    assert status == 201, (status, data)
    status, data, _ = call(host, port, source, "POST", "/v1/auth/login",
                           {"email": email, "password": password})
    assert status == 200, (status, data)
    body = json.loads(data)
    return source, body["access_token"], json.loads(
        call(host, port, source, "GET", "/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})[1]
    )["id"]


def dynamodb_call(env, operation, body):
    """One DynamoDB call straight to moto (which does not check signatures): status, body, seconds."""
    endpoint = env["AWS_ENDPOINT_URL"].removeprefix("http://")
    host, port = endpoint.split(":")
    headers = {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": f"DynamoDB_20120810.{operation}",
        "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, "
                         "SignedHeaders=host, Signature=0",
    }
    return call(host, int(port), "127.0.0.1", "POST", "/", body, headers)


def emulator_latency(env, user_ids, samples, operation):
    """moto's own latency for `operation` on the bench accounts: GetItem of a paper account, or Query of an
    account's positions (one item, the query the risk limits' day P&L makes)."""
    times = []
    for i in range(samples):
        pk = {"S": f"USER#{user_ids[i % len(user_ids)]}"}
        if operation == "GetItem":
            body = {"TableName": env["TABLE_NAME"], "Key": {"pk": pk, "sk": {"S": "PAPER_ACCOUNT"}},
                    "ConsistentRead": True}
        else:
            body = {"TableName": env["TABLE_NAME"], "KeyConditionExpression": "pk = :pk AND begins_with(sk, :p)",
                    "ExpressionAttributeValues": {":pk": pk, ":p": {"S": "POSITION#"}}, "ConsistentRead": True}
        status, data, elapsed = dynamodb_call(env, operation, body)
        expected = b"available" if operation == "GetItem" else b"POSITION#"
        assert status == 200 and expected in data, (status, data)
        times.append(elapsed)
    return times


def dynamodb(env, operation, body):
    """One DynamoDB call straight to moto, its answer parsed."""
    status, data, _ = dynamodb_call(env, operation, body)
    assert status == 200, (status, data[:300])
    return json.loads(data)


def fill(env, items):
    """Writes `items` filler items (about 200 bytes each) and returns the table's item count after."""
    run = uuid.uuid4().hex[:8]
    for start in range(0, items, 25):
        writes = [{"PutRequest": {"Item": {
            "pk": {"S": f"FILL#{run}#{i // 100}"}, "sk": {"S": f"{i:08d}"},
            "entity": {"S": "filler"}, "doc": {"S": "x" * 200}}}}
            for i in range(start, min(items, start + 25))]
        answer = dynamodb(env, "BatchWriteItem", {"RequestItems": {env["TABLE_NAME"]: writes}})
        assert not answer.get("UnprocessedItems"), answer
    count, start = 0, None
    while True:
        page = dynamodb(env, "Scan", {"TableName": env["TABLE_NAME"], "Select": "COUNT",
                                      **({"ExclusiveStartKey": start} if start else {})})
        count += page["Count"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return count


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--fill", type=int, default=0, help="filler items to write into the table first")
    args = parser.parse_args()
    env_file = Path(__file__).resolve().parents[2] / "target/local-stack.env"
    env = dict(line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)
    if args.fill:
        started = time.perf_counter()
        count = fill(env, args.fill)
        print(f"filled {args.fill} items in {time.perf_counter() - started:.0f} s: the table holds {count} items")

    accounts = [trader(args.host, args.port, n) for n in range((args.requests + 9) // 10)]
    times, statuses = [], {}
    for i in range(args.requests):
        source, token, _ = accounts[i // 10]
        status, data, elapsed = call(args.host, args.port, source, "POST", "/v1/orders", ORDER,
                                     {"Authorization": f"Bearer {token}"})
        statuses[status] = statuses.get(status, 0) + 1
        if status != 201:
            raise SystemExit(f"POST /v1/orders answered {status}: {data[:300]!r}")
        order = json.loads(data)
        if i == 0:
            print(f"first order: status {order['status']}, average_price {order['average_price']}")
        times.append(elapsed)
    summary("POST /v1/orders (through the gateway and authorizer)", times)
    users = [a[2] for a in accounts]
    summary("moto DynamoDB GetItem", emulator_latency(env, users, args.requests, "GetItem"))
    summary("moto DynamoDB Query (one partition, 1 item)", emulator_latency(env, users, min(args.requests, 200), "Query"))
    print(f"statuses: {statuses}")


if __name__ == "__main__":
    main()
