# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Pure: why pods get no identity, as read off the cluster (`az aks pod-identity check`), each with its fix.

From the inventory (cluster.inventory.build): pods whose ``aadpodidbinding`` label matches no pod identity of their
namespace (a typo, another case, a pod identity in another namespace: the add-on matches within one namespace
only); exceptions that exempt pods which carry a pod identity's selector (NMI lets them reach the Instance Metadata
Service unproxied, so they never get that identity); and NMI, the add-on's DaemonSet, missing or not ready.
"""
import json

from azext_podidentity.profile.fixes import readd

# where each kind keeps the template of its pods
_TEMPLATE_PATH = {"CronJob": ("spec", "jobTemplate", "spec", "template")}


def relabel(kind, namespace, name, selector):
    """The command that sets the label on the pod template (a bare pod's own label is set, and the pod re-created,
    since NMI matches a pod when it asks for a token, by the label it has then)."""
    if kind == "Pod":
        return (f"kubectl -n {namespace} label pod {name} aadpodidbinding={selector} --overwrite "
                "(then re-create the pod)")
    patch = {"metadata": {"labels": {"aadpodidbinding": selector}}}
    for part in reversed(_TEMPLATE_PATH.get(kind, ("spec", "template"))):
        patch = {part: patch}
    return (f"kubectl -n {namespace} patch {kind.lower()} {name} --type merge "
            f"-p '{json.dumps(patch, separators=(',', ':'))}'")


def _unmatched(resource_group, cluster_name, row, entries):
    near = row.get("nearest")
    where = f"{row['kind']}/{row['name']} in namespace '{row['namespace']}'"
    problem = (f"{row['pods']} pod(s) of {where} carry aadpodidbinding '{row['label']}', which no pod identity of "
               f"namespace '{row['namespace']}' has, so they get no identity")
    if near and near["selector"] == row["label"]:
        source = next(e for e in entries if e["namespace"] == near["namespace"]
                      and (e.get("bindingSelector") or e["name"]) == near["selector"])
        twin = dict(source, namespace=row["namespace"], bindingSelector=row["label"])
        return {"podIdentity": None, "namespace": row["namespace"],
                "problem": f"{problem}: {near['reason']}.", "fix": readd(resource_group, cluster_name, twin)}
    if near:
        return {"podIdentity": None, "namespace": row["namespace"],
                "problem": f"{problem}; did you mean '{near['selector']}' ({near['reason']})?",
                "fix": relabel(row["kind"], row["namespace"], row["name"], near["selector"])}
    return {"podIdentity": None, "namespace": row["namespace"],
            "problem": f"{problem}, nor one near it.",
            "fix": f"az aks pod-identity add --resource-group {resource_group} --cluster-name {cluster_name} "
                   f"--namespace {row['namespace']} --name <name> --identity-resource-id <identity id> "
                   f"--binding-selector {row['label']}"}


def problems(resource_group, cluster_name, inventory, entries, nmi):
    """The in-cluster problems, in the order of the report. ``nmi``: None when its DaemonSet is missing, else
    {"desired", "ready"}."""
    found = []
    if nmi is None:
        found.append({"podIdentity": None, "namespace": "kube-system",
                      "problem": "The add-on's NMI DaemonSet (kube-system/nmi) is missing: no pod gets an identity.",
                      "fix": f"az aks update --resource-group {resource_group} --name {cluster_name} "
                             "--enable-pod-identity"})
    elif nmi["ready"] < nmi["desired"]:
        found.append({"podIdentity": None, "namespace": "kube-system",
                      "problem": f"NMI is ready on {nmi['ready']} of {nmi['desired']} nodes: pods on the other nodes "
                                 "get no identity.",
                      "fix": "kubectl -n kube-system describe daemonset nmi"})
    for row in inventory["unmatchedPods"]:
        found.append(_unmatched(resource_group, cluster_name, row, entries))
    for exception in inventory["exceptions"]:
        for row in exception["exemptedPodIdentityUsers"]:
            found.append({
                "podIdentity": None, "namespace": exception["namespace"],
                "problem": f"Exception '{exception['name']}' exempts {row['pods']} pod(s) of {row['kind']}/"
                           f"{row['name']}, which carry aadpodidbinding '{row['label']}': NMI lets them through "
                           "unproxied, so they never get that pod identity.",
                "fix": f"az aks pod-identity exception update --resource-group {resource_group} --cluster-name "
                       f"{cluster_name} --namespace {exception['namespace']} --name {exception['name']} "
                       "--pod-labels <labels those pods do not carry>"})
    return found
