# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""The move to Microsoft Entra Workload ID: pure planning (plan), the reads and writes that carry it out (run), and
the cluster's identity bindings (identity_bindings).

May import: profile, grants, arm, inputs; no other capability."""
