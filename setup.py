#!/usr/bin/env python
# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
from setuptools import find_packages, setup

VERSION = "1.0.0b6"

CLASSIFIERS = [
    "Development Status :: 4 - Beta",
    "Intended Audience :: Developers",
    "Intended Audience :: System Administrators",
    "Programming Language :: Python :: 3",
    "License :: OSI Approved :: MIT License",
]

# The containerservice, msi and authorization SDKs ship with azure-cli: an extension brings none of its own.
DEPENDENCIES = []

# Kept short on purpose: azure-cli parses every installed extension's METADATA about 14 times on each `az aks`
# command (this extension loads for all of them), so a README-sized description costs every user time.
LONG_DESCRIPTION = ("Azure CLI extension for Microsoft Entra pod-managed identities on AKS: `az aks pod-identity` "
                    "and the pod identity flags of `az aks create/update`. See README.md and HISTORY.rst.")

setup(
    name="podidentity",
    version=VERSION,
    description="Manage Microsoft Entra pod-managed identities on AKS clusters.",
    long_description=LONG_DESCRIPTION,
    long_description_content_type="text/markdown",
    license="MIT",
    author="azext_podidentity developers",
    url="https://github.com/azext-podidentity/azext_podidentity",
    classifiers=CLASSIFIERS,
    packages=find_packages(include=["azext_podidentity", "azext_podidentity.*"]),
    install_requires=DEPENDENCIES,
    package_data={"azext_podidentity": ["azext_metadata.json"]},
)
