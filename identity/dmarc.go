package identity

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/ehlo-sh/ehlo/dns"
)

// DMARC is the sender domain's DMARC policy (RFC 7489) and what a receiver
// would do with this message if DKIM does not pass: ehlo does not sign
// with DKIM, so only SPF can align here.
type DMARC struct {
	Domain     string // the From: header's domain, whose policy applies
	FromHeader bool   // Domain came from a From: header given; else the MAIL FROM's is assumed
	OrgDomain  string // the organizational domain (public suffix list)
	At         string // where the record was found: _dmarc.Domain or _dmarc.OrgDomain; "" for none
	Record     string
	Policy     string // p=: none, quarantine, reject
	SubPolicy  string // sp=, "" when absent
	Applied    string // the policy that applies to Domain: p, or sp for a subdomain under the organizational record
	Pct        int    // pct=, 100 when absent
	ASPF       string // "r" (relaxed, the default) or "s" (strict)
	Unknown    []string
	Problem    string // what is wrong with the record, in words
	// SPFAligned: SPF passed for a domain that aligns with Domain
	// (RFC 7489 3.1.2).
	SPFAligned bool
	SPFDomain  string
	Result     string // "pass", "fail", "none" (no policy), "temperror"
	// Outcome is what a receiver applying the policy does when DKIM does
	// not pass either: "none", "quarantine" or "reject"; "" when it
	// passes or there is no policy.
	Outcome string
	Trace   []string
}

// CheckDMARC finds the DMARC policy for headerFrom's domain (the MAIL FROM
// domain of spf when headerFrom is "") and judges SPF's alignment with it
// (RFC 7489 6.6).
func CheckDMARC(ctx context.Context, r dns.Resolver, spf SPF, headerFrom string) DMARC {
	d := DMARC{Domain: spf.Domain, SPFDomain: spf.Domain, Pct: 100, ASPF: "r"}
	if spf.Scope == "helo" && headerFrom == "" {
		d.Result = "none"
		d.Trace = append(d.Trace, "the null sender has no From: domain to judge; give the message's From: (--header-from)")
		return d
	}
	if headerFrom != "" {
		d.Domain, d.FromHeader = domainOf(headerFrom), true
	}
	d.OrgDomain = orgDomain(d.Domain)
	rec, at, err := d.find(ctx, r)
	if err != nil {
		d.Result, d.Problem = "temperror", err.Error()
		return d
	}
	if rec == "" {
		d.Result = "none"
		return d
	}
	d.Record, d.At = rec, at
	if !d.parse(rec) {
		d.Result = "none"
		return d
	}
	d.judge(spf)
	return d
}

// orgDomain is the organizational domain: one label under the public
// suffix (RFC 7489 3.2).
func orgDomain(domain string) string {
	org, err := publicsuffix.EffectiveTLDPlusOne(bare(domain))
	if err != nil {
		return bare(domain)
	}
	return org
}

// find looks for the record at _dmarc.Domain, then at the organizational
// domain (RFC 7489 6.6.3).
func (d *DMARC) find(ctx context.Context, r dns.Resolver) (rec, at string, err error) {
	names := []string{"_dmarc." + d.Domain}
	if d.OrgDomain != d.Domain {
		names = append(names, "_dmarc."+d.OrgDomain)
	}
	for _, name := range names {
		recs, err := dmarcRecords(ctx, r, name)
		if err != nil {
			d.Trace = append(d.Trace, name+": "+err.Error())
			return "", "", err
		}
		switch len(recs) {
		case 0:
			d.Trace = append(d.Trace, name+": no DMARC record")
			continue
		case 1:
			d.Trace = append(d.Trace, name+": "+recs[0])
			return recs[0], name, nil
		}
		d.Trace = append(d.Trace, fmt.Sprintf("%s: %d DMARC records: none applies (RFC 7489 6.6.3)", name, len(recs)))
		d.Problem = fmt.Sprintf("%s publishes %d DMARC records; receivers apply none", name, len(recs))
		return "", "", nil
	}
	return "", "", nil
}

// dmarcRecords are the TXT records at name that start with v=DMARC1.
func dmarcRecords(ctx context.Context, r dns.Resolver, name string) ([]string, error) {
	a, err := r.Lookup(ctx, name, dns.TypeTXT)
	if err != nil {
		return nil, err
	}
	if a.Rcode != dns.RcodeSuccess && a.Rcode != dns.RcodeNXDomain {
		return nil, fmt.Errorf("the resolver answered %s", dns.RcodeString(a.Rcode))
	}
	var out []string
	for _, rr := range a.Records {
		txt := strings.Join(rr.TXT, "")
		v, _, _ := strings.Cut(txt, ";")
		if strings.EqualFold(strings.ReplaceAll(v, " ", ""), "v=DMARC1") {
			out = append(out, txt)
		}
	}
	return out, nil
}

// parse reads the tags (RFC 7489 6.3); false when no policy applies: no
// valid p= and no rua= to report to (RFC 7489 6.6.3).
func (d *DMARC) parse(rec string) bool {
	tags := map[string]string{}
	for _, part := range strings.Split(rec, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		switch k {
		case "v", "p", "sp", "pct", "aspf", "adkim", "rua", "ruf", "fo", "rf", "ri":
			tags[k] = v
		default:
			d.Unknown = append(d.Unknown, k)
		}
	}
	d.Policy, d.SubPolicy = strings.ToLower(tags["p"]), strings.ToLower(tags["sp"])
	if n, err := strconv.Atoi(tags["pct"]); err == nil && n >= 0 && n <= 100 {
		d.Pct = n
	}
	if strings.EqualFold(tags["aspf"], "s") {
		d.ASPF = "s"
	}
	if !validPolicy(d.SubPolicy) && d.SubPolicy != "" {
		d.Problem = "sp=" + d.SubPolicy + " is not none, quarantine or reject"
		d.SubPolicy = ""
	}
	if !validPolicy(d.Policy) {
		d.Problem = "the record has no valid p= (none, quarantine or reject)"
		if tags["rua"] == "" {
			d.Problem += " and no rua=: receivers apply no DMARC policy (RFC 7489 6.6.3)"
			return false
		}
		d.Problem += "; with rua= present receivers act as if p=none (RFC 7489 6.6.3)"
		d.Policy = "none"
	}
	return true
}

func validPolicy(p string) bool { return p == "none" || p == "quarantine" || p == "reject" }

// judge decides alignment and the outcome.
func (d *DMARC) judge(spf SPF) {
	d.Applied = d.Policy
	if d.At != "_dmarc."+d.Domain && d.SubPolicy != "" {
		d.Applied = d.SubPolicy // RFC 7489 6.3 sp: the organizational record, for a subdomain
	}
	aligned := bare(spf.Domain) == bare(d.Domain)
	if d.ASPF == "r" {
		aligned = orgDomain(spf.Domain) == d.OrgDomain
	}
	d.SPFAligned = spf.Result == Pass && aligned
	switch {
	case d.SPFAligned:
		d.Result = "pass"
	case spf.Result == TempError:
		d.Result = "temperror"
	default:
		d.Result, d.Outcome = "fail", d.Applied
	}
}

// AlignmentWords says why SPF does or does not align, in a sentence.
func (d DMARC) AlignmentWords(spf SPF) string {
	mode := map[string]string{"r": "relaxed", "s": "strict"}[d.ASPF]
	switch {
	case spf.Result != Pass:
		return fmt.Sprintf("SPF did not pass (%s), so it cannot align", spf.Result)
	case d.SPFAligned:
		return fmt.Sprintf("SPF passed for %s, which aligns with %s (%s alignment)", spf.Domain, d.Domain, mode)
	}
	return fmt.Sprintf("SPF passed for %s, which does not align with the From: domain %s (%s alignment)", spf.Domain, d.Domain, mode)
}
