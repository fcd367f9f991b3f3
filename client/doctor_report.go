package client

import (
	"fmt"
	"io"
	"strings"

	"github.com/ehlo-sh/ehlo/session"
)

// WriteDoctor prints a doctor result for people: a header, the numbered
// findings with their evidence and fix, the timing waterfall and a count.
// All server text was sanitized by session.Diagnose; the password is in
// none of it.
func WriteDoctor(w io.Writer, r DoctorResult, o WaterfallOptions) {
	p := &printer{w: w}
	p.linef("ehlo doctor %s  (%s)", clean(r.Target), doctorMode(r))
	for i, f := range r.Findings {
		p.blank()
		writeFinding(p, i+1, f)
	}
	if len(r.Findings) == 0 {
		p.blank()
		p.linef("no findings")
	}
	if len(r.Timeline) > 0 {
		p.blank()
		p.linef("timing")
		WriteWaterfall(w, r.Timeline, o)
	}
	p.blank()
	p.linef("%s", doctorSummary(r.Findings))
}

// writeFinding prints "1. [error] Title", the evidence indented, then the
// fix with its continuation lines aligned under it.
func writeFinding(p *printer, n int, f session.Finding) {
	p.linef("%d. [%s] %s", n, f.Severity, f.Title)
	for _, e := range f.Evidence {
		p.linef("     %s", e)
	}
	if f.Fix == "" {
		return
	}
	for i, line := range strings.Split(f.Fix, "\n") {
		if i == 0 {
			p.linef("   fix: %s", line)
			continue
		}
		p.linef("        %s", line)
	}
}

// doctorMode says how the session the findings describe was spoken.
func doctorMode(r DoctorResult) string {
	f := r.Facts
	addr := routeWords(r.Route, r.Address, r.LMTP) + ", "
	switch {
	case r.Address == "":
		addr = "not connected, "
	case addr == r.Target+", ":
		addr = ""
	}
	if r.Via != "" {
		addr = "MX " + clean(r.Via) + " " + addr
	}
	mode := "plaintext"
	switch {
	case f.ImplicitTLS:
		mode = "implicit TLS"
	case f.TLS != nil:
		mode = "plaintext, then STARTTLS"
	}
	switch {
	case f.TLS != nil && !f.TLS.Verified && r.DANEVerified:
		mode += ", TLS verified by DANE" // RFC 7672 3.1.1: the TLSA records vouch for the chain, not WebPKI
	case f.TLS != nil && !f.TLS.Verified: // SAFETY.md: said for the rest of the session
		mode += ", TLS UNVERIFIED"
	}
	return addr + mode
}

// doctorSummary counts the findings by severity.
func doctorSummary(fs []session.Finding) string {
	var n [session.SeverityInfo + 1]int
	for _, f := range fs {
		if f.Severity >= 0 && int(f.Severity) < len(n) {
			n[f.Severity]++
		}
	}
	errs, warns := n[session.SeverityError], n[session.SeverityWarning]
	verdict := "no errors"
	if errs > 0 {
		verdict = "FAILED"
	}
	return fmt.Sprintf("%s: %d error%s, %d warning%s, %d advice, %d info", verdict,
		errs, plural(errs), warns, plural(warns), n[session.SeverityAdvice], n[session.SeverityInfo])
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// DoctorJSON is the machine-readable form of a doctor run, as
// `doctor --json` prints it. Finding IDs are the stable IDs of
// session.Rules; the transcript's secrets show their redacted form.
type DoctorJSON struct {
	Target     string         `json:"target"`
	Address    string         `json:"address"`
	Transport  *TransportJSON `json:"transport"`
	OK         bool           `json:"ok"` // no finding is an error
	Findings   []FindingJSON  `json:"findings"`
	Timing     []SpanJSON     `json:"timing"`
	Transcript []EntryJSON    `json:"transcript"`
	// MX is the domain's route, DANE and MTA-STS (doctor --mx), as probe
	// --mx --json gives it; Via the MX host the session is with.
	MX  *DomainJSON `json:"mx,omitempty"`
	Via string      `json:"via,omitempty"`
}

// FindingJSON is one finding.
type FindingJSON struct {
	ID       string   `json:"id"`
	Severity string   `json:"severity"`
	Title    string   `json:"title"`
	Evidence []string `json:"evidence"`
	Fix      string   `json:"fix"`
}

// JSON converts a doctor result.
func (r DoctorResult) JSON() DoctorJSON {
	out := DoctorJSON{Target: clean(r.Target), Address: clean(r.Address), Transport: NewTransportJSON(r.Route, r.LMTP), OK: !r.Failed(),
		Findings: []FindingJSON{}, Timing: SpansJSON(r.Timeline), Transcript: []EntryJSON{}}
	for _, f := range r.Findings {
		out.Findings = append(out.Findings, FindingJSON{ID: f.ID, Severity: f.Severity.String(), Title: f.Title,
			Evidence: append([]string{}, f.Evidence...), Fix: f.Fix})
	}
	for _, e := range r.Entries {
		out.Transcript = append(out.Transcript, entryJSON(e))
	}
	if r.MX != nil {
		mx := r.MX.JSON(false)
		out.MX, out.Via = &mx, clean(r.Via)
	}
	return out
}
