# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""The add-on itself: core's 'az aks create' and 'az aks update' extended with the pod identity flags
(aks_commands). Loaded only when one of those two commands runs.

May import: profile, grants, arm, inputs; no other capability."""
