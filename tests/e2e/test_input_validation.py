"""Bad input is refused before any request: exit code 2, and the message names the option and the rule."""
import pytest

SUB = "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d"
ID = f"/subscriptions/{SUB}/resourceGroups/ids/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app"
BASE = ["-g", "rg", "--cluster-name", "c"]
ADD = ["aks", "pod-identity", "add", *BASE]
EXC_ADD = ["aks", "pod-identity", "exception", "add", *BASE]

CASES = [
    (ADD + ["--namespace", "My_App", "--name", "web", "--identity-resource-id", ID], "--namespace 'My_App'",
     "DNS label (RFC 1123)"),
    (ADD + ["--namespace", "a" * 64, "--name", "web", "--identity-resource-id", ID], "--namespace", "at most 63"),
    (ADD + ["--namespace", "shop", "--name", "Web", "--identity-resource-id", ID], "--name 'Web'",
     "DNS subdomain name (RFC 1123)"),
    (ADD + ["--namespace", "shop", "--name", "", "--identity-resource-id", ID], "--name ''", "DNS subdomain"),
    (ADD + ["--namespace", "shop", "--name", "web", "--identity-resource-id", ID + "/more"],
     "--identity-resource-id", "user-assigned identity"),
    (ADD + ["--namespace", "shop", "--name", "web", "--identity-resource-id", "app"], "--identity-resource-id",
     "/subscriptions/<subscription id>"),
    (ADD + ["--namespace", "shop", "--name", "web", "--identity-resource-id", ID, "--binding-selector", "a b"],
     "--binding-selector 'a b'", "Kubernetes label value"),
    (ADD + ["--namespace", "shop", "--name", "web", "--identity-resource-id", ID, "--aks-custom-headers",
            "X-Test=1\r\nInjected: yes"], "--aks-custom-headers", "control characters"),
    (ADD + ["--namespace", "shop", "--name", "web", "--identity-resource-id", ID, "--aks-custom-headers", "novalue"],
     "--aks-custom-headers", "Key=Value"),
    (["aks", "pod-identity", "delete", *BASE, "--namespace=-x", "--name", "web"], "--namespace", "DNS label"),
    (EXC_ADD + ["--namespace", "shop", "--name", "e", "--pod-labels", "app=a", "app=b"], "--pod-labels",
     "repeats the label key 'app'"),
    (EXC_ADD + ["--namespace", "shop", "--name", "e", "--pod-labels", "novalue"], "--pod-labels", "key=value"),
    (EXC_ADD + ["--namespace", "shop", "--name", "e", "--pod-labels=-bad=x"], "--pod-labels",
     "Kubernetes label key"),
    (["aks", "pod-identity", "exception", "update", *BASE, "--namespace", "shop", "--name", "E_1", "--pod-labels",
      "a=b"], "--name 'E_1'", "DNS subdomain"),
    (["aks", "pod-identity", "exception", "delete", *BASE, "--namespace", "Shop", "--name", "e"], "--namespace",
     "DNS label"),
]


@pytest.mark.parametrize("args,option,rule", CASES, ids=[f"{c[0][2]}-{c[1]}" for c in CASES])
def test_rejected_before_any_request(az, emulator, args, option, rule):
    result = az(*args)
    assert result.exit_code == 2, str(result)
    assert option in result.stderr and rule in result.stderr, result.stderr
    assert emulator.requests() == []
