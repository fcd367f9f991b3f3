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
