# creditline: `make demo` and `make test` are the whole Quick start.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench-accuracy bench-speed clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

SITE := $$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')

# Scan the venv's own site-packages (real files of real packages; the license database's own
# 37,000 rule texts are left out) and show the summary, then explain two licenses found there.
demo: $(STAMP)
	$(BIN)/creditline scan --summary-only --format table --jobs 2 --exclude 'licensedcode/' $(SITE)
	$(BIN)/creditline explain --format table "MIT OR GPL-2.0-or-later"

test: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

bench-accuracy: $(STAMP)
	$(BIN)/python bench/scan_accuracy.py

bench-speed: $(STAMP)
	$(BIN)/python bench/scan_speed.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
