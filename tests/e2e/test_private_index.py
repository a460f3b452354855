"""`az extension add --name podidentity` from a private extension index hosted over HTTPS, as organisations publish
extensions that are not in Microsoft's index; `az extension update` moves to a newer version in it."""
import os
import re
import shutil
import subprocess
import sys

import pytest

from tests.harness.azcli import AzRunner
from tests.harness.emulator_client import REPO
from tests.harness.https_files import HttpsFiles
from tests.harness.wheel import build_wheel

BUILD_INDEX = os.path.join(REPO, "release", "build_index.py")
with open(os.path.join(REPO, "setup.py"), encoding="utf-8") as _setup:
    VERSION = re.search(r'VERSION = "([^"]+)"', _setup.read()).group(1)
# the next preview version, as the next release would have it
NEXT_VERSION = re.sub(r"b(\d+)$", lambda m: f"b{int(m.group(1)) + 1}", VERSION)


@pytest.fixture(scope="module")
def newer_wheel(run_dir, wheel):
    """The same extension with the next preview version, as the next release would be."""
    source = run_dir / "next-release"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(".*", "build", "dist", "tests", "demo", "bench"))
    setup = (source / "setup.py").read_text()
    (source / "setup.py").write_text(re.sub(r'VERSION = "[^"]+"', f'VERSION = "{NEXT_VERSION}"', setup))
    return build_wheel(str(run_dir / "next-dist"), str(source))


@pytest.fixture(scope="module")
def host(run_dir, emulator_process):
    (run_dir / "release-host").mkdir()
    served = HttpsFiles(str(run_dir / "release-host"), os.path.dirname(emulator_process.cert))
    yield served
    served.stop()


def publish(host, run_dir, folder, wheels):
    """Copy the wheels to ``folder`` on the host and build its index.json one release at a time."""
    target = run_dir / "release-host" / folder
    target.mkdir()
    index = target / "index.json"
    for wheel in wheels:
        shutil.copy(wheel, target)
        subprocess.run([sys.executable, BUILD_INDEX, str(wheel), f"{host.url}{folder}/", str(index)]
                       + ([str(index)] if index.exists() else []), check=True, capture_output=True)
    return f"{host.url}{folder}/index.json"


@pytest.fixture
def fresh_az(run_dir, emulator_process, request):
    """az with no extension installed and a fresh configuration."""
    folder = run_dir / f"index-{request.node.name}"
    return AzRunner(str(folder / "config"), str(folder / "extensions"), emulator_process.cert, emulator_process.url)


def test_list_available_then_add_by_name_and_run(host, run_dir, wheel, fresh_az):
    index_url = publish(host, run_dir, "one", [wheel])
    fresh_az.ok("config", "set", f"extension.index_url={index_url}")
    available = fresh_az.ok("extension", "list-available", "-o", "json").json
    assert [(e["name"], e["version"]) for e in available] == [("podidentity", VERSION)]
    added = fresh_az("extension", "add", "--name", "podidentity", "-y")
    assert added.exit_code == 0, str(added)
    assert "No stable version of 'podidentity' to install. Preview versions allowed." in added.stderr
    assert fresh_az.ok("extension", "show", "--name", "podidentity", "--query", "version", "-o", "tsv").stdout.strip() \
        == VERSION
    assert "add" in fresh_az.ok("aks", "pod-identity", "-h").stdout


def test_update_moves_to_the_newer_version_of_the_index(host, run_dir, wheel, newer_wheel, fresh_az):
    index_url = publish(host, run_dir, "two", [wheel, newer_wheel])
    fresh_az.ok("config", "set", f"extension.index_url={index_url}")
    fresh_az.ok("extension", "add", "--name", "podidentity", "--version", VERSION, "-y")
    updated = fresh_az("extension", "update", "--name", "podidentity", "--allow-preview", "true")
    assert updated.exit_code == 0, str(updated)
    assert fresh_az.ok("extension", "show", "--name", "podidentity", "--query", "version", "-o", "tsv").stdout.strip() \
        == NEXT_VERSION
    assert "--identity-resource-id" in fresh_az.ok("aks", "pod-identity", "add", "-h").stdout


def test_a_wheel_that_does_not_match_its_digest_is_refused(host, run_dir, wheel, fresh_az):
    index_url = publish(host, run_dir, "tampered", [wheel])
    with open(run_dir / "release-host" / "tampered" / os.path.basename(wheel), "ab") as f:
        f.write(b"\0")
    fresh_az.ok("config", "set", f"extension.index_url={index_url}")
    refused = fresh_az("extension", "add", "--name", "podidentity", "-y")
    assert refused.exit_code == 1 and "checksum of the extension does not match" in refused.stderr
    assert fresh_az.ok("extension", "list", "-o", "json").json == []


def test_add_from_a_url(host, run_dir, wheel, fresh_az):
    publish(host, run_dir, "by-url", [wheel])
    fresh_az.ok("extension", "add", "--source", f"{host.url}by-url/{os.path.basename(wheel)}", "-y")
    assert "add" in fresh_az.ok("aks", "pod-identity", "-h").stdout
