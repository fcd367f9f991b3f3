package learn

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/dns"
	"github.com/ehlo-sh/ehlo/domain"
	"github.com/ehlo-sh/ehlo/lab"
	"github.com/ehlo-sh/ehlo/wire"
)

// Step is one connection of a solution: the endpoint, the time to let pass
// before it, and its script.
type Step struct {
	Endpoint string
	Wait     time.Duration
	Script   *client.Script
	// CertRefused: the script ends with a STARTTLS whose handshake must
	// stop on the server's certificate (":cert-refused"), as the explorer
	// stops on a certificate it cannot verify.
	CertRefused bool
	// MX is the domain of ":mx DOMAIN": the step connects to its first MX
	// host, looked up in the lab's DNS, as the explorer's :mx does.
	MX string
}

// Steps parses the lesson's solution: a run script (client.ParseScript)
// cut into connections by ":lab NAME" (a new connection to that endpoint)
// and ":reconnect" (a new one to the same), with "wait DURATION" before
// either to let time pass (the lab's clock, in Verify). ":cert-refused"
// after a STARTTLS and its expect says that the handshake stops on the
// certificate: the connection ends there, and only :lab, :reconnect or
// wait may follow. ":mx DOMAIN" is a new connection to the domain's first
// MX host, as the explorer's :mx makes it (the lookups go to the
// transcript as D: lines).
func (l Lesson) Steps() ([]Step, error) {
	if strings.TrimSpace(l.Solution) == "" {
		return nil, fmt.Errorf("%s: no solution", l.File)
	}
	cur := Step{Endpoint: l.Start()}
	var steps []Step
	var body []string
	end := func() error {
		s, err := client.ParseScript(l.File+" (solution)", strings.NewReader(strings.Join(body, "\n")+"\n"))
		if err != nil {
			return err
		}
		cur.Script = s
		steps = append(steps, cur)
		body = nil
		return nil
	}
	var wait time.Duration
	for _, line := range strings.Split(l.Solution, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 1 && f[0] == ":cert-refused":
			cur.CertRefused = true
			continue
		case len(f) == 2 && f[0] == "wait":
			d, err := time.ParseDuration(f[1])
			if err != nil {
				return nil, fmt.Errorf("%s: solution: wait %s: %v", l.File, f[1], err)
			}
			wait += d
			continue
		case len(f) == 2 && (f[0] == ":lab" || f[0] == ":mx"), len(f) == 1 && f[0] == ":reconnect":
			if err := end(); err != nil {
				return nil, err
			}
			switch f[0] {
			case ":lab":
				cur.Endpoint, cur.MX = f[1], ""
			case ":mx":
				cur.MX = f[1]
			}
			cur.Wait, wait, cur.CertRefused = wait, 0, false
			continue
		case cur.CertRefused && len(f) > 0 && !strings.HasPrefix(f[0], "#"):
			return nil, fmt.Errorf("%s: solution: %q after :cert-refused: the connection is gone; :lab NAME or :reconnect first", l.File, strings.TrimSpace(line))
		}
		body = append(body, line)
	}
	if err := end(); err != nil {
		return nil, err
	}
	return steps, nil
}

// Scenarios are the lab scenarios the lesson names, or an error naming
// one that does not exist.
func (l Lesson) LabScenarios() ([]lab.Scenario, error) {
	var out []lab.Scenario
	for _, n := range l.Scenarios {
		s, ok := lab.LookupScenario(n)
		if !ok {
			return nil, fmt.Errorf("%s: no lab scenario %q (ehlo lab --list)", l.File, n)
		}
		out = append(out, s)
	}
	if l.Custom != nil {
		out = append(out, *l.Custom)
	}
	return out, nil
}

// clock is Verify's lab clock: it moves only when a solution waits.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Verify replays the lesson's solution against a lab of its own, on
// loopback, and checks that every goal is met. The transcript of the
// replay comes back too, for the report.
func Verify(ctx context.Context, l Lesson) (*wire.Transcript, error) {
	steps, err := l.Steps()
	if err != nil {
		return nil, err
	}
	scs, err := l.LabScenarios()
	if err != nil {
		return nil, err
	}
	clk := &clock{now: time.Now()}
	lb, err := lab.Start(lab.Config{Scenarios: scs, Now: clk.Now, EnforceSPF: l.EnforceSPF})
	if err != nil {
		return nil, err
	}
	defer lb.Close()
	t := wire.NewTranscript()
	for _, s := range steps {
		ep, ok := lb.Endpoint(s.Endpoint)
		if !ok {
			return t, fmt.Errorf("%s: solution: no lab endpoint %q", l.File, s.Endpoint)
		}
		clk.add(s.Wait)
		opts := client.Options{RootCAs: lb.CertPool(), ImplicitTLS: ep.ImplicitTLS, GreetingWait: -1, Timeout: 20 * time.Second}
		target := ep.Addr
		if s.MX != "" {
			if target, opts.ServerName, err = firstMX(ctx, lb, s.MX, t); err != nil {
				return t, fmt.Errorf("%s: solution: :mx %s: %w", l.File, s.MX, err)
			}
			opts.ImplicitTLS = false
		}
		res := client.RunScript(ctx, s.Script, client.RunConfig{Target: target, Options: opts,
			Vars: map[string]string{"password": lab.Password}}, t)
		switch {
		case res.Failure != nil:
			return t, res.Failure
		case s.CertRefused:
			if err := certRefused(res.Err); err != nil {
				return t, fmt.Errorf("%s: solution: %w", l.File, err)
			}
		case res.Err != nil:
			return t, res.Err
		}
	}
	tr, _ := NewTracker(l).Feed(t.Entries()...)
	if tr.Done() {
		return t, nil
	}
	var missing []string
	for i, m := range tr.Met() {
		if !m {
			missing = append(missing, l.Goals[i].ID)
		}
	}
	return t, &GoalsError{File: l.File, Missing: missing}
}

// firstMX looks up the MX hosts of arg in the lab's DNS and their TLSA
// records, as the explorer's :mx does, each exchange a D: line of t, and
// returns the first host's first address at the lab's MX port, and the
// host's name (SNI, and the name TLS verifies).
func firstMX(ctx context.Context, lb *lab.Lab, arg string, t *wire.Transcript) (target, host string, err error) {
	name, _, err := domain.Address(arg)
	if err != nil {
		return "", "", err
	}
	r := dns.NewClient(lb.DNSAddr())
	r.Observer = client.DNSObserver(t)
	rt := client.Route(ctx, name, client.DomainOptions{Resolver: r})
	for _, h := range rt.Hosts {
		domain.LookupTLSA(ctx, r, rt, h)
	}
	for _, h := range rt.Hosts {
		if len(h.Addrs) > 0 {
			return netip.AddrPortFrom(h.Addrs[0], uint16(lb.MXPort())).String(), h.Name.ASCII, nil
		}
	}
	return "", "", fmt.Errorf("no MX host with an address (%s)", rt.Problem)
}

// certRefused checks that a step marked :cert-refused ended on a
// certificate that did not verify.
func certRefused(err error) error {
	var ve *wire.VerifyError
	switch {
	case errors.As(err, &ve):
		return nil
	case err == nil:
		return errors.New("the certificate should have been refused (:cert-refused), but the session went on")
	}
	return fmt.Errorf("the certificate should have been refused (:cert-refused), but: %w", err)
}

// GoalsError is a solution that ran but left goals unmet.
type GoalsError struct {
	File    string
	Missing []string
}

func (e *GoalsError) Error() string {
	return fmt.Sprintf("%s: the solution ran, but these goals are not met: %s", e.File, strings.Join(e.Missing, ", "))
}

// VerifyAll verifies every lesson, each in turn, and joins the failures.
func VerifyAll(ctx context.Context, lessons []Lesson, report func(l Lesson, err error)) error {
	var errs []error
	for _, l := range lessons {
		_, err := Verify(ctx, l)
		if report != nil {
			report(l, err)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
