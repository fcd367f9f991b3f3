package domain

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ehlo-sh/ehlo/dns"
)

var errNoAnswer = errors.New("the resolver returned neither an answer nor an error")

// Outcome is what an answer amounts to, whatever the question.
type Outcome int

const (
	Found    Outcome = iota // records of the asked type
	NoData                  // the name exists, without records of this type
	NXDomain                // the name does not exist
	Bogus                   // SERVFAIL with a DNSSEC Extended DNS Error: validation failed
	ServFail                // SERVFAIL without saying why: DNSSEC bogus, or servers unreachable
	Failed                  // no answer (timeout, network) or another response code
)

// dnssecEDE are the Extended DNS Error codes (RFC 8914 section 4) that
// say DNSSEC validation failed.
var dnssecEDE = []uint16{1, 2, 5, 6, 7, 8, 9, 10, 11, 12}

// outcome classifies an answer.
func outcome(a *dns.Answer, err error) Outcome {
	switch {
	case err != nil || a == nil:
		return Failed
	case a.Rcode == dns.RcodeNXDomain:
		return NXDomain
	case a.Rcode == dns.RcodeServFail && dnssecFailure(a):
		return Bogus
	case a.Rcode == dns.RcodeServFail:
		return ServFail
	case a.Rcode != dns.RcodeSuccess:
		return Failed
	case len(a.Records) == 0:
		return NoData
	}
	return Found
}

func dnssecFailure(a *dns.Answer) bool {
	for _, e := range a.EDE {
		if slices.Contains(dnssecEDE, e.Code) {
			return true
		}
	}
	return false
}

// describe says in words what an answer said, for a name: "no such name
// (NXDOMAIN)", "DNSSEC validation failed (SERVFAIL, EDE 6 DNSSEC Bogus)".
// Text from the resolver (EDE extra text, errors) is kept as it came, like
// every text of this package: the display sanitizes it (session.Sanitize).
func describe(a *dns.Answer, err error) string {
	switch outcome(a, err) {
	case Found:
		return fmt.Sprintf("%d records", len(a.Records))
	case NoData:
		return "no records of this type (NODATA)"
	case NXDomain:
		return "no such name (NXDOMAIN)"
	case Bogus:
		return "DNSSEC validation failed (SERVFAIL" + edeText(a) + ")"
	case ServFail:
		return "the resolver could not answer (SERVFAIL: DNSSEC bogus, or the name's servers unreachable)"
	}
	if err == nil && a != nil {
		return fmt.Sprintf("response code %d", a.Rcode)
	}
	switch {
	case errors.Is(err, dns.ErrCNAMELoop), errors.Is(err, dns.ErrCNAMEChain):
		return err.Error()
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer from the resolver in time"
	}
	return "no answer: " + err.Error()
}

// edeText lists an answer's Extended DNS Errors: ", EDE 6 DNSSEC Bogus: text".
func edeText(a *dns.Answer) string {
	var b strings.Builder
	for _, e := range a.EDE {
		fmt.Fprintf(&b, ", EDE %d", e.Code)
		if name := edeNames[e.Code]; name != "" {
			b.WriteString(" " + name)
		}
		if e.Text != "" {
			b.WriteString(": " + e.Text)
		}
	}
	return b.String()
}

// edeNames are the IANA names of Extended DNS Error codes (RFC 8914 4).
var edeNames = map[uint16]string{
	0: "Other", 1: "Unsupported DNSKEY Algorithm", 2: "Unsupported DS Digest Type", 3: "Stale Answer",
	4: "Forged Answer", 5: "DNSSEC Indeterminate", 6: "DNSSEC Bogus", 7: "Signature Expired",
	8: "Signature Not Yet Valid", 9: "DNSKEY Missing", 10: "RRSIGs Missing", 11: "No Zone Key Bit Set",
	12: "NSEC Missing", 13: "Cached Error", 14: "Not Ready", 15: "Blocked", 16: "Censored", 17: "Filtered",
	18: "Prohibited", 19: "Stale NXDOMAIN Answer", 20: "Not Authoritative", 21: "Not Supported",
	22: "No Reachable Authority", 23: "Network Error", 24: "Invalid Data",
}

// TypeName is a record type's mnemonic: "MX", "TLSA".
func TypeName(t uint16) string {
	switch t {
	case dns.TypeA:
		return "A"
	case dns.TypeNS:
		return "NS"
	case dns.TypeCNAME:
		return "CNAME"
	case dns.TypePTR:
		return "PTR"
	case dns.TypeMX:
		return "MX"
	case dns.TypeTXT:
		return "TXT"
	case dns.TypeAAAA:
		return "AAAA"
	case dns.TypeTLSA:
		return "TLSA"
	}
	return fmt.Sprintf("TYPE%d", t)
}

// maxCNAMEs is the longest CNAME chain followed: resolvers stop near 8 to
// 16; a longer one is a loop or a mistake.
const maxCNAMEs = 10

// chainProblem says what is wrong with an answer's CNAME chain: a loop
// (a name met twice) or a chain too long; "" when it is fine.
func chainProblem(a *dns.Answer) string {
	if a == nil || len(a.CNAMEs) == 0 {
		return ""
	}
	seen := map[string]bool{strings.ToLower(a.Name): true}
	for _, c := range a.CNAMEs {
		c = strings.ToLower(c)
		if seen[c] {
			return "CNAME loop: " + strings.TrimSuffix(c, ".") + " is met twice"
		}
		seen[c] = true
	}
	if len(a.CNAMEs) > maxCNAMEs {
		return fmt.Sprintf("CNAME chain of %d names, over the %d followed", len(a.CNAMEs), maxCNAMEs)
	}
	return ""
}
