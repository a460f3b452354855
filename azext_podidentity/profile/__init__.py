# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""A cluster's podIdentityProfile: pure edits (edits), the one read-modify-write path (writer), what a refused write
means and how to unblock it (refused_write reads, blocked_write and fixes are pure), the preview feature the
service requires (preview_feature), and the question asked before entries are removed (confirmation).

May import: grants, arm, inputs."""
