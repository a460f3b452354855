"""The control plane the cluster tests run on: kube-apiserver v1.36.3 and etcd built from Go modules
(`make controlplane`), started on loopback with TLS and RBAC, and stopped with every process it started."""
import json
import socket
import time

import pytest

from tests.harness.controlplane import KUBERNETES_VERSION, ControlPlane


@pytest.fixture(scope="module")
def control_plane(tmp_path_factory):
    plane = ControlPlane(str(tmp_path_factory.mktemp("controlplane"))).start()
    yield plane
    plane.stop()


def test_kube_apiserver_and_kubectl_report_the_pinned_release(control_plane):
    versions = json.loads(control_plane.kubectl("version", "-o", "json").stdout)
    assert versions["serverVersion"]["gitVersion"] == KUBERNETES_VERSION
    assert versions["clientVersion"]["gitVersion"] == KUBERNETES_VERSION


def test_objects_are_stored_and_rbac_decides(control_plane):
    control_plane.kubectl("create", "namespace", "shop")
    control_plane.kubectl("create", "serviceaccount", "web", "-n", "shop")
    names = json.loads(control_plane.kubectl("get", "serviceaccounts", "-n", "shop", "-o", "json").stdout)
    assert "web" in [item["metadata"]["name"] for item in names["items"]]
    as_web = ["--as", "system:serviceaccount:shop:web"]
    assert control_plane.kubectl("auth", "can-i", "list", "pods", "-n", "shop", *as_web, check=False).stdout.strip() \
        == "no"
    # a Role of its own: the aggregated ClusterRoles (view, edit) get their rules from kube-controller-manager
    control_plane.kubectl("create", "role", "pod-reader", "-n", "shop", "--verb", "list", "--resource", "pods")
    control_plane.kubectl("create", "rolebinding", "web-reads-pods", "-n", "shop", "--role", "pod-reader",
                          "--serviceaccount", "shop:web")
    # the authorizer sees a new binding through its watch, a moment later: ask until it answers, bounded
    for _ in range(50):
        answer = control_plane.kubectl("auth", "can-i", "list", "pods", "-n", "shop", *as_web, check=False)
        if answer.stdout.strip() == "yes":
            break
        time.sleep(0.2)
    assert answer.stdout.strip() == "yes"


def test_unauthenticated_requests_are_refused(control_plane):
    import ssl
    import urllib.error
    import urllib.request
    context = ssl.create_default_context(cafile=control_plane.pki.ca)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(control_plane.server + "/api/v1/namespaces", context=context, timeout=10)
    assert refused.value.code in (401, 403)


def test_stop_ends_every_process_it_started(tmp_path):
    plane = ControlPlane(str(tmp_path / "short-lived")).start()
    port = plane.port
    codes = plane.stop()
    assert len(codes) == 2 and None not in codes
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0  # nothing listens any more


def test_an_emulated_clusters_control_plane_ends_when_the_emulator_is_killed(tmp_path):
    """The emulator starts a control plane per cluster; killed outright (no chance to stop them), it still takes
    them along: the kernel kills each when the thread that started it goes."""
    import os
    import signal

    import psutil

    from tests.harness.emulator_client import EmulatorClient, EmulatorProcess
    process = EmulatorProcess(str(tmp_path / "cert"))
    try:
        client = EmulatorClient(process.url, process.cert)
        client.seed_cluster("rg", "doomed")
        client.cluster_kubectl("rg", "doomed", str(tmp_path)).run("get", "namespaces")
        children = psutil.Process(process.proc.pid).children()
        assert {os.path.basename(c.exe()) for c in children} == {"etcd", "kube-apiserver",
                                                                 "kube-controller-manager"}
        os.kill(process.proc.pid, signal.SIGKILL)
        process.proc.wait()
        gone, alive = psutil.wait_procs(children, timeout=30)
        assert not alive, [c.pid for c in alive]
        assert len(gone) == 3
    finally:
        process.stop()
