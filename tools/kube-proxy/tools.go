//go:build tools

// Package tools records the kube-proxy command this module builds.
package tools

import _ "k8s.io/kubernetes/cmd/kube-proxy"
