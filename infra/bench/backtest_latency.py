#!/usr/bin/env python3
"""Submit → DONE for a 5,000-bar daily backtest through a running local stack, and how the worker's time splits.

Run `make run`, then `make bench-backtest` (or this script with `--runs N`). Standard library only.

Each run is a fresh submission (one trader, one client, one run at a time) of one strategy kind over NSE:INFY's
daily history from 2006-09-01 to 2026-11-24 (about 5,000 sessions of the simulated market): POST /v1/backtests,
then GET /v1/backtests/{id} every 20 ms until the run is DONE. The wall time includes the queue poller's pick-up
(the local stack polls with a 1 s long poll, as the Lambda event source does). The worker's own split is the run's
`timings`: reading the history, computing (engine and metrics), storing the result (parts and the run).
"""

import argparse
import http.client
import json
import statistics
import time
import uuid

KINDS = [
    {"kind": "sma_crossover", "params": {"fast": 10, "slow": 30}},
    {"kind": "ema_crossover", "params": {"fast": 10, "slow": 30}},
    {"kind": "rsi_reversion", "params": {"period": 14, "lower": 30, "upper": 70}},
    {"kind": "breakout", "params": {"lookback": 20}},
    {"kind": "bollinger_reversion", "params": {"period": 20, "stddev": 2}},
]


def call(host, port, method, path, body=None, token=None):
    conn = http.client.HTTPConnection(host, port, timeout=120, source_address=("127.0.9.9", 0))
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=json.dumps(body).encode() if body is not None else None, headers=headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, json.loads(data) if data else None


def trader(host, port):
    email = f"bench.{uuid.uuid4().hex}@example.in"
    password = "monsoon-Nifty-2026!"
    status, body = call(host, port, "POST", "/v1/auth/register", {"email": email, "password": password})
    assert status == 201, (status, body)
    status, body = call(host, port, "POST", "/v1/auth/login", {"email": email, "password": password})
    assert status == 200, (status, body)
    return body["access_token"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    token = trader(args.host, args.port)
    rows = []
    for i in range(args.runs):
        strategy = KINDS[i % len(KINDS)]
        request = {"strategy": strategy, "instrument": "NSE:INFY", "interval": "1d", "from": "2006-09-01",
                   "to": "2026-11-24", "initial_capital": "100000", "commission_pct": "0.03"}
        started = time.perf_counter()
        status, run = call(args.host, args.port, "POST", "/v1/backtests", request, token)
        assert status == 202, (status, run)
        submitted = time.perf_counter() - started
        while run["status"] in ("QUEUED", "RUNNING"):
            time.sleep(0.02)
            status, run = call(args.host, args.port, "GET", f"/v1/backtests/{run['id']}", token=token)
            assert status == 200, (status, run)
        total = time.perf_counter() - started
        assert run["status"] == "DONE", run.get("error")
        t = run["timings"]
        rows.append((strategy["kind"], len(run["equity_curve"]), submitted, total, t))
        print(f"{strategy['kind']:>20}: {len(run['equity_curve'])} bars, {run['metrics']['trades']} trades, "
              f"POST {submitted * 1000:.0f} ms, submit→DONE {total * 1000:.0f} ms "
              f"(history {t['history_ms']} ms, compute {t['compute_ms']} ms, store {t['store_ms']} ms)")
    totals = [r[3] * 1000 for r in rows]
    print(f"submit→DONE: n={len(totals)} median={statistics.median(totals):.0f} ms "
          f"min={min(totals):.0f} ms max={max(totals):.0f} ms")
    for stage in ("history_ms", "compute_ms", "store_ms"):
        print(f"  {stage}: median {statistics.median(r[4][stage] for r in rows):.0f}")


if __name__ == "__main__":
    main()
