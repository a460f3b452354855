"""The edits that apply and undo the in-cluster half, and what the pods say after it (pure)."""
import json

import jsonpatch
import pytest

from azext_podidentity.migration import verification, workload_edits as we

CHANGES = {"serviceAccountName": "web", "addLabels": {"azure.workload.identity/use": "true"},
           "removeLabels": {"aadpodidbinding": "web"}}


def _cronjob(account=None, labels=None):
    spec = {"containers": [{"name": "app"}]}
    if account:
        spec["serviceAccountName"] = account
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly", "namespace": "shop"},
            "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": {
                "metadata": {"labels": dict(labels or {"aadpodidbinding": "web"})}, "spec": spec}}}}}


def _merge(obj, body):
    """What a server-side apply of ``body`` makes of ``obj`` where the two do not conflict (maps merged)."""
    merged = json.loads(json.dumps(obj))

    def into(target, source):
        for key, value in source.items():
            if isinstance(value, dict) and isinstance(target.get(key), dict):
                into(target[key], value)
            else:
                target[key] = value
    into(merged, body)
    return merged


def test_stage_one_sets_the_cronjobs_job_template_and_records_what_was_there():
    body = we.stage_one_body(_cronjob(), CHANGES, "shop/web")
    template = body["spec"]["jobTemplate"]["spec"]["template"]
    assert template == {"metadata": {"labels": {"azure.workload.identity/use": "true"}},
                        "spec": {"serviceAccountName": "web"}}
    assert "selector" not in body["spec"]
    record = json.loads(body["metadata"]["annotations"][we.RECORD])
    assert record["before"] == {"serviceAccountName": None, "labels": {"azure.workload.identity/use": None},
                                "annotations": {}}


def test_a_rerun_keeps_the_first_runs_before_and_sends_the_same_body():
    obj = _cronjob(account="legacy")
    first = we.stage_one_body(obj, CHANGES, "shop/web")
    applied = _merge(obj, first)
    assert we.stage_one_body(applied, CHANGES, "shop/web") == first
    assert json.loads(first["metadata"]["annotations"][we.RECORD])["before"]["serviceAccountName"] == "legacy"


def test_undo_restores_both_stages_and_keeps_what_someone_changed_since():
    obj = _cronjob(account="legacy", labels={"aadpodidbinding": "web", "team": "a"})
    migrated = _merge(obj, we.stage_one_body(obj, CHANGES, "shop/web"))
    stage_two = jsonpatch.apply_patch(migrated, we.label_removal_ops(migrated))
    labels = stage_two["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
    assert labels == {"team": "a", "azure.workload.identity/use": "true"}
    assert we.label_removal_ops(stage_two) is None  # a re-run of stage two has nothing to do

    ops, kept = we.undo_ops(stage_two)
    restored = jsonpatch.apply_patch(stage_two, ops)
    assert restored["spec"] == obj["spec"] and we.RECORD not in restored["metadata"]["annotations"]
    assert kept == []

    stage_two["spec"]["jobTemplate"]["spec"]["template"]["spec"]["serviceAccountName"] = "someone-elses"
    ops, kept = we.undo_ops(stage_two)
    restored = jsonpatch.apply_patch(stage_two, ops)
    assert restored["spec"]["jobTemplate"]["spec"]["template"]["spec"]["serviceAccountName"] == "someone-elses"
    assert kept == ["serviceAccountName is 'someone-elses', no longer what the migration set; left as it is"]


def test_undo_fails_instead_of_overwriting_labels_changed_after_it_read_them():
    obj = _cronjob()
    migrated = _merge(obj, we.stage_one_body(obj, CHANGES, "shop/web"))
    ops, _ = we.undo_ops(migrated)
    migrated["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]["new"] = "x"  # meanwhile
    with pytest.raises(jsonpatch.JsonPatchTestFailed):
        jsonpatch.apply_patch(migrated, ops)


def test_secret_provider_class_undo_puts_the_parameters_back():
    spc = {"apiVersion": "secrets-store.csi.x-k8s.io/v1", "kind": "SecretProviderClass",
           "metadata": {"name": "vault", "namespace": "shop"},
           "spec": {"parameters": {"usePodIdentity": "true", "keyvaultName": "kv"}}}
    body = we.spc_body(spc, {"set": {"spec.parameters.usePodIdentity": "false", "spec.parameters.clientID": "c"}})
    changed = _merge(spc, body)
    assert changed["spec"]["parameters"] == {"usePodIdentity": "false", "keyvaultName": "kv", "clientID": "c"}
    ops, _ = we.undo_ops(changed)
    assert jsonpatch.apply_patch(changed, ops)["spec"] == spc["spec"]


def _pod(account="web", labels=None, env=(), volume=False):
    spec = {"serviceAccountName": account,
            "containers": [{"name": "app", "env": [{"name": n, "value": "x"} for n in env]}]}
    if volume:
        spec["volumes"] = [{"name": verification.TOKEN_VOLUME}]
    if labels is None:
        labels = {"azure.workload.identity/use": "true"}
    return {"metadata": {"namespace": "shop", "labels": labels}, "spec": spec}


ANNOTATED = {("shop", "web"): {"azure.workload.identity/client-id": "c"}}


@pytest.mark.parametrize("pods, accounts, webhook, expected, reason", [
    ([], ANNOTATED, True, "no pods", "no pod to check"),
    ([_pod(account="default")], ANNOTATED, True, "rollout pending", "still run from the template before"),
    ([_pod(labels={})], ANNOTATED, True, "not mutated", "lacks the label"),
    ([_pod()], {}, True, "not mutated", "has no azure.workload.identity/client-id"),
    ([_pod()], ANNOTATED, False, "not mutated", "webhook is not installed"),
    ([_pod()], ANNOTATED, True, "not mutated", "the webhook did not mutate it"),
    ([_pod(env=verification.INJECTED_ENV, volume=True)], ANNOTATED, True, "migrated", None),
    ([_pod(env=verification.INJECTED_ENV, volume=True), _pod(account="default")], ANNOTATED, True,
     "rollout pending", "1 pod(s) still run"),
])
def test_verification_names_the_first_reason_why_not(pods, accounts, webhook, expected, reason):
    row = verification.status("web", pods, accounts, webhook)
    assert row["status"] == expected
    assert (reason is None and "reason" not in row) or reason in row["reason"]


def test_the_webhook_is_found_by_its_name_in_any_configuration():
    assert verification.webhook_installed([{"webhooks": [{"name": "other"}]},
                                           {"webhooks": [{"name": verification.WEBHOOK}]}])
    assert not verification.webhook_installed([{"webhooks": [{"name": "other"}]}, {}])
