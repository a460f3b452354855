# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Reading what the in-cluster half of a migration needs: the inventory, each workload to change (one GET per
workload, so requests grow with the workloads, not the pods), and the SecretProviderClasses they mount."""
from knack.log import get_logger

from azext_podidentity.migration import workload_changes as wc

logger = get_logger(__name__)
SPC = ("secretproviderclasses", "secrets-store.csi.x-k8s.io")


def plan(cmd, client, resource_group, cluster_name, profile, items, access):
    """{"read": True, "changes", "secretProviderClasses"} for the migrated pod identities' workloads, or
    {"read": False, "error"} (with a warning) when the cluster could not be read."""
    from azure.cli.core.azclierror import AzCLIError

    from azext_podidentity.cluster.access import inventory_of, open_api
    try:
        with open_api(cmd, client, resource_group, cluster_name, access) as api:
            return _plan(api, inventory_of(api, profile), items)
    except AzCLIError as ex:
        logger.warning("The cluster could not be read, so the plan covers only the Azure half; the workloads were "
                       "not looked at: %s", ex)
        return {"read": False, "error": str(ex)}


def _plan(api, found, items):
    by_identity = {(i["namespace"], i["name"]): i for i in found["podIdentities"]}
    changes, spc_changes, classes, seen = [], [], {}, set()
    for item in items:
        for row in (by_identity.get((item["namespace"], item["name"])) or {}).get("workloads") or []:
            if row["kind"] not in wc.RESOURCES:
                changes.append({"kind": row["kind"], "name": row["name"], "namespace": row["namespace"],
                                "pods": row["pods"], "podIdentity": item["name"], "action": "change by hand",
                                "note": f"Pods of a {row['kind']}: change its pod template as listed for the "
                                        "others."})
                continue
            resource, group = wc.RESOURCES[row["kind"]]
            obj = api.get(resource, row["namespace"], row["name"], group)
            changes.append(wc.workload_change(row, obj, item))
            for name in wc.secret_provider_classes_used(obj, row["kind"]):
                if row["namespace"] not in classes:
                    classes[row["namespace"]] = {c["metadata"]["name"]: c for c in api.list(
                        SPC[0], namespace=row["namespace"], group=SPC[1], missing_ok=True)}
                spc = classes[row["namespace"]].get(name)
                change = spc and wc.secret_provider_class_change(spc, item["clientId"], item.get("tenantId"))
                if change and (row["namespace"], name) not in seen:
                    seen.add((row["namespace"], name))
                    spc_changes.append(dict(change, usedBy=f"{row['kind']}/{row['name']}"))
    return {"read": True, "changes": changes, "secretProviderClasses": spc_changes}
