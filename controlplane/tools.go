//go:build tools

// Package tools pins the Kubernetes programs the test control plane is built from: `go mod tidy` keeps their
// modules in go.mod and go.sum, and `make controlplane` builds them by path.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
