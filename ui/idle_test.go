package ui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/wire"
)

// This file tests what the explorer does while nothing is due: it waits
// on the connection for the server to speak unasked, and shows a close
// once, with its reason.

// TestUnsolicitedReplyWhileIdle: with nothing in flight the explorer
// waits on the connection, without a spinner; a 421 that comes then is
// read at once, marked unsolicited, and closes the session, said once.
func TestUnsolicitedReplyWhileIdle(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	gmailPlain(s)
	if s.m.op != opListen || s.m.waiting() {
		t.Fatalf("op %d, waiting %v: want a wait on the idle connection, with no spinner", s.m.op, s.m.waiting())
	}
	s.send(listenMsg{gen: s.m.conn.gen, from: s.seq})
	if s.m.op != opRead || len(s.m.inflight) != 1 || s.m.inflight[0].kind != kindUnsolicited {
		t.Fatalf("op %d, in flight %+v: want the unsolicited reply read", s.m.op, s.m.inflight)
	}
	s.advance(4 * time.Minute)
	s.entry(wire.Server, "421 4.4.2 smtp.gmail.example Error: timeout exceeded")
	s.send(replyMsg{gen: s.m.conn.gen, reply: wire.Reply{Lines: []string{"421 4.4.2 smtp.gmail.example Error: timeout exceeded"},
		Raw: []byte("421 4.4.2 smtp.gmail.example Error: timeout exceeded\r\n")}, at: s.clock})
	if s.m.conn.phase != phaseClosed || s.m.sess.Phase.String() != "closed" {
		t.Fatalf("phase %v, session %v after an unasked 421", s.m.conn.phase, s.m.sess.Phase)
	}
	sc := s.screen()
	wantHas(t, "screen", sc, "connection closed: unsolicited 421: the server is closing", "closed smtp.gmail.example:587", "connection closed — :reconnect to start again")
	wantHas(t, "reason", s.m.conn.reason, "closing the session unasked, while no command was pending")
	if n := strings.Count(sc, "unsolicited"); n != 1 {
		t.Errorf("the reason is on screen %d times, want once:\n%s", n, sc)
	}
	if strings.Contains(sc, "connected smtp") {
		t.Errorf("the status still says connected:\n%s", sc)
	}
	if l, _, _ := strings.Cut(lines(sc, "S: 421"), "││"); !strings.HasSuffix(l, "unasked") || strings.Contains(l, "4m") {
		t.Errorf("the 421 line is not marked unasked, or shows a latency: %q", l)
	}
	if !strings.Contains(lines(sc, "250 SMTPUTF8"), "23ms") {
		t.Errorf("the reply to EHLO lost its latency:\n%s", sc)
	}
	s.enter(":reconnect")
	s.connect()
	s.reply("220 smtp.gmail.example ESMTP again")
	if l, _, _ := strings.Cut(lines(s.screen(), "ESMTP again"), "││"); strings.HasSuffix(l, "unasked") {
		t.Errorf("the next connection's greeting is marked unasked: %q", l)
	}
}

// lines returns the screen's lines that hold s.
func lines(screen, s string) string {
	var out []string
	for l := range strings.SplitSeq(screen, "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestTypingEndsTheIdleWait: a command typed while the explorer waits on
// the idle connection cancels the wait, then goes out; a server that spoke
// first is read first, and the command is held when it closed.
func TestTypingEndsTheIdleWait(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	gmailPlain(s)
	s.typ("NOOP")
	next, _ := s.m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	s.m = next.(Model)
	if s.m.op != opListen || !s.m.stopping || s.m.outbox.len() != 1 {
		t.Fatalf("op %d stopping %v queued %d: want the wait cancelled and NOOP waiting for its end", s.m.op, s.m.stopping, s.m.outbox.len())
	}
	s.send(listenMsg{gen: s.m.conn.gen, err: context.Canceled})
	if s.m.op != opWrite || s.m.writing.line != "NOOP" || !s.m.writing.idle {
		t.Fatalf("op %d writing %+v: want NOOP written, after the check that the server is quiet", s.m.op, s.m.writing)
	}

	s = newSim(t, "dark", 120, 40)
	gmailPlain(s)
	s.typ("NOOP")
	next, _ = s.m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	s.m = next.(Model)
	s.send(listenMsg{gen: s.m.conn.gen, from: s.seq}) // the server spoke before the wait ended
	if s.m.op != opRead || s.m.inflight[0].kind != kindUnsolicited || s.link.count() != 1 || s.m.outbox.len() != 1 {
		t.Fatalf("op %d in flight %+v writes %q: want what the server said read first, NOOP unsent", s.m.op, s.m.inflight, s.link.lines())
	}
	s.reply("421 4.3.2 System shutting down")
	if s.m.conn.phase != phaseClosed || len(s.m.hold.items) != 1 || s.m.hold.items[0].line != "NOOP" {
		t.Fatalf("phase %v held %+v: want the session closed and NOOP held", s.m.conn.phase, s.m.hold.items)
	}
}

// TestIdleClose: a server that closes while nothing is due is shown
// closed at once, with why.
func TestIdleClose(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	gmailPlain(s)
	s.send(listenMsg{gen: s.m.conn.gen, err: &wire.ClosedError{}})
	if s.m.conn.phase != phaseClosed || !strings.Contains(s.screen(), "connection closed: the server closed the connection while") ||
		s.m.conn.reason != "the server closed the connection while no command was pending" {
		t.Fatalf("phase %v, reason %q:\n%s", s.m.conn.phase, s.m.conn.reason, s.screen())
	}
}

// Test221ClosesWhateverItAnswers: a 221 to NOOP is the server closing the
// channel (RFC 5321 4.2.2): the screen no longer says connected.
func Test221ClosesWhateverItAnswers(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	gmailPlain(s)
	s.enter("NOOP")
	s.reply("221 2.0.0 Bye")
	sc := s.screen()
	if s.m.conn.phase != phaseClosed || strings.Contains(sc, "connected smtp") {
		t.Fatalf("phase %v after 221 to NOOP:\n%s", s.m.conn.phase, sc)
	}
	wantHas(t, "screen", sc, "connection closed: the server said goodbye (221) in answer to NOOP")
	wantHas(t, "reason", s.m.conn.reason, "in answer to NOOP, not to QUIT")
	if s.m.flash.kind == flashOK {
		t.Error("a 221 to NOOP is shown as the end asked for")
	}
}

// TestCloseToldOnce: the reason of a close is on the screen once, in the
// transcript's note; the status line says closed, the hint line what to do.
func TestCloseToldOnce(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	gmailPlain(s)
	s.enter("NOOP")
	s.send(replyMsg{gen: s.m.conn.gen, err: &wire.ClosedError{}})
	sc := s.screen()
	if n := strings.Count(sc, "the server closed the connection"); n != 1 {
		t.Errorf("the reason is on screen %d times, want once:\n%s", n, sc)
	}
	wantHas(t, "screen", sc, "connection closed: the server closed the connection", "closed smtp.gmail.example:587", ":reconnect to start again")
}

// TestHostileTUIIdle421: the server times out while the user types
// nothing: its 421 shows at once, unasked, and the session closes; the
// transcript file has it although the user quits right after.
func TestHostileTUIIdle421(t *testing.T) {
	checkLeaks(t)
	file := filepath.Join(t.TempDir(), "live.txt")
	r := runTUI(t, "idle-421", Config{Transcript: file})
	r.command("EHLO client.test")
	s := r.wait("the unasked 421", func(s hsnap) bool {
		return s.rendered && s.phase == phaseClosed && strings.Contains(s.screen, "S: 421 4.4.2") && strings.Contains(s.text, "connection closed")
	})
	wantHas(t, "screen", s.screen, "connection closed: unsolicited 421: the server is closing the session")
	wantHas(t, "told", s.told, "closing the session unasked, while no command was pending")
	if n := strings.Count(s.screen, "unsolicited"); n != 1 {
		t.Errorf("the close is told %d times, want once:\n%s", n, s.screen)
	}
	r.stop()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "421 4.4.2 mx.hostile.test Error: timeout exceeded") {
		t.Errorf("the transcript file lacks the 421:\n%s", b)
	}
}
