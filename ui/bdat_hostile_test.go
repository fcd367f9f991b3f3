package ui

import (
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/session"
)

// TestHostileTUINoAnswerToBdat: a chunk typed by hand reaches the server
// with its line, in one piece; the last chunk is never answered. Its reply
// is the message's, as after ".": --data-timeout ends the wait, and the
// user is told the message may still be delivered.
func TestHostileTUINoAnswerToBdat(t *testing.T) {
	checkLeaks(t)
	r := runTUI(t, "no-answer-to-bdat", Config{Options: client.Options{Timeout: 5 * time.Second, DataTimeout: 300 * time.Millisecond}})
	for _, line := range []string{"EHLO client.test", "MAIL FROM:<a@client.test>", "RCPT TO:<b@mx.hostile.test>"} {
		r.command(line)
	}
	r.wait("the envelope", func(s hsnap) bool { return s.idle && s.sess.Phase == session.PhaseRcpt })
	r.enter("BDAT 5 LAST")
	r.enter("abc")
	s := r.closed("the deadline")
	wantHas(t, "told", s.told, "no reply to the last BDAT chunk within 300ms", "may still be delivered", "duplicate")
	want := "EHLO client.test\r\nMAIL FROM:<a@client.test>\r\nRCPT TO:<b@mx.hostile.test>\r\nBDAT 5 LAST\r\nabc\r\n"
	if got := string(r.srv.Conn(t).Got()); got != want {
		t.Errorf("the server got %q, want %q", got, want)
	}
}
