package ui

import (
	"bytes"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// chunkEntries records a chunk as wire.Conn.WriteChunk does: its line,
// then its octets as Payload entries, the last cut where the chunk ends.
func (s *sim) chunkEntries(w writeReq) {
	s.entry(wire.Client, w.line)
	for data := w.chunk[w.head:]; len(data) > 0; {
		end := bytes.IndexByte(data, '\n') + 1
		if end == 0 {
			end = len(data)
		}
		s.send(entriesMsg{entries: []wire.Entry{{Seq: s.seq, Time: s.clock, Dir: wire.Client, TLS: s.tls,
			Data: bytes.Clone(data[:end]), Payload: true, Partial: data[end-1] != '\n'}}})
		s.seq++
		data = data[end:]
	}
}

// envelope plays MAIL and RCPT after gmailTLS.
func envelope(s *sim) {
	s.t.Helper()
	gmailTLS(s)
	s.enter("MAIL FROM:<alice@gmail.example>")
	s.reply("250 2.1.0 OK")
	s.enter("RCPT TO:<bob@example.org>")
	s.reply("250 2.1.5 OK")
}

// chunkWrites are the chunks written, each line, CRLF and octets.
func (f *fakeLink) chunkWrites() []string {
	var out []string
	for _, w := range f.writes {
		if w.chunk != nil {
			out = append(out, string(w.chunk))
		}
	}
	return out
}

// TestBDATByHandWaitsForItsOctets: a typed BDAT line is not sent alone
// (the server would wait for its octets while ehlo waited for a reply);
// the lines typed after it are its octets, counted with their CRLF on the
// prompt and the status line, and the line and octets go in one write.
func TestBDATByHandWaitsForItsOctets(t *testing.T) {
	s := newSim(t, "mono", 120, 40)
	envelope(s)
	before := s.link.count()
	s.enter("BDAT 32 LAST")
	if s.link.count() != before || s.m.waiting() {
		t.Fatalf("the BDAT line went alone: %q", s.link.lines()[before:])
	}
	if !strings.Contains(s.screen(), "chunk 0/32 › Subject: hello   (CRLF counted; esc drops the chunk)") || !strings.Contains(s.screen(), "chunk: 0 of 32 bytes") {
		t.Errorf("no count on screen:\n%s", s.screen())
	}
	s.enter("Subject: by hand")
	s.enter("")
	s.typ("Hello Bob!")
	if screen := s.screen(); !strings.Contains(screen, "chunk 20/32 › Hello Bob!") || !strings.Contains(screen, "chunk: 20 of 32 bytes (32 with this line)") {
		t.Errorf("the count does not follow the typing:\n%s", screen)
	}
	if s.link.count() != before || len(s.m.input.history) == 0 || s.m.input.history[len(s.m.input.history)-1] != "BDAT 32 LAST" {
		t.Fatalf("writes %q, history %q", s.link.lines()[before:], s.m.input.history)
	}
	s.press(tea.KeyEnter)
	s.flush()
	want := "BDAT 32 LAST\r\nSubject: by hand\r\n\r\nHello Bob!\r\n"
	if got := s.link.chunkWrites(); len(got) != 1 || got[0] != want || s.link.count() != before+1 {
		t.Fatalf("chunk writes %q, want one %q", got, want)
	}
	if s.m.op != opRead || s.m.drafting() {
		t.Fatalf("not reading the chunk's reply: op %d", s.m.op)
	}
	s.reply("250 2.0.0 OK 1741944413 queued")
	if s.m.sess.Phase != session.PhaseReady || !strings.Contains(s.m.flash.text, "message accepted (250)") {
		t.Errorf("after the last chunk: phase %v, flash %q", s.m.sess.Phase, s.m.flash.text)
	}
	text := s.m.transcript.Text(false)
	if !strings.Contains(text, "C~ BDAT 32 LAST\nC~ Subject: by hand\nC~ \nC~ Hello Bob!\nS~ 250 2.0.0") {
		t.Errorf("transcript:\n%s", text)
	}
}

// TestBDATLineTooLong: a line that would overflow the chunk is refused and
// stays in the input, with the octets left; one of exactly the octets left
// ends the chunk without its CRLF. No byte is invented or cut.
func TestBDATLineTooLong(t *testing.T) {
	s := newSim(t, "mono", 80, 24)
	envelope(s)
	before := s.link.count()
	s.enter("BDAT 10")
	s.enter("Subject: xy") // 13 octets with its CRLF
	if s.link.count() != before || s.m.input.Value() != "Subject: xy" || !s.m.drafting() {
		t.Fatalf("an overflowing line: writes %q, input %q", s.link.lines()[before:], s.m.input.Value())
	}
	if !strings.Contains(s.m.flash.text, "not added: 13 bytes with CRLF, 10 left; a line of exactly 10 ends it, no CRLF") {
		t.Errorf("flash %q", s.m.flash.text)
	}
	if screen := s.screen(); !strings.Contains(screen, "(this line is 3 too long)") {
		t.Errorf("the status line does not say it is too long:\n%s", screen)
	}
	s.m.input = s.m.input.clear()
	s.enter("Subject") // 9 with CRLF, 1 left: only a line of 1 octet, without CRLF, fits
	s.enter("x")
	if got := s.link.chunkWrites(); len(got) != 1 || got[0] != "BDAT 10\r\nSubject\r\nx" {
		t.Fatalf("chunks %q", got)
	}
	if !strings.Contains(s.m.flash.text, "went without its CRLF (an empty line in the next chunk sends it)") {
		t.Errorf("flash %q", s.m.flash.text)
	}
	s.reply("250 2.0.0 10 octets received")
	if s.m.sess.Phase != session.PhaseRcpt || !strings.Contains(s.m.flash.text, "chunk taken (250)") {
		t.Errorf("after a chunk: phase %v, flash %q", s.m.sess.Phase, s.m.flash.text)
	}
	s.enter("BDAT 2 LAST") // the CRLF the last line went without
	s.enter("")
	if got := s.link.chunkWrites(); len(got) != 2 || got[1] != "BDAT 2 LAST\r\n\r\n" {
		t.Fatalf("chunks %q", got)
	}
}

// TestBDATEscDropsTheChunk: Esc clears the line being typed, then drops
// the chunk; nothing went.
func TestBDATEscDropsTheChunk(t *testing.T) {
	s := newSim(t, "mono", 80, 24)
	envelope(s)
	before := s.link.count()
	s.enter("BDAT 100 LAST")
	s.enter("Subject: never sent")
	s.typ("half a line")
	if screen := s.screen(); !strings.Contains(screen, "esc clear line") {
		t.Errorf("the footer does not say esc clears the line:\n%s", screen)
	}
	s.press(tea.KeyEscape) // the line first: it may be one refused, to edit
	if !s.m.drafting() || s.m.input.Value() != "" {
		t.Fatalf("esc on a typed line: drafting %v, input %q", s.m.drafting(), s.m.input.Value())
	}
	if screen := s.screen(); !strings.Contains(screen, "esc drop chunk") {
		t.Errorf("the footer does not say esc drops the chunk:\n%s", screen)
	}
	s.press(tea.KeyEscape)
	if s.m.drafting() || s.m.input.Value() != "" || s.link.count() != before || !strings.Contains(s.m.flash.text, "nothing was sent") {
		t.Fatalf("after esc: drafting %v, input %q, writes %q, flash %q", s.m.drafting(), s.m.input.Value(), s.link.lines()[before:], s.m.flash.text)
	}
	s.enter("RSET") // a command again
	if !s.link.wrote("RSET") {
		t.Errorf("writes %q", s.link.lines()[before:])
	}
}

// TestBDATZeroGoesAtOnce: BDAT 0 LAST announces no octets: it goes as typed.
func TestBDATZeroGoesAtOnce(t *testing.T) {
	s := newSim(t, "mono", 80, 24)
	envelope(s)
	s.enter("bdat 0 last")
	if got := s.link.chunkWrites(); len(got) != 1 || got[0] != "bdat 0 last\r\n" || s.m.op != opRead {
		t.Fatalf("chunks %q, op %d", got, s.m.op)
	}
}

// TestBDATPasted: a pasted BDAT takes the pasted lines after it as its
// octets, and what follows the chunk goes after its reply. A pasted line
// that does not fit stops the paste.
func TestBDATPasted(t *testing.T) {
	s := newSim(t, "mono", 80, 24)
	envelope(s)
	s.send(tea.PasteMsg{Content: "BDAT 19 LAST\r\nSubject: pasted\r\n\r\nQUIT\r\n"})
	s.flush()
	if got := s.link.chunkWrites(); len(got) != 1 || got[0] != "BDAT 19 LAST\r\nSubject: pasted\r\n\r\n" || s.m.outbox.len() != 1 {
		t.Fatalf("chunks %q, queued %d", got, s.m.outbox.len())
	}
	s.reply("250 2.0.0 queued")
	s.flush()
	if s.link.last().line != "QUIT" {
		t.Errorf("after the chunk's reply: %q", s.link.lines())
	}
	if h := strings.Join(s.m.input.history, "\n"); strings.Contains(h, "Subject: pasted") {
		t.Errorf("the chunk's text is in the history: %q", h)
	}

	// a paste that ends inside the chunk: typing goes on with it
	s = newSim(t, "mono", 80, 24)
	envelope(s)
	before := s.link.count()
	s.send(tea.PasteMsg{Content: "BDAT 16 LAST\nSubject: a\n"})
	if !s.m.drafting() || len(s.m.chunk.data) != 12 || s.link.count() != before || !strings.Contains(s.m.flash.text, "12 of its 16 bytes pasted") {
		t.Fatalf("drafting %v, %d octets, writes %q, flash %q", s.m.drafting(), len(s.m.chunk.data), s.link.lines()[before:], s.m.flash.text)
	}
	s.enter("hi")
	if got := s.link.chunkWrites(); len(got) != 1 || got[0] != "BDAT 16 LAST\r\nSubject: a\r\nhi\r\n" {
		t.Fatalf("chunks %q", got)
	}

	s = newSim(t, "mono", 80, 24)
	envelope(s)
	before = s.link.count()
	s.send(tea.PasteMsg{Content: "BDAT 5 LAST\nSubject: too long\nQUIT\n"})
	s.flush()
	if s.link.count() != before || s.m.input.Value() != "Subject: too long" || !strings.Contains(s.m.flash.text, "1 pasted lines after it not sent") {
		t.Fatalf("writes %q, input %q, flash %q", s.link.lines()[before:], s.m.input.Value(), s.m.flash.text)
	}
}

// TestBDATInDataIsText: after DATA's 354, a line "BDAT 5" is message text.
func TestBDATInDataIsText(t *testing.T) {
	s := newSim(t, "mono", 80, 24)
	envelope(s)
	s.enter("DATA")
	s.reply("354 Go ahead")
	s.enter("BDAT 5")
	if s.m.drafting() || s.link.last().line != "BDAT 5" || s.link.last().chunk != nil {
		t.Fatalf("drafting %v, last write %+v", s.m.drafting(), s.link.last())
	}
}

// TestChunkingExplained: the capability pane says CHUNKING can be used here.
func TestChunkingExplained(t *testing.T) {
	s := newSim(t, "mono", 120, 40)
	gmailTLS(s)
	rows := capRows(s.m.sess)
	for i, r := range rows {
		if r.c.Keyword == "CHUNKING" {
			s.m.side.cursor = i
		}
	}
	s.m.focus = focusCaps
	s.send(nil)
	screen := ansi.Strip(s.m.View().Content)
	if !strings.Contains(screen, "Chunked message transfer") || !strings.Contains(strings.Join(strings.Fields(screen), " "), "Here: type BDAT n") {
		t.Errorf("no use of CHUNKING on screen:\n%s", screen)
	}
}
