"""Write the extension index (the file `az config set extension.index_url=...` points at) for a built wheel.

The format is the one azure-cli reads and the azure-cli-extensions repository publishes: ``formatVersion`` and, per
extension, a list of ``{downloadUrl, filename, sha256Digest, metadata}``. The metadata is what azure-cli itself
reads from an installed copy of the wheel (its dist-info and azext_metadata.json), so nothing is typed twice.
Given an existing index, this version is added (or replaced) and every other entry kept.

Usage: python release/build_index.py WHEEL BASE_URL OUT_JSON [EXISTING_JSON]
"""
import hashlib
import json
import os
import sys
import tempfile
import zipfile

# Values of the local build, not of the published wheel.
_NOT_PUBLISHED = ("filename",)


def wheel_metadata(wheel):
    """azure-cli's own view of the wheel's metadata, read from an unpacked copy as from an installed extension."""
    from azure.cli.core.extension import WheelExtension
    name = os.path.basename(wheel).split("-")[0].replace("_", "-")
    with tempfile.TemporaryDirectory() as unpacked:
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(unpacked)
        metadata = WheelExtension(name, unpacked).get_metadata()
    if not metadata:
        raise SystemExit(f"{wheel}: no extension metadata found")
    return {key: value for key, value in metadata.items() if key not in _NOT_PUBLISHED and value is not None}


def index_entry(wheel, base_url):
    if not base_url.startswith("https://") or not base_url.endswith("/"):
        raise SystemExit(f"INDEX_BASE_URL must be an https URL ending in '/': {base_url!r}")
    with open(wheel, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    filename = os.path.basename(wheel)
    return {"downloadUrl": base_url + filename, "filename": filename, "sha256Digest": digest,
            "metadata": wheel_metadata(wheel)}


def merged(index, entry):
    """``index`` with ``entry`` added, replacing an entry of the same version; entries sorted by version."""
    from packaging.version import Version
    name = entry["metadata"]["name"]
    index = dict(index or {"extensions": {}, "formatVersion": "1"})
    extensions = dict(index.get("extensions") or {})
    others = [e for e in extensions.get(name, []) if e["metadata"]["version"] != entry["metadata"]["version"]]
    extensions[name] = sorted(others + [entry], key=lambda e: Version(e["metadata"]["version"]))
    index["extensions"] = extensions
    return index


def main(wheel, base_url, out_json, existing_json=None):
    existing = None
    if existing_json:
        with open(existing_json, encoding="utf-8") as f:
            existing = json.load(f)
    index = merged(existing, index_entry(wheel, base_url))
    with open(out_json, "w", encoding="utf-8") as f:
        json.dump(index, f, indent=2, sort_keys=True)
        f.write("\n")
    print(out_json)


if __name__ == "__main__":
    if len(sys.argv) not in (4, 5):
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
