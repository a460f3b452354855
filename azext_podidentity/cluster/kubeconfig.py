# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Reading a kubeconfig: the context to use, its server and how to authenticate (pure, apart from `load`)."""
from dataclasses import dataclass, field

from azure.cli.core.azclierror import FileOperationError, InvalidArgumentValueError

# Tokens for AKS clusters with Microsoft Entra integration are issued for this server application (kubelogin docs).
AKS_SERVER_APP = "6dae42f8-4368-4678-94ff-3960e28e3630"


@dataclass
class Connection:  # pylint: disable=too-many-instance-attributes
    """Where the API server is and what to send it. ``*_data`` hold base64 PEM as kubeconfigs do; ``exec`` is a
    client-go credential plugin to run; ``server_id`` says that a Microsoft Entra token for that application
    stands in for the plugin (as `kubelogin convert-kubeconfig -l azurecli` does)."""
    server: str
    context: str
    ca_data: str = None
    insecure: bool = False
    client_certificate_data: str = None
    client_key_data: str = None
    token: str = None
    exec: dict = field(default=None, repr=False)
    server_id: str = None


def load(path):
    """The kubeconfig at ``path`` as a dict; a clear error for a missing or unreadable file."""
    import yaml
    try:
        with open(path, encoding="utf-8") as f:
            config = yaml.safe_load(f)
    except FileNotFoundError as ex:
        raise FileOperationError(f"--kubeconfig: no file at '{path}'.") from ex
    except (OSError, yaml.YAMLError) as ex:
        raise FileOperationError(f"--kubeconfig: '{path}' could not be read as a kubeconfig: {ex}") from ex
    if not isinstance(config, dict):
        raise FileOperationError(f"--kubeconfig: '{path}' is not a kubeconfig (no clusters, users, contexts).")
    return config


def _named(config, section, name):
    for item in config.get(section) or []:
        if item.get("name") == name:
            return item.get(section[:-1]) or {}
    return None


def _server_id(exec_spec):
    """The Entra application a kubelogin plugin asks tokens for, or None for another plugin."""
    command = (exec_spec.get("command") or "").rsplit("/", 1)[-1]
    args = list(exec_spec.get("args") or [])
    if command not in ("kubelogin", "kubelogin.exe") or "--server-id" not in args:
        return None
    at = args.index("--server-id")
    return args[at + 1] if at + 1 < len(args) else None


def connection(config, context=None, origin="the kubeconfig"):
    """The Connection of ``context`` (default: the current context), or an error that names what is missing."""
    name = context or config.get("current-context")
    if not name:
        raise InvalidArgumentValueError(f"{origin} has no current context: pass --context.")
    entry = _named(config, "contexts", name)
    if entry is None:
        known = ", ".join(sorted(c.get("name", "") for c in config.get("contexts") or [])) or "none"
        raise InvalidArgumentValueError(f"--context: no context named '{name}' in {origin} (contexts: {known}).")
    cluster = _named(config, "clusters", entry.get("cluster"))
    if not cluster or not cluster.get("server"):
        raise InvalidArgumentValueError(f"{origin}: context '{name}' names cluster '{entry.get('cluster')}', "
                                        "which has no server.")
    user = _named(config, "users", entry.get("user")) or {}
    if user.get("auth-provider"):
        # client-go dropped the auth-provider plugins in 1.26: convert as kubelogin does.
        provider = user["auth-provider"]
        if provider.get("name") != "azure":
            raise InvalidArgumentValueError(f"{origin}: user '{entry.get('user')}' uses the auth-provider "
                                            f"'{provider.get('name')}', which is no longer supported; use an "
                                            "exec plugin.")
        server_id = (provider.get("config") or {}).get("apiserver-id") or AKS_SERVER_APP
    else:
        server_id = _server_id(user["exec"]) if user.get("exec") else None
    return Connection(server=cluster["server"], context=name, ca_data=cluster.get("certificate-authority-data"),
                      insecure=bool(cluster.get("insecure-skip-tls-verify")),
                      client_certificate_data=user.get("client-certificate-data"),
                      client_key_data=user.get("client-key-data"), token=user.get("token"),
                      exec=user.get("exec") if not server_id else None, server_id=server_id)
