# Every target sets itself up: `make test` on a fresh clone creates .venv with the pinned azure-cli.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum requirements-dev.txt | cut -c1-12)

.PHONY: venv test unit e2e lint demo bench fuzz wheel clean

venv: $(STAMP)

$(STAMP): requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $@

test: venv            ## all tests: unit, emulator service, end-to-end through the real az
	$(PY) -m pytest tests

unit: venv
	$(PY) -m pytest tests/unit tests/emulator_service

e2e: venv
	$(PY) -m pytest tests/e2e

lint: venv
	$(PY) -m flake8 azext_podidentity tests demo bench setup.py
	$(PY) -m pylint --rcfile=pylintrc azext_podidentity

wheel: venv
	rm -rf dist && $(PY) -m pip wheel --no-deps --no-build-isolation -q -w dist .

demo: venv            ## the how-to's walkthrough against the bundled emulator
	$(PY) demo/run.py

bench: venv           ## speed and request counts, as ratios against core az in the same run
	$(PY) bench/run.py

fuzz: venv            ## property tests with 5,000 examples each
	HYPOTHESIS_PROFILE=fuzz $(PY) -m pytest tests/unit -q --hypothesis-show-statistics

clean:
	rm -rf build dist *.egg-info .pytest_cache .hypothesis
