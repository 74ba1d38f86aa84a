# bridge: `make demo` and `make test` create .venv when it is missing, install, and run.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ALL_PYTHONS ?= 3.10 3.11 3.12 3.13

.PHONY: demo test test-all lint types unit docs bench bench-quick clean

$(STAMP): pyproject.toml bridge/_cdefer.c
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) examples/poetry/demo.py

unit: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(VENV)/bin/ruff check bridge tests examples benchmarks
	$(VENV)/bin/ruff format --check bridge

types: $(STAMP)
	$(VENV)/bin/mypy --strict bridge

test: unit lint types docs

# Every supported Python, each in its own venv (.venv-3.10 ...), found through pyenv.
test-all:
	@set -e; for v in $(ALL_PYTHONS); do \
	  py=$$(PYENV_VERSION=$$(pyenv versions --bare | grep -E "^$$v(\.|$$)" | tail -1) pyenv which python3 2>/dev/null || command -v python$$v); \
	  echo "=== Python $$v ($$py)"; \
	  test -x .venv-$$v/bin/python || $$py -m venv .venv-$$v; \
	  .venv-$$v/bin/python -m pip install -q --upgrade pip; \
	  .venv-$$v/bin/python -m pip install -q -e '.[test]'; \
	  .venv-$$v/bin/python -m pytest -q -p no:cacheprovider; \
	done

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict -q

bench: $(STAMP)
	$(PY) benchmarks/run.py

bench-quick: $(STAMP)
	$(PY) benchmarks/run.py --quick

clean:
	rm -rf $(VENV) .venv-* build dist *.egg-info site .mypy_cache .ruff_cache .pytest_cache
