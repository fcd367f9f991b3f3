package ui

import (
	"strings"
	"testing"
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
