#!/usr/bin/env python3
"""`make contract`: fuzz the running API against its own OpenAPI document with schemathesis, every check.

Against a stack already listening on --url (`make run` in another terminal), or, with --start-stack, against a
local stack this script starts (market hours on the simulated clock, its own ports) and stops. Every request
carries the access token of a fresh trader registered for the run; the token is fetched again every few
seconds from another loopback address, so an operation that ends its session (logout) or the fuzzing of the
login route (whose per-address limit answers 429) never leaves the rest of the run unauthenticated.

Exits non-zero on any finding. The budget (--seconds) bounds the fuzzing; CI runs a short one.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "contract-Passw0rd!"
# A trading day's morning on the simulated clock, so orders fill and market status is open.
CLOCK_START = "2026-11-25T10:00:00+05:30"


def request(url, method="GET", body=None, headers=None, timeout=10):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    with urllib.request.urlopen(req, timeout=timeout) as response:
        return response.status, json.loads(response.read() or b"null")


def wait_for(url, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            request(f"{url}/v1/health", timeout=2)
            return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(1)
    sys.exit(f"no API at {url} after {seconds} s")


def start_stack(port, moto_port, log_path):
    binary = ROOT / "target" / "debug" / "tradesense-local"
    subprocess.run(
        ["cargo", "build", "--quiet", "--locked", "-p", "tradesense-local", "--bin", "tradesense-local"],
        cwd=ROOT,
        check=True,
    )
    env = {
        **os.environ,
        "PORT": str(port),
        "MOTO_PORT": str(moto_port),
        "SIMULATED_CLOCK_START": CLOCK_START,
        "LOG_FORMAT": "json",
    }
    log = open(log_path, "w")
    # Its own process group, so stopping it stops the emulator it started too.
    return subprocess.Popen([binary], cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)


def register_trader(url):
    email = f"contract.{uuid.uuid4().hex[:12]}@example.in"
    status, _ = request(f"{url}/v1/auth/register", "POST", {"email": email, "password": PASSWORD})
    assert status == 201, status
    return email


def write_hooks(path, url, email):
    """Schemathesis auth hook: logs the trader in from 127.0.0.2 and refreshes the token every 5 s."""
    path.write_text(
        f'''
import ast, http.client, json, threading
from urllib.parse import urlparse
import schemathesis

# CPython 3.11 keeps the AST builder's recursion depth in state every thread shares, so two threads parsing
# at once can fail one with a spurious "SystemError: AST constructor recursion depth mismatch"
# (python/cpython#106905). Hypothesis parses source to describe lambdas, in both of schemathesis' workers:
# one parse at a time.
_parse, _parsing = ast.parse, threading.RLock()


def _one_parse_at_a_time(*args, **kwargs):
    with _parsing:
        return _parse(*args, **kwargs)


ast.parse = _one_parse_at_a_time

URL = urlparse({url!r})

@schemathesis.auth(refresh_interval=5)
class FreshTrader:
    token = None

    def get(self, case, context):
        conn = http.client.HTTPConnection(URL.hostname, URL.port, timeout=10, source_address=("127.0.0.2", 0))
        body = json.dumps({{"email": {email!r}, "password": {PASSWORD!r}}})
        conn.request("POST", "/v1/auth/login", body=body, headers={{"Content-Type": "application/json"}})
        response = conn.getresponse()
        data = response.read()
        if response.status == 200:
            FreshTrader.token = json.loads(data)["access_token"]
        return FreshTrader.token

    def set(self, case, data, context):
        case.headers = case.headers or {{}}
        case.headers["Authorization"] = f"Bearer {{data}}"
'''
    )


TOOL_BUG = "AST constructor recursion depth mismatch"


def run_teed(command, cwd, env):
    """Runs `command` in `cwd` (where schemathesis keeps its cache, out of the work tree), echoing its
    output as it comes: (exit code, output)."""
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in process.stdout:
        print(line, end="", flush=True)
        lines.append(line)
    return process.wait(), "".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=300, help="fuzzing budget")
    parser.add_argument("--url", default="http://127.0.0.1:3000")
    parser.add_argument("--start-stack", action="store_true", help="start (and stop) a local stack on --url's port")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()

    out = ROOT / "target" / "contract"
    out.mkdir(parents=True, exist_ok=True)
    stack = None
    if args.start_stack:
        port = int(args.url.rsplit(":", 1)[1])
        stack = start_stack(port, port + 1566, out / "stack.log")
    try:
        wait_for(args.url, 300)
        email = register_trader(args.url)
        hooks = out / "hooks.py"
        write_hooks(hooks, args.url, email)
        command = [
            str(ROOT / ".venv" / "bin" / "schemathesis"),
            "--config-file",
            str(ROOT / "infra" / "contract" / "schemathesis.toml"),
            "run",
            f"{args.url}/openapi.json",
            "--checks",
            "all",
            "--max-time",
            str(args.seconds),
            "--workers",
            "2",
            "--request-timeout",
            "20",
            "--report",
            "junit",
            "--report-dir",
            str(out),
        ]
        # Logging out would end the trader's session mid-run; the e2e tests cover it.
        command += ["--exclude-path", "/v1/auth/logout"]
        if args.seed is not None:
            command += ["--seed", str(args.seed)]
        env = {**os.environ, "SCHEMATHESIS_HOOKS": "hooks"}
        env["PYTHONPATH"] = f"{out}{os.pathsep}{env.get('PYTHONPATH', '')}"
        print("$", " ".join(command), flush=True)
        code, output = run_teed(command, out, env)
        if code != 0 and TOOL_BUG in output and "FAILURES" not in output:
            # The AST bug above, should it strike where the lock does not reach: a runtime error of the
            # tool's own, not of the API. Only that, and no failed check: run once more.
            print("== schemathesis hit CPython's AST bug, not an API failure: running again", flush=True)
            code, _ = run_teed(command, out, env)
        return code
    finally:
        if stack is not None:
            os.killpg(stack.pid, signal.SIGTERM)
            stack.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
