package client

import (
	"bufio"
	"context"
	"net"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/dns"
	"github.com/ehlo-sh/ehlo/domain"
)

// meetServer is an MX that, while hold is set, greets no connection
// before `want` connections have arrived (or 5 seconds passed): probes
// made one after another would each wait alone.
type meetServer struct {
	hold    atomic.Bool
	want    int
	mu      sync.Mutex
	arrived int
	met     chan struct{}
	alone   int // connections greeted because the wait ran out
}

func (s *meetServer) listen(t *testing.T, addr string) string {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

func (s *meetServer) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	s.mu.Lock()
	if s.arrived++; s.arrived == s.want {
		close(s.met)
	}
	s.mu.Unlock()
	if s.hold.Load() {
		select {
		case <-s.met:
		case <-time.After(5 * time.Second):
			s.mu.Lock()
			s.alone++
			s.mu.Unlock()
		}
	}
	r := bufio.NewReader(c)
	_, _ = c.Write([]byte("220 mx ESMTP\r\n"))
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		switch strings.ToUpper(strings.Fields(line + " x")[0]) {
		case "EHLO":
			_, _ = c.Write([]byte("250-mx\r\n250 SIZE 1000\r\n"))
		case "QUIT":
			_, _ = c.Write([]byte("221 bye\r\n"))
			return
		default:
			_, _ = c.Write([]byte("502 no\r\n"))
		}
	}
}

// TestProbeDomainsAtOnce: probe --mx with several domains probes them at
// once (each MX holds its greeting until the other domain's connection
// has arrived: one after another, each would wait alone), and the reports
// come in the order given, the same as probing one after another.
func TestProbeDomainsAtOnce(t *testing.T) {
	srv := &meetServer{want: 2, met: make(chan struct{})}
	srv.hold.Store(true)
	pa, pb := srv.listen(t, "127.5.0.2:0"), srv.listen(t, "127.5.0.2:0")
	zone := fakeDNS{
		"a.example MX":      {{Type: dns.TypeMX, Pref: 10, Host: "mx.a.example."}},
		"mx.a.example A":    {{Type: dns.TypeA, Addr: netip.MustParseAddr("127.5.0.2")}},
		"mx.a.example AAAA": {},
		"b.example MX":      {{Type: dns.TypeMX, Pref: 10, Host: "mx.b.example."}},
		"mx.b.example A":    {{Type: dns.TypeA, Addr: netip.MustParseAddr("127.5.0.2")}},
		"mx.b.example AAAA": {},
	}
	args := []string{"b.example:" + pb, "a.example:" + pa} // not in sorted order: the order given is kept
	o := DomainOptions{Options: Options{Timeout: 15 * time.Second}, Resolver: zone, Route: domain.RouteOptions{Stable: true}, Parallel: 2}
	got := ProbeDomains(context.Background(), args, o)
	srv.mu.Lock()
	alone := srv.alone
	srv.mu.Unlock()
	if alone != 0 {
		t.Fatalf("%d connection(s) waited alone: the domains were not probed at once", alone)
	}
	srv.hold.Store(false) // now one after another, for the reports to compare
	var want []DomainResult
	for _, a := range args {
		want = append(want, ProbeDomain(context.Background(), a, o))
	}
	if len(got) != len(args) {
		t.Fatalf("%d results for %d domains", len(got), len(args))
	}
	for i := range args {
		if g, w := report(got[i]), report(want[i]); g != w || !strings.HasPrefix(g, strings.Split(args[i], ".")[0]+".example") {
			t.Errorf("domain %d (%s), at once:\n%s\none after another:\n%s", i, args[i], g, w)
		}
	}
}

var timings = regexp.MustCompile(`\[[^\]]*[0-9](µs|ms|s)\]`)

// report is a domain's report without its timings.
func report(r DomainResult) string {
	var b strings.Builder
	WriteDomain(&b, r, DomainFormat{Verbose: true})
	s, _, _ := strings.Cut(b.String(), "\ntiming")
	return timings.ReplaceAllString(s, "[T]")
}

// TestProbeDomainsShareMX: two domains given at once that name the same
// MX host get one connection to it between them, as one domain would:
// probing them at once does not double what its server sees.
func TestProbeDomainsShareMX(t *testing.T) {
	srv := &meetServer{want: 2, met: make(chan struct{})} // not holding: counting
	port := srv.listen(t, "127.5.0.3:0")
	zone := fakeDNS{
		"a.example MX":           {{Type: dns.TypeMX, Pref: 10, Host: "mx.shared.example."}},
		"b.example MX":           {{Type: dns.TypeMX, Pref: 10, Host: "mx.shared.example."}},
		"mx.shared.example A":    {{Type: dns.TypeA, Addr: netip.MustParseAddr("127.5.0.3")}},
		"mx.shared.example AAAA": {},
	}
	o := DomainOptions{Options: Options{Timeout: 15 * time.Second}, Resolver: zone, Parallel: 4}
	got := ProbeDomains(context.Background(), []string{"a.example:" + port, "b.example:" + port}, o)
	srv.mu.Lock()
	arrived := srv.arrived
	srv.mu.Unlock()
	if arrived != 1 {
		t.Errorf("%d connections to the shared MX, want 1", arrived)
	}
	for i, r := range got {
		if len(r.Probes) != 1 || len(r.Probes[0]) != 1 || r.Probes[0][0].Err != nil || r.Probes[0][0].Plain() == nil {
			t.Errorf("domain %d: probes %+v", i, r.Probes)
		}
	}
}
