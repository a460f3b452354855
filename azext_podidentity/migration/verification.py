# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Pure: whether a migrated workload's pods run on Workload ID, from the pods themselves.

A pod from the changed template carries the label ``azure.workload.identity/use: "true"`` and runs as the
annotated service account; the workload identity webhook then mutates it at admission: ``AZURE_CLIENT_ID``,
``AZURE_TENANT_ID``, ``AZURE_FEDERATED_TOKEN_FILE`` and ``AZURE_AUTHORITY_HOST`` in every container and the
projected token volume. Pods created before the change carry none of it until they are re-created, and a pod
that should have been mutated but was not has one of three causes, named in that order: the label is missing,
its service account has no client id, or the cluster has no webhook.
"""
from azext_podidentity.migration.plan import CLIENT_ID_ANNOTATION, USE_LABEL

INJECTED_ENV = ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_AUTHORITY_HOST")
TOKEN_VOLUME = "azure-identity-token"
WEBHOOK = "mutation.azure-workload-identity.io"  # the webhook's name in its MutatingWebhookConfiguration
MIGRATED, ROLLOUT_PENDING, NOT_MUTATED, NO_PODS = "migrated", "rollout pending", "not mutated", "no pods"


def webhook_installed(configurations):
    """Whether one of the MutatingWebhookConfigurations holds the workload identity webhook."""
    return any(w.get("name") == WEBHOOK for c in configurations for w in c.get("webhooks") or [])


def _mutated(pod):
    spec = pod.get("spec") or {}
    containers = spec.get("containers") or []
    if not containers or TOKEN_VOLUME not in {v.get("name") for v in spec.get("volumes") or []}:
        return False
    return all(set(INJECTED_ENV) <= {e.get("name") for e in c.get("env") or []} for c in containers)


def _why_not(pod, accounts, webhook):
    labels = (pod.get("metadata") or {}).get("labels") or {}
    if labels.get(USE_LABEL) != "true":
        return f"the pod lacks the label {USE_LABEL}: \"true\""
    account = (pod.get("spec") or {}).get("serviceAccountName") or "default"
    if not (accounts.get((pod["metadata"].get("namespace"), account)) or {}).get(CLIENT_ID_ANNOTATION):
        return f"service account '{account}' has no {CLIENT_ID_ANNOTATION} annotation"
    if not webhook:
        return ("the workload identity webhook is not installed (no MutatingWebhookConfiguration holds "
                f"'{WEBHOOK}'): enable it with 'az aks update --enable-workload-identity'")
    return ("the webhook did not mutate it: check the webhook's pods and logs (kube-system, "
            "azure-wi-webhook-controller-manager), then re-create the pod")


def status(account, pods, accounts, webhook):
    """{"status", "pods", "onNewTemplate", "mutated", "reason"?} of one workload whose pods should run as
    ``account`` with the Workload ID label (a pod running as ``account`` is from the changed template);
    ``accounts``: (namespace, name) -> annotations."""
    new = [p for p in pods if ((p.get("spec") or {}).get("serviceAccountName") or "default") == account]
    mutated = [p for p in new if _mutated(p)]
    row = {"pods": len(pods), "onNewTemplate": len(new), "mutated": len(mutated)}
    if not pods:
        return dict(row, status=NO_PODS, reason="no pod to check yet (a CronJob's next run, or scaled to zero)")
    unmutated = [p for p in new if not _mutated(p)]
    if unmutated:
        return dict(row, status=NOT_MUTATED, reason=_why_not(unmutated[0], accounts, webhook))
    if len(new) < len(pods):
        return dict(row, status=ROLLOUT_PENDING, reason=(
            f"{len(pods) - len(new)} pod(s) still run from the template before the change: wait for the rollout, "
            "or re-create them (kubectl rollout restart)"))
    return dict(row, status=MIGRATED)
