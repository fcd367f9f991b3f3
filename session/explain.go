package session

import "strings"

// ExplainContext says what a reply answers, so that Explain can tell a 503
// to AUTH before STARTTLS from a 503 to a second AUTH.
type ExplainContext struct {
	// Command is the command line the reply answers, in its shown form
	// (AUTH redacted, as State.Pending holds it): "" for the greeting, "."
	// for the end of DATA. Only its verb is read.
	Command       string
	TLS           bool         // the reply came inside TLS
	Authenticated bool         // the client had signed in
	Caps          Capabilities // the latest EHLO's; zero when unknown
	LMTP          bool         // the session speaks LMTP (RFC 2033): its hello is LHLO
}

// ExplainContext is the context of a reply to command in this state: the
// state before the reply is applied, with Pending as the command when
// command is "".
func (s State) ExplainContext(command string) ExplainContext {
	if command == "" {
		command = s.Pending
	}
	return ExplainContext{Command: command, TLS: s.TLS, Authenticated: s.Authenticated, Caps: s.Caps}
}

// Explanation is what ehlo knows about one reply. Every text is ehlo's own
// or sanitized server text.
type Explanation struct {
	Code            int
	Class           string // what the first digit means: "permanent failure: do not retry as is"
	Meaning         string // the code in plain words (knowledge table)
	CodeRFC         string // where the code is defined, "RFC 5321 4.2.2"; "" for an unknown code
	Enhanced        EnhancedCode
	EnhancedMeaning string // the RFC 3463 code in words; "" when absent
	EnhancedRFC     string
	Cause           string // what usually causes it here; "" when nothing more is known
	Action          string // what to do; "" when nothing is needed
	RFC             string // the section to read
	// Challenge is a 334's challenge decoded from base64 and sanitized:
	// "VXNlcm5hbWU6" gives "Username:". "" for other replies.
	Challenge string
	Known     *KnownReply // the well-known reply it matches, nil when none
	Rule      string      // the Rule (and doctor finding) it is evidence for; "" when none
}

// Explain says what a reply means in its context: the code and enhanced
// code from the knowledge table, a recognised provider reply, the rule it
// falls under (whose Why and Fix become Cause and Action), and a 334's
// decoded challenge (RFC 4954 4).
func Explain(r Reply, c ExplainContext) Explanation {
	x := Explanation{Code: r.Code, Class: ClassMeaning(r.Code / 100), Meaning: CodeMeaning(r.Code), Enhanced: r.Enhanced}
	if info, ok := LookupCode(r.Code); ok {
		x.CodeRFC = info.RFC
	}
	x.EnhancedMeaning = EnhancedMeaning(r.Enhanced)
	if info, ok := LookupEnhanced(r.Enhanced); ok {
		x.EnhancedRFC = info.RFC
	}
	if r.Code == 334 {
		x.Challenge, _ = DecodeChallenge(challengeText(r))
	}
	verb := explainVerb(c.Command)
	if k, ok := MatchKnownReply(r, verb); ok {
		x.Known = &k
	}
	x.Rule = replyRule(r, verb, c, x.Known)
	x.Cause, x.Action, x.RFC = advice(r, x)
	if c.LMTP && (verb == "EHLO" || verb == "HELO") && r.Class() >= ClassTransient {
		// not SMTP's story (fall back from EHLO to HELO): LMTP has one hello
		x.Rule, x.Known = "", nil
		x.Cause = "LMTP's hello is LHLO (RFC 2033 4.1): an LMTP server refuses EHLO and HELO."
		x.Action, x.RFC = "Send LHLO instead.", "RFC 2033 4.1"
	}
	return x
}

// explainVerb is the verb of a command line; "." stays ".". A BDAT chunk
// is explained as the data it carries (RFC 3030): the reply to the last
// one as the reply to ".", the reply to another as a reply to DATA.
func explainVerb(command string) string {
	if strings.TrimSpace(command) == "." {
		return "."
	}
	verb := Verb(command)
	if verb != "BDAT" {
		return verb
	}
	if lastChunk(command) {
		return "."
	}
	return "DATA"
}

// advice fills Cause, Action and RFC from the rule, or from the code alone.
func advice(r Reply, x Explanation) (cause, action, rfc string) {
	if x.Rule != "" {
		rule := mustRule(x.Rule)
		return rule.Why, rule.Fix, rule.RFC
	}
	rfc = x.CodeRFC
	switch {
	case r.Code == 334 && x.Challenge != "":
		return "The server continues the AUTH exchange and asks: " + x.Challenge, "Answer with one base64 line, or \"*\" to cancel.", rfc
	case r.Code == 334:
		return "The server continues the AUTH exchange.", "Answer with one base64 line, or \"*\" to cancel.", rfc
	case r.Code == 354:
		return "", "Send the message: header fields, a blank line, the body, then a line holding only \".\".", rfc
	case r.Class() == ClassTransient:
		return "", "A temporary failure: retry later, as a mail server's queue would.", rfc
	case r.Class() == ClassPermanent:
		return "", "A permanent failure: change the command, its arguments or the session before trying again; the text and enhanced code say what.", rfc
	}
	return "", "", rfc
}

// replyRule picks the rule a reply is evidence for. A well-known reply
// names its rule, except where the context says better (a 503 to AUTH
// before STARTTLS is the auth-after-starttls story, not auth-missing).
func replyRule(r Reply, verb string, c ExplainContext, k *KnownReply) string {
	switch {
	case verb == "":
		return greetingRule(r)
	case verb == "AUTH" && (r.Code == 502 || r.Code == 503) && authAfterTLS(c):
		return "auth-after-starttls"
	case verb == "RCPT" && signInWanted(r, c, k):
		return "auth-required"
	case k != nil:
		return k.Rule
	case r.Code == 421:
		return "server-closing"
	case (r.Code == 503 || r.Code == 502) && (verb == "MAIL" || verb == "RCPT" || verb == "DATA"):
		// every server implements these three: a 502 to one of them means
		// "not now", as go-smtp's "502 5.5.1 Please introduce yourself first"
		return "bad-sequence"
	}
	switch verb {
	case "EHLO":
		return ehloRule(r)
	case "LHLO":
		if r.Class() == ClassPermanent {
			return "lhlo-refused"
		}
	case "STARTTLS":
		return starttlsRule(r)
	case "AUTH":
		return authRule(r, c)
	case "MAIL":
		return mailRule(r, c)
	case "RCPT":
		return rcptRule(r, c)
	case "DATA", ".":
		return dataRule(r, verb)
	}
	if r.Code == 503 {
		return "bad-sequence"
	}
	return ""
}

// signInWanted: a permanent refusal of a recipient by policy (relaying,
// access: a refusal signing in lifts, or a bare 5.7.1 or 554) to a client
// that has not signed in on a server that offers AUTH. The cause is the
// sign-in that did not happen, whatever the recipient: a submission port
// refuses its own domains' recipients too (issue 17).
func signInWanted(r Reply, c ExplainContext, k *KnownReply) bool {
	if c.Authenticated || !c.Caps.Has("AUTH") || r.Class() != ClassPermanent {
		return false
	}
	if k != nil {
		return k.SignIn
	}
	return r.Enhanced == EnhancedCode{5, 7, 1} || r.Code == 554
}

// authAfterTLS: plaintext, STARTTLS offered, AUTH not (yet) offered.
func authAfterTLS(c ExplainContext) bool {
	return !c.TLS && c.Caps.Has("STARTTLS") && !c.Caps.Has("AUTH")
}

func greetingRule(r Reply) string {
	if r.Code != 220 && r.Code != 0 {
		return "greeting-refused"
	}
	return ""
}

func ehloRule(r Reply) string {
	if r.Class() == ClassPermanent {
		return "ehlo-refused"
	}
	return ""
}

func starttlsRule(r Reply) string {
	if r.Code != 220 {
		return "starttls-refused"
	}
	return ""
}

// authRule follows RFC 4954 section 6's codes.
func authRule(r Reply, c ExplainContext) string {
	switch {
	case r.Code == 235:
		return "auth-ok"
	case r.Code == 334:
		return ""
	case r.Code == 535 || r.Enhanced == EnhancedCode{5, 7, 8}:
		return "auth-bad-credentials"
	case r.Code == 534:
		return "auth-app-password"
	case r.Code == 454:
		return "auth-temporary"
	case r.Code == 530 || r.Code == 538:
		return "starttls-required"
	case r.Code == 503 && c.Authenticated:
		return "bad-sequence"
	case (r.Code == 502 || r.Code == 503) && !c.Caps.Has("AUTH"):
		return "auth-missing"
	case r.Code == 503:
		return "bad-sequence"
	case r.Class() == ClassTransient || r.Class() == ClassPermanent:
		return "auth-failed"
	}
	return ""
}

func mailRule(r Reply, c ExplainContext) string {
	switch {
	case r.OK():
		return "mail-accepted"
	case r.Code == 530 && authAfterTLS(c):
		return "starttls-required"
	case r.Code == 530:
		return "auth-required"
	case r.Code == 503:
		return "bad-sequence"
	case r.Code == 552 || (r.Code == 452 && r.Enhanced.Subject == 3):
		return "size-exceeded"
	case r.Class() == ClassTransient || r.Class() == ClassPermanent:
		return "mail-refused"
	}
	return ""
}

// rcptRule: a 5.7.1 or 554 to RCPT from a client that has not signed in
// is the classic relay refusal.
func rcptRule(r Reply, c ExplainContext) string {
	switch {
	case r.Code == 250 || r.Code == 251:
		return "rcpt-accepted"
	case r.Code == 530:
		return "auth-required"
	case r.Code == 503:
		return "bad-sequence"
	case !c.Authenticated && (r.Enhanced == EnhancedCode{5, 7, 1} || r.Code == 554):
		return "relay-denied"
	case r.Class() == ClassTransient || r.Class() == ClassPermanent:
		return "rcpt-refused"
	}
	return ""
}

func dataRule(r Reply, verb string) string {
	switch {
	case verb == "." && r.Code == 250:
		return "message-accepted"
	case r.Code == 552:
		return "size-exceeded"
	case r.Code == 503:
		return "bad-sequence"
	case r.Class() == ClassTransient || r.Class() == ClassPermanent:
		return "data-refused"
	}
	return ""
}
