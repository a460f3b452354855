"""Fixtures shared by every test: the built wheel, the emulator, and `az` logged in against it.

One emulator runs per test module; the extension is built and installed once per run.
"""
import itertools
import os
import subprocess
import time

import pytest
from hypothesis import settings

from tests.harness.azcli import AZ, AzRunner, working_directory
from tests.harness.emulator_client import EmulatorClient, EmulatorProcess
from tests.harness.wheel import build_wheel

_E2E_TIMES = []

# Property tests: a few hundred examples in `make test` and CI, thousands in `make fuzz`.
settings.register_profile("ci", max_examples=300, deadline=None)
settings.register_profile("fuzz", max_examples=5000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("azrun")


@pytest.fixture(scope="session")
def wheel(run_dir):
    built = build_wheel(str(run_dir / "dist"))
    assert os.path.basename(built).startswith("podidentity-"), built
    return built


@pytest.fixture(scope="session")
def extension_dir(run_dir, wheel):
    ext_dir, cfg_dir = run_dir / "extensions", run_dir / "install-config"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AZURE_")}
    env.update(AZURE_EXTENSION_DIR=str(ext_dir), AZURE_CONFIG_DIR=str(cfg_dir),
               AZURE_CORE_COLLECT_TELEMETRY="false")
    proc = subprocess.run([AZ, "extension", "add", "--source", str(wheel), "-y"], env=env,
                          capture_output=True, text=True, cwd=working_directory(str(cfg_dir)))
    assert proc.returncode == 0, proc.stderr
    return ext_dir


@pytest.fixture(scope="session")
def empty_extension_dir(run_dir):
    path = run_dir / "no-extensions"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture(scope="module")
def emulator_process(run_dir):
    process = EmulatorProcess(str(run_dir / "cert"))
    yield process
    process.stop()


@pytest.fixture(scope="module")
def emulator(emulator_process):
    return EmulatorClient(emulator_process.url, emulator_process.cert)


_config_dirs = itertools.count()


@pytest.fixture(scope="module")
def az(run_dir, extension_dir, emulator_process, emulator):
    """`az` with the extension installed, logged in with a managed identity against this module's emulator."""
    runner = AzRunner(str(run_dir / f"config-{next(_config_dirs)}"), str(extension_dir),
                      emulator_process.cert, emulator_process.url)
    runner.login()
    yield runner
    # Whatever a module ran, no access token may appear in what az printed.
    tokens = emulator.state()["tokens_issued"]
    secrets = set(tokens) | {t.split(".")[1] for t in tokens}
    leaks = [r.args for r in runner.history for s in secrets if s in r.stdout or s in r.stderr]
    assert not leaks, f"access token printed by: {leaks[:3]}"


@pytest.fixture(scope="module")
def core_az(run_dir, az, empty_extension_dir):
    """The same login with no extension installed: core azure-cli only."""
    runner = az.with_extension_dir(str(empty_extension_dir), str(run_dir / f"config-{next(_config_dirs)}"))
    runner.login()
    return runner


@pytest.fixture(autouse=True)
def _fresh_emulator_controls(request):
    if "emulator" in request.fixturenames:
        request.getfixturevalue("emulator").reset_test_controls()


_names = itertools.count()


@pytest.fixture
def names():
    """Unique resource names for one test, so tests sharing an emulator never see each other's state."""
    n = next(_names)

    class Names:
        rg = f"rg{n}"
        cluster = f"cluster{n}"
        identity_rg = f"identities{n}"
    return Names


def pytest_runtest_logreport(report):
    if report.when == "call" and report.nodeid.startswith("tests/e2e/"):
        _E2E_TIMES.append((time.time() - report.duration, time.time()))


def pytest_terminal_summary(terminalreporter):
    if _E2E_TIMES:
        wall = max(s for _, s in _E2E_TIMES) - min(s for s, _ in _E2E_TIMES)
        spent = sum(s - b for b, s in _E2E_TIMES)
        terminalreporter.write_line(
            f"end-to-end suite: {len(_E2E_TIMES)} tests, wall time {wall:.1f} s ({spent:.1f} s in test bodies)")
