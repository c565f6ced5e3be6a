# creditline: `make demo` and `make test` are the whole Quick start.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench-accuracy bench-speed bench-trace bench-trace-scale bench-trace-speed bench-audit-speed bench-irplag clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

# setup.py builds the C extension (src/creditline/core/_ctokens.c): a changed source reinstalls
$(STAMP): $(BIN)/python pyproject.toml setup.py src/creditline/core/_ctokens.c
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

SITE := $$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
STDLIB := $$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')

# Scan the venv's own site-packages (real files of real packages; the license database's own
# 37,000 rule texts are left out) and show the summary, then explain two licenses found there.
demo: $(STAMP)
	$(BIN)/creditline scan --summary-only --format table --jobs 2 --exclude 'licensedcode/' $(SITE)
	$(BIN)/creditline explain --format table "MIT OR GPL-2.0-or-later"
	@echo "--- index real works (Debian's license texts, some of Python's stdlib) and trace a sample output that copies from them"
	rm -rf .creditline-demo
	$(BIN)/creditline index --format table --catalog .creditline-demo /usr/share/common-licenses \
		$(STDLIB)/textwrap.py $(STDLIB)/shlex.py $(STDLIB)/fnmatch.py $(STDLIB)/glob.py $(STDLIB)/tarfile.py
	$(BIN)/python examples/make_sample_output.py .creditline-demo
	$(BIN)/creditline trace --format table --catalog .creditline-demo .creditline-demo/answer.md .creditline-demo/helper.py
	@echo "--- audit a dataset of real files (The Stack's layout), keep what a commercial policy allows, credit the rest"
	$(BIN)/python examples/make_sample_dataset.py .creditline-demo/dataset.parquet
	$(BIN)/creditline audit --format table --policy commercial --html .creditline-demo/audit.html .creditline-demo/dataset.parquet
	$(BIN)/creditline filter --format table --policy commercial -o .creditline-demo/kept.parquet .creditline-demo/dataset.parquet
	$(BIN)/creditline notice .creditline-demo/kept.parquet -o .creditline-demo/NOTICE.md --spdx .creditline-demo/kept.spdx.json \
		--cyclonedx .creditline-demo/kept.cdx.json --card .creditline-demo/CARD.md
	head -n 24 .creditline-demo/NOTICE.md
	@echo "(the HTML report is .creditline-demo/audit.html; the exports are in .creditline-demo/)"

test: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

bench-accuracy: $(STAMP)
	$(BIN)/python bench/scan_accuracy.py

bench-speed: $(STAMP)
	$(BIN)/python bench/scan_speed.py

bench-trace: $(STAMP)
	$(BIN)/python bench/trace_accuracy.py

bench-trace-scale: $(STAMP)
	$(BIN)/python bench/trace_accuracy.py --corpus-files 7670

bench-trace-speed: $(STAMP)
	$(BIN)/python bench/trace_speed.py --wait-idle 120

bench-audit-speed: $(STAMP)
	$(BIN)/python bench/audit_speed.py --wait-idle 120

bench-irplag: $(STAMP)
	$(BIN)/python bench/irplag.py --peers

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info src/creditline/core/*.so
