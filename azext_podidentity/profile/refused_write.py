# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""A refused write of the profile explained: the service's code and message kept, and what to do added: the preview
feature's commands when the service refused pod identity for it, else the pod identities that blocked the write
(whose identities are read once, since the service words a deleted identity like a revoked grant)."""
from azure.cli.core.azclierror import AzureResponseError

from azext_podidentity.arm.identities import read_existence
from azext_podidentity.profile import blocked_write, preview_feature
from azext_podidentity.profile.edits import IDENTITIES, identity_id_of


def raise_explained(target, principal_id, profile, before, error):
    """A refused write: keep the service's code and message, and say what to do: the preview feature's commands
    when the service refused pod identity for it, else the pod identities that blocked the write. ``principal_id``:
    the cluster identity's principal (None for a cluster without one)."""
    explanation = None
    if error.status_code == 400:
        message = str(error.message)
        explanation = preview_feature.explain(target.cmd, message) or \
            _blocking_entries(target, principal_id, profile, before, message)
    if not explanation:
        raise error
    raise AzureResponseError(f"{error.message}\n{explanation}") from error


def _blocking_entries(target, principal_id, profile, before, message):
    """What blocked the write, or None. The service says "no assignment permission" both for a revoked grant and for an
    identity that was deleted, so each blocking identity is read once to tell which advice applies; when one is gone,
    so are the others read: the service names one blocker at a time, and several deleted identities are removed
    together."""
    existing = {}
    if blocked_write.MISSING_GRANT in message.lower():
        existing = read_existence(target.cmd, [identity_id_of(e) for e in blocked_write.blockers(message, profile)])
        if False in existing.values():  # a deleted identity: are there others? they go together
            everyone = (before.get(IDENTITIES) or []) + (profile.get(IDENTITIES) or [])
            existing = read_existence(target.cmd, [identity_id_of(e) for e in everyone], existing)
    return blocked_write.explain(message, profile, target.resource_group_name, target.cluster_name,
                                 principal_id, existing, before)
