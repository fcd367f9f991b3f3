package ui

import (
	"strings"
	"testing"

	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/session"
)

// TestBdatCommand: :bdat opens the editor; F10 sends the message cut by
// client.ChunkWriter, one chunk per reply, the last with LAST, and the
// octets are the message with CRLF endings, nothing dot-stuffed.
func TestBdatCommand(t *testing.T) {
	s := newSim(t, "mono", 120, 40)
	envelope(s)
	s.enter(":bdat 16")
	if !s.m.compose.open || !strings.Contains(s.screen(), "Compose for BDAT") {
		t.Fatalf("the editor is not open for BDAT:\n%s", s.screen())
	}
	s.m.compose.ta.SetValue("Subject: chunks\n\n.a dot stays single\nbye")
	before := s.link.count()
	s.press(tea.KeyF10)
	s.flush()
	var got []byte
	for i := 0; ; i++ {
		chunks := s.link.chunkWrites()
		if len(chunks) != i+1 {
			t.Fatalf("chunk %d: writes %q", i, s.link.lines()[before:])
		}
		c := chunks[i]
		head, data, _ := strings.Cut(c, "\r\n")
		if len(data) > 16 {
			t.Fatalf("chunk %q larger than 16", c)
		}
		got = append(got, data...)
		s.reply("250 2.0.0 ok")
		s.flush()
		if strings.HasSuffix(head, " LAST") {
			break
		}
	}
	want := "Subject: chunks\r\n\r\n.a dot stays single\r\nbye\r\n"
	if string(got) != want || s.m.sess.Phase != session.PhaseReady || !strings.Contains(s.m.flash.text, "message accepted") {
		t.Errorf("octets %q, want %q; phase %v, flash %q", got, want, s.m.sess.Phase, s.m.flash.text)
	}
}

// TestBdatRefusedChunkStops: after a refused chunk, no other is sent
// (RFC 3030 section 2).
func TestBdatRefusedChunkStops(t *testing.T) {
	s := newSim(t, "mono", 120, 40)
	envelope(s)
	s.enter(":bdat 10")
	s.m.compose.ta.SetValue(strings.Repeat("x", 40))
	s.press(tea.KeyF10)
	s.flush()
	s.reply("552 5.3.4 Message too big")
	s.flush()
	if n := len(s.link.chunkWrites()); n != 1 || s.m.outbox.len() != 0 || s.m.waiting() {
		t.Fatalf("%d chunks sent, %d queued", n, s.m.outbox.len())
	}
	if !strings.Contains(s.m.flash.text, "chunk refused (552)") || !strings.Contains(s.m.flash.text, "4 queued chunks not sent") {
		t.Errorf("flash %q", s.m.flash.text)
	}
}

// TestBdatCommandRefusals: :bdat needs an open connection outside DATA,
// and a size that is a number; without CHUNKING it warns and opens.
func TestBdatCommandRefusals(t *testing.T) {
	s := newSim(t, "mono", 80, 24)
	envelope(s)
	s.enter(":bdat ten")
	if s.m.compose.open || !strings.HasPrefix(s.m.flash.text, "usage: :bdat") {
		t.Errorf(":bdat ten: open %v, flash %q", s.m.compose.open, s.m.flash.text)
	}
	s.enter("DATA")
	s.reply("354 go ahead")
	s.enter(":bdat")
	if s.m.compose.open || !strings.Contains(s.m.flash.text, "in DATA mode") {
		t.Errorf(":bdat in DATA: open %v, flash %q", s.m.compose.open, s.m.flash.text)
	}

	s = newSim(t, "mono", 80, 24)
	s.connect()
	s.reply("220 mx ESMTP")
	s.enter("EHLO client.example")
	s.reply("250-mx", "250 PIPELINING")
	s.enter(":bdat")
	if !s.m.compose.open || s.m.flash.kind != flashWarn || !strings.Contains(s.m.flash.text, "CHUNKING is not advertised") {
		t.Errorf("without CHUNKING: open %v, flash %q", s.m.compose.open, s.m.flash.text)
	}
	s.press(tea.KeyEscape)
	if s.m.compose.open || s.m.compose.draft == "" || !strings.Contains(s.m.flash.text, ":bdat reopens") {
		t.Errorf("esc: open %v, draft %q, flash %q", s.m.compose.open, s.m.compose.draft, s.m.flash.text)
	}
}
