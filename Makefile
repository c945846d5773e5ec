# Every target does its own set-up: a fresh clone needs nothing else.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench lint golden readme clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/backcalc step

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

lint: $(STAMP)
	$(BIN)/ruff check backcalc tests benchmarks

# Regenerate the golden table output of every config; review the diff.
golden: $(STAMP)
	$(BIN)/python tests/make_golden.py

clean:
	rm -rf $(VENV) build *.egg-info

# Re-run every `$ backcalc …` block of the README and paste the real output.
readme: $(STAMP)
	$(BIN)/python tests/readme_blocks.py README.md
