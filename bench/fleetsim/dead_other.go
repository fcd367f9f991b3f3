//go:build !linux

package main

import (
	"errors"
	"io"
)

// deadListener needs Linux, whose kernel drops SYNs to a listener with a
// full accept queue; elsewhere the dead targets are not served.
func deadListener(string) ([]io.Closer, error) {
	return nil, errors.New("dead targets need Linux (a full accept queue that drops SYNs)")
}
