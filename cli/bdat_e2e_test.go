package cli

import (
	"bytes"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/internal/testenv"
)

// TestPostfixTUIBDATByHand types a BDAT chunk by hand in the explorer, in
// tmux at 80x24, against Postfix's MX port (issue 16, item 4). Before, the
// BDAT line went alone and ehlo waited for a reply while Postfix waited
// for the octets, until the 30 s timeout closed the session. Now the line
// waits, the typed lines are counted with their CRLF on the status line,
// and the line and its octets go in one write: the maildir receives the
// exact bytes. The session saved with :save --script replays with ehlo run.
func TestPostfixTUIBDATByHand(t *testing.T) {
	pf := needPostfix(t)
	if pf.mx == "" || pf.maildir == "" || pf.user == "" {
		testenv.Need(t, "the Postfix lab's MX port and maildir", "set EHLO_POSTFIX_MX, EHLO_POSTFIX_MAILDIR and EHLO_POSTFIX_USER (scripts/postfix-lab.sh writes them to its env file)")
	}
	bin := ehloBinary(t)
	tm := newTerm(t, 80, 24, []string{"NO_COLOR=1"}, bin, pf.mx, "--ca", pf.ca, "--servername", "localhost")
	now := time.Now()
	subject := fmt.Sprintf("bdat by hand %d", now.UnixNano())
	rcpt := pf.user + "@localhost"
	// a whole header, so that Postfix adds none inside it
	body := []string{"From: <" + rcpt + ">", "Subject: " + subject, fmt.Sprintf("Message-ID: <%d.bdat@ehlo.test>", now.UnixNano()),
		"Date: " + now.Format(time.RFC1123Z), "", "Typed by hand, each line counted with its CRLF."}
	n := 0
	for _, l := range body {
		n += len(l) + 2
	}

	tm.waitFor(`S: 220 `)
	tm.typeLine("EHLO e2e.test")
	tm.waitFor(`S: 250 CHUNKING`)
	tm.typeLine("MAIL FROM:<" + rcpt + ">")
	tm.waitFor(`RCPT TO ›`)
	tm.typeLine("RCPT TO:<" + rcpt + ">")
	tm.waitFor(`DATA or more RCPT TO ›`)
	tm.typeLine(fmt.Sprintf("BDAT %d LAST", n))
	tm.waitFor(fmt.Sprintf(`chunk: 0 of %d bytes`, n))
	for _, l := range body[:2] {
		tm.typeLine(l)
	}
	s := tm.waitFor(fmt.Sprintf(`chunk: %d of %d bytes`, len(body[0])+len(body[1])+4, n))
	if strings.Contains(s, "C: BDAT") {
		t.Fatalf("the BDAT line went before its octets:\n%s", s)
	}
	for _, l := range body[2:] {
		tm.typeLine(l)
	}
	s = tm.waitFor(`S: 250 .*queued`)
	if !strings.Contains(s, "message accepted") {
		t.Errorf("the last chunk's reply is not the message's:\n%s", s)
	}
	script := filepath.Join(t.TempDir(), "bdat.ehlo")
	tm.typeLine(":save --script " + script)
	tm.waitFor(`saved`)
	tm.typeLine("QUIT")
	tm.waitFor(`S: 221 `)

	got := waitForMaildirHeader(t, pf.maildir, "Subject", subject)
	want := strings.Join(body, "\n") + "\n" // the maildir stores LF
	if i := bytes.Index(got, []byte("From: <")); i < 0 || string(got[i:]) != want {
		t.Errorf("delivered %q, want the chunk's bytes %q at the end", got, want)
	}

	code, out, errOut := run(t, "run", script, "--ca", pf.ca, "--servername", "localhost")
	if code != 0 {
		b, _ := os.ReadFile(script)
		t.Fatalf("ehlo run: exit %d\n%s%s\nscript:\n%s", code, out, errOut, b)
	}
	if k := waitForMaildirCount(t, pf.maildir, subject, 2); k != 2 {
		t.Errorf("%d messages with the subject after the replay, want 2", k)
	}
}

// waitForMaildirCount polls the maildir until want messages have Subject
// subject, for at most 20 seconds, and returns how many it found.
func waitForMaildirCount(t *testing.T, maildir, subject string, want int) int {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		files, _ := filepath.Glob(filepath.Join(maildir, "new", "*"))
		k := 0
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			if m, err := mail.ReadMessage(bytes.NewReader(b)); err == nil && m.Header.Get("Subject") == subject {
				k++
			}
		}
		if k >= want || time.Now().After(deadline) {
			return k
		}
		time.Sleep(100 * time.Millisecond)
	}
}
