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

An identity holds 20 federated credentials at most. Past that, an identity binding (one per cluster and identity)
replaces the credentials: AKS gives the identity one credential, ``aks-identity-binding``, shared by every cluster
that binds it; in the cluster, a ClusterRole and a ClusterRoleBinding per service account let them use it, and
pods carry the annotation ``azure.workload.identity/use-identity-binding``. The strategy is chosen per identity
(``choose_strategies``); ``auto`` keeps the last of the 20 free, so that an identity can always move to bindings.
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
FEDERATED_CREDENTIAL, IDENTITY_BINDING, AUTO = "federated-credential", "identity-binding", "auto"
STRATEGIES = (AUTO, FEDERATED_CREDENTIAL, IDENTITY_BINDING)
BINDING_CREDENTIAL = "aks-identity-binding"  # the credential AKS creates for an identity's bindings
USE_IDENTITY_BINDING_ANNOTATION = "azure.workload.identity/use-identity-binding"
TENANT_ID_ANNOTATION = "azure.workload.identity/tenant-id"
BINDING_RBAC_GROUP, BINDING_RBAC_VERB = "cid.wi.aks.azure.com", "use-managed-identity"
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


def _base_items(entries, issuer, cluster_name, existing_credentials, service_account, proxy_sidecar_port):
    """One item per pod identity as a credential per service account would migrate it, and the subjects that would
    need a new credential on each identity (lower-cased id -> set). Raises on a clash or a doubly claimed account."""
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
        if entry.get("source"):  # read off the cluster (standard mode), not ARM's profile
            item["source"] = entry["source"]
        if len(group) > 1:
            item["sharedBindingSelector"] = _shared(group, entry)
            if entry is not group[0]:
                item["podChanges"]["containerEnv"] = {"AZURE_CLIENT_ID": entry["identity"].get("clientId")}
        items.append(item)
    return items, to_create


def credential_demand(entries, issuer, cluster_name, existing_credentials, service_account=None):
    """lower-cased identity id -> how many credentials a credential per service account would add."""
    _, to_create = _base_items(entries, issuer, cluster_name, existing_credentials, service_account, None)
    return {key: len(subjects) for key, subjects in to_create.items()} | {
        e["identity"]["resourceId"].lower(): 0 for e in entries
        if e["identity"]["resourceId"].lower() not in to_create}


def choose_strategies(demand, existing_credentials, requested, bindings_supported=True):
    """lower-cased identity id -> (strategy, why), for each identity of ``demand`` (credential_demand).

    ``auto``: nothing to add keeps the credentials this cluster has (a re-run changes nothing); an identity that AKS
    gave its binding credential takes a binding (it adds none); otherwise credentials while one of the 20 stays free
    for a binding, or while all 20 fit when no binding can be made (``bindings_supported`` False).
    """
    chosen = {}
    for key, new in demand.items():
        credentials = existing_credentials.get(key, [])
        has_binding_credential = any(c["name"] == BINDING_CREDENTIAL for c in credentials)
        total = len(credentials) + new
        room = MAX_CREDENTIALS_PER_IDENTITY - (0 if has_binding_credential or not bindings_supported else 1)
        kept_free = "" if room == MAX_CREDENTIALS_PER_IDENTITY else " (the last kept free for an identity binding)"
        if requested != AUTO:
            chosen[key] = (requested, f"--strategy {requested}")
        elif new == 0:
            chosen[key] = (FEDERATED_CREDENTIAL, "every service account of this cluster already has its federated "
                                                 "credential on the identity: nothing to add")
        elif has_binding_credential and bindings_supported:
            chosen[key] = (IDENTITY_BINDING, "the identity already has AKS's identity-binding credential: a binding "
                                             "on this cluster adds no credential")
        elif total <= room:
            chosen[key] = (FEDERATED_CREDENTIAL, f"{total} of the identity's {MAX_CREDENTIALS_PER_IDENTITY} federated "
                                                 f"credentials{kept_free}")
        else:
            chosen[key] = (IDENTITY_BINDING, f"a credential per service account would make {total} of the identity's "
                                             f"{MAX_CREDENTIALS_PER_IDENTITY} federated credentials{kept_free}")
    return chosen


def over_the_limit_without_bindings(identity_id, existing, new, why_no_bindings):
    """The error for an identity whose credentials would pass 20 where no identity binding can be made."""
    return InvalidArgumentValueError(
        f"Identity '{identity_id}' would pass its {MAX_CREDENTIALS_PER_IDENTITY} federated identity credentials: it "
        f"has {existing} and this migration needs {new} more ({existing + new}). An identity binding would share one "
        f"credential instead, but none can be made here: {why_no_bindings} Nothing was changed. Migrate fewer pod "
        "identities at a time (--namespace, --name), remove credentials the identity no longer needs, or use another "
        "identity.")


def binding_name(identity_id):
    """A stable binding name per identity, in the API's pattern ``^[a-z][a-z0-9]{0,63}$``: the identity's name in
    lower-case letters and digits, then a digest of its id (names repeat across groups)."""
    name = re.sub(r"[^a-z0-9]", "", identity_id.rstrip("/").rsplit("/", 1)[-1].lower())[:40]
    if not name[:1].isalpha():
        name = "mi" + name
    return f"{name}{hashlib.sha256(identity_id.lower().encode()).hexdigest()[:8]}"


def binding_issuer(binding):
    """The issuer an identity binding reports (the same for every binding of one identity), or None."""
    return (((binding or {}).get("properties") or {}).get("oidcIssuer") or {}).get("oidcIssuerUrl")


def full_without_binding_credential(credentials):
    """Whether an identity's credentials leave no room for AKS's binding credential, which it does not have."""
    return len(credentials) >= MAX_CREDENTIALS_PER_IDENTITY and \
        not any(c["name"] == BINDING_CREDENTIAL for c in credentials)


def use_binding(item, reason, binding, tenant_id):
    """Turn a plan item to the identity's binding on this cluster (``binding``: the existing one, or None)."""
    item.update(strategy=IDENTITY_BINDING, strategyReason=reason, credentialName=BINDING_CREDENTIAL,
                audience=None, tenantId=tenant_id, action="binding exists" if binding else "create binding",
                identityBinding=binding["name"] if binding else binding_name(item["identityResourceId"]),
                issuer=binding_issuer(binding))
    item["podChanges"].setdefault("addAnnotations", {})[USE_IDENTITY_BINDING_ANNOTATION] = "true"


def plan(entries, issuer, cluster_name, existing_credentials, service_account=None, proxy_sidecar_port=None,
         strategies=None, bindings=None, tenants=None):
    """Decide what to do for each pod identity.

    ``existing_credentials`` maps each identity resource id (lower-cased) to its credentials as
    ``{"name", "issuer", "subject"}``. Returns one item per pod identity with ``action`` "create" or "exists" (a
    credential), or "create binding" or "binding exists"; raises before any change on a name clash, a service account
    claimed by two identities, or an identity that would pass 20 credentials. ``strategies``: choose_strategies'
    answer (default: a credential per service account); ``bindings``: the cluster's binding of each identity, when it
    has one; ``tenants``: each identity's tenant id. ``proxy_sidecar_port``: the pods also get the proxy sidecar's
    annotations (for workloads on old SDKs).
    """
    items, to_create = _base_items(entries, issuer, cluster_name, existing_credentials, service_account,
                                   proxy_sidecar_port)
    strategies, bindings, tenants = strategies or {}, bindings or {}, tenants or {}
    for item in items:
        key = item["identityResourceId"].lower()
        strategy, reason = strategies.get(key, (FEDERATED_CREDENTIAL, "a credential per service account"))
        if strategy == IDENTITY_BINDING:
            use_binding(item, reason, bindings.get(key), tenants.get(key))
        else:
            item.update(strategy=FEDERATED_CREDENTIAL, strategyReason=reason)
    for identity_id in dict.fromkeys(i["identityResourceId"] for i in items):
        identity_key = identity_id.lower()
        credentials = existing_credentials.get(identity_key, [])
        if strategies.get(identity_key, (FEDERATED_CREDENTIAL,))[0] == IDENTITY_BINDING:
            if not bindings.get(identity_key) and full_without_binding_credential(credentials):
                raise InvalidArgumentValueError(
                    f"Identity '{identity_id}' has {len(credentials)} federated identity credentials, none of them "
                    f"AKS's '{BINDING_CREDENTIAL}', which an identity binding needs: an identity holds at most "
                    f"{MAX_CREDENTIALS_PER_IDENTITY}. Nothing was changed. Remove an unused credential first.")
            continue
        total = len(credentials) + len(to_create.get(identity_key, ()))
        if total > MAX_CREDENTIALS_PER_IDENTITY:
            raise InvalidArgumentValueError(
                f"Identity '{identity_id}' would need {total} federated identity credentials; an identity holds at "
                f"most {MAX_CREDENTIALS_PER_IDENTITY}. Nothing was changed. Use --strategy identity-binding (or "
                "auto): one identity binding per cluster shares a single credential; or migrate fewer pod "
                "identities at a time, remove unused credentials, or use another identity.")
    return items


def _rbac_name(*parts):
    """A Kubernetes object name (a DNS subdomain, 253 characters at most) made of ``parts``."""
    name = re.sub(r"[^a-z0-9.-]", "-", "-".join(parts).lower())
    return name if len(name) <= 253 else f"{name[:240]}-{hashlib.sha256(name.encode()).hexdigest()[:12]}"


def _binding_rbac(identity_items):
    """The ClusterRole that lets a service account use one identity through its binding, and one ClusterRoleBinding
    per service account: applying the manifest of a later migration (another namespace, another pod identity)
    adds its service accounts and never replaces those of an earlier one."""
    client_id = identity_items[0]["clientId"]
    role_name = _rbac_name("use-mi", client_id)
    accounts = list(dict.fromkeys((i["namespace"], i["serviceAccount"]) for i in identity_items))
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": role_name},
            "rules": [{"verbs": [BINDING_RBAC_VERB], "apiGroups": [BINDING_RBAC_GROUP], "resources": [client_id]}]}
    bindings = [{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                 "metadata": {"name": _rbac_name("use-mi", client_id, namespace, account)},
                 "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role_name},
                 "subjects": [{"kind": "ServiceAccount", "name": account, "namespace": namespace}]}
                for namespace, account in accounts]
    return role, bindings


def _service_account(users):
    first = users[0]
    annotations = {CLIENT_ID_ANNOTATION: first["clientId"]}
    if first.get("strategy") == IDENTITY_BINDING and first.get("tenantId"):
        annotations[TENANT_ID_ANNOTATION] = first["tenantId"]
    return {"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": first["serviceAccount"], "namespace": first["namespace"],
                         "annotations": annotations}}


def _grouped(items):
    by_account, by_binding = {}, {}
    for item in items:
        by_account.setdefault((item["namespace"], item["serviceAccount"]), []).append(item)
        if item.get("strategy") == IDENTITY_BINDING:
            by_binding.setdefault(item["identityResourceId"].lower(), []).append(item)
    return by_account, by_binding


def cluster_objects(items):
    """The Kubernetes objects the migration needs besides the workloads: one ServiceAccount per namespace and
    account, then the ClusterRole and ClusterRoleBindings of each identity used through an identity binding."""
    by_account, by_binding = _grouped(items)
    objects = [_service_account(users) for users in by_account.values()]
    for identity_items in by_binding.values():
        role, bindings = _binding_rbac(identity_items)
        objects += [role] + bindings
    return objects


def manifest(items):
    """Multi-document YAML: one ServiceAccount per namespace and account, preceded by the change its pods need; then,
    for each identity used through an identity binding, its ClusterRole and ClusterRoleBindings."""
    import yaml
    documents = []
    by_account, by_binding = _grouped(items)
    for (namespace, account_name), users in by_account.items():
        first = users[0]
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
        lines.append(yaml.safe_dump(_service_account(users), default_flow_style=False, sort_keys=False))
        documents.append("\n".join(lines))
    for identity_items in by_binding.values():
        role, bindings = _binding_rbac(identity_items)
        documents.append(f"# Lets these service accounts use identity '{identity_items[0]['identityResourceId']}' "
                         f"through identity binding '{identity_items[0]['identityBinding']}'\n"
                         + yaml.safe_dump(role, default_flow_style=False, sort_keys=False))
        documents += [yaml.safe_dump(binding, default_flow_style=False, sort_keys=False) for binding in bindings]
    return "---\n".join(documents)


def next_steps(items, resource_group_name, cluster_name, manifest_file):
    steps = [f"Apply the ServiceAccounts: kubectl apply -f {manifest_file}" if manifest_file else
             "Apply the ServiceAccounts in 'manifest' with kubectl apply."]
    if any(i["action"] in ("create", "created", "would create") for i in items):
        steps.append("A new federated identity credential takes a few seconds to be usable: restart the pods after "
                     "that, or they may fail their first token request.")
    bound = list(dict.fromkeys(i["identityResourceId"] for i in items if i.get("strategy") == IDENTITY_BINDING))
    if bound:
        steps.append("Apply the ClusterRole and the ClusterRoleBindings of each identity used through an identity "
                     "binding (in the manifest): they let its service accounts use the identity.")
        steps.append(f"AKS manages the federated credential '{BINDING_CREDENTIAL}' of "
                     + ", ".join(f"'{i}'" for i in bound) + ": do not change or delete it while bindings use it.")
    steps.append("Change each workload's pods as its 'podChanges' says, then restart them.")
    shared = [i for i in items if i["podChanges"].get("containerEnv")]
    if shared:
        steps.append("Pods that shared a binding selector run as one ServiceAccount with one client id: in the "
                     "containers that use another identity, set AZURE_CLIENT_ID as 'podChanges.containerEnv' says ("
                     + ", ".join(f"'{i['namespace']}/{i['name']}'" for i in shared) + ").")
    if any(i.get("source") for i in items):
        return steps + _standard_mode_steps(items)
    steps += [f"Once '{i['namespace']}/{i['name']}' runs on Workload ID, remove the pod identity: az aks pod-identity "
              f"delete --resource-group {resource_group_name} --cluster-name {cluster_name} --namespace "
              f"{i['namespace']} --name {i['name']}" for i in items]
    steps.append("Once no pod identity is left on the cluster, turn the add-on off: az aks update --resource-group "
                 f"{resource_group_name} --name {cluster_name} --disable-pod-identity")
    return steps


def _standard_mode_steps(items):
    """The end of a move off aad-pod-identity installed from its chart: its objects, then the chart."""
    bindings = list(dict.fromkeys(i["source"]["binding"] for i in items))
    steps = []
    for binding in bindings:
        namespace, name = binding.split(" ", 1)[1].split("/", 1)
        users = sorted({i["namespace"] for i in items if i["source"]["binding"] == binding})
        steps.append(f"Once the pods it binds (namespaces {', '.join(users)}) run on Workload ID, delete {binding}: "
                     f"kubectl delete azureidentitybinding --namespace {namespace} {name}")
    steps.append("Once no AzureIdentityBinding is left, uninstall aad-pod-identity as it was installed (for the "
                 "chart: helm uninstall <release> --namespace <namespace>).")
    return steps
