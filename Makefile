# Every target does its own set-up: a fresh clone needs nothing else.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# A plain .pth line instead of setuptools' import-hook finder, which imports pathlib and re
# inside `site`: ~25 ms off every start-up of the venv's Python (docs/performance.md).
EDITABLE := --config-settings editable_mode=compat
# An editable install compiles nothing, and with PYTHONDONTWRITEBYTECODE=1 (set on our machines)
# Python never caches what it compiles: every run would compile backcalc's ~5,000 lines again
# (~50 ms). compileall writes the .pyc files as a regular install does; it skips what is current.
COMPILE := $(BIN)/python -m compileall -q backcalc

.PHONY: run test test-floors bench lint golden readme schema clean dump

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,plot]' $(EDITABLE)
	$(COMPILE)
	touch $(STAMP)

run: $(STAMP)
	@$(COMPILE)
	$(BIN)/backcalc step

# WITH_TORCH=1 also installs PyTorch's CPU build (torch==2.13.0, a local file on our
# machines; never a plain `torch`, which pulls CUDA) so the optional cross-checks run.
test: $(STAMP)
ifeq ($(WITH_TORCH),1)
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install --quiet --disable-pip-version-check torch==2.13.0 \
		|| echo "torch==2.13.0 is not installable here; the PyTorch cross-checks will be skipped"
endif
	@# the notebook test's kernel (tests/api/test_notebook.py; skipped without them): ~10 s to install
	@$(BIN)/python -c "import nbclient, nbformat, ipykernel" 2>/dev/null || $(BIN)/python -m pip install --quiet \
		--disable-pip-version-check nbclient nbformat ipykernel || echo "nbclient is not installable here; the notebook test will be skipped"
	@# the page tests' browser (tests/html; skipped without it): headless Chromium, its driver and selenium
	@command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && \
		command -v apt-get >/dev/null 2>&1 && timeout 600 apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1; } \
		|| echo "Chromium is not installable here (as root: apt-get install -y chromium chromium-driver); the browser tests will be skipped"
	@$(BIN)/python -c "import selenium" 2>/dev/null || $(BIN)/python -m pip install --quiet --disable-pip-version-check \
		selenium || echo "selenium is not installable here; the browser tests will be skipped"
	@$(BIN)/python -c "from importlib.metadata import version as v; \
		print('newest:', ', '.join(f'{p} {v(p)}' for p in ('numpy', 'pyyaml', 'rich', 'typer')))"
	$(BIN)/python -m pytest

# The same suite on the lowest versions pyproject.toml allows (constraints/floors.txt), in a venv
# of its own; .ci/run runs it after `make test`, which resolves the newest.
FLOORS := .venv-floors
$(FLOORS)/.installed: pyproject.toml constraints/floors.txt
	rm -rf $(FLOORS)
	$(PYTHON) -m venv $(FLOORS)
	$(FLOORS)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(FLOORS)/bin/python -m pip install --quiet --disable-pip-version-check -c constraints/floors.txt -e '.[test,plot]' $(EDITABLE)
	touch $@

test-floors: $(FLOORS)/.installed
	@$(FLOORS)/bin/python -c "from importlib.metadata import version as v; \
		print('floors:', ', '.join(f'{p} {v(p)}' for p in ('numpy', 'pyyaml', 'rich', 'typer')))"
	$(FLOORS)/bin/python -m pytest

# ONLY=startup|fasttrain|tables|check measures that part alone and rewrites only its section of benchmarks/RESULTS.md.
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py $(if $(ONLY),--only $(ONLY))

lint: $(STAMP)
	$(BIN)/ruff check backcalc tests benchmarks tools

# Regenerate the golden table output of every config; review the diff.
golden: $(STAMP)
	$(BIN)/python tools/make_golden.py

# Regenerate the JSON Schema of a spec and the generated tables of docs/spec.md.
schema: $(STAMP)
	$(BIN)/backcalc schema > schema/backcalc.schema.json
	$(BIN)/python tools/make_spec_doc.py

clean:
	rm -rf $(VENV) $(FLOORS) build *.egg-info

# Re-run every `$ backcalc …` block of the README (and the docs that have them) and paste the real output.
readme: $(STAMP)
	$(BIN)/python tools/readme_blocks.py README.md docs/everyday.md docs/examples.md docs/circuits.md docs/solutions.md docs/optimizers.md docs/errors.md docs/layers.md

# Dump the output of every command on every config and on random specs into OUT (default dumps/,
# which git ignores), to compare before and after a refactor: docs/safety-net.md.
OUT ?= dumps
dump: $(STAMP)
	$(BIN)/python tools/dump_outputs.py $(OUT)
