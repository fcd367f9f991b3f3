package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// Hello is one EHLO (or HELO) exchange of a probe.
type Hello struct {
	TLS   bool                 // sent inside TLS
	HELO  bool                 // the server refused EHLO and HELO was used
	Reply session.Reply        // the reply
	Caps  session.Capabilities // parsed from Reply
	Took  time.Duration        // from command to reply
}

// ProbeResult is what a probe learned about one target, even when it
// failed part way: every field filled so far is kept.
type ProbeResult struct {
	Target      string
	Address     string      // "ip:port" once connected
	Route       *wire.Route // how the bytes went, once connected
	LMTP        bool        // LMTP was spoken (--protocol lmtp)
	ImplicitTLS bool        // the session began with TLS
	AskedTLS    bool        // implicit TLS was asked for (Options.ImplicitTLS, or port 465), whether or not it worked
	Connect     time.Duration
	Greeting    *session.Reply
	GreetTook   time.Duration
	Hellos      []Hello
	StartTLS    *session.Reply // the reply to STARTTLS, when sent
	TLS         *wire.TLSInfo  // TLS facts, also when verification failed
	Resumption  *Resumption    // what a second connection showed (Options.TLS.Reconnect); nil when not tried
	Err         error
	Transcript  *wire.Transcript
}

// Plain and Secure return the EHLO before and after STARTTLS, if any.
func (r ProbeResult) Plain() *Hello  { return r.findHello(false) }
func (r ProbeResult) Secure() *Hello { return r.findHello(true) }

func (r ProbeResult) findHello(tls bool) *Hello {
	for i := range r.Hellos {
		if r.Hellos[i].TLS == tls {
			return &r.Hellos[i]
		}
	}
	return nil
}

// Diff compares the capabilities before and after STARTTLS; ok is false
// unless the probe saw both.
func (r ProbeResult) Diff() (d session.CapDiff, ok bool) {
	p, s := r.Plain(), r.Secure()
	if p == nil || s == nil || r.ImplicitTLS {
		return d, false
	}
	return session.DiffCapabilities(p.Caps, s.Caps), true
}

// Probe connects to target and runs greeting, EHLO (HELO fallback),
// STARTTLS when offered (unless opts.NoStartTLS), EHLO again, and QUIT.
// With opts.TLS.Reconnect, a second connection tries to resume the TLS
// session (Resumption).
func Probe(ctx context.Context, target string, opts Options) ProbeResult {
	res := ProbeResult{Target: target, Transcript: wire.NewTranscript()}
	if !opts.TLS.Reconnect {
		res.Err = probe(ctx, target, opts, &res)
		return res
	}
	opts.TLS.Reconnect = false
	opts, cache := withTickets(opts)
	if res.Err = probe(ctx, target, opts, &res); res.TLS != nil && res.Err == nil {
		res.Resumption = resume(ctx, target, opts, cache)
	}
	return res
}

func probe(ctx context.Context, target string, opts Options, res *ProbeResult) error {
	_, port, _ := wire.ParseTarget(target)
	res.AskedTLS = opts.ImplicitTLS || !opts.Plain && port == "465"
	start := time.Now()
	c, err := Dial(ctx, target, opts, res.Transcript)
	if err != nil {
		res.keepTLS(err)
		return &StepError{Step: StepConnect, Err: err}
	}
	defer c.Close()
	res.Connect = time.Since(start)
	res.Address, res.Route, res.LMTP = c.Conn().Addr(), routeOf(c), opts.LMTP
	if info, ok := c.Conn().TLS(); ok {
		res.ImplicitTLS, res.TLS = true, &info
	}
	if err := res.greet(ctx, c); err != nil {
		return err
	}
	if err := res.hello(ctx, c); err != nil {
		return err
	}
	if res.TLS == nil && !opts.NoStartTLS && res.Hellos[0].Caps.Has("STARTTLS") {
		if err := res.upgrade(ctx, c); err != nil {
			return err
		}
		if err := res.hello(ctx, c); err != nil {
			return err
		}
	}
	c.Quit(ctx)
	return nil
}

func (res *ProbeResult) greet(ctx context.Context, c *Client) error {
	start := time.Now()
	g, err := c.Greeting(ctx)
	if err != nil {
		return &StepError{Step: StepGreeting, Err: err}
	}
	res.Greeting, res.GreetTook = &g, c.greetedAt.Sub(start)
	if g.Code != 220 {
		return fmt.Errorf("the server refused the session: %d %s", g.Code, session.SanitizeString(g.Text()))
	}
	return nil
}

func (res *ProbeResult) hello(ctx context.Context, c *Client) error {
	start := time.Now()
	r, helo, err := c.Hello(ctx)
	if err != nil {
		return &StepError{Step: StepHello, Err: err}
	}
	h := Hello{TLS: res.TLS != nil, HELO: helo, Reply: r, Took: time.Since(start)}
	if !helo {
		h.Caps = session.ParseEHLO(r)
	}
	res.Hellos = append(res.Hellos, h)
	if !r.OK() {
		refused := "EHLO" // a 4yz, such as 421, is not answered with HELO
		if helo {
			refused = "EHLO and HELO"
		}
		return fmt.Errorf("the server refused %s: %d %s", refused, r.Code, session.SanitizeString(r.Text()))
	}
	return nil
}

func (res *ProbeResult) upgrade(ctx context.Context, c *Client) error {
	r, info, err := c.StartTLS(ctx)
	if r.Code != 0 {
		res.StartTLS = &r
	}
	if err != nil {
		res.keepTLS(err)
		return &StepError{Step: StepStartTLS, Err: err}
	}
	res.TLS = &info
	return nil
}

// keepTLS keeps the certificate facts of a failed verification.
func (res *ProbeResult) keepTLS(err error) {
	var v *wire.VerifyError
	if errors.As(err, &v) {
		res.TLS = &v.Info
	}
}

// Job is one target to probe with its options.
type Job struct {
	Target  string
	Options Options
}

// ProbeAll probes the jobs concurrently, at most parallel at a time, and
// returns the results in the order of jobs.
func ProbeAll(ctx context.Context, jobs []Job, parallel int) []ProbeResult {
	if len(jobs) == 1 { // no goroutine, so no thread to start: 0.4 ms of a probe
		return []ProbeResult{Probe(ctx, jobs[0].Target, jobs[0].Options)}
	}
	results := make([]ProbeResult, len(jobs))
	sem := make(chan struct{}, max(1, parallel))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = Probe(ctx, j.Target, j.Options)
		})
	}
	wg.Wait()
	return results
}
