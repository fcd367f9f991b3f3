package client

import (
	"errors"
	"strings"
	"time"

	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// ProbeJSON is the machine-readable form of a probe, as `probe --json`
// prints it. Server text is sanitized; keywords are upper case.
type ProbeJSON struct {
	Target      string         `json:"target"`
	Address     string         `json:"address"`
	Transport   *TransportJSON `json:"transport"` // null when no connection was made
	ImplicitTLS bool           `json:"implicit_tls"`
	Greeting    *ReplyJSON     `json:"greeting"`
	EHLO        []HelloJSON    `json:"ehlo"`
	TLS         *TLSJSON       `json:"tls"`
	Diff        *DiffJSON      `json:"diff"` // null without both EHLOs, or with implicit TLS
	// Resumption is what --reconnect showed; null without it.
	Resumption *ResumptionJSON `json:"resumption"`
	Error      string          `json:"error"`
	// ProtocolError is the reply that broke SMTP's rules and stopped the
	// probe, or null.
	ProtocolError *ProtocolErrorJSON `json:"protocol_error"`
	Transcript    []EntryJSON        `json:"transcript,omitempty"`
}

// ReplyJSON is a reply's code and first line of text.
type ReplyJSON struct {
	Code     int    `json:"code"`
	Enhanced string `json:"enhanced,omitempty"`
	Text     string `json:"text"`
}

// HelloJSON is one EHLO exchange (or HELO, after EHLO was refused).
// Domain and Greet split the first line of a 250 (session.SplitHello);
// both are "" for another reply.
type HelloJSON struct {
	TLS        bool              `json:"tls"`
	HELO       bool              `json:"helo,omitempty"`
	Code       int               `json:"code"`
	Domain     string            `json:"domain"`
	Greet      string            `json:"greet"`
	Extensions map[string]string `json:"extensions"`
	Order      []string          `json:"order"`
}

// DiffJSON is what changed between the EHLO before and after STARTTLS.
type DiffJSON struct {
	Added   []string `json:"added"`
	Removed []string `json:"removed"`
	Changed []string `json:"changed"`
}

// TLSJSON holds the TLS facts.
type TLSJSON struct {
	Version      string     `json:"version"`
	WeakVersion  bool       `json:"weak_version"` // below TLS 1.2 (RFC 8996), allowed by --tls-min
	Cipher       string     `json:"cipher"`
	ServerName   string     `json:"server_name"` // the name the certificate is verified for (WebPKI)
	SNI          string     `json:"sni"`         // the name sent as SNI: server_name, or a CNAME'd MX host's TLSA base domain (RFC 7672 8.1)
	Verified     bool       `json:"verified"`
	VerifyError  string     `json:"verify_error"`
	Insecure     bool       `json:"insecure"`
	Certificates []CertJSON `json:"certificates"`
	// beyond version, suite and chain (tls_report.go)
	ALPN          string         `json:"alpn"`
	Group         string         `json:"group"`           // key exchange group; "" for RSA key exchange
	ServerTempKey string         `json:"server_temp_key"` // as s_client's "Server Temp Key"
	Signature     string         `json:"signature"`       // the server's handshake signature scheme; "" when none or not known
	HelloRetry    bool           `json:"hello_retry"`
	Resumed       bool           `json:"resumed"`
	OCSP          *OCSPJSON      `json:"ocsp"` // null when none was stapled
	ClientAuth    ClientAuthJSON `json:"client_auth"`
	KeyLog        bool           `json:"key_log"` // secrets were written to SSLKEYLOGFILE
}

// CertJSON is one certificate of the chain, leaf first.
type CertJSON struct {
	Subject   string   `json:"subject"`
	Issuer    string   `json:"issuer"`
	DNSNames  []string `json:"dns_names"`
	IPs       []string `json:"ip_addresses,omitempty"`
	NotBefore string   `json:"not_before"`
	NotAfter  string   `json:"not_after"`
	SHA256    string   `json:"sha256"`
	SPKI      string   `json:"spki_sha256"`   // SHA-256 of the public key: DANE 3 1 1
	PEM       string   `json:"pem,omitempty"` // with --show-certs
}

// EntryJSON is one transcript entry; secrets show their redacted form.
type EntryJSON struct {
	Time    string `json:"time"`
	Dir     string `json:"dir"`
	TLS     bool   `json:"tls"`
	Text    string `json:"text"`
	Partial bool   `json:"partial,omitempty"`
	Payload bool   `json:"payload,omitempty"` // message data after BDAT, not a command line
}

// JSON converts a probe result; withTranscript adds the exchange.
func (r ProbeResult) JSON(withTranscript bool) ProbeJSON {
	out := ProbeJSON{Target: clean(r.Target), Address: clean(r.Address), Transport: NewTransportJSON(r.Route, r.LMTP), ImplicitTLS: r.ImplicitTLS, EHLO: []HelloJSON{}}
	if r.Greeting != nil {
		out.Greeting = replyJSON(*r.Greeting)
	}
	for _, h := range r.Hellos {
		out.EHLO = append(out.EHLO, helloJSON(h))
	}
	if r.TLS != nil {
		out.TLS = tlsJSON(*r.TLS)
	}
	if d, ok := r.Diff(); ok {
		out.Diff = diffJSON(d)
	}
	out.Resumption = resumptionJSON(r.Resumption)
	if r.Err != nil {
		out.Error = Explain(r.Err)
		out.ProtocolError = protocolErrorJSON(r.Err)
	}
	if withTranscript && r.Transcript != nil {
		for _, e := range r.Transcript.Entries() {
			out.Transcript = append(out.Transcript, entryJSON(e))
		}
	}
	return out
}

// ProtocolErrorJSON is a reply that broke SMTP's rules, with its lines
// (sanitized, without line endings): Problem "mixed-codes" for a reply
// whose lines carry different codes (RFC 5321 4.2.1), "desync" for bytes
// that came while no reply was due. Step is the step it stopped, as in a
// StepError.
type ProtocolErrorJSON struct {
	Problem string   `json:"problem"`
	Step    string   `json:"step,omitempty"`
	Lines   []string `json:"lines"`
}

// protocolErrorJSON describes err when it is such a protocol error; nil
// otherwise.
func protocolErrorJSON(err error) *ProtocolErrorJSON {
	var (
		mixed  *session.MixedCodesError
		desync *wire.DesyncError
		step   *StepError
		out    *ProtocolErrorJSON
	)
	switch {
	case errors.As(err, &mixed):
		out = &ProtocolErrorJSON{Problem: "mixed-codes", Lines: cleanAll(mixed.Lines)}
	case errors.As(err, &desync):
		out = &ProtocolErrorJSON{Problem: "desync", Lines: []string{}}
		for _, l := range strings.SplitAfter(string(desync.Bytes), "\n") {
			if l != "" {
				out.Lines = append(out.Lines, clean(strings.TrimSuffix(strings.TrimSuffix(l, "\n"), "\r")))
			}
		}
	default:
		return nil
	}
	if errors.As(err, &step) {
		out.Step = step.Step
	}
	return out
}

func replyJSON(r session.Reply) *ReplyJSON {
	return &ReplyJSON{Code: r.Code, Enhanced: r.Enhanced.String(), Text: clean(firstLine(r))}
}

func helloJSON(h Hello) HelloJSON {
	out := HelloJSON{TLS: h.TLS, HELO: h.HELO, Code: h.Reply.Code, Extensions: map[string]string{}, Order: []string{}}
	if h.Reply.Code == 250 && len(h.Reply.Lines) > 0 {
		domain, greet := session.SplitHello(h.Reply.Lines[0])
		out.Domain, out.Greet = clean(domain), clean(greet)
	}
	for _, c := range h.Caps.List {
		key := clean(c.Keyword)
		if c.Legacy {
			key += "="
		}
		if _, dup := out.Extensions[key]; !dup {
			out.Order = append(out.Order, key)
		}
		out.Extensions[key] = clean(c.Params)
	}
	return out
}

func diffJSON(d session.CapDiff) *DiffJSON {
	out := &DiffJSON{Added: []string{}, Removed: []string{}, Changed: []string{}}
	for _, c := range d.Added {
		out.Added = append(out.Added, clean(c.Keyword))
	}
	for _, c := range d.Removed {
		out.Removed = append(out.Removed, clean(c.Keyword))
	}
	for _, c := range d.Changed {
		out.Changed = append(out.Changed, clean(c.Keyword))
	}
	return out
}

func tlsJSON(t wire.TLSInfo) *TLSJSON {
	out := &TLSJSON{Version: t.Version, WeakVersion: t.Weak, Cipher: t.Cipher, ServerName: clean(t.ServerName), SNI: clean(firstOf(t.SNI, t.ServerName)), Verified: t.Verified,
		Insecure: t.Insecure, Certificates: []CertJSON{}}
	if t.VerifyError != nil {
		out.VerifyError = ExplainVerify(t.VerifyError)
	}
	for _, c := range t.Chain {
		out.Certificates = append(out.Certificates, CertJSON{
			Subject: clean(c.Subject), Issuer: clean(c.Issuer),
			DNSNames: cleanAll(c.DNSNames), IPs: c.IPs,
			NotBefore: c.NotBefore.UTC().Format(time.RFC3339), NotAfter: c.NotAfter.UTC().Format(time.RFC3339),
			SHA256: c.SHA256, SPKI: c.SPKISHA256,
		})
	}
	tlsDetailsJSON(out, t)
	return out
}

func cleanAll(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		out = append(out, clean(s))
	}
	return out
}

func entryJSON(e wire.Entry) EntryJSON {
	return EntryJSON{Time: e.Time.UTC().Format(time.RFC3339Nano), Dir: e.Dir.String(), TLS: e.TLS,
		Text: EntryText(e, false), Partial: e.Partial, Payload: e.Payload}
}
