package client

import (
	"encoding/hex"
	"strings"

	"github.com/ehlo-sh/ehlo/dns"
	"github.com/ehlo-sh/ehlo/domain"
)

// DomainJSON is the machine-readable form of a domain probe, as `probe
// --mx --json` prints it: one object per domain. Text from DNS, HTTPS and
// servers is sanitized.
type DomainJSON struct {
	Domain    string              `json:"domain"`  // A-labels, as asked
	Unicode   string              `json:"unicode"` // U-labels, as shown
	Port      string              `json:"port"`
	Route     string              `json:"route"` // "mx", "implicit", "null-mx" or "none"
	Problem   string              `json:"problem"`
	CNAMEs    []string            `json:"cnames"`
	Authentic bool                `json:"authentic"` // the MX answer was DNSSEC-validated
	Notes     []string            `json:"notes"`
	MX        []MXJSON            `json:"mx"`
	MTASTS    MTASTSJSON          `json:"mta_sts"`
	TLSRPT    TLSRPTJSON          `json:"tls_rpt"`
	Verdicts  []string            `json:"verdicts"` // the IANA STARTTLS Validation Result Types found
	DANE      VerdictDeliveryJSON `json:"dane"`     // would a DANE-enforcing sender deliver?
	STS       VerdictDeliveryJSON `json:"sts"`      // would an MTA-STS-enforcing sender?
	DNS       []DNSQueryJSON      `json:"dns"`
	Timing    []SpanJSON          `json:"timing"`
	Error     string              `json:"error"`
}

// MXJSON is one MX host.
type MXJSON struct {
	Host       string        `json:"host"`
	Unicode    string        `json:"unicode"`
	Preference int           `json:"preference"` // -1 for the implicit MX
	CNAMEs     []string      `json:"cnames"`
	Addresses  []string      `json:"addresses"`
	Authentic  bool          `json:"authentic"` // the address answers were DNSSEC-validated
	Problem    string        `json:"problem"`
	TLSA       TLSAJSON      `json:"tlsa"`
	DANE       DANEJSON      `json:"dane"`
	STSPattern string        `json:"sts_pattern"` // the policy's mx pattern that lists it, "" when none
	STARTTLS   string        `json:"starttls"`    // "yes", "no", "unknown": offered on every address that answered
	Trusted    string        `json:"certificate_trusted"`
	Probes     []MXProbeJSON `json:"probes"`
}

// TLSAJSON is a host's TLSA lookup.
type TLSAJSON struct {
	Name      string           `json:"name"` // the question whose answer counts
	Authentic bool             `json:"authentic"`
	Records   []TLSARecordJSON `json:"records"`
}

// TLSARecordJSON is one TLSA record; Record N of the verdicts is the Nth.
type TLSARecordJSON struct {
	Usage    uint8  `json:"usage"`
	Selector uint8  `json:"selector"`
	Matching uint8  `json:"matching"`
	Data     string `json:"data"` // hex
	Usable   bool   `json:"usable"`
}

// DANEJSON is a host's DANE verdict: before any handshake ("no TLSA",
// "TLSA insecure (ignored)", "bogus", "no usable TLSA record"), else the result of
// the first address's check ("matched by record N", "no record matched",
// "not checked: no TLS").
type DANEJSON struct {
	Verdict string `json:"verdict"`
	Why     string `json:"why"`
}

// MXProbeJSON is the probe of one address, with its verdicts.
type MXProbeJSON struct {
	ProbeJSON
	DANE        string   `json:"dane"`    // this address's DANE verdict
	MTASTS      string   `json:"mta_sts"` // "met", "not listed", "no policy", a result type
	DANEDeliver string   `json:"dane_delivers"`
	STSDeliver  string   `json:"sts_delivers"`
	Results     []string `json:"verdicts"`
}

// MTASTSJSON is the domain's MTA-STS.
type MTASTSJSON struct {
	Record  string      `json:"record"`
	ID      string      `json:"id"`
	URL     string      `json:"url"`
	Status  int         `json:"http_status"`
	Policy  *PolicyJSON `json:"policy"`
	Mode    string      `json:"mode"`
	Verdict string      `json:"verdict"`
	Why     string      `json:"why"`
	Result  string      `json:"result"`
}

// PolicyJSON is a parsed MTA-STS policy.
type PolicyJSON struct {
	Version string   `json:"version"`
	Mode    string   `json:"mode"`
	MaxAge  int      `json:"max_age"`
	MX      []string `json:"mx"`
}

// TLSRPTJSON is the domain's TLS-RPT record.
type TLSRPTJSON struct {
	Record  string   `json:"record"`
	RUA     []string `json:"rua"`
	Verdict string   `json:"verdict"`
	Why     string   `json:"why"`
}

// VerdictDeliveryJSON answers "would such a sender deliver?": "yes", "no" or
// "unknown", and through which MX.
type VerdictDeliveryJSON struct {
	Delivers string `json:"delivers"`
	Via      string `json:"via"`
	Why      string `json:"why"`
}

// DNSQueryJSON is one DNS question and its answer.
type DNSQueryJSON struct {
	Name      string   `json:"name"`
	Type      string   `json:"type"`
	Rcode     string   `json:"rcode"`
	Authentic bool     `json:"authentic"`
	CNAMEs    []string `json:"cnames"`
	Answer    []string `json:"answer"` // records in presentation form
	EDE       []string `json:"ede"`
	TookMS    float64  `json:"took_ms"`
	Error     string   `json:"error"`
}

// JSON converts a domain probe; withTranscript adds each probe's exchange.
func (r DomainResult) JSON(withTranscript bool) DomainJSON {
	out := DomainJSON{Domain: r.Domain.ASCII, Unicode: clean(r.Domain.Unicode), Port: r.Port, Route: string(r.Route.Kind),
		Problem: clean(r.Route.Problem), CNAMEs: cleanAll(trimDots(r.Route.CNAMEs)), Authentic: r.Route.Authentic,
		Notes: cleanAll(r.Route.Notes), MX: []MXJSON{}, Verdicts: append([]string{}, r.Result.Results...),
		DNS: []DNSQueryJSON{}, Timing: SpansJSON(DomainTimeline(r))}
	if r.Err != nil {
		out.Domain, out.Error = clean(r.Arg), clean(r.Err.Error())
		return out
	}
	for i, h := range r.Route.Hosts {
		out.MX = append(out.MX, r.mxJSON(i, h, withTranscript))
	}
	out.MTASTS = stsJSON(r.STS)
	out.TLSRPT = TLSRPTJSON{Record: clean(r.RPT.Record), RUA: cleanAll(r.RPT.RUA), Verdict: r.RPT.Verdict, Why: clean(r.RPT.Why)}
	out.DANE, out.STS = deliveryJSON(r.Result.DANE), deliveryJSON(r.Result.STS)
	for _, q := range r.DNS {
		out.DNS = append(out.DNS, queryJSON(q))
	}
	return out
}

func trimDots(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.TrimSuffix(s, ".")
	}
	return out
}

func (r DomainResult) mxJSON(i int, h domain.Host, withTranscript bool) MXJSON {
	m := MXJSON{Host: clean(h.Name.ASCII), Unicode: clean(h.Name.Unicode), Preference: h.Preference,
		CNAMEs: cleanAll(trimDots(h.CNAMEs)), Addresses: []string{}, Authentic: h.Authentic, Problem: clean(h.Problem),
		Probes: []MXProbeJSON{}}
	for _, a := range h.Addrs {
		m.Addresses = append(m.Addresses, a.String())
	}
	t := r.TLSA[i]
	m.TLSA = TLSAJSON{Records: []TLSARecordJSON{}}
	if t.Query != nil {
		m.TLSA.Name = clean(strings.TrimSuffix(t.Query.Name, "."))
		m.TLSA.Authentic = t.Query.Answer != nil && t.Query.Answer.Authentic
	}
	for n, rec := range t.Records {
		m.TLSA.Records = append(m.TLSA.Records, TLSARecordJSON{Usage: rec.Usage, Selector: rec.Selector, Matching: rec.Matching,
			Data: hex.EncodeToString(rec.Data), Usable: t.Usable[n]})
	}
	hv := r.Result.Hosts[i]
	m.DANE = DANEJSON{Verdict: t.Verdict, Why: clean(t.Why)}
	if len(hv.Addrs) > 0 && hv.Addrs[0].DANE != t.Verdict {
		m.DANE.Verdict, m.DANE.Why = hv.Addrs[0].DANE, clean(hv.Addrs[0].DANEWhy)
	}
	if m.DANE.Verdict == "" {
		m.DANE.Verdict = "not checked"
	}
	m.STSPattern, m.STARTTLS, m.Trusted = clean(hv.STSPattern), hv.STARTTLS.String(), hv.Trusted.String()
	for j, pr := range r.Probes[i] {
		av := hv.Addrs[j]
		m.Probes = append(m.Probes, MXProbeJSON{ProbeJSON: pr.JSON(withTranscript), DANE: av.DANE, MTASTS: av.STS,
			DANEDeliver: av.DANEDeliver.String(), STSDeliver: av.STSDeliver.String(), Results: append([]string{}, av.Results...)})
	}
	return m
}

func stsJSON(s domain.STS) MTASTSJSON {
	out := MTASTSJSON{Record: clean(s.Record), ID: clean(s.ID), URL: clean(s.URL), Status: s.Status, Verdict: s.Verdict,
		Why: clean(s.Why), Result: s.Result}
	if p := s.Policy; p != nil {
		out.Policy = &PolicyJSON{Version: p.Version, Mode: p.Mode, MaxAge: p.MaxAge, MX: cleanAll(p.MX)}
		out.Mode = p.Mode
	}
	return out
}

func deliveryJSON(d domain.Delivery) VerdictDeliveryJSON {
	return VerdictDeliveryJSON{Delivers: d.Deliver.String(), Via: clean(d.Via), Why: clean(d.Why)}
}

func queryJSON(q domain.Query) DNSQueryJSON {
	out := DNSQueryJSON{Name: clean(q.Name), Type: domain.TypeName(q.Type), TookMS: ms(q.Took), CNAMEs: []string{}, Answer: []string{}, EDE: []string{}}
	if q.Err != nil {
		out.Error = clean(q.Err.Error())
		return out
	}
	a := q.Answer
	out.Rcode, out.Authentic, out.CNAMEs = dns.RcodeString(a.Rcode), a.Authentic, cleanAll(a.CNAMEs)
	for _, rec := range a.Records {
		out.Answer = append(out.Answer, clean(rec.String()))
	}
	for _, e := range a.EDE {
		out.EDE = append(out.EDE, clean(e.String()))
	}
	return out
}
