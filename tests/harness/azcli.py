"""Run the real `az` (pinned azure-cli in this venv) as CI scripts do: isolated config, managed-identity login."""
import json
import os
import subprocess
import sys
from dataclasses import dataclass

AZ = os.environ.get("AZ_BIN") or os.path.join(os.path.dirname(sys.executable), "az")


@dataclass
class AzResult:
    args: list
    exit_code: int
    stdout: str
    stderr: str

    @property
    def json(self):
        return json.loads(self.stdout) if self.stdout.strip() else None

    def __str__(self):
        return (f"az {' '.join(self.args)}\nexit code {self.exit_code}\n--- stdout\n{self.stdout}"
                f"\n--- stderr\n{self.stderr}")


def working_directory(config_dir):
    """Where `az` starts: the folder that holds its config dir, never one holding the extension's source.

    `az` runs `python -m azure.cli`, which puts the working directory first on sys.path: started next to the
    source, it would import the checkout instead of the installed wheel.
    """
    folder = os.path.dirname(os.path.abspath(config_dir))
    os.makedirs(folder, exist_ok=True)
    assert not os.path.exists(os.path.join(folder, "azext_podidentity")), folder
    return folder


class AzRunner:
    def __init__(self, config_dir, extension_dir, cert, emulator_url):
        self.config_dir, self.extension_dir, self.cert, self.emulator_url = \
            config_dir, extension_dir, cert, emulator_url
        self.cwd = working_directory(config_dir)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "IDENTITY_", "MSI_"))}
        env.update({
            "AZURE_CONFIG_DIR": config_dir,
            "AZURE_EXTENSION_DIR": extension_dir,
            "REQUESTS_CA_BUNDLE": cert,
            "AZURE_CORE_COLLECT_TELEMETRY": "false",
            "AZURE_CORE_DISABLE_CONFIRM_PROMPT": "true",
            "AZURE_CORE_NO_COLOR": "true",
            "AZURE_CORE_SURVEY_MESSAGE": "false",
            "AZURE_CORE_ONLY_SHOW_ERRORS": "false",
            "IDENTITY_ENDPOINT": emulator_url + "/msi/token",
            "IDENTITY_HEADER": "emulator",
            # azure-cli releases whose login still uses msrestazure read this one; without it they would ask the
            # instance metadata service, which is not on this machine
            "MSI_ENDPOINT": emulator_url + "/msi/token",
        })
        self.env = env
        self.history = []

    def __call__(self, *args, input=None, env=None, timeout=300):
        args = [str(a) for a in args]
        run_env = dict(self.env, **(env or {}))
        proc = subprocess.run([AZ] + args, capture_output=True, text=True, env=run_env, input=input, cwd=self.cwd,
                              timeout=timeout, stdin=None if input is not None else subprocess.DEVNULL)
        result = AzResult(args, proc.returncode, proc.stdout, proc.stderr)
        self.history.append(result)
        return result

    def access_token(self, resource):
        """A token from core `az account get-access-token`, as kubelogin's azurecli login gets one. Printing it is
        that command's purpose, so this run stays out of the history the token-leak check reads."""
        proc = subprocess.run([AZ, "account", "get-access-token", "--resource", resource, "--query", "accessToken",
                               "-o", "tsv"], capture_output=True, text=True, env=self.env, cwd=self.cwd, timeout=120,
                              stdin=subprocess.DEVNULL, check=True)
        return proc.stdout.strip()

    def popen(self, *args):
        """Start `az` without waiting (for tests that run commands in parallel)."""
        return subprocess.Popen([AZ] + [str(a) for a in args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, text=True, env=self.env, cwd=self.cwd)

    def ok(self, *args, **kwargs):
        result = self(*args, **kwargs)
        assert result.exit_code == 0, str(result)
        return result

    def login(self):
        cloud = "AzureEmulator"
        # Given as a cloud config: azure-cli before 2.73 reads no Graph endpoint from the metadata and has no flag
        # for it; the rest comes from the emulator's metadata endpoint.
        endpoints = {"resourceManager": self.emulator_url + "/",
                     "microsoftGraphResourceId": self.emulator_url + "/graph/"}
        self.ok("cloud", "register", "-n", cloud, "--cloud-config", json.dumps({"endpoints": endpoints}), "-o", "none")
        self.ok("cloud", "set", "-n", cloud, "-o", "none")
        self.ok("login", "--identity", "-o", "none")

    def with_extension_dir(self, extension_dir, config_dir):
        """The same login, with another extension directory (for example an empty one: core `az` only)."""
        other = AzRunner(config_dir, extension_dir, self.cert, self.emulator_url)
        other.history = self.history
        return other
