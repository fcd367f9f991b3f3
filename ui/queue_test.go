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
