# Set-up is part of every target: a fresh clone needs only Python >= 3.11 and make.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench install clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed

demo: install
	$(BIN)/newsbot demo

test: install
	$(BIN)/python -m pytest tests bench/test_metrics.py

bench: install
	$(BIN)/python bench/quality.py

clean:
	rm -rf $(VENV) demo-output.jsonl .pytest_cache
