package ui

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/session"
)

// This file is :bdat: a message written in the editor, sent with BDAT
// instead of DATA (RFC 3030), cut into chunks by client.ChunkWriter. Each
// chunk is an outbox item of its own, as a chunk typed by hand is
// (bdat.go), so each reply is read, shown and applied before the next
// chunk goes.

// bdatUsage is :bdat's.
const bdatUsage = "usage: :bdat [SIZE]: write a message in the editor and send it with BDAT, in chunks of SIZE bytes (1 MiB if not given)"

// cmdBdat opens the editor for a message to send with BDAT instead of
// DATA: F10 sends it in chunks of SIZE octets, each with its reply.
func (m Model) cmdBdat(arg string) (Model, tea.Cmd) {
	size := client.DefaultChunkSize
	if arg != "" {
		n, err := strconv.Atoi(arg)
		if err != nil || n < 1 {
			m.flash = errorFlash(bdatUsage)
			return m, nil
		}
		size = n
	}
	switch {
	case m.conn.phase != phaseOpen:
		m.flash = errorFlash("not connected — :reconnect, or :connect HOST[:PORT]")
		return m, nil
	case m.dataAhead():
		m.flash = errorFlash(":bdat sends a message instead of DATA; in DATA mode, a lone . ends the message (:compose is its editor)")
		return m, nil
	case m.drafting():
		m.flash = errorFlash("a BDAT chunk is being typed: finish its bytes, or esc drops it")
		return m, nil
	}
	m.compose = m.compose.start(m.sess, m.helo(), m.lastSent("MAIL"), m.now())
	m.compose.chunkSize = size
	m.flash = infoFlash(fmt.Sprintf("the message goes with BDAT in chunks of up to %s (F10); no dot-stuffing, no final \".\"", session.HumanSize(int64(size))))
	if ws := m.effective().Check(session.Bdat(1, true)); len(ws) > 0 {
		texts := make([]string, 0, len(ws))
		for _, w := range ws {
			if w.Code != "pipelining" && w.Code != "before-greeting" {
				texts = append(texts, w.Text)
			}
		}
		if len(texts) > 0 {
			m.flash = warnFlash(strings.Join(texts, "; "))
		}
	}
	return m, nil
}

// composeChunksKey is F10 (or :send, again) and Esc in the editor that
// :bdat opened.
func (m Model) composeChunksKey(submit bool, again string) (Model, tea.Cmd) {
	if !submit {
		m.compose.open, m.compose.draft = false, m.compose.Value()
		m.flash = infoFlash("editor closed, nothing sent; :bdat reopens the draft")
		return m, nil
	}
	raw := crlfMessage(m.compose.Value())
	if w := composeWarnings(raw, m.lastSent("MAIL")); len(w) > 0 && !m.compose.warned {
		m.compose.warned = true
		m.flash = warnFlash(strings.Join(w, "; ") + ": a server may refuse it. " + again + " again sends it anyway")
		return m, nil
	}
	m.compose.open, m.compose.warned, m.compose.draft = false, false, ""
	items := cutChunks(raw, m.compose.chunkSize)
	m.flash = infoFlash(fmt.Sprintf("sending the message with BDAT: %d bytes in %d chunks, CRLF line endings, nothing dot-stuffed; each chunk waits for the reply to the one before",
		len(raw), len(items)))
	return m.enqueue(items...)
}

// crlfMessage is the editor's text as a message's octets for BDAT: every
// line ending CRLF (RFC 5321 2.3.8), the last line ended, and nothing
// dot-stuffed (RFC 3030 counts octets instead).
func crlfMessage(text string) []byte {
	var b bytes.Buffer
	w := session.NewCRLFWriter(&b)
	_, _ = io.WriteString(w, text) // a bytes.Buffer takes all
	_ = w.Close()
	return b.Bytes()
}

// cutChunks cuts raw into chunks of size octets at most with
// client.ChunkWriter, the last "BDAT n LAST": one outbox item each.
func cutChunks(raw []byte, size int) []outItem {
	cut := &chunkCut{}
	w := client.NewChunkWriter(context.Background(), cut, client.ChunkOptions{Size: min(size, max(len(raw), 1)), Record: -1})
	_, _ = w.Write(raw) // chunkCut never fails
	_ = w.Close()
	return cut.items
}

// chunkCut is a client.ChunkConn that keeps each chunk, to be sent when
// its turn comes, so that each reply is read and shown before the next
// chunk goes. Nothing is written here: this runs in Update.
type chunkCut struct{ items []outItem }

func (c *chunkCut) WriteChunk(_ context.Context, p []byte, head, _ int) error {
	c.items = append(c.items, outItem{line: string(p[:head-2]), chunk: bytes.Clone(p), head: head})
	return nil
}

func (c *chunkCut) Note(string) {} // only for octets not recorded: Record -1 records all
