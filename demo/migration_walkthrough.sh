#!/usr/bin/env bash
# From "which clusters still use pod identity?" to "all migrated", against the emulator: list the fleet over two
# subscriptions, migrate one cluster to Workload ID, delete its pod identities, turn the add-on off, migrate an
# identity shared past its 20 credentials through identity bindings, list again.
# demo/run.py prepares `az` (private config, the extension's wheel, a managed-identity login) and runs this.
# kubectl steps are left out: the emulator has no Kubernetes API server.
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

# 2. Migrate shopCluster: the OIDC issuer and workload identity first, then the plan, then the move
az aks update --resource-group shopGroup --name shopCluster --enable-oidc-issuer --enable-workload-identity -o none
az aks pod-identity migrate --resource-group shopGroup --cluster-name shopCluster --dry-run -o table
az aks pod-identity migrate --resource-group shopGroup --cluster-name shopCluster \
    --manifest-file workload-identity.yaml --query nextSteps
cat workload-identity.yaml
# (kubectl apply -f workload-identity.yaml, change the pods as podChanges says, wait until they run on Workload ID)

# 3. Remove the pod identities, then the add-on
for name in $(az aks pod-identity list --resource-group shopGroup --cluster-name shopCluster \
        --query "podIdentityProfile.userAssignedIdentities[].name" -o tsv); do
    az aks pod-identity delete --resource-group shopGroup --cluster-name shopCluster --namespace shop --name "$name" \
        -o none
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
