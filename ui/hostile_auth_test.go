package ui

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ehlo-sh/ehlo/internal/hostile"
	"github.com/ehlo-sh/ehlo/session"
)

// The credential tests: AUTH through the explorer against scripted servers
// that accept it. Every view rendered (the observer renders after each
// Update, keystrokes included), the history, the transcript, the
// --transcript file and :save in both formats must hold no form of the
// password; the server must get each secret once.

const (
	authUser     = "alice"
	authPassword = "Tr0ub4dor&3-hostile"
)

// runAuthTUI starts the explorer with a --transcript file, watching every
// render for the password.
func runAuthTUI(t *testing.T, scenario string) (*tuiRun, string) {
	t.Helper()
	dir := t.TempDir()
	live := filepath.Join(dir, "live.txt")
	sec := hostile.SecretsOf(authUser, authPassword)
	return runTUIWatching(t, scenario, Config{Transcript: live}, &sec), live
}

// saveAll saves the transcript in both formats and returns the files.
func saveAll(r *tuiRun) []string {
	r.t.Helper()
	var files []string
	for _, name := range []string{"saved.txt", "saved.jsonl"} {
		path := filepath.Join(r.dir, name)
		r.command(":save " + path)
		r.wait("the save", func(s hsnap) bool { return strings.HasPrefix(s.flash, "saved") && strings.Contains(s.flash, name) })
		files = append(files, path)
	}
	return files
}

// checkSecretFiles reads every file written and looks for the password.
func checkSecretFiles(t *testing.T, files ...string) {
	t.Helper()
	sec := hostile.SecretsOf(authUser, authPassword)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) == 0 {
			t.Errorf("%s is empty", f)
		}
		hostile.NoSecret(t, filepath.Base(f), b, sec)
		hostile.Terminal(t, filepath.Base(f), string(b))
		if fi, err := os.Stat(f); err == nil && fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", f, fi.Mode().Perm())
		}
	}
}

// sentOnce fails unless the client's lines, base64-decoded where they are
// base64, carry the password exactly want times.
func sentOnce(t *testing.T, got []byte, want int) {
	t.Helper()
	n := 0
	for _, line := range strings.Split(string(got), "\r\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		arg := f[len(f)-1]
		if dec, err := base64.StdEncoding.DecodeString(arg); err == nil {
			n += strings.Count(string(dec), authPassword)
		}
		n += strings.Count(line, authPassword)
	}
	if n != want {
		t.Errorf("the server got the password %d times, want %d, in %q", n, want, got)
	}
}

func TestHostileTUICredentials(t *testing.T) {
	for _, tt := range []struct {
		scenario, mech string
		sent           int // times the password crosses the wire
	}{
		{"auth-plain", "PLAIN", 1},
		{"auth-login", "LOGIN", 1},
		{"auth-cram-md5", "CRAM-MD5", 0},
		{"auth-xoauth2", "XOAUTH2", 1},
		{"auth-oauthbearer", "OAUTHBEARER", 1},
		{"auth-scram-sha256", "SCRAM-SHA-256", 0},
		{"auth-scram-sha1", "SCRAM-SHA-1", 0},
	} {
		t.Run(tt.mech, func(t *testing.T) {
			checkLeaks(t)
			r, live := runAuthTUI(t, tt.scenario)
			r.command("EHLO client.test")
			r.command(":auth " + tt.mech + " " + authUser)
			r.wait("the password prompt", func(s hsnap) bool { return s.mode == modePassword })
			r.typeLine(authPassword)
			s := r.wait("AUTH", func(s hsnap) bool { return s.idle && strings.Contains(s.flash, "authenticated as alice") })
			// The pane's rows, not the 250 AUTH line or the side panel's
			// capability: they show when the state does (linkMsg).
			auth := `C: AUTH ` + tt.mech
			if tt.mech != "LOGIN" && tt.mech != "CRAM-MD5" {
				auth += ` <redacted user="alice">`
			}
			wantHas(t, "screen", s.screen, auth, "S: 235 ")
			files := saveAll(r)
			r.command("QUIT")
			r.closed("QUIT")
			r.stop()
			checkSecretFiles(t, append(files, live)...)
			sentOnce(t, r.srv.Conn(t).Wait(t).Got(), tt.sent)
			sec := hostile.SecretsOf(authUser, authPassword)
			hostile.NoSecret(t, "final view", []byte(r.fm.View().Content), sec)
			hostile.NoSecret(t, "final transcript", []byte(r.fm.transcript.Text(false)), sec)
		})
	}
}

// TestHostileTUIHandTypedAuth: base64 typed by hand after a 334 is a
// secret too: masked as typed, redacted on screen, in the history and in
// files.
func TestHostileTUIHandTypedAuth(t *testing.T) {
	checkLeaks(t)
	r, live := runAuthTUI(t, "auth-login")
	b64 := base64.StdEncoding.EncodeToString
	r.command("EHLO client.test")
	r.command("AUTH LOGIN")
	r.wait("the first 334", func(s hsnap) bool { return s.idle && strings.HasPrefix(s.sess.Pending, "AUTH") })
	r.typeLine(b64([]byte(authUser)))
	r.wait("the second 334", func(s hsnap) bool { return s.idle && strings.Contains(s.text, "334 UGFzc3dvcmQ6") })
	r.typeLine(b64([]byte(authPassword)))
	s := r.wait("235", func(s hsnap) bool { return s.idle && s.sess.Authenticated })
	if n := strings.Count(s.screen, "C: <redacted>"); n != 2 {
		t.Errorf("%d hand-typed lines shown redacted, want 2:\n%s", n, s.screen)
	}
	for _, h := range s.history {
		if strings.Contains(h, b64([]byte(authUser))) {
			t.Errorf("the history keeps an AUTH response: %q", s.history)
		}
	}
	files := saveAll(r)
	r.command("QUIT")
	r.closed("QUIT")
	r.stop()
	checkSecretFiles(t, append(files, live)...)
	sentOnce(t, r.srv.Conn(t).Wait(t).Got(), 1)
}

// TestHostileTUIAuthRounds: a server that answers every line with one more
// 334 gets each secret once, then "*"; the helper never answers more than
// session.MaxAuthRounds challenges. (One mechanism with an initial
// response, one without: the loop is the same for all, and FuzzAuthFlow
// and the CLI tests run all four.)
func TestHostileTUIAuthRounds(t *testing.T) {
	for _, mech := range []string{"PLAIN", "LOGIN"} {
		t.Run(mech, func(t *testing.T) {
			checkLeaks(t)
			r, live := runAuthTUI(t, "auth-rounds")
			r.command("EHLO client.test")
			r.command(":auth " + mech + " " + authUser)
			r.wait("the password prompt", func(s hsnap) bool { return s.mode == modePassword })
			r.typeLine(authPassword)
			r.wait("the end of AUTH", func(s hsnap) bool { return s.idle && strings.Contains(s.flash, "after cancel") })
			r.stop()
			got := r.srv.Conn(t).Got()
			lines := strings.Split(strings.TrimSuffix(string(got[bytes.Index(got, []byte("AUTH")):]), "\r\n"), "\r\n")
			if len(lines) > 1+session.MaxAuthRounds+1 {
				t.Errorf("%d lines after AUTH: %q", len(lines), lines)
			}
			if last := lines[len(lines)-1]; last != "*" {
				t.Errorf("the exchange did not end with a cancel: %q", lines)
			}
			want := 1
			if mech == "CRAM-MD5" {
				want = 0
			}
			sentOnce(t, got, want)
			checkSecretFiles(t, live)
		})
	}
}

// TestHostileTUIEcho: servers that repeat the credentials they got, in
// every form (the base64, its decoding, the password or token alone, the
// whole AUTH line), in a refusal, in a 235, in the reply to QUIT. :auth,
// and AUTH LOGIN typed by hand: every view (the explain panel on the
// echoing reply and the raw and hex views of it included), the history,
// the --transcript file and :save in each format, the script too, hold no
// form of the password; the echoing reply shows, redacted.
func TestHostileTUIEcho(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	for _, tt := range []struct {
		name, scenario string
		typed          []string // lines typed by hand after AUTH LOGIN; else :auth MECH
		mech, flash    string
	}{
		{"PLAIN", "auth-echo-plain", nil, "PLAIN", "AUTH refused (535)"},
		{"LOGIN", "auth-echo-login", nil, "LOGIN", "AUTH refused (535)"},
		{"XOAUTH2", "auth-echo-xoauth2", nil, "XOAUTH2", "authenticated as alice"},
		{"LOGIN typed", "auth-echo-login", []string{b64(authUser), b64(authPassword)}, "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			r, live := runAuthTUI(t, tt.scenario)
			r.command("EHLO client.test")
			if tt.typed == nil {
				r.command(":auth " + tt.mech + " " + authUser)
				r.wait("the password prompt", func(s hsnap) bool { return s.mode == modePassword })
				r.typeLine(authPassword)
				r.wait("AUTH", func(s hsnap) bool { return s.idle && strings.Contains(s.flash, tt.flash) })
			} else {
				r.command("AUTH LOGIN")
				r.wait("the first 334", func(s hsnap) bool { return s.idle && strings.HasPrefix(s.sess.Pending, "AUTH") })
				r.typeLine(tt.typed[0])
				r.wait("the second 334", func(s hsnap) bool { return s.idle && strings.Contains(s.text, "334 UGFzc3dvcmQ6") })
				r.typeLine(tt.typed[1])
			}
			s := r.shows(true, "<redacted>")
			if !strings.Contains(s.text, "S: 2") && !strings.Contains(s.text, "S: 535") {
				t.Errorf("the echoing reply is not shown:\n%s", s.text)
			}
			r.command(":explain")
			r.wait("the explain panel", func(s hsnap) bool { return s.rendered && strings.Contains(s.screen, "RFC") })
			r.esc()
			for _, c := range []string{":raw", ":hex", ":raw", ":hex"} {
				r.command(c)
			}
			files := saveAll(r)
			script := filepath.Join(r.dir, "saved.ehlo")
			r.command(":save --script " + script)
			r.wait("the script", func(s hsnap) bool {
				return strings.HasPrefix(s.flash, "saved") && strings.Contains(s.flash, "saved.ehlo")
			})
			r.command("QUIT")
			r.closed("QUIT")
			r.stop()
			checkSecretFiles(t, append(files, live, script)...)
			sentOnce(t, r.srv.Conn(t).Wait(t).Got(), 1)
			sec := hostile.SecretsOf(authUser, authPassword)
			hostile.NoSecret(t, "final view", []byte(r.fm.View().Content), sec)
			hostile.NoSecret(t, "final transcript", []byte(r.fm.transcript.Text(false)), sec)
			if _, hidden := r.fm.tr.Redact([]byte("250 ok " + authUser)); hidden {
				t.Error("the user name, shown anyway, is hidden as a secret")
			}
		})
	}
}

// TestHostileTUIEchoDesync: a server that follows its 535 with an unasked
// reply repeating the password. The explorer finds it out of step and
// closes; what it quotes of the server, on screen and in the files, shows
// the password redacted.
func TestHostileTUIEchoDesync(t *testing.T) {
	checkLeaks(t)
	r, live := runAuthTUI(t, "auth-echo-desync")
	r.command("EHLO client.test")
	r.command(":auth PLAIN " + authUser)
	r.wait("the password prompt", func(s hsnap) bool { return s.mode == modePassword })
	r.typeLine(authPassword)
	s := r.closed("the desync")
	wantHas(t, "told", s.told, "out of step")
	path := filepath.Join(r.dir, "saved.txt")
	r.enter(":save " + path)
	r.wait("the save", func(s hsnap) bool { return strings.HasPrefix(s.flash, "saved") })
	r.stop()
	checkSecretFiles(t, path, live)
	sec := hostile.SecretsOf(authUser, authPassword)
	hostile.NoSecret(t, "final view", []byte(r.fm.View().Content), sec)
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), "<redacted>") {
		t.Errorf("the unasked reply is not shown redacted:\n%s", b)
	}
}
