//go:build tools

// Package tools records the CNCF distribution registry that stands in for ECR.
package tools

import (
	_ "github.com/distribution/distribution/v3/cmd/registry"
)
