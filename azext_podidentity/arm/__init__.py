# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Talking to Azure Resource Manager: the one adapter for both SDK model generations (sdk_models), management
clients for any subscription (clients), the only waits (retry), the service's errors in both shapes
(service_errors), and user-assigned identities with their federated credentials (identities).

May import: inputs. Never the layers above (grants, profile, the capabilities, the command surface)."""
