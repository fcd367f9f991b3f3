package session

import (
	"bytes"
	"fmt"
	"mime"
	"strings"
	"time"
	"unicode/utf8"
)

// This file is what a hand-written message needs to travel as written: the
// header fields the explorer's editor prefills, the MAIL FROM parameters
// the guide proposes for it, and the checks before it is sent. The guide,
// the editor and its warnings take their words from here, so that ehlo
// never warns about what it proposed itself.

// Draft is the message of a session written by hand, as :compose prefills
// it: the header fields of RFC 5322 section 3.6 from the envelope, then the
// MIME fields that say how its text travels (RFC 2045): UTF-8 as 8bit when
// the transport carries 8-bit text (RFC 6152), US-ASCII as 7bit otherwise.
type Draft struct {
	From      string
	To        []string
	Date      time.Time
	MessageID string // with its angle brackets
	EightBit  bool
}

// Header is the draft's header, one field a line, ending with "Subject: ",
// where the editor's cursor waits.
func (d Draft) Header() []string {
	charset, cte := "us-ascii", "7bit"
	if d.EightBit {
		charset, cte = "UTF-8", "8bit"
	}
	to := make([]string, len(d.To))
	for i, a := range d.To {
		to[i] = "<" + a + ">"
	}
	return []string{
		"From: <" + d.From + ">",
		"To: " + strings.Join(to, ", "),
		"Date: " + d.Date.Format(time.RFC1123Z),
		"Message-ID: " + d.MessageID,
		"MIME-Version: 1.0",
		"Content-Type: text/plain; charset=" + charset,
		"Content-Transfer-Encoding: " + cte,
		"Subject: ",
	}
}

// DraftEightBit reports whether the draft of a guided session goes as
// 8-bit text on a server with caps: when it offers 8BITMIME, so that the
// text typed in the editor may be any UTF-8 (RFC 6152); and when an address
// is not ASCII, since the header then holds UTF-8 (RFC 6532 3.2).
func DraftEightBit(caps Capabilities, addrs ...string) bool {
	return caps.Has("8BITMIME") || !allASCII(addrs...)
}

// MailParams are the parameters MAIL FROM needs for a message on a server
// with caps: BODY=8BITMIME for 8-bit text (RFC 6152 section 2) and
// SMTPUTF8 when an address is not ASCII (RFC 6531 section 3.4), each only
// when the server offers it. A server that offers neither gets neither:
// State.Check warns about the address, CheckMessage about the text.
func MailParams(caps Capabilities, eightBit bool, addrs ...string) []string {
	var params []string
	utf8Addr := !allASCII(addrs...)
	if (eightBit || utf8Addr) && caps.Has("8BITMIME") {
		params = append(params, "BODY=8BITMIME")
	}
	if utf8Addr && caps.Has("SMTPUTF8") {
		params = append(params, "SMTPUTF8")
	}
	return params
}

// MailParam finds the parameter name (SIZE, BODY, SMTPUTF8) on a MAIL FROM
// line, ignoring case, and returns its value ("" for a keyword without
// one). RFC 5321 section 4.1.2: the parameters follow the path, space
// separated.
func MailParam(line, name string) (string, bool) {
	_, rest, _ := strings.Cut(line, ">")
	if !strings.Contains(line, ">") {
		f := strings.Fields(line)
		if len(f) < 3 {
			return "", false
		}
		rest = strings.Join(f[2:], " ")
	}
	for _, p := range strings.Fields(rest) {
		k, v, _ := strings.Cut(p, "=")
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// mailCarries8Bit reports whether a MAIL FROM line declared an 8-bit body:
// BODY=8BITMIME (RFC 6152) or BODY=BINARYMIME (RFC 3030).
func mailCarries8Bit(mail string) bool {
	body, _ := MailParam(mail, "BODY")
	return strings.EqualFold(body, "8BITMIME") || strings.EqualFold(body, "BINARYMIME")
}

// MailDeclaresEightBit reports whether the MAIL FROM line of a transaction
// lets its message hold 8-bit text: BODY=8BITMIME or BINARYMIME, or
// SMTPUTF8, whose messages are 8-bit by nature (RFC 6531 3.1).
func MailDeclaresEightBit(mail string) bool {
	_, utf8 := MailParam(mail, "SMTPUTF8")
	return mailCarries8Bit(mail) || utf8
}

// CheckMessage returns warnings about sending raw, a whole message as it
// goes after DATA (CRLF lines), in the transaction that mail (its MAIL FROM
// line, "" if unknown) opened. Like State.Check it never blocks.
//
// Codes: "8bit-without-body" (8-bit text, and MAIL FROM had no BODY=8BITMIME,
// RFC 6152), "8bit-without-mime" (8-bit text the header does not declare:
// no charset, or a transfer encoding other than 8bit, RFC 2045 6),
// "utf8-header-without-smtputf8" (UTF-8 in a header field, and MAIL FROM had
// no SMTPUTF8, RFC 6532 3), "long-line" (over 998 octets, RFC 5322 2.1.1).
func CheckMessage(raw []byte, mail string) []Warning {
	header, body := splitMessage(raw)
	var ws []Warning
	eight := !ascii(raw)
	_, smtputf8 := MailParam(mail, "SMTPUTF8")
	if eight && !mailCarries8Bit(mail) && !smtputf8 {
		ws = append(ws, Warning{Code: "8bit-without-body", Text: "8-bit text, and MAIL FROM had no BODY=8BITMIME (RFC 6152)"})
	}
	if !ascii(body) && !declares8Bit(header) {
		ws = append(ws, Warning{Code: "8bit-without-mime", Text: "8-bit text the header does not declare: MIME-Version: 1.0, Content-Type: text/plain; charset=UTF-8 and Content-Transfer-Encoding: 8bit say it (RFC 2045)"})
	}
	if !ascii(header) && !smtputf8 {
		ws = append(ws, utf8HeaderWarning(header))
	}
	for line := range bytes.SplitSeq(raw, []byte("\r\n")) {
		if len(line) > 998 {
			ws = append(ws, Warning{Code: "long-line", Text: "a line longer than 998 octets (RFC 5322 2.1.1)"})
			break
		}
	}
	return ws
}

// utf8HeaderWarning names the first header field that holds UTF-8 and, for
// text fields, its RFC 2047 encoded form, which needs no SMTPUTF8; an
// address can only travel with SMTPUTF8 (RFC 6532 3.2).
func utf8HeaderWarning(header []byte) Warning {
	w := Warning{Code: "utf8-header-without-smtputf8"}
	for l := range strings.SplitSeq(string(header), "\r\n") {
		name, value, ok := strings.Cut(l, ":")
		if !ok || ascii([]byte(l)) || name == "" || name[0] == ' ' || name[0] == '\t' {
			continue
		}
		w.Text = fmt.Sprintf("UTF-8 in the %s: field needs SMTPUTF8 on MAIL FROM (RFC 6532)", SanitizeString(clip(name, 40)))
		switch strings.ToLower(name) {
		case "from", "to", "cc", "bcc", "reply-to", "sender":
		default:
			w.Text += "; or write it " + SanitizeString(clip(mime.QEncoding.Encode("UTF-8", strings.TrimSpace(value)), 120)) + " (RFC 2047)"
		}
		return w
	}
	w.Text = "UTF-8 in a header field needs SMTPUTF8 on MAIL FROM (RFC 6532)"
	return w
}

// splitMessage cuts a message at the blank line that ends its header
// (RFC 5322 section 2.1); without one, it is all header.
func splitMessage(raw []byte) (header, body []byte) {
	if bytes.HasPrefix(raw, []byte("\r\n")) {
		return nil, raw[2:]
	}
	if h, b, ok := bytes.Cut(raw, []byte("\r\n\r\n")); ok {
		return h, b
	}
	return raw, nil
}

// declares8Bit reports whether a header says its body is 8-bit text: a
// Content-Transfer-Encoding of 8bit or binary and a Content-Type with a
// charset (RFC 2045 section 6.2, RFC 2046 section 4.1.2).
func declares8Bit(header []byte) bool {
	cte := headerField(header, "Content-Transfer-Encoding")
	ct := strings.ToLower(headerField(header, "Content-Type"))
	return (strings.EqualFold(cte, "8bit") || strings.EqualFold(cte, "binary")) && strings.Contains(ct, "charset=")
}

// headerField is the value of the first field called name, unfolded
// (RFC 5322 section 2.2.3), trimmed; "" when there is none.
func headerField(header []byte, name string) string {
	lines := strings.Split(string(header), "\r\n")
	for i, l := range lines {
		k, v, ok := strings.Cut(l, ":")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), name) {
			continue
		}
		for _, next := range lines[i+1:] {
			if next == "" || (next[0] != ' ' && next[0] != '\t') {
				break
			}
			v += " " + strings.TrimSpace(next)
		}
		return strings.TrimSpace(v)
	}
	return ""
}

// ascii reports whether b holds 7-bit bytes only.
func ascii(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func allASCII(ss ...string) bool {
	for _, s := range ss {
		if !ascii([]byte(s)) {
			return false
		}
	}
	return true
}
