package identity

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/ehlo-sh/ehlo/session"
)

// maxTraceLines bounds the SPF trace shown in a finding; Report.Lines
// gives it whole.
const maxTraceLines = 40

// Findings turns a report into doctor findings (session rules spf-fail,
// dmarc-reject, ptr-missing, ... and identity, the summary with the
// trace), every text sanitized. seen says where the address came from.
func (r Report) Findings(seen Seen) []session.Finding {
	if !r.Checked {
		return nil
	}
	var out []session.Finding
	if f, ok := r.spfFinding(); ok {
		out = append(out, f)
	}
	if f, ok := r.dmarcFinding(); ok {
		out = append(out, f)
	}
	out = append(out, r.ptrFindings()...)
	for _, l := range r.DNSBL {
		if l.Listed {
			x := finding("dnsbl-listed", l.lines()...)
			x.Title = clean(fmt.Sprintf("%s is listed on %s", r.Client, l.Zone))
			out = append(out, x)
		}
	}
	summary := finding("identity", r.Lines(seen)...)
	summary.Title = clean(fmt.Sprintf("Who the server thinks the client is: %s, SPF %s, DMARC %s, reverse DNS %s",
		r.Client, r.SPF.Result, r.DMARC.words(), r.PTR.words()))
	return append(out, summary)
}

// finding is session.NewFinding with its evidence sanitized.
func finding(id string, evidence ...string) session.Finding {
	for i, e := range evidence {
		evidence[i] = clean(e)
	}
	return session.NewFinding(id, evidence...)
}

func clean(s string) string { return session.SanitizeString(s) }

// cleanLines sanitizes each line of a text of several.
func cleanLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = clean(l)
	}
	return strings.Join(lines, "\n")
}

func (r Report) spfFinding() (session.Finding, bool) {
	s := r.SPF
	id := map[Result]string{Fail: "spf-fail", SoftFail: "spf-softfail", PermError: "spf-permerror",
		TempError: "spf-temperror", None: "spf-none"}[s.Result]
	if id == "" {
		return session.Finding{}, false
	}
	x := finding(id, s.traceLines(maxTraceLines)...)
	x.Title = clean(fmt.Sprintf("SPF %s for %s from %s: %s", s.Result, s.Sender, s.IP, s.Reason))
	if s.Fix != "" {
		x.Fix = cleanLines(s.Fix)
	}
	return x, true
}

func (r Report) dmarcFinding() (session.Finding, bool) {
	d := r.DMARC
	id := map[string]string{"reject": "dmarc-reject", "quarantine": "dmarc-quarantine"}[d.Outcome]
	if id == "" {
		return session.Finding{}, false
	}
	x := finding(id, d.lines(r.SPF)...)
	x.Title = clean(fmt.Sprintf("DMARC of %s says %s: SPF does not pass aligned, and only DKIM (not checked by ehlo) could save this mail", d.Domain, d.Outcome))
	if d.Pct < 100 {
		x.Title += clean(fmt.Sprintf(" (pct=%d: applied to %d%% of such mail)", d.Pct, d.Pct))
	}
	return x, true
}

func (r Report) ptrFindings() []session.Finding {
	p := r.PTR
	var out []session.Finding
	switch {
	case p.Missing():
		x := finding("ptr-missing", p.lines()...)
		x.Severity = session.SeverityWarning // a prediction: many receivers refuse, not all
		x.Title = clean(fmt.Sprintf("%s has no reverse DNS (PTR)", p.IP))
		out = append(out, x)
	case p.Mismatch():
		x := finding("ptr-mismatch", p.lines()...)
		x.Title = clean(fmt.Sprintf("The reverse DNS of %s (%s) does not resolve back to it", p.IP, strings.Join(p.Names, ", ")))
		out = append(out, x)
	}
	if p.Name != "" && !p.NameResolves && !p.NameUnknown && !literalOf(p.Name, p) {
		x := finding("helo-mismatch", p.lines()...)
		x.Title = clean(fmt.Sprintf("The EHLO name %s is not a name of %s", p.Name, p.IP))
		out = append(out, x)
	}
	return out
}

// literalOf reports a HELO address literal ("[192.0.2.1]") of the address
// itself (RFC 5321 4.1.3).
func literalOf(name string, p PTR) bool {
	a, ok := bracketed(name)
	return ok && a == p.IP
}

// Lines is the whole report for people: where the address comes from,
// the SPF trace, DMARC, reverse DNS of both ends, blocklists. Unsanitized.
func (r Report) Lines(seen Seen) []string {
	if !r.Checked {
		return []string{"* the client's address is unknown: nothing checked"}
	}
	out := []string{fmt.Sprintf("* address %s: %s", r.Client, seen.Words())}
	if seen.Echoed {
		out = append(out, "*   "+seen.Line)
	}
	s := r.SPF
	out = append(out, fmt.Sprintf("* SPF (%s) for %s: %s, %d of %d lookups, %d of %d void", scopeWords(s.Scope), s.Sender, s.Result,
		s.Lookups, MaxLookups, s.Voids, MaxVoids))
	out = append(out, s.traceLines(maxTraceLines)...)
	out = append(out, r.DMARC.lines(s)...)
	out = append(out, r.PTR.lines()...)
	if r.Server != nil {
		out = append(out, r.Server.serverLines()...)
	}
	for _, l := range r.DNSBL {
		out = append(out, l.lines()...)
	}
	return out
}

func scopeWords(scope string) string {
	if scope == "helo" {
		return "the HELO name, as for a null sender"
	}
	return "the MAIL FROM domain"
}

// traceLines is the SPF trace, indented by depth, at most n lines.
func (s SPF) traceLines(n int) []string {
	var out []string
	for i, st := range s.Trace {
		if i == n {
			out = append(out, fmt.Sprintf("*   … %d more steps", len(s.Trace)-n))
			break
		}
		term := clip(st.Term)
		if st.Expanded != "" {
			term += " → " + st.Expanded
		}
		if term != "" {
			term = " " + term
		}
		out = append(out, fmt.Sprintf("*   %s%s%s: %s [%d/%d lookups, %d/%d void]", strings.Repeat("  ", st.Depth), st.Domain, term, clip(st.Note),
			st.Lookups, MaxLookups, st.Voids, MaxVoids))
	}
	return out
}

func (d DMARC) words() string {
	switch {
	case d.Result == "":
		return "not checked"
	case d.Result == "none" && d.Record == "":
		return "none"
	case d.Outcome != "":
		return "fail (" + d.Outcome + ")"
	}
	return d.Result
}

func (d DMARC) lines(spf SPF) []string {
	from := "the From: header's domain " + d.Domain
	if !d.FromHeader {
		from = d.Domain + " (the MAIL FROM domain, taken as the From: header's)"
	}
	out := []string{"* DMARC for " + from + ", organizational domain " + d.OrgDomain}
	for _, t := range d.Trace {
		out = append(out, "*   "+t)
	}
	if d.Problem != "" {
		out = append(out, "*   problem: "+d.Problem)
	}
	if d.Record == "" || d.Result == "temperror" {
		return out
	}
	out = append(out, fmt.Sprintf("*   policy p=%s%s, applied here: %s, pct=%d, aspf=%s", d.Policy, optional(" sp=", d.SubPolicy), d.Applied, d.Pct, d.ASPF))
	out = append(out, "*   "+d.AlignmentWords(spf))
	switch {
	case d.Result == "pass":
		out = append(out, "*   DMARC passes through SPF")
	case d.Outcome != "":
		out = append(out, fmt.Sprintf("*   DMARC fails unless DKIM passes (ehlo does not sign with DKIM): a receiver would %s", outcomeWords(d.Outcome)))
	}
	if len(d.Unknown) > 0 {
		out = append(out, "*   unknown tags, ignored: "+strings.Join(d.Unknown, ", "))
	}
	return out
}

func optional(prefix, v string) string {
	if v == "" {
		return ""
	}
	return prefix + v
}

func outcomeWords(o string) string {
	return map[string]string{"none": "deliver it (p=none only reports)", "quarantine": "put it in spam (quarantine)",
		"reject": "refuse it (reject)"}[o]
}

func (p PTR) words() string {
	switch {
	case p.Error != "":
		return "unknown (lookup failed)"
	case p.Missing():
		return "missing"
	case p.Mismatch():
		return p.Names[0] + " (not confirmed)"
	}
	return p.Confirmed[0]
}

func (p PTR) lines() []string {
	out := []string{fmt.Sprintf("* reverse DNS of %s: %s", p.IP, p.words())}
	for _, t := range p.Trace {
		out = append(out, "*   "+t)
	}
	if p.Name != "" {
		verdict := "not among the address's confirmed names, and does not resolve to it"
		switch {
		case p.NameUnknown:
			verdict = "unknown: its lookup failed"
		case literalOf(p.Name, p):
			verdict = "an address literal of this address"
		case p.NameMatches:
			verdict = "its confirmed PTR name"
		case p.NameResolves:
			verdict = "resolves to the address, though it is not its PTR name"
		}
		out = append(out, "*   EHLO name "+p.Name+": "+verdict)
	}
	return out
}

// serverLines is the server's reverse DNS against its banner name.
func (p PTR) serverLines() []string {
	out := []string{fmt.Sprintf("* the server %s: reverse DNS %s", p.IP, p.words())}
	if p.Name != "" {
		verdict := "not a name of its address (receivers do not judge this, but other servers sending to it may)"
		if p.NameMatches || p.NameResolves {
			verdict = "a name of its address"
		}
		out = append(out, "*   banner name "+p.Name+": "+verdict)
	}
	return out
}

func (l Listing) lines() []string {
	switch {
	case l.Error != "" && !l.Listed:
		return []string{fmt.Sprintf("* blocklist %s: unknown (%s)", l.Zone, l.Error)}
	case !l.Listed:
		return []string{fmt.Sprintf("* blocklist %s: not listed (%s NXDOMAIN)", l.Zone, l.Query)}
	}
	out := []string{fmt.Sprintf("* blocklist %s: LISTED (%s)", l.Zone, l.Query)}
	for _, c := range l.Codes {
		out = append(out, fmt.Sprintf("*   %s: %s", c.Addr, c.Meaning))
	}
	if l.Reason != "" {
		out = append(out, "*   the list says: "+l.Reason)
	}
	return out
}

// clip cuts a text of a hostile record for a line of the trace, saying
// how long it was.
func clip(s string) string {
	const n = 300
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes)", s[:cut], len(s))
}
