//go:build unix

package cli

import (
	"context"
	"syscall"
	"testing"
	"time"
)

func TestCatchInterruptCancelsOnceArmed(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	armed := make(chan struct{})
	stop := catchInterrupt(cancel, 0, func() { close(armed) })
	defer stop()
	select {
	case <-armed:
	case <-time.After(10 * time.Second):
		t.Fatal("never armed")
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Ctrl-C did not cancel the command")
	}
}
