# The few commands a person types. `make run` and `make test` install what they need on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ATOMA := .venv-atoma/.installed
EXLS := .venv-exls/.installed
SAM := .venv-sam/.installed
PY312 := $(shell ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.12*/bin 2>/dev/null | tail -1)
TENANT ?= demo
PORT ?= 3000

.PHONY: run test token lint build validate bench openapi events observability clean deps

# Each install step says what it does; pip's own output goes to a log, shown only when a step fails.
QUIET_PIP = > $(@D)/pip.log 2>&1 || (cat $(@D)/pip.log; echo "make: pip failed (log: $(@D)/pip.log)"; exit 1)

$(STAMP): pyproject.toml package.json
	@echo "make: [1/3] .venv: nodeplane and its pinned packages ($(PYTHON); about a minute on a fresh machine)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --quiet --upgrade pip $(QUIET_PIP)
	@$(BIN)/pip install --quiet -e '.[dev]' $(QUIET_PIP)
	@echo "make: [2/3] system packages and the local engines (Java, DynamoDB Local, Swagger UI), where missing"
	@bash scripts/bootstrap.sh
	@echo "make: [3/3] ready"
	@touch $(STAMP)

# atoma-sdk (an e2e test client) pins pydantic below the layer's, so it gets its own virtualenv
$(ATOMA): tests/e2e/atoma/requirements.txt
	@echo "make: .venv-atoma: the published atoma-sdk 0.1.3 for the end-to-end tests"
	@test -x .venv-atoma/bin/python || $(PYTHON) -m venv .venv-atoma
	@.venv-atoma/bin/pip install --quiet -r tests/e2e/atoma/requirements.txt $(QUIET_PIP)
	@touch $(ATOMA)

# the exls CLI (exalsius 0.6.0, Python >= 3.12) for its end-to-end test; `nodeplane-local token --exls` logs it in
$(EXLS): tests/e2e/exls/requirements.txt
	@test -n "$(PY312)" || (echo "python3.12 not found under pyenv; exls 0.6.0 needs it" && exit 1)
	@echo "make: .venv-exls: the published exls 0.6.0 CLI (Python 3.12) for the end-to-end tests"
	@test -x .venv-exls/bin/python || $(PY312)/python3 -m venv .venv-exls
	@.venv-exls/bin/pip install --quiet -r tests/e2e/exls/requirements.txt $(QUIET_PIP)
	@touch $(EXLS)

# the SAM CLI (and the SAM translator it pins, which the deployment smoke test runs) pins pydantic above the layer's
$(SAM):
	@echo "make: .venv-sam: AWS SAM CLI 1.170.0 and its translator (a minute or two, once)"
	@test -x .venv-sam/bin/python || $(PYTHON) -m venv .venv-sam
	@.venv-sam/bin/pip install --quiet aws-sam-cli==1.170.0 aws-sam-translator==1.115.0 $(QUIET_PIP)
	@touch $(SAM)

deps: $(STAMP) $(ATOMA) $(EXLS) $(SAM)

run: $(STAMP) ## serve the API on http://127.0.0.1:3000 on embedded engines (SUI_RPC_URL=…: on a Sui GraphQL RPC)
	@$(BIN)/nodeplane-local run --port $(PORT) $(if $(SUI_RPC_URL),--sui-rpc-url $(SUI_RPC_URL))

token: $(STAMP) ## print a bearer token for TENANT (and nothing else)
	@$(BIN)/nodeplane-local token --tenant $(TENANT) --port $(PORT)

test: $(STAMP) $(ATOMA) $(EXLS) $(SAM) ## the whole suite: unit, integration (moto + DynamoDB Local), e2e over HTTP
	@$(BIN)/python -m pytest -n 2 --dist loadgroup

lint: $(STAMP) ## ruff, mypy, the layering contracts (import-linter, in pyproject.toml), cfn-lint
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .
	@$(BIN)/mypy
	@$(BIN)/lint-imports --no-cache
	@$(BIN)/cfn-lint template.yaml

validate: $(STAMP) $(SAM) ## sam validate --lint (sam lives in its own venv: its pins clash with the app's)
	@.venv-sam/bin/sam validate --lint

build: validate ## sam build; the layer targets python3.12, so pyenv's 3.12 goes on PATH
	@test -n "$(PY312)" || (echo "python3.12 not found under pyenv; install it to build" && exit 1)
	@# functions have no requirements.txt of their own (the layer carries the dependencies): drop SAM's two lines for each
	@set -o pipefail; PATH="$(PY312):$$PATH" .venv-sam/bin/sam build 2>&1 | grep -v -e "requirements.txt file not found" -e "Running PythonPipBuilder:CopySource"

bench: $(STAMP) ## every benchmark, quick (a few minutes); BENCH=full for the long runs the targets are judged on
	@$(BIN)/python bench/run.py $(if $(filter full,$(BENCH)),--full)

openapi: $(STAMP) ## write the merged OpenAPI document to docs/openapi.json
	@$(BIN)/python -m nodeplane_local openapi > docs/openapi.json

events: $(STAMP)
	@$(BIN)/python scripts/make_events.py

observability: $(STAMP) ## rewrite template.yaml's generated alarms and dashboard (after adding a function or queue)
	@$(BIN)/python scripts/make_observability.py

clean:
	rm -rf .aws-sam .nodeplane .pytest_cache .mypy_cache .ruff_cache .import_linter_cache .grimp_cache
