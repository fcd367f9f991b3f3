package ui

import (
	"bytes"
	"slices"

	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// This file holds what the explorer remarks on its own, from what happened
// on the wire: why a command was refused, credentials that went in clear.

// refusedVerbs are the commands whose refusal gets one line saying why:
// the envelope and DATA (AUTH's own line is authStep's).
var refusedVerbs = []string{"MAIL", "RCPT", "DATA"}

// explainRefusal says in one line why the server refused a MAIL, RCPT or
// DATA command: the title of the rule session.Explain finds for the reply
// (or what its code means), the words doctor and the guided card use; F8
// shows the rest.
func (m Model) explainRefusal(p pending, r session.Reply) Model {
	verb := session.Verb(p.line)
	if p.kind != kindCommand || r.Class() < session.ClassTransient || !slices.Contains(refusedVerbs, verb) {
		return m
	}
	c := m.sess.ExplainContext(answeredForm(p))
	c.LMTP = m.opts.LMTP
	x := session.Explain(r, c)
	m.flash = errorFlash(verb + " refused: " + failureHead(x) + " (F8 explains)")
	return m
}

// noticeClear says, once per connection, that credentials went over it in
// clear: a secret client line (an AUTH line with its credential, or an
// AUTH response) recorded outside TLS. Consent was asked before :auth sent
// one to a host that is not this machine; this says it happened, for a
// line typed by hand too (SAFETY.md).
func (m Model) noticeClear(entries []wire.Entry) Model {
	for _, e := range entries {
		switch {
		case e.Dir == wire.Note && bytes.HasPrefix(e.Data, []byte("connected to ")):
			m.clearSaid = false
		case e.Dir == wire.Client && e.Secret && !e.TLS && !m.clearSaid:
			m.clearSaid = true
			text := "credentials went over this connection in clear, without TLS: anyone on the path could read them; change the password unless it was a test account"
			if loopback(m.conn.target) {
				text = "credentials went over this connection in clear, without TLS: over loopback they did not leave this machine, but to a real server anyone on the path could read them"
			}
			m.note(text)
			m.flash = warnFlash(text)
		}
	}
	return m
}
