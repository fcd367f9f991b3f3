package domain

import (
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Tri is a fact that may be unknown: a probe that could not connect
// learns nothing about TLS.
type Tri int

const (
	Unknown Tri = iota
	Yes
	No
)

func (t Tri) String() string { return [...]string{"unknown", "yes", "no"}[t] }

// Conn is what the probe of one MX address found, as client hands it
// over: the facts, kept apart ("STARTTLS offered", "certificate trusted",
// "policy met" are three questions).
type Conn struct {
	Addr      string // "192.0.2.1:25"
	Connected bool   // a greeting and an EHLO were answered
	Err       string // why the probe stopped early, in words; "" when it did not
	STARTTLS  bool   // offered in the EHLO reply
	TLS       bool   // a TLS session was established
	WebPKI    error  // the certificate's WebPKI verification for the MX name; nil when trusted (and TLS)
	DANE      *DANE  // the chain checked against the TLSA records, when they authenticate
}

// AddrVerdict judges one address: would each kind of sender deliver
// through it?
type AddrVerdict struct {
	Addr        string
	STARTTLS    Tri
	Trusted     Tri    // WebPKI, for the MX name
	DANE        string // the DANE verdict, as shown
	STS         string // the MTA-STS verdict, as shown: "met", "not listed", "no policy", a result type
	DANEDeliver Tri    // would a DANE-enforcing sender deliver here?
	STSDeliver  Tri    // would an MTA-STS-enforcing sender?
	Results     []string
	DANEWhy     string
	STSWhy      string
	CertProblem string // the IANA name of the WebPKI failure, when TLS was made and not trusted
}

// HostVerdict judges one MX host from its addresses.
type HostVerdict struct {
	Host        Name
	TLSA        TLSA
	STSPattern  string // the policy's pattern that lists the host, "" when none (or no policy)
	Addrs       []AddrVerdict
	STARTTLS    Tri // offered on every address that answered
	Trusted     Tri
	DANEDeliver Tri // through some address
	STSDeliver  Tri
	Results     []string
	DANEWhy     string
	STSWhy      string
}

// Delivery answers "would such a sender deliver to the domain?"
type Delivery struct {
	Deliver Tri
	Via     string // the MX it would deliver to, the first by preference
	Why     string
}

// Verdict is the judgement of a domain.
type Verdict struct {
	Hosts   []HostVerdict
	DANE    Delivery // a sender that enforces DANE (RFC 7672)
	STS     Delivery // a sender that enforces MTA-STS (RFC 8461)
	Results []string // the IANA result types found, sorted, each once
}

// Evaluate judges a domain from its route, each host's TLSA, its MTA-STS
// and the probes of each host's addresses (conns[i] for rt.Hosts[i], in
// the order of the addresses).
func Evaluate(rt Route, tlsa []TLSA, sts STS, conns [][]Conn) Verdict {
	return EvaluateFor(Sender{}, rt, tlsa, sts, conns)
}

// Sender is what the sending side demands beyond what the domain
// publishes (send --dane require, doctor).
type Sender struct {
	// RequireDANE refuses an MX without validated, usable TLSA records:
	// the IANA result dane-required (RFC 8460 4.3.2.1).
	RequireDANE bool
}

// EvaluateFor is Evaluate for a sender that demands more than the domain
// publishes.
func EvaluateFor(s Sender, rt Route, tlsa []TLSA, sts STS, conns [][]Conn) Verdict {
	var v Verdict
	if rt.Bogus {
		v.Results = append(v.Results, "dnssec-invalid")
	}
	if sts.Result != "" {
		v.Results = append(v.Results, sts.Result)
	}
	for i, h := range rt.Hosts {
		hv := judgeHost(s, h, tlsa[i], sts, conns[i])
		v.Hosts = append(v.Hosts, hv)
		v.Results = append(v.Results, hv.Results...)
	}
	slices.Sort(v.Results)
	v.Results = slices.Compact(v.Results)
	v.DANE = deliveryOf(rt, v.Hosts, func(h HostVerdict) (Tri, string) { return h.DANEDeliver, h.DANEWhy })
	v.STS = deliveryOf(rt, v.Hosts, func(h HostVerdict) (Tri, string) { return h.STSDeliver, h.STSWhy })
	if rt.Kind != KindNone && rt.Kind != KindNullMX && !rt.Authentic && v.DANE.Deliver == Yes {
		v.DANE.Why = "DANE does not apply: the MX answer is not DNSSEC-validated (RFC 7672 2.2.1); TLS is opportunistic"
	}
	if v.STS.Deliver == Yes && !sts.Enforced() {
		v.STS.Why = stsScope(sts)
	}
	return v
}

// stsScope says why MTA-STS binds no sender.
func stsScope(s STS) string {
	switch {
	case s.Verdict == STSOK && s.Policy.Mode == ModeTesting:
		return "the policy is in testing mode: failures are reported, mail is delivered"
	case s.Verdict == STSOK:
		return "the policy's mode is none"
	case s.Verdict == STSNone:
		return "no MTA-STS policy"
	}
	return "the policy is unusable (" + s.Verdict + "), so a sender without a cached one applies none"
}

// deliveryOf finds the first host, by preference, through which such a
// sender delivers.
func deliveryOf(rt Route, hosts []HostVerdict, of func(HostVerdict) (Tri, string)) Delivery {
	switch {
	case rt.Temporary:
		return Delivery{Deliver: Unknown, Why: rt.Problem + "; a sender would retry later"}
	case rt.Kind == KindNone || rt.Kind == KindNullMX:
		return Delivery{Deliver: No, Why: rt.Problem}
	}
	unknown := false
	var whys []string
	for _, h := range hosts {
		t, why := of(h)
		switch t {
		case Yes:
			return Delivery{Deliver: Yes, Via: h.Host.String(), Why: why}
		case Unknown:
			unknown = true
		}
		whys = append(whys, h.Host.String()+": "+why)
	}
	d := Delivery{Deliver: No, Why: "no MX passes: " + strings.Join(whys, "; ")}
	if unknown {
		d.Deliver, d.Why = Unknown, "not known: an MX could not be probed from here; "+strings.Join(whys, "; ")
	}
	return d
}

// judgeHost judges a host from its addresses: a sender tries them in
// turn, so one that passes is enough.
func judgeHost(s Sender, h Host, t TLSA, sts STS, conns []Conn) HostVerdict {
	hv := HostVerdict{Host: h.Name, TLSA: t}
	if sts.Policy != nil {
		hv.STSPattern = sts.Policy.Match(h.Name.ASCII)
	}
	if len(h.Addrs) == 0 {
		why, t := h.Name.String()+" "+h.Problem, No
		if h.Temporary {
			why, t = why+"; a sender would retry later", Unknown
		}
		hv.DANEDeliver, hv.STSDeliver, hv.DANEWhy, hv.STSWhy = t, t, why, why
		if h.Bogus {
			hv.Results = append(hv.Results, "dnssec-invalid")
		}
		return hv
	}
	for i, a := range h.Addrs {
		c := Conn{Addr: a.String()}
		if i < len(conns) {
			c = conns[i]
		}
		av := judgeAddr(s, t, sts, hv.STSPattern, c)
		hv.Addrs = append(hv.Addrs, av)
		hv.Results = append(hv.Results, av.Results...)
	}
	hv.STARTTLS = allOf(hv.Addrs, func(a AddrVerdict) Tri { return a.STARTTLS })
	hv.Trusted = allOf(hv.Addrs, func(a AddrVerdict) Tri { return a.Trusted })
	hv.DANEDeliver, hv.DANEWhy = anyOf(hv.Addrs, func(a AddrVerdict) (Tri, string) { return a.DANEDeliver, a.DANEWhy })
	hv.STSDeliver, hv.STSWhy = anyOf(hv.Addrs, func(a AddrVerdict) (Tri, string) { return a.STSDeliver, a.STSWhy })
	return hv
}

// allOf is Yes when every known fact is Yes, No when one is No.
func allOf(as []AddrVerdict, f func(AddrVerdict) Tri) Tri {
	out := Unknown
	for _, a := range as {
		switch f(a) {
		case No:
			return No
		case Yes:
			out = Yes
		}
	}
	return out
}

// anyOf is Yes when one address is Yes, Unknown when one is unknown and
// none is Yes, else No; with the reason of the first address of that
// outcome.
func anyOf(as []AddrVerdict, f func(AddrVerdict) (Tri, string)) (Tri, string) {
	best, why := No, ""
	for _, a := range as {
		t, w := f(a)
		switch {
		case t == Yes:
			return Yes, w
		case t == Unknown && best == No:
			best, why = Unknown, w
		case why == "":
			why = w
		}
	}
	return best, why
}

// judgeAddr judges one address.
func judgeAddr(s Sender, t TLSA, sts STS, pattern string, c Conn) AddrVerdict {
	av := AddrVerdict{Addr: c.Addr, DANE: t.Verdict}
	if av.DANE == "" {
		av.DANE = "not checked"
	}
	if c.Connected {
		av.STARTTLS = tri(c.STARTTLS)
		if c.TLS {
			av.Trusted = tri(c.WebPKI == nil)
			if c.WebPKI != nil {
				av.CertProblem = CertResult(c.WebPKI)
			}
		}
	}
	av.DANEDeliver, av.DANEWhy = judgeDANE(s, t, c, &av)
	av.STSDeliver, av.STSWhy = judgeSTS(sts, pattern, c, &av)
	return av
}

func tri(b bool) Tri {
	if b {
		return Yes
	}
	return No
}

// notConnected says why a probe learned nothing.
func notConnected(c Conn) string {
	if c.Err != "" {
		return "not probed: " + c.Err
	}
	return "not probed"
}

// judgeDANE: would a DANE-enforcing sender deliver through this address?
func judgeDANE(s Sender, t TLSA, c Conn, av *AddrVerdict) (Tri, string) {
	switch {
	case s.RequireDANE && (t.Verdict == DANENoTLSA || t.Verdict == DANEInsecure):
		av.Results = append(av.Results, "dane-required")
		return No, "DANE is required, and " + t.Verdict + ": " + t.Why
	case t.Verdict == DANENoTLSA || t.Verdict == DANEInsecure:
		return Yes, "DANE does not apply (" + t.Verdict + "): TLS is opportunistic"
	case t.Verdict == DANEBogus:
		av.Results = append(av.Results, "dnssec-invalid")
		return No, "the TLSA lookup is bogus: " + t.Why
	case !c.Connected && !c.TLS:
		return Unknown, notConnected(c)
	}
	if !c.TLS {
		av.Results = append(av.Results, "starttls-not-supported")
		av.DANE = DANENoTLS
		return No, "TLSA records make TLS mandatory, and " + noTLS(c)
	}
	if t.Verdict == DANEUnusable {
		av.Results = append(av.Results, "tlsa-invalid") // RFC 8460 4.3.2.1: none of the records is valid
		return Yes, "TLS is made; no usable TLSA record, so the certificate is not checked (RFC 7672 2.2)"
	}
	if c.DANE == nil {
		return Unknown, "the certificate was not checked against the TLSA records"
	}
	av.DANE = c.DANE.Text()
	if c.DANE.Verdict == DANEMatched {
		return Yes, "DANE " + c.DANE.Text()
	}
	av.Results = append(av.Results, "tlsa-invalid")
	return No, c.DANE.Why
}

// noTLS says why an address gave no TLS session.
func noTLS(c Conn) string {
	if c.STARTTLS {
		return "STARTTLS is offered but no TLS session was made: " + c.Err
	}
	return "no STARTTLS offered"
}

// judgeSTS: would an MTA-STS-enforcing sender deliver through this
// address? RFC 8461 4: the MX must match a pattern, offer STARTTLS and
// present a certificate valid for the MX name under WebPKI.
func judgeSTS(s STS, pattern string, c Conn, av *AddrVerdict) (Tri, string) {
	if s.Verdict != STSOK || s.Policy.Mode == ModeNone {
		av.STS = "no policy"
		return Yes, "no MTA-STS policy in force"
	}
	enforce := s.Policy.Mode == ModeEnforce
	fail := func(shown, result, why string) (Tri, string) {
		av.STS = shown
		av.Results = append(av.Results, result)
		if !enforce {
			return Yes, why + " (testing mode: reported, delivered)"
		}
		return No, why
	}
	if pattern == "" {
		return fail("not listed", "validation-failure", "the policy's mx patterns do not list this MX")
	}
	if !c.Connected && !c.TLS {
		av.STS = "not probed"
		return Unknown, notConnected(c)
	}
	if !c.TLS {
		return fail("no TLS", "starttls-not-supported", noTLS(c))
	}
	if c.WebPKI != nil {
		return fail(av.CertProblem, av.CertProblem, "the certificate is not valid for the MX name: "+CertWords(c.WebPKI))
	}
	av.STS = "met"
	return Yes, "the policy is met: listed by " + pattern + ", STARTTLS, certificate valid for the MX name"
}

// CertWords says why a certificate did not verify, in words.
func CertWords(err error) string {
	var (
		host    x509.HostnameError
		invalid x509.CertificateInvalidError
		unknown x509.UnknownAuthorityError
	)
	switch {
	case errors.As(err, &host):
		names := "no names"
		if c := host.Certificate; c != nil && len(c.DNSNames) > 0 {
			names = strings.Join(c.DNSNames[:min(4, len(c.DNSNames))], ", ")
			if len(c.DNSNames) > 4 {
				names += fmt.Sprintf(" and %d more", len(c.DNSNames)-4)
			}
		}
		return fmt.Sprintf("name mismatch: the certificate covers %s, not %s", names, host.Host)
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return "expired or not yet valid"
	case errors.As(err, &unknown):
		return "signed by an unknown authority (self-signed, or a private CA)"
	}
	return strings.TrimPrefix(err.Error(), "x509: ")
}

// CertResult names a WebPKI verification failure as RFC 8460 4.3.1 does.
func CertResult(err error) string {
	var (
		host    x509.HostnameError
		invalid x509.CertificateInvalidError
		unknown x509.UnknownAuthorityError
	)
	switch {
	case errors.As(err, &host):
		return "certificate-host-mismatch"
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return "certificate-expired"
	case errors.As(err, &unknown):
		return "certificate-not-trusted"
	}
	return "certificate-not-trusted"
}

// String is a short form of a delivery verdict: "yes, to mx1.example.org".
func (d Delivery) String() string {
	switch d.Deliver {
	case Yes:
		return fmt.Sprintf("delivers, to %s", d.Via)
	case No:
		return "does not deliver"
	}
	return "unknown"
}
