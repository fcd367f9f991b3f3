package session

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// This file is the guided mode's engine: from the state of a session and
// the last reply, the next step of a real session (RFC 5321 section 3.3's
// order: greeting, EHLO, [STARTTLS, EHLO], [AUTH], MAIL, RCPT, DATA, the
// message, QUIT), with what to send, why, what to expect and where to read.
// A failed step carries the reply's Explanation, whose Cause and Action come
// from the same rules as doctor's findings and the TUI's warnings.

// Step is one step of the guided session.
type Step struct {
	ID      string   // stable: "greeting", "ehlo", "helo", "lhlo", "starttls", "handshake", "ehlo-tls", "auth", "auth-exchange", "rset", "mail", "rcpt", "data", "compose", "end-data", "quit", "wait", "done", "closed"
	Title   string   // one line: what this step does
	Command string   // the line to prefill: SMTP, or ":auth"/":compose"/":reconnect"; "" while only the server can act
	Why     string   // why this step, in plain words
	Expect  string   // the reply to expect
	RFC     string   // where the step is defined
	Choices []string // the AUTH mechanisms to choose from (advertised and spoken by ehlo)
	Choice  int      // the index of the chosen one in Choices
	// Note is what the last reply taught, in one line: "AUTH appeared
	// after STARTTLS (+AUTH PLAIN LOGIN)", "250 2.1.5: recipient accepted".
	// "" when there is nothing to add.
	Note string
	// Failure explains the last reply when it refused the previous step:
	// its Cause and Action are the fix, and Command is where the fix begins.
	Failure   *Explanation
	Skippable bool // GuideOptions.Skipped may list it: the session can go on without it
}

// GuideOptions are what the guide needs beyond the session's State.
type GuideOptions struct {
	Helo      string   // the name for EHLO and HELO; "" gives "localhost"
	User      string   // the user name for AUTH; "" lets :auth ask for it
	Mechanism string   // the AUTH mechanism chosen; "" picks PreferredMechanism
	From      string   // the envelope sender; "" gives the signed-in user if it is an address, else you@example.org
	To        []string // the envelope recipients; none gives someone@example.org
	// Answered is the command line the last reply answers, in its shown
	// form (AUTH redacted): "" for the greeting, "." for the end of data.
	Answered string
	// Refused lists the RCPT lines refused in the current transaction, so
	// that their recipients are not proposed again.
	Refused []string
	Skipped []string // the IDs of the steps the user skipped
	// MessageSize is the SIZE= declared with MAIL FROM (RFC 1870) when the
	// server advertises SIZE; 0 estimates it with GuideMessageSize.
	MessageSize int64
	// LMTP is an LMTP session (RFC 2033): LHLO where SMTP says EHLO, no
	// HELO to fall back to, and one reply per recipient after the message.
	LMTP bool
}

// guideMessageAllowance is the room GuideMessageSize leaves for a short
// body typed in the editor.
const guideMessageAllowance = 1024

// GuideMessageSize estimates the size of the guided session's test message
// for MAIL FROM's SIZE= (RFC 1870 section 4): the header :compose
// prefills (Draft.Header) and room for a short body, rounded up to a whole
// KiB.
func GuideMessageSize(from string, to []string) int64 {
	d := Draft{From: from, To: to, Date: time.Date(2006, 1, 2, 15, 4, 5, 0, time.FixedZone("", -7*3600)),
		MessageID: "<" + strings.Repeat("x", 26) + "@" + domainOf(from) + ">", EightBit: true}
	header := d.Header()
	n := len(strings.Join(header, "\r\n")) + len("\r\n\r\n") + guideMessageAllowance + len("\r\n.\r\n")
	return int64((n + 1023) / 1024 * 1024)
}

// NextStep returns the step that follows the session's state s. last is
// the reply the session received most recently (nil before any), and
// opts.Answered the command it answered. While a command awaits its reply
// (s.Pending), the step says what is expected; when last refused the
// previous step, the step carries its Explanation and starts the fix.
func NextStep(s State, last *Reply, opts GuideOptions) Step {
	if s.Pending != "" {
		return waitStep(s, last, opts)
	}
	var failure *Explanation
	if last != nil && last.Class() >= ClassTransient {
		c := s.ExplainContext(opts.Answered)
		c.LMTP = opts.LMTP
		x := Explain(*last, c)
		if c.LMTP && x.Rule == "" && (Verb(opts.Answered) == "EHLO" || Verb(opts.Answered) == "HELO") {
			x.Action = "Send LHLO instead, as the card proposes."
		}
		failure = &x
	}
	st := nextStep(s, last, failure, opts)
	if failure != nil {
		st.Failure = failure
	}
	if st.ID == "ehlo-tls" && st.Note == "" {
		st.Note = "TLS is on: what the server said in plaintext no longer counts"
	}
	if st.Note == "" && last != nil && failure == nil {
		st.Note = replyNote(*last, s.ExplainContext(opts.Answered), opts.Answered)
	}
	return st
}

// nextStep picks the step: the fix of a failure first, then the session's
// order.
func nextStep(s State, last *Reply, failure *Explanation, opts GuideOptions) Step {
	if st, ok := fixStep(s, last, failure, opts); ok {
		return st
	}
	switch {
	case s.Phase == PhaseClosed:
		return closedStep(last)
	case s.Phase == PhaseConnected:
		return greetingStep(opts)
	case last != nil && last.Code == 220 && Verb(opts.Answered) == "STARTTLS" && !s.TLS:
		return handshakeStep(opts)
	case s.Phase == PhaseGreeted && s.TLS && !s.ImplicitTLS:
		return ehloStep(opts, true)
	case s.Phase == PhaseGreeted && s.TLS: // no plaintext session came before
		st := ehloStep(opts, false)
		st.Why += " The connection is inside TLS from its first byte (implicit TLS, RFC 8314), so there is no STARTTLS to come."
		return st
	case s.Phase == PhaseGreeted:
		return ehloStep(opts, false)
	case s.Phase == PhaseMail:
		return rcptStep(s, opts)
	case s.Phase == PhaseRcpt:
		if st, ok := moreRcptStep(s, opts); ok {
			return st
		}
		return dataStep(s, opts)
	case s.Phase == PhaseData:
		return composeStep(opts)
	case s.Expect() == "QUIT":
		return quitStep(opts)
	case !s.TLS && s.Caps.Has("STARTTLS") && !skipped(opts, "starttls"):
		return starttlsStep(s)
	case !s.Authenticated && s.Caps.Has("AUTH") && !skipped(opts, "auth"):
		return signInStep(s, opts)
	}
	return mailStep(s, opts)
}

// fixStep is where the fix of a refused step begins, when it is not simply
// the same step again (RFC 5321 section 4.2.1: a 4yz may be retried as is).
func fixStep(s State, last *Reply, failure *Explanation, opts GuideOptions) (Step, bool) {
	if failure == nil || s.Phase == PhaseClosed {
		return Step{}, false
	}
	switch failure.Rule {
	case "lhlo-refused":
		return lhloRefusedStep(opts), true
	case "ehlo-refused":
		return heloStep(opts), true
	case "starttls-required", "auth-after-starttls":
		if !s.TLS && s.Caps.Has("STARTTLS") {
			return starttlsStep(s), true
		}
	case "auth-required", "relay-denied":
		if s.Caps.Has("AUTH") && !s.Authenticated {
			if s.Phase == PhaseMail || s.Phase == PhaseRcpt {
				return rsetStep(), true
			}
			return signInStep(s, opts), true
		}
	}
	if Verb(opts.Answered) == "EHLO" && (last.Code == 500 || last.Code == 502) && !opts.LMTP {
		return heloStep(opts), true // a server from before RFC 1869 knows only HELO
	}
	return Step{}, false
}

func skipped(opts GuideOptions, id string) bool { return slices.Contains(opts.Skipped, id) }

func greetingStep(opts GuideOptions) Step {
	st := Step{
		ID: "greeting", Title: "Wait for the server's greeting",
		Why:    "In SMTP the server speaks first: it greets with 220 and its name, or refuses the session with 554.",
		Expect: "220 mail.example.org ESMTP …",
		RFC:    "RFC 5321 3.1, 4.2",
	}
	if opts.LMTP {
		st.Why = "In LMTP, as in SMTP, the server speaks first: it greets with 220 and its name, or refuses the session with 554."
		st.Expect = "220 mail.example.org LMTP …"
		st.RFC = "RFC 2033 4, RFC 5321 4.2"
	}
	return st
}

// ehloStep is EHLO, or LMTP's LHLO (RFC 2033 4.1), which takes its place
// and is answered as EHLO is.
func ehloStep(opts GuideOptions, inTLS bool) Step {
	st := Step{
		ID: "ehlo", Title: "Say EHLO: introduce yourself and ask what the server offers",
		Command: "EHLO " + helo(opts),
		Why:     "EHLO opens an extended (ESMTP) session; the reply lists the extensions: STARTTLS, AUTH, SIZE and others.",
		Expect:  "250 with one extension per line",
		RFC:     "RFC 5321 4.1.1.1",
	}
	if opts.LMTP {
		st.Title = "Say LHLO: introduce yourself and ask what the server offers"
		st.Command = "LHLO " + helo(opts)
		st.Why = "LMTP's hello is LHLO, never EHLO nor HELO: it opens the session, and the reply lists the extensions, one per line (PIPELINING, CHUNKING, STARTTLS...)."
		st.RFC = "RFC 2033 4.1"
	}
	if inTLS {
		st.ID, st.Title = "ehlo-tls", helloVerb(opts)+" again, inside TLS"
		st.Why = "TLS wiped the slate: the server forgot the plaintext session and must be asked again (RFC 3207 4.2). Compare its list with the plaintext one: AUTH often appears only now."
		st.Expect = "250 with the extensions again, perhaps more of them"
		st.RFC = "RFC 3207 4.2"
	}
	return st
}

// helloVerb is EHLO, or LHLO in LMTP (RFC 2033 4.1).
func helloVerb(opts GuideOptions) string {
	if opts.LMTP {
		return "LHLO"
	}
	return "EHLO"
}

// lhloRefusedStep follows a refused LHLO: LMTP has no HELO to fall back to
// (RFC 2033 4.1), so the step is LHLO again, after the fix.
func lhloRefusedStep(opts GuideOptions) Step {
	st := ehloStep(opts, false)
	st.ID, st.Title = "lhlo", "LHLO again, or another server"
	st.Why = "There is no HELO in LMTP: a server that refuses LHLO does not speak LMTP on this address."
	return st
}

func heloStep(opts GuideOptions) Step {
	return Step{
		ID: "helo", Title: "Fall back to HELO",
		Command: "HELO " + helo(opts),
		Why:     "The server does not know EHLO: plain SMTP without extensions (no STARTTLS, no AUTH, no SIZE).",
		Expect:  "250 and the server's name",
		RFC:     "RFC 5321 3.2, 4.1.1.1",
	}
}

func starttlsStep(s State) Step {
	st := Step{
		ID: "starttls", Title: "STARTTLS: encrypt the connection",
		Command: "STARTTLS",
		Why:     "The server offers TLS. Everything so far travelled in clear; after the upgrade the password and the message are protected.",
		Expect:  "220 Ready to start TLS, then the TLS handshake at once",
		RFC:     "RFC 3207 4", Skippable: true,
	}
	if s.ESMTP && !s.Caps.Has("AUTH") {
		r, _ := LookupRule("auth-after-starttls")
		st.Note = r.Title
	}
	return st
}

func handshakeStep(opts GuideOptions) Step {
	return Step{
		ID: "handshake", Title: "The TLS handshake",
		Why:    "After 220 the client starts TLS at once: ehlo checks that the certificate is valid for the host name and trusted.",
		Expect: "TLS 1.2 or 1.3 and a verified certificate; then " + helloVerb(opts) + " again",
		RFC:    "RFC 3207 4, RFC 8446",
	}
}

// signInStep offers the advertised mechanisms ehlo speaks; :auth asks the
// secret masked and shows only redacted forms.
func signInStep(s State, opts GuideOptions) Step {
	choices := authChoices(s.Caps.AuthMechanisms())
	st := Step{
		ID: "auth", Title: "Sign in with AUTH",
		Why:     "Sign in so that the server relays your mail to other domains. :auth asks the password masked, encodes it for the mechanism and shows it redacted.",
		Expect:  "334 challenges (decoded in the transcript), then 235 2.7.0 Authentication successful",
		RFC:     "RFC 4954 4, 6",
		Choices: choices, Skippable: true,
	}
	if len(choices) == 0 {
		st.Why = "The server offers no mechanism ehlo speaks (" + Mechanisms + "): skip this step, or AUTH by hand."
		return st
	}
	st.Choice = max(slices.Index(choices, strings.ToUpper(opts.Mechanism)), 0)
	if opts.Mechanism == "" {
		st.Choice = max(slices.Index(choices, PreferredMechanism(choices)), 0)
	}
	st.Command = strings.TrimSpace(":auth " + choices[st.Choice] + " " + opts.User)
	switch choices[st.Choice] {
	case "PLAIN", "XOAUTH2": // the credentials ride on the AUTH line (RFC 4954 4: initial response)
		st.Expect = "235 2.7.0 Authentication successful, at once: no 334 challenge comes"
	case "LOGIN":
		st.Expect = "334 for the user name, 334 for the password (decoded in the transcript), then 235"
	case "CRAM-MD5":
		st.Expect = "one 334 challenge (decoded in the transcript), then 235"
	}
	if !s.TLS {
		st.Why = ruleText("auth-offered-in-clear") + " " + st.Why
	}
	if d, ok := s.CapsDiff(); ok && slices.ContainsFunc(d.Added, func(c Capability) bool { return c.Keyword == "AUTH" }) {
		st.Note = "AUTH appeared after STARTTLS (+" + strings.Join(capWords(d.Added, "AUTH"), " ") + ")"
	}
	return st
}

// authChoices keeps the advertised mechanisms NewMechanism speaks, in the
// server's order.
func authChoices(advertised []string) []string {
	var out []string
	for _, m := range advertised {
		if Speaks(m) && !slices.Contains(out, strings.ToUpper(m)) {
			out = append(out, strings.ToUpper(m))
		}
	}
	return out
}

func capWords(list []Capability, keyword string) []string {
	for _, c := range list {
		if c.Keyword == keyword {
			name := c.Keyword
			if c.Legacy {
				name += "="
			}
			return append([]string{name}, strings.Fields(SanitizeString(c.Params))...)
		}
	}
	return nil
}

func authExchangeStep(s State, last *Reply) Step {
	st := Step{
		ID: "auth-exchange", Title: "AUTH under way",
		Why:    "Until the final reply every line the client sends is a credential: ehlo sends it once and shows it redacted.",
		Expect: "334 and a base64 challenge, or 235 (signed in), 535 (refused)",
		RFC:    "RFC 4954 4",
	}
	if last != nil && last.Code == 334 {
		if text, ok := DecodeChallenge(challengeText(*last)); ok && text != "" {
			st.Note = "the server asks " + fmt.Sprintf("%q", text)
		}
		if s.Expect() == "AUTH response" {
			st.Title = "Answer the AUTH challenge"
			st.Expect = "one base64 line; \"*\" cancels"
		}
	}
	return st
}

func rsetStep() Step {
	return Step{
		ID: "rset", Title: "RSET, then sign in",
		Command: "RSET",
		Why:     "AUTH is not allowed inside a mail transaction (RFC 4954 4): reset it first; the next step signs in.",
		Expect:  "250 OK",
		RFC:     "RFC 5321 4.1.1.5",
	}
}

// mailStep starts the transaction, declaring the size when the server
// advertises SIZE (RFC 1870).
func mailStep(s State, opts GuideOptions) Step {
	from := sender(s, opts)
	st := Step{
		ID: "mail", Title: "MAIL FROM: start a message",
		Command: "MAIL FROM:<" + from + ">",
		Why:     "The envelope sender starts a transaction: bounces go there. It need not match the From: header the reader sees.",
		Expect:  "250 2.1.0 Sender OK",
		RFC:     "RFC 5321 4.1.1.2",
	}
	if limit, ok := s.Caps.MaxSize(); ok {
		size := opts.MessageSize
		if size <= 0 {
			size = GuideMessageSize(from, recipients(opts))
		}
		st.Command += fmt.Sprintf(" SIZE=%d", size)
		st.RFC += ", RFC 1870"
		if limit > 0 {
			st.Why += fmt.Sprintf(" SIZE= declares the message's size, so the server can refuse it now if it exceeds its %s limit.", HumanSize(limit))
		}
	}
	addrs := append([]string{from}, recipients(opts)...)
	for _, p := range MailParams(s.Caps, DraftEightBit(s.Caps, addrs...), addrs...) {
		st.Command += " " + p
		switch p {
		case "BODY=8BITMIME":
			st.Why += " BODY=8BITMIME says the text may be 8-bit, such as UTF-8: the editor's header declares it (charset=UTF-8, 8bit)."
			st.RFC += ", RFC 6152"
		case "SMTPUTF8":
			st.Why += " SMTPUTF8 lets an address hold UTF-8."
			st.RFC += ", RFC 6531"
		}
	}
	return st
}

// sender is the envelope sender to propose.
func sender(s State, opts GuideOptions) string {
	switch {
	case opts.From != "":
		return opts.From
	case strings.Contains(s.AuthUser, "@"):
		return s.AuthUser
	}
	return "you@example.org"
}

func recipients(opts GuideOptions) []string {
	if len(opts.To) == 0 {
		return []string{"someone@example.org"}
	}
	return opts.To
}

// rcptStep names the first recipient not yet accepted nor refused.
func rcptStep(s State, opts GuideOptions) Step {
	to, ok := nextRecipient(s, opts)
	if !ok {
		to = "postmaster@" + domainOf(strings.Fields(s.Caps.Domain + " example.org")[0])
	}
	return Step{
		ID: "rcpt", Title: "RCPT TO: name a recipient",
		Command: "RCPT TO:<" + to + ">",
		Why:     "Each recipient is named in the envelope and answered on its own: the server may accept some and refuse others.",
		Expect:  "250 2.1.5 Recipient OK, or 550/554 with the reason",
		RFC:     "RFC 5321 4.1.1.3",
	}
}

// moreRcptStep proposes the next recipient of opts.To, when one is left;
// never the made-up one that stands in for none.
func moreRcptStep(s State, opts GuideOptions) (Step, bool) {
	to, ok := nextRecipient(s, opts)
	if !ok || len(opts.To) == 0 {
		return Step{}, false
	}
	st := rcptStep(s, opts)
	st.Command, st.Title, st.Skippable = "RCPT TO:<"+to+">", "RCPT TO: another recipient", true
	return st, !skipped(opts, "rcpt")
}

func nextRecipient(s State, opts GuideOptions) (string, bool) {
	for _, to := range recipients(opts) {
		refused := slices.ContainsFunc(opts.Refused, func(l string) bool { return strings.EqualFold(pathArg(l), to) })
		if !refused && !slices.ContainsFunc(s.Rcpts, func(r string) bool { return strings.EqualFold(r, to) }) {
			return to, true
		}
	}
	return "", false
}

func dataStep(s State, opts GuideOptions) Step {
	st := Step{
		ID: "data", Title: "DATA: ask to send the message",
		Command: "DATA",
		Why:     fmt.Sprintf("The envelope is complete (%d accepted): ask the server to take the content. Another RCPT TO may still come first.", len(s.Rcpts)),
		Expect:  "354 Start mail input; end with <CRLF>.<CRLF>",
		RFC:     "RFC 5321 4.1.1.4",
	}
	if opts.LMTP {
		st.Why += fmt.Sprintf(" In LMTP each accepted recipient gets its own reply after the message: %s.", replies(len(s.Rcpts)))
		st.RFC += ", RFC 2033 4.2"
	}
	return st
}

// replies says how many replies LMTP gives after the message.
func replies(n int) string {
	if n == 1 {
		return "one reply"
	}
	return fmt.Sprintf("%d replies, in RCPT order", n)
}

// composeStep explains header against envelope: the message's To: and Cc:
// are text for the reader; RCPT TO alone decides delivery, so a Bcc
// recipient is one that is only in the envelope (RFC 5322 3.6.3).
func composeStep(opts GuideOptions) Step {
	st := Step{
		ID: "compose", Title: "Write the message, then a lone \".\"",
		Command: ":compose",
		Why: "The header (From:, To:, Subject:) is what the reader sees; the envelope (MAIL FROM, RCPT TO) is where it goes. " +
			"A recipient in RCPT TO but not in To: or Cc: is a Bcc: it lives only in the envelope.",
		Expect: "after the lone \".\": 250 and a queue ID",
		RFC:    "RFC 5321 4.1.1.4, 4.5.2; RFC 5322 3.6",
	}
	if opts.LMTP {
		st.Expect = "after the lone \".\": one reply per accepted recipient, in RCPT order (250 delivered, or that recipient's refusal)"
		st.RFC += "; RFC 2033 4.2"
	}
	return st
}

func quitStep(opts GuideOptions) Step {
	st := Step{
		ID: "quit", Title: "QUIT: say goodbye",
		Command: "QUIT",
		Why:     "The server took the message. End the session politely, or MAIL FROM again for another message.",
		Expect:  "221 Bye",
		RFC:     "RFC 5321 4.1.1.10",
	}
	if opts.LMTP {
		st.Why = "Every recipient has its reply (above: delivered or not, one each). End the session politely, or MAIL FROM again for another message."
	}
	return st
}

func closedStep(last *Reply) Step {
	st := Step{
		ID: "closed", Title: "The session is closed",
		Command: ":reconnect",
		Why:     "The connection is gone: :reconnect starts a new session from the greeting.",
		RFC:     "RFC 5321 3.8",
	}
	if last != nil && last.Code == 221 {
		st.ID, st.Title = "done", "Done: the server said goodbye"
		st.Why = "A whole session, from greeting to QUIT. :reconnect runs it again; F9 leaves guided mode."
		st.RFC = "RFC 5321 4.1.1.10"
	}
	return st
}

// waitStep is the step while a command awaits its reply.
func waitStep(s State, last *Reply, opts GuideOptions) Step {
	verb := Verb(s.Pending)
	switch {
	case verb == "AUTH":
		return authExchangeStep(s, last)
	case s.Pending == "." && opts.LMTP:
		return Step{
			ID: "end-data", Title: "End of data: the server delivers to each recipient",
			Why:    "A lone \".\" ends the message (a line that began with a dot went out with it doubled). An LMTP server delivers it at once, to each recipient on its own, and says how each went.",
			Expect: fmt.Sprintf("%s: 250 for each recipient delivered, a 4yz or 5yz for one that was not", replies(len(s.Rcpts))),
			RFC:    "RFC 2033 4.2",
		}
	case s.Pending == ".":
		return Step{
			ID: "end-data", Title: "End of data: the server decides",
			Why:    "A lone \".\" ends the message (a line that began with a dot went out with it doubled). The server checks the content and takes responsibility for it, or refuses it.",
			Expect: "250 2.0.0 and a queue ID",
			RFC:    "RFC 5321 4.1.1.4",
		}
	}
	return Step{
		ID: "wait", Title: "Waiting for the reply to " + SanitizeString(verb),
		Why:    "One command, one reply: the guide goes on when it comes.",
		Expect: "a reply code: 2yz done, 3yz go on, 4yz try later, 5yz refused",
		RFC:    "RFC 5321 4.2",
	}
}

// replyNote is one line on a positive reply: its code and what the rule
// or the knowledge table says about it.
func replyNote(r Reply, c ExplainContext, answered string) string {
	code := fmt.Sprint(r.Code)
	if r.Enhanced != (EnhancedCode{}) {
		code += " " + r.Enhanced.String()
	}
	verb := Verb(answered)
	switch {
	case answered == "" && r.Code == 220:
		return "greeted: " + SanitizeString(clip(strings.Join(r.Lines[:1], ""), 80))
	case (verb == "EHLO" || verb == "LHLO") && r.Code == 250:
		caps := ParseEHLO(r)
		words := make([]string, 0, len(caps.List))
		for _, cp := range caps.List {
			words = append(words, SanitizeString(cp.Keyword))
		}
		return fmt.Sprintf("%s answered 250 with %d extensions: %s", verb, len(words), strings.Join(words, " "))
	case verb == "STARTTLS" && r.Code == 220:
		return "STARTTLS answered " + code + ": the TLS handshake starts now"
	}
	what := firstSentence(CodeMeaning(r.Code))
	if rule, ok := LookupRule(Explain(r, c).Rule); ok {
		what = strings.TrimSuffix(rule.Title, fmt.Sprintf(" (%d)", r.Code)) // the code is said already
	}
	if verb != "" && answered != "." {
		return fmt.Sprintf("%s answered %s: %s", SanitizeString(verb), code, what)
	}
	return code + ": " + what
}

// firstSentence is text up to its first full stop.
func firstSentence(text string) string {
	if i := strings.Index(text, ". "); i >= 0 {
		return text[:i+1]
	}
	return text
}

// ruleText is the Why of a rule: the guide's words are the rules' words.
func ruleText(id string) string {
	r, _ := LookupRule(id)
	return r.Why
}

// helo is the name for EHLO and HELO.
func helo(opts GuideOptions) string {
	if opts.Helo != "" {
		return opts.Helo
	}
	return "localhost"
}

// domainOf is the part of an address after its last "@", or the whole.
func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return addr
}
