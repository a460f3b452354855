#!/usr/bin/env bash
# azdev linter and style on this extension, offline, as the azure-cli-extensions repository runs them.
# Usage: .ci/azdev/run.sh VENV  (a venv with azure-cli and azdev, built by `make lint`)
# azdev setup needs the internet, so the layout it would make is built here instead: an extensions repository
# (ROOT/src/podidentity, a git repository with azdev's extension pylintrc and .flake8) and a stand-in CLI
# repository holding only scripts/ci/cmdcov.yml, which azdev reads at start-up.
set -euo pipefail
VENV=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
ROOT=$WORK/azure-cli-extensions
CLI=$WORK/azure-cli
SRC=$ROOT/src/podidentity

mkdir -p "$SRC" "$CLI/scripts/ci" "$WORK/azdev-config" "$WORK/az-config"
cp -r "$REPO/setup.py" "$REPO/setup.cfg" "$REPO/HISTORY.rst" "$REPO/README.md" "$REPO/linter_exclusions.yml" \
      "$REPO/azext_podidentity" "$SRC/"
find "$SRC" -name __pycache__ -prune -exec rm -rf {} +
CONFIG=$("$VENV/bin/python" -c "import azdev, os; print(os.path.join(os.path.dirname(azdev.__file__), 'config'))")
# The extensions repository's root pylintrc is azdev's, plus too-many-positional-arguments disabled (CLI handlers
# take their parameters positionally).
sed 's/^disable=$/disable=\n    too-many-positional-arguments,/' "$CONFIG/ext_pylintrc" > "$ROOT/pylintrc"
grep -q '^    too-many-positional-arguments,$' "$ROOT/pylintrc"
cp "$CONFIG/ext.flake8" "$ROOT/.flake8"
cp "$HERE/cmdcov.yml" "$CLI/scripts/ci/cmdcov.yml"
git -C "$ROOT" init -q
git -C "$ROOT" add -A
git -C "$ROOT" -c user.name=ci -c user.email=ci@localhost commit -qm "extension under review"

export VIRTUAL_ENV=$VENV PATH=$VENV/bin:$PATH
export AZDEV_CONFIG_DIR=$WORK/azdev-config AZURE_CONFIG_DIR=$WORK/az-config
export AZDEV_CLI_REPO_PATH=$CLI AZDEV_EXT_REPO_PATHS=$ROOT AZURE_EXTENSION_DEV_SOURCES=$ROOT
export AZURE_CORE_COLLECT_TELEMETRY=false
azdev() { (cd "$ROOT" && "$VENV/bin/python" "$HERE/offline_main.py" "$@"); }

azdev extension add podidentity
azdev linter --include-whl-extensions podidentity --min-severity medium
azdev style podidentity
azdev extension build podidentity --dist-dir "$WORK/dist"
ls "$WORK/dist"
