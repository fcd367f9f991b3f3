package cli

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"time"
)

// interruptAfter is how long a command runs before Ctrl-C is caught: see
// catchInterrupt.
const interruptAfter = 50 * time.Millisecond

// catchInterrupt turns Ctrl-C into cancel, so that a command ends its
// session cleanly and reports where it stopped; a second Ctrl-C ends the
// process at once. It is armed only after d, and calls armed (when not nil)
// once it is: catching a signal starts a thread, about 1 ms of CPU
// (BENCHMARKS.md), which a command done within d, such as a send of a small
// message to a near server, would pay for nothing; and Ctrl-C's default
// action in the first d cuts short nothing a person could have meant to
// stop. stop disarms it.
func catchInterrupt(cancel context.CancelFunc, d time.Duration, armed func()) (stop func()) {
	var (
		mu      sync.Mutex
		stopped bool
		sig     = make(chan os.Signal, 1)
		done    = make(chan struct{})
	)
	arm := time.AfterFunc(d, func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		signal.Notify(sig, os.Interrupt)
		go func() {
			select {
			case <-sig:
				signal.Stop(sig) // the next Ctrl-C takes its default action
				cancel()
			case <-done:
			}
		}()
		if armed != nil {
			armed()
		}
	})
	return func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		stopped = true
		arm.Stop()
		signal.Stop(sig)
		close(done)
	}
}
