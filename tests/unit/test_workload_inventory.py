"""The pure parts of reading a cluster: matching, owners, the nearest selector, kubeconfig contexts."""
import pytest
from azure.cli.core.azclierror import InvalidArgumentValueError

from azext_podidentity.cluster import inventory, kubeconfig
from azext_podidentity.drift.cluster_causes import relabel


def _pod(name, namespace, labels, owner=None):
    meta = {"name": name, "namespace": namespace, "labels": labels, "uid": f"{namespace}-{name}"}
    if owner:
        meta["ownerReferences"] = [{"kind": owner[0], "name": owner[1], "controller": True}]
    return {"metadata": meta, "spec": {}}


def test_top_owner_walks_replicasets_to_deployments_and_jobs_to_cronjobs():
    owners = {("ReplicaSet", "a", "api-1"): {"metadata": {"ownerReferences": [
        {"kind": "Deployment", "name": "api", "controller": True}]}},
        ("Job", "a", "nightly-1"): {"metadata": {"ownerReferences": [
            {"kind": "CronJob", "name": "nightly", "controller": True}]}},
        ("ReplicaSet", "a", "bare-rs"): {"metadata": {}}}
    assert inventory.top_owner(_pod("p", "a", {}, ("ReplicaSet", "api-1")), owners) == ("Deployment", "api")
    assert inventory.top_owner(_pod("p", "a", {}, ("Job", "nightly-1")), owners) == ("CronJob", "nightly")
    assert inventory.top_owner(_pod("p", "a", {}, ("ReplicaSet", "bare-rs")), owners) == ("ReplicaSet", "bare-rs")
    assert inventory.top_owner(_pod("p", "a", {}, ("StatefulSet", "db")), owners) == ("StatefulSet", "db")
    assert inventory.top_owner(_pod("p", "a", {}), owners) == ("Pod", "p")


@pytest.mark.parametrize("label,namespace,expected", [
    ("web", "other", ("web", "shop", "only in the binding's own namespace")),
    ("Web", "shop", ("web", "shop", "upper/lower case")),
    ("wbe", "shop", ("web", "shop", "2 character(s)")),
    ("payments-api", "shop", None),
])
def test_nearest_selector(label, namespace, expected):
    near = inventory.nearest_selector(label, namespace, {("shop", "web"), ("shop", "jobs")})
    if expected is None:
        assert near is None
    else:
        assert (near["selector"], near["namespace"]) == expected[:2] and expected[2] in near["reason"]


def test_matching_is_exact_and_within_the_namespace():
    identities = [{"name": "web", "namespace": "shop"}, {"name": "w2", "namespace": "shop", "bindingSelector": "web"}]
    pods = [_pod("a", "shop", {"aadpodidbinding": "web"}), _pod("b", "other", {"aadpodidbinding": "web"}),
            _pod("c", "shop", {"aadpodidbinding": "web "})]
    found = inventory.build(identities, [], pods, {}, {}, {})
    assert [i["pods"] for i in found["podIdentities"]] == [1, 1]
    assert sorted((u["namespace"], u["name"]) for u in found["unmatchedPods"]) == [("other", "b"), ("shop", "c")]


def test_relabel_puts_the_label_on_the_pod_template():
    assert '"jobTemplate":{"spec":{"template":{"metadata"' in relabel("CronJob", "a", "n", "web")
    assert relabel("Deployment", "a", "n", "web").endswith(
        """-p '{"spec":{"template":{"metadata":{"labels":{"aadpodidbinding":"web"}}}}}'""")


def _config(user):
    return {"current-context": "c", "contexts": [{"name": "c", "context": {"cluster": "k", "user": "u"}}],
            "clusters": [{"name": "k", "cluster": {"server": "https://x"}}], "users": [{"name": "u", "user": user}]}


def test_kubelogin_users_get_an_entra_token_for_their_server_id():
    exec_user = {"exec": {"command": "kubelogin", "args": ["get-token", "--server-id", "abc"]}}
    assert kubeconfig.connection(_config(exec_user)).server_id == "abc"
    legacy = {"auth-provider": {"name": "azure", "config": {"apiserver-id": "def"}}}
    assert kubeconfig.connection(_config(legacy)).server_id == "def"
    other = {"exec": {"command": "aws", "args": ["eks", "get-token"]}}
    connection = kubeconfig.connection(_config(other))
    assert connection.server_id is None and connection.exec["command"] == "aws"


def test_an_unknown_context_names_the_known_ones():
    with pytest.raises(InvalidArgumentValueError, match=r"no context named 'x' .*\(contexts: c\)"):
        kubeconfig.connection(_config({}), "x")


def test_run_command_lines_become_the_objects_the_inventory_reads():
    from azext_podidentity.cluster.run_command import parse_lines
    line = "\t".join(["shop", "api-1", "u1", "web", "true", "ReplicaSet", "api-rs", "api-sa", "", "", ""])
    daemonset = "\t".join(["kube-system", "nmi", "u2", "", "", "", "", "", "", "3", "2"])
    (pod, nmi) = parse_lines(line + "\n" + daemonset + "\nnot a line\n")
    assert pod["metadata"]["labels"] == {"aadpodidbinding": "web", "azure.workload.identity/use": "true"}
    assert inventory.controller_of(pod) == {"kind": "ReplicaSet", "name": "api-rs", "controller": True}
    assert pod["spec"]["serviceAccountName"] == "api-sa"
    assert nmi["status"] == {"desiredNumberScheduled": 3, "numberReady": 2}


def test_nmi_missing_or_not_ready_is_a_problem_with_its_fix():
    from azext_podidentity.drift.cluster_causes import problems
    empty = {"unmatchedPods": [], "exceptions": []}
    assert problems("rg", "c", empty, [], {"desired": 0, "ready": 0}) == []
    (missing,) = problems("rg", "c", empty, [], None)
    assert "missing" in missing["problem"] and missing["fix"].endswith("--enable-pod-identity")
    (partial,) = problems("rg", "c", empty, [], {"desired": 3, "ready": 1})
    assert "ready on 1 of 3 nodes" in partial["problem"]


class _Listed:
    """Objects as an API server lists them: ``labelSelector`` "k" (label present) or "k=v", within a namespace."""

    def __init__(self, pods):
        self.pods = pods

    def list(self, resource, namespace=None, label_selector=None, group="", version="v1"):
        del group, version
        if resource != "pods":
            return []
        key, _, value = (label_selector or "").partition("=")
        return [p for p in self.pods if (namespace is None or p["metadata"]["namespace"] == namespace)
                and (not key or (key in p["metadata"]["labels"] and (not value or
                                                                     p["metadata"]["labels"][key] == value)))]


def test_an_exception_exempts_pods_with_any_one_of_its_labels_in_its_namespace():
    from azext_podidentity.cluster import reader
    entry = {"name": "e", "namespace": "shop", "podLabels": {"app": "probe", "tier": "infra"}}
    api = _Listed([_pod("infra", "shop", {"tier": "infra"}), _pod("elsewhere", "other", {"tier": "infra"}),
                   _pod("web", "shop", {"app": "web"}), _pod("probe", "shop", {"app": "probe", "tier": "infra"})])
    (exempt,) = reader.read(api, [], [entry])["exceptions"]
    assert sorted(w["name"] for w in exempt["workloads"]) == ["infra", "probe"]


class _WithAccounts(_Listed):
    """Also ServiceAccounts (each annotated with a client id), recording which namespaces were asked for them."""

    def __init__(self, pods, accounts):
        super().__init__(pods)
        self.accounts, self.account_lists = accounts, []

    def list(self, resource, namespace=None, label_selector=None, group="", version="v1"):
        if resource != "serviceaccounts":
            return super().list(resource, namespace, label_selector, group, version)
        self.account_lists.append(namespace)
        return [{"metadata": {"name": name, "namespace": ns,
                              "annotations": {"azure.workload.identity/client-id": "c"}}}
                for ns, name in self.accounts if namespace is None or ns == namespace]


@pytest.mark.parametrize("namespaces, lists", [(3, ["ns0", "ns1", "ns2"]), (4, [None])])
def test_service_accounts_are_listed_per_namespace_while_few_then_once(namespaces, lists):
    from azext_podidentity.cluster import reader
    names = [f"ns{n}" for n in range(namespaces)]
    pods = [dict(_pod(f"p{ns}", ns, {"aadpodidbinding": "web", "azure.workload.identity/use": "true"}),
                 spec={"serviceAccountName": "web"}) for ns in names]
    api = _WithAccounts(pods, [(ns, "web") for ns in names])
    found = reader.read(api, [{"name": "web", "namespace": ns, "identity": {}} for ns in names], [])
    assert api.account_lists == lists
    assert all(w["usesWorkloadIdentity"] for i in found["podIdentities"] for w in i["workloads"])
