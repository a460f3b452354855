# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Reading the cluster itself: its credentials, a small client of its API server, and the inventory of the
workloads that use pod identity. Imported only by the commands that read the cluster."""
