package ui

import (
	"context"
	"strings"

	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/dns"
	"github.com/ehlo-sh/ehlo/identity"
	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// identityState is the explorer's check of who the server thinks the
// client is (package identity: SPF, DMARC, reverse DNS, DNSBL), run in a
// command once a MAIL FROM is answered; the side panel shows its verdict
// in a line, :identity the findings and the trace.
type identityState struct {
	gen      int    // the connection it is about: another connection shows none
	from     string // the sender checked, or being checked; "" before the first MAIL
	running  bool
	findings []session.Finding // sanitized by package identity
}

// identityMsg brings a check's findings back to Update.
type identityMsg struct {
	gen      int
	from     string
	findings []session.Finding
}

// identityCmd runs the check; its DNS exchanges go to t as D: lines.
func identityCmd(gen int, r *dns.Client, t *wire.Transcript, cfg identity.Config, seen identity.Seen) tea.Cmd {
	return func() tea.Msg {
		rep := client.CheckIdentity(context.Background(), r, t, cfg)
		return identityMsg{gen: gen, from: cfg.Sender, findings: rep.Findings(seen)}
	}
}

// startIdentity starts the check for the sender of the MAIL line, unless
// it ran for that sender on this connection already, or no resolver is
// known.
func (m Model) startIdentity(line string) (Model, tea.Cmd) {
	from, ok := mailPath(line)
	if !ok || m.cfg.DNS == nil || m.conn.link == nil || (m.ident.gen == m.conn.gen && from == m.ident.from) {
		return m, nil
	}
	caps := m.sess.Caps
	cfg, seen := client.IdentityConfig(m.conn.link.LocalAddr(), m.conn.link.Addr(), []string{caps.Domain + " " + caps.Greet},
		m.greetingName(), m.heloSent(), from, "")
	cfg.DNSBL = m.cfg.DNSBL
	m.ident = identityState{gen: m.conn.gen, from: from, running: true}
	return m, m.recorded(identityCmd(m.conn.gen, m.cfg.DNS, m.tr, cfg, seen))
}

// identityDone keeps a check's findings, if they are this connection's.
func (m Model) identityDone(msg identityMsg) (Model, tea.Cmd) {
	if msg.gen != m.conn.gen || msg.gen != m.ident.gen || msg.from != m.ident.from {
		return m, nil
	}
	m.ident.running, m.ident.findings = false, msg.findings
	return m, nil
}

// mailPath is the reverse-path of a MAIL FROM line, without its brackets.
func mailPath(line string) (string, bool) {
	if session.Verb(line) != "MAIL" {
		return "", false
	}
	_, rest, ok := strings.Cut(line, ":")
	if !ok {
		return "", false
	}
	rest = strings.TrimSpace(rest)
	if !strings.HasPrefix(rest, "<") {
		return "", false
	}
	end := strings.IndexByte(rest, '>')
	if end < 0 {
		return "", false
	}
	return rest[1:end], true
}

// heloSent is the name the client gave in its last EHLO or HELO on this
// connection, else the one ehlo offers.
func (m Model) heloSent() string {
	entries := m.transcript.Entries(m.transcript.ConnStart())
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		content, _ := client.SplitEnding(e.Data)
		line := string(content)
		if v := session.Verb(line); e.Dir == wire.Client && (v == "EHLO" || v == "HELO") {
			if f := strings.Fields(line); len(f) > 1 {
				return f[1]
			}
		}
	}
	return m.helo()
}

// greetingName is the name the server gives in its greeting on this
// connection (RFC 5321 4.3.1: "220" SP Domain), "" when it gives none.
func (m Model) greetingName() string {
	for _, e := range m.transcript.Entries(m.transcript.ConnStart()) {
		if e.Dir != wire.Server {
			continue
		}
		content, _ := client.SplitEnding(e.Data)
		f := strings.Fields(string(content))
		if len(f) < 2 || !strings.HasPrefix(f[0], "220") || !strings.Contains(f[1], ".") {
			return ""
		}
		return f[1]
	}
	return ""
}

// identityLine is the side panel's verdict: the summary finding's title
// without its opening words, or what is under way.
func (m Model) identityLine() string {
	switch {
	case m.ident.from == "" || m.ident.gen != m.conn.gen:
		return ""
	case m.ident.running:
		return "checking SPF, DMARC, reverse DNS…"
	}
	for _, f := range m.ident.findings {
		if f.ID == "identity" {
			_, verdict, _ := strings.Cut(f.Title, ": ")
			return verdict + " (:identity)"
		}
	}
	return "not checked"
}

// cmdIdentity opens the panel with the check's findings and trace.
func (m Model) cmdIdentity(string) (Model, tea.Cmd) {
	switch {
	case m.explain.open && m.explain.identity:
		m.explain.open = false
	case m.cfg.DNS == nil:
		m.flash = infoFlash("no DNS resolver: run ehlo with --resolver ADDR to check SPF, DMARC and reverse DNS")
	case m.ident.from == "" || m.ident.gen != m.conn.gen:
		m.flash = infoFlash("type MAIL FROM:<you@your.domain> first: the check is of that sender from this address")
	case m.ident.running:
		m.flash = infoFlash("the identity check is still asking DNS")
	default:
		m.explain = explainPanel{open: true, identity: true}
	}
	return m, nil
}

// identityBox draws the findings, then the summary's trace, whole.
func (m Model) identityBox(w, h int) []string {
	st := m.st
	var secs []section
	for _, f := range m.ident.findings {
		text := f.Title
		if f.ID == "identity" {
			text = strings.Join(f.Evidence, "\n")
		} else if f.Fix != "" {
			text += "\nfix: " + f.Fix
		}
		style := st.Value
		if f.Severity == session.SeverityError {
			style = st.Error
		}
		secs = append(secs, section{label: f.Severity.String(), text: text, style: style, keep: 9})
	}
	body := fitSections(secs, w-4, wholeText, 9, st.Label)
	return titledFrame(st.Card, st.CardTitle.Render("Identity · ")+st.Label.Render(m.ident.from), "", m.scrolled(body, h, ":identity closes"), w)
}
