# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Pure planning of a move from pod identities to Microsoft Entra Workload ID.

For each selected pod identity: one federated identity credential on its user-assigned identity, trusting the
cluster's OIDC issuer for the subject ``system:serviceaccount:<namespace>:<service account>``, and a Kubernetes
ServiceAccount annotated with the identity's client id. Every check runs before anything is changed.
"""
import hashlib
import re

from azure.cli.core.azclierror import ArgumentUsageError, InvalidArgumentValueError, ResourceNotFoundError

AUDIENCE = "api://AzureADTokenExchange"
MAX_CREDENTIALS_PER_IDENTITY = 20
CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id"
USE_LABEL = "azure.workload.identity/use"
POD_IDENTITY_LABEL = "aadpodidbinding"


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


def plan(entries, issuer, cluster_name, existing_credentials, service_account=None):
    """Decide what to do for each pod identity.

    ``existing_credentials`` maps each identity resource id (lower-cased) to its credentials as
    ``{"name", "issuer", "subject"}``. Returns one item per pod identity with ``action`` "create" or "exists";
    raises before any change on a name clash, a service account claimed by two identities, or the 20 limit.
    """
    items, accounts, to_create = [], {}, {}
    for entry in entries:
        account = service_account or entry["name"]
        identity_id = entry["identity"]["resourceId"]
        claimed = accounts.setdefault((entry["namespace"], account), identity_id)
        if claimed.lower() != identity_id.lower():
            raise ArgumentUsageError(
                f"Service account '{account}' in namespace '{entry['namespace']}' would be used by two identities "
                f"('{claimed}' and '{identity_id}'); a service account carries one client id. Migrate them one at "
                "a time with --name and a different --service-account.")
        subject = f"system:serviceaccount:{entry['namespace']}:{account}"
        name = credential_name(cluster_name, entry["namespace"], account)
        credentials = existing_credentials.get(identity_id.lower(), [])
        same = next((c for c in credentials if c["issuer"] == issuer and c["subject"] == subject), None)
        clash = next((c for c in credentials if c["name"].lower() == name.lower()), None)
        if same is not None:
            action, name = "exists", same["name"]
        elif clash is not None:
            raise ArgumentUsageError(
                f"Identity '{identity_id}' already has a federated credential named '{name}' with another issuer or "
                f"subject ({clash['issuer']}, {clash['subject']}). Delete or rename it, then run the migration "
                "again.")
        else:
            action = "create"
            to_create.setdefault(identity_id.lower(), set()).add(subject)
        items.append({
            "name": entry["name"], "namespace": entry["namespace"], "identityResourceId": identity_id,
            "clientId": entry["identity"].get("clientId"), "serviceAccount": account, "credentialName": name,
            "issuer": issuer, "subject": subject, "audience": AUDIENCE, "action": action,
            "podChanges": {"removeLabels": {POD_IDENTITY_LABEL: entry.get("bindingSelector") or entry["name"]},
                           "addLabels": {USE_LABEL: "true"}, "serviceAccountName": account},
        })
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
    """Multi-document YAML: one ServiceAccount per item, preceded by the change its pods need."""
    import yaml
    documents, seen = [], set()
    for item in items:
        key = (item["namespace"], item["serviceAccount"])
        if key in seen:
            continue
        seen.add(key)
        selector = item["podChanges"]["removeLabels"][POD_IDENTITY_LABEL]
        account = {"apiVersion": "v1", "kind": "ServiceAccount",
                   "metadata": {"name": item["serviceAccount"], "namespace": item["namespace"],
                                "annotations": {CLIENT_ID_ANNOTATION: item["clientId"]}}}
        documents.append(
            f"# Pods labelled {POD_IDENTITY_LABEL}: {selector} in namespace {item['namespace']} (pod identity "
            f"'{item['name']}'):\n#   remove the label {POD_IDENTITY_LABEL}: {selector}\n"
            f"#   add the label {USE_LABEL}: \"true\"\n#   set spec.serviceAccountName: {item['serviceAccount']}\n"
            + yaml.safe_dump(account, default_flow_style=False, sort_keys=False))
    return "---\n".join(documents)


def next_steps(items, resource_group_name, cluster_name, manifest_file):
    steps = [f"Apply the ServiceAccounts: kubectl apply -f {manifest_file}" if manifest_file else
             "Apply the ServiceAccounts in 'manifest' with kubectl apply.",
             "Change each workload's pods as its 'podChanges' says, then restart them."]
    steps += [f"Once '{i['namespace']}/{i['name']}' runs on Workload ID, remove the pod identity: az aks pod-identity "
              f"delete --resource-group {resource_group_name} --cluster-name {cluster_name} --namespace "
              f"{i['namespace']} --name {i['name']}" for i in items]
    return steps
