# The two commands of the quick start (`make demo`, `make test`) bootstrap .venv from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# The demo always shows the embedded defaults, whatever the shell exports.
EMBEDDED := env -u SVC_DB_URL -u SVC_REDIS_URL

.PHONY: demo test bench load load-capacity lint clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "pytest-svc needs Python 3.11+; run: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

demo: $(STAMP)
	$(EMBEDDED) $(BIN)/pytest tests/reference_app -p no:cacheprovider -v
	env -u DB_URL -u REDIS_URL -u WORKERS $(BIN)/python -m load.runner --duration 15s --users 10 --name demo

test: $(STAMP)
	$(BIN)/pytest -p no:cacheprovider

# The peer beside pytest-svc (benchmarks/peer.py): pytest-sqla in a venv of its own, built once.
PEER_VENV := benchmarks/.venv-sqla
PEER_STAMP := $(PEER_VENV)/.installed-stamp

$(PEER_STAMP): benchmarks/peer-requirements.txt
	$(PYTHON) -m venv $(PEER_VENV)
	$(PEER_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(PEER_VENV)/bin/python -m pip install --quiet -r benchmarks/peer-requirements.txt
	@touch $(PEER_STAMP)

bench: $(STAMP) $(PEER_STAMP)
	$(BIN)/pytest benchmarks/test_fixture_overhead.py -p benchmark -p no:cacheprovider --benchmark-only \
		--benchmark-json=benchmarks/results/fixture_overhead.json
	$(BIN)/python benchmarks/report.py benchmarks/results/fixture_overhead.json
	$(BIN)/python -m benchmarks.floors
	$(BIN)/pytest benchmarks/test_repository_paths.py -p benchmark -p no:cacheprovider --benchmark-only \
		--benchmark-json=benchmarks/results/repository.json
	$(BIN)/python benchmarks/ratios.py benchmarks/results/repository.json
	$(BIN)/pytest benchmarks/test_cache_paths.py -p benchmark -p no:cacheprovider --benchmark-only \
		--benchmark-json=benchmarks/results/cache.json
	$(BIN)/python benchmarks/ratios.py benchmarks/results/cache.json
	$(BIN)/pytest benchmarks/test_middleware_stack.py -p benchmark -p no:cacheprovider --benchmark-only \
		--benchmark-json=benchmarks/results/middleware.json
	$(BIN)/python benchmarks/ratios.py benchmarks/results/middleware.json

# Load run (docs/load.md): DURATION=60s USERS=20 SPAWN_RATE=10 WORKERS=0 (N >= 2: master + N workers),
# DB_URL= / REDIS_URL= (default embedded), HOST=http://... (a running app; needs SVC_LOAD_TOKENS_FILE).
# Make exports command-line variables, and the runner reads them from its environment.
load: $(STAMP)
	$(BIN)/python -m load.runner $(if $(filter command line,$(origin HOST)),--host "$(HOST)")

# Cached document reads against the bare /health/live at saturation, in one run (load/capacity.py).
load-capacity: $(STAMP)
	$(BIN)/python -m load.runner --locustfile load/capacity.py --thresholds load/capacity_thresholds.toml \
		--name capacity $(if $(filter command line,$(origin USERS)),,--users 8)

lint: $(STAMP)
	$(BIN)/ruff check src reference_app tests benchmarks load
	$(BIN)/ruff format --check src reference_app tests benchmarks load
	$(BIN)/mypy src reference_app

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
