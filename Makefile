# One entry point per task. Every target sets up what it needs (the .venv) first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install lint test crds demo manifests reliability clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[runtime,boosting,test,lint,demo,build]'
	touch $(STAMP)

lint: install
	$(BIN)/ruff check operator tests benchmarks tools
	$(BIN)/ruff format --check operator tests benchmarks tools
	$(BIN)/mypy
	$(BIN)/mypy --strict tools
	$(BIN)/lint-imports

crds: install
	$(BIN)/modelops crds

test: install
	$(BIN)/modelops crds --check
	$(BIN)/pytest $(PYTEST_ARGS)

demo: install
	$(BIN)/modelops demo --state-dir .state/demo

reliability: install
	$(BIN)/python benchmarks/reliability.py

manifests: install
	$(BIN)/python -m tools.dashboard
	$(BIN)/python -m tools.argocd_cm
	$(BIN)/python -m tools.manifests

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
