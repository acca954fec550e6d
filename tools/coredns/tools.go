//go:build tools

// Package tools records the coredns command this module builds.
package tools

import _ "github.com/coredns/coredns"
