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


def test_the_installed_extension_holds_every_module_of_the_source(az):
    """Every subpackage and module is in the wheel (setup.py finds packages, a forgotten one would be left out)."""
    package = os.path.join(REPO, "azext_podidentity")
    source = {os.path.relpath(os.path.join(folder, name), package)
              for folder, _, names in os.walk(package) for name in names if name.endswith((".py", ".json"))}
    installed_root = next(os.path.join(folder, "azext_podidentity") for folder, dirs, _ in os.walk(az.extension_dir)
                          if "azext_podidentity" in dirs)
    installed = {os.path.relpath(os.path.join(folder, name), installed_root)
                 for folder, _, names in os.walk(installed_root) for name in names if name.endswith((".py", ".json"))}
    assert {"arm/retry.py", "migration/plan.py", "profile/writer.py", "addon/aks_commands.py"} <= source
    assert installed == source
