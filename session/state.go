package session

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Phase is where an SMTP session stands (RFC 5321 section 3).
type Phase int

// The phases of a session, in the order a delivery walks them.
const (
	PhaseConnected Phase = iota // connected, no greeting yet
	PhaseGreeted                // 220 greeting received; EHLO or HELO needed
	PhaseReady                  // EHLO or HELO accepted; no transaction open
	PhaseMail                   // MAIL accepted
	PhaseRcpt                   // at least one RCPT accepted
	PhaseData                   // 354 received; message lines are being sent
	PhaseClosed                 // QUIT answered, 421, or a refusing greeting
)

// String names the phase, e.g. "rcpt".
func (p Phase) String() string {
	switch p {
	case PhaseConnected:
		return "connected"
	case PhaseGreeted:
		return "greeted"
	case PhaseReady:
		return "ready"
	case PhaseMail:
		return "mail"
	case PhaseRcpt:
		return "rcpt"
	case PhaseData:
		return "data"
	case PhaseClosed:
		return "closed"
	}
	return "Phase(" + strconv.Itoa(int(p)) + ")"
}

// Refusal is a recipient the server refused, and the code it refused it
// with (RFC 5321 section 4.1.1.3: each RCPT is answered on its own).
type Refusal struct {
	Addr string // without brackets
	Code int
}

// authStep tracks an AUTH exchange: from the AUTH command until the first
// reply other than 334 every client line is secret (SAFETY.md).
type authStep int

const (
	authNone       authStep = iota
	authWaiting             // AUTH or a response sent, reply pending
	authChallenged          // 334 received, a response is due
)

// State is the client's view of one session. It is a value: every method
// returns the next State and leaves the receiver alone. It follows one
// command at a time; Pending holds the last command sent.
type State struct {
	Phase         Phase
	ESMTP         bool          // EHLO (not HELO) accepted
	TLS           bool          // STARTTLS handshake done, or ImplicitTLS
	ImplicitTLS   bool          // TLS from the first byte (RFC 8314), with no STARTTLS; set by the dialer
	Authenticated bool          // AUTH answered 235
	AuthUser      string        // user name of the accepted AUTH, display form; "" if unknown
	Caps          Capabilities  // latest EHLO
	PlainCaps     *Capabilities // the EHLO before STARTTLS, kept for the diff (nil if none)
	From          string        // accepted reverse-path, without brackets
	Rcpts         []string      // accepted forward-paths, without brackets
	Refused       []Refusal     // forward-paths refused in this transaction, in order
	// Pending is the command line awaiting a reply, "" if none. An AUTH
	// command is stored as its RedactedAuth form and the secret lines that
	// follow it are not stored at all.
	Pending string

	auth      authStep
	authUser  string // display form of the user of the pending AUTH
	delivered bool   // the last transaction ended with 250
}

// Greeting applies the server's greeting (RFC 5321 section 4.2): 220 greets;
// 554 and 421 refuse, and the session is over.
func (s State) Greeting(r Reply) State {
	switch r.Code {
	case 220:
		s.Phase = PhaseGreeted
	case 421, 554:
		s = s.closed()
	}
	return s
}

// Sent notes a command line just sent. AUTH lines are stored redacted, with
// the user name taken from a RedactedAuth form or from a PLAIN, LOGIN or
// XOAUTH2 initial response; the lines sent while the exchange lasts are not
// stored. In PhaseData, lines are message content and only "." counts.
func (s State) Sent(line string) State {
	switch {
	case s.Phase == PhaseData:
		if line == "." {
			return s.DataEnded()
		}
	case s.auth != authNone:
		s.auth = authWaiting // a secret response: Pending keeps the AUTH line
	case Verb(line) == "AUTH":
		s.auth = authWaiting
		s.Pending, s.authUser = redactAuthLine(line)
	default:
		s.Pending = line
	}
	return s
}

// DataEnded notes that the client sent the final "." of the message
// (RFC 5321 section 4.1.1.4): its reply ends the transaction.
func (s State) DataEnded() State {
	s.Pending = "."
	return s
}

// Unanswered applies a reply that answers nothing, such as one whose lines
// carry different codes (MixedCodesError, RFC 5321 section 4.2.1): the
// pending command is pending no more, and what it did is unknown, so
// nothing is learnt from it. After the final "." or the last BDAT chunk
// the message is over all the same, and its transaction with it.
func (s State) Unanswered() State {
	if s.Phase == PhaseData && s.Pending == "." || lastChunk(s.Pending) {
		s = s.reset()
	}
	s.Pending, s.auth, s.authUser = "", authNone, ""
	return s
}

// Received applies a reply to the pending command. 421 and 221 close the
// session whatever was pending (RFC 5321 section 3.8; 221 is "Service
// closing transmission channel", section 4.2.2, to QUIT or to anything
// else); before the greeting, a reply with nothing pending is the greeting.
func (s State) Received(r Reply) State {
	if s.Phase == PhaseClosed {
		return s
	}
	if r.Code == 421 || r.Code == 221 {
		return s.closed()
	}
	if s.Phase == PhaseConnected && s.Pending == "" {
		return s.Greeting(r)
	}
	if s.auth != authNone {
		return s.receivedAuth(r)
	}
	line := s.Pending
	s.Pending = ""
	switch Verb(line) {
	case "EHLO", "LHLO": // LHLO is LMTP's EHLO (RFC 2033 section 4.1)
		return s.receivedEHLO(r)
	case "HELO":
		return s.receivedHELO(r)
	case "MAIL":
		return s.receivedMail(r, line)
	case "RCPT":
		return s.receivedRcpt(r, line)
	case "DATA":
		if r.Code == 354 {
			s.Phase = PhaseData
		}
	case ".":
		return s.receivedEnd(r)
	case "BDAT":
		// the reply to the last chunk is the message's, as the reply to
		// "." is after DATA (RFC 3030 section 2); one to another chunk
		// leaves the transaction where it was
		if lastChunk(line) {
			return s.receivedEnd(r)
		}
	case "RSET":
		if r.OK() {
			s = s.reset()
		}
	case "XCLIENT":
		if r.Code == 220 {
			return s.xclientStarted()
		}
	}
	return s
}

// receivedEHLO: a 250 replaces the capabilities and, like RSET, clears the
// transaction (RFC 5321 section 4.1.4).
func (s State) receivedEHLO(r Reply) State {
	if r.Code != 250 {
		return s
	}
	s = s.reset()
	s.Phase, s.ESMTP, s.Caps = PhaseReady, true, ParseEHLO(r)
	return s
}

func (s State) receivedHELO(r Reply) State {
	if r.Code != 250 {
		return s
	}
	s = s.reset()
	s.Phase, s.ESMTP, s.Caps = PhaseReady, false, Capabilities{}
	if len(r.Lines) > 0 {
		s.Caps.Domain, s.Caps.Greet = SplitHello(r.Lines[0])
	}
	return s
}

// receivedAuth: 334 keeps the exchange going; any other reply ends it.
func (s State) receivedAuth(r Reply) State {
	if r.Code == 334 {
		s.auth = authChallenged
		return s
	}
	if r.Code == 235 {
		s.Authenticated, s.AuthUser = true, s.authUser
	}
	s.auth, s.authUser, s.Pending = authNone, "", ""
	return s
}

func (s State) receivedMail(r Reply, line string) State {
	if r.Code != 250 {
		return s
	}
	s.Phase, s.From, s.Rcpts, s.Refused, s.delivered = PhaseMail, pathArg(line), nil, nil, false
	return s
}

// receivedRcpt: 251 (user not local; will forward) accepts too.
func (s State) receivedRcpt(r Reply, line string) State {
	if r.Code != 250 && r.Code != 251 {
		if r.Class() >= ClassTransient && (s.Phase == PhaseMail || s.Phase == PhaseRcpt) {
			s.Refused = append(slices.Clip(s.Refused), Refusal{Addr: pathArg(line), Code: r.Code})
		}
		return s
	}
	s.Phase = PhaseRcpt
	s.Rcpts = append(slices.Clip(s.Rcpts), pathArg(line))
	return s
}

// receivedEnd: whatever the reply to the final ".", the transaction is over
// and its buffers are cleared (RFC 5321 section 4.1.1.4).
func (s State) receivedEnd(r Reply) State {
	s = s.reset()
	s.delivered = r.Code == 250
	return s
}

// reset clears the transaction, as RSET does (RFC 5321 section 4.1.1.5).
func (s State) reset() State {
	if s.Phase > PhaseReady && s.Phase != PhaseClosed {
		s.Phase = PhaseReady
	}
	s.From, s.Rcpts, s.Refused, s.delivered = "", nil, nil, false
	return s
}

func (s State) closed() State {
	s.Phase, s.Pending, s.auth, s.authUser = PhaseClosed, "", authNone, ""
	return s
}

// TLSStarted applies a completed TLS handshake after STARTTLS's 220. As RFC
// 3207 section 4.2 requires, everything learned in plaintext is forgotten
// and EHLO is needed again; the plaintext capabilities move to PlainCaps for
// the diff.
func (s State) TLSStarted() State {
	if !s.TLS && s.ESMTP {
		plain := s.Caps
		s.PlainCaps = &plain
	}
	s = s.reset()
	s.TLS, s.ESMTP, s.Caps = true, false, Capabilities{}
	s.Authenticated, s.AuthUser = false, ""
	s.Pending, s.auth, s.authUser = "", authNone, ""
	if s.Phase != PhaseClosed {
		s.Phase = PhaseGreeted
	}
	return s
}

// CapsDiff compares the capabilities before STARTTLS with the current ones;
// ok is false until both EHLOs are known.
func (s State) CapsDiff() (d CapDiff, ok bool) {
	if s.PlainCaps == nil || !s.TLS || !s.ESMTP {
		return CapDiff{}, false
	}
	return DiffCapabilities(*s.PlainCaps, s.Caps), true
}

// Expect names what the session expects next: "greeting", "server reply",
// "EHLO", "STARTTLS" (offered, still plaintext), "AUTH" (offered, not yet
// authenticated), "AUTH response" (after a 334), "MAIL FROM", "RCPT TO",
// "DATA or more RCPT TO", "message lines, then .", "QUIT" (after a message
// was accepted), or "" once closed.
func (s State) Expect() string {
	switch {
	case s.Phase == PhaseClosed:
		return ""
	case s.Phase == PhaseConnected:
		return "greeting"
	case s.auth == authChallenged:
		return "AUTH response"
	case s.Pending != "":
		return "server reply"
	}
	switch s.Phase {
	case PhaseGreeted:
		return "EHLO"
	case PhaseMail:
		return "RCPT TO"
	case PhaseRcpt:
		return "DATA or more RCPT TO"
	case PhaseData:
		return "message lines, then ."
	}
	switch {
	case s.delivered:
		return "QUIT"
	case !s.TLS && s.Caps.Has("STARTTLS"):
		return "STARTTLS"
	case !s.Authenticated && s.Caps.Has("AUTH"):
		return "AUTH"
	}
	return "MAIL FROM"
}

// Warning is advice given before sending a command that will likely fail or
// leak something. Code is a stable identifier, Text a sentence for people.
// Warning.Rule (rules.go) gives the Rule about the same problem, with the
// fix that doctor and the guided cards show.
type Warning struct {
	Code string
	Text string
	// Fix is the line that was probably meant, built from the one
	// checked: "EHLO client.example" for "EHOL client.example"; "" when
	// there is none to offer.
	Fix string
}

// Check returns warnings about sending line now. It never blocks: the user
// may send anyway. Message lines (PhaseData) and lines typed during an AUTH
// exchange are not commands and get no warnings; no warning's Text quotes
// the line (a Fix is built from it).
//
// Codes: "bad-line", "unknown-verb", "mail-syntax", "rcpt-syntax",
// "header-outside-data", "utf8-address" (typo.go), "closed", "before-greeting", "pipelining",
// "missing-domain", "starttls-not-offered", "already-tls",
// "auth-not-advertised", "auth-before-starttls-needed",
// "auth-mechanism-not-advertised", "auth-plaintext", "auth-cram-plaintext",
// "already-authenticated", "auth-in-transaction", "mail-before-ehlo",
// "mail-in-transaction", "size-exceeds", "rcpt-before-mail",
// "data-before-rcpt", "bdat-syntax", "chunking-not-offered".
func (s State) Check(line string) []Warning {
	if s.Phase == PhaseData || s.auth != authNone {
		return nil
	}
	var ws []Warning
	if err := ValidateLine(line); err != nil {
		ws = append(ws, Warning{Code: "bad-line", Text: strings.TrimPrefix(err.Error(), "session: ")})
	}
	switch s.Phase {
	case PhaseClosed:
		return append(ws, Warning{Code: "closed", Text: "the session is closed"})
	case PhaseConnected:
		ws = append(ws, Warning{Code: "before-greeting", Text: "the server has not greeted yet: many servers reject clients that talk first"})
	}
	verb := Verb(line)
	if len(ws) == 0 || ws[0].Code != "bad-line" {
		ws = append(ws, s.checkSyntax(line)...)
	}
	ws = append(ws, s.checkPipelining(verb)...)
	s = s.assumeAccepted()
	switch verb {
	case "EHLO", "HELO", "LHLO":
		if len(strings.Fields(line)) < 2 {
			ws = append(ws, Warning{Code: "missing-domain", Text: verb + " needs a domain or address literal (RFC 5321 section 4.1.1.1)"})
		}
	case "STARTTLS":
		ws = append(ws, s.checkStartTLS()...)
	case "AUTH":
		ws = append(ws, s.checkAuth(line)...)
	case "MAIL":
		ws = append(ws, s.checkMail(line)...)
	case "RCPT":
		if s.Phase < PhaseMail {
			ws = append(ws, Warning{Code: "rcpt-before-mail", Text: "no MAIL FROM accepted yet: expect 503"})
		}
	case "DATA":
		ws = append(ws, s.checkData()...)
	case "BDAT":
		ws = append(ws, s.checkBdat(line)...)
	}
	return ws
}

func (s State) checkData() []Warning {
	if s.Phase < PhaseRcpt {
		return []Warning{{Code: "data-before-rcpt", Text: "no recipient accepted yet: expect 503 or 554"}}
	}
	return nil
}

// checkBdat: a chunk goes with its octets in one write (RFC 3030 section
// 2), so a server that takes no BDAT reads those octets as commands.
func (s State) checkBdat(line string) []Warning {
	var ws []Warning
	if _, _, err := ParseBdat(line); err != nil {
		ws = append(ws, Warning{Code: "bdat-syntax", Text: "BDAT takes the chunk's size in octets, then LAST for the last chunk (BDAT n [LAST]): expect 501"})
	}
	if !s.Caps.Has("CHUNKING") {
		ws = append(ws, Warning{Code: "chunking-not-offered", Text: "CHUNKING is not advertised (RFC 3030): expect 500 or 502, and the chunk's bytes read as commands"})
	}
	return append(ws, s.checkData()...)
}

// checkPipelining: a command sent while another awaits its reply needs
// PIPELINING (RFC 2920), and STARTTLS is never pipelined (SAFETY.md).
func (s State) checkPipelining(verb string) []Warning {
	if s.Pending == "" || (verb != "STARTTLS" && s.Caps.Has("PIPELINING")) {
		return nil
	}
	return []Warning{{Code: "pipelining", Text: "a reply is still pending: send STARTTLS alone, and other commands only with PIPELINING (RFC 2920)"}}
}

// assumeAccepted returns s as if a pipelined MAIL or RCPT awaiting its
// reply were accepted (RFC 2920 section 3.1), so that the next command of
// the group is judged against the transaction it joins.
func (s State) assumeAccepted() State {
	switch Verb(s.Pending) {
	case "MAIL":
		if s.Phase == PhaseReady {
			s.Phase = PhaseMail
		}
	case "RCPT":
		if s.Phase == PhaseMail {
			s.Phase = PhaseRcpt
		}
	}
	return s
}

func (s State) checkStartTLS() []Warning {
	switch {
	case s.TLS:
		return []Warning{{Code: "already-tls", Text: "TLS is already active: a second STARTTLS is refused (RFC 3207 section 4.2)"}}
	case !s.ESMTP:
		return []Warning{{Code: "starttls-not-offered", Text: "STARTTLS is not advertised: send EHLO first"}}
	case !s.Caps.Has("STARTTLS"):
		return []Warning{{Code: "starttls-not-offered", Text: "this server did not advertise STARTTLS"}}
	}
	return nil
}

// checkAuth follows RFC 4954 section 4 and SAFETY.md's credential rules.
func (s State) checkAuth(line string) []Warning {
	mech := ""
	if f := strings.Fields(line); len(f) > 1 {
		mech = strings.ToUpper(f[1])
	}
	switch {
	case s.Authenticated:
		return []Warning{{Code: "already-authenticated", Text: "already authenticated: a second AUTH is refused with 503 (RFC 4954 section 4)"}}
	case s.Phase == PhaseMail || s.Phase == PhaseRcpt:
		return []Warning{{Code: "auth-in-transaction", Text: "AUTH is not allowed during a mail transaction (RFC 4954 section 4): RSET first"}}
	case !s.TLS && s.ESMTP && !s.Caps.Has("AUTH") && s.Caps.Has("STARTTLS"):
		return []Warning{warning("auth-before-starttls-needed")}
	case !s.ESMTP:
		return []Warning{{Code: "auth-not-advertised", Text: "AUTH is not advertised: send EHLO first"}}
	case !s.Caps.Has("AUTH"):
		return []Warning{{Code: "auth-not-advertised", Text: "this server did not advertise AUTH"}}
	}
	var ws []Warning
	if mechs := s.Caps.AuthMechanisms(); mech != "" && !slices.Contains(mechs, mech) {
		ws = append(ws, Warning{Code: "auth-mechanism-not-advertised", Text: fmt.Sprintf(
			"%s is not advertised; this server offers %s", SanitizeString(clip(mech, 40)), strings.Join(mechs, " "))})
	}
	if !s.TLS {
		ws = append(ws, plaintextAuthWarning(mech, s.Caps.Has("STARTTLS")))
	}
	return ws
}

// plaintextAuthWarning: PLAIN, LOGIN and XOAUTH2 hand over the secret
// itself; CRAM-MD5's answer with its challenge allows offline guessing.
func plaintextAuthWarning(mech string, starttls bool) Warning {
	advice := ""
	if starttls {
		advice = "; send STARTTLS first"
	}
	w := warning("auth-plaintext")
	if mech == "CRAM-MD5" {
		w = warning("auth-cram-plaintext")
	}
	w.Text += advice
	return w
}

func (s State) checkMail(line string) []Warning {
	switch {
	case s.Phase < PhaseReady:
		return []Warning{{Code: "mail-before-ehlo", Text: "no EHLO or HELO accepted yet: expect 503"}}
	case s.Phase == PhaseMail || s.Phase == PhaseRcpt:
		return []Warning{{Code: "mail-in-transaction", Text: "a mail transaction is already open: expect 503; RSET first"}}
	}
	size, ok := sizeParam(line)
	limit, limited := s.Caps.MaxSize()
	if ok && limited && limit > 0 && size > limit {
		return []Warning{{Code: "size-exceeds", Text: fmt.Sprintf("SIZE=%d exceeds the advertised maximum of %d octets (%s): expect 552 (RFC 1870)", size, limit, HumanSize(limit))}}
	}
	return nil
}

// sizeParam finds a SIZE=n parameter on a MAIL line (RFC 1870 section 6).
func sizeParam(line string) (int64, bool) {
	for i, f := range strings.Fields(line) {
		if i == 0 {
			continue
		}
		if v, ok := strings.CutPrefix(strings.ToUpper(f), "SIZE="); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// commands lists the Tab candidates that make sense in s, in a fixed order.
func (s State) commands() []string {
	ready := s.Phase >= PhaseReady
	inTx := s.Phase == PhaseMail || s.Phase == PhaseRcpt
	all := []struct {
		text string
		ok   bool
	}{
		{"EHLO ", true},
		{"HELO ", true},
		{"STARTTLS", ready && !s.TLS && s.Caps.Has("STARTTLS")},
		{"AUTH ", s.Phase == PhaseReady && !s.Authenticated && s.Caps.Has("AUTH")},
		{"MAIL FROM:<", s.Phase == PhaseReady},
		{"RCPT TO:<", inTx},
		{"DATA", s.Phase == PhaseRcpt},
		{"RSET", ready},
		{"NOOP", true},
		{"QUIT", true},
		{"HELP", true},
		{"VRFY ", ready},
	}
	var out []string
	for _, c := range all {
		if c.ok {
			out = append(out, c.text)
		}
	}
	return out
}

// Completions returns the commands that make sense now and start with
// prefix, ignoring case, in upper case: "ma" gives "MAIL FROM:<". After
// "AUTH " it returns "AUTH " plus each advertised mechanism. Nothing is
// offered once closed, during DATA or during an AUTH exchange.
func (s State) Completions(prefix string) []string {
	if s.Phase == PhaseClosed || s.Phase == PhaseData || s.auth != authNone {
		return nil
	}
	up := strings.ToUpper(prefix)
	if rest, ok := strings.CutPrefix(up, "AUTH "); ok {
		return s.mechanismCompletions(strings.TrimLeft(rest, " "))
	}
	var out []string
	for _, c := range s.commands() {
		if strings.HasPrefix(c, up) {
			out = append(out, c)
		}
	}
	return out
}

func (s State) mechanismCompletions(prefix string) []string {
	var out []string
	for _, m := range s.Caps.AuthMechanisms() {
		if strings.HasPrefix(m, prefix) {
			out = append(out, "AUTH "+m)
		}
	}
	return out
}

// pathArg returns the address of "MAIL FROM:<a>" or "RCPT TO:<a> ...",
// without brackets.
func pathArg(line string) string {
	_, arg, _ := strings.Cut(line, ":")
	arg = strings.TrimLeft(arg, " ")
	if rest, ok := strings.CutPrefix(arg, "<"); ok {
		addr, _, _ := strings.Cut(rest, ">")
		return addr
	}
	addr, _, _ := strings.Cut(arg, " ")
	return addr
}

// redactAuthLine returns the shown form of an AUTH command line and the
// display form of its user. A line already in RedactedAuth form keeps its
// user; otherwise the user is read from a PLAIN, LOGIN or XOAUTH2 initial
// response, and the rest of the response is dropped.
func redactAuthLine(line string) (shown, user string) {
	f := strings.Fields(line)
	if len(f) < 2 {
		return redacted("", ""), ""
	}
	mech := strings.ToUpper(f[1])
	if _, rest, ok := strings.Cut(line, " <redacted"); ok {
		user = redactedUser(rest)
	} else if len(f) > 2 {
		user = displayUser(userFromIR(mech, f[2]))
	}
	return redacted(SanitizeString(mech), user), user
}

// redactedUser reads the user of a RedactedAuth form back into display
// form, re-sanitizing whatever was typed there.
func redactedUser(rest string) string {
	v, ok := strings.CutPrefix(rest, ` user="`)
	if !ok {
		return ""
	}
	v, _, _ = strings.Cut(v, `"`)
	if raw, err := Unescape(v); err == nil {
		return displayUser(string(raw))
	}
	return displayUser(v)
}

// userFromIR reads the authentication identity out of an initial response.
func userFromIR(mech, ir string) string {
	b, ok := decodeBase64(ir)
	if !ok {
		return ""
	}
	defer clear(b)
	switch mech {
	case "PLAIN": // authzid NUL authcid NUL passwd (RFC 4616 section 2)
		if parts := strings.Split(string(b), "\x00"); len(parts) == 3 {
			return parts[1]
		}
	case "LOGIN":
		return string(b)
	case "XOAUTH2":
		if v, ok := strings.CutPrefix(string(b), "user="); ok {
			u, _, _ := strings.Cut(v, "\x01")
			return u
		}
	}
	return ""
}

// lastChunk reports a "BDAT n LAST" line (RFC 3030).
func lastChunk(line string) bool {
	_, last, err := ParseBdat(line)
	return err == nil && last
}
