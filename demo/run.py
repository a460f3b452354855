"""`make demo`: the how-to's walkthrough (demo/walkthrough.sh) through the real az against the bundled emulator;
`make demo-migration`: the fleet's move to Workload ID (demo/migration_walkthrough.sh).

Everything lives in a temporary directory: az's config and extensions, HOME (for --generate-ssh-keys and
get-credentials) and the emulator's certificate. The emulator is always stopped at the end.
"""
import os
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from tests.harness.azcli import AZ, AzRunner  # noqa: E402  pylint: disable=wrong-import-position
from tests.harness.controlplane import BIN  # noqa: E402  pylint: disable=wrong-import-position
from tests.harness.emulator_client import EmulatorClient, EmulatorProcess  # noqa: E402  pylint: disable=C0413
from tests.harness.wheel import build_wheel  # noqa: E402  pylint: disable=wrong-import-position


WALKTHROUGHS = {"how-to": "walkthrough.sh", "migration": "migration_walkthrough.sh"}


def run_walkthrough(work_dir, wheel, stdout=None, stderr=None, walkthrough="how-to"):
    """Run a walkthrough in ``work_dir``; return its exit code."""
    emulator = EmulatorProcess(os.path.join(work_dir, "cert"))
    try:
        az = AzRunner(os.path.join(work_dir, "config"), os.path.join(work_dir, "extensions"), emulator.cert,
                      emulator.url)
        home = os.path.join(work_dir, "home")
        os.makedirs(home, exist_ok=True)
        # az, and the real kubectl `make controlplane` built
        az.env.update(HOME=home, PATH=os.pathsep.join([os.path.dirname(AZ), BIN, az.env.get("PATH", "")]))
        az.ok("extension", "add", "--source", wheel, "-y")
        az.login()
        if walkthrough == "how-to":
            # A subscription that has never registered the preview feature, as a new user's has; registering takes
            # a few seconds here, minutes in Azure.
            client = EmulatorClient(emulator.url, emulator.cert)
            client.seed_feature("NotRegistered")
            client.settings(feature_registration_seconds=3.0)
        return subprocess.run(["bash", os.path.join(REPO, "demo", WALKTHROUGHS[walkthrough])], env=az.env,
                              cwd=work_dir, stdout=stdout, stderr=stderr, check=False).returncode
    finally:
        emulator.stop()


def main(walkthrough="how-to"):
    with tempfile.TemporaryDirectory(prefix="podidentity-demo-") as work_dir:
        print("Building the extension and starting the local ARM emulator ...", flush=True)
        code = run_walkthrough(work_dir, build_wheel(os.path.join(work_dir, "dist")), walkthrough=walkthrough)
    print(f"\nWalkthrough {'finished' if code == 0 else 'FAILED'} (exit code {code}).")
    return code


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
