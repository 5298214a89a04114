#!/usr/bin/env python3
"""A load of N traders against a running local stack: `make load` (USERS=100, DURATION=60 seconds).

Run `SIMULATED_CLOCK_START=2026-11-25T11:00:00+05:30 make run` first (market hours, so MARKET orders
fill). Setup registers and logs in every user, each from its own loopback source address (127.0.x.y), so
the per-IP login limit stays on and is never reached. Then every user, on its own account, loops for the
given time through what the web frontend does: quotes for five instruments, the portfolio summary,
positions, the order list, the NIFTY option chain, alerts and notifications, and a MARKET buy of one share
at most every 7 seconds (the account limit is 10 placements a minute). Standard library only.

Prints p50/p95/p99 and errors per route. An error is any answer other than 2xx (a 429 would count too:
the pacing keeps every user within its limits). Exits 1 if there was any.
"""

import argparse
import http.client
import json
import threading
import time
import uuid
from collections import defaultdict

PASSWORD = "monsoon-Nifty-2026!"
ORDER = {"instrument": "NSE:INFY", "side": "BUY", "quantity": 1, "order_type": "MARKET", "product": "DELIVERY"}
ORDER_EVERY_SECONDS = 7
READS = [
    ("GET /v1/market/quotes", "/v1/market/quotes?instruments=NSE:INFY,NSE:TCS,NSE:RELIANCE,NSE:HDFCBANK,NSE:SBIN"),
    ("GET /v1/portfolio", "/v1/portfolio"),
    ("GET /v1/portfolio/positions", "/v1/portfolio/positions"),
    ("GET /v1/orders", "/v1/orders?limit=20"),
    ("GET /v1/market/option-chain/{underlying}", "/v1/market/option-chain/NSE:NIFTY"),
    ("GET /v1/alerts", "/v1/alerts?limit=20"),
    ("GET /v1/notifications", "/v1/notifications?limit=20"),
]


class Client:
    """One keep-alive connection from one source address."""

    def __init__(self, host, port, source):
        self.host, self.port, self.source = host, port, source
        self.conn = None
        self.token = None

    def call(self, method, path, body=None):
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60,
                                                       source_address=(self.source, 0))
            started = time.perf_counter()
            try:
                self.conn.request(method, path, body=json.dumps(body) if body is not None else None,
                                  headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                return response.status, data, time.perf_counter() - started
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def sign_up(host, port, n):
    client = Client(host, port, f"127.0.{n // 250 + 1}.{n % 250 + 2}")
    email = f"load.{uuid.uuid4().hex}@example.in"
    status, data, _ = client.call("POST", "/v1/auth/register", {"email": email, "password": PASSWORD})
    assert status == 201, (status, data[:200])
    status, data, _ = client.call("POST", "/v1/auth/login", {"email": email, "password": PASSWORD})
    assert status == 200, (status, data[:200])
    client.token = json.loads(data)["access_token"]
    return client


def run_user(client, deadline, record):
    next_order = time.monotonic()
    i = 0
    while time.monotonic() < deadline:
        if time.monotonic() >= next_order:
            status, data, elapsed = client.call("POST", "/v1/orders", ORDER)
            record("POST /v1/orders", status, elapsed, data)
            next_order = time.monotonic() + ORDER_EVERY_SECONDS
        route, path = READS[i % len(READS)]
        status, data, elapsed = client.call("GET", path)
        record(route, status, elapsed, data)
        i += 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=60)
    args = parser.parse_args()

    started = time.perf_counter()
    clients = [sign_up(args.host, args.port, n) for n in range(args.users)]
    print(f"setup: {args.users} users registered and logged in in {time.perf_counter() - started:.0f} s")

    latencies, errors, samples = defaultdict(list), defaultdict(int), {}
    lock = threading.Lock()

    def record(route, status, elapsed, data):
        with lock:
            latencies[route].append(elapsed * 1000)
            if not 200 <= status < 300:
                errors[route] += 1
                samples.setdefault((route, status), data[:200])

    deadline = time.monotonic() + args.seconds
    threads = [threading.Thread(target=run_user, args=(c, deadline, record)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    total = sum(len(v) for v in latencies.values())
    print(f"load: {args.users} users for {args.seconds} s: {total} requests ({total / args.seconds:.0f}/s)")
    print(f"{'route':<42} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
    everything = []
    for route in sorted(latencies):
        ms = latencies[route]
        everything.extend(ms)
        print(f"{route:<42} {len(ms):>6} {percentile(ms, 50):>8.1f} {percentile(ms, 95):>8.1f} "
              f"{percentile(ms, 99):>8.1f} {errors[route]:>7}")
    print(f"{'all':<42} {len(everything):>6} {percentile(everything, 50):>8.1f} "
          f"{percentile(everything, 95):>8.1f} {percentile(everything, 99):>8.1f} {sum(errors.values()):>7}")
    for (route, status), body in samples.items():
        print(f"  {route} answered {status}: {body!r}")
    raise SystemExit(1 if any(errors.values()) else 0)


if __name__ == "__main__":
    main()
