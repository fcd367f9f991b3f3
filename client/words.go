package client

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"syscall"

	"github.com/ehlo-sh/ehlo/wire"
)

// packagePrefix is a package's name as the packages' errors open with it
// ("wire: read reply: …"): context for a log, noise for a person.
var packagePrefix = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`\b(wire|session|client|ui|cli|lab): `)
}) // compiled at the first error explained, not at every start

// cause says in a person's words what went wrong under a step: for the
// errors ehlo knows, what happened; for the rest, the error's text without
// the package names and repeated steps that wrapping adds.
func cause(err error) string {
	var (
		to     *wire.TimeoutError
		closed *wire.ClosedError
	)
	switch {
	case errors.As(err, &to):
		return timedOut(to)
	case errors.As(err, &closed):
		return personal(closed.Error())
	case errors.Is(err, syscall.ECONNRESET):
		return "the server reset the connection"
	case errors.Is(err, syscall.EPIPE):
		return "the server closed the connection while ehlo was still sending"
	}
	return personal(err.Error())
}

// timedOut says which wait ran out.
func timedOut(e *wire.TimeoutError) string {
	switch e.Op {
	case "write":
		return fmt.Sprintf("the server took none of what ehlo sent for %v (the --timeout deadline)", e.After)
	case "tls handshake", "starttls":
		return fmt.Sprintf("the TLS handshake did not finish within %v (the --timeout deadline)", e.After)
	}
	return fmt.Sprintf("no reply within %v (the --timeout deadline)", e.After)
}

// personal is an error's text for a person: without package prefixes, and
// each step or operation said once ("STARTTLS: STARTTLS: wire: starttls:
// x" is "STARTTLS: x").
func personal(msg string) string {
	msg = packagePrefix().ReplaceAllString(msg, "")
	parts := strings.Split(msg, ": ")
	out := parts[:1]
	for _, p := range parts[1:] {
		if strings.EqualFold(p, out[len(out)-1]) || isOp(p) {
			continue
		}
		out = append(out, p)
	}
	return strings.Join(out, ": ")
}

// isOp says whether a segment of an error's text is only the name of the
// wire operation that failed, which the step before it already says.
func isOp(s string) bool {
	switch s {
	case "read reply", "exchange", "write", "read", "starttls":
		return true
	}
	return false
}
