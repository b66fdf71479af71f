# Set-up is part of every target: a fresh clone needs only Python >= 3.11 and make.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# test-min: a second venv with every declared dependency at its lower bound (pyproject.toml)
MIN_VENV := .venv-min
MIN_BIN := $(MIN_VENV)/bin
SUITE := tests bench/test_metrics.py
LINT_PATHS := newsbot

.PHONY: demo test test-min lint bench profile install clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,lint]'
	touch $@

install: $(BIN)/.installed

demo: install
	$(BIN)/newsbot demo

test: install
	$(BIN)/python -m pytest $(SUITE)

# The same suite on the oldest versions pyproject.toml allows: each `name>=X` of
# [project] dependencies and of the test extra installed as `name==X`
# (.ci/min-constraints.py); what those leave open (Scrapy's own dependencies) resolves
# as usual. The venv is made anew whenever pyproject.toml changes.
$(MIN_BIN)/.installed: pyproject.toml .ci/min-constraints.py
	rm -rf $(MIN_VENV)
	$(PYTHON) -m venv $(MIN_VENV)
	$(MIN_BIN)/python -m pip install --quiet --upgrade pip
	$(MIN_BIN)/python .ci/min-constraints.py test > $(MIN_VENV)/constraints.txt
	$(MIN_BIN)/python -m pip install --quiet -c $(MIN_VENV)/constraints.txt -e '.[test]'
	$(MIN_BIN)/python -m pip check
	touch $@

test-min: $(MIN_BIN)/.installed
	@echo "test-min: pinned to the lower bounds:"; grep -v '^#' $(MIN_VENV)/constraints.txt | paste -sd' '
	@echo "test-min: resolved:"; $(MIN_BIN)/python -m pip freeze --exclude-editable | paste -sd' '
	$(MIN_BIN)/python -m pytest $(SUITE)

# ruff and mypy come with the lint extra; every check runs, and any finding fails the target.
lint: install
	@status=0; \
	$(BIN)/ruff check $(LINT_PATHS) || status=1; \
	$(BIN)/ruff format --check $(LINT_PATHS) || status=1; \
	$(BIN)/mypy $(LINT_PATHS) || status=1; \
	exit $$status

bench: install
	$(BIN)/python bench/quality.py

# py-spy profile summaries of extract_article and of trafilatura.extract over the benchmark
# pages (bench/profile.py), written to bench/profiles/.
profile: install
	$(BIN)/python -m pip install --quiet -e '.[profile]'
	$(BIN)/python bench/profile.py --target newsbot --out bench/profiles/newsbot.txt
	$(BIN)/python bench/profile.py --target trafilatura --out bench/profiles/trafilatura.txt

clean:
	rm -rf $(VENV) $(MIN_VENV) demo-output.jsonl demo-output.jsonl.stats.json .pytest_cache .mypy_cache .ruff_cache
