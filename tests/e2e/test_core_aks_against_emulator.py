"""Core `az aks` commands through the harness: the emulator is good enough for the real CLI."""


def test_core_aks_show(az, emulator, names):
    seeded = emulator.seed_cluster(names.rg, names.cluster)
    result = az.ok("aks", "show", "-g", names.rg, "-n", names.cluster)
    assert result.json["id"] == seeded["id"]
    assert result.json["provisioningState"] == "Succeeded"


def test_core_aks_show_missing_cluster_exits_3_with_the_service_message(az, emulator, names):
    emulator.seed_group(names.rg)
    result = az("aks", "show", "-g", names.rg, "-n", "missing")
    assert result.exit_code == 3
    assert "(ResourceNotFound) The Resource 'Microsoft.ContainerService/managedClusters/missing'" in result.stderr


def test_core_aks_update_tags_is_a_long_running_put(az, emulator, names):
    emulator.seed_cluster(names.rg, names.cluster)
    emulator.settings(operation_seconds=0.2)
    result = az.ok("aks", "update", "-g", names.rg, "-n", names.cluster, "--tags", "team=payments")
    assert result.json["tags"] == {"team": "payments"}
    assert result.json["provisioningState"] == "Succeeded"
    (put,) = emulator.arm_requests("PUT")
    assert put["body"]["tags"] == {"team": "payments"}
    polls = emulator.arm_requests("GET", "/operations/")
    assert len(polls) >= 2  # InProgress, then Succeeded after Retry-After: 1
