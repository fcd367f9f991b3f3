package session

import "testing"

// TestMTARepliesMatchTheirExamples: every entry of the MTA and provider
// texts names its source and matches its own example, and no entry before
// it takes that example.
func TestMTARepliesMatchTheirExamples(t *testing.T) {
	ids := map[string]bool{}
	for _, k := range KnownReplies() {
		if ids[k.ID] {
			t.Errorf("duplicate known reply %s", k.ID)
		}
		ids[k.ID] = true
	}
	for _, k := range mtaReplies {
		if k.Source == "" || k.Example == "" {
			t.Errorf("%s: no Source or no Example", k.ID)
			continue
		}
		verb := ""
		if len(k.Verbs) > 0 {
			verb = k.Verbs[0]
		}
		if got, ok := MatchKnownReply(mustReply(t, k.Example), verb); !ok || got.ID != k.ID {
			t.Errorf("%s: its example %q matches %q", k.ID, k.Example, got.ID)
		}
	}
}

// TestMTARepliesExplained: Explain gives each example the entry's rule and
// the entry as Known, server text without an enhanced code included.
func TestMTARepliesExplained(t *testing.T) {
	for _, k := range mtaReplies {
		command := "MAIL FROM:<a@example.org>"
		if len(k.Verbs) > 0 {
			command = map[string]string{"RCPT": "RCPT TO:<b@example.org>", "AUTH": "AUTH PLAIN", ".": ".", "DATA": "DATA", "MAIL": command}[k.Verbs[0]]
		}
		x := Explain(mustReply(t, k.Example), ExplainContext{Command: command, TLS: true})
		if x.Rule != k.Rule || x.Known == nil || x.Known.ID != k.ID {
			t.Errorf("%s: Explain gives rule %q, known %v", k.ID, x.Rule, x.Known)
		}
	}
}
