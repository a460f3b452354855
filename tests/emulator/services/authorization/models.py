"""Role definitions and role assignments (Microsoft.Authorization).

Rules kept here: a listing with ``atScope()`` returns assignments at the scope or above it, which includes those
at the root scope ``/`` and at a management group over the subscription (recorded:
role_assignment_create_with_description.json's note; every subscription here sits in the tenant root group, the
management group named after the tenant, as Azure places subscriptions by default); creating an
assignment needs Owner or User Access Administrator over the scope; the same role, principal and scope may
be assigned once. A replication delay makes new assignments invisible to other services' permission
checks for a number of cluster writes, as Entra replication does.
"""
import datetime
import re
import uuid

from ... import arm_ids
from ...errors import ArmError
from ..platform.models import TENANT_ID

ROLE_DEFINITIONS = {
    "f1a07417-d97a-45cb-824c-7a7467783830": ("Managed Identity Operator", "Read and Assign User Assigned Identity"),
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": ("Owner", "Grants full access to manage all resources."),
    "b24988ac-6180-42a0-ab88-20f7382dd24c": ("Contributor", "Grants full access to manage all resources, "
                                                            "but does not allow you to assign roles."),
    "acdd72a7-3385-48ef-bd42-f606fba81ae7": ("Reader", "View all resources."),
    "9980e02c-c2be-4d73-94e8-173b1dc7cf3c": ("Virtual Machine Contributor", "Lets you manage virtual machines."),
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": ("User Access Administrator", "Lets you manage user access."),
}
MANAGED_IDENTITY_OPERATOR = "f1a07417-d97a-45cb-824c-7a7467783830"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
USER_ACCESS_ADMINISTRATOR = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
# Roles whose actions include Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action.
CAN_ASSIGN_IDENTITY = {MANAGED_IDENTITY_OPERATOR, OWNER, "b24988ac-6180-42a0-ab88-20f7382dd24c"}
# Roles whose actions include Microsoft.Authorization/roleAssignments/write.
CAN_WRITE_ASSIGNMENTS = {OWNER, USER_ACCESS_ADMINISTRATOR}

_GUID_AT_END = re.compile(r"([0-9a-f-]{36})$", re.IGNORECASE)


def role_guid(role_definition_id):
    m = _GUID_AT_END.search(role_definition_id or "")
    return m.group(1).lower() if m else None


_MANAGEMENT_GROUP = re.compile(r"^/providers/microsoft\.management/managementgroups/([^/]+)$")


def applies_at(scope, assignment_scope):
    """Does an assignment at ``assignment_scope`` apply at ``scope`` (the scope itself or one of its ancestors)?"""
    group = _MANAGEMENT_GROUP.match(arm_ids.normalize(assignment_scope))
    if group:
        return group.group(1) == TENANT_ID.lower() and arm_ids.normalize(scope).startswith("/subscriptions/")
    return arm_ids.is_within(scope, assignment_scope)


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")


class AuthorizationBackend:
    def __init__(self):
        self.assignments = {}           # normalized id -> body
        self.hidden_for_writes = {}     # normalized id -> cluster writes it stays invisible for
        self.replication_delay_writes = 0

    # ----- role definitions
    @staticmethod
    def definition(guid, scope):
        parts = arm_ids.parse(scope) or {}
        prefix = f"/subscriptions/{parts['sub']}" if parts.get("sub") else ""
        name, description = ROLE_DEFINITIONS[guid]
        return {
            "id": f"{prefix}/providers/Microsoft.Authorization/roleDefinitions/{guid}",
            "type": "Microsoft.Authorization/roleDefinitions", "name": guid,
            "properties": {"roleName": name, "type": "BuiltInRole", "description": description,
                           "assignableScopes": ["/"], "permissions": []},
        }

    def list_definitions(self, scope, role_name=None):
        return [self.definition(guid, scope) for guid, (name, _) in ROLE_DEFINITIONS.items()
                if role_name is None or name.lower() == role_name.lower()]

    def get_definition(self, scope, guid):
        if guid.lower() not in ROLE_DEFINITIONS:
            raise ArmError(404, "RoleDefinitionDoesNotExist", "The specified role definition with ID "
                           f"'{guid}' does not exist.")
        return self.definition(guid.lower(), scope)

    # ----- role assignments
    def _holds(self, principal_id, scope, roles, include_hidden=True):
        for key, a in self.assignments.items():
            p = a["properties"]
            if (p["principalId"].lower() == principal_id.lower() and role_guid(p["roleDefinitionId"]) in roles
                    and applies_at(scope, p["scope"])
                    and (include_hidden or not self.hidden_for_writes.get(key))):
                return True
        return False

    def can_assign_identity(self, principal_id, identity_id):
        """The permission check other services make; assignments still replicating are not seen."""
        return self._holds(principal_id, identity_id, CAN_ASSIGN_IDENTITY, include_hidden=False)

    def note_cluster_write(self):
        for key in list(self.hidden_for_writes):
            self.hidden_for_writes[key] -= 1
            if self.hidden_for_writes[key] <= 0:
                del self.hidden_for_writes[key]

    def create_assignment(self, scope, name, properties, caller_id, check_caller=True):
        if check_caller and not self._holds(caller_id, scope, CAN_WRITE_ASSIGNMENTS):
            raise ArmError(403, "AuthorizationFailed",
                           f"The client '{caller_id}' with object id '{caller_id}' does not have authorization to "
                           f"perform action 'Microsoft.Authorization/roleAssignments/write' over scope '{scope}' "
                           "or the scope is invalid. If access was recently granted, please refresh your credentials.")
        role_definition_id = properties.get("roleDefinitionId")
        principal_id = properties.get("principalId")
        guid = role_guid(role_definition_id)
        if not principal_id or guid not in ROLE_DEFINITIONS:
            raise ArmError(400, "InvalidRoleDefinitionId",
                           f"The role definition ID '{role_definition_id}' is not valid.")
        for a in self.assignments.values():
            p = a["properties"]
            if (p["principalId"].lower() == principal_id.lower() and role_guid(p["roleDefinitionId"]) == guid
                    and arm_ids.normalize(p["scope"]) == arm_ids.normalize(scope) and a["name"] != name):
                raise ArmError(409, "RoleAssignmentExists", "The role assignment already exists.")
        rid = f"{scope.rstrip('/')}/providers/Microsoft.Authorization/roleAssignments/{name}"
        key = arm_ids.normalize(rid)
        now = _now()
        body = {
            "properties": {"roleDefinitionId": role_definition_id, "principalId": principal_id,
                           "principalType": properties.get("principalType") or "ServicePrincipal",
                           "scope": scope, "condition": None, "conditionVersion": None,
                           "createdOn": now, "updatedOn": now, "createdBy": None, "updatedBy": caller_id,
                           "delegatedManagedIdentityResourceId": None, "description": properties.get("description")},
            "id": rid, "type": "Microsoft.Authorization/roleAssignments", "name": name,
        }
        self.assignments[key] = body
        if self.replication_delay_writes:
            self.hidden_for_writes[key] = self.replication_delay_writes
        return body

    def seed_assignment(self, scope, role_guid_value, principal_id):
        return self.create_assignment(
            scope, str(uuid.uuid4()),
            {"roleDefinitionId": f"/providers/Microsoft.Authorization/roleDefinitions/{role_guid_value}",
             "principalId": principal_id}, caller_id=None, check_caller=False)

    def _get(self, scope, name):
        rid = f"{scope.rstrip('/')}/providers/Microsoft.Authorization/roleAssignments/{name}"
        return arm_ids.normalize(rid), self.assignments.get(arm_ids.normalize(rid))

    def get_assignment(self, scope, name):
        _, found = self._get(scope, name)
        if not found:
            raise ArmError(404, "RoleAssignmentNotFound", f"The role assignment '{name}' is not found.")
        return found

    def delete_assignment(self, scope, name, caller_id=None, check_caller=True):
        if check_caller and not self._holds(caller_id or "", scope, CAN_WRITE_ASSIGNMENTS):
            raise ArmError(403, "AuthorizationFailed",
                           f"The client '{caller_id}' with object id '{caller_id}' does not have authorization to "
                           f"perform action 'Microsoft.Authorization/roleAssignments/delete' over scope '{scope}' "
                           "or the scope is invalid. If access was recently granted, please refresh your credentials.")
        key, found = self._get(scope, name)
        if found:
            del self.assignments[key]
            self.hidden_for_writes.pop(key, None)
        return found

    def list_assignments(self, scope, odata_filter=None):
        odata_filter = odata_filter or ""
        at_scope = "atscope()" in odata_filter.replace(" ", "").lower()
        principal = re.search(r"(?:assignedTo\('|principalId\s+eq\s+')([^']+)'", odata_filter, re.IGNORECASE)
        result = []
        for a in self.assignments.values():
            p = a["properties"]
            above = applies_at(scope, p["scope"])
            below = arm_ids.is_within(p["scope"], scope)
            if not (above or (below and not at_scope)):
                continue
            if principal and p["principalId"].lower() != principal.group(1).lower():
                continue
            result.append(a)
        return result
