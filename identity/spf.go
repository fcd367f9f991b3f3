package identity

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/ehlo-sh/ehlo/dns"
)

// Result is an SPF result (RFC 7208 2.6).
type Result string

// The SPF results.
const (
	Pass      Result = "pass"
	Fail      Result = "fail"
	SoftFail  Result = "softfail"
	Neutral   Result = "neutral"
	None      Result = "none"
	TempError Result = "temperror"
	PermError Result = "permerror"
)

// The limits of an SPF evaluation (RFC 7208 4.6.4).
const (
	MaxLookups  = 10               // terms that cause DNS lookups: include, a, mx, ptr, exists, redirect
	MaxVoids    = 2                // lookups that find no such name or no records
	MaxMXNames  = 10               // MX records an mx mechanism looks at
	MaxPTRNames = 10               // PTR names a ptr mechanism (or %{p}) looks at
	SPFTimeout  = 20 * time.Second // the whole evaluation (RFC 7208 4.6.4 suggests 20 seconds at least)
	maxDepth    = 20               // nested include/redirect; the lookup limit stops loops sooner
)

// SPF is the outcome of one check_host() evaluation (RFC 7208 4) with its
// trace.
type SPF struct {
	Scope   string // "mfrom", the MAIL FROM identity, or "helo" for a null sender
	Sender  string // the identity checked: the MAIL FROM address, or postmaster@HELO
	Domain  string // its domain, where the record is looked up
	IP      netip.Addr
	Result  Result
	Reason  string // why, in words
	Record  string // Domain's SPF record, its strings joined; "" when there is none
	Matched string // the term of Record that decided, "" when none did (neutral by default)
	Lookups int    // terms that caused DNS lookups, against MaxLookups
	Voids   int    // void lookups, against MaxVoids
	Trace   []Step
	Fix     string // for fail and softfail: what to change in the record; for permerror, what is wrong
	// For a permerror: its cause, the term at fault ("" when not one term)
	// and the domain whose record holds it.
	Cause       PermCause
	Term        string
	CauseDomain string
}

// Step is one line of the trace: a record looked up, or a term evaluated.
type Step struct {
	Depth    int    // 0 for the sender's domain, 1 inside its include or redirect, ...
	Domain   string // the domain whose record holds the term
	Term     string // as written, "" for the record's lookup
	Expanded string // the term's domain after macro expansion, when it has one
	Note     string // what happened, in words
	Lookups  int    // the lookup count after this step
	Voids    int    // the void-lookup count after this step
}

// CheckSPF evaluates SPF for a message from ip with the MAIL FROM address
// sender, or, for the null sender (""), for the HELO name (RFC 7208 2.3,
// 2.4).
func CheckSPF(ctx context.Context, r dns.Resolver, ip netip.Addr, sender, helo string) SPF {
	ctx, cancel := context.WithTimeout(ctx, SPFTimeout)
	defer cancel()
	ip = ip.Unmap()
	out := SPF{Scope: "mfrom", IP: ip, Sender: sender}
	if sender == "" || !strings.Contains(sender, "@") {
		out.Scope = "helo"
		out.Sender = "postmaster@" + helo
		if sender != "" { // a sender without @ is a local part of the HELO domain (RFC 7208 4.3)
			out.Sender = sender + "@" + helo
		}
	}
	local, domain := splitSender(out.Sender)
	if local == "" {
		local, out.Sender = "postmaster", "postmaster@"+domain // RFC 7208 4.3
	}
	out.Domain = domain
	e := &evaluator{ctx: ctx, r: r, ip: ip, sender: out.Sender, local: local, senderDomain: domain, helo: helo}
	res, reason, matched := e.checkHost(domain, 0)
	out.Result, out.Reason, out.Matched = res, reason, matched
	if res == PermError && e.perm != nil {
		out.Cause, out.Term, out.CauseDomain = e.perm.cause, e.perm.term, e.perm.domain
	}
	out.Record, out.Lookups, out.Voids, out.Trace = e.topRecord, e.lookups, e.voids, e.trace
	out.Fix = spfFix(out)
	return out
}

// splitSender splits an address at its last @, lowering the domain.
func splitSender(s string) (local, domain string) {
	i := strings.LastIndexByte(s, '@')
	if i < 0 {
		return "", bare(s)
	}
	return s[:i], bare(s[i+1:])
}

// evaluator is one check_host() run: the counts are shared by every
// include and redirect it follows (RFC 7208 4.6.4).
type evaluator struct {
	ctx                               context.Context
	r                                 dns.Resolver
	ip                                netip.Addr
	sender, local, senderDomain, helo string
	lookups, voids                    int
	trace                             []Step
	topRecord                         string
	validated                         []string // %{p} and ptr: names of ip, forward-confirmed
	validatedDone                     bool
	perm                              *spfError // the first permerror, for the advice
}

// spfError ends an evaluation with temperror or permerror.
type spfError struct {
	result Result
	reason string
	cause  PermCause // for a permerror: what kind of fault, for the advice (spfFix)
	term   string    // the term at fault, as written; "" when not one term
	domain string    // whose record holds it
}

func (e *spfError) Error() string { return string(e.result) + ": " + e.reason }

// permerror is a fault of the record itself: a term that does not parse,
// a macro that does not expand (CauseSyntax).
func permerror(format string, args ...any) error {
	return &spfError{result: PermError, reason: fmt.Sprintf(format, args...), cause: CauseSyntax}
}

// permerrorFor is a permerror of another cause.
func permerrorFor(cause PermCause, format string, args ...any) error {
	return &spfError{result: PermError, reason: fmt.Sprintf(format, args...), cause: cause}
}

func temperror(format string, args ...any) error {
	return &spfError{result: TempError, reason: fmt.Sprintf(format, args...)}
}

// PermCause is why an SPF record is a permerror, so that the advice fits
// the fault.
type PermCause string

const (
	CauseSyntax     PermCause = "syntax"       // a term that does not parse, or a macro that does not expand (RFC 7208 4.6, 7)
	CauseLookups    PermCause = "lookups"      // more than 10 terms that ask DNS (RFC 7208 4.6.4)
	CauseVoids      PermCause = "voids"        // more than 2 lookups that found nothing (RFC 7208 4.6.4)
	CauseNoSPF      PermCause = "include-none" // include: or redirect= of a domain without SPF (RFC 7208 5.2, 6.1)
	CauseTwoRecords PermCause = "two-records"  // more than one SPF record (RFC 7208 4.5)
	CauseDepth      PermCause = "depth"        // include and redirect nested too deep
	CauseMXNames    PermCause = "mx-names"     // an mx mechanism's domain has more than 10 MX records (RFC 7208 4.6.4)
)

// blame records the first permerror of the evaluation, where it arose:
// the innermost, the one the advice is about.
func (e *evaluator) blame(err error, domain, term string) {
	var se *spfError
	if e.perm != nil || !errors.As(err, &se) || se.result != PermError {
		return
	}
	p := *se
	if p.term == "" {
		p.term = term
	}
	if p.domain == "" {
		p.domain = domain
	}
	e.perm = &p
}

// step adds a line to the trace.
func (e *evaluator) step(depth int, domain, term, expanded, note string) {
	e.trace = append(e.trace, Step{Depth: depth, Domain: domain, Term: term, Expanded: expanded, Note: note,
		Lookups: e.lookups, Voids: e.voids})
}

// checkHost is RFC 7208 4: the record of domain, evaluated term by term.
// matched is the term that decided.
func (e *evaluator) checkHost(domain string, depth int) (res Result, reason, matched string) {
	if err := validDomain(domain); err != nil {
		e.step(depth, domain, "", "", "not a domain SPF can check: "+err.Error())
		return None, domain + " is not a domain SPF can check (" + err.Error() + ")", ""
	}
	rec, err := e.record(domain, depth)
	if err != nil {
		e.blame(err, domain, "")
		return errResult(err)
	}
	if rec == "" {
		return None, domain + " publishes no SPF record", ""
	}
	if depth == 0 {
		e.topRecord = rec
	}
	terms, err := parseRecord(rec)
	if err != nil {
		e.step(depth, domain, "", "", err.(*spfError).reason)
		e.blame(err, domain, "")
		return errResult(err)
	}
	return e.evaluate(domain, depth, terms)
}

func errResult(err error) (Result, string, string) {
	var se *spfError
	if errors.As(err, &se) {
		return se.result, se.reason, ""
	}
	return TempError, err.Error(), ""
}

// evaluate runs the mechanisms in order, then redirect= when none matched
// (RFC 7208 4.6.2, 6.1).
func (e *evaluator) evaluate(domain string, depth int, terms []term) (Result, string, string) {
	var redirect *term
	hasAll := false
	for i := range terms {
		t := &terms[i]
		switch {
		case t.modifier && t.name == "redirect":
			redirect = t
			continue
		case t.modifier:
			continue
		case t.name == "all":
			hasAll = true
		}
		ok, err := e.mechanism(domain, depth, t)
		if err != nil {
			e.step(depth, domain, t.raw, "", err.(*spfError).reason)
			e.blame(err, domain, t.raw)
			return errResult(err)
		}
		if ok {
			res := t.result()
			return res, fmt.Sprintf("%s matched in the record of %s: %s", t.raw, domain, res), t.raw
		}
	}
	if redirect == nil || hasAll {
		e.step(depth, domain, "", "", "no mechanism matched: neutral (the default)")
		return Neutral, "no mechanism of the record of " + domain + " matched: neutral is the default", ""
	}
	return e.redirect(domain, depth, redirect)
}

// redirect follows redirect= (RFC 7208 6.1): the target's result is the
// record's, and a target without a record is a permerror.
func (e *evaluator) redirect(domain string, depth int, t *term) (Result, string, string) {
	if err := e.count(); err != nil {
		e.step(depth, domain, t.raw, "", err.(*spfError).reason)
		e.blame(err, domain, t.raw)
		return errResult(err)
	}
	target, err := e.expandDomain(t.arg, domain)
	if err != nil {
		e.step(depth, domain, t.raw, "", err.(*spfError).reason)
		e.blame(err, domain, t.raw)
		return errResult(err)
	}
	e.step(depth, domain, t.raw, target, "no mechanism matched: following the redirect")
	if depth >= maxDepth {
		err := permerrorFor(CauseDepth, "include and redirect nested more than %d deep", maxDepth)
		e.blame(err, domain, t.raw)
		return errResult(err)
	}
	res, reason, matched := e.checkHost(target, depth+1)
	if res == None {
		err := permerrorFor(CauseNoSPF, "redirect=%s: %s (a redirect to a domain without SPF is a permerror)", target, reason)
		e.blame(err, domain, t.raw)
		return PermError, err.(*spfError).reason, t.raw
	}
	return res, reason, t.raw + " then " + matched
}

// count counts a term that causes DNS lookups (RFC 7208 4.6.4).
func (e *evaluator) count() error {
	e.lookups++
	if e.lookups > MaxLookups {
		return permerrorFor(CauseLookups, "more than %d DNS lookups (include, a, mx, ptr, exists, redirect): the limit of RFC 7208 4.6.4", MaxLookups)
	}
	return nil
}

// void counts a lookup that found no such name, or no records.
func (e *evaluator) void() error {
	e.voids++
	if e.voids > MaxVoids {
		return permerrorFor(CauseVoids, "more than %d void lookups (names that do not exist or have no records): the limit of RFC 7208 4.6.4", MaxVoids)
	}
	return nil
}

// record finds domain's SPF record (RFC 7208 4.4, 4.5): "" when there is
// none.
func (e *evaluator) record(domain string, depth int) (string, error) {
	a, err := e.ask(domain, dns.TypeTXT)
	if err != nil {
		e.step(depth, domain, "", "", "TXT lookup failed: "+err.Error())
		return "", err
	}
	var found []string
	for _, rr := range a.Records {
		txt := strings.Join(rr.TXT, "") // RFC 7208 3.3: the strings joined without spaces
		if isSPF(txt) {
			found = append(found, txt)
		}
	}
	switch {
	case a.Rcode == dns.RcodeNXDomain:
		e.step(depth, domain, "", "", "the domain does not exist (NXDOMAIN): none")
		return "", nil
	case len(found) == 0:
		e.step(depth, domain, "", "", fmt.Sprintf("no SPF record among %d TXT records: none", len(a.Records)))
		return "", nil
	case len(found) > 1:
		e.step(depth, domain, "", "", fmt.Sprintf("%d SPF records: permerror (RFC 7208 4.5 allows one)", len(found)))
		return "", permerrorFor(CauseTwoRecords, "%s publishes %d SPF records; RFC 7208 4.5 allows one", domain, len(found))
	}
	e.step(depth, domain, "", "", "record: "+found[0])
	return found[0], nil
}

// isSPF reports whether a TXT record is an SPF record: "v=spf1" alone or
// followed by a space (RFC 7208 4.5).
func isSPF(txt string) bool {
	if len(txt) < 6 || !strings.EqualFold(txt[:6], "v=spf1") {
		return false
	}
	return len(txt) == 6 || txt[6] == ' '
}

// ask asks one question. An answer that is not NOERROR or NXDOMAIN, and no
// answer at all, are temporary errors (RFC 7208 2.6.6); a name DNS cannot
// ask (dns.ErrName) is answered as a name that does not exist.
func (e *evaluator) ask(name string, qtype uint16) (*dns.Answer, error) {
	if err := e.ctx.Err(); err != nil {
		return nil, temperror("the evaluation ran out of time (%s)", SPFTimeout)
	}
	a, err := e.r.Lookup(e.ctx, name, qtype)
	switch {
	case errors.Is(err, dns.ErrName):
		return &dns.Answer{Name: name, Type: qtype, Rcode: dns.RcodeNXDomain}, nil
	case err != nil:
		return nil, temperror("%s %s: %v", dns.TypeString(qtype), name, err)
	case a.Rcode != dns.RcodeSuccess && a.Rcode != dns.RcodeNXDomain:
		return nil, temperror("%s %s: the resolver answered %s", dns.TypeString(qtype), name, dns.RcodeString(a.Rcode))
	}
	return a, nil
}

// isVoid reports an answer that counts as a void lookup.
func isVoid(a *dns.Answer) bool { return a.Rcode == dns.RcodeNXDomain || len(a.Records) == 0 }

// addrType is the address record type matching ip's family.
func (e *evaluator) addrType() uint16 {
	if e.ip.Is4() {
		return dns.TypeA
	}
	return dns.TypeAAAA
}

// validDomain checks a domain as RFC 7208 4.3 wants it: labels of 1 to 63
// octets, at least two of them, 253 octets at most.
func validDomain(d string) error {
	d = strings.TrimSuffix(d, ".")
	labels := strings.Split(d, ".")
	switch {
	case d == "":
		return errors.New("empty")
	case len(d) > 253:
		return errors.New("longer than 253 octets")
	case len(labels) < 2:
		return errors.New("a single label")
	}
	for _, l := range labels {
		if l == "" {
			return errors.New("an empty label")
		}
		if len(l) > 63 {
			return errors.New("a label longer than 63 octets")
		}
	}
	return nil
}
