# Every target sets itself up: `make test` on a fresh clone creates .venv with the pinned azure-cli.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements-dev.txt requirements-test.txt | sha1sum | cut -c1-12)
# The supported range is 2.70.0 (azext.minCliCoreVersion) to the pinned 2.91.0. `make compat` runs the unit and
# end-to-end tests on the lowest release and on 2.80.0, the last one with msrest-style SDK models and the
# single-API layout; `make test` covers 2.91.0. Each release gets its own venv, built here.
COMPAT_RELEASES := 2.70.0 2.80.0
LOWEST_RELEASE := 2.70.0
TEST_STAMP := .installed-$(shell sha1sum requirements-test.txt | cut -c1-12)
# Test modules run on this many workers, each module whole on one worker (its emulator and az config are its own).
PYTEST_WORKERS ?= 2
PYTEST_PARALLEL := -n $(PYTEST_WORKERS) --dist loadfile

# The Kubernetes control plane the cluster tests run (controlplane/go.mod), built from Go modules through the module
# proxy into a folder keyed by the pins, so that it is rebuilt only when a pin changes; .controlplane/current points
# at the last one built. The version ldflags make the programs report the release they were built from.
K8S_VERSION := v1.36.3
GO ?= $(shell command -v go || echo /usr/local/go/bin/go)
CONTROLPLANE_SOURCES := controlplane/go.mod controlplane/go.sum controlplane/tools.go controlplane/cmd/etcd/main.go
CONTROLPLANE_KEY := $(shell cat $(CONTROLPLANE_SOURCES) 2>/dev/null | sha1sum | cut -c1-12)
CONTROLPLANE_DIR := .controlplane/$(CONTROLPLANE_KEY)
K8S_VERSION_VARS := gitVersion=$(K8S_VERSION) gitMajor=1 gitMinor=36 gitTreeState=clean
K8S_LDFLAGS := $(foreach pkg,k8s.io/component-base/version k8s.io/client-go/pkg/version,\
                 $(foreach var,$(K8S_VERSION_VARS),-X $(pkg).$(var)))

.PHONY: venv test unit e2e compat compat-venvs controlplane lint demo demo-migration bench bench-lowest fuzz wheel index clean

venv: $(STAMP)

$(STAMP): requirements-dev.txt requirements-test.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $@

.venv-az%/$(TEST_STAMP): requirements-test.txt
	test -x .venv-az$*/bin/python || $(PYTHON) -m venv .venv-az$*
	.venv-az$*/bin/python -m pip install -q --disable-pip-version-check "azure-cli==$*" -r requirements-test.txt
	rm -f .venv-az$*/.installed-* && touch $@

test: venv controlplane  ## all tests: unit, emulator service, end-to-end through the real az, the control plane
	$(PY) -m pytest $(PYTEST_PARALLEL) tests

controlplane: $(CONTROLPLANE_DIR)/.built  ## kube-apiserver, kube-controller-manager, kubectl and etcd, from Go modules

$(CONTROLPLANE_DIR)/.built: $(CONTROLPLANE_SOURCES)
	mkdir -p $(CONTROLPLANE_DIR)/bin
	cd controlplane && $(GO) build -trimpath -ldflags "$(strip $(K8S_LDFLAGS))" -o ../$(CONTROLPLANE_DIR)/bin/ \
	    ./cmd/etcd k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
	    k8s.io/kubernetes/cmd/kubectl
	ln -sfn $(CONTROLPLANE_KEY) .controlplane/current
	touch $@

compat-venvs: $(foreach release,$(COMPAT_RELEASES),.venv-az$(release)/$(TEST_STAMP))  ## only build the older releases' venvs

compat: compat-venvs  ## the tests on older azure-cli
	set -e; for release in $(COMPAT_RELEASES); do \
	  echo "== azure-cli $$release"; .venv-az$$release/bin/python -m pytest $(PYTEST_PARALLEL) tests/unit tests/e2e; \
	done

unit: venv
	$(PY) -m pytest tests/unit tests/emulator_service

e2e: venv
	$(PY) -m pytest $(PYTEST_PARALLEL) tests/e2e

AZDEV_VENV := .venv-azdev
AZDEV_STAMP := $(AZDEV_VENV)/.installed-$(shell sha1sum requirements-azdev.txt | cut -c1-12)

$(AZDEV_STAMP): requirements-azdev.txt
	test -x $(AZDEV_VENV)/bin/python || $(PYTHON) -m venv $(AZDEV_VENV)
	$(AZDEV_VENV)/bin/python -m pip install -q --disable-pip-version-check -r requirements-azdev.txt
	rm -f $(AZDEV_VENV)/.installed-* && touch $@

# azdev linter --min-severity medium (every rule group) and azdev style, offline (.ci/azdev/run.sh): the per-verb
# example table comes from azdev's own package, and links in help are not fetched (each counts as broken).
lint: venv $(AZDEV_STAMP)
	$(PY) -m flake8 azext_podidentity tests demo bench setup.py
	$(PY) -m pylint --rcfile=pylintrc azext_podidentity
	$(VENV)/bin/lint-imports   # the layers and pure modules of .importlinter
	bash .ci/azdev/run.sh $(AZDEV_VENV)

wheel: venv           ## dist/podidentity-<version>-py3-none-any.whl, built from a clean copy of the sources
	rm -rf dist && $(PY) -c "from tests.harness.wheel import build_wheel; print(build_wheel('dist'))"

# A release for a private extension index: the wheel and dist/index.json, whose entry azure-cli reads to install
# by name. INDEX_FILE=an existing index.json (outside dist/) to add this version to the releases it lists.
index: wheel          ## make index INDEX_BASE_URL=https://host/path/ [INDEX_FILE=index.json]
	@test -n "$(INDEX_BASE_URL)" || { echo "usage: make index INDEX_BASE_URL=https://host/path/ [INDEX_FILE=...]"; exit 2; }
	$(PY) release/build_index.py dist/podidentity-*.whl "$(INDEX_BASE_URL)" dist/index.json $(INDEX_FILE)

demo: venv controlplane  ## the how-to's walkthrough against the bundled emulator, kubectl steps included
	$(PY) demo/run.py

demo-migration: venv controlplane  ## list the fleet, move one cluster and its workloads to Workload ID, remove pod identity, list again
	$(PY) demo/run.py migration

bench: venv controlplane  ## speed and request counts, as ratios against core az (and kubectl) in the same run
	$(PY) bench/run.py

bench-lowest: .venv-az$(LOWEST_RELEASE)/$(TEST_STAMP) controlplane  ## the same on the lowest supported azure-cli
	.venv-az$(LOWEST_RELEASE)/bin/python bench/run.py

fuzz: venv            ## property tests with 5,000 examples each
	HYPOTHESIS_PROFILE=fuzz $(PY) -m pytest tests/unit -q --hypothesis-show-statistics

clean:
	rm -rf build dist *.egg-info .pytest_cache .hypothesis
