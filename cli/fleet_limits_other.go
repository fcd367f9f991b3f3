//go:build !unix

package cli

// fileLimit: no such limit to read here.
func fileLimit(need uint64) (soft, hard uint64, ok bool) { return 0, 0, false }
