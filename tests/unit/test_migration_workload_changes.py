"""The pure plan of a workload's change when its pod identity moves to Workload ID."""
import pytest

from azext_podidentity.migration import workload_changes as wc

ITEM = {"name": "web", "podChanges": {"serviceAccountName": "web", "addLabels": {"azure.workload.identity/use": "true"},
                                      "removeLabels": {"aadpodidbinding": "web"}}}


def _deployment(labels=None, template_labels=None, account=None, kind_path=("spec", "template")):
    template = {"metadata": {"labels": dict({"aadpodidbinding": "web"}, **(template_labels or {}))},
                "spec": {"containers": [{"name": "app"}]}}
    if account:
        template["spec"]["serviceAccountName"] = account
    obj = {"metadata": {"name": "d", "labels": labels or {}}}
    cursor = obj
    for key in kind_path[:-1]:
        cursor = cursor.setdefault(key, {})
    cursor[kind_path[-1]] = template
    return obj


ROW = {"kind": "Deployment", "name": "d", "namespace": "shop", "pods": 2}


def test_the_label_goes_on_the_pod_template_and_pod_identity_stays():
    change = wc.workload_change(ROW, _deployment(), ITEM)
    assert change["action"] == "patch" and change["templatePath"] == "spec.template"
    assert change["addLabels"] == {"azure.workload.identity/use": "true"}
    assert change["keepLabels"] == {"aadpodidbinding": "web"}
    assert change["serviceAccountName"] == {"from": "default", "to": "web"}


def test_a_cronjobs_template_is_in_its_job_template():
    obj = _deployment(kind_path=("spec", "jobTemplate", "spec", "template"))
    change = wc.workload_change(dict(ROW, kind="CronJob"), obj, ITEM)
    assert change["templatePath"] == "spec.jobTemplate.spec.template" and change["action"] == "patch"


def test_a_workload_already_changed_needs_nothing():
    obj = _deployment(template_labels={"azure.workload.identity/use": "true"}, account="web")
    assert wc.workload_change(ROW, obj, ITEM)["action"] == "none (already done)"


@pytest.mark.parametrize("labels,annotations,owner", [
    ({"app.kubernetes.io/managed-by": "Helm"}, {"meta.helm.sh/release-name": "r"}, "Helm release 'r'"),
    ({"argocd.argoproj.io/instance": "app1"}, {}, "Argo CD application 'app1'"),
    ({}, {"argocd.argoproj.io/tracking-id": "app2:apps/Deployment:shop/d"}, "Argo CD application 'app2'"),
    ({"kustomize.toolkit.fluxcd.io/name": "k"}, {}, "Flux kustomize 'k'"),
    ({}, {}, None),
])
def test_tool_owned_workloads_are_changed_in_their_source(labels, annotations, owner):
    obj = _deployment(labels=labels)
    obj["metadata"]["annotations"] = annotations
    assert wc.owning_tool(obj) == owner
    change = wc.workload_change(ROW, obj, ITEM)
    assert change["action"] == ("change in its source" if owner else "patch")


def test_secret_provider_classes_still_on_pod_identity_get_the_client_id():
    spc = {"metadata": {"name": "kv", "namespace": "shop"}, "spec": {"parameters": {"usePodIdentity": "true"}}}
    assert wc.secret_provider_class_change(spc, "cid")["set"] == {"spec.parameters.usePodIdentity": "false",
                                                                  "spec.parameters.clientID": "cid"}
    spc["spec"]["parameters"] = {"clientID": "cid"}
    assert wc.secret_provider_class_change(spc, "cid") is None
