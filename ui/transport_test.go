package ui

import (
	"strings"
	"testing"

	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/session"
)

// LMTP: after the final ".", one reply per recipient accepted, each named
// as it comes (RFC 2033 4.2).
func TestLMTPRepliesPerRecipient(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	s.m.opts.LMTP = true
	s.connect()
	s.reply("220 lmtp.test LMTP ready")
	if screen := s.screen(); !strings.Contains(screen, "no LHLO yet") || !strings.Contains(screen, "greeted: LHLO next") || strings.Contains(screen, "EHLO") {
		t.Errorf("before LHLO, the side panel:\n%s", screen)
	}
	s.enter("LHLO client.example")
	s.reply("250-lmtp.test", "250 PIPELINING")
	if !s.m.sess.ESMTP || !s.m.sess.Caps.Has("PIPELINING") {
		t.Fatalf("LHLO's capabilities not taken: %+v", s.m.sess)
	}
	if screen := s.screen(); !strings.Contains(screen, "LHLO done, not signed in") || strings.Contains(screen, "EHLO done") {
		t.Errorf("after LHLO, the side panel:\n%s", screen)
	}
	s.enter("MAIL FROM:<alice@example.org>")
	s.reply("250 OK")
	s.enter("RCPT TO:<bob@example.org>")
	s.reply("250 OK")
	s.enter("RCPT TO:<carol@example.org>")
	s.reply("250 OK")
	s.enter("DATA")
	s.reply("354 go on")
	s.enter("Subject: lmtp")
	s.enter(".")
	if len(s.m.inflight) != 2 || s.m.inflight[0].rcpt != "bob@example.org" || s.m.inflight[1].rcpt != "carol@example.org" {
		t.Fatalf("in flight after the final .: %+v", s.m.inflight)
	}
	s.reply("250 2.0.0 <bob@example.org> saved")
	if !strings.Contains(told(s.m), "delivered to <bob@example.org>") || len(s.m.inflight) != 1 {
		t.Errorf("after bob's reply: %q, %d in flight", told(s.m), len(s.m.inflight))
	}
	s.reply("452 4.2.2 <carol@example.org> mailbox full")
	if !strings.Contains(told(s.m), "NOT delivered to <carol@example.org> (452)") || len(s.m.inflight) != 0 {
		t.Errorf("after carol's reply: %q, %d in flight", told(s.m), len(s.m.inflight))
	}
	if s.m.sess.Phase != session.PhaseReady || s.m.conn.phase != phaseOpen {
		t.Errorf("after the replies: phase %v, connection %v", s.m.sess.Phase, s.m.conn.phase)
	}
}

func TestXClientCommand(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	s.connect()
	s.reply("220 mx.test ESMTP")
	s.enter("EHLO client.example")
	s.reply("250-mx.test", "250-XCLIENT NAME ADDR HELO", "250 PIPELINING")
	s.link.reset()

	s.enter(":xclient FOO=1")
	if s.link.count() != 0 || !strings.Contains(told(s.m), "FOO is not an XCLIENT attribute; the attributes are NAME, REVERSE_NAME, ADDR") {
		t.Errorf("an unknown attribute: wrote %q, told %q", s.link.lines(), told(s.m))
	}
	s.enter(":xclient addr=2001:db8::7 helo=x+y")
	if got := s.link.lines(); len(got) != 1 || got[0] != "XCLIENT ADDR=IPV6:2001:db8::7 HELO=x+2By" {
		t.Fatalf("wrote %q", got)
	}
	if !strings.Contains(told(s.m), "EHLO again") {
		t.Errorf("told %q", told(s.m))
	}
	s.reply("220 mx.test ESMTP")
	if s.m.sess.Phase != session.PhaseGreeted || s.m.sess.ESMTP || len(s.m.sess.Caps.List) != 0 {
		t.Errorf("after XCLIENT's 220 the session is not new: %+v", s.m.sess)
	}
	s.enter("EHLO client.example")
	s.reply("250-mx.test", "250 PIPELINING")
	s.enter(":xclient LOGIN=alice")
	if !strings.Contains(told(s.m), "did not offer XCLIENT") {
		t.Errorf("XCLIENT no longer offered: told %q", told(s.m))
	}
	if got := s.m.commandCompletions(":xclient AD"); len(got) != 1 || got[0] != ":xclient ADDR=" {
		t.Errorf("completions %q", got)
	}
}

// LMTP with CHUNKING: the last chunk, as the final "." does, gets one
// reply per recipient accepted, each named (RFC 2033 4.2); a chunk before
// it gets one reply.
func TestLMTPLastChunkRepliesPerRecipient(t *testing.T) {
	s := newSim(t, "mono", 120, 40)
	s.m.opts.LMTP = true
	s.connect()
	s.reply("220 lmtp.test LMTP ready")
	s.enter("LHLO client.example")
	s.reply("250-lmtp.test", "250-CHUNKING", "250 PIPELINING")
	s.enter("MAIL FROM:<alice@example.org>")
	s.reply("250 OK")
	s.enter("RCPT TO:<bob@example.org>")
	s.reply("250 OK")
	s.enter("RCPT TO:<carol@example.org>")
	s.reply("250 OK")
	s.enter("BDAT 10")
	s.press(tea.KeyEnter) // fills nothing yet: an empty line is 2 octets
	s.enter("Subject:")
	s.flush()
	if len(s.m.inflight) != 1 {
		t.Fatalf("a chunk before the last: %d replies awaited, want 1", len(s.m.inflight))
	}
	s.reply("250 2.0.0 chunk OK")
	s.enter("BDAT 4 LAST")
	s.enter("hi")
	s.flush()
	if len(s.m.inflight) != 2 || s.m.inflight[0].rcpt != "bob@example.org" || s.m.inflight[1].rcpt != "carol@example.org" {
		t.Fatalf("in flight after the last chunk: %+v", s.m.inflight)
	}
	s.reply("250 2.0.0 <bob@example.org> saved")
	if !strings.Contains(told(s.m), "delivered to <bob@example.org>") || len(s.m.inflight) != 1 || s.m.conn.phase != phaseOpen {
		t.Errorf("after bob's reply: %q, %d in flight", told(s.m), len(s.m.inflight))
	}
	s.reply("452 4.2.2 <carol@example.org> mailbox full")
	if !strings.Contains(told(s.m), "NOT delivered to <carol@example.org> (452)") || len(s.m.inflight) != 0 {
		t.Errorf("after carol's reply: %q, %d in flight", told(s.m), len(s.m.inflight))
	}
	if s.m.sess.Phase != session.PhaseReady || s.m.conn.phase != phaseOpen {
		t.Errorf("after the replies: phase %v, connection %v", s.m.sess.Phase, s.m.conn.phase)
	}
	s.enter("NOOP") // the next command's reply is its own, not a delivery's
	s.reply("250 2.0.0 OK")
	if s.m.conn.phase != phaseOpen || len(s.m.inflight) != 0 {
		t.Errorf("after NOOP: connection %v, %d in flight", s.m.conn.phase, len(s.m.inflight))
	}
}
