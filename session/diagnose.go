package session

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Finding is one thing Diagnose has to say about a session. ID is the ID of
// the Rule it applies (see Rules): stable, documented, and what scripts and
// the TUI key on. Title and Fix start from the rule's and may carry the
// session's specifics; Evidence holds sanitized transcript lines in ehlo's
// markers ("C: EHLO x", "S: 250-AUTH PLAIN", "S~ ..." inside TLS) and
// notes of ehlo's own ("* no greeting within 5s").
type Finding struct {
	ID       string
	Severity Severity
	Title    string
	Evidence []string
	Fix      string
}

// Timing thresholds of the slow-greeting, tarpit and tls-expiring-soon
// findings.
const (
	SlowGreeting     = 3 * time.Second     // a greeting later than this is slow
	SlowReply        = 3 * time.Second     // a command reply later than this is a tarpit sign
	CertExpiringSoon = 14 * 24 * time.Hour // a verified certificate closer to its end than this (or a third of its lifetime) gets a warning
)

// Diagnose judges the facts of one session and returns its findings,
// ordered so that the first is the root cause of what the user asked for:
// first the steps that failed (connect, greeting, TLS, AUTH, MAIL, RCPT,
// DATA: Rule.Failure findings that are errors or warnings), in the order
// the session meets them (the order of Rules); then the rest by severity,
// and within a severity in that same order. How the server is set up
// (AUTH in clear, no STARTTLS) and advice follow what failed. It is pure:
// the same facts give the same findings.
func Diagnose(f Facts) []Finding {
	var out []Finding
	for _, check := range checks {
		out = append(out, check(f)...)
	}
	if a := f.Auth; a != nil && a.Exchange == nil && a.Skipped != "" {
		// the server wants AUTH and ehlo held the credentials back: the fix
		// is what made it hold them, not --user, which was given
		for i := range out {
			if out[i].ID == "auth-required" {
				out[i].Fix = "ehlo had credentials but did not send them: " + SanitizeString(a.Skipped) + "."
			}
		}
	}
	out = joinIdentity(out, f.Identity)
	out = append(out, f.Delivery...)
	slices.SortStableFunc(out, compareFindings)
	return out
}

// joinIdentity adds the identity findings; a reply finding of the same
// rule (the server's 550 for SPF) becomes evidence of the prediction,
// which keeps its trace and its fix, and takes the reply's severity and
// the recognised server's note. A refusal for identity that the check did
// not predict under the same rule gets the check's summary as evidence.
func joinIdentity(out, identity []Finding) []Finding {
	replies := len(out)
	joined := map[string]bool{}
	var summary []string
	for _, id := range identity {
		if id.ID == "identity" {
			summary = id.Evidence
		}
		i := slices.IndexFunc(out[:replies], func(f Finding) bool { return f.ID == id.ID })
		if i < 0 {
			out = append(out, id)
			continue
		}
		joined[id.ID] = true
		reply := out[i]
		id.Evidence = append(append(slices.Clone(id.Evidence), note("and the server refused it:")), reply.Evidence...)
		id.Severity = min(id.Severity, reply.Severity)
		if fix, _, ok := strings.Cut(reply.Fix, "\n"+mustRule(id.ID).Fix); ok && fix != "" {
			id.Fix = fix + "\n" + id.Fix // the known reply's note
		}
		out[i] = id
	}
	for i := range out[:replies] {
		if identityRules[out[i].ID] && !joined[out[i].ID] && len(summary) > 0 {
			out[i].Evidence = append(append(out[i].Evidence, note("ehlo's identity check before MAIL:")), summary...)
		}
	}
	return out
}

// identityRules are the rules of package identity's findings.
var identityRules = map[string]bool{"spf-fail": true, "spf-softfail": true, "spf-permerror": true, "spf-temperror": true,
	"spf-none": true, "dmarc-reject": true, "dmarc-quarantine": true, "ptr-missing": true, "ptr-mismatch": true,
	"helo-mismatch": true, "dnsbl-listed": true}

// compareFindings orders findings as Diagnose returns them.
func compareFindings(a, b Finding) int {
	if fa, fb := failedStep(a), failedStep(b); fa != fb {
		if fa {
			return -1
		}
		return 1
	}
	if !failedStep(a) && a.Severity != b.Severity {
		return int(a.Severity) - int(b.Severity)
	}
	return rulePriority(a.ID) - rulePriority(b.ID)
}

// failedStep reports whether f says that a step of the session failed.
func failedStep(f Finding) bool {
	r, ok := LookupRule(f.ID)
	return ok && r.Failure && f.Severity <= SeverityWarning
}

// checks each look at one part of the facts.
var checks = []func(Facts) []Finding{
	checkProblems, checkGreeting, checkHello, checkStartTLS, checkCert, checkTLSDetails, checkResumption, checkWithheld,
	checkAuthOffer, checkAuthResult, checkTransaction, checkTiming, checkExtensions,
}

// NewFinding starts a finding from the rule with that ID, for judgements
// made outside this package (package identity); it panics on an unknown
// ID, as a typo in a constant should.
func NewFinding(id string, evidence ...string) Finding { return newFinding(id, evidence...) }

// newFinding starts a finding from its rule.
func newFinding(id string, evidence ...string) Finding {
	r := mustRule(id)
	return Finding{ID: id, Severity: r.Severity, Title: r.Title, Evidence: evidence, Fix: r.Fix}
}

// note is an evidence line of ehlo's own, sanitized.
func note(format string, args ...any) string {
	return "* " + SanitizeString(fmt.Sprintf(format, args...))
}

// ---- problems: what broke the session ----

func checkProblems(f Facts) []Finding {
	var out []Finding
	for _, p := range f.Problems {
		out = append(out, problemFinding(f, p))
	}
	return out
}

func problemFinding(f Facts, p Problem) Finding {
	switch p.Kind {
	case ProblemConnect:
		return newFinding("connect-failed", note("%s", p.Detail))
	case ProblemNoGreeting:
		return noGreeting(f, p)
	case ProblemPlaintextAnswer:
		return plaintextAnswer(f, p)
	case ProblemInjection:
		return injection(f, p)
	case ProblemTLS:
		return newFinding("tls-failed", note("%s", p.Detail))
	case ProblemTimeout:
		x := newFinding("timeout", note("%s", p.Detail))
		x.Title = fmt.Sprintf("The server stopped answering at %s (no reply within %s)", p.Step, Millis(p.After))
		return x
	case ProblemClosed:
		x := newFinding("connection-closed", note("%s", p.Detail))
		x.Title = "The server closed the connection at " + p.Step
		return x
	case ProblemProtocol:
		return newFinding("protocol-error", note("%s", p.Detail))
	case ProblemMixedCodes:
		return mixedCodes(p)
	case ProblemDesync:
		return desync(p)
	}
	return newFinding("session-error", note("%s: %s", p.Step, p.Detail))
}

// noGreeting: silence in plaintext is the classic sign of an implicit-TLS
// port (RFC 8314 3.3); silence inside TLS, or when TLS failed too, is not.
func noGreeting(f Facts, p Problem) Finding {
	waited := note("connected in %s; no greeting within %s", mode(p.TLS), Millis(p.After))
	r := f.Retry
	if p.TLS || (r != nil && !(r.ImplicitTLS && r.Worked)) {
		x := newFinding("no-greeting", waited)
		if r != nil && !r.Worked {
			x.Evidence = append(x.Evidence, note("retried with %s: %s", mode(r.ImplicitTLS), r.Detail))
		}
		return x
	}
	x := newFinding("port-expects-implicit-tls", waited)
	x.Title = fmt.Sprintf("%s expects implicit TLS: no greeting in plaintext within %s", portOf(f.Target), Millis(p.After))
	if r != nil && r.Worked {
		x.Title += "; with TLS it greeted"
		x.Evidence = append(x.Evidence, note("retried with implicit TLS on a new connection:"))
		x.Evidence = append(x.Evidence, greetingLines(f)...)
	}
	return x
}

// plaintextAnswer: the reply to a ClientHello was SMTP, not TLS.
func plaintextAnswer(f Facts, p Problem) Finding {
	x := newFinding("port-expects-plaintext", note("sent a TLS ClientHello; the server answered in plaintext:"))
	x.Evidence = append(x.Evidence, rawLines("S: ", p.Bytes)...)
	x.Title = portOf(f.Target) + " speaks plaintext first: it answered the TLS ClientHello in plaintext"
	if r := f.Retry; r != nil && !r.ImplicitTLS && r.Worked {
		x.Title += "; in plaintext it works"
		x.Evidence = append(x.Evidence, note("retried in plaintext on a new connection:"))
		x.Evidence = append(x.Evidence, greetingLines(f)...)
	}
	return x
}

func injection(f Facts, p Problem) Finding {
	var ev []string
	if f.StartTLS != nil {
		ev = f.StartTLS.Lines()
	}
	ev = append(ev, note("then, before the TLS handshake, %d more bytes:", len(p.Bytes)))
	ev = append(ev, rawLines("S: ", p.Bytes)...)
	return newFinding("starttls-injection", ev...)
}

// mixedCodes: a reply that says two things at once answers nothing.
func mixedCodes(p Problem) Finding {
	ev := append([]string{note("the reply to %s:", p.Step)}, rawLines(serverMark(p.TLS), p.Bytes)...)
	x := newFinding("mixed-codes", ev...)
	x.Title = "The reply to " + SanitizeString(p.Step) + " carries different codes on its lines: it answers nothing"
	return x
}

// desync: bytes no command asked for; an unsolicited 421 is the server
// closing (RFC 5321 3.8), which ends the session all the same.
func desync(p Problem) Finding {
	ev := append([]string{note("at %s, while no reply was due, the server sent:", p.Step)}, rawLines(serverMark(p.TLS), p.Bytes)...)
	x := newFinding("desync", ev...)
	x.Title = "The server is out of step at " + SanitizeString(p.Step) + ": it sent a reply nothing asked for"
	if bytes.HasPrefix(p.Bytes, []byte("421")) {
		x.Title = "The server sent 421 unasked at " + SanitizeString(p.Step) + ": it is closing the session"
	}
	return x
}

// serverMark is the evidence prefix of a server line: "S~ " inside TLS.
func serverMark(inTLS bool) string {
	if inTLS {
		return "S~ "
	}
	return "S: "
}

// rawLines shows server bytes as sanitized lines, one per line received.
func rawLines(prefix string, b []byte) []string {
	var out []string
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if line == "" {
			continue
		}
		line = strings.TrimSuffix(line, "\r\n")
		out = append(out, prefix+SanitizeString(line))
	}
	return out
}

func greetingLines(f Facts) []string {
	if f.Greeting == nil {
		return nil
	}
	return f.Greeting.Lines()
}

// ---- the greeting and EHLO ----

func checkGreeting(f Facts) []Finding {
	g := f.Greeting
	if g == nil || g.Reply.Code == 220 {
		return nil
	}
	x := newFinding("greeting-refused", g.Lines()...)
	x.Title = fmt.Sprintf("The server refused the session in its greeting (%d)", g.Reply.Code)
	return addKnown(x, g.Reply, "")
}

func checkHello(f Facts) []Finding {
	if len(f.Hellos) > 0 && Verb(f.Hellos[0].Command) == "LHLO" && f.Hellos[0].Reply.Class() == ClassPermanent {
		return []Finding{newFinding("lhlo-refused", f.Hellos[0].Lines()...)} // no HELO in LMTP (RFC 2033 4.1)
	}
	if len(f.Hellos) == 0 || Verb(f.Hellos[0].Command) != "EHLO" || f.Hellos[0].Reply.Class() != ClassPermanent {
		return nil
	}
	var ev []string
	for _, x := range f.Hellos {
		ev = append(ev, x.Lines()...)
	}
	x := newFinding("ehlo-refused", ev...)
	if last := f.Hellos[len(f.Hellos)-1]; !last.Reply.OK() {
		x.Severity, x.Title = SeverityError, "The server refused both EHLO and HELO"
	}
	return []Finding{x}
}

// ---- STARTTLS and the certificate ----

func checkStartTLS(f Facts) []Finding {
	if x := f.StartTLS; x != nil && x.Reply.Code != 220 {
		return []Finding{newFinding("starttls-refused", x.Lines()...)}
	}
	plain, ok := f.PlainCaps()
	if !ok || f.ImplicitTLS || plain.Has("STARTTLS") {
		return nil
	}
	ev := append(f.hello(false).Lines(), note("no STARTTLS in the list"))
	return []Finding{newFinding("no-starttls", ev...)}
}

func checkCert(f Facts) []Finding {
	t := f.TLS
	if t == nil {
		return nil
	}
	if t.Weak {
		x := newFinding("tls-weak-version", note("%s, %s: below TLS 1.2, allowed by --tls-min", t.Version, t.Cipher))
		x.Title = fmt.Sprintf("The server speaks %s, deprecated (RFC 8996)", SanitizeString(t.Version))
		return append([]Finding{x}, checkVerified(f, t)...)
	}
	return checkVerified(f, t)
}

// checkVerified is what the certificate's verification found.
func checkVerified(f Facts, t *TLSFacts) []Finding {
	if t.Verified {
		return certOK(f, t)
	}
	ev := certLines(t)
	switch t.Problem {
	case CertUnknownAuthority:
		x := newFinding("tls-unknown-authority", ev...)
		if len(t.Chain) > 0 && t.Chain[0].SelfSigned {
			x.Title = "The certificate is self-signed: no trusted authority vouches for it"
		}
		return []Finding{x}
	case CertNameMismatch:
		x := newFinding("tls-name-mismatch", ev...)
		x.Title = fmt.Sprintf("The certificate is for %s, not %s", covered(t), SanitizeString(t.ServerName))
		return []Finding{x}
	case CertExpired:
		x := newFinding("tls-expired", ev...)
		if len(t.Chain) > 0 {
			x.Title = "The certificate expired on " + day(t.Chain[0].NotAfter) + ago(f.Now, t.Chain[0].NotAfter)
		}
		return []Finding{x}
	case CertNotYetValid:
		x := newFinding("tls-not-yet-valid", ev...)
		if len(t.Chain) > 0 {
			x.Title = "The certificate is valid only from " + day(t.Chain[0].NotBefore)
		}
		return []Finding{x}
	}
	x := newFinding("tls-failed", append([]string{note("%s", t.Detail)}, ev...)...)
	x.Title = "The certificate did not verify"
	return []Finding{x}
}

// checkWithheld says what was not tested over TLS that did not verify,
// and that --insecure tests it.
func checkWithheld(f Facts) []Finding {
	if len(f.Withheld) == 0 {
		return nil
	}
	x := newFinding("not-tested", note("the certificate did not verify: the session stopped after the TLS handshake"))
	x.Title = "Not tested over TLS that did not verify: " + SanitizeString(strings.Join(f.Withheld, ", "))
	return []Finding{x}
}

func certOK(f Facts, t *TLSFacts) []Finding {
	x := newFinding("tls-ok", note("%s, %s, certificate verified for %s", t.Version, t.Cipher, t.ServerName))
	x.Title = fmt.Sprintf("%s; the certificate verified for %s", SanitizeString(t.Version), SanitizeString(t.ServerName))
	if len(t.Chain) == 0 {
		return []Finding{x}
	}
	leaf := t.Chain[0]
	x.Title += ", valid until " + day(leaf.NotAfter)
	out := []Finding{x}
	if !f.Now.IsZero() && leaf.NotAfter.Sub(f.Now) < expiringSoon(leaf) {
		w := newFinding("tls-expiring-soon", certLines(t)...)
		w.Title = fmt.Sprintf("The certificate expires on %s, in %s", day(leaf.NotAfter), days(leaf.NotAfter.Sub(f.Now)))
		out = append(out, w)
	}
	return out
}

// expiringSoon is how close to its end a certificate gets a warning:
// CertExpiringSoon, or a third of its lifetime for short-lived ones (a
// 6-day certificate is renewed every few days, not two weeks ahead).
func expiringSoon(c Cert) time.Duration {
	return min(CertExpiringSoon, c.NotAfter.Sub(c.NotBefore)/3)
}

// certLines shows the chain: the leaf in full, the others by name, each
// with its SHA-256 fingerprint.
func certLines(t *TLSFacts) []string {
	var out []string
	for i, c := range t.Chain {
		out = append(out, note("certificate %d: %s (issuer: %s)%s", i+1, c.Subject, c.Issuer, selfSigned(c)))
		if i == 0 {
			out = append(out, note("  covers %s; valid %s to %s", strings.Join(c.Names, ", "), day(c.NotBefore), day(c.NotAfter)))
		}
		out = append(out, note("  sha256 %s", c.SHA256))
	}
	if len(out) == 0 {
		out = append(out, note("the server sent no certificate"))
	}
	return out
}

func selfSigned(c Cert) string {
	if c.SelfSigned {
		return ", self-signed"
	}
	return ""
}

func covered(t *TLSFacts) string {
	if len(t.Chain) == 0 || len(t.Chain[0].Names) == 0 {
		return "no name"
	}
	return SanitizeString(strings.Join(t.Chain[0].Names, ", "))
}

// ---- AUTH ----

// checkAuthOffer tells where AUTH is offered: only after STARTTLS (the
// smtplib story), never (not a submission server), or in clear.
func checkAuthOffer(f Facts) []Finding {
	plain, hasPlain := f.PlainCaps()
	secure, hasSecure := f.SecureCaps()
	switch {
	case hasPlain && !f.ImplicitTLS && plain.Has("AUTH") && !plain.Has("STARTTLS"):
		return []Finding{authPlaintext(f)}
	case hasPlain && plain.Has("AUTH"):
		return []Finding{authInClear(f)}
	case hasPlain && hasSecure && plain.Has("STARTTLS") && secure.Has("AUTH"):
		return []Finding{authAfterStartTLS(f)}
	case hasSecure && !secure.Has("AUTH"):
		return []Finding{authMissing(f, f.hello(true))}
	case hasPlain && !hasSecure && !plain.Has("STARTTLS"):
		return []Finding{authMissing(f, f.hello(false))}
	case hasSecure && f.Auth == nil:
		return []Finding{authOffered(f)}
	}
	return nil
}

func authPlaintext(f Facts) Finding {
	x := f.hello(false)
	line, _ := x.capLine("AUTH")
	out := newFinding("auth-plaintext", x.commandLine(), line, note("no STARTTLS in the list"))
	if a := f.Auth; a != nil && a.Exchange != nil && !a.Exchange.TLS && credentialsSent(*a.Exchange) {
		out.Title = "AUTH is offered in plaintext and STARTTLS is not: the credentials travelled in clear"
	}
	return out
}

// credentialsSent: the AUTH line carried them (an initial response, shown
// redacted), or the server judged them (235, 535). A 504 to AUTH LOGIN
// came before any.
func credentialsSent(x Exchange) bool {
	return strings.Contains(x.Command, "<redacted") || x.Reply.Code == 235 || x.Reply.Code == 535
}

func authInClear(f Facts) Finding {
	x := f.hello(false)
	auth, _ := x.capLine("AUTH")
	starttls, _ := x.capLine("STARTTLS")
	return newFinding("auth-offered-in-clear", x.commandLine(), auth, starttls)
}

// authAfterStartTLS tells the story in the transcript's own lines: the
// first EHLO without AUTH, STARTTLS, and AUTH in the second.
func authAfterStartTLS(f Facts) Finding {
	ev := f.hello(false).Lines()
	ev = append(ev, note("no AUTH before STARTTLS"))
	if f.StartTLS != nil {
		ev = append(ev, f.StartTLS.Lines()...)
	}
	secure := f.hello(true)
	line, _ := secure.capLine("AUTH")
	ev = append(ev, secure.commandLine(), line)
	return newFinding("auth-after-starttls", ev...)
}

// authMissing is advice (use a submission server to submit), or an error
// when the user has credentials to use.
func authMissing(f Facts, x *Exchange) Finding {
	ev := append(x.Lines(), note("no AUTH in the list"))
	out := newFinding("auth-missing", ev...)
	if !x.TLS && !f.ImplicitTLS {
		out.Title = "No AUTH, and no STARTTLS to look further: this is not a submission server"
	}
	if f.Auth != nil {
		out.Severity = SeverityError
		out.Title = "No AUTH: the server offers no way to sign in, so the credentials cannot be used"
	}
	return out
}

func authOffered(f Facts) Finding {
	secure, _ := f.SecureCaps()
	line, _ := f.hello(true).capLine("AUTH")
	x := newFinding("auth-offered", line)
	x.Title = "AUTH is offered: " + SanitizeString(strings.Join(secure.AuthMechanisms(), " "))
	return x
}

// checkAuthResult explains the AUTH attempt with the same rules as Explain.
func checkAuthResult(f Facts) []Finding {
	a := f.Auth
	if a == nil {
		return nil
	}
	if a.Exchange == nil {
		caps, _ := f.Caps()
		if a.Skipped == "" || !caps.Has("AUTH") {
			return nil
		}
		if a.Wanted != "" && !slices.ContainsFunc(caps.AuthMechanisms(), func(m string) bool { return strings.EqualFold(m, a.Wanted) }) {
			return []Finding{mechanismNotOffered(f, a.Wanted, caps)}
		}
		x := newFinding("auth-not-tried", note("%s", a.Skipped))
		x.Title = "Credentials were not sent: " + a.Skipped
		return []Finding{x}
	}
	caps, _ := f.Caps()
	ctx := ExplainContext{Command: a.Exchange.Command, TLS: a.Exchange.TLS, Caps: caps}
	x := replyFinding(*a.Exchange, ctx)
	if x.ID == "starttls-required" {
		x = tlsFirst(f, x, *a.Exchange)
	}
	if x.ID == "auth-ok" {
		x.Title = fmt.Sprintf("Signed in as %s with %s (235)", SanitizeString(a.User), SanitizeString(a.Mechanism))
	}
	if x.ID == "" {
		return nil
	}
	return []Finding{x}
}

// mechanismNotOffered: the mechanism the user asked for is not among
// those the latest EHLO lists, so it was not tried.
func mechanismNotOffered(f Facts, want string, caps Capabilities) Finding {
	x := f.hello(true)
	if _, secure := f.SecureCaps(); !secure {
		x = f.hello(false)
	}
	line, _ := x.capLine("AUTH")
	out := newFinding("auth-mechanism-not-offered", x.commandLine(), line)
	out.Title = fmt.Sprintf("AUTH %s is not offered: the server offers %s", SanitizeString(want),
		SanitizeString(strings.Join(caps.AuthMechanisms(), " ")))
	return out
}

// replyFinding is the finding Explain's rule gives for an exchange, with a
// well-known reply's note leading the fix. (A reply whose lines carry
// different codes never gets here: ParseReply refuses it, and the doctor
// names it with mixedCodes.)
func replyFinding(x Exchange, ctx ExplainContext) Finding {
	e := Explain(x.Reply, ctx)
	if e.Rule == "" {
		return Finding{}
	}
	out := newFinding(e.Rule, x.Lines()...)
	return addKnownNote(out, e.Known)
}

// addKnown adds a well-known reply's note to a finding about r.
func addKnown(x Finding, r Reply, verb string) []Finding {
	if k, ok := MatchKnownReply(r, verb); ok {
		x = addKnownNote(x, &k)
	}
	return []Finding{x}
}

// addKnownNote says which well-known reply a finding's reply is, and puts
// its note, if any, before the fix.
func addKnownNote(x Finding, k *KnownReply) Finding {
	if k == nil {
		return x
	}
	x.Evidence = append(x.Evidence, note("recognised: %s", k.Name))
	if k.Note != "" {
		x.Fix = k.Note + "\n" + x.Fix
	}
	return x
}

// ---- MAIL, RCPT and DATA ----

func checkTransaction(f Facts) []Finding {
	caps, _ := f.Caps()
	ctx := ExplainContext{Authenticated: f.authenticated(), Caps: caps}
	var out []Finding
	for _, x := range f.transaction() {
		ctx.Command, ctx.TLS = x.Command, x.TLS
		fd := replyFinding(x, ctx)
		if fd.ID == "starttls-required" {
			fd = tlsFirst(f, fd, x)
		}
		if fd.ID != "" {
			out = mergeFinding(out, fd, x)
		}
	}
	return out
}

// tlsFirst names a port that refused a command in plaintext until
// STARTTLS (RFC 3207 4), and what stood in the way: no STARTTLS offered
// (perhaps stripped on the path), or a STARTTLS that failed.
func tlsFirst(f Facts, fd Finding, x Exchange) Finding {
	fd.Title = fmt.Sprintf("%s requires TLS first: it refused %s in plaintext (%s)",
		portOf(f.Target), commandName(x.Command), codeText(x.Reply))
	plain, ok := f.PlainCaps()
	switch {
	case f.StartTLS != nil && f.StartTLS.Reply.Code != 220:
		fd.Title += fmt.Sprintf(", and its STARTTLS failed (%d)", f.StartTLS.Reply.Code)
	case ok && !plain.Has("STARTTLS"):
		fd.Title += ", and it offers no STARTTLS: something on the path may strip it"
		fd.Fix = "The EHLO reply lists no STARTTLS although the server wants it: a middlebox (a firewall's SMTP inspection) may be removing it. " +
			"Compare from another network, or use implicit TLS (port 465, --tls).\n" + fd.Fix
	}
	return fd
}

// commandName is how a title names the command of a line: "MAIL FROM",
// "RCPT TO", the final ".", or the verb.
func commandName(line string) string {
	if strings.TrimSpace(line) == "." {
		return `the final "."`
	}
	switch v := SanitizeString(Verb(line)); v {
	case "MAIL":
		return "MAIL FROM"
	case "RCPT":
		return "RCPT TO"
	default:
		return v
	}
}

// codeText is a reply's code and enhanced code: "530 5.7.0", "530".
func codeText(r Reply) string {
	return strings.TrimSpace(fmt.Sprintf("%d %s", r.Code, r.Enhanced))
}

// transaction lists MAIL, each RCPT, DATA and the end of data.
func (f Facts) transaction() []Exchange {
	var xs []Exchange
	if f.Mail != nil {
		xs = append(xs, *f.Mail)
	}
	xs = append(xs, f.Rcpts...)
	if f.Data != nil && f.Data.Reply.Code != 354 {
		xs = append(xs, *f.Data)
	}
	if f.DataEnd != nil {
		xs = append(xs, *f.DataEnd)
	}
	return append(xs, f.Deliveries...)
}

// mergeFinding folds a second finding with the same ID (two refused
// recipients) into the first, adding its evidence.
func mergeFinding(out []Finding, fd Finding, x Exchange) []Finding {
	for i := range out {
		if out[i].ID == fd.ID {
			out[i].Evidence = append(out[i].Evidence, x.Lines()...)
			return out
		}
	}
	if title, ok := recipientTitles[fd.ID]; ok && Verb(x.Command) == "RCPT" {
		fd.Title = fmt.Sprintf(title, SanitizeString(pathArg(x.Command)))
	}
	return append(out, fd)
}

// recipientTitles name the recipient in the titles of RCPT findings.
var recipientTitles = map[string]string{
	"rcpt-accepted": "The recipient <%s> was accepted",
	"relay-denied":  "Relay access denied for <%s>: the server will not pass this mail on",
	"auth-required": "The server refused <%s> because the client did not sign in: it offers AUTH, which was not used",
	"unknown-user":  "The recipient <%s> does not exist here",
	"rcpt-refused":  "The server refused the recipient <%s>",
	"greylisted":    "Greylisted at <%s>: the server asks to retry later",
}

// ---- timing ----

func checkTiming(f Facts) []Finding {
	var out []Finding
	if g := f.Greeting; g != nil && g.Took >= SlowGreeting {
		x := newFinding("slow-greeting", append([]string{note("connected; the greeting came after %s", Millis(g.Took))}, g.Lines()...)...)
		x.Title = "The greeting took " + Millis(g.Took)
		out = append(out, x)
	}
	var slow []string
	var worst Exchange
	for _, x := range f.commands() {
		if x.Took >= SlowReply {
			slow = append(slow, note("%s answered after %s", x.Command, Millis(x.Took)))
			if x.Took > worst.Took {
				worst = x
			}
		}
	}
	if len(slow) > 0 {
		x := newFinding("tarpit", slow...)
		x.Title = fmt.Sprintf("The server answers commands slowly: %d repl%s took %s or more (slowest: %s, %s)",
			len(slow), plural(len(slow), "y", "ies"), Millis(SlowReply), SanitizeString(Verb(worst.Command)), Millis(worst.Took))
		out = append(out, x)
	}
	return out
}

// commands lists every exchange with a command, except the end of data,
// whose reply may take long for content checks (RFC 5321 4.5.3.2.6).
func (f Facts) commands() []Exchange {
	xs := slices.Clone(f.Hellos)
	for _, x := range []*Exchange{f.StartTLS, f.Mail, f.Data} {
		if x != nil {
			xs = append(xs, *x)
		}
	}
	if f.Auth != nil && f.Auth.Exchange != nil {
		xs = append(xs, *f.Auth.Exchange)
	}
	xs = append(xs, f.Rcpts...)
	return append(xs, f.Others...)
}

// ---- extensions ----

// checkExtensions sums up in one finding the extensions of the latest
// accepted EHLO, in the server's order, except STARTTLS and AUTH, which
// have findings of their own.
func checkExtensions(f Facts) []Finding {
	caps, ok := f.Caps()
	if !ok {
		return nil
	}
	x := f.hello(true)
	if _, secure := f.SecureCaps(); !secure {
		x = f.hello(false)
	}
	var names, ev []string
	for i, line := range x.Reply.Lines {
		c, ok := parseCapability(line)
		if i == 0 || !ok || c.Keyword == "STARTTLS" || c.Keyword == "AUTH" {
			continue
		}
		names = append(names, extensionName(caps, c))
		ev = append(ev, replyLine(x.Reply, i, x.TLS))
	}
	if len(names) == 0 {
		return nil
	}
	out := newFinding("extensions", ev...)
	out.Title = "Extensions: " + SanitizeString(strings.Join(names, ", "))
	return []Finding{out}
}

// extensionName is an extension as the title names it: SIZE with its
// limit in words, the others as advertised.
func extensionName(caps Capabilities, c Capability) string {
	name := strings.TrimSpace(c.Keyword + " " + c.Params)
	if c.Keyword != "SIZE" {
		return name
	}
	switch n, ok := caps.MaxSize(); {
	case ok && n > 0:
		return fmt.Sprintf("%s (messages up to %s)", name, HumanSize(n))
	case ok:
		return "SIZE (no fixed limit)"
	}
	return name + " (not a number of bytes)"
}

// ---- formatting ----

func mode(tls bool) string {
	if tls {
		return "implicit TLS"
	}
	return "plaintext"
}

// portOf names the target's port for titles: "Port 465" for
// "host:465" or "[v6]:465", "This port" when the target has none.
func portOf(target string) string {
	port := ""
	switch {
	case strings.HasPrefix(target, "["):
		_, port, _ = strings.Cut(target, "]:")
	case strings.Count(target, ":") == 1:
		_, port, _ = strings.Cut(target, ":")
	}
	if port == "" {
		return "This port"
	}
	return "Port " + SanitizeString(port)
}

// Millis formats a duration for people: "0.4ms", "120ms", "5.0s". Probe,
// doctor and the timing views all use it.
func Millis(d time.Duration) string {
	switch {
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}

func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

func days(d time.Duration) string {
	n := int(d.Hours() / 24)
	if n < 1 {
		return "less than a day"
	}
	return fmt.Sprintf("%d day%s", n, plural(n, "", "s"))
}

func ago(now, t time.Time) string {
	if now.IsZero() || now.Before(t) {
		return ""
	}
	return " (" + days(now.Sub(t)) + " ago)"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// ---- what else the handshake agreed, and resumption ----

// checkTLSDetails judges the handshake beyond version and certificate: a
// stapled OCSP response that says revoked or does not hold, and a session
// without forward secrecy.
func checkTLSDetails(f Facts) []Finding {
	t := f.TLS
	if t == nil {
		return nil
	}
	var out []Finding
	if o := t.OCSP; o != nil {
		out = append(out, ocspFinding(o)...)
	}
	if t.NoForwardSecrecy {
		x := newFinding("tls-no-forward-secrecy", note("%s, %s: RSA key exchange, no ephemeral key", t.Version, t.Cipher))
		out = append(out, x)
	}
	return out
}

// ocspFinding: a valid response that says revoked is an error; one that
// does not hold, whatever it says, a warning; a good one nothing.
func ocspFinding(o *OCSPFacts) []Finding {
	switch {
	case o.Problem != "":
		status := o.Status
		if status == "" {
			status = "unreadable"
		}
		x := newFinding("tls-ocsp-invalid", note("stapled OCSP response: %s; it does not hold: %s", status, o.Problem))
		return []Finding{x}
	case o.Status == "revoked":
		x := newFinding("tls-ocsp-revoked", note("stapled OCSP response: revoked on %s UTC, signed by the issuer, current",
			o.RevokedAt.UTC().Format(time.DateTime)))
		x.Title = "The stapled OCSP response says the certificate was revoked on " + day(o.RevokedAt)
		return []Finding{x}
	}
	return nil
}

// checkResumption says what a second connection showed (doctor
// --reconnect).
func checkResumption(f Facts) []Finding {
	r := f.Resumption
	switch {
	case r == nil:
		return nil
	case r.Detail != "":
		x := newFinding("tls-not-resumed", note("the second connection failed: %s", r.Detail))
		x.Title = "TLS resumption not tested: the second connection failed"
		return []Finding{x}
	case !r.Ticket:
		x := newFinding("tls-not-resumed", note("the server issued no session ticket in the first session"))
		x.Title = "TLS sessions cannot be resumed: the server issued no ticket"
		return []Finding{x}
	case !r.Resumed:
		return []Finding{newFinding("tls-not-resumed", note("the ticket was offered on a second connection; the server made a full handshake (%s)", r.Version))}
	}
	return []Finding{newFinding("tls-resumed", note("resumed on a second connection (%s)", r.Version))}
}
