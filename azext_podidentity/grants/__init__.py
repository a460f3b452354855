# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""The 'Managed Identity Operator' grant the cluster identity needs on each pod identity's identity: whose principal
holds it (operator_role), how the grants this extension creates are marked so that it removes only its own, and
the exact command that creates one (marks, pure).

May import: arm, inputs."""
