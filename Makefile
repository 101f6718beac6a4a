# Every target sets up what it needs: the system packages (Graphviz lays out the journey map and the
# process models; the tests open report.html in Debian's Chromium and run the Spark engine on Java), then a
# virtual environment with the project installed (editable).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
READY  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup system-packages demo test docs dagster bench clean

setup: system-packages $(READY)

SYSTEM_PACKAGES := $(if $(shell command -v dot),,graphviz) $(if $(wildcard /usr/bin/chromium),,chromium) \
	$(if $(shell command -v java),,default-jre-headless)

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

# The user documentation as a static site in site/ (open site/index.html); --strict fails on a broken link.
docs: setup
	$(BIN)/python -m mkdocs build --strict --site-dir site

# Timings of every stage of the nightly job (docs/performance.md), e.g. make bench BENCH_EVENTS=1M
# (the incremental night only at BENCH_NIGHTS: at 100M its base is a second full run), on each shape of
# generated data in BENCH_SHAPES (the sample company's; a web shop's clickstream with many variants);
# then how often the twin's intervals hold a known chain's figures (benchmarks/twin.py), then the Spark engine
# beside DuckDB on local[2] at BENCH_SPARK_EVENTS (benchmarks/spark.py)
BENCH_EVENTS ?= 1M,10M,100M
BENCH_SPARK_EVENTS ?= 1M,10M
BENCH_NIGHTS ?= 1M,10M
BENCH_SHAPES ?= default,many-variants
BENCH_DOC    ?= docs/performance.md
bench: setup
	$(BIN)/python benchmarks/nightly.py --events $(BENCH_EVENTS) --nights $(BENCH_NIGHTS) --shapes $(BENCH_SHAPES) \
		--doc $(BENCH_DOC)
	$(BIN)/python benchmarks/twin.py --seeds 100 --doc $(BENCH_DOC)
	$(BIN)/python benchmarks/spark.py --events $(BENCH_SPARK_EVENTS) --doc $(BENCH_DOC)

# The README's picture: the findings, the journey grid and the map of the demo's purchase journey in headless
# Chromium (run `make demo` first).
CHROMIUM_FLAGS := --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
	--disable-component-update --disable-sync --hide-scrollbars
docs/journey-map.png: journeys_out/purchase/report.html
	chromium $(CHROMIUM_FLAGS) --user-data-dir=$$(mktemp -d) --window-size=1400,1960 --screenshot=$(CURDIR)/$@ \
		file://$(CURDIR)/$< 2>/dev/null

dagster: setup
	mkdir -p journeys_out/dagster_home
	cp -n pipelines/dagster.yaml journeys_out/dagster_home/dagster.yaml 2>/dev/null || true
	DAGSTER_HOME=$(CURDIR)/journeys_out/dagster_home JOURNEYS_DB=$${JOURNEYS_DB:-$(CURDIR)/journeys_out/journeys.duckdb} \
		$(BIN)/dagster dev -m pipelines.definitions

clean:
	rm -rf journeys_out .pytest_cache site
