package client

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ehlo-sh/ehlo/dns"
	"github.com/ehlo-sh/ehlo/wire"
)

// dnsShown bounds a D: line: the records it lists, and the bytes of one
// record's data or one error text. The line says what it left out.
const (
	dnsShown      = 10
	dnsShownBytes = 200
)

// DNSObserver records every exchange of a dns.Resolver in t, as a D: line
// (DNSLine).
func DNSObserver(t *wire.Transcript) dns.Observer {
	return func(x dns.Exchange) { t.DNS(DNSLine(x)) }
}

// DNSQuestion reads the question back from a D: line (DNSLine): its type
// and name, without the final dot ("MX", "lab.test").
func DNSQuestion(line string) (qtype, name string, ok bool) {
	q, _, ok := strings.Cut(line, " → ")
	f := strings.Fields(q)
	if !ok || len(f) < 2 {
		return "", "", false
	}
	return f[0], strings.TrimSuffix(f[1], "."), true
}

// DNSLine is one DNS exchange in a line: the question, then the CNAMEs it
// went through, the response code, whether the answer is authentic (the AD
// bit), Extended DNS Errors, the records in presentation form (the first
// dnsShown), and the time taken:
//
//	MX example.org. → NOERROR, authentic (AD), TTL 300: 10 mx1.example.org., 20 mx2.example.org. (12ms, 127.0.0.1:53)
//
// The line holds the answer's data unsanitized, as a Server entry holds
// the server's bytes: EntryText sanitizes it for display.
func DNSLine(x dns.Exchange) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", dns.TypeString(x.Type), x.Name)
	if u := dns.Display(x.Name); u != x.Name {
		b.WriteString(" (" + u + ")") // an internationalized name: asked in A-labels, shown in U-labels too
	}
	b.WriteString(" → ")
	if x.Answer == nil {
		b.WriteString("no answer: " + clip(strings.TrimPrefix(errText(x.Err), dns.TypeString(x.Type)+" "+dns.Shown(x.Name)+": ")))
	} else {
		writeAnswer(&b, x.Answer)
	}
	fmt.Fprintf(&b, " (%s", elapsed(x))
	if x.Attempts > 1 {
		fmt.Fprintf(&b, ", %d tries", x.Attempts)
	}
	if x.Server != "" {
		b.WriteString(", " + x.Server)
	}
	b.WriteString(")")
	return b.String()
}

func errText(err error) string {
	if err == nil {
		return "none"
	}
	return err.Error()
}

// elapsed is how long the exchange took, from its answer or its sending.
func elapsed(x dns.Exchange) string {
	d := time.Duration(0)
	switch {
	case x.Answer != nil:
		d = x.Answer.Elapsed
	case !x.Sent.IsZero():
		d = time.Since(x.Sent)
	}
	if d < 10*time.Millisecond {
		return d.Round(100 * time.Microsecond).String() // a resolver's cache answers within a millisecond
	}
	return d.Round(time.Millisecond).String()
}

// writeAnswer summarizes a.
func writeAnswer(b *strings.Builder, a *dns.Answer) {
	if len(a.CNAMEs) > 0 {
		fmt.Fprintf(b, "CNAME %s; ", strings.Join(a.CNAMEs, " → "))
	}
	b.WriteString(dns.RcodeString(a.Rcode))
	if a.NoData() {
		fmt.Fprintf(b, " (no %s records)", dns.TypeString(a.Type))
	}
	if a.Rcode == dns.RcodeSuccess || a.Rcode == dns.RcodeNXDomain {
		if a.Authentic {
			b.WriteString(", authentic (AD)")
		} else {
			b.WriteString(", insecure (no AD)")
		}
	}
	for _, e := range a.EDE {
		b.WriteString(", " + clip(e.String()))
	}
	if len(a.Records) == 0 {
		return
	}
	fmt.Fprintf(b, ", TTL %d: ", minTTL(a.Records))
	if len(a.Records) > dnsShown {
		fmt.Fprintf(b, "%d records, the first %d: ", len(a.Records), dnsShown)
	}
	for i, r := range a.Records[:min(len(a.Records), dnsShown)] {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(clip(r.String()))
	}
	if n := len(a.Records) - dnsShown; n > 0 {
		fmt.Fprintf(b, ", … %d more", n)
	}
}

func minTTL(rs []dns.Record) uint32 {
	m := rs[0].TTL
	for _, r := range rs[1:] {
		m = min(m, r.TTL)
	}
	return m
}

// clip cuts s to dnsShownBytes, at the start of a character, saying so.
func clip(s string) string {
	if len(s) <= dnsShownBytes {
		return s
	}
	n := dnsShownBytes
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return fmt.Sprintf("%s… (%d bytes)", s[:n], len(s))
}
