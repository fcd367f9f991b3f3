package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/wire"
)

// writeJSON writes v as indented JSON, the form of every command's --json.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
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
