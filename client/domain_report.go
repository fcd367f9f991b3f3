package client

import (
	"cmp"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/ehlo-sh/ehlo/dns"
	"github.com/ehlo-sh/ehlo/domain"
	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// DomainFormat shapes WriteDomain.
type DomainFormat struct {
	Verbose    bool // each address's whole probe (capabilities, certificate), as probe prints one target
	Transcript bool // the D: lines, then each probe's C:/S: lines
	Waterfall  WaterfallOptions
}

// WriteDomain prints a domain probe for people: the route, each MX
// address probed, DANE, MTA-STS and TLS-RPT, the verdicts and the timing.
// Every name and text from DNS, HTTPS or a server goes through session's
// sanitizer.
func WriteDomain(w io.Writer, r DomainResult, f DomainFormat) {
	p := &printer{w: w}
	if r.Err != nil {
		p.linef("%s  not a domain: %s", clean(r.Arg), clean(r.Err.Error()))
		return
	}
	p.route(r)
	for i, h := range r.Route.Hosts {
		for j := range h.Addrs {
			p.blank()
			p.addrProbe(r, i, j, f)
		}
	}
	if len(r.Route.Hosts) > 0 {
		p.blank()
		p.dane(r)
	}
	p.blank()
	p.sts(r)
	p.rpt(r)
	p.blank()
	p.verdicts(r)
	if len(r.DNS) > 0 || len(r.Route.Hosts) > 0 {
		p.blank()
		p.linef("timing")
		spans, o := DomainTimeline(r), f.Waterfall
		for _, s := range spans {
			o.Labels = max(o.Labels, len([]rune(s.Label)))
		}
		WriteWaterfall(p.w, spans, o)
	}
	if f.Transcript {
		p.blank()
		p.transcripts(r)
	}
}

// route prints how mail reaches the domain.
func (p *printer) route(r DomainResult) {
	rt := r.Route
	auth := "not DNSSEC-validated (an unsigned zone, or a resolver that does not validate)"
	if rt.Authentic {
		auth = "DNSSEC-validated"
	}
	port := ""
	if r.Port != "25" {
		port = "  (MX port " + r.Port + ", not 25)"
	}
	p.linef("%s%s", clean(rt.Domain.String()), port)
	if len(rt.CNAMEs) > 0 {
		p.linef("  CNAME  %s → %s", clean(rt.Domain.ASCII), clean(dns.Chain(rt.CNAMEs)))
	}
	switch rt.Kind {
	case domain.KindMX:
		p.linef("  MX records, %s%s", auth, took(queryTook(r, rt.MX)))
	case domain.KindImplicit:
		p.linef("  no MX records (%s): the domain's own addresses are its MX, the implicit MX (RFC 5321 5.1)", auth)
	case domain.KindNullMX:
		p.linef("  null MX (%s): %s", auth, clean(rt.Problem))
		return
	case domain.KindNone:
		p.linef("  no route: %s", clean(rt.Problem))
		return
	}
	width := 0
	for _, h := range rt.Hosts {
		width = max(width, len(clean(h.Name.String())))
	}
	for _, h := range rt.Hosts {
		pref := fmt.Sprintf("%3d", h.Preference)
		if h.Preference < 0 {
			pref = "  -"
		}
		p.linef("  %s  %-*s  %s", pref, width, clean(h.Name.String()), hostLine(h))
	}
	for _, n := range rt.Notes {
		p.linef("  note: %s", clean(n))
	}
}

// hostLine is a host's addresses, CNAME and authenticity in one line.
func hostLine(h domain.Host) string {
	var parts []string
	if len(h.CNAMEs) > 0 {
		parts = append(parts, "CNAME → "+clean(dns.Chain(h.CNAMEs))+" (RFC 2181 10.3: an MX should not name an alias)")
	}
	for _, a := range h.Addrs {
		parts = append(parts, a.String())
	}
	if h.Omitted > 0 {
		parts = append(parts, fmt.Sprintf("and %d more addresses, not probed", h.Omitted))
	}
	if h.Problem != "" {
		parts = append(parts, clean(h.Problem))
	}
	if len(h.Addrs) > 0 && !h.Authentic {
		parts = append(parts, "(addresses not DNSSEC-validated)")
	}
	return strings.Join(parts, "  ")
}

// queryTook is how long a route's question took, from the log.
func queryTook(r DomainResult, q *domain.Query) time.Duration {
	if q == nil {
		return 0
	}
	for _, l := range r.DNS {
		if l.Name == q.Name && l.Type == q.Type {
			return l.Took
		}
	}
	return 0
}

// addrProbe prints one address's probe, short unless verbose.
func (p *printer) addrProbe(r DomainResult, i, j int, f DomainFormat) {
	h, pr := r.Route.Hosts[i], r.Probes[i][j]
	if f.Verbose {
		p.linef("%s", clean(h.Name.String()))
		if pr.TLS != nil { // opportunistic, not --insecure: say "NOT verified", not "UNVERIFIED (--insecure)"
			t := *pr.TLS
			t.Insecure = false
			pr.TLS = &t
		}
		WriteProbe(p.w, pr)
		return
	}
	p.linef("%s  %s%s", clean(h.Name.String()), clean(pr.Target), took(pr.Connect))
	if pr.Greeting != nil {
		p.linef("  greeting     %d %s", pr.Greeting.Code, clean(firstLine(*pr.Greeting)))
	}
	if plain := pr.Plain(); plain != nil && plain.Reply.OK() {
		offered := "STARTTLS offered"
		if !plain.Caps.Has("STARTTLS") {
			offered = "no STARTTLS: mail to this address travels in clear"
		}
		p.linef("  EHLO         %d, %s", plain.Reply.Code, offered)
	}
	if t := pr.TLS; t != nil && !isStep(pr.Err, StepStartTLS) {
		p.linef("  TLS          %s  %s%s", t.Version, t.Cipher, took(t.Handshake))
		p.linef("  certificate  %s", certVerdict(*t, h))
	}
	if d := r.DANE[i][j]; d != nil {
		p.linef("  DANE         %s: %s", d.Text(), clean(d.Why))
	}
	if pr.Err != nil {
		p.linef("  error        %s", Explain(pr.Err))
	}
}

// certVerdict says whether WebPKI trusts the certificate for the MX name.
func certVerdict(t wire.TLSInfo, h domain.Host) string {
	subject := ""
	if len(t.Chain) > 0 {
		subject = "  (" + clean(t.Chain[0].Subject) + ", " + untilText(t.Chain[0].NotAfter) + ")"
	}
	if t.VerifyError == nil {
		return "trusted for " + clean(h.Name.ASCII) + " (WebPKI)" + subject
	}
	return "NOT trusted for " + clean(h.Name.ASCII) + ": " + shortVerify(t.VerifyError) + subject
}

// shortVerify is ExplainVerify with at most four of the names a
// certificate covers: an MX's certificate may list dozens.
func shortVerify(err error) string {
	var hn x509.HostnameError
	if !errors.As(err, &hn) {
		return ExplainVerify(err)
	}
	names := wire.CertNames(hn.Certificate)
	covers := strings.Join(names, ", ")
	if len(names) > 4 {
		covers = fmt.Sprintf("%s and %d more", strings.Join(names[:4], ", "), len(names)-4)
	}
	return fmt.Sprintf("name mismatch: the certificate covers %s, not %s", clean(covers), clean(hn.Host))
}

// dane prints each host's TLSA records and verdict.
func (p *printer) dane(r DomainResult) {
	p.linef("DANE (TLSA at _25._tcp)")
	for i, h := range r.Route.Hosts {
		t := r.TLSA[i]
		if t.Query == nil {
			continue
		}
		verdict := t.Verdict
		if verdict == "" {
			verdict = fmt.Sprintf("%d record%s, DNSSEC-validated", len(t.Records), plural(len(t.Records)))
		}
		if t.Why != "" {
			verdict += ": " + clean(t.Why)
		}
		p.linef("  %s  %s", clean(h.Name.String()), verdict)
		if t.Base.ASCII != h.Name.ASCII {
			p.linef("    TLSA base domain %s (the CNAME target, RFC 7672 2.2.2)", clean(t.Base.String()))
		}
		for n, rec := range t.Records {
			p.linef("    %d  %s", n+1, clean(domain.RecordText(rec)))
		}
	}
}

// sts prints the MTA-STS record, policy and each MX's match.
func (p *printer) sts(r DomainResult) {
	s := r.STS
	if s.Record == "" {
		p.linef("MTA-STS  %s: %s", s.Verdict, clean(s.Why))
		return
	}
	p.linef("MTA-STS  record  %s", clean(s.Record))
	if s.URL != "" {
		status := "no answer"
		if s.Status != 0 {
			status = fmt.Sprintf("HTTP %d, %s", s.Status, clean(s.Type))
		}
		p.linef("         policy  %s  (%s)%s", clean(s.URL), status, took(s.Took))
	}
	if s.Policy == nil {
		p.linef("         %s: %s", s.Verdict, clean(s.Why))
		return
	}
	pol := s.Policy
	p.linef("         mode %s, max_age %d (%s), mx %s", pol.Mode, pol.MaxAge, ageText(pol.MaxAge), clean(strings.Join(pol.MX, " ")))
	for _, h := range r.Result.Hosts {
		if h.STSPattern != "" {
			p.linef("         %s  listed, by %s", clean(h.Host.String()), clean(h.STSPattern))
		} else {
			p.linef("         %s  NOT listed by the policy", clean(h.Host.String()))
		}
	}
}

// rpt prints the TLS-RPT record.
func (p *printer) rpt(r DomainResult) {
	if r.RPT.Record == "" {
		p.linef("TLS-RPT  %s: %s", r.RPT.Verdict, clean(r.RPT.Why))
		return
	}
	p.linef("TLS-RPT  record  %s", clean(r.RPT.Record))
	p.linef("         %s: %s", r.RPT.Verdict, clean(r.RPT.Why))
}

// verdicts prints the facts per address, then what each kind of sender
// would do, then the IANA result types found, explained.
func (p *printer) verdicts(r DomainResult) {
	v := r.Result
	p.linef("verdicts")
	if len(v.Hosts) > 0 {
		rows := [][]string{{"MX", "address", "STARTTLS", "certificate", "DANE", "MTA-STS"}}
		for _, h := range v.Hosts {
			if len(h.Addrs) == 0 {
				rows = append(rows, []string{clean(h.Host.String()), "(none)", "-", "-", h.TLSA.Verdict, "-"})
			}
			for k, a := range h.Addrs {
				name := ""
				if k == 0 {
					name = clean(h.Host.String())
				}
				rows = append(rows, []string{name, clean(a.Addr), a.STARTTLS.String(), trustText(a.Trusted), a.DANE, a.STS})
			}
		}
		writeTable(p, rows)
	}
	p.linef("  a DANE-enforcing sender (RFC 7672):     %s", deliveryText(v.DANE))
	p.linef("  an MTA-STS-enforcing sender (RFC 8461): %s", deliveryText(v.STS))
	for _, name := range v.Results {
		info, _ := session.LookupTLSResult(name)
		p.linef("  %s: %s", name, info.Plain)
	}
}

func trustText(t domain.Tri) string {
	switch t {
	case domain.Yes:
		return "trusted"
	case domain.No:
		return "NOT trusted"
	}
	return "-"
}

func deliveryText(d domain.Delivery) string {
	return clean(d.String()) + " (" + clean(d.Why) + ")"
}

// writeTable prints rows in columns, two spaces apart, indented.
func writeTable(p *printer, rows [][]string) {
	widths := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, c := range row {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	for _, row := range rows {
		var b strings.Builder
		for i, c := range row {
			if i == len(row)-1 {
				b.WriteString(c)
				break
			}
			b.WriteString(c + strings.Repeat(" ", widths[i]-len([]rune(c))+2))
		}
		p.linef("  %s", strings.TrimRight(b.String(), " "))
	}
}

// transcripts prints the D: lines, then each probe's exchange.
func (p *printer) transcripts(r DomainResult) {
	for _, q := range r.DNS {
		p.linef("D: %s", clean(DNSLine(dns.Exchange{Name: q.Name, Type: q.Type, Sent: q.Start, Answer: q.Answer, Err: q.Err})))
	}
	for i := range r.Probes {
		for _, pr := range r.Probes[i] {
			p.blank()
			p.linef("%s  %s", clean(r.Route.Hosts[i].Name.String()), clean(pr.Target))
			_ = WriteTranscript(p.w, pr.Transcript.Entries(), TranscriptFormat{})
		}
	}
}

// DomainTimeline is a domain probe on one time axis: each DNS question,
// the MTA-STS policy fetch and each address's probe, so that the DNS part
// of the time shows.
func DomainTimeline(r DomainResult) []Span {
	var spans []Span
	for _, q := range r.DNS {
		spans = append(spans, Span{Label: "DNS " + domain.TypeName(q.Type) + " " + clean(strings.TrimSuffix(q.Name, ".")),
			Start: q.Start.Sub(r.Start), Took: q.Took})
	}
	if r.STS.Took > 0 {
		spans = append(spans, Span{Label: "HTTPS " + clean(r.STS.Host), Start: r.STS.Start.Sub(r.Start), Took: r.STS.Took})
	}
	for i := range r.Probes {
		for _, pr := range r.Probes[i] {
			start, end := probeBounds(pr, r.Start)
			label := "probe " + clean(r.Route.Hosts[i].Name.ASCII) + " " + clean(pr.Target)
			spans = append(spans, Span{Label: label, Start: start, Took: end - start, TLS: pr.TLS != nil})
		}
	}
	slices.SortStableFunc(spans, func(a, b Span) int { return cmp.Compare(a.Start, b.Start) })
	return spans
}

// ageText is a policy's max_age in days, hours or seconds.
func ageText(sec int) string {
	switch {
	case sec >= 86400 && sec%86400 == 0:
		return fmt.Sprintf("%d day%s", sec/86400, plural(sec/86400))
	case sec >= 3600 && sec%3600 == 0:
		return fmt.Sprintf("%d hour%s", sec/3600, plural(sec/3600))
	}
	return (time.Duration(sec) * time.Second).String()
}

// probeBounds is when a probe's transcript began and ended, from start.
func probeBounds(pr ProbeResult, start time.Time) (time.Duration, time.Duration) {
	es := pr.Transcript.Entries()
	if len(es) == 0 {
		return 0, 0
	}
	first, last := es[0].Time.Sub(start)-pr.Connect, es[len(es)-1].Time.Sub(start)
	return max(first, 0), last
}
