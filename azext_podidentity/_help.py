# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
from knack.help_files import helps  # noqa: F401  pylint: disable=unused-import

helps["aks pod-identity"] = """
type: group
short-summary: Manage Microsoft Entra pod-managed identities in a Kubernetes cluster.
long-summary: >-
  Pod-managed identity is deprecated in favour of Microsoft Entra Workload ID. Enable it on a cluster first
  with 'az aks update --enable-pod-identity'.
examples:
  - name: Give pods in namespace my-app the identity application-identity.
    text: |
      IDENTITY_RESOURCE_ID=$(az identity show --resource-group myIdentityResourceGroup \\
          --name application-identity --query id -o tsv)
      az aks pod-identity add --resource-group myResourceGroup --cluster-name myAKSCluster \\
          --namespace my-app --name my-pod-identity --identity-resource-id $IDENTITY_RESOURCE_ID
  - name: List the pod identities of a cluster as a table.
    text: az aks pod-identity list --resource-group myResourceGroup --cluster-name myAKSCluster -o table
"""

helps["aks pod-identity add"] = """
type: command
short-summary: Add a pod identity to a cluster.
long-summary: >-
  Grants the cluster identity 'Managed Identity Operator' on the identity when it does not hold it yet, then
  adds the pod identity. Running the same command again repairs what drifted since: it restores a revoked grant
  and refreshes the client and object ids of an identity that was re-created; when everything is right it
  changes nothing and succeeds. When the change fails, a grant this command created is removed again. When the
  service refuses the change because of another pod identity (its identity deleted, its grant revoked), the
  error names that pod identity and the commands that unblock the cluster.
examples:
  - name: Add a pod identity.
    text: |
      az aks pod-identity add --resource-group myResourceGroup --cluster-name myAKSCluster \\
          --namespace my-app --name my-pod-identity --identity-resource-id $IDENTITY_RESOURCE_ID
  - name: Let an application use two identities through one binding selector.
    text: |
      az aks pod-identity add --resource-group myResourceGroup --cluster-name myAKSCluster \\
          --namespace my-app --name my-pod-identity-1 --identity-resource-id $IDENTITY_RESOURCE_ID_1 \\
          --binding-selector myMultiIdentitySelector
      az aks pod-identity add --resource-group myResourceGroup --cluster-name myAKSCluster \\
          --namespace my-app --name my-pod-identity-2 --identity-resource-id $IDENTITY_RESOURCE_ID_2 \\
          --binding-selector myMultiIdentitySelector
"""

helps["aks pod-identity delete"] = """
type: command
short-summary: Remove a pod identity from a cluster.
long-summary: >-
  When no other pod identity of the cluster uses its identity, the 'Managed Identity Operator' grant that
  'az aks pod-identity add' created for it is removed too (system-assigned cluster identities only: a
  user-assigned control-plane identity may serve other clusters, so its grant is kept and a warning says so).
  Grants made otherwise, or inherited, are never removed. Deleting a pod identity that does not exist changes
  nothing and succeeds with a warning. Several pod identities whose identities were deleted refuse each other's
  removal one at a time: remove them together with 'az aks pod-identity prune'. Before removing, the cluster is
  read (the credential 'az aks get-credentials' gets, or --admin, or --kubeconfig): when running pods still carry
  the pod identity's selector in its namespace, their workloads are named and you are asked first (--yes skips the
  question; without a terminal and without --yes nothing is removed). When the cluster cannot be read, a warning
  says that this could not be checked.
examples:
  - name: Remove a pod identity.
    text: |
      az aks pod-identity delete --resource-group myResourceGroup --cluster-name myAKSCluster \\
          --namespace my-app --name my-pod-identity
  - name: Remove it in a pipeline even if pods still use it, reading the cluster through your own kubeconfig.
    text: |
      az aks pod-identity delete --resource-group myResourceGroup --cluster-name myAKSCluster \\
          --namespace my-app --name my-pod-identity --kubeconfig ~/.kube/config --context myAKSCluster --yes
"""

helps["aks pod-identity prune"] = """
type: command
short-summary: Remove, in one change, every pod identity whose identity no longer exists.
long-summary: >-
  The service checks every pod identity of the cluster on each change, and answers for a deleted identity as for a
  missing grant. When several pod identities lost their identities (for example when the resource group that held
  them was deleted), removing any one of them alone is refused because of the others. This command reads each
  identity once, lists the pod identities whose identity is gone, asks for confirmation (--yes skips it; without a
  terminal and without --yes nothing is removed; answering no changes nothing), and removes exactly those, all in
  one change of the cluster, with If-Match. Pod identities whose identity exists, or could not be read, are kept.
  Then, as 'delete' does, the grants that 'az aks pod-identity add' created for the removed identities are removed.
  Running it again changes nothing.
examples:
  - name: See which pod identities would be removed, changing nothing.
    text: az aks pod-identity prune --resource-group myResourceGroup --cluster-name myAKSCluster --dry-run -o table
  - name: Remove them without a prompt, as a pipeline does.
    text: az aks pod-identity prune --resource-group myResourceGroup --cluster-name myAKSCluster --yes
"""

helps["aks pod-identity check"] = """
type: command
short-summary: Check what drifted on a cluster's pod identities, and how to fix each problem.
long-summary: >-
  For each pod identity: whether its identity still exists, whether the entry's client and object ids are the
  identity's, whether the cluster identity holds 'Managed Identity Operator' on it (at its scope or above), and its
  provisioning state. For the cluster: managed identity and kubenet consent. Every problem names the pod identity
  and the command that fixes it, in an order in which the fixes work one after another (several pod identities
  whose identities are gone get one 'prune' that removes them together). Only reads: the cluster once, then each
  identity and its grants once. Then, with pod identity on, the cluster itself (the credential 'az aks
  get-credentials' gets, the admin one, or a kubeconfig; through ARM's run command for a private cluster): pods
  whose aadpodidbinding label matches no pod identity of their namespace (with the selector they most likely meant
  and the fix), exceptions that exempt pods carrying a pod identity's selector, and NMI missing or not ready. When
  the cluster cannot be read, a warning says so, clusterRead is false, and the ARM checks are still made. Exits 0
  when there is no problem, 1 when there is one (the report is printed first), so that a pipeline can gate on it.
examples:
  - name: Check a cluster and show the problems with their fixes as a table.
    text: az aks pod-identity check --resource-group myResourceGroup --cluster-name myAKSCluster -o table
  - name: Gate a pipeline on the check (exit code 1 on a problem), printing only the commands that fix them.
    text: |
      az aks pod-identity check --resource-group myResourceGroup --cluster-name myAKSCluster \\
          --query "problems[].fix" -o tsv
"""

helps["aks pod-identity list-workloads"] = """
type: command
short-summary: Show which workloads use each pod identity, the pods that match none, and what exceptions exempt.
long-summary: >-
  Reads the cluster itself: for each pod identity, the workloads (Deployment, StatefulSet, DaemonSet, CronJob, Job,
  ReplicaSet, another controller, or a bare Pod) whose pods carry its binding selector in the aadpodidbinding label
  in its namespace, with pod counts and whether those pods already run on Workload ID (label
  azure.workload.identity/use "true" and a service account with a client id); the pods whose aadpodidbinding label
  matches no pod identity of their namespace, with the selector they most likely meant (another namespace, another
  case, a typo); and the pods each exception exempts. The cluster is read with list requests only, through the
  credential 'az aks get-credentials' gets (or --admin), or --kubeconfig and --context; for clusters with
  Microsoft Entra integration the token comes from az's own login, so kubelogin is not needed. It needs get and
  list on pods, replicasets, jobs and serviceaccounts.
examples:
  - name: The workloads of each pod identity, as a table.
    text: az aks pod-identity list-workloads --resource-group myResourceGroup --cluster-name myAKSCluster -o table
  - name: Pods whose aadpodidbinding label matches no pod identity, with the nearest selector.
    text: |
      az aks pod-identity list-workloads --resource-group myResourceGroup --cluster-name myAKSCluster \\
          --query unmatchedPods
  - name: Read the cluster through a kubeconfig of your own.
    text: |
      az aks pod-identity list-workloads --resource-group myResourceGroup --cluster-name myAKSCluster \\
          --kubeconfig ~/.kube/config --context myAKSCluster
"""

helps["aks pod-identity list-clusters"] = """
type: command
short-summary: List the clusters, across subscriptions, that still use pod identity.
long-summary: >-
  Every cluster whose pod identity is enabled or still holds pod identities or exceptions, with how many of each and
  whether its OIDC issuer and Workload ID are enabled (what the move to Workload ID needs), sorted by subscription,
  resource group and name. Two engines give the same rows in the same order: ARM's subscription-wide listing of
  managed clusters (exact and current; one request per subscription and page, subscriptions scanned at the same
  time), and Azure Resource Graph (one query per 1,000 subscriptions, every page followed, its quota obeyed; its
  data can lag ARM's a little). --engine auto (the default) takes ARM for up to 24 subscriptions and Resource Graph
  past that. Subscriptions that Resource Graph does not answer for (no permission, provider missing, a failed or
  truncated answer) are listed through ARM, with a warning naming them. A subscription that cannot be listed
  through ARM is named in a warning; the others are still reported.
examples:
  - name: Every cluster of the signed-in account that still uses pod identity, as a table.
    text: az aks pod-identity list-clusters -o table
  - name: Two subscriptions only; the clusters that are not ready for Workload ID yet.
    text: |
      az aks pod-identity list-clusters --subscriptions 00000000-0000-0000-0000-000000000001 \\
          00000000-0000-0000-0000-000000000002 --query "[?!oidcIssuerEnabled || !workloadIdentityEnabled]"
  - name: A tenant of thousands of subscriptions, through Azure Resource Graph.
    text: az aks pod-identity list-clusters --engine resource-graph -o table
"""

helps["aks pod-identity list"] = """
type: command
short-summary: List the pod identities and exceptions of a cluster.
long-summary: Returns the managed cluster; the pod identities are under podIdentityProfile.
examples:
  - name: List pod identities as a table.
    text: az aks pod-identity list --resource-group myResourceGroup --cluster-name myAKSCluster -o table
  - name: Get the pod identities as JSON.
    text: |
      az aks pod-identity list --resource-group myResourceGroup --cluster-name myAKSCluster \\
          --query podIdentityProfile.userAssignedIdentities[]
"""

helps["aks pod-identity migrate"] = """
type: command
short-summary: Move pod identities to Microsoft Entra Workload ID, safely and repeatably.
long-summary: >-
  For each selected pod identity, creates a federated identity credential on its user-assigned identity that
  trusts the cluster's OIDC issuer for the workload's service account, and returns the Kubernetes ServiceAccounts
  to apply and the pod label changes to make. Credentials that already exist are left alone, so the command can
  be run again. Pod identities that share a binding selector share one service account (a pod runs as one); its
  annotation carries the first one's client id and the output says which containers set AZURE_CLIENT_ID for the
  others. An identity holds at most 20 federated credentials: past that (with --strategy auto, the default, when
  a credential per service account would leave none of the 20 free), the identity is used through an identity
  binding instead, one per cluster and identity, created or reused; AKS gives the identity a single credential,
  'aks-identity-binding', shared by every cluster that binds it, and the manifest adds the ClusterRole and a
  ClusterRoleBinding per service account (applying a later run's manifest adds to them, never replaces them), and
  the pod annotation bindings need. The plan says, for each pod identity, which strategy was chosen and why; a
  cluster whose credentials all exist keeps them, so a re-run writes nothing. Identity bindings need an azure-cli
  whose AKS API has them; without it, or when the service does not offer them, auto may use all 20 credentials,
  and an identity that would pass them is an error before any change. Pod identities are not removed: delete each
  one with 'az aks pod-identity delete' once its workloads run on Workload ID, then turn the add-on off. The
  cluster needs the OIDC issuer and workload identity ('az aks update --enable-oidc-issuer
  --enable-workload-identity'). Before any change, the cluster itself is read (as 'list-workloads' reads it) and
  the output's 'workloads' lists, for each workload whose pods use a migrated pod identity, the change of its pod
  template (a CronJob's jobTemplate, never spec.selector): the service account, the Workload ID label and
  annotations, with the aadpodidbinding label kept so that pods keep an identity while they roll; workloads owned
  by Helm, Argo CD or Flux are to be changed in their source; bare pods are to be re-created; and each
  SecretProviderClass that still says usePodIdentity gets the client id. Nothing in the cluster is changed by
  default, and a cluster that cannot be read still gets the Azure half, with a warning. --workloads changes the
  workloads too, in stages, with the user's own cluster credential and after a confirmation that lists them:
  add-workload-id (stage one) applies, after the Azure half, the ServiceAccounts (and the RBAC objects of
  identity bindings), the SecretProviderClasses and each pod template through server-side apply with the field
  manager 'azext-podidentity' (a field another manager set to another value is reported as a conflict, and that
  object left unchanged, unless --force-conflicts); the aadpodidbinding label stays, so pods keep an identity while
  they roll. verify reads the pods of the changed workloads: migrated, rollout pending, not mutated (with why) or
  no pods. remove-pod-identity-label (stage two) removes the label from the workloads verified as migrated.
  undo restores the workloads and SecretProviderClasses as they were. What a stage changed is recorded on each
  object (annotation azext-podidentity.azure.com/migration), so re-runs change nothing and undo works from any
  machine. An object left unchanged makes the command fail after the others were changed. On a cluster without
  the add-on, the pod identities of aad-pod-identity installed from its chart (standard mode) are read off the
  cluster's AzureIdentity and AzureIdentityBinding objects (a binding matches pods of any namespace unless
  namespaced; service principals are skipped with why) and migrated the same way.
examples:
  - name: See what migrating every pod identity of a cluster would do, changing nothing.
    text: az aks pod-identity migrate --resource-group myResourceGroup --cluster-name myAKSCluster --dry-run
  - name: Migrate the pod identities of one namespace and write the ServiceAccounts to a file.
    text: |
      az aks pod-identity migrate --resource-group myResourceGroup --cluster-name myAKSCluster \\
          --namespace my-app --manifest-file workload-identity.yaml
      kubectl apply -f workload-identity.yaml
  - name: Migrate one pod identity to a chosen service account, as a table.
    text: |
      az aks pod-identity migrate --resource-group myResourceGroup --cluster-name myAKSCluster \\
          --namespace my-app --name my-pod-identity --service-account my-app-sa -o table
  - name: Migrate through identity bindings, for an identity shared by more clusters than its 20 credentials allow.
    text: |
      az aks pod-identity migrate --resource-group myResourceGroup --cluster-name myAKSCluster \\
          --strategy identity-binding --manifest-file workload-identity.yaml
  - name: Move one namespace's workloads in stages, unattended (a pipeline), checking in between.
    text: |
      az aks pod-identity migrate --resource-group myResourceGroup --cluster-name myAKSCluster \\
          --namespace my-app --workloads add-workload-id --yes
      az aks pod-identity migrate --resource-group myResourceGroup --cluster-name myAKSCluster \\
          --namespace my-app --workloads verify -o table
      az aks pod-identity migrate --resource-group myResourceGroup --cluster-name myAKSCluster \\
          --namespace my-app --workloads remove-pod-identity-label --yes
  - name: Go back to pod identity for the workloads of one namespace.
    text: |
      az aks pod-identity migrate --resource-group myResourceGroup --cluster-name myAKSCluster \\
          --namespace my-app --workloads undo --yes
  - name: Migrate workloads that run an old Azure SDK, with the proxy sidecar (Linux pods, not for production).
    text: |
      az aks pod-identity migrate --resource-group myResourceGroup --cluster-name myAKSCluster \\
          --namespace legacy-app --proxy-sidecar --manifest-file workload-identity.yaml
"""

helps["aks pod-identity wait"] = """
type: command
short-summary: Wait for a pod identity to reach a condition, for example after 'add --no-wait'.
long-summary: >-
  --created and --updated return when the service reports the pod identity Assigned, and fail with the pod
  identity's own error when it is Failed; --deleted returns when the cluster no longer has it.
examples:
  - name: Add a pod identity to several clusters without waiting, then wait for each one to be assigned.
    text: |
      for cluster in myAKSCluster1 myAKSCluster2 myAKSCluster3; do
        az aks pod-identity add --resource-group myResourceGroup --cluster-name $cluster \\
            --namespace my-app --name my-pod-identity --identity-resource-id $IDENTITY_RESOURCE_ID --no-wait
      done
      for cluster in myAKSCluster1 myAKSCluster2 myAKSCluster3; do
        az aks pod-identity wait --resource-group myResourceGroup --cluster-name $cluster \\
            --namespace my-app --name my-pod-identity --created
      done
  - name: Wait until a pod identity is gone, polling every 10 seconds for at most 10 minutes.
    text: |
      az aks pod-identity wait --resource-group myResourceGroup --cluster-name myAKSCluster \\
          --namespace my-app --name my-pod-identity --deleted --interval 10 --timeout 600
"""

helps["aks pod-identity exception"] = """
type: group
short-summary: "Manage pod identity exceptions: pods that reach the Instance Metadata Service without interception."
examples:
  - name: Let pods labelled app=legacy in namespace my-app bypass pod identity.
    text: |
      az aks pod-identity exception add --resource-group myResourceGroup --cluster-name myAKSCluster \\
          --namespace my-app --name legacy-exception --pod-labels app=legacy
"""

helps["aks pod-identity exception add"] = """
type: command
short-summary: Add a pod identity exception to a cluster.
long-summary: Running the same command again changes nothing and succeeds.
examples:
  - name: Add an exception for pods with two labels.
    text: |
      az aks pod-identity exception add --resource-group myResourceGroup --cluster-name myAKSCluster \\
          --namespace my-app --name legacy-exception --pod-labels app=legacy tier=batch
"""

helps["aks pod-identity exception update"] = """
type: command
short-summary: Replace the pod labels of a pod identity exception.
examples:
  - name: Change the labels an exception matches.
    text: |
      az aks pod-identity exception update --resource-group myResourceGroup --cluster-name myAKSCluster \\
          --namespace my-app --name legacy-exception --pod-labels app=legacy-v2
"""

helps["aks pod-identity exception delete"] = """
type: command
short-summary: Remove a pod identity exception from a cluster.
long-summary: Deleting an exception that does not exist changes nothing and succeeds with a warning.
examples:
  - name: Remove an exception.
    text: |
      az aks pod-identity exception delete --resource-group myResourceGroup --cluster-name myAKSCluster \\
          --namespace my-app --name legacy-exception
"""

helps["aks pod-identity exception list"] = """
type: command
short-summary: List the pod identity exceptions of a cluster.
long-summary: Returns the managed cluster; the exceptions are under podIdentityProfile.
examples:
  - name: List exceptions as a table.
    text: az aks pod-identity exception list --resource-group myResourceGroup --cluster-name myAKSCluster -o table
"""

helps["aks pod-identity exception wait"] = """
type: command
short-summary: Wait for the cluster's operation to finish, for example after 'exception add --no-wait'.
examples:
  - name: Add an exception to several clusters without waiting, then wait for each cluster.
    text: |
      for cluster in myAKSCluster1 myAKSCluster2; do
        az aks pod-identity exception add --resource-group myResourceGroup --cluster-name $cluster \\
            --namespace my-app --name legacy-exception --pod-labels app=legacy --no-wait
      done
      for cluster in myAKSCluster1 myAKSCluster2; do
        az aks pod-identity exception wait --resource-group myResourceGroup --cluster-name $cluster --updated
      done
"""

# Examples for the flags this extension adds to core's `aks create` / `aks update`: appended to core's own
# help (whose YAML ends with its examples list), so the rest of core's help stays as it is.
_CORE_EXAMPLES = {
    "aks create": """
  - name: (PREVIEW) Create a cluster with Azure CNI and pod identity enabled.
    text: az aks create -g MyResourceGroup -n MyManagedCluster --network-plugin azure --enable-pod-identity
  - name: (PREVIEW) Create a kubenet cluster with pod identity enabled.
    text: az aks create -g MyResourceGroup -n MyManagedCluster --enable-pod-identity --enable-pod-identity-with-kubenet
""",
    "aks update": """
  - name: (PREVIEW) Enable pod identity on a cluster.
    text: az aks update -g MyResourceGroup -n MyManagedCluster --enable-pod-identity
  - name: (PREVIEW) Disable pod identity, removing every pod identity and exception without asking.
    text: az aks update -g MyResourceGroup -n MyManagedCluster --disable-pod-identity --yes
""",
}


def _append_core_examples():
    from azure.cli.command_modules.acs import _help as core_help  # noqa: F401  pylint: disable=unused-import
    for command, examples in _CORE_EXAMPLES.items():
        text = helps.get(command, "")
        if "\nexamples:\n" in text and examples.strip() not in text:
            helps[command] = text.rstrip("\n") + "\n" + examples.lstrip("\n")


_append_core_examples()
