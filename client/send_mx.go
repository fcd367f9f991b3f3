package client

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/ehlo-sh/ehlo/domain"
	"github.com/ehlo-sh/ehlo/wire"
)

// Enforcement modes of DANE and MTA-STS for direct delivery (send --dane,
// --mta-sts).
const (
	EnforceAuto    = "auto"    // enforce when the domain publishes it (DANE: authentic, usable TLSA; MTA-STS: mode enforce)
	EnforceRequire = "require" // refuse to deliver when the domain does not publish it
	EnforceOff     = "off"     // ignore it: opportunistic TLS
)

// MXSendConfig is a direct delivery: the message of Send, routed by the
// MX records of Domain (RFC 5321 5.1) instead of to a target.
type MXSendConfig struct {
	Send   SendConfig    // Target is set per attempt; Options.ServerName and Insecure too
	Domain string        // DOMAIN or DOMAIN:PORT (a lab's MX port)
	Route  DomainOptions // the resolver, the MX order, the policy port; Options are Send.Options
	DANE   string        // EnforceAuto when ""
	STS    string        // EnforceAuto when ""
}

// MXAttempt is one MX address tried, or one MX skipped.
type MXAttempt struct {
	Host       string // the MX host, as the route names it
	Preference int    // -1 for the implicit MX
	Addr       string // "ip:port"; "" when the host was skipped without a connection
	// Outcome says what happened, in words: "delivered", "refused by DANE:
	// ...", "connection failed: ...", "451 ...: next MX".
	Outcome   string
	Delivered bool
	Refused   bool        // DANE or MTA-STS refused the host: no message was offered to it
	Result    *SendResult // the session, when one was started
}

// MXSendResult is what a direct delivery did.
type MXSendResult struct {
	Domain   domain.Name
	Route    domain.Route
	TLSA     []domain.TLSA // per host of Route.Hosts; zero when DANE is off
	STS      domain.STS
	DANE     string // the modes in force
	STSMode  string
	Attempts []MXAttempt
	Final    *SendResult // the last session: the delivery, or the refusal that stopped it
	DNS      []domain.Query
	Err      error // nil when delivered
}

// Delivered reports whether an MX took the message.
func (r MXSendResult) Delivered() bool { return r.Err == nil && r.Final != nil && r.Final.Delivered() }

// NoRouteError is a direct delivery that found no MX to try: a null MX, a
// domain that does not exist, no MX host that resolves, or every MX refused
// by the DANE or MTA-STS policy in force.
type NoRouteError struct{ Why string }

func (e *NoRouteError) Error() string { return e.Why }

// SendMX delivers the message directly: it looks up the route, the
// MTA-STS policy and each host's TLSA records (as the modes ask), then
// tries the MX hosts in order (RFC 5321 5.1), each address of a host in
// turn. A connection that fails, a 4xx, or a host refused by DANE or
// MTA-STS moves on to the next address or MX; a 5xx stops (the domain
// said no). A DANE host (authentic, usable TLSA) is reached with
// STARTTLS required and its chain checked against the TLSA records (RFC
// 7672 2.2); under an MTA-STS policy in enforce mode a host must be listed
// and present a certificate valid for its name (RFC 8461 4, 5). The DNS
// questions are D: lines in t.
func SendMX(ctx context.Context, cfg MXSendConfig, t *wire.Transcript) MXSendResult {
	if t == nil {
		t = wire.NewTranscript()
	}
	res := MXSendResult{DANE: firstOf(cfg.DANE, EnforceAuto), STSMode: firstOf(cfg.STS, EnforceAuto)}
	name, port, err := domain.Address(cfg.Domain)
	if err != nil {
		res.Err = err
		return res
	}
	res.Domain, port = name, firstOf(port, cfg.Route.Port, "25")
	log := domain.NewLog(cfg.Route.Resolver)
	defer func() { res.DNS = log.Queries() }()
	res.Route = domain.Resolve(ctx, log, name, cfg.Route.Route)
	if res.Route.Kind == domain.KindNone || res.Route.Kind == domain.KindNullMX {
		res.Err = &NoRouteError{Why: res.Route.Problem}
		return res
	}
	res.lookup(ctx, log, cfg)
	if err := res.required(); err != nil {
		res.Err = err
		return res
	}
	for i, h := range res.Route.Hosts {
		if res.tryHost(ctx, cfg, i, h, port, t) {
			return res
		}
	}
	if res.Err == nil {
		res.Err = &NoRouteError{Why: "no MX took the message: " + res.lastOutcome()}
		if n := len(res.Attempts); n > 0 && !res.Attempts[n-1].Refused && res.Final != nil && res.Final.Err != nil {
			res.Err = res.Final.Err // the last MX failed as a session does: its step says where
		}
	}
	return res
}

// lookup asks for the MTA-STS policy and each host's TLSA records, as the
// modes need them.
func (r *MXSendResult) lookup(ctx context.Context, log *domain.Log, cfg MXSendConfig) {
	if r.STSMode != EnforceOff {
		o := cfg.Send.Options
		r.STS = domain.LookupSTS(ctx, log, r.Domain, domain.FetchOptions{RootCAs: o.RootCAs, Port: cfg.Route.PolicyPort,
			Timeout: o.Timeout, Only4: cfg.Route.Route.Only4, Only6: cfg.Route.Route.Only6})
	}
	r.TLSA = make([]domain.TLSA, len(r.Route.Hosts))
	if r.DANE == EnforceOff {
		for i := range r.TLSA {
			r.TLSA[i] = domain.TLSA{Verdict: domain.DANENoTLSA, Why: "not looked up: --dane off"}
		}
		return
	}
	for i, h := range r.Route.Hosts {
		r.TLSA[i] = domain.LookupTLSA(ctx, log, r.Route, h)
	}
}

// required refuses the delivery when --mta-sts require finds no policy in
// force. (--dane require is judged per host.)
func (r *MXSendResult) required() error {
	if r.STSMode == EnforceRequire && !r.stsEnforced() {
		why := "the domain publishes no MTA-STS policy in enforce mode"
		if r.STS.Verdict != domain.STSOK && r.STS.Why != "" {
			why += " (" + r.STS.Why + ")"
		}
		return &NoRouteError{Why: "MTA-STS is required (--mta-sts require), and " + why}
	}
	return nil
}

func (r *MXSendResult) stsEnforced() bool { return r.STSMode != EnforceOff && r.STS.Enforced() }

// lastOutcome is the last attempt's outcome, for the error.
func (r *MXSendResult) lastOutcome() string {
	if len(r.Attempts) == 0 {
		return "no MX host has an address"
	}
	a := r.Attempts[len(r.Attempts)-1]
	return a.Host + ": " + a.Outcome
}

// tryHost tries host i: skipped when a policy refuses it, else each of its
// addresses until one takes the message or says no for good. It reports
// whether the delivery is over (delivered, or a 5xx).
func (r *MXSendResult) tryHost(ctx context.Context, cfg MXSendConfig, i int, h domain.Host, port string, t *wire.Transcript) bool {
	at := MXAttempt{Host: h.Name.String(), Preference: h.Preference}
	if why := r.refuse(i, h); why != "" {
		at.Outcome, at.Refused = why+": next MX", true
		r.note(t, at)
		return false
	}
	if len(h.Addrs) == 0 {
		at.Outcome = "no address: " + h.Problem + ": next MX"
		r.note(t, at)
		return false
	}
	for _, a := range h.Addrs {
		at.Addr = netip.AddrPortFrom(a, portNum(port)).String()
		t.Note(fmt.Sprintf("MX %s (preference %d), %s: %s", h.Name, h.Preference, at.Addr, r.policyWords(i)))
		s := cfg.Send
		s.Target, s.Options = at.Addr, r.options(cfg.Send.Options, i, h)
		if r.danes(i) || r.stsEnforced() {
			s.StartTLS = StartTLSRequire // RFC 7672 2.2, RFC 8461 5: TLS is mandatory
		}
		one := Send(ctx, s, t)
		at.Result, r.Final = &one, &one
		done, outcome := r.judge(i, one)
		at.Outcome, at.Delivered = outcome, one.Delivered()
		at.Refused = strings.HasPrefix(outcome, "refused by")
		r.Attempts = append(r.Attempts, at)
		if done {
			if !one.Delivered() {
				r.Err = one.Err
			}
			return true
		}
		t.Note(at.Host + ": " + outcome) // notes are sanitized where shown (EntryText)
	}
	return false
}

// note records an MX skipped without a connection.
func (r *MXSendResult) note(t *wire.Transcript, at MXAttempt) {
	r.Attempts = append(r.Attempts, at)
	t.Note(fmt.Sprintf("MX %s (preference %d): %s", at.Host, at.Preference, at.Outcome))
}

// refuse says why host i may not be used at all, or "".
func (r *MXSendResult) refuse(i int, h domain.Host) string {
	t := r.TLSA[i]
	switch {
	case r.DANE == EnforceRequire && !t.Applies():
		return "refused: DANE is required (--dane require), and " + h.Name.String() + " has " + t.Verdict + " (dane-required)"
	case r.DANE != EnforceOff && t.Verdict == domain.DANEBogus:
		return "refused by DANE: the TLSA lookup is bogus (dnssec-invalid): " + t.Why
	case r.stsEnforced() && r.STS.Policy.Match(h.Name.ASCII) == "":
		return "refused by MTA-STS: the enforce policy's mx patterns do not list " + h.Name.String() + " (validation-failure)"
	}
	return ""
}

// danes says whether DANE is enforced for host i: authentic TLSA records
// (RFC 7672 2.2), usable or not (TLS is mandatory either way).
func (r *MXSendResult) danes(i int) bool {
	return r.DANE != EnforceOff && r.TLSA[i].Applies()
}

// policyWords says what host i is held to, for the transcript.
func (r *MXSendResult) policyWords(i int) string {
	var p []string
	switch {
	case r.danes(i) && r.TLSA[i].Authenticates():
		p = append(p, "DANE enforced (TLSA authentic)")
	case r.danes(i):
		p = append(p, "TLS required (TLSA authentic, none usable)")
	}
	if r.stsEnforced() {
		p = append(p, "MTA-STS enforced (certificate must be valid for the MX name)")
	}
	if len(p) == 0 {
		return "opportunistic TLS"
	}
	return strings.Join(p, ", ")
}

// options are the connection settings for host i: SNI and name checks for
// the MX name; the chain checked against the TLSA records when they
// authenticate; WebPKI required only under an MTA-STS enforce policy
// (otherwise TLS is opportunistic, RFC 7435).
func (r *MXSendResult) options(o Options, i int, h domain.Host) Options {
	o.ServerName = h.Name.ASCII // WebPKI's name: the MX name (RFC 8461 4.1)
	if r.danes(i) {
		o.SNI = r.TLSA[i].SNI(h) // RFC 7672 8.1: the TLSA base domain
	}
	o.GreetingWait, o.ImplicitTLS, o.Plain = -1, false, true
	o.Insecure = !r.stsEnforced()
	if r.danes(i) && r.TLSA[i].Authenticates() {
		o.Check = daneCheck(r.TLSA[i], h)
		o.Check.Required = true
		if r.stsEnforced() {
			// RFC 8461 2: a DANE-validated MX need not also pass WebPKI;
			// the check vouches for the chain.
			o.Insecure = false
		}
	}
	return o
}

// judge says whether one session ends the delivery, and its outcome in
// words. RFC 5321 5.1: a connection that fails or a 4xx moves on to the
// next MX; a 5xx is the domain's answer.
func (r *MXSendResult) judge(i int, s SendResult) (done bool, outcome string) {
	if s.Delivered() {
		return true, "delivered"
	}
	var ref *RefusedError
	var chk *wire.CheckError
	switch {
	case errors.As(s.Err, &chk):
		return false, "refused by DANE: " + chk.Result.Detail + " (tlsa-invalid): next MX"
	case isStep(s.Err, StepStartTLS) && r.danes(i):
		return false, "refused by DANE: its TLSA records make TLS mandatory, and " + tlsFailure(s) + ": next MX"
	case isStep(s.Err, StepStartTLS) && r.stsEnforced():
		return false, "refused by MTA-STS: the enforce policy makes TLS mandatory, and " + tlsFailure(s) + ": next MX"
	case errors.As(s.Err, &ref) && ref.Reply.Code >= 500:
		return true, "refused for good: " + oneLine(ref.Reply)
	case errors.As(s.Err, &ref):
		return false, "deferred: " + oneLine(ref.Reply) + ": next MX"
	case s.Err == nil:
		return true, "stopped as asked"
	}
	return false, Explain(s.Err) + ": next MX"
}

// tlsFailure says why a session made no TLS, in words
// (starttls-not-supported, or the handshake's failure).
func tlsFailure(s SendResult) string {
	if n := len(s.Hellos); n > 0 && !s.Hellos[n-1].Caps.Has("STARTTLS") {
		return "the server does not offer STARTTLS (starttls-not-supported)"
	}
	if s.TLS == nil {
		var se *StepError
		if errors.As(s.Err, &se) {
			return "STARTTLS failed: " + Explain(se.Err)
		}
	}
	return Explain(s.Err)
}

// daneCheck checks a chain against host h's TLSA records (RFC 7672 3).
func daneCheck(t domain.TLSA, h domain.Host) *wire.ChainCheck {
	return &wire.ChainCheck{Name: "DANE", Check: func(chain []*x509.Certificate) (bool, string) {
		d := t.Check(chain, h)
		return d.Verdict == domain.DANEMatched, d.Text()
	}}
}
