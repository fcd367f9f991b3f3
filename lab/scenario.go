package lab

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Scenario is an endpoint whose behaviour a lesson or a user chooses: an
// inbound MX (as "mx") changed by the rules below. Scenarios run beside the
// standard endpoints (Config.Scenarios), or alone (Config.Only).
type Scenario struct {
	Name    string // endpoint name, "tarpit"
	Summary string // one line on what it does
	Port    int    // 0 picks a free port

	GreetDelay time.Duration // the greeting comes this late (a slow server, a tarpit)
	// EarlyTalkers refuses a client that sends before the greeting with
	// Exim's "554 SMTP synchronization error", then closes: the check
	// postscreen and Exim make on port 25 (with GreetDelay).
	EarlyTalkers bool
	// StrictLF refuses a line that ends in a bare LF with Postfix's
	// "521 5.5.2 Error: bare <LF> received" (smtpd_forbid_bare_newline,
	// the 2023 SMTP smuggling fix), then closes.
	StrictLF bool
	// RefuseEHLO answers EHLO "500 Command unrecognized", as servers older
	// than ESMTP do; HELO works (RFC 5321 section 3.2), and no reply
	// carries an enhanced code.
	RefuseEHLO bool
	// Replies are chosen replies at chosen commands: the first rule for a
	// command's verb answers it instead of the server; a 421 closes.
	Replies []Rule
	// RatePerMinute refuses the MAIL beyond that many in a minute, from one
	// client address, with Postfix's 421 4.7.0 (smtpd_client_message_rate_limit),
	// then closes. 0 is no limit.
	RatePerMinute int
	// Cert is the certificate STARTTLS presents: "" the lab CA's good one,
	// "expired", "wrong-name" or "self-signed".
	Cert string
	// NoStartTLS offers no STARTTLS, as when a man in the middle strips
	// it (or a server that has none): the log says whether the client went
	// on in clear.
	NoStartTLS bool
	// Greylist greylists the first RCPT of a sender and recipient (RFC 6647),
	// as the greylist endpoint does.
	Greylist bool
	// Tells answers VRFY and EXPN truthfully (250 for a mailbox, 550 else;
	// EXPN of "staff" lists its members), where the other endpoints answer
	// VRFY 252 and EXPN 502, as most servers do.
	Tells bool
}

// Rule is a chosen reply at a chosen command: Verb "RCPT", Reply "451 4.3.0
// Try again later". A multi-line reply separates its lines with "\n".
type Rule struct {
	Verb  string
	Reply string
}

// ParseRule reads a rule written VERB=REPLY ("MAIL=451 4.3.0 try later");
// a multi-line reply separates its lines with "\n", a newline or the two
// characters as typed in a shell.
func ParseRule(s string) (Rule, error) {
	verb, reply, ok := strings.Cut(s, "=")
	reply = strings.ReplaceAll(reply, `\n`, "\n")
	verb = strings.ToUpper(strings.TrimSpace(verb))
	if !ok || verb == "" || strings.ContainsAny(verb, " \t") {
		return Rule{}, fmt.Errorf("rule %q: write VERB=REPLY, e.g. RCPT=451 4.3.0 try again later", s)
	}
	if err := checkReply(reply); err != nil {
		return Rule{}, fmt.Errorf("rule %q: %w", s, err)
	}
	return Rule{Verb: verb, Reply: reply}, nil
}

// checkReply checks a reply's lines: each starts with the same code from
// 200 to 599, and none holds CR.
func checkReply(reply string) error {
	lines := strings.Split(reply, "\n")
	code := ""
	for _, l := range lines {
		if len(l) < 3 || strings.ContainsRune(l, '\r') || (len(l) > 3 && l[3] != ' ' && l[3] != '-') {
			return fmt.Errorf("the reply must start with a code, then a space: %q", l)
		}
		n, err := strconv.Atoi(l[:3])
		if err != nil || n < 200 || n > 599 || (code != "" && l[:3] != code) {
			return fmt.Errorf("the reply must start with one code from 200 to 599: %q", l)
		}
		code = l[:3]
	}
	return nil
}

// wire is the rule's reply as sent: every line but the last "NNN-".
func (r Rule) wire() string {
	lines := strings.Split(r.Reply, "\n")
	var b strings.Builder
	for i, l := range lines {
		sep := "-"
		if i == len(lines)-1 {
			sep = " "
		}
		b.WriteString(l[:3] + sep + strings.TrimLeft(l[3:], " -") + "\r\n")
	}
	return b.String()
}

// SlowDelay is how long RCPT TO:<slow@…> waits before its reply.
const SlowDelay = 3 * time.Second

// Scenarios returns the built-in scenarios, each runnable by name with
// `ehlo lab --scenario NAME`.
func Scenarios() []Scenario {
	return []Scenario{
		{Name: "helo-only", Summary: "an old server: EHLO refused (500), HELO works, no enhanced codes", RefuseEHLO: true},
		{Name: "strict-lf", Summary: "refuses a bare LF with Postfix's 521 5.5.2, as servers do since the 2023 SMTP smuggling fixes", StrictLF: true},
		{Name: "tarpit", Summary: "greets after 5 s; a client that talks first gets 554 SMTP synchronization error", GreetDelay: 5 * time.Second, EarlyTalkers: true},
		{Name: "ratelimit", Summary: "421 4.7.0 at the fourth MAIL in a minute (Postfix's message rate limit), then closes", RatePerMinute: 3},
		{Name: "codes", Summary: "scripted replies: MAIL gets 250, RCPT by address: 451@, 550@, 421@, greylist@, slow@ (every endpoint knows these)"},
		{Name: "vrfy", Summary: "VRFY and EXPN tell the truth: 250 for alice, bob, postmaster, 550 else; EXPN staff lists it", Tells: true},
		{Name: "expired", Summary: "STARTTLS presents a certificate that expired yesterday", Cert: "expired"},
		{Name: "wrong-name", Summary: "STARTTLS presents a certificate for another name (www.example.net)", Cert: "wrong-name"},
		{Name: "self-signed", Summary: "STARTTLS presents a self-signed certificate, not from the lab CA", Cert: "self-signed"},
		{Name: "strip-tls", Summary: "a client tester: no STARTTLS, as if stripped; the log says whether the client went on in clear", NoStartTLS: true},
		{Name: "greylist-test", Summary: "a client tester: greylists (450) and logs whether the client retried after the delay", Greylist: true},
	}
}

// LookupScenario finds a built-in scenario by name.
func LookupScenario(name string) (Scenario, bool) {
	i := slices.IndexFunc(Scenarios(), func(s Scenario) bool { return strings.EqualFold(s.Name, name) })
	if i < 0 {
		return Scenario{}, false
	}
	return Scenarios()[i], true
}

// ScenarioNames lists the built-in scenarios' names.
func ScenarioNames() []string {
	var names []string
	for _, s := range Scenarios() {
		names = append(names, s.Name)
	}
	return names
}

// policy is the scenario as an endpoint: an MX with its changes.
func (s Scenario) policy() policy {
	p := policy{name: s.Name, summary: s.Summary, startTLS: !s.NoStartTLS, localOnly: true, words: labWords,
		greylist: s.Greylist, scenario: &s}
	if s.RefuseEHLO {
		p.plainCodes = true
		p.startTLS = false
	}
	if s.Tells {
		p.mailboxes = true
	}
	return p
}

// rule finds the rule for verb.
func (s *Scenario) rule(verb string) (Rule, bool) {
	if s == nil {
		return Rule{}, false
	}
	if s.RefuseEHLO && verb == "EHLO" {
		return Rule{Verb: "EHLO", Reply: "500 Command unrecognized: \"EHLO\""}, true
	}
	for _, r := range s.Replies {
		if r.Verb == verb {
			return r, true
		}
	}
	return Rule{}, false
}
