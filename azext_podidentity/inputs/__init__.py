# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Pure rules of what users type: Kubernetes names and labels, identity resource ids, custom headers. Each failure
names the option and the rule. The bottom layer: imports nothing of this extension, of azure-cli or of any SDK."""
