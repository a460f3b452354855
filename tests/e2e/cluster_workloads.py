"""Workloads for the cluster-reading tests, applied with the real kubectl; the real controllers make their pods."""
import time

from tests.e2e.helpers import pod_identity_args

WORKLOAD_ID_LABEL = "azure.workload.identity/use"


def pod_template(labels, service_account=None):
    spec = {"containers": [{"name": "app", "image": "mcr.microsoft.com/azuredocs/aks-helloworld:v1"}]}
    if service_account:
        spec["serviceAccountName"] = service_account
    return {"metadata": {"labels": labels}, "spec": spec}


def deployment(namespace, name, labels, replicas=1, service_account=None):
    selector = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": namespace},
            "spec": {"replicas": replicas, "selector": {"matchLabels": selector},
                     "template": pod_template(dict(labels, **selector), service_account)}}


def statefulset(namespace, name, labels, replicas=1):
    selector = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name, "namespace": namespace},
            "spec": {"replicas": replicas, "serviceName": name, "selector": {"matchLabels": selector},
                     "template": pod_template(dict(labels, **selector))}}


def cronjob(namespace, name, labels):
    template = pod_template(labels)
    template["spec"]["restartPolicy"] = "Never"
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name, "namespace": namespace},
            "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": template}}}}


def pod(namespace, name, labels):
    return dict({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace}},
                **{"spec": pod_template(labels)["spec"]}, metadata={"name": name, "namespace": namespace,
                                                                    "labels": labels})


def namespaces_ready(kubectl, *namespaces, timeout=60):
    """Create the namespaces and wait for their `default` ServiceAccount (the serviceaccount controller makes it;
    pods are refused before it exists)."""
    kubectl.apply(*[{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}} for n in namespaces])
    deadline = time.monotonic() + timeout
    for namespace in namespaces:
        while kubectl.run("get", "serviceaccount", "default", "-n", namespace, check=False).returncode != 0:
            assert time.monotonic() < deadline, f"no default ServiceAccount in {namespace}"
            time.sleep(0.2)


def wait_for_pods(kubectl, count, selector="aadpodidbinding", timeout=90):
    deadline = time.monotonic() + timeout
    while True:
        found = len(kubectl.get_json("pods", "-A", "-l", selector)["items"])
        if found >= count:
            return found
        assert time.monotonic() < deadline, f"{found} pods with {selector}, expected {count}"
        time.sleep(0.3)


def migration_cluster(az, emulator, names, tmp_path, *workloads):
    """A cluster ready to migrate: pod identity 'web' in namespace 'shop' (its own identity), the OIDC issuer and
    workload identity on, the namespace ready and ``workloads`` applied; returns (identity, kubectl)."""
    emulator.seed_cluster(names.rg, names.cluster, pod_identity={"enabled": True}, oidc_issuer=True,
                          workload_identity=True)
    identity = emulator.seed_identity(names.identity_rg, "app-identity")
    az.ok(*pod_identity_args(names, identity, name="web"))
    kubectl = emulator.cluster_kubectl(names.rg, names.cluster, str(tmp_path))
    namespaces_ready(kubectl, "shop")
    if workloads:
        kubectl.apply(*workloads)
    return identity, kubectl
