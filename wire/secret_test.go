package wire

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

const (
	plainLine = "AUTH PLAIN AGFsaWNlAHNlY3JldDEyMw==" // \0alice\0secret123
	plainB64  = "AGFsaWNlAHNlY3JldDEyMw=="
)

// TestHideEcho: a server that repeats the credential it got. The reply's
// lines and the transcript show it redacted; the transcript's bytes stay
// exactly what came.
func TestHideEcho(t *testing.T) {
	echo := "535-5.7.8 bad credentials " + plainB64 + "\r\n535 5.7.8 password secret123 (" + plainLine + ")\r\n"
	c, _ := replyConn(echo+"221 secret123\r\n", Options{})
	if err := c.WriteSecretLine(ctx, plainLine, `AUTH PLAIN <redacted user="alice">`, plainB64, "secret123"); err != nil {
		t.Fatal(err)
	}
	r, err := c.ReadReply(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"535-5.7.8 bad credentials <redacted>", "535 5.7.8 password <redacted> (<redacted>)"}
	if strings.Join(r.Lines, "|") != strings.Join(want, "|") {
		t.Errorf("lines %q, want %q", r.Lines, want)
	}
	if string(r.Raw) != echo {
		t.Errorf("Raw %q, want the bytes as received", r.Raw)
	}
	const wantTr = `C  ! "AUTH PLAIN AGFsaWNlAHNlY3JldDEyMw==\r\n" shown "AUTH PLAIN <redacted user=\"alice\">"
S  ! "535-5.7.8 bad credentials AGFsaWNlAHNlY3JldDEyMw==\r\n" shown "535-5.7.8 bad credentials <redacted>"
S  ! "535 5.7.8 password secret123 (AUTH PLAIN AGFsaWNlAHNlY3JldDEyMw==)\r\n" shown "535 5.7.8 password <redacted> (<redacted>)"
S  ! "221 secret123\r\n" shown "221 <redacted>"
`
	if got := render(c.Transcript().Entries()); got != wantTr {
		t.Errorf("transcript:\n%s\nwant:\n%s", got, wantTr)
	}
	// later replies too, and notes
	if r, _ := c.ReadReply(ctx); r.Lines[0] != "221 <redacted>" {
		t.Errorf("later reply %q", r.Lines)
	}
	c.Note("the server said secret123")
	es := c.Transcript().Entries()
	if e := es[len(es)-1]; !e.Secret || e.Shown != "the server said <redacted>" {
		t.Errorf("note %+v", e)
	}
}

// TestRedact: overlapping secrets merge into one mark; a reply's code is
// kept; base64 that decodes to a secret is hidden whole; short secrets are
// ignored.
func TestRedact(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString
	raw := base64.RawStdEncoding.EncodeToString
	tr := NewTranscript()
	tr.Hide("hunter22", "22xyz", "abc", "*")
	for _, tt := range []struct{ in, want string }{
		{"no secret here", "no secret here"},
		{"535 hunter22", "535 <redacted>"},
		{"535 hunter22xyz!", "535 <redacted>!"},                        // overlapping, merged
		{"535 hunter22 and hunter22", "535 <redacted> and <redacted>"}, // each one
		{"334 " + b64([]byte("pw=hunter22;")), "334 <redacted>"},       // encoded, padded
		{"334 (" + raw([]byte("xhunter22")) + ")", "334 (<redacted>)"}, // encoded, unpadded, in punctuation
		{"250 abc * ok", "250 abc * ok"},                               // under MinSecret
		{"334 " + b64([]byte("nothing")), "334 " + b64([]byte("nothing"))},
	} {
		got, changed := tr.Redact([]byte(tt.in))
		if string(got) != tt.want || changed != (tt.in != tt.want) {
			t.Errorf("Redact(%q) = %q, %v; want %q", tt.in, got, changed, tt.want)
		}
	}
	r := tr.redactReply(Reply{Lines: []string{"hunter22 x"}})
	if r.Lines[0] != "hunt<redacted> x" {
		t.Errorf("reply line %q: its first four bytes (code and separator) must stay", r.Lines[0])
	}
}

// TestHideSecretAcrossEntries: a line longer than an entry, with the
// secret where the entry would be cut: the cut moves so the secret is
// whole in one entry, and shown redacted. Every byte is kept.
func TestHideSecretAcrossEntries(t *testing.T) {
	for _, at := range []int{maxEntry - 3, maxEntry - 10, maxEntry - 1, maxEntry} {
		tr := NewTranscript()
		tr.Hide("0123456789abcdef")
		rec := newRecorder(tr, Server)
		line := strings.Repeat("x", at) + "0123456789abcdef" + strings.Repeat("y", 100) + "\r\n"
		rec.record([]byte(line))
		rec.flush()
		if got := tr.Bytes(Server); string(got) != line {
			t.Fatalf("at %d: bytes not kept", at)
		}
		var shown strings.Builder
		for _, e := range tr.Entries() {
			if len(e.Data) > maxEntry {
				t.Errorf("at %d: entry of %d bytes", at, len(e.Data))
			}
			if e.Secret {
				shown.WriteString(e.Shown)
			} else {
				shown.Write(bytes.TrimSuffix(e.Data, []byte("\r\n")))
			}
		}
		if strings.Contains(shown.String(), "0123") || strings.Contains(shown.String(), "cdef") || !strings.Contains(shown.String(), Redacted) {
			t.Errorf("at %d: the secret shows, or a piece of it: %q", at, shown.String()[max(0, at-20):at+40])
		}
	}
}

// TestHideErrors: the server bytes an error quotes are redacted; the
// transcript keeps them.
func TestHideErrors(t *testing.T) {
	c, _ := replyConn("535-secret123 is wrong\r\n", Options{})
	c.Transcript().Hide("secret123")
	_, err := c.ReadReply(ctx)
	var ce *ClosedError
	if !errors.As(err, &ce) || strings.Contains(err.Error(), "secret123") || !strings.Contains(err.Error(), Redacted) {
		t.Errorf("error %v: want a ClosedError quoting the line redacted", err)
	}
	if !bytes.Contains(c.Transcript().Bytes(Server), []byte("secret123")) {
		t.Error("the transcript lost the bytes")
	}
	c, _ = replyConn("535 no\r\n250 secret123\r\n", Options{})
	c.Transcript().Hide("secret123")
	if _, err := c.ReadReply(ctx); err != nil {
		t.Fatal(err)
	}
	err = c.CheckIdle(ctx)
	var de *DesyncError
	if !errors.As(err, &de) || strings.Contains(err.Error(), "secret123") || !strings.Contains(err.Error(), Redacted) {
		t.Errorf("error %v: want a DesyncError quoting the bytes redacted", err)
	}
	c, _ = replyConn("secret123\r\n", Options{})
	c.Transcript().Hide("secret123")
	_, err = c.ReadReply(ctx)
	var pe *ProtocolError
	if !errors.As(err, &pe) || strings.Contains(err.Error(), "secret123") {
		t.Errorf("error %v: want a ProtocolError quoting the line redacted", err)
	}
}
