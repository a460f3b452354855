"""The private index keeps every release: a new version is added, the same version replaced, others kept."""
import importlib.util
import os

from tests.harness.emulator_client import REPO

_spec = importlib.util.spec_from_file_location("build_index", os.path.join(REPO, "release", "build_index.py"))
build_index = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_index)


def entry(version, digest="d"):
    return {"downloadUrl": f"https://h/podidentity-{version}-py3-none-any.whl",
            "filename": f"podidentity-{version}-py3-none-any.whl", "sha256Digest": digest,
            "metadata": {"name": "podidentity", "version": version}}


def versions(index):
    return [(e["metadata"]["version"], e["sha256Digest"]) for e in index["extensions"]["podidentity"]]


def test_a_new_index():
    index = build_index.merged(None, entry("1.0.0b1"))
    assert index["formatVersion"] == "1" and versions(index) == [("1.0.0b1", "d")]


def test_versions_are_kept_sorted_and_a_rebuilt_version_replaced():
    index = build_index.merged(None, entry("1.0.0b2"))
    index = build_index.merged(index, entry("1.0.0b1"))
    index = build_index.merged(index, entry("1.0.0b2", digest="new"))
    assert versions(index) == [("1.0.0b1", "d"), ("1.0.0b2", "new")]


def test_other_extensions_stay():
    other = {"formatVersion": "1", "extensions": {"aks-preview": [{"metadata": {"version": "18.0.0b29"}}]}}
    index = build_index.merged(other, entry("1.0.0b1"))
    assert index["extensions"]["aks-preview"] == other["extensions"]["aks-preview"]
