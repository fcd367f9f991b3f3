package hostile

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"go.uber.org/goleak"
)

// CheckLeaks fails the test if goroutines started after this call are
// still running when the test ends (goleak retries for a while, so a
// goroutine on its way out is not counted). Call it first, so that its
// check runs after every other cleanup. ignore names functions whose
// goroutines a test library leaves behind on purpose, such as teatest's
// SIGINT waiter.
func CheckLeaks(t testing.TB, ignore ...string) {
	t.Helper()
	opts := []goleak.Option{goleak.IgnoreCurrent()}
	for _, f := range ignore {
		opts = append(opts, goleak.IgnoreTopFunction(f))
	}
	t.Cleanup(func() {
		if err := goleak.Find(opts...); err != nil {
			t.Errorf("goroutine leak: %v", err)
		}
	})
}

// Unsafe reports why r must not reach a terminal from a server, or "": C0
// controls other than LF (ESC and CR among them), DEL, C1 controls
// (U+0080-U+009F), bidi controls (U+202A-U+202E, U+2066-U+2069, U+200E,
// U+200F, U+061C).
func Unsafe(r rune) string {
	switch {
	case r == 0x1b:
		return "ESC"
	case r == '\r':
		return "CR"
	case r < 0x20 && r != '\n', r == 0x7f:
		return "C0 control"
	case r >= 0x80 && r <= 0x9f:
		return "C1 control"
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return "bidi control"
	}
	return ""
}

// Terminal fails the test when out, printed or rendered text with no
// styling, holds anything Unsafe, or invalid UTF-8.
func Terminal(t testing.TB, what, out string) {
	t.Helper()
	if err := TerminalErr(out); err != nil {
		t.Errorf("%s: %v", what, err)
	}
}

// TerminalErr is Terminal's check, for callers off the test's goroutine.
func TerminalErr(out string) error {
	for i, r := range out {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(out[i:]); size == 1 {
				return fmt.Errorf("invalid UTF-8 at byte %d: %s", i, around(out, i))
			}
		}
		if why := Unsafe(r); why != "" {
			return fmt.Errorf("%s (%U) at byte %d: %s", why, r, i, around(out, i))
		}
	}
	return nil
}

// sgr matches one Select Graphic Rendition sequence, the only escape
// sequence our own styling emits.
var sgr = regexp.MustCompile(`\x1b\[[0-9;:]*m`)

// View fails the test when a rendered view holds an escape sequence that
// is not SGR styling (an OSC such as a title, a clipboard write or a link;
// a screen clear; a cursor move) or, once SGR is removed, anything Unsafe.
// It returns the view without styling.
func View(t testing.TB, what, view string) string {
	t.Helper()
	plain, err := ViewErr(view)
	if err != nil {
		t.Errorf("%s: %v", what, err)
	}
	return plain
}

// ViewErr is View's check, for callers off the test's goroutine.
func ViewErr(view string) (plain string, err error) {
	for _, bad := range []string{"\x1b]", "\x1b[2J", "\x1bP", "\x1b_", "\x1b^", "\x1bc", "\u009b", "\u009d"} {
		if i := strings.Index(view, bad); i >= 0 {
			return "", fmt.Errorf("escape sequence %q in the view: %s", bad, around(view, i))
		}
	}
	plain = sgr.ReplaceAllString(view, "")
	if err := TerminalErr(plain); err != nil {
		return plain, fmt.Errorf("with SGR removed: %w", err)
	}
	return plain, nil
}

// around quotes the text near byte i.
func around(s string, i int) string {
	from, to := max(i-40, 0), min(i+40, len(s))
	return fmt.Sprintf("%q", s[from:to])
}

// Secrets are the forms of a credential that must never appear in any
// output: the secret itself, its hex, the base64 of the secret and of every
// SASL message that carries it, and every 8-character piece of those base64
// strings (so a secret cut short or offset is caught too).
type Secrets struct {
	Whole  []string // compared in full
	Pieces []string // base64 substrings of length 8
}

// SecretsOf lists the forms of user's password as PLAIN, LOGIN and XOAUTH2
// (where the password is the bearer token) would send them.
func SecretsOf(user, password string) Secrets {
	b64 := base64.StdEncoding.EncodeToString
	blobs := []string{
		b64([]byte(password)),
		b64([]byte("\x00" + user + "\x00" + password)),
		b64([]byte("user=" + user + "\x01auth=Bearer " + password + "\x01\x01")),
	}
	s := Secrets{Whole: append([]string{password, hex.EncodeToString([]byte(password))}, blobs...)}
	for _, b := range blobs {
		for i := 0; i+8 <= len(b); i++ {
			if piece := b[i : i+8]; !strings.Contains(piece, "=") {
				s.Pieces = append(s.Pieces, piece)
			}
		}
	}
	return s
}

// NoSecret fails the test when out holds any form of the secret.
func NoSecret(t testing.TB, what string, out []byte, s Secrets) {
	t.Helper()
	if err := s.Find(out); err != nil {
		t.Errorf("%s: %v", what, err)
	}
}

// Find reports the first form of the secret in out.
func (s Secrets) Find(out []byte) error {
	for _, w := range s.Whole {
		if i := bytes.Index(out, []byte(w)); i >= 0 {
			return fmt.Errorf("holds the secret form %q: %s", w, around(string(out), i))
		}
	}
	for _, p := range s.Pieces {
		if i := bytes.Index(out, []byte(p)); i >= 0 {
			return fmt.Errorf("holds %q, a piece of the secret's base64: %s", p, around(string(out), i))
		}
	}
	return nil
}
