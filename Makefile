# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint chat clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,wechat]' --config-settings editable_mode=compat
	touch $(STAMP)

demo: $(STAMP)  ## play a scripted morning in a grid group through the whole pipeline
	$(BIN)/gridbot demo

chat: $(STAMP)  ## an interactive grid group in the terminal
	$(BIN)/gridbot chat

lint: $(STAMP)  ## ruff and strict mypy over the packages
	$(BIN)/ruff check bot classifiers storage adapters tests bench
	$(BIN)/mypy

test: $(STAMP) lint  ## lint, then the whole test suite
	$(BIN)/pytest

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
