package client

import (
	"context"
	"crypto/x509"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/ehlo-sh/ehlo/dns"
	"github.com/ehlo-sh/ehlo/domain"
	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// DomainOptions are the settings of a domain probe (probe --mx; doctor
// and send's direct delivery build on Route and ProbeDomain too).
type DomainOptions struct {
	Options               // each MX probe's settings; RootCAs (--ca) also verifies the MTA-STS policy host
	Resolver dns.Resolver // asked every DNS question
	Port     string       // the MX port: "" means 25; DOMAIN:PORT overrides it, for labs that cannot bind 25
	// PolicyPort is the MTA-STS policy host's HTTPS port: "" means 443.
	PolicyPort string
	Route      domain.RouteOptions // MX order, -4/-6
	Parallel   int                 // addresses probed at once; 0 means 8
	Sender     domain.Sender       // what the sender demands beyond what the domain publishes (send --dane require)
	// Shared, when set, probes each MX address once for all the domains
	// that name it (a fleet, probe --from-file --mx): see SharedProbes.
	Shared *SharedProbes
	// Gate, when set, runs each MX address probe (probe) within the
	// limits of its destination, addr: a fleet's --per-host and --rate.
	// It returns the probe's result and how many other connections to addr
	// the run had started by the time it ended (a reset with some is a rate
	// limit). A probe shared
	// with other domains passes it once.
	Gate func(ctx context.Context, addr string, probe func() ProbeResult) (ProbeResult, int)
	// slots, when set, bounds the addresses probed at once over every
	// domain that shares it (ProbeDomains); nil: Parallel per domain.
	slots chan struct{}
}

// DomainResult is what a domain probe found: the route, what the domain
// publishes, the probe of every MX address, and the verdicts.
type DomainResult struct {
	Arg    string // as the user gave it: DOMAIN, DOMAIN:PORT or user@domain
	Domain domain.Name
	Port   string
	Start  time.Time
	Took   time.Duration
	Route  domain.Route
	TLSA   []domain.TLSA    // per host of Route.Hosts
	Probes [][]ProbeResult  // per host, per address
	Reused [][]bool         // per host, per address: the probe was another domain's (DomainOptions.Shared)
	Seen   [][]int          // per host, per address: other connections to the address started by the time its probe ended (DomainOptions.Gate)
	Conns  [][]domain.Conn  // the facts of each probe, as domain judges them
	DANE   [][]*domain.DANE // per host, per address: the chain checked against the TLSA records, when it was
	STS    domain.STS       // MTA-STS
	RPT    domain.RPT       // TLS-RPT
	Result domain.Verdict   // the verdicts
	DNS    []domain.Query   // every question asked, in the order answered
	Err    error            // the argument is not a domain: nothing was asked
}

// Route looks up how mail reaches a domain: its MX hosts by preference and
// their addresses, or the implicit or null MX (domain.Resolve), through
// o.Resolver.
func Route(ctx context.Context, name domain.Name, o DomainOptions) domain.Route {
	return domain.Resolve(ctx, o.Resolver, name, o.Route)
}

// ProbeDomain probes a domain as a sender would reach it: the route; then,
// at once, MTA-STS and TLS-RPT, and for each MX host its TLSA records and
// a probe of each of its addresses (at most o.Parallel at a time), each
// TLS session checked against the TLSA records when they apply (DANE) and
// against the MX name with WebPKI (MTA-STS). Every probe completes its
// handshake whatever the certificate, as an opportunistic sender does:
// whether it is trusted is recorded, never assumed.
func ProbeDomain(ctx context.Context, arg string, o DomainOptions) DomainResult {
	res := DomainResult{Arg: arg, Start: time.Now()}
	name, port, err := domain.Address(arg)
	if err != nil {
		res.Err = err
		return res
	}
	res.Domain, res.Port = name, firstOf(port, o.Port, "25")
	log := domain.NewLog(o.Resolver)
	// The system's roots (~15 ms of CPU to load, once per process) are not
	// loaded here: an MX certificate that does not cover the MX name is
	// judged without them (wire's verifyChain), and the MTA-STS policy
	// fetch starts loading them as soon as a record says it will need them.
	var wg sync.WaitGroup
	fetch := domain.FetchOptions{RootCAs: o.RootCAs, Port: o.PolicyPort, Timeout: o.Timeout, Only4: o.Route.Only4, Only6: o.Route.Only6}
	wg.Go(func() { res.STS = domain.LookupSTS(ctx, log, name, fetch) })
	wg.Go(func() { res.RPT = domain.LookupRPT(ctx, log, name) })
	res.Route = domain.Resolve(ctx, log, name, o.Route)
	res.probeHosts(ctx, log, o)
	wg.Wait()
	res.Result = domain.EvaluateFor(o.Sender, res.Route, res.TLSA, res.STS, res.Conns)
	res.DNS = log.Queries()
	res.Took = time.Since(res.Start)
	return res
}

// ProbeDomains probes several domains at once (ProbeDomain each) and
// returns their results in the order of args. The bounds are those of one
// domain: at most o.Parallel MX addresses probed at once over all of them
// (and as many domains in flight), and an address that several domains
// name is probed once for all of them (SharedProbes), so no server gets
// more connections at once than when one domain names it.
func ProbeDomains(ctx context.Context, args []string, o DomainOptions) []DomainResult {
	res := make([]DomainResult, len(args))
	n := max(1, firstInt(o.Parallel, 8))
	o.slots = make(chan struct{}, n)
	if o.Shared == nil && len(args) > 1 {
		o.Shared = NewSharedProbes()
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(n, len(args)) {
		wg.Go(func() {
			for i := range next {
				res[i] = ProbeDomain(ctx, args[i], o)
			}
		})
	}
	for i := range args {
		next <- i
	}
	close(next)
	wg.Wait()
	return res
}

func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// probeHosts looks up each host's TLSA records and probes its addresses.
func (res *DomainResult) probeHosts(ctx context.Context, r dns.Resolver, o DomainOptions) {
	n := len(res.Route.Hosts)
	res.TLSA, res.Probes = make([]domain.TLSA, n), make([][]ProbeResult, n)
	res.Conns, res.DANE = make([][]domain.Conn, n), make([][]*domain.DANE, n)
	res.Reused, res.Seen = make([][]bool, n), make([][]int, n)
	sem := o.slots
	if sem == nil {
		sem = make(chan struct{}, max(1, firstInt(o.Parallel, 8)))
	}
	var wg sync.WaitGroup
	for i, h := range res.Route.Hosts {
		res.Probes[i] = make([]ProbeResult, len(h.Addrs))
		res.Conns[i] = make([]domain.Conn, len(h.Addrs))
		res.DANE[i] = make([]*domain.DANE, len(h.Addrs))
		res.Reused[i] = make([]bool, len(h.Addrs))
		res.Seen[i] = make([]int, len(h.Addrs))
		wg.Go(func() {
			res.TLSA[i] = domain.LookupTLSA(ctx, r, res.Route, h)
			var hw sync.WaitGroup
			for j, a := range h.Addrs {
				hw.Go(func() {
					sem <- struct{}{}
					defer func() { <-sem }()
					res.probeAddr(ctx, o, i, j, h, a)
				})
			}
			hw.Wait()
		})
	}
	wg.Wait()
}

func firstInt(a, b int) int {
	if a > 0 {
		return a
	}
	return b
}

// probeAddr probes one address of host i.
func (res *DomainResult) probeAddr(ctx context.Context, o DomainOptions, i, j int, h domain.Host, a netip.Addr) {
	opts := o.Options
	opts.ServerName = h.Name.ASCII // the name WebPKI checks (RFC 8461 4.1: the MX name)
	opts.SNI = res.TLSA[i].SNI(h)  // the TLSA base domain when DANE applies (RFC 7672 8.1)
	opts.Insecure = true           // opportunistic, as a sender: the verdicts say what was trusted
	opts.GreetingWait = -1         // port 25 never speaks TLS first
	opts.ImplicitTLS, opts.Plain = false, true
	var checked *domain.DANE
	t := res.TLSA[i]
	if t.Authenticates() {
		opts.Check = &wire.ChainCheck{Name: "DANE", Check: func(chain []*x509.Certificate) (bool, string) {
			d := t.Check(chain, h)
			checked = &d
			return d.Verdict == domain.DANEMatched, d.Text()
		}}
	}
	target := netip.AddrPortFrom(a, portNum(res.Port)).String()
	e, reused := o.Shared.probe(ctx, sharedKey(target, h, t), func() sharedProbe {
		probe := func() ProbeResult { return Probe(ctx, target, opts) }
		if o.Gate == nil {
			return sharedProbe{probe: probe(), dane: checked}
		}
		p, seen := o.Gate(ctx, a.String(), probe)
		return sharedProbe{probe: p, dane: checked, seen: seen}
	})
	p := e.probe
	res.Probes[i][j], res.DANE[i][j] = p, e.dane
	res.Reused[i][j], res.Seen[i][j] = reused, e.seen
	res.Conns[i][j] = connFacts(p, e.dane) // e.dane, not checked: a reused probe ran another domain's check
}

func portNum(p string) uint16 {
	n, _ := strconv.Atoi(p)
	return uint16(n)
}

// connFacts reads the facts domain judges from a probe.
func connFacts(p ProbeResult, d *domain.DANE) domain.Conn {
	c := domain.Conn{Addr: p.Target, DANE: d}
	if plain := p.Plain(); plain != nil {
		c.Connected = plain.Reply.OK()
		c.STARTTLS = plain.Caps.Has("STARTTLS")
	}
	if p.TLS != nil && !isStep(p.Err, StepStartTLS) {
		c.TLS = true
		c.WebPKI = p.TLS.VerifyError
	}
	if p.Err != nil {
		c.Err = rawText(Explain(p.Err))
	}
	return c
}

// rawText undoes the sanitizer on text meant for domain, whose texts are
// raw and sanitized once, where they are shown.
func rawText(shown string) string {
	if b, err := session.Unescape(shown); err == nil {
		return string(b)
	}
	return shown
}
