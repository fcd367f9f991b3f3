package dns

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// DefaultTimeout is how long one attempt waits for its answer when the
// Client sets none. A question gets at most two attempts over UDP and one
// over TCP, all within the context's deadline.
const DefaultTimeout = 5 * time.Second

// MaxCNAMEs is the longest CNAME chain followed, across re-queries.
const MaxCNAMEs = 8

// ErrCNAMELoop is matched (errors.Is) by the Error for an answer whose
// CNAME chain comes back to a name it already went through.
var ErrCNAMELoop = errors.New("CNAME loop")

// ErrCNAMEChain is matched (errors.Is) by the Error for a CNAME chain longer
// than MaxCNAMEs.
var ErrCNAMEChain = errors.New("CNAME chain too long")

// Client is a Resolver that asks one recursive resolver, over UDP and over
// TCP when an answer is truncated, with the DO bit set so a validating
// resolver says whether the answer is authentic. Its zero value is not
// usable: Server is required. A Client is safe for concurrent use when its
// Observer is.
//
// Memory is bounded by the protocol: a message is at most 65535 bytes, so
// an answer holds at most a few thousand records, all kept (a 500-MX
// answer comes back whole); what shows them bounds what it shows.
type Client struct {
	Server   string        // the resolver's IP:port (ParseServer, SystemServer)
	Timeout  time.Duration // per attempt; DefaultTimeout when zero
	Observer Observer      // told every exchange; may be nil
}

// NewClient returns a Client asking server (IP:port).
func NewClient(server string) *Client { return &Client{Server: server} }

func (c *Client) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

// Lookup asks name's records of type qtype. name may hold U-labels: it is
// asked in A-labels (ParseName). When the resolver's answer ends its CNAME
// chain at a name without records and without saying why (no SOA), Lookup
// asks for the chain's last name itself; the Answer then covers the whole
// chain, authentic only if every part was.
func (c *Client) Lookup(ctx context.Context, name string, qtype uint16) (*Answer, error) {
	n, err := ParseName(name)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	a, more, err := c.ask(ctx, n.ASCII, qtype)
	for err == nil && more {
		var next *Answer
		if next, more, err = c.ask(ctx, a.Canonical, qtype); err == nil {
			if a, err = a.join(next, more); err != nil {
				err = c.fail(&question{name: n.ASCII, qtype: qtype}, 0, start, err)
			}
		}
	}
	if err != nil {
		return nil, err
	}
	a.Elapsed = time.Since(start)
	return a, nil
}

// ask makes one exchange, reports it to the Observer, and reads its
// answer. more says the answer's CNAME chain ends at a name the resolver
// did not ask (answerOf).
func (c *Client) ask(ctx context.Context, name string, qtype uint16) (a *Answer, more bool, err error) {
	q := &question{name: name, qtype: qtype}
	start := time.Now()
	r, attempts, err := c.exchange(ctx, q)
	if err != nil && errors.Is(ctx.Err(), context.Canceled) {
		err = context.Canceled // the caller gave up: not a timeout of the resolver's
	}
	if err == nil {
		a, more, err = answerOf(r, name, qtype)
	}
	if err != nil {
		err = c.fail(q, attempts, start, err)
		a = nil
	} else {
		a.Server, a.Elapsed = c.Server, time.Since(start)
	}
	if c.Observer != nil {
		c.Observer(Exchange{Server: c.Server, Name: name, Type: qtype, Sent: start, Answer: a, Err: err, Attempts: attempts})
	}
	return a, more, err
}

// fail wraps what went wrong with q in an *Error.
func (c *Client) fail(q *question, attempts int, start time.Time, err error) error {
	if e, ok := err.(*Error); ok {
		return e
	}
	e := &Error{Server: c.Server, Name: q.name, Type: q.qtype, Attempts: attempts, After: time.Since(start),
		Ignored: q.ignored, Err: err}
	if isTimeout(err) {
		e.Timeout, e.Err = true, nil
	}
	return e
}

// Chain is a CNAME chain as people read it: the names without their final
// dot, joined by arrows ("a.example → b.example").
func Chain(names []string) string {
	shown := make([]string, len(names))
	for i, n := range names {
		shown[i] = Shown(n)
	}
	return strings.Join(shown, " → ")
}

// join appends the answer of a re-query for a's canonical name.
func (a *Answer) join(next *Answer, more bool) (*Answer, error) {
	j := *next
	j.Name, j.Type = a.Name, a.Type
	j.CNAMEs = append(append([]string(nil), a.CNAMEs...), next.CNAMEs...)
	j.Authentic = a.Authentic && next.Authentic
	j.EDE = append(append([]ExtendedError(nil), a.EDE...), next.EDE...)
	if err := checkChain(a.Name, j.CNAMEs); err != nil {
		return nil, err
	}
	if len(j.CNAMEs) >= MaxCNAMEs && more {
		return nil, fmt.Errorf("%w: %s and on", ErrCNAMEChain, Chain(append([]string{a.Name}, j.CNAMEs...)))
	}
	return &j, nil
}

// checkChain reports a loop or a chain longer than MaxCNAMEs.
func checkChain(name string, cnames []string) error {
	seen := map[string]bool{strings.ToLower(name): true}
	for i, c := range cnames {
		full := Chain(append([]string{name}, cnames[:i+1]...))
		switch {
		case seen[strings.ToLower(c)]:
			return fmt.Errorf("%w: %s", ErrCNAMELoop, full)
		case i >= MaxCNAMEs:
			return fmt.Errorf("%w (more than %d): %s", ErrCNAMEChain, MaxCNAMEs, full)
		}
		seen[strings.ToLower(c)] = true
	}
	return nil
}
