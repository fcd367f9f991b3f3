package client

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/ehlo-sh/ehlo/dns"
	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// Steps of a send beyond the ones a probe has; each has its own exit code.
const (
	StepMail = "MAIL"
	StepRcpt = "RCPT"
	StepData = "DATA"
	// StepXClient is Postfix's XCLIENT (send --xclient).
	StepXClient = "XCLIENT"
)

// StartTLS policies for Send.
const (
	StartTLSAuto    = "auto"    // upgrade when offered; go on in plaintext otherwise
	StartTLSRequire = "require" // fail unless TLS is on before AUTH and MAIL
	StartTLSNever   = "never"   // never upgrade
)

// QuitAfter names the points where Send can stop, in session order, like
// swaks's --quit-after: after the connection, the greeting, the first EHLO,
// the TLS upgrade and the EHLO after it, AUTH, MAIL, and RCPT.
var QuitAfter = []string{"connect", "banner", "ehlo", "starttls", "auth", "mail", "rcpt"}

// SendConfig says what Send sends, where and how.
type SendConfig struct {
	Target  string
	Options Options // Insecure also allows PLAIN, LOGIN and XOAUTH2 in clear to a host that is not loopback
	Message *Message
	From    string   // envelope reverse-path; "" means Message.From
	Rcpts   []string // envelope forward-paths: To, Cc and Bcc

	Auth     string // "": no AUTH; "auto": the strongest advertised; else a mechanism name
	User     string
	Password string // never printed, never kept in the result

	StartTLS   string // StartTLSAuto when ""
	QuitAfter  string // "" or one of QuitAfter
	Pipelining bool   // send MAIL, RCPT and DATA in one go when PIPELINING is offered (RFC 2920)
	BodyMode   string // BodyAuto when "", BodyData or BodyBDAT
	ChunkSize  int    // octets per BDAT chunk; 0 means DefaultChunkSize
	// XClient are Postfix XCLIENT attributes, ATTR=VALUE, sent after the
	// TLS upgrade and before AUTH; the server greets again and ehlo says
	// EHLO again.
	XClient []string

	DSN        DSN    // RFC 3461 parameters, sent when the server offers DSN
	RequireTLS bool   // MAIL ... REQUIRETLS (RFC 8689); refuse to send when it is not offered
	DropAfter  string // "" or one of DropAfter: close without QUIT after that step

	// DNS, when set, is asked before MAIL who the server thinks the client
	// is (send --check-identity): SPF, DMARC, reverse DNS, DNSBL; nil
	// skips it.
	DNS   *dns.Client
	DNSBL []string

	// Progress, when set, is called as the message goes out with the bytes
	// sent so far and the total (Message.Size).
	Progress func(sent, total int64)
}

// Check rejects a configuration that cannot run, before connecting.
func (cfg SendConfig) Check() error {
	if _, _, err := wire.ParseTarget(cfg.Target); err != nil {
		return err
	}
	switch {
	case cfg.QuitAfter != "" && !slices.Contains(QuitAfter, cfg.QuitAfter):
		return fmt.Errorf("--quit-after %q: want one of %s", cfg.QuitAfter, strings.Join(QuitAfter, ", "))
	case !slices.Contains([]string{"", StartTLSAuto, StartTLSRequire, StartTLSNever}, cfg.StartTLS):
		return fmt.Errorf("--starttls %q: want auto, require or never", cfg.StartTLS)
	case cfg.Auth != "" && cfg.User == "":
		return errors.New("--auth needs --user")
	case cfg.Auth != "" && cfg.Password == "":
		return errors.New("--user needs a password: --password-stdin or EHLO_PASSWORD")
	case cfg.Message == nil:
		return errors.New("no message")
	case len(cfg.Rcpts) == 0:
		return errors.New("no recipient: give --to, --cc or --bcc")
	}
	if err := checkBodyMode(cfg.BodyMode); err != nil {
		return err
	}
	if err := cfg.checkOptions(); err != nil {
		return err
	}
	if len(cfg.XClient) > 0 {
		if _, err := session.XClient(cfg.XClient); err != nil {
			var xe *session.XClientError
			if errors.As(err, &xe) && xe.Pair != "" { // "--xclient BOGUS=1: BOGUS is not an XCLIENT attribute; ..."
				return fmt.Errorf("--xclient %s: %s", session.SanitizeString(xe.Pair), xe.Why)
			}
			return fmt.Errorf("--xclient: %w", err)
		}
	}
	if cfg.Auth != "" && cfg.Auth != "auto" {
		if !session.Speaks(cfg.Auth) {
			return fmt.Errorf("--auth: ehlo speaks %s (or auto), not %s", session.Mechanisms, session.SanitizeString(cfg.Auth))
		}
	}
	if _, err := session.MailFrom(cfg.from()); err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	for _, r := range cfg.Rcpts {
		if _, err := session.RcptTo(r); err != nil {
			return fmt.Errorf("recipient: %w", err)
		}
	}
	return nil
}

func (cfg SendConfig) from() string {
	if cfg.From == "" && cfg.Message != nil && cfg.Message.From != nil {
		return cfg.Message.From.Address
	}
	return cfg.From
}

// stopsAt reports whether the send stops after step.
func (cfg SendConfig) stopsAt(step string) bool {
	return cfg.QuitAfter == step || cfg.dropStep() == step
}

// reaches reports whether the send goes as far as step.
func (cfg SendConfig) reaches(step string) bool {
	last := cfg.QuitAfter
	if last == "" {
		last = cfg.dropStep()
	}
	if last == "" {
		return true
	}
	return slices.Index(stepOrder, step) <= slices.Index(stepOrder, last)
}

// SendResult is what a send did, as far as it went.
type SendResult struct {
	Target      string
	Address     string      // "ip:port" once connected
	Route       *wire.Route // how the bytes went, once connected
	LMTP        bool        // LMTP was spoken: LHLO, a reply per recipient after the message
	ImplicitTLS bool
	Greeting    *session.Reply
	Hellos      []Hello
	TLS         *wire.TLSInfo
	Auth        *AuthOutcome
	XClient     *Outcome // the reply to XCLIENT, when sent
	Mail        *Outcome
	Rcpts       []Outcome
	Data        *Outcome // the reply to DATA
	// Deliveries are LMTP's replies after the message, one per recipient
	// accepted (RFC 2033 4.2); nil in SMTP.
	Deliveries []session.Delivery
	Final      *Outcome // the reply to the final ".", or to the last BDAT chunk
	BodyMode   string   // "DATA" or "BDAT", once chosen
	Chunks     int      // BDAT chunks sent
	Size       int64    // the message's size (RFC 1870), once computed
	Sent       int64    // message bytes written
	Stopped    string   // the --quit-after or --drop-after point where it stopped, if it did
	Dropped    bool     // it stopped with --drop-after: the connection closed without QUIT
	Err        error    // a *StepError naming the step that failed
	Transcript *wire.Transcript
	Identity   []session.Finding // the check before MAIL (SendConfig.DNS), sanitized
}

// Outcome is one command and its reply, explained.
type Outcome struct {
	Command     string // the command line as shown
	Address     string // a recipient's address; "" for MAIL
	Reply       session.Reply
	Explanation session.Explanation
}

// Accepted reports a positive reply (251 forwards, so it accepts too).
func (o Outcome) Accepted() bool { return o.Reply.OK() }

// AuthOutcome is the AUTH exchange: mechanism, user and final reply.
type AuthOutcome struct {
	Mechanism, User string
	Reply           session.Reply
}

// Delivered reports whether the server took the message: 250 to the final
// ".", and nothing wrong after it, such as a server out of step.
func (r SendResult) Delivered() bool {
	if r.LMTP { // every recipient: taken at RCPT, and delivered after the message
		return session.AllDelivered(r.Deliveries) && len(r.Deliveries) == len(r.Rcpts) && r.Err == nil
	}
	return r.Final != nil && r.Final.Reply.Code == 250 && r.Err == nil
}

// RefusedError is a negative reply that stopped the send.
type RefusedError struct {
	Command string // what was refused: a verb, "the message", "every recipient", "the session"
	Reply   session.Reply
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("%s refused: %s", e.Command, session.SanitizeString(oneLine(e.Reply)))
}

// oneLine renders a reply on one line: code, enhanced code and text.
func oneLine(r session.Reply) string {
	s := fmt.Sprintf("%03d", r.Code)
	if !r.Enhanced.IsZero() {
		s += " " + r.Enhanced.String()
	}
	if t := strings.Join(r.Lines, " "); t != "" {
		s += " " + t
	}
	return s
}

// Send composes and sends one message: connect, greeting, EHLO, STARTTLS
// (by policy), EHLO again, AUTH, MAIL with SIZE, BODY and SMTPUTF8 as
// needed, RCPT for each recipient, DATA, the message streamed from its
// files, and QUIT. It stops at cfg.QuitAfter. The transcript records into
// t (a new one when nil), so a caller may print it as it happens.
func Send(ctx context.Context, cfg SendConfig, t *wire.Transcript) SendResult {
	if t == nil {
		t = wire.NewTranscript()
	}
	if cfg.StartTLS == "" {
		cfg.StartTLS = StartTLSAuto
	}
	_ = cfg.DSN.Check() // upper-case keywords; Check rejected what RFC 3461 does not allow
	res := SendResult{Target: cfg.Target, Transcript: t}
	s := &sender{cfg: cfg, res: &res}
	res.Err = s.run(ctx)
	if s.c != nil {
		s.finish(ctx, res.Err)
	}
	return res
}

// sender is one send's state.
type sender struct {
	cfg  SendConfig
	res  *SendResult
	c    *Client
	caps session.Capabilities
}

func (s *sender) run(ctx context.Context) error {
	if err := s.connect(ctx); err != nil || s.stop("connect") {
		return err
	}
	if err := s.greet(ctx); err != nil || s.stop("banner") {
		return err
	}
	if err := s.hello(ctx); err != nil || s.stop("ehlo") {
		return err
	}
	if err := s.upgrade(ctx); err != nil || s.stop("starttls") {
		return err
	}
	if err := s.xclient(ctx); err != nil {
		return err
	}
	if s.cfg.reaches("mail") {
		if err := s.prepare(); err != nil {
			return err
		}
	}
	if err := s.authenticate(ctx); err != nil || s.stop("auth") {
		return err
	}
	if s.cfg.reaches("mail") {
		s.identity(ctx)
	}
	if err := s.envelope(ctx); err != nil || s.res.Stopped != "" {
		return err
	}
	if (s.res.Data == nil || s.res.Data.Reply.Code == 354) && s.stop("data") {
		return nil
	}
	var err error
	if s.res.BodyMode == "BDAT" {
		err = s.bdat(ctx)
	} else {
		err = s.data(ctx)
	}
	if err == nil {
		s.stop("dot")
	}
	return err
}

// stop records and reports that the send stops after step.
func (s *sender) stop(step string) bool {
	if s.cfg.dropStep() == step {
		s.res.Stopped, s.res.Dropped = s.cfg.DropAfter, true
		s.c.Conn().Note("--drop-after " + s.cfg.DropAfter + ": closing the connection here, without QUIT")
		return true
	}
	if s.cfg.stopsAt(step) {
		s.res.Stopped = step
		s.c.Conn().Note("--quit-after " + step + ": stopping here")
		return true
	}
	return false
}

// finish ends the session: QUIT when the link is sound, a bare close after
// a broken one or a stop right after connecting.
func (s *sender) finish(ctx context.Context, err error) {
	var (
		refused *RefusedError
		policy  *PolicyError
	)
	switch {
	case s.res.Stopped == "connect", s.res.Dropped:
		s.c.Close()
	case err == nil, errors.As(err, &refused), errors.As(err, &policy):
		s.c.Quit(ctx)
	default:
		s.c.Close()
	}
}

// PolicyError is a stop of ehlo's own, such as a message larger than the
// server's SIZE: nothing is wrong with the link, and the session ends with
// QUIT.
type PolicyError struct{ Msg string }

func (e *PolicyError) Error() string { return e.Msg }

func policyError(format string, args ...any) error {
	return &PolicyError{Msg: fmt.Sprintf(format, args...)}
}

// stepErr names the step of err, unless it already has one.
func stepErr(step string, err error) error {
	var se *StepError
	if err == nil || errors.As(err, &se) {
		return err
	}
	return &StepError{Step: step, Err: err}
}

func (s *sender) connect(ctx context.Context) error {
	c, err := Dial(ctx, s.cfg.Target, s.cfg.Options, s.res.Transcript)
	if err != nil {
		var (
			ver     *wire.VerifyError
			plain   *wire.PlaintextError
			version *wire.VersionError
		)
		if errors.As(err, &ver) || errors.As(err, &plain) || errors.As(err, &version) {
			return stepErr(StepStartTLS, err) // the TLS of a port that speaks it at once
		}
		return stepErr(StepConnect, err)
	}
	s.c = c
	s.res.Address, s.res.Route, s.res.LMTP = c.Conn().Addr(), routeOf(c), s.cfg.Options.LMTP
	if info, ok := c.Conn().TLS(); ok {
		s.res.ImplicitTLS, s.res.TLS = true, &info
	}
	return nil
}

func (s *sender) greet(ctx context.Context) error {
	g, err := s.c.Greeting(ctx)
	if err != nil {
		return stepErr(StepGreeting, err)
	}
	s.res.Greeting = &g
	if g.Code != 220 {
		return stepErr(StepGreeting, &RefusedError{Command: "the session", Reply: g})
	}
	return nil
}

func (s *sender) hello(ctx context.Context) error {
	start := time.Now()
	r, helo, err := s.c.Hello(ctx)
	if err != nil {
		return stepErr(StepHello, err)
	}
	h := Hello{TLS: s.res.TLS != nil, HELO: helo, Reply: r, Caps: session.ParseEHLO(r), Took: time.Since(start)}
	s.res.Hellos = append(s.res.Hellos, h)
	if r.Code != 250 {
		verb := "EHLO"
		if helo {
			verb = "HELO"
		}
		return stepErr(StepHello, &RefusedError{Command: verb, Reply: r})
	}
	s.caps = s.c.State().Caps
	return nil
}

// upgrade applies the STARTTLS policy (RFC 3207). A failed upgrade never
// falls back to plaintext.
func (s *sender) upgrade(ctx context.Context) error {
	switch {
	case s.res.TLS != nil || s.cfg.StartTLS == StartTLSNever:
		return nil
	case !s.caps.Has("STARTTLS") && s.cfg.StartTLS == StartTLSRequire:
		return stepErr(StepStartTLS, policyError("the server does not offer STARTTLS, and --starttls require was given"))
	case !s.caps.Has("STARTTLS"):
		s.c.Conn().Note("the server does not offer STARTTLS: going on in plaintext (--starttls require refuses that)")
		return nil
	}
	r, info, err := s.c.StartTLS(ctx)
	if err != nil {
		if errors.Is(err, ErrNoUpgrade) {
			return stepErr(StepStartTLS, &RefusedError{Command: "STARTTLS", Reply: r})
		}
		return stepErr(StepStartTLS, err)
	}
	s.res.TLS = &info
	return s.hello(ctx)
}

// prepare checks, before AUTH, that the server can take this message:
// SMTPUTF8 for international addresses (RFC 6531), and its size against
// SIZE (RFC 1870), computed without reading the attachments.
func (s *sender) prepare() error {
	m := s.cfg.Message
	m.Use8Bit(s.caps.Has("8BITMIME"))
	if err := s.chooseBody(); err != nil {
		return err
	}
	if err := s.checkRequireTLS(); err != nil {
		return err
	}
	for _, n := range m.RawNotes(s.caps.Has("8BITMIME")) {
		s.c.Conn().Note(n)
	}
	if s.cfg.DSN.Asked() && !s.caps.Has("DSN") {
		s.c.Conn().Note("the server does not offer DSN (RFC 3461): --dsn-notify, --dsn-ret, --envid and --dsn-orcpt are not sent")
	}
	if s.needsUTF8() && !s.caps.Has("SMTPUTF8") {
		return stepErr(StepMail, policyError("an address is not ASCII, which needs SMTPUTF8 (RFC 6531), and this server does not offer it"))
	}
	size, err := m.Size()
	if err != nil {
		return fmt.Errorf("composing the message: %w", err)
	}
	s.res.Size = size
	if limit, ok := s.caps.MaxSize(); ok && limit > 0 && size > limit {
		return stepErr(StepMail, policyError("the message is %d bytes (%s) and the server takes at most %d (%s, SIZE %d, RFC 1870): nothing was sent",
			size, session.HumanSize(size), limit, session.HumanSize(limit), limit))
	}
	return nil
}

func (s *sender) needsUTF8() bool {
	if s.cfg.Message.NeedsSMTPUTF8() || !isASCII(s.cfg.from()) {
		return true
	}
	return slices.ContainsFunc(s.cfg.Rcpts, func(r string) bool { return !isASCII(r) })
}

// authenticate runs AUTH (RFC 4954) when asked to, refusing to hand over
// a plaintext secret in clear to a host that is not this machine.
func (s *sender) authenticate(ctx context.Context) error {
	if s.cfg.Auth == "" {
		return nil
	}
	mechs := s.caps.AuthMechanisms()
	if len(mechs) == 0 {
		why := "the server does not offer AUTH"
		if s.res.TLS == nil && s.cfg.StartTLS == StartTLSNever {
			why += " in plaintext (many offer it only after STARTTLS; drop --starttls never)"
		}
		return stepErr(StepAuth, policyError("%s", why))
	}
	mech := strings.ToUpper(s.cfg.Auth)
	cb := s.c.ChannelBinding()
	if mech == "AUTO" {
		if mech = session.PreferredMechanismBound(mechs, cb.Type != ""); mech == "" {
			return stepErr(StepAuth, policyError("the server offers %s, none of which ehlo speaks", strings.Join(mechs, " ")))
		}
	} else if !slices.Contains(mechs, mech) {
		return stepErr(StepAuth, policyError("the server offers %s, not %s (try --auth auto)", strings.Join(mechs, " "), mech))
	}
	if err := s.checkClear(mech); err != nil {
		return err
	}
	m, err := session.NewMechanismBound(mech, s.cfg.User, s.cfg.Password, cb)
	if err != nil {
		return stepErr(StepAuth, err)
	}
	if session.IsPlus(mech) {
		s.c.Conn().Note(mech + ": binding the exchange to this TLS channel with " + cb.Type + " (RFC 5929/9266)")
	}
	r, err := s.c.Auth(ctx, m, s.cfg.User)
	s.res.Auth = &AuthOutcome{Mechanism: mech, User: s.cfg.User, Reply: r}
	var refused *session.AuthError
	if errors.As(err, &refused) {
		return stepErr(StepAuth, &RefusedError{Command: "AUTH", Reply: r})
	}
	return stepErr(StepAuth, err)
}

// checkClear: PLAIN, LOGIN and XOAUTH2 hand over the secret itself; over an
// unencrypted link to another host, only --insecure lets them go
// (SAFETY.md).
func (s *sender) checkClear(mech string) error {
	if !inClear(mech, s.cfg.Target, s.res.TLS != nil, false) {
		return nil
	}
	if s.cfg.Options.Insecure {
		s.c.Conn().Note("sending " + mech + " credentials in clear (--insecure)")
		return nil
	}
	return stepErr(StepAuth, policyError("%s would send the password in clear: the connection is not encrypted and the server is not on a loopback address (use STARTTLS or --tls, or --insecure to send it anyway)", mech))
}

// inClear reports whether sending mech's secret now would hand a password
// in clear to another host, which only --insecure allows (SAFETY.md).
// CRAM-MD5 and SCRAM never send the password itself.
func inClear(mech, target string, inTLS, insecure bool) bool {
	return !inTLS && !insecure && mech != "CRAM-MD5" && !session.IsSCRAM(mech) && !loopback(target)
}

// envelope sends MAIL and RCPT, and DATA too when pipelining.
func (s *sender) envelope(ctx context.Context) error {
	mail, err := s.mailLine()
	if err != nil {
		return stepErr(StepMail, err)
	}
	rcpts := make([]string, len(s.cfg.Rcpts))
	for i, r := range s.cfg.Rcpts {
		var params []string
		if s.caps.Has("DSN") {
			params = s.cfg.DSN.rcptParams(r)
		}
		if rcpts[i], err = session.RcptTo(r, params...); err != nil {
			return stepErr(StepRcpt, err)
		}
	}
	if s.cfg.Pipelining && !s.caps.Has("PIPELINING") {
		s.c.Conn().Note("--pipelining: the server does not offer PIPELINING, so one command at a time")
	}
	if s.cfg.Pipelining && s.caps.Has("PIPELINING") && !s.cfg.stopsAt("mail") {
		return s.pipelined(ctx, mail, rcpts)
	}
	return s.lockstep(ctx, mail, rcpts)
}

// mailLine is MAIL FROM with SIZE (RFC 1870), BODY=8BITMIME (RFC 6152)
// or BODY=BINARYMIME (RFC 3030), and SMTPUTF8 (RFC 6531) as the message
// and the server call for.
func (s *sender) mailLine() (string, error) {
	var params []string
	if _, ok := s.caps.MaxSize(); ok && s.res.Size > 0 {
		params = append(params, fmt.Sprintf("SIZE=%d", s.res.Size))
	}
	switch {
	case s.cfg.Message.Binary(): // RFC 3030 section 3: with BDAT alone
		params = append(params, "BODY=BINARYMIME")
	case s.cfg.Message.EightBit() && s.caps.Has("8BITMIME"):
		params = append(params, "BODY=8BITMIME")
	}
	if s.needsUTF8() {
		params = append(params, "SMTPUTF8")
	}
	if s.caps.Has("DSN") {
		params = append(params, s.cfg.DSN.mailParams()...)
	}
	if s.cfg.RequireTLS {
		params = append(params, "REQUIRETLS") // RFC 8689 section 4.1
	}
	return session.MailFrom(s.cfg.from(), params...)
}

func (s *sender) lockstep(ctx context.Context, mail string, rcpts []string) error {
	r, err := s.c.Do(ctx, mail)
	if err != nil {
		return stepErr(StepMail, err)
	}
	if err := s.mailDone(mail, r); err != nil || s.stop("mail") {
		return err
	}
	for i, line := range rcpts {
		r, err := s.c.Do(ctx, line)
		if err != nil {
			return stepErr(StepRcpt, err)
		}
		s.rcptDone(s.cfg.Rcpts[i], line, r)
	}
	if err := s.rcptsDone(); err != nil || s.stop("rcpt") || s.res.BodyMode == "BDAT" {
		return err
	}
	r, err = s.c.Do(ctx, "DATA")
	if err != nil {
		return stepErr(StepData, err)
	}
	s.res.Data = s.outcome("DATA", "DATA", r)
	return nil
}

// pipelined writes MAIL, every RCPT and DATA, then reads the replies in
// order (RFC 2920 3.1). DATA is the last command of the group.
func (s *sender) pipelined(ctx context.Context, mail string, rcpts []string) error {
	lines := append([]string{mail}, rcpts...)
	if !s.cfg.stopsAt("rcpt") && s.res.BodyMode != "BDAT" { // the chunks follow the replies
		lines = append(lines, "DATA")
	}
	replies, werr := s.c.pipeline(ctx, lines)
	var merr error
	if len(replies) > 0 {
		merr = s.mailDone(mail, replies[0])
	}
	for i := 1; i < len(replies) && i <= len(rcpts); i++ {
		s.rcptDone(s.cfg.Rcpts[i-1], lines[i], replies[i])
	}
	if len(replies) > len(rcpts)+1 {
		s.res.Data = s.outcome("DATA", "DATA", replies[len(rcpts)+1])
	}
	if werr != nil {
		return stepErr(stepOfLine(lines, len(replies)), werr)
	}
	if s.res.Data != nil && s.res.Data.Reply.Code == 354 && (merr != nil || s.accepted() == 0) {
		// A 354 with nobody to deliver to: end the empty message at once.
		s.res.Final = s.endEmpty(ctx)
	}
	if merr != nil {
		return merr
	}
	if err := s.rcptsDone(); err != nil || s.stop("rcpt") {
		return err
	}
	return nil
}

// stepOfLine names the step of the command whose reply did not come.
func stepOfLine(lines []string, i int) string {
	if i >= len(lines) {
		i = len(lines) - 1
	}
	switch session.Verb(lines[i]) {
	case "MAIL":
		return StepMail
	case "RCPT":
		return StepRcpt
	}
	return StepData
}

// endEmpty sends the bare "." that ends a DATA no recipient can receive.
func (s *sender) endEmpty(ctx context.Context) *Outcome {
	if s.c.writeData(ctx, 0, func(io.Writer) error { return nil }) != nil {
		return nil
	}
	r, err := s.c.last(ctx)
	if err != nil {
		return nil
	}
	s.c.state = s.c.state.Received(r)
	return s.outcome(".", ".", r)
}

func (s *sender) mailDone(line string, r session.Reply) error {
	s.res.Mail = s.outcome(line, line, r)
	if !r.OK() {
		return stepErr(StepMail, &RefusedError{Command: "MAIL", Reply: r})
	}
	return nil
}

func (s *sender) rcptDone(addr, line string, r session.Reply) {
	o := s.outcome(line, line, r)
	o.Address = addr
	s.res.Rcpts = append(s.res.Rcpts, *o)
}

// rcptsDone fails the send when no recipient was accepted, as swaks does;
// a partial refusal is reported per recipient.
func (s *sender) rcptsDone() error {
	if s.accepted() > 0 {
		return nil
	}
	last := s.res.Rcpts[len(s.res.Rcpts)-1].Reply
	return stepErr(StepRcpt, &RefusedError{Command: "every recipient", Reply: last})
}

func (s *sender) accepted() int {
	n := 0
	for _, r := range s.res.Rcpts {
		if r.Accepted() {
			n++
		}
	}
	return n
}

// outcome explains a reply to line in the session's context.
func (s *sender) outcome(shown, line string, r session.Reply) *Outcome {
	x := session.Explain(r, s.c.State().ExplainContext(line))
	return &Outcome{Command: shown, Reply: r, Explanation: x}
}

// data sends the message after a 354 and reads the final reply, which
// may take up to 10 minutes (RFC 5321 4.5.3.2.6), or Options.DataTimeout.
func (s *sender) data(ctx context.Context) error {
	if s.res.Data == nil {
		return nil
	}
	if s.res.Data.Reply.Code != 354 {
		return stepErr(StepData, &RefusedError{Command: "DATA", Reply: s.res.Data.Reply})
	}
	pw := &progressWriter{total: s.res.Size, report: s.cfg.Progress}
	err := s.c.writeData(ctx, s.res.Size, func(w io.Writer) error {
		pw.w = w
		_, err := s.cfg.Message.WriteTo(pw)
		return err
	})
	s.res.Sent = pw.n
	if err != nil {
		return stepErr(StepDataEnd, err)
	}
	pw.done()
	r, err := s.c.readFinal(ctx, "")
	if err != nil {
		return stepErr(StepDataEnd, err)
	}
	s.c.state = s.c.state.Received(r)
	s.res.Final = s.outcome(".", ".", r)
	if s.cfg.Options.LMTP {
		return s.deliveries(ctx, r)
	}
	if err := s.c.conn.CheckIdle(ctx); err != nil {
		return stepErr(StepDataEnd, err) // the 250 may answer something else
	}
	if r.Code != 250 {
		return stepErr(StepDataEnd, &RefusedError{Command: "the message", Reply: r})
	}
	return nil
}

// writeData sends message data after a 354: write writes the message
// into session.DataWriter (CRLF, dot-stuffing, the final "."), which
// writes through a buffer onto the wire: 64 KiB, or less for a message of
// fewer bytes than that (size). Nothing holds more than a buffer of it.
func (c *Client) writeData(ctx context.Context, size int64, write func(io.Writer) error) error {
	sink := &dataSink{ctx: ctx, conn: c.conn, budget: bodyRecordLimit}
	out := bufio.NewWriterSize(sink, bufSize(size, 64<<10))
	dw := session.NewDataWriter(out)
	if err := write(dw); err != nil {
		return err
	}
	if err := out.Flush(); err != nil {
		return err
	}
	sink.record = true // the end of data shows in the transcript
	if err := dw.Close(); err != nil {
		return err
	}
	if err := out.Flush(); err != nil {
		return err
	}
	if sink.skipped > 0 {
		c.conn.Note(fmt.Sprintf("message data: %d more bytes sent, not recorded (the transcript keeps the first %s)",
			sink.skipped, session.HumanSize(bodyRecordLimit)))
	}
	c.state = c.state.DataEnded()
	return nil
}

// bodyRecordLimit is how much message data the transcript keeps: past it,
// data goes out with wire.Conn.WriteUnrecorded and a note gives the count,
// so a 100 MB attachment does not sit in memory as transcript entries.
const bodyRecordLimit = 64 << 10

// dataSink writes message data to the connection, recording the first
// budget bytes of it and then the rest of the line under way, so that the
// transcript never stops inside a line; past that, it writes unrecorded.
type dataSink struct {
	ctx     context.Context
	conn    *wire.Conn
	budget  int   // bytes still to record; 0: finishing the line under way; -1: done
	record  bool  // record whatever comes now (the final ".")
	skipped int64 // bytes sent unrecorded
}

func (d *dataSink) Write(p []byte) (int, error) {
	head := len(p)
	if !d.record {
		head = d.recordable(p)
	}
	if _, err := d.raw(p[:head]); err != nil {
		return 0, err
	}
	if head == len(p) {
		return len(p), nil
	}
	if err := d.conn.WriteUnrecorded(d.ctx, p[head:]); err != nil {
		return head, err
	}
	d.skipped += int64(len(p) - head)
	return len(p), nil
}

// recordable says how much of p, the next data written, goes into the
// transcript, and spends the budget.
func (d *dataSink) recordable(p []byte) int {
	if d.budget < 0 {
		return 0
	}
	n := min(len(p), d.budget)
	d.budget -= n
	if d.budget > 0 {
		return n // all of p, within the budget
	}
	if n > 0 && p[n-1] == '\n' {
		d.budget = -1 // spent at a line ending
		return n
	}
	end := bytes.IndexByte(p[n:], '\n')
	if end < 0 {
		return len(p) // the line goes on in the next write
	}
	d.budget = -1
	return n + end + 1
}

func (d *dataSink) raw(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if err := d.conn.WriteRaw(d.ctx, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// progressWriter counts message bytes and reports them at most every
// 100 ms, and once at the end.
type progressWriter struct {
	w      io.Writer
	n      int64
	total  int64
	report func(sent, total int64)
	last   time.Time
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.n += int64(n)
	if p.report != nil {
		if now := time.Now(); now.Sub(p.last) >= 100*time.Millisecond {
			p.last = now
			p.report(p.n, p.total)
		}
	}
	return n, err
}

func (p *progressWriter) done() {
	if p.report != nil {
		p.report(p.n, p.total)
	}
}

// pipeline writes every line in one write, then reads one reply per line
// in order (RFC 2920 3.1), each checked by its caller. It returns the
// replies read before any error.
func (c *Client) pipeline(ctx context.Context, lines []string) ([]session.Reply, error) {
	for _, line := range lines {
		if err := session.ValidateLine(line); err != nil {
			return nil, err
		}
	}
	if err := c.conn.CheckIdle(ctx); err != nil { // no reply is due before the group goes
		return nil, fmt.Errorf("%s: %w", session.Verb(lines[0]), err)
	}
	if err := c.conn.WriteLines(ctx, lines); err != nil { // one write: the group (RFC 2920 3.1)
		return nil, fmt.Errorf("%s: %w", session.Verb(lines[0]), err)
	}
	var replies []session.Reply
	for _, line := range lines {
		c.state = c.state.Sent(line)
		r, err := c.read(ctx)
		if err != nil {
			return replies, fmt.Errorf("%s: %w", session.Verb(line), err)
		}
		c.state = c.state.Received(r)
		replies = append(replies, r)
	}
	if err := c.conn.CheckIdle(ctx); err != nil { // more replies than commands
		return replies, fmt.Errorf("%s: %w", session.Verb(lines[len(lines)-1]), err)
	}
	return replies, nil
}

// checkRequireTLS refuses, before MAIL, a --requiretls send that the
// server cannot honour: RFC 8689 section 4.1 lets MAIL carry REQUIRETLS
// only in a TLS session to a server that offers it.
func (s *sender) checkRequireTLS() error {
	switch {
	case !s.cfg.RequireTLS:
		return nil
	case s.res.TLS == nil:
		return stepErr(StepMail, policyError("--requiretls: this session is not encrypted, and REQUIRETLS (RFC 8689) needs TLS: nothing was sent"))
	case !s.caps.Has("REQUIRETLS"):
		return stepErr(StepMail, policyError("--requiretls: the server does not offer REQUIRETLS (RFC 8689), so it would not promise to relay the message over TLS only: nothing was sent"))
	}
	return nil
}
