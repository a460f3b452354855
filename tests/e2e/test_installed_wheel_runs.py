"""The commands under test run the extension installed from the wheel, not the checkout's source."""
import os
import textwrap

from tests.harness.emulator_client import REPO

# Imported by Python at start-up from PYTHONPATH: records which azext_podidentity the `az` process ran.
PROBE = textwrap.dedent("""
    import atexit, os, sys

    def _record():
        module = sys.modules.get("azext_podidentity")
        with open(os.environ["PODIDENTITY_PROBE_OUT"], "w") as out:
            out.write(module.__file__ if module else "")

    atexit.register(_record)
""")


def _loaded_from(az, tmp_path, cwd):
    (tmp_path / "probe").mkdir(exist_ok=True)
    (tmp_path / "probe" / "sitecustomize.py").write_text(PROBE)
    out = tmp_path / f"loaded-{len(os.listdir(tmp_path))}.txt"
    saved = az.cwd
    az.cwd = cwd
    try:
        az.ok("aks", "pod-identity", "list", "-h", env={"PYTHONPATH": str(tmp_path / "probe"),
                                                        "PODIDENTITY_PROBE_OUT": str(out)})
    finally:
        az.cwd = saved
    return os.path.realpath(out.read_text())


def test_az_runs_the_installed_wheel(az, tmp_path):
    loaded = _loaded_from(az, tmp_path, az.cwd)
    assert loaded.startswith(os.path.realpath(az.extension_dir) + os.sep), loaded
    assert not loaded.startswith(os.path.realpath(REPO) + os.sep)


def test_started_from_the_checkout_az_would_import_the_source_instead(az, tmp_path):
    # Why the harness never starts az in the repository: this is the trap it avoids.
    assert _loaded_from(az, tmp_path, REPO) == os.path.realpath(os.path.join(REPO, "azext_podidentity",
                                                                             "__init__.py"))
