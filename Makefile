# The few commands a person types. `make run` and `make test` install what they need on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ATOMA := .venv-atoma/.installed
PY312 := $(shell ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.12*/bin 2>/dev/null | tail -1)
TENANT ?= demo
PORT ?= 3000

.PHONY: run test token lint build validate bench openapi events clean deps

$(STAMP): pyproject.toml package.json
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --quiet --upgrade pip
	@$(BIN)/pip install --quiet -e '.[dev]'
	@bash scripts/bootstrap.sh
	@touch $(STAMP)

# atoma-sdk (an e2e test client) pins pydantic below the layer's, so it gets its own virtualenv
$(ATOMA): tests/e2e/atoma/requirements.txt
	@test -x .venv-atoma/bin/python || $(PYTHON) -m venv .venv-atoma
	@.venv-atoma/bin/pip install --quiet -r tests/e2e/atoma/requirements.txt
	@touch $(ATOMA)

deps: $(STAMP) $(ATOMA)

run: $(STAMP) ## serve the API on http://127.0.0.1:3000 on embedded engines (SUI_RPC_URL=…: on a Sui GraphQL RPC)
	@$(BIN)/nodeplane-local run --port $(PORT) $(if $(SUI_RPC_URL),--sui-rpc-url $(SUI_RPC_URL))

token: $(STAMP) ## print a bearer token for TENANT (and nothing else)
	@$(BIN)/nodeplane-local token --tenant $(TENANT)

test: $(STAMP) $(ATOMA) ## the whole suite: unit, integration (moto + DynamoDB Local), e2e over HTTP
	@$(BIN)/python -m pytest -n 2 --dist loadgroup

lint: $(STAMP) ## ruff, mypy, the layering contracts (import-linter, in pyproject.toml), cfn-lint
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .
	@$(BIN)/mypy
	@$(BIN)/lint-imports --no-cache
	@$(BIN)/cfn-lint template.yaml

validate: $(STAMP) ## sam validate --lint (sam lives in its own venv: its pins clash with the app's)
	@test -x .venv-sam/bin/sam || ($(PYTHON) -m venv .venv-sam && .venv-sam/bin/pip install --quiet aws-sam-cli==1.170.0)
	@.venv-sam/bin/sam validate --lint

build: validate ## sam build; the layer targets python3.12, so pyenv's 3.12 goes on PATH
	@test -n "$(PY312)" || (echo "python3.12 not found under pyenv; install it to build" && exit 1)
	@PATH="$(PY312):$$PATH" .venv-sam/bin/sam build

bench: $(STAMP)
	@cd bench && for b in bench_*.py; do echo "== $$b"; ../$(BIN)/python $$b || exit 1; done

openapi: $(STAMP) ## write the merged OpenAPI document to docs/openapi.json
	@$(BIN)/python -m nodeplane_local openapi > docs/openapi.json

events: $(STAMP)
	@$(BIN)/python scripts/make_events.py

clean:
	rm -rf .aws-sam .nodeplane .pytest_cache .mypy_cache .ruff_cache .import_linter_cache .grimp_cache
