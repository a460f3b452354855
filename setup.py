#!/usr/bin/env python
# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
from setuptools import find_packages, setup

VERSION = "0.1.0b1"

CLASSIFIERS = [
    "Development Status :: 4 - Beta",
    "Intended Audience :: Developers",
    "Intended Audience :: System Administrators",
    "Programming Language :: Python :: 3",
    "License :: OSI Approved :: MIT License",
]

# The containerservice, msi and authorization SDKs ship with azure-cli: an extension brings none of its own.
DEPENDENCIES = []

with open("README.md", "r", encoding="utf-8") as f:
    README = f.read()
with open("HISTORY.rst", "r", encoding="utf-8") as f:
    HISTORY = f.read()

setup(
    name="podidentity",
    version=VERSION,
    description="Manage Microsoft Entra pod-managed identities on AKS clusters.",
    long_description=README + "\n\n" + HISTORY,
    long_description_content_type="text/markdown",
    license="MIT",
    author="azext_podidentity developers",
    url="https://github.com/azext-podidentity/azext_podidentity",
    classifiers=CLASSIFIERS,
    packages=find_packages(include=["azext_podidentity", "azext_podidentity.*"]),
    install_requires=DEPENDENCIES,
    package_data={"azext_podidentity": ["azext_metadata.json"]},
)
