# One entry point per task. Every target sets up what it needs (the .venv) first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install lint test crds demo clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,lint,demo]'
	touch $(STAMP)

lint: install
	$(BIN)/ruff check operator tests benchmarks
	$(BIN)/ruff format --check operator tests benchmarks
	$(BIN)/mypy

crds: install
	$(BIN)/modelops crds

test: install
	$(BIN)/modelops crds --check
	$(BIN)/pytest $(PYTEST_ARGS)

demo:
	@echo "make demo arrives with the local cluster and the continuous-training loop (issues 3 and 7)."
	@echo "Until then: make test runs everything that exists."
	@exit 1

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
