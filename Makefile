# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
NODE_DEPS := web_client/node_modules/.installed
BENCH_NODE_DEPS := bench/node/node_modules/.installed
PYTEST_WORKERS ?= 2
# Where `make run` serves: `make run PORT=8081 HOST=0.0.0.0`.
HOST ?= localhost
PORT ?= 8080

.PHONY: run test check lint system-deps bench bench-audio clean

$(BIN)/python:
	@echo "==> [1/3] Creating a Python environment in $(VENV) (once)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# constraints.txt pins every Python package to the versions the suite last passed on, so a
# new release upstream (a linter, a library's type hints) cannot turn a fresh CI run red.
$(VENV)/.installed-run: pyproject.toml constraints.txt | $(BIN)/python
	@echo "==> [2/3] Installing Hearth and its Python packages (once; about a minute)"
	$(BIN)/pip install -q -c constraints.txt -e '.[fast]'
	touch $@

$(VENV)/.installed-test: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install -q -c constraints.txt -e '.[test,dev,webrtc,fast]'
	touch $@ $(VENV)/.installed-run

$(NODE_DEPS): web_client/package.json web_client/package-lock.json
	@echo "==> [3/3] Installing the web client's socket.io-client with npm (once)"
	cd web_client && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Node socket.io, the benchmarks' reference (and the fan-out smoke test's).
$(BENCH_NODE_DEPS): bench/node/package.json bench/node/package-lock.json
	cd bench/node && npm ci --no-audit --no-fund --loglevel=error
	touch $@

## Serve http://localhost:8080 (PORT=, HOST=) on the embedded store, with a demo room open.
run: $(VENV)/.installed-run $(NODE_DEPS)
	@echo "==> Starting Hearth on $(HOST):$(PORT) (Ctrl-C stops it)"
	@HEARTH_DEV=1 HEARTH_DEMO_ROOM=demo $(BIN)/hearth serve --host $(HOST) --port $(PORT)

## Install what the tests need (redis-server, chromium: apt-get when root) and run them all,
## measuring coverage in every process they start (the `hearth serve` subprocesses too).
test: $(VENV)/.installed-test $(NODE_DEPS) $(BENCH_NODE_DEPS) system-deps
	$(MAKE) --no-print-directory lint
	rm -rf .coverage-data && mkdir -p .coverage-data
	$(BIN)/coverage run -m pytest -n $(PYTEST_WORKERS) -p no:cacheprovider -m "not alone"
	$(BIN)/coverage run -m pytest -p no:cacheprovider -m alone
	$(BIN)/coverage combine -q
	$(BIN)/coverage report

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

check: test

system-deps:
	@bash .ci/system-deps.sh

bench: $(VENV)/.installed-test $(NODE_DEPS) $(BENCH_NODE_DEPS) system-deps
	$(BIN)/python -m bench.fanout $(BENCH_ARGS)
	$(BIN)/python -m bench.saturation
	$(BIN)/python bench/moderation.py
	$(BIN)/python bench/support.py

## Audio: server CPU per participant and added latency, mixing vs forwarding (4, 8, 12).
bench-audio: $(VENV)/.installed-test
	$(BIN)/python bench/audio.py

clean:
	rm -rf $(VENV) web_client/node_modules test-artifacts
