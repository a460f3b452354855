"""Microsoft Graph, as far as the CLI resolves principals: every user-assigned identity has a service principal
whose appId is the identity's clientId and whose id is its principalId (object id)."""


class GraphBackend:
    def __init__(self, msi):
        self.msi = msi

    @staticmethod
    def _service_principal(identity):
        props = identity["properties"]
        return {"id": props["principalId"], "appId": props["clientId"], "displayName": identity["name"],
                "servicePrincipalNames": [props["clientId"], identity["id"]],
                "servicePrincipalType": "ManagedIdentity", "accountEnabled": True}

    def service_principals(self):
        return [self._service_principal(i) for i in self.msi.identities.values()]

    def find_by_name(self, name):
        return [sp for sp in self.service_principals()
                if name.lower() in (n.lower() for n in sp["servicePrincipalNames"])]

    def by_ids(self, ids):
        wanted = {i.lower() for i in ids}
        return [dict(sp, **{"@odata.type": "#microsoft.graph.servicePrincipal"})
                for sp in self.service_principals() if sp["id"].lower() in wanted]
