package client

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/ehlo-sh/ehlo/dns"
	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// DoctorConfig says what ehlo doctor checks and how.
type DoctorConfig struct {
	Target string
	// Options are the connection settings. Verification is always
	// computed and a failure is reported as a finding; the diagnosis goes
	// on over TLS that did not verify only when Options.Insecure is set,
	// and credentials go in clear to a host that is not loopback only
	// then too.
	Options  Options
	User     string // sign in as this user; "" skips AUTH
	Password string // never printed, never kept in the result
	// Mechanism is the SASL mechanism to sign in with: PLAIN, LOGIN,
	// CRAM-MD5 or XOAUTH2 (Password is then the token); "" or "auto"
	// takes the strongest offered (session.PreferredMechanism). One the
	// server does not offer is not tried.
	Mechanism string
	From      string   // MAIL FROM address; "" skips the transaction
	To        []string // RCPT TO addresses; they need From
	Send      bool     // send a small test message after RCPT, instead of RSET
	// GreetingWait is the silence in plaintext after which implicit TLS is
	// tried as well; 0 means Options.GreetingWait, below 0 never.
	GreetingWait time.Duration
	// DNS, when set, is the resolver asked before MAIL who the server thinks
	// the client is (package identity: SPF for From, DMARC, reverse DNS,
	// DNSBL); its exchanges become D: lines of the transcript. nil skips
	// the check.
	DNS   *dns.Client
	DNSBL []string // blocklist zones to ask about the client's address
	// Progress, when set, is told in a line for people what the doctor is
	// waiting for, such as a greeting that does not come. It may be called
	// from another goroutine, never twice at once.
	Progress func(string)
}

// Check rejects a configuration that cannot run: a bad target, addresses
// that cannot be sent, a password without a user, RCPT without MAIL.
func (cfg DoctorConfig) Check() error {
	if _, _, err := wire.ParseTarget(cfg.Target); err != nil {
		return err
	}
	switch {
	case cfg.User != "" && cfg.Password == "":
		return errors.New("--user needs a password: --password-stdin or EHLO_PASSWORD")
	case cfg.mechanism() != "" && cfg.User == "":
		return errors.New("--auth needs --user")
	case len(cfg.To) > 0 && cfg.From == "":
		return errors.New("--to needs --from")
	case cfg.Send && (cfg.From == "" || len(cfg.To) == 0):
		return errors.New("--send needs --from and --to")
	}
	if m := cfg.mechanism(); m != "" {
		if !session.Speaks(m) {
			return fmt.Errorf("--auth: ehlo speaks %s (or auto), not %s", session.Mechanisms, session.SanitizeString(m))
		}
	}
	if cfg.From != "" {
		if _, err := session.MailFrom(cfg.From); err != nil {
			return fmt.Errorf("--from: %w", err)
		}
	}
	for _, to := range cfg.To {
		if _, err := session.RcptTo(to); err != nil {
			return fmt.Errorf("--to: %w", err)
		}
	}
	return nil
}

// mechanism is the mechanism asked for, upper-case; "" for the strongest
// offered.
func (cfg DoctorConfig) mechanism() string {
	if m := strings.ToUpper(cfg.Mechanism); m != "AUTO" {
		return m
	}
	return ""
}

// DoctorResult is what a doctor run found.
type DoctorResult struct {
	Target   string
	Address  string            // "ip:port" of the connection the facts describe
	Route    *wire.Route       // how the bytes of that connection went
	LMTP     bool              // LMTP was spoken (--protocol lmtp)
	Facts    session.Facts     // what the session observed
	Findings []session.Finding // session.Diagnose(Facts)
	Timeline []Span            // the session's steps, from the first dial
	Entries  []wire.Entry      // the transcript of every attempt, in order; secrets in their shown form
	// MX is the route, DANE and MTA-STS of the domain (doctor --mx), and
	// Via the MX host the session is with ("" when none answered).
	MX           *DomainResult
	Via          string
	DANEVerified bool // the session's chain matched the MX's TLSA records
}

// Failed reports whether any finding is an error.
func (r DoctorResult) Failed() bool {
	for _, f := range r.Findings {
		if f.Severity == session.SeverityError {
			return true
		}
	}
	return false
}

// Doctor runs what a mail administrator checks, one step after the other,
// and diagnoses it: connect (implicit TLS on 465 or with Options.ImplicitTLS;
// if a plaintext port stays silent for GreetingWait, implicit TLS is tried
// on a second connection meanwhile; if an implicit-TLS handshake gets a
// plaintext answer, plaintext is tried), greeting, EHLO (HELO fallback),
// STARTTLS when offered, the certificate, EHLO again, AUTH with the
// strongest advertised mechanism, or cfg.Mechanism, when credentials are
// given, MAIL and RCPT
// when addresses are given, then RSET, or DATA with a small test message
// when cfg.Send, and QUIT. When the certificate does not verify it stops
// after the handshake, unless Options.Insecure, and lists what it did not
// test (Facts.Withheld). It never fails: what went wrong is in the
// findings.
func Doctor(ctx context.Context, cfg DoctorConfig) DoctorResult {
	d := &doctor{cfg: cfg, t: wire.NewTranscript(), start: time.Now()}
	if cfg.Options.TLS.Reconnect {
		d.cfg.Options.TLS.Reconnect = false
		d.cfg.Options, d.tickets = withTickets(d.cfg.Options)
	}
	d.facts = session.Facts{Target: cfg.Target, Now: d.start}
	d.run(ctx)
	d.resume(ctx)
	entries := append(append(d.earlier, d.t.Entries()...), d.later...)
	return DoctorResult{
		Target:   cfg.Target,
		Address:  d.address,
		Route:    d.route,
		LMTP:     cfg.Options.LMTP,
		Facts:    d.facts,
		Findings: session.Diagnose(d.facts),
		Timeline: Timeline(entries, d.start),
		Entries:  entries,
	}
}

// doctor is one run's state.
type doctor struct {
	cfg      DoctorConfig
	facts    session.Facts
	c        *Client
	t        *wire.Transcript // the transcript of the current attempt
	earlier  []wire.Entry     // entries of an attempt given up on
	later    []wire.Entry     // entries of the second connection (--reconnect)
	tickets  *ticketCache     // the session cache of --reconnect; nil without it
	implicit bool             // the session used began with TLS
	address  string
	route    *wire.Route
	start    time.Time
	failed   bool // a problem broke the session: no QUIT
}

// fail records what broke the session.
func (d *doctor) fail(p session.Problem) {
	d.facts.Problems = append(d.facts.Problems, p)
	d.failed = true
}

func (d *doctor) run(ctx context.Context) {
	if !d.connect(ctx) {
		return
	}
	defer d.c.Close()
	if d.unverified() { // implicit TLS
		d.withhold(ctx)
		return
	}
	if !d.hello(ctx) || !d.upgrade(ctx) {
		return
	}
	if d.authenticate(ctx) {
		d.identity(ctx)
		d.transaction(ctx)
	}
	if !d.failed {
		d.quit(ctx)
	}
}

// ---- connecting, with the port/mode checks ----

// connect dials in the mode the target and options call for and reads the
// greeting, switching modes when the first attempt shows a mismatch.
func (d *doctor) connect(ctx context.Context) bool {
	_, port, _ := wire.ParseTarget(d.cfg.Target)
	implicit := d.cfg.Options.ImplicitTLS || (!d.cfg.Options.Plain && port == "465")
	if implicit {
		return d.connectTLS(ctx)
	}
	return d.connectPlain(ctx)
}

// attempt is one connection and its greeting.
type attempt struct {
	c     *Client
	g     session.Reply
	took  time.Duration // connected (or handshake done) to greeting
	dial  time.Duration
	err   error
	step  string
	t     *wire.Transcript
	inTLS bool
}

// dialGreet dials in one mode and reads the greeting.
func (d *doctor) dialGreet(ctx context.Context, implicit bool, t *wire.Transcript) attempt {
	a := attempt{t: t, inTLS: implicit, step: StepConnect}
	start := time.Now()
	a.c, a.err = Dial(ctx, d.cfg.Target, d.options(implicit), t)
	a.dial = time.Since(start)
	if a.err != nil {
		return a
	}
	return d.greet(ctx, a)
}

// greet reads the greeting of a's connection.
func (d *doctor) greet(ctx context.Context, a attempt) attempt {
	a.step = StepGreeting
	start := time.Now()
	a.g, a.err = a.c.Greeting(ctx)
	a.took = time.Since(start)
	if a.err != nil {
		a.c.Close()
	}
	return a
}

// options are the connection options of an attempt: verification is
// always computed, never fatal (Insecure), so that the doctor can look
// further and report it.
func (d *doctor) options(implicit bool) Options {
	o := d.cfg.Options
	o.ImplicitTLS, o.Plain, o.Insecure, o.GreetingWait = implicit, !implicit, true, d.greetingWait()
	return o
}

// connectTLS: implicit TLS, and plaintext again if the server answers the
// ClientHello in plaintext.
func (d *doctor) connectTLS(ctx context.Context) bool {
	after := d.greetingWait()
	if after <= 0 {
		after = DefaultGreetingWait
	}
	hint := time.AfterFunc(after, func() {
		d.progress(fmt.Sprintf("no greeting yet after %s; still waiting (--timeout %s)", session.Millis(after), session.Millis(d.timeout())))
	})
	a := d.dialGreet(ctx, true, d.t)
	hint.Stop()
	var plain *wire.PlaintextError
	if !errors.As(a.err, &plain) {
		return d.use(a)
	}
	d.facts.Problems = append(d.facts.Problems, session.Problem{Kind: session.ProblemPlaintextAnswer, Step: StepConnect,
		TLS: true, Detail: detail(a.err), Bytes: plain.Bytes})
	d.t.Note("ehlo doctor: the server answered the TLS ClientHello in plaintext; retrying in plaintext on a new connection")
	b := d.dialGreet(ctx, false, d.t)
	d.facts.Retry = &session.Retry{ImplicitTLS: false, Worked: b.err == nil}
	if b.err != nil {
		d.facts.Retry.Detail = detail(b.err)
		return false
	}
	return d.use(b)
}

// connectPlain: plaintext; when no greeting comes within the greeting
// wait, implicit TLS is tried on a second connection while the first keeps
// waiting (Client.GreetOrTLS), and whichever greets first is used.
func (d *doctor) connectPlain(ctx context.Context) bool {
	start := time.Now()
	c, err := Dial(ctx, d.cfg.Target, d.options(false), d.t)
	if err != nil {
		return d.use(attempt{err: err, step: StepConnect, dial: time.Since(start)})
	}
	plain := attempt{c: c, t: d.t, dial: time.Since(start), step: StepGreeting}
	g := c.greetOrTLSHeader(ctx, true, d.progress)
	plain.g, plain.err, plain.took = g.Reply, g.Err, g.Took
	switch {
	case g.TLS != nil && g.TLS.Greeted() && g.TLS.Client != nil:
		c.Close()
		tls := attempt{c: g.TLS.Client, g: g.TLS.Greeting, took: g.TLS.Took, dial: g.TLS.Dial, t: g.TLS.Transcript, inTLS: true}
		return d.switchToTLS(tls, g.Silent)
	case g.Err == nil:
		return d.use(plain) // a slow greeting is a finding of its own
	}
	c.Close()
	if g.TLS == nil {
		return d.use(plain)
	}
	d.address, d.route = c.Conn().Addr(), routeOf(c)
	return d.noGreeting(plain, g.TLS.Err)
}

// noGreeting records that neither mode got a greeting.
func (d *doctor) noGreeting(plain attempt, tlsErr error) bool {
	p := problemOf(plain.err, StepGreeting, false)
	if p.Kind == session.ProblemTimeout {
		p.Kind, p.After = session.ProblemNoGreeting, plain.took
	}
	d.fail(p)
	d.facts.Retry = &session.Retry{ImplicitTLS: true, Detail: detail(tlsErr)}
	return false
}

// switchToTLS continues on the implicit-TLS connection: the port expects
// implicit TLS. The plaintext attempt's entries stay in the transcript.
func (d *doctor) switchToTLS(b attempt, wait time.Duration) bool {
	d.facts.Problems = append(d.facts.Problems, session.Problem{Kind: session.ProblemNoGreeting, Step: StepGreeting, After: wait})
	d.facts.Retry = &session.Retry{ImplicitTLS: true, Worked: true}
	d.t.Note("ehlo doctor: implicit TLS greeted; continuing on that connection")
	d.earlier = d.t.Entries()
	d.t = b.t
	return d.use(b)
}

// use takes an attempt as the session: its facts, or its problem.
func (d *doctor) use(a attempt) bool {
	d.facts.Connect = a.dial
	if a.err != nil && a.c == nil && a.step == StepConnect {
		d.fail(problemOf(a.err, StepConnect, a.inTLS))
		return false
	}
	d.c, d.address, d.route = a.c, a.c.Conn().Addr(), routeOf(a.c)
	info, inTLS := a.c.Conn().TLS()
	d.facts.ImplicitTLS, d.implicit = inTLS, inTLS
	if inTLS {
		d.facts.TLS = tlsFactsOf(info, d.start)
		d.noteUnverified(info)
	}
	if a.err != nil {
		if a.g.Code != 0 { // a greeting, then bytes out of step: the greeting is evidence
			d.facts.Add(session.Exchange{TLS: inTLS, Reply: a.g, Took: a.took})
		}
		p := problemOf(a.err, StepGreeting, inTLS)
		if p.Kind == session.ProblemTimeout {
			p.Kind = session.ProblemNoGreeting
		}
		d.fail(p)
		return false
	}
	d.facts.Add(session.Exchange{TLS: inTLS, Reply: a.g, Took: a.took})
	if a.g.Code != 220 {
		a.c.Close()
		return false
	}
	return true
}

func (d *doctor) greetingWait() time.Duration {
	switch {
	case d.cfg.GreetingWait != 0:
		return d.cfg.GreetingWait
	case d.cfg.Options.GreetingWait != 0:
		return d.cfg.Options.GreetingWait // below 0: never
	}
	return DefaultGreetingWait
}

// timeout is the deadline of one exchange, as wire applies it.
func (d *doctor) timeout() time.Duration {
	if d.cfg.Options.Timeout > 0 {
		return d.cfg.Options.Timeout
	}
	return 5 * time.Minute
}

func (d *doctor) progress(msg string) {
	if d.cfg.Progress != nil {
		d.cfg.Progress(msg)
	}
}

// ---- EHLO and STARTTLS ----

// do sends one command and files the exchange; a broken exchange becomes a
// problem and false.
func (d *doctor) do(ctx context.Context, line string) (session.Reply, bool) {
	_, inTLS := d.c.Conn().TLS()
	start := time.Now()
	r, err := d.c.Do(ctx, line)
	took := time.Since(start)
	if err != nil {
		d.fail(problemOf(err, session.Verb(line), inTLS))
		return r, false
	}
	d.facts.Add(session.Exchange{Command: line, TLS: inTLS, Reply: r, Took: took})
	return r, true
}

// hello sends EHLO, and HELO when EHLO is refused (RFC 5321 3.2); in LMTP,
// LHLO alone (RFC 2033 4.1).
func (d *doctor) hello(ctx context.Context) bool {
	helo := d.cfg.Options.helo()
	if d.cfg.Options.LMTP {
		r, ok := d.do(ctx, "LHLO "+helo)
		return ok && r.OK()
	}
	r, ok := d.do(ctx, "EHLO "+helo)
	if ok && r.Class() == session.ClassPermanent {
		r, ok = d.do(ctx, "HELO "+helo)
	}
	return ok && r.OK()
}

// upgrade sends STARTTLS when offered on a plaintext link, handshakes and
// says EHLO again. A refused STARTTLS leaves the link in plaintext: the
// diagnosis goes on without TLS.
func (d *doctor) upgrade(ctx context.Context) bool {
	if _, inTLS := d.c.Conn().TLS(); inTLS || d.cfg.Options.NoStartTLS || !d.c.State().Caps.Has("STARTTLS") {
		return true
	}
	start := time.Now()
	r, info, err := d.c.StartTLS(ctx)
	if r.Code != 0 {
		d.facts.Add(session.Exchange{Command: "STARTTLS", Reply: r, Took: time.Since(start) - info.Handshake})
	}
	switch {
	case errors.Is(err, ErrNoUpgrade):
		return true
	case err != nil:
		d.fail(problemOf(err, StepStartTLS, false))
		return false
	}
	d.facts.TLS = tlsFactsOf(info, d.start)
	d.noteUnverified(info)
	if d.unverified() {
		d.withhold(ctx)
		return false
	}
	return d.hello(ctx)
}

// noteUnverified says in the transcript what the session does over a link
// whose certificate did not verify.
func (d *doctor) noteUnverified(info wire.TLSInfo) {
	switch {
	case info.Verified:
	case d.cfg.Options.Insecure:
		d.c.Conn().Note("ehlo doctor: the certificate did not verify; going on, as --insecure asks")
	default:
		d.c.Conn().Note("ehlo doctor: the certificate did not verify; stopping here (--insecure would go on)")
	}
}

// unverified reports whether the session is in TLS whose certificate did
// not verify, and the user did not say --insecure: nothing more is sent
// over it but QUIT.
func (d *doctor) unverified() bool {
	info, inTLS := d.c.Conn().TLS()
	return inTLS && !info.Verified && !d.cfg.Options.Insecure
}

// withhold ends a session over TLS that did not verify: it files what the
// doctor would have tested with --insecure, and says QUIT.
func (d *doctor) withhold(ctx context.Context) {
	w := []string{"EHLO inside TLS"}
	if d.cfg.User != "" {
		w = append(w, "AUTH as "+d.cfg.User)
	}
	if d.cfg.From != "" {
		w = append(w, "MAIL FROM:<"+d.cfg.From+">")
	}
	for _, to := range d.cfg.To {
		w = append(w, "RCPT TO:<"+to+">")
	}
	if d.cfg.Send {
		w = append(w, "the test message")
	}
	d.facts.Withheld = w
	d.identity(ctx) // DNS only: nothing more goes to the server
	d.quit(ctx)
}

// ---- AUTH ----

// authenticate signs in when credentials were given and it is safe to
// send them. It reports whether the transaction may follow: not after a
// refused AUTH.
func (d *doctor) authenticate(ctx context.Context) bool {
	if d.cfg.User == "" {
		return true
	}
	d.facts.Auth = &session.AuthFacts{User: d.cfg.User}
	caps := d.c.State().Caps
	if !caps.Has("AUTH") {
		return true
	}
	if reason := d.holdBack(); reason != "" {
		d.facts.Auth.Skipped = reason
		return true
	}
	offered := caps.AuthMechanisms()
	cb := d.c.ChannelBinding()
	mech := session.PreferredMechanismBound(offered, cb.Type != "")
	if want := d.cfg.mechanism(); want != "" {
		d.facts.Auth.Wanted, mech = want, want
		if !slices.ContainsFunc(offered, func(m string) bool { return strings.EqualFold(m, want) }) {
			d.facts.Auth.Skipped = "AUTH " + want + " is not offered (the server offers " + strings.Join(offered, " ") + ")"
			return true
		}
	}
	if mech == "" {
		d.facts.Auth.Skipped = "no mechanism ehlo implements is offered (" + strings.Join(offered, " ") + ")"
		return true
	}
	m, err := session.NewMechanismBound(mech, d.cfg.User, d.cfg.Password, cb)
	if err != nil {
		d.facts.Auth.Skipped = err.Error()
		return true
	}
	return d.auth(ctx, m)
}

func (d *doctor) auth(ctx context.Context, m session.Mechanism) bool {
	_, inTLS := d.c.Conn().TLS()
	start := time.Now()
	r, err := d.c.Auth(ctx, m, d.cfg.User)
	took := time.Since(start)
	if errors.As(err, new(*wire.DesyncError)) { // its reply may answer something else: no evidence of AUTH's outcome
		d.fail(problemOf(err, StepAuth, inTLS))
		return false
	}
	if errors.Is(err, session.ErrServerNotProven) { // SCRAM: a 235 from a server that did not prove it knows the password counts for nothing
		d.fail(problemOf(err, StepAuth, inTLS))
		return false
	}
	if r.Code != 0 {
		d.facts.Add(session.Exchange{Command: session.RedactedAuth(m.Name(), d.cfg.User), TLS: inTLS, Reply: r, Took: took})
	}
	if err != nil && !IsAuthRefused(err) && r.Code == 0 {
		d.fail(problemOf(err, StepAuth, inTLS))
	}
	return r.Code == 235
}

// holdBack says why credentials must not be sent now, or "" (SAFETY.md:
// never over an unverified link, never in clear to a remote host, unless
// the user said --insecure).
func (d *doctor) holdBack() string {
	if d.cfg.Options.Insecure {
		return ""
	}
	info, inTLS := d.c.Conn().TLS()
	switch {
	case inTLS && !info.Verified:
		return "the certificate did not verify (pass --insecure to send them anyway)"
	case !inTLS && !loopback(d.cfg.Target):
		return "the connection is not encrypted and the server is not on a loopback address (pass --insecure to send them anyway)"
	}
	return ""
}

// loopback reports whether the target's host is this machine.
func loopback(target string) bool {
	host, _, err := wire.ParseTarget(target)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ---- MAIL, RCPT, DATA ----

// transaction sends MAIL and RCPT, then RSET, or the test message.
func (d *doctor) transaction(ctx context.Context) {
	if d.cfg.From == "" {
		return
	}
	message := d.testMessage()
	var params []string
	if d.cfg.Send && d.c.State().Caps.Has("SIZE") {
		params = append(params, fmt.Sprintf("SIZE=%d", len(message))) // RFC 1870 6
	}
	line, _ := session.MailFrom(d.cfg.From, params...)
	if r, ok := d.do(ctx, line); !ok || !r.OK() {
		return
	}
	accepted := 0
	for _, to := range d.cfg.To {
		line, _ := session.RcptTo(to)
		r, ok := d.do(ctx, line)
		if !ok {
			return
		}
		if r.Code == 250 || r.Code == 251 {
			accepted++
		}
	}
	if d.cfg.Send && accepted > 0 {
		d.data(ctx, message, accepted)
		return
	}
	d.do(ctx, "RSET")
}

// data sends DATA and the message, dot-stuffed by session.DataWriter.
func (d *doctor) data(ctx context.Context, message string, accepted int) {
	if r, ok := d.do(ctx, "DATA"); !ok || r.Code != 354 {
		return
	}
	_, inTLS := d.c.Conn().TLS()
	start := time.Now()
	dw := session.NewDataWriter(rawWriter{ctx: ctx, c: d.c})
	_, err := io.Copy(dw, strings.NewReader(message))
	if err == nil {
		err = dw.Close()
	}
	if err != nil {
		d.fail(problemOf(err, "DATA", inTLS))
		return
	}
	d.c.state = d.c.state.DataEnded()
	r, err := d.c.readFinal(ctx, "") // RFC 5321 4.5.3.2.6
	if err != nil {
		d.fail(problemOf(err, StepDataEnd, inTLS))
		return
	}
	d.c.state = d.c.state.Received(r)
	got := []session.Exchange{{Command: ".", TLS: inTLS, Reply: r, Took: time.Since(start)}}
	for i := 1; i < session.DataReplies(d.cfg.Options.LMTP, accepted); i++ { // LMTP: a reply per recipient (RFC 2033 4.2)
		r, err := d.c.readFinal(ctx, "the message, for a further recipient")
		if err != nil {
			d.fail(problemOf(err, StepDataEnd, inTLS))
			return
		}
		got = append(got, session.Exchange{Command: ".", TLS: inTLS, Reply: r, Took: time.Since(start)})
	}
	if err := d.c.conn.CheckIdle(ctx); err != nil {
		d.fail(problemOf(err, StepDataEnd, inTLS))
		return
	}
	if !d.cfg.Options.LMTP {
		d.facts.Add(got[0])
		return
	}
	d.facts.AddLMTPReplies(got)
}

// testMessage is the small message --send delivers (RFC 5322: Date and
// From are required; Message-ID is expected).
func (d *doctor) testMessage() string {
	var id [12]byte
	_, _ = rand.Read(id[:])
	domain := d.cfg.Options.helo()
	var b strings.Builder
	fmt.Fprintf(&b, "Date: %s\r\n", d.start.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "From: <%s>\r\n", d.cfg.From)
	fmt.Fprintf(&b, "To: <%s>\r\n", strings.Join(d.cfg.To, ">, <"))
	fmt.Fprintf(&b, "Message-ID: <%s@%s>\r\n", hex.EncodeToString(id[:]), domain)
	b.WriteString("Subject: ehlo doctor test\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n")
	b.WriteString("This message was sent by `ehlo doctor --send` to check that this server accepts mail.\r\n")
	return b.String()
}

// quit ends the session politely; its reply is filed like the others, so a
// slow QUIT shows in the timing, but its failure is no problem.
func (d *doctor) quit(ctx context.Context) {
	_, inTLS := d.c.Conn().TLS()
	start := time.Now()
	if r, err := d.c.Do(ctx, "QUIT"); err == nil {
		d.facts.Add(session.Exchange{Command: "QUIT", TLS: inTLS, Reply: r, Took: time.Since(start)})
	}
}

// ---- from errors and wire facts to session facts ----

// problemOf classifies an error of a step.
func problemOf(err error, step string, inTLS bool) session.Problem {
	p := session.Problem{Kind: session.ProblemOther, Step: step, TLS: inTLS, Detail: detail(err)}
	var (
		inj    *wire.InjectionError
		plain  *wire.PlaintextError
		to     *wire.TimeoutError
		closed *wire.ClosedError
		proto  *wire.ProtocolError
		limit  *wire.LimitError
		op     *net.OpError
		mixed  *session.MixedCodesError
		desync *wire.DesyncError
	)
	switch {
	case errors.As(err, &mixed):
		p.Kind, p.Bytes = session.ProblemMixedCodes, []byte(strings.Join(mixed.Lines, "\r\n")+"\r\n")
	case errors.As(err, &desync):
		p.Kind, p.Bytes = session.ProblemDesync, desync.Bytes
	case errors.As(err, &inj):
		p.Kind, p.Bytes = session.ProblemInjection, inj.Bytes
	case errors.As(err, &plain) && plain.STARTTLS: // plaintext after STARTTLS's 220: the injection class
		p.Kind, p.Bytes = session.ProblemInjection, plain.Bytes
	case errors.As(err, &plain):
		p.Kind, p.Bytes = session.ProblemPlaintextAnswer, plain.Bytes
	case errors.As(err, &to):
		p.Kind, p.After = session.ProblemTimeout, to.After
	case errors.As(err, &closed):
		p.Kind = session.ProblemClosed
	case errors.As(err, &proto), errors.As(err, &limit), errors.Is(err, session.ErrMalformedReply):
		p.Kind = session.ProblemProtocol
	case errors.As(err, &op) && op.Op == "dial":
		p.Kind = session.ProblemConnect
	case step == StepConnect && inTLS, step == StepStartTLS:
		p.Kind = session.ProblemTLS
	case step == StepConnect:
		p.Kind = session.ProblemConnect
	}
	return p
}

// detail is an error in words for a finding: Explain's sentence, with any
// control character escaped.
func detail(err error) string {
	return strings.ReplaceAll(session.SanitizeString(Explain(err)), `\\`, `\`)
}

// TLSFacts turns wire's TLS facts into the session's, naming the
// certificate problem. now tells an expired certificate from one not yet
// valid.
func TLSFacts(info wire.TLSInfo, now time.Time) session.TLSFacts {
	t := session.TLSFacts{Version: info.Version, Weak: info.Weak, Cipher: info.Cipher, ServerName: info.ServerName,
		Verified: info.Verified, Handshake: info.Handshake, NoForwardSecrecy: info.Group == "" && !info.Resumed}
	if s := CheckOCSP(info, now); s.Stapled {
		t.OCSP = &session.OCSPFacts{Status: s.Status, Problem: s.Problem, RevokedAt: s.RevokedAt}
	}
	for _, c := range info.Chain {
		t.Chain = append(t.Chain, session.Cert{Subject: c.Subject, Issuer: c.Issuer,
			Names: append(append([]string{}, c.DNSNames...), c.IPs...), NotBefore: c.NotBefore, NotAfter: c.NotAfter,
			SHA256: c.SHA256, SelfSigned: c.SelfSigned})
	}
	if !info.Verified {
		t.Problem, t.Detail = certProblem(info.VerifyError, now), ExplainVerify(info.VerifyError)
	}
	return t
}

func tlsFactsOf(info wire.TLSInfo, now time.Time) *session.TLSFacts {
	t := TLSFacts(info, now)
	return &t
}

// certProblem names why a chain did not verify (crypto/x509's errors).
func certProblem(err error, now time.Time) session.CertProblem {
	var (
		ua  x509.UnknownAuthorityError
		hn  x509.HostnameError
		inv x509.CertificateInvalidError
	)
	switch {
	case errors.As(err, &ua):
		return session.CertUnknownAuthority
	case errors.As(err, &hn):
		return session.CertNameMismatch
	case errors.As(err, &inv) && inv.Reason == x509.Expired && inv.Cert != nil && now.Before(inv.Cert.NotBefore):
		return session.CertNotYetValid
	case errors.As(err, &inv) && inv.Reason == x509.Expired:
		return session.CertExpired
	}
	return session.CertOther
}

// ReadSecretLine reads one line, such as a password given on standard
// input, without its line ending. It reads byte by byte so that nothing
// after the line is consumed, and refuses lines over 4096 bytes.
func ReadSecretLine(r io.Reader) (string, error) {
	var b []byte
	one := make([]byte, 1)
	for {
		n, err := r.Read(one)
		if n == 1 && one[0] == '\n' {
			break
		}
		if n == 1 {
			b = append(b, one[0])
		}
		if len(b) > 4096 {
			return "", errors.New("the line is longer than 4096 bytes")
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", err
		}
	}
	return strings.TrimSuffix(string(b), "\r"), nil
}

// resume connects a second time for --reconnect, offering the ticket of
// the session just ended, and files whether the server resumed it. It is
// tried only after a TLS session the doctor went through: not over TLS
// that did not verify (unless --insecure), nor after a broken session.
func (d *doctor) resume(ctx context.Context) {
	if d.tickets == nil || d.facts.TLS == nil || d.failed || !d.facts.TLS.Verified && !d.cfg.Options.Insecure {
		return
	}
	d.progress("connecting a second time, offering the TLS session's ticket (--reconnect)")
	r := resume(ctx, d.cfg.Target, d.options(d.implicit), d.tickets)
	d.facts.Resumption = &session.ResumptionFacts{Ticket: r.Ticket, Resumed: r.Resumed, Version: r.Version}
	if r.Err != nil {
		d.facts.Resumption.Detail = Explain(r.Err)
	}
	d.later = r.entries
}
