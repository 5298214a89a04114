# TradeSense developer commands. `make run` and `make test` are all you need day to day; both work on a fresh
# machine with Rust and Python 3 (they create ./.venv with moto and cfn-lint on first use).

SHELL := /bin/bash
VENV := .venv
DEPLOY_VENV := .venv-deploy
STACK ?= tradesense-dev

.PHONY: run test contract bench bench-backtest bench-orders bench-stream bench-lambda load import-candles venv lint fmt clippy cfn-lint events openapi deploy-tools sam-build deploy rotate-signing-key watch invoke-admin-health clean-venvs

## Run the whole platform locally (API on 127.0.0.1:3000, moto on 127.0.0.1:4566). Ctrl-C stops everything.
run: venv
	LOG_FORMAT=$${LOG_FORMAT:-text} cargo run -p tradesense-local --bin tradesense-local

## Run every test: unit, router, adapter (moto), worker, end to end.
test: venv
	.venv/bin/python -m unittest discover -s infra/emulator
	cargo test --workspace --all-targets --locked

## Fuzz the API against its OpenAPI document (schemathesis, every check) on a stack of its own; fails on any
## finding. CONTRACT_SECONDS bounds the fuzzing (default 300); URL=http://127.0.0.1:3000 uses a running stack.
contract: venv
	python3 infra/contract/contract.py --seconds $${CONTRACT_SECONDS:-300} $${URL:+--url $$URL} $${URL:---start-stack --url http://127.0.0.1:3100}

## Benchmarks (criterion; figures in target/criterion). Not part of `make test`: tests never depend on timing.
bench:
	cargo bench -p tradesense-domain --bench option_chain
	cargo bench -p tradesense-domain --bench backtest
	cargo bench -p tradesense-domain --bench alert_scan
	cargo bench -p tradesense-domain --bench strategy_analyze
	cargo bench -p tradesense-domain --bench snapshot_replay
	cargo bench -p tradesense-domain --bench stream_fanout
	cargo bench -p market-api --bench quotes

## Submit → DONE of a 5,000-bar daily backtest over a running `make run`, with the worker's time split.
bench-backtest:
	python3 infra/bench/backtest_latency.py --runs $${RUNS:-10}

## Latency of POST /v1/orders over a running `SIMULATED_CLOCK_START=2026-11-25T11:00:00+05:30 make run`.
bench-orders:
	python3 infra/bench/orders_latency.py --requests $${REQUESTS:-1000} --fill $${FILL:-0}

## The delay from an order's fill to its frame on the owner's WebSocket (p50/p95 over 200 MARKET orders), through
## a local stack the bench starts itself (orders function → stream queue → pusher → socket).
bench-stream:
	cargo test -p tradesense-e2e --test stream -- --ignored bench_fill_to_frame --nocapture

## USERS traders (default 100) for DURATION seconds (default 60) against a running
## `SIMULATED_CLOCK_START=2026-11-25T11:00:00+05:30 make run`: p50/p95/p99 and errors per route.
load:
	python3 infra/bench/load.py --users $${USERS:-100} --seconds $${DURATION:-60}

## Size and cold start of every Lambda function next to a hello-world one (x86_64 builds: only that target is
## installed here; the template deploys arm64). Starts its own local stack on 3200/4766 (BENCH_PORT,
## BENCH_MOTO_PORT); RUNS cold starts each (default 5); medians, init as a ratio of hello-world's. TLS=1 puts
## an HTTPS keep-alive proxy before the emulator, so a first AWS call pays a TLS handshake as on AWS.
bench-lambda: venv deploy-tools
	PATH="$(CURDIR)/$(DEPLOY_VENV)/bin:$$PATH" python3 infra/bench/lambda.py --runs $${RUNS:-5} \
		--port $${BENCH_PORT:-3200} --moto-port $${BENCH_MOTO_PORT:-4766} $${TLS:+--tls}

## Python tools for the local stack, the tests and lint: moto[server], cfn-lint.
venv: $(VENV)/.installed
$(VENV)/.installed: infra/requirements-dev.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r infra/requirements-dev.txt
	touch $@

## Everything CI checks besides the tests.
lint: fmt clippy cfn-lint

fmt:
	cargo fmt --all --check

clippy:
	cargo clippy --workspace --all-targets --locked -- -D warnings

cfn-lint: venv
	$(VENV)/bin/cfn-lint template.yaml

## Regenerate docs/openapi.json (the committed API document admin-api serves) after changing any area's routes.
openapi:
	cargo run -p tradesense-local --bin tradesense-local -- openapi

## Regenerate events/ (Lambda event fixtures) after editing infra/events/generate.py.
events:
	python3 infra/events/generate.py

## SAM CLI and cargo-lambda (only for building and deploying).
deploy-tools: $(DEPLOY_VENV)/.installed
$(DEPLOY_VENV)/.installed: infra/requirements-deploy.txt
	python3 -m venv $(DEPLOY_VENV)
	$(DEPLOY_VENV)/bin/pip install --quiet --disable-pip-version-check -r infra/requirements-deploy.txt
	touch $@

## Build every function for Lambda (arm64) with SAM + cargo-lambda.
sam-build: deploy-tools
	PATH="$(CURDIR)/$(DEPLOY_VENV)/bin:$$PATH" SAM_CLI_TELEMETRY=0 sam build --config-file infra/samconfig.toml

## Deploy the built stack (needs AWS credentials), then install the first signing key.
deploy: sam-build
	PATH="$(CURDIR)/$(DEPLOY_VENV)/bin:$$PATH" SAM_CLI_TELEMETRY=0 sam deploy --config-file infra/samconfig.toml --stack-name $(STACK)

## Generate a new access-token signing key into SECRET_ID (the old one stays valid as AWSPREVIOUS).
rotate-signing-key:
	@test -n "$(STACK)" || (echo "usage: make rotate-signing-key STACK=<stack name>" && exit 2)
	cargo run -p tradesense-local --bin tradesense-local -- rotate-signing-key "$(STACK)"

## Import a daily OHLCV CSV (Date,Open,High,Low,Close,Volume) as INSTRUMENT's history into TABLE_NAME
## (the local stack's table by default; set AWS credentials and TABLE_NAME for AWS).
import-candles:
	@test -n "$(INSTRUMENT)" -a -n "$(CSV)" || (echo "usage: make import-candles INSTRUMENT=NSE:INFY CSV=path.csv" && exit 2)
	set -a; [ -f target/local-stack.env ] && [ -z "$$TABLE_NAME" ] && . target/local-stack.env; set +a; \
	cargo run -p tradesense-local --bin tradesense-local -- import-candles "$(INSTRUMENT)" "$(CSV)"

## Run functions under the Lambda runtime emulator, configured for the running local stack (start `make run` first).
watch: deploy-tools
	PATH="$(CURDIR)/$(DEPLOY_VENV)/bin:$$PATH" cargo lambda watch -A 127.0.0.1 -P 9010 --env-file target/local-stack.env

## Invoke admin-api with a checked-in API Gateway event (needs `make watch`).
invoke-admin-health: deploy-tools
	PATH="$(CURDIR)/$(DEPLOY_VENV)/bin:$$PATH" cargo lambda invoke --invoke-address 127.0.0.1 --invoke-port 9010 --data-file events/admin-health.json admin-api

clean-venvs:
	rm -rf $(VENV) $(DEPLOY_VENV)
