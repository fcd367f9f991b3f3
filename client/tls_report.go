package client

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ehlo-sh/ehlo/wire"
)

// tlsDetails prints what the handshake agreed beyond version and suite,
// under the certificate: the key exchange, the server's signature, ALPN,
// OCSP stapling, resumption, a client certificate request, the key log.
func (p *printer) tlsDetails(t wire.TLSInfo) {
	for _, row := range TLSDetailRows(t, time.Now()) {
		for i, line := range wrapWords(clean(row[1]), 80-13) {
			if i == 0 {
				p.linef("    %-8s %s", row[0], line)
			} else {
				p.linef("             %s", line)
			}
		}
	}
}

// wrapWords breaks text at spaces into lines of at most width bytes; a
// word longer than that stays whole on its own line.
func wrapWords(text string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		switch {
		case line == "":
			line = word
		case len(line)+1+len(word) <= width:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	return append(lines, line)
}

// TLSDetailRows are the handshake's facts beyond version, suite and
// certificate, as label and text, for probe's report and the explorer's
// side panel: what Go's crypto/tls exposes, and what it cannot is said.
func TLSDetailRows(t wire.TLSInfo, now time.Time) [][2]string {
	var rows [][2]string
	add := func(label, text string) { rows = append(rows, [2]string{label, text}) }
	if len(t.Chain) > 0 {
		add("spki", t.Chain[0].SPKISHA256)
	}
	switch {
	case t.Group == "":
		add("kx", "RSA key exchange: no ephemeral key, no forward secrecy")
	case t.HelloRetry:
		add("kx", "server temp key "+t.ServerKey+" (after a HelloRetryRequest)")
	default:
		add("kx", "server temp key "+t.ServerKey)
	}
	switch {
	case t.Resumed:
		add("sig", "none: a resumed session signs nothing")
	case t.Signature == "" && t.Group == "":
		add("sig", "none: RSA key exchange signs nothing")
	case t.Signature == "":
		add("sig", "not known")
	default:
		add("sig", t.Signature)
	}
	if t.ALPN != "" {
		add("alpn", t.ALPN)
	}
	add("ocsp", ocspWords(CheckOCSP(t, now)))
	if t.Resumed {
		add("session", "resumed an earlier session (no certificate sent again)")
	}
	if a := t.ClientAuth; a.Asked {
		add("client", clientAuthWords(a))
	}
	if t.KeyLog {
		add("keylog", "secrets written (SSLKEYLOGFILE): a secret, it decrypts this session")
	}
	return rows
}

// ocspWords says what a stapled OCSP response says, and whether it holds.
func ocspWords(s OCSPStatus) string {
	if !s.Stapled {
		return "no response stapled"
	}
	if s.Status == "" {
		return "stapled, INVALID: " + s.Problem
	}
	words := "stapled: " + s.Status
	if s.Status == "revoked" {
		words = "stapled: REVOKED on " + s.RevokedAt.UTC().Format(time.DateTime) + " UTC"
	}
	if s.Problem != "" {
		return words + ", INVALID: " + s.Problem
	}
	words += ", signed by the issuer, dated " + s.ThisUpdate.UTC().Format(time.DateTime) + " UTC"
	if !s.NextUpdate.IsZero() {
		words += ", next by " + s.NextUpdate.UTC().Format(time.DateTime) + " UTC"
	}
	return words
}

// clientAuthWords says that the server asked for a client certificate,
// naming the authorities it accepts, and what was sent.
func clientAuthWords(a wire.ClientAuth) string {
	cas := "any CA"
	if len(a.CAs) > 0 {
		cas = strings.Join(a.CAs, "; ")
	}
	sent := "none sent (give one with --cert)"
	if a.Sent != "" {
		sent = "sent " + a.Sent
	}
	return "certificate asked for, from " + cas + "; " + sent
}

// Resumption is what a second connection (--reconnect) showed of TLS
// session resumption.
type Resumption struct {
	Ticket  bool         // the first session left a ticket to offer
	Resumed bool         // the server resumed it
	Version string       // the second session's version
	Err     error        // the second connection failed
	entries []wire.Entry // the second connection's transcript
}

// words says what the second connection showed.
func (r Resumption) words() string {
	switch {
	case r.Err != nil:
		return "the second connection failed: " + Explain(r.Err)
	case !r.Ticket:
		return "not possible: the server issued no session ticket"
	case r.Resumed:
		return "resumed on a second connection (" + r.Version + ")"
	}
	return "not resumed: the ticket was offered on a second connection, and the server made a full handshake"
}

// ticketCache is a session cache that tells whether a ticket was kept.
type ticketCache struct {
	tls.ClientSessionCache
	puts atomic.Int32
}

func (c *ticketCache) Put(key string, cs *tls.ClientSessionState) {
	if cs != nil {
		c.puts.Add(1)
	}
	c.ClientSessionCache.Put(key, cs)
}

// withTickets gives opts a fresh session cache, for a probe or doctor to
// resume from on its second connection.
func withTickets(opts Options) (Options, *ticketCache) {
	cache := &ticketCache{ClientSessionCache: tls.NewLRUClientSessionCache(4)}
	opts.TLS.Wire.Sessions = cache
	return opts, cache
}

// KeepTickets gives the options a session cache that every connection
// made with them shares: each offers the ticket of the one before, to
// resume it (the explorer's --reconnect, for :reconnect).
func (o Options) KeepTickets() Options {
	o.TLS.Wire.Sessions = tls.NewLRUClientSessionCache(16)
	return o
}

// resume connects a second time with the cache filled by the first
// session and says whether the server resumed it.
func resume(ctx context.Context, target string, opts Options, cache *ticketCache) *Resumption {
	r := &Resumption{Ticket: cache.puts.Load() > 0}
	if !r.Ticket {
		return r
	}
	second := Probe(ctx, target, opts)
	r.entries = second.Transcript.Entries()
	switch {
	case second.TLS == nil && second.Err != nil:
		r.Err = second.Err
	case second.TLS != nil:
		r.Resumed, r.Version = second.TLS.Resumed, second.TLS.Version
	}
	return r
}

// ResumptionJSON is what --reconnect showed; null when not tried.
type ResumptionJSON struct {
	Ticket  bool   `json:"ticket"`
	Resumed bool   `json:"resumed"`
	Version string `json:"version,omitempty"`
	Error   string `json:"error,omitempty"`
}

func resumptionJSON(r *Resumption) *ResumptionJSON {
	if r == nil {
		return nil
	}
	out := &ResumptionJSON{Ticket: r.Ticket, Resumed: r.Resumed, Version: r.Version}
	if r.Err != nil {
		out.Error = Explain(r.Err)
	}
	return out
}

// OCSPJSON is a stapled OCSP response's meaning; null when none.
type OCSPJSON struct {
	Status     string `json:"status"`
	Valid      bool   `json:"valid"`
	Problem    string `json:"problem,omitempty"`
	ThisUpdate string `json:"this_update,omitempty"`
	NextUpdate string `json:"next_update,omitempty"`
	RevokedAt  string `json:"revoked_at,omitempty"`
}

// ClientAuthJSON says whether the server asked for a client certificate.
type ClientAuthJSON struct {
	Asked bool     `json:"asked"`
	CAs   []string `json:"cas"`
	Sent  string   `json:"sent"`
}

// tlsDetailsJSON fills the fields of out beyond version, suite and chain.
func tlsDetailsJSON(out *TLSJSON, t wire.TLSInfo) {
	out.ALPN, out.Group, out.ServerTempKey, out.Signature = t.ALPN, t.Group, t.ServerKey, t.Signature
	out.HelloRetry, out.Resumed, out.KeyLog = t.HelloRetry, t.Resumed, t.KeyLog
	out.ClientAuth = ClientAuthJSON{Asked: t.ClientAuth.Asked, CAs: cleanAll(t.ClientAuth.CAs), Sent: clean(t.ClientAuth.Sent)}
	if s := CheckOCSP(t, time.Now()); s.Stapled {
		out.OCSP = &OCSPJSON{Status: s.Status, Valid: s.Valid(), Problem: s.Problem,
			ThisUpdate: rfc3339(s.ThisUpdate), NextUpdate: rfc3339(s.NextUpdate), RevokedAt: rfc3339(s.RevokedAt)}
	}
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// stepPrefix is "STEP: " for an error of a step, else "".
func stepPrefix(err error) string {
	var s *StepError
	if errors.As(err, &s) {
		return s.Step + ": "
	}
	return ""
}

// alertWords explains a TLS alert the server sent (crypto/tls reports one
// as a net.OpError "remote error"): what the usual alerts mean for the
// offer ehlo made and the certificate it sent. "" for any other error.
func alertWords(err error) string {
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "remote error" || op.Err == nil {
		return ""
	}
	alert := strings.TrimPrefix(op.Err.Error(), "tls: ")
	said := `the server ended TLS with the alert "` + alert + `"`
	switch alert {
	case "handshake failure", "insufficient security", "illegal parameter":
		return said + ": it shares no cipher suite, group or signature scheme with what ehlo offered (--ciphers, --curves and --tls-max narrow the offer; a server that wants a client certificate may say this too)"
	case "certificate required":
		return said + ": it requires a client certificate; give one with --cert FILE --key FILE"
	case "bad certificate", "unknown certificate authority", "certificate unknown", "unsupported certificate",
		"certificate expired", "certificate revoked", "access denied", "decrypt error":
		return said + ": it refused the client certificate sent (--cert), or wanted one and got none"
	case "no application protocol":
		return said + ": it accepts none of the protocols offered with --alpn"
	case "protocol version":
		return said + ": it accepts none of the TLS versions offered (--tls-min, --tls-max)"
	}
	return said
}

// WriteTLSDetails prints the handshake's facts beyond the certificate, as
// probe does under its TLS line, after a heading.
func WriteTLSDetails(w io.Writer, t wire.TLSInfo) {
	p := &printer{w: w}
	p.linef("TLS  %s  %s", t.Version, t.Cipher)
	p.tlsDetails(t)
}

// TLSInfoJSON is the JSON of a TLS session's facts, as probe --json has it.
func TLSInfoJSON(t wire.TLSInfo) *TLSJSON { return tlsJSON(t) }
