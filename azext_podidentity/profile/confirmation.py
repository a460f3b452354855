# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Asking before pod identities (and exceptions) are removed: `prune`, and `aks update --disable-pod-identity`."""


def user_confirms(summary):
    """The user's answer to ``summary`` and "Continue?". Without a terminal nothing is removed (pipelines pass
    --yes): an argument error that names --yes."""
    from azure.cli.core.azclierror import ArgumentUsageError
    from knack.prompting import NoTTYException, prompt_y_n
    gap = "" if summary.endswith("\n") else " "
    try:
        return prompt_y_n(f"{summary}{gap}Continue?", default="n")
    except NoTTYException as ex:
        raise ArgumentUsageError(f"{summary}{gap}Nothing was changed. Run again with --yes to confirm.") from ex
