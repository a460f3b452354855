"""Fixtures shared by the end-to-end modules that work on one cluster with pod identity enabled."""
import pytest

from tests.e2e.helpers import pod_identity_args


@pytest.fixture
def cluster(emulator, names):
    """A managed-identity cluster with pod identity enabled and no pod identities yet."""
    return emulator.seed_cluster(names.rg, names.cluster, pod_identity={"enabled": True})


@pytest.fixture
def identity(emulator, names):
    """A user-assigned identity in a resource group of its own, with no grant yet."""
    return emulator.seed_identity(names.identity_rg, "app-identity")


@pytest.fixture
def three(az, emulator, names, cluster):
    """Pod identities p1, p2, p3 in namespace shop, each with its own identity, added (and granted) by the extension."""
    identities = {}
    for name in ("p1", "p2", "p3"):
        identities[name] = emulator.seed_identity(names.identity_rg, f"{name}-identity")
        az.ok(*pod_identity_args(names, identities[name], name=name))
    emulator.reset_test_controls()
    return identities
