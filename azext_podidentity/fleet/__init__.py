# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""The fleet view of 'list-clusters': every subscription scanned through ARM or Azure Resource Graph (scan,
resource_graph) into the same rows (rows, pure).

May import: arm, inputs; no other capability."""
