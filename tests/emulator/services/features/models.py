"""Preview features (Microsoft.Features) and resource provider registration, per subscription.

Shaped on the public REST reference (Features - Register / Unregister / Get / List / List All, api-version
2021-07-01; Providers - Register / Get) and on what `az feature show` prints in the public AKS documentation: a
feature reads ``{"id", "name": "<namespace>/<feature>", "properties": {"state"}, "type":
"Microsoft.Features/providers/features"}``. Register answers ``Registering`` and the feature reads ``Registered``
after a while (``feature_registration_seconds``, minutes in Azure, short here); unregister answers
``Unregistering``, then ``Unregistered``.

A registration reaches the resource provider only when the provider is registered again (azure-cli's own
`az feature register` warns that "invoking 'az provider register' is required to get the change propagated", and
the how-to says to refresh the provider once the state is Registered): ``enabled()`` is what the provider last
saw, which is what AKS checks. A seeded ``Registered`` feature has been propagated.

Not in the reference nor in any recording, so chosen here and not to be relied on by the product: the answer for a
feature the catalogue does not hold (404 ``FeatureNotFound``); whether registering a provider that is already
registered passes through ``Registering`` (here it answers ``Registered`` at once); that unregistering a feature
that is not registered answers ``Unregistered``.
"""
import time

from ...errors import ArmError

FEATURES_TYPE = "Microsoft.Features/providers/features"
POD_IDENTITY_FEATURE = ("Microsoft.ContainerService", "EnablePodIdentityPreview")
# The features this emulator knows, per provider namespace (Azure lists thousands; these are the ones in play).
CATALOGUE = {
    "microsoft.containerservice": ("Microsoft.ContainerService",
                                   ["EnablePodIdentityPreview", "EnableWorkloadIdentityPreview"]),
}
# The providers this emulator serves, with the resource types it answers for.
PROVIDERS = {
    "microsoft.containerservice": ("Microsoft.ContainerService", ["managedClusters", "locations",
                                                                  "locations/operations",
                                                                  "managedClusters/identityBindings"]),
    "microsoft.managedidentity": ("Microsoft.ManagedIdentity", ["userAssignedIdentities",
                                                                "userAssignedIdentities/federatedIdentityCredentials"]),
    "microsoft.authorization": ("Microsoft.Authorization", ["roleAssignments", "roleDefinitions"]),
    "microsoft.resourcegraph": ("Microsoft.ResourceGraph", ["resources"]),
    "microsoft.features": ("Microsoft.Features", ["features", "providers"]),
}
STATES = ("NotRegistered", "Registering", "Registered", "Unregistering", "Unregistered", "Pending")
_SETTLES_TO = {"Registering": "Registered", "Unregistering": "Unregistered"}


class _Registration:
    """One feature's state in one subscription; a transition settles when its time has come."""

    def __init__(self, state):
        self.state = state
        self.due = None
        self.propagated = state == "Registered"

    def current(self, now):
        if self.state in _SETTLES_TO and self.due is not None and now >= self.due:
            self.state, self.due = _SETTLES_TO[self.state], None
        return self.state


class FeaturesBackend:
    def __init__(self, platform, settings):
        self.platform = platform
        self.settings = settings
        self.default_state = "Registered"
        self._features = {}    # (sub, namespace, feature) lower-cased -> _Registration
        self._providers = {}   # (sub, namespace) lower-cased -> {"state", "due"}

    # ----- features
    def _require_subscription(self, sub):
        if sub.lower() not in self.platform.subscriptions:
            raise ArmError(404, "SubscriptionNotFound", f"The subscription '{sub}' could not be found.")

    @staticmethod
    def _canonical(namespace, feature):
        known_namespace, names = CATALOGUE.get(namespace.lower(), (None, []))
        for name in names:
            if name.lower() == feature.lower():
                return known_namespace, name
        raise ArmError(404, "FeatureNotFound", f"The feature '{feature}' could not be found.")

    def _registration(self, sub, namespace, feature):
        self._require_subscription(sub)
        namespace, feature = self._canonical(namespace, feature)
        key = (sub.lower(), namespace.lower(), feature.lower())
        if key not in self._features:
            self._features[key] = _Registration(self.default_state)
        return namespace, feature, self._features[key]

    @staticmethod
    def _body(sub, namespace, feature, state):
        return {"id": f"/subscriptions/{sub}/providers/Microsoft.Features/providers/{namespace}/features/{feature}",
                "name": f"{namespace}/{feature}", "properties": {"state": state}, "type": FEATURES_TYPE}

    def get(self, sub, namespace, feature):
        namespace, feature, registration = self._registration(sub, namespace, feature)
        return self._body(sub, namespace, feature, registration.current(time.time()))

    def register(self, sub, namespace, feature, registering=True):
        """Register (or unregister) the feature; the answer shows the transition it started."""
        namespace, feature, registration = self._registration(sub, namespace, feature)
        now = time.time()
        state = registration.current(now)
        if registering and state != "Registered":
            registration.state, registration.due = "Registering", now + self._delay()
        elif not registering and state in ("NotRegistered", "Unregistered"):
            registration.state = "Unregistered"
        elif not registering:
            registration.state, registration.due = "Unregistering", now + self._delay()
        return self._body(sub, namespace, feature, registration.state)

    def _delay(self):
        return float(self.settings["feature_registration_seconds"])

    def list(self, sub, namespace=None):
        self._require_subscription(sub)
        found = []
        for key, (known_namespace, names) in sorted(CATALOGUE.items()):
            if namespace is None or key == namespace.lower():
                found.extend(self.get(sub, known_namespace, name) for name in names)
        return found

    def seed(self, sub, namespace, feature, state):
        """A subscription's starting state, as a seed chooses; ``Registered`` counts as propagated."""
        if state not in STATES:
            raise ValueError(f"unknown feature state {state!r}")
        namespace, feature, _ = self._registration(sub, namespace, feature)
        self._features[(sub.lower(), namespace.lower(), feature.lower())] = _Registration(state)

    def seed_default(self, state):
        """The state of every subscription whose state was not chosen: forgets what was registered so far."""
        if state not in STATES:
            raise ValueError(f"unknown feature state {state!r}")
        self.default_state = state
        self._features.clear()

    def enabled(self, sub, namespace, feature):
        """Whether the resource provider sees the feature as registered (what it saw when last registered)."""
        return self._registration(sub, namespace, feature)[2].propagated

    # ----- providers
    def _provider_key(self, sub, namespace):
        self._require_subscription(sub)
        if namespace.lower() not in PROVIDERS:
            raise ArmError(404, "InvalidResourceNamespace", f"The resource namespace '{namespace}' is invalid.")
        return sub.lower(), namespace.lower()

    def provider(self, sub, namespace):
        key = self._provider_key(sub, namespace)
        entry = self._providers.setdefault(key, {"state": "Registered", "due": None})
        if entry["state"] == "Registering" and time.time() >= entry["due"]:
            entry.update(state="Registered", due=None)
        name, types = PROVIDERS[key[1]]
        return {"id": f"/subscriptions/{sub}/providers/{name}", "namespace": name,
                "registrationState": entry["state"], "registrationPolicy": "RegistrationRequired",
                "resourceTypes": [{"resourceType": t, "locations": [], "apiVersions": []} for t in types]}

    def register_provider(self, sub, namespace):
        """Register (again): the provider takes in the current state of each of its features."""
        key = self._provider_key(sub, namespace)
        current = self.provider(sub, namespace)
        now = time.time()
        for (f_sub, f_namespace, _), registration in self._features.items():
            if (f_sub, f_namespace) == key:
                registration.propagated = registration.current(now) == "Registered"
        if current["registrationState"] != "Registered":
            self._providers[key] = {"state": "Registering",
                                    "due": now + float(self.settings["provider_registration_seconds"])}
        return self.provider(sub, namespace)

    def list_providers(self, sub):
        return [self.provider(sub, name) for name, _ in PROVIDERS.values()]
