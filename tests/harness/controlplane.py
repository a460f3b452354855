"""A real Kubernetes control plane on loopback, from the binaries `make controlplane` builds from Go modules
(controlplane/go.mod: k8s.io/kubernetes and its staging modules, and etcd's embedded server).

``ControlPlane(work_dir).start()`` runs etcd and kube-apiserver with TLS, RBAC and client-certificate
authentication: a certificate authority of its own signs the serving certificate (127.0.0.1) and an admin client
certificate in ``system:masters``; ``kubeconfig`` points kubectl at it. ``controllers=True`` adds
kube-controller-manager (Deployments make ReplicaSets make Pods, namespaces get their ``default`` ServiceAccount,
owners' deletion reaches what they own); ``authentication_config`` is a structured AuthenticationConfiguration
(JWT issuers) kube-apiserver reads, and re-reads when ``write_authentication_config`` changes it. ``stop()`` ends
every process it started; each also gets SIGKILL from the kernel when the thread that started it ends.
"""
import ctypes
import datetime
import json
import os
import socket
import ssl
import subprocess
import time
import urllib.request

from tests.harness.emulator_client import REPO

BIN = os.path.join(REPO, ".controlplane", "current", "bin")
KUBERNETES_VERSION = "v1.36.3"
# The controllers the workloads need: pods from Deployments, StatefulSets, DaemonSets, Jobs and CronJobs, the
# garbage collector, namespace deletion, each namespace's `default` ServiceAccount and its kube-root-ca.crt.
CONTROLLERS = ("deployment-controller", "replicaset-controller", "statefulset-controller", "daemonset-controller",
               "job-controller", "cronjob-controller", "garbage-collector-controller", "namespace-controller",
               "serviceaccount-controller", "root-ca-certificate-publisher-controller")


_CORE_KINDS = {"Namespace": "namespaces", "ServiceAccount": "serviceaccounts", "Pod": "pods"}


def object_path(obj, plural=None):
    """The REST path of an object (its kind's plural: the usual lower-case plural unless given)."""
    group_version = obj["apiVersion"]
    kind = obj["kind"]
    plural = plural or _CORE_KINDS.get(kind) or (kind.lower() + ("es" if kind.endswith("s") else "s"))
    if kind == "CustomResourceDefinition":
        plural = "customresourcedefinitions"
    elif kind.endswith("y"):
        plural = kind.lower()[:-1] + "ies"
    base = f"/api/{group_version}" if "/" not in group_version else f"/apis/{group_version}"
    namespace = obj["metadata"].get("namespace")
    prefix = f"{base}/namespaces/{namespace}" if namespace else base
    return f"{prefix}/{plural}/{obj['metadata']['name']}"


def binary(name):
    path = os.path.join(BIN, name)
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"{path} is missing: run `make controlplane` (make test builds it)")
    return path


# Looked up here, not in the child: between fork and exec another thread may hold the dynamic loader's lock, and a
# dlopen there would wait for ever.
_PRCTL = ctypes.CDLL(None, use_errno=True).prctl


def _die_with_parent():
    # PR_SET_PDEATHSIG (1) with SIGKILL (9): a control plane never outlives the emulator or test that started it,
    # even when that one is killed outright. (SIGTERM is not enough: kube-apiserver's graceful shutdown waits for
    # an etcd that is going at the same moment.)
    _PRCTL(1, 9)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_pem(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


class _Pki:
    """A certificate authority, a serving certificate for 127.0.0.1 and an admin client certificate, and the
    service-account signing key, made with `cryptography` (which azure-cli brings)."""

    def __init__(self, folder):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
        import ipaddress
        self.folder = folder
        now = datetime.datetime.now(datetime.timezone.utc)

        def key():
            return ec.generate_private_key(ec.SECP256R1())

        def pem_key(k):
            return k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption())

        def certificate(subject, public_key, issuer, signer, ca=False, usages=(), names=()):
            builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
                       .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
                       .not_valid_after(now + datetime.timedelta(days=2))
                       .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
            if usages:
                builder = builder.add_extension(x509.ExtendedKeyUsage(list(usages)), critical=False)
            if names:
                builder = builder.add_extension(x509.SubjectAlternativeName(list(names)), critical=False)
            return builder.sign(signer, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)

        self._key, self._pem_key, self._certificate = key, pem_key, certificate
        ca_key = key()
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "podidentity-test-ca")])
        self._ca_key, self._ca_name = ca_key, ca_name
        self.ca = _write_pem(os.path.join(folder, "ca.crt"),
                             certificate(ca_name, ca_key.public_key(), ca_name, ca_key, ca=True))
        serving_key = key()
        self.serving_key = _write_pem(os.path.join(folder, "apiserver.key"), pem_key(serving_key))
        self.serving = _write_pem(os.path.join(folder, "apiserver.crt"), certificate(
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]), serving_key.public_key(),
            ca_name, ca_key, usages=(ExtendedKeyUsageOID.SERVER_AUTH,),
            names=(x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost"))))
        self.admin, self.admin_key = self.client_certificate("admin", "podidentity-test-admin", ["system:masters"])
        sa_key = key()
        self.sa_key = _write_pem(os.path.join(folder, "sa.key"), pem_key(sa_key))
        self.sa_pub = _write_pem(os.path.join(folder, "sa.pub"), sa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))

    def client_certificate(self, file_name, user, groups=()):
        """A client certificate for ``user`` in ``groups`` (the API server reads CN as the user name, O as groups);
        returns the paths of the certificate and its key."""
        from cryptography import x509
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
        client_key = self._key()
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, user)]
                            + [x509.NameAttribute(NameOID.ORGANIZATION_NAME, g) for g in groups])
        key_path = _write_pem(os.path.join(self.folder, f"{file_name}.key"), self._pem_key(client_key))
        cert_path = _write_pem(os.path.join(self.folder, f"{file_name}.crt"), self._certificate(
            subject, client_key.public_key(), self._ca_name, self._ca_key, usages=(ExtendedKeyUsageOID.CLIENT_AUTH,)))
        return cert_path, key_path


class ControlPlane:
    def __init__(self, work_dir, controllers=False, authentication_config=None):
        self.work_dir = work_dir
        self.controllers = controllers
        self.authentication_config = authentication_config
        self.authentication_config_path = os.path.join(work_dir, "authentication-config.json")
        os.makedirs(work_dir, exist_ok=True)
        self.processes = []
        self.port = None
        self.kubeconfig = os.path.join(work_dir, "kubeconfig")
        self.pki = None

    def _spawn(self, name, args):
        log = open(os.path.join(self.work_dir, f"{name}.log"), "wb")  # pylint: disable=consider-using-with
        process = subprocess.Popen([binary(name), *args], stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        log.close()
        self.processes.append(process)
        return process

    def start(self, timeout=120, attempts=3):
        """Start, and wait until kube-apiserver is ready. The ports are free when chosen, but another process may
        take one before etcd or kube-apiserver binds it: then the start is tried again on new ports."""
        for attempt in range(attempts):
            try:
                self._start(timeout)
                return self
            except BaseException as ex:
                self.stop()
                self.processes = []
                if attempt + 1 == attempts or "address already in use" not in str(ex):
                    raise
        return self

    def _start(self, timeout):
        self.pki = _Pki(self.work_dir)
        etcd_url = f"http://127.0.0.1:{_free_port()}"
        self._spawn("etcd", ["--data-dir", os.path.join(self.work_dir, "etcd"), "--listen-client-url", etcd_url,
                             "--listen-peer-url", f"http://127.0.0.1:{_free_port()}"])
        self.port = _free_port()
        authentication = []
        if self.authentication_config is not None:
            self.write_authentication_config(self.authentication_config)
            authentication = ["--authentication-config", self.authentication_config_path]
        self._spawn("kube-apiserver", authentication + [
            "--etcd-servers", etcd_url, "--bind-address", "127.0.0.1", "--secure-port", str(self.port),
            "--advertise-address", "127.0.0.1", "--tls-cert-file", self.pki.serving,
            "--tls-private-key-file", self.pki.serving_key, "--client-ca-file", self.pki.ca,
            "--authorization-mode", "Node,RBAC", "--service-account-issuer", "https://kubernetes.default.svc",
            "--service-account-key-file", self.pki.sa_pub, "--service-account-signing-key-file", self.pki.sa_key,
            "--service-cluster-ip-range", "10.0.0.0/24", "--enable-priority-and-fairness=false",
            "--cert-dir", os.path.join(self.work_dir, "certs")])
        self._write_kubeconfig()
        self._wait_ready(timeout)
        if self.controllers:
            # No scheduler and no kubelet: pods stay Pending, which is all the object-level tests need.
            self._spawn("kube-controller-manager", [
                "--kubeconfig", self.kubeconfig, "--leader-elect=false", "--secure-port=0",
                "--root-ca-file", self.pki.ca, "--controllers", ",".join(CONTROLLERS),
                # its client's default, 20 requests a second, makes 2,000 pods take minutes
                "--kube-api-qps=200", "--kube-api-burst=400"])

    def write_authentication_config(self, config):
        """(Re)write the AuthenticationConfiguration; kube-apiserver picks up a change within a minute."""
        self.authentication_config = config
        with open(self.authentication_config_path + ".new", "w", encoding="utf-8") as f:
            json.dump(config, f)
        os.replace(self.authentication_config_path + ".new", self.authentication_config_path)

    def _write_kubeconfig(self):
        import base64

        def data(path):
            with open(path, "rb") as f:
                return base64.b64encode(f.read()).decode()
        config = {"apiVersion": "v1", "kind": "Config", "current-context": "test",
                  "clusters": [{"name": "test", "cluster": {"server": self.server,
                                                            "certificate-authority-data": data(self.pki.ca)}}],
                  "users": [{"name": "admin", "user": {"client-certificate-data": data(self.pki.admin),
                                                       "client-key-data": data(self.pki.admin_key)}}],
                  "contexts": [{"name": "test", "context": {"cluster": "test", "user": "admin"}}]}
        with open(self.kubeconfig, "w", encoding="utf-8") as f:
            json.dump(config, f)

    @property
    def server(self):
        return f"https://127.0.0.1:{self.port}"

    def _context(self):
        context = ssl.create_default_context(cafile=self.pki.ca)
        context.load_cert_chain(self.pki.admin, self.pki.admin_key)
        return context

    def get(self, path):
        with urllib.request.urlopen(self.server + path, context=self._context(), timeout=10) as response:
            return response.status, response.read().decode()

    def request(self, method, path, body=None, content_type="application/json"):
        """One request as admin; (status, parsed body). Errors are answers too (status >= 400)."""
        import urllib.error
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.server + path, data=data, method=method,
                                     headers={"Content-Type": content_type, "Accept": "application/json"})
        try:
            with urllib.request.urlopen(req, context=self._context(), timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")

    def apply(self, obj, field_manager):
        """Server-side apply of one object (force: the manager takes the fields it sets)."""
        status, answer = self.request("PATCH", f"{object_path(obj)}?fieldManager={field_manager}&force=true", obj,
                                      "application/apply-patch+yaml")
        if status >= 300:
            raise RuntimeError(f"apply of {obj['kind']} {obj['metadata']['name']} answered {status}: {answer}")
        return answer

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            for process in self.processes:
                if process.poll() is not None:
                    raise RuntimeError(f"the control plane's {process.args[0]} exited with {process.returncode}:\n"
                                       + self.logs())
            try:
                if self.get("/readyz")[0] == 200:
                    return
            except OSError:
                pass
            if time.monotonic() >= deadline:
                raise RuntimeError(f"kube-apiserver not ready after {timeout} s:\n" + self.logs())
            time.sleep(0.1)

    def logs(self, tail=2000):
        text = []
        for name in ("etcd", "kube-apiserver", "kube-controller-manager"):
            path = os.path.join(self.work_dir, f"{name}.log")
            if os.path.exists(path):
                with open(path, encoding="utf-8", errors="replace") as f:
                    text.append(f"--- {name}\n{f.read()[-tail:]}")
        return "\n".join(text)

    def kubectl(self, *args, check=True, input_text=None):
        proc = subprocess.run([binary("kubectl"), "--kubeconfig", self.kubeconfig, *args], capture_output=True,
                              text=True, timeout=120, check=False, input=input_text)
        if check and proc.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
        return proc

    def stop(self):
        """End every process this control plane started (the last started first, etcd last)."""
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        return [p.returncode for p in self.processes]
