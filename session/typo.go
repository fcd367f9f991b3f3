package session

import "strings"

// This file holds State.Check's warnings about the line itself: a verb
// that is no SMTP command (a typo, most likely), MAIL and RCPT written
// without the colon or the angle brackets, a header field typed as a
// command, an address that is not ASCII where SMTPUTF8 is missing. Each
// offers, in Warning.Fix, the line that was probably meant.

// knownVerbs are the commands of RFC 5321 and of the extensions ehlo knows
// (STARTTLS RFC 3207, AUTH RFC 4954, BDAT RFC 3030, ETRN RFC 1985, ATRN
// RFC 2645, BURL RFC 4468, LHLO RFC 2033, Postfix's XCLIENT).
var knownVerbs = []string{"EHLO", "HELO", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "QUIT", "VRFY", "EXPN", "HELP", "TURN",
	"STARTTLS", "AUTH", "BDAT", "ETRN", "ATRN", "BURL", "LHLO", "XCLIENT"}

// checkSyntax returns the warnings about line as written.
func (s State) checkSyntax(line string) []Warning {
	verb := Verb(line)
	switch {
	case verb == "":
		return nil
	case headerLike(verb):
		if Verb(s.Pending) == "DATA" { // it will go as message text, after the 354
			return nil
		}
		return []Warning{{Code: "header-outside-data",
			Text: "a header field, not a command: message text goes after DATA and its 354 (expect 500)"}}
	case verb == "MAIL":
		return s.checkPath(line, "FROM", "RFC 5321 4.1.1.2")
	case verb == "RCPT":
		return s.checkPath(line, "TO", "RFC 5321 4.1.1.3")
	case contains(knownVerbs, verb):
		return nil
	}
	w := Warning{Code: "unknown-verb", Text: "not an SMTP command: expect 500 (RFC 5321 4.2.4)"}
	if near := nearestVerb(verb); near != "" {
		w.Text = "not an SMTP command, " + near + " is: expect 500 (RFC 5321 4.2.4)"
		w.Fix = near + strings.TrimLeft(line, " \t")[len(verb):]
	}
	return []Warning{w}
}

// checkPath checks MAIL FROM:<path> and RCPT TO:<path>: the keyword, its
// colon and the angle brackets, and a path that is not ASCII.
func (s State) checkPath(line, key, rfc string) []Warning {
	verb := Verb(line)
	rest := strings.TrimSpace(strings.TrimLeft(line, " \t")[len(verb):])
	after, hasKey := cutPrefixFold(rest, key)
	colon := false
	if hasKey {
		after, colon = strings.CutPrefix(after, ":")
	} else {
		after = rest
	}
	after = strings.TrimLeft(after, " ")
	var path, params string
	bracketed := strings.HasPrefix(after, "<") && strings.Contains(after, ">")
	if bracketed {
		i := strings.Index(after, ">")
		path, params = after[1:i], strings.TrimSpace(after[i+1:])
	} else {
		path, params, _ = strings.Cut(after, " ")
		path, params = strings.Trim(path, "<>"), strings.TrimSpace(params)
	}
	fixed := verb + " " + key + ":<" + path + ">"
	if params != "" {
		fixed += " " + params
	}
	if !hasKey || !colon || !bracketed {
		w := Warning{Code: strings.ToLower(verb) + "-syntax",
			Text: verb + " wants " + key + ":<address>, with the colon and the angle brackets (" + rfc + "): many servers answer 501"}
		if path != "" {
			w.Fix = fixed
		}
		return []Warning{w}
	}
	return s.checkUTF8Path(line, verb, path)
}

// checkUTF8Path: an address that is not ASCII travels only with SMTPUTF8
// (RFC 6531 3.4), advertised by the server and asked for on MAIL FROM.
func (s State) checkUTF8Path(line, verb, path string) []Warning {
	if allASCII(path) {
		return nil
	}
	if !s.Caps.Has("SMTPUTF8") {
		return []Warning{{Code: "utf8-address", Text: "the address is not ASCII, and this server does not offer SMTPUTF8 (RFC 6531): expect 553 or 501"}}
	}
	if _, asked := MailParam(line, "SMTPUTF8"); verb == "MAIL" && !asked {
		return []Warning{{Code: "utf8-address", Text: "an address that is not ASCII needs SMTPUTF8 on MAIL FROM (RFC 6531)",
			Fix: strings.TrimRight(line, " ") + " SMTPUTF8"}}
	}
	return nil
}

// headerLike reports a first word shaped like a header field's name and
// its colon (RFC 5322 3.6.8): "Subject:", "From:". No SMTP verb ends in
// a colon.
func headerLike(word string) bool {
	name, ok := strings.CutSuffix(word, ":")
	if !ok || name == "" {
		return false
	}
	for _, c := range name {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// nearestVerb is the known verb one edit away from verb (two for the long
// ones), a swap of neighbours counting as one: EHOL gives EHLO, STARTLS
// STARTTLS. "" when there is none, or more than one.
func nearestVerb(verb string) string {
	best, found := "", 0
	for _, k := range knownVerbs {
		limit := 1
		if len(k) >= 6 {
			limit = 2
		}
		if editDistance(verb, k) <= limit {
			best, found = k, found+1
		}
	}
	if found != 1 {
		return ""
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and swaps of neighbours.
func editDistance(a, b string) int {
	if len(a) > 32 || len(b) > 32 {
		return 99 // no verb is that long
	}
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// cutPrefixFold is strings.CutPrefix ignoring ASCII case.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
