//go:build !linux

package main

import "net"

// quickACK does nothing where TCP_QUICKACK does not exist.
func quickACK(*net.TCPConn) {}
