# `make demo` runs the flagship demo, `make test` the test suite; both create .venv on first use.
# `make test-min` runs the default suite again in .venv-min, on the oldest supported versions.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
VENV_MIN ?= .venv-min
PY_MIN := $(VENV_MIN)/bin/python
MIN_CONSTRAINTS := .ci/constraints-min.txt
OUT ?= out
PYTEST_ARGS ?=

.PHONY: install install-min demo test test-slow test-min bench clean

install: $(VENV)/.installed

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

# The floor versions, pinned exactly; the venv's own .gitignore keeps it out of `git status`.
install-min: $(VENV_MIN)/.installed

$(VENV_MIN)/.installed: setup.cfg pyproject.toml $(MIN_CONSTRAINTS)
	$(PYTHON) -m venv $(VENV_MIN)
	echo '*' > $(VENV_MIN)/.gitignore
	$(PY_MIN) -m pip install --quiet --upgrade pip
	$(PY_MIN) -m pip install --quiet -c $(MIN_CONSTRAINTS) -e '.[test]'
	touch $@

demo: install
	$(PY) -m examples.vanishing_gradients --out $(OUT)/vanishing_gradients

test: install
	$(PY) -m pytest -q -m "not slow" -n 2 $(PYTEST_ARGS)

# pytest exits 5 when no test is marked slow; that is not a failure.
test-slow: install
	$(PY) -m pytest -q -m slow $(PYTEST_ARGS); status=$$?; [ $$status -eq 5 ] || exit $$status

# With oneDNN off, too: no test may depend on how oneDNN's kernels round or propagate NaN.
test-min: install-min
	TF_ENABLE_ONEDNN_OPTS=0 $(PY_MIN) -m pytest -q -m "not slow" -n 2 $(PYTEST_ARGS)

# The diagnosis-accuracy benchmark runs its quick plan here (one seed, no XLA); the full plan,
# `python benchmarks/diagnosis_accuracy.py --seeds 5 --jit both`, takes half an hour on 2 cores.
bench: install
	for script in benchmarks/*.py; do \
	  case $$script in */diagnosis_accuracy.py) args=--quick;; *) args=;; esac; \
	  PYTHONPATH=. $(PY) $$script $$args || exit 1; \
	done

clean:
	rm -rf $(VENV) $(VENV_MIN) $(OUT) .pytest_cache .hypothesis
