# Every target sets up what it needs: the system packages (Graphviz lays out the journey map and the
# process models; the tests open report.html in Debian's Chromium), then a virtual environment with
# the project installed (editable).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
READY  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup system-packages demo test dagster clean

setup: system-packages $(READY)

SYSTEM_PACKAGES := $(if $(shell command -v dot),,graphviz) $(if $(wildcard /usr/bin/chromium),,chromium)

system-packages:
	@$(if $(strip $(SYSTEM_PACKAGES)),$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $(SYSTEM_PACKAGES))

$(READY): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Python >= 3.11 is needed, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(READY)

demo: setup
	$(BIN)/journeys demo

test: setup
	$(BIN)/python -m pytest

dagster: setup
	mkdir -p journeys_out/dagster_home
	cp -n pipelines/dagster.yaml journeys_out/dagster_home/dagster.yaml 2>/dev/null || true
	DAGSTER_HOME=$(CURDIR)/journeys_out/dagster_home JOURNEYS_DB=$${JOURNEYS_DB:-$(CURDIR)/journeys_out/journeys.duckdb} \
		$(BIN)/dagster dev -m pipelines.definitions

clean:
	rm -rf journeys_out .pytest_cache
