//go:build tools

// Package tools records crane, which pushes the offline images into the local registry.
package tools

import (
	_ "github.com/google/go-containerregistry/cmd/crane"
)
