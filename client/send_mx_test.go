package client

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/mail"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/dns"
	"github.com/ehlo-sh/ehlo/domain"
)

// mxServer is a scripted MX: its greeting, and a reply per verb (250 for
// a verb it has none for); it counts its connections.
type mxServer struct {
	greeting string
	replies  map[string]string
	mu       sync.Mutex
	conns    int
}

func (s *mxServer) connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// listen serves s on addr until the test ends.
func (s *mxServer) listen(t *testing.T, addr string) string {
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
			s.mu.Lock()
			s.conns++
			s.mu.Unlock()
			go s.serve(c)
		}
	}()
	return ln.Addr().String()
}

func (s *mxServer) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	say := func(line string) { _, _ = c.Write([]byte(line + "\r\n")) }
	say(s.greeting)
	if !strings.HasPrefix(s.greeting, "220") {
		return
	}
	data := false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		if data {
			if line == ".\r\n" {
				data = false
				say("250 2.0.0 queued")
			}
			continue
		}
		verb := strings.ToUpper(strings.Fields(line + " x")[0])
		if rep, ok := s.replies[verb]; ok {
			say(rep)
			continue
		}
		switch verb {
		case "EHLO":
			say("250-mx.test\r\n250 8BITMIME")
		case "DATA":
			data = true
			say("354 go ahead")
		case "QUIT":
			say("221 bye")
			return
		default:
			say("250 ok")
		}
	}
}

// mxRoute serves each server on its own loopback address, all on one
// port (an MX port is the same for every host), and names them
// mx1.example.org, mx2..., with preferences 10, 20, ... A nil server is an
// address where nothing listens: the connection is refused.
func mxRoute(t *testing.T, servers ...*mxServer) (fakeDNS, string) {
	t.Helper()
	zone := fakeDNS{}
	port := ""
	var mx []dns.Record
	for i, s := range servers {
		ip := netip.AddrFrom4([4]byte{127, 0, 0, byte(20 + i)})
		host := "mx" + string(rune('1'+i)) + ".example.org"
		mx = append(mx, dns.Record{Type: dns.TypeMX, Pref: uint16(10 * (i + 1)), Host: host + "."})
		zone[host+" A"] = []dns.Record{{Type: dns.TypeA, Addr: ip}}
		zone[host+" AAAA"] = []dns.Record{}
		if s == nil {
			continue
		}
		if port == "" {
			_, port, _ = net.SplitHostPort(s.listen(t, ip.String()+":0"))
		} else {
			s.listen(t, ip.String()+":"+port)
		}
	}
	zone["example.org MX"] = mx
	if port == "" {
		port = "1"
	}
	return zone, port
}

func mxSendConfig(zone fakeDNS, port string) MXSendConfig {
	m := &Message{From: &mail.Address{Address: "a@example.com"}, Subject: "t", Text: Content{Text: "hi\n"}}
	_ = m.Scan()
	return MXSendConfig{
		Send:   SendConfig{Message: m, Rcpts: []string{"bob@example.org"}, Options: Options{Timeout: 5 * time.Second}},
		Domain: "example.org:" + port,
		Route:  DomainOptions{Resolver: zone, Route: domain.RouteOptions{Stable: true}},
	}
}

// TestSendMXFallback: RFC 5321 5.1, the next MX after a connection
// refused, a 421 greeting and a 451 to RCPT; the message goes to the
// first that takes it, and no MX after it is contacted.
func TestSendMXFallback(t *testing.T) {
	busy := &mxServer{greeting: "421 4.3.2 busy"}
	defer4 := &mxServer{greeting: "220 mx3", replies: map[string]string{"RCPT": "451 4.3.0 try later"}}
	ok := &mxServer{greeting: "220 mx4"}
	after := &mxServer{greeting: "220 mx5"}
	zone, port := mxRoute(t, nil, busy, defer4, ok, after)
	res := SendMX(context.Background(), mxSendConfig(zone, port), nil)
	if !res.Delivered() || res.Err != nil {
		t.Fatalf("not delivered: %v; attempts %+v", res.Err, res.Attempts)
	}
	var hosts []string
	for _, a := range res.Attempts {
		hosts = append(hosts, a.Host+" "+strings.SplitN(a.Outcome, ":", 2)[0])
	}
	// the first two outcomes are in Explain's words: the order, and the ends
	if len(res.Attempts) != 4 || !strings.HasPrefix(res.Attempts[0].Host, "mx1") || !strings.HasPrefix(res.Attempts[1].Host, "mx2") ||
		!strings.Contains(res.Attempts[2].Outcome, "deferred: 451") || !res.Attempts[3].Delivered || res.Attempts[0].Delivered {
		t.Errorf("attempts %q, want mx1 refused, mx2 421, mx3 deferred, mx4 delivered", strings.Join(hosts, "|"))
	}
	if busy.connections() != 1 || defer4.connections() != 1 || ok.connections() != 1 || after.connections() != 0 {
		t.Errorf("connections: mx2 %d, mx3 %d, mx4 %d, mx5 %d; want 1, 1, 1, 0",
			busy.connections(), defer4.connections(), ok.connections(), after.connections())
	}
}

// TestSendMXStopsOn5xx: a 5xx is the domain's answer: no other MX is
// tried, and the error names the refusing step (send's exit code).
func TestSendMXStopsOn5xx(t *testing.T) {
	no := &mxServer{greeting: "220 mx1", replies: map[string]string{"RCPT": "550 5.1.1 no such user"}}
	next := &mxServer{greeting: "220 mx2"}
	zone, port := mxRoute(t, no, next)
	res := SendMX(context.Background(), mxSendConfig(zone, port), nil)
	var se *StepError
	if res.Delivered() || !errors.As(res.Err, &se) || se.Step != StepRcpt {
		t.Fatalf("delivered %v, err %v; want the RCPT step's refusal", res.Delivered(), res.Err)
	}
	if len(res.Attempts) != 1 || !strings.Contains(res.Attempts[0].Outcome, "refused for good: 550") || next.connections() != 0 {
		t.Errorf("attempts %+v, mx2 contacted %d times", res.Attempts, next.connections())
	}
}

// TestSendMXNullAndRequire: a null MX stops before any connection, and
// --dane require refuses a host without authentic TLSA records, naming
// dane-required.
func TestSendMXNullAndRequire(t *testing.T) {
	null := fakeDNS{"example.org MX": {{Type: dns.TypeMX, Pref: 0, Host: "."}}}
	res := SendMX(context.Background(), mxSendConfig(null, "25"), nil)
	var nr *NoRouteError
	if !errors.As(res.Err, &nr) || res.Route.Kind != domain.KindNullMX || len(res.Attempts) != 0 {
		t.Errorf("null MX: err %v, route %s, attempts %d", res.Err, res.Route.Kind, len(res.Attempts))
	}
	s := &mxServer{greeting: "220 mx1"}
	zone, port := mxRoute(t, s)
	cfg := mxSendConfig(zone, port)
	cfg.DANE = EnforceRequire
	res = SendMX(context.Background(), cfg, nil)
	if !errors.As(res.Err, &nr) || len(res.Attempts) != 1 || !res.Attempts[0].Refused ||
		!strings.Contains(res.Attempts[0].Outcome, "dane-required") || s.connections() != 0 {
		t.Errorf("--dane require: err %v, attempts %+v, connections %d", res.Err, res.Attempts, s.connections())
	}
}

// TestSendMXRefuseSTS: under an MTA-STS policy in enforce mode, an MX the
// policy does not list is refused without a connection; in testing mode,
// or with --mta-sts off, it is used.
func TestSendMXRefuseSTS(t *testing.T) {
	h := domain.Host{Name: domain.NameFromDNS("mx2.example.org.")}
	policy := func(mode string) domain.STS {
		return domain.STS{Verdict: domain.STSOK, Policy: &domain.Policy{Mode: mode, MX: []string{"mx1.example.org"}}}
	}
	tests := []struct {
		mode, flag string
		refused    bool
	}{
		{domain.ModeEnforce, EnforceAuto, true},
		{domain.ModeTesting, EnforceAuto, false},
		{domain.ModeEnforce, EnforceOff, false},
	}
	for _, tt := range tests {
		r := MXSendResult{STS: policy(tt.mode), STSMode: tt.flag, DANE: EnforceAuto, TLSA: []domain.TLSA{{Verdict: domain.DANENoTLSA}}}
		why := r.refuse(0, h)
		if (why != "") != tt.refused || tt.refused && !strings.Contains(why, "validation-failure") {
			t.Errorf("policy %s, --mta-sts %s: %q", tt.mode, tt.flag, why)
		}
	}
}
