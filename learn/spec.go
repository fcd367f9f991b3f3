package learn

import (
	"fmt"
	"slices"
	"strings"
)

// Spec is what a goal waits for: a reply to a command, the verdict of a
// TLS handshake on the server's certificate, or a DNS question asked.
//
//	reply VERB CODES [CONDITION...]
//	tls VERDICT [CONDITION...]
//	dns TYPE NAME [after=GOAL]
//
// VERB is the command answered: EHLO, MAIL, RCPT, AUTH..., "greeting",
// "." (the end of a message) or "any". CODES is a code or a class, or
// several: 250, 4xx, 4xx|5xx. The conditions:
//
//	tls, clear          the exchange ran inside TLS, or in clear
//	endpoint=NAME       on that lab endpoint (the greeting names it)
//	multiline           the reply has several lines
//	has=WORD, lacks=WORD  a reply line starts with WORD, or none does (EHLO's capabilities)
//	arg=TEXT            the command line holds TEXT (any case)
//	text=TEXT           the reply holds TEXT (any case)
//	after=GOAL          counts only once that goal is met
//	from-differs        ".": the From: header is not the MAIL FROM address
//	bcc                 ".": a recipient is in no To: or Cc: header
//	dotstuffed          ".": a line of the message was sent with its dot doubled
//
// VERDICT is what verifying the certificate said, on a handshake that got
// one (STARTTLS, or implicit TLS), whether or not the session went on:
// verified, expired, wrong-name, unknown-authority (self-signed, or a CA
// the client does not trust), or unverified (any of the three, or another
// failure). A tls goal takes the conditions endpoint= and after=.
//
// A dns goal waits for a DNS question the session asked (a D: line):
// "dns MX lab.test" is met once the explorer (:mx lab.test) looked up the
// MX of lab.test, whatever the answer.
type Spec struct {
	Kind        string // "reply", "tls", "dns"
	Verdict     string // tls: the verdict waited for
	QType       string // dns: the question's type, "MX"
	QName       string // dns: its name, "lab.test", without the final dot
	Verb        string
	Codes       []string
	TLS, Clear  bool
	Endpoint    string
	Multiline   bool
	Has, Lacks  []string
	Arg, Text   string
	After       string
	FromDiffers bool
	Bcc         bool
	DotStuffed  bool
}

// verdicts are the verdicts a tls goal may wait for (wire.Verdict's
// names, and "unverified" for any failure).
var verdicts = []string{"verified", "expired", "wrong-name", "unknown-authority", "unverified"}

// ParseSpec reads a goal's condition.
func ParseSpec(s string) (Spec, error) {
	f := strings.Fields(s)
	if len(f) >= 2 && f[0] == "tls" {
		return parseTLSSpec(f)
	}
	if len(f) >= 1 && f[0] == "dns" {
		return parseDNSSpec(f)
	}
	if len(f) < 3 || f[0] != "reply" {
		return Spec{}, fmt.Errorf("want reply VERB CODES [CONDITION...], tls VERDICT [CONDITION...] or dns TYPE NAME, got %q", s)
	}
	sp := Spec{Kind: "reply", Verb: strings.ToUpper(f[1])}
	if sp.Verb == "GREETING" || sp.Verb == "ANY" {
		sp.Verb = strings.ToLower(sp.Verb)
	}
	for _, c := range strings.Split(f[2], "|") {
		if !validCode(c) {
			return Spec{}, fmt.Errorf("%q is not a code (250, 2xx)", c)
		}
		sp.Codes = append(sp.Codes, strings.ToLower(c))
	}
	for _, c := range f[3:] {
		key, val, _ := strings.Cut(c, "=")
		switch key {
		case "tls":
			sp.TLS = true
		case "clear":
			sp.Clear = true
		case "multiline":
			sp.Multiline = true
		case "from-differs":
			sp.FromDiffers = true
		case "bcc":
			sp.Bcc = true
		case "dotstuffed":
			sp.DotStuffed = true
		case "endpoint":
			sp.Endpoint = val
		case "has":
			sp.Has = append(sp.Has, strings.ToUpper(val))
		case "lacks":
			sp.Lacks = append(sp.Lacks, strings.ToUpper(val))
		case "arg":
			sp.Arg = strings.ToLower(val)
		case "text":
			sp.Text = strings.ToLower(val)
		case "after":
			sp.After = val
		default:
			return Spec{}, fmt.Errorf("unknown condition %q", c)
		}
		if strings.Contains(c, "=") && val == "" {
			return Spec{}, fmt.Errorf("condition %q has no value", c)
		}
	}
	return sp, nil
}

// parseTLSSpec reads "tls VERDICT [endpoint=NAME] [after=GOAL]".
func parseTLSSpec(f []string) (Spec, error) {
	sp := Spec{Kind: "tls", Verdict: strings.ToLower(f[1])}
	if !slices.Contains(verdicts, sp.Verdict) {
		return Spec{}, fmt.Errorf("tls %s: the verdict is one of %s", f[1], strings.Join(verdicts, ", "))
	}
	for _, c := range f[2:] {
		key, val, _ := strings.Cut(c, "=")
		switch {
		case val == "" && (key == "endpoint" || key == "after"):
			return Spec{}, fmt.Errorf("condition %q has no value", c)
		case key == "endpoint":
			sp.Endpoint = val
		case key == "after":
			sp.After = val
		default:
			return Spec{}, fmt.Errorf("a tls goal takes endpoint= and after=, not %q", c)
		}
	}
	return sp, nil
}

// parseDNSSpec reads "dns TYPE NAME [after=GOAL]".
func parseDNSSpec(f []string) (Spec, error) {
	if len(f) < 3 {
		return Spec{}, fmt.Errorf("want dns TYPE NAME [after=GOAL], e.g. dns MX lab.test")
	}
	sp := Spec{Kind: "dns", QType: strings.ToUpper(f[1]), QName: strings.ToLower(strings.TrimSuffix(f[2], "."))}
	for _, c := range f[3:] {
		key, val, _ := strings.Cut(c, "=")
		if key != "after" || val == "" {
			return Spec{}, fmt.Errorf("a dns goal takes after=GOAL, not %q", c)
		}
		sp.After = val
	}
	return sp, nil
}

func validCode(c string) bool {
	if len(c) != 3 || c[0] < '2' || c[0] > '5' {
		return false
	}
	for _, b := range []byte(c[1:]) {
		if !('0' <= b && b <= '9') && b != 'x' && b != 'X' {
			return false
		}
	}
	return true
}

// codeMatches reports whether pattern ("250", "2xx") matches code.
func codeMatches(pattern string, code int) bool {
	got := fmt.Sprintf("%03d", code)
	for i := range 3 {
		if pattern[i] != 'x' && pattern[i] != got[i] {
			return false
		}
	}
	return true
}

// Matches reports whether the exchange meets the spec; met tells whether
// a goal is met already (for after=).
func (sp Spec) Matches(x Exchange, met func(id string) bool) bool {
	if sp.Kind == "tls" || x.Verdict != "" {
		return sp.matchesTLS(x, met)
	}
	if sp.Kind == "dns" || x.QType != "" {
		return sp.matchesDNS(x, met)
	}
	switch {
	case sp.Verb != "any" && sp.Verb != x.Verb:
		return false
	case !slices.ContainsFunc(sp.Codes, func(c string) bool { return codeMatches(c, x.Code) }):
		return false
	case sp.TLS && !x.TLS, sp.Clear && x.TLS:
		return false
	case sp.Endpoint != "" && !strings.EqualFold(sp.Endpoint, x.Endpoint):
		return false
	case sp.Multiline && len(x.Lines) < 2:
		return false
	case sp.Arg != "" && !strings.Contains(strings.ToLower(x.Command), sp.Arg):
		return false
	case sp.Text != "" && !strings.Contains(strings.ToLower(strings.Join(x.Lines, "\n")), sp.Text):
		return false
	case sp.After != "" && !met(sp.After):
		return false
	case sp.FromDiffers && !x.FromDiffers, sp.Bcc && !x.Bcc, sp.DotStuffed && !x.DotStuffed:
		return false
	}
	for _, w := range sp.Has {
		if !hasWord(x.Lines, w) {
			return false
		}
	}
	for _, w := range sp.Lacks {
		if hasWord(x.Lines, w) {
			return false
		}
	}
	return true
}

// matchesTLS reports whether a handshake's verdict meets a tls spec.
func (sp Spec) matchesTLS(x Exchange, met func(id string) bool) bool {
	switch {
	case sp.Kind != "tls" || x.Verdict == "":
		return false
	case sp.Verdict == "unverified" && x.Verdict == "verified", sp.Verdict != "unverified" && sp.Verdict != x.Verdict:
		return false
	case sp.Endpoint != "" && !strings.EqualFold(sp.Endpoint, x.Endpoint):
		return false
	case sp.After != "" && !met(sp.After):
		return false
	}
	return true
}

// matchesDNS reports whether a DNS question is the one a dns spec waits for.
func (sp Spec) matchesDNS(x Exchange, met func(id string) bool) bool {
	return sp.Kind == "dns" && strings.EqualFold(sp.QType, x.QType) && strings.EqualFold(sp.QName, x.QName) &&
		(sp.After == "" || met(sp.After))
}

// hasWord reports a reply line (its text after the code) that starts with
// word: a capability in an EHLO reply.
func hasWord(lines []string, word string) bool {
	for _, l := range lines {
		if len(l) < 4 {
			continue
		}
		f := strings.Fields(l[4:])
		if len(f) > 0 && strings.EqualFold(f[0], word) {
			return true
		}
	}
	return false
}
