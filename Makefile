# repub: `make demo` and `make test` are all a fresh machine needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint eval bench bench-web bench-warc clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

test: $(STAMP)
	$(BIN)/ruff check src tests migrations scripts bench
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests migrations scripts bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache .ruff_cache

# Extraction quality beside the peers, each in one run: bodies on ../shared/bench/extraction (Zyte,
# 181 pages); authors, publication days and body snippets on ../shared/bench/metadata (1,294 pages);
# copies traced to their originals on 401 labelled real pages (bench/provenance.json); copies found by
# their text alone, built from the sets' real bodies (bench/eval_reuse.py).
eval: $(STAMP)
	$(BIN)/python bench/eval_extraction.py --only trafilatura,trafilatura-metadata,repub-generic,repub-body --repeat 3
	$(BIN)/python bench/eval_metadata.py --fields authors,dates
	$(BIN)/python bench/eval_provenance.py --write
	$(BIN)/python bench/eval_reuse.py --write

# End-to-end benchmarks (extraction, import, resync, growth) beside trafilatura and Scrapy given the same
# cores; writes bench/results/<date>.md (~10 minutes after eval on a quiet 2-core machine).
# BENCH_ARGS e.g. "--articles 500 --growth 1000,10000,100000" (defaults: 200 + 1000 articles, 1k/10k,
# 5 and 3 runs).
# The peers (Scrapy) come from the `bench` optional dependencies, installed here, not by `make install`.
# Then text reuse at 10k/100k/1M stored fingerprints and its cost to import and ingest
# (bench/reuse_bench.py: <date>-reuse-scale.md, ~6 minutes).
BENCH_ARGS ?=
BENCH_STAMP := $(VENV)/.installed-bench

$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP) eval
	$(BIN)/python bench/run_bench.py $(BENCH_ARGS)
	$(BIN)/python bench/reuse_bench.py --write
	$(MAKE) bench-web
	$(MAKE) bench-warc

# `repub serve` at 100k stored articles: search and page times over HTTP, the export rate, the index's
# cost to import and ingest (bench/web_bench.py; the database, 7,000 articles saved and copied in SQL
# to 100k, is built on first use in $(TMPDIR)/repub-web-bench and kept: ~2 minutes; the run ~15 minutes on
# a quiet 2-core machine, most of it the index's write-path rounds, then the end-to-end import and ingest).
bench-web: $(STAMP)
	$(BIN)/python bench/web_bench.py --runs 3

# WARC import beside the same pages fetched and trafilatura over the same records, and its memory at 1k
# and 10k records (docs/warc.md); writes bench/results/warc-<date>.md (~20 minutes on a busy 2-core machine).
WARC_BENCH_ARGS ?= --articles 500 --runs 3 --memory 1000,10000
bench-warc: $(BENCH_STAMP)
	$(BIN)/python bench/warc_bench.py $(WARC_BENCH_ARGS)
