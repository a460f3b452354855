"""Fixtures shared by the end-to-end modules that work on one cluster with pod identity enabled."""
import pytest


@pytest.fixture
def cluster(emulator, names):
    """A managed-identity cluster with pod identity enabled and no pod identities yet."""
    return emulator.seed_cluster(names.rg, names.cluster, pod_identity={"enabled": True})


@pytest.fixture
def identity(emulator, names):
    """A user-assigned identity in a resource group of its own, with no grant yet."""
    return emulator.seed_identity(names.identity_rg, "app-identity")
