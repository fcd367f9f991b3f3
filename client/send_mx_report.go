package client

import (
	"io"

	"github.com/ehlo-sh/ehlo/domain"
)

// WriteSendMX prints a direct delivery for people: the route, each MX
// attempt and its outcome, then the last session's result (WriteSend).
func WriteSendMX(w io.Writer, r MXSendResult) {
	p := &printer{w: w}
	p.linef("  domain    %s  (DANE %s, MTA-STS %s%s)", clean(r.Domain.String()), r.DANE, r.STSMode, stsWords(r))
	for _, a := range r.Attempts {
		where := a.Host
		if a.Addr != "" {
			where += " " + a.Addr
		}
		p.linef("  mx        %s  %s", clean(where), clean(a.Outcome))
	}
	if n := len(r.Attempts); r.Final != nil && (n == 0 || !r.Attempts[n-1].Refused) {
		WriteSend(w, *r.Final)
		return
	}
	if r.Err != nil {
		p.linef("  result    NOT SENT: %s", clean(r.Err.Error()))
	}
}

// stsWords says what MTA-STS policy was found, when one was asked for.
func stsWords(r MXSendResult) string {
	switch {
	case r.STSMode == EnforceOff:
		return ""
	case r.STS.Verdict == domain.STSOK && r.STS.Policy != nil:
		return ": policy mode " + r.STS.Policy.Mode
	case r.STS.Verdict != "":
		return ": " + r.STS.Verdict
	}
	return ""
}

// SendMXJSON is the machine-readable form of a direct delivery (send --mx
// --json): the route (as probe --mx --json gives it, without probes), each
// attempt, and the last session as send --json gives it.
type SendMXJSON struct {
	Domain    string          `json:"domain"`
	DANE      string          `json:"dane"`    // auto, require or off
	MTASTS    string          `json:"mta_sts"` // auto, require or off
	Route     DomainJSON      `json:"route"`
	Attempts  []MXAttemptJSON `json:"attempts"`
	Delivered bool            `json:"delivered"`
	Error     string          `json:"error,omitempty"`
	Final     *SendJSON       `json:"final,omitempty"` // the last session
}

// MXAttemptJSON is one MX tried, or skipped.
type MXAttemptJSON struct {
	Host       string `json:"host"`
	Preference int    `json:"preference"`
	Address    string `json:"address,omitempty"`
	Outcome    string `json:"outcome"`
	Delivered  bool   `json:"delivered"`
}

// JSON converts a direct delivery; maxData bounds the DATA lines kept in
// the last session's transcript, as SendResult.JSON does.
func (r MXSendResult) JSON(maxData int) SendMXJSON {
	dr := DomainResult{Domain: r.Domain, Route: r.Route, TLSA: r.TLSA, STS: r.STS, DNS: r.DNS}
	n := len(r.Route.Hosts)
	dr.Probes, dr.Conns, dr.DANE = make([][]ProbeResult, n), make([][]domain.Conn, n), make([][]*domain.DANE, n)
	if len(dr.TLSA) != n {
		dr.TLSA = make([]domain.TLSA, n)
	}
	// The route's verdicts without probes: what DNS and the policy say; each
	// MX's session is in the attempts and the last in final.
	dr.Result = domain.Evaluate(dr.Route, dr.TLSA, dr.STS, dr.Conns)
	out := SendMXJSON{Domain: clean(r.Domain.String()), DANE: r.DANE, MTASTS: r.STSMode, Route: dr.JSON(false),
		Attempts: []MXAttemptJSON{}, Delivered: r.Delivered()}
	for _, a := range r.Attempts {
		out.Attempts = append(out.Attempts, MXAttemptJSON{Host: clean(a.Host), Preference: a.Preference, Address: clean(a.Addr),
			Outcome: clean(a.Outcome), Delivered: a.Delivered})
	}
	if r.Err != nil {
		out.Error = clean(Explain(r.Err))
	}
	if r.Final != nil {
		f := r.Final.JSON(maxData)
		out.Final = &f
	}
	return out
}
