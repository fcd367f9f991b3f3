package client

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/ehlo-sh/ehlo/domain"
	"github.com/ehlo-sh/ehlo/session"
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
		res.Findings = []session.Finding{session.DeliveryFinding("no-route", "* "+session.SanitizeString(dr.Err.Error()))}
		return res
	}
	res.Target = dr.Domain.String()
	i, j := firstAnswered(dr)
	if i >= 0 {
		h := dr.Route.Hosts[i]
		c := cfg
		c.Target = netip.AddrPortFrom(h.Addrs[j], portNum(dr.Port)).String()
		c.Options.ServerName = h.Name.ASCII
		c.Options.GreetingWait, c.Options.Plain, c.Options.ImplicitTLS = -1, true, false
		c.GreetingWait = -1
		// Opportunistic, as a sender: the session goes on whatever the
		// certificate; the certificate findings and DANE say what it is.
		c.Options.Insecure = true
		if t := dr.TLSA[i]; t.Authenticates() {
			c.Options.Check = daneCheck(t, h)
		}
		one := Doctor(ctx, c)
		one.Target, one.MX, one.Via = res.Target, &dr, h.Name.String()
		if cfg.User == "" { // an MX is not a submission server: no AUTH is as it should be
			one.Findings = slices.DeleteFunc(one.Findings, func(f session.Finding) bool { return f.ID == "auth-missing" })
		}
		one.Findings = mxCertFindings(one.Findings, dr.DANE[i][j], dr.STS.Enforced())
		one.DANEVerified = one.Facts.TLS != nil && dr.DANE[i][j] != nil && dr.DANE[i][j].Verdict == domain.DANEMatched
		res = one
	}
	res.Findings = append(deliveryFindings(dr, i, j), res.Findings...)
	session.OrderFindings(res.Findings)
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
func deliveryFindings(dr DomainResult, i, j int) []session.Finding {
	rt := dr.Route
	switch {
	case rt.Kind == domain.KindNullMX:
		return []session.Finding{session.DeliveryFinding("null-mx", note(rt.Problem))}
	case rt.Kind == domain.KindNone:
		return []session.Finding{session.DeliveryFinding("no-route", note(rt.Problem))}
	}
	out := []session.Finding{session.DeliveryFinding("mx-route", routeEvidence(dr, i, j)...)}
	resolved := 0
	for _, h := range rt.Hosts {
		if len(h.Addrs) > 0 {
			resolved++
			continue
		}
		out = append(out, session.DeliveryFinding("mx-host-unresolvable", note(h.Name.String()+": "+h.Problem)))
	}
	if resolved == 0 {
		f := session.DeliveryFinding("mx-unresolvable")
		for _, h := range rt.Hosts {
			f.Evidence = append(f.Evidence, note(h.Name.String()+": "+h.Problem))
		}
		return append(out, f)
	}
	if i < 0 {
		out = append(out, unreachable(dr))
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
			ev = append(ev, note(fmt.Sprintf("%s (%s) %s: %s", h.Name, pref, c.Addr, what)))
		}
	}
	if n := dr.Route.Omitted; n > 0 {
		ev = append(ev, note(fmt.Sprintf("%d more MX records not examined", n)))
	}
	return ev
}

// unreachable is the finding when no MX address answered; when every one
// timed out, the likeliest cause is this network blocking port 25.
func unreachable(dr DomainResult) session.Finding {
	f := session.DeliveryFinding("mx-unreachable")
	timeouts, n := 0, 0
	for i, h := range dr.Route.Hosts {
		for _, c := range dr.Conns[i] {
			n++
			if strings.Contains(strings.ToLower(c.Err), "timed out") || strings.Contains(c.Err, "timeout") {
				timeouts++
			}
			f.Evidence = append(f.Evidence, note(fmt.Sprintf("%s %s: %s", h.Name, c.Addr, firstOf(c.Err, "no greeting"))))
		}
	}
	if n > 0 && timeouts == n {
		f.Title = fmt.Sprintf("No MX answered on port 25: %d address%s timed out, while DNS answered; outbound port 25 is probably blocked by this network",
			n, map[bool]string{true: "", false: "es all"}[n == 1])
		f.Fix = "Send through a submission server with AUTH (your provider's, port 587 or 465) instead of delivering directly; some clouds lift the block on request."
	}
	return f
}

// daneFindings: an MX a DANE sender would refuse, per kind.
func daneFindings(dr DomainResult) []session.Finding {
	var out []session.Finding
	for i, h := range dr.Route.Hosts {
		t := dr.TLSA[i]
		if t.Verdict == domain.DANEBogus {
			out = append(out, session.DeliveryFinding("dnssec-bogus", note(h.Name.String()+": "+t.Why)))
			continue
		}
		if !t.Applies() {
			continue
		}
		for j, c := range dr.Conns[i] {
			switch d := dr.DANE[i][j]; {
			case c.Connected && !c.TLS:
				out = append(out, session.DeliveryFinding("dane-no-starttls", note(fmt.Sprintf("%s %s: TLSA %s, and %s",
					h.Name, c.Addr, tlsaWords(t), noTLSWords(c)))))
			case d != nil && d.Verdict != domain.DANEMatched:
				out = append(out, session.DeliveryFinding("dane-mismatch", note(fmt.Sprintf("%s %s: %s", h.Name, c.Addr, d.Text())),
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
		return []session.Finding{session.DeliveryFinding("sts-policy-error", note(s.Result+": "+s.Why))}
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
			add(session.DeliveryFinding("sts-mx-not-listed", note(fmt.Sprintf("%s is not matched by the policy's mx lines: %s",
				h.Name, strings.Join(s.Policy.MX, ", ")))))
			continue
		}
		for _, c := range dr.Conns[i] {
			switch {
			case c.Connected && !c.TLS:
				add(session.DeliveryFinding("sts-mx-invalid", note(fmt.Sprintf("%s %s: %s (starttls-not-supported)", h.Name, c.Addr, noTLSWords(c)))))
			case c.TLS && c.WebPKI != nil:
				add(session.DeliveryFinding("sts-mx-invalid", note(fmt.Sprintf("%s %s: the certificate is not valid for the MX name: %s (%s)",
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
