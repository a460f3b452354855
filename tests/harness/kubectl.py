"""The real kubectl (built by `make controlplane`) against one kubeconfig, for tests to seed and read clusters."""
import json
import subprocess

from tests.harness.controlplane import binary


class Kubectl:
    def __init__(self, kubeconfig, context=None):
        self.kubeconfig = kubeconfig
        self.context = context

    def run(self, *args, check=True, input_text=None):
        command = [binary("kubectl"), "--kubeconfig", self.kubeconfig]
        if self.context:
            command += ["--context", self.context]
        proc = subprocess.run([*command, *args], capture_output=True, text=True, timeout=120, check=False,
                              input=input_text)
        if check and proc.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
        return proc

    def apply(self, *objects):
        """Server-side apply of objects (dicts), as a user's manifests are applied."""
        return self.run("apply", "--server-side", "-f", "-",
                        input_text=json.dumps({"apiVersion": "v1", "kind": "List", "items": list(objects)}))

    def get_json(self, *args):
        return json.loads(self.run("get", *args, "-o", "json").stdout)
