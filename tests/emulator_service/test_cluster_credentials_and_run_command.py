"""The emulator's cluster credentials, run command and Entra keys, driven over HTTPS, against the shapes of the
AKS REST reference (List Cluster User/Admin/Monitoring User Credentials, Run Command, Get Command Result) and of
Entra ID's discovery documents; no recording of these exists."""
import base64
import time

import jwt
import yaml

from tests.emulator_service.test_managed_clusters import cluster_path

AKS_SERVER_APP = "6dae42f8-4368-4678-94ff-3960e28e3630"


def test_credentials_are_a_list_of_named_base64_kubeconfigs(emulator, names):
    emulator.seed_cluster(names.rg, names.cluster)
    path = cluster_path(emulator, names.rg, names.cluster)
    for action, name in (("listClusterUserCredential", "clusterUser"), ("listClusterAdminCredential", "clusterAdmin"),
                         ("listClusterMonitoringUserCredential", "clusterMonitoringUser")):
        status, _, body = emulator.arm("POST", f"{path}/{action}")
        assert status == 200
        assert list(body) == ["kubeconfigs"] and [k["name"] for k in body["kubeconfigs"]] == [name]
        config = yaml.safe_load(base64.b64decode(body["kubeconfigs"][0]["value"]))
        assert config["kind"] == "Config" and config["current-context"] == names.cluster
        assert config["clusters"][0]["cluster"]["server"].startswith("https://")


def test_a_get_is_not_a_credential_request(emulator, names):
    emulator.seed_cluster(names.rg, names.cluster)
    status, _, _ = emulator.arm("GET", cluster_path(emulator, names.rg, names.cluster) + "/listClusterUserCredential")
    assert status == 405


def test_run_command_answers_202_with_the_location_of_its_result(emulator, names):
    emulator.seed_cluster(names.rg, names.cluster)
    emulator.settings(run_command_seconds=1.0)
    path = cluster_path(emulator, names.rg, names.cluster)
    status, headers, body = emulator.arm("POST", f"{path}/runCommand",
                                         {"command": "kubectl get namespaces -o name", "context": "",
                                          "clusterToken": ""})
    assert status == 202 and body is None
    location = headers["Location"]
    assert "/commandResults/" in location
    result_path = location[location.index("/subscriptions/"):].split("?")[0]
    status, _, body = emulator.arm("GET", result_path)
    assert status == 202  # still running
    time.sleep(1.0)
    status, _, body = emulator.arm("GET", result_path)
    assert status == 200
    assert body["properties"]["provisioningState"] == "Succeeded" and body["properties"]["exitCode"] == 0
    assert "namespace/kube-system" in body["properties"]["logs"]
    assert set(body["properties"]) == {"provisioningState", "exitCode", "startedAt", "finishedAt", "logs"}


def test_entra_keys_verify_the_tokens_the_emulator_issues(emulator):
    _, _, discovery = emulator.http("GET", f"/{emulator.tenant_id}/.well-known/openid-configuration")
    assert discovery["issuer"] == f"https://sts.windows.net/{emulator.tenant_id}/"
    _, _, keys = emulator.http("GET", "/common/discovery/keys")
    _, _, token = emulator.http("GET", f"/msi/token?api-version=2019-08-01&resource={AKS_SERVER_APP}",
                                headers={"X-IDENTITY-HEADER": "test"})
    key = jwt.PyJWK(keys["keys"][0])
    claims = jwt.decode(token["access_token"], key.key, algorithms=["RS256"], audience=AKS_SERVER_APP)
    assert claims["iss"] == discovery["issuer"] and claims["oid"] == emulator.pipeline_object_id
