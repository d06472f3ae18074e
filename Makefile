# Remedy Shop — the commands of README.md.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask --app shop
STAMP  := $(VENV)/.installed

.PHONY: install run test lint bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	FLASK_DEBUG=1 $(FLASK) db upgrade
	FLASK_DEBUG=1 $(FLASK) seed-demo
	@echo
	@echo "  Remedy Shop is starting on http://127.0.0.1:5000"
	@echo "  Try http://127.0.0.1:5000/articles/muscle-spasm-in-back"
	@echo
	SHOP_PAYMENTS_SANDBOX=1 $(PY) -m shop.devserver

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check shop tests bench
	$(VENV)/bin/ruff format --check shop tests bench

bench: install
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache instance/shop.sqlite3*
