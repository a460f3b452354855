#!/usr/bin/env bash
# The how-to "Use Microsoft Entra pod-managed identities in AKS", command for command, against the emulator.
# demo/run.py prepares `az` (private config, the extension's wheel, a managed-identity login) and runs this.
# Each emulated cluster has a real Kubernetes API server (and controller manager) behind it, and kubectl is the real
# one built by `make controlplane`. There are no nodes: pods stay Pending, so `kubectl logs` has nothing to show.
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
# The objects AKS keeps for it in the cluster
kubectl get azureidentity -n $POD_IDENTITY_NAMESPACE
kubectl get azureidentitybinding -n $POD_IDENTITY_NAMESPACE

# Run a sample application
SUBSCRIPTION_ID=$(az account show --query id -o tsv)
write_demo_pod() {
cat > demo.yaml <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: demo
  labels:
    aadpodidbinding: $1
spec:
  containers:
  - name: demo
    image: mcr.azk8s.cn/oss/azure/aad-pod-identity/demo:v1.6.3
    args:
      - --subscriptionid=$SUBSCRIPTION_ID
      - --clientid=$IDENTITY_CLIENT_ID
      - --resourcegroup=$IDENTITY_RESOURCE_GROUP
    env:
      - name: MY_POD_NAME
        valueFrom:
          fieldRef:
            fieldPath: metadata.name
      - name: MY_POD_NAMESPACE
        valueFrom:
          fieldRef:
            fieldPath: metadata.namespace
      - name: MY_POD_IP
        valueFrom:
          fieldRef:
            fieldPath: status.podIP
  nodeSelector:
    kubernetes.io/os: linux
EOF
}
write_demo_pod $POD_IDENTITY_NAME
kubectl apply -f demo.yaml --namespace $POD_IDENTITY_NAMESPACE
# No nodes here: the pod is Pending, and `kubectl logs demo --follow` would wait for ever.
kubectl get pod demo --namespace $POD_IDENTITY_NAMESPACE
# Which workloads use which pod identity, read off the cluster
az aks pod-identity list-workloads --resource-group myResourceGroup --cluster-name myAKSCluster -o table

# Run an application with multiple identities
for n in 1 2; do
    az identity create --resource-group ${IDENTITY_RESOURCE_GROUP} --name ${IDENTITY_NAME}-$n -o none
done
export POD_IDENTITY_NAME_1="my-pod-identity-1" POD_IDENTITY_NAME_2="my-pod-identity-2"
export IDENTITY_RESOURCE_ID_1="$(az identity show --resource-group ${IDENTITY_RESOURCE_GROUP} --name ${IDENTITY_NAME}-1 --query id -o tsv)"
export IDENTITY_RESOURCE_ID_2="$(az identity show --resource-group ${IDENTITY_RESOURCE_GROUP} --name ${IDENTITY_NAME}-2 --query id -o tsv)"
az aks pod-identity add --resource-group myResourceGroup --cluster-name myAKSCluster --namespace ${POD_IDENTITY_NAMESPACE} --name ${POD_IDENTITY_NAME_1} --identity-resource-id ${IDENTITY_RESOURCE_ID_1} --binding-selector myMultiIdentitySelector
az aks pod-identity add --resource-group myResourceGroup --cluster-name myAKSCluster --namespace ${POD_IDENTITY_NAMESPACE} --name ${POD_IDENTITY_NAME_2} --identity-resource-id ${IDENTITY_RESOURCE_ID_2} --binding-selector myMultiIdentitySelector
kubectl get azureidentitybinding -n $POD_IDENTITY_NAMESPACE
# "Then set the aadpodidbinding field in your pod YAML to the binding selector you specified."
write_demo_pod myMultiIdentitySelector
kubectl apply -f demo.yaml --namespace $POD_IDENTITY_NAMESPACE
az aks pod-identity list-workloads --resource-group myResourceGroup --cluster-name myAKSCluster -o table

# Pod identity exceptions (aks-addon-exception itself lives only inside the cluster)
az aks pod-identity exception add --resource-group myResourceGroup --cluster-name myAKSCluster --namespace ${POD_IDENTITY_NAMESPACE} --name my-exception --pod-labels app=legacy
az aks pod-identity exception update --resource-group myResourceGroup --cluster-name myAKSCluster --namespace ${POD_IDENTITY_NAMESPACE} --name my-exception --pod-labels app=legacy tier=batch
az aks pod-identity exception list --resource-group myResourceGroup --cluster-name myAKSCluster -o table
az aks pod-identity exception delete --resource-group myResourceGroup --cluster-name myAKSCluster --namespace ${POD_IDENTITY_NAMESPACE} --name my-exception

# Disable pod-managed identity on an existing cluster
az aks pod-identity delete --name ${POD_IDENTITY_NAME} --namespace ${POD_IDENTITY_NAMESPACE} --resource-group myResourceGroup --cluster-name myAKSCluster
# The demo pod still uses the two identities of myMultiIdentitySelector: disabling names it (--yes goes ahead).
az aks update --resource-group myResourceGroup --name myAKSCluster --disable-pod-identity --yes
# The add-on's CRDs are gone with it
kubectl get crd

# Clean up resources (the pod identity is gone already: deleting it again changes nothing)
kubectl delete pod demo --namespace $POD_IDENTITY_NAMESPACE
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
