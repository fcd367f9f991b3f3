package ui

import (
	"errors"
	"slices"
	"strings"
	"unicode"

	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/lab"
	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// authPrompt collects what :auth needs before the exchange starts: consent
// to send credentials in clear, the user, the password.
type authPrompt struct {
	active    bool
	mech      string
	user      string
	confirmed bool
}

// authRun is an :auth exchange in progress, driven by session.AuthFlow so
// only redacted forms reach the transcript, the history and files.
type authRun struct {
	flow   *session.AuthFlow
	mech   string
	user   string
	cancel error // why "*" went (RFC 4954 4), if it did: the final word over the server's 501
}

// cmdAuth starts ":auth MECH [USER]" (RFC 4954).
func (m Model) cmdAuth(arg string) (Model, tea.Cmd) {
	f := strings.Fields(arg)
	if len(f) == 0 {
		m.flash = errorFlash(m.w.T("usage: ") + ":auth MECH [USER]" + m.mechHint())
		return m, nil
	}
	mech := strings.ToUpper(f[0])
	if !session.Speaks(mech) {
		m.flash = errorFlash(m.w.F("ehlo speaks %s, not %s", session.Mechanisms, session.SanitizeString(mech)))
		return m, nil
	}
	switch {
	case m.conn.phase != phaseOpen:
		m.flash = errorFlash(m.w.T("not connected: :reconnect first"))
		return m, nil
	case m.auth != nil || m.inAuth():
		m.flash = errorFlash(m.w.T("an AUTH exchange is already under way"))
		return m, nil
	}
	m.prompt = authPrompt{active: true, mech: mech}
	if len(f) > 1 {
		m.prompt.user = f[1]
	}
	return m.nextPrompt(), nil
}

// mechHint names the advertised mechanisms, if any.
func (m Model) mechHint() string {
	mechs := m.effective().Caps.AuthMechanisms()
	if len(mechs) == 0 {
		return ""
	}
	return "; this server offers " + strings.Join(mechs, " ")
}

// nextPrompt asks for what is still missing.
func (m Model) nextPrompt() Model {
	p := m.prompt
	switch {
	case !p.confirmed && m.needsConsent(p.mech):
		m.input = m.input.setMode(modeConfirm)
		m.flash = warnFlash(m.w.F("%s over an unencrypted connection to %s sends your password in clear (base64 is not encryption). Send anyway? y/n",
			p.mech, session.SanitizeString(m.conn.target)))
	case p.user == "":
		m.input = m.input.setMode(modeUser)
		m.flash = infoFlash(m.w.F("user name for %s (esc cancels)", p.mech))
	default:
		m.input = m.input.setMode(modePassword)
		what := m.w.T("password")
		if session.IsToken(p.mech) {
			what = m.w.T("OAuth 2 bearer token")
		}
		text := m.w.F("%s for %s, masked; sent once, shown redacted (esc cancels)", what, session.SanitizeString(p.user))
		if m.onLab() && p.user == lab.User {
			text = m.w.F("%s for %s, masked (the lab's is %s); sent once, shown redacted (esc cancels)", what, lab.User, lab.Password)
		}
		m.flash = infoFlash(text)
	}
	return m
}

// needsConsent: PLAIN, LOGIN, XOAUTH2 and OAUTHBEARER hand over the secret itself, so
// before sending them in clear to a host that is not this machine, ask
// (SAFETY.md).
func (m Model) needsConsent(mech string) bool {
	switch mech {
	case "PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER":
	default:
		return false
	}
	return !m.sess.TLS && !loopback(m.conn.target)
}

// loopback reports whether target names this machine: localhost,
// 127.0.0.0/8 or ::1. It reads the text only (ui opens no sockets).
func loopback(target string) bool {
	host, _, err := wire.ParseTarget(target)
	if err != nil {
		return false
	}
	host = strings.ToLower(host)
	return host == "localhost" || strings.HasSuffix(host, ".localhost") || loopbackV4(host) ||
		host == "::1" || host == "0:0:0:0:0:0:0:1"
}

// loopbackV4 reports a dotted-quad literal in 127.0.0.0/8.
func loopbackV4(host string) bool {
	parts := strings.Split(host, ".")
	if len(parts) != 4 || parts[0] != "127" {
		return false
	}
	for _, p := range parts {
		if p == "" || len(p) > 3 || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}

// promptAnswer takes the line typed in a prompt mode.
func (m Model) promptAnswer(text string) (Model, tea.Cmd) {
	switch m.input.mode {
	case modeSearch:
		m.input = m.input.setMode(modeCommand)
		return m.find(text), nil
	case modeConfirm:
		if a := strings.ToLower(strings.TrimSpace(text)); a != "y" && a != "yes" {
			return m.cancelPrompt(), nil
		}
		m.prompt.confirmed = true
		return m.nextPrompt(), nil
	case modeUser:
		if strings.TrimSpace(text) == "" {
			return m.cancelPrompt(), nil
		}
		m.prompt.user = strings.TrimSpace(text)
		return m.nextPrompt(), nil
	}
	return m.startAuth(text)
}

// cancelPrompt abandons :auth before anything was sent, or the search.
func (m Model) cancelPrompt() Model {
	if m.input.mode == modeSearch {
		m.input = m.input.setMode(modeCommand)
		m.flash = infoFlash(m.w.T("search cancelled"))
		return m
	}
	m.prompt = authPrompt{}
	m.input = m.input.setMode(modeCommand)
	m.flash = infoFlash(m.w.T("AUTH cancelled; nothing was sent"))
	return m
}

// startAuth builds the mechanism and queues the AUTH command. The password
// lives only in the mechanism, for this one exchange.
func (m Model) startAuth(password string) (Model, tea.Cmd) {
	p := m.prompt
	m.prompt = authPrompt{}
	m.input = m.input.setMode(modeCommand)
	mech, err := session.NewMechanismBound(p.mech, p.user, password, m.channelBinding(p.mech))
	if err != nil {
		m.flash = errorFlash(client.Explain(err))
		return m, nil
	}
	flow := session.NewAuthFlow(mech, p.user)
	line, shown, err := flow.Start()
	if err != nil {
		m.flash = errorFlash(client.Explain(err))
		return m, nil
	}
	m.noteStep(p.mech, flow)
	if shown == line { // no initial response (LOGIN, CRAM-MD5): a note names the user
		m.note(client.AuthUserNote(p.mech, p.user)) // a note is data: sanitized where it is shown
	}
	m.auth = &authRun{flow: flow, mech: p.mech, user: p.user}
	m.flash = infoFlash(m.w.F("authenticating as %s…", session.SanitizeString(p.user)))
	return m.enqueue(outItem{line: line, shown: shown, secret: true, fromAuth: true,
		state: session.RedactedAuth(p.mech, p.user)})
}

// authStep feeds a reply to the :auth exchange and queues the next line,
// first in line: nothing else may interleave (RFC 4954 section 4).
func (m Model) authStep(r session.Reply) Model {
	line, shown, done, err := m.auth.flow.Next(r)
	user, mech, cancel := m.auth.user, m.auth.mech, m.auth.cancel
	if done {
		m.auth = nil
		var aerr *session.AuthError
		switch {
		case err == nil && m.clearSaid && !m.sess.TLS: // the notice of noticeClear stays in view
			m.flash = warnFlash(m.w.F("authenticated as %s (%d); the credentials went in clear, without TLS", session.SanitizeString(user), r.Code))
		case err == nil && session.IsSCRAM(mech):
			m.note(mech + ": the server's signature is right: it knows the password (RFC 5802)")
			m.flash = okFlash(m.w.F("authenticated as %s (%d); the server proved it knows the password", session.SanitizeString(user), r.Code))
		case err == nil:
			m.flash = okFlash(m.w.F("authenticated as %s (%d)", session.SanitizeString(user), r.Code))
		case errors.As(err, &aerr) && cancel != nil:
			m.flash = errorFlash(m.w.F("AUTH cancelled: %s (the server answered %d)", client.Explain(cancel), r.Code))
		case errors.As(err, &aerr):
			m.flash = errorFlash(m.w.F("AUTH refused (%d): %s", r.Code, session.SanitizeString(strings.Join(r.Lines, " "))))
		default:
			m.flash = errorFlash(client.Explain(err))
		}
		return m
	}
	if err != nil {
		m.auth.cancel = err
		m.flash = warnFlash("cancelling AUTH with \"*\": " + client.Explain(err))
	} else {
		m.noteStep(m.auth.mech, m.auth.flow)
	}
	next := outItem{line: line, shown: shown, secret: true, fromAuth: true}
	m.outbox.pushFront(next)
	return m
}

// recallForm is what the history keeps of a command line: the line itself,
// except an AUTH command with an initial response, a credential. That comes
// back as a line that works when sent again, without the secret:
// ":auth MECH USER", which asks for the password, when :auth speaks MECH,
// else "AUTH MECH", whose challenge is answered by hand. Never the redacted
// form: sent, it would reach the server as a broken response.
func recallForm(line string) string {
	secret, shown := secretForm(line, false)
	if !secret {
		return line
	}
	mech := strings.ToUpper(strings.Fields(line)[1])
	if !session.Speaks(mech) {
		return "AUTH " + mech
	}
	if user := shownUser(shown); user != "" {
		return ":auth " + mech + " " + user
	}
	return ":auth " + mech
}

// shownUser reads the user back out of a session.RedactedAuth form: "" when
// there is none, or when it would not survive as one word of an :auth line.
func shownUser(shown string) string {
	_, rest, ok := strings.Cut(shown, ` user="`)
	i := strings.LastIndexByte(rest, '"')
	if !ok || i < 0 {
		return ""
	}
	raw, err := session.Unescape(rest[:i])
	if err != nil || strings.ContainsFunc(string(raw), func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) {
		return ""
	}
	return string(raw)
}

// isPlaceholder reports a line holding a redacted form, `<redacted>` or
// `<redacted user="alice">` (session.RedactedAuth): text to show, never to
// send. An address such as <redacted@example.org> is no placeholder.
func isPlaceholder(line string) bool {
	return strings.Contains(line, "<redacted>") || strings.Contains(line, `<redacted user="`)
}

// refusePlaceholder sends nothing and says why; a typed line is replaced
// by its recallForm, ready to send.
func (m Model) refusePlaceholder(line string, typed bool) Model {
	hint := ":auth MECH USER"
	if r := recallForm(line); r != line && !isPlaceholder(r) {
		hint = r
	}
	if typed {
		m.input = m.input.setValue(hint)
	}
	m.flash = errorFlash(m.w.F("not sent: <redacted …> is a placeholder for a credential, not one; %s signs in again", hint))
	return m
}

// noteStep writes the decoded form of the response about to go, secrets
// taken out (session.AuthFlow.Step): SCRAM's client messages without the
// proof, OAUTHBEARER's without the token.
func (m *Model) noteStep(mech string, flow *session.AuthFlow) {
	if step := flow.Step(); step != "" {
		m.note(mech + " decoded: " + step) // a note is data: sanitized where it is shown
	}
}

// channelBinding is the TLS channel binding that a -PLUS mechanism
// needs, asked of the link (wire.Conn.ChannelBinding), marked Unoffered
// when the server offers no -PLUS (SCRAM then says "y", RFC 5802 6);
// none for other mechanisms, in plaintext, or for a link that has none.
func (m Model) channelBinding(mech string) session.ChannelBinding {
	b, ok := m.conn.link.(interface {
		ChannelBinding() (string, []byte, bool)
	})
	if !session.IsSCRAM(mech) || !ok {
		return session.ChannelBinding{}
	}
	typ, data, ok := b.ChannelBinding()
	if !ok {
		return session.ChannelBinding{}
	}
	plus := slices.ContainsFunc(m.effective().Caps.AuthMechanisms(), session.IsPlus)
	return session.ChannelBinding{Type: typ, Data: data, Unoffered: !plus}
}
