package client

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/internal/hostile"
	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// FuzzPrintedOutput feeds arbitrary server bytes to everything the CLI
// prints from them: text transcripts, JSON entries, and the errors that
// quote server bytes (framing, close, injection, plaintext answer), through
// Explain. Nothing may carry a control, C1 or bidi character, a transcript
// line must read back (session.Unescape) to exactly the bytes, and one
// entry makes one line.
func FuzzPrintedOutput(f *testing.F) {
	for _, s := range []string{
		"220 mx \x1b]52;c;ZXZpbA==\x07\r\n", "250 OK\r", "550 no\r250 OK\r\n", "\u009b2J\u202e\r\n",
		"\x00\xff\xfe\r\n", "abc", "\n", "",
	} {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(7))
	}
	f.Fuzz(func(t *testing.T, data []byte, flags uint8) {
		e := wire.Entry{Time: time.Unix(0, 0), Dir: wire.Dir(1 + flags%3), TLS: flags&4 != 0, Data: data,
			Partial: !bytes.HasSuffix(data, []byte("\n"))}
		if flags&8 != 0 && e.Dir == wire.Client {
			e.Secret, e.Shown = true, string(data)
		}
		var out bytes.Buffer
		if err := WriteTranscript(&out, []wire.Entry{e}, TranscriptFormat{Times: flags&16 != 0}); err != nil {
			t.Fatal(err)
		}
		printed := out.String()
		if err := hostile.TerminalErr(printed); err != nil {
			t.Fatalf("transcript line: %v", err)
		}
		if strings.Count(printed, "\n") != 1 || !strings.HasSuffix(printed, "\n") {
			t.Fatalf("one entry printed as %q", printed)
		}
		text := EntryText(e, false)
		back, err := session.Unescape(text)
		want, _ := SplitEnding(data)
		if e.Dir == wire.Note {
			want = data
		}
		if err != nil || !e.Secret && !bytes.Equal(back, want) {
			t.Fatalf("entry text %q reads back as %q, %v; want %q", text, back, err, want)
		}
		js, err := json.Marshal(entryJSON(e))
		if err != nil {
			t.Fatal(err)
		}
		var decoded EntryJSON
		if err := json.Unmarshal(js, &decoded); err != nil || hostile.TerminalErr(decoded.Text) != nil {
			t.Fatalf("JSON entry %s: %v", js, err)
		}
		for _, err := range []error{
			&wire.ProtocolError{Msg: "reply line does not start with a three-digit code", Bytes: data},
			&wire.ClosedError{Partial: data},
			&wire.InjectionError{Bytes: data},
			&wire.PlaintextError{Bytes: data},
			&StepError{Step: StepGreeting, Err: &wire.ClosedError{Partial: data}},
		} {
			for _, s := range []string{Explain(err), err.Error()} {
				if err := hostile.TerminalErr(s); err != nil {
					t.Fatalf("error message %q: %v", s, err)
				}
			}
		}
	})
}
