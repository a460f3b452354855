"""`make demo` keeps working: the how-to's walkthrough runs to the end against the emulator."""
from demo.run import run_walkthrough


def test_walkthrough_runs_to_the_end(tmp_path, wheel):
    log = tmp_path / "walkthrough.log"
    with open(log, "w", encoding="utf-8") as out:
        code = run_walkthrough(str(tmp_path), str(wheel), stdout=out, stderr=out)
    text = log.read_text(encoding="utf-8")
    assert code == 0, text[-3000:]
    # the how-to's first steps: the feature registered by polling until Registered, then the provider
    assert "feature state: Registering" in text and "feature state: Registered" in text
    assert text.index("az provider register --namespace Microsoft.ContainerService") < text.index("az aks create")
    assert "my-pod-identity  my-app       Assigned" in text
    assert "Removed pod identity 'my-pod-identity-1' in namespace 'my-app'." in text
    assert "grants of the cluster identity left: none" in text
    # the kubectl steps, against the cluster's real API server
    assert "my-pod-identity-binding   my-pod-identity   my-pod-identity" in text
    assert "pod/demo created" in text and "pod/demo configured" in text
    assert "Pod/demo" in text  # list-workloads
    assert "Pod/demo in namespace 'my-app': 1 pod(s) using pod identity 'my-pod-identity-1'" in text
    assert "No resources found" in text  # kubectl get crd after --disable-pod-identity
    assert "Traceback" not in text


def test_migration_walkthrough_runs_to_the_end(tmp_path, wheel):
    log = tmp_path / "migration.log"
    with open(log, "w", encoding="utf-8") as out:
        code = run_walkthrough(str(tmp_path), str(wheel), stdout=out, stderr=out, walkthrough="migration")
    text = log.read_text(encoding="utf-8")
    assert code == 0, text[-3000:]
    # an identity shared past its 20 credentials, where this azure-cli has identity bindings
    if "this azure-cli's AKS API has no identity bindings" in text:
        assert "shopCluster migrated; clusters still using pod identity: batchCluster" in text
    else:
        assert "shared-reader serves 21 service accounts on 3 clusters with 15 federated credentials" in text
        assert "shopCluster migrated; clusters still using pod identity: team1 team2 team3 batchCluster" in text
    assert "AZURE_CLIENT_ID" in text  # the shared binding selector is explained, not dropped
    # the workloads, moved in stages on the cluster's real API server
    assert "Deployment\tstorefront\tapplied" in text and "CronJob\tpayments\tapplied" in text
    assert "none (already done)\nnone (already done)" in text  # the re-run
    assert "not mutated" in text and "webhook is not installed" in text  # no webhook can run here
    assert "not changed" in text  # stage two keeps the label on what is not verified
    assert "Traceback" not in text
