# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""How the extension gets into a cluster: the credential `az aks get-credentials` gets (user, or admin with
--admin), or the user's own kubeconfig (--kubeconfig, --context). Where the kubeconfig names kubelogin, a token for
the AKS server application comes from az's own login (what kubelogin's azurecli mode asks az for), so kubelogin is
not needed; any other client-go credential plugin is run as kubectl runs it."""
import json
import os
import subprocess

from azure.cli.core.azclierror import AzureResponseError, UnauthorizedError

from azext_podidentity.cluster import kubeconfig


def from_arm(client, resource_group, cluster_name, admin=False):
    """The Connection of the cluster's user (or admin) credential, read from ARM."""
    import yaml
    from azure.core.exceptions import HttpResponseError

    from azext_podidentity.arm import service_errors
    try:
        if admin:
            result = client.list_cluster_admin_credentials(resource_group, cluster_name)
        else:
            result = client.list_cluster_user_credentials(resource_group, cluster_name)
    except HttpResponseError as ex:
        which = "admin" if admin else "user"
        raise AzureResponseError(
            f"The cluster's {which} credential could not be read: "
            f"{service_errors.describe(service_errors.of_exception(ex))} It needs "
            f"'Microsoft.ContainerService/managedClusters/listCluster{which.capitalize()}Credential/action' on the "
            "cluster; or pass --kubeconfig (and --context) to use a kubeconfig of your own.") from ex
    value = result.kubeconfigs[0].value
    text = value.decode("utf-8") if isinstance(value, (bytes, bytearray)) else value
    return kubeconfig.connection(yaml.safe_load(text), origin=f"the {'admin' if admin else 'user'} credential of "
                                                              f"cluster '{cluster_name}'")


def from_file(path, context=None):
    path = os.path.expanduser(path)
    return kubeconfig.connection(kubeconfig.load(path), context, origin=f"--kubeconfig '{path}'")


def bearer_token(cli_ctx, connection):
    """The token to send, if the connection's user gets one from Microsoft Entra ID or from a plugin."""
    if connection.server_id:
        from azure.cli.core._profile import Profile
        try:
            token = Profile(cli_ctx=cli_ctx).get_raw_token(resource=connection.server_id)[0][1]
        except Exception as ex:  # pylint: disable=broad-except
            raise UnauthorizedError(f"No Microsoft Entra token for the cluster's server application "
                                    f"{connection.server_id} from az's login: {ex} Run 'az login' again.") from ex
        return token
    if connection.exec:
        return _run_plugin(connection.exec)
    return None


def _run_plugin(spec):
    """Run a client-go exec credential plugin (non-interactive) and return its token."""
    env = dict(os.environ, **{e["name"]: e["value"] for e in spec.get("env") or []})
    env["KUBERNETES_EXEC_INFO"] = json.dumps({"apiVersion": spec.get("apiVersion"), "kind": "ExecCredential",
                                              "spec": {"interactive": False}})
    command = [spec["command"], *(spec.get("args") or [])]
    try:
        proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False,
                              stdin=subprocess.DEVNULL)
    except OSError as ex:
        raise UnauthorizedError(f"The kubeconfig's credential plugin '{spec['command']}' could not be run: {ex}. "
                                f"{(spec.get('installHint') or '').strip()}") from ex
    if proc.returncode != 0:
        raise UnauthorizedError(f"The kubeconfig's credential plugin '{spec['command']}' failed "
                                f"({proc.returncode}): {proc.stderr.strip()[-500:]}")
    try:
        token = (json.loads(proc.stdout).get("status") or {}).get("token")
    except ValueError:
        token = None
    if not token:
        raise UnauthorizedError(f"The kubeconfig's credential plugin '{spec['command']}' gave no token.")
    return token
