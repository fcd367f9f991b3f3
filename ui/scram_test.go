package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"
)

// TestHostileTUISCRAM: :auth SCRAM-SHA-256-PLUS after STARTTLS binds the
// exchange to the TLS channel (the scripted server checks it against its
// own side); the decoded steps are notes without the proof, and the flash
// says the server proved it knows the password. A server whose signature
// is wrong gets "*" and an error that says so.
func TestHostileTUISCRAM(t *testing.T) {
	t.Run("plus", func(t *testing.T) {
		checkLeaks(t)
		r, live := runAuthTUI(t, "auth-scram-plus")
		r.command("EHLO client.test")
		r.command("STARTTLS")
		r.wait("TLS", func(s hsnap) bool { return s.idle && s.sess.TLS })
		r.command("EHLO client.test")
		r.wait("EHLO after TLS", func(s hsnap) bool { return s.idle && strings.Contains(s.text, "SCRAM-SHA-256-PLUS") })
		r.command(":auth SCRAM-SHA-256-PLUS " + authUser)
		r.wait("the password prompt", func(s hsnap) bool { return s.mode == modePassword })
		r.typeLine(authPassword)
		s := r.wait("AUTH", func(s hsnap) bool { return s.idle && strings.Contains(s.flash, "authenticated as alice") })
		if !strings.Contains(s.flash, "the server proved it knows the password") {
			t.Errorf("flash %q", s.flash)
		}
		s = r.wait("the proof's note", func(s hsnap) bool { return strings.Contains(s.text, "the server's signature is right") })
		wantHas(t, "transcript", s.text, "SCRAM-SHA-256-PLUS decoded: p=tls-exporter,,n=alice,r=", ",p=<redacted>",
			"the server's signature is right")
		files := saveAll(r)
		r.command("QUIT")
		r.closed("QUIT")
		r.stop()
		checkSecretFiles(t, append(files, live)...)
		sentOnce(t, r.srv.Conn(t).Wait(t).Got(), 0)
	})
	t.Run("wrong-signature", func(t *testing.T) {
		checkLeaks(t)
		r, _ := runAuthTUI(t, "auth-scram-wrong-signature")
		r.command("EHLO client.test")
		r.command(":auth SCRAM-SHA-256 " + authUser)
		r.wait("the password prompt", func(s hsnap) bool { return s.mode == modePassword })
		r.typeLine(authPassword)
		s := r.wait("the refusal", func(s hsnap) bool { return s.idle && strings.Contains(s.text, "501 5.7.0") })
		if !strings.Contains(s.flash, "did not prove it knows the password") || strings.Contains(s.flash, "authenticated") {
			t.Errorf("flash %q", s.flash)
		}
		r.command("QUIT")
		r.closed("QUIT")
		r.stop()
	})
}

// TestComposeFromFile: ":compose @FILE" loads a prepared message into the
// editor; F10 sends it with CRLF line endings and dot-stuffed. A missing
// file says so and opens nothing.
func TestComposeFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.eml")
	if err := os.WriteFile(path, []byte("Subject: from a file\nX-A: 1\n\n.dot line\nend\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := dataSim(t)
	load := func(arg string) { // the command's read, run as the program would run it
		_, cmd := s.m.cmdCompose(arg)
		s.send(cmd())
	}
	load("@" + path + ".missing")
	if s.m.compose.open || !strings.Contains(s.m.flash.text, "no such file") {
		t.Fatalf("missing file: open=%v flash %q", s.m.compose.open, s.m.flash.text)
	}
	load("@" + path)
	if !s.m.compose.open || !strings.HasPrefix(s.m.compose.Value(), "Subject: from a file") {
		t.Fatalf("not loaded: open=%v %q (flash %q)", s.m.compose.open, s.m.compose.Value(), s.m.flash.text)
	}
	s.press(tea.KeyF10)
	s.flush()
	if raw := string(s.link.last().raw); raw != "Subject: from a file\r\nX-A: 1\r\n\r\n..dot line\r\nend\r\n.\r\n" {
		t.Errorf("sent %q", raw)
	}
}
