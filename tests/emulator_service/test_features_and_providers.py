"""Microsoft.Features and provider registration, and the AKS refusal they gate, driven over HTTPS."""
import time

API = "2021-07-01"
NS = "Microsoft.ContainerService"


def feature_path(emulator, name="EnablePodIdentityPreview", subscription=None):
    return (f"/subscriptions/{subscription or emulator.subscription}/providers/Microsoft.Features/providers/{NS}/"
            f"features/{name}")


def state(emulator):
    return emulator.arm("GET", feature_path(emulator), api_version=API)[2]["properties"]["state"]


def enable_pod_identity(emulator, cluster):
    body = {"location": cluster["location"], "identity": cluster["identity"],
            "properties": dict(cluster["properties"], podIdentityProfile={"enabled": True})}
    return emulator.arm("PUT", cluster["id"], body)


def test_register_answers_registering_and_the_feature_reads_registered_after_the_delay(emulator):
    emulator.seed_feature("NotRegistered")
    emulator.settings(feature_registration_seconds=0.3)
    status, _, body = emulator.arm("POST", feature_path(emulator) + "/register", api_version=API)
    assert status == 200 and body["properties"]["state"] == "Registering"
    assert body["name"] == f"{NS}/EnablePodIdentityPreview" and body["type"] == "Microsoft.Features/providers/features"
    assert state(emulator) == "Registering"
    time.sleep(0.35)
    assert state(emulator) == "Registered"
    # registering again changes nothing
    assert emulator.arm("POST", feature_path(emulator) + "/register", api_version=API)[2]["properties"]["state"] \
        == "Registered"


def test_unregister_passes_through_unregistering(emulator):
    emulator.settings(feature_registration_seconds=0.2)
    status, _, body = emulator.arm("POST", feature_path(emulator) + "/unregister", api_version=API)
    assert status == 200 and body["properties"]["state"] == "Unregistering"
    time.sleep(0.25)
    assert state(emulator) == "Unregistered"


def test_lists_per_subscription_and_per_namespace(emulator):
    emulator.seed_feature("NotRegistered")
    everything = emulator.arm("GET", f"/subscriptions/{emulator.subscription}/providers/Microsoft.Features/features",
                              api_version=API)[2]["value"]
    of_aks = emulator.arm("GET", f"/subscriptions/{emulator.subscription}/providers/Microsoft.Features/providers/"
                                 f"{NS}/features", api_version=API)[2]["value"]
    assert {"name": f"{NS}/EnablePodIdentityPreview", "state": "NotRegistered"} in \
        [{"name": f["name"], "state": f["properties"]["state"]} for f in everything]
    assert all(f["name"].startswith(NS + "/") for f in of_aks) and len(of_aks) >= 1


def test_unknown_features_namespaces_and_subscriptions(emulator):
    assert emulator.arm("GET", feature_path(emulator, "NoSuchFeature"), api_version=API)[0] == 404
    status, _, body = emulator.arm("GET", f"/subscriptions/{emulator.subscription}/providers/Microsoft.Nothing",
                                   api_version="2024-11-01")
    assert status == 404 and body["error"]["code"] == "InvalidResourceNamespace"
    status, _, body = emulator.arm("GET", feature_path(emulator, subscription="00000000-0000-4000-8000-000000000000"),
                                   api_version=API)
    assert status == 404 and body["error"]["code"] == "SubscriptionNotFound"


def test_aks_sees_a_registration_only_once_the_provider_is_registered_again(emulator):
    cluster = emulator.seed_cluster("featuresRg", "featuresCluster")
    emulator.seed_feature("NotRegistered")
    emulator.settings(feature_registration_seconds=0.0)
    status, _, body = enable_pod_identity(emulator, cluster)
    assert (status, body["code"]) == (400, "BadRequest")
    assert body["message"] == ("PodIdentity addon is not allowed since feature "
                               "'Microsoft.ContainerService/EnablePodIdentityPreview' is not enabled.")
    emulator.arm("POST", feature_path(emulator) + "/register", api_version=API)
    assert state(emulator) == "Registered"
    assert enable_pod_identity(emulator, cluster)[0] == 400  # not propagated yet
    status, _, provider = emulator.arm("POST", f"/subscriptions/{emulator.subscription}/providers/{NS}/register",
                                       api_version="2024-11-01")
    assert status == 200 and provider["registrationState"] == "Registered" and provider["namespace"] == NS
    assert enable_pod_identity(emulator, cluster)[0] == 200


def test_each_subscription_has_its_own_state(emulator):
    other = "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f"
    emulator.seed_feature("NotRegistered", subscription=other)
    assert state(emulator) == "Registered"
    assert emulator.arm("GET", feature_path(emulator, subscription=other), api_version=API)[2]["properties"][
        "state"] == "NotRegistered"
