package ui

import (
	"slices"
	"strings"
	"testing"

	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"
)

// This file tests what happens to pasted lines: grouped when the server
// offers PIPELINING, one at a time when it does not.

// aiosmtpdReady plays a session up to an EHLO reply without PIPELINING,
// aiosmtpd's.
func aiosmtpdReady(s *sim) {
	s.t.Helper()
	s.connect()
	s.reply("220 mx.example ESMTP aiosmtpd 1.4.4")
	s.enter("EHLO client.example")
	s.reply("250-mx.example", "250-SIZE 33554432", "250-8BITMIME", "250-SMTPUTF8", "250 HELP")
}

// wantWrites checks the writes made since the last reset, a group as one.
func wantWrites(t *testing.T, s *sim, want ...[]string) {
	t.Helper()
	var got [][]string
	for _, w := range s.link.writes {
		got = append(got, linesOf([]writeReq{w}))
	}
	if !slices.EqualFunc(got, want, slices.Equal[[]string]) {
		t.Fatalf("writes %q, want %q", got, want)
	}
}

// TestPasteOneAtATimeWithoutPipelining: a server that does not offer
// PIPELINING gets one command, then its reply, then the next (RFC 2920
// section 3.1: a client pipelines only once "support exists"); the paste's
// message and the status line say so.
func TestPasteOneAtATimeWithoutPipelining(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	aiosmtpdReady(s)
	s.link.reset()
	s.send(tea.PasteMsg{Content: "MAIL FROM:<a@example.org>\nRCPT TO:<b@example.org>\nDATA\nSubject: hi\n"})
	s.flush()
	wantWrites(t, s, []string{"MAIL FROM:<a@example.org>"})
	wantHas(t, "flash", s.m.flash.text, "does not offer PIPELINING", "waits for the reply")
	wantHas(t, "screen", s.screen(), "sending one at a time: the server does not offer PIPELINING")
	s.reply("250 OK")
	s.flush()
	s.reply("250 OK")
	s.flush()
	s.reply("354 End data with <CR><LF>.<CR><LF>")
	s.flush()
	wantWrites(t, s, []string{"MAIL FROM:<a@example.org>"}, []string{"RCPT TO:<b@example.org>"}, []string{"DATA"}, []string{"Subject: hi"})
	if !s.m.inData() {
		t.Errorf("not in DATA after the 354")
	}
}

// TestPasteGroupedInOneWrite: with PIPELINING offered, a pasted envelope
// goes in one write up to and including DATA, and the message waits for
// the 354; the status line says the commands are pipelined.
func TestPasteGroupedInOneWrite(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	gmailPlain(s)
	s.link.reset()
	s.send(tea.PasteMsg{Content: "MAIL FROM:<a@example.org>\nRCPT TO:<b@example.org>\nRCPT TO:<c@example.org>\nDATA\nSubject: hi\n"})
	s.flush()
	wantWrites(t, s, []string{"MAIL FROM:<a@example.org>", "RCPT TO:<b@example.org>", "RCPT TO:<c@example.org>", "DATA"})
	wantHas(t, "flash", s.m.flash.text, "PIPELINING", "in groups")
	wantHas(t, "screen", s.screen(), "pipelining 4 commands (PIPELINING offered)")
	if len(s.m.inflight) != 4 || !s.m.writing.idle && s.m.op == opWrite {
		t.Fatalf("in flight %d, want the four commands of the group", len(s.m.inflight))
	}
	for _, r := range []string{"250 2.1.0 OK", "250 2.1.5 OK", "250 2.1.5 OK", "354 Go ahead"} {
		s.reply(r)
	}
	s.flush()
	if got := s.link.last(); got.line != "Subject: hi" || !s.m.inData() {
		t.Fatalf("after the 354 the message line went as %+v, in data %v", got, s.m.inData())
	}
}

// TestPasteGroupBoundaries: RSET may sit in a group, NOOP and QUIT end one,
// STARTTLS goes alone (SAFETY.md), as does the EHLO after it, which waits
// for the handshake.
func TestPasteGroupBoundaries(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	gmailPlain(s)
	s.link.reset()
	s.send(tea.PasteMsg{Content: "RSET\nMAIL FROM:<a@example.org>\nNOOP\nRSET\nSTARTTLS\nEHLO client.example\n"})
	s.flush()
	wantWrites(t, s, []string{"RSET", "MAIL FROM:<a@example.org>", "NOOP"})
	s.reply("250 2.1.5 Flushed")
	s.reply("250 2.1.0 OK")
	s.reply("250 2.0.0 OK")
	s.flush()
	wantWrites(t, s, []string{"RSET", "MAIL FROM:<a@example.org>", "NOOP"}, []string{"RSET"})
	s.reply("250 2.1.5 Flushed")
	s.flush()
	wantWrites(t, s, []string{"RSET", "MAIL FROM:<a@example.org>", "NOOP"}, []string{"RSET"}, []string{"STARTTLS"})
	s.reply("220 2.0.0 Ready to start TLS")
	s.flush()
	if s.link.count() != 3 {
		t.Fatalf("wrote %q before the handshake", s.link.lines())
	}
	s.starttls(gmailCert())
	s.flush()
	wantWrites(t, s, []string{"RSET", "MAIL FROM:<a@example.org>", "NOOP"}, []string{"RSET"}, []string{"STARTTLS"}, []string{"EHLO client.example"})
	if strings.Contains(s.screen(), "pipelining 1 command") {
		t.Error("a group of one is called pipelining")
	}
}

// refusedData plays, on a server offering PIPELINING, a pasted envelope to
// an unknown user, DATA refused, and a message that must not follow.
func refusedData(t *testing.T) *sim {
	s := newSim(t, "dark", 120, 40)
	gmailPlain(s)
	s.link.reset()
	s.send(tea.PasteMsg{Content: "MAIL FROM:<a@example.org>\nRCPT TO:<nobody@example.org>\nDATA\nSubject: hi\n\nhello there\n.\n"})
	s.flush()
	s.reply("250 2.1.0 OK")
	s.reply("550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown")
	s.reply("554 5.5.1 Error: no valid recipients")
	s.flush()
	return s
}

// TestRefusedDataHoldsTheMessage: after DATA is refused, the message
// lines pasted behind it are held, not sent as commands; the box above
// the input says why and what is held.
func TestRefusedDataHoldsTheMessage(t *testing.T) {
	s := refusedData(t)
	wantWrites(t, s, []string{"MAIL FROM:<a@example.org>", "RCPT TO:<nobody@example.org>", "DATA"})
	if n := len(s.m.hold.items); n != 4 || s.m.outbox.len() != 0 {
		t.Fatalf("held %d, queued %d: want the 4 message lines held", n, s.m.outbox.len())
	}
	wantHas(t, "screen", s.screen(), "held: DATA got 554, not 354", "4 lines not sent", "Subject: hi", "(empty line)",
		"hello there   … and 1 more", "alt+q sends them (:queue send)", ":queue edit", "esc drops them", "alt+q send held", "esc drop held")
	if strings.Contains(s.screen(), "pasted 7 lines") {
		t.Error("the paste's message stays after the paste stopped")
	}
	s.press(tea.KeyEscape)
	if len(s.m.hold.items) != 0 || s.link.count() != 1 {
		t.Fatalf("esc: held %d, writes %d: want the held lines dropped, none sent", len(s.m.hold.items), s.link.count())
	}
	wantHas(t, "flash", s.m.flash.text, "dropped the 4 lines held, none sent")
	if strings.Contains(s.screen(), "held: ") {
		t.Error("the held box stays after esc")
	}
}

// TestHeldLinesSentOnRequest: alt+q (or :queue send) sends the held lines;
// as the first looks like message text outside DATA, the first asks for
// a second.
func TestHeldLinesSentOnRequest(t *testing.T) {
	s := refusedData(t)
	s.enter(":queue send")
	if s.link.count() != 1 || len(s.m.hold.items) != 4 {
		t.Fatalf("the first :queue send sent %q", s.link.lines())
	}
	wantHas(t, "flash", s.m.flash.text, `"Subject: hi"`, "would go as a command", "alt+q again sends it")
	s.press('q', tea.ModAlt)
	s.flush()
	if got := s.link.lines(); got[len(got)-1] != "Subject: hi" || len(s.m.hold.items) != 0 {
		t.Fatalf("alt+q sent %q, held %d", got, len(s.m.hold.items))
	}
}

// TestHeldLinesEdited: :queue edit opens the held lines in the editor;
// esc keeps them held, F10 sends what the editor holds as a paste.
func TestHeldLinesEdited(t *testing.T) {
	s := refusedData(t)
	s.enter(":queue edit")
	if !s.m.compose.open || !s.m.compose.queue || s.m.compose.Value() != "Subject: hi\n\nhello there\n." {
		t.Fatalf("editor open %v queue %v holding %q", s.m.compose.open, s.m.compose.queue, s.m.compose.Value())
	}
	wantHas(t, "screen", s.screen(), "Held lines", "F10 or alt+enter sends them as a paste")
	s.press(tea.KeyEscape)
	if s.m.compose.open || len(s.m.hold.items) != 4 {
		t.Fatalf("esc: editor open %v, held %d", s.m.compose.open, len(s.m.hold.items))
	}
	s.enter(":queue edit")
	s.m.compose.ta.SetValue("RSET\nMAIL FROM:<a@example.org>\nRCPT TO:<bob@example.org>\nDATA")
	s.press(tea.KeyF10)
	s.flush()
	wantWrites(t, s, []string{"MAIL FROM:<a@example.org>", "RCPT TO:<nobody@example.org>", "DATA"},
		[]string{"RSET", "MAIL FROM:<a@example.org>", "RCPT TO:<bob@example.org>", "DATA"})
	if len(s.m.hold.items) != 0 || s.m.compose.open {
		t.Errorf("after F10: held %d, editor open %v", len(s.m.hold.items), s.m.compose.open)
	}
}

// TestTextAfterRefusedDataWarns: a line typed after DATA was refused that
// looks like message text is not sent at the first Enter but warned
// about; Enter again sends it. A command goes at once, and after a new
// MAIL the warning is over.
func TestTextAfterRefusedDataWarns(t *testing.T) {
	s := refusedData(t)
	s.press(tea.KeyEscape) // drop the held lines
	s.link.reset()
	s.enter("Subject: typed")
	if s.link.count() != 0 || s.m.input.Value() != "Subject: typed" {
		t.Fatalf("wrote %q, input %q: want nothing sent and the line kept", s.link.lines(), s.m.input.Value())
	}
	wantHas(t, "flash", s.m.flash.text, "DATA got 554, not 354", "would go as a command", "Enter again sends it")
	s.press(tea.KeyEnter)
	s.flush()
	wantWrites(t, s, []string{"Subject: typed"})
	s.reply("500 5.5.2 Error: command not recognized")
	s.enter("RSET")
	wantWrites(t, s, []string{"Subject: typed"}, []string{"RSET"})
	s.reply("250 2.0.0 Ok")
	s.enter("Thanks again") // an unknown verb, held once as any typo is; the refused DATA is no longer said
	if strings.Contains(s.m.flash.text, "DATA got 554") {
		t.Errorf("after RSET, a line is still warned about as message text: %q", s.m.flash.text)
	}
	s.press(tea.KeyEnter)
	s.flush()
	wantWrites(t, s, []string{"Subject: typed"}, []string{"RSET"}, []string{"Thanks again"})
}

// TestPasteAfterRefusedDataHeld: message text pasted after DATA was
// refused is held at once.
func TestPasteAfterRefusedDataHeld(t *testing.T) {
	s := refusedData(t)
	s.press(tea.KeyEscape)
	s.link.reset()
	s.send(tea.PasteMsg{Content: "Subject: again\n\nbody\n"})
	s.flush()
	if s.link.count() != 0 || len(s.m.hold.items) != 3 {
		t.Fatalf("wrote %q, held %d", s.link.lines(), len(s.m.hold.items))
	}
	wantHas(t, "screen", s.screen(), "held: DATA got 554, not 354, and the paste looks like message text")
}

// TestBarriersHoldTheQueue: STARTTLS without 220, AUTH without 334 or 235,
// EHLO refused and a 421 each stop the lines pasted behind them; the
// responses of an AUTH exchange are dropped, never shown nor held.
func TestBarriersHoldTheQueue(t *testing.T) {
	for _, tt := range []struct {
		name, paste, reply, why string
		held                    []string
		closed                  bool
	}{
		{"STARTTLS 454", "STARTTLS\nEHLO client.example\nAUTH PLAIN\n", "454 4.7.0 TLS not available due to local problem",
			"STARTTLS got 454, not 220", []string{"EHLO client.example", "AUTH PLAIN"}, false},
		{"AUTH 504", "AUTH LOGIN\nYWxpY2U=\nd29uZGVybGFuZA==\nMAIL FROM:<alice@example.org>\n", "504 5.5.4 Unrecognized authentication type",
			"AUTH got 504, not 334 or 235", []string{"MAIL FROM:<alice@example.org>"}, false},
		{"EHLO 502", "EHLO client.example\nMAIL FROM:<a@example.org>\n", "502 5.5.2 Error: command not recognized",
			"EHLO got 502, not 2xx", []string{"MAIL FROM:<a@example.org>"}, false},
		{"421", "NOOP\nMAIL FROM:<a@example.org>\n", "421 4.3.2 Service shutting down",
			"the connection closed", []string{"MAIL FROM:<a@example.org>"}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newSim(t, "dark", 120, 40)
			gmailPlain(s)
			s.link.reset()
			s.send(tea.PasteMsg{Content: tt.paste})
			s.flush()
			s.reply(tt.reply)
			s.flush()
			if s.link.count() != 1 {
				t.Fatalf("wrote %q: want the first line alone", s.link.lines())
			}
			var held []string
			for _, it := range s.m.hold.items {
				held = append(held, it.line)
			}
			if !slices.Equal(held, tt.held) || s.m.hold.why != tt.why {
				t.Fatalf("held %q because %q, want %q because %q", held, s.m.hold.why, tt.held, tt.why)
			}
			screen := s.screen()
			wantHas(t, "screen", screen, "held: "+tt.why)
			for _, secret := range []string{"YWxpY2U=", "d29uZGVybGFuZA=="} {
				if strings.Contains(screen, secret) {
					t.Errorf("the screen shows %q", secret)
				}
			}
			if (s.m.conn.phase == phaseClosed) != tt.closed {
				t.Errorf("phase %v", s.m.conn.phase)
			}
		})
	}
}
