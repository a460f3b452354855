# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Table output. Transformers receive the managed cluster as a camelCase dict."""


def _profile(result):
    return (result or {}).get("podIdentityProfile") or {}


def pod_identities_table(result):
    return [{"Name": e.get("name"), "Namespace": e.get("namespace"),
             "ProvisioningState": e.get("provisioningState"),
             "Identity": (e.get("identity") or {}).get("resourceId")}
            for e in _profile(result).get("userAssignedIdentities") or []]


def pod_identity_exceptions_table(result):
    return [{"Name": e.get("name"), "Namespace": e.get("namespace"),
             "PodLabels": " ".join(f"{k}={v}" for k, v in sorted((e.get("podLabels") or {}).items()))}
            for e in _profile(result).get("userAssignedIdentityExceptions") or []]


def migration_table(result):
    """The pod identities' Azure half; with --workloads verify, remove-pod-identity-label or undo, one row per
    workload (what its pods show, or what was done to it)."""
    if isinstance((result or {}).get("workloads"), list):
        return [{"Kind": w["kind"], "Namespace": w.get("namespace"), "Name": w["name"],
                 "Status": w.get("status") or w.get("result"),
                 "Reason": w.get("reason") or "; ".join(w.get("kept") or []) or ""} for w in result["workloads"]]
    return [{"Name": i["name"], "Namespace": i["namespace"], "ServiceAccount": i["serviceAccount"],
             "Strategy": i.get("strategy"), "CredentialName": i["credentialName"], "Action": i["action"]}
            for i in (result or {}).get("podIdentities") or []]


def prune_table(result):
    return [{"Name": i["name"], "Namespace": i["namespace"], "Identity": i["identityResourceId"],
             "Action": i["action"]} for i in (result or {}).get("podIdentities") or []]


def check_table(result):
    """One row per problem, each with the command that fixes it; one row saying so when there is none."""
    rows = [{"PodIdentity": f"{p['namespace']}/{p['podIdentity']}" if p.get("podIdentity") else "(cluster)",
             "Problem": p["problem"], "Fix": p["fix"]} for p in (result or {}).get("problems") or []]
    return rows or [{"PodIdentity": "(all)", "Problem": "none found", "Fix": ""}]


def fleet_table(result):
    return [{"Subscription": r["subscriptionId"], "ResourceGroup": r["resourceGroup"], "Name": r["name"],
             "PodIdentities": r["podIdentities"], "Exceptions": r["podIdentityExceptions"],
             "OidcIssuer": r["oidcIssuerEnabled"], "WorkloadIdentity": r["workloadIdentityEnabled"]}
            for r in result or []]


def workloads_table(result):
    """One row per workload: those of each pod identity, then those whose pods match none (with the nearest
    selector), then those each exception exempts."""
    rows = []
    for i in (result or {}).get("podIdentities") or []:
        for w in i["workloads"] or [{"kind": "", "name": "(no pods)", "pods": 0, "usesWorkloadIdentity": None}]:
            rows.append({"PodIdentity": f"{i['namespace']}/{i['name']}", "Selector": i["bindingSelector"],
                         "Workload": f"{w['kind']}/{w['name']}".lstrip("/"), "Pods": w["pods"],
                         "WorkloadId": {True: "yes", False: "no"}.get(w["usesWorkloadIdentity"], ""), "Note": ""})
    for w in (result or {}).get("unmatchedPods") or []:
        near = w.get("nearest")
        rows.append({"PodIdentity": "(none)", "Selector": w["label"],
                     "Workload": f"{w['namespace']}/{w['kind']}/{w['name']}", "Pods": w["pods"],
                     "WorkloadId": "yes" if w["usesWorkloadIdentity"] else "no",
                     "Note": f"did you mean '{near['selector']}' ({near['namespace']})?" if near else
                             "no pod identity has this selector"})
    for e in (result or {}).get("exceptions") or []:
        for w in e["workloads"]:
            rows.append({"PodIdentity": f"(exception {e['namespace']}/{e['name']})", "Selector": "",
                         "Workload": f"{w['kind']}/{w['name']}", "Pods": w["pods"], "WorkloadId": "",
                         "Note": "exempt from pod identity"})
    return rows
