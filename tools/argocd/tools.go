//go:build tools

// Package tools records the Argo CD command this module builds.
package tools

import _ "github.com/argoproj/argo-cd/v3/cmd"
