package ui

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// secrets are the forms of alice's password a leak would take.
var secrets = []string{"wonderland", b64("\x00alice\x00wonderland"), b64("wonderland")}

func holdsSecret(s string) bool {
	for _, x := range secrets {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

// TestHistoryNeverHoldsSecrets types AUTH by hand, with an initial response
// and as responses to 334, and checks that the history keeps only redacted
// forms, that every such line went out as a secret, and that the screen
// never showed the typed base64.
func TestHistoryNeverHoldsSecrets(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	gmailTLS(s)

	s.enter("AUTH PLAIN " + b64("\x00alice\x00wonderland"))
	if w := s.link.last(); !w.secret || w.shown != `AUTH PLAIN <redacted user="alice">` {
		t.Errorf("AUTH PLAIN with initial response sent as %+v", w)
	}
	s.reply("535 5.7.8 Username and Password not accepted")

	s.enter("AUTH PLAIN")
	s.reply("334 ")
	s.typ(b64("\x00alice\x00wonderland"))
	if strings.Contains(s.screen(), b64("\x00alice\x00wonderland")) {
		t.Error("the response typed after 334 is on screen unmasked")
	}
	s.press(tea.KeyEnter)
	s.flush()
	if w := s.link.last(); !w.secret || w.shown != "<redacted>" {
		t.Errorf("response after 334 sent as %+v", w)
	}
	if sc := s.screen(); holdsSecret(sc) || !strings.Contains(sc, "waiting for the AUTH response") {
		t.Errorf("the wait for the response shows:\n%s", sc)
	}
	s.reply("235 2.7.0 Accepted")

	s.enter("AUTH LOGIN") // refused (already authenticated) but recorded
	s.reply("503 5.5.1 Already authenticated")

	for _, h := range s.m.input.history {
		if holdsSecret(h) {
			t.Errorf("history holds a secret: %q", h)
		}
	}
	want := []string{"EHLO client.example", "STARTTLS", "EHLO client.example", ":auth PLAIN alice", "AUTH PLAIN", "AUTH LOGIN"}
	if got := s.m.input.history; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("history %q, want %q", got, want)
	}
	if !s.m.sess.Authenticated || s.m.sess.AuthUser != "" {
		t.Errorf("state after 235: %+v", s.m.sess)
	}
	if holdsSecret(s.screen()) {
		t.Errorf("screen shows a secret:\n%s", s.screen())
	}
}

// TestRecalledAuthAsksAgain recalls an AUTH line typed with its initial
// response: it comes back as :auth, which asks for the password again, and
// a redacted placeholder, typed or pasted, never goes to the server.
func TestRecalledAuthAsksAgain(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	gmailTLS(s)
	s.enter("AUTH PLAIN " + b64("\x00alice\x00wonderland"))
	s.reply("535 5.7.8 Username and Password not accepted")
	s.link.reset()

	s.press(tea.KeyUp)
	if v := s.m.input.Value(); v != ":auth PLAIN alice" {
		t.Fatalf("↑ recalled %q", v)
	}
	s.press(tea.KeyEnter)
	if s.m.input.mode != modePassword || s.link.count() != 0 {
		t.Fatalf("the recalled line did not ask for the password: mode %d, wrote %q", s.m.input.mode, s.link.lines())
	}
	s.press(tea.KeyEscape)

	s.enter(`AUTH PLAIN <redacted user="alice">`)
	if s.link.count() != 0 || s.m.input.Value() != ":auth PLAIN alice" || !strings.Contains(s.m.flash.text, "placeholder") {
		t.Fatalf("typed placeholder: wrote %q, input %q, flash %q", s.link.lines(), s.m.input.Value(), s.m.flash.text)
	}
	s.m.input = s.m.input.clear()
	s.send(tea.PasteMsg{Content: "NOOP\r\nAUTH LOGIN <redacted>\r\nMAIL FROM:<a@example.org>\r\n"})
	s.flush()
	s.reply("250 2.0.0 OK")
	if got := s.link.lines(); len(got) != 1 || got[0] != "NOOP" || !strings.Contains(s.m.flash.text, "placeholder") {
		t.Fatalf("pasted placeholder: wrote %q, flash %q; want NOOP alone, and what followed the placeholder dropped", got, s.m.flash.text)
	}
	s.link.reset()
	s.enter("MAIL FROM:<redacted@example.org>") // an address, not a placeholder
	if got := s.link.lines(); len(got) != 1 || got[0] != "MAIL FROM:<redacted@example.org>" {
		t.Errorf("an address that starts with redacted: wrote %q, flash %q", got, s.m.flash.text)
	}
}

// TestQuitIsNoError: the 221 answering QUIT is the end the user asked
// for, shown without the error mark; a 421 still is an error.
func TestQuitIsNoError(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	gmailPlain(s)
	s.enter("QUIT")
	s.reply("221 2.0.0 closing connection")
	if sc := s.screen(); s.m.flash.kind != flashOK || strings.Contains(sc, "✗") || !strings.Contains(sc, "said goodbye (221)") {
		t.Errorf("after QUIT's 221, flash %+v:\n%s", s.m.flash, sc)
	}
	s = newSim(t, "dark", 120, 40)
	gmailPlain(s)
	s.enter("NOOP")
	s.reply("421 4.7.0 too busy")
	if s.m.flash.kind != flashError {
		t.Errorf("after a 421, flash %+v", s.m.flash)
	}
}

// TestClosedStateTruthful: once the connection is closed the side panel
// keeps what the session reached (after EHLO) and says how to start
// again, not to send EHLO; a new connection starts without the previous
// server's latency.
func TestClosedStateTruthful(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	gmailPlain(s)
	s.enter("QUIT")
	s.reply("221 2.0.0 closing connection")
	if sc := s.screen(); !strings.Contains(sc, "closed, after EHLO") || strings.Contains(sc, "send EHLO") {
		t.Errorf("after QUIT, the side panel forgets the EHLO or asks for one:\n%s", sc)
	}

	s = newSim(t, "dark", 120, 40)
	s.send(connectMsg{target: s.m.conn.target})
	s.send(dialedMsg{gen: s.m.conn.gen, err: errors.New("connection refused")})
	if sc := s.screen(); strings.Contains(sc, "send EHLO") || !strings.Contains(sc, "closed: :reconnect to start again") ||
		!strings.Contains(sc, "closed › :reconnect") {
		t.Errorf("after a failed dial, the screen asks for EHLO or offers no :reconnect:\n%s", sc)
	}
	s.enter(":reconnect")
	lines := strings.Split(s.screen(), "\n")
	if below := strings.Join(lines[len(lines)-4:], "\n"); strings.Contains(below, "connection refused") || strings.Contains(below, "could not connect") {
		t.Errorf("the new attempt still shows the last one's failure under the panes (the transcript keeps it):\n%s", below)
	}

	s = newSim(t, "dark", 120, 40)
	gmailPlain(s)
	if !strings.Contains(s.screen(), "last reply 23ms") {
		t.Fatalf("no latency on the status bar:\n%s", s.screen())
	}
	s.enter(":connect mx.other.example:25")
	if sc := s.screen(); s.m.conn.phase != phaseDialing || strings.Contains(sc, "last reply") {
		t.Errorf("the new connection shows the previous server's latency:\n%s", sc)
	}
}

// TestFailureReadable: the cause and fix of a failed connection are told
// once, in the transcript's close note, longer than the pane; the hint
// says F8 reads it, and F8 shows the note whole.
func TestFailureReadable(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	s.send(connectMsg{target: s.m.conn.target})
	s.send(dialedMsg{gen: s.m.conn.gen, err: &wire.PlaintextError{Bytes: []byte("220 smtp.gmail.example ESMTP\r\n")}})
	s.entry(wire.Note, "could not connect: "+s.m.conn.reason)
	fix := "(drop --tls, or use port 465 for implicit TLS)"
	if sc := s.screen(); strings.Contains(sc, fix) || !strings.Contains(sc, "F8 reads why") {
		t.Fatalf("before F8, the screen shows the fix whole or no way to read it:\n%s", sc)
	}
	s.press(tea.KeyF8)
	if sc := s.screen(); !s.m.explain.open || !strings.Contains(sc, "(drop --tls, or use port 465") {
		t.Fatalf("F8 does not show the note whole:\n%s", sc)
	}
}

// TestNoteCutCountsWhatTheRowShows: on a wide terminal a row also holds a
// time stamp and the gutter; a note that fits the pane only without them
// is cut on screen, and F8 must show it whole.
func TestNoteCutCountsWhatTheRowShows(t *testing.T) {
	s := newSim(t, "dark", 200, 40)
	w := s.m.transcript.width
	if w < 100 {
		t.Fatalf("pane %d wide: want one that shows time stamps", w)
	}
	s.entry(wire.Note, strings.Repeat("n", w-len("*  ")))
	long := s.m.transcript.Len() - 1
	s.entry(wire.Note, "short")
	if !s.m.cutNote(long) || s.m.cutNote(long+1) {
		t.Errorf("cut: %v for a note of %d cells in a %d-cell pane, %v for a short one", s.m.cutNote(long), w-3, w, s.m.cutNote(long+1))
	}
}

// TestHistoryBrowsing walks the history with ↑/↓ and restores the draft.
func TestHistoryBrowsing(t *testing.T) {
	s := newSim(t, "dark", 80, 24)
	gmailPlain(s)
	s.enter("NOOP")
	s.reply("250 OK")
	s.typ("HE")
	s.press(tea.KeyUp)
	if v := s.m.input.Value(); v != "NOOP" {
		t.Fatalf("↑ gave %q", v)
	}
	s.press(tea.KeyUp)
	s.press(tea.KeyUp)
	if v := s.m.input.Value(); v != "EHLO client.example" {
		t.Fatalf("↑↑↑ gave %q", v)
	}
	s.press(tea.KeyDown)
	s.press(tea.KeyDown)
	if v := s.m.input.Value(); v != "HE" {
		t.Fatalf("back down gave %q, want the draft", v)
	}
}

// TestWarningsBeforeSending checks that State.Check speaks while the line
// is typed, and that Enter sends it anyway.
func TestWarningsBeforeSending(t *testing.T) {
	cases := []struct {
		name, line, warning string
		setup               func(*sim)
	}{
		{"auth before starttls", "AUTH PLAIN", "only after STARTTLS", gmailPlain},
		{"mail before ehlo", "MAIL FROM:<a@example.org>", "no EHLO or HELO accepted", func(s *sim) {
			s.connect()
			s.reply("220 mx.example ESMTP")
		}},
		{"data before rcpt", "DATA", "no recipient", gmailPlain},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newSim(t, "mono", 200, 40)
			c.setup(s)
			s.typ(c.line)
			if !strings.Contains(s.screen(), c.warning) {
				t.Fatalf("no warning %q while typing %q:\n%s", c.warning, c.line, s.screen())
			}
			s.press(tea.KeyEnter)
			s.flush()
			if !s.link.wrote(c.line) {
				t.Fatalf("%q was not sent: %q", c.line, s.link.lines())
			}
			if strings.Contains(s.screen(), c.warning) {
				t.Errorf("the warning outlived the line")
			}
		})
	}
}

// TestDataModeDotStuffing: after 354 each Enter is one line, a leading
// dot is doubled (RFC 5321 4.5.2) and the user is told, a lone "." ends.
func TestDataModeDotStuffing(t *testing.T) {
	s := dataSim(t)
	s.enter("Subject: dots")
	s.enter("")
	s.enter(".hidden")
	if !strings.Contains(s.m.flash.text, "leading dot was doubled") {
		t.Errorf("user not told about dot-stuffing: %q", s.m.flash.text)
	}
	s.enter(":not a command, so data")
	s.enter("::quit") // a known command's name, escaped
	s.enter(".")
	want := []string{"Subject: dots", "", "..hidden", ":not a command, so data", ":quit", "."}
	if got := s.link.lines(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("wrote %q\nwant  %q", got, want)
	}
	if len(s.m.inflight) != 1 || s.m.inflight[0].kind != kindDataEnd || s.m.inflight[0].timeout != client.DefaultDataTimeout {
		t.Fatalf("the final . is not awaited with 10 minutes: %+v", s.m.inflight)
	}
	s.reply("250 2.0.0 OK queued")
	if s.m.sess.Phase != session.PhaseReady || !strings.Contains(s.m.flash.text, "accepted") {
		t.Errorf("after 250: phase %v flash %q", s.m.sess.Phase, s.m.flash.text)
	}
	for _, h := range s.m.input.history {
		if strings.Contains(h, "hidden") {
			t.Errorf("message content in history: %q", h)
		}
	}
}

// dataSim returns a sim that got 354 to DATA, its writes forgotten.
func dataSim(t testing.TB) *sim {
	s := newSim(t, "dark", 120, 40)
	gmailTLS(s)
	s.toData()
	s.link.reset()
	return s
}

// toData sends MAIL FROM alice, RCPT TO bob and DATA, each accepted.
func (s *sim) toData() {
	s.enter("MAIL FROM:<alice@example.org>")
	s.reply("250 OK")
	s.enter("RCPT TO:<bob@example.org>")
	s.reply("250 OK")
	s.enter("DATA")
	s.reply("354 Go ahead")
}

// TestPasteInData sends a multi-line paste as lines, shown as they go.
func TestPasteInData(t *testing.T) {
	s := dataSim(t)
	s.send(tea.PasteMsg{Content: "Subject: pasted\r\n\r\n.one\nlast line\n.\n"})
	s.flush()
	want := []string{"Subject: pasted", "", "..one", "last line", "."}
	if got := s.link.lines(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("wrote %q, want %q", got, want)
	}
}

// TestPipelinedPaste: pasted commands are written back to back, and their
// replies are matched to them in order (RFC 2920).
func TestPipelinedPaste(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	gmailPlain(s)
	s.link.reset()
	s.send(tea.PasteMsg{Content: "MAIL FROM:<a@example.org>\nRCPT TO:<b@example.org>\nRCPT TO:<c@example.org>\nDATA\nnot yet\n"})
	s.flush()
	if got := s.link.lines(); len(got) != 4 || got[3] != "DATA" {
		t.Fatalf("wrote %q: want the group up to DATA, and the rest held", got)
	}
	s.reply("250 OK")
	s.reply("250 OK")
	s.reply("550 no such user")
	if s.m.sess.Phase != session.PhaseRcpt || len(s.m.sess.Rcpts) != 1 {
		t.Fatalf("state: %+v", s.m.sess)
	}
	s.reply("354 go ahead")
	s.flush()
	if got := s.link.last(); got.line != "not yet" || !s.m.inData() {
		t.Fatalf("the held line went out as %+v, in data %v", got, s.m.inData())
	}
}

// TestComposeNormalisation: bare LF, bare CR and a lone "." become CRLF
// lines, dot-stuffed, ending with exactly one CRLF.CRLF, sent raw.
func TestComposeNormalisation(t *testing.T) {
	body := "Subject: compose\n\nbare LF\nbare CR\rCRLF\r\n.\n..two\nend"
	want := "Subject: compose\r\n\r\nbare LF\r\nbare CR\r\nCRLF\r\n..\r\n...two\r\nend\r\n.\r\n"
	if got := string(normalizeMessage(body)); got != want {
		t.Fatalf("normalizeMessage:\n got %q\nwant %q", got, want)
	}
	if got := string(normalizeMessage(body + "\n")); got != want {
		t.Fatalf("a trailing newline adds a line: %q", got)
	}
	if got := string(normalizeMessage("")); got != ".\r\n" {
		t.Fatalf("empty message: %q", got)
	}

	s := dataSim(t)
	s.enter(":compose")
	if !s.m.compose.open || !strings.Contains(s.m.compose.Value(), "To: <bob@example.org>") {
		t.Fatalf("compose did not open with the envelope: %q", s.m.compose.Value())
	}
	s.typ("compose")
	s.press(tea.KeyEnter)
	s.press(tea.KeyEnter)
	s.send(tea.PasteMsg{Content: "bare LF\nbare CR\rCRLF\r\n.\n..two\nend"})
	s.press(tea.KeyF10)
	s.flush()
	raw := string(s.link.last().raw)
	if !strings.HasSuffix(raw, "\r\nbare LF\r\nbare CR\r\nCRLF\r\n..\r\n...two\r\nend\r\n.\r\n") {
		t.Fatalf("sent %q", raw)
	}
	if strings.Count("\r\n"+raw, "\r\n.\r\n") != 1 {
		t.Errorf("more than one end of data in %q", raw)
	}
	if strings.Count(raw, "\r") != strings.Count(raw, "\n") || strings.Count(raw, "\r\n") != strings.Count(raw, "\n") {
		t.Errorf("bare CR or LF on the wire: %q", raw)
	}
	if len(s.m.inflight) != 1 || s.m.inflight[0].kind != kindDataEnd {
		t.Errorf("the composed message's end is not awaited: %+v", s.m.inflight)
	}
}

// TestPlaceholderCheckedWhereItIsSent: in a paste that ends a message and
// goes on with commands, a placeholder command after the "." is not sent;
// the same text inside a message is message text and goes out.
func TestPlaceholderCheckedWhereItIsSent(t *testing.T) {
	s := dataSim(t)
	s.send(tea.PasteMsg{Content: "Subject: the <redacted> token\r\n\r\nbody\r\n.\r\nAUTH PLAIN <redacted user=\"alice\">\r\n"})
	s.flush()
	s.reply("250 2.0.0 queued")
	s.flush()
	got := s.link.lines()
	if !slices.Contains(got, "Subject: the <redacted> token") {
		t.Errorf("message text holding <redacted> was not sent: %q", got)
	}
	if slices.ContainsFunc(got, func(l string) bool { return strings.HasPrefix(l, "AUTH") }) {
		t.Errorf("a placeholder went to the server: %q", got)
	}
}

// TestComposeEscKeepsTheDraft: Esc closes the editor unsent, and the next
// :compose in the same transaction brings the message back as it was left.
func TestComposeEscKeepsTheDraft(t *testing.T) {
	s := dataSim(t)
	s.enter(":compose")
	s.typ("a draft worth keeping")
	s.press(tea.KeyEscape)
	if s.m.compose.open || s.link.count() != 0 {
		t.Fatalf("Esc: open %v, sent %q", s.m.compose.open, s.link.lines())
	}
	s.enter(":compose")
	if v := s.m.compose.Value(); !s.m.compose.open || !strings.HasSuffix(v, "Subject: a draft worth keeping") || !strings.Contains(v, "To: <bob@example.org>") {
		t.Errorf("reopened with %q", v)
	}
	// the message ended by hand instead: the next transaction, with the
	// same envelope, starts from a fresh header
	s.press(tea.KeyEscape)
	s.enter(".")
	s.reply("250 2.0.0 queued")
	s.toData()
	s.enter(":compose")
	if v := s.m.compose.Value(); strings.Contains(v, "a draft worth keeping") {
		t.Errorf("an old draft came back in a new transaction: %q", v)
	}
}

// TestComposeWarnsOnce: 8-bit text under a MAIL FROM without
// BODY=8BITMIME is not sent on the first F10 but explained; the second F10
// sends it as it is.
func TestComposeWarnsOnce(t *testing.T) {
	s := dataSim(t)
	s.enter(":compose")
	s.typ("Grüße")
	s.press(tea.KeyF10)
	s.flush()
	if s.link.count() != 0 || !s.m.compose.open || !strings.Contains(s.m.flash.text, "BODY=8BITMIME") {
		t.Fatalf("first F10: sent %q, open %v, flash %q", s.link.lines(), s.m.compose.open, s.m.flash.text)
	}
	s.press(tea.KeyF10)
	s.flush()
	if s.link.count() != 1 || !strings.Contains(string(s.link.last().raw), "Subject: Grüße") {
		t.Errorf("second F10: sent %q", s.link.lines())
	}
}

// TestComposeOnlyInData refuses :compose before 354.
func TestComposeOnlyInData(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	gmailPlain(s)
	s.enter(":compose")
	if s.m.compose.open || !strings.Contains(s.m.flash.text, "354") {
		t.Fatalf("compose before 354: open %v, flash %q", s.m.compose.open, s.m.flash.text)
	}
}

// TestSaveRedacted writes .txt and .jsonl files: mode 0600, no password or
// its base64, the AUTH line redacted.
func TestSaveRedacted(t *testing.T) {
	entries := []wire.Entry{
		{Seq: 0, Time: epoch, Dir: wire.Server, Data: []byte("220 mx ESMTP\r\n")},
		{Seq: 1, Time: epoch, Dir: wire.Client, Data: []byte("AUTH PLAIN " + b64("\x00alice\x00wonderland") + "\r\n"),
			Secret: true, Shown: `AUTH PLAIN <redacted user="alice">`},
		{Seq: 2, Time: epoch, Dir: wire.Client, Data: []byte(b64("wonderland") + "\r\n"), Secret: true, Shown: "<redacted>"},
		{Seq: 3, Time: epoch, Dir: wire.Server, Data: []byte("235 ok\x1b[2J\r\n")},
	}
	dir := t.TempDir()
	for _, name := range []string{"s.txt", "s.jsonl"} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := saveTranscript(saveTarget{path: path}, entries); err != nil {
			t.Fatal(err)
		}
		fi, _ := os.Stat(path)
		b, _ := os.ReadFile(path)
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v", name, fi.Mode().Perm())
		}
		if holdsSecret(string(b)) || strings.Contains(string(b), "\x1b") {
			t.Errorf("%s leaks:\n%s", name, b)
		}
		if !strings.Contains(string(b), `AUTH PLAIN <redacted user=\"alice\">`) && !strings.Contains(string(b), `AUTH PLAIN <redacted user="alice">`) {
			t.Errorf("%s lacks the redacted AUTH line:\n%s", name, b)
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "s.jsonl"))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var first struct{ Time, Dir, Text string }
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil || len(lines) != 4 {
		t.Fatalf("jsonl: %v, %d lines", err, len(lines))
	}
	if first.Dir != "S" || first.Text != "220 mx ESMTP" || first.Time != "2025-03-14T09:26:53Z" {
		t.Errorf("first entry %+v", first)
	}
}

// TestSaveCommand runs :save through the model.
func TestSaveCommand(t *testing.T) {
	s := newSim(t, "dark", 80, 24)
	path := filepath.Join(t.TempDir(), "x.jsonl")
	s.typ(":save " + path)
	next, cmd := s.m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	s.m = next.(Model)
	msg := cmd()
	s.send(msg)
	if _, err := os.Stat(path); err != nil || !strings.HasPrefix(s.m.flash.text, "saved 0 lines") {
		t.Fatalf("save: %v, flash %q", err, s.m.flash.text)
	}
}

// TestSaveDefaultNameIsNew: :save and :save --script with no FILE create
// a new file in the current directory; a link planted at the predictable
// name is left alone, and the next free name taken. :save FILE refuses a
// symbolic link and says so.
func TestSaveDefaultNameIsNew(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	s := newSim(t, "dark", 80, 24)
	target := filepath.Join(dir, "target")
	for _, name := range []string{"ehlo-20250314-092653.txt", "ehlo-20250314-092653.ehlo"} {
		if err := os.Symlink(target, name); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct{ cmd, want string }{
		{":save", "ehlo-20250314-092653-2.txt"},
		{":save --script", "ehlo-20250314-092653-2.ehlo"},
	} {
		s.typ(tt.cmd)
		next, cmd := s.m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
		s.m = next.(Model)
		s.send(cmd())
		if !strings.HasPrefix(s.m.flash.text, "saved") || !strings.Contains(s.m.flash.text, tt.want) {
			t.Errorf("%s: flash %q, want it saved to %s", tt.cmd, s.m.flash.text, tt.want)
		}
		if fi, err := os.Lstat(filepath.Join(dir, tt.want)); err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", tt.want, fi, err)
		}
	}
	if _, err := os.Lstat(target); !os.IsNotExist(err) {
		t.Errorf("the planted link's target was created (%v)", err)
	}
	s.typ(":save ehlo-20250314-092653.txt")
	next, cmd := s.m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	s.m = next.(Model)
	s.send(cmd())
	if !strings.Contains(s.m.flash.text, "is a symbolic link") {
		t.Errorf(":save LINK: flash %q, want the refusal", s.m.flash.text)
	}
}

// TestTranscriptFile: --transcript appends each entry as it is recorded.
func TestTranscriptFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "live.txt")
	m, err := New(Config{Target: "mx.example:25", Theme: "mono", Transcript: path})
	if err != nil {
		t.Fatal(err)
	}
	m.tr.Note("first")
	m.tr.Note("second")
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), "*  first\n") || !strings.Contains(string(b), "*  second\n") {
		t.Fatalf("file holds %q", b)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestStaleMessagesDropped: messages of a connection the model has left
// change nothing, and a late dial's link is closed.
func TestStaleMessagesDropped(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	gmailPlain(s)
	old := s.m.conn.gen
	s.enter(":reconnect")
	if s.m.conn.gen == old || s.m.op != opDial {
		t.Fatalf("reconnect: gen %d op %d", s.m.conn.gen, s.m.op)
	}
	before := s.m
	s.send(
		replyMsg{gen: old, reply: wire.Reply{Lines: []string{"250 OK"}}},
		wroteMsg{gen: old},
		tlsMsg{gen: old, info: wire.TLSInfo{Version: "TLS 1.3"}},
	)
	if s.m.op != before.op || s.m.sess.Phase != before.sess.Phase || len(s.m.inflight) != len(before.inflight) || s.m.conn.tls != nil {
		t.Fatalf("a stale message changed the model")
	}
	late := &fakeLink{addr: "192.0.2.99:25"}
	next, cmd := s.m.Update(dialedMsg{gen: old, link: late})
	s.m = next.(Model)
	if cmd == nil {
		t.Fatal("a late dial's link is not closed")
	}
	cmd()
	if !late.closed || s.m.conn.link == late {
		t.Fatalf("late link: closed %v, adopted %v", late.closed, s.m.conn.link == late)
	}
}

// TestReplyComesWithItsLines: a link command's message brings the entries
// recorded meanwhile, and Update shows them before the state they lead to,
// even when the watcher's batch of the same entries is still on its way;
// that batch, when it comes, adds nothing twice.
func TestReplyComesWithItsLines(t *testing.T) {
	tr := wire.NewTranscript()
	got := recordedCmd(tr, 0, func() tea.Msg { tr.Note("read"); return wroteMsg{} })()
	if m, ok := got.(linkMsg); !ok || len(m.entries) != 1 || string(m.entries[0].Data) != "read" || m.msg != (wroteMsg{}) {
		t.Fatalf("recordedCmd gave %+v, want the message and the entry recorded while it ran", got)
	}

	s := newSim(t, "dark", 120, 40)
	gmailPlain(s)
	s.enter("NOOP")
	rows := s.m.transcript.Len()
	reply := wire.Entry{Seq: s.seq, Time: s.clock, Dir: wire.Server, Data: []byte("250 2.0.0 OK\r\n")}
	s.send(linkMsg{msg: replyMsg{gen: s.m.conn.gen, reply: wire.Reply{Lines: []string{"250 2.0.0 OK"}}, at: s.clock}, entries: []wire.Entry{reply}})
	if s.m.waiting() || s.m.transcript.Len() != rows+1 || !strings.Contains(s.m.transcript.Text(false), "S: 250 2.0.0 OK") {
		t.Fatalf("after the reply: op %d, %d rows (want %d):\n%s", s.m.op, s.m.transcript.Len(), rows+1, s.m.transcript.Text(false))
	}
	s.send(entriesMsg{entries: []wire.Entry{reply}})
	if s.m.transcript.Len() != rows+1 {
		t.Errorf("%d rows after the watcher's late batch, want %d: it showed the reply again", s.m.transcript.Len(), rows+1)
	}
}

// TestEscCancelsWait: Esc cancels the wait's context; the model says so
// and closes, and for the final "." warns that a resend may duplicate.
func TestEscCancelsWait(t *testing.T) {
	s := dataSim(t)
	s.enter(".")
	if !s.m.waiting() {
		t.Fatal("not waiting for the reply to .")
	}
	s.press(tea.KeyEscape)
	s.send(replyMsg{gen: s.m.conn.gen, err: context.Canceled})
	if s.m.conn.phase != phaseClosed || !strings.Contains(told(s.m), "may still be delivered") ||
		!strings.Contains(told(s.m), "Esc") {
		t.Fatalf("after Esc: phase %v flash %q", s.m.conn.phase, told(s.m))
	}
}

// stallLink is a connection whose writes cannot finish, as a write to a
// server that has stopped reading cannot: each blocks until its context ends.
type stallLink struct{ fakeLink }

func (l *stallLink) WriteLine(ctx context.Context, _ string) error {
	<-ctx.Done()
	return errors.Join(errors.New("wire: write"), ctx.Err())
}

// TestEscCancelsABlockedWrite: Esc ends a write the server does not take,
// through the context the write runs under; the explorer says the write
// was cancelled and closes the connection, whose stream is cut mid-line.
func TestEscCancelsABlockedWrite(t *testing.T) {
	s := newSim(t, "dark", 80, 24)
	l := &stallLink{fakeLink{addr: "192.0.2.25:587"}}
	s.send(connectMsg{target: s.m.conn.target})
	s.send(dialedMsg{gen: s.m.conn.gen, link: l})
	s.reply("220 mx.example ESMTP")
	s.typ("NOOP")
	cmd := s.update(tea.KeyPressMsg{Code: tea.KeyEnter})
	if s.m.op != opWrite {
		t.Fatalf("op %d after Enter, want a write under way", s.m.op)
	}
	s.press(tea.KeyEscape)
	s.send(runUntil(t, cmd, func(msg tea.Msg) bool { _, ok := msg.(wroteMsg); return ok }))
	if s.m.conn.phase != phaseClosed || !strings.Contains(told(s.m), "write cancelled (Esc)") {
		t.Fatalf("after Esc: phase %v, flash %q", s.m.conn.phase, told(s.m))
	}
	if !strings.Contains(s.screen(), "write cancelled (Esc)") {
		t.Errorf("the screen does not say the write was cancelled:\n%s", s.screen())
	}
}

// TestEscStopsContext checks that Esc really cancels the context the read
// runs under.
func TestEscStopsContext(t *testing.T) {
	s := newSim(t, "dark", 80, 24)
	var ctxErr error
	s.m.dial = func(ctx context.Context, _ string, _ wire.Options) (link, error) {
		<-ctx.Done()
		ctxErr = ctx.Err()
		return nil, ctx.Err()
	}
	next, cmd := s.m.connect(s.m.conn.target)
	s.m = next
	s.press(tea.KeyEscape)
	runUntil(t, cmd, func(msg tea.Msg) bool { _, ok := msg.(dialedMsg); return ok })
	if ctxErr != context.Canceled {
		t.Fatalf("dial context: %v", ctxErr)
	}
}

// runUntil runs the commands of cmd (batches included) on goroutines and
// returns when one yields a message for which ok holds; ok sees a link
// command's own message, out of its linkMsg.
func runUntil(t *testing.T, cmd tea.Cmd, ok func(tea.Msg) bool) tea.Msg {
	t.Helper()
	found := make(chan tea.Msg, 16)
	var run func(tea.Cmd)
	run = func(c tea.Cmd) {
		if c == nil {
			return
		}
		go func() {
			msg := c()
			if b, isBatch := msg.(tea.BatchMsg); isBatch {
				for _, c := range b {
					run(c)
				}
				return
			}
			inner := msg
			if l, isLink := msg.(linkMsg); isLink {
				inner = l.msg
			}
			if ok(inner) {
				found <- msg
			}
		}()
	}
	run(cmd)
	select {
	case msg := <-found:
		return msg
	case <-time.After(5 * time.Second):
		t.Fatal("no such message")
		return nil
	}
}

// TestTimeoutOnFinalDot warns about duplicates when "." times out.
func TestTimeoutOnFinalDot(t *testing.T) {
	s := dataSim(t)
	s.enter(".")
	s.send(replyMsg{gen: s.m.conn.gen, err: &wire.TimeoutError{Op: "read reply", After: 10 * time.Minute}})
	if !strings.Contains(told(s.m), `no reply to the final "." within 10m0s`) {
		t.Errorf("flash %q", told(s.m))
	}
	if !strings.Contains(told(s.m), "may still be delivered") {
		t.Errorf("no duplicate warning: %q", told(s.m))
	}
}

// TestPeerClose: EOF and 421 close the session clearly; :reconnect works.
func TestPeerClose(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	gmailPlain(s)
	s.enter("NOOP")
	s.send(replyMsg{gen: s.m.conn.gen, err: &wire.ClosedError{}})
	if s.m.conn.phase != phaseClosed || !strings.Contains(told(s.m), "server closed the connection") {
		t.Fatalf("EOF: %v %q", s.m.conn.phase, told(s.m))
	}
	if !strings.Contains(s.screen(), "closed") {
		t.Error("the screen does not say closed")
	}
	s.enter(":reconnect")
	s.send(dialedMsg{gen: s.m.conn.gen, link: s.link})
	s.reply("220 back")
	s.enter("NOOP")
	s.reply("421 4.7.0 Try again later, closing connection")
	if s.m.conn.phase != phaseClosed || !strings.Contains(told(s.m), "421") {
		t.Fatalf("421: %v %q", s.m.conn.phase, told(s.m))
	}
}

// TestStartTLSOutcomes: a non-220 upgrades nothing; an injection closes and
// says how many bytes; a bad certificate says why and how to go on; an
// insecure session is marked TLS UNVERIFIED.
func TestStartTLSOutcomes(t *testing.T) {
	t.Run("454", func(t *testing.T) {
		s := newSim(t, "dark", 120, 40)
		gmailPlain(s)
		s.enter("starttls")
		s.reply("454 4.7.0 TLS not available")
		if s.m.op == opTLS || s.m.sess.TLS {
			t.Fatal("a 454 started TLS")
		}
	})
	t.Run("injection", func(t *testing.T) {
		s := newSim(t, "dark", 120, 40)
		gmailPlain(s)
		s.enter("STARTTLS")
		s.reply("220 go ahead")
		s.send(tlsMsg{gen: s.m.conn.gen, err: &wire.InjectionError{Bytes: []byte("250 fake\r\n")}})
		if s.m.conn.phase != phaseClosed || !strings.Contains(told(s.m), "10 bytes") ||
			!strings.Contains(told(s.m), "injection") {
			t.Fatalf("injection: %v %q", s.m.conn.phase, told(s.m))
		}
	})
	t.Run("verify", func(t *testing.T) {
		s := newSim(t, "dark", 120, 40)
		gmailPlain(s)
		s.enter("STARTTLS")
		s.reply("220 go ahead")
		info := gmailCert()
		info.Verified, info.VerifyError = false, context.DeadlineExceeded
		s.send(tlsMsg{gen: s.m.conn.gen, err: &wire.VerifyError{Err: info.VerifyError, Info: info}})
		if !strings.Contains(told(s.m), "--insecure") || !strings.Contains(told(s.m), "--ca") {
			t.Fatalf("verify failure: %q", told(s.m))
		}
		if !strings.Contains(s.screen(), "NOT verified") || !strings.Contains(s.screen(), "CN=smtp.gmail.example") {
			t.Errorf("the chain is not shown:\n%s", s.screen())
		}
	})
	t.Run("insecure", func(t *testing.T) {
		s := newSim(t, "dark", 120, 40)
		gmailPlain(s)
		s.enter("STARTTLS")
		s.reply("220 go ahead")
		info := gmailCert()
		info.Verified, info.Insecure, info.VerifyError = false, true, context.DeadlineExceeded
		s.starttls(info)
		if !strings.Contains(s.screen(), "TLS UNVERIFIED") {
			t.Fatalf("no TLS UNVERIFIED badge:\n%s", s.screen())
		}
		if s.m.effective().Expect() != "EHLO" || !strings.Contains(s.screen(), "EHLO client.example") {
			t.Errorf("EHLO not suggested after STARTTLS")
		}
	})
}

// TestAuthCommand runs :auth with consent over plaintext to a remote host,
// the masked password, and LOGIN's challenges.
func TestAuthCommand(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	gmailPlain(s)
	s.link.reset()
	s.enter(":auth plain alice")
	if s.m.input.mode != modeConfirm {
		t.Fatalf("no consent asked over plaintext to a remote host: mode %d", s.m.input.mode)
	}
	s.enter("n")
	if s.m.input.mode != modeCommand || s.link.count() != 0 {
		t.Fatal("declining still sent something")
	}
	s.enter(":auth PLAIN alice")
	s.enter("y")
	if s.m.input.mode != modePassword {
		t.Fatalf("no password prompt: mode %d", s.m.input.mode)
	}
	s.typ("wonderland")
	if strings.Contains(s.screen(), "wonderland") || !strings.Contains(s.screen(), "**********") {
		t.Fatalf("password not masked:\n%s", s.screen())
	}
	s.press(tea.KeyEnter)
	s.flush()
	w := s.link.last()
	if !w.secret || w.line != "AUTH PLAIN "+b64("\x00alice\x00wonderland") || w.shown != `AUTH PLAIN <redacted user="alice">` {
		t.Fatalf("sent %+v", w)
	}
	s.reply("235 2.7.0 Accepted")
	if !s.m.sess.Authenticated || s.m.sess.AuthUser != "alice" || !strings.Contains(s.m.flash.text, "authenticated as alice") {
		t.Fatalf("after 235: %+v, %q", s.m.sess, s.m.flash.text)
	}
	for _, h := range s.m.input.history {
		if holdsSecret(h) {
			t.Errorf("history: %q", h)
		}
	}
}

func TestAuthLoginChallenges(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	gmailTLS(s)
	s.link.reset()
	s.enter(":auth LOGIN")
	if s.m.input.mode != modeUser {
		t.Fatalf("no user prompt (TLS is on, so no consent): mode %d", s.m.input.mode)
	}
	s.enter("alice")
	s.enter("wonderland")
	if sc := s.screen(); !strings.Contains(sc, "C: AUTH LOGIN ") || strings.Contains(sc, "AUTH LOGIN <redacted") {
		t.Errorf("the C: line does not show what went on the wire (AUTH LOGIN):\n%s", sc)
	}
	s.reply("334 VXNlcm5hbWU6")
	s.flush()
	if len(s.m.notes) != 0 {
		t.Error("notes left unflushed")
	}
	s.reply("334 UGFzc3dvcmQ6")
	s.flush()
	s.reply("235 2.7.0 Accepted")
	got := s.link.writes
	if len(got) != 3 || got[0].line != "AUTH LOGIN" || got[1].line != b64("alice") || got[2].line != b64("wonderland") {
		t.Fatalf("wrote %+v", got)
	}
	for _, w := range got {
		if !w.secret {
			t.Errorf("%q not sent as a secret", w.line)
		}
	}
	if !s.m.sess.Authenticated {
		t.Error("not authenticated")
	}
}

// TestChallengeInline: a 334 is shown decoded beside the line, dimmed,
// with session.DecodeChallenge (what the explain panel says too), and the
// input is masked for the response.
func TestChallengeInline(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	gmailTLS(s)
	s.enter("AUTH LOGIN")
	s.reply("334 VXNlcm5hbWU6")
	if !strings.Contains(s.screen(), "S: 334 VXNlcm5hbWU6  = Username:") {
		t.Errorf("the challenge is not decoded inline:\n%s", s.screen())
	}
	if len(s.m.notes) != 0 {
		t.Errorf("a note as well: %q", s.m.notes)
	}
	if s.m.effective().Expect() != "AUTH response" || !s.m.input.secret {
		t.Errorf("after 334 the input is not masked for the response")
	}
}

// TestTabCompletion completes verbs, mechanisms and local commands.
func TestTabCompletion(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	gmailTLS(s)
	s.typ("ma")
	s.press(tea.KeyTab)
	if v := s.m.input.Value(); v != "MAIL FROM:<" {
		t.Fatalf("ma<tab> gave %q", v)
	}
	s.press(tea.KeyEscape)
	s.typ("AUTH X")
	s.press(tea.KeyTab)
	if v := s.m.input.Value(); v != "AUTH XOAUTH" || !strings.Contains(s.screen(), "AUTH XOAUTH2") {
		t.Fatalf("AUTH X<tab> gave %q:\n%s", v, s.screen())
	}
	s.press(tea.KeyEscape)
	s.typ(":th")
	s.press(tea.KeyTab)
	s.typ("m")
	s.press(tea.KeyTab)
	if v := s.m.input.Value(); v != ":theme mono" {
		t.Fatalf(":th<tab>m<tab> gave %q", v)
	}
	if s.m.focus != focusInput {
		t.Error("tab with text moved the focus")
	}
}

// TestFocusAndKeys: tab cycles the panes on an empty line without a
// suggestion (a suggestion it takes first: TestTakeSuggestion); typing
// goes to the input whatever has the focus; ? opens help only on an empty
// line.
func TestFocusAndKeys(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	gmailTLS(s)
	s.enter("NOOP") // a reply pending: no suggestion
	s.press(tea.KeyTab)
	if s.m.focus != focusTranscript {
		t.Fatalf("focus %d", s.m.focus)
	}
	s.typ("k") // a transcript key: moves the selection
	if e, ok := s.m.transcript.Selected(); !ok || e.Seq == s.seq-1 {
		t.Error("k did not move the transcript selection")
	}
	s.reply("250 OK")
	s.press(tea.KeyTab)
	if s.m.focus != focusCaps {
		t.Fatalf("focus %d", s.m.focus)
	}
	s.typ("N")
	if s.m.focus != focusInput || s.m.input.Value() != "N" {
		t.Fatalf("typing with the caps focused: focus %d value %q", s.m.focus, s.m.input.Value())
	}
	s.typ("?")
	if s.m.showHelp || s.m.input.Value() != "N?" {
		t.Fatal("? with text opened help")
	}
	s.press(tea.KeyEscape)
	s.typ("?")
	if !s.m.showHelp {
		t.Fatal("? on an empty line did not open help")
	}
	s.press(tea.KeyEscape)
	if s.m.showHelp {
		t.Fatal("esc did not close help")
	}
}

// TestFooterFollowsFocus: the key hints under the screen are those of the
// focused pane: the transcript explains and selects lines, the capability
// list selects capabilities, the input sends and recalls history.
func TestFooterFollowsFocus(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	gmailTLS(s)
	s.enter("NOOP") // a reply pending: no suggestion, tab moves the focus
	footer := func() string {
		lines := strings.Split(s.screen(), "\n")
		return lines[len(lines)-1]
	}
	steps := []struct {
		want, not string
	}{
		{"↑/↓ select line • e/enter explain", "history"},
		{"↑/↓ select capability • e/enter all it means", "history"},
		{"enter send", "select"},
	}
	for i, st := range steps {
		s.press(tea.KeyTab)
		if f := footer(); !strings.Contains(f, st.want) || strings.Contains(f, st.not) {
			t.Errorf("after %d tabs the footer reads %q, want %q and no %q", i+1, f, st.want, st.not)
		}
	}
}

// TestLocalCommands covers the small ones.
func TestLocalCommands(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	gmailPlain(s)
	s.enter(`:b64 \0alice\0wonderland`)
	if !strings.Contains(s.m.flash.text, b64("\x00alice\x00wonderland")) {
		t.Errorf(":b64 gave %q", s.m.flash.text)
	}
	if strings.Contains(strings.Join(s.m.input.history, "\n"), "wonderland") {
		t.Error(":b64 arguments kept in history")
	}
	s.enter(":unb64 " + b64("\x1b[2Jhi"))
	if s.m.flash.text != `decoded: \x1b[2Jhi` {
		t.Errorf(":unb64 gave %q", s.m.flash.text)
	}
	s.enter(":theme nope")
	if !strings.Contains(s.m.flash.text, "mono") {
		t.Errorf(":theme nope: %q", s.m.flash.text)
	}
	s.enter(":theme mono")
	if s.m.themeName != "mono" {
		t.Errorf("theme %q", s.m.themeName)
	}
	s.enter(":raw")
	s.enter(":hex")
	s.enter(":reveal")
	if !s.m.reveal || !strings.Contains(s.screen(), "SECRETS SHOWN") {
		t.Error(":reveal")
	}
	s.enter(":lab mx")
	if !strings.Contains(s.m.flash.text, "unknown command") {
		t.Errorf(":lab without a lab: %q", s.m.flash.text)
	}
	s.enter(":connect") // alone: as :reconnect, and said (TestConnectFromPipe has the rest)
	if s.m.flash.text != "reconnecting to smtp.gmail.example:587" || s.m.conn.phase != phaseDialing {
		t.Errorf(":connect without target: %q, phase %v", s.m.flash.text, s.m.conn.phase)
	}
	s.enter(":connect --tls")
	if !strings.Contains(s.m.flash.text, "usage") {
		t.Errorf(":connect with flags and no target: %q", s.m.flash.text)
	}
	s.typ(":copy")
	next, cmd := s.m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	s.m = next.(Model)
	if cmd == nil || !strings.Contains(s.m.flash.text, "copied the transcript") {
		t.Errorf(":copy: %q", s.m.flash.text)
	}
	next, cmd = s.m.Update(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	s.m = next.(Model)
	if cmd == nil {
		t.Fatal("ctrl+c does not quit")
	}
}

// TestBackgroundColor: auto follows the terminal's background.
func TestBackgroundColor(t *testing.T) {
	s := newSim(t, "auto", 80, 24)
	if !s.m.isDark || s.m.st.Palette.Name != "dark" {
		t.Fatalf("auto starts as %q", s.m.st.Palette.Name)
	}
	s.send(tea.BackgroundColorMsg{Color: white{}})
	if s.m.isDark || s.m.st.Palette.Name != "light" {
		t.Fatalf("auto on a light terminal is %q", s.m.st.Palette.Name)
	}
}

type white struct{}

func (white) RGBA() (r, g, b, a uint32) { return 0xffff, 0xffff, 0xffff, 0xffff }

func TestLoopback(t *testing.T) {
	for target, want := range map[string]bool{
		"127.0.0.1:25": true, "localhost:587": true, "[::1]:25": true, "127.8.9.1": true,
		"smtp.gmail.com:587": false, "10.0.0.1:25": false, "127.example.com:25": false,
	} {
		if got := loopback(target); got != want {
			t.Errorf("loopback(%q) = %v", target, got)
		}
	}
}

// TestQueuedAuthKeepsEarlierLinesPlain: an AUTH waiting in the outbox makes
// secret only the lines of its own exchange.
func TestQueuedAuthKeepsEarlierLinesPlain(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	gmailTLS(s)
	s.link.reset()
	s.send(tea.PasteMsg{Content: "NOOP\nAUTH PLAIN " + b64("\x00alice\x00wonderland") + "\n"})
	s.flush()
	if w := s.link.last(); w.line != "NOOP" || w.secret {
		t.Fatalf("NOOP went out as %+v", w)
	}
	s.reply("250 OK")
	s.flush()
	if w := s.link.last(); !w.secret || w.shown != `AUTH PLAIN <redacted user="alice">` {
		t.Fatalf("AUTH went out as %+v", w)
	}
	for _, h := range s.m.input.history {
		if holdsSecret(h) {
			t.Errorf("history: %q", h)
		}
	}
}

// TestPastedAuthStaysOutOfHistory: base64 pasted after an AUTH line is a
// response, kept out of the history.
func TestPastedAuthStaysOutOfHistory(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	gmailTLS(s)
	s.send(tea.PasteMsg{Content: "AUTH LOGIN\n" + b64("alice") + "\n" + b64("wonderland") + "\n"})
	s.flush()
	s.reply("334 VXNlcm5hbWU6")
	s.flush()
	s.reply("334 UGFzc3dvcmQ6")
	s.flush()
	s.reply("235 2.7.0 Accepted")
	for _, h := range s.m.input.history {
		if holdsSecret(h) || h == b64("alice") {
			t.Errorf("history holds %q", h)
		}
	}
	for _, w := range s.link.writes[len(s.link.writes)-2:] {
		if !w.secret {
			t.Errorf("%q not sent as a secret", w.line)
		}
	}
	if !s.m.sess.Authenticated {
		t.Error("not authenticated")
	}
}

// TestTypedLineWaits: a line typed while a reply is due waits for it, and
// the status says so; then it goes out.
func TestTypedLineWaits(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	gmailPlain(s)
	s.enter("MAIL FROM:<a@example.org>")
	s.link.reset()
	s.enter("RCPT TO:<b@example.org>")
	if s.link.count() != 0 || !strings.Contains(s.screen(), "1 queued") || !strings.Contains(s.m.flash.text, "queued until the reply to MAIL") {
		t.Fatalf("RCPT went out early (%q) or the user was not told:\n%s", s.link.lines(), s.screen())
	}
	s.reply("250 OK")
	s.flush()
	if got := s.link.lines(); len(got) != 1 || got[0] != "RCPT TO:<b@example.org>" {
		t.Fatalf("wrote %q", got)
	}
}

// TestOutboxCountsQueuedAuth: the outbox knows whether an AUTH command waits
// in it, whatever the case of the verb, until that command leaves.
func TestOutboxCountsQueuedAuth(t *testing.T) {
	var q outbox
	q.push(outItem{line: "NOOP"}, outItem{line: "auth plain AGFsaWNlAHBhc3M="}, outItem{line: "Subject: AUTH"})
	q.pushFront(outItem{line: "dGVzdA==", secret: true, fromAuth: true})
	for i, want := range []bool{true, true, true, false} {
		if q.hasAuth() != want {
			t.Fatalf("before pop %d: hasAuth %v, want %v", i, q.hasAuth(), want)
		}
		q.pop()
	}
	if q.len() != 0 || q.hasAuth() {
		t.Fatalf("emptied: len %d, hasAuth %v", q.len(), q.hasAuth())
	}
}

// TestEscStopsAPasteBeingSent: Esc while a pasted message goes out drops
// the lines still queued; the line on its way, written whole, stays sent,
// and nothing more goes after it.
func TestEscStopsAPasteBeingSent(t *testing.T) {
	s := dataSim(t)
	s.send(tea.PasteMsg{Content: strings.Repeat("a line of the message\n", 100)})
	if s.m.op != opWrite || s.m.outbox.len() != 99 {
		t.Fatalf("op %d, %d queued; want the first line on its way and 99 queued", s.m.op, s.m.outbox.len())
	}
	s.press(tea.KeyEscape)
	if s.m.outbox.len() != 0 || !strings.Contains(s.m.flash.text, "99 queued lines not sent") {
		t.Fatalf("after Esc: %d queued, flash %q", s.m.outbox.len(), s.m.flash.text)
	}
	s.flush() // the write under way ends as the wire's would have: whole
	if n := s.link.count(); n != 1 || s.m.conn.phase != phaseOpen {
		t.Fatalf("%d lines written, phase %v; want the one under way, the session open", n, s.m.conn.phase)
	}
}

// TestAuthCommandWarnsBeforeSTARTTLS: ":auth PLAIN alice" on a server that
// offers AUTH only after STARTTLS gets the warning a typed AUTH line gets,
// before the password is asked for.
func TestAuthCommandWarnsBeforeSTARTTLS(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	gmailPlain(s)
	s.typ(":auth PLAIN alice")
	if sc := s.screen(); !strings.Contains(sc, "this server advertises AUTH only after STARTTLS") {
		t.Errorf("no warning on the hint line:\n%s", sc)
	}
}

// TestSavedScriptSaysHowToReplay: the header of :save --script names the
// flags the session was started with, so that its replay command works as
// written; a value that cannot sit in a comment line is left out.
func TestSavedScriptSaysHowToReplay(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	s.m.caFile, s.m.opts.ServerName, s.m.opts.Insecure = "/tmp/my ca.pem", "localhost", true
	if got := s.m.runFlags(); got != "--ca '/tmp/my ca.pem' --servername localhost --insecure" {
		t.Errorf("runFlags = %q", got)
	}
	s.m.opts.ServerName, s.m.opts.Insecure = "evil\n# target: x", false
	if got := s.m.runFlags(); got != "--ca '/tmp/my ca.pem'" {
		t.Errorf("runFlags with a newline = %q", got)
	}
	var out strings.Builder
	if _, err := client.WriteScript(&out, nil, client.ScriptHeader{Target: "127.0.0.1:10587", Flags: "--ca ca.pem --servername localhost"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "# replay with: ehlo run FILE --ca ca.pem --servername localhost   (") {
		t.Errorf("header:\n%s", out.String())
	}
}

// TestExplainStepsFromReplyToReply: ↓ in the explain panel goes to the next
// reply, over a long note in between (F8 on that note shows it whole).
func TestExplainStepsFromReplyToReply(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	gmailPlain(s)
	s.entry(wire.Note, strings.Repeat("a long note ", 20))
	s.enter("NOOP")
	s.reply("250 2.0.0 OK")
	s.press(tea.KeyF8) // the last reply: NOOP's
	s.press(tea.KeyUp) // the EHLO reply, before the note
	s.press(tea.KeyDown)
	if p := s.m.explain; !p.open || p.note != nil || p.x.Code != 250 || !strings.Contains(strings.Join(p.lines, " "), "2.0.0 OK") {
		t.Errorf("↓ from the EHLO reply: note %q, lines %q", p.note, p.lines)
	}
}

// TestDNSLineWhole: a D: line too wide for the pane opens whole, as DNS,
// in the explain panel, its DNS data escaped.
func TestDNSLineWhole(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	line := "TXT _mta-sts.x.test. → NOERROR, insecure (no AD), TTL 60: \"" + strings.Repeat("v=STSv1; ", 30) + "\x1b]0;pwned\x07 \u202eevil\" (1ms, 127.0.0.1:53)"
	s.entry(wire.DNS, line)
	i := s.m.transcript.Len() - 1
	if !s.m.cutNote(i) {
		t.Fatal("a D: line wider than the pane is not counted as cut")
	}
	m, ok := s.m.openExplain(i)
	if !ok {
		t.Fatal("the cut D: line does not open")
	}
	box := strings.Join(m.explainBox(96, m.mainH), "\n")
	plain := ansi.Strip(box)
	if !strings.Contains(plain, "DNS") || !strings.Contains(plain, `\u202eevil`) || !strings.Contains(plain, `\x1b]0;pwned\x07`) {
		t.Errorf("explain panel:\n%s", plain)
	}
	for _, raw := range []string{"\u202e", "\x07", "\x1b]"} {
		if strings.Contains(box, raw) {
			t.Errorf("explain panel holds %q raw", raw)
		}
	}
}
