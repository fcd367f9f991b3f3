//go:build !linux

package wire

import "net"

// withQuickACK returns nc: TCP_QUICKACK, and the delayed-ACK stall it avoids
// (see ack_linux.go), are Linux's.
func withQuickACK(nc, _ net.Conn) net.Conn { return nc }
