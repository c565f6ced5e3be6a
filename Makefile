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

# Scan the venv's own site-packages (real files from real packages) and show the summary.
demo: $(STAMP)
	$(BIN)/creditline scan --summary-only $$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')

test: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

bench-accuracy: $(STAMP)
	$(BIN)/python bench/scan_accuracy.py

bench-speed: $(STAMP)
	$(BIN)/python bench/scan_speed.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
