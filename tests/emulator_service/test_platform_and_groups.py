"""What `az cloud register` and `az login --identity` need, and resource groups, driven over HTTPS."""
import base64
import json


def test_cloud_metadata_names_the_emulator_as_resource_manager(emulator):
    status, _, body = emulator.http("GET", "//metadata/endpoints?api-version=2022-09-01")
    assert status == 200
    assert body["resourceManager"] == emulator.url + "/"
    assert body["authentication"]["audiences"] == [emulator.url + "/"]
    assert body["authentication"]["loginEndpoint"] and body["microsoftGraphResourceId"] and "suffixes" in body


def test_cloud_metadata_in_the_older_shape_for_older_clients(emulator):
    status, _, body = emulator.http("GET", "//metadata/endpoints?api-version=2015-01-01")
    assert status == 200 and "resourceManager" not in body
    assert body["graphEndpoint"] and body["authentication"]["audiences"] == [emulator.url + "/"]


def test_managed_identity_token_by_form_post_for_older_clients(emulator):
    form = ("resource=" + emulator.url + "/").encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    assert emulator.http_raw("POST", "/msi/token", form, headers)[0] == 400
    status, _, token = emulator.http_raw("POST", "/msi/token", form, dict(headers, Metadata="true"))
    assert status == 200 and token["token_type"] == "Bearer" and token["resource"] == emulator.url + "/"


def test_managed_identity_token_needs_the_identity_header_and_carries_a_tenant(emulator):
    path = "/msi/token?api-version=2019-08-01&resource=" + emulator.url + "/"
    assert emulator.http("GET", path)[0] == 400
    status, _, token = emulator.http("GET", path, headers={"X-IDENTITY-HEADER": "x"})
    assert status == 200 and token["token_type"] == "Bearer" and isinstance(token["expires_on"], int)
    payload = token["access_token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["tid"] and claims["oid"] == emulator.pipeline_object_id


def test_subscriptions_list_and_get(emulator):
    status, _, listed = emulator.arm("GET", "/subscriptions", api_version="2022-12-01")
    assert status == 200 and emulator.subscription in [s["subscriptionId"] for s in listed["value"]]
    assert emulator.arm("GET", f"/subscriptions/{emulator.subscription}", api_version="2022-12-01")[0] == 200
    status, _, error = emulator.arm("GET", "/subscriptions/00000000-0000-0000-0000-00000000dead",
                                    api_version="2022-12-01")
    assert status == 404 and error["error"]["code"] == "SubscriptionNotFound"


def test_resource_group_lifecycle(emulator, names):
    path = f"/subscriptions/{emulator.subscription}/resourcegroups/{names.rg}"
    assert emulator.arm("HEAD", path, api_version="2022-09-01")[0] == 404
    status, _, error = emulator.arm("GET", path, api_version="2022-09-01")
    assert status == 404 and error["error"] == {"code": "ResourceGroupNotFound",
                                                "message": f"Resource group '{names.rg}' could not be found."}
    assert emulator.arm("PUT", path, {"location": "westus"}, api_version="2022-09-01")[0] == 201
    assert emulator.arm("PUT", path, {"location": "westus"}, api_version="2022-09-01")[0] == 200
    assert emulator.arm("HEAD", path.upper().replace("/SUBSCRIPTIONS", "/subscriptions"),
                        api_version="2022-09-01")[0] == 204
    assert emulator.arm("GET", path, api_version="2022-09-01")[2]["location"] == "westus"
    assert emulator.arm("DELETE", path, api_version="2022-09-01")[0] == 200
    assert emulator.arm("HEAD", path, api_version="2022-09-01")[0] == 404


def test_cluster_in_a_missing_group_is_refused(emulator, names):
    status, _, error = emulator.arm(
        "PUT", f"/subscriptions/{emulator.subscription}/resourceGroups/{names.rg}/providers/"
               f"Microsoft.ContainerService/managedClusters/{names.cluster}", {"location": "eastus"})
    assert status == 404 and error["error"]["code"] == "ResourceGroupNotFound"
