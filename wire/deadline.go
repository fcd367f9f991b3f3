package wire

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
)

// aLongTimeAgo is a deadline that has passed: setting it wakes a blocked
// read or write at once.
var aLongTimeAgo = time.Unix(1, 0)

// op is one operation on the wire under one absolute deadline (RFC 5321
// section 4.5.3.2): a server that trickles a byte at a time cannot extend it.
type op struct {
	ctx      context.Context
	name     string
	deadline time.Time
	fromCtx  bool          // the deadline is the context's
	after    time.Duration // time given to the operation
	stop     func() bool   // unregisters the cancellation hook
	fired    chan struct{} // closed once the hook has run
}

// begin sets the deadline of one operation on the socket: the context's, or
// now plus Options.Timeout. Until end, cancelling ctx wakes the operation.
func (c *Conn) begin(ctx context.Context, name string) (*op, error) {
	return c.beginWithin(ctx, name, c.opts.Timeout)
}

// beginWithin is begin with the time the operation has when ctx has no
// deadline; 0 means no deadline: only ctx ends the operation.
func (c *Conn) beginWithin(ctx context.Context, name string, within time.Duration) (*op, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("wire: %s: %w", name, err)
	}
	o := &op{ctx: ctx, name: name}
	now := time.Now()
	o.deadline, o.fromCtx = ctx.Deadline()
	if !o.fromCtx && within > 0 {
		o.deadline = now.Add(within)
	}
	o.after = o.deadline.Sub(now)
	_ = c.raw.SetDeadline(o.deadline)
	if ctx.Done() != nil {
		o.fired = make(chan struct{})
		o.stop = context.AfterFunc(ctx, func() {
			_ = c.raw.SetDeadline(aLongTimeAgo)
			close(o.fired)
		})
	}
	return o, nil
}

// end unregisters the cancellation hook, waiting for it if it already
// started, so it cannot touch the next operation's deadline.
func (o *op) end() {
	if o.stop != nil && !o.stop() {
		<-o.fired
	}
}

// fail gives err its context: the context's error when it ended, a
// TimeoutError when our own deadline passed, a "wire: op:" prefix on a bare
// network error. Errors of this package pass unchanged.
func (o *op) fail(err error) error {
	var we wireError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &we):
		return err
	case o.ctxErr() != nil:
		return fmt.Errorf("wire: %s: %w", o.name, o.ctxErr())
	case errors.Is(err, os.ErrDeadlineExceeded):
		return &TimeoutError{Op: o.name, After: o.after}
	}
	return fmt.Errorf("wire: %s: %w", o.name, err)
}

// ctxErr returns why the context ended, counting its deadline as passed even
// if the socket noticed before the context did.
func (o *op) ctxErr() error {
	if err := o.ctx.Err(); err != nil {
		return err
	}
	if o.fromCtx && !time.Now().Before(o.deadline) {
		return context.DeadlineExceeded
	}
	return nil
}
