#!/usr/bin/env bash
# From "which clusters still use pod identity?" to "all migrated", against the emulator: list the fleet over two
# subscriptions, migrate one cluster to Workload ID, delete its pod identities, turn the add-on off, migrate an
# identity shared past its 20 credentials through identity bindings, list again.
# demo/run.py prepares `az` (private config, the extension's wheel, a managed-identity login) and runs this.
# Each emulated cluster has a real kube-apiserver and controller manager behind it, and kubectl is the real one
# `make controlplane` built. There are no nodes (pods stay Pending) and no workload identity webhook (it cannot be
# built from the module proxy, docs/cluster-side.md), so no pod is mutated here: `verify` says so.
set -euo pipefail
trap 'printf "\n\033[1m$ %s\033[0m\n" "$BASH_COMMAND"' DEBUG

SUB1=$(az account show --query id -o tsv)
SUB2=$(az account list --query "[?id!='$SUB1'] | [0].id" -o tsv)

# A small fleet: two clusters with pod identity in two subscriptions, one cluster without it
az group create --name shopGroup --location eastus -o none
az aks create --resource-group shopGroup --name shopCluster --enable-pod-identity --network-plugin azure \
    --generate-ssh-keys -o none
az aks create --resource-group shopGroup --name plainCluster --network-plugin azure --generate-ssh-keys -o none
az group create --subscription "$SUB2" --name batchGroup --location westeurope -o none
az aks create --subscription "$SUB2" --resource-group batchGroup --name batchCluster --enable-pod-identity \
    --network-plugin azure --generate-ssh-keys -o none

# Pod identities on shopCluster: two that share a binding selector, and one on its own
az group create --name shopIdentities --location eastus -o none
for name in catalog-reader orders-writer payments; do
    az identity create --resource-group shopIdentities --name "$name" -o none
    az aks pod-identity add --resource-group shopGroup --cluster-name shopCluster --namespace shop --name "$name" \
        --identity-resource-id "$(az identity show -g shopIdentities -n "$name" --query id -o tsv)" \
        $([ "$name" = payments ] || echo --binding-selector storefront) -o none
done

# 1. Where is pod identity still used, and what does each cluster need for Workload ID?
az aks pod-identity list-clusters -o table
az aks pod-identity check --resource-group shopGroup --cluster-name shopCluster -o table

# The shop's workloads: a storefront Deployment (the two identities of one selector) and a payments CronJob
az aks get-credentials --resource-group shopGroup --name shopCluster --overwrite-existing
# (namespace shop holds the add-on's AzureIdentity objects already)
for _ in $(seq 120); do kubectl get serviceaccount default --namespace shop > /dev/null 2>&1 && break; sleep 0.5; done
kubectl apply --server-side -f - <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: storefront, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: storefront}}
  template:
    metadata: {labels: {app: storefront, aadpodidbinding: storefront}}
    spec: {containers: [{name: app, image: "mcr.microsoft.com/azuredocs/aks-helloworld:v1"}]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: payments, namespace: shop}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        metadata: {labels: {aadpodidbinding: payments}}
        spec: {restartPolicy: Never, containers: [{name: app, image: "mcr.microsoft.com/azuredocs/aks-helloworld:v1"}]}
EOF
for _ in $(seq 120); do
    [ "$(kubectl get pods --namespace shop -l aadpodidbinding=storefront -o name | wc -l)" -ge 2 ] && break
    sleep 0.5
done
az aks pod-identity list-workloads --resource-group shopGroup --cluster-name shopCluster -o table

# 2. Migrate shopCluster: the OIDC issuer and workload identity first, then the plan, then the move in stages
az aks update --resource-group shopGroup --name shopCluster --enable-oidc-issuer --enable-workload-identity -o none
az aks pod-identity migrate --resource-group shopGroup --cluster-name shopCluster --dry-run -o table
az aks pod-identity migrate --resource-group shopGroup --cluster-name shopCluster --dry-run \
    --query "workloads.changes[].[kind, name, action, serviceAccountName.to]" -o tsv
az aks pod-identity migrate --resource-group shopGroup --cluster-name shopCluster --dry-run \
    --query "podIdentities[].sharedBindingSelector.note" -o tsv
#    stage one: the Azure half, then the ServiceAccount and the pod templates (aadpodidbinding stays)
az aks pod-identity migrate --resource-group shopGroup --cluster-name shopCluster --workloads add-workload-id --yes \
    --query "workloads.changes[].[kind, name, result]" -o tsv
kubectl get deployment storefront --namespace shop \
    -o jsonpath='{.spec.template.spec.serviceAccountName} {.spec.template.metadata.labels}{"\n"}'
kubectl get serviceaccount --namespace shop -o custom-columns='NAME:.metadata.name,CLIENT ID:.metadata.annotations.azure\.workload\.identity/client-id'
#    a re-run changes nothing
az aks pod-identity migrate --resource-group shopGroup --cluster-name shopCluster --workloads add-workload-id --yes \
    --query "workloads.changes[].action" -o tsv
#    verify: here no webhook mutates the pods, so it says 'not mutated' and why; on AKS they read 'migrated'
for _ in $(seq 120); do  # the Deployment's new pods run as catalog-reader (the selector's first pod identity)
    kubectl get pods --namespace shop -o jsonpath='{.items[*].spec.serviceAccountName}' | grep -q catalog-reader \
        && break
    sleep 0.5
done
az aks pod-identity migrate --resource-group shopGroup --cluster-name shopCluster --workloads verify -o table
#    stage two removes aadpodidbinding only where verified: here it keeps it, and says why
az aks pod-identity migrate --resource-group shopGroup --cluster-name shopCluster \
    --workloads remove-pod-identity-label -o table
#    the way back, from the record on each object (then forward again)
az aks pod-identity migrate --resource-group shopGroup --cluster-name shopCluster --workloads undo --yes -o table
kubectl get deployment storefront --namespace shop -o jsonpath='{.spec.template.spec}{"\n"}'
az aks pod-identity migrate --resource-group shopGroup --cluster-name shopCluster --workloads add-workload-id --yes \
    -o none

# 3. Remove the pod identities, then the add-on. The pods still carry aadpodidbinding here (no webhook, so stage
#    two kept it): delete names the workloads that still use each one, and --yes goes on as a pipeline would.
for name in $(az aks pod-identity list --resource-group shopGroup --cluster-name shopCluster \
        --query "podIdentityProfile.userAssignedIdentities[].name" -o tsv); do
    az aks pod-identity delete --resource-group shopGroup --cluster-name shopCluster --namespace shop --name "$name" \
        --yes -o none
done
az aks update --resource-group shopGroup --name shopCluster --disable-pod-identity --yes -o none

# 4. One identity shared past its 20 federated credentials: three team clusters, seven service accounts each
#    (21). --strategy auto gives the first clusters a credential per service account while one of the 20 stays
#    free, and the last an identity binding: one shared credential, however many clusters bind the identity.
if az aks identity-binding list -h > /dev/null 2>&1; then
    az group create --name teamsGroup --location eastus -o none
    az identity create --resource-group teamsGroup --name shared-reader -o none
    SHARED=$(az identity show -g teamsGroup -n shared-reader --query id -o tsv)
    for team in team1 team2 team3; do
        az aks create --resource-group teamsGroup --name "$team" --enable-pod-identity --network-plugin azure \
            --enable-oidc-issuer --enable-workload-identity --generate-ssh-keys -o none
        for ns in web api jobs reports search media mail; do
            az aks pod-identity add --resource-group teamsGroup --cluster-name "$team" --namespace "$ns" \
                --name reader --identity-resource-id "$SHARED" -o none
        done
    done
    az aks pod-identity migrate --resource-group teamsGroup --cluster-name team1 -o none
    az aks pod-identity migrate --resource-group teamsGroup --cluster-name team2 -o none
    az aks pod-identity migrate --resource-group teamsGroup --cluster-name team3 --dry-run \
        --query "podIdentities[0].[strategy, strategyReason]" -o tsv
    az aks pod-identity migrate --resource-group teamsGroup --cluster-name team3 --manifest-file team3.yaml -o table
    grep -A4 "kind: ClusterRole$" team3.yaml
    COUNT=$(az identity federated-credential list -g teamsGroup --identity-name shared-reader --query "length(@)")
    echo "shared-reader serves 21 service accounts on 3 clusters with $COUNT federated credentials (at most 20)"
    test "$COUNT" -le 20
else
    echo "(this azure-cli's AKS API has no identity bindings: the shared-identity part is skipped)"
fi

# 5. The fleet again: shopCluster is no longer listed
az aks pod-identity list-clusters -o table
test "$(az aks pod-identity list-clusters --query "[?name=='shopCluster'] | length(@)")" = 0
echo "shopCluster migrated; clusters still using pod identity: \
$(az aks pod-identity list-clusters --query "[].name" -o tsv | tr '\n' ' ')"
