package ui

import (
	"fmt"
	"io"
	"os"
	"strings"

	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/session"
)

// maxComposeFile bounds a message loaded into the editor with
// ":compose @FILE"; send --data streams bigger ones.
const maxComposeFile = 4 << 20

// composeFileMsg carries a prepared message read for ":compose @FILE".
type composeFileMsg struct {
	gen  int
	path string
	text string
	err  error
}

// cmdComposeFile reads a prepared RFC 5322 message into the editor, as
// send --data sends one: the user reviews it and sends it with F10 or
// :send, which make its line endings CRLF and dot-stuff it.
func (m Model) cmdComposeFile(path string) (Model, tea.Cmd) {
	if path == "" {
		m.flash = errorFlash("usage: :compose @FILE")
		return m, nil
	}
	gen := m.conn.gen
	return m, func() tea.Msg {
		text, err := readComposeFile(path)
		return composeFileMsg{gen: gen, path: path, text: text, err: err}
	}
}

func readComposeFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxComposeFile+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxComposeFile {
		return "", fmt.Errorf("over %d MiB: ehlo send --data @FILE sends it, streamed", maxComposeFile>>20)
	}
	return string(b), nil
}

// composeFileLoaded opens the editor on the file's message.
func (m Model) composeFileLoaded(msg composeFileMsg) Model {
	name := session.SanitizeString(msg.path)
	switch {
	case msg.gen != m.conn.gen:
		return m
	case msg.err != nil:
		m.flash = errorFlash(fmt.Sprintf(":compose @%s: %s", name, session.SanitizeString(msg.err.Error())))
		return m
	case !m.inData():
		m.flash = errorFlash(":compose works in DATA mode: MAIL FROM, RCPT TO, then DATA, and wait for 354")
		return m
	}
	m.compose = m.compose.startWith(msg.text)
	lines := strings.Count(msg.text, "\n")
	m.flash = infoFlash(fmt.Sprintf("%s: %d lines loaded; F10 or :send sends them (CRLF line endings, dot-stuffed), esc keeps them", name, lines))
	return m
}

// startWith opens the editor on text, a prepared message.
func (c composer) startWith(text string) composer {
	c.chunkSize, c.queue, c.draft, c.template = 0, false, "", ""
	c.ta.SetValue(text)
	c.ta.MoveToBegin()
	c.open, c.note = true, ""
	return c
}
