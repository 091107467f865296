# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
export FLASK_APP := app.py

.PHONY: install translations run test clean extract-messages

install: $(VENV)/.installed translations

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

# Compiled catalogs are build output (not committed); every install makes them afresh.
translations: $(VENV)/.installed
	$(VENV)/bin/pybabel compile --use-fuzzy -d marketplace/translations -D messages >/dev/null

run: install
	$(VENV)/bin/flask db upgrade
	$(VENV)/bin/flask seed-demo
	$(VENV)/bin/flask analyze-db
	$(VENV)/bin/flask run --host 127.0.0.1 --port $${PORT:-5000}

test: install
	./scripts/test

extract-messages: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o marketplace/translations/messages.pot .
	$(VENV)/bin/pybabel update -i marketplace/translations/messages.pot -d marketplace/translations -D messages --no-fuzzy-matching

clean:
	rm -rf $(VENV) instance .pytest_cache
