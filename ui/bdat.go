package ui

import (
	"bytes"
	"fmt"
	"strings"

	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/session"
)

// This file is BDAT in the explorer (RFC 3030 CHUNKING). A BDAT line
// announces the octets that follow it: the server reads them before it
// answers, so the line cannot be sent alone and its reply awaited. A
// typed (or pasted) "BDAT n [LAST]" waits, unsent, while the next lines
// fill its n octets, each counted with its CRLF; the line and its octets
// then leave in one write (wire.Conn.WriteChunk), recorded in full, and
// one reply is read. :bdat (bdat_compose.go) sends a message written in
// the editor as chunks, one chunk per reply, the same way.

// handChunk is a BDAT chunk being typed: its line, as the user wrote it,
// and the octets gathered so far.
type handChunk struct {
	gen  int // the connection it was typed on
	line string
	size int64
	data []byte
}

// drafting reports a chunk being typed on the open connection: lines
// entered now are its octets.
func (m Model) drafting() bool {
	return m.chunk.line != "" && m.chunk.gen == m.conn.gen && m.conn.phase == phaseOpen
}

// chunkLeft is how many octets the chunk being typed still needs.
func (m Model) chunkLeft() int64 { return m.chunk.size - int64(len(m.chunk.data)) }

// dataAhead reports whether lines entered now are, or may be, message
// text after DATA: in DATA mode, or with a DATA awaiting its reply or
// queued. A "BDAT" there is text.
func (m Model) dataAhead() bool {
	if m.sess.Phase == session.PhaseData {
		return true
	}
	for _, p := range m.inflight {
		if p.kind == kindCommand && session.Verb(p.line) == "DATA" {
			return true
		}
	}
	for _, it := range m.outbox.items {
		if session.Verb(it.line) == "DATA" {
			return true
		}
	}
	return false
}

// startsChunk reports a line that opens a chunk: a BDAT command of the
// right form (one that is not, the server refuses with no octets to read).
func startsChunk(line string) bool {
	_, _, err := session.ParseBdat(line)
	return err == nil
}

// chunkAhead reports whether lines about to be sent involve a chunk: one
// is being typed, or one of them opens one.
func (m Model) chunkAhead(lines []string) bool {
	if m.drafting() {
		return true
	}
	if m.dataAhead() || m.inAuth() {
		return false
	}
	for _, l := range lines {
		if len(l) > 4 && strings.EqualFold(l[:5], "BDAT ") && startsChunk(l) {
			return true
		}
	}
	return false
}

// pastedCommands are the pasted lines the history may keep: none while a
// chunk is typed, and none after a line that opens one (its octets).
func (m Model) pastedCommands(lines []string) []string {
	switch {
	case m.drafting():
		return nil
	case !m.chunkAhead(lines):
		return lines
	}
	for i, l := range lines {
		if startsChunk(l) {
			return lines[:i+1]
		}
	}
	return lines
}

// chunkLines sends lines some of which are, or open, a chunk: commands
// before a BDAT line go as usual; the BDAT line waits for its octets; a
// chunk complete goes to the outbox as one item. A line that would
// overflow the chunk is refused: it comes back to the input, and the
// pasted lines after it are not sent.
func (m Model) chunkLines(pasted bool, lines []string) (Model, tea.Cmd) {
	var items []outItem
	plain := false // a DATA went by: the rest may be its text, not BDAT
	for i, l := range lines {
		switch {
		case plain:
			items = append(items, outItem{line: l, pipelined: pasted})
		case m.drafting():
			var ok bool
			if m, ok = m.addChunkLine(l); !ok {
				m = m.refuseChunkLine(l, len(lines)-i-1, pasted)
				return m.enqueue(items...)
			}
		case startsChunk(l):
			m.chunk = handChunk{gen: m.conn.gen, line: l}
			m.chunk.size, _, _ = session.ParseBdat(l)
			m.flash = infoFlash(fmt.Sprintf("BDAT waits: the lines you type or paste next are its %d bytes, CRLF counted", m.chunk.size))
		default:
			items = append(items, outItem{line: l, pipelined: pasted})
			plain = session.Verb(l) == "DATA"
		}
		if m.drafting() && m.chunkLeft() == 0 {
			items = append(items, m.takeChunk(pasted))
		}
	}
	if pasted && m.drafting() {
		m.flash = infoFlash(fmt.Sprintf("%s: %d of its %d bytes pasted; type or paste the rest",
			session.SanitizeString(m.chunk.line), len(m.chunk.data), m.chunk.size))
	}
	return m.enqueue(items...)
}

// addChunkLine adds a line and its CRLF to the chunk being typed. A line
// that fills the chunk exactly without its CRLF goes without it: the
// chunk's count ends inside the line, as RFC 3030 allows, and the next
// chunk may begin with the CRLF (an empty line). ok is false for a line
// that does not fit: no byte is made up nor cut.
func (m Model) addChunkLine(line string) (_ Model, ok bool) {
	left := m.chunkLeft()
	switch n := int64(len(line)); {
	case n+2 <= left:
		m.chunk.data = append(append(m.chunk.data, line...), '\r', '\n')
	case n == left:
		m.chunk.data = append(m.chunk.data, line...)
	default:
		return m, false
	}
	return m, true
}

// refuseChunkLine puts back in the input a line too long for the chunk
// and says how many octets are left; a paste stops there.
func (m Model) refuseChunkLine(line string, after int, pasted bool) Model {
	if pasted && m.input.Value() != "" {
		after++ // the paste's unfinished last line, which the refused one replaces
	}
	m.input = m.input.setValue(line)
	text := fmt.Sprintf("not added: %d bytes with CRLF, %d left; a line of exactly %d ends it, no CRLF",
		len(line)+2, m.chunkLeft(), m.chunkLeft())
	if after > 0 {
		text += fmt.Sprintf("; %d pasted lines after it not sent", after)
	}
	m.flash = errorFlash(text)
	return m
}

// takeChunk ends the chunk being typed and makes it an outbox item: its
// line, CRLF and octets, for one write.
func (m *Model) takeChunk(pasted bool) outItem {
	c := m.chunk
	m.chunk = handChunk{}
	buf := make([]byte, 0, len(c.line)+2+len(c.data))
	buf = append(append(append(buf, c.line...), '\r', '\n'), c.data...)
	text := fmt.Sprintf("%s and its %d bytes go in one write; its reply comes next", session.SanitizeString(c.line), len(c.data))
	if len(c.data) > 0 && !bytes.HasSuffix(c.data, []byte("\r\n")) {
		text += "; its last line filled it and went without its CRLF"
		if !lastChunk(c.line) {
			text += " (an empty line in the next chunk sends it)"
		}
	}
	m.flash = infoFlash(text)
	return outItem{line: c.line, chunk: buf, head: len(c.line) + 2, pipelined: pasted}
}

// cancelChunk drops the chunk being typed (Esc): nothing of it was sent.
func (m Model) cancelChunk() Model {
	text := session.SanitizeString(m.chunk.line) + " dropped: nothing was sent"
	if n := len(m.chunk.data); n > 0 {
		text += fmt.Sprintf(", and the %d bytes typed for it are gone", n)
	}
	m.flash = infoFlash(text)
	m.chunk = handChunk{}
	m.input = m.input.clear()
	return m
}

// sendChunk writes a chunk, its line and octets in one write, recorded in
// full so that a saved script replays it byte for byte. The reply to the
// last chunk is the message's, and may take as long as the one to "."
// (RFC 5321 4.5.3.2.6): --data-timeout.
// In LMTP the last chunk, as the final "." does, gets one reply per
// recipient accepted, in RCPT order (RFC 2033 4.2; Dovecot's LMTP offers
// CHUNKING and answers so): one pending each, named.
func (m Model) sendChunk(item outItem) (Model, tea.Cmd) {
	p := pending{kind: kindCommand, line: item.line, barrier: true, timeout: m.timeout()}
	req := writeReq{line: item.line, chunk: item.chunk, head: item.head}
	if !lastChunk(item.line) {
		return m.expect(p).write(req, 1)
	}
	p.timeout = m.opts.DataWait()
	rcpts := m.effective().Rcpts
	if !m.opts.LMTP || len(rcpts) == 0 {
		return m.expect(p).write(req, 1)
	}
	for i, rcpt := range rcpts {
		p.rcpt = rcpt
		if i > 0 {
			p.kind = kindDelivery
		}
		m = m.expect(p)
	}
	return m.write(req, len(rcpts))
}

// lastChunk reports a "BDAT n LAST" line.
func lastChunk(line string) bool {
	_, last, err := session.ParseBdat(line)
	return err == nil && last
}

// endsMessage reports a command whose reply is the message's: the final
// "." or the last chunk. Without a reply to it, the message may still be
// delivered.
func endsMessage(p pending) bool {
	return p.kind == kindDataEnd || p.kind == kindCommand && lastChunk(p.line)
}

// isChunk reports a pending BDAT.
func isChunk(p pending) bool {
	return p.kind == kindCommand && session.Verb(p.line) == "BDAT"
}

// chunkReplied reports the reply to a chunk. After a refusal, no other
// chunk may follow, and the transaction's state is unknown until RSET
// (RFC 3030 section 2): the chunks queued are dropped.
func (m Model) chunkReplied(p pending, r session.Reply) Model {
	text := session.SanitizeString(r.Text())
	switch {
	case lastChunk(p.line):
		m.flash = dataEndFlash(r, m.w)
	case r.OK():
		m.flash = okFlash(fmt.Sprintf("chunk taken (%d): %s", r.Code, text))
		if !m.chunkQueued() {
			m.flash.text += "; BDAT n [LAST] sends the next"
		}
	default:
		m.flash = errorFlash(fmt.Sprintf("chunk refused (%d): %s; no chunk may follow, and RSET clears the transaction (RFC 3030 section 2)", r.Code, text))
	}
	if r.OK() {
		return m
	}
	n := 0
	for m.outbox.len() > 0 && m.outbox.front().chunk != nil {
		m.outbox.pop()
		n++
	}
	if n > 0 {
		m.flash.text += fmt.Sprintf("; %d queued chunks not sent", n)
	}
	return m
}

// chunkQueued reports a chunk next in the outbox.
func (m Model) chunkQueued() bool {
	return m.outbox.len() > 0 && m.outbox.front().chunk != nil
}

// chunkPlaceholder is the input's placeholder while a chunk is typed.
const chunkPlaceholder = "Subject: hello   (CRLF counted; esc drops the chunk)"

// chunkPrompt is the prompt while a chunk is typed: its count so far.
func (m Model) chunkPrompt() string {
	return fmt.Sprintf("chunk %d/%d › ", len(m.chunk.data), m.chunk.size)
}

// chunkStatus is the status line's count of the chunk being typed, with
// what the line in the input would make it.
func (m Model) chunkStatus() string {
	if !m.drafting() {
		return ""
	}
	text := fmt.Sprintf("  chunk: %d of %d bytes", len(m.chunk.data), m.chunk.size)
	if v := m.input.Value(); v != "" {
		switch n := int64(len(v)); {
		case n+2 <= m.chunkLeft():
			text += fmt.Sprintf(" (%d with this line)", int64(len(m.chunk.data))+n+2)
		case n == m.chunkLeft():
			text += " (this line fills it, without its CRLF)"
		default:
			text += fmt.Sprintf(" (this line is %d too long)", n+2-m.chunkLeft())
		}
	}
	return m.st.StatusBar.Render(text)
}

// capUse says how to use a capability in the explorer when typing its
// command is not all: CHUNKING's BDAT, whose octets follow its line.
func capUse(keyword string) string {
	if keyword != "CHUNKING" {
		return ""
	}
	return "Here: type BDAT n [LAST], then lines making n bytes (CRLF counted), sent with it in one write; or :bdat"
}
