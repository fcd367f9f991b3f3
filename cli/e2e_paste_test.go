package cli

import (
	"os"
	"strings"
	"testing"

	"github.com/ehlo-sh/ehlo/lab"
)

// paste puts text in a tmux buffer and pastes it as a terminal does, in
// bracketed paste mode.
func (tm *term) paste(text string) {
	tm.t.Helper()
	tm.tmux("set-buffer", "-b", "e2e", text)
	tm.tmux("paste-buffer", "-p", "-d", "-b", "e2e", "-t", "e2e")
}

// refusedPaste is a session pasted from a tutorial whose recipient the
// server refuses: DATA is refused, and the message must not follow as
// commands.
const refusedPaste = "MAIL FROM:<a@example.org>\nRCPT TO:<nobody@example.com>\nDATA\nSubject: never sent\n\nhello there\n.\n"

// TestTUIPasteStopsAtRefusedData: against the lab's MX and, when it runs,
// the Postfix lab, the message lines pasted behind a refused DATA are held
// on screen, not sent; Esc drops them and the session goes on.
func TestTUIPasteStopsAtRefusedData(t *testing.T) {
	bin := ehloBinary(t)
	targets := map[string][]string{"lab mx": {bin, "--lab", "mx"}}
	if addr, ca := os.Getenv("EHLO_POSTFIX_MX"), os.Getenv("EHLO_POSTFIX_CA"); addr != "" && ca != "" {
		targets["postfix"] = []string{bin, addr, "--ca", ca, "--servername", "localhost"}
	}
	for name, argv := range targets {
		t.Run(name, func(t *testing.T) {
			tm := newTerm(t, 120, 40, []string{"NO_COLOR=1"}, argv...)
			tm.waitFor(`S: 220 `)
			tm.typeLine("EHLO e2e.test")
			tm.waitFor(`S: 250 `)
			tm.paste(refusedPaste)
			s := tm.waitFor(`held: DATA got 5\d\d, not 354 — 4 lines not sent`)
			if strings.Contains(s, "C: Subject: never sent") || strings.Contains(s, "C: hello there") {
				t.Errorf("message lines went out as commands:\n%s", s)
			}
			if !strings.Contains(s, "│ Subject: never sent") || !strings.Contains(s, "alt+q sends them") {
				t.Errorf("the held lines or the keys are not on screen:\n%s", s)
			}
			tm.keys("Escape")
			tm.waitFor(`dropped the 4 lines held, none sent`)
			tm.typeLine("RSET")
			s = tm.waitFor(`C: RSET[^\n]*\n[^\n]*S: 250 `)
			if lines(s, `^connected `) == "" {
				t.Errorf("the session did not go on:\n%s", s)
			}
		})
	}
}

// TestTUIPasteWithoutPipelining: the lab's nopipe endpoint offers no
// PIPELINING and refuses a client that pipelines anyway; a pasted session
// goes one command per reply and the message is delivered.
func TestTUIPasteWithoutPipelining(t *testing.T) {
	bin := ehloBinary(t)
	l, err := lab.Start(lab.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ep, _ := l.Endpoint("nopipe")
	tm := newTerm(t, 120, 40, []string{"NO_COLOR=1"}, bin, ep.Addr)
	tm.waitFor(`S: 220 `)
	tm.typeLine("EHLO e2e.test")
	tm.waitFor(`S: 250 LIMITS`)
	tm.paste("MAIL FROM:<a@example.org>\nRCPT TO:<bob@lab.test>\nDATA\nSubject: one at a time\n\nhello\n.\n")
	s := tm.waitFor(`S: 250 OK: queued`)
	if strings.Contains(s, "synchronization error") {
		t.Fatalf("the explorer pipelined to a server without PIPELINING:\n%s", s)
	}
	order := []string{"C: MAIL FROM", "S: 250 Roger", "C: RCPT TO", "S: 250 I'll make sure", "C: DATA", "S: 354 "}
	at := 0
	for _, want := range order {
		i := strings.Index(s[at:], want)
		if i < 0 {
			t.Fatalf("%q not after the previous step: each command waits for its reply:\n%s", want, s)
		}
		at += i
	}
	if msgs := l.Messages(); len(msgs) != 1 || msgs[0].Subject() != "one at a time" {
		t.Errorf("lab mailbox: %+v", msgs)
	}
}
