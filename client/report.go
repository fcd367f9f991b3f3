package client

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// WriteProbe prints a probe result for people. All server text goes
// through session's sanitizer.
func WriteProbe(w io.Writer, r ProbeResult) {
	p := &printer{w: w, lmtp: r.LMTP}
	p.header(r)
	if r.Greeting != nil {
		p.linef("  greeting  %d %s%s", r.Greeting.Code, clean(firstLine(*r.Greeting)), took(r.GreetTook))
	}
	plain, secure := r.Plain(), r.Secure()
	if plain != nil {
		p.blank()
		title := "EHLO before TLS"
		if r.TLS == nil && !plain.Caps.Has("STARTTLS") {
			title = "EHLO (plaintext, no STARTTLS offered)"
		}
		p.hello(title, *plain, nil)
		if !plain.Caps.Has("AUTH") && plain.Reply.OK() && !plain.HELO {
			p.linef("    (no AUTH here: this server offers no login in plaintext)")
		}
	}
	if r.TLS != nil {
		p.blank()
		p.tls(*r.TLS)
	}
	if secure != nil {
		p.blank()
		title := "EHLO after STARTTLS"
		if r.ImplicitTLS {
			title = "EHLO inside TLS"
		}
		var diff *session.CapDiff
		if d, ok := r.Diff(); ok {
			diff = &d
		}
		p.hello(title, *secure, diff)
	}
	if r.Resumption != nil {
		p.blank()
		p.linef("  resumption  %s", clean(r.Resumption.words()))
	}
	p.verdict(r)
	if r.Err != nil {
		p.blank()
		p.linef("  error: %s", Explain(r.Err))
	}
}

type printer struct {
	w    io.Writer
	lmtp bool // LMTP's LHLO stands where EHLO does
}

func (p *printer) linef(format string, args ...any) { fmt.Fprintf(p.w, format+"\n", args...) }
func (p *printer) blank()                           { fmt.Fprintln(p.w) }

func (p *printer) header(r ProbeResult) {
	mode := "plaintext"
	switch {
	case r.ImplicitTLS, r.AskedTLS: // asked for, even if the handshake failed
		mode = "implicit TLS"
	case r.TLS != nil && r.StartTLS != nil:
		mode = "plaintext, then STARTTLS"
	}
	addr := routeWords(r.Route, r.Address, r.LMTP)
	if addr == "" {
		addr = "not connected"
	}
	p.linef("%s  (%s, %s)%s", clean(r.Target), addr, mode, took(r.Connect))
}

func (p *printer) hello(title string, h Hello, diff *session.CapDiff) {
	verb := "EHLO"
	if p.lmtp {
		verb, title = "LHLO", strings.Replace(title, "EHLO", "LHLO", 1)
	}
	if h.HELO {
		verb = "HELO (EHLO refused)"
	}
	p.linef("  %s: %s %d %s%s", title, verb, h.Reply.Code, clean(firstLine(h.Reply)), took(h.Took))
	added := map[string]bool{}
	if diff != nil {
		for _, c := range diff.Added {
			added[c.Keyword] = true
		}
	}
	for _, c := range h.Caps.List {
		p.capability(c, added[c.Keyword])
	}
	if diff == nil {
		return
	}
	for _, c := range diff.Removed {
		p.linef("  - %-30s gone after STARTTLS", clean(capText(c)))
	}
	for _, ch := range diff.Changed {
		p.linef("  ~ %-30s was %q", clean(ch.Keyword+" "+ch.After), clean(ch.Before))
	}
}

func (p *printer) capability(c session.Capability, added bool) {
	mark := " "
	if added {
		mark = "+"
	}
	star := " "
	if c.Keyword == "STARTTLS" || c.Keyword == "AUTH" {
		star = "*"
	}
	p.linef("  %s %s %-28s %s", mark, star, clean(capText(c)), capMeaning(c, added))
}

func capText(c session.Capability) string {
	sep := " "
	if c.Legacy {
		sep = "="
	}
	return strings.TrimSpace(c.Keyword + sep + c.Params)
}

func capMeaning(c session.Capability, added bool) string {
	meaning := ""
	if ext, ok := session.LookupExtension(c.Keyword); ok {
		meaning = ext.Name
	}
	if c.Keyword == "SIZE" {
		if n, ok := (session.Capabilities{List: []session.Capability{c}}).MaxSize(); ok && n > 0 {
			meaning = "messages up to " + session.HumanSize(n)
		} else {
			meaning = "no fixed size limit"
		}
	}
	if c.Keyword == "AUTH" && added {
		meaning = "appeared only after STARTTLS"
	}
	return meaning
}

func (p *printer) tls(t wire.TLSInfo) {
	verdict := "verified for " + clean(t.ServerName)
	switch {
	case t.VerifyError != nil && t.Insecure:
		verdict = "UNVERIFIED (--insecure): " + ExplainVerify(t.VerifyError)
	case t.VerifyError != nil:
		verdict = "NOT verified: " + ExplainVerify(t.VerifyError)
	}
	if t.SNI != "" { // RFC 7672 8.1: a CNAME'd MX host's TLSA base domain
		verdict += "; SNI " + clean(t.SNI)
	}
	version := t.Version
	if t.Weak {
		version += " (WEAK: below TLS 1.2, allowed by --tls-min)"
	}
	p.linef("  TLS  %s  %s  %s%s", version, t.Cipher, verdict, took(t.Handshake))
	defer p.tlsDetails(t)
	if len(t.Chain) == 0 {
		return
	}
	leaf := t.Chain[0]
	p.linef("    subject  %s", clean(leaf.Subject))
	p.linef("    issuer   %s", clean(leaf.Issuer))
	p.linef("    names    %s", clean(strings.Join(append(append([]string{}, leaf.DNSNames...), leaf.IPs...), " ")))
	p.linef("    valid    %s to %s (%s)", leaf.NotBefore.UTC().Format(time.DateTime), leaf.NotAfter.UTC().Format(time.DateTime+" MST"), untilText(leaf.NotAfter))
	p.linef("    sha256   %s", leaf.SHA256)
	if c := t.Check; c != nil { // a check besides WebPKI, such as DANE: its own verdict
		p.linef("    %-8s %s", c.Name, clean(c.Detail))
	}
}

func (p *printer) verdict(r ProbeResult) {
	if h := r.Plain(); h != nil && h.Caps.Has("AUTH") && !h.Caps.Has("STARTTLS") && r.TLS == nil {
		p.blank()
		p.linef("  => AUTH is offered in plaintext and STARTTLS is not: credentials would travel in clear")
		p.linef("     (or something on the path strips STARTTLS). Use implicit TLS (port 465) if the server has it.")
	}
	d, ok := r.Diff()
	if !ok {
		return
	}
	for _, c := range d.Added {
		if c.Keyword == "AUTH" {
			p.blank()
			p.linef("  => AUTH is offered only after STARTTLS. A client must send EHLO, STARTTLS, EHLO again,")
			p.linef("     then AUTH; Python's smtplib: ehlo(), starttls(), ehlo(), login().")
			return
		}
	}
}

func untilText(t time.Time) string {
	d := time.Until(t)
	if d < 0 {
		return "EXPIRED " + (-d).Round(time.Hour).String() + " ago"
	}
	if d > 48*time.Hour {
		return fmt.Sprintf("%d days left", int(d.Hours()/24))
	}
	return fmt.Sprintf("%dh%02dm left", int(d.Hours()), int(d.Minutes())%60)
}

func took(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return "  [" + session.Millis(d) + "]"
}

func firstLine(r session.Reply) string {
	if len(r.Lines) == 0 {
		return ""
	}
	return r.Lines[0]
}

func clean(s string) string { return session.SanitizeString(s) }

// Explain turns an error of a session into one line a user can act on.
func Explain(err error) string {
	var (
		inj        *wire.InjectionError
		plain      *wire.PlaintextError
		ver        *wire.VerifyError
		to         *wire.TimeoutError
		unanswered *UnansweredError
		mixed      *session.MixedCodesError
		desync     *wire.DesyncError
		op         *OpError
		first      *TLSFirstError
		tried      *TLSTriedError
		oldFirst   *OldTLSFirstError
		version    *wire.VersionError
		check      *wire.CheckError
		dial       = explainDial(err)
		transport  = explainTransport(err)
	)
	switch {
	case errors.As(err, &op): // a script's operation: its line, then the explanation of what went wrong
		return op.Error()
	case transport != "":
		return transport
	case errors.As(err, &mixed):
		return "protocol error" + atStep(err) + ": " + mixedText(mixed) +
			"; RFC 5321 4.2.1 requires the same code on every line, so it answers nothing" + fate(err)
	case errors.As(err, &desync):
		return "protocol error" + atStep(err) + ": " + desyncText(desync) + fate(err)
	case errors.As(err, &first):
		return explainTLSFirst(first)
	case errors.As(err, &oldFirst):
		return fmt.Sprintf("this port speaks TLS first (implicit TLS, as 465 does): no greeting in plaintext within %s, and a TLS handshake on a second connection was answered, but %s; then use --tls too",
			session.Millis(oldFirst.Silent), explainVersion(oldFirst.Err))
	case errors.As(err, &tried) && errors.As(err, &to):
		return fmt.Sprintf("greeting: timed out after %v: no greeting; implicit TLS, tried on a second connection, did not answer either (%s)", to.After, tlsAttemptWords(tried.TLSErr))
	case errors.As(err, &version):
		return explainVersion(version)
	case errors.As(err, &inj):
		return fmt.Sprintf("possible STARTTLS response injection: the server sent %d bytes after its 220 and before the TLS handshake (%s); the session was aborted",
			len(inj.Bytes), session.Sanitize(inj.Bytes))
	case errors.As(err, &plain) && plain.STARTTLS:
		return fmt.Sprintf("after its 220 to STARTTLS the server sent plaintext where the TLS handshake should be (%s): a broken server, or a possible response injection; the session was aborted",
			session.Sanitize(plain.Bytes))
	case errors.As(err, &plain):
		return "the server answered in plaintext where TLS was expected: this port speaks STARTTLS or plain SMTP, not implicit TLS (drop --tls, or use port 465 for implicit TLS)"
	case errors.As(err, &check):
		return "the certificate failed the " + check.Result.Name + " check, which is required: " + clean(check.Result.Detail) +
			"; the session stopped before anything was sent in TLS"
	case errors.As(err, &ver):
		return "the certificate did not verify: " + ExplainVerify(ver.Err) + verifyHint(ver.Err)
	case alertWords(err) != "":
		return stepPrefix(err) + alertWords(err)
	case dial != "" && isStep(err, StepConnect):
		return "connect: " + dial
	case dial != "":
		return dial
	case errors.As(err, &to) && isStep(err, StepGreeting):
		return fmt.Sprintf("greeting: timed out after %v: no greeting; this port may expect implicit TLS, as 465 does (try --tls)", to.After)
	case errors.Is(err, context.Canceled) && errors.As(err, &unanswered):
		return "interrupted (Ctrl-C) while waiting for the reply to " + unanswered.what() + ": the message may still be delivered, so sending it again may duplicate it"
	case errors.Is(err, context.Canceled):
		return "interrupted (Ctrl-C)" + atStep(err) + "; the connection was closed there"
	case errors.As(err, &unanswered) && unanswered.Within > 0: // the wait given (--data-timeout) ran out
		return personal(fmt.Sprintf("%s: no reply to %s within %v; the message may still be delivered, so sending it again may duplicate it",
			StepDataEnd, unanswered.what(), unanswered.Within))
	case errors.As(err, &unanswered):
		return personal(StepDataEnd + ": no reply to " + unanswered.what() + ": " + cause(unanswered.Err) +
			"; the message may still be delivered, so sending it again may duplicate it")
	}
	var step *StepError
	if errors.As(err, &step) {
		return personal(step.Step + ": " + cause(step.Err))
	}
	return cause(err)
}

// fate says, after the final ".", that the message's fate is unknown.
func fate(err error) string {
	if fateUnknown(err) {
		return `; whether the server took the message is unknown, so sending it again may duplicate it`
	}
	return ""
}

// mixedText describes a reply whose lines carry different codes, quoting
// its lines, sanitized.
func mixedText(e *session.MixedCodesError) string {
	codes := make([]string, 0, 2)
	for _, c := range e.Codes() {
		codes = append(codes, fmt.Sprintf("%03d", c))
	}
	lines := make([]string, len(e.Lines))
	for i, l := range e.Lines {
		lines[i] = `"` + clean(l) + `"`
	}
	return fmt.Sprintf("the lines of the reply carry different codes (%s): %s", strings.Join(codes, ", "), strings.Join(lines, " "))
}

// shownDesync is how much of the bytes of a desync a message quotes; the
// transcript holds them all.
const shownDesync = 120

// desyncText describes bytes that came while no reply was due, quoting
// them, sanitized. An unsolicited 421 is a server closing (RFC 5321 3.8).
func desyncText(e *wire.DesyncError) string {
	sent := session.Sanitize(e.Bytes[:min(len(e.Bytes), shownDesync)])
	if len(e.Bytes) > shownDesync {
		sent += fmt.Sprintf("… (%d bytes in all)", len(e.Bytes))
	}
	if bytes.HasPrefix(e.Bytes, []byte("421")) {
		return fmt.Sprintf(`the server sent "%s" unasked, while no reply was due: it is closing the session (RFC 5321 3.8); ehlo sent nothing more`, sent)
	}
	return fmt.Sprintf(`the server is out of step with the commands: it sent "%s" while no reply was due, so every later reply would answer the wrong command; ehlo stopped and sent nothing more`, sent)
}

// explainTLSFirst says that a port speaks TLS first, and what worked.
func explainTLSFirst(e *TLSFirstError) string {
	fix := "use --tls"
	if !e.TLS.Verified {
		fix = "use --tls, with --ca FILE or --insecure for its certificate"
	}
	return fmt.Sprintf("this port speaks TLS first (implicit TLS, as 465 does): no greeting in plaintext within %s, but a TLS handshake on a second connection was answered (%s) with the greeting %q (%s)",
		session.Millis(e.Silent), tlsWords(e.TLS), session.SanitizeString(oneLine(e.Greeting)), fix)
}

// explainVersion says which TLS versions each side offered, and how to
// look at an old server anyway.
func explainVersion(e *wire.VersionError) string {
	said := "it answered with the alert protocol_version: it supports none of them, only older ones"
	if e.Chosen != "" {
		said = "it chose " + e.Chosen
	}
	min := TLSMinFor(e)
	weak := ""
	if min < "1.2" {
		weak = "; TLS 1.0 and 1.1 are deprecated (RFC 8996), and the session is then marked weak"
	}
	return fmt.Sprintf("the server speaks an older TLS than we accept: we offered %s, and %s (to look anyway, allow it with --tls-min %s%s)",
		strings.Join(e.Offered, ", "), said, min, weak)
}

// TLSMinFor is the --tls-min value that lets a session with this server
// start: the version its ServerHello chose, else the one below the lowest
// we offered (1.0 below 1.2: servers that old often know 1.0 alone).
func TLSMinFor(e *wire.VersionError) string {
	if v, ok := strings.CutPrefix(e.Chosen, "TLS "); ok {
		return v
	}
	if len(e.Offered) > 0 && e.Offered[len(e.Offered)-1] == "TLS 1.3" {
		return "1.2"
	}
	return "1.0"
}

// verifyHint says how to get past a verification failure: the flag that
// fixes its cause, or --insecure to look anyway.
func verifyHint(err error) string {
	var hn x509.HostnameError
	if errors.As(err, &hn) {
		return " (give the name the certificate covers: the target's host, or --servername NAME; or --insecure to look anyway)"
	}
	return " (use --ca FILE to trust a private CA, or --insecure to look anyway)"
}

// explainDial says in words why a connection could not be made, or ""
// when the cause is none of the usual ones.
func explainDial(err error) string {
	var (
		dial *wire.DialError
		dns  *net.DNSError
		op   *net.OpError
	)
	if !errors.As(err, &dial) {
		return ""
	}
	addr := "there"
	if errors.As(err, &op) && op.Addr != nil {
		addr = "on " + op.Addr.String()
	}
	switch {
	case errors.As(err, &dns) && dns.IsNotFound:
		return fmt.Sprintf("no such host %q (check the name)", clean(dns.Name))
	case errors.As(err, &dns):
		return fmt.Sprintf("could not look up %q: %s", clean(dns.Name), clean(dns.Err))
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused: nothing listens " + addr + " (a wrong port, or the server is down)"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "no route to " + clean(dial.Target) + " (a wrong address, or no network)"
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return "no answer from " + clean(dial.Target) + " in time: the host is down, or a firewall drops the packets (outgoing port 25 is often blocked by ISPs and cloud providers)"
	}
	return ""
}

// atStep names the step err stopped, as " at STEP", or "".
func atStep(err error) string {
	var s *StepError
	if errors.As(err, &s) {
		return " at " + s.Step
	}
	return ""
}

func isStep(err error, step string) bool {
	var s *StepError
	return errors.As(err, &s) && s.Step == step
}

// ExplainVerify says why a certificate did not verify (wire.VerifyWords),
// sanitized for a screen or a report: the names are the server's.
func ExplainVerify(err error) string {
	return clean(wire.VerifyWords(err))
}
