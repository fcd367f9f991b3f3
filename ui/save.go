package ui

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/wire"
)

// savedMsg reports a finished :save.
type savedMsg struct {
	path string
	n    int
	err  error
}

// cmdSave writes the transcript to FILE, or to a new file named
// ehlo-YYYYMMDD-HHMMSS.txt.
func (m Model) cmdSave(arg string) (Model, tea.Cmd) {
	if rest, ok := strings.CutPrefix(arg, "--script"); ok {
		return m.cmdSaveScript(rest) // script.go
	}
	out := saveTarget{path: arg}
	if arg == "" {
		out = m.defaultSave(".txt")
	}
	m.flash = infoFlash(m.w.F("saving %s…", out.path))
	return m, saveCmd(m.tr, out)
}

// saveTarget is where :save writes: a file the user named, or a default
// name, created anew.
type saveTarget struct {
	path  string
	fresh bool // a default name: create a new file, another name if it is taken
}

// defaultSave is the default file of :save, ehlo-YYYYMMDD-HHMMSS.EXT in the
// current directory. Anyone can guess that name, so it is never opened if
// it exists (client.CreatePrivate).
func (m Model) defaultSave(ext string) saveTarget {
	return saveTarget{path: "ehlo-" + m.now().Format("20060102-150405") + ext, fresh: true}
}

// open opens the file, as client.OpenPrivate or, for a default name,
// client.CreatePrivate, and returns it with its name.
func (s saveTarget) open() (*os.File, string, error) {
	if s.fresh {
		return client.CreatePrivate(s.path)
	}
	f, err := client.OpenPrivate(s.path, os.O_TRUNC)
	return f, s.path, err
}

// saveCmd writes every entry recorded so far.
func saveCmd(t *wire.Transcript, out saveTarget) tea.Cmd {
	return func() tea.Msg {
		entries := t.Entries()
		path, err := saveTranscript(out, entries)
		return savedMsg{path: path, n: len(entries), err: err}
	}
}

// saveTranscript writes entries to a file only the user may read (SAFETY.md:
// transcript files) and returns its name. A .jsonl path gets one JSON
// object per entry; anything else the text format of client.WriteTranscript
// with times. Both are sanitized and redacted: a secret entry carries only
// its shown form.
func saveTranscript(out saveTarget, entries []wire.Entry) (string, error) {
	f, path, err := out.open()
	if err != nil {
		return path, err
	}
	if strings.EqualFold(filepath.Ext(path), ".jsonl") {
		err = writeJSONL(f, entries)
	} else {
		err = client.WriteTranscript(f, entries, client.TranscriptFormat{Times: true})
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return path, err
}

// writeJSONL writes one client.EntryJSON per line: time (RFC 3339, UTC,
// nanoseconds), dir ("C", "S", "*" for ehlo's notes, "D" for DNS), tls,
// and text. The text is the sanitized form (SAFETY.md: lossless, so every
// byte that crossed the wire can be recovered with session.Unescape)
// without the CRLF; a line that did not end in CRLF keeps its visible \n, and "partial"
// marks one with no ending at all. Secrets carry their redacted form only.
func writeJSONL(w io.Writer, entries []wire.Entry) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // "<redacted>" stays readable
	for _, e := range entries {
		if err := enc.Encode(client.EntryJSON{
			Time: e.Time.UTC().Format(time.RFC3339Nano), Dir: e.Dir.String(), TLS: e.TLS,
			Text: client.EntryText(e, false), Partial: e.Partial,
		}); err != nil {
			return err
		}
	}
	return nil
}

// saved reports the end of a :save.
func (m Model) saved(msg savedMsg) (Model, tea.Cmd) {
	if msg.err != nil {
		m.flash = errorFlash(m.w.T("save failed: ") + client.Explain(msg.err))
		return m, nil
	}
	m.flash = okFlash(m.w.F("saved %d lines to %s (mode 0600, credentials redacted)", msg.n, msg.path))
	return m, nil
}

// fileSink appends each transcript entry to the --transcript file as it is
// recorded, so nothing is lost if the terminal dies. It runs on the
// goroutine that records the entry (a command's), never in Update.
type fileSink struct {
	mu  sync.Mutex
	f   *os.File
	err error
}

// openSink opens path for appending, creating it with mode 0600.
func openSink(path string) (*fileSink, error) {
	f, err := client.OpenPrivate(path, os.O_APPEND)
	if err != nil {
		return nil, fmt.Errorf("transcript file: %w", err)
	}
	return &fileSink{f: f}, nil
}

// write appends one entry, redacted, in client's text format with times.
func (s *fileSink) write(e wire.Entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil && s.f != nil {
		s.err = client.WriteTranscript(s.f, []wire.Entry{e}, client.TranscriptFormat{Times: true})
	}
}

// Close closes the file.
func (s *fileSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return s.err
	}
	err := s.f.Close()
	s.f = nil
	return err
}
