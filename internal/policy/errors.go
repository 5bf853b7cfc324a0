package policy

import "github.com/abbridge/ab_bridge/internal/yamlfile"

// Error is one problem of a policy file, located in it.
type Error = yamlfile.Error

// located collects the problems of one policy file.
type located = yamlfile.Problems
