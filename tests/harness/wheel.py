"""Build an extension's wheel from a clean copy of its sources.

Built in place, setuptools reuses the checkout's build/ folder, where a module deleted from the source lives on
and would be packaged; a fresh copy of what setup.py packages leaves nothing stale in the wheel.
"""
import os
import shutil
import subprocess
import sys
import tempfile

from tests.harness.emulator_client import REPO

NOT_SOURCE = shutil.ignore_patterns(".*", "build", "dist", "*.egg-info", "__pycache__", "tests", "demo", "bench",
                                    "docs", "controlplane")


def build_wheel(out_dir, source=REPO):
    """Build the wheel of the extension at ``source`` into ``out_dir``; return its path."""
    os.makedirs(out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        copy = os.path.join(scratch, "src")
        shutil.copytree(source, copy, ignore=NOT_SOURCE)
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                        out_dir, copy], check=True, capture_output=True)
    (wheel,) = [f for f in os.listdir(out_dir) if f.endswith(".whl")]
    return os.path.join(out_dir, wheel)
