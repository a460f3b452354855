# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""What changed after day one and how to repair it: the health report of 'check' (check, pure, and identity_facts,
the reads it needs), the pod identities 'prune' removes (prune_plan, pure) and when a 'wait' is done
(wait_conditions, pure).

May import: profile, grants, arm, inputs; no other capability."""
