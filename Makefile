# Conveniences over dev.py, which needs nothing but Python 3.11+.
PYTHON ?= python3

.PHONY: setup demo test bench
setup:
	$(PYTHON) dev.py setup
demo:
	$(PYTHON) dev.py demo
test:
	$(PYTHON) dev.py test
bench: setup
	.venv/bin/python bench/latency.py
