package ui

import (
	"slices"

	"github.com/ehlo-sh/ehlo/session"
)

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
	x := session.Explain(r, m.sess.ExplainContext(answeredForm(p)))
	m.flash = errorFlash(verb + " refused: " + failureHead(x) + " (F8 explains)")
	return m
}
