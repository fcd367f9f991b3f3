package ui

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/themes"
	"github.com/ehlo-sh/ehlo/wire"
)

// The -update flag rewrites golden files. Another test file of the package
// may register it first; then we share it.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files in testdata")
	}
}

func trUpdating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// trGolden compares got with testdata/transcript_<name>.golden.
func trGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "transcript_"+name+".golden")
	if trUpdating() {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			g, w := "", ""
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Errorf("line %d:\n got %q\nwant %q", i+1, g, w)
			}
		}
		t.Errorf("view differs from %s (go test -run %s -update rewrites it)", path, t.Name())
	}
}

func trStyles(t testing.TB, name string) themes.Styles {
	t.Helper()
	st, err := themes.New(name, true)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

var trT0 = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

// trSession builds entries from (dir, tls, ms after trT0, data) rows.
type trLine struct {
	dir  wire.Dir
	tls  bool
	ms   int
	data string
}

func trEntries(lines ...trLine) []wire.Entry {
	es := make([]wire.Entry, len(lines))
	for i, l := range lines {
		es[i] = wire.Entry{
			Seq: i, Time: trT0.Add(time.Duration(l.ms) * time.Millisecond),
			Dir: l.dir, TLS: l.tls, Data: []byte(l.data),
			Partial: l.dir != wire.Note && !strings.HasSuffix(l.data, "\n"),
		}
	}
	return es
}

const (
	trSecretData  = "AUTH PLAIN AGFsaWNlAGh1bnRlcjI=\r\n"
	trSecretShown = `AUTH PLAIN <redacted user="alice">`
)

// trGmail is a submission session like Gmail's: greeting, EHLO, STARTTLS,
// EHLO again inside TLS, AUTH PLAIN (secret) and 235.
func trGmail() []wire.Entry {
	C, S, N := wire.Client, wire.Server, wire.Note
	es := trEntries(
		trLine{S, false, 0, "220 smtp.gmail.com ESMTP 5b1f17b1804b1-43b3c3b3e2fsm2 - gsmtp\r\n"},
		trLine{C, false, 102, "EHLO probe.example.net\r\n"},
		trLine{S, false, 129, "250-smtp.gmail.com at your service, [203.0.113.7]\r\n"},
		trLine{S, false, 129, "250-SIZE 35882577\r\n"},
		trLine{S, false, 129, "250-8BITMIME\r\n"},
		trLine{S, false, 129, "250-STARTTLS\r\n"},
		trLine{S, false, 129, "250-ENHANCEDSTATUSCODES\r\n"},
		trLine{S, false, 129, "250-PIPELINING\r\n"},
		trLine{S, false, 129, "250-CHUNKING\r\n"},
		trLine{S, false, 130, "250 SMTPUTF8\r\n"},
		trLine{C, false, 1500, "STARTTLS\r\n"},
		trLine{S, false, 1524, "220 2.0.0 Ready to start TLS\r\n"},
		trLine{N, true, 1563, `TLS 1.3 handshake with "smtp.gmail.com" in 38.712ms: TLS_AES_256_GCM_SHA384; certificate verified`},
		trLine{C, true, 1564, "EHLO probe.example.net\r\n"},
		trLine{S, true, 1590, "250-smtp.gmail.com at your service, [203.0.113.7]\r\n"},
		trLine{S, true, 1590, "250-SIZE 35882577\r\n"},
		trLine{S, true, 1590, "250-8BITMIME\r\n"},
		trLine{S, true, 1590, "250-AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH\r\n"},
		trLine{S, true, 1590, "250-ENHANCEDSTATUSCODES\r\n"},
		trLine{S, true, 1590, "250-PIPELINING\r\n"},
		trLine{S, true, 1590, "250-CHUNKING\r\n"},
		trLine{S, true, 1591, "250 SMTPUTF8\r\n"},
		trLine{C, true, 4000, trSecretData},
		trLine{S, true, 5312, "235 2.7.0 Accepted\r\n"},
	)
	es[22].Secret, es[22].Shown = true, trSecretShown
	return es
}

func trNew(t testing.TB, theme string, w, h int, es ...wire.Entry) Transcript {
	t.Helper()
	v := NewTranscript(trStyles(t, theme))
	v.SetSize(w, h)
	v.Append(es...)
	return v
}

func trKey(v Transcript, keys ...string) Transcript {
	codes := map[string]rune{"up": tea.KeyUp, "down": tea.KeyDown, "pgup": tea.KeyPgUp,
		"pgdown": tea.KeyPgDown, "home": tea.KeyHome, "end": tea.KeyEnd}
	for _, k := range keys {
		msg := tea.KeyPressMsg{Code: codes[k]}
		if _, ok := codes[k]; !ok {
			msg = tea.KeyPressMsg{Code: rune(k[0]), Text: k}
		}
		v, _ = v.Update(msg)
	}
	return v
}

// trCheckSize fails unless view is exactly h lines of exactly w cells.
func trCheckSize(t *testing.T, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) != h {
		t.Fatalf("%dx%d: %d lines", w, h, len(lines))
	}
	for i, l := range lines {
		if got := ansi.StringWidth(l); got != w {
			t.Fatalf("%dx%d: line %d is %d cells: %q", w, h, i, got, l)
		}
	}
}

func TestTranscriptGolden(t *testing.T) {
	for _, size := range []struct{ w, h int }{{120, 40}, {80, 24}} {
		t.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(t *testing.T) {
			v := trNew(t, "dark", size.w, size.h, trGmail()...)
			view := v.View()
			trCheckSize(t, view, size.w, size.h)
			trGolden(t, fmt.Sprintf("gmail_%dx%d", size.w, size.h), ansi.Strip(view))
		})
	}
}

// TestTranscriptGoldenRawHex: the AUTH line selected, raw endings and the
// hex dump on. The secret stays hidden in both the row and the dump.
func TestTranscriptGoldenRawHex(t *testing.T) {
	v := trNew(t, "dark", 80, 24, trGmail()...)
	v.SetFocused(true)
	v = trKey(v, "up")
	v.ToggleRaw()
	v.ToggleHex()
	view := v.View()
	trCheckSize(t, view, 80, 24)
	if strings.Contains(view, "AGFsaWNl") {
		t.Error("secret shown")
	}
	trGolden(t, "gmail_raw_hex_80x24", ansi.Strip(view))

	v = trKey(v, "up", "up") // 250-CHUNKING
	trGolden(t, "gmail_hex_server_80x24", ansi.Strip(v.View()))
}

func TestTranscriptFollow(t *testing.T) {
	mk := func(from, n int) []wire.Entry {
		es := make([]wire.Entry, n)
		for i := range es {
			es[i] = wire.Entry{Seq: from + i, Time: trT0, Dir: wire.Server, Data: fmt.Appendf(nil, "250-line %d\r\n", from+i)}
		}
		return es
	}
	lastLine := func(v Transcript) string {
		lines := strings.Split(ansi.Strip(v.View()), "\n")
		return lines[len(lines)-1]
	}
	v := trNew(t, "mono", 60, 5, mk(0, 3)...)
	if !v.Following() {
		t.Fatal("a new transcript does not follow")
	}
	v.Append(mk(3, 10)...)
	if !strings.Contains(lastLine(v), "line 12") {
		t.Fatalf("at the bottom, append did not scroll: %q", lastLine(v))
	}
	if e, _ := v.Selected(); e.Seq != 12 {
		t.Errorf("selection %d, want the last row 12", e.Seq)
	}

	v.SetFocused(true)
	v = trKey(v, "up", "up", "k", "up", "up", "up")
	if v.Following() {
		t.Fatal("still following after scrolling up")
	}
	before := v.View()
	v.Append(mk(13, 50)...)
	if v.View() != before {
		t.Errorf("append moved the view while scrolled up:\n%s\n---\n%s", before, v.View())
	}
	if v.Len() != 63 {
		t.Errorf("Len = %d", v.Len())
	}

	v = trKey(v, "end")
	if !v.Following() || !strings.Contains(lastLine(v), "line 62") {
		t.Fatalf("end: following %v, last line %q", v.Following(), lastLine(v))
	}
	v.Append(mk(63, 1)...)
	if !strings.Contains(lastLine(v), "line 63") {
		t.Errorf("follow after end: %q", lastLine(v))
	}

	// The wheel scrolls three rows, focused or not, and leaves the selection.
	v.SetFocused(false)
	v, _ = v.Update(tea.MouseWheelMsg{Button: tea.MouseWheelUp})
	if v.Following() || !strings.Contains(lastLine(v), "line 60") {
		t.Errorf("wheel up: following %v, last line %q", v.Following(), lastLine(v))
	}
	v = trKey(v, "end") // not focused: ignored
	if v.Following() {
		t.Error("unfocused pane took a key")
	}
	v, _ = v.Update(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	if !v.Following() || !strings.Contains(lastLine(v), "line 63") {
		t.Errorf("wheel down to the bottom: following %v, last line %q", v.Following(), lastLine(v))
	}

	v.SetFocused(true)
	v = trKey(v, "home")
	if e, _ := v.Selected(); e.Seq != 0 || !strings.Contains(ansi.Strip(v.View()), "line 0") {
		t.Errorf("home: selected %d", e.Seq)
	}
	v = trKey(v, "pgdown")
	if e, _ := v.Selected(); e.Seq != 5 {
		t.Errorf("pgdown: selected %d, want 5", e.Seq)
	}
	v = trKey(v, "G")
	if !v.Following() {
		t.Error("G does not follow")
	}
}

// TestTranscriptPageKeys: from the followed tail, every PgUp and PgDn
// scrolls a whole page, the first press too.
func TestTranscriptPageKeys(t *testing.T) {
	es := make([]wire.Entry, 40)
	for i := range es {
		es[i] = wire.Entry{Seq: i, Time: trT0, Dir: wire.Server, Data: fmt.Appendf(nil, "250-line %d\r\n", i)}
	}
	v := trNew(t, "mono", 60, 5, es...)
	v.SetFocused(true)
	top := func() string { l, _, _ := strings.Cut(ansi.Strip(v.View()), "\n"); return strings.TrimSpace(l) }
	for _, step := range []struct{ key, top string }{
		{"pgup", "S: 250-line 30"}, {"pgup", "S: 250-line 25"}, {"pgdown", "S: 250-line 30"}, {"pgdown", "S: 250-line 35"},
	} {
		v = trKey(v, step.key)
		if got := top(); !strings.HasPrefix(got, step.top) {
			t.Fatalf("%s: top row %q, want %q", step.key, got, step.top)
		}
	}
	if !v.Following() {
		t.Error("paging back to the bottom does not follow again")
	}
}

// TestTranscriptCutKeepsNumbers: a row cut at the pane's edge never ends
// inside a number with its unit ("in 1.827m…" reads as minutes).
func TestTranscriptCutKeepsNumbers(t *testing.T) {
	e := wire.Entry{Time: trT0, Dir: wire.Note, Data: []byte(`handshake with "127.0.0.1" in 1.827ms: TLS_AES_128_GCM_SHA256`)}
	for w := 20; w < 60; w++ {
		v := trNew(t, "mono", w, 1, e)
		row := ansi.Strip(v.View())
		for _, bad := range []string{"in 1…", "in 1.…", "1.8…", "1.82…", "1.827…", "1.827m…"} {
			if strings.Contains(row, bad) {
				t.Errorf("width %d: %q cuts the duration", w, row)
			}
		}
	}
}

func TestTranscriptSelectionHex(t *testing.T) {
	v := trNew(t, "mono", 80, 24, trGmail()...)
	v.SetFocused(true)
	v = trKey(v, "home", "down", "down", "down", "down", "down") // 250-STARTTLS
	e, ok := v.Selected()
	if !ok || string(e.Data) != "250-STARTTLS\r\n" {
		t.Fatalf("selected %q", e.Data)
	}
	if !v.ToggleHex() {
		t.Fatal("ToggleHex reported off")
	}
	view := ansi.Strip(v.View())
	for _, want := range []string{
		"0000  32 35 30 2d 53 54 41 52  54 54 4c 53 0d 0a",
		"250-STARTTLS..",
		"── hex #5 S: 14 bytes",
	} {
		if !strings.Contains(view, want) {
			t.Errorf("hex view lacks %q:\n%s", want, view)
		}
	}
	// The selected row stays on screen above the dump.
	if !strings.Contains(strings.Join(strings.Split(view, "\n")[:16], "\n"), "250-STARTTLS") {
		t.Errorf("selected row hidden by the dump:\n%s", view)
	}
	if v.ToggleHex() || strings.Contains(ansi.Strip(v.View()), "0000  ") {
		t.Error("hex view did not close")
	}
}

func TestTranscriptHexLong(t *testing.T) {
	long := "250-" + strings.Repeat("x", 1000) + "\r\n"
	v := trNew(t, "mono", 80, 12, trEntries(trLine{wire.Server, false, 0, long})...)
	v.ToggleHex()
	view := ansi.Strip(v.View())
	trCheckSize(t, view, 80, 12)
	if !strings.Contains(view, "… 974 more bytes") { // 1006 bytes, two lines of 16 shown
		t.Errorf("no rest count:\n%s", view)
	}
}

func TestTranscriptRaw(t *testing.T) {
	es := trEntries(
		trLine{wire.Server, false, 0, "250 crlf\r\n"},
		trLine{wire.Server, false, 0, "250 bare\n"},
		trLine{wire.Server, false, 0, "250 cut"},
	)
	v := trNew(t, "mono", 60, 3, es...)
	rows := strings.Split(ansi.Strip(v.View()), "\n")
	if strings.Contains(rows[0], `\r`) || strings.Contains(rows[0], "␍␊") {
		t.Errorf("CRLF shown outside raw mode: %q", rows[0])
	}
	if !strings.Contains(rows[1], `250 bare\n`) {
		t.Errorf("a bare LF must always show: %q", rows[1])
	}
	if !v.ToggleRaw() {
		t.Fatal("ToggleRaw reported off")
	}
	rows = strings.Split(ansi.Strip(v.View()), "\n")
	for i, want := range []string{"250 crlf␍␊", `250 bare\n `, "250 cut (no line ending)"} {
		if !strings.Contains(rows[i], want) {
			t.Errorf("raw row %d = %q, want %q", i, rows[i], want)
		}
	}
	if strings.Contains(rows[1], `\n\n`) {
		t.Errorf("bare LF shown twice: %q", rows[1])
	}
}

var trHostile = []string{
	"250-\x1b]52;c;ZXZpbA==\x07copied\r\n",
	"250-\x1b[2Jcleared\r\n",
	"250-\x1b]0;pwned\x07title\r\n",
	"550 no\r250 OK\r\n",
	"250-\u202eevil\u202c\r\n",
	"250-\xff\xfe\xc3(bad utf8\r\n",
	"250-nul\x00here\x9b[31m\u009b[32m\r\n",
	"\x1b[31m250 starts with ESC\r\n",
}

// trSGR matches the only escape sequences View may contain: our SGR.
var trSGR = regexp.MustCompile(`\x1b\[[0-9;:]*m`)

func TestTranscriptHostile(t *testing.T) {
	var lines []trLine
	for _, h := range trHostile {
		lines = append(lines, trLine{wire.Server, false, 0, h})
	}
	lines = append(lines, trLine{wire.Note, false, 0, "note \x1b[2J from \u202e a peer"})
	es := trEntries(lines...)
	for _, theme := range themes.Names() {
		for _, focused := range []bool{false, true} {
			v := trNew(t, theme, 160, 12, es...)
			v.SetFocused(focused)
			for _, raw := range []bool{false, true} {
				if raw {
					v.ToggleRaw()
				}
				view := v.View()
				for _, bad := range []string{"\x1b]", "\x1b[2J", "\r", "\u202e", "\x07", "\x00", "\xc2\x9b"} {
					if strings.Contains(view, bad) {
						t.Errorf("%s focused=%v raw=%v: view contains %q", theme, focused, raw, bad)
					}
				}
				if !utf8.ValidString(view) {
					t.Errorf("%s: view is not valid UTF-8", theme)
				}
				rest := trSGR.ReplaceAllString(view, "")
				for i, r := range rest {
					if r != '\n' && (r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0)) {
						t.Errorf("%s: control %U at %d outside our SGR", theme, r, i)
					}
				}
				plain := ansi.Strip(view)
				for _, want := range []string{`\x1b]52;c;ZXZpbA==\x07`, `\x1b[2J`, `\x1b]0;pwned\x07`,
					`550 no\r250 OK`, `\u202eevil\u202c`, `\xff\xfe\xc3(bad`, `\x00`, `\x9b[31m`, `\u009b[32m`} {
					if !strings.Contains(plain, want) {
						t.Errorf("%s: view lacks the token %q:\n%s", theme, want, plain)
					}
				}
				trCheckSize(t, view, 160, 12)
			}
		}
	}
}

// TestTranscriptHostileHex: the dump of a hostile line shows its bytes.
func TestTranscriptHostileHex(t *testing.T) {
	v := trNew(t, "mono", 80, 12, trEntries(trLine{wire.Server, false, 0, trHostile[0]})...)
	v.ToggleHex()
	view := v.View()
	if strings.Contains(view, "\x1b]") || strings.Contains(view, "\x07") {
		t.Errorf("hex view leaks escapes: %q", view)
	}
	if !strings.Contains(ansi.Strip(view), "32 35 30 2d 1b 5d 35 32") || !strings.Contains(ansi.Strip(view), "250-.]52;c;ZXZpb") ||
		!strings.Contains(ansi.Strip(view), "A==.copied..") {
		t.Errorf("hex view:\n%s", ansi.Strip(view))
	}
}

func TestTranscriptSecret(t *testing.T) {
	v := trNew(t, "dark", 120, 30, trGmail()...)
	v.SetFocused(true)
	v = trKey(v, "up")
	v.ToggleHex()
	if view := v.View(); strings.Contains(view, "AGFsaWNl") || !strings.Contains(ansi.Strip(view), trSecretShown) {
		t.Errorf("secret revealed, or redaction missing:\n%s", ansi.Strip(view))
	}
	if strings.Contains(ansi.Strip(v.View()), "41 47 46 73") { // "AGFs"
		t.Error("hex dump shows the secret")
	}
	if txt := v.Text(false); strings.Contains(txt, "AGFsaWNl") || !strings.Contains(txt, trSecretShown) {
		t.Errorf("Text(false):\n%s", txt)
	}
	if txt := v.Text(true); !strings.Contains(txt, "AUTH PLAIN AGFsaWNlAGh1bnRlcjI=") {
		t.Errorf("Text(true):\n%s", txt)
	}
	v.SetReveal(true)
	view := ansi.Strip(v.View())
	if !strings.Contains(view, "AUTH PLAIN AGFsaWNlAGh1bnRlcjI=") || !strings.Contains(view, "41 47 46 73") {
		t.Errorf("reveal did not show the secret:\n%s", view)
	}
}

func TestTranscriptText(t *testing.T) {
	es := trEntries(
		trLine{wire.Server, false, 0, "220 hi\x1b[2J\r\n"},
		trLine{wire.Client, false, 1, "EHLO x\r\n"},
		trLine{wire.Note, true, 2, "TLS 1.3 handshake"},
		trLine{wire.Server, true, 3, "250 bare\n"},
		trLine{wire.Server, true, 4, "421 bye"},
	)
	v := trNew(t, "mono", 80, 10, es...)
	want := "S: 220 hi\\x1b[2J\nC: EHLO x\n*  TLS 1.3 handshake\nS~ 250 bare\\n\nS~ 421 bye  (no line ending)\n"
	if got := v.Text(false); got != want {
		t.Errorf("Text:\n%q\nwant\n%q", got, want)
	}
}

func TestTranscriptLatency(t *testing.T) {
	v := trNew(t, "mono", 80, 24, trGmail()...)
	rows := strings.Split(ansi.Strip(v.View()), "\n")
	for i, want := range map[int]string{0: "", 1: "", 2: "", 9: "28ms", 11: "24ms", 21: "27ms", 23: "1.3s"} {
		got := strings.TrimSpace(rows[i][max(len(rows[i])-8, 0):])
		if want == "" && strings.HasSuffix(got, "s") {
			t.Errorf("row %d has a latency: %q", i, rows[i])
		}
		if want != "" && !strings.HasSuffix(rows[i], " "+want) {
			t.Errorf("row %d = %q, want latency %s", i, rows[i], want)
		}
	}
	for d, want := range map[time.Duration]string{
		412 * time.Microsecond: "412µs", 12 * time.Millisecond: "12ms", 1300 * time.Millisecond: "1.3s",
		42 * time.Second: "42s", 192 * time.Second: "3m12s",
	} {
		if got := trLatency(d); got != want {
			t.Errorf("trLatency(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestTranscriptTimestamps(t *testing.T) {
	for w, want := range map[int]bool{99: false, 100: true} {
		v := trNew(t, "mono", w, 3, trGmail()[:3]...)
		if got := strings.Contains(v.View(), "09:26:53.102"); got != want {
			t.Errorf("width %d: timestamp shown %v, want %v", w, got, want)
		}
	}
}

func TestTranscriptTLSRule(t *testing.T) {
	v := trNew(t, "mono", 60, 1, trEntries(trLine{wire.Note, true, 0, "TLS 1.3 handshake ok"})...)
	row := ansi.Strip(v.View())
	if row != "▌ ── TLS 1.3 handshake ok "+strings.Repeat("─", 34) {
		t.Errorf("TLS rule row = %q", row)
	}
	// A failed handshake's note is recorded outside TLS and is no rule.
	v = trNew(t, "mono", 80, 1, trEntries(trLine{wire.Note, false, 0, "TLS handshake failed after 3ms: EOF"})...)
	if row := ansi.Strip(v.View()); !strings.HasPrefix(row, "  *  TLS handshake failed") {
		t.Errorf("failed handshake note = %q", row)
	}
}

// TestTranscriptSizes checks exact width and height over many sizes, modes
// and contents, wide characters included.
func TestTranscriptSizes(t *testing.T) {
	es := trGmail()
	for _, h := range trHostile {
		es = append(es, trEntries(trLine{wire.Server, false, 0, h})...)
	}
	es = append(es, trEntries(
		trLine{wire.Server, false, 0, "250-日本語のテキスト😀 wide " + strings.Repeat("語", 80) + "\r\n"},
		trLine{wire.Server, false, 0, "250 " + strings.Repeat("e\u0301", 300) + "\r\n"},
		trLine{wire.Server, false, 0, strings.Repeat("x", 5000) + "\r\n"},
	)...)
	for _, w := range []int{1, 2, 3, 5, 9, 10, 20, 33, 40, 79, 80, 99, 100, 101, 120, 200} {
		for _, h := range []int{1, 2, 3, 5, 6, 24} {
			v := trNew(t, "dark", w, h, es...)
			v.SetFocused(true)
			for step := range 4 {
				switch step {
				case 1:
					v.ToggleRaw()
				case 2:
					v.ToggleHex()
					v = trKey(v, "up", "up", "up")
				case 3:
					v = trKey(v, "home")
				}
				trCheckSize(t, v.View(), w, h)
			}
		}
	}
	v := NewTranscript(trStyles(t, "mono"))
	if v.View() != "" {
		t.Error("zero-size view is not empty")
	}
	v.SetSize(30, 4)
	trCheckSize(t, v.View(), 30, 4) // empty transcript
	if _, ok := v.Selected(); ok {
		t.Error("empty transcript has a selection")
	}
	v.SetFocused(true)
	v = trKey(v, "up", "end", "home")
	v, _ = v.Update(tea.MouseWheelMsg{Button: tea.MouseWheelUp})
	trCheckSize(t, v.View(), 30, 4)
}

// TestTranscriptTruncate: long lines end in "…" at the pane's edge and keep
// the latency at the right.
func TestTranscriptTruncate(t *testing.T) {
	es := trEntries(
		trLine{wire.Client, false, 0, "NOOP\r\n"},
		trLine{wire.Server, false, 5, "250 " + strings.Repeat("abc ", 100) + "\r\n"},
	)
	v := trNew(t, "mono", 60, 2, es...)
	row := strings.Split(ansi.Strip(v.View()), "\n")[1]
	if !strings.HasSuffix(row, "… 5ms") || ansi.StringWidth(row) != 60 {
		t.Errorf("row = %q", row)
	}
}

// TestTranscriptRestyle: styles are applied when drawing, so a theme change
// restyles rows already stored.
func TestTranscriptRestyle(t *testing.T) {
	v := trNew(t, "dark", 80, 24, trGmail()...)
	dark := v.View()
	v.SetStyles(trStyles(t, "mono"))
	mono := v.View()
	if dark == mono || ansi.Strip(dark) != ansi.Strip(mono) {
		t.Error("SetStyles did not restyle, or changed the text")
	}
	if strings.Contains(mono, "38;") || strings.Contains(mono, "48;") {
		t.Error("mono view has colour")
	}
}

func TestTranscriptSelectedStyle(t *testing.T) {
	v := trNew(t, "mono", 40, 3, trEntries(
		trLine{wire.Server, false, 0, "220 a\r\n"},
		trLine{wire.Server, false, 0, "550 \x1b b\r\n"},
	)...)
	if strings.Contains(v.View(), "\x1b[7m") {
		t.Error("unfocused pane shows the selection")
	}
	v.SetFocused(true)
	rows := strings.Split(v.View(), "\n")
	if !strings.Contains(rows[1], "\x1b[7m") || strings.Contains(rows[0], "\x1b[7m") {
		t.Errorf("selection not on the last row: %q", rows)
	}
	sgr := regexp.MustCompile(`\x1b\[([0-9;]*)m\\x1b`).FindStringSubmatch(rows[1])
	if sgr == nil || !strings.Contains(";"+sgr[1]+";", ";4;") || !strings.Contains(";"+sgr[1]+";", ";7;") {
		t.Errorf("escape token not distinct in the selected row: %q", rows[1])
	}
}

// TestTranscriptDNS: a D: line is drawn with its marker, and the DNS data
// it holds (a TXT record, an EDE text) is escaped like a server's line.
func TestTranscriptDNS(t *testing.T) {
	es := trEntries(
		trLine{wire.DNS, false, 0, "TXT _mta-sts.x.test. → NOERROR, insecure (no AD), TTL 60: \"v=STSv1;\x1b]0;pwned\x07 \u202eevil\u202c\r550\" (3ms, 127.0.0.1:53)"},
		trLine{wire.Client, false, 10, "EHLO ehlo.test\r\n"},
	)
	es[0].Partial = false // as wire.Transcript.DNS records it
	for _, raw := range []bool{false, true} {
		v := trNew(t, themes.Names()[0], 200, 6, es...)
		if raw {
			v.ToggleRaw()
		}
		view := v.View()
		for _, bad := range []string{"\x1b]", "\r", "\u202e", "\x07"} {
			if strings.Contains(view, bad) {
				t.Errorf("raw=%v: view contains %q", raw, bad)
			}
		}
		plain := ansi.Strip(view)
		if !strings.Contains(plain, `D: TXT _mta-sts.x.test. → NOERROR`) || !strings.Contains(plain, `"v=STSv1;\x1b]0;pwned\x07 \u202eevil\u202c\r550"`) {
			t.Errorf("raw=%v: want the D: line, escaped:\n%s", raw, plain)
		}
		if strings.Contains(plain, "␍␊ (") || strings.Contains(plain, "(no line ending)") {
			t.Errorf("raw=%v: a D: line is not a wire line, it has no ending to show:\n%s", raw, plain)
		}
	}
	if got := trNew(t, themes.Names()[0], 200, 6, es...).Text(false); !strings.HasPrefix(got, `D: TXT _mta-sts.x.test.`) {
		t.Errorf("Text() = %q", got)
	}
}
