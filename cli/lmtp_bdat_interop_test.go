package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// LMTP with BDAT (RFC 2033 + RFC 3030), against Dovecot's LMTP server,
// which offers CHUNKING and PIPELINING: a message of two chunks goes to
// two known recipients and one unknown. The unknown one is refused at
// RCPT; after the last chunk Dovecot gives one reply per accepted
// recipient, each shown, and the mail is in both maildirs. With every
// recipient known the send succeeds, the text report showing each.
func TestLMTPDovecotBDAT(t *testing.T) {
	l := needTransportLab(t)
	body := filepath.Join(t.TempDir(), "body.txt")
	line := strings.Repeat("x", 76) + "\n"
	if err := os.WriteFile(body, []byte(strings.Repeat(line, (1<<20)/len(line)+100)), 0o600); err != nil {
		t.Fatal(err) // a little over DefaultChunkSize: two chunks
	}
	subject := fmt.Sprintf("lmtp bdat %d", time.Now().UnixNano())
	code, out, errOut := run(t, "send", l.lmtpTCP, "--protocol", "lmtp", "--body-mode", "bdat", "--from", "sender@example.org",
		"--to", l.users[0], "--to", "nobody@lmtp.test", "--to", l.users[1], "--subject", subject, "--body", "@"+body, "--json")
	var j struct {
		sendJSON
		BodyMode string `json:"body_mode"`
		Chunks   int    `json:"chunks"`
	}
	if err := json.Unmarshal([]byte(out), &j); err != nil {
		t.Fatalf("send --json: %v\n%s", err, out)
	}
	if code != exitRcpt || j.Delivered {
		t.Errorf("exit %d, delivered %v: one recipient refused is no success (stderr %s)", code, j.Delivered, errOut)
	}
	if j.BodyMode != "BDAT" || j.Chunks != 2 {
		t.Errorf("body_mode %q, %d chunks; want BDAT in 2", j.BodyMode, j.Chunks)
	}
	if len(j.Deliveries) != 2 || !j.Deliveries[0].Delivered || !j.Deliveries[1].Delivered ||
		j.Deliveries[0].Address != l.users[0] || j.Deliveries[1].Address != l.users[1] {
		t.Errorf("deliveries %+v, want one per accepted recipient, in order", j.Deliveries)
	}
	for _, u := range l.users[:2] {
		box := filepath.Join(l.maildirs, strings.Split(u, "@")[0], "Maildir")
		waitForMaildirHeaderFor(t, box, "Subject", subject, 20*time.Second)
	}

	code, out, errOut = run(t, "send", "unix:"+l.lmtpSocket, "--protocol", "lmtp", "--body-mode", "bdat", "--from", "sender@example.org",
		"--to", l.users[0], "--to", l.users[1], "--subject", "lmtp bdat all")
	if code != 0 {
		t.Fatalf("every recipient known: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"C: LHLO ", " LAST", "delivered <" + l.users[0] + ">  250 2.0.0", "delivered <" + l.users[1] + ">  250 2.0.0",
		"delivered to every recipient"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
