package client

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/dns"
	"github.com/ehlo-sh/ehlo/internal/testenv"
)

// nftTable adds an nftables table "inet NAME" with the chains and rules
// given, as root, and removes it when the test ends. The rules must only
// name addresses of 127.3.0.0/16 (this suite's own).
func nftTable(t *testing.T, name, body string) {
	t.Helper()
	if os.Geteuid() != 0 {
		testenv.Need(t, "root, to add nftables rules that drop packets", "run the tests as root (CI does)")
	}
	if _, err := exec.LookPath("nft"); err != nil {
		testenv.Need(t, "nftables (nft)", "apt-get install nftables")
	}
	// One table a test process, so two runs at once do not remove each
	// other's; made empty first, so a table left by a killed run is replaced.
	name = fmt.Sprintf("%s_%d", name, os.Getpid())
	script := fmt.Sprintf("table inet %[1]s {}\nflush table inet %[1]s\ntable inet %[1]s {\n%[2]s\n}\n", name, body)
	cmd := exec.Command("nft", "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		testenv.Need(t, "nftables that works here ("+strings.TrimSpace(string(out))+")", "run as root on a kernel with nf_tables")
	}
	t.Cleanup(func() {
		if out, err := exec.Command("nft", "delete", "table", "inet", name).CombinedOutput(); err != nil {
			t.Errorf("removing nftables table inet %s: %v: %s", name, err, out)
		}
	})
}

// TestFleetTimeoutAndBlocked: with real packet filtering, a host whose
// port 25 drops SYNs while its port 587 refuses is blocked (port 25 is
// filtered, the host is up); a host that drops every SYN is timeout, on
// port 25 and on another port; neither takes longer than the timeout and
// the short check of the other ports.
func TestFleetTimeoutAndBlocked(t *testing.T) {
	nftTable(t, "ehlo_fleetstatus_client", `chain in {
		type filter hook input priority -10; policy accept;
		ip daddr 127.3.1.10 tcp dport 25 tcp flags syn drop
		ip daddr 127.3.1.11 tcp flags syn drop
		ip daddr 127.3.1.20 tcp dport 25 tcp flags syn drop
	}`)
	cases := map[string]struct{ status, says string }{
		"127.3.1.10:25":    {StatusBlocked, "the host answered on port"},
		"127.3.1.11:25":    {StatusTimeout, "no answer on port 587, 465, 443 either"},
		"127.3.1.11:23001": {StatusTimeout, "no answer from 127.3.1.11:23001 in time"},
	}
	// A domain whose one MX address drops port 25: checked the same way.
	cases["blocked.example"] = struct{ status, says string }{StatusBlocked, "mx.blocked.example (127.3.1.20): connect: no answer"}
	zone := fakeDNS{
		"blocked.example MX":   {{Type: dns.TypeMX, Pref: 10, Host: "mx.blocked.example.", TTL: 300}},
		"mx.blocked.example A": {{Type: dns.TypeA, Addr: netip.MustParseAddr("127.3.1.20"), TTL: 300}},
	}
	const timeout = time.Second
	f := &Fleet{Options: Options{Timeout: timeout, GreetingWait: -1}, Parallel: len(cases),
		Domain: &DomainOptions{Options: Options{Timeout: timeout}, Resolver: zone}}
	in := make(chan FleetTarget, len(cases))
	for target := range cases {
		in <- FleetTarget{Target: target, Line: 1, Domain: !strings.Contains(target, ":")}
	}
	close(in)
	got := map[string]FleetResult{}
	f.Run(context.Background(), in, func(r FleetResult) { got[r.Target] = r })
	for target, want := range cases {
		r := got[target]
		if r.Status != want.status || !strings.Contains(r.Reason, want.says) {
			t.Errorf("%s: %q (%s), want %q saying %q", target, r.Status, r.Reason, want.status, want.says)
		}
		// The connect gives up at --timeout (not wire's 30 s), and the
		// other ports are tried at once, for at most the timeout.
		if r.Elapsed > 2*timeout+2*time.Second {
			t.Errorf("%s took %v", target, r.Elapsed)
		}
	}
}

// resetAfter listens on every port of ports on addr, one host: it serves
// the first k connections to any of them SMTP, and resets (RST) every one
// after. It returns the targets.
func resetAfter(t *testing.T, addr string, ports []int, k int) []string {
	t.Helper()
	var (
		mu    sync.Mutex
		count int
		wg    sync.WaitGroup
		lns   []net.Listener
	)
	t.Cleanup(func() {
		for _, ln := range lns {
			ln.Close()
		}
		wg.Wait()
	})
	var targets []string
	for _, p := range ports {
		ln, err := net.Listen("tcp", net.JoinHostPort(addr, fmt.Sprint(p)))
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		targets = append(targets, ln.Addr().String())
		wg.Go(func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				mu.Lock()
				count++
				over := count > k
				mu.Unlock()
				if over {
					c.(*net.TCPConn).SetLinger(0) // close with RST
					c.Close()
					continue
				}
				wg.Go(func() {
					defer c.Close()
					c.SetDeadline(time.Now().Add(5 * time.Second))
					plainSMTP("220 ok\r\n", 0, "250 x\r\n")(c, bufio.NewReader(c))
				})
			}
		})
	}
	return targets
}

// TestFleetResetsAfterConnections: a host (one address, six target lines
// on six ports) that serves two connections from us and then resets the
// next: the first two are ok, the rest rate-limited, the reason counting
// the earlier connections to that address. Another address that resets
// at once is not a rate limit: the count is per destination address, not
// per run.
func TestFleetResetsAfterConnections(t *testing.T) {
	const k = 2
	limited := resetAfter(t, "127.3.2.1", []int{23010, 23011, 23012, 23013, 23014, 23015}, k)
	rude := resetAfter(t, "127.3.2.2", []int{23010}, 0)[0]
	// --per-host 2 (the default): the two connections let through are
	// the first two dialled, whichever their order.
	f := &Fleet{Options: Options{Timeout: 5 * time.Second, GreetingWait: -1}, Parallel: 4, PerHost: 2}
	in := make(chan FleetTarget, len(limited)+1)
	for i, target := range limited {
		in <- FleetTarget{Target: target, Line: i + 1}
	}
	close(in)
	counts := map[string]int{}
	f.Run(context.Background(), in, func(r FleetResult) {
		counts[r.Status]++
		if r.Status == StatusRateLimited && !strings.Contains(r.Reason, "other connections to this address in this run") {
			t.Errorf("%s: reason %q", r.Target, r.Reason)
		}
		if r.Status != StatusOK && r.Status != StatusRateLimited {
			t.Errorf("%s: %s (%s)", r.Target, r.Status, r.Reason)
		}
	})
	if counts[StatusOK] != k || counts[StatusRateLimited] != len(limited)-k {
		t.Errorf("statuses %v, want %d ok and %d rate-limited", counts, k, len(limited)-k)
	}
	// A new run after the first: its first connection to the rude host
	// is reset, with no earlier connection to that address.
	in = make(chan FleetTarget, 1)
	in <- FleetTarget{Target: rude, Line: 7}
	close(in)
	f.Run(context.Background(), in, func(r FleetResult) {
		if r.Status == StatusRateLimited || r.Status == StatusOK {
			t.Errorf("%s reset at its first connection: %s (%s), want no rate limit", r.Target, r.Status, r.Reason)
		}
	})
}

// TestFleetDomainLinesPolite: the MX addresses of domain lines go through
// the same per-destination limits as host lines: five domains whose MX
// hosts (five names) share one address, a sixth naming the first's MX
// host (probed once for both), and a host line to the same address make
// six connections, never two at once under --per-host 1, spread over the
// span --rate asks for.
func TestFleetDomainLinesPolite(t *testing.T) {
	var (
		mu        sync.Mutex
		now, peak int
		accepts   []time.Time
	)
	ln, err := net.Listen("tcp", "127.3.3.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			now++
			peak = max(peak, now)
			accepts = append(accepts, time.Now())
			mu.Unlock()
			wg.Go(func() {
				defer func() { mu.Lock(); now--; mu.Unlock(); c.Close() }()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				plainSMTP("220 ok\r\n", 0, "250 x\r\n")(c, bufio.NewReader(c))
			})
		}
	})
	addr := dns.Record{Type: dns.TypeA, Addr: netip.MustParseAddr("127.3.3.1"), TTL: 300}
	zone := fakeDNS{}
	for i := 1; i <= 5; i++ {
		zone[fmt.Sprintf("d%d.example MX", i)] = []dns.Record{{Type: dns.TypeMX, Pref: 10, Host: fmt.Sprintf("mx%d.hoster.example.", i), TTL: 300}}
		zone[fmt.Sprintf("mx%d.hoster.example A", i)] = []dns.Record{addr}
	}
	zone["d6.example MX"] = zone["d1.example MX"]
	o := DomainOptions{Options: Options{Timeout: 5 * time.Second}, Resolver: NewCachingResolver(zone), Shared: NewSharedProbes(), Port: port}
	const rate = 10.0
	f := &Fleet{Options: Options{Timeout: 5 * time.Second, GreetingWait: -1}, Parallel: 8, PerHost: 1, Rate: rate, Domain: &o}
	in := make(chan FleetTarget, 7)
	for i := 1; i <= 6; i++ {
		in <- FleetTarget{Target: fmt.Sprintf("d%d.example", i), Line: i, Domain: true}
	}
	in <- FleetTarget{Target: "127.3.3.1:" + port, Line: 7}
	close(in)
	done := 0
	f.Run(context.Background(), in, func(r FleetResult) {
		done++
		if r.Status != StatusOK {
			t.Errorf("line %d %s: %s (%s)", r.Line, r.Target, r.Status, r.Reason)
		}
	})
	mu.Lock()
	defer mu.Unlock()
	if done != 7 || len(accepts) != 6 {
		t.Fatalf("%d lines done, %d connections; want 7 lines and 6 connections (d6 reuses d1's MX probe)", done, len(accepts))
	}
	if peak != 1 {
		t.Errorf("%d connections at once to one address, want at most --per-host 1", peak)
	}
	// Over all the connections, not pairwise: a handler that ran late
	// brings two accepts closer than the gap though the dials were not.
	gap := time.Duration(float64(time.Second) / rate)
	if span := accepts[len(accepts)-1].Sub(accepts[0]); span < time.Duration(len(accepts)-2)*gap {
		t.Errorf("%d connections within %v, under the rate's %v", len(accepts), span, time.Duration(len(accepts)-2)*gap)
	}
}

// TestPort25Note: the run-level judgement says this network blocks port
// 25 only when no port-25 target answered there and some host answered
// elsewhere; one port-25 target that answered, or none blocked, is not that.
func TestPort25Note(t *testing.T) {
	line := func(target, status string) FleetJSON {
		return FleetJSON{ProbeJSON: ProbeJSON{Target: target}, Status: status}
	}
	for _, c := range []struct {
		lines []FleetJSON
		note  bool
	}{
		{[]FleetJSON{line("192.0.2.1:25", StatusBlocked), line("192.0.2.2:25", StatusTimeout), line("192.0.2.3:587", StatusOK)}, true},
		{[]FleetJSON{line("192.0.2.1:25", StatusBlocked), line("192.0.2.2:25", StatusOK)}, false},
		{[]FleetJSON{line("192.0.2.1:25", StatusTimeout), line("192.0.2.2:25", StatusTimeout)}, false},
		{[]FleetJSON{line("192.0.2.1:25", StatusBlocked)}, false},
	} {
		s := NewFleetSummary(time.Now())
		for _, j := range c.lines {
			s.Add(j)
		}
		var short, table strings.Builder
		s.WriteShort(&short)
		s.WriteTable(&table)
		for _, out := range []string{short.String(), table.String()} {
			if got := strings.Contains(out, "this network probably blocks outgoing port 25"); got != c.note {
				t.Errorf("%+v: note %v, want %v:\n%s", c.lines, got, c.note, out)
			}
		}
	}
}

// emfileDNS fails its first `fail` questions as a resolver out of file
// descriptors does (the socket could not be made), then answers.
type emfileDNS struct {
	fakeDNS
	mu   sync.Mutex
	fail int
}

func (e *emfileDNS) Lookup(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
	e.mu.Lock()
	failing := e.fail > 0
	e.fail--
	e.mu.Unlock()
	if failing {
		return nil, &net.OpError{Op: "dial", Net: "udp", Err: os.NewSyscallError("socket", syscall.EMFILE)}
	}
	return e.fakeDNS.Lookup(ctx, name, qtype)
}

// TestFleetDomainOutOfFilesRetried: a domain line whose DNS questions
// met the descriptor limit is not a dns-error: the fleet says so once,
// waits and probes the domain again.
func TestFleetDomainOutOfFilesRetried(t *testing.T) {
	target := smtpAt(t, "127.3.3.2:23021")
	_, port, _ := net.SplitHostPort(target)
	zone := &emfileDNS{fail: 3, fakeDNS: fakeDNS{
		"d.example MX":           {{Type: dns.TypeMX, Pref: 10, Host: "mx.d.example.", TTL: 300}},
		"mx.d.example A":         {{Type: dns.TypeA, Addr: netip.MustParseAddr("127.3.3.2"), TTL: 300}},
		"_mta-sts.d.example TXT": nil,
	}}
	o := DomainOptions{Options: Options{Timeout: 5 * time.Second}, Resolver: zone, Shared: NewSharedProbes(), Port: port}
	var throttled []error
	f := &Fleet{Parallel: 1, Domain: &o, OnThrottle: func(err error) { throttled = append(throttled, err) }}
	in := make(chan FleetTarget, 1)
	in <- FleetTarget{Target: "d.example", Line: 1, Domain: true}
	close(in)
	var got []FleetResult
	f.Run(context.Background(), in, func(r FleetResult) { got = append(got, r) })
	if len(got) != 1 || got[0].Status != StatusOK {
		t.Fatalf("results %+v, want d.example ok", got)
	}
	if len(throttled) != 1 || !errors.Is(throttled[0], syscall.EMFILE) {
		t.Errorf("told of the descriptor limit %d times (%v), want once", len(throttled), throttled)
	}
}

// smtpAt serves plain SMTP on addr until the test ends.
func smtpAt(t *testing.T, addr string) string {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				plainSMTP("220 ok\r\n", 0, "250 x\r\n")(c, bufio.NewReader(c))
			})
		}
	})
	return ln.Addr().String()
}
