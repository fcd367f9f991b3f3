package ui

import (
	"fmt"
	"slices"
	"strings"

	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/session"
)

// cmdXClient builds Postfix's XCLIENT from ATTR=VALUE pairs (session.XClient
// checks the names and forms, and xtext-encodes the values) and sends it as
// if typed. It says which attributes the server did not offer; after the
// 220 the server greets anew, so EHLO goes again.
func (m Model) cmdXClient(arg string) (Model, tea.Cmd) {
	line, err := session.XClient(strings.Fields(arg))
	if err != nil {
		m.flash = errorFlash(session.SanitizeString(strings.TrimPrefix(err.Error(), session.ErrBadCommand.Error()+": ")))
		return m, nil
	}
	note := "XCLIENT sent: Postfix answers 220 and greets anew; then say " + helloVerb(m.opts.LMTP) + " again"
	switch offered, ok := session.XClientOffered(m.effective().Caps); {
	case !ok:
		note = "the server's " + helloVerb(m.opts.LMTP) + " did not offer XCLIENT (Postfix: smtpd_authorized_xclient_hosts): expect 550"
	default:
		if missing := notOffered(line, offered); len(missing) > 0 {
			note = "the server's XCLIENT does not list " + strings.Join(missing, " ") + ": expect 501"
		}
	}
	m.input, m.flash = m.input.remember(line), flash{}
	m, cmd := m.sendLines(false, line)
	if m.flash.kind != flashError {
		m.flash = infoFlash(note)
	}
	return m, cmd
}

// notOffered are the attributes of an XCLIENT line the server did not list.
func notOffered(line string, offered []string) []string {
	var out []string
	for _, w := range strings.Fields(line)[1:] {
		if name, _, _ := strings.Cut(w, "="); !slices.Contains(offered, name) {
			out = append(out, name)
		}
	}
	return out
}

// xclientCompletions are the attributes to complete after ":xclient ", with
// what each claims in the help.
func xclientCompletions() []string {
	var out []string
	for _, a := range session.XClientAttrs {
		out = append(out, a.Name+"=")
	}
	return out
}

// deliveryFlash says what LMTP's reply for one recipient after the message
// says: delivered to it, or not (RFC 2033 4.2).
func deliveryFlash(rcpt string, r session.Reply) flash {
	who, text := session.SanitizeString(rcpt), session.SanitizeString(r.Text())
	if r.OK() {
		return okFlash(fmt.Sprintf("LMTP: delivered to <%s> (%d): %s", who, r.Code, text))
	}
	return errorFlash(fmt.Sprintf("LMTP: NOT delivered to <%s> (%d): %s", who, r.Code, text))
}
