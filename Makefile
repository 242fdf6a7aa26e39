# Easel — the two commands: `make run` and `make test`. Each installs what it needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.run-installed

.PHONY: run test install clean web

# `make test` installs everything (tests, infra tooling); `make run` only what it runs
# (requirements-local.txt: the Lambda code, Chalice's local gateway, moto) — no CDK.
$(STAMP): requirements.txt requirements-local.txt requirements-dev.txt requirements-infra.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP) $(RUN_STAMP)

$(RUN_STAMP): requirements.txt requirements-local.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements-local.txt
	@touch $(RUN_STAMP)

install: $(STAMP)

run: $(RUN_STAMP)
	$(PY) -m local.webbuild
	$(PY) -m local.platform

# The suite runs on every core (pytest-xdist; one test file stays on one worker, each worker
# with its own moto endpoint). TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= auto
test: $(STAMP)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# The web app alone (npm ci when the lockfile changed, vite build when a source changed).
web: $(RUN_STAMP)
	$(PY) -m local.webbuild

clean:
	rm -rf $(VENV) .pytest_cache .local web/node_modules web/dist

# -- identity operations on the running local platform (`make run` in another terminal) ------
.PHONY: grant revoke rotate-keys

grant: $(STAMP)
	$(PY) -m local.admin grant --handle "$(handle)" --group "$(group)"

revoke: $(STAMP)
	$(PY) -m local.admin revoke --handle "$(handle)" --group "$(group)"

rotate-keys: $(STAMP)
	$(PY) -m local.admin rotate-keys

# -- infra (issue 7): offline synth, layers, deploy. See docs/deploy.md. ---------------------
.PHONY: infra-install synth layers deploy deploy-web smoke
INFRA_STAMP := $(VENV)/.infra-installed
CDK_CLI_VERSION ?= 2.1148.1
STAGE ?= dev

$(INFRA_STAMP): $(STAMP) requirements-infra.txt
	$(PY) -m pip install --quiet -r requirements-infra.txt
	@touch $(INFRA_STAMP)

infra-install: $(INFRA_STAMP)

synth: $(INFRA_STAMP)
	$(PY) -m infra.synth

layers: $(INFRA_STAMP)
	$(PY) -m infra.layers build

deploy: $(INFRA_STAMP) layers
	npx --yes aws-cdk@$(CDK_CLI_VERSION) deploy --app "$(CURDIR)/$(PY) -m infra.app" \
	  --output "$(CURDIR)/infra/out/cdk.out" -c stage=$(STAGE) --require-approval never

# The web app's build to the stage's bucket behind CloudFront (after `make deploy`).
deploy-web: $(INFRA_STAMP)
	$(PY) -m local.webbuild
	$(PY) -m infra.deploy_web --stage $(STAGE)

smoke: $(INFRA_STAMP)
	$(PY) -m infra.smoke --stage $(STAGE)

# Cost control: the founders' month-to-date report against the running `make run` platform.
.PHONY: costs bench-costs
costs: $(STAMP)
	$(PY) -m local.costs_cli $(COSTS_ARGS)

# The cost model benchmark (own platform on free ports; docs/costs.md). BENCH_ARGS=--small for a quick run.
bench-costs: $(STAMP)
	$(PY) bench/bench_costs.py $(BENCH_ARGS)

# API cold start: app.py's import time against a bare Chalice app, as a ratio (target <= 1.3).
.PHONY: bench-cold-start
bench-cold-start: $(STAMP)
	$(PY) bench/bench_cold_start.py $(BENCH_ARGS)
