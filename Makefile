# `make demo` runs the flagship demo, `make test` the test suite; both create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
OUT ?= out
PYTEST_ARGS ?=

.PHONY: install demo test test-slow bench clean

install: $(VENV)/.installed

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

demo: install
	$(PY) -m examples.vanishing_gradients --out $(OUT)/vanishing_gradients

test: install
	$(PY) -m pytest -q -m "not slow" -n 2 $(PYTEST_ARGS)

# pytest exits 5 when no test is marked slow; that is not a failure.
test-slow: install
	$(PY) -m pytest -q -m slow $(PYTEST_ARGS); status=$$?; [ $$status -eq 5 ] || exit $$status

bench: install
	for script in benchmarks/*.py; do PYTHONPATH=. $(PY) $$script || exit 1; done

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .hypothesis
