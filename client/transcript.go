package client

import (
	"bytes"
	"fmt"
	"io"
	"time"

	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// SplitEnding separates a line's content from its ending. A CRLF ending is
// dropped (it is the norm); a bare LF is kept in the content so the
// sanitizer shows it; partial reports a line with no ending at all.
func SplitEnding(data []byte) (content []byte, partial bool) {
	if c, ok := bytes.CutSuffix(data, []byte("\r\n")); ok {
		return c, false
	}
	return data, !bytes.HasSuffix(data, []byte("\n"))
}

// EntryText is the sanitized text of one entry, without its CRLF. Secret
// entries show their redacted form unless reveal is set.
func EntryText(e wire.Entry, reveal bool) string {
	if e.Secret && !reveal {
		return session.SanitizeString(e.Shown)
	}
	if e.Dir == wire.Note || e.Dir == wire.DNS {
		return session.Sanitize(e.Data)
	}
	content, _ := SplitEnding(e.Data)
	return session.Sanitize(content)
}

// Marker is the prefix of an entry in text transcripts: "C:" and "S:" in
// plaintext, "C~" and "S~" inside TLS, "*" for notes, "D:" for DNS.
func Marker(e wire.Entry) string {
	switch {
	case e.Dir == wire.Note:
		return "* "
	case e.Dir == wire.DNS:
		return "D:"
	case e.TLS:
		return e.Dir.String() + "~"
	}
	return e.Dir.String() + ":"
}

// TranscriptFormat chooses what WriteTranscript adds to each line.
type TranscriptFormat struct {
	Times bool // prefix a time stamp
}

// WriteTranscript prints entries as C:/S:/D: lines, redacted and sanitized.
func WriteTranscript(w io.Writer, entries []wire.Entry, f TranscriptFormat) error {
	for _, e := range entries {
		line := Marker(e) + " " + EntryText(e, false)
		if e.Partial && e.Dir != wire.Note {
			line += "  (no line ending)"
		}
		if f.Times {
			line = e.Time.Format(time.TimeOnly+".000") + " " + line
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
	}
	return nil
}
