"""Core `az aks get-credentials` and the real kubectl against the real API server behind each emulated cluster."""
import base64
import json
import os

import yaml

from tests.harness.kubectl import Kubectl

AKS_SERVER_APP = "6dae42f8-4368-4678-94ff-3960e28e3630"


def _credentials(az, names, tmp_path, *extra, file_name="config"):
    path = os.path.join(str(tmp_path), file_name)
    az.ok("aks", "get-credentials", "-g", names.rg, "-n", names.cluster, "-f", path, *extra)
    return path


def test_user_credential_of_a_cluster_without_entra_reaches_its_api_server(az, emulator, names, tmp_path):
    emulator.seed_cluster(names.rg, names.cluster)
    path = _credentials(az, names, tmp_path)
    with open(path, encoding="utf-8") as f:
        config = yaml.safe_load(f)
    assert config["current-context"] == names.cluster
    assert config["users"][0]["name"] == f"clusterUser_{names.rg}_{names.cluster}"
    kubectl = Kubectl(path)
    assert "kube-system" in kubectl.run("get", "namespaces", "-o", "name").stdout
    assert kubectl.run("auth", "can-i", "create", "deployments", "-A").stdout.strip() == "yes"


def test_admin_and_monitoring_credentials(az, emulator, names, tmp_path):
    emulator.seed_cluster(names.rg, names.cluster)
    admin = Kubectl(_credentials(az, names, tmp_path, "--admin", file_name="admin"))
    assert admin.run("auth", "can-i", "'*'", "'*'").stdout.strip() == "yes"
    # core az has no --user (aks-preview's): the monitoring credential through az rest, as the REST reference shows
    cluster_id = az.ok("aks", "show", "-g", names.rg, "-n", names.cluster, "--query", "id", "-o", "tsv").stdout.strip()
    answer = az.ok("rest", "--method", "post", "--url",
                   f"{cluster_id}/listClusterMonitoringUserCredential?api-version=2025-07-01").json
    assert [k["name"] for k in answer["kubeconfigs"]] == ["clusterMonitoringUser"]
    path = os.path.join(str(tmp_path), "monitoring")
    with open(path, "wb") as f:
        f.write(base64.b64decode(answer["kubeconfigs"][0]["value"]))
    monitoring = Kubectl(path)
    assert monitoring.run("auth", "can-i", "list", "pods", "-A").stdout.strip() == "yes"
    assert monitoring.run("auth", "can-i", "create", "pods", "-A", check=False).stdout.strip() == "no"
    (request,) = emulator.arm_requests("POST", "/listClusterMonitoringUserCredential")
    assert request["status"] == 200


def test_two_clusters_never_share_objects(az, emulator, names, tmp_path):
    emulator.seed_cluster(names.rg, "first")
    emulator.seed_cluster(names.rg, "second")
    first = emulator.cluster_kubectl(names.rg, "first", str(tmp_path))
    second = emulator.cluster_kubectl(names.rg, "second", str(tmp_path))
    first.run("create", "namespace", "only-in-first")
    assert "only-in-first" not in second.run("get", "namespaces", "-o", "name").stdout


def test_entra_cluster_gives_the_kubelogin_kubeconfig_and_accepts_azure_cli_tokens(az, emulator, names, tmp_path):
    from tests.emulator.services.platform.models import CLUSTER_ADMINS_GROUP
    emulator.seed_cluster(names.rg, names.cluster, properties={
        "aadProfile": {"managed": True, "adminGroupObjectIDs": [CLUSTER_ADMINS_GROUP],
                       "tenantID": emulator.tenant_id}})
    path = _credentials(az, names, tmp_path)
    with open(path, encoding="utf-8") as f:
        user = yaml.safe_load(f)["users"][0]["user"]
    assert user["exec"]["command"] == "kubelogin"
    assert user["exec"]["args"][:5] == ["get-token", "--login", "devicecode", "--server-id", AKS_SERVER_APP]
    (request,) = emulator.arm_requests("POST", "/listClusterUserCredential")
    # a token for the AKS server application, as kubelogin's azurecli login gets it from az
    token = az.access_token(AKS_SERVER_APP)
    kubectl = Kubectl(path)
    kubectl.run("config", "set-credentials", f"clusterUser_{names.rg}_{names.cluster}", "--token", token)
    assert kubectl.run("auth", "whoami", "-o", "json").stdout
    who = json.loads(kubectl.run("auth", "whoami", "-o", "json").stdout)["status"]["userInfo"]
    assert who["username"] == emulator.pipeline_object_id
    assert CLUSTER_ADMINS_GROUP in who["groups"]
    assert kubectl.run("auth", "can-i", "create", "pods", "-A").stdout.strip() == "yes"


def test_entra_cluster_legacy_azure_format(az, emulator, names, tmp_path):
    emulator.seed_cluster(names.rg, names.cluster, properties={"aadProfile": {"managed": True}})
    path = _credentials(az, names, tmp_path, "--format", "azure")
    with open(path, encoding="utf-8") as f:
        user = yaml.safe_load(f)["users"][0]["user"]
    assert user["auth-provider"]["config"]["apiserver-id"] == AKS_SERVER_APP


def test_disabled_local_accounts_refuse_static_credentials(az, emulator, names, tmp_path):
    emulator.seed_cluster(names.rg, names.cluster, properties={"disableLocalAccounts": True})
    result = az("aks", "get-credentials", "-g", names.rg, "-n", names.cluster, "--admin", "-f",
                os.path.join(str(tmp_path), "x"))
    assert result.exit_code == 1
    assert "Getting static credential isn't allowed because this cluster is set to disable local accounts" \
        in result.stderr
    result = az("aks", "get-credentials", "-g", names.rg, "-n", names.cluster, "-f", os.path.join(str(tmp_path), "y"))
    assert result.exit_code == 1
    assert "disable local accounts" in result.stderr
