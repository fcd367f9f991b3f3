package ui

import (
	"errors"
	"io/fs"
	"strings"
	"sync"

	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/client"
)

// This file keeps the command history across runs: read once at start and
// written after each new line, both in commands, through client's private
// file helpers (0600, a symbolic link never followed). The file holds
// what the history holds, which is never a secret (inputBox.remember's
// callers see to that); what is read back is checked again.

// historyFile is the history's file, shared by the copies of the model
// (like the --transcript sink): it orders the writes, so that a slower
// older snapshot never lands after a newer one.
type historyFile struct {
	path    string
	mu      sync.Mutex // held while writing
	written int        // the latest snapshot written

	snap   sync.Mutex // held while taking or reading the latest snapshot
	latest int        // the latest snapshot taken
	lines  []string   // its lines
}

// take records snapshot seq of the history, for the next write. It does
// no I/O and never waits for a write, so Update may call it.
func (h *historyFile) take(seq int, lines []string) {
	h.snap.Lock()
	defer h.snap.Unlock()
	if seq > h.latest {
		h.latest, h.lines = seq, lines
	}
}

// flush writes the latest snapshot taken, unless it was written already
// (by a later command or an earlier flush). When it returns no write of a
// snapshot taken before it is under way, or still to come.
func (h *historyFile) flush() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.snap.Lock()
	seq, lines := h.latest, h.lines
	h.snap.Unlock()
	if seq <= h.written {
		return nil
	}
	h.written = seq
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return client.ReplacePrivate(h.path, []byte(b.String()))
}

// historyLoadedMsg carries the lines read at start.
type historyLoadedMsg struct {
	lines []string
	err   error
}

// historySavedMsg reports a write that failed.
type historySavedMsg struct{ err error }

// historyLimit bounds what is read: maxHistory lines of at most inputLimit
// runes.
const historyLimit = maxHistory * inputLimit * 4

// loadHistoryCmd reads the history file; a missing one is an empty history.
func loadHistoryCmd(h *historyFile) tea.Cmd {
	return func() tea.Msg {
		b, err := client.ReadPrivate(h.path, historyLimit)
		if errors.Is(err, fs.ErrNotExist) {
			return historyLoadedMsg{}
		}
		return historyLoadedMsg{lines: parseHistory(string(b)), err: err}
	}
}

// saveHistoryCmd writes the latest snapshot of the history, unless a
// later command or Model.Close wrote it already.
func saveHistoryCmd(h *historyFile) tea.Cmd {
	return func() tea.Msg {
		if err := h.flush(); err != nil {
			return historySavedMsg{err: err}
		}
		return nil
	}
}

// parseHistory reads the file's lines, keeping those a history may hold:
// printable, no placeholder of a credential, an AUTH line with its
// credential in its recall form; the last maxHistory.
func parseHistory(text string) []string {
	var out []string
	for l := range strings.SplitSeq(text, "\n") {
		l = printable(strings.TrimSuffix(l, "\r"))
		if l == "" || isPlaceholder(l) || strings.HasPrefix(l, ":b64") || strings.HasPrefix(l, ":unb64") {
			continue
		}
		out = append(out, recallForm(l))
	}
	return out[max(len(out)-maxHistory, 0):]
}

// historyLoaded puts the lines read before those typed since the start.
func (m Model) historyLoaded(msg historyLoadedMsg) Model {
	if msg.err != nil {
		m.flash = warnFlash("history not read: " + msg.err.Error())
		return m
	}
	m.input = m.input.preload(msg.lines)
	m.histSaved = m.input.changes
	return m
}

// saveHistory writes the history when a line joined it.
func (m *Model) saveHistory() tea.Cmd {
	if m.hist == nil || m.input.changes == m.histSaved {
		return nil
	}
	m.histSaved = m.input.changes
	m.hist.take(m.histSaved, append([]string(nil), m.input.history...))
	return saveHistoryCmd(m.hist)
}
