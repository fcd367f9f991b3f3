package domain

import (
	"context"
	"fmt"
	"strings"

	"github.com/ehlo-sh/ehlo/dns"
)

// TLS-RPT verdicts (RFC 8460 3).
const (
	RPTNone      = "not published"
	RPTOK        = "published"
	RPTInvalid   = "record invalid"
	RPTLookupErr = "lookup failed"
)

// RPT is a domain's TLS-RPT record: where senders send their reports of
// TLS failures (RFC 8460 3).
type RPT struct {
	Record  string   // the TXT record, joined, unsanitized
	RUA     []string // the report URIs: mailto: and https:, as published
	Query   *Query
	Verdict string
	Why     string
}

// LookupRPT asks for the _smtp._tls TXT record and parses it.
func LookupRPT(ctx context.Context, r dns.Resolver, d Name) RPT {
	var t RPT
	name := "_smtp._tls." + d.FQDN()
	a, err := r.Lookup(ctx, name, dns.TypeTXT)
	t.Query = &Query{Name: name, Type: dns.TypeTXT, Answer: a, Err: err}
	switch outcome(a, err) {
	case NoData, NXDomain:
		t.Verdict, t.Why = RPTNone, "no TXT record at "+strings.TrimSuffix(name, ".")+": senders send no reports of TLS failures"
		return t
	case Found:
	default:
		t.Verdict, t.Why = RPTLookupErr, describe(a, err)
		return t
	}
	var records []string
	for _, rec := range a.Records {
		if txt := strings.Join(rec.TXT, ""); strings.HasPrefix(txt, "v=TLSRPTv1") {
			records = append(records, txt)
		}
	}
	switch len(records) {
	case 0:
		t.Verdict, t.Why = RPTNone, "TXT records, none beginning v=TLSRPTv1"
		return t
	case 1:
	default:
		t.Verdict, t.Why = RPTInvalid, fmt.Sprintf("%d records begin v=TLSRPTv1: senders send no reports (RFC 8460 3)", len(records))
		return t
	}
	t.Record = records[0]
	rua, err := ParseRPT(t.Record)
	if err != nil {
		t.Verdict, t.Why = RPTInvalid, err.Error()
		return t
	}
	t.RUA, t.Verdict = rua, RPTOK
	t.Why = "reports go to " + strings.Join(rua, ", ")
	return t
}

// ParseRPT reads "v=TLSRPTv1; rua=URI[,URI…]" (RFC 8460 3) and gives the
// report URIs; each must be mailto: or https:.
func ParseRPT(txt string) ([]string, error) {
	fields := strings.Split(txt, ";")
	if strings.Trim(fields[0], " \t") != "v=TLSRPTv1" {
		return nil, fmt.Errorf("the record does not begin \"v=TLSRPTv1;\": %s", quote(txt))
	}
	var rua []string
	seen := false
	for _, f := range fields[1:] {
		f = strings.Trim(f, " \t")
		if f == "" {
			continue
		}
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return nil, fmt.Errorf("field %s is not key=value", quote(f))
		}
		if k != "rua" || seen {
			continue
		}
		seen = true
		for _, u := range strings.Split(v, ",") {
			u = strings.Trim(u, " \t")
			lower := strings.ToLower(u)
			if strings.ContainsFunc(u, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
				return nil, fmt.Errorf("rua %s holds a space, control or non-ASCII character (RFC 3986 URIs have none)", quote(u))
			}
			if !strings.HasPrefix(lower, "mailto:") && !strings.HasPrefix(lower, "https:") || len(u) < 8 {
				return nil, fmt.Errorf("rua %s is neither a mailto: nor an https: URI", quote(u))
			}
			rua = append(rua, u)
		}
	}
	if !seen {
		return nil, fmt.Errorf("the record has no rua: nowhere to send reports")
	}
	return rua, nil
}
