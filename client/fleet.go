package client

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ehlo-sh/ehlo/wire"
)

// Fleet probes many targets with a fixed number of workers, politely: at
// most PerHost connections at once to one destination and, when Rate is
// set, at most Rate new connections a second to it. A destination is an
// address (a host line's, or an MX address of a domain line: both count
// against the same limits), or a host line's name as written. Its memory does not grow with
// the number of targets: only the hosts of the last minute are kept.
type Fleet struct {
	Options  Options
	Parallel int           // workers, each one probe at a time; 0 means 1
	PerHost  int           // connections at once to one destination; 0 means no limit
	Rate     float64       // new connections a second to one destination; 0 means no limit
	Tarpit   time.Duration // see Classify; 0 means DefaultTarpit
	// OnThrottle is told, once, that the process ran out of file
	// descriptors; the probes that met it wait and are tried again.
	OnThrottle func(error)
	// Domain, when set, is how domain targets (FleetTarget.Domain) are
	// probed: ProbeDomain with these options; set Shared and a
	// CachingResolver so that shared MX hosts are probed once.
	Domain *DomainOptions

	inflight atomic.Int64
}

// InFlight is the number of probes under way.
func (f *Fleet) InFlight() int { return int(f.inflight.Load()) }

// FleetTarget is one target of a fleet and its line in the input.
type FleetTarget struct {
	Target string
	Line   int
	Domain bool // a domain (DOMAIN, DOMAIN:PORT, user@domain), probed by its MX hosts
}

// FleetResult is one finished probe of a fleet.
type FleetResult struct {
	FleetTarget
	Result  ProbeResult
	Status  string
	Reason  string
	Elapsed time.Duration
	Domain  *DomainResult // for a domain target: the whole domain probe (Result is empty)
}

// FleetJSON is one line of `probe --jsonl`: the probe object, its status,
// how long it took (seconds), its line in the input and the fingerprint of
// the flags that shaped it (a --resume file from other flags is refused).
type FleetJSON struct {
	ProbeJSON
	Status      string  `json:"status"`
	Reason      string  `json:"reason,omitempty"`
	Elapsed     float64 `json:"elapsed"`
	Line        int     `json:"line"`
	Fingerprint string  `json:"fingerprint"`
}

// JSON is r as one line of `probe --jsonl`.
func (r FleetResult) JSON(fingerprint string, withTranscript bool) FleetJSON {
	return FleetJSON{ProbeJSON: r.Result.JSON(withTranscript), Status: r.Status, Reason: r.Reason,
		Elapsed: r.Elapsed.Seconds(), Line: r.Line, Fingerprint: fingerprint}
}

// Run probes every target from in until in is closed or ctx is done, and
// calls done, one call at a time, for each probe that finished; a probe cut
// short by ctx is not reported (a resumed run probes it again). InFlight
// counts the probes under way. The probes share one wire.CertCache
// (Options.Certs, made here when nil): a fleet meets the same
// certificates again and again, and verifies each chain once.
func (f *Fleet) Run(ctx context.Context, in <-chan FleetTarget, done func(FleetResult)) {
	if f.Options.Certs == nil {
		f.Options.Certs = wire.NewCertCache(0)
	}
	if f.Domain != nil && f.Domain.Certs == nil {
		f.Domain.Certs = f.Options.Certs
	}
	g := &gate{hosts: newHostLimits(f.PerHost, f.Rate), onThrottle: f.OnThrottle}
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	for range max(1, f.Parallel) {
		wg.Go(func() {
			for t := range in {
				if ctx.Err() != nil {
					continue // drain, so the reader is never stuck
				}
				r, ok := f.probeOne(ctx, g, t)
				if !ok {
					continue
				}
				mu.Lock()
				done(r)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

// probeOne probes t within its destination's limits; ok is false when ctx
// ended it.
func (f *Fleet) probeOne(ctx context.Context, g *gate, t FleetTarget) (FleetResult, bool) {
	if t.Domain {
		return f.probeDomain(ctx, g, t)
	}
	host, port, _ := wire.ParseTarget(t.Target)
	f.inflight.Add(1)
	// elapsed is the probe's own time, not the wait for the destination's
	// --per-host and --rate limits before it.
	var elapsed time.Duration
	r, seen := g.probe(ctx, host, func() ProbeResult {
		start := time.Now()
		defer func() { elapsed = time.Since(start) }()
		return Probe(ctx, t.Target, f.Options)
	})
	f.inflight.Add(-1)
	if ctx.Err() != nil {
		return FleetResult{}, false
	}
	status, reason := Classify(r, f.Tarpit, seen)
	if status == StatusTimeout && port == "25" {
		status, reason = f.blockedCheck(ctx, host, reason)
	}
	return FleetResult{FleetTarget: t, Result: r, Status: status, Reason: reason, Elapsed: elapsed}, true
}

// gate runs every connection of a fleet, a host line's or a domain's MX
// address's, within its destination's limits (hostLimits), and waits and
// tries again when the process is out of file descriptors.
type gate struct {
	hosts      *hostLimits
	throttled  atomic.Bool
	onThrottle func(error)
}

// probe runs fn when host (a name or an address, see destKey) may have one
// more connection, and returns its result and how many other connections
// this run had started to host by the time fn ended: before it, or while it
// ran (a host that accepts K connections and resets the next may have
// accepted K dialled after this one, which it reset). A probe that met the
// descriptor limit waits and is tried again; when ctx ends first, the
// result carries ctx's error.
func (g *gate) probe(ctx context.Context, host string, fn func() ProbeResult) (ProbeResult, int) {
	key := destKey(host)
	for backoff := 50 * time.Millisecond; ; backoff = min(2*backoff, 2*time.Second) {
		if err := g.hosts.acquire(ctx, key); err != nil {
			return ProbeResult{Target: host, Err: err}, 0
		}
		r := fn()
		retry := ctx.Err() == nil && outOfFiles(r.Err) // no connection was made
		seen := g.hosts.release(key, retry)
		if !retry {
			return r, seen
		}
		g.throttle(r.Err)
		if !sleep(ctx, backoff) {
			return r, seen
		}
	}
}

// throttle says once that the process ran out of descriptors.
func (g *gate) throttle(err error) {
	if !g.throttled.Swap(true) && g.onThrottle != nil {
		g.onThrottle(err)
	}
}

// destKey is the destination a limit counts: an address in its one
// spelling (so "::ffff:192.0.2.1", "192.0.2.1" and a domain's MX address
// are one destination), else the host name in lower case.
func destKey(host string) string {
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return a.Unmap().WithZone("").String()
	}
	return strings.ToLower(host)
}

// probeDomain probes a domain target: its route, every MX address (each
// probed once for all the domains that share it, within its address's
// limits, as a host line is), DANE, MTA-STS, TLS-RPT.
func (f *Fleet) probeDomain(ctx context.Context, g *gate, t FleetTarget) (FleetResult, bool) {
	if f.Domain == nil {
		return FleetResult{FleetTarget: t, Status: StatusNotTestable, Reason: "a domain, without --mx"}, true
	}
	o := *f.Domain
	o.Gate = g.probe
	f.inflight.Add(1)
	defer f.inflight.Add(-1)
	start := time.Now()
	for backoff := 50 * time.Millisecond; ; backoff = min(2*backoff, 2*time.Second) {
		d := ProbeDomain(ctx, t.Target, o)
		if ctx.Err() != nil {
			return FleetResult{}, false
		}
		// A question that could not be sent for want of a descriptor is
		// not the domain's fault: wait and ask again (the MX probes done
		// are kept by Shared, the answers by the caching resolver).
		if err := dnsOutOfFiles(d); err != nil {
			g.throttle(err)
			if !sleep(ctx, backoff) {
				return FleetResult{}, false
			}
			continue
		}
		status, reason := ClassifyDomain(d, f.Tarpit)
		if a := firstTimeout(d, f.Tarpit); status == StatusTimeout && d.Port == "25" && a.IsValid() {
			status, reason = f.blockedCheck(ctx, a.String(), reason)
		}
		return FleetResult{FleetTarget: t, Status: status, Reason: reason, Elapsed: time.Since(start), Domain: &d}, true
	}
}

// firstTimeout is the MX address whose timeout gave d its status (see
// ClassifyDomain), or the zero address.
func firstTimeout(d DomainResult, tarpit time.Duration) netip.Addr {
	for i, h := range d.Route.Hosts {
		for j, a := range h.Addrs {
			if i < len(d.Probes) && j < len(d.Probes[i]) {
				switch s, _ := Classify(d.Probes[i][j], tarpit, 0); s {
				case StatusOK:
					continue
				case StatusTimeout:
					return a
				}
				return netip.Addr{}
			}
		}
	}
	return netip.Addr{}
}

// dnsOutOfFiles is the first of d's DNS questions that failed for want of
// a file descriptor, or nil.
func dnsOutOfFiles(d DomainResult) error {
	for _, q := range d.DNS {
		if outOfFiles(q.Err) {
			return q.Err
		}
	}
	return nil
}

// OtherPorts are the ports tried on a host whose port 25 gave no answer
// (see blockedCheck): submission, SMTPS, HTTPS, which a mail host or its
// network usually answers.
var OtherPorts = []string{"587", "465", "443"}

// blockedCheck tells a filtered port 25 from a dead host, once a connection
// to port 25 timed out: the same host is tried at once on OtherPorts, each
// for at most 3 s (or the probe's timeout, when shorter). An answer on any,
// a connection or a refusal (RST), shows the host is up and reachable from
// here, so its port 25 is filtered, by this network (ISPs and clouds drop
// outbound port 25) or by the host's own: blocked. No answer on any: the
// host is down or drops everything from here: timeout. The connections
// leave as the probe's did (-4/-6, --local-address); through a proxy or a
// pipe there is no telling, and the status stays timeout.
func (f *Fleet) blockedCheck(ctx context.Context, host, reason string) (string, string) {
	tr := f.Options.Transport
	if tr.Proxy != nil || tr.Pipe != "" {
		return StatusTimeout, reason
	}
	network := "tcp" + tr.Family // tcp, tcp4, tcp6
	d, err := tr.NetDialer()
	if err != nil {
		return StatusTimeout, reason // the probe itself could not leave either
	}
	wait := 3 * time.Second
	if f.Options.Timeout > 0 {
		wait = min(wait, f.Options.Timeout)
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	answered := make(chan string, len(OtherPorts))
	var wg sync.WaitGroup
	for _, port := range OtherPorts {
		wg.Go(func() {
			c, err := d.DialContext(ctx, network, net.JoinHostPort(host, port))
			switch {
			case err == nil:
				c.Close()
				answered <- port + " (it accepted a connection)"
			case errors.Is(err, syscall.ECONNREFUSED):
				answered <- port + " (it refused the connection)"
			}
		})
	}
	go func() { wg.Wait(); close(answered) }()
	if how, ok := <-answered; ok {
		cancel()
		return StatusBlocked, reason + "; the host answered on port " + how + ", so port 25 is filtered, by this network or by the host's"
	}
	return StatusTimeout, reason + "; no answer on port " + strings.Join(OtherPorts, ", ") + " either: the host is down, or drops everything from here"
}

// outOfFiles says whether err is the process or the system running out of
// file descriptors.
func outOfFiles(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)
}

// sleep waits d, or less when ctx ends; it says whether ctx is still on.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// hostLimits keeps the per-host limits: connections at once, and the time
// of the next new connection.
type hostLimits struct {
	mu       sync.Mutex
	perHost  int
	gap      time.Duration
	hosts    map[string]*hostState
	releases int
}

type hostState struct {
	inflight int
	next     time.Time     // no new connection before
	last     time.Time     // the last release
	seen     int           // connections so far
	wake     chan struct{} // closed at the next release, for those waiting on inflight
}

func newHostLimits(perHost int, rate float64) *hostLimits {
	h := &hostLimits{perHost: perHost, hosts: map[string]*hostState{}}
	if rate > 0 {
		h.gap = time.Duration(float64(time.Second) / rate)
	}
	return h
}

// acquire waits until host may have one more connection.
func (h *hostLimits) acquire(ctx context.Context, host string) error {
	for {
		h.mu.Lock()
		s := h.hosts[host]
		if s == nil {
			s = &hostState{}
			h.hosts[host] = s
		}
		now := time.Now()
		full := h.perHost > 0 && s.inflight >= h.perHost
		if !full && !now.Before(s.next) {
			s.inflight++
			s.next = now.Add(h.gap)
			s.seen++
			h.mu.Unlock()
			return nil
		}
		var wake <-chan struct{}
		var wait time.Duration
		if full {
			if s.wake == nil {
				s.wake = make(chan struct{})
			}
			wake = s.wake
		} else {
			wait = s.next.Sub(now)
		}
		h.mu.Unlock()
		if wake != nil {
			select {
			case <-wake:
			case <-ctx.Done():
				return ctx.Err()
			}
		} else if !sleep(ctx, wait) {
			return ctx.Err()
		}
	}
}

// hostMemory is how long an idle host is remembered: its rate and its
// count of connections, which makes a reset a rate limit.
const hostMemory = time.Minute

// release ends a connection to host (uncounted: one that could not be
// made, which does not count), and returns how many other
// connections to host the run had started by then; now and then it
// forgets the hosts idle for hostMemory, so a million targets do not grow
// the map.
func (h *hostLimits) release(host string, uncounted bool) (others int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := time.Now()
	if s := h.hosts[host]; s != nil {
		if uncounted { // the connection was never made
			s.seen--
		}
		others = s.seen - 1
		s.inflight--
		s.last = now
		if s.wake != nil {
			close(s.wake)
			s.wake = nil
		}
	}
	if h.releases++; h.releases%4096 == 0 {
		for k, s := range h.hosts {
			if s.inflight == 0 && now.Sub(s.last) > hostMemory && now.After(s.next) {
				delete(h.hosts, k)
			}
		}
	}
	return others
}
