# Bellwether: the targets a newcomer can guess. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PY_SYSTEM ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
SRC_DIRS := shared/src services/ingest/src services/health/src services/renewals/src services/notifications/src services/accounts/src
STAMP := $(VENV)/.installed-$(shell cat requirements.lock 2>/dev/null | sha1sum | cut -c1-12)

.PHONY: help deps infra-up infra-down migrate up down run demo report status test test-unit lint fmt bench chaos observe lock clean containers kube

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

$(STAMP): requirements.lock
	@command -v $(PY_SYSTEM) >/dev/null || { echo "error: $(PY_SYSTEM) not found (Bellwether needs Python 3.11)"; exit 1; }
	@test -x $(PY) || $(PY_SYSTEM) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check uv
	@$(VENV)/bin/uv pip install -q --python $(PY) -r requirements.lock
	@printf '%s\n' $(addprefix $(CURDIR)/,$(SRC_DIRS)) $(CURDIR) > $$($(PY) -c 'import sysconfig;print(sysconfig.get_path("purelib"))')/bellwether.pth
	@rm -f $(VENV)/.installed-* && touch $@

deps: $(STAMP) ## install what is missing: Python packages, Kafka jars (Maven Central), PostgreSQL (Debian)
	@$(PY_SYSTEM) infra/localinfra.py fetch

infra-up: deps ## start Kafka (KRaft) and PostgreSQL on loopback (idempotent)
	@$(PY_SYSTEM) infra/localinfra.py up >/dev/null

infra-down: ## stop Kafka and PostgreSQL
	@$(PY_SYSTEM) infra/localinfra.py down

migrate: infra-up ## create topics and apply every service's migrations (one-shot)
	@$(PY) -m tools.devstack migrate

up: migrate ## start infrastructure and every service in the background; returns once all are ready
	@$(PY) -m tools.devstack up

down: ## stop every service and the infrastructure
	@-$(PY) -m tools.devstack down 2>/dev/null || true
	@$(PY_SYSTEM) infra/localinfra.py down

report: ## the executive report of a quarter as HTML: make report PERIOD=2026-Q4 OUT=report.html
	@$(PY) -m tools.devstack report $(if $(PERIOD),--period $(PERIOD)) --out $(or $(OUT),report.html)

run: up ## everything up, then a short stream of realistic demo traffic; prints where to look
	@$(PY) -m tools.devstack demo

observe: deps ## optional: a local Prometheus on 127.0.0.1:9090 scraping the services of make up, alerts loaded
	@$(PY) -m tools.devstack monitoring observe

status: ## what is running
	@$(PY) -m tools.devstack status

test: deps ## the whole test suite against real Kafka and PostgreSQL (started as needed)
	@$(PY) -m pytest $(PYTEST_ARGS)

test-unit: deps ## only the tests that need no infrastructure
	@$(PY) -m pytest -m "not integration" $(PYTEST_ARGS)

lint: deps ## ruff, mypy, the skeleton's contract and the size limits
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check . || { echo "run: make fmt"; exit 1; }
	@$(VENV)/bin/mypy shared/src services tests conftest.py tools bench devkit
	@$(PY) -m tools.checks.skeleton
	@$(PY) -m tools.checks.sizes

fmt: deps ## format and auto-fix
	@$(VENV)/bin/ruff format .
	@$(VENV)/bin/ruff check --fix .

containers: infra-up ## images built from the Dockerfile on a local Debian base (podman, mmdebstrap) and started: /livez and /readyz; docker-compose.yml brought up (podman-compose) with a short demo
	@command -v podman >/dev/null && command -v mmdebstrap >/dev/null || { [ "$$(id -u)" = 0 ] \
	  && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends podman buildah runc mmdebstrap >/dev/null; }
	@$(PY) -m tools.devstack containers base
	@$(PY) -m tools.devstack containers build $(CONTAINERS_ARGS)
	@$(PY) -m tools.devstack containers smoke
	@$(PY) -m tools.devstack compose check

kube: deps ## both overlays on a real Kubernetes API server, the dev overlay's pods on a kubelet (built here once; Debian's etcd and containerd; the images of make containers)
	@command -v etcd >/dev/null && command -v containerd >/dev/null && [ -x /usr/lib/cni/loopback ] \
	  || { [ "$$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	  etcd-server containerd containernetworking-plugins >/dev/null; }
	@$(PY) -m tools.devstack kube check

bench: deps ## benchmarks; figures to bench/results.json
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null 2>&1; } \
	  || echo "wrk not installed: the benchmark falls back to its Python load generator"
	@$(PY) -m bench.run $(BENCH_ARGS)

chaos: deps ## fault suite (not in make test): 1M events through ingest → health under kill -9 / broker pause / PG crash; figures to bench/results.json
	@$(PY) -m bench.chaos $(CHAOS_ARGS)

lock: ## re-resolve requirements.lock from pyproject.toml
	@$(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock
	@$(VENV)/bin/uv pip compile pyproject.toml --python-version 3.11 -o requirements-runtime.lock

clean: down ## stop everything and delete local state (.local: data, jars, logs)
	rm -rf .local
