package session

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ErrBadCommand reports a command line that must not be sent. Its messages
// name the offending octet and offset, never the line: it may hold secrets.
var ErrBadCommand = errors.New("session: bad command line")

// MaxCommandLine is the longest command line in octets, CRLF excluded
// (RFC 5321 section 4.5.3.1.4: 512 octets including CRLF).
const MaxCommandLine = 510

// ValidateLine refuses a command line, given without its CRLF, that holds
// CR, LF or NUL (so no argument can inject a second command, RFC 5321
// section 2.3.8) or is longer than MaxCommandLine octets. Every builder in
// this file goes through it.
func ValidateLine(line string) error {
	if i := strings.IndexAny(line, "\r\n\x00"); i >= 0 {
		return fmt.Errorf("%w: %s at offset %d", ErrBadCommand, octetName(line[i]), i)
	}
	if len(line) > MaxCommandLine {
		return fmt.Errorf("%w: %d octets, limit %d before CRLF", ErrBadCommand, len(line), MaxCommandLine)
	}
	return nil
}

func octetName(c byte) string {
	switch c {
	case '\r':
		return "CR"
	case '\n':
		return "LF"
	}
	return "NUL"
}

// Command joins verb and args with SP into a validated command line without
// CRLF. The verb must be a single non-empty word and no argument may be empty.
func Command(verb string, args ...string) (string, error) {
	if verb == "" || strings.ContainsAny(verb, " \t") {
		return "", fmt.Errorf("%w: verb must be one word", ErrBadCommand)
	}
	for i, a := range args {
		if a == "" {
			return "", fmt.Errorf("%w: argument %d is empty", ErrBadCommand, i+1)
		}
	}
	line := strings.Join(append([]string{verb}, args...), " ")
	if err := ValidateLine(line); err != nil {
		return "", err
	}
	return line, nil
}

// Ehlo builds "EHLO domain" (RFC 5321 section 4.1.1.1). domain is a name or
// an address literal such as "[192.0.2.1]"; it may not contain spaces.
func Ehlo(domain string) (string, error) { return hello("EHLO", domain) }

// Helo builds "HELO domain" (RFC 5321 section 4.1.1.1).
func Helo(domain string) (string, error) { return hello("HELO", domain) }

func hello(verb, domain string) (string, error) {
	if domain == "" || strings.ContainsAny(domain, " \t") {
		return "", fmt.Errorf("%w: %s needs one domain or address literal", ErrBadCommand, verb)
	}
	return Command(verb, domain)
}

// MailFrom builds "MAIL FROM:<addr> PARAM..." (RFC 5321 section 4.1.1.2),
// e.g. MailFrom("a@example.org", "SIZE=123"). An empty addr is the null
// reverse-path "<>"; addr may come with or without its angle brackets.
func MailFrom(addr string, params ...string) (string, error) {
	return envelope("MAIL", "FROM:", addr, true, params)
}

// RcptTo builds "RCPT TO:<addr> PARAM..." (RFC 5321 section 4.1.1.3).
// addr may not be empty.
func RcptTo(addr string, params ...string) (string, error) {
	return envelope("RCPT", "TO:", addr, false, params)
}

func envelope(verb, key, addr string, nullOK bool, params []string) (string, error) {
	if len(addr) >= 2 && addr[0] == '<' && addr[len(addr)-1] == '>' {
		addr = addr[1 : len(addr)-1]
	}
	if strings.ContainsAny(addr, "<>") {
		return "", fmt.Errorf("%w: %s address holds an angle bracket", ErrBadCommand, verb)
	}
	if addr == "" && !nullOK {
		return "", fmt.Errorf("%w: %s needs an address", ErrBadCommand, verb)
	}
	for i, p := range params {
		if strings.ContainsAny(p, " \t") {
			return "", fmt.Errorf("%w: parameter %d holds a space", ErrBadCommand, i+1)
		}
	}
	return Command(verb, append([]string{key + "<" + addr + ">"}, params...)...)
}

// Verb returns the upper-cased first word of a command line:
// "mail from:<x>" gives "MAIL". It returns "" for a blank line.
func Verb(line string) string {
	line = strings.TrimLeft(line, " \t")
	if i := strings.IndexAny(line, " \t"); i >= 0 {
		line = line[:i]
	}
	return strings.ToUpper(line)
}

// Bdat builds "BDAT size" or, for the last chunk, "BDAT size LAST" (RFC
// 3030 section 2): size octets of the message follow the line as they are,
// with no dot-stuffing and no end-of-data line.
func Bdat(size int64, last bool) string {
	line := "BDAT " + strconv.FormatInt(size, 10)
	if last {
		line += " LAST"
	}
	return line
}

// ParseBdat reads a BDAT command line, "BDAT size [LAST]" in any case
// (RFC 3030 section 2: chunk-size is 1*DIGIT). It fails for another verb
// and for a BDAT line of another form, saying what is wrong.
func ParseBdat(line string) (size int64, last bool, err error) {
	f := strings.Fields(line)
	switch {
	case len(f) == 0 || !strings.EqualFold(f[0], "BDAT"):
		return 0, false, fmt.Errorf("%w: not a BDAT command", ErrBadCommand)
	case len(f) < 2:
		return 0, false, fmt.Errorf("%w: BDAT needs the chunk's size: BDAT n [LAST]", ErrBadCommand)
	case len(f) > 3 || (len(f) == 3 && !strings.EqualFold(f[2], "LAST")):
		return 0, false, fmt.Errorf("%w: BDAT takes a size and LAST, nothing else: BDAT n [LAST]", ErrBadCommand)
	}
	for _, c := range []byte(f[1]) {
		if c < '0' || c > '9' {
			return 0, false, fmt.Errorf("%w: the BDAT size %q is not a number of octets", ErrBadCommand, SanitizeString(clip(f[1], 20)))
		}
	}
	size, err = strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("%w: the BDAT size %s is too large", ErrBadCommand, clip(f[1], 20))
	}
	return size, len(f) == 3, nil
}

// EndsGroup reports whether the command line must be the last of a
// pipelined group (RFC 2920 section 3.1): the client waits for the replies
// to the group before it sends anything after it.
func EndsGroup(line string) bool {
	switch Verb(line) {
	// RFC 2920 section 3.1: "the commands RSET, MAIL FROM, SEND FROM, SOML
	// FROM, SAML FROM, and RCPT TO can all appear anywhere in a pipelined
	// command group."
	case "RSET", "MAIL", "SEND", "SOML", "SAML", "RCPT":
		return false
	// RFC 3030 section 2: a server "MUST be prepared to accept and discard
	// additional BDAT chunks already in the pipeline after the failed BDAT".
	case "BDAT":
		return false
	}
	// "The EHLO, DATA, VRFY, EXPN, TURN, QUIT, and NOOP commands can only
	// appear as the last command in a group since their success or failure
	// produces a change of state which the client SMTP must accommodate",
	// and "Additional commands added by other SMTP extensions may only appear
	// as the last command in a group unless otherwise specified": STARTTLS
	// (RFC 3207 section 4: "the STARTTLS command must be the last command in
	// a group"), AUTH, and any verb ehlo does not know. HELO changes the
	// state as EHLO does (RFC 5321 section 4.1.4).
	return true
}

// verbs are the commands of RFC 5321 (section 4.1), those it made
// obsolete (SEND, SOML, SAML, TURN), and the extensions' that ehlo knows:
// STARTTLS (RFC 3207), AUTH (RFC 4954), BDAT (RFC 3030), ETRN (RFC 1985),
// ATRN (RFC 2645), LMTP's LHLO (RFC 2033), Postfix's XCLIENT and XFORWARD.
var verbs = []string{"ATRN", "AUTH", "BDAT", "DATA", "EHLO", "ETRN", "EXPN", "HELO", "HELP", "LHLO", "MAIL", "NOOP", "QUIT",
	"RCPT", "RSET", "SAML", "SEND", "SOML", "STARTTLS", "TURN", "VRFY", "XCLIENT", "XFORWARD"}

// IsVerb reports whether verb, in upper case as Verb gives it, names an
// SMTP command: a line whose first word is none is no command a server
// knows (message text sent as a command, a typo).
func IsVerb(verb string) bool { return slices.Contains(verbs, verb) }
