package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/ehlo-sh/ehlo/domain"
	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// DoctorMX diagnoses direct delivery to a domain (doctor --mx): the route
// and every MX address probed at once (ProbeDomain, with DANE and
// MTA-STS judged), then the usual doctor session (Doctor) with the first
// MX address that answered, in MX order as a sender tries them. The
// findings of the route, DANE and MTA-STS join the session's, the root
// cause first. cfg.Target is ignored: arg is DOMAIN, DOMAIN:PORT or
// user@domain.
func DoctorMX(ctx context.Context, arg string, cfg DoctorConfig, o DomainOptions) DoctorResult {
	o.Options = cfg.Options
	dr := ProbeDomain(ctx, arg, o)
	res := DoctorResult{Target: arg, MX: &dr}
	if dr.Err != nil {
		res.Facts.Delivery = []session.Finding{session.NewFinding("no-route", note(dr.Err.Error()))}
		res.Findings = session.Diagnose(res.Facts)
		return res
	}
	res.Target = dr.Domain.String()
	res.Facts = session.Facts{Target: res.Target, Now: dr.Start}
	i, j := firstAnswered(dr)
	if i >= 0 {
		res = doctorMXSession(ctx, cfg, &dr, i, j)
	}
	res.Facts.Delivery = deliveryFindings(ctx, dr, i, j, o)
	res.Findings = session.Diagnose(res.Facts)
	if i >= 0 {
		if cfg.User == "" { // an MX is not a submission server: no AUTH is as it should be
			res.Findings = slices.DeleteFunc(res.Findings, func(f session.Finding) bool { return f.ID == "auth-missing" })
		}
		res.Findings = mxCertFindings(res.Findings, dr.DANE[i][j], dr.STS.Enforced())
	}
	return res
}

// doctorMXSession holds the doctor's session with address j of MX host i.
func doctorMXSession(ctx context.Context, cfg DoctorConfig, dr *DomainResult, i, j int) DoctorResult {
	h := dr.Route.Hosts[i]
	c := cfg
	c.Target = netip.AddrPortFrom(h.Addrs[j], portNum(dr.Port)).String()
	c.Options.ServerName = h.Name.ASCII // WebPKI's name: the MX name (RFC 8461 4.1)
	c.Options.SNI = dr.TLSA[i].SNI(h)   // RFC 7672 8.1: the TLSA base domain when DANE applies
	c.Options.GreetingWait, c.Options.Plain, c.Options.ImplicitTLS = -1, true, false
	c.GreetingWait = -1
	// Opportunistic, as a sender: the session goes on whatever the
	// certificate; the certificate findings and DANE say what it is.
	c.Options.Insecure = true
	if t := dr.TLSA[i]; t.Authenticates() {
		c.Options.Check = daneCheck(t, h)
	}
	res := Doctor(ctx, c)
	res.Target, res.MX, res.Via = dr.Domain.String(), dr, h.Name.String()
	res.DANEVerified = res.Facts.TLS != nil && dr.DANE[i][j] != nil && dr.DANE[i][j].Verdict == domain.DANEMatched
	return res
}

// firstAnswered is the first MX address, in route order, whose probe got
// a greeting and an EHLO answer: host i, address j; -1, -1 when none.
func firstAnswered(dr DomainResult) (int, int) {
	for i := range dr.Route.Hosts {
		for j, c := range dr.Conns[i] {
			if c.Connected {
				return i, j
			}
		}
	}
	return -1, -1
}

// deliveryFindings judges the route, DANE and MTA-STS: the findings of
// direct delivery, and the mx-route finding that lists every MX tried
// (host i, address j answered first).
func deliveryFindings(ctx context.Context, dr DomainResult, i, j int, o DomainOptions) []session.Finding {
	rt := dr.Route
	switch {
	case rt.Kind == domain.KindNullMX:
		return []session.Finding{session.NewFinding("null-mx", note(rt.Problem))}
	case rt.Kind == domain.KindNone:
		return []session.Finding{session.NewFinding("no-route", note(rt.Problem))}
	}
	out := []session.Finding{session.NewFinding("mx-route", routeEvidence(dr, i, j)...)}
	resolved := 0
	for _, h := range rt.Hosts {
		if len(h.Addrs) > 0 {
			resolved++
			continue
		}
		out = append(out, session.NewFinding("mx-host-unresolvable", note(h.Name.String()+": "+h.Problem)))
	}
	if resolved == 0 {
		f := session.NewFinding("mx-unresolvable")
		for _, h := range rt.Hosts {
			f.Evidence = append(f.Evidence, note(h.Name.String()+": "+h.Problem))
		}
		return append(out, f)
	}
	if i < 0 {
		out = append(out, unreachable(ctx, dr, o))
	}
	out = append(out, daneFindings(dr)...)
	return append(out, stsFindings(dr)...)
}

func note(s string) string { return "* " + session.SanitizeString(s) }

// routeEvidence lists each MX address as a sender tries them, and what
// came of it.
func routeEvidence(dr DomainResult, first, firstAddr int) []string {
	var ev []string
	for i, h := range dr.Route.Hosts {
		pref := fmt.Sprintf("preference %d", h.Preference)
		if h.Preference < 0 {
			pref = "implicit MX"
		}
		if len(h.Addrs) == 0 {
			ev = append(ev, note(fmt.Sprintf("%s (%s): no address", h.Name, pref)))
		}
		for j := range h.Addrs {
			c := dr.Conns[i][j]
			what := "answered"
			switch {
			case i == first && j == firstAddr:
				what = "answered: the session below is with it"
			case !c.Connected:
				what = "did not answer: " + firstOf(c.Err, "no greeting")
			case first >= 0 && (i < first || i == first && j < firstAddr):
			default:
				what = "answered (not needed: a sender stops at the first that answers)"
			}
			if d := dr.DANE[i][j]; d != nil {
				what += "; DANE: " + d.Text()
			}
			ev = append(ev, note(fmt.Sprintf("%s (%s) %s: %s", h.Name, pref, c.Addr, what)))
		}
	}
	if n := dr.Route.Omitted; n > 0 {
		ev = append(ev, note(fmt.Sprintf("%d more MX records not examined", n)))
	}
	return ev
}

// unreachable is the finding when no MX address answered: when every
// one timed out while DNS answered and another port of an MX connects,
// port25-blocked (client.Port25Blocked); else mx-unreachable.
func unreachable(ctx context.Context, dr DomainResult, o DomainOptions) session.Finding {
	f := session.NewFinding("mx-unreachable")
	var attempts []Port25Attempt
	for i, h := range dr.Route.Hosts {
		for j, c := range dr.Conns[i] {
			to, after := synTimedOut(dr.Probes[i][j].Err, firstDuration(o.Timeout, 30*time.Second))
			attempts = append(attempts, Port25Attempt{Host: h.Name.String(), Addr: c.Addr, TimedOut: to, After: after, Err: c.Err})
			f.Evidence = append(f.Evidence, note(fmt.Sprintf("%s %s: %s", h.Name, c.Addr, firstOf(c.Err, "no greeting"))))
		}
	}
	if dr.Port != "25" {
		return f // a lab's port: nothing to say about this network's port 25
	}
	if pb, ok := Port25Blocked(true, attempts, otherPort(ctx, dr, attempts)); ok {
		return pb
	}
	return f
}

// synTimedOut reports a connection that got no answer at all within its
// deadline (a dropped SYN), not a refusal, nor a silent server that
// accepted it; and how long it waited.
func synTimedOut(err error, def time.Duration) (bool, time.Duration) {
	if err == nil || !isStep(err, StepConnect) {
		return false, 0
	}
	var to *wire.TimeoutError
	if errors.As(err, &to) {
		return true, to.After
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true, def
	}
	return false, 0
}

// otherPorts are tried, on the first MX address, to tell a network that
// drops port 25 from one that reaches nothing: submission and HTTPS.
var otherPorts = []uint16{587, 443}

// otherPort is "ADDR:PORT" of another port of an MX that answered (a
// connection, or a refusal: either way the network reaches the host),
// when every port 25 attempt timed out; "" otherwise.
func otherPort(ctx context.Context, dr DomainResult, attempts []Port25Attempt) string {
	for _, a := range attempts {
		if !a.TimedOut {
			return ""
		}
	}
	var addr netip.Addr
	for _, h := range dr.Route.Hosts {
		if len(h.Addrs) > 0 {
			addr = h.Addrs[0]
			break
		}
	}
	if !addr.IsValid() {
		return ""
	}
	for _, p := range otherPorts {
		target := netip.AddrPortFrom(addr, p).String()
		d := net.Dialer{Timeout: 3 * time.Second}
		c, err := d.DialContext(ctx, "tcp", target)
		if err == nil {
			c.Close()
			return target
		}
		if errors.Is(err, syscall.ECONNREFUSED) {
			return target + " (refused: the host is reached)"
		}
	}
	return ""
}

// daneFindings: an MX a DANE sender would refuse, per kind.
func daneFindings(dr DomainResult) []session.Finding {
	var out []session.Finding
	for i, h := range dr.Route.Hosts {
		t := dr.TLSA[i]
		if t.Verdict == domain.DANEBogus {
			out = append(out, session.NewFinding("dnssec-bogus", note(h.Name.String()+": "+t.Why)))
			continue
		}
		if !t.Applies() {
			continue
		}
		for j, c := range dr.Conns[i] {
			switch d := dr.DANE[i][j]; {
			case c.Connected && !c.TLS:
				out = append(out, session.NewFinding("dane-no-starttls", note(fmt.Sprintf("%s %s: TLSA %s, and %s",
					h.Name, c.Addr, tlsaWords(t), noTLSWords(c)))))
			case d != nil && d.Verdict != domain.DANEMatched:
				out = append(out, session.NewFinding("dane-mismatch", note(fmt.Sprintf("%s %s: %s", h.Name, c.Addr, d.Text())),
					note(d.Why)))
			}
		}
	}
	return out
}

func tlsaWords(t domain.TLSA) string {
	if len(t.Records) == 1 {
		return "record " + domain.RecordText(t.Records[0]) + " is authentic"
	}
	return fmt.Sprintf("records (%d) are authentic", len(t.Records))
}

func noTLSWords(c domain.Conn) string {
	if c.STARTTLS {
		return "the STARTTLS handshake failed: " + c.Err
	}
	return "the server does not offer STARTTLS"
}

// stsFindings: the policy unreadable, an MX not listed or failing it.
func stsFindings(dr DomainResult) []session.Finding {
	s := dr.STS
	if s.Result == "sts-policy-fetch-error" || s.Result == "sts-policy-invalid" || s.Result == "sts-webpki-invalid" {
		return []session.Finding{session.NewFinding("sts-policy-error", note(s.Result+": "+s.Why))}
	}
	if s.Verdict != domain.STSOK || s.Policy == nil || s.Policy.Mode == domain.ModeNone {
		return nil
	}
	var out []session.Finding
	testing := s.Policy.Mode == domain.ModeTesting
	add := func(f session.Finding) {
		if testing {
			f.Severity = session.SeverityWarning
			f.Evidence = append(f.Evidence, "* the policy is in testing mode: senders deliver anyway, and report it (TLS-RPT)")
		}
		out = append(out, f)
	}
	for i, h := range dr.Route.Hosts {
		if s.Policy.Match(h.Name.ASCII) == "" {
			add(session.NewFinding("sts-mx-not-listed", note(fmt.Sprintf("%s is not matched by the policy's mx lines: %s",
				h.Name, strings.Join(s.Policy.MX, ", ")))))
			continue
		}
		for _, c := range dr.Conns[i] {
			switch {
			case c.Connected && !c.TLS:
				add(session.NewFinding("sts-mx-invalid", note(fmt.Sprintf("%s %s: %s (starttls-not-supported)", h.Name, c.Addr, noTLSWords(c)))))
			case c.TLS && c.WebPKI != nil:
				add(session.NewFinding("sts-mx-invalid", note(fmt.Sprintf("%s %s: the certificate is not valid for the MX name: %s (%s)",
					h.Name, c.Addr, domain.CertWords(c.WebPKI), domain.CertResult(c.WebPKI)))))
			}
		}
	}
	return out
}

// mxCertFindings judges the certificate findings of a session with an MX:
// a DANE-verified chain needs no WebPKI (RFC 7672 3.1.1: DANE-EE checks
// no name), so they go; without DANE or an MTA-STS enforce policy TLS
// between MX hosts is opportunistic (RFC 7435): senders deliver anyway,
// so they are warnings.
func mxCertFindings(fs []session.Finding, d *domain.DANE, stsEnforced bool) []session.Finding {
	cert := func(f session.Finding) bool {
		switch f.ID {
		case "tls-unknown-authority", "tls-name-mismatch", "tls-expired", "tls-not-yet-valid":
			return true
		}
		return false
	}
	if d != nil && d.Verdict == domain.DANEMatched {
		return slices.DeleteFunc(fs, cert)
	}
	if stsEnforced {
		return fs
	}
	for k := range fs {
		if cert(fs[k]) && fs[k].Severity == session.SeverityError {
			fs[k].Severity = session.SeverityWarning
			fs[k].Evidence = append(fs[k].Evidence, "* no DANE and no MTA-STS policy in force: senders deliver over TLS anyway (opportunistic TLS, RFC 7435)")
		}
	}
	return fs
}

func firstDuration(a, b time.Duration) time.Duration {
	if a > 0 {
		return a
	}
	return b
}
