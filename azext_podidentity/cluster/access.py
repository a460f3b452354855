# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Opening a cluster for reading, and the usage check the removing commands run before they remove."""
from dataclasses import dataclass

from knack.log import get_logger

logger = get_logger(__name__)


@dataclass
class ClusterAccess:
    """How to reach the cluster's API server: its ARM credential (``admin``) or a kubeconfig of the user's;
    ``private``: a private cluster, read through ARM's run command unless a kubeconfig is given; ``entra``: a
    cluster with Microsoft Entra integration (the run command then carries the user's token)."""
    admin: bool = False
    kubeconfig: str = None
    context: str = None
    private: bool = False
    entra: bool = False


def access_for(cluster, admin=False, kubeconfig=None, context=None):
    """The ClusterAccess for a cluster as read from ARM (an SDK model)."""
    profile = getattr(cluster, "api_server_access_profile", None)
    return ClusterAccess(admin, kubeconfig, context, bool(profile and profile.enable_private_cluster),
                         getattr(cluster, "aad_profile", None) is not None)


def open_api(cmd, client, resource_group, cluster_name, access):
    """A client of the cluster's API server (close it when done): direct, or through runCommand for a private
    cluster without --kubeconfig."""
    from azext_podidentity.cluster import credentials
    from azext_podidentity.cluster.api import ClusterApi
    if access.private and not access.kubeconfig:
        from azext_podidentity.cluster.kubeconfig import AKS_SERVER_APP, Connection
        from azext_podidentity.cluster.run_command import RunCommandApi
        token = None
        if access.entra:
            token = credentials.bearer_token(cmd.cli_ctx, Connection(server="", context="",
                                                                     server_id=AKS_SERVER_APP))
        return RunCommandApi(cmd, client, resource_group, cluster_name, token)
    if access.kubeconfig:
        connection = credentials.from_file(access.kubeconfig, access.context)
    else:
        connection = credentials.from_arm(client, resource_group, cluster_name, access.admin)
    return ClusterApi(connection, credentials.bearer_token(cmd.cli_ctx, connection))


def inventory_of(api, profile):
    """The inventory of the cluster ``api`` reads, for the pod identities and exceptions of ``profile``."""
    from azext_podidentity.cluster import reader
    from azext_podidentity.profile import edits
    return reader.read(api, profile.get(edits.IDENTITIES) or [], profile.get(edits.EXCEPTIONS) or [])


def read_inventory(cmd, client, resource_group, cluster_name, profile, access):
    with open_api(cmd, client, resource_group, cluster_name, access) as api:
        return inventory_of(api, profile)


def read_in_cluster(cmd, client, resource_group, cluster_name, profile, access):
    """What `check` reads off the cluster: {"inventory", "nmi"}, or {"error"} (with a warning) when the cluster
    could not be read; the ARM checks are made either way."""
    from azure.cli.core.azclierror import AzCLIError

    from azext_podidentity.cluster import reader
    try:
        with open_api(cmd, client, resource_group, cluster_name, access) as api:
            return {"inventory": inventory_of(api, profile), "nmi": reader.nmi_status(api)}
    except AzCLIError as ex:
        logger.warning("The cluster's API server could not be read, so only what ARM shows was checked: %s", ex)
        return {"error": str(ex)}


def workloads_using(cmd, client, resource_group, cluster_name, profile, removed, access):
    """The workloads whose pods still use the pod identities ``removed`` ((namespace, name) pairs), as
    (pod identity, namespace, workload) rows; None, with a warning, when the cluster could not be read."""
    from azure.cli.core.azclierror import AzCLIError

    from azext_podidentity.cluster import inventory
    try:
        found = read_inventory(cmd, client, resource_group, cluster_name, profile, access)
    except AzCLIError as ex:
        logger.warning("Could not check whether running pods still use what is removed, because the cluster could "
                       "not be read: %s", ex)
        return None
    return inventory.users_of(found, removed)


def describe_users(users):
    lines = [f"  {w['kind']}/{w['name']} in namespace '{namespace}': {w['pods']} pod(s) using pod identity '{name}'"
             for name, namespace, w in users]
    return "Running workloads still use what would be removed; their pods lose that Azure identity:\n" + \
        "\n".join(lines) + "\n"
