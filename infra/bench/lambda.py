#!/usr/bin/env python3
"""`make bench-lambda`: the size and cold start of every Lambda function, next to a hello-world function's.

1. Builds every function in functions/ and infra/bench/hello-lambda with `cargo lambda build --release` for
   x86_64 (target/lambda/<binary>/bootstrap). template.yaml deploys arm64, but only the x86_64 rustup target is
   installed here and x86_64 binaries are the ones this machine can run: the figures are x86_64 figures.
2. Reports each bootstrap's size (MB = 1,000,000 bytes; the release profile strips them, checked here) and
   flags any over 8 MB.
3. Starts the local stack (`tradesense-local`, the binary `make run` runs) on ports of its own (3200 for its
   API, 4766 for moto: `make run` uses 3000/4566 and `make contract` 3100/4666), so the functions find their
   table, queues and secrets, and reads the configuration it writes to target/local-stack.env (the file is put
   back as it was afterwards, so a `make run` going at the same time keeps its own). `--env-file` uses a
   running stack's file instead.
4. Runs each bootstrap as Lambda would: that environment plus the variables Lambda sets, and
   AWS_LAMBDA_RUNTIME_API pointing at a stand-in for the Lambda Runtime API served here (http.server; a new
   one on a port of its own for each process, so a poll the previous process left in flight never takes the
   next one's event).
   Init is the time from spawning the process to its first `GET /2018-06-01/runtime/invocation/next`; the
   first invocation is the time from answering that request with the function's fixture event to its
   `POST .../response`; the same event is then sent again (the second, warm invocation: what the first one
   cost above it is what the function does lazily on its first request, e.g. opening its connection). Each
   function runs --runs times (RUNS, default 5), round robin, and the medians are reported, with init as a
   ratio of hello-world's (flagged above 1.5x).

`--tls` puts an HTTPS proxy with keep-alive (a throwaway CA made with the openssl CLI, added to a copy of the
system root bundle given as SSL_CERT_FILE) between the functions and the emulator, which itself answers every
call with `Connection: close` over plain HTTP. The first AWS call of an instance then pays a TCP connect and
a TLS handshake, later ones reuse the connection, as against DynamoDB: the first invocation minus the second
is what opening the connection during init would save (without the network round trips of a real region).

Figures are reported, not asserted: exits 0 unless a function failed to build or start, or posted an error
(to `/error` or `/runtime/init/error`). A 4xx answer inside a response body is fine. Standard library only.
"""

import argparse
import http.client
import http.server
import json
import os
import re
import shutil
import signal
import socket
import ssl
import statistics
import struct
import subprocess
import sys
import threading
import time
import tomllib
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "target" / "bench-lambda"
HELLO = "hello-lambda"
SIZE_LIMIT_MB = 8.0
INIT_RATIO_LIMIT = 1.5
RUNTIME_API = "/2018-06-01/runtime"
ACCOUNT = "123456789012"
REGION = "us-east-1"

# The first event of each function: a checked-in fixture (events/) that takes a cheap read path. auth-api
# and market-api have no fixture of their own; theirs is an API Gateway event of the same shape (the
# trader's authorizer context of events/orders-list.json) with the route changed.
FIXTURES = {
    HELLO: {"file": "health.json"},
    "admin-api": {"file": "health.json"},
    "auth-api": {"file": "orders-list.json", "route": ("GET", "/v1/auth/me", {})},
    "authorizer": {"file": "authorizer.json"},
    "market-api": {"file": "orders-list.json", "route": ("GET", "/v1/market/quotes", {"instruments": "NSE:INFY"})},
    "orders-api": {"file": "orders-list.json"},
    "portfolio-api": {"file": "portfolio-holdings.json"},
    "backtest-api": {"file": "backtests-list.json"},
    "alerts-api": {"file": "notifications-list.json"},
    "analytics-api": {"file": "analytics-tax-pnl.json"},
    "strategies-api": {"file": "orders-list.json", "route": ("GET", "/v1/strategies/templates", {})},
    "audit-worker": {"file": "audit-worker-sqs.json"},
    "backtest-worker": {"file": "backtest-worker-sqs.json"},
    "alert-worker": {"file": "alert-worker-sqs.json"},
    "scheduler": {"file": "scheduler-heartbeat.json"},
}


def say(text=""):
    print(text, flush=True)


# ------------------------------------------------------------------------------------------------ events


def fixture_event(binary):
    """(description, event bytes) of `binary`'s first event."""
    spec = FIXTURES[binary]
    event = json.loads((ROOT / "events" / spec["file"]).read_text())
    if "route" not in spec:
        return f"events/{spec['file']}", json.dumps(event).encode()
    method, path, query = spec["route"]
    event["routeKey"] = event["requestContext"]["routeKey"] = f"{method} {path}"
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    event["rawQueryString"] = "&".join(f"{k}={v}" for k, v in query.items())
    if query:
        event["queryStringParameters"] = query
    else:
        event.pop("queryStringParameters", None)
    suffix = f"?{event['rawQueryString']}" if query else ""
    return f"events/{spec['file']} as {method} {path}{suffix}", json.dumps(event).encode()


def outcome(body):
    """What a response body says, in a few words (an HTTP status, a denial, failed batch items)."""
    try:
        value = json.loads(body or b"null")
    except ValueError:
        return "non-JSON response"
    if isinstance(value, dict):
        if "statusCode" in value:
            return f"HTTP {value['statusCode']}"
        if "isAuthorized" in value:
            return "authorized" if value["isAuthorized"] else "denied"
        if "batchItemFailures" in value:
            return f"{len(value['batchItemFailures'] or [])} batch item failure(s)"
    return "ok" if value is not None else "null"


# ---------------------------------------------------------------------------- Lambda Runtime API stand-in


class Invocations:
    """One process's conversation with the Runtime API: the events to hand out, and what came back."""

    def __init__(self, events, function_name, timeout_s):
        self.events = events
        self.arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function_name}"
        self.timeout_s = timeout_s
        self.cond = threading.Condition()
        self.next_at = []  # perf_counter_ns when each GET .../invocation/next arrived
        self.sent_at = {}  # request id -> perf_counter_ns just before its event was written
        self.order = []  # request ids in the order handed out
        self.results = {}  # request id -> (kind, perf_counter_ns, body)
        self.init_error = None
        self.closed = False

    def close(self):
        with self.cond:
            self.closed = True
            self.cond.notify_all()


class RuntimeApi(http.server.BaseHTTPRequestHandler):
    """`GET .../invocation/next`, `POST .../invocation/{id}/response|error`, `POST .../init/error`."""

    protocol_version = "HTTP/1.1"
    server_version = "bench-lambda-runtime-api"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

    def log_message(self, *_args):
        pass

    def reply(self, status, body=b"", headers=None):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def do_GET(self):
        arrived = time.perf_counter_ns()
        inv = self.server.invocations
        if self.path != f"{RUNTIME_API}/invocation/next":
            self.reply(404, b'{"errorMessage":"not found"}')
            return
        with inv.cond:
            index = len(inv.next_at)
            inv.next_at.append(arrived)
            inv.cond.notify_all()
            if index >= len(inv.events):
                # Nothing more to invoke: hold the poll (as Lambda does while frozen) until the run ends.
                inv.cond.wait_for(lambda: inv.closed)
                self.close_connection = True
                return
        request_id = str(uuid.uuid4())
        deadline_ms = int(time.time() * 1000) + inv.timeout_s * 1000
        headers = {
            "Lambda-Runtime-Aws-Request-Id": request_id,
            "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": inv.arn,
            "Lambda-Runtime-Trace-Id": f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Sampled=0",
        }
        with inv.cond:
            inv.order.append(request_id)
            inv.sent_at[request_id] = time.perf_counter_ns()
        self.reply(200, inv.events[index], headers)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        arrived = time.perf_counter_ns()
        inv = self.server.invocations
        match = re.fullmatch(rf"{RUNTIME_API}/invocation/([^/]+)/(response|error)", self.path)
        if match:
            with inv.cond:
                inv.results[match.group(1)] = (match.group(2), arrived, body)
                inv.cond.notify_all()
            self.reply(202, b'{"status":"OK"}')
        elif self.path == f"{RUNTIME_API}/init/error":
            with inv.cond:
                inv.init_error = body
                inv.cond.notify_all()
            self.reply(202, b'{"status":"OK"}')
        else:
            self.reply(404, b'{"errorMessage":"not found"}')

    def handle(self):
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the process was stopped mid-poll


class RuntimeServer(http.server.ThreadingHTTPServer):
    """One process's Runtime API. Each process gets its own (its own port): a poll that the previous process
    had already sent when it was stopped must never take the next process's event."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, invocations):
        super().__init__(("127.0.0.1", 0), RuntimeApi)
        self.invocations = invocations
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()

    def stop(self):
        self.shutdown()
        self.server_close()


# ------------------------------------------------------------------------------------------ one process


class Failure(Exception):
    pass


def tail(path, lines=15):
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join("    " + line for line in text[-lines:])


def stop_group(proc, grace_s=0.0):
    """Stops a process we started in its own session, and everything in its group, by its PID."""
    if proc.poll() is not None:
        return
    try:
        if grace_s:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=grace_s)
                return
            except subprocess.TimeoutExpired:
                pass
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def run_once(binary, bootstrap, env, event, log_path, function_timeout_s, timeout_s=30):
    """Spawns `bootstrap` once; returns (init ms, [first, second invocation ms], outcome of the first).

    The event is handed out twice (the first and a warm invocation), with the function's own timeout as
    the deadline; `timeout_s` bounds each wait here.
    """
    inv = Invocations([event, event], binary, function_timeout_s)
    server = RuntimeServer(inv)
    env = {**env, "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.server_address[1]}"}
    log = open(log_path, "ab")
    log.write(f"\n--- run at {time.strftime('%H:%M:%S')}\n".encode())
    log.flush()
    proc = None
    try:
        started = time.perf_counter_ns()
        try:
            proc = subprocess.Popen(
                [str(bootstrap)],
                env=env,
                cwd=OUT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as error:
            raise Failure(f"could not start: {error}") from error

        def wait(predicate, what):
            deadline = time.monotonic() + timeout_s
            with inv.cond:
                while not predicate():
                    if inv.init_error is not None:
                        raise Failure(f"posted /runtime/init/error: {inv.init_error.decode(errors='replace')}")
                    if proc.poll() is not None:
                        raise Failure(f"exited with {proc.returncode} before {what}")
                    if time.monotonic() > deadline:
                        raise Failure(f"no {what} within {timeout_s} s")
                    inv.cond.wait(0.05)

        wait(lambda: inv.next_at, "its first GET /invocation/next")
        init_ms = (inv.next_at[0] - started) / 1e6
        invocation_ms = []
        first_outcome = None
        for index in range(len(inv.events)):
            wait(lambda: len(inv.order) > index and inv.order[index] in inv.results, f"response {index + 1}")
            request_id = inv.order[index]
            kind, at, body = inv.results[request_id]
            if kind == "error":
                raise Failure(f"posted /invocation/{{id}}/error: {body.decode(errors='replace')[:300]}")
            invocation_ms.append((at - inv.sent_at[request_id]) / 1e6)
            if first_outcome is None:
                first_outcome = outcome(body)
        return init_ms, invocation_ms, first_outcome
    finally:
        if proc is not None:
            stop_group(proc)
        inv.close()
        server.stop()
        log.close()


# ------------------------------------------------------------------------------------------------ build


def package_names():
    """hello-lambda, then every function's package (= binary) name, from functions/*/Cargo.toml."""
    names = [HELLO]
    for manifest in sorted((ROOT / "functions").glob("*/Cargo.toml")):
        names.append(tomllib.loads(manifest.read_text())["package"]["name"])
    return names


def build(packages):
    if shutil.which("cargo-lambda") is None:
        sys.exit("cargo-lambda is not on PATH: run `make bench-lambda` (it installs it with `make deploy-tools`)")
    command = ["cargo", "lambda", "build", "--release", "--x86-64", "--compiler", "cargo", "--locked"]
    for package in packages:
        command += ["-p", package]
    say("$ " + " ".join(command))
    started = time.monotonic()
    result = subprocess.run(command, cwd=ROOT)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        sys.exit(f"cargo lambda build failed ({result.returncode}) after {elapsed:.0f} s")
    say(f"built in {elapsed:.0f} s ({elapsed / 60:.1f} min)")


def elf_is_stripped(path):
    """True when the ELF file has no symbol table section (SHT_SYMTAB), None when it is not ELF."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF":
        return None
    order = "<" if data[5] == 1 else ">"
    if data[4] == 2:
        shoff = struct.unpack_from(order + "Q", data, 0x28)[0]
        shentsize, shnum = struct.unpack_from(order + "HH", data, 0x3A)
    else:
        shoff = struct.unpack_from(order + "I", data, 0x20)[0]
        shentsize, shnum = struct.unpack_from(order + "HH", data, 0x2E)
    types = [struct.unpack_from(order + "I", data, shoff + i * shentsize + 4)[0] for i in range(shnum)]
    return 2 not in types


def template_settings():
    """binary -> (MemorySize, Timeout) from template.yaml (Globals when a function sets none)."""
    lines = (ROOT / "template.yaml").read_text().splitlines()
    default_memory, default_timeout = 128, 3
    settings = {}
    current = None
    for line in lines:
        if re.match(r"^  \S", line):
            current = None
        if match := re.match(r"^\s+Binary:\s*(\S+)", line):
            current = match.group(1)
            settings[current] = {}
        for key in ("MemorySize", "Timeout"):
            if match := re.match(rf"^(\s+){key}:\s*(\d+)", line):
                if len(match.group(1)) == 4:
                    if key == "MemorySize":
                        default_memory = int(match.group(2))
                    else:
                        default_timeout = int(match.group(2))
                elif current is not None:
                    settings[current][key] = int(match.group(2))
    return {
        binary: (values.get("MemorySize", default_memory), values.get("Timeout", default_timeout))
        for binary, values in settings.items()
    } | {"__default__": (default_memory, default_timeout)}


# ------------------------------------------------------------------------------------------ local stack


def listening(port):
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def read_env_file(path):
    env = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            env[key.strip()] = value
    return env


class Stack:
    """The local stack, started on its own ports in its own process group, and stopped by its PID."""

    def __init__(self, port, moto_port):
        self.port, self.moto_port = port, moto_port
        self.proc = None
        self.log_path = OUT / "stack.log"

    def start(self):
        for port in (self.port, self.moto_port):
            if listening(port):
                sys.exit(f"port {port} is taken: set BENCH_PORT / BENCH_MOTO_PORT to free ones")
        binary = ROOT / "target" / "debug" / "tradesense-local"
        say("$ cargo build --locked -p tradesense-local --bin tradesense-local   (the local stack)")
        built = subprocess.run(
            ["cargo", "build", "--quiet", "--locked", "-p", "tradesense-local", "--bin", "tradesense-local"],
            cwd=ROOT,
        )
        if built.returncode != 0:
            if not binary.is_file():
                sys.exit("could not build tradesense-local")
            say(f"WARNING: tradesense-local did not build; using the existing {binary.relative_to(ROOT)}")
        env_file = ROOT / "target" / "local-stack.env"
        saved = env_file.read_bytes() if env_file.is_file() else None
        env = {**os.environ, "PORT": str(self.port), "MOTO_PORT": str(self.moto_port), "LOG_FORMAT": "json"}
        log = open(self.log_path, "w")
        # Its own process group, so stopping it stops the emulator it started too.
        self.proc = subprocess.Popen(
            [str(binary)], cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
        )
        log.close()
        try:
            self._wait_healthy(300)
            return self._take_env_file(env_file, 30)
        finally:
            # Put back whatever was there (a `make run` going elsewhere keeps its own file).
            if saved is None:
                env_file.unlink(missing_ok=True)
            else:
                env_file.write_bytes(saved)

    def _wait_healthy(self, seconds):
        deadline = time.monotonic() + seconds
        url = f"http://127.0.0.1:{self.port}/v1/health"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"the local stack exited with {self.proc.returncode}:\n{tail(self.log_path)}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.5)
        sys.exit(f"the local stack did not answer {url} within {seconds} s:\n{tail(self.log_path)}")

    def _take_env_file(self, path, seconds):
        """The stack writes its env file before it listens; it must name our emulator port."""
        deadline = time.monotonic() + seconds
        marker = f"127.0.0.1:{self.moto_port}"
        while time.monotonic() < deadline:
            if path.is_file() and marker in path.read_text():
                env = read_env_file(path)
                (OUT / "local-stack.env").write_text(path.read_text())
                return env
            time.sleep(0.2)
        sys.exit(f"{path} never named the emulator on {marker}")

    def stop(self):
        if self.proc is not None:
            stop_group(self.proc, grace_s=30)
            self.proc = None


class TlsProxy:
    """`--tls`: HTTPS with keep-alive on 127.0.0.1 in front of the emulator's plain HTTP (see the module doc)."""

    def __init__(self, upstream_url):
        match = re.fullmatch(r"http://([^:/]+):(\d+)/?", upstream_url or "")
        if not match:
            sys.exit(f"--tls needs an http:// emulator endpoint, not {upstream_url!r}")
        if shutil.which("openssl") is None:
            sys.exit("--tls needs the openssl command line tool")
        tls = OUT / "tls"
        tls.mkdir(exist_ok=True)

        def openssl(*args):
            subprocess.run(["openssl", *args], check=True, capture_output=True)

        ca_key, ca_pem, leaf_key, leaf_csr, leaf_pem = (
            tls / n for n in ("ca.key", "ca.pem", "leaf.key", "leaf.csr", "leaf.pem")
        )
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        openssl("req", "-x509", *ec, "-days", "1", "-subj", "/CN=bench-lambda CA", "-keyout", ca_key, "-out", ca_pem)
        openssl("req", *ec, "-subj", "/CN=127.0.0.1", "-keyout", leaf_key, "-out", leaf_csr)
        extensions = tls / "leaf.ext"
        extensions.write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\n")
        openssl("x509", "-req", "-in", leaf_csr, "-CA", ca_pem, "-CAkey", ca_key, "-CAcreateserial", "-days", "1",
                "-extfile", extensions, "-out", leaf_pem)
        # The system roots plus ours, so the SDK loads as many certificates at init as it otherwise would.
        system = Path(ssl.get_default_verify_paths().cafile or "/etc/ssl/certs/ca-certificates.crt")
        self.bundle = tls / "bundle.pem"
        self.bundle.write_bytes((system.read_bytes() if system.is_file() else b"") + b"\n" + ca_pem.read_bytes())

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(leaf_pem, leaf_key)
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), TlsProxyHandler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.server.upstream = (match.group(1), int(match.group(2)))
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class TlsProxyHandler(http.server.BaseHTTPRequestHandler):
    """Forwards each request to the emulator (a connection each: it closes them) and keeps the client's open."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    hop_by_hop = {"connection", "keep-alive", "transfer-encoding", "content-length", "server", "date"}

    def log_message(self, *_args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        upstream = http.client.HTTPConnection(*self.server.upstream, timeout=30)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in self.hop_by_hop}
            upstream.request(self.command, self.path, body=body, headers=headers)
            response = upstream.getresponse()
            data = response.read()
        finally:
            upstream.close()
        self.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in self.hop_by_hop:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST

    def handle(self):
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass  # the function was stopped with the connection open


def lambda_env(stack_env, binary, memory_mb):
    """What Lambda gives a provided.al2023 function (but AWS_LAMBDA_RUNTIME_API, which is per process), plus
    the stack's configuration. Nothing from our shell."""
    env = {k: v for k, v in stack_env.items() if k != "LOG_FORMAT"}  # Lambda logs JSON (LoggingConfig)
    env.update(
        {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "AWS_LAMBDA_FUNCTION_NAME": binary,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{binary}",
            "AWS_LAMBDA_LOG_STREAM_NAME": f"2026/12/04/[$LATEST]{uuid.uuid4().hex}",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_FORMAT": "JSON",
            "AWS_LAMBDA_LOG_LEVEL": "INFO",
            "AWS_REGION": stack_env.get("AWS_REGION", REGION),
            "AWS_DEFAULT_REGION": stack_env.get("AWS_REGION", REGION),
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_SESSION_TOKEN": "test",
            "LAMBDA_TASK_ROOT": str(OUT),
            "_HANDLER": "bootstrap",
        }
    )
    return env


# ---------------------------------------------------------------------------------------------- report


def median(values):
    return statistics.median(values) if values else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=int(os.environ.get("RUNS", "5")), help="cold starts each")
    parser.add_argument("--skip-build", action="store_true", help="use the binaries in target/lambda as they are")
    parser.add_argument("--port", type=int, default=3200, help="the local stack's API port")
    parser.add_argument("--moto-port", type=int, default=4766, help="the local stack's emulator port")
    parser.add_argument("--env-file", help="a running stack's env file (e.g. target/local-stack.env): start none")
    parser.add_argument("--only", help="comma-separated binaries (hello-lambda is always run)")
    parser.add_argument("--tls", action="store_true", help="reach the emulator over HTTPS with keep-alive")
    args = parser.parse_args()
    if args.runs < 1:
        sys.exit("--runs must be at least 1")

    OUT.mkdir(parents=True, exist_ok=True)
    binaries = package_names()
    if args.only:
        wanted = {name.strip() for name in args.only.split(",")} | {HELLO}
        binaries = [b for b in binaries if b in wanted]
    missing = [b for b in binaries if b not in FIXTURES]
    if missing:
        sys.exit(f"no first event chosen for {', '.join(missing)}: add it to FIXTURES in {Path(__file__).name}")

    say("Lambda cold start and size, x86_64 (template.yaml deploys arm64; only the x86_64 target is installed")
    say("here, and x86_64 is what this machine runs: sizes and times are x86_64 figures).")
    build_s = None
    if not args.skip_build:
        started = time.monotonic()
        build(binaries)
        build_s = time.monotonic() - started

    sizes, stripped = {}, {}
    for binary in binaries:
        bootstrap = ROOT / "target" / "lambda" / binary / "bootstrap"
        if not bootstrap.is_file():
            sys.exit(f"{bootstrap.relative_to(ROOT)} is missing: build first (without --skip-build)")
        sizes[binary] = bootstrap.stat().st_size / 1e6
        stripped[binary] = elf_is_stripped(bootstrap)

    settings = template_settings()
    events = {binary: fixture_event(binary) for binary in binaries}
    say("\nFirst event of each function:")
    for binary in binaries:
        say(f"  {binary:<16} {events[binary][0]}")

    # Stop what we start on any way out, Ctrl-C and SIGTERM included.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    stack = proxy = None
    results = {b: {"init": [], "first": [], "second": [], "outcome": None, "failure": None} for b in binaries}
    try:
        if args.env_file:
            stack_env = read_env_file(Path(args.env_file))
            say(f"\nUsing the running stack of {args.env_file} ({stack_env.get('AWS_ENDPOINT_URL')})")
        else:
            say(f"\nStarting the local stack (API 127.0.0.1:{args.port}, moto 127.0.0.1:{args.moto_port}) ...")
            stack = Stack(args.port, args.moto_port)
            stack_env = stack.start()
            say(f"  up; emulator {stack_env.get('AWS_ENDPOINT_URL')}; log in {stack.log_path.relative_to(ROOT)}")
        if args.tls:
            proxy = TlsProxy(stack_env.get("AWS_ENDPOINT_URL"))
            stack_env = {**stack_env, "AWS_ENDPOINT_URL": proxy.url, "SSL_CERT_FILE": str(proxy.bundle)}
            say(f"--tls: the functions reach the emulator through {proxy.url} (HTTPS, keep-alive)")
        load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
        say(f"{args.runs} cold start(s) per function, each against a Runtime API stand-in of its own on 127.0.0.1")
        say(f"{os.cpu_count()} cores, load average {load} (other work on the machine inflates the times)\n")
        for binary in binaries:
            (OUT / f"{binary}.log").write_text("")
        for run in range(1, args.runs + 1):
            for binary in binaries:
                row = results[binary]
                if row["failure"]:
                    continue
                memory, timeout = settings.get(binary, settings["__default__"])
                env = lambda_env(stack_env, binary, memory)
                bootstrap = ROOT / "target" / "lambda" / binary / "bootstrap"
                try:
                    init_ms, (first, second), result = run_once(
                        binary, bootstrap, env, events[binary][1], OUT / f"{binary}.log", timeout
                    )
                except Failure as failure:
                    row["failure"] = str(failure)
                    say(f"  run {run}/{args.runs} {binary:<16} FAILED: {failure}\n{tail(OUT / f'{binary}.log')}")
                    continue
                row["init"].append(init_ms)
                row["first"].append(first)
                row["second"].append(second)
                row["outcome"] = result
                say(
                    f"  run {run}/{args.runs} {binary:<16} init {init_ms:7.2f} ms   1st {first:7.2f} ms"
                    f"   2nd {second:7.2f} ms   {result}"
                )
    finally:
        if proxy is not None:
            proxy.stop()
        if stack is not None:
            say("\nStopping the local stack ...")
            stack.stop()

    hello_init = median(results[HELLO]["init"])
    say("")
    header = (
        f"{'function':<16} {'size MB':>8} {'init ms':>8} {'x hello':>8} {'1st inv ms':>10} {'2nd inv ms':>10}"
        f"  first answer"
    )
    say(header)
    say("-" * (len(header) + 14))
    over_size, over_init, failed = [], [], []
    for binary in binaries:
        row = results[binary]
        flags = []
        if sizes[binary] > SIZE_LIMIT_MB:
            over_size.append(binary)
            flags.append(f"SIZE > {SIZE_LIMIT_MB:g} MB")
        if stripped[binary] is False:
            flags.append("NOT STRIPPED")
        if row["failure"]:
            failed.append(binary)
            say(f"{binary:<16} {sizes[binary]:8.2f} {'FAILED: ' + row['failure'][:80]}")
            continue
        init = median(row["init"])
        ratio = init / hello_init if hello_init == hello_init and hello_init > 0 else float("nan")
        if binary != HELLO and ratio > INIT_RATIO_LIMIT:
            over_init.append(binary)
            flags.append(f"INIT > {INIT_RATIO_LIMIT:g}x")
        say(
            f"{binary:<16} {sizes[binary]:8.2f} {init:8.2f} {ratio:7.2f}x {median(row['first']):10.2f}"
            f" {median(row['second']):10.2f}  {row['outcome']}" + (f"  <-- {', '.join(flags)}" if flags else "")
        )
    say("")
    say(
        f"medians of {args.runs} cold start(s); sizes in MB of 10^6 bytes; "
        + ("all stripped" if all(stripped.values()) else "some NOT stripped")
        + (f"; build {build_s:.0f} s" if build_s is not None else "")
    )
    (OUT / "results.json").write_text(
        json.dumps(
            {
                "runs": args.runs,
                "arch": "x86_64",
                "build_seconds": build_s,
                "functions": {
                    b: {"fixture": events[b][0], "size_mb": sizes[b], "stripped": stripped[b], **results[b]}
                    for b in binaries
                },
            },
            indent=2,
        )
    )
    largest = max((b for b in binaries if b != HELLO), key=lambda b: sizes[b], default=HELLO)
    ratios = {
        b: median(results[b]["init"]) / hello_init for b in binaries if b != HELLO and results[b]["init"] and hello_init
    }
    slowest = max(ratios, key=ratios.get, default=None)
    size_part = (
        f"every binary <= {SIZE_LIMIT_MB:g} MB (largest {largest} {sizes[largest]:.2f} MB)"
        if not over_size
        else f"over {SIZE_LIMIT_MB:g} MB: {', '.join(over_size)}"
    )
    init_part = (
        f"every init <= {INIT_RATIO_LIMIT:g}x hello-world's {hello_init:.2f} ms"
        + (f" (highest {slowest} {ratios[slowest]:.2f}x)" if slowest else "")
        if not over_init
        else f"init over {INIT_RATIO_LIMIT:g}x hello-world: {', '.join(over_init)}"
    )
    if failed:
        say(f"VERDICT: FAILED ({', '.join(failed)} did not start or errored); {size_part}; {init_part}")
        return 1
    met = "targets met" if not over_size and not over_init else "targets MISSED"
    say(f"VERDICT: {met}: {size_part}; {init_part} (reported, not asserted)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
