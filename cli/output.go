package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	xterm "github.com/charmbracelet/x/term"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/wire"
)

// writeJSON writes v as indented JSON, the form of every command's --json.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// toldOnScreen says whether a report written to out is already on the
// screen where errOut would print: both are the same terminal. A command
// then leaves its one-line error off errOut, which would only repeat the
// report's; when either is redirected, errOut says it too.
func toldOnScreen(out, errOut io.Writer) bool {
	o, ok1 := out.(*os.File)
	e, ok2 := errOut.(*os.File)
	if !ok1 || !ok2 || !xterm.IsTerminal(o.Fd()) || !xterm.IsTerminal(e.Fd()) {
		return false
	}
	oi, err1 := o.Stat()
	ei, err2 := e.Stat()
	return err1 == nil && err2 == nil && os.SameFile(oi, ei)
}

// followTranscript prints entries as they are recorded, message data cut
// after 40 lines, to out when show and to the file path when given.
func followTranscript(tr *wire.Transcript, out io.Writer, path string, show bool) (stop func(), err error) {
	var cancels []func()
	stop = func() {
		for _, c := range cancels {
			c()
		}
	}
	if show {
		el := &client.DataElider{Max: 40}
		cancels = append(cancels, tr.Subscribe(func(e wire.Entry) {
			_ = client.WriteTranscript(out, el.Filter(e), client.TranscriptFormat{})
		}))
	}
	if path != "" {
		file, err := client.OpenPrivate(path, os.O_TRUNC)
		if err != nil {
			return stop, fmt.Errorf("transcript file: %w", err)
		}
		el := &client.DataElider{Max: 40}
		cancels = append(cancels, tr.Subscribe(func(e wire.Entry) {
			_ = client.WriteTranscript(file, el.Filter(e), client.TranscriptFormat{Times: true})
		}), func() { file.Close() })
	}
	return stop, nil
}
