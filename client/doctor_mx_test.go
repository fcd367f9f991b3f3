package client

import (
	"context"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/dns"
	"github.com/ehlo-sh/ehlo/domain"
	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// TestDoctorMXRootCause: the first finding of doctor --mx is the root
// cause of a delivery that cannot happen, before any session: a null MX,
// no MX host that resolves, no MX that answers on the port; and an MX
// that does not answer is passed over for the next, which the session is
// with.
func TestDoctorMXRootCause(t *testing.T) {
	up := &mxServer{greeting: "220 mx2"}
	zone, port := mxRoute(t, nil, up)
	tests := []struct {
		name  string
		zone  fakeDNS
		first string
		via   string
	}{
		{"null MX", fakeDNS{"example.org MX": {{Type: dns.TypeMX, Host: "."}}}, "null-mx", ""},
		{"no domain", fakeDNS{}, "no-route", ""},
		{"no MX resolves", fakeDNS{"example.org MX": {{Type: dns.TypeMX, Pref: 10, Host: "gone.example.org."}}}, "mx-unresolvable", ""},
		{"nothing answers", fakeDNS{"example.org MX": {{Type: dns.TypeMX, Pref: 10, Host: "mx1.example.org."}},
			"mx1.example.org A": {{Type: dns.TypeA, Addr: netip.MustParseAddr("127.0.0.20")}}, "mx1.example.org AAAA": {}}, "mx-unreachable", ""},
		{"first MX down", zone, "", "mx2.example.org"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := DomainOptions{Resolver: tt.zone, Route: domain.RouteOptions{Stable: true}}
			cfg := DoctorConfig{Options: Options{Timeout: 5 * time.Second}, From: "<>", To: []string{"bob@example.org"}}
			r := DoctorMX(context.Background(), "bob@example.org:"+port, cfg, o)
			if len(r.Findings) == 0 {
				t.Fatal("no findings")
			}
			if tt.first != "" && (r.Findings[0].ID != tt.first || r.Findings[0].Severity != session.SeverityError || !r.Failed()) {
				t.Errorf("first finding %s (%v), want the error %s; all: %v", r.Findings[0].ID, r.Findings[0].Severity, tt.first, ids(r))
			}
			if r.Via != tt.via {
				t.Errorf("session with %q, want %q", r.Via, tt.via)
			}
			if tt.via == "" {
				return
			}
			if r.Failed() || up.connections() < 2 { // the probe, then the session
				t.Errorf("findings %v, connections to mx2 %d", ids(r), up.connections())
			}
			route := findingByID(r.Findings, "mx-route")
			if route == nil || len(route.Evidence) != 2 || !strings.Contains(route.Evidence[0], "mx1.example.org") ||
				!strings.Contains(route.Evidence[0], "did not answer") || !strings.Contains(route.Evidence[1], "the session below is with it") {
				t.Errorf("mx-route %+v", route)
			}
		})
	}
}

func findingByID(fs []session.Finding, id string) *session.Finding {
	for i := range fs {
		if fs[i].ID == id {
			return &fs[i]
		}
	}
	return nil
}

// TestDoctorMXPort25Blocked: when every MX address timed out on port 25
// (no answer to the SYN) while DNS answered, and another port of the MX
// host is reached (a refusal on 587 is an answer), the finding is
// port25-blocked with the submission-server fix; a refusal on 25 is not
// that, but mx-unreachable.
func TestDoctorMXPort25Blocked(t *testing.T) {
	addr := netip.MustParseAddr("127.0.0.31") // nothing listens on 587 or 443 here: refused, so reached
	timeout := &StepError{Step: StepConnect, Err: &wire.TimeoutError{Op: "dial", After: 30 * time.Second}}
	refused := &StepError{Step: StepConnect, Err: syscall.ECONNREFUSED}
	dr := func(errs ...error) DomainResult {
		r := DomainResult{Port: "25", Route: domain.Route{Kind: domain.KindMX}}
		for i, err := range errs {
			r.Route.Hosts = append(r.Route.Hosts, domain.Host{Name: domain.NameFromDNS("mx" + string(rune('1'+i)) + ".example.org."), Addrs: []netip.Addr{addr}})
			r.Probes = append(r.Probes, []ProbeResult{{Err: err}})
			r.Conns = append(r.Conns, []domain.Conn{{Addr: addr.String() + ":25", Err: Explain(err)}})
		}
		return r
	}
	f := unreachable(context.Background(), dr(timeout, timeout), DomainOptions{})
	if f.ID != "port25-blocked" || !strings.Contains(f.Title, "2 MX addresses all timed out") || !strings.Contains(f.Fix, "submission server") {
		t.Errorf("every MX timed out: %s %q %q", f.ID, f.Title, f.Evidence)
	}
	if f = unreachable(context.Background(), dr(timeout, refused), DomainOptions{}); f.ID != "mx-unreachable" {
		t.Errorf("one MX refused: %s, want mx-unreachable", f.ID)
	}
}
