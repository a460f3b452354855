# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Pure planning of a move from pod identities to Microsoft Entra Workload ID.

For each selected pod identity: one federated identity credential on its user-assigned identity, trusting the
cluster's OIDC issuer for the subject ``system:serviceaccount:<namespace>:<service account>``, and a Kubernetes
ServiceAccount annotated with the identity's client id. Every check runs before anything is changed.

Pod identities that share a binding selector were used by the same pods, and a pod runs as one ServiceAccount,
which carries one client id: they share one service account (every identity trusts it), its annotation names the
first identity, and the containers that use another one set AZURE_CLIENT_ID to its client id.
"""
import hashlib
import re

from azure.cli.core.azclierror import ArgumentUsageError, InvalidArgumentValueError, ResourceNotFoundError

AUDIENCE = "api://AzureADTokenExchange"
MAX_CREDENTIALS_PER_IDENTITY = 20
CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id"
USE_LABEL = "azure.workload.identity/use"
POD_IDENTITY_LABEL = "aadpodidbinding"
PROXY_SIDECAR_ANNOTATION = "azure.workload.identity/inject-proxy-sidecar"
PROXY_PORT_ANNOTATION = "azure.workload.identity/proxy-sidecar-port"
DEFAULT_PROXY_PORT = 8000
PROXY_SIDECAR_CAVEATS = (
    "The proxy sidecar is for workloads whose Azure SDK cannot use Workload ID yet; move them to a current SDK.",
    "It works on Linux pods only.",
    "It is not meant for production use.",
    "It is not injected into pods that use hostNetwork.",
    "Jobs whose pods carry it may never complete: the sidecar keeps running after the job's container exits.",
)


def issuer_of(cluster, resource_group_name, cluster_name):
    """The cluster's OIDC issuer URL; an error with the exact command to run when the prerequisites are missing."""
    props = cluster.get("properties") or {}
    oidc = props.get("oidcIssuerProfile") or {}
    workload = ((props.get("securityProfile") or {}).get("workloadIdentity") or {}).get("enabled")
    if not (oidc.get("enabled") and oidc.get("issuerURL") and workload):
        missing = [flag for flag, on in (("--enable-oidc-issuer", oidc.get("enabled") and oidc.get("issuerURL")),
                                         ("--enable-workload-identity", workload)) if not on]
        raise InvalidArgumentValueError(
            f"Cluster '{cluster_name}' needs the OIDC issuer and workload identity before pod identities can move to "
            f"Workload ID. Enable them first with:\n  az aks update --resource-group {resource_group_name} --name "
            f"{cluster_name} --enable-oidc-issuer --enable-workload-identity\n(missing: {', '.join(missing)})")
    return oidc["issuerURL"]


def select(profile, namespace=None, name=None):
    entries = [e for e in profile.get("userAssignedIdentities") or []
               if (namespace is None or e["namespace"] == namespace) and (name is None or e["name"] == name)]
    if not entries:
        where = " and ".join(x for x in (f"named '{name}'" if name else "",
                                         f"in namespace '{namespace}'" if namespace else "") if x)
        raise ResourceNotFoundError(f"No pod identity {where or 'on this cluster'} to migrate.")
    if name and namespace is None and len({e["namespace"] for e in entries}) > 1:
        raise ArgumentUsageError(f"Pod identities named '{name}' exist in several namespaces "
                                 f"({', '.join(sorted(e['namespace'] for e in entries))}); add --namespace.")
    return entries


def credential_name(cluster_name, namespace, service_account):
    """A stable name per cluster, namespace and service account: 3-120 letters, digits, '-' and '_'."""
    name = re.sub(r"[^A-Za-z0-9_-]", "-", f"{cluster_name}-{namespace}-{service_account}")
    if len(name) > 120:
        digest = hashlib.sha256(name.encode()).hexdigest()[:10]
        name = f"{name[:109]}-{digest}"
    return name


def _selector(entry):
    return entry.get("bindingSelector") or entry["name"]


def selector_groups(entries):
    """(namespace, binding selector) -> the pod identities that share it, in profile order."""
    groups = {}
    for entry in entries:
        groups.setdefault((entry["namespace"], _selector(entry)), []).append(entry)
    return groups


def _pod_changes(entry, account, proxy_sidecar_port):
    changes = {"removeLabels": {POD_IDENTITY_LABEL: _selector(entry)}, "addLabels": {USE_LABEL: "true"},
               "serviceAccountName": account}
    if proxy_sidecar_port:
        changes["addAnnotations"] = {PROXY_SIDECAR_ANNOTATION: "true", PROXY_PORT_ANNOTATION: str(proxy_sidecar_port)}
    return changes


def _shared(group, entry):
    """What a pod identity that shares its binding selector needs said: which client id its pods get."""
    first = group[0]
    shared = {"bindingSelector": _selector(entry), "podIdentities": [e["name"] for e in group],
              "serviceAccountClientId": first["identity"].get("clientId")}
    if entry is first:
        shared["note"] = (f"Pods labelled {POD_IDENTITY_LABEL}: {_selector(entry)} used {len(group)} identities; "
                          f"their ServiceAccount carries this one's client id, the default for every container.")
    else:
        shared["note"] = (f"Pods labelled {POD_IDENTITY_LABEL}: {_selector(entry)} used {len(group)} identities, and "
                          f"their ServiceAccount carries the client id of '{first['name']}'. Containers that use this "
                          f"identity set the environment variable AZURE_CLIENT_ID={entry['identity'].get('clientId')} "
                          "(per container), or pass that client id to their credential in code.")
    return shared


def _credential_action(credentials, issuer, subject, name, identity_id):
    """("exists", its name) when a credential trusts this issuer and subject, else ("create", name); an error when
    the name is taken by a credential with other content."""
    same = next((c for c in credentials if c["issuer"] == issuer and c["subject"] == subject), None)
    if same is not None:
        return "exists", same["name"]
    clash = next((c for c in credentials if c["name"].lower() == name.lower()), None)
    if clash is not None:
        raise ArgumentUsageError(
            f"Identity '{identity_id}' already has a federated credential named '{name}' with another issuer or "
            f"subject ({clash['issuer']}, {clash['subject']}). Delete or rename it, then run the migration again.")
    return "create", name


def plan(entries, issuer, cluster_name, existing_credentials, service_account=None, proxy_sidecar_port=None):
    """Decide what to do for each pod identity.

    ``existing_credentials`` maps each identity resource id (lower-cased) to its credentials as
    ``{"name", "issuer", "subject"}``. Returns one item per pod identity with ``action`` "create" or "exists";
    raises before any change on a name clash, a service account claimed by two identities, or the 20 limit.
    ``proxy_sidecar_port``: the pods also get the proxy sidecar's annotations (for workloads on old SDKs).
    """
    items, accounts, to_create = [], {}, {}
    groups = selector_groups(entries)
    for entry in entries:
        group_key = (entry["namespace"], _selector(entry))
        group = groups[group_key]
        # the pods of one selector run as one service account: the first pod identity's name, unless chosen
        account = service_account or group[0]["name"]
        identity_id = entry["identity"]["resourceId"]
        claimed_by, claimed = accounts.setdefault((entry["namespace"], account), (group_key, identity_id))
        if claimed_by != group_key and claimed.lower() != identity_id.lower():
            raise ArgumentUsageError(
                f"Service account '{account}' in namespace '{entry['namespace']}' would be used by two identities "
                f"('{claimed}' and '{identity_id}') of pods with different binding selectors; a service account "
                "carries one client id. Migrate them one at a time with --name and a different --service-account.")
        subject = f"system:serviceaccount:{entry['namespace']}:{account}"
        action, name = _credential_action(existing_credentials.get(identity_id.lower(), []), issuer, subject,
                                          credential_name(cluster_name, entry["namespace"], account), identity_id)
        if action == "create":
            to_create.setdefault(identity_id.lower(), set()).add(subject)
        item = {
            "name": entry["name"], "namespace": entry["namespace"], "identityResourceId": identity_id,
            "clientId": entry["identity"].get("clientId"), "serviceAccount": account, "credentialName": name,
            "issuer": issuer, "subject": subject, "audience": AUDIENCE, "action": action,
            "podChanges": _pod_changes(entry, account, proxy_sidecar_port),
        }
        if len(group) > 1:
            item["sharedBindingSelector"] = _shared(group, entry)
            if entry is not group[0]:
                item["podChanges"]["containerEnv"] = {"AZURE_CLIENT_ID": entry["identity"].get("clientId")}
        items.append(item)
    for identity_key, subjects in to_create.items():
        total = len(existing_credentials.get(identity_key, [])) + len(subjects)
        if total > MAX_CREDENTIALS_PER_IDENTITY:
            identity_id = next(i["identityResourceId"] for i in items if i["identityResourceId"].lower() ==
                               identity_key)
            raise InvalidArgumentValueError(
                f"Identity '{identity_id}' would need {total} federated identity credentials; an identity holds at "
                f"most {MAX_CREDENTIALS_PER_IDENTITY}. Nothing was changed. Migrate fewer pod identities at a time, "
                "remove unused credentials, or use another identity.")
    return items


def manifest(items):
    """Multi-document YAML: one ServiceAccount per namespace and account, preceded by the change its pods need."""
    import yaml
    documents, by_account = [], {}
    for item in items:
        by_account.setdefault((item["namespace"], item["serviceAccount"]), []).append(item)
    for (namespace, account_name), users in by_account.items():
        first = users[0]
        account = {"apiVersion": "v1", "kind": "ServiceAccount",
                   "metadata": {"name": account_name, "namespace": namespace,
                                "annotations": {CLIENT_ID_ANNOTATION: first["clientId"]}}}
        lines = []
        for item in users:
            selector = item["podChanges"]["removeLabels"][POD_IDENTITY_LABEL]
            lines.append(f"# Pods labelled {POD_IDENTITY_LABEL}: {selector} in namespace {namespace} (pod identity "
                         f"'{item['name']}'):\n#   remove the label {POD_IDENTITY_LABEL}: {selector}\n"
                         f"#   add the label {USE_LABEL}: \"true\"\n#   set spec.serviceAccountName: {account_name}")
            for key, value in (item["podChanges"].get("addAnnotations") or {}).items():
                lines.append(f"#   add the annotation {key}: \"{value}\"")
            if item["podChanges"].get("containerEnv"):
                lines.append(f"#   in the containers that use this identity, set AZURE_CLIENT_ID={item['clientId']} "
                             f"(this ServiceAccount carries the client id of '{first['name']}')")
        lines.append(yaml.safe_dump(account, default_flow_style=False, sort_keys=False))
        documents.append("\n".join(lines))
    return "---\n".join(documents)


def next_steps(items, resource_group_name, cluster_name, manifest_file):
    steps = [f"Apply the ServiceAccounts: kubectl apply -f {manifest_file}" if manifest_file else
             "Apply the ServiceAccounts in 'manifest' with kubectl apply."]
    if any(i["action"] in ("create", "created", "would create") for i in items):
        steps.append("A new federated identity credential takes a few seconds to be usable: restart the pods after "
                     "that, or they may fail their first token request.")
    steps.append("Change each workload's pods as its 'podChanges' says, then restart them.")
    shared = [i for i in items if i["podChanges"].get("containerEnv")]
    if shared:
        steps.append("Pods that shared a binding selector run as one ServiceAccount with one client id: in the "
                     "containers that use another identity, set AZURE_CLIENT_ID as 'podChanges.containerEnv' says ("
                     + ", ".join(f"'{i['namespace']}/{i['name']}'" for i in shared) + ").")
    steps += [f"Once '{i['namespace']}/{i['name']}' runs on Workload ID, remove the pod identity: az aks pod-identity "
              f"delete --resource-group {resource_group_name} --cluster-name {cluster_name} --namespace "
              f"{i['namespace']} --name {i['name']}" for i in items]
    steps.append("Once no pod identity is left on the cluster, turn the add-on off: az aks update --resource-group "
                 f"{resource_group_name} --name {cluster_name} --disable-pod-identity")
    return steps
