#!/usr/bin/env bash
# The how-to "Use Microsoft Entra pod-managed identities in AKS", command for command, against the emulator.
# demo/run.py prepares `az` (private config, the extension's wheel, a managed-identity login) and runs this.
# kubectl steps are left out: the emulator has no Kubernetes API server.
set -euo pipefail
trap 'printf "\n\033[1m$ %s\033[0m\n" "$BASH_COMMAND"' DEBUG

# Register the EnablePodIdentityPreview feature flag
az feature register --namespace "Microsoft.ContainerService" --name "EnablePodIdentityPreview"
# (The how-to's tip, `az feature unregister`, runs at the end, once the add-on is disabled.)
az feature show --namespace "Microsoft.ContainerService" --name "EnablePodIdentityPreview"
# "It takes a few minutes for the status to show as Registered": ask again until it does (a few seconds here).
for attempt in $(seq 1 60); do
    STATE=$(az feature show --namespace "Microsoft.ContainerService" --name "EnablePodIdentityPreview" --query properties.state -o tsv)
    echo "feature state: $STATE"
    [ "$STATE" = Registered ] && break
    sleep 1
done
test "$STATE" = Registered
az provider register --namespace Microsoft.ContainerService

# Manage an AKS cluster with pod-managed identities
az group create --name myResourceGroup --location eastus
az aks create \
    --resource-group myResourceGroup \
    --name myAKSCluster \
    --enable-pod-identity \
    --network-plugin azure \
    --generate-ssh-keys
az aks get-credentials --resource-group myResourceGroup --name myAKSCluster

# Update an existing AKS cluster with Azure CNI
export MY_RESOURCE_GROUP=myResourceGroup MY_CLUSTER=myAKSCluster
az aks update --resource-group $MY_RESOURCE_GROUP --name $MY_CLUSTER --enable-pod-identity

# Create a managed identity
az group create --name myIdentityResourceGroup --location chinaeast2
export IDENTITY_RESOURCE_GROUP="myIdentityResourceGroup"
export IDENTITY_NAME="application-identity"
az identity create --resource-group ${IDENTITY_RESOURCE_GROUP} --name ${IDENTITY_NAME}
export IDENTITY_CLIENT_ID="$(az identity show --resource-group ${IDENTITY_RESOURCE_GROUP} --name ${IDENTITY_NAME} --query clientId -o tsv)"
export IDENTITY_RESOURCE_ID="$(az identity show --resource-group ${IDENTITY_RESOURCE_GROUP} --name ${IDENTITY_NAME} --query id -o tsv)"

# Assign permissions for the managed identity
NODE_GROUP=$(az aks show --resource-group myResourceGroup --name myAKSCluster --query nodeResourceGroup -o tsv)
NODES_RESOURCE_ID=$(az group show --name $NODE_GROUP -o tsv --query "id")
az role assignment create --role "Virtual Machine Contributor" --assignee "$IDENTITY_CLIENT_ID" --scope $NODES_RESOURCE_ID

# Create a pod-managed identity
export POD_IDENTITY_NAME="my-pod-identity"
export POD_IDENTITY_NAMESPACE="my-app"
az aks pod-identity add --resource-group myResourceGroup --cluster-name myAKSCluster --namespace ${POD_IDENTITY_NAMESPACE} --name ${POD_IDENTITY_NAME} --identity-resource-id ${IDENTITY_RESOURCE_ID}
az aks pod-identity list --resource-group myResourceGroup --cluster-name myAKSCluster -o table

# Run an application with multiple identities
for n in 1 2; do
    az identity create --resource-group ${IDENTITY_RESOURCE_GROUP} --name ${IDENTITY_NAME}-$n -o none
done
export POD_IDENTITY_NAME_1="my-pod-identity-1" POD_IDENTITY_NAME_2="my-pod-identity-2"
export IDENTITY_RESOURCE_ID_1="$(az identity show --resource-group ${IDENTITY_RESOURCE_GROUP} --name ${IDENTITY_NAME}-1 --query id -o tsv)"
export IDENTITY_RESOURCE_ID_2="$(az identity show --resource-group ${IDENTITY_RESOURCE_GROUP} --name ${IDENTITY_NAME}-2 --query id -o tsv)"
az aks pod-identity add --resource-group myResourceGroup --cluster-name myAKSCluster --namespace ${POD_IDENTITY_NAMESPACE} --name ${POD_IDENTITY_NAME_1} --identity-resource-id ${IDENTITY_RESOURCE_ID_1} --binding-selector myMultiIdentitySelector
az aks pod-identity add --resource-group myResourceGroup --cluster-name myAKSCluster --namespace ${POD_IDENTITY_NAMESPACE} --name ${POD_IDENTITY_NAME_2} --identity-resource-id ${IDENTITY_RESOURCE_ID_2} --binding-selector myMultiIdentitySelector

# Pod identity exceptions (aks-addon-exception itself lives only inside the cluster)
az aks pod-identity exception add --resource-group myResourceGroup --cluster-name myAKSCluster --namespace ${POD_IDENTITY_NAMESPACE} --name my-exception --pod-labels app=legacy
az aks pod-identity exception update --resource-group myResourceGroup --cluster-name myAKSCluster --namespace ${POD_IDENTITY_NAMESPACE} --name my-exception --pod-labels app=legacy tier=batch
az aks pod-identity exception list --resource-group myResourceGroup --cluster-name myAKSCluster -o table
az aks pod-identity exception delete --resource-group myResourceGroup --cluster-name myAKSCluster --namespace ${POD_IDENTITY_NAMESPACE} --name my-exception

# Disable pod-managed identity on an existing cluster
az aks pod-identity delete --name ${POD_IDENTITY_NAME} --namespace ${POD_IDENTITY_NAMESPACE} --resource-group myResourceGroup --cluster-name myAKSCluster
az aks update --resource-group myResourceGroup --name myAKSCluster --disable-pod-identity --yes

# Clean up resources (the pod identity is gone already: deleting it again changes nothing)
az aks pod-identity delete \
    --name ${POD_IDENTITY_NAME} \
    --namespace ${POD_IDENTITY_NAMESPACE} \
    --resource-group myResourceGroup \
    --cluster-name myAKSCluster
az identity delete \
    --resource-group ${IDENTITY_RESOURCE_GROUP} \
    --name ${IDENTITY_NAME}
# As printed in the how-to, this fails: the identity was deleted just above, so Microsoft Graph no longer
# knows its client id (and the grant was given to the cluster's identity, not to the pod's identity).
az role assignment delete \
    --role "Managed Identity Operator" \
    --assignee "$IDENTITY_CLIENT_ID" \
    --scope "$IDENTITY_RESOURCE_ID" || echo "(failed as it would in Azure; and there is nothing left to remove)"
# Nothing to remove by hand: `pod-identity delete` removed the grant that `add` had created. Listed by object id
# (--assignee-object-id of `role assignment list` is newer than azure-cli 2.70); the list is empty.
CLUSTER_PRINCIPAL_ID=$(az aks show --resource-group myResourceGroup --name myAKSCluster --query identity.principalId -o tsv)
GRANT_QUERY="[?principalId=='$CLUSTER_PRINCIPAL_ID'].id"
GRANTS_LEFT=$(az role assignment list --all --query "$GRANT_QUERY" -o tsv)
echo "grants of the cluster identity left: ${GRANTS_LEFT:-none}"
test -z "$GRANTS_LEFT"

# The how-to's tip: unregister the feature once nothing uses the add-on any more
az feature unregister --namespace "Microsoft.ContainerService" --name "EnablePodIdentityPreview"
