package ui

import (
	"context"
	"errors"
	"strings"
	"testing"

	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// TestMixedCodesAnswerNothing: a reply to EHLO whose lines carry different
// codes (RFC 5321 4.2.1) is a protocol error: the status names it and its
// lines, the state and the side panel take no capability from it, and the
// connection stays up for the next command.
func TestMixedCodesAnswerNothing(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	s.connect()
	s.reply("220 mx.example ESMTP")
	s.enter("EHLO client.example")
	s.reply("250-mx.example", "250-STARTTLS", "550 5.7.1 no")
	for _, want := range []string{"protocol error at EHLO", "different codes (250, 550)", `"550 5.7.1 no"`} {
		if !strings.Contains(s.m.flash.text, want) {
			t.Errorf("flash %q lacks %q", s.m.flash.text, want)
		}
	}
	if s.m.flash.kind != flashError {
		t.Errorf("flash kind %v, want an error", s.m.flash.kind)
	}
	if len(s.m.sess.Caps.List) != 0 || s.m.sess.Caps.Has("STARTTLS") {
		t.Errorf("capabilities %+v taken from a reply that answers nothing", s.m.sess.Caps.List)
	}
	if side := strings.Join(s.m.side.View(s.m.sideInfo()), "\n"); strings.Contains(side, "STARTTLS") || strings.Contains(side, "5.7.1") {
		t.Errorf("the side panel shows the reply's lines as capabilities:\n%s", side)
	}
	if s.m.conn.phase != phaseOpen || len(s.m.inflight) != 0 {
		t.Fatalf("phase %v, inflight %d: the connection stays up, with nothing in flight", s.m.conn.phase, len(s.m.inflight))
	}
	s.link.reset()
	s.enter("EHLO client.example")
	if !s.link.wrote("EHLO client.example") {
		t.Errorf("the next command did not go out: %q", s.link.lines())
	}
}

// TestMixedCodesAfterDot: "250-queued" then "554 rejected" to the final
// "." is no delivery: the status says the message's fate is unknown, and
// the message is over, so the next line is a command, not message data.
func TestMixedCodesAfterDot(t *testing.T) {
	s := dataSim(t)
	s.enter("hello")
	s.enter(".")
	s.reply("250-2.0.0 queued as 4F2A", "554 5.7.1 rejected")
	for _, want := range []string{"protocol error", "different codes (250, 554)", "unknown", "duplicate"} {
		if !strings.Contains(s.m.flash.text, want) {
			t.Errorf("flash %q lacks %q", s.m.flash.text, want)
		}
	}
	if strings.Contains(s.m.flash.text, "accepted") || s.m.flash.kind == flashOK {
		t.Errorf("flash %q (kind %v) reads as a delivery", s.m.flash.text, s.m.flash.kind)
	}
	if s.m.inData() {
		t.Fatal("still in DATA after the final \".\"")
	}
	s.link.reset()
	s.enter("RSET")
	if w := s.link.last(); w.line != "RSET" || s.m.inflight[0].kind != kindCommand {
		t.Errorf("RSET went as %+v, in flight %+v: want a command", w, s.m.inflight)
	}
}

// TestDesyncBeforeCommand: a command typed while nothing is in flight is
// written only after checking that the server said nothing meanwhile; if
// it did, the command is not sent, the connection closes and the status
// says the server is out of step. Lines pasted behind a command in flight
// (pipelining) skip the check: replies are legitimately due.
func TestDesyncBeforeCommand(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	s.connect()
	s.reply("220 mx.example ESMTP")
	s.typ("EHLO client.example")
	s.press(tea.KeyEnter)
	if s.m.op != opWrite || !s.m.writing.idle {
		t.Fatalf("op %d, write %+v: want a write that checks the server is quiet", s.m.op, s.m.writing)
	}
	s.send(wroteMsg{gen: s.m.conn.gen, err: &wire.DesyncError{Bytes: []byte("250 fake\r\n")}})
	if s.m.conn.phase != phaseClosed {
		t.Fatalf("phase %v after a desync, want closed", s.m.conn.phase)
	}
	for _, want := range []string{"protocol error at EHLO", "out of step", `250 fake\r\n`, "EHLO was not sent"} {
		if !strings.Contains(told(s.m), want) {
			t.Errorf("flash %q lacks %q", told(s.m), want)
		}
	}
	if strings.Contains(s.screen(), "\r") {
		t.Error("a raw CR reached the screen")
	}

	p := newSim(t, "dark", 120, 40)
	p.connect()
	p.reply("220 mx.example ESMTP")
	p.enter("EHLO client.example")
	p.reply("250-mx.example", "250 PIPELINING")
	p.send(tea.PasteMsg{Content: "MAIL FROM:<a@example.org>\nRCPT TO:<b@example.org>\n"})
	var idle []bool
	for p.m.op == opWrite {
		idle = append(idle, p.m.writing.idle)
		p.flush()
	}
	if len(idle) == 0 || !idle[0] || len(idle) > 1 && idle[1] {
		t.Errorf("idle checks %v: the first of a pipelined group checks, the ones behind it do not", idle)
	}
}

// TestWriteCmdChecksIdle: the write command checks before it writes, and
// writes nothing after a desync.
func TestWriteCmdChecksIdle(t *testing.T) {
	l := &fakeLink{desync: []byte("421 4.3.2 shutting down\r\n")}
	msg := writeCmd(context.Background(), 1, l, writeReq{line: "NOOP", idle: true})().(wroteMsg)
	var de *wire.DesyncError
	if !errors.As(msg.err, &de) || l.count() != 0 {
		t.Errorf("err %v, writes %q: want the desync and nothing written", msg.err, l.lines())
	}
	msg = writeCmd(context.Background(), 1, l, writeReq{line: "RCPT TO:<b@x>"})().(wroteMsg)
	if msg.err != nil || !l.wrote("RCPT TO:<b@x>") {
		t.Errorf("err %v, writes %q: a write behind others in flight does not check", msg.err, l.lines())
	}
}

// TestReplayMixedCodes: the explain panel's replay of a transcript takes a
// reply with mixed codes as the answer to its command, and no more, so the
// replies after it keep their commands.
func TestReplayMixedCodes(t *testing.T) {
	var s session.State
	queue := []string{"EHLO x", "MAIL FROM:<a@x>"}
	s, queue = replayReply(s.Greeting(session.Reply{Code: 220}), queue, []string{"250-x", "550 no"})
	if len(queue) != 1 || queue[0] != "MAIL FROM:<a@x>" || len(s.Caps.List) != 0 {
		t.Errorf("after the mixed reply: queue %q, caps %+v", queue, s.Caps.List)
	}
}

// TestHostileTUIProtocolErrors plays the scenarios of a reply with mixed
// codes and of a server out of step against the explorer over loopback:
// the status names the protocol error, the transcript marks it where it
// came, no capability or success is taken from it, and nothing is sent to
// a server out of step.
func TestHostileTUIProtocolErrors(t *testing.T) {
	toData := []string{"EHLO client.test", "MAIL FROM:<a@client.test>", "RCPT TO:<b@mx.hostile.test>", "DATA"}
	for _, tt := range []struct {
		scenario string
		commands []string // then "hello" and "." when they end in DATA
		closes   bool
		flash    []string
		note     string
	}{
		{"mixed-codes-ehlo", toData[:1], false, []string{"protocol error at EHLO", "different codes (250, 550)"}, "different codes (250, 550)"},
		{"mixed-codes-mail", toData[:2], false, []string{"protocol error at MAIL", `"550 5.1.0 no"`}, "different codes (250, 550)"},
		{"mixed-codes-dot", toData, false, []string{"different codes (250, 554)", "unknown"}, "different codes (250, 554)"},
		{"desync-greeting", nil, true, []string{"protocol error at the greeting", "out of step", "250 AUTH PLAIN LOGIN"}, "while no reply was due"},
		{"desync-extra-reply", toData[:1], true, []string{"protocol error at EHLO", "out of step", "250 2.0.0 OK"}, "while no reply was due"},
		{"desync-dot", toData, true, []string{"554 5.7.1 rejected after all", "unknown"}, "while no reply was due"},
	} {
		t.Run(tt.scenario, func(t *testing.T) {
			checkLeaks(t)
			r := runTUI(t, tt.scenario, Config{})
			for _, c := range tt.commands {
				r.command(c)
			}
			if len(tt.commands) == len(toData) {
				r.wait("DATA mode", func(s hsnap) bool { return s.idle && s.sess.Phase == session.PhaseData })
				r.enter("hello")
				r.enter(".")
			}
			s := r.wait("the protocol error", func(s hsnap) bool {
				return s.rendered && strings.Contains(s.told, tt.flash[0]) && (s.phase == phaseClosed) == tt.closes
			})
			wantHas(t, "told", s.told, tt.flash...)
			if strings.Contains(s.flash, "accepted") {
				t.Errorf("flash %q reads as a success", s.flash)
			}
			s = r.shows(true, tt.note)
			if len(tt.commands) == 1 && len(s.sess.Caps.List) != 0 {
				t.Errorf("capabilities %+v taken from a session with a protocol error at EHLO", s.sess.Caps.List)
			}
			if s.sess.Phase == session.PhaseData {
				t.Errorf("still in DATA after the final \".\"")
			}
			r.stop()
			if tt.scenario == "desync-greeting" {
				if got := r.srv.Conn(t).Got(); len(got) != 0 {
					t.Errorf("the explorer sent %q to a server out of step", got)
				}
			}
		})
	}
}
