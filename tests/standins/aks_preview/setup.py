#!/usr/bin/env python
"""A stand-in for Microsoft's aks-preview extension, built by the tests (aks-preview is not on the package registry).

It takes over `az aks create/update` as aks-preview does (core's arguments plus flags of its own, pod identity
flags among them) and registers `az aks pod-identity` commands of its own.
"""
from setuptools import setup

setup(name="aks-preview", version="0.0.1", description="Test stand-in for aks-preview.", license="MIT",
      packages=["azext_aks_preview"], package_data={"azext_aks_preview": ["azext_metadata.json"]})
